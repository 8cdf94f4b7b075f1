"""The store: documents, paragraphs, annotations, layer status and the event log.

``Store`` is the only way the rest of layerkit touches the database. Every edit is its own short
committed transaction (so killing the process never loses what was saved), and an import is one
transaction for the whole command (so a failed import leaves the store exactly as it was).
The store knows layer names and their order (for stale marking) but nothing about schemas,
plugins or the TUI.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from layerkit.errors import StoreError
from layerkit.store import edits
from layerkit.store.engine import WRITE_OPTION, create_engine, database_url, is_sqlite
from layerkit.store.migrations import migrate
from layerkit.store.models import (
    LAYER_STATES,
    Annotation,
    Document,
    LayerStatus,
    Paragraph,
    utcnow,
)

documents_t: sa.Table = Document.__table__  # type: ignore[attr-defined]
paragraphs_t: sa.Table = Paragraph.__table__  # type: ignore[attr-defined]
annotations_t = edits.annotations_t
status_t = edits.status_t
events_t = edits.events_t

SavedListener = Callable[[dict[str, Any], str], None]


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class StatusSummary:
    documents: int
    paragraphs: int
    layers: dict[str, dict[str, int]]
    annotations: dict[str, int] = field(default_factory=dict)
    flagged: int = 0
    duplicates: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "paragraphs": self.paragraphs,
            "layers": self.layers,
            "annotations": self.annotations,
            "flagged_paragraphs": self.flagged,
            "duplicate_paragraphs": self.duplicates,
        }


@dataclass
class BulkResult:
    documents_added: int = 0
    documents_skipped: int = 0
    paragraphs_added: int = 0
    annotations_added: int = 0
    duplicates: int = 0
    document_ids: list[int] = field(default_factory=list)


class Store:
    """A layerkit database. Open with :meth:`open`; use as a context manager to close it."""

    def __init__(self, engine: sa.Engine, url: str, layer_order: Sequence[str]) -> None:
        self.engine = engine
        self.url = url
        self.layer_order = tuple(layer_order)
        self._write_engine = engine.execution_options(**{WRITE_OPTION: True})
        self.listeners: list[SavedListener] = []

    # --- opening ----------------------------------------------------------------------------

    @classmethod
    def open(
        cls, url_or_path: str | Path, *, layer_order: Sequence[str], create: bool = True
    ) -> Store:
        """Open (and migrate) a store. A missing SQLite file is created unless ``create=False``."""
        url = database_url(url_or_path)
        if is_sqlite(url):
            path = Path(url.removeprefix("sqlite:///"))
            if not path.exists() and not create:
                raise StoreError(
                    f"no layerkit database at {path}",
                    hint="Create one with `layerkit init`, or pass --db / set LAYERKIT_DB.",
                    title="Database not found",
                )
            if path.exists() and path.is_dir():
                raise StoreError(f"{path} is a directory, not a database file.")
            if not path.parent.exists():
                raise StoreError(
                    f"the folder {path.parent} does not exist.",
                    hint="Create it first or choose another --db path.",
                )
            _refuse_non_sqlite_file(path)
        engine = create_engine(url)
        try:
            migrate(engine, url_for_messages=str(url_or_path))
        except sa.exc.DatabaseError as exc:
            engine.dispose()
            raise StoreError(
                f"{url_or_path} cannot be opened as a layerkit database: {exc.orig}",
                hint="Check the path; a layerkit database is created by `layerkit init`.",
            ) from exc
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, url, layer_order)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        with self._write_engine.begin() as conn:
            yield conn

    # --- reading ----------------------------------------------------------------------------

    def summary(self) -> StatusSummary:
        with self._read() as conn:
            n_docs = conn.execute(sa.select(sa.func.count()).select_from(documents_t)).scalar_one()
            n_pars = conn.execute(sa.select(sa.func.count()).select_from(paragraphs_t)).scalar_one()
            rows = conn.execute(
                sa.select(status_t.c.layer, status_t.c.state, sa.func.count()).group_by(
                    status_t.c.layer, status_t.c.state
                )
            ).all()
            per_layer_ann = conn.execute(
                sa.select(annotations_t.c.layer, sa.func.count()).group_by(annotations_t.c.layer)
            ).all()
            duplicates = conn.execute(
                sa.select(sa.func.count())
                .select_from(paragraphs_t)
                .where(paragraphs_t.c.duplicate_of_id.is_not(None))
            ).scalar_one()
            flagged = conn.execute(
                sa.select(sa.func.count())
                .select_from(paragraphs_t)
                .where(sa.func.json_array_length(paragraphs_t.c.flags) > 0)
                if is_sqlite(self.url)
                else sa.select(sa.func.count())
                .select_from(paragraphs_t)
                .where(sa.cast(paragraphs_t.c.flags, sa.String) != "[]")
            ).scalar_one()
        layers: dict[str, dict[str, int]] = {}
        for layer in self.layer_order:
            layers[layer] = dict.fromkeys(LAYER_STATES, 0)
        for layer, state, count in rows:
            layers.setdefault(layer, dict.fromkeys(LAYER_STATES, 0))[state] = count
        for counts in layers.values():
            counts["todo"] += n_pars - sum(counts.values())
        return StatusSummary(
            documents=n_docs,
            paragraphs=n_pars,
            layers=layers,
            annotations={layer: n for layer, n in per_layer_ann},
            flagged=flagged,
            duplicates=duplicates,
        )

    def documents(self) -> list[Document]:
        with self._read() as conn:
            rows = conn.execute(sa.select(documents_t).order_by(documents_t.c.id)).mappings()
            return [Document(**r) for r in rows]

    def paragraph(self, paragraph_id: int) -> Paragraph:
        with self._read() as conn:
            row = (
                conn.execute(sa.select(paragraphs_t).where(paragraphs_t.c.id == paragraph_id))
                .mappings()
                .first()
            )
        if row is None:
            raise StoreError(f"there is no paragraph {paragraph_id} in this store.")
        return Paragraph(**row)

    def paragraphs(self, ids: Sequence[int]) -> list[Paragraph]:
        """Several paragraphs in one query, in the order of ``ids`` (missing ones left out)."""
        with self._read() as conn:
            rows = conn.execute(
                sa.select(paragraphs_t).where(paragraphs_t.c.id.in_(list(ids)))
            ).mappings()
            found = {r["id"]: Paragraph(**r) for r in rows}
        return [found[i] for i in ids if i in found]

    def iter_paragraphs(
        self, document_id: int | None = None, batch_size: int = 500
    ) -> Iterator[Paragraph]:
        """All paragraphs in document order, read in batches so memory stays flat."""
        last = (-1, -1)
        while True:
            query = sa.select(paragraphs_t)
            if document_id is not None:
                query = query.where(paragraphs_t.c.document_id == document_id)
            query = (
                query.where(
                    sa.tuple_(paragraphs_t.c.document_id, paragraphs_t.c.position)
                    > sa.tuple_(*last)
                )
                .order_by(paragraphs_t.c.document_id, paragraphs_t.c.position)
                .limit(batch_size)
            )
            with self._read() as conn:
                rows = [Paragraph(**r) for r in conn.execute(query).mappings()]
            if not rows:
                return
            yield from rows
            last = (rows[-1].document_id, rows[-1].position)

    def annotations(self, paragraph_id: int, layer: str | None = None) -> list[Annotation]:
        query = sa.select(annotations_t).where(annotations_t.c.paragraph_id == paragraph_id)
        if layer is not None:
            query = query.where(annotations_t.c.layer == layer)
        with self._read() as conn:
            rows = conn.execute(query.order_by(annotations_t.c.id)).mappings()
            return [Annotation(**r) for r in rows]

    def annotation(self, annotation_id: int) -> Annotation:
        with self._read() as conn:
            row = edits.get_annotation(conn, annotation_id)
        if row is None:
            raise StoreError(f"there is no annotation {annotation_id}; it may have been deleted.")
        return Annotation(**row)

    def statuses(self, paragraph_id: int) -> dict[str, LayerStatus]:
        with self._read() as conn:
            rows = conn.execute(
                sa.select(status_t).where(status_t.c.paragraph_id == paragraph_id)
            ).mappings()
            found = {r["layer"]: LayerStatus(**r) for r in rows}
        return {
            layer: found.get(layer)
            or LayerStatus(paragraph_id=paragraph_id, layer=layer, state="todo")
            for layer in (*self.layer_order, *sorted(set(found) - set(self.layer_order)))
        }

    def events(self, annotator: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        query = sa.select(events_t).order_by(events_t.c.id.desc()).limit(limit)
        if annotator is not None:
            query = query.where(events_t.c.annotator == annotator)
        with self._read() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def paragraphs_to_preannotate(self, layer: str, *, redo: bool = False) -> list[int]:
        """Paragraphs whose ``layer`` has no human annotation: those a model may fill.

        Without ``redo``, paragraphs that already hold model suggestions are left out too.
        """
        human = sa.exists().where(
            (annotations_t.c.paragraph_id == paragraphs_t.c.id)
            & (annotations_t.c.layer == layer)
            & (annotations_t.c.origin == "human")
        )
        query = sa.select(paragraphs_t.c.id).where(~human)
        if not redo:
            any_annotation = sa.exists().where(
                (annotations_t.c.paragraph_id == paragraphs_t.c.id)
                & (annotations_t.c.layer == layer)
            )
            query = query.where(~any_annotation)
        with self._read() as conn:
            return list(conn.execute(query.order_by(paragraphs_t.c.id)).scalars())

    # --- editing: one committed transaction each ---------------------------------------------

    def _notify(self, row: dict[str, Any], action: str) -> None:
        for listener in self.listeners:
            listener(edits.row_to_json(row), action)

    def _check_layer(self, layer: str) -> None:
        if layer not in self.layer_order:
            raise StoreError(
                f"unknown layer {layer!r}; this store knows {', '.join(self.layer_order)}.",
                hint="Add the layer's schema file, or check the spelling.",
            )

    def create_annotation(
        self,
        *,
        paragraph_id: int,
        layer: str,
        kind: str,
        field: str,
        annotator: str,
        label: str | None = None,
        start: int | None = None,
        end: int | None = None,
        value: str | None = None,
        attrs: dict[str, Any] | None = None,
        source_id: int | None = None,
        target_id: int | None = None,
        origin: str = "human",
        confidence: float | None = None,
    ) -> Annotation:
        self._check_layer(layer)
        now = utcnow()
        with self._write() as conn:
            if (
                conn.execute(
                    sa.select(paragraphs_t.c.id).where(paragraphs_t.c.id == paragraph_id)
                ).first()
                is None
            ):
                raise StoreError(f"there is no paragraph {paragraph_id} in this store.")
            for ref in (source_id, target_id):
                if ref is not None:
                    other = edits.get_annotation(conn, ref)
                    if other is None or other["paragraph_id"] != paragraph_id:
                        raise StoreError(
                            f"annotation {ref} does not exist in paragraph {paragraph_id}."
                        )
            result = conn.execute(
                annotations_t.insert().values(
                    paragraph_id=paragraph_id,
                    layer=layer,
                    kind=kind,
                    field=field,
                    start=start,
                    end=end,
                    label=label,
                    value=value,
                    attrs=attrs or {},
                    source_id=source_id,
                    target_id=target_id,
                    annotator=annotator,
                    origin=origin,
                    confidence=confidence,
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
            )
            new_id = int(result.inserted_primary_key[0])  # type: ignore[index]
            row = edits.get_annotation(conn, new_id)
            assert row is not None
            statuses = self._status_side_effects(conn, paragraph_id, layer, annotator)
            edits.record_edit(
                conn,
                annotator=annotator,
                action="create",
                paragraph_id=paragraph_id,
                layer=layer,
                annotation_id=new_id,
                payload={"after": edits.row_to_json(row), **statuses},
            )
        self._notify(row, "create")
        return Annotation(**row)

    def update_annotation(
        self,
        annotation_id: int,
        *,
        annotator: str,
        expected_version: int | None = None,
        **changes: Any,
    ) -> Annotation:
        """Change some of ``start end label value attrs source_id target_id confidence origin``.

        ``expected_version`` is the version the caller last saw; if the row has moved on (someone
        else saved a change), the update is refused with ``ConflictError``.
        """
        unknown = set(changes) - set(edits.EDITABLE_FIELDS)
        if unknown:
            raise StoreError(f"cannot change {', '.join(sorted(unknown))} of an annotation.")
        if "origin" not in changes and not annotator.startswith("model:"):
            # A person who corrects a model's suggestion makes it theirs: pre-annotation
            # never overwrites it again (the suggestion itself stays in the event log).
            changes["origin"] = "human"
        with self._write() as conn:
            before = self._current(conn, annotation_id, expected_version)
            conn.execute(
                annotations_t.update()
                .where(annotations_t.c.id == annotation_id)
                .values(
                    **changes,
                    annotator=annotator,
                    version=before["version"] + 1,
                    updated_at=utcnow(),
                )
            )
            after = edits.get_annotation(conn, annotation_id)
            assert after is not None
            statuses = self._status_side_effects(
                conn, before["paragraph_id"], before["layer"], annotator
            )
            edits.record_edit(
                conn,
                annotator=annotator,
                action="update",
                paragraph_id=before["paragraph_id"],
                layer=before["layer"],
                annotation_id=annotation_id,
                payload={
                    "before": edits.row_to_json(before),
                    "after": edits.row_to_json(after),
                    **statuses,
                },
            )
        self._notify(after, "update")
        return Annotation(**after)

    def delete_annotation(
        self, annotation_id: int, *, annotator: str, expected_version: int | None = None
    ) -> None:
        """Delete an annotation and whatever refers to it (relations, anchored texts)."""
        with self._write() as conn:
            before = self._current(conn, annotation_id, expected_version)
            cascade = _collect_dependents(conn, annotation_id)
            conn.execute(annotations_t.delete().where(annotations_t.c.id == annotation_id))
            statuses = self._status_side_effects(
                conn, before["paragraph_id"], before["layer"], annotator
            )
            edits.record_edit(
                conn,
                annotator=annotator,
                action="delete",
                paragraph_id=before["paragraph_id"],
                layer=before["layer"],
                annotation_id=annotation_id,
                payload={
                    "before": edits.row_to_json(before),
                    "cascade": [edits.row_to_json(r) for r in cascade],
                    **statuses,
                },
            )
        self._notify(before, "delete")

    def set_status(self, paragraph_id: int, layer: str, state: str, *, annotator: str) -> None:
        """Set a layer's status (todo, in_progress, done, stale) for one paragraph; undoable."""
        self._check_layer(layer)
        if state not in LAYER_STATES:
            raise StoreError(
                f"unknown status {state!r}", hint=f"Use one of {', '.join(LAYER_STATES)}."
            )
        with self._write() as conn:
            current = edits.get_statuses(conn, paragraph_id)
            before = current.get(layer)
            after = {"state": state, "annotator": annotator}
            if (before or {"state": "todo"})["state"] == state:
                return
            edits.apply_status_changes(conn, paragraph_id, {layer: after})
            edits.record_edit(
                conn,
                annotator=annotator,
                action="status",
                paragraph_id=paragraph_id,
                layer=layer,
                annotation_id=None,
                payload={"status_before": {layer: before}, "status_after": {layer: after}},
            )

    def undo(self, annotator: str) -> dict[str, Any] | None:
        """Undo the annotator's last change (across restarts); returns the undo event or None."""
        with self._write() as conn:
            event_id = edits.undo(conn, annotator)
            event = edits.get_event(conn, event_id) if event_id is not None else None
        return dict(event) if event is not None else None

    def redo(self, annotator: str) -> dict[str, Any] | None:
        """Redo the annotator's last undone change; returns the redo event or None."""
        with self._write() as conn:
            event_id = edits.redo(conn, annotator)
            event = edits.get_event(conn, event_id) if event_id is not None else None
        return dict(event) if event is not None else None

    def _current(
        self, conn: sa.Connection, annotation_id: int, expected_version: int | None
    ) -> dict[str, Any]:
        row = edits.get_annotation(conn, annotation_id)
        if row is None:
            raise edits.ConflictError(
                f"annotation {annotation_id} no longer exists (deleted by someone else?).",
                hint="Refresh to see the current state.",
            )
        if expected_version is not None and row["version"] != expected_version:
            raise edits.ConflictError(
                f"annotation {annotation_id} was changed by {row['annotator']} since you opened "
                f"it (version {row['version']}, you had {expected_version}); nothing was overwritten.",
                hint="Refresh to see their change, then edit again.",
            )
        return row

    def _status_side_effects(
        self, conn: sa.Connection, paragraph_id: int, layer: str, annotator: str
    ) -> dict[str, Any]:
        current = edits.get_statuses(conn, paragraph_id)
        changes = edits.status_effects_of_edit(current, layer, self.layer_order, annotator)
        if not changes:
            return {}
        edits.apply_status_changes(conn, paragraph_id, dict(changes))
        return {
            "status_before": {layer_: current.get(layer_) for layer_ in changes},
            "status_after": changes,
        }

    # --- bulk writing (imports, pre-annotation) -----------------------------------------------

    @contextmanager
    def bulk(self, *, annotator: str = "import", action: str = "import") -> Iterator[BulkWriter]:
        """One transaction for a whole import: everything or nothing lands."""
        with self._write() as conn:
            writer = BulkWriter(conn)
            yield writer
            edits.record_plain(
                conn,
                annotator=annotator,
                action=action,
                payload={
                    "documents": writer.result.document_ids,
                    "paragraphs": writer.result.paragraphs_added,
                    "annotations": writer.result.annotations_added,
                },
            )


def _collect_dependents(conn: sa.Connection, annotation_id: int) -> list[dict[str, Any]]:
    """Everything that the database cascade will delete with this annotation, recursively."""
    found: list[dict[str, Any]] = []
    frontier = [annotation_id]
    seen = {annotation_id}
    while frontier:
        current = frontier.pop()
        for row in edits.dependents(conn, current):
            if row["id"] not in seen:
                seen.add(row["id"])
                found.append(row)
                frontier.append(row["id"])
    return sorted(found, key=lambda r: r["id"])


def _refuse_non_sqlite_file(path: Path) -> None:
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb") as fh:
        header = fh.read(16)
    if header != b"SQLite format 3\x00":
        raise StoreError(
            f"{path} exists but is not a SQLite database.",
            hint="Point --db at a layerkit database, or at a new file name to create one.",
            title="Not a database",
        )


@dataclass
class NewParagraph:
    """A paragraph ready for the store: NFC text, segmentation and annotations resolved."""

    text: str
    sentences: list[list[int]]
    tokens: list[list[int]]
    flags: list[dict[str, Any]]
    meta: dict[str, Any]
    annotations: list[dict[str, Any]]  # rows; "local_id", "source", "target" are file-local ids
    status: dict[str, dict[str, Any]]


@dataclass
class NewDocument:
    name: str
    source: str
    format: str
    meta: dict[str, Any]
    paragraphs: list[NewParagraph]

    @property
    def sha256(self) -> str:
        return text_sha256("\n\n".join(p.text for p in self.paragraphs))


class BulkWriter:
    """Inserts documents inside the transaction opened by :meth:`Store.bulk`."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        self.result = BulkResult()

    def has_document(self, sha256: str) -> bool:
        return (
            self.conn.execute(
                sa.select(documents_t.c.id).where(documents_t.c.sha256 == sha256)
            ).first()
            is not None
        )

    def add_document(self, doc: NewDocument) -> int | None:
        """Insert one document; returns its id, or None when the same content is already stored."""
        sha = doc.sha256
        if self.has_document(sha):
            self.result.documents_skipped += 1
            return None
        doc_id = int(
            self.conn.execute(
                documents_t.insert().values(
                    name=doc.name,
                    source=doc.source,
                    format=doc.format,
                    sha256=sha,
                    meta=doc.meta,
                    created_at=utcnow(),
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        )
        for position, par in enumerate(doc.paragraphs):
            self._add_paragraph(doc_id, position, par)
        self.result.documents_added += 1
        self.result.document_ids.append(doc_id)
        return doc_id

    def _add_paragraph(self, doc_id: int, position: int, par: NewParagraph) -> None:
        sha = text_sha256(par.text)
        first = self.conn.execute(
            sa.select(sa.func.min(paragraphs_t.c.id)).where(paragraphs_t.c.sha256 == sha)
        ).scalar()
        if first is not None:
            self.result.duplicates += 1
        par_id = int(
            self.conn.execute(
                paragraphs_t.insert().values(
                    document_id=doc_id,
                    position=position,
                    text=par.text,
                    sha256=sha,
                    duplicate_of_id=first,
                    sentences=par.sentences,
                    tokens=par.tokens,
                    flags=par.flags,
                    meta=par.meta,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        )
        self.result.paragraphs_added += 1
        self.add_annotations(par_id, par.annotations)
        now = utcnow()
        status_rows = [
            {
                "paragraph_id": par_id,
                "layer": layer,
                "state": st["state"],
                "annotator": st.get("annotator"),
                "updated_at": now,
            }
            for layer, st in par.status.items()
            if st["state"] != "todo"
        ]
        if status_rows:
            self.conn.execute(status_t.insert(), status_rows)

    def add_annotations(self, paragraph_id: int, rows: list[dict[str, Any]]) -> None:
        """Insert annotations, resolving file-local ``source``/``target`` ids to database ids.

        Annotations that nothing refers to go in one executemany; the few that others refer to
        are inserted first, one by one, to learn their ids.
        """
        now = utcnow()
        referenced = {r.get("source") for r in rows} | {r.get("target") for r in rows}
        referenced.discard(None)
        id_map: dict[int, int] = {}
        pending = [r for r in rows if r.get("local_id") in referenced]
        plain: list[dict[str, Any]] = []
        rest = [r for r in rows if r.get("local_id") not in referenced]
        # Referenced annotations may themselves refer to others (a text anchored to a span that a
        # relation also uses), so insert them in dependency order.
        while pending:
            ready = [
                r
                for r in pending
                if all(r.get(k) is None or r[k] in id_map for k in ("source", "target"))
            ]
            if not ready:
                raise StoreError("annotations refer to each other in a cycle.")
            for r in ready:
                id_map[r["local_id"]] = self._insert_one(paragraph_id, r, id_map, now)
            pending = [r for r in pending if r["local_id"] not in id_map]
        for r in rest:
            plain.append(_annotation_values(paragraph_id, r, id_map, now))
        if plain:
            self.conn.execute(annotations_t.insert(), plain)
        self.result.annotations_added += len(rows)

    def replace_model_annotations(
        self, paragraph_id: int, layer: str, rows: list[dict[str, Any]]
    ) -> bool:
        """Put a model's suggestions for one paragraph's layer in place of earlier ones.

        Checked inside the transaction, so an annotator who saved an edit a moment ago wins:
        a paragraph whose layer has any human annotation is left alone (returns False).
        """
        layer_rows = (annotations_t.c.paragraph_id == paragraph_id) & (
            annotations_t.c.layer == layer
        )
        human = self.conn.execute(
            sa.select(annotations_t.c.id)
            .where(layer_rows & (annotations_t.c.origin == "human"))
            .limit(1)
        ).first()
        if human is not None:
            return False
        self.conn.execute(annotations_t.delete().where(layer_rows))
        self.add_annotations(paragraph_id, rows)
        return True

    def _insert_one(
        self, paragraph_id: int, row: dict[str, Any], id_map: dict[int, int], now: Any
    ) -> int:
        result = self.conn.execute(
            annotations_t.insert().values(**_annotation_values(paragraph_id, row, id_map, now))
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def set_status(self, paragraph_id: int, layer: str, state: str, annotator: str | None) -> None:
        self.conn.execute(
            status_t.delete().where(
                (status_t.c.paragraph_id == paragraph_id) & (status_t.c.layer == layer)
            )
        )
        self.conn.execute(
            status_t.insert().values(
                paragraph_id=paragraph_id,
                layer=layer,
                state=state,
                annotator=annotator,
                updated_at=utcnow(),
            )
        )


def _annotation_values(
    paragraph_id: int, row: dict[str, Any], id_map: dict[int, int], now: Any
) -> dict[str, Any]:
    def resolve(local: int | None) -> int | None:
        if local is None:
            return None
        if local not in id_map:
            raise StoreError(f"an annotation refers to annotation {local}, which is not there.")
        return id_map[local]

    return {
        "paragraph_id": paragraph_id,
        "layer": row["layer"],
        "kind": row["kind"],
        "field": row["field"],
        "start": row.get("start"),
        "end": row.get("end"),
        "label": row.get("label"),
        "value": row.get("value"),
        "attrs": row.get("attrs") or {},
        "source_id": resolve(row.get("source")),
        "target_id": resolve(row.get("target")),
        "annotator": row.get("annotator") or "import",
        "origin": row.get("origin") or "human",
        "confidence": row.get("confidence"),
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
