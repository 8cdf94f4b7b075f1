"""Assignments: which annotators annotate which paragraphs' layers independently.

``layerkit assign`` picks whole documents (reproducibly, from a seed) until a share of the
paragraphs is reached and assigns their layers to each named annotator. Each assigned annotator
then works on a private copy of the layer (``copies.py``; the store routes their edits there),
blind to the others' copies until every assigned copy is done.

A copy starts empty, or as a copy of the shared layer's annotations when the caller asks
(``copy_shared``): the lexical layer's model pre-annotation is the usual case, so that every
annotator corrects the same suggestions. Relations are copied with their ends moved to the
copy's annotations (and to the annotator's copy of a lower layer when that is copied too).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import sqlalchemy as sa

from layerkit.errors import StoreError, UsageError
from layerkit.store import edits
from layerkit.store.copies import copy_key, split_key
from layerkit.store.locks import lock_paragraphs
from layerkit.store.models import Assignment, Document, LayerStatus, Paragraph, utcnow

assignments_t: sa.Table = Assignment.__table__  # type: ignore[attr-defined]
_paragraphs: sa.Table = Paragraph.__table__  # type: ignore[attr-defined]
_documents: sa.Table = Document.__table__  # type: ignore[attr-defined]
_status: sa.Table = LayerStatus.__table__  # type: ignore[attr-defined]
_annotations = edits.annotations_t

# the columns a copied annotation keeps (its id, layer, ends, version and times are new)
_COPIED = ("kind", "field", "start", "end", "label", "value", "attrs", "annotator", "origin")


@dataclass(frozen=True)
class AssignmentRow:
    paragraph_id: int
    layer: str
    annotator: str


@dataclass
class AssignResult:
    """What :func:`assign` did."""

    paragraphs: int = 0  # paragraphs with at least one new assignment
    assignments: int = 0  # new (paragraph, layer, annotator) rows
    already: int = 0  # asked for but assigned before (left as they were)
    copied: int = 0  # shared annotations copied into new copies
    documents: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "paragraphs": self.paragraphs,
            "assignments": self.assignments,
            "already_assigned": self.already,
            "annotations_copied": self.copied,
            "documents": self.documents,
        }


def document_sizes(conn: sa.Connection) -> list[tuple[int, str, int]]:
    """``(id, name, paragraphs)`` of every published document, in id order."""
    p, d = _paragraphs.c, _documents.c
    rows = conn.execute(
        sa.select(d.id, d.name, sa.func.count(p.id))
        .join(_paragraphs, p.document_id == d.id)
        .where(d.pending_import_id.is_(None))
        .group_by(d.id, d.name)
        .order_by(d.id)
    )
    return [(int(i), str(name), int(n)) for i, name, n in rows]


def choose_documents(
    sizes: Sequence[tuple[int, str, int]], share: float, seed: int
) -> list[tuple[int, str, int]]:
    """Whole documents, in a seeded random order, until at least ``share`` of the paragraphs
    of ``sizes`` are chosen (at least one document when there is any). The same documents
    and seed always give the same choice."""
    if not 0 < share <= 1:
        raise UsageError(
            f"--share {share} is not a share of the paragraphs.",
            hint="Give a number above 0 and at most 1, e.g. 0.1 for a tenth.",
        )
    order = list(sizes)
    random.Random(seed).shuffle(order)
    wanted = share * sum(n for _, _, n in sizes)
    chosen: list[tuple[int, str, int]] = []
    total = 0
    for document in order:
        if chosen and total >= wanted:
            break
        chosen.append(document)
        total += document[2]
    return sorted(chosen)


def paragraph_ids(conn: sa.Connection, document_ids: Sequence[int]) -> list[int]:
    p = _paragraphs.c
    rows = conn.execute(
        sa.select(p.id)
        .where(p.document_id.in_(list(document_ids)))
        .order_by(p.document_id, p.position)
    )
    return [int(r) for r in rows.scalars()]


def shared_work(
    conn: sa.Connection, paragraph_ids: Sequence[int], layers: Sequence[str]
) -> dict[str, int]:
    """Per layer, how many of the paragraphs have annotations in the shared layer."""
    a = _annotations.c
    out: dict[str, int] = {}
    for chunk in _chunks(paragraph_ids):
        rows = conn.execute(
            sa.select(a.layer, sa.func.count(sa.distinct(a.paragraph_id)))
            .where(a.paragraph_id.in_(chunk) & a.layer.in_(list(layers)))
            .group_by(a.layer)
        )
        for layer, n in rows:
            out[layer] = out.get(layer, 0) + int(n)
    return out


def assign(
    conn: sa.Connection,
    layer_order: Sequence[str],
    paragraph_ids: Sequence[int],
    layers: Sequence[str],
    annotators: Sequence[str],
    *,
    by: str,
    copy_shared: bool,
) -> AssignResult:
    """Assign ``layers`` of the paragraphs to each of ``annotators`` (on an open write
    transaction); assignments made before are left as they are. Logged as one ``assign``
    event of ``by`` (not undoable: an assignment is the project's plan, not an edit)."""
    for layer in layers:
        edits.check_layer(layer, layer_order)
        if split_key(layer)[1] is not None:
            raise UsageError(
                f"{layer!r} is a private copy, not a layer to assign.",
                hint=f"Assign the layer itself: {split_key(layer)[0]!r}.",
            )
    ordered = [layer for layer in layer_order if layer in set(layers)]
    result = AssignResult()
    touched: set[int] = set()
    for chunk in _chunks(paragraph_ids):
        lock_paragraphs(conn, chunk)
        existing = {
            (r.paragraph_id, r.layer, r.annotator)
            for r in conn.execute(
                sa.select(assignments_t).where(
                    assignments_t.c.paragraph_id.in_(chunk) & assignments_t.c.layer.in_(ordered)
                )
            )
        }
        now = utcnow()
        new_rows = []
        for pid in chunk:
            for layer in ordered:
                for annotator in annotators:
                    if (pid, layer, annotator) in existing:
                        result.already += 1
                        continue
                    new_rows.append(
                        {
                            "paragraph_id": pid,
                            "layer": layer,
                            "annotator": annotator,
                            "assigned_by": by,
                            "assigned_at": now,
                        }
                    )
                    touched.add(pid)
        if new_rows:
            conn.execute(assignments_t.insert(), new_rows)
            result.assignments += len(new_rows)
            if copy_shared:
                result.copied += _copy_shared(conn, new_rows)
    result.paragraphs = len(touched)
    edits.record_plain(
        conn,
        annotator=by,
        action="assign",
        payload={
            "layers": ordered,
            "annotators": list(annotators),
            "paragraphs": len(touched),
            "assignments": result.assignments,
            "copied": result.copied,
        },
    )
    return result


def _copy_shared(conn: sa.Connection, new_rows: list[dict[str, Any]]) -> int:
    """Fill the new copies with the shared layers' annotations and in-progress statuses,
    lower layers first so that relations into them land on the copies."""
    a = _annotations.c
    by_copy: dict[tuple[int, str], list[str]] = {}
    for row in new_rows:  # made in layer order
        by_copy.setdefault((row["paragraph_id"], row["annotator"]), []).append(row["layer"])
    copied = 0
    for (pid, annotator), layers in by_copy.items():
        moved: dict[int, int] = {}  # shared id -> copy id, across this annotator's layers
        for layer in layers:
            key = copy_key(layer, annotator)
            if conn.execute(
                sa.select(a.id).where((a.paragraph_id == pid) & (a.layer == key)).limit(1)
            ).first():
                continue  # the copy has work already (an earlier assignment): keep it
            shared = [
                dict(r._mapping)
                for r in conn.execute(
                    sa.select(_annotations)
                    .where((a.paragraph_id == pid) & (a.layer == layer))
                    .order_by(a.id)
                )
            ]
            if not shared:
                continue
            now = utcnow()
            # spans and labels first, then relations (their ends must exist)
            for row in sorted(shared, key=lambda r: r["kind"] == "relation"):
                values = {name: row[name] for name in _COPIED}
                values.update(
                    paragraph_id=pid,
                    layer=key,
                    source_id=moved.get(row["source_id"], row["source_id"]),
                    target_id=moved.get(row["target_id"], row["target_id"]),
                    confidence=row["confidence"],
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
                inserted = conn.execute(_annotations.insert().values(**values))
                moved[int(row["id"])] = int(inserted.inserted_primary_key[0])  # type: ignore[index]
                copied += 1
            edits.upsert_status(conn, pid, key, "in_progress", annotator)
    return copied


def assignments(
    conn: sa.Connection,
    *,
    paragraph_ids: Sequence[int] | None = None,
    annotator: str | None = None,
) -> list[AssignmentRow]:
    """The assignments of these paragraphs (None: all), or of one annotator."""
    c = assignments_t.c
    query = sa.select(c.paragraph_id, c.layer, c.annotator).order_by(
        c.paragraph_id, c.layer, c.annotator
    )
    if annotator is not None:
        query = query.where(c.annotator == annotator)
    if paragraph_ids is None:
        return [AssignmentRow(int(p), str(la), str(an)) for p, la, an in conn.execute(query)]
    out: list[AssignmentRow] = []
    for chunk in _chunks(paragraph_ids):
        rows = conn.execute(query.where(c.paragraph_id.in_(chunk)))
        out.extend(AssignmentRow(int(p), str(la), str(an)) for p, la, an in rows)
    return out


def copies_of(
    assigned: Sequence[AssignmentRow], statuses: Mapping[str, str]
) -> dict[str, dict[str, str]]:
    """Per layer of one paragraph, each assigned annotator's copy state (``todo`` where the
    copy has no status yet), from its assignments and its statuses by layer key."""
    out: dict[str, dict[str, str]] = {}
    for row in assigned:
        state = statuses.get(copy_key(row.layer, row.annotator), "todo")
        out.setdefault(row.layer, {})[row.annotator] = state
    return out


def _chunks(ids: Sequence[int], size: int = 500) -> list[list[int]]:
    values = list(ids)
    return [values[i : i + size] for i in range(0, len(values), size)]


def assigned_paragraph_ids(conn: sa.Connection, layers: Sequence[str]) -> list[int]:
    """The paragraphs with a layer of ``layers`` assigned, in id order (ids only: a reader of
    every assigned paragraph reads their assignments a batch at a time)."""
    c = assignments_t.c
    query = (
        sa.select(c.paragraph_id)
        .where(c.layer.in_(list(layers)))
        .group_by(c.paragraph_id)
        .order_by(c.paragraph_id)
    )
    return [int(pid) for pid in conn.execute(query).scalars()]


def assigned_annotators(conn: sa.Connection, layers: Sequence[str]) -> dict[str, list[str]]:
    """Per layer of ``layers``, the annotators assigned to it anywhere."""
    c = assignments_t.c
    rows = conn.execute(
        sa.select(c.layer, c.annotator)
        .where(c.layer.in_(list(layers)))
        .group_by(c.layer, c.annotator)
        .order_by(c.layer, c.annotator)
    )
    out: dict[str, list[str]] = {}
    for layer, annotator in rows:
        out.setdefault(str(layer), []).append(str(annotator))
    return out


class CopyRows(NamedTuple):
    """The private copies of a batch of paragraphs, read in bulk for agreement (see
    :func:`copy_rows`)."""

    # paragraph id -> (its document's name, the length of its text), published paragraphs only
    documents: dict[int, tuple[str, int]]
    assigned: list[tuple[int, str, str]]  # (paragraph id, layer, annotator)
    states: dict[tuple[int, str], str]  # (paragraph id, copy's layer key) -> state
    counts: list[tuple[int, str, int]]  # (paragraph id, layer key, annotations), in row order
    # (field, start, end, label, attrs of token analyses, id of spans, source id, target id),
    # ordered by paragraph, layer key and id
    rows: list[tuple[Any, ...]]


def copy_rows(
    conn: sa.Connection,
    paragraph_ids: Sequence[int],
    layers: Sequence[str],
    fetch: Callable[[sa.Connection, Any], list[Any]],
) -> CopyRows:
    """The assignments of ``layers`` in these paragraphs, their copies' states and
    annotations, on an open read transaction (one snapshot), as plain tuples: a few queries
    for a whole batch, with only the columns agreement measures (``fetch`` runs a query; on
    SQLite it reads the driver's rows directly, JSON left as text). Annotations come grouped
    by ``counts`` rather than with their paragraph and layer on every row, which costs less.
    The ids are padded (repeating the last) to a power of two, so that batches take few
    shapes of query."""
    ids = list(paragraph_ids)
    if ids:
        ids += ids[-1:] * ((1 << (len(ids) - 1).bit_length()) - len(ids))
    p, d, c, s, a = _paragraphs.c, _documents.c, assignments_t.c, _status.c, _annotations.c
    documents = {
        int(pid): (str(name or ""), int(length))
        for pid, name, length in fetch(
            conn,
            sa.select(p.id, d.name, sa.func.length(p.text))
            .join(_documents, d.id == p.document_id)
            .where(p.id.in_(ids) & d.pending_import_id.is_(None)),
        )
    }
    assigned = [
        (int(pid), str(layer), str(annotator))
        for pid, layer, annotator in fetch(
            conn,
            sa.select(c.paragraph_id, c.layer, c.annotator)
            .where(c.paragraph_id.in_(ids) & c.layer.in_(list(layers)))
            .order_by(c.paragraph_id, c.layer, c.annotator),
        )
    ]
    keys = sorted({copy_key(layer, annotator) for _, layer, annotator in assigned})
    if not keys:
        return CopyRows(documents, assigned, {}, [], [])
    states = {
        (int(pid), str(key)): str(state)
        for pid, key, state in fetch(
            conn,
            sa.select(s.paragraph_id, s.layer, s.state).where(
                s.paragraph_id.in_(ids) & s.layer.in_(keys)
            ),
        )
    }
    wanted = a.paragraph_id.in_(ids) & a.layer.in_(keys)
    counts = [
        (int(pid), str(key), int(n))
        for pid, key, n in fetch(
            conn,
            sa.select(a.paragraph_id, a.layer, sa.func.count())
            .where(wanted)
            .group_by(a.paragraph_id, a.layer)
            .order_by(a.paragraph_id, a.layer),
        )
    ]
    rows = fetch(
        conn,
        sa.select(
            a.field,
            a.start,
            a.end,
            a.label,
            sa.case((a.kind == "token", a.attrs), else_=sa.null()),
            sa.case((a.kind == "span", a.id), else_=sa.null()),
            a.source_id,
            a.target_id,
        )
        .where(wanted)
        .order_by(a.paragraph_id, a.layer, a.id),
    )
    if sum(n for _, _, n in counts) != len(rows):
        raise StoreError("annotations changed while a batch was read; read again.")
    return CopyRows(documents, assigned, states, counts, rows)
