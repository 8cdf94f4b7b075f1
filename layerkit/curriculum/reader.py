"""Reading the store for an export: in batches, read-only, in document order.

Departure from "only ``Store`` touches the database": ``Store.annotations`` and ``Store.statuses``
cost two queries and a model object per row for each paragraph (about 2 ms a paragraph,
measured), which caps a 100k-paragraph export at a few thousand records a second. This module
reads the same tables through the store's engine with one query per batch of paragraphs and
plain tuples, in portable SQLAlchemy Core, and never writes. Memory holds one batch at a time.
It belongs in ``Store`` once the store's owners adopt it (tracked in the curriculum docs).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from layerkit.curriculum.tasks import Ann, ParagraphView
from layerkit.store import Annotation, Document, Event, LayerStatus, Paragraph, Store

_paragraphs: sa.Table = Paragraph.__table__  # type: ignore[attr-defined]
_annotations: sa.Table = Annotation.__table__  # type: ignore[attr-defined]
_status: sa.Table = LayerStatus.__table__  # type: ignore[attr-defined]
_documents: sa.Table = Document.__table__  # type: ignore[attr-defined]
_events: sa.Table = Event.__table__  # type: ignore[attr-defined]

_ANN_COLUMNS = (
    _annotations.c.paragraph_id,
    _annotations.c.id,
    _annotations.c.layer,
    _annotations.c.kind,
    _annotations.c.field,
    _annotations.c.start,
    _annotations.c.end,
    _annotations.c.label,
    _annotations.c.value,
    _annotations.c.attrs,
    _annotations.c.source_id,
    _annotations.c.target_id,
    _annotations.c.annotator,
    _annotations.c.origin,
)


def _ready(layers: Sequence[str], states: Sequence[str]) -> Any:
    """SQL condition: the paragraph has one of ``layers`` in one of ``states``."""
    return sa.exists().where(
        (_status.c.paragraph_id == _paragraphs.c.id)
        & _status.c.layer.in_(list(layers))
        & _status.c.state.in_(list(states))
    )


def eligible_documents(
    store: Store, layers: Sequence[str], states: Sequence[str]
) -> dict[int, int]:
    """Document id → number of its paragraphs that can yield a record (the split weights)."""
    query = (
        sa.select(_paragraphs.c.document_id, sa.func.count())
        .where(_ready(layers, states))
        .group_by(_paragraphs.c.document_id)
        .order_by(_paragraphs.c.document_id)
    )
    with store.engine.connect() as conn:
        return {int(d): int(n) for d, n in conn.execute(query)}


def document_names(store: Store, ids: Sequence[int]) -> dict[int, tuple[str, str, dict[str, Any]]]:
    """Document id → (name, content sha256, meta) for the given documents."""
    out: dict[int, tuple[str, str, dict[str, Any]]] = {}
    wanted = list(ids)
    with store.engine.connect() as conn:
        for offset in range(0, len(wanted), 500):
            chunk = wanted[offset : offset + 500]
            rows = conn.execute(
                sa.select(
                    _documents.c.id, _documents.c.name, _documents.c.sha256, _documents.c.meta
                ).where(_documents.c.id.in_(chunk))
            )
            for doc_id, name, sha, meta in rows:
                out[int(doc_id)] = (name, sha, meta or {})
    return out


def duplicate_links(store: Store) -> Iterator[tuple[int, int, str]]:
    """``(document, document, text sha256)`` for every paragraph text found in two documents.

    Both the recorded links (``duplicate_of_id``) and equal text hashes count, so the split can
    keep every copy of a text in one split even if a link was never recorded.
    """
    other = _paragraphs.alias("other")
    recorded = (
        sa.select(_paragraphs.c.document_id, other.c.document_id, _paragraphs.c.sha256)
        .join(other, _paragraphs.c.duplicate_of_id == other.c.id)
        .where(_paragraphs.c.document_id != other.c.document_id)
    )
    shared = (
        sa.select(_paragraphs.c.sha256)
        .group_by(_paragraphs.c.sha256)
        .having(sa.func.count(sa.distinct(_paragraphs.c.document_id)) > 1)
    )
    by_hash = (
        sa.select(_paragraphs.c.sha256, _paragraphs.c.document_id)
        .where(_paragraphs.c.sha256.in_(shared))
        .order_by(_paragraphs.c.sha256, _paragraphs.c.document_id)
    )
    with store.engine.connect() as conn:
        for a, b, sha in conn.execute(recorded):
            yield int(a), int(b), sha
        first: tuple[str, int] | None = None
        for sha, doc in conn.execute(by_hash):
            if first is None or first[0] != sha:
                first = (sha, int(doc))
            elif first[1] != doc:
                yield first[1], int(doc), sha


def snapshot(store: Store) -> dict[str, Any]:
    """A hash that changes whenever the store's content does, from a few aggregate queries.

    Every change made through layerkit appends to the event log, and documents carry a hash of
    their text, so the last event id, the row counts, the sum of annotation versions and the
    document hashes identify a store state without reading it all.
    """
    with store.engine.connect() as conn:
        docs = conn.execute(sa.select(_documents.c.sha256).order_by(_documents.c.sha256))
        digest = hashlib.sha256()
        n_docs = 0
        for (sha,) in docs:
            digest.update(sha.encode("ascii"))
            n_docs += 1
        n_par = conn.execute(sa.select(sa.func.count()).select_from(_paragraphs)).scalar_one()
        ann = conn.execute(
            sa.select(
                sa.func.count(),
                sa.func.coalesce(sa.func.max(_annotations.c.id), 0),
                sa.func.coalesce(sa.func.sum(_annotations.c.version), 0),
            )
        ).one()
        states = conn.execute(
            sa.select(_status.c.layer, _status.c.state, sa.func.count())
            .group_by(_status.c.layer, _status.c.state)
            .order_by(_status.c.layer, _status.c.state)
        ).all()
        last_event = conn.execute(
            sa.select(sa.func.coalesce(sa.func.max(_events.c.id), 0))
        ).scalar_one()
    facts = {
        "documents": n_docs,
        "paragraphs": int(n_par),
        "annotations": int(ann[0]),
        "max_annotation_id": int(ann[1]),
        "annotation_versions": int(ann[2]),
        "layer_states": [[layer, state, int(n)] for layer, state, n in states],
        "last_event_id": int(last_event),
    }
    digest.update(json.dumps(facts, sort_keys=True).encode("utf-8"))
    return {"sha256": digest.hexdigest(), **facts}


def fetch(conn: sa.Connection, query: Any, *, raw: bool = True) -> list[Sequence[Any]]:
    """Rows as plain tuples, JSON columns left as the database gives them.

    On SQLite the query runs on the driver's own cursor (binds rendered by SQLAlchemy's SQLite
    compiler): SQLAlchemy's row objects and JSON processing cost about 2 µs a row, half of the
    export's time per annotation (measured). Other databases go through SQLAlchemy as usual.
    """
    if raw and conn.dialect.name == "sqlite":
        sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        driver = conn.connection.driver_connection
        assert driver is not None
        return list(driver.execute(sql).fetchall())
    return [tuple(row) for row in conn.execute(query)]


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _all_attrs(rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """The ``attrs`` of a batch of annotation rows, decoded with one ``json.loads`` when they
    are JSON text (SQLite): one call over the batch instead of one per row halves the cost."""
    if all(isinstance(r[9], str) for r in rows):
        decoded = json.loads("[" + ",".join(r[9] for r in rows) + "]")
        return [a if isinstance(a, dict) else {} for a in decoded]
    return [_attrs(r[9]) for r in rows]


def _attrs(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if not value:
        return {}
    loaded = json.loads(value)
    return loaded if isinstance(loaded, dict) else {}


def iter_views(
    store: Store,
    *,
    ready_layers: Sequence[str],
    read_layers: Sequence[str],
    states: Sequence[str],
    batch_size: int = 500,
    raw: bool = True,
) -> Iterator[ParagraphView]:
    """Paragraphs that have one of ``ready_layers`` in one of ``states``, in document order,
    with the annotations of ``read_layers`` and the states of every layer."""
    last = (-1, -1)
    read = list(read_layers)
    while True:
        query = (
            sa.select(
                _paragraphs.c.id,
                _paragraphs.c.document_id,
                _paragraphs.c.position,
                _paragraphs.c.text,
                _paragraphs.c.sha256,
                _paragraphs.c.sentences,
                _paragraphs.c.tokens,
            )
            .where(sa.tuple_(_paragraphs.c.document_id, _paragraphs.c.position) > sa.tuple_(*last))
            .where(_ready(ready_layers, states))
            .order_by(_paragraphs.c.document_id, _paragraphs.c.position)
            .limit(batch_size)
        )
        with store.engine.connect() as conn:
            rows = fetch(conn, query, raw=raw)
            if not rows:
                return
            ids = [int(r[0]) for r in rows]
            ann_rows = fetch(
                conn,
                sa.select(*_ANN_COLUMNS)
                .where(_annotations.c.paragraph_id.in_(ids) & _annotations.c.layer.in_(read))
                # (paragraph, layer, id) is the order of the store's index, so no sort is needed;
                # within a layer, annotations still come in the order they were stored.
                .order_by(_annotations.c.paragraph_id, _annotations.c.layer, _annotations.c.id),
                raw=raw,
            )
            state_rows = fetch(
                conn,
                sa.select(
                    _status.c.paragraph_id, _status.c.layer, _status.c.state, _status.c.annotator
                ).where(_status.c.paragraph_id.in_(ids)),
                raw=raw,
            )
            doc_ids = sorted({int(r[1]) for r in rows})
            names = {
                int(doc_id): name
                for doc_id, name in conn.execute(
                    sa.select(_documents.c.id, _documents.c.name).where(
                        _documents.c.id.in_(doc_ids)
                    )
                )
            }
        views: dict[int, ParagraphView] = {}
        ordered = []
        for pid, doc_id, position, text, sha, sentences, tokens in rows:
            view = ParagraphView(
                id=int(pid),
                document_id=int(doc_id),
                document=names.get(int(doc_id), ""),
                position=int(position),
                text=text,
                sha256=sha,
                sentences=_json(sentences) or [],
                tokens=_json(tokens) or [],
            )
            views[view.id] = view
            ordered.append(view)
        for pid, layer, state, annotator in state_rows:
            views[int(pid)].states[layer] = (state, annotator)
        for r, attrs in zip(ann_rows, _all_attrs(ann_rows), strict=True):
            view = views[r[0]]
            ann = Ann(
                r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], attrs, r[10], r[11], r[12], r[13]
            )
            bucket = view.annotations.get(ann.layer)
            if bucket is None:
                view.annotations[ann.layer] = [ann]
            else:
                bucket.append(ann)
        yield from ordered
        last = (ordered[-1].document_id, ordered[-1].position)


def model_suggestions(store: Store, layers: Sequence[str]) -> dict[int, dict[int, Ann]]:
    """Paragraph id → annotation id → the model's suggestion as it was before a person changed
    or deleted it, read from the event log (the earliest such edit of each annotation; edits
    inside ``batch`` events count like single ones).

    Used for preference pairs only; its size grows with the number of corrections, not with the
    corpus.
    """
    wanted = set(layers)
    out: dict[int, dict[int, Ann]] = {}
    query = (
        sa.select(
            _events.c.action, _events.c.paragraph_id, _events.c.annotation_id, _events.c.payload
        )
        .where(_events.c.action.in_(["update", "delete", "batch"]))
        .order_by(_events.c.id)
    )
    with store.engine.connect() as conn:
        for action, paragraph_id, annotation_id, payload in conn.execute(query):
            data = payload if isinstance(payload, dict) else json.loads(payload or "{}")
            edits = (
                data.get("edits") or []
                if action == "batch"
                else [{"action": action, "paragraph_id": paragraph_id,
                       "annotation_id": annotation_id, "payload": data}]
            )  # fmt: skip
            for edit in edits:
                if edit.get("action") in ("update", "delete"):
                    _suggestion(out, edit, wanted)
    return out


def _suggestion(out: dict[int, dict[int, Ann]], edit: dict[str, Any], layers: set[str]) -> None:
    before = (edit.get("payload") or {}).get("before") or {}
    paragraph_id, annotation_id = edit.get("paragraph_id"), edit.get("annotation_id")
    if not str(before.get("origin", "")).startswith("model:") or before.get("layer") not in layers:
        return
    if paragraph_id is None or annotation_id is None:
        return
    per_paragraph = out.setdefault(int(paragraph_id), {})
    if int(annotation_id) in per_paragraph:
        return
    per_paragraph[int(annotation_id)] = Ann(
        int(annotation_id),
        before["layer"],
        before["kind"],
        before["field"],
        before.get("start"),
        before.get("end"),
        before.get("label"),
        before.get("value"),
        _attrs(before.get("attrs")),
        before.get("source_id"),
        before.get("target_id"),
        str(before.get("annotator", "")),
        str(before["origin"]),
    )
