"""What the annotation screen shows about one paragraph, and pure helpers over it.

A paragraph is read once (text, segmentation, every layer's annotations and statuses: three
indexed reads) when it is opened or changed; moving the token cursor or switching layers then
touches no database at all, which keeps a keypress well inside one frame.

All offsets are code-point offsets into the stored NFC text, exactly as the store keeps them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

from layerkit.errors import StoreError
from layerkit.model import Annotation, Paragraph
from layerkit.store import LayerStatus, Store
from layerkit.store.queries import ParagraphRow, row_with_states


@dataclass(frozen=True)
class ParagraphData:
    """One paragraph as the screen needs it; rebuilt from the store after every change."""

    paragraph: Paragraph
    row: ParagraphRow
    annotations: tuple[Annotation, ...]
    statuses: dict[str, LayerStatus]
    # layers the annotator annotates on a private copy here (shown and edited in its place)
    assigned: frozenset[str] = frozenset()

    @classmethod
    def load(
        cls,
        store: Store,
        paragraph_id: int,
        annotator: str,
        *,
        paragraph: Paragraph | None = None,
        row: ParagraphRow | None = None,
    ) -> ParagraphData:
        """The paragraph as ``annotator`` sees it (:meth:`Store.seen_by`). ``paragraph`` and
        ``row``: as read before (text, tokens, sentences, document and position never change
        once imported), so a reload after an edit reads only what edits change: annotations
        and states."""
        seen = store.seen_by(paragraph_id, annotator)
        # the navigator row's states: as the annotator sees them, read with the annotations
        states = {layer: status.state for layer, status in seen.statuses.items()}
        if (
            paragraph is None
            or paragraph.id != paragraph_id
            or row is None
            or row.id != paragraph_id
        ):
            found = store.read_paragraphs([paragraph_id], layers=())
            if not found:
                raise StoreError(f"there is no paragraph {paragraph_id} in this store.")
            paragraph = found[0]  # the text and segmentation: the annotations are ``seen``
            row = row_with_states(store, paragraph_id, states)
            assert row is not None
        else:  # the navigator row as read before, with the states read now
            row = replace(row, states=states)
        return cls(
            paragraph=paragraph,
            row=row,
            annotations=tuple(seen.annotations),
            statuses=seen.statuses,
            assigned=seen.assigned,
        )

    @property
    def id(self) -> int:
        return self.paragraph.id

    @property
    def text(self) -> str:
        return self.paragraph.text

    @cached_property
    def tokens(self) -> list[tuple[int, int]]:
        """Token offsets, built once per load: the view reads them on every key."""
        return [(int(s), int(e)) for s, e in self.paragraph.tokens]

    @cached_property
    def sentences(self) -> list[tuple[int, int]]:
        return [(int(s), int(e)) for s, e in self.paragraph.sentences]

    def state(self, layer: str) -> str:
        status = self.statuses.get(layer)
        return status.state if status is not None else "todo"

    def of_layer(self, layer: str, kind: str | None = None) -> list[Annotation]:
        return [
            a for a in self.annotations if a.layer == layer and (kind is None or a.kind == kind)
        ]

    def by_id(self, annotation_id: int) -> Annotation | None:
        return self._ids.get(annotation_id)

    @cached_property
    def _ids(self) -> dict[int, Annotation]:
        """Annotations by id: the side panel looks up both ends of every relation."""
        return {a.id: a for a in self.annotations if a.id is not None}


@dataclass(frozen=True)
class Selection:
    """A token range: ``anchor`` stays put while shift+arrows move ``cursor``."""

    anchor: int
    cursor: int

    @property
    def first(self) -> int:
        return min(self.anchor, self.cursor)

    @property
    def last(self) -> int:
        return max(self.anchor, self.cursor)

    def offsets(self, tokens: list[tuple[int, int]]) -> tuple[int, int]:
        """The selection as ``[start, end)`` code-point offsets."""
        return tokens[self.first][0], tokens[self.last][1]


def token_at(tokens: list[tuple[int, int]], offset: int) -> int:
    """The index of the token containing ``offset``, or of the nearest one before it."""
    best = 0
    for i, (start, _end) in enumerate(tokens):
        if start <= offset:
            best = i
        else:
            break
    return best


def sentence_index(sentences: list[tuple[int, int]], offset: int) -> int | None:
    """The sentence containing ``offset``, or None when it falls between sentences."""
    for i, (start, end) in enumerate(sentences):
        if start <= offset < end:
            return i
    return None


def sentence_token_range(
    tokens: list[tuple[int, int]], sentence: tuple[int, int]
) -> tuple[int, int] | None:
    """First and last token indices inside a sentence (None for a sentence without tokens)."""
    inside = [i for i, (s, e) in enumerate(tokens) if s >= sentence[0] and e <= sentence[1]]
    return (inside[0], inside[-1]) if inside else None


def covering(spans: list[Annotation], start: int, end: int) -> list[Annotation]:
    """Annotations with offsets overlapping ``[start, end)``, innermost (shortest) first."""
    found = [
        a
        for a in spans
        if a.start is not None and a.end is not None and a.start < end and a.end > start
    ]
    return sorted(found, key=lambda a: (a.end - a.start, a.start, a.id or 0))  # type: ignore[operator]


def exact(spans: list[Annotation], start: int, end: int, field: str) -> Annotation | None:
    """The annotation of ``field`` with exactly these offsets, if any."""
    return next((a for a in spans if a.field == field and (a.start, a.end) == (start, end)), None)
