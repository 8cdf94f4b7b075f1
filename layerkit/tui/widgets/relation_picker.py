"""Pick a relation's target and its label, or another label, with a key or two.

Linking from a span asks two questions. To which span: the ones the schema allows, each with a
one-key hint (1–9, then a–z) or arrows and enter; the span nearest the source is highlighted,
so enter alone takes it. With which label: its schema key, or arrows and enter; a label named
like the source span's is highlighted (an AGENT span's role is most often AGENT). The dialog
returns when the label is picked and the screen saves it at once; escape goes back a question,
then cancels. Relabelling (``e`` in the side panel) asks only the second question.

Keys are read here, not by the screen below, so a fast ``enter 1 a`` can never switch layer or
label the text by mistake.

The dialog is a box drawn over the annotator's screen (its own layer), not a screen of its own:
pushing a screen makes Textual draw the whole screen below again, dimmed, and then the dialog
(two full repaints, 20-26 ms a key in bench/tui_latency.py), where showing a box repaints only
the lines it covers. While it is open it is *modal* (``is_modal``): Textual looks for a key's
bindings from the focused widget up to the first modal node, so the screen's and the app's
bindings (layers, labels, undo) are out of reach, as they were below a modal screen. The panel
it was opened from keeps its focused look (:meth:`open`), so nothing else is repainted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widget import Widget

from layerkit.model import Annotation
from layerkit.schema.models import LayerSchema, SchemaField
from layerkit.tui.relations import LabelChoice, accepts, label_choices
from layerkit.tui.rendering import label_colour
from layerkit.tui.screens.attributes import EDITABLE_TYPES
from layerkit.tui.widgets.choice_list import ChoiceList
from layerkit.tui.widgets.focus_look import FocusLook
from layerkit.tui.widgets.frame_idle import RefreshAfterKey
from layerkit.tui.widgets.lean_lines import LeanLines

HINTS = "123456789abcdefghijklmnopqrstuvwxyz"
WIDTH = 78  # the box's, as in app.tcss
SNIPPET = 56
_KEY = Style(bold=True, color="yellow")


@dataclass(frozen=True)
class Picked:
    """The answer: a label of ``field``, and the target span when one was asked for."""

    field: SchemaField
    label: str
    target: Annotation | None
    #: the label key was typed with shift: open the new relation's attributes (a connective
    #: the guess got wrong) right after saving it
    then_attributes: bool = False


#: what the dialog's opener is given when it closes: the choice, or None (cancelled)
Answer = Callable[["Picked | None"], None]


class RelationPicker(Vertical, LeanLines, FocusLook, RefreshAfterKey, can_focus=True):
    """Target span (when ``targets`` are given), then label; closed with the choice, which
    goes to the ``answer`` given to :meth:`open`. Mounted once, hidden while closed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back, or cancel"),
        Binding("enter", "choose", "Pick the highlighted line", show=False),
        # The dialog has the focus, not its lists (moving the focus from one list to the
        # other restyled both): it moves the highlight of the list on screen.
        *(
            Binding(key, f"move('{action}')", show=False)
            for key, action in (
                ("up", "cursor_up"),
                ("down", "cursor_down"),
                ("home", "first"),
                ("end", "last"),
                ("pageup", "page_up"),
                ("pagedown", "page_down"),
            )
        ),
    ]

    schema: LayerSchema  # the layer's, set by open()
    FOCUS_STYLED = False  # it looks the same with and without the focus

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.display = False
        self.question = ""
        self.text = ""
        self.fields: list[SchemaField] = []
        self.targets: list[Annotation] = []
        self.choices: list[LabelChoice] = []
        self.preferred: str | None = None
        self.linked: dict[int, str] = {}
        self.target: Annotation | None = None
        self._answer: Answer | None = None
        self._opener: Widget | None = None  # what had the focus when it opened

    def compose(self) -> ComposeResult:
        # One list for both questions, as high as the longer one from the moment the dialog
        # opens: the second question then repaints its lines, with no layout of the screen
        # (choice_list.py).
        yield ChoiceList(id="picker-list")

    @property
    def is_modal(self) -> bool:
        """While open, the bindings below it (the screen's, the app's) are out of reach."""
        return self.is_open

    @property
    def is_open(self) -> bool:
        return self._answer is not None

    def open(
        self,
        answer: Answer,
        title: str,
        text: str,
        schema: LayerSchema,
        fields: Sequence[SchemaField],
        targets: Sequence[Annotation] = (),
        *,
        start: int = 0,
        preferred: str | None = None,
        linked: Mapping[int, str] | None = None,
    ) -> None:
        """Ask the questions; ``answer`` gets the choice (or None) when the dialog closes.
        ``linked`` maps target ids to the label of a relation already linking them."""
        if self.is_open:  # asked again before answering: the first question is dropped
            self.close(None)
        self.question = title
        self.text = text
        self.schema = schema
        self.fields = list(fields)
        self.targets = list(targets)
        self.preferred = preferred
        self.linked = dict(linked or {})
        self.target = None
        self.choices = [] if self.targets else label_choices(self.fields)
        self._answer = answer
        self.place()
        self.options.styles.height = self._lines_needed()
        # The panel it is opened from keeps its focused look (its border, its cursor line):
        # it is held before the focus leaves it, so it is neither restyled nor repainted.
        held = self.screen.focused
        if isinstance(held, FocusLook):
            held.hold()
        self._opener = held
        self.display = True
        if self.targets:
            self._ask(self._target_question(), start)
        else:
            self._ask(self._label_question(), self._preferred())

    def place(self) -> None:
        """Centre the box above the screen's last line (the key bar, showing its keys).
        Docked at the bottom, it stands at the left edge: an offset moves it (CSS offsets
        cannot say "half of what is left")."""
        screen = self.screen.size
        width = min(WIDTH, screen.width)
        self.styles.offset = (max(0, (screen.width - width) // 2), -1)

    def _lines_needed(self) -> int:
        """The list's height for this dialog: the longer of its questions (the labels asked
        after each target, the targets), so answering the first does not resize the box."""
        if not self.targets:
            return max(len(self.choices), 1)
        labels = max(
            len(label_choices([f for f in self.fields if accepts(f, t)])) for t in self.targets
        )
        return max(len(self.targets), labels, 1)

    def close(self, result: Picked | None, *, refocus: bool = True) -> None:
        """Hide the dialog, give the focus back (unless it went elsewhere: ``refocus``
        False), and hand ``result`` to the opener."""
        answer, self._answer = self._answer, None
        if answer is None:
            return
        self.display = False
        opener, self._opener = self._opener, None
        if opener is not None and opener.is_attached:
            if refocus:
                self.screen.set_focus(opener, scroll_visible=False)
            if isinstance(opener, FocusLook):
                opener.release()
        answer(result)

    def on_blur(self) -> None:
        # The focus went elsewhere (a click on the text below): the question is dropped.
        if self.is_open:
            self.call_later(self._drop_if_unfocused)

    def _drop_if_unfocused(self) -> None:
        if self.is_open and not self.has_focus:
            self.close(None, refocus=False)

    @property
    def phase(self) -> str:
        """``target`` or ``label``: which question is on screen."""
        return "label" if self.choices else "target"

    @property
    def options(self) -> ChoiceList:
        """The list of the question on screen."""
        return self.query_one("#picker-list", ChoiceList)

    def _ask(self, prompts: list[Text], highlight: int) -> None:
        """Show the question's lines (set only where they changed), highlight a line, and
        take the focus at once: a key typed right after the one that opened the dialog must
        find it focused, never the panel below."""
        shown = self.options
        if shown.prompts != prompts:
            shown.set_prompts(prompts, highlight)
        else:
            shown.set_highlighted(highlight)
        self.screen.set_focus(self, scroll_visible=False)

    def _ask_target(self, highlight: int) -> None:
        self.choices = []
        self._ask(self._target_question(), highlight)

    def _ask_label(self, target: Annotation) -> None:
        self.target = target
        self.choices = label_choices([f for f in self.fields if accepts(f, target)])
        if len(self.choices) == 1:  # nothing to ask (e.g. SOURCE): one key less
            choice = self.choices[0]
            self.close(Picked(choice.field, choice.label.name, target))
            return
        self._ask(self._label_question(), self._preferred())

    def _target_question(self) -> list[Text]:
        # One label whatever the target (SOURCE): the pick saves it, no label is asked, and a
        # label key typed after it by habit labels the text instead; the title says so.
        labels = {
            c.label.name
            for t in self.targets
            for c in label_choices([f for f in self.fields if accepts(f, t)])
        }
        only = f" (saved as {next(iter(labels))} at once)" if len(labels) == 1 else ""
        self.border_title = f"{self.question} → which span?{only}"
        self.border_subtitle = "1–9 a–z or ↑↓ ⏎ pick · esc cancel"
        width = max((len(t.label or "") for t in self.targets), default=0)
        return [self._target_prompt(i, t, width) for i, t in enumerate(self.targets)]

    def _label_question(self) -> list[Text]:
        target = self.target
        where = f" → «{self._snippet(target, 30)}»" if target is not None else ""
        self.border_title = f"{self.question}{where}: which label?"
        back = "back" if self.targets else "cancel"
        shift = (
            " (⇧: then its attributes)"
            if any(_has_attributes(c.field) for c in self.choices)
            else ""
        )
        self.border_subtitle = f"label key{shift} or ↑↓ ⏎ · esc {back}"
        several = len({c.field.name for c in self.choices}) > 1
        width = max((len(c.label.name) for c in self.choices), default=0)
        return [self._label_prompt(c, several, width) for c in self.choices]

    def _preferred(self) -> int:
        names = [c.label.name for c in self.choices]
        return names.index(self.preferred) if self.preferred in names else 0

    def _target_prompt(self, index: int, target: Annotation, width: int) -> Text:
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(f"{HINTS[index]} " if index < len(HINTS) else "  ", _KEY)
        colour = label_colour(self.schema, target.field, target.label)
        line.append(f" {(target.label or ''):<{width}} ", Style(bgcolor=colour))
        line.append(f" «{self._snippet(target, SNIPPET)}»")
        if target.id in self.linked:
            line.append(f"  (linked: {self.linked[target.id]})", Style(dim=True))
        return line

    def _label_prompt(self, choice: LabelChoice, several: bool, width: int) -> Text:
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(f"{choice.key or ' '} ", _KEY)
        colour = label_colour(self.schema, choice.field.name, choice.label.name)
        line.append(f" {choice.label.name:<{width}} ", Style(bgcolor=colour))
        if several:
            line.append(f" ({choice.field.name})", Style(dim=True))
        line.append(f"  {choice.label.description}", Style(dim=True))
        return line

    def _snippet(self, a: Annotation, limit: int) -> str:
        piece = " ".join(self.text[a.start or 0 : a.end or 0].split())
        return piece if len(piece) <= limit else piece[: limit - 1] + "…"

    # --- answers -------------------------------------------------------------------------------

    def _pick(self, index: int, *, then_attributes: bool = False) -> None:
        if self.phase == "target":
            if 0 <= index < len(self.targets):
                self._ask_label(self.targets[index])
        elif 0 <= index < len(self.choices):
            choice = self.choices[index]
            self.close(Picked(choice.field, choice.label.name, self.target, then_attributes))

    def action_move(self, action: str) -> None:
        getattr(self.options, f"action_{action}")()

    def action_choose(self) -> None:
        highlighted = self.options.highlighted
        if highlighted is not None:
            self._pick(highlighted)

    @on(ChoiceList.Selected)
    def _selected(self, event: ChoiceList.Selected) -> None:
        event.stop()
        self._pick(event.index)

    def on_key(self, event: events.Key) -> None:
        character = event.character
        if not character or not character.isprintable():
            return
        shifted = False
        if self.phase == "target":
            index = HINTS.find(character)
        else:
            index = next((i for i, c in enumerate(self.choices) if c.key == character), -1)
            if index < 0 and character != character.lower():
                # shift + label key: the label, then the relation's attributes
                lower = character.lower()
                index = next((i for i, c in enumerate(self.choices) if c.key == lower), -1)
                shifted = index >= 0 and _has_attributes(self.choices[index].field)
        if index >= 0:
            event.stop()
            event.prevent_default()
            self._pick(index, then_attributes=shifted)

    def action_back(self) -> None:
        if self.phase == "label" and self.targets:
            chosen = self.targets.index(self.target) if self.target in self.targets else 0
            self._ask_target(chosen)
        else:
            self.close(None)


def _has_attributes(field: SchemaField) -> bool:
    """Whether the attribute editor has something to show for a relation of ``field``."""
    return any(a.type in EDITABLE_TYPES for a in field.attributes)
