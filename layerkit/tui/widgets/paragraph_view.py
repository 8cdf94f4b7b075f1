"""The paragraph's text with the current layer's annotations, a token cursor and a selection.

A line-API widget: the text is wrapped once per width (``rendering.wrap``) and each screen line
is cut from one styled ``Text``, so the widget knows which line holds the cursor and scrolls to
it. Moving the cursor restyles a few hundred characters and touches no database.

Label keys are the schema's, bound to this widget per layer; the keys the app itself uses were
already left out of the key map (see ``keymap``), so they still reach the app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingsMap, BindingType
from textual.geometry import Size

# Textual's own character → key-name rule ("+" → "plus"), so bindings match its Key events.
from textual.keys import _character_to_key
from textual.strip import Strip

from layerkit.model import Annotation, is_suggestion
from layerkit.schema.models import LayerSchema
from layerkit.tui.clauses import clause_at, next_clause_selection
from layerkit.tui.keymap import KeyMap
from layerkit.tui.messages import (
    AttributeStepRequested,
    DeleteRequested,
    LabelRequested,
    PanelResized,
    SelectionChanged,
    tell_screen,
)
from layerkit.tui.model import (
    ParagraphData,
    Selection,
    covering,
    sentence_index,
    sentence_token_range,
    token_at,
)
from layerkit.tui.phrases import next_phrase_selection, phrase_at
from layerkit.tui.rendering import (
    RecentRenders,
    line_of,
    line_pieces,
    styled_paragraph,
    unsure,
    wrap,
)
from layerkit.tui.widgets.focus_look import FocusLook
from layerkit.tui.widgets.frame_idle import RefreshAfterKey
from layerkit.tui.widgets.lean_lines import LeanLines
from layerkit.tui.widgets.scrolling import SteadyScrollbars
from layerkit.tui.widgets.style_cache import CachedRichStyle

# Hint letters, easiest to type first (home row, then the rows above and below).
HINT_LETTERS = "asdfghjklqwertyuiopzxcvbnm"
HINT_STYLE = Style(color="black", bgcolor="yellow", bold=True)


def hint_labels(count: int, cursor: int = 0) -> list[str]:
    """One label per token, none the beginning of another: as many single letters as can be
    kept while the remaining letters, as first letters of pairs, still label every other token
    (avy's scheme). The tokens nearest the cursor get the single, easiest letters, so most
    jumps take two keys (``;`` and a letter) and none more than three."""
    letters = HINT_LETTERS
    n = len(letters)
    singles = n
    while singles > 0 and singles + (n - singles) * n < count:
        singles -= 1
    pool = list(letters[:singles])
    pool += [a + b for a in letters[singles:] for b in letters]
    pool = pool[:count]
    by_distance = sorted(range(count), key=lambda i: (abs(i - cursor), i))
    labels = [""] * count
    for label, index in zip(pool, by_distance, strict=False):
        labels[index] = label
    return labels


# Words a span rarely starts at (a preposition, a conjunction, a particle, punctuation): the
# next free word skips them.
FUNCTION_UPOS = frozenset({"ADP", "CCONJ", "SCONJ", "PART", "PUNCT", "SYM", "AUX", "DET", "INTJ"})


class ParagraphView(
    SteadyScrollbars, CachedRichStyle, LeanLines, FocusLook, RefreshAfterKey, can_focus=True
):
    """Token-cursor editor over one paragraph's text."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "move(-1)", "Previous token", show=False),
        Binding("right", "move(1)", "Next token", show=False),
        Binding("shift+left", "extend(-1)", "Extend selection left", show=False),
        Binding("shift+right", "extend(1)", "Extend selection right", show=False),
        Binding("up", "sentence(-1)", "Previous sentence", show=False),
        Binding("down", "sentence(1)", "Next sentence", show=False),
        Binding("shift+up", "extend_sentence(-1)", "Extend to sentence start", show=False),
        Binding("shift+down", "extend_sentence(1)", "Extend to sentence end", show=False),
        Binding("home", "edge(-1)", "First token", show=False),
        Binding("end", "edge(1)", "Last token", show=False),
        Binding("escape", "collapse", "Shrink selection to the cursor", show=False),
        # Enter acts on what is under the cursor: a token's analysis on a layer of tokens, a
        # span's links on a layer with relations. The screen enables the one the layer has,
        # and acts at once, before any key typed after enter, which then goes to its dialog.
        Binding(
            "enter",
            "screen.edit_token",
            "Edit",
            tooltip="Edit the token's lemma, UPOS and FEATS (layers of tokens)",
        ),
        Binding(
            "enter",
            "screen.link",
            "Link",
            tooltip="Link the span under the cursor to another span: pick it, then the label",
        ),
        Binding(
            "delete,backspace",
            "delete",
            "Delete",
            key_display="del",
            tooltip="Delete the annotation under the cursor (the innermost one)",
        ),
        Binding("pagedown", "screen.step_paragraph(1)", "Next paragraph", show=False),
        Binding("pageup", "screen.step_paragraph(-1)", "Previous paragraph", show=False),
        Binding(
            "semicolon",
            "hints(False)",
            "Jump",
            key_display=";",
            tooltip="Jump: every token shows a letter or two; type them to move the cursor there "
            "(the last one as a capital: and open the token editor there, on the lexical layer)",
        ),
        Binding(
            "apostrophe",
            "next_unsure(1)",
            "Next doubtful",
            key_display="'",
            tooltip="Next token to check: the model's doubtful analyses first, then any it made "
            "that nobody confirmed (wraps around)",
        ),
        Binding(
            "quotation_mark",
            "review_next",
            "Review next",
            key_display='"',
            show=False,  # the key bar keeps ' (Next doubtful); help lists this one
            tooltip="The next token to check, opened in the token editor: a digit takes that "
            "reading, enter keeps the model's (one key less than ' then enter)",
        ),
        Binding(
            "right_square_bracket",
            "verb(1)",
            "Next verb",
            key_display="]",
            show=False,
            tooltip="Next verb (by the lexical layer's analyses): where the next predicate "
            "most likely is. [ goes to the previous one",
        ),
        Binding("left_square_bracket", "verb(-1)", "Previous verb", key_display="[", show=False),
        Binding(
            "space",
            "next_free(1)",
            "Next free word",
            key_display="space",
            show=False,
            tooltip="Next content word (by the lexical layer) that no span of this layer covers "
            "yet, with its phrase or clause where the layer's spans are phrases or clauses: "
            "the next span when spans are entered in text order",
        ),
        Binding(
            "greater_than_sign",
            "lower_span(1)",
            "Next unit below",
            key_display=">",
            show=False,
            tooltip="Select the next span of the layer below (a logical unit, on the epistemic "
            "layer): most factualities are the units. < selects the previous one",
        ),
        Binding(
            "less_than_sign", "lower_span(-1)", "Previous unit below", key_display="<", show=False
        ),
        Binding(
            "minus",
            "phrase",
            "Phrase",
            key_display="-",
            show=False,
            tooltip="Select the noun phrase under the cursor (its preposition, adjectives and "
            "genitive nouns, by the lexical layer); again: add a phrase joined by «и», «или»",
        ),
        Binding(
            "full_stop",
            "clause",
            "Clause",
            key_display=".",
            show=False,
            tooltip="Select the clause under the cursor (without its opening «но», «потому "
            "что» ...); again: add the next clause of the sentence",
        ),
        Binding(
            "plus",
            "add_next",
            "Add another span",
            key_display="+",
            show=False,
            tooltip="The next label key adds a span over the same words as one that is there "
            "(the same words, two roles), instead of relabelling it",
        ),
        Binding(
            "comma",
            "hints(True)",
            "Select to",
            key_display=",",
            show=False,
            tooltip="Select from the cursor to a token: type its letters as shown",
        ),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.data: ParagraphData | None = None
        self.schema: LayerSchema | None = None
        self.keymap = KeyMap()
        self.selection: Selection | None = None
        self._styled = Text()
        self._lines: list[tuple[int, int]] = []
        #: the lines of ``_pieces_of`` (a styled text) as styled texts: _line_pieces
        self._pieces: list[Text] = []
        self._pieces_of: Text | None = None
        self._wrapped_width = -1
        self._strips: dict[int, Strip] = {}
        # screen line -> (its rendered line, width, style, the line as shown): render_line
        self._shown: dict[int, tuple[Strip, int, Style, Strip]] = {}
        # the rendered lines of the last few styled texts, by width: _recall_strips
        self._recent: RecentRenders[dict[int, Strip]] = RecentRenders()
        # the paragraph drawn ahead last (draw_ahead), styled and wrapped
        self._ahead: _Ahead | None = None
        # Jump hints on screen: label → token index, what is typed so far, and whether the
        # jump extends the selection (``,``) or moves the cursor (``;``).
        self._hints: dict[str, int] = {}
        self._edit_after_jump = False  # a capital hint letter was typed: open the token editor
        self._typed = ""
        self._extend = False
        self._normal_bindings: BindingsMap | None = None
        # ``+`` was pressed: the next label key adds a span rather than relabelling one
        self._adding = False
        #: the span arguments are linked to when labelled (shown double-underlined)
        self.anchor_id: int | None = None
        #: the layers below this one, nearest first (set by the screen): ``>`` walks their spans
        self.lower: tuple[str, ...] = ()

    # --- content -------------------------------------------------------------------------------

    def show(
        self, data: ParagraphData | None, schema: LayerSchema, keymap: KeyMap, *, keep: bool
    ) -> None:
        """Show a paragraph on a layer. ``keep`` keeps the selection (same paragraph, reloaded)."""
        same = keep and self.data is not None and data is not None and self.data.id == data.id
        # The same paragraph on the same layer, reloaded after an edit: its text is wrapped as
        # it was and only the lines whose styles changed are repainted. Another layer or
        # paragraph is drawn whole, or recalled if drawn lately (_recall_strips).
        rewrap = not (
            same
            and schema is self.schema
            and self.data is not None
            and data is not None
            and self.data.text == data.text
        )
        if not same:
            self._adding = False
        if self._hints:
            self._end_hints()
        self.data, self.schema = data, schema
        if keymap is not self.keymap:
            self._bind_label_keys(keymap)
        tokens = data.tokens if data is not None else []
        if not tokens:
            self.selection = None
        elif not same or self.selection is None:
            self.selection = Selection(0, 0)
            self.scroll_to(y=0, animate=False)
        else:
            last = len(tokens) - 1
            self.selection = Selection(
                min(self.selection.anchor, last), min(self.selection.cursor, last)
            )
        if rewrap:
            self._wrapped_width = -1
        self._restyle()

    # --- jump hints (avy/easymotion): any token in at most three keys --------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The next-to-check key only on a layer of tokens (hidden from the key bar elsewhere)."""
        if action in ("next_unsure", "review_next"):
            schema = self.schema
            return schema is not None and any(f.kind == "token" for f in schema.fields)
        return True

    async def action_review_next(self) -> None:
        """The next token to check (as ``'``), opened in the token editor at once."""
        if self._next_unsure(1):
            await self.run_action("screen.edit_token")

    def action_next_unsure(self, step: int) -> None:
        self._next_unsure(step)

    def _next_unsure(self, step: int) -> bool:
        """Move to the next token whose analysis a person should look at: a doubtful model
        analysis if any is left, else any unconfirmed model analysis, after the cursor
        (wrapping around). False when there is none."""
        if self.data is None or self.schema is None or self.selection is None:
            return False
        tokens = self.data.tokens
        by_offsets = {
            (a.start, a.end): a
            for a in self.data.of_layer(self.schema.layer, "token")
            if a.start is not None
        }
        analyses = [by_offsets.get((s, e)) for s, e in tokens]
        doubtful = [i for i, a in enumerate(analyses) if a is not None and unsure(a)]
        unconfirmed = [
            i for i, a in enumerate(analyses) if a is not None and is_suggestion(a.origin)
        ]
        found = doubtful or unconfirmed
        if not found:
            said = "Every analysis here is confirmed." if by_offsets else "Nothing to check here."
            self.notify(said, timeout=2)
            return False
        cursor = self.selection.cursor
        after = [i for i in found if (i - cursor) * step > 0]
        target = (min(after) if step > 0 else max(after)) if after else found[0 if step > 0 else -1]
        self._select(Selection(target, target))
        return True

    def action_hints(self, extend: bool) -> None:
        """Show a hint on every token; the next keys pick one (see :func:`hint_labels`)."""
        if self.data is None or not self.data.tokens or self.selection is None:
            return
        labels = hint_labels(len(self.data.tokens), self.selection.cursor)
        self._hints = {label: i for i, label in enumerate(labels) if label}
        self._typed = ""
        self._extend = extend
        # While hints show, letters pick a hint (not a label) and escape cancels: this widget's
        # bindings are swapped for those keys only, so they are handled in order like any key.
        self._normal_bindings = self._bindings
        hinting = BindingsMap()
        for letter in HINT_LETTERS:
            hinting.bind(letter, f"hint({letter!r})", show=False)
            # a capital letter jumps and acts at once, as avy's action keys do: on a layer of
            # tokens it opens the token editor there (the jump and ``enter`` in one key)
            hinting.bind(letter.upper(), f"hint({letter!r}, True)", show=False)
        # shown in the key bar: what to type, and how to get out (nothing said either)
        hinting.bind(
            "escape",
            "hint_cancel",
            "Cancel · type a token's letters to jump (capital: and edit)",
            show=True,
            key_display="esc",
        )
        self._bindings = hinting
        self.screen.refresh_bindings()
        self._restyle()

    def action_hint(self, letter: str, edit: bool = False) -> None:
        typed = self._typed + letter
        self._edit_after_jump = self._edit_after_jump or edit
        if typed in self._hints:
            target = self._hints[typed]
            extend, edit = self._extend, self._edit_after_jump
            self._end_hints()
            anchor = self.selection.anchor if extend and self.selection is not None else target
            self._select(Selection(anchor, target))
            if (
                edit
                and self.schema is not None
                and any(f.kind == "token" for f in self.schema.fields)
            ):
                # right after this key, before the next one is handled
                self.call_next(self.run_action, "screen.edit_token")
        elif any(label.startswith(typed) for label in self._hints):
            self._typed = typed
            self._restyle()
        else:
            self._end_hints()

    def action_hint_cancel(self) -> None:
        self._end_hints()

    @property
    def hinting(self) -> bool:
        return bool(self._hints)

    def _end_hints(self) -> None:
        self._hints = {}
        self._typed = ""
        self._edit_after_jump = False
        if self._normal_bindings is not None:
            self._bindings = self._normal_bindings
            self._normal_bindings = None
            self.screen.refresh_bindings()
        self._restyle()

    def _with_hints(self, styled: Text) -> Text:
        """The paragraph with each token's hint (what is left of it to type) written over the
        token's first characters: same length, so offsets and wrapping do not move."""
        assert self.data is not None
        plain = list(styled.plain)
        spans: list[tuple[int, int]] = []
        for label, index in self._hints.items():
            if not label.startswith(self._typed):
                continue
            rest = label[len(self._typed) :]
            start = self.data.tokens[index][0]
            end = min(start + len(rest), len(plain))
            if plain[start:end] and "\n" not in plain[start:end]:
                plain[start:end] = rest[: end - start]
                spans.append((start, end))
        shown = styled.copy()
        shown.plain = "".join(plain)
        for start, end in spans:
            shown.stylize(HINT_STYLE, start, end)
        return shown

    def _bind_label_keys(self, keymap: KeyMap) -> None:
        """Make the layer's label keys bindings of this widget.

        As bindings they are handled at the same point as the arrows and the screen's keys, in
        the order typed: a fast ``→ shift+→ p`` or ``ctrl+n p`` can never label a stale
        selection or the previous paragraph, as handling them earlier (in ``on_key``) could.
        """
        self.keymap = keymap
        self._bindings = BindingsMap()
        for key, entry in keymap.keys.items():
            self._bindings.bind(
                _character_to_key(key), f"label({key!r})", entry.label.name, show=False
            )
        for key, step in keymap.attribute_keys.items():
            self._bindings.bind(
                _character_to_key(key), f"attribute({key!r})", step.attribute.name, show=False
            )
        # The view's own keys after the layer's: a schema's label key wins where both use one
        # (``+`` is POSITIVE on the pragmatic layer, "add another span" elsewhere).
        own = type(self)._merged_bindings
        for key, bindings in (own.key_to_bindings if own is not None else {}).items():
            self._bindings.key_to_bindings.setdefault(key, []).extend(bindings)
        if self.is_mounted:
            self.screen.refresh_bindings()

    def set_anchor(self, anchor_id: int | None) -> None:
        """Show which span the arguments labelled next are linked to."""
        if anchor_id != self.anchor_id:
            self.anchor_id = anchor_id
            self._restyle()

    def select_offsets(self, start: int, end: int) -> None:
        """Select the tokens covering ``[start, end)`` (an annotation chosen in the side panel)."""
        if self.data is None or not self.data.tokens:
            return
        tokens = self.data.tokens
        first = token_at(tokens, start)
        last = max(token_at(tokens, max(end - 1, start)), first)
        self._select(Selection(first, last))

    def select_token(self, index: int) -> None:
        """Put the cursor on token ``index`` (the token table's cursor moved)."""
        if self.data is not None and 0 <= index < len(self.data.tokens):
            self._select(Selection(index, index))

    @property
    def cursor_token(self) -> int | None:
        return self.selection.cursor if self.selection is not None else None

    @property
    def cursor_offsets(self) -> tuple[int, int] | None:
        if self.data is None or self.selection is None:
            return None
        return self.data.tokens[self.selection.cursor]

    @property
    def offsets(self) -> tuple[int, int] | None:
        if self.data is None or self.selection is None:
            return None
        return self.selection.offsets(self.data.tokens)

    def focused_annotation(self) -> Annotation | None:
        """The annotation an edit acts on: one matching the selection exactly, else the
        innermost one under the cursor token."""
        if self.data is None or self.schema is None or self.selection is None:
            return None
        return _focused(self.data, self.schema, self.selection)

    def focused_suggestion(self) -> Annotation | None:
        """The model suggestion an accept acts on: as :meth:`focused_annotation`, among the
        suggestions only (a second suggestion over the same words, PLACE under an accepted
        PREDICATE, is reached too)."""
        if self.data is None or self.schema is None or self.selection is None:
            return None
        return _focused(
            self.data, self.schema, self.selection, among=lambda a: is_suggestion(a.origin)
        )

    # --- actions -----------------------------------------------------------------------------

    def action_move(self, step: int) -> None:
        if self.selection is not None:
            cursor = self._clamp(self.selection.cursor + step)
            self._select(Selection(cursor, cursor))

    def action_extend(self, step: int) -> None:
        if self.selection is not None:
            self._select(
                Selection(self.selection.anchor, self._clamp(self.selection.cursor + step))
            )

    def action_sentence(self, step: int) -> None:
        if self.selection is not None:
            target = self._sentence_edge(step)
            self._select(Selection(target, target))

    def action_extend_sentence(self, step: int) -> None:
        if self.selection is not None:
            self._select(Selection(self.selection.anchor, self._sentence_edge(step, extend=True)))

    def action_edge(self, step: int) -> None:
        if self.data is not None and self.data.tokens:
            target = 0 if step < 0 else len(self.data.tokens) - 1
            self._select(Selection(target, target))

    def action_collapse(self) -> None:
        self._adding = False
        if self.selection is not None:
            self._select(Selection(self.selection.cursor, self.selection.cursor))

    def action_delete(self) -> None:
        target = self.focused_annotation()
        if target is None or target.id is None:
            self.notify("Nothing to delete under the cursor.", severity="warning", timeout=2)
            return
        tell_screen(self, DeleteRequested(target.id, target.version))

    def action_label(self, key: str) -> None:
        """A label key (bound per layer in ``show``): label the selection with it."""
        entry = self.keymap.keys.get(key)
        add, self._adding = self._adding, False
        if entry is None or self.selection is None or self.data is None or self.schema is None:
            return
        if entry.field.kind == "token":
            start, end = self.data.tokens[self.selection.cursor]
        else:
            start, end = self.selection.offsets(self.data.tokens)
        tell_screen(
            self, LabelRequested(entry, start, end, self.data.id, self.schema.layer, add=add)
        )
        if entry.field.kind == "label" and entry.field.scope == "sentence":
            # one key per sentence: its label, and on to the next sentence (the label lands on
            # the sentence the key was pressed in, which the message names by its offsets)
            self.action_sentence(1)

    def action_verb(self, step: int) -> None:
        """Move to the next (``step`` 1) or previous (-1) verb, as a token layer analyses it;
        nothing where no layer has analysed the paragraph's tokens."""
        if self.data is None or self.selection is None:
            return
        verbs = sorted(
            {
                token_at(self.data.tokens, a.start)
                for a in self.data.annotations
                if a.kind == "token" and a.label == "VERB" and a.start is not None
            }
        )
        cursor = self.selection.cursor
        ahead = [i for i in verbs if (i - cursor) * step > 0]
        if ahead:
            target = ahead[0] if step > 0 else ahead[-1]
            self._select(Selection(target, target))

    def action_next_free(self, step: int) -> None:
        """Move to the next (``step`` 1) content word that no span of this layer covers yet:
        not punctuation, not a preposition, conjunction or particle by the lexical layer's
        analyses (any word where there are none). Where the layer's span field says its spans
        are phrases or clauses (``extent`` in the schema), the phrase or clause of that word is
        selected, as ``-`` or ``.`` would, when none of it is covered: the label key then
        finishes the span."""
        if self.data is None or self.selection is None or self.schema is None:
            return
        tokens = self.data.tokens
        covered = [False] * len(tokens)
        for a in self.data.of_layer(self.schema.layer, "span"):
            if a.start is None or a.end is None:
                continue
            for i in range(token_at(tokens, a.start), len(tokens)):
                if tokens[i][0] >= a.end:
                    break
                covered[i] = True
        function = {
            token_at(tokens, a.start)
            for a in self.data.annotations
            if a.kind == "token" and a.start is not None and a.label in FUNCTION_UPOS
        }
        text = self.data.text
        cursor = self.selection.cursor
        order = range(cursor + step, len(tokens) if step > 0 else -1, step)
        for i in order:
            start, end = tokens[i]
            if covered[i] or i in function or not any(ch.isalnum() for ch in text[start:end]):
                continue
            first, last = self._extent_at(i)
            if any(covered[first : last + 1]):
                first = last = i
            self._select(Selection(first, last))
            return

    def _extent_at(self, index: int) -> tuple[int, int]:
        """The tokens (first, last) a span of this layer most often covers around the token at
        ``index``: the word, its noun phrase or its clause (the first span field's ``extent``)."""
        assert self.data is not None and self.schema is not None
        field = next((f for f in self.schema.fields if f.kind == "span"), None)
        extent = field.extent if field is not None else "word"
        if extent == "phrase":
            return phrase_at(self.data.text, self.data.tokens, self._analyses(), index)
        if extent == "clause":
            found = clause_at(self.data.text, self.data.tokens, self.data.sentences, index)
            if found is not None:
                return found
        return index, index

    def _analyses(self) -> dict[int, tuple[str, str]]:
        """Each token's (UPOS, FEATS) by the token layer's analyses, keyed by token index."""
        assert self.data is not None
        index = {start: i for i, (start, _end) in enumerate(self.data.tokens)}
        return {
            index[a.start]: (a.label or "", str((a.attrs or {}).get("feats") or ""))
            for a in self.data.annotations
            if a.kind == "token" and a.start in index
        }

    def action_lower_span(self, step: int) -> None:
        """Select the next (``step`` 1) or previous (-1) span of the nearest layer below that
        has spans here, in text order from the selection; the first one from the cursor when
        the selection is none of them."""
        if self.data is None or self.selection is None:
            return
        tokens = self.data.tokens
        for layer in self.lower:
            extents = sorted(
                {
                    (a.start, a.end)
                    for a in self.data.of_layer(layer, "span")
                    if a.start is not None and a.end is not None and a.end > a.start
                },
                key=lambda e: (e[0], -e[1]),
            )
            if extents:
                break
        else:
            return
        here = self.selection.offsets(tokens)
        if here in extents:
            index = extents.index(here) + step
            if not 0 <= index < len(extents):
                return
            start, end = extents[index]
        else:
            ahead = [e for e in extents if (e[0] >= here[0] if step > 0 else e[0] < here[0])]
            if not ahead:
                return
            start, end = ahead[0] if step > 0 else ahead[-1]
        self.select_offsets(start, end)

    def action_phrase(self) -> None:
        """Select the noun phrase under the cursor, or grow a selected one by a coordinated
        phrase."""
        if self.data is None or self.selection is None:
            return
        found = next_phrase_selection(
            self.data.text,
            self.data.tokens,
            self._analyses(),
            (self.selection.anchor, self.selection.cursor),
            self.selection.cursor,
        )
        if found is not None:
            self._select(Selection(*found))

    def action_clause(self) -> None:
        """Select the clause under the cursor, or grow a selected clause by the next one."""
        if self.data is None or self.selection is None:
            return
        found = next_clause_selection(
            self.data.text,
            self.data.tokens,
            self.data.sentences,
            (self.selection.anchor, self.selection.cursor),
            self.selection.cursor,
        )
        if found is not None:
            self._select(Selection(*found))

    def action_add_next(self) -> None:
        """``+``: the next label key adds a span even where one of its field covers the same
        words (normally it relabels that one)."""
        if self.schema is None or not any(f.kind == "span" for f in self.schema.fields):
            return
        self._adding = True
        self.notify("Next label adds another span over the same words.", timeout=2)

    def action_attribute(self, key: str) -> None:
        """An attribute key (bound per layer in ``show``): step that attribute of the span
        under the cursor to its next value (see ``editing.attribute_target``)."""
        self._adding = False
        step = self.keymap.attribute_keys.get(key)
        if step is None or self.data is None or self.selection is None or self.schema is None:
            return
        start, end = self.selection.offsets(self.data.tokens)
        cursor = self.data.tokens[self.selection.cursor]
        tell_screen(
            self, AttributeStepRequested(step, start, end, cursor, self.data.id, self.schema.layer)
        )

    # --- cursor helpers ------------------------------------------------------------------------

    def _clamp(self, index: int) -> int:
        assert self.data is not None
        return max(0, min(index, len(self.data.tokens) - 1))

    def _sentence_edge(self, step: int, *, extend: bool = False) -> int:
        """Previous/next sentence start; when extending, the edge of the cursor's sentence
        first, then of the neighbouring one."""
        assert self.data is not None and self.selection is not None
        tokens, sentences = self.data.tokens, self.data.sentences
        cursor = self.selection.cursor
        ranges = [r for s in sentences if (r := sentence_token_range(tokens, s)) is not None]
        if not ranges:
            return cursor
        here = sentence_index(sentences, tokens[cursor][0])
        index = next((i for i, r in enumerate(ranges) if r[0] <= cursor <= r[1]), 0)
        if here is None:
            index = next((i for i, r in enumerate(ranges) if r[0] > cursor), len(ranges) - 1)
        first, last = ranges[index]
        if extend:
            if step > 0:
                return last if cursor < last else ranges[min(index + 1, len(ranges) - 1)][1]
            return first if cursor > first else ranges[max(index - 1, 0)][0]
        if step > 0:
            return ranges[min(index + 1, len(ranges) - 1)][0]
        return first if cursor > first else ranges[max(index - 1, 0)][0]

    def _select(self, selection: Selection) -> None:
        if selection == self.selection:
            return
        self.selection = selection
        self._restyle()
        self._scroll_to_cursor()
        if self.data is not None:
            tell_screen(self, SelectionChanged(*selection.offsets(self.data.tokens)))

    # --- rendering -----------------------------------------------------------------------------

    def _restyle(self) -> None:
        before = self._styled
        if self.data is None or self.schema is None:
            self._styled = Text(
                "No paragraph: the store is empty (bring texts in with `layerkit import FILE`, "
                "then start again) or the filter keeps none (shift+tab, then f changes it)."
            )
        else:
            ahead = self._ahead
            if (
                ahead is not None
                and ahead.data is self.data
                and ahead.schema is self.schema
                and ahead.anchor_id == self.anchor_id
                and self.selection == Selection(0, 0)
            ):
                self._styled = ahead.styled  # as draw_ahead styled it (the same inputs)
            else:
                self._styled = _styled(self.data, self.schema, self.selection, self.anchor_id)
            if self._hints:
                self._styled = self._with_hints(self._styled)
        if self._repaint_changed_lines(before):
            return
        self._strips = {}
        self._rewrap()
        self._recall_strips()
        self.refresh()

    def draw_ahead(self, data: ParagraphData, schema: LayerSchema, anchor_id: int | None) -> None:
        """Draw the first screenful of a paragraph this view is likely to show next (the one
        ctrl+n opens) exactly as :meth:`show` will, and keep it with the recent drawings
        (``_recent``): when it is shown, its lines are recalled instead of rendered in the
        key's time (rendering a new paragraph's lines is about a quarter of that key). Run
        while the annotator reads (the screen's read-ahead); a drawing that turns out not to
        be the one shown (another layer by then, an edit) is simply never found."""
        width = max(self.line_width, 10)
        if width != self._wrapped_width or not data.tokens or self._hints:
            return  # not laid out yet, or hints on screen: show() would not recall it
        styled = _styled(data, schema, Selection(0, 0), anchor_id)
        lines = wrap(styled.plain, width)
        # styled and wrapped once: show() takes both from here when its inputs are these
        self._ahead = _Ahead(data, schema, anchor_id, width, styled, lines)
        if self._recent.find(styled, width) is not None:
            return
        style = self.rich_style
        strips: dict[int, Strip] = {}
        shown = lines[: self.scrollable_content_region.height]
        for index, piece in enumerate(line_pieces(styled, shown)):
            strip = strips[index] = self._rendered(piece)
            # as render_line will hand it over (Strip keeps the result), and framed
            self.frame_ahead(_shown_line(strip, self.line_width, style))
        self._recent.remember(styled, width, strips)

    def _recall_strips(self) -> None:
        """Take the rendered lines of a styled text shown lately at this width, if the text is
        styled exactly the same (back on a layer or a paragraph just seen): rendering the lines
        is most of what a redraw costs. Else remember these lines (filled as they render)."""
        strips = self._recent.find(self._styled, self._wrapped_width)
        if strips is not None:
            self._strips = strips
        else:
            self._recent.remember(self._styled, self._wrapped_width, self._strips)

    def _repaint_changed_lines(self, before: Text) -> bool:
        """Repaint only the lines whose styles changed (a cursor move touches one or two), if
        the text and its wrapping are what they were; False when everything must be redrawn.
        A keypress then costs the lines it changes, not the whole paragraph."""
        width = max(self.scrollable_content_region.width, 10)
        after = self._styled
        if not self._lines or width != self._wrapped_width or before.plain != after.plain:
            return False
        old = self._pieces if self._pieces_of is before else line_pieces(before, self._lines)
        new = self._line_pieces()
        changed = [index for index, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
        if changed:
            # a new dict: the one replaced may be remembered with the text it renders
            self._strips = {i: strip for i, strip in self._strips.items() if i not in changed}
            for index in changed:
                self.refresh_line(index)
        return True

    def _line_pieces(self) -> list[Text]:
        """The styled text of each screen line, cut once per styled text and wrapping."""
        if self._pieces_of is not self._styled or len(self._pieces) != len(self._lines):
            self._pieces = line_pieces(self._styled, self._lines)
            self._pieces_of = self._styled
        return self._pieces

    def _rewrap(self) -> None:
        width = max(self.line_width, 10)
        if width != self._wrapped_width:
            ahead = self._ahead
            if ahead is not None and ahead.styled is self._styled and ahead.width == width:
                self._lines = list(ahead.lines)  # wrapped by draw_ahead
            else:
                self._lines = wrap(self._styled.plain, width)
            self._pieces_of = None
            self._wrapped_width = width
            self._strips = {}
            # Never smaller than the view: a paragraph that fits then leaves the virtual size
            # as it was.
            height = max(len(self._lines), self.scrollable_content_region.height)
            self.set_virtual_size(Size(width, height))

    def on_resize(self, _event: events.Resize) -> None:
        self._rewrap()
        self._scroll_to_cursor()
        tell_screen(self, PanelResized())

    def _scroll_to_cursor(self) -> None:
        if self.data is None or self.selection is None or not self._lines:
            return
        line = line_of(self._lines, self.data.tokens[self.selection.cursor][0])
        height = self.scrollable_content_region.height
        top = round(self.scroll_y)
        if line < top:
            self.scroll_to(y=line, animate=False)
        elif height and line >= top + height:
            self.scroll_to(y=line - height + 1, animate=False)

    def render_line(self, y: int) -> Strip:
        self._rewrap()
        index = round(self.scroll_y) + y
        width = self.line_width
        strip = self._strips.get(index)
        if strip is None:
            if index < len(self._lines):
                strip = self._rendered(self._line_pieces()[index])
            else:
                strip = Strip.blank(0)
            self._strips[index] = strip
        style = self.rich_style
        # The same line, width and style give the same strip object: the frame drawn around
        # it last time (LeanLines) is then reused as it is.
        shown = self._shown.get(y)
        if shown is not None and shown[0] is strip and shown[1] == width and shown[2] is style:
            return shown[3]
        line = _shown_line(strip, width, style)
        self._shown[y] = (strip, width, style, line)
        return line

    def _rendered(self, piece: Text) -> Strip:
        """A screen line's styled text rendered (render_line and draw_ahead alike: a line
        drawn ahead must be the one drawing it now gives)."""
        piece = piece.copy()
        piece.end = ""
        return Strip(piece.render(self.app.console))


def _shown_line(strip: Strip, width: int, style: Style) -> Strip:
    """A rendered line as the view hands it over: cut or padded to ``width``, in ``style``
    (Strip keeps both results, so the same call again returns the same object)."""
    return strip.crop_extend(0, width, style).apply_style(style)


@dataclass(frozen=True)
class _Ahead:
    """A paragraph drawn ahead: what it was drawn from, its styled text and its wrapping."""

    data: ParagraphData
    schema: LayerSchema
    anchor_id: int | None
    width: int
    styled: Text
    lines: list[tuple[int, int]]


def _focused(
    data: ParagraphData,
    schema: LayerSchema,
    selection: Selection,
    among: Callable[[Annotation], bool] | None = None,
) -> Annotation | None:
    """:meth:`ParagraphView.focused_annotation` for ``data`` shown with ``selection``, of the
    annotations ``among`` keeps (all when None)."""
    mine = [
        a
        for a in data.of_layer(schema.layer)
        if a.kind in ("token", "span", "label")
        and a.start is not None
        and (among is None or among(a))
    ]
    start, end = selection.offsets(data.tokens)
    for a in mine:
        if (a.start, a.end) == (start, end):
            return a
    cursor = data.tokens[selection.cursor]
    under = covering(mine, *cursor)
    return under[0] if under else None


def _styled(
    data: ParagraphData, schema: LayerSchema, selection: Selection | None, anchor_id: int | None
) -> Text:
    """The paragraph's text styled as the view shows it on ``schema``'s layer with
    ``selection`` (jump hints aside): :meth:`ParagraphView.draw_ahead` must draw exactly
    what showing it will."""
    tokens = data.tokens
    offsets = cursor = None
    focused = None
    if selection is not None:
        offsets = selection.offsets(tokens)
        cursor = tokens[selection.cursor]
        focused = _focused(data, schema, selection)
    return styled_paragraph(
        data.text,
        schema,
        data.annotations,
        tokens,
        offsets,
        cursor,
        focused,
        data.by_id(anchor_id) if anchor_id is not None else None,
    )
