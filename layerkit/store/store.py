"""The store: documents, paragraphs, annotations, layer status and the event log.

``Store`` is the only way the rest of layerkit touches the database. Every edit is its own short
committed transaction (so killing the process never loses what was saved), and an import is one
transaction for the whole command (so a failed import leaves the store exactly as it was).
Where one gesture of an annotator makes several edits (accepting a sentence's suggestions),
:meth:`Store.batch` commits them as one transaction and one step of undo.
The store knows layer names and their order (for stale marking) but nothing about schemas,
plugins or the TUI; it does keep each annotator's place (:meth:`Store.save_position`) so that
the place travels with the database, and searches paragraph text (:mod:`.search`).
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from operator import itemgetter
from pathlib import Path
from typing import Any, TypeVar

import orjson
import sqlalchemy as sa

from layerkit.errors import ConflictError, DatabaseUnreachable, StoreError
from layerkit.model import MODEL_ORIGIN_PREFIX
from layerkit.model import Annotation as DomainAnnotation
from layerkit.model import Paragraph as DomainParagraph
from layerkit.store import assignments as _assignments
from layerkit.store import direct, edits, search, snapshots
from layerkit.store.copies import SEPARATOR, copy_key, split_key
from layerkit.store.engine import (
    WRITE_OPTION,
    RetryableWriteError,
    create_engine,
    database_errors,
    database_url,
    display_url,
    is_sqlite,
)
from layerkit.store.imports import pending_paragraphs, visible_paragraphs
from layerkit.store.locks import is_server, lock_annotator, lock_paragraphs
from layerkit.store.migrations import migrate
from layerkit.store.models import (
    LAYER_STATES,
    Annotation,
    AnnotatorPosition,
    Document,
    LayerStatus,
    Paragraph,
    TextDraft,
    from_row,
    utcnow,
)
from layerkit.store.sql import insert_rows, upsert

documents_t: sa.Table = Document.__table__  # type: ignore[attr-defined]
paragraphs_t: sa.Table = Paragraph.__table__  # type: ignore[attr-defined]
annotations_t = edits.annotations_t
status_t = edits.status_t
events_t = edits.events_t
positions_t: sa.Table = AnnotatorPosition.__table__  # type: ignore[attr-defined]
drafts_t: sa.Table = TextDraft.__table__  # type: ignore[attr-defined]

SavedListener = Callable[[dict[str, Any], str], None]
T = TypeVar("T")
# How often a write the server rolled back for a deadlock or serialization failure is tried.
WRITE_ATTEMPTS = 6
#: how long saving an annotator's position waits for a lock on a server
_POSITION_LOCK_TIMEOUT = sa.text("SET LOCAL lock_timeout = '200ms'")


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
    copies: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    """Per layer, per assigned annotator: how many paragraphs their private copy has in each
    state (``assigned`` of them in all; ``todo`` counts the assigned ones not begun)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "paragraphs": self.paragraphs,
            "layers": self.layers,
            "annotations": self.annotations,
            "flagged_paragraphs": self.flagged,
            "duplicate_paragraphs": self.duplicates,
            "copies": self.copies,
        }


# The domain model (layerkit/model.py) is what bulk reads return: the store makes the very
# objects plugins, curricula and exports read.
AnnotationRow = DomainAnnotation
ParagraphBundle = DomainParagraph


_new_annotation_row = partial(tuple.__new__, AnnotationRow)


def domain_annotation(
    row: Mapping[str, Any] | Annotation, *, layer: str | None = None
) -> DomainAnnotation:
    """The domain model's annotation of a stored row (a mapping of the annotations table's
    columns, or a table model), with ``layer`` in place of the row's when given (a private
    copy shown under its layer's name)."""
    get = row.__getitem__ if isinstance(row, Mapping) else row.__getattribute__
    values = [get(name) for name in AnnotationRow._fields]
    if layer is not None:
        values[1] = layer
    if values[8] is None:
        values[8] = {}
    return _new_annotation_row(values)


@dataclass(frozen=True)
class SeenParagraph:
    """A paragraph's annotations and statuses as one annotator sees them
    (:meth:`Store.seen_by`); ``assigned`` are the layers they annotate on a private copy."""

    annotations: list[DomainAnnotation]
    statuses: dict[str, LayerStatus]
    assigned: frozenset[str]


@dataclass
class BulkResult:
    documents_added: int = 0
    documents_skipped: int = 0
    paragraphs_added: int = 0
    annotations_added: int = 0
    duplicates: int = 0
    document_ids: list[int] = field(default_factory=list)


class _ThreadState(threading.local):
    """The batch this thread has open on a store, if any."""

    batch: Batch | None = None


class Store:
    """A layerkit database. Open with :meth:`open`; use as a context manager to close it."""

    def __init__(self, engine: sa.Engine, url: str, layer_order: Sequence[str]) -> None:
        self.engine = engine
        self.url = url
        self.layer_order = tuple(layer_order)
        self._write_engine = engine.execution_options(**{WRITE_OPTION: True})
        self.listeners: list[SavedListener] = []
        self._local = _ThreadState()

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
                raise StoreError(
                    f"{path} is a directory, not a database file.",
                    hint=f"Give --db a file inside it, e.g. --db {path / 'layerkit.db'}.",
                )
            if not path.parent.exists():
                raise StoreError(
                    f"the folder {path.parent} does not exist.",
                    hint="Create it first or choose another --db path.",
                )
            _refuse_non_sqlite_file(path)
            if not create and path.stat().st_size == 0:
                # (opened, SQLite would write its header: a command that only reads, such as
                # status, must leave the file as it found it)
                raise StoreError(
                    f"{path} is an empty file, not a layerkit store yet.",
                    hint="Create the store first: `layerkit init` with the same --db (or "
                    "LAYERKIT_DB).",
                    title="Not a layerkit store",
                )
        shown = display_url(url_or_path)
        engine = create_engine(url)
        try:
            migrate(engine, url_for_messages=shown, create=create)
        except DatabaseUnreachable as exc:  # (a refused connection: engine._said_unreachable)
            engine.dispose()
            raise _cannot_connect(shown, exc.__cause__ or exc) from None
        except sa.exc.OperationalError as exc:
            engine.dispose()
            if is_sqlite(url):
                raise StoreError(
                    f"{shown} cannot be opened as a layerkit database: {exc.orig}",
                    hint="Check the path; a layerkit database is created by `layerkit init`.",
                ) from None
            raise _cannot_connect(shown, exc.orig) from None
        except sa.exc.DatabaseError as exc:
            engine.dispose()
            if not is_sqlite(url) and getattr(exc.orig, "sqlstate", None) == "42501":
                reason = str(exc.orig).strip().splitlines()[0]
                if "permission denied for schema" not in reason:
                    # the tables are there, the user may not read them: creating is not it
                    raise StoreError(
                        f"{shown}: the database user may not read layerkit's tables ({reason}).",
                        hint="Ask the database's owner to GRANT SELECT ON ALL TABLES IN SCHEMA "
                        "public TO the user (and INSERT, UPDATE, DELETE, and USAGE ON ALL "
                        "SEQUENCES, to annotate and import), or use a user that has them.",
                        title="No right to read",
                    ) from None
                # insufficient privilege: the user may connect but not create the tables
                raise StoreError(
                    f"{shown}: the database user may not create layerkit's tables "
                    f"({str(exc.orig).strip().splitlines()[0]}).",
                    hint="Make the user the database's owner (ALTER DATABASE … OWNER TO …), or "
                    "GRANT CREATE ON SCHEMA public TO the user, or give --db a database it owns.",
                    title="No right to create tables",
                ) from None
            raise StoreError(
                f"{shown} cannot be opened as a layerkit database: {exc.orig}",
                hint="Check the path; a layerkit database is created by `layerkit init`.",
            ) from None
        except BaseException:
            engine.dispose()
            raise
        store = cls(engine, url, layer_order)
        try:
            # What a killed `layerkit import` wrote (hidden) is taken back on the next open.
            from layerkit.store.imports import clean_abandoned_imports

            clean_abandoned_imports(store)
        except BaseException:
            engine.dispose()
            raise
        return store

    @property
    def display_url(self) -> str:
        """Where this store lives, as it may be shown to people (password masked)."""
        return display_url(self.url.removeprefix("sqlite:///"))

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
        if self._local.batch is not None:
            # This thread's batch holds the write lock: another write would wait for it forever.
            raise StoreError(
                "a batch is open on this store; make this change through the batch, "
                "or after its `with` block ends."
            )
        with database_errors(), self._write_engine.begin() as conn:
            yield conn

    def _run_write(self, body: Callable[[sa.Connection], T], *, annotator: str | None) -> T:
        """Run ``body`` in one write transaction and commit it; on a server, run it again when
        the server rolled it back for a deadlock or serialization failure (a few times, then
        give up with a ``ConflictError``). ``body`` must therefore do nothing but database work.

        ``annotator``: whose event stacks the transaction may push or pop (locked first; see
        :mod:`.locks`)."""
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                with self._write() as conn:
                    if annotator is not None:
                        lock_annotator(conn, annotator)
                    return body(conn)
            except RetryableWriteError:
                if attempt == WRITE_ATTEMPTS:
                    raise ConflictError(
                        f"the database kept refusing this change for concurrent writers "
                        f"({WRITE_ATTEMPTS} tries); nothing was saved.",
                        hint="Try again in a moment.",
                    ) from None
                time.sleep(random.uniform(0.005, 0.02) * attempt)
        raise AssertionError("unreachable")

    # --- reading ----------------------------------------------------------------------------

    def summary(self) -> StatusSummary:
        """Counts of what readers can see (documents of unfinished imports left out)."""
        shown = visible_paragraphs()
        with self._read() as conn, conn.begin():
            n_docs = conn.execute(
                sa.select(sa.func.count())
                .select_from(documents_t)
                .where(documents_t.c.pending_import_id.is_(None))
            ).scalar_one()
            n_pars = conn.execute(
                sa.select(sa.func.count()).select_from(paragraphs_t).where(shown)
            ).scalar_one()
            rows = conn.execute(
                sa.select(status_t.c.layer, status_t.c.state, sa.func.count())
                .where(status_t.c.paragraph_id.not_in(pending_paragraphs()))
                .group_by(status_t.c.layer, status_t.c.state)
            ).all()
            per_layer_ann = conn.execute(
                sa.select(annotations_t.c.layer, sa.func.count())
                .where(annotations_t.c.paragraph_id.not_in(pending_paragraphs()))
                .group_by(annotations_t.c.layer)
                # (in one order on every database: PostgreSQL's grouping gave another)
                .order_by(annotations_t.c.layer)
            ).all()
            assigned = conn.execute(
                sa.select(
                    _assignments.assignments_t.c.layer,
                    _assignments.assignments_t.c.annotator,
                    sa.func.count(),
                )
                .where(_assignments.assignments_t.c.paragraph_id.not_in(pending_paragraphs()))
                .group_by(
                    _assignments.assignments_t.c.layer, _assignments.assignments_t.c.annotator
                )
            ).all()
            duplicates = conn.execute(
                sa.select(sa.func.count())
                .select_from(paragraphs_t)
                .where(paragraphs_t.c.duplicate_of_id.is_not(None) & shown)
            ).scalar_one()
            flagged = conn.execute(
                sa.select(sa.func.count())
                .select_from(paragraphs_t)
                .where((sa.func.json_array_length(paragraphs_t.c.flags) > 0) & shown)
                if is_sqlite(self.url)
                else sa.select(sa.func.count())
                .select_from(paragraphs_t)
                .where((sa.cast(paragraphs_t.c.flags, sa.String) != "[]") & shown)
            ).scalar_one()
        # Shared layers count over every paragraph; a private copy over the paragraphs its
        # annotator was assigned (it has no status row until they begin).
        layers: dict[str, dict[str, int]] = {}
        for layer in self.layer_order:
            layers[layer] = dict.fromkeys(LAYER_STATES, 0)
        copies: dict[str, dict[str, dict[str, int]]] = {}
        for layer, annotator, count in assigned:
            copies.setdefault(layer, {})[annotator] = {
                "assigned": count,
                **dict.fromkeys(LAYER_STATES, 0),
            }
        for key, state, count in rows:
            layer, owner = split_key(key)
            if owner is None:
                layers.setdefault(layer, dict.fromkeys(LAYER_STATES, 0))[state] = count
            elif owner in copies.get(layer, {}) and state != "todo":
                copies[layer][owner][state] = count
        for counts in layers.values():
            counts["todo"] += n_pars - sum(counts.values())
        for by_annotator in copies.values():
            for counts in by_annotator.values():
                begun = sum(counts[s] for s in LAYER_STATES if s != "todo")
                counts["todo"] = max(counts["assigned"] - begun, 0)
        return StatusSummary(
            documents=n_docs,
            paragraphs=n_pars,
            layers=layers,
            copies={
                layer: dict(sorted(copies[layer].items()))
                for layer in sorted(copies, key=self.layer_rank)
            },
            annotations={layer: n for layer, n in per_layer_ann if split_key(layer)[1] is None},
            flagged=flagged,
            duplicates=duplicates,
        )

    def layer_rank(self, layer: str) -> tuple[int, str]:
        """Sorts layers bottom-up (lexical first), unknown ones last by name."""
        order = list(self.layer_order)
        return (order.index(layer) if layer in order else len(order), layer)

    def documents(self) -> list[Document]:
        """The documents readers can see (not those of an import still running)."""
        with self._read() as conn:
            rows = conn.execute(
                sa.select(documents_t)
                .where(documents_t.c.pending_import_id.is_(None))
                .order_by(documents_t.c.id)
            ).mappings()
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
        return from_row(Paragraph, row)

    def paragraphs(self, ids: Sequence[int]) -> list[Paragraph]:
        """Several paragraphs in one query, in the order of ``ids`` (missing ones left out)."""
        with self._read() as conn:
            rows = conn.execute(
                sa.select(paragraphs_t).where(paragraphs_t.c.id.in_(list(ids)))
            ).mappings()
            found = {r["id"]: from_row(Paragraph, r) for r in rows}
        return [found[i] for i in ids if i in found]

    def iter_paragraphs(
        self, document_id: int | None = None, batch_size: int = 500
    ) -> Iterator[Paragraph]:
        """All paragraphs in document order, read in batches so memory stays flat."""
        last = (-1, -1)
        while True:
            query = sa.select(paragraphs_t).where(visible_paragraphs())
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
                rows = [from_row(Paragraph, r) for r in conn.execute(query).mappings()]
            if not rows:
                return
            yield from rows
            last = (rows[-1].document_id, rows[-1].position)

    def iter_paragraph_bundles(
        self,
        *,
        layers: Sequence[str] | None = None,
        ready_layers: Sequence[str] | None = None,
        ready_states: Sequence[str] = ("done",),
        after: tuple[int, int] | None = None,
        until: tuple[int, int] | None = None,
        batch_size: int = 500,
        raw: bool = True,
    ) -> Iterator[ParagraphBundle]:
        """Paragraphs in document order with their annotations and layer states, read in bulk.

        For readers of the whole corpus (exports): paragraphs are read ``batch_size`` at a time,
        each batch with one query per table in one read transaction (a consistent snapshot), as
        plain values instead of model objects, so memory holds one batch whatever the size of
        the store. ``layers`` limits the annotations read to those layers (None: all);
        ``ready_layers`` limits the paragraphs to those where one of these layers is in one of
        ``ready_states`` (None: every paragraph). States are read for every layer. ``after`` and
        ``until`` are ``(document_id, position)`` keys: the paragraphs after the first, up to and
        including the second, so that several readers can share a corpus stretch by stretch.

        On SQLite the queries run on the driver's own cursor (SQLAlchemy's row objects and JSON
        processing would cost more than the rest of an export); ``raw=False`` reads through
        SQLAlchemy as on any other database (the two paths agree; tested).
        """
        last = after or (-1, -1)
        while True:
            with self._read() as conn, conn.begin():
                batch = _read_bundles(
                    conn, (last, until), layers, ready_layers, ready_states, batch_size, raw
                )
            if not batch:
                return
            last = (batch[-1].document_id, batch[-1].position)
            yield from batch
            del batch  # before the next batch is read: memory holds one batch, not two

    def read_paragraphs(
        self, ids: Sequence[int], *, layers: Sequence[str] | None = None
    ) -> list[ParagraphBundle]:
        """The paragraphs ``ids`` (in that order) with the annotations of ``layers`` (None:
        every layer) and every layer's state, as the bulk reader makes them, in one read
        transaction. Unknown ids, and paragraphs of an import still running, are left out."""
        if not ids:
            return []
        if len(ids) == 1 and layers is not None and not layers:  # the annotator opening one
            with self._read() as conn, conn.begin():
                one = _read_one_bundle(conn, ids[0])
            return [one] if one is not None else []
        # A few paragraphs (the TUI opens one on every paragraph change) are read through
        # SQLAlchemy's cache of compiled statements: the raw path compiles each query with the
        # ids written into it, about 0.4 ms a query, which only pays off over many rows.
        raw = len(ids) > FEW_PARAGRAPHS
        with self._read() as conn, conn.begin():
            found = _read_bundles(conn, ((-1, -1), None), layers, None, (), len(ids), raw, ids=ids)
        by_id = {b.id: b for b in found}
        return [by_id[i] for i in ids if i in by_id]

    def annotations(self, paragraph_id: int, layer: str | None = None) -> list[Annotation]:
        query = sa.select(annotations_t).where(annotations_t.c.paragraph_id == paragraph_id)
        if layer is not None:
            query = query.where(annotations_t.c.layer == layer)
        with self._read() as conn:
            rows = conn.execute(query.order_by(annotations_t.c.id)).mappings()
            return [from_row(Annotation, r) for r in rows]

    def annotation(self, annotation_id: int) -> Annotation:
        with self._read() as conn:
            row = edits.get_annotation(conn, annotation_id)
        if row is None:
            raise StoreError(f"there is no annotation {annotation_id}; it may have been deleted.")
        return from_row(Annotation, row)

    def statuses(
        self, paragraph_id: int, *, annotator: str | None = None
    ) -> dict[str, LayerStatus]:
        """Every layer's status (``todo`` where there is none), then the statuses of other
        layer keys (private copies: ``copies.py``). With ``annotator``, as that annotator sees
        them (:meth:`seen_by`)."""
        if annotator is not None:
            return self.seen_by(paragraph_id, annotator, annotations=False).statuses
        with self._read() as conn:
            return self._statuses(conn, paragraph_id)

    def prepare_statements(self) -> None:
        """Compile now the statements an annotator's edits, undos and reopened paragraphs run
        (:mod:`.direct`), which would otherwise be compiled during the session's first label
        and first undo (about 8 ms of the first label). A warm-up that touches no row; on a
        server SQLAlchemy compiles them on first use, as before."""
        if not is_sqlite(self.url):
            return
        with self._write_engine.connect() as conn:
            edits.prepare_statements(conn)
            for statement in (_STATUS_ROWS, _ONE_PARAGRAPH):
                direct.prepare(conn.dialect, statement, ["paragraph_id"])

    def _statuses(self, conn: sa.Connection, paragraph_id: int) -> dict[str, LayerStatus]:
        rows = direct.execute(conn, _STATUS_ROWS, {"paragraph_id": paragraph_id}).mappings()
        found = {r["layer"]: from_row(LayerStatus, r) for r in rows}
        # (from_row: the validating constructor costs ~40 µs, a paragraph opened ~0.3 ms;
        # every field given: a default pydantic fills in costs it a signature inspection of
        # ``default_factory``, 10 µs a layer)
        now = utcnow()
        return {
            layer: found.get(layer)
            or from_row(
                LayerStatus,
                {
                    "paragraph_id": paragraph_id,
                    "layer": layer,
                    "state": "todo",
                    "annotator": None,
                    "updated_at": now,
                },
            )
            for layer in (*self.layer_order, *sorted(set(found) - set(self.layer_order)))
        }

    def seen_by(
        self, paragraph_id: int, annotator: str, *, annotations: bool = True
    ) -> SeenParagraph:
        """A paragraph's annotations and statuses as ``annotator`` sees them, in one read:
        on each layer assigned to them, their private copy under the layer's own name (the
        shared layer hidden: their work is independent); elsewhere the shared layers; nobody
        else's copies ever."""
        seen: list[DomainAnnotation] | None = None
        with self._read() as conn, conn.begin():
            mine = edits.assigned_layers(conn, paragraph_id, annotator)
            statuses = self._statuses(conn, paragraph_id)
            rows: list[Any] = []
            if annotations and conn.dialect.name == "sqlite":
                seen = _seen_in_snapshot(conn, paragraph_id, annotator, mine)
            if annotations and seen is None:
                rows = list(
                    conn.execute(_PARAGRAPH_ANNOTATIONS, {"paragraph_id": paragraph_id}).mappings()
                )
        seen_statuses: dict[str, LayerStatus] = {}
        for key, status in statuses.items():
            layer, owner = split_key(key)
            if owner is None and layer not in mine:
                seen_statuses[key] = status
        for layer in sorted(mine):  # assigned: the copy's status, or todo
            copy, shared = statuses.get(copy_key(layer, annotator)), statuses.get(layer)
            if copy is None and shared is None:
                continue
            seen_statuses[layer] = from_row(
                LayerStatus,
                {
                    "paragraph_id": paragraph_id,
                    "layer": layer,
                    "state": copy.state if copy is not None else "todo",
                    "annotator": copy.annotator if copy is not None else None,
                    "updated_at": copy.updated_at if copy is not None else shared.updated_at,  # type: ignore[union-attr]
                },
            )
        if seen is None:
            seen = []
            for row in rows:
                layer, owner = split_key(row["layer"])
                if owner is None and layer not in mine:
                    seen.append(domain_annotation(row))
                elif owner == annotator and layer in mine:
                    seen.append(domain_annotation(row, layer=layer))
        return SeenParagraph(seen, seen_statuses, mine)

    def events(self, annotator: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        query = sa.select(events_t).order_by(events_t.c.id.desc()).limit(limit)
        if annotator is not None:
            query = query.where(events_t.c.annotator == annotator)
        with self._read() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def paragraphs_to_preannotate(self, layer: str, *, redo: bool = False) -> list[int]:
        """Paragraphs whose ``layer`` has no annotation a person made (an annotator's or an
        adjudicator's): those a model may fill.

        Without ``redo``, paragraphs that already hold model suggestions are left out too.
        """
        human = sa.exists().where(
            (annotations_t.c.paragraph_id == paragraphs_t.c.id)
            & (annotations_t.c.layer == layer)
            & _by_a_person()
        )
        query = sa.select(paragraphs_t.c.id).where(~human & visible_paragraphs())
        if not redo:
            any_annotation = sa.exists().where(
                (annotations_t.c.paragraph_id == paragraphs_t.c.id)
                & (annotations_t.c.layer == layer)
            )
            query = query.where(~any_annotation)
        with self._read() as conn:
            return list(conn.execute(query.order_by(paragraphs_t.c.id)).scalars())

    # --- independent double annotation (assignments.py, copies.py) ----------------------------

    def document_sizes(self) -> list[tuple[int, str, int]]:
        """``(id, name, paragraphs)`` of every document, in id order."""
        with self._read() as conn:
            return _assignments.document_sizes(conn)

    def document_paragraph_ids(self, document_ids: Sequence[int]) -> list[int]:
        """The paragraphs of these documents, in document order."""
        with self._read() as conn:
            return _assignments.paragraph_ids(conn, document_ids)

    def shared_work(self, paragraph_ids: Sequence[int], layers: Sequence[str]) -> dict[str, int]:
        """Per layer, how many of the paragraphs have annotations in its shared layer."""
        with self._read() as conn:
            return _assignments.shared_work(conn, paragraph_ids, layers)

    def assign(
        self,
        paragraph_ids: Sequence[int],
        layers: Sequence[str],
        annotators: Sequence[str],
        *,
        by: str,
        copy_shared: bool,
    ) -> _assignments.AssignResult:
        """Assign ``layers`` of the paragraphs to each annotator, to annotate on private copies
        (see :mod:`.assignments`); in one transaction, all or nothing."""
        bad = [a for a in annotators if not a or SEPARATOR in a]
        if not annotators or bad:
            raise StoreError(
                f"cannot assign to {', '.join(map(repr, bad)) or 'nobody'}.",
                hint=f"Name each annotator (names without {SEPARATOR!r}).",
            )
        return self._run_write(
            lambda conn: _assignments.assign(
                conn,
                self.layer_order,
                paragraph_ids,
                layers,
                annotators,
                by=by,
                copy_shared=copy_shared,
            ),
            annotator=by,
        )

    def assigned_paragraph_ids(self, layers: Sequence[str]) -> list[int]:
        """The paragraphs with one of ``layers`` assigned, in id order."""
        with self._read() as conn:
            return _assignments.assigned_paragraph_ids(conn, layers)

    def assigned_annotators(self, layers: Sequence[str]) -> dict[str, list[str]]:
        """Per layer of ``layers``, the annotators assigned to it anywhere."""
        with self._read() as conn:
            return _assignments.assigned_annotators(conn, layers)

    def read_copies(
        self, paragraph_ids: Sequence[int], layers: Sequence[str]
    ) -> _assignments.CopyRows:
        """The private copies of ``layers`` in these paragraphs, in bulk as plain tuples, in
        one read transaction: what agreement reads (see :func:`.assignments.copy_rows`)."""
        with self._read() as conn, conn.begin():
            return _assignments.copy_rows(conn, paragraph_ids, layers, _fetch_bound)

    def assignments(
        self, *, paragraph_ids: Sequence[int] | None = None, annotator: str | None = None
    ) -> list[_assignments.AssignmentRow]:
        """Who annotates which paragraph's layer on a private copy."""
        with self._read() as conn:
            return _assignments.assignments(conn, paragraph_ids=paragraph_ids, annotator=annotator)

    # --- editing: one committed transaction each, or one for a batch --------------------------

    def _notify(self, edit: edits.Edit) -> None:
        if edit.row is not None:
            self._tell([(edits.row_to_json(edit.row), edit.action)])

    def _tell(self, changed: Sequence[tuple[dict[str, Any], str]]) -> None:
        """The listeners hear of what an edit, an undo or a redo changed, row by row, once
        committed. Each listener hears of every row even when one failed (the first failure
        is raised after): a plugin's failing hook kept the others, and later rows, unheard."""
        failure: Exception | None = None
        for row, action in changed:
            for listener in self.listeners:
                try:
                    listener(row, action)
                except Exception as exc:
                    failure = failure or exc
        if failure is not None:
            raise failure

    def _commit_one(
        self, annotator: str, apply: Callable[[sa.Connection], edits.Edit]
    ) -> edits.Edit:
        """Apply one edit and log it as one event, in one transaction; then tell the listeners
        (only then: they must never hear of a change that was rolled back)."""

        def body(conn: sa.Connection) -> edits.Edit:
            edit = apply(conn)
            edits.record_edit(conn, annotator=annotator, edit=edit)
            return edit

        edit = self._run_write(body, annotator=annotator)
        self._notify(edit)
        return edit

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
        shared: bool = False,
        sole: bool = False,
    ) -> Annotation:
        """Save a new annotation. An annotator assigned to the paragraph's layer
        (:meth:`assign`) writes to their private copy of it; ``shared`` writes the shared
        layer all the same (adjudication). ``sole``: the annotation is the one of its field at
        its place (a paragraph's intent, a token's reading, a span's text): refused as a
        conflict if the layer has one there already, someone else's saved meanwhile (two
        annotators setting a paragraph's intent at once had made it two intents)."""
        edits.check_layer(layer, self.layer_order)
        values: dict[str, Any] = dict(
            paragraph_id=paragraph_id,
            layer=layer,
            kind=kind,
            field=field,
            label=label,
            start=start,
            end=end,
            value=value,
            attrs=attrs,
            source_id=source_id,
            target_id=target_id,
            origin=origin,
            confidence=confidence,
            shared=shared,
            sole=sole,
        )
        edit = self._commit_one(
            annotator,
            lambda conn: edits.create(conn, self.layer_order, annotator=annotator, **values),
        )
        assert edit.row is not None
        return from_row(Annotation, edit.row)  # (as stored: no second validation)

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
        edit = self._commit_one(
            annotator,
            lambda conn: edits.update(
                conn,
                self.layer_order,
                annotation_id,
                annotator=annotator,
                expected_version=expected_version,
                changes=changes,
            ),
        )
        assert edit.row is not None
        return from_row(Annotation, edit.row)  # (as stored: no second validation)

    def delete_annotation(
        self, annotation_id: int, *, annotator: str, expected_version: int | None = None
    ) -> None:
        """Delete an annotation and whatever refers to it (relations, anchored texts)."""
        self._commit_one(
            annotator,
            lambda conn: edits.delete(
                conn,
                self.layer_order,
                annotation_id,
                annotator=annotator,
                expected_version=expected_version,
            ),
        )

    def set_status(
        self, paragraph_id: int, layer: str, state: str, *, annotator: str, shared: bool = False
    ) -> None:
        """Set a layer's status (todo, in_progress, done, stale) for one paragraph; undoable.
        An assigned annotator sets their copy's (see :meth:`create_annotation`)."""
        edits.check_layer(layer, self.layer_order)
        if state not in LAYER_STATES:
            raise StoreError(
                f"unknown status {state!r}", hint=f"Use one of {', '.join(LAYER_STATES)}."
            )

        def body(conn: sa.Connection) -> None:
            edit = edits.set_status(
                conn,
                self.layer_order,
                paragraph_id,
                layer,
                state,
                annotator=annotator,
                shared=shared,
            )
            if edit is not None:
                edits.record_edit(conn, annotator=annotator, edit=edit)

        self._run_write(body, annotator=annotator)

    @contextmanager
    def batch(
        self,
        *,
        annotator: str,
        label: str | None = None,
        paragraph_id: int | None = None,
        layer: str | None = None,
    ) -> Iterator[Batch]:
        """Several edits as one transaction and one step of undo.

        ``with store.batch(annotator="anna", label="accept sentence 2") as b:`` then
        ``b.create_annotation(...)``, ``b.update_annotation(...)``, ``b.delete_annotation(...)``,
        ``b.set_status(...)`` take the same arguments as the single edits (without the
        annotator) and check the same things. When the block ends, everything is committed as
        one ``batch`` event that one :meth:`undo` reverts and one :meth:`redo` re-applies; an
        exception leaving the block rolls all of it back and logs nothing. A batch with no
        change in it writes nothing at all.

        ``paragraph_id`` and ``layer`` say where the batch happened, for an app to show after
        an undo (default: where its first edit happened); ``label`` is a few words for the
        log. Within the block, edit only through ``b``: the store refuses other writes from
        this thread until the batch ends, since they would wait on its transaction forever.
        """
        if self._local.batch is not None:
            raise StoreError("a batch is already open; batches do not nest.")
        batch = Batch(self, annotator)
        self._local.batch = batch
        try:
            yield batch
        except BaseException:
            batch._rollback()
            raise
        else:
            batch._commit(label=label, paragraph_id=paragraph_id, layer=layer)
        finally:
            self._local.batch = None

    def undo(self, annotator: str) -> dict[str, Any] | None:
        """Undo the annotator's last change (across restarts); returns the undo event or None.

        A batch is undone as a whole or not at all. If any of the step's rows was changed by
        someone else since, nothing changes and the step is taken off the undo stack (so that
        the next undo reaches the step below it): :class:`edits.UndoSkipped`, an "Edit
        conflict" that names the step, is raised after that is committed.
        """

        return self._step(annotator, edits.undo, "undoes", undone=True)

    def redo(self, annotator: str) -> dict[str, Any] | None:
        """Redo the annotator's last undone change; returns the redo event or None."""
        return self._step(annotator, edits.redo, "redoes", undone=False)

    def _step(
        self,
        annotator: str,
        take: Callable[[sa.Connection, str], int | None],
        payload_key: str,
        *,
        undone: bool,
    ) -> dict[str, Any] | None:
        """Undo or redo (``take``: :func:`edits.undo` or :func:`edits.redo`) the annotator's
        step in one write; its event, whose ``payload_key`` names the step, is returned and the
        rows it changed are told to the listeners once committed."""
        changed: list[tuple[dict[str, Any], str]] = []

        def body(conn: sa.Connection) -> dict[str, Any] | edits.UndoSkipped | None:
            changed.clear()  # (a write retried from the start)
            try:
                event_id = take(conn, annotator)
            except edits.UndoSkipped as skipped:
                return skipped  # its skip event is committed with this transaction
            if event_id is None:
                return None
            event = dict(edits.get_event(conn, event_id))
            step = edits.get_event(conn, event["payload"][payload_key])
            changed.extend(edits.changed_rows(conn, step, undone=undone))
            return event

        outcome = self._run_write(body, annotator=annotator)
        if isinstance(outcome, edits.UndoSkipped):
            raise outcome
        self._tell(changed)
        return outcome

    # --- where each annotator was -------------------------------------------------------------

    def position(self, annotator: str) -> AnnotatorPosition | None:
        """Where the annotator last was (saved by :meth:`save_position`), or None."""
        with self._read() as conn:
            row = (
                conn.execute(sa.select(positions_t).where(positions_t.c.annotator == annotator))
                .mappings()
                .first()
            )
        return AnnotatorPosition(**row) if row is not None else None

    def save_position(
        self,
        annotator: str,
        *,
        paragraph_id: int | None,
        layer: str | None = None,
        cursor: int | None = None,
        mode: str | None = None,
    ) -> AnnotatorPosition:
        """Remember where the annotator is, replacing what was saved before.

        Kept in the database so it follows the project to another machine. It is UI state,
        not annotation: its own short transaction, no event, nothing to undo.
        """
        if layer is not None:
            edits.check_layer(layer, self.layer_order)
        if cursor is not None and cursor < 0:
            raise StoreError(f"a cursor position cannot be negative (got {cursor}).")
        values: dict[str, Any] = {
            "paragraph_id": paragraph_id,
            "layer": layer,
            "cursor": cursor,
            "mode": mode,
            "updated_at": utcnow(),
        }

        def body(conn: sa.Connection) -> sa.RowMapping:
            if is_server(conn):
                # A position is not worth waiting for: its foreign key waited on a paragraph
                # another session held (the PostgreSQL audit: opening it froze the annotator
                # for the whole lock timeout, 30 s). Refused at once, it is saved next time.
                conn.execute(_POSITION_LOCK_TIMEOUT)
            if paragraph_id is not None:
                edits.require_paragraph(conn, paragraph_id)
            upsert(conn, positions_t, {"annotator": annotator, **values}, keys=("annotator",))
            # Read back, so the caller gets exactly what position() will return later.
            return (
                conn.execute(sa.select(positions_t).where(positions_t.c.annotator == annotator))
                .mappings()
                .one()
            )

        return AnnotatorPosition(**self._run_write(body, annotator=None))

    # --- drafts of free texts ----------------------------------------------------------------

    def save_drafts(
        self,
        annotator: str,
        paragraph_id: int,
        drafts: dict[str, str],
        *,
        bases: Mapping[str, int] | None = None,
    ) -> None:
        """Keep the texts an annotator is typing (``slot`` → text), replacing earlier drafts of
        those slots; one short transaction, no event (see :class:`TextDraft`). ``bases``: per
        slot, the version of the saved text the draft is typed over (0: none)."""
        if not drafts:
            return
        bases = bases or {}

        def body(conn: sa.Connection) -> None:
            edits.require_paragraph(conn, paragraph_id)
            rows = [
                {
                    "annotator": annotator,
                    "slot": slot,
                    "paragraph_id": paragraph_id,
                    "value": value,
                    "updated_at": utcnow(),
                    "base_version": bases.get(slot),
                }
                for slot, value in drafts.items()
            ]
            upsert(conn, drafts_t, rows, keys=("annotator", "slot"))

        self._run_write(body, annotator=None)

    def drafts(self, annotator: str, slots: Sequence[str]) -> dict[str, str]:
        """The annotator's unsaved drafts of these slots (slot → text)."""
        return {slot: text for slot, (text, _) in self.drafts_typed_over(annotator, slots).items()}

    def drafts_typed_over(
        self, annotator: str, slots: Sequence[str]
    ) -> dict[str, tuple[str, int | None]]:
        """The annotator's unsaved drafts of these slots, each with the version of the saved
        text it was typed over (0: there was none; None: not known): slot → (text, version)."""
        with self._read() as conn:
            rows = conn.execute(
                sa.select(drafts_t.c.slot, drafts_t.c.value, drafts_t.c.base_version).where(
                    (drafts_t.c.annotator == annotator) & drafts_t.c.slot.in_(list(slots))
                )
            )
            return {slot: (value, base) for slot, value, base in rows}

    def discard_drafts(self, annotator: str, slots: Sequence[str]) -> None:
        """Forget drafts once their texts are saved (or deliberately thrown away)."""

        def body(conn: sa.Connection) -> None:
            conn.execute(
                drafts_t.delete().where(
                    (drafts_t.c.annotator == annotator) & drafts_t.c.slot.in_(list(slots))
                )
            )

        self._run_write(body, annotator=None)

    # --- text search ----------------------------------------------------------------------------

    def search_paragraph_ids(
        self, query: str, *, limit: int = 100, after_id: int | None = None
    ) -> list[int]:
        """Ids of paragraphs containing every word of ``query``, in reading order.

        One page of at most ``limit`` ids; pass the last id of a page as ``after_id`` for the
        next. Case, stress marks and ``ё``/``е`` do not matter; the last word may be the
        beginning of a word (``мыл`` finds ``мыла``). See :mod:`layerkit.store.search`.
        """
        with self._read() as conn:
            return search.paragraph_ids(conn, query, limit=limit, after_id=after_id)

    def count_search_hits(self, query: str) -> int:
        """How many paragraphs :meth:`search_paragraph_ids` finds for ``query``, in all."""
        with self._read() as conn:
            return search.count(conn, query)

    # --- bulk writing (imports, pre-annotation) -----------------------------------------------

    @contextmanager
    def bulk(self, *, annotator: str = "import", action: str = "import") -> Iterator[BulkWriter]:
        """One transaction for a whole import: everything or nothing lands."""
        with self._write() as conn:
            lock_annotator(conn, annotator)
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


class Batch:
    """The edits of one :meth:`Store.batch` block: one transaction, one event, one undo step.

    The transaction starts with the first edit, so an empty batch never takes the write lock.
    Each edit runs in a savepoint: one that fails (a version conflict, say) leaves no trace,
    and a caller who catches its error may go on with the batch.
    """

    def __init__(self, store: Store, annotator: str) -> None:
        self._store = store
        self.annotator = annotator
        self._conn: sa.Connection | None = None
        self._transaction: sa.RootTransaction | None = None
        self._edits: list[edits.Edit] = []
        self._closed = False
        self.created: list[Annotation] = []
        """Annotations this batch created, in order (as they were when created)."""
        self.event_id: int | None = None
        """The batch's event once committed; None before, and for an empty batch."""

    @property
    def created_ids(self) -> list[int]:
        return [a.id for a in self.created if a.id is not None]

    @property
    def deleted_ids(self) -> set[int]:
        """Annotations this batch deleted so far, with the relations and texts that went with
        them: a caller deleting several rows skips the ones an earlier delete took along."""
        out: set[int] = set()
        for edit in self._edits:
            if edit.action == "delete" and edit.annotation_id is not None:
                out.add(edit.annotation_id)
                out.update(int(row["id"]) for row in edit.payload.get("cascade", []))
        return out

    @property
    def edit_count(self) -> int:
        """How many edits the batch holds so far (a status set to what it was adds none).

        A property rather than ``len()``, so that an empty batch object is not falsy."""
        return len(self._edits)

    def _apply(self, apply: Callable[[sa.Connection], edits.Edit | None]) -> edits.Edit | None:
        if self._closed:
            raise StoreError("this batch has ended; start a new one to edit again.")
        with database_errors():
            if self._conn is None:
                self._conn = self._store._write_engine.connect()
                self._transaction = self._conn.begin()
                lock_annotator(self._conn, self.annotator)
            with direct.savepoint(self._conn):
                edit = apply(self._conn)
        if edit is not None:
            self._edits.append(edit)
        return edit

    def create_annotation(
        self,
        *,
        paragraph_id: int,
        layer: str,
        kind: str,
        field: str,
        label: str | None = None,
        start: int | None = None,
        end: int | None = None,
        value: str | None = None,
        attrs: dict[str, Any] | None = None,
        source_id: int | None = None,
        target_id: int | None = None,
        origin: str = "human",
        confidence: float | None = None,
        shared: bool = False,
        sole: bool = False,
    ) -> Annotation:
        """As :meth:`Store.create_annotation`; the new id is valid at once (for relations)."""
        values: dict[str, Any] = dict(
            paragraph_id=paragraph_id,
            layer=layer,
            kind=kind,
            field=field,
            label=label,
            start=start,
            end=end,
            value=value,
            attrs=attrs,
            source_id=source_id,
            target_id=target_id,
            origin=origin,
            confidence=confidence,
            shared=shared,
            sole=sole,
        )
        edit = self._apply(
            lambda conn: edits.create(
                conn, self._store.layer_order, annotator=self.annotator, **values
            )
        )
        assert edit is not None and edit.row is not None
        created = from_row(Annotation, edit.row)  # (as stored: no second validation)
        self.created.append(created)
        return created

    def update_annotation(
        self, annotation_id: int, *, expected_version: int | None = None, **changes: Any
    ) -> Annotation:
        """As :meth:`Store.update_annotation`."""
        edit = self._apply(
            lambda conn: edits.update(
                conn,
                self._store.layer_order,
                annotation_id,
                annotator=self.annotator,
                expected_version=expected_version,
                changes=changes,
            )
        )
        assert edit is not None and edit.row is not None
        return from_row(Annotation, edit.row)  # (as stored: no second validation)

    def delete_annotation(self, annotation_id: int, *, expected_version: int | None = None) -> None:
        """As :meth:`Store.delete_annotation` (relations pointing at it go too)."""
        self._apply(
            lambda conn: edits.delete(
                conn,
                self._store.layer_order,
                annotation_id,
                annotator=self.annotator,
                expected_version=expected_version,
            )
        )

    def set_status(
        self, paragraph_id: int, layer: str, state: str, *, shared: bool = False
    ) -> None:
        """As :meth:`Store.set_status`."""
        self._apply(
            lambda conn: edits.set_status(
                conn,
                self._store.layer_order,
                paragraph_id,
                layer,
                state,
                annotator=self.annotator,
                shared=shared,
            )
        )

    def _commit(self, *, label: str | None, paragraph_id: int | None, layer: str | None) -> None:
        self._closed = True
        if self._conn is None:
            return
        assert self._transaction is not None
        try:
            with database_errors():
                if self._edits:
                    self.event_id = edits.record_edit(
                        self._conn,
                        annotator=self.annotator,
                        edit=edits.batch_edit(
                            self._edits, label=label, paragraph_id=paragraph_id, layer=layer
                        ),
                    )
                self._transaction.commit()
        finally:
            self._conn.close()
        for edit in self._edits:
            self._store._notify(edit)

    def _rollback(self) -> None:
        self._closed = True
        if self._conn is None:
            return
        assert self._transaction is not None
        try:
            self._transaction.rollback()
        finally:
            self._conn.close()
        self._edits.clear()
        self.created.clear()


# What the annotator's screen reads on every paragraph it opens or edit it makes
# (:meth:`Store.seen_by`), built once: building a statement costs more than SQLite's answer.
_STATUS_ROWS = sa.select(status_t).where(status_t.c.paragraph_id == sa.bindparam("paragraph_id"))


def _seen_in_snapshot(
    conn: sa.Connection, paragraph_id: int, annotator: str, mine: frozenset[str]
) -> list[DomainAnnotation] | None:
    """:meth:`Store.seen_by`'s annotations with the shared layers taken from the paragraph's
    snapshot (``snapshots.py``: one cell and one ``orjson.loads``, ~0.35 ms in all, where its
    rows through SQLAlchemy cost ~1.9 ms, on every paragraph the annotator opens and after every
    edit), the annotator's copies of ``mine`` from their rows; None where there is no readable
    snapshot."""
    driver = conn.connection.driver_connection
    blob = snapshots.read(driver, [paragraph_id]).get(paragraph_id)
    shared = snapshots.decode(blob) if blob is not None else None
    if shared is None:
        return None
    seen = [a for layer, rows in shared.items() if layer not in mine for a in rows]
    if mine:
        copies = {copy_key(layer, annotator): layer for layer in mine}
        query = _PARAGRAPH_ANNOTATIONS.where(annotations_t.c.layer.in_(list(copies)))
        rows: list[Any] = list(conn.execute(query, {"paragraph_id": paragraph_id}).mappings())
        seen.extend(domain_annotation(row, layer=copies[row["layer"]]) for row in rows)
    seen.sort(key=_by_id)  # in id order, as the rows are read
    return seen


_by_id = itemgetter(0)

_PARAGRAPH_ANNOTATIONS = (
    sa.select(annotations_t)
    .where(annotations_t.c.paragraph_id == sa.bindparam("paragraph_id"))
    .order_by(annotations_t.c.id)
)

#: up to this many paragraphs, :meth:`Store.read_paragraphs` reads through compiled statements
#: cached by SQLAlchemy rather than the raw driver path (:func:`_fetch`)
FEW_PARAGRAPHS = 16


def _fetch(conn: sa.Connection, query: Any, raw: bool) -> list[Any]:
    """Rows as plain tuples; on SQLite (``raw``), from the driver's cursor with JSON columns left
    as text (SQLAlchemy's row objects and JSON processing cost about 2 µs a row)."""
    if raw and conn.dialect.name == "sqlite":
        sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        driver = conn.connection.driver_connection
        assert driver is not None
        return driver.execute(sql).fetchall()
    return [tuple(row) for row in conn.execute(query)]


def _fetch_bound(conn: sa.Connection, query: Any) -> list[Any]:
    """:func:`_fetch` (raw) with the values as bound parameters rather than in the SQL text:
    queries of the same shape are then one statement to SQLite, prepared and cached once (with
    literal ids every batch is a new statement, and the driver keeps the last 128 of them, so
    memory would grow with the number of batches read)."""
    if conn.dialect.name != "sqlite":
        return [tuple(row) for row in conn.execute(query)]
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    driver = conn.connection.driver_connection
    assert driver is not None and compiled.positiontup is not None
    return driver.execute(str(compiled), [params[n] for n in compiled.positiontup]).fetchall()


def _json_value(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str) else value


def _decode_attrs(values: Sequence[Any]) -> list[dict[str, Any]]:
    """``attrs`` of many rows: JSON text (SQLite) is decoded with one ``json.loads`` over all of
    them, which costs half as much as one call a row."""
    try:
        decoded = orjson.loads("[" + ",".join(values) + "]")
    except (
        TypeError,
        ValueError,
    ):  # orjson.JSONDecodeError is a ValueError  # not all text (another database), or not all JSON
        decoded = [_json_value(v) if v else {} for v in values]
    return [a if isinstance(a, dict) else {} for a in decoded]


_BUNDLE_PARAGRAPH_COLUMNS = (
    paragraphs_t.c.id,
    paragraphs_t.c.document_id,
    documents_t.c.name,
    paragraphs_t.c.position,
    paragraphs_t.c.text,
    paragraphs_t.c.sha256,
    paragraphs_t.c.sentences,
    paragraphs_t.c.tokens,
    paragraphs_t.c.meta,
    paragraphs_t.c.flags,
)
# AnnotationRow's fields but the layer, which comes with the counts.
_BUNDLE_ANNOTATION_COLUMNS = tuple(
    annotations_t.c[name] for name in AnnotationRow._fields if name != "layer"
)


_ONE_PARAGRAPH = (
    sa.select(*_BUNDLE_PARAGRAPH_COLUMNS)
    .join(documents_t, documents_t.c.id == paragraphs_t.c.document_id)
    .where(paragraphs_t.c.id == sa.bindparam("paragraph_id"))
    .where(documents_t.c.pending_import_id.is_(None))
)


def _bundle(row: Sequence[Any]) -> ParagraphBundle:
    """A paragraph read with :data:`_BUNDLE_PARAGRAPH_COLUMNS`, without annotations or states."""
    pid, doc_id, name, position, text, sha, sentences, tokens, meta, flags = row
    return ParagraphBundle(
        pid, doc_id, name or "", position, text, sha,
        _json_value(sentences) or [], _json_value(tokens) or [], {}, {},
        # (most paragraphs have neither: no decoding for them)
        {} if meta == "{}" or not meta else _json_value(meta),
        [] if flags == "[]" or not flags else _json_value(flags),
    )  # fmt: skip


def _read_one_bundle(conn: sa.Connection, paragraph_id: int) -> ParagraphBundle | None:
    """A paragraph and its states without annotations, as :func:`_read_bundles` makes it, in
    two statements built once (:mod:`.direct`): what the annotator reads on opening a
    paragraph it has not shown before (building and compiling the general batch read's
    statements cost more than running them)."""
    row = direct.execute(conn, _ONE_PARAGRAPH, {"paragraph_id": paragraph_id}).rows
    if not row:
        return None
    bundle = _bundle(row[0])
    for layer, status in edits.get_statuses(conn, paragraph_id).items():
        bundle.states[layer] = (status["state"], status["annotator"])
    return bundle


def _read_bundles(
    conn: sa.Connection,
    keys: tuple[tuple[int, int], tuple[int, int] | None],
    layers: Sequence[str] | None,
    ready_layers: Sequence[str] | None,
    ready_states: Sequence[str],
    limit: int,
    raw: bool,
    ids: Sequence[int] | None = None,
) -> list[ParagraphBundle]:
    """One batch of :meth:`Store.iter_paragraph_bundles`: the first ``limit`` paragraphs after
    the first ``(document_id, position)`` key of ``keys``, up to the second (None: no end);
    with ``ids``, only those paragraphs."""
    p, s = paragraphs_t.c, status_t.c
    after, until = keys
    query = (
        sa.select(*_BUNDLE_PARAGRAPH_COLUMNS)
        .join(documents_t, documents_t.c.id == p.document_id)
        .where(sa.tuple_(p.document_id, p.position) > sa.tuple_(*after))
        .where(documents_t.c.pending_import_id.is_(None))
        .order_by(p.document_id, p.position)
        .limit(limit)
    )
    if ids is not None:
        query = query.where(p.id.in_(list(ids)))
    if until is not None:
        query = query.where(sa.tuple_(p.document_id, p.position) <= sa.tuple_(*until))
    if ready_layers is not None:
        query = query.where(edits.in_states(p.id, ready_layers, ready_states))
    rows = _fetch(conn, query, raw)
    if not rows:
        return []
    ids = [row[0] for row in rows]
    counts: list[Any] = []
    ann_rows: list[Any] = []
    snapped: dict[int, dict[str, list[AnnotationRow]]] = {}
    if layers is None or layers:  # (no layers asked for: no queries for their annotations)
        if raw and conn.dialect.name == "sqlite" and layers is not None:
            snapped = _read_snapshots(conn, ids, layers)
        unsnapped = [i for i in ids if i not in snapped] if snapped else ids
        if unsnapped:
            counts, ann_rows = _read_annotation_rows(conn, unsnapped, layers, raw)
    state_rows = _fetch(
        conn,
        sa.select(s.paragraph_id, s.layer, s.state, s.annotator).where(s.paragraph_id.in_(ids)),
        raw,
    )
    bundles = {row[0]: _bundle(row) for row in rows}
    for pid, layer, state, annotator in state_rows:
        bundles[pid].states[layer] = (state, annotator)
    for pid, by_layer in snapped.items():
        bundles[pid].annotations.update(by_layer)
    attrs = _decode_attrs([r[7] for r in ann_rows])
    new = _new_annotation_row
    start = 0
    for pid, layer, n in counts:
        end = start + n
        bundles[pid].annotations[layer] = [
            new((r[0], layer, *r[1:7], at, *r[8:]))
            for r, at in zip(ann_rows[start:end], attrs[start:end], strict=True)
        ]
        start = end
    if start != len(ann_rows):
        raise StoreError("annotations changed while a batch was read; read again.")
    return list(bundles.values())


def _read_snapshots(
    conn: sa.Connection, ids: list[int], layers: Sequence[str]
) -> dict[int, dict[str, list[AnnotationRow]]]:
    """The annotations of ``layers`` of the paragraphs ``ids`` that have a readable snapshot
    (``snapshots.py``: shared layers only), in the open read transaction."""
    if not all(snapshots.is_shared(layer) for layer in layers):
        return {}
    driver = conn.connection.driver_connection
    found: dict[int, dict[str, list[AnnotationRow]]] = {}
    for pid, blob in snapshots.read(driver, ids).items():
        decoded = snapshots.decode(blob, layers)
        if decoded is not None:
            found[pid] = decoded
    return found


def _read_annotation_rows(
    conn: sa.Connection, ids: list[int], layers: Sequence[str] | None, raw: bool
) -> tuple[list[Any], list[Any]]:
    """The annotation rows of paragraphs ``ids`` (of ``layers``; None: all), and their
    ``(paragraph, layer, count)`` groups in the same order."""
    a = annotations_t.c
    wanted: Any = a.paragraph_id.in_(ids)
    if layers is not None:
        wanted = wanted & a.layer.in_(list(layers))
    # Rows come ordered by (paragraph, layer, id), the order of the store's index, and are
    # grouped by the counts of a second query on the same snapshot: cheaper than reading the
    # paragraph and layer of every row.
    counts = _fetch(
        conn,
        sa.select(a.paragraph_id, a.layer, sa.func.count())
        .where(wanted)
        .group_by(a.paragraph_id, a.layer)
        .order_by(a.paragraph_id, a.layer),
        raw,
    )
    ann_rows = _fetch(
        conn,
        sa.select(*_BUNDLE_ANNOTATION_COLUMNS)
        .where(wanted)
        .order_by(a.paragraph_id, a.layer, a.id),
        raw,
    )
    return counts, ann_rows


def _cannot_connect(shown: str, reason: object) -> DatabaseUnreachable:
    """The store's error for a server ``Store.open`` could not reach (or log in to)."""
    return DatabaseUnreachable(
        f"cannot connect to {shown}: {str(reason).strip()}",
        hint="Check that the server runs and that the host, port, user, password and "
        "database name are right.",
    )


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
    # layer -> annotators who annotate it on private copies (assignments.py)
    assignments: dict[str, list[str]] = field(default_factory=dict)


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

    def __init__(self, conn: sa.Connection, *, pending_import_id: int | None = None) -> None:
        self.conn = conn
        self.result = BulkResult()
        # The import this writer writes for (its documents hidden until it finishes), if any.
        self.pending_import_id = pending_import_id

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
        # The first paragraph with this text that readers can see, or that this import wrote:
        # never one of another import still running (it may yet be taken back).
        shown: Any = documents_t.c.pending_import_id.is_(None)
        if self.pending_import_id is not None:
            shown = shown | (documents_t.c.pending_import_id == self.pending_import_id)
        first = self.conn.execute(
            sa.select(sa.func.min(paragraphs_t.c.id))
            .join(documents_t, documents_t.c.id == paragraphs_t.c.document_id)
            .where((paragraphs_t.c.sha256 == sha) & shown)
        ).scalar()
        if first is not None:
            self.result.duplicates += 1
        par_id = int(
            self.conn.execute(
                paragraphs_t.insert(),
                {
                    "document_id": doc_id,
                    "position": position,
                    "text": par.text,
                    "search_text": search.search_text(par.text),
                    "sha256": sha,
                    "duplicate_of_id": first,
                    "sentences": par.sentences,
                    "tokens": par.tokens,
                    "flags": par.flags,
                    "meta": par.meta,
                },
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
        assigned = [
            {
                "paragraph_id": par_id,
                "layer": layer,
                "annotator": annotator,
                "assigned_by": "import",  # came with the imported file
                "assigned_at": now,
            }
            for layer, annotators in par.assignments.items()
            for annotator in dict.fromkeys(annotators)
        ]
        if assigned:
            self.conn.execute(_assignments.assignments_t.insert(), assigned)

    def add_annotations(self, paragraph_id: int, rows: list[dict[str, Any]]) -> None:
        """Insert annotations, resolving file-local ``source``/``target`` ids to database ids.

        Annotations that nothing refers to go in one executemany; the few that others refer to
        are inserted first, one by one, to learn their ids.
        """
        insert_rows(self.conn, annotations_t, self._annotation_rows(paragraph_id, rows, utcnow()))
        self.result.annotations_added += len(rows)

    def _annotation_rows(
        self, paragraph_id: int, rows: list[dict[str, Any]], now: Any
    ) -> list[dict[str, Any]]:
        """The column values of a paragraph's annotations that nothing refers to, ready for one
        executemany; the ones others refer to are inserted here first (in dependency order),
        to learn their ids."""
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
        return plain

    def replace_model_annotations(
        self, paragraph_id: int, layer: str, rows: list[dict[str, Any]]
    ) -> bool:
        """Put a model's suggestions for one paragraph's layer in place of earlier ones.

        Checked inside the transaction, so an annotator who saved an edit a moment ago wins:
        a paragraph whose layer has any annotation a person made (an annotator's, an
        adjudicator's, imported gold) is left alone (returns False).
        """
        return self.replace_model_layers(layer, [(paragraph_id, rows)]) == [True]

    def replace_model_layers(
        self, layer: str, paragraphs: Sequence[tuple[int, list[dict[str, Any]]]]
    ) -> list[bool]:
        """:meth:`replace_model_annotations` for many paragraphs at once: whether each one's
        layer was replaced (False: a person annotated it; left alone).

        Why: pre-annotation stores a few dozen token annotations per paragraph, and four
        statements per paragraph (lock, check, delete, insert) cost more than the rows they
        wrote; here each is one statement for all the paragraphs.
        """
        ids = [paragraph_id for paragraph_id, _ in paragraphs]
        if len(set(ids)) != len(ids):
            raise StoreError("a paragraph was given twice in one replacement of model layers.")
        if not ids:
            return []
        # Under the paragraphs' locks: an annotator's edit of this layer either committed before
        # (and is seen below) or waits until this transaction ends.
        lock_paragraphs(self.conn, ids)
        where = {"ids": ids, "layer": layer}
        by_a_person = set(self.conn.execute(_PERSONS_IN_LAYERS, where).scalars())
        replaced = [paragraph_id not in by_a_person for paragraph_id in ids]
        replace = [paragraph_id for paragraph_id, ok in zip(ids, replaced, strict=True) if ok]
        if not replace:
            return replaced
        self.conn.execute(_DELETE_LAYERS, {"ids": replace, "layer": layer})
        now = utcnow()
        plain: list[dict[str, Any]] = []
        for (paragraph_id, rows), ok in zip(paragraphs, replaced, strict=True):
            if ok:
                plain.extend(self._annotation_rows(paragraph_id, rows, now))
                self.result.annotations_added += len(rows)
        insert_rows(self.conn, annotations_t, plain)
        return replaced

    def _insert_one(
        self, paragraph_id: int, row: dict[str, Any], id_map: dict[int, int], now: Any
    ) -> int:
        # Parameters apart from the statement: one compiled INSERT serves every row (.values()
        # would build and cache-key a new statement per row, most of a bulk import's time).
        result = self.conn.execute(
            annotations_t.insert(), _annotation_values(paragraph_id, row, id_map, now)
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def set_status(self, paragraph_id: int, layer: str, state: str, annotator: str | None) -> None:
        edits.upsert_status(self.conn, paragraph_id, layer, state, annotator)


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


def _by_a_person() -> sa.ColumnElement[bool]:
    """Annotations that are not a model's suggestion (:func:`layerkit.model.is_suggestion`)."""
    return ~annotations_t.c.origin.startswith(MODEL_ORIGIN_PREFIX, autoescape=True)


# Paragraphs' layers, in statements built once (building them per call cost more than running
# them): those of ``ids`` whose layer a person annotated; their layers' annotations, deleted.
_LAYERS_ROWS = annotations_t.c.paragraph_id.in_(sa.bindparam("ids", expanding=True)) & (
    annotations_t.c.layer == sa.bindparam("layer")
)
_PERSONS_IN_LAYERS = (
    sa.select(annotations_t.c.paragraph_id).where(_LAYERS_ROWS & _by_a_person()).distinct()
)
_DELETE_LAYERS = annotations_t.delete().where(_LAYERS_ROWS)
