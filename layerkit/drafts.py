"""Plain data that importers produce and the store ingests.

Importers never touch the store: they turn a file into ``DocumentDraft`` objects, and the ingest
step validates them against the schemas and writes them in one transaction. That keeps a broken
importer (or a broken file) from leaving half a document behind, and makes importers trivial to
test: feed a file, compare drafts.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

Span = tuple[int, int]


@dataclass
class AnnotationDraft:
    """One annotation as read from a file; ``local_id``/``source``/``target`` are file-local ids."""

    layer: str
    kind: str  # token | span | relation | label | text
    field: str
    label: str | None = None
    start: int | None = None
    end: int | None = None
    value: str | None = None
    attrs: dict[str, Any] = dc_field(default_factory=dict)
    local_id: int | None = None
    source: int | None = None
    target: int | None = None
    annotator: str = "import"
    origin: str = "human"
    confidence: float | None = None

    def to_row(self) -> dict[str, Any]:
        """The draft as the plain row that schema checks and the store's bulk writer take."""
        return {
            "layer": self.layer,
            "kind": self.kind,
            "field": self.field,
            "label": self.label,
            "start": self.start,
            "end": self.end,
            "value": self.value,
            "attrs": self.attrs,
            "local_id": self.local_id,
            "source": self.source,
            "target": self.target,
            "annotator": self.annotator,
            "origin": self.origin,
            "confidence": self.confidence,
        }


@dataclass
class LayerStatusDraft:
    state: str  # todo | in_progress | done | stale
    annotator: str | None = None


@dataclass
class ParagraphDraft:
    """One paragraph: NFC ``text`` plus whatever the file already knew about it.

    ``sentences``/``tokens`` left as ``None`` are computed at ingest by the Russian segmenter.
    ``line`` is the 1-based line in the source file where the paragraph starts, for messages.
    """

    text: str
    meta: dict[str, Any] = dc_field(default_factory=dict)
    flags: list[dict[str, Any]] = dc_field(default_factory=list)
    sentences: list[Span] | None = None
    tokens: list[Span] | None = None
    annotations: list[AnnotationDraft] = dc_field(default_factory=list)
    status: dict[str, LayerStatusDraft] = dc_field(default_factory=dict)
    line: int | None = None
    # layer -> annotators who annotate it independently, on private copies (``layerkit
    # assign``); their copies are the annotations and statuses of the layer keys ``layer@name``
    assignments: dict[str, list[str]] = dc_field(default_factory=dict)


@dataclass
class DocumentDraft:
    """One document read from a file. ``notes`` are things the user should be told at import
    (encoding detected, mojibake repaired, ...); ``warnings`` are problems with the input that
    were dealt with (a paragraph far too long to annotate, split). Both are printed, naming
    the file, and kept in ``meta``."""

    name: str
    source: str
    format: str
    paragraphs: list[ParagraphDraft]
    meta: dict[str, Any] = dc_field(default_factory=dict)
    encoding: str | None = None
    notes: list[str] = dc_field(default_factory=list)
    warnings: list[str] = dc_field(default_factory=list)


@dataclass
class ImportOptions:
    """Options every importer receives; ``encoding`` overrides detection when set."""

    encoding: str | None = None
