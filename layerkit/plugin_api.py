"""Protocols that plugin-provided importers and exporters satisfy."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from layerkit.drafts import AnnotationDraft, DocumentDraft, ImportOptions

if TYPE_CHECKING:
    from layerkit.store import Store


@runtime_checkable
class Importer(Protocol):
    name: str
    extensions: tuple[str, ...]
    description: str

    def read(self, path: Path, options: ImportOptions) -> Iterator[DocumentDraft]: ...


@dataclass
class ExportReport:
    """What an exporter tells the user when it is done."""

    path: Path
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@runtime_checkable
class Exporter(Protocol):
    name: str
    description: str

    def export(self, store: Store, out: Path, options: dict[str, Any]) -> ExportReport: ...


@dataclass(frozen=True)
class ParagraphInput:
    """What a pre-annotator sees of a paragraph: its text and segmentation (offsets)."""

    paragraph_id: int
    text: str
    sentences: Sequence[Sequence[int]]
    tokens: Sequence[Sequence[int]]

    def sentence_tokens(self) -> list[list[tuple[int, int]]]:
        """Token spans grouped by sentence (tokens outside every sentence form their own)."""
        groups: list[list[tuple[int, int]]] = []
        tokens = [(int(s), int(e)) for s, e in self.tokens]
        i = 0
        for start, end in self.sentences:
            group = []
            while i < len(tokens) and tokens[i][0] < end:
                if tokens[i][0] >= start:
                    group.append(tokens[i])
                else:
                    groups.append([tokens[i]])
                i += 1
            if group:
                groups.append(group)
        groups.extend([t] for t in tokens[i:])
        return groups


@runtime_checkable
class Preannotator(Protocol):
    name: str
    version: str
    layer: str
    description: str

    def annotate(self, paragraphs: Sequence[ParagraphInput]) -> list[list[AnnotationDraft]]: ...
