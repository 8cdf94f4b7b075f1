"""Pick a relation's target and its label, or another label, with a key or two.

Linking from a span asks two questions. To which span: the ones the schema allows, each with a
one-key hint (1–9, then a–z) or arrows and enter; the span nearest the source is highlighted,
so enter alone takes it. With which label: its schema key, or arrows and enter; a label named
like the source span's is highlighted (an AGENT span's role is most often AGENT). The dialog
returns when the label is picked and the screen saves it at once; escape goes back a question,
then cancels. Relabelling (``e`` in the side panel) asks only the second question.

Keys are read here, not by the screen below, so a fast ``enter 1 a`` can never switch layer or
label the text by mistake.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from layerkit.model import Annotation
from layerkit.schema.models import LayerSchema, SchemaField
from layerkit.tui.compositor import use_line_compositor
from layerkit.tui.relations import LabelChoice, accepts, label_choices
from layerkit.tui.rendering import label_colour
from layerkit.tui.screens.dimmed import DimmingModal

HINTS = "123456789abcdefghijklmnopqrstuvwxyz"
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


class RelationPicker(DimmingModal[Picked | None]):
    """Target span (when ``targets`` are given), then label; dismissed with the choice."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back, or cancel"),
        # The list has enter too; this one serves keys typed before it has the focus.
        Binding("enter", "choose", "Pick the highlighted line", show=False),
    ]

    def __init__(
        self,
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
        """``linked`` maps target ids to the label of a relation already linking them."""
        super().__init__()
        use_line_compositor(self)
        self.ask(
            title, text, schema, fields, targets, start=start, preferred=preferred, linked=linked
        )

    def ask(
        self,
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
        """Set the questions; on a dialog already built, ask them at once. A dialog kept between
        uses opens in one frame, where building one takes several."""
        self.question = title
        self.text = text
        self.schema = schema
        self.fields = list(fields)
        self.targets = list(targets)
        self.start = start
        self.preferred = preferred
        self.linked = dict(linked or {})
        self.target: Annotation | None = None
        self.choices = [] if self.targets else label_choices(self.fields)
        if self.is_mounted:
            self.options.set_options(self._first_question(self.query_one("#picker-box")))
            self._highlight_likeliest()
            self.options.focus()

    def compose(self) -> ComposeResult:
        """The first question, asked as the dialog is built, so the keys typed right after the
        one that opened it find it there."""
        with Vertical(id="picker-box") as box:
            yield OptionList(*self._first_question(box), id="picker-options")

    def on_mount(self) -> None:
        # An OptionList highlights its first line when mounted; the likeliest one is wanted.
        self._highlight_likeliest()

    def _first_question(self, box: Widget) -> list[Option]:
        return self._target_question(box) if self.targets else self._label_question(box)

    def _highlight_likeliest(self) -> None:
        self.options.highlighted = self.start if self.phase == "target" else self._preferred()

    @property
    def phase(self) -> str:
        """``target`` or ``label``: which question is on screen."""
        return "label" if self.choices else "target"

    @property
    def options(self) -> OptionList:
        return self.query_one("#picker-options", OptionList)

    def _ask_target(self, highlight: int) -> None:
        self.choices = []
        options = self.options
        options.set_options(self._target_question(self.query_one("#picker-box")))
        options.highlighted = highlight

    def _ask_label(self, target: Annotation) -> None:
        self.target = target
        self.choices = label_choices([f for f in self.fields if accepts(f, target)])
        if len(self.choices) == 1:  # nothing to ask (e.g. SOURCE): one key less
            choice = self.choices[0]
            self.dismiss(Picked(choice.field, choice.label.name, target))
            return
        options = self.options
        options.set_options(self._label_question(self.query_one("#picker-box")))
        options.highlighted = self._preferred()

    def _target_question(self, box: Widget) -> list[Option]:
        box.border_title = f"{self.question} → which span?"
        box.border_subtitle = "1–9 a–z or ↑↓ ⏎ pick · esc cancel"
        width = max((len(t.label or "") for t in self.targets), default=0)
        return [Option(self._target_prompt(i, t, width)) for i, t in enumerate(self.targets)]

    def _label_question(self, box: Widget) -> list[Option]:
        target = self.target
        where = f" → «{self._snippet(target, 30)}»" if target is not None else ""
        box.border_title = f"{self.question}{where}: which label?"
        back = "back" if self.targets else "cancel"
        shift = (
            " (⇧: then its attributes)"
            if any(_has_attributes(c.field) for c in self.choices)
            else ""
        )
        box.border_subtitle = f"label key{shift} or ↑↓ ⏎ · esc {back}"
        several = len({c.field.name for c in self.choices}) > 1
        width = max((len(c.label.name) for c in self.choices), default=0)
        return [Option(self._label_prompt(c, several, width)) for c in self.choices]

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
            self.dismiss(Picked(choice.field, choice.label.name, self.target, then_attributes))

    def action_choose(self) -> None:
        highlighted = self.options.highlighted
        if highlighted is not None:
            self._pick(highlighted)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._pick(event.option_index)

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
            self.dismiss(None)


def _has_attributes(field: SchemaField) -> bool:
    """Whether the attribute editor has something to show for a relation of ``field``."""
    from layerkit.tui.screens.attributes import EDITABLE_TYPES

    return any(a.type in EDITABLE_TYPES for a in field.attributes)
