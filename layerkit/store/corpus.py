"""Whole-corpus reads for exports: read-only, in document order, by aggregate queries.

The paragraphs with their annotations come from :meth:`Store.iter_paragraph_bundles` (one
query per batch per table, plain tuples; memory holds one batch at a time). These are the
small aggregate reads around it that an export needs: which documents can yield records (the
split plan's weights), batch bounds for worker processes, document names, duplicated texts,
the snapshot the manifest records, and the model suggestions people corrected (one pass over
the event log). The store owns its tables: exports call these instead of querying them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from layerkit.store import snapshots
from layerkit.store.edits import in_states
from layerkit.store.imports import visible_paragraphs
from layerkit.store.models import Annotation, Document, Event, LayerStatus, Paragraph
from layerkit.store.store import AnnotationRow as Ann
from layerkit.store.store import Store

_paragraphs: sa.Table = Paragraph.__table__  # type: ignore[attr-defined]
_annotations: sa.Table = Annotation.__table__  # type: ignore[attr-defined]
_status: sa.Table = LayerStatus.__table__  # type: ignore[attr-defined]
_documents: sa.Table = Document.__table__  # type: ignore[attr-defined]
_events: sa.Table = Event.__table__  # type: ignore[attr-defined]


# Paragraphs read at a time: 250 export as fast as 500 or 1,000 and hold 40 MiB less at ~140
# annotations a paragraph (measured; 100 are slower by the queries' fixed cost).
BATCH = 250


def _ready(layers: Sequence[str], states: Sequence[str]) -> Any:
    """SQL condition: the paragraph has one of ``layers`` in one of ``states`` (and is not one
    of an import still running)."""
    return visible_paragraphs() & in_states(_paragraphs.c.id, layers, states)


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


Bounds = tuple[tuple[int, int], tuple[int, int] | None]


def batch_bounds(
    store: Store, ready_layers: Sequence[str], states: Sequence[str], batch_size: int = BATCH
) -> Iterator[Bounds]:
    """The batches of :func:`iter_views` as ``(after, until)`` keys (``until`` None for the last):
    ``batch_size`` paragraphs each, found ahead of reading them (one small query a batch) so
    that several processes can read and encode batches side by side. A paragraph whose state
    changes meanwhile is in one batch or none, never in two."""
    after = (-1, -1)
    while True:
        query = (
            sa.select(_paragraphs.c.document_id, _paragraphs.c.position)
            .where(sa.tuple_(_paragraphs.c.document_id, _paragraphs.c.position) > sa.tuple_(*after))
            .where(_ready(ready_layers, states))
            .order_by(_paragraphs.c.document_id, _paragraphs.c.position)
            .offset(batch_size - 1)
            .limit(1)
        )
        with store.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            yield after, None
            return
        until = (int(row[0]), int(row[1]))
        yield after, until
        after = until


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
        .where(visible_paragraphs() & visible_paragraphs(other.c.document_id))
    )
    shared = (
        sa.select(_paragraphs.c.sha256)
        .where(visible_paragraphs())
        .group_by(_paragraphs.c.sha256)
        .having(sa.func.count(sa.distinct(_paragraphs.c.document_id)) > 1)
    )
    by_hash = (
        sa.select(_paragraphs.c.sha256, _paragraphs.c.document_id)
        .where(_paragraphs.c.sha256.in_(shared) & visible_paragraphs())
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
    their text, so the last event id, the row counts, the highest annotation id and the
    document hashes identify a store state without reading it all. None of these reads the
    annotation rows themselves: counting them is a walk of the smallest index (0.1 s for 24.7M
    rows on SQLite), where the sum of their versions, which this used to include, was a scan of
    the whole table (3 s, 6% of a 100k-paragraph export's CPU). That sum could only ever catch
    an edit made outside layerkit that bumped a version, which such edits do not do; on SQLite
    an edit of a shared layer's rows made outside layerkit leaves its paragraph noted as stale
    (``snapshots.py``) until layerkit writes again, and that count is part of the hash.
    """
    with store.engine.connect() as conn:
        docs = conn.execute(sa.select(_documents.c.sha256).order_by(_documents.c.sha256))
        digest = hashlib.sha256()
        n_docs = 0
        for (sha,) in docs:
            digest.update(sha.encode("ascii"))
            n_docs += 1
        n_par = conn.execute(sa.select(sa.func.count()).select_from(_paragraphs)).scalar_one()
        # two queries: SQLite counts from an index and finds the highest id at the end of the
        # table's b-tree only when each is asked alone (together: 1.2 s at 24.7M rows)
        n_ann = conn.execute(sa.select(sa.func.count()).select_from(_annotations)).scalar_one()
        max_id = conn.execute(
            sa.select(sa.func.coalesce(sa.func.max(_annotations.c.id), 0))
        ).scalar_one()
        states = conn.execute(
            sa.select(_status.c.layer, _status.c.state, sa.func.count())
            .group_by(_status.c.layer, _status.c.state)
            .order_by(_status.c.layer, _status.c.state)
        ).all()
        last_event = conn.execute(
            sa.select(sa.func.coalesce(sa.func.max(_events.c.id), 0))
        ).scalar_one()
        stale = snapshots.stale_count(conn)
    facts = {
        "documents": n_docs,
        "paragraphs": int(n_par),
        "annotations": int(n_ann),
        "max_annotation_id": int(max_id),
        "layer_states": [[layer, state, int(n)] for layer, state, n in states],
        "last_event_id": int(last_event),
    }
    if stale is not None:
        facts["stale_paragraphs"] = stale
    digest.update(json.dumps(facts, sort_keys=True).encode("utf-8"))
    return {"sha256": digest.hexdigest(), **facts}


def _attrs(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if not value:
        return {}
    loaded = json.loads(value)
    return loaded if isinstance(loaded, dict) else {}


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
        before.get("confidence"),
        int(before.get("version") or 1),
    )
