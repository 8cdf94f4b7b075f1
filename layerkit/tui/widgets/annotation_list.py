"""Side panel: one line per annotation of the open paragraph, filled in one of three ways.

* A layer's annotations in text order: spans, sentence labels and tokens with their text,
  relations as ``«source» —LABEL→ «target»``, paragraph labels and free texts with their value.
* On a layer of per-token analyses (lexical), a token table: a header, then one line per token
  of the paragraph (form, lemma, UPOS, FEATS), tokens without an analysis included; its cursor
  and the text's move together. A model's unsure suggestion is yellow, a missing one red.
* Context: the annotations of the layers below the current one, read-only, interleaved in text
  order, with the lines under the text cursor in bold; so a frame is marked with the lemmas in
  view, a discourse relation with the frames.

The entry under the text cursor is highlighted, so when spans overlap it is clear which one
``delete`` acts on; focused, the panel is a second way to pick one (enter selects it in the
text, ``e`` edits it, delete deletes it).

A line-API widget rather than an ``OptionList``: its virtual height never drops below the
panel's height, so showing another paragraph (another number of entries) repaints the panel
instead of laying out the whole screen, which would cost more than a frame.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache, partial
from typing import ClassVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.strip import Strip

from layerkit.model import Annotation, is_suggestion
from layerkit.schema.models import LayerSchema
from layerkit.tui.lexical import TokenRow, token_field, token_rows
from layerkit.tui.messages import (
    AnnotationChosen,
    DeleteRequested,
    PanelResized,
    TokenHighlighted,
    tell_screen,
)
from layerkit.tui.model import ParagraphData
from layerkit.tui.rendering import label_colour, unsure
from layerkit.tui.widgets.drawn_lines import DrawnLines
from layerkit.tui.widgets.focus_look import FocusLook
from layerkit.tui.widgets.frame_idle import RefreshAfterKey
from layerkit.tui.widgets.lean_lines import LeanLines
from layerkit.tui.widgets.scrolling import SteadyScrollbars
from layerkit.tui.widgets.style_cache import CachedRichStyle
from layerkit.tui.widgets.titles import set_border_title

SNIPPET = 40
FORM_CELLS = 12
LEMMA_CELLS = 12
UPOS_CELLS = 5
_KIND_ORDER = {"token": 0, "span": 0, "label": 1, "relation": 2, "text": 3}
_MARKED = Style(bold=True)
_UNSURE = Style(color="yellow")
_MISSING = Style(color="red", bold=True)


class Row:
    """One line: what it shows, and what it stands for (an annotation, a token, or both).

    A token table's line is made when it is first drawn (``make``): a paragraph's table has a
    line per token, a hundred, of which a screenful is drawn, and making them all took 1.2 ms
    of each switch to a paragraph on the lexical layer (100k store). ``look`` says what the
    line shows, to tell a changed line without making it."""

    __slots__ = ("_make", "_text", "annotation", "end", "look", "start", "token")

    def __init__(
        self,
        text: Text | None,
        annotation: Annotation | None = None,
        token: int | None = None,
        # The text it covers (a relation: its source's), to mark context lines under the
        # cursor.
        start: int | None = None,
        end: int | None = None,
        *,
        make: Callable[[], Text] | None = None,
        look: object = None,
    ) -> None:
        if text is None and make is None:
            raise ValueError("a row needs its text or a way to make it")
        self._text = text
        self._make = make
        self.look: object = text if look is None else look
        self.annotation = annotation
        self.token = token
        self.start = start
        self.end = end

    @property
    def text(self) -> Text:
        if self._text is None:
            assert self._make is not None
            self._text = self._make()
        return self._text


class AnnotationList(
    SteadyScrollbars, CachedRichStyle, LeanLines, FocusLook, RefreshAfterKey, can_focus=True
):
    """The annotations of the open paragraph, on the current layer or the ones below it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
        Binding("enter", "choose", "Select in text", show=False),
        Binding(
            "e",
            "screen.edit_row",
            "Edit",
            tooltip="Edit the highlighted line: a token's lemma, UPOS and FEATS, "
            "or the label of a span or relation",
        ),
        Binding(
            "a",
            "screen.edit_attributes",
            "Attributes",
            tooltip="Edit the highlighted line's text attributes (a relation's connective)",
        ),
        Binding(
            "delete,backspace",
            "delete",
            "Delete",
            key_display="del",
            tooltip="Delete the highlighted annotation",
        ),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: list[Row] = []
        self._header: Text | None = None
        self._by_id: dict[int, int] = {}
        self._by_token: dict[int, int] = {}
        self._marked: frozenset[int] = frozenset()
        # drawn lines by what they show (not by row: after an edit most rows move down or up
        # a line, and a layer shown again shows the same rows)
        self._drawn = DrawnLines(kept=2048)
        self.context = False
        self.highlighted: int | None = None
        #: the paragraph drawn ahead last (draw_ahead): its data, layer, context and content
        self._ahead: tuple[ParagraphData, LayerSchema, tuple[LayerSchema, ...], _Content] | None = (
            None
        )

    def show(
        self,
        data: ParagraphData | None,
        schema: LayerSchema,
        *,
        context: Sequence[LayerSchema] = (),
    ) -> None:
        """Fill the list with ``schema``'s annotations of ``data`` or, given ``context``
        (the layers below, nearest first), with theirs."""
        before = (self._rows, self._header, self.context, self.highlighted)
        self.context = bool(context)
        ahead = self._ahead
        if (
            ahead is not None
            and data is not None
            and ahead[0] is data
            and ahead[1] is schema
            and ahead[2] == tuple(context)
        ):
            self._rows, self._header, title = ahead[3]  # built by draw_ahead
        else:
            self._rows, self._header, title = _content(data, schema, context)
        self._by_id = {
            r.annotation.id: i
            for i, r in enumerate(self._rows)
            if r.annotation is not None and r.annotation.id is not None
        }
        self._by_token = {r.token: i for i, r in enumerate(self._rows) if r.token is not None}
        self._marked = frozenset()
        if not self._rows:
            self.highlighted = None
        elif self.highlighted is not None:
            self.highlighted = min(self.highlighted, len(self._rows) - 1)
        self._resize_virtual()
        self._repaint_changed(*before)
        set_border_title(self, title)  # repaints the whole list where the title changed

    def draw_ahead(
        self, data: ParagraphData, schema: LayerSchema, *, context: Sequence[LayerSchema] = ()
    ) -> None:
        """Draw the first screenful of a paragraph's list as :meth:`show` and the text
        cursor on its first token will (the paragraph ctrl+n opens, while the annotator
        reads): its lines are then found drawn (``_drawn``) and framed when it is shown."""
        if not self.is_mounted or not self.region:
            return
        content = _content(data, schema, context)
        self._ahead = (data, schema, tuple(context), content)
        rows, header, title = content
        self.edges_ahead(title, self.border_subtitle)
        width = self.line_width
        lines = max(self.scrollable_content_region.height - (header is not None), 0)
        if header is not None:
            self.frame_ahead(self._strip(header, False, False, width))
        for index, row in enumerate(rows[:lines]):
            # the first row is the one the cursor's token or annotation highlights, mostly
            for highlighted in (True, False) if index == 0 else (False,):
                self.frame_ahead(self._strip(row.text, highlighted, False, width))

    def _repaint_changed(
        self, rows: list[Row], header: Text | None, context: bool, highlighted: int | None
    ) -> None:
        """Repaint only the lines whose text or highlight changed (after an edit most of the
        list is what it was) when the header and kind of list are the same; else the whole
        list. An empty list is compared like any other: the first label of a paragraph's
        layer repaints its one new line, not the panel's nine (an empty list draws blank
        lines only)."""
        if (
            context != self.context
            or (header is None) != (self._header is None)
            or (header is not None and header != self._header)
        ):
            self.refresh()
            return
        new = self._rows
        top = round(self.scroll_y)
        above = self._header_lines  # the table's header line, if any
        visible = range(top, top + self.scrollable_content_region.height)
        # only the rows on screen are compared (a table's hundred lines, a screenful shown)
        on_screen = range(max(visible.start - above, 0), max(visible.stop - above, 0))
        changed = {
            i for i in on_screen
            if (i < len(rows)) != (i < len(new)) or (i < len(rows) and rows[i].look != new[i].look)
        }  # fmt: skip
        if highlighted != self.highlighted:
            changed |= {i for i in (highlighted, self.highlighted) if i is not None}
        for index in sorted(changed):
            if index + above in visible:
                self.refresh_line(index + above)

    @property
    def option_count(self) -> int:
        return len(self._rows)

    @property
    def current_row(self) -> Row | None:
        index = self.highlighted
        return self._rows[index] if index is not None and index < len(self._rows) else None

    @property
    def current_id(self) -> int | None:
        row = self.current_row
        return row.annotation.id if row is not None and row.annotation is not None else None

    def row_of(self, annotation_id: int) -> int | None:
        return self._by_id.get(annotation_id)

    def highlight_annotation(self, annotation_id: int | None) -> None:
        """Highlight an annotation's line (the one under the text cursor)."""
        index = self._by_id.get(annotation_id) if annotation_id is not None else None
        if index is not None:
            self.set_highlighted(index)

    def follow(
        self, annotation_id: int | None, token: int | None, cursor: tuple[int, int] | None
    ) -> None:
        """Follow the text cursor: its token's line, the focused annotation's, or (context)
        every line under it, scrolled to the first."""
        if self.context:
            marked = frozenset(
                i
                for i, r in enumerate(self._rows)
                if cursor is not None
                and r.start is not None
                and r.end is not None
                and r.start < cursor[1]
                and r.end > cursor[0]
            )
            if marked != self._marked:
                self._marked = marked
                self.refresh()
            if marked:
                self.set_highlighted(min(marked))
            return
        if token is not None and token in self._by_token:
            self.set_highlighted(self._by_token[token])
        else:
            self.highlight_annotation(annotation_id)

    def set_highlighted(self, index: int | None) -> None:
        top = round(self.scroll_y)
        if index is not None and self._rows:
            index = max(0, min(index, len(self._rows) - 1))
            height = max(self.scrollable_content_region.height - self._header_lines, 1)
            if index < top:
                self.scroll_to(y=index, animate=False, immediate=True)
            elif index >= top + height:
                self.scroll_to(y=index - height + 1, animate=False, immediate=True)
        if index != self.highlighted:
            before, self.highlighted = self.highlighted, index
            if round(self.scroll_y) != top:
                self.refresh()  # scrolled: every line moved
                return
            for line in (before, index):  # the line losing the highlight, the one getting it
                if line is not None:
                    self.refresh_line(line + self._header_lines)

    @property
    def _header_lines(self) -> int:
        return 1 if self._header is not None else 0

    # --- actions -----------------------------------------------------------------------------

    def action_cursor(self, step: int) -> None:
        self._move((self.highlighted if self.highlighted is not None else -step) + step)

    def action_page(self, step: int) -> None:
        page = max(self.scrollable_content_region.height - self._header_lines - 1, 1)
        self._move((self.highlighted or 0) + step * page)

    def action_jump(self, where: int) -> None:
        self._move(0 if where == 0 else len(self._rows) - 1)

    def _move(self, index: int) -> None:
        """Move the highlight; in the token table the text's cursor comes along."""
        self.set_highlighted(index)
        row = self.current_row
        if row is not None and row.token is not None and not self.context:
            tell_screen(self, TokenHighlighted(row.token))

    def action_choose(self) -> None:
        row = self.current_row
        if row is None:
            return
        annotation_id = row.annotation.id if row.annotation is not None else None
        if annotation_id is not None or row.token is not None:
            tell_screen(self, AnnotationChosen(annotation_id, row.token))

    def action_delete(self) -> None:
        row = self.current_row
        if self.context:
            self.notify("Lower layers are shown, not edited here (^l goes back).", timeout=2)
        elif row is not None and row.annotation is not None and row.annotation.id is not None:
            tell_screen(self, DeleteRequested(row.annotation.id, row.annotation.version))

    # --- rendering -----------------------------------------------------------------------------

    def _resize_virtual(self) -> None:
        height = max(len(self._rows) + self._header_lines, self.scrollable_content_region.height)
        size = Size(self.scrollable_content_region.width, height)
        self.set_virtual_size(size)

    def on_resize(self, _event: events.Resize) -> None:
        self._drawn.clear()
        tell_screen(self, PanelResized())
        self._resize_virtual()

    def render_line(self, y: int) -> Strip:
        width = self.line_width
        if self._header is not None and y == 0:
            return self._strip(self._header, False, False, width)
        index = round(self.scroll_y) + y - self._header_lines
        if index >= len(self._rows):
            return Strip.blank(width, self.rich_style)
        text = self._rows[index].text
        return self._strip(text, index == self.highlighted, index in self._marked, width)

    def _strip(self, text: Text, highlighted: bool, marked: bool, width: int) -> Strip:
        """``text`` drawn as a line (a Rich render: some 50 µs), or as drawn before."""
        style = self.rich_style
        # only the cursor's row looks different with and without the focus: the other rows'
        # drawings are found again after a focus change
        focused = highlighted and self.looks_focused
        key = (
            text.plain,
            tuple(text.spans),
            text.style,
            highlighted,
            marked,
            focused,
            width,
            style,
        )
        over = []
        if marked:
            over.append(_MARKED)
        if highlighted:
            over.append(Style(reverse=True) if focused else Style(bold=True))
        return self._drawn.draw(key, text, over, width, style, self.app.console)


# --- lines -------------------------------------------------------------------------------------


_Content = tuple[list[Row], Text | None, str]


def _content(
    data: ParagraphData | None, schema: LayerSchema, context: Sequence[LayerSchema]
) -> _Content:
    """The list's rows, its header (the token table's) and its title, for ``data`` on
    ``schema``'s layer, or (``context``) on the layers below it."""
    if data is None:
        return [], None, schema.title
    if context:
        names = ", ".join(s.title for s in context)
        return _context_rows(data, context), None, f"Below {schema.title}: {names} (^l hides)"
    field = token_field(schema)
    if field is not None:
        tokens = token_rows(data, schema, field)
        others = [a for a in data.of_layer(schema.layer) if a.kind != "token"]
        rows = [_token_row(t, schema) for t in tokens] + _layer_rows(data, schema, others)
        check = sum(1 for t in tokens if t.annotation is None or unsure(t.annotation))
        title = f"{schema.title}: {len(tokens)} tokens" + (f", {check} to check" if check else "")
        return rows, _token_header(), title
    rows = _layer_rows(data, schema, data.of_layer(schema.layer))
    return rows, None, f"{schema.title}: {len(rows)}"


def _layer_rows(
    data: ParagraphData, schema: LayerSchema, annotations: Sequence[Annotation]
) -> list[Row]:
    ordered = sorted(annotations, key=lambda a: _order(a, data))
    return [Row(_describe(a, data, schema), a, *_covers(a, data)) for a in ordered]


def _order(a: Annotation, data: ParagraphData) -> tuple[int, int, int, int, int]:
    """Text order within each kind; relations by their source, then their target."""
    if a.kind == "relation":
        source = data.by_id(a.source_id or -1)
        target = data.by_id(a.target_id or -1)
        first = source.start if source is not None and source.start is not None else 0
        second = target.start if target is not None and target.start is not None else 0
        return (_KIND_ORDER["relation"], first, second, 0, a.id or 0)
    return (_KIND_ORDER.get(a.kind, 9), a.start or 0, a.end or 0, 0, a.id or 0)


def _covers(a: Annotation, data: ParagraphData) -> tuple[None, int | None, int | None]:
    """(token, start, end) of a row: a relation covers its source's text."""
    if a.kind == "relation":
        source = data.by_id(a.source_id or -1)
        return (None, source.start, source.end) if source is not None else (None, None, None)
    return None, a.start, a.end


def _token_row(token: TokenRow, schema: LayerSchema) -> Row:
    look = _token_look(token, schema)
    line = partial(_token_line_of, *look)
    return Row(None, token.annotation, token.index, token.start, token.end, make=line, look=look)


def _token_line(token: TokenRow, schema: LayerSchema) -> Text:
    """A token's line (shared between calls: copy it before changing it)."""
    return _token_line_of(*_token_look(token, schema))


def _token_look(
    token: TokenRow, schema: LayerSchema
) -> tuple[str, tuple[bool, bool, str, str, str, str | None] | None]:
    """What a token's line shows: its form, and its analysis's (None: it has none)."""
    a = token.annotation
    if a is None:
        return token.form, None
    colour = label_colour(schema, a.field, a.label)
    return token.form, (
        is_suggestion(a.origin),
        unsure(a),
        token.lemma,
        token.upos,
        token.feats,
        colour,
    )


@lru_cache(maxsize=4096)
def _token_line_of(form: str, shown: tuple[bool, bool, str, str, str, str | None] | None) -> Text:
    """The line itself, by what it shows: a paragraph's hundred token lines are built again
    after every edit, and all but one or two are the same as before."""
    line = Text(no_wrap=True, overflow="ellipsis", end="")
    if shown is None:
        line.append(" ✗ ", _MISSING)
        line.append(_fit(form, FORM_CELLS), _MISSING)
        line.append(_fit("?", LEMMA_CELLS))
        line.append("?", Style(bold=True))
        return line
    suggested, doubtful, lemma, upos, feats, colour = shown
    # ✓: a person's; ·: a model's suggestion, not yet confirmed.
    line.append(" ✓ " if not suggested else " · ", Style(dim=suggested))
    line.append(_fit(form, FORM_CELLS), _UNSURE if doubtful else Style())
    line.append(_fit(lemma, LEMMA_CELLS))
    line.append(_fit(upos or "?", UPOS_CELLS), Style(bold=True, bgcolor=colour))
    line.append(" ")
    line.append(feats, Style(dim=True))
    return line


def _token_header() -> Text:
    line = Text(no_wrap=True, overflow="ellipsis", end="", style=Style(dim=True, bold=True))
    line.append("   " + _fit("form", FORM_CELLS) + _fit("lemma", LEMMA_CELLS))
    line.append(_fit("UPOS", UPOS_CELLS) + " FEATS")
    return line


def _context_rows(data: ParagraphData, layers: Sequence[LayerSchema]) -> list[Row]:
    """Every annotation of ``layers``, interleaved by where it starts in the text (the lower
    layer first at the same place: a word's analysis before the frame it begins)."""
    tagged = len(layers) > 1
    keyed: list[tuple[tuple[int, int, int, int, int], Row]] = []
    for rank, schema in enumerate(reversed(layers)):
        tag = Text(f"{schema.layer[:3]} ", Style(dim=True)) if tagged else Text()
        field = token_field(schema)
        if field is not None:
            for token in token_rows(data, schema, field):
                line = tag + _token_line(token, schema)
                row = Row(line, token.annotation, None, token.start, token.end)
                keyed.append(((token.start, rank, 0, 0, token.index), row))
        others = [a for a in data.of_layer(schema.layer) if a.kind != "token"]
        for a in others:
            _, start, end = _covers(a, data)
            row = Row(tag + _describe(a, data, schema), a, None, start, end)
            order = _order(a, data)
            keyed.append(((start if start is not None else 1 << 30, rank, *order[:3]), row))
    keyed.sort(key=lambda item: item[0])
    return [row for _, row in keyed]


def _describe(a: Annotation, data: ParagraphData, schema: LayerSchema) -> Text:
    line = Text(no_wrap=True, overflow="ellipsis", end="")
    line.append("  ", Style(bgcolor=label_colour(schema, a.field, a.label)))
    line.append(" ✓ " if not is_suggestion(a.origin) else " · ", Style(dim=is_suggestion(a.origin)))
    if is_suggestion(a.origin) and a.confidence is not None:
        # a suggestion says how sure its model was: low ones in the doubtful colour
        line.append(f"{a.confidence:4.0%} ", _UNSURE if unsure(a) else Style(dim=True))
    if a.kind == "relation":
        source = data.by_id(a.source_id or -1)
        target = data.by_id(a.target_id or -1)
        line.append(_end(source, data))
        line.append(f" —{a.label or a.field}→ ", Style(bold=True))
        line.append(_end(target, data))
        line.append(_attributes(a, schema), Style(dim=True))
        return line
    if a.kind == "token":
        line.append(_fit(data.text[a.start or 0 : a.end or 0], FORM_CELLS))
        line.append(_fit(str((a.attrs or {}).get("lemma", "")), LEMMA_CELLS))
        line.append(_fit(a.label or "?", UPOS_CELLS), Style(bold=True))
        return line
    line.append(a.label or a.field, Style(bold=True))
    if a.kind in ("span", "label") and a.start is not None:
        line.append(f" «{_snippet(data.text[a.start : a.end or a.start])}»")
        line.append(_attributes(a, schema), Style(dim=True))
    elif a.kind == "label":
        line.append(f" ({a.field})", Style(dim=True))
    elif a.kind == "text":
        anchor = data.by_id(a.source_id or -1)
        if a.label:
            line.append(f" ({a.field})", Style(dim=True))
        if anchor is not None:
            line.append(f" on {anchor.label} «{_snippet(_text_of(anchor, data), 16)}»", "dim")
        line.append(f": {_snippet(a.value or '')}")
    return line


def _attributes(a: Annotation, schema: LayerSchema) -> str:
    """What the attribute keys and the editor set, in a few words: ``REPORTED, negated``,
    ``connective «если»``; nothing for unset, empty or "no" values."""
    field = schema.field(a.field)
    if field is None or not field.attributes or not a.attrs:
        return ""
    shown = []
    for attribute in field.attributes:
        value = a.attrs.get(attribute.name)
        if value in (None, "", False):
            continue
        if value is True:
            shown.append(attribute.name)
        elif attribute.type == "choice":
            shown.append(str(value))
        else:
            shown.append(f"{attribute.name} «{value}»")
    return f" {', '.join(shown)}" if shown else ""


def _end(a: Annotation | None, data: ParagraphData) -> str:
    if a is None or a.start is None:
        return "?"
    return f"«{_snippet(_text_of(a, data), 18)}»"


def _text_of(a: Annotation, data: ParagraphData) -> str:
    return data.text[a.start or 0 : a.end or a.start or 0]


def _fit(text: str, cells: int) -> str:
    """``text`` in exactly ``cells + 1`` terminal cells: cut with … when longer, then padded.
    By cells, not code points: a stress mark takes none, so ``len`` would misalign."""
    if cell_len(text) > cells:
        kept, used = [], 0
        for ch in text:
            width = cell_len(ch)
            if used + width > cells - 1:
                break
            kept.append(ch)
            used += width
        text = "".join(kept) + "…"
    return text + " " * (cells - cell_len(text) + 1)


def _snippet(text: str, limit: int = SNIPPET) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
