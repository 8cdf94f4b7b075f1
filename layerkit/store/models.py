"""SQLModel tables of the store.

The tables are created and changed only by numbered migrations (``migrations.py``); these
classes describe the same tables for typed queries, and a test checks the two never drift apart.

Departure from the first sketch in ARCHITECTURE.md: sentence and token boundaries are JSON
columns of ``paragraphs`` instead of a ``tokens`` table. A paragraph's text never changes after
import, its segmentation is always read as a whole, and one row instead of ~60 per paragraph
keeps a 100k-paragraph store small and opening a paragraph a single primary-key read.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

LAYER_STATES = ("todo", "in_progress", "done", "stale")
ANNOTATION_KINDS = ("token", "span", "relation", "label", "text")


def utcnow() -> datetime:
    return datetime.now(UTC)


def _json(nullable: bool = False) -> Any:
    return sa.Column(sa.JSON, nullable=nullable)


class Document(SQLModel, table=True):
    __tablename__ = "documents"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    source: str
    format: str
    # Hash of the NFC paragraph texts: importing the same content twice adds nothing.
    sha256: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    meta: dict[str, Any] = Field(default_factory=dict, sa_column=_json())
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False)
    )
    # Set while the import writing this document runs: such documents (and their paragraphs)
    # are invisible to every reader until the import publishes them (see ``imports.py``).
    pending_import_id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.Integer, nullable=True, index=True),
    )


class Import(SQLModel, table=True):
    """One run of ``layerkit import`` (see ``imports.py``): who ran it where, whether it is
    still running, finished, failed or was abandoned by a process that died."""

    __tablename__ = "imports"

    id: int | None = Field(default=None, primary_key=True)
    annotator: str
    host: str
    pid: int
    state: str
    started_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False)
    )
    heartbeat_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False)
    )
    finished_at: datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=True)
    )


class Paragraph(SQLModel, table=True):
    __tablename__ = "paragraphs"
    __table_args__ = (sa.UniqueConstraint("document_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False
        )
    )
    position: int
    text: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    sha256: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, index=True))
    # The text as search reads it, folded and split in Python (``search.search_text``), since
    # no database folds text the same way; written on import, searched instead of ``text``.
    # The default exists because SQLite adds a NOT NULL column only with one (m005_search_text).
    search_text: str = Field(
        default="", sa_column=sa.Column(sa.Text, nullable=False, server_default="")
    )
    # The first paragraph with the same text, in any document: curricula must keep both in one split.
    duplicate_of_id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("paragraphs.id"), nullable=True),
    )
    sentences: list[list[int]] = Field(default_factory=list, sa_column=_json())
    tokens: list[list[int]] = Field(default_factory=list, sa_column=_json())
    flags: list[dict[str, Any]] = Field(default_factory=list, sa_column=_json())
    meta: dict[str, Any] = Field(default_factory=dict, sa_column=_json())


class Annotation(SQLModel, table=True):
    __tablename__ = "annotations"
    # AUTOINCREMENT: ids are never reused, so undoing a delete can restore the row under its old id.
    __table_args__ = (
        sa.Index("ix_annotations_paragraph_layer", "paragraph_id", "layer"),
        # Relations pointing at an annotation (undo of a creation, delete's cascade): without
        # these every such lookup scans all annotations of the store.
        sa.Index("ix_annotations_source", "source_id"),
        sa.Index("ix_annotations_target", "target_id"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    paragraph_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("paragraphs.id", ondelete="CASCADE"), nullable=False
        )
    )
    layer: str
    kind: str
    field: str
    start: int | None = None
    end: int | None = None
    label: str | None = None
    value: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    attrs: dict[str, Any] = Field(default_factory=dict, sa_column=_json())
    source_id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("annotations.id", ondelete="CASCADE"), nullable=True
        ),
    )
    target_id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("annotations.id", ondelete="CASCADE"), nullable=True
        ),
    )
    annotator: str
    origin: str = "human"
    confidence: float | None = None
    # Bumped on every change; an edit that names an older version is refused (no silent overwrite).
    version: int = 1
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False)
    )


class LayerStatus(SQLModel, table=True):
    __tablename__ = "layer_status"
    __table_args__ = (sa.Index("ix_layer_status_layer_state", "layer", "state"),)

    paragraph_id: int = Field(
        sa_column=sa.Column(
            sa.Integer,
            sa.ForeignKey("paragraphs.id", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    layer: str = Field(sa_column=sa.Column(sa.String, primary_key=True))
    state: str
    annotator: str | None = None
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False)
    )


class Assignment(SQLModel, table=True):
    """A paragraph's layer that an annotator annotates independently, on a private copy
    (``copies.py``): made by ``layerkit assign``, read by the annotator, agreement and
    adjudication. ``assigned_by`` and ``assigned_at`` are for the audit trail."""

    __tablename__ = "assignments"
    __table_args__ = (sa.Index("ix_assignments_annotator", "annotator", "layer"),)

    paragraph_id: int = Field(
        sa_column=sa.Column(
            sa.Integer,
            sa.ForeignKey("paragraphs.id", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    layer: str = Field(sa_column=sa.Column(sa.String, primary_key=True))
    annotator: str = Field(sa_column=sa.Column(sa.String, primary_key=True))
    assigned_by: str
    assigned_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False)
    )


class Event(SQLModel, table=True):
    """Append-only log of every change: audit trail and the source of undo/redo.

    Each annotator's undo and redo stacks are linked lists threaded through this table:
    ``below_id`` is the node under this one on its stack, and ``undo_top_id``/``redo_top_id``
    carry the annotator's stack tops forward where the action does not imply them (see
    ``edits._tops``). So the newest event of an annotator tells what to undo next in one indexed
    read, and no row is ever updated.
    """

    __tablename__ = "events"
    __table_args__ = (sa.Index("ix_events_annotator_id", "annotator", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False)
    )
    annotator: str
    action: str
    paragraph_id: int | None = None
    layer: str | None = None
    annotation_id: int | None = None
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=_json())
    below_id: int | None = None
    undo_top_id: int | None = None
    redo_top_id: int | None = None


class TextDraft(SQLModel, table=True):
    """A free text an annotator is typing and has not saved yet, written as it is typed so that
    a crash or a killed terminal loses none of it. ``slot`` names what the text is for (the
    app's business: paragraph, layer, field, label, anchor); the draft goes when it is saved or
    thrown away, and with its paragraph. Not an edit: no event, nothing to undo."""

    __tablename__ = "text_drafts"

    annotator: str = Field(sa_column=sa.Column(sa.String, primary_key=True))
    slot: str = Field(sa_column=sa.Column(sa.String, primary_key=True))
    paragraph_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("paragraphs.id", ondelete="CASCADE"), nullable=False
        )
    )
    value: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False)
    )
    #: the version of the saved text the draft was typed over (0: there was none; None: not
    #: known, a draft from before migration 9), so that a text someone else saved meanwhile is
    #: shown beside the draft instead of being replaced by it unseen
    base_version: int | None = Field(default=None, sa_column=sa.Column(sa.Integer, nullable=True))


class AnnotatorPosition(SQLModel, table=True):
    """Where an annotator was: the paragraph, layer, cursor and browsing mode to reopen at.

    In the database rather than a file in the user's home so that it follows the project to
    another machine or account. Not an edit: saving it logs no event and is never undone.
    If the paragraph goes away, the rest of the position stays (``paragraph_id`` becomes NULL).
    """

    __tablename__ = "annotator_positions"

    annotator: str = Field(sa_column=sa.Column(sa.String, primary_key=True))
    paragraph_id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("paragraphs.id", ondelete="SET NULL"), nullable=True
        ),
    )
    layer: str | None = None
    # An index into the paragraph (token or character, as the app uses it), not an id.
    cursor: int | None = None
    # How the annotator moves through the corpus, e.g. "depth" (all layers of one paragraph)
    # or "breadth" (one layer across paragraphs); the store does not interpret it.
    mode: str | None = None
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False)
    )


class Migration(SQLModel, table=True):
    __tablename__ = "layerkit_migrations"

    version: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    name: str
    applied_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False)
    )


_Row = TypeVar("_Row", bound=SQLModel)


def from_row(model: type[_Row], row: Mapping[Any, Any]) -> _Row:
    """A model instance from a row read back from the store, without validating it again.

    Rows were checked when they were written, and the validating constructor of a table model
    costs ~40 µs a row through SQLAlchemy's attribute instrumentation: 4 ms for a paragraph's
    hundred token analyses, which the annotator reads again after every edit. ``model_construct``
    takes ~5 µs and gives an equal instance (same fields, same ``model_dump()``). SQLAlchemy
    sets up its attribute access on the first validated construction; ``configure_mappers``
    does it here for a process that has made none yet, once (every table model is defined
    above, so no mapper can appear later; a call per row would cost 1.3 µs each).
    """
    if not _mappers_configured:
        _configure_mappers()
    return model.model_construct(**row)


_mappers_configured = False


def _configure_mappers() -> None:
    global _mappers_configured
    sa.orm.configure_mappers()
    _mappers_configured = True
