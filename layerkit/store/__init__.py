"""The store: SQLite (or PostgreSQL) through SQLModel. See ``store.Store``."""

from layerkit.store.models import (
    Annotation,
    AnnotatorPosition,
    Document,
    Event,
    LayerStatus,
    Paragraph,
)
from layerkit.store.store import (
    Batch,
    BulkWriter,
    NewDocument,
    NewParagraph,
    StatusSummary,
    Store,
)

__all__ = [
    "Annotation",
    "AnnotatorPosition",
    "Batch",
    "BulkWriter",
    "Document",
    "Event",
    "LayerStatus",
    "NewDocument",
    "NewParagraph",
    "Paragraph",
    "StatusSummary",
    "Store",
]
