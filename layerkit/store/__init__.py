"""The store: SQLite (or PostgreSQL) through SQLModel. See ``store.Store``."""

from layerkit.store.models import Annotation, Document, Event, LayerStatus, Paragraph
from layerkit.store.store import BulkWriter, NewDocument, NewParagraph, StatusSummary, Store

__all__ = [
    "Annotation",
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
