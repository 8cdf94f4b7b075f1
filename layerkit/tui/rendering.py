"""Paragraph text as styled, wrapped lines: pure functions, tested without a terminal.

Styles are attached by code-point offsets into the stored NFC text (``Text.stylize`` indexes
Python strings), so a combining stress mark (U+0301, zero cells wide) stays inside the token it
belongs to and never shifts a highlight. Wrapping is done here rather than by the widget so the
editor knows on which screen line its cursor is, and can scroll to it.

Overlapping spans: the innermost (shortest) span gives the background, and text covered by two
or more spans is underlined, so nesting stays visible without inserting bracket characters
(which would move every offset after them).
"""

from __future__ import annotations

import itertools
import re
from collections import deque
from collections.abc import Hashable, Sequence
from typing import Generic, TypeVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text

from layerkit.model import Annotation, is_suggestion
from layerkit.schema.models import LayerSchema

PALETTE = (
    "#2e5a88",
    "#7a3b69",
    "#2f6b3f",
    "#8a5a1a",
    "#5b3f8c",
    "#1f6f6f",
    "#8c2f39",
    "#4f6228",
    "#6b4e2e",
    "#3b4f7a",
    "#7a6a1f",
    "#6a2c70",
)
# A model's suggestion below this confidence is shown for checking (yellow): about one token in
# ten of ru-morph 1.0's suggestions on the sample corpus, the share worth a second look.
LOW_CONFIDENCE = 0.9
OVERLAP = Style(underline=True)
SELECTION = Style(reverse=True)
CURSOR = Style(reverse=True, bold=True)
FOCUSED = Style(bold=True, italic=True)
# the predicate that arguments labelled next are linked to (``link_on_label``)
ANCHOR = Style(bold=True, underline2=True)
LOW = Style(color="yellow", underline=True)
MISSING = Style(color="red", underline=True)
_WORD = re.compile(r"[^\s]+[^\S\n]*|[^\S\n]+")


def unsure(annotation: Annotation) -> bool:
    """A model's suggestion it was not confident about; once a person confirms it, it is not."""
    return (
        is_suggestion(annotation.origin)
        and annotation.confidence is not None
        and annotation.confidence < LOW_CONFIDENCE
    )


def label_colour(schema: LayerSchema, field: str, label: str | None) -> str:
    """A stable colour for a label: its position among the layer's labels, cycled."""
    names = [(f.name, lab.name) for f in schema.fields for lab in f.labels]
    try:
        index = names.index((field, label or ""))
    except ValueError:
        index = len(names)
    return PALETTE[index % len(PALETTE)]


def styled_paragraph(
    text: str,
    schema: LayerSchema,
    annotations: Sequence[Annotation],
    tokens: Sequence[tuple[int, int]],
    selection: tuple[int, int] | None,
    cursor: tuple[int, int] | None,
    focused: Annotation | None = None,
    anchor: Annotation | None = None,
) -> Text:
    """The paragraph with the layer's annotations, the selection and the cursor styled."""
    out = Text(text)
    mine = [a for a in annotations if a.layer == schema.layer]
    if any(a.kind == "token" for a in mine) or any(f.kind == "token" for f in schema.fields):
        _style_tokens(out, mine, tokens)
    spans = [
        a for a in mine if a.kind in ("span", "label") and a.start is not None and a.end is not None
    ]
    _style_spans(out, schema, spans)
    if anchor is not None and anchor.start is not None and anchor.end is not None:
        out.stylize(ANCHOR, anchor.start, anchor.end)
    if focused is not None and focused.start is not None and focused.end is not None:
        out.stylize(FOCUSED, focused.start, focused.end)
    if selection is not None:
        out.stylize(SELECTION, *selection)
    if cursor is not None:
        out.stylize(CURSOR, *cursor)
    return out


def _style_tokens(
    out: Text, annotations: Sequence[Annotation], tokens: Sequence[tuple[int, int]]
) -> None:
    analysed = {(a.start, a.end): a for a in annotations if a.kind == "token"}
    for start, end in tokens:
        found = analysed.get((start, end))
        if found is None or not found.label:
            out.stylize(MISSING, start, end)
        elif unsure(found):
            out.stylize(LOW, start, end)


def _style_spans(out: Text, schema: LayerSchema, spans: Sequence[Annotation]) -> None:
    """Background of the innermost span per stretch of text; underline where spans overlap."""
    placed = [(a.start, a.end, a) for a in spans if a.start is not None and a.end is not None]
    bounds = sorted({0, len(out.plain), *(s for s, _, _ in placed), *(e for _, e, _ in placed)})
    for start, end in itertools.pairwise(bounds):
        over = [(s, e, a) for s, e, a in placed if s <= start and e >= end]
        if not over:
            continue
        _, _, inner = min(over, key=lambda o: (o[1] - o[0], -(o[2].id or 0)))
        style = Style(bgcolor=label_colour(schema, inner.field, inner.label))
        if len(over) > 1:
            style += OVERLAP
        out.stylize(style, start, end)


def wrap(text: str, width: int) -> list[tuple[int, int]]:
    """Screen lines as ``[start, end)`` offsets: word wrap by terminal cells, ``\\n`` kept as a
    break (not part of any line), words wider than a line cut by cells."""
    width = max(width, 1)
    lines: list[tuple[int, int]] = []
    offset = 0
    for raw_line in text.split("\n"):
        line_start = offset
        used = 0
        for match in _WORD.finditer(raw_line):
            word_start = offset + match.start()
            word = match.group().rstrip()
            word_cells = cell_len(word)
            if used and used + word_cells > width:
                lines.append((line_start, word_start))
                line_start, used = word_start, 0
            while word_cells > width:
                cut = _cut(text, word_start, width)
                lines.append((line_start, cut))
                line_start = word_start = cut
                word_cells = cell_len(text[cut : offset + match.start() + len(word)])
                used = 0
            used += cell_len(match.group())
        lines.append((line_start, offset + len(raw_line)))
        offset += len(raw_line) + 1
    return lines


def _cut(text: str, start: int, width: int) -> int:
    """The offset after as many code points from ``start`` as fit ``width`` cells (at least one,
    and never separating a combining mark from its letter)."""
    cells = 0
    i = start
    while i < len(text):
        w = cell_len(text[i])
        if cells + w > width and i > start and w > 0:
            break
        cells += w
        i += 1
    return i


def line_pieces(text: Text, lines: Sequence[tuple[int, int]]) -> list[Text]:
    """The styled text of each screen line (``lines`` as from :func:`wrap`), cut in one pass:
    slicing a ``Text`` line by line walks all its spans for every line."""
    if not lines:
        return []
    cuts = sorted({offset for line in lines for offset in line} - {0})
    pieces = text.divide(cuts)
    first = {0: 0, **{cut: i + 1 for i, cut in enumerate(cuts)}}
    return [pieces[first[start]] if start < end else Text("") for start, end in lines]


def line_of(lines: Sequence[tuple[int, int]], offset: int) -> int:
    """The screen line showing ``offset``."""
    for i, (start, end) in enumerate(lines):
        if start <= offset < end or (offset == end and i == len(lines) - 1):
            return i
        if offset < start:
            return max(i - 1, 0)
    return max(len(lines) - 1, 0)


Lines = TypeVar("Lines")


class RecentRenders(Generic[Lines]):
    """The rendered lines of the last few styled texts a widget drew, each with what else
    decides the drawing (width, size, style): widgets switch between a handful of texts (one
    per layer, per paragraph just seen), and rendering lines is most of what a redraw costs.
    A text is found by equality, spans and styles included, so a reused drawing is exactly
    the one drawing it afresh would give."""

    def __init__(self, size: int = 8) -> None:
        self._items: deque[tuple[Text, Hashable, Lines]] = deque(maxlen=size)

    def find(self, text: Text, key: Hashable) -> Lines | None:
        for seen, seen_key, lines in self._items:
            if seen_key == key and seen == text:
                return lines
        return None

    def remember(self, text: Text, key: Hashable, lines: Lines) -> None:
        self._items.append((text, key, lines))

    def __len__(self) -> int:
        return len(self._items)
