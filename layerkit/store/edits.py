"""Annotation edits, status changes and undo/redo on an open write transaction.

Each edit is a function of a connection (``create``, ``update``, ``delete``, ``set_status``)
that changes the rows and returns an :class:`Edit`: what it did (rows before and after,
statuses before and after), which is exactly what an ``events`` row stores. The store commits
one such edit per transaction as one event, or several as one ``batch`` event (a sentence
accepted at once is one step of undo); both go through these same functions, so a batch
cannot drift from single edits in validation, stale marking or conflict checks.

Because every event carries what it did, any change can be inverted later and the log doubles
as an audit trail. Undo and redo are new events too: the log is never rewritten. Inverting
checks that the data still look the way the event left them; if another annotator changed them
since, it refuses with ``ConflictError`` instead of overwriting their work (for a batch, the
whole batch is refused, since the caller rolls the transaction back).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from layerkit.errors import ConflictError, StoreError, quoted
from layerkit.store import direct
from layerkit.store.copies import base_layer, copy_key, split_key
from layerkit.store.engine import RetryableWriteError
from layerkit.store.locks import EXISTING_PARAGRAPH, lock_paragraphs
from layerkit.store.models import (
    LAYER_STATES,
    Annotation,
    Assignment,
    Event,
    LayerStatus,
    Paragraph,
    utcnow,
)
from layerkit.store.sql import upsert, upsert_statement

annotations_t: sa.Table = Annotation.__table__  # type: ignore[attr-defined]
paragraphs_t: sa.Table = Paragraph.__table__  # type: ignore[attr-defined]
status_t: sa.Table = LayerStatus.__table__  # type: ignore[attr-defined]
events_t: sa.Table = Event.__table__  # type: ignore[attr-defined]
assignments_t: sa.Table = Assignment.__table__  # type: ignore[attr-defined]

# The fields whose values make up an annotation's content (what conflicts are judged on; an
# update changing none of them, accepting a model's suggestion, leaves the layers built on it
# as they are).
CONTENT_FIELDS = (
    "layer",
    "kind",
    "field",
    "start",
    "end",
    "label",
    "value",
    "attrs",
    "source_id",
    "target_id",
    "paragraph_id",
)
EDITABLE_FIELDS = (
    "start",
    "end",
    "label",
    "value",
    "attrs",
    "source_id",
    "target_id",
    "confidence",
    "origin",
)
EDIT_ACTIONS = ("create", "update", "delete", "status", "batch")


def in_states(paragraph_id: Any, layers: Sequence[str], states: Sequence[str]) -> Any:
    """SQL condition: one of ``layers`` of the paragraph ``paragraph_id`` (a column) is in one
    of ``states``. A layer nobody has touched has no status row and is ``todo``, so asking
    for ``todo`` also takes the paragraphs without a row for one of the layers (an ``IN``
    over the rows alone never found them)."""
    found = sa.exists().where(
        (status_t.c.paragraph_id == paragraph_id)
        & status_t.c.layer.in_(list(layers))
        & status_t.c.state.in_(list(states))
    )
    if "todo" not in states:
        return found
    untouched = [
        ~sa.exists().where((status_t.c.paragraph_id == paragraph_id) & (status_t.c.layer == layer))
        for layer in dict.fromkeys(layers)
    ]
    return sa.or_(found, *untouched)


def row_to_json(row: sa.RowMapping | dict[str, Any]) -> dict[str, Any]:
    """An annotation row as JSON-safe data (datetimes as ISO strings)."""
    out = {}
    for key, value in dict(row).items():
        out[key] = value.isoformat() if isinstance(value, datetime) else value
    return out


def _row_from_json(data: dict[str, Any]) -> dict[str, Any]:
    row = dict(data)
    for key in ("created_at", "updated_at"):
        if isinstance(row.get(key), str):
            row[key] = datetime.fromisoformat(row[key])
    return row


def _content(row: dict[str, Any] | sa.RowMapping | None) -> tuple[Any, ...] | None:
    if row is None:
        return None
    return tuple(row[f] for f in CONTENT_FIELDS)


# The statements of every edit, built once: building a statement costs more than running it
# (some 100 µs each, where SQLite answers in a few), and an edit runs half a dozen. Values come
# as parameters at execution; they run through :mod:`.direct` (compiled once; on SQLite's
# driver itself where it can).
_ANNOTATION_BY_ID = sa.select(annotations_t).where(
    annotations_t.c.id == sa.bindparam("annotation_id")
)
_PARAGRAPH_OF_ANNOTATION = sa.select(annotations_t.c.paragraph_id).where(
    annotations_t.c.id == sa.bindparam("annotation_id")
)
_STATUSES = sa.select(status_t.c.layer, status_t.c.state, status_t.c.annotator).where(
    status_t.c.paragraph_id == sa.bindparam("paragraph_id")
)
_ASSIGNED_LAYERS = sa.select(assignments_t.c.layer).where(
    (assignments_t.c.paragraph_id == sa.bindparam("paragraph_id"))
    & (assignments_t.c.annotator == sa.bindparam("annotator"))
)
# The new row back from the INSERT itself, where the database can (one statement less a
# label key; one round trip less to a server)
_INSERT_RETURNING = annotations_t.insert().returning(*annotations_t.c)
# An UPDATE without values: the columns it sets are the execution's parameters named after
# them (the row's own id and version are bound under other names).
_UPDATE_AT_VERSION = annotations_t.update().where(
    (annotations_t.c.id == sa.bindparam("row_id"))
    & (annotations_t.c.version == sa.bindparam("row_version"))
)
_HEAD = (
    sa.select(events_t)
    .where(events_t.c.annotator == sa.bindparam("annotator"))
    .order_by(events_t.c.id.desc())
    .limit(1)
)
EVENT_BY_ID = sa.select(events_t).where(events_t.c.id == sa.bindparam("event_id"))
_DEPENDENTS = (
    sa.select(annotations_t)
    .where(
        (annotations_t.c.source_id == sa.bindparam("annotation_id"))
        | (annotations_t.c.target_id == sa.bindparam("annotation_id"))
    )
    .order_by(annotations_t.c.id)
)
_DELETE_BY_ID = annotations_t.delete().where(annotations_t.c.id == sa.bindparam("annotation_id"))
_DELETE_AT_VERSION = annotations_t.delete().where(
    (annotations_t.c.id == sa.bindparam("row_id"))
    & (annotations_t.c.version == sa.bindparam("row_version"))
)
_INSERT = annotations_t.insert()
_INSERT_EVENT = events_t.insert()
_STATUS_KEY = ("paragraph_id", "layer")
EVENTS_AFTER = (
    sa.select(events_t.c.id, events_t.c.action, events_t.c.paragraph_id, events_t.c.payload)
    .where(events_t.c.id > sa.bindparam("after"))
    .order_by(events_t.c.id)
    .limit(sa.bindparam("limit"))
)
_DELETE_STATUS = status_t.delete().where(
    (status_t.c.paragraph_id == sa.bindparam("paragraph_id"))
    & (status_t.c.layer == sa.bindparam("layer"))
)


def prepare_statements(conn: sa.Connection) -> None:
    """Compile the statements of edits, undos and redos and of the event log's reads now
    (:func:`.direct.prepare`), not during the session's first label and first undo."""
    annotation_columns = [column.key for column in annotations_t.c]
    created = [key for key in annotation_columns if key != "id"]
    event_columns = [column.key for column in events_t.c if column.key != "id"]
    status_columns = ("paragraph_id", "layer", "state", "annotator", "updated_at")
    statements: list[tuple[Any, Sequence[str]]] = [
        (EXISTING_PARAGRAPH, ["id"]),
        (_ASSIGNED_LAYERS, ["paragraph_id", "annotator"]),
        (_INSERT_RETURNING if conn.dialect.insert_returning else _INSERT, created),
        (_STATUSES, ["paragraph_id"]),
        (_DELETE_STATUS, ["paragraph_id", "layer"]),
        (upsert_statement(conn, status_t, _STATUS_KEY, status_columns), status_columns),
        (_HEAD, ["annotator"]),
        (_INSERT_EVENT, event_columns),
        (EVENT_BY_ID, ["event_id"]),
        (EVENTS_AFTER, ["after", "limit"]),
        (_ANNOTATION_BY_ID, ["annotation_id"]),
        (_PARAGRAPH_OF_ANNOTATION, ["annotation_id"]),
        (_DEPENDENTS, ["annotation_id"]),
        (_DELETE_BY_ID, ["annotation_id"]),
        (_DELETE_AT_VERSION, ["row_id", "row_version"]),
        (_INSERT, annotation_columns),
    ]
    for statement, names in statements:
        direct.prepare(conn.dialect, statement, names)


def get_annotation(conn: sa.Connection, annotation_id: int) -> dict[str, Any] | None:
    return direct.execute(conn, _ANNOTATION_BY_ID, {"annotation_id": annotation_id}).first()


def dependents(conn: sa.Connection, annotation_id: int) -> list[dict[str, Any]]:
    return direct.execute(conn, _DEPENDENTS, {"annotation_id": annotation_id}).mappings()


# --- layer status -------------------------------------------------------------------------


def get_statuses(conn: sa.Connection, paragraph_id: int) -> dict[str, dict[str, Any]]:
    rows = direct.execute(conn, _STATUSES, {"paragraph_id": paragraph_id}).rows
    return {layer: {"state": state, "annotator": annotator} for layer, state, annotator in rows}


def _write_status(
    conn: sa.Connection, paragraph_id: int, layer: str, status: dict[str, Any] | None
) -> None:
    """Set one status row: ``todo`` (or None) is no row; anything else is an upsert, so two
    writers setting a new layer's first status at once cannot collide on the primary key."""
    if status is None or status["state"] == "todo":
        direct.execute(conn, _DELETE_STATUS, {"paragraph_id": paragraph_id, "layer": layer})
        return
    upsert_status(conn, paragraph_id, layer, status["state"], status.get("annotator"))


def upsert_status(
    conn: sa.Connection, paragraph_id: int, layer: str, state: str, annotator: str | None
) -> None:
    """Insert or replace a paragraph's status row for ``layer`` in one statement."""
    values = {
        "paragraph_id": paragraph_id,
        "layer": layer,
        "state": state,
        "annotator": annotator,
        "updated_at": utcnow(),
    }
    upsert(conn, status_t, values, keys=_STATUS_KEY)


def status_effects_of_edit(
    current: dict[str, dict[str, Any]],
    layer: str,
    layer_order: Sequence[str],
    annotator: str,
    assigned: frozenset[tuple[str, str]] = frozenset(),
    content_changed: bool = True,
) -> dict[str, dict[str, Any]]:
    """New statuses after an edit of ``layer``: it becomes in progress if it was untouched or
    done (done says a person found it complete: after a change that is theirs to say again,
    and a private copy emptied after it was done was compared and adjudicated as done), and
    every higher layer that already had work on it becomes stale (it was built on the old
    lower layer). ``assigned``: the paragraph's ``(layer, annotator)`` assignments, which tell
    whose copies were built on their own copy of ``layer`` rather than on the shared one.
    ``content_changed`` False: the edit made a model's annotation a person's and changed
    nothing else (accepting a suggestion): the layer is worked on, but nothing built on it or
    said of it is any less true."""
    changes: dict[str, dict[str, Any]] = {}
    mine = current.get(layer)
    reopened = ("todo", "done") if content_changed else ("todo",)
    if mine is None or mine["state"] in reopened:
        changes[layer] = {"state": "in_progress", "annotator": annotator}
    base, owner = split_key(layer)
    if base not in layer_order or not content_changed:
        return changes
    rank = {name: i for i, name in enumerate(layer_order)}
    higher = set(layer_order[rank[base] + 1 :])
    for key in sorted(current, key=lambda k: (rank.get(base_layer(k), len(rank)), k)):
        key_base, key_owner = split_key(key)
        # An edit of a shared layer touches every higher layer built on it: the shared ones,
        # and the copies of annotators who see the shared layer (not their own copy of it); an
        # edit of anna's copy only anna's copies above it (nothing else was built on it).
        if key_base not in higher or (owner is not None and key_owner != owner):
            continue
        if owner is None and key_owner is not None and (base, key_owner) in assigned:
            continue
        status = current[key]
        if status["state"] in ("in_progress", "done"):
            changes[key] = {"state": "stale", "annotator": status.get("annotator")}
    return changes


def apply_status_changes(
    conn: sa.Connection, paragraph_id: int, changes: dict[str, dict[str, Any] | None]
) -> None:
    for layer, status in changes.items():
        _write_status(conn, paragraph_id, layer, status)


# --- the edits ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Edit:
    """One applied change, as the event log keeps it to invert or re-apply it later.

    ``row`` is the annotation the change is about (after it, or before it for a delete), for
    the listeners that are told about saved annotations; it is not part of the event.
    """

    action: str
    paragraph_id: int | None
    layer: str | None
    annotation_id: int | None
    payload: dict[str, Any]
    row: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """The edit as a sub-edit of a batch event: the same keys an event row has."""
        return {
            "action": self.action,
            "paragraph_id": self.paragraph_id,
            "layer": self.layer,
            "annotation_id": self.annotation_id,
            "payload": self.payload,
        }


def check_layer(layer: str, layer_order: Sequence[str]) -> None:
    """Refuse a layer key the store does not know: a layer of ``layer_order``, or an
    annotator's copy of one (``copies.py``)."""
    base, owner = split_key(layer)
    if base not in layer_order or owner == "":
        raise StoreError(
            f"unknown layer {layer!r}; this store knows {', '.join(layer_order)}.",
            hint="Add the layer's schema file, or check the spelling.",
        )


def route_layer(
    conn: sa.Connection, paragraph_id: int, layer: str, annotator: str, *, shared: bool = False
) -> str:
    """The layer key an annotator's edit of ``layer`` goes to: their copy where they are
    assigned to the paragraph's layer, the layer itself otherwise (or with ``shared``). A
    copy's key names its owner, and nobody else may write it."""
    if split_key(layer)[1] is not None:
        check_private(layer, annotator)
        return layer
    if shared:
        return layer
    assigned = layer in assigned_layers(conn, paragraph_id, annotator)
    return copy_key(layer, annotator) if assigned else layer


def assigned_layers(conn: sa.Connection, paragraph_id: int, annotator: str) -> frozenset[str]:
    """The layers of a paragraph assigned to ``annotator`` (their private copies there)."""
    found = direct.execute(
        conn, _ASSIGNED_LAYERS, {"paragraph_id": paragraph_id, "annotator": annotator}
    )
    return frozenset(found.scalars())


def check_private(layer: str, annotator: str) -> None:
    """Refuse an edit of another annotator's private copy: copies are independent work."""
    base, owner = split_key(layer)
    if owner is not None and owner != annotator:
        raise StoreError(
            f"this is {owner}'s private copy of the {base} layer; {annotator} cannot change it.",
            hint="Each assigned annotator edits only their own copy; adjudication writes the "
            "shared layer.",
            title="Private copy",
        )


def require_paragraph(conn: sa.Connection, paragraph_id: int) -> None:
    found = conn.execute(sa.select(paragraphs_t.c.id).where(paragraphs_t.c.id == paragraph_id))
    if found.first() is None:
        raise StoreError(f"there is no paragraph {paragraph_id} in this store.")


def _no_longer_exists(annotation_id: int) -> ConflictError:
    return ConflictError(
        f"annotation {annotation_id} no longer exists (deleted by someone else?).",
        hint="Refresh to see the current state.",
    )


def lock_annotation(conn: sa.Connection, annotation_id: int) -> dict[str, Any]:
    """Lock the paragraph of an annotation (see :mod:`.locks`) and return the annotation as it
    is under that lock; ``ConflictError`` if it is gone."""
    paragraph_id = direct.execute(
        conn, _PARAGRAPH_OF_ANNOTATION, {"annotation_id": annotation_id}
    ).scalar()
    if paragraph_id is None:
        raise _no_longer_exists(annotation_id)
    try:
        lock_paragraphs(conn, [paragraph_id])
    except StoreError:
        raise _no_longer_exists(annotation_id) from None
    row = get_annotation(conn, annotation_id)
    if row is None:
        raise _no_longer_exists(annotation_id)
    return row


def create(
    conn: sa.Connection,
    layer_order: Sequence[str],
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
) -> Edit:
    """Insert an annotation; a relation or anchored text must point into the same paragraph.

    An annotator assigned to the paragraph's layer writes to their copy of it (``copies.py``)
    unless ``shared`` (adjudication writes the shared layer). ``sole``: refused as a conflict
    where the layer already has an annotation of the same kind and field at the same place
    (offsets and anchor; for a text, with the same label), checked under the paragraph's lock.
    """
    check_layer(layer, layer_order)
    lock_paragraphs(conn, [paragraph_id])
    layer = route_layer(conn, paragraph_id, layer, annotator, shared=shared)
    if sole:
        _refuse_a_second(conn, paragraph_id, layer, kind, field, start, end, source_id, label)
    for ref in (source_id, target_id):
        if ref is not None:
            other = get_annotation(conn, ref)
            if other is None:
                # Read under the paragraph's lock: it was there when the caller chose it, so
                # someone deleted it since (or the id is made up): a conflict either way.
                raise _no_longer_exists(ref)
            if other["paragraph_id"] != paragraph_id:
                raise StoreError(f"annotation {ref} does not exist in paragraph {paragraph_id}.")
            owner = split_key(other["layer"])[1]
            if owner is not None and owner != split_key(layer)[1]:
                raise StoreError(
                    f"annotation {ref} is in {owner}'s private copy of the "
                    f"{base_layer(other['layer'])} layer; only that copy may point at it."
                )
    now = utcnow()
    returning = conn.dialect.insert_returning
    result = direct.execute(
        conn,
        _INSERT_RETURNING if returning else _INSERT,
        {
            "paragraph_id": paragraph_id,
            "layer": layer,
            "kind": kind,
            "field": field,
            "start": start,
            "end": end,
            "label": label,
            "value": value,
            "attrs": attrs or {},
            "source_id": source_id,
            "target_id": target_id,
            "annotator": annotator,
            "origin": origin,
            "confidence": confidence,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        },
    )
    row: dict[str, Any] | None
    if returning:  # the row as stored, in the same statement (SQLite 3.35+, PostgreSQL)
        stored = result.first()
        assert stored is not None and len(result.rows) == 1
        new_id, row = int(stored["id"]), stored
    else:
        assert result.inserted_id is not None
        new_id = result.inserted_id
        row = get_annotation(conn, new_id)
    if row is None:  # cannot happen under the paragraph lock; refuse rather than assume
        raise _no_longer_exists(new_id)
    statuses = _status_side_effects(conn, paragraph_id, layer, layer_order, annotator)
    return Edit(
        action="create",
        paragraph_id=paragraph_id,
        layer=layer,
        annotation_id=new_id,
        payload={"after": row_to_json(row), **statuses},
        row=row,
    )


def _sole_query(with_label: bool) -> sa.Select[Any]:
    """An annotation of a kind and field at a place (null-safe: a paragraph label has no
    offsets), for :func:`_refuse_a_second`."""
    c = annotations_t.c
    where = [
        c.paragraph_id == sa.bindparam("paragraph_id"),
        c.layer == sa.bindparam("layer"),
        c.kind == sa.bindparam("kind"),
        c.field == sa.bindparam("field"),
        c.start.is_not_distinct_from(sa.bindparam("start", type_=sa.Integer)),
        c.end.is_not_distinct_from(sa.bindparam("end", type_=sa.Integer)),
        c.source_id.is_not_distinct_from(sa.bindparam("source_id", type_=sa.Integer)),
    ]
    if with_label:
        where.append(c.label.is_not_distinct_from(sa.bindparam("label", type_=sa.String)))
    return sa.select(c.label, c.value, c.annotator).where(*where).limit(1)


_SOLE = _sole_query(with_label=False)
_SOLE_TEXT = _sole_query(with_label=True)


def _refuse_a_second(
    conn: sa.Connection,
    paragraph_id: int,
    layer: str,
    kind: str,
    field: str,
    start: int | None,
    end: int | None,
    source_id: int | None,
    label: str | None,
) -> None:
    """A ``sole`` annotation's place is taken: someone saved one there since the caller
    looked (see :func:`create`)."""
    statement = _SOLE_TEXT if kind == "text" else _SOLE
    params = {
        "paragraph_id": paragraph_id,
        "layer": layer,
        "kind": kind,
        "field": field,
        "start": start,
        "end": end,
        "source_id": source_id,
    }
    if kind == "text":
        params["label"] = label
    found = direct.execute(conn, statement, params).first()
    if found is None:
        return
    what = found["label"] or quoted(found["value"] or "")
    raise ConflictError(
        f"{found['annotator']} has just set the {field} here ({what}); nothing was added.",
        hint="Refresh to see it, then change it if you mean another.",
    )


def update(
    conn: sa.Connection,
    layer_order: Sequence[str],
    annotation_id: int,
    *,
    annotator: str,
    expected_version: int | None = None,
    changes: Mapping[str, Any],
) -> Edit:
    """Change some of the ``EDITABLE_FIELDS`` of an annotation (see ``Store.update_annotation``)."""
    changes = dict(changes)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise StoreError(f"cannot change {', '.join(sorted(unknown))} of an annotation.")
    if "origin" not in changes and not annotator.startswith("model:"):
        # A person who corrects a model's suggestion makes it theirs: pre-annotation
        # never overwrites it again (the suggestion itself stays in the event log).
        changes["origin"] = "human"
    origin = changes.get("origin")
    if isinstance(origin, str) and not origin.startswith("model:") and "confidence" not in changes:
        # a person's annotation has no confidence (docs/formats.md: models only); the model's
        # stays in the event log with the suggestion
        changes["confidence"] = None
    before = current_row(conn, annotation_id, expected_version)
    check_private(before["layer"], annotator)
    _update_at_version(
        conn,
        annotation_id,
        before["version"],
        {**changes, "annotator": annotator, "version": before["version"] + 1},
    )
    after = get_annotation(conn, annotation_id)
    if after is None:
        raise _no_longer_exists(annotation_id)
    changed = any(before[name] != after[name] for name in CONTENT_FIELDS)
    statuses = _status_side_effects(
        conn, before["paragraph_id"], before["layer"], layer_order, annotator, changed
    )
    return Edit(
        action="update",
        paragraph_id=before["paragraph_id"],
        layer=before["layer"],
        annotation_id=annotation_id,
        payload={"before": row_to_json(before), "after": row_to_json(after), **statuses},
        row=after,
    )


def delete(
    conn: sa.Connection,
    layer_order: Sequence[str],
    annotation_id: int,
    *,
    annotator: str,
    expected_version: int | None = None,
) -> Edit:
    """Delete an annotation and whatever refers to it; the event keeps them all for undo."""
    before = current_row(conn, annotation_id, expected_version)
    check_private(before["layer"], annotator)
    cascade = collect_dependents(conn, annotation_id)
    deleted = direct.execute(
        conn, _DELETE_AT_VERSION, {"row_id": annotation_id, "row_version": before["version"]}
    ).rowcount
    if deleted != 1:
        raise _changed_meanwhile(annotation_id)
    statuses = _status_side_effects(
        conn, before["paragraph_id"], before["layer"], layer_order, annotator
    )
    return Edit(
        action="delete",
        paragraph_id=before["paragraph_id"],
        layer=before["layer"],
        annotation_id=annotation_id,
        payload={
            "before": row_to_json(before),
            "cascade": [row_to_json(r) for r in cascade],
            **statuses,
        },
        row=before,
    )


def set_status(
    conn: sa.Connection,
    layer_order: Sequence[str],
    paragraph_id: int,
    layer: str,
    state: str,
    *,
    annotator: str,
    shared: bool = False,
) -> Edit | None:
    """Set one layer's status of a paragraph; None (nothing written) if it already is ``state``.
    An assigned annotator sets their copy's status (see :func:`create`)."""
    check_layer(layer, layer_order)
    if state not in LAYER_STATES:
        raise StoreError(f"unknown status {state!r}", hint=f"Use one of {', '.join(LAYER_STATES)}.")
    lock_paragraphs(conn, [paragraph_id])
    layer = route_layer(conn, paragraph_id, layer, annotator, shared=shared)
    current = get_statuses(conn, paragraph_id)
    before = current.get(layer)
    if _state(before) == state:
        return None
    after = {"state": state, "annotator": annotator}
    apply_status_changes(conn, paragraph_id, {layer: after})
    return Edit(
        action="status",
        paragraph_id=paragraph_id,
        layer=layer,
        annotation_id=None,
        payload={"status_before": {layer: before}, "status_after": {layer: after}},
    )


def current_row(
    conn: sa.Connection, annotation_id: int, expected_version: int | None
) -> dict[str, Any]:
    """The annotation as it is now, if it is still at the version the caller last saw.

    Read under its paragraph's lock, so nobody can change it between this check and the write
    that follows; the write checks the version once more all the same (``_update_at_version``).
    """
    row = lock_annotation(conn, annotation_id)
    if expected_version is not None and row["version"] != expected_version:
        raise ConflictError(
            f"{_described(conn, row)} was changed by {row['annotator']} since you opened "
            f"it (version {row['version']}, you had {expected_version}); nothing was overwritten.",
            hint="Refresh to see their change, then edit again.",
        )
    return row


def _described(conn: sa.Connection, row: Mapping[str, Any]) -> str:
    """An annotation as a person knows it: its label and words (``PREDICATE «Подскажите»``),
    the id only beside them (a conflict that named annotation 6444 told nobody which)."""
    name = row["label"] or row["field"]
    start, end = row["start"], row["end"]
    if start is None or end is None:
        return f"{name} (annotation {row['id']})"
    text = conn.execute(
        sa.select(paragraphs_t.c.text).where(paragraphs_t.c.id == row["paragraph_id"])
    ).scalar()
    return f"{name} {quoted(str(text or '')[start:end], 30)} (annotation {row['id']})"


def _changed_meanwhile(annotation_id: int) -> ConflictError:
    return ConflictError(
        f"annotation {annotation_id} was changed or deleted by someone else while this edit was "
        "being saved; nothing was overwritten.",
        hint="Refresh to see their change, then edit again.",
    )


def _update_at_version(
    conn: sa.Connection, annotation_id: int, version: int, values: dict[str, Any]
) -> None:
    """Update an annotation only if it is still at ``version`` (the check inside the write)."""
    changed = direct.execute(
        conn,
        _UPDATE_AT_VERSION,
        {**values, "updated_at": utcnow(), "row_id": annotation_id, "row_version": version},
    ).rowcount
    if changed != 1:
        raise _changed_meanwhile(annotation_id)


def collect_dependents(conn: sa.Connection, annotation_id: int) -> list[dict[str, Any]]:
    """Everything that the database cascade will delete with this annotation, recursively."""
    found: list[dict[str, Any]] = []
    frontier = [annotation_id]
    seen = {annotation_id}
    while frontier:
        current = frontier.pop()
        for row in dependents(conn, current):
            if row["id"] not in seen:
                seen.add(row["id"])
                found.append(row)
                frontier.append(row["id"])
    return sorted(found, key=lambda r: r["id"])


def _status_side_effects(
    conn: sa.Connection,
    paragraph_id: int,
    layer: str,
    layer_order: Sequence[str],
    annotator: str,
    content_changed: bool = True,
) -> dict[str, Any]:
    current = get_statuses(conn, paragraph_id)
    assigned: frozenset[tuple[str, str]] = frozenset()
    if split_key(layer)[1] is None and any(split_key(key)[1] for key in current):
        rows = conn.execute(
            sa.select(assignments_t.c.layer, assignments_t.c.annotator).where(
                assignments_t.c.paragraph_id == paragraph_id
            )
        )
        assigned = frozenset((row.layer, row.annotator) for row in rows)
    changes = status_effects_of_edit(
        current, layer, layer_order, annotator, assigned, content_changed
    )
    if not changes:
        return {}
    apply_status_changes(conn, paragraph_id, dict(changes))
    return {
        "status_before": {layer_: current.get(layer_) for layer_ in changes},
        "status_after": changes,
    }


def batch_edit(
    edits: Sequence[Edit],
    *,
    label: str | None = None,
    paragraph_id: int | None = None,
    layer: str | None = None,
) -> Edit:
    """Several edits as one: undone and redone together. Where it happened (for an app to show
    it after an undo) is what the caller says, else where the first edit happened."""
    assert edits, "an empty batch is not recorded"
    return Edit(
        action="batch",
        paragraph_id=paragraph_id if paragraph_id is not None else edits[0].paragraph_id,
        layer=layer if layer is not None else edits[0].layer,
        annotation_id=None,
        payload={"label": label, "edits": [e.to_json() for e in edits]},
    )


# --- events and the undo/redo stacks ---------------------------------------------------------


def _head(conn: sa.Connection, annotator: str) -> dict[str, Any] | None:
    return direct.execute(conn, _HEAD, {"annotator": annotator}).first()


def _tops(head: Mapping[str, Any] | None) -> tuple[int | None, int | None]:
    """(undo top, redo top) right after ``head``. An edit or a redo is itself the new undo top and
    an undo the new redo top, so those are implied by the action instead of stored."""
    if head is None:
        return None, None
    action = head["action"]
    if action in EDIT_ACTIONS:
        return head["id"], None
    if action == "redo":
        return head["id"], head["redo_top_id"]
    if action == "undo":
        return head["undo_top_id"], head["id"]
    return head["undo_top_id"], head["redo_top_id"]


def get_event(conn: sa.Connection, event_id: int) -> dict[str, Any]:
    row = direct.execute(conn, EVENT_BY_ID, {"event_id": event_id}).first()
    if row is None:
        raise StoreError(f"event {event_id} is missing from the log")
    return row


def _append_event(
    conn: sa.Connection,
    *,
    annotator: str,
    action: str,
    payload: dict[str, Any],
    paragraph_id: int | None = None,
    layer: str | None = None,
    annotation_id: int | None = None,
    below_id: int | None = None,
    undo_top_id: int | None = None,
    redo_top_id: int | None = None,
) -> int:
    result = direct.execute(
        conn,
        _INSERT_EVENT,
        {
            "at": utcnow(),
            "annotator": annotator,
            "action": action,
            "paragraph_id": paragraph_id,
            "layer": layer,
            "annotation_id": annotation_id,
            "payload": payload,
            "below_id": below_id,
            "undo_top_id": undo_top_id,
            "redo_top_id": redo_top_id,
        },
    )
    assert result.inserted_id is not None
    return result.inserted_id


def record_edit(conn: sa.Connection, *, annotator: str, edit: Edit) -> int:
    """Append an edit event: it goes on top of the annotator's undo stack and clears redo."""
    assert edit.action in EDIT_ACTIONS
    undo_top, _ = _tops(_head(conn, annotator))
    return _append_event(
        conn,
        annotator=annotator,
        action=edit.action,
        paragraph_id=edit.paragraph_id,
        layer=edit.layer,
        annotation_id=edit.annotation_id,
        payload=edit.payload,
        below_id=undo_top,
    )


def record_plain(
    conn: sa.Connection, *, annotator: str, action: str, payload: dict[str, Any]
) -> int:
    """An event that is not undoable (an import, a pre-annotation run): the stacks carry over."""
    undo_top, redo_top = _tops(_head(conn, annotator))
    return _append_event(
        conn,
        annotator=annotator,
        action=action,
        payload=payload,
        undo_top_id=undo_top,
        redo_top_id=redo_top,
    )


def _require_content(
    conn: sa.Connection, annotation_id: int, expected: dict[str, Any], problem: str
) -> dict[str, Any]:
    """The annotation's current row, if it still has the content an event left; else refuse."""
    current = get_annotation(conn, annotation_id)
    if current is None or _content(current) != _content(expected):
        raise ConflictError(
            f"annotation {annotation_id} {problem}", hint="Refresh to see the current state."
        )
    return current


def _edit_behind(conn: sa.Connection, node: Mapping[str, Any]) -> Mapping[str, Any]:
    """The edit event whose forward change a stack node stands for (itself, or what a redo redid)."""
    if node["action"] == "redo":
        return get_event(conn, node["payload"]["redoes"])
    return node


def _invert(conn: sa.Connection, edit: Mapping[Any, Any]) -> None:
    """Undo one edit (an event row, or a sub-edit of a batch), or refuse with ConflictError."""
    payload = edit["payload"]
    action = edit["action"]
    if action == "batch":
        # Newest first: each sub-edit then finds the data as it left them.
        for sub in reversed(payload["edits"]):
            _invert(conn, sub)
        return
    if action == "create":
        after = payload["after"]
        _require_content(
            conn,
            after["id"],
            after,
            "was changed or deleted since it was created; undo would overwrite that change.",
        )
        if dependents(conn, after["id"]):
            raise ConflictError(
                f"other annotations now refer to annotation {after['id']}; undoing its "
                "creation would delete them too.",
                hint="Delete the relations that point to it first, or edit it by hand.",
            )
        direct.execute(conn, _DELETE_BY_ID, {"annotation_id": after["id"]})
    elif action == "update":
        before, after = payload["before"], payload["after"]
        current = _require_content(
            conn, after["id"], after, "was changed since this edit; undo would overwrite it."
        )
        _restore_fields(conn, before, version=current["version"] + 1)
    elif action == "delete":
        for row in [payload["before"], *payload.get("cascade", [])]:
            if get_annotation(conn, row["id"]) is not None:
                raise ConflictError(f"annotation {row['id']} exists again; cannot restore it.")
            restored = _row_from_json(row)
            restored["version"] = row["version"] + 1
            restored["updated_at"] = utcnow()
            direct.execute(conn, _INSERT, restored)
    _check_and_apply_statuses(conn, edit, forward=False)


def _reapply(conn: sa.Connection, edit: Mapping[Any, Any]) -> None:
    """Redo one undone edit (or batch), or refuse with ConflictError."""
    payload = edit["payload"]
    action = edit["action"]
    if action == "batch":
        for sub in payload["edits"]:
            _reapply(conn, sub)
        return
    if action == "create":
        after = payload["after"]
        if get_annotation(conn, after["id"]) is not None:
            raise ConflictError(f"annotation {after['id']} exists again; cannot redo its creation.")
        row = _row_from_json(after)
        row["updated_at"] = utcnow()
        direct.execute(conn, _INSERT, row)
    elif action == "update":
        before, after = payload["before"], payload["after"]
        current = _require_content(
            conn, after["id"], before, "was changed since the undo; redo would overwrite it."
        )
        _restore_fields(conn, after, version=current["version"] + 1)
    elif action == "delete":
        before = payload["before"]
        _require_content(
            conn,
            before["id"],
            before,
            "was changed since the undo; redo would delete that change.",
        )
        direct.execute(conn, _DELETE_BY_ID, {"annotation_id": before["id"]})
    _check_and_apply_statuses(conn, edit, forward=True)


def changed_rows(
    conn: sa.Connection, edit: Mapping[Any, Any], *, undone: bool
) -> list[tuple[dict[str, Any], str]]:
    """What undoing (``undone``) or redoing ``edit`` did to each annotation, as the
    ``annotation_saved`` hook hears of an edit: ``(row, action)``, the row as it is now (as it
    was, for a delete), in the order the rows were changed. Read in the transaction that
    changed them."""
    subs = edit["payload"]["edits"] if edit["action"] == "batch" else [edit]
    out: list[tuple[dict[str, Any], str]] = []
    for sub in reversed(subs) if undone else subs:
        action, payload = sub["action"], sub["payload"]
        if action == "batch":
            out.extend(changed_rows(conn, sub, undone=undone))
            continue
        if action == "create":
            rows, now = [payload["after"]], "delete" if undone else "create"
        elif action == "update":
            rows, now = [payload["after"]], "update"
        elif action == "delete":
            rows = [payload["before"], *payload.get("cascade", [])]
            now = "create" if undone else "delete"
        else:  # a status: no annotation changed
            continue
        for row in rows:
            if now == "delete":
                out.append((dict(row), now))
                continue
            current = get_annotation(conn, row["id"])
            if current is not None:
                out.append((row_to_json(current), now))
    return out


def _restore_fields(conn: sa.Connection, data: dict[str, Any], *, version: int) -> None:
    """Put back the editable fields of ``data``, as version ``version`` (one past the current)."""
    values = {f: data[f] for f in (*EDITABLE_FIELDS, "annotator")}
    _update_at_version(conn, data["id"], version - 1, {**values, "version": version})


def _check_and_apply_statuses(
    conn: sa.Connection, edit: Mapping[Any, Any], *, forward: bool
) -> None:
    """Move statuses back (or forward again) where they are still as the event left them.

    A status someone changed since is theirs: it is left alone rather than reverted.
    """
    before = edit["payload"].get("status_before", {})
    after = edit["payload"].get("status_after", {})
    if not before and not after:
        return
    paragraph_id = edit["paragraph_id"]
    current = get_statuses(conn, paragraph_id)
    expected, target = (before, after) if forward else (after, before)
    if edit["action"] == "status":
        layer = edit["layer"]
        if _state(current.get(layer)) != _state(expected.get(layer)):
            raise ConflictError(
                f"the {layer} status of paragraph {paragraph_id} was changed since; "
                "undo would overwrite it.",
                hint="Refresh to see the current status.",
            )
    for layer in set(before) | set(after):
        if _state(current.get(layer)) == _state(expected.get(layer)):
            _write_status(conn, paragraph_id, layer, target.get(layer))


def _state(status: dict[str, Any] | None) -> str:
    return status["state"] if status else "todo"


def paragraphs_of(edit: Mapping[Any, Any]) -> set[int]:
    """The paragraphs an edit (or a batch of them) touched: what undo and redo must lock."""
    if edit["action"] == "batch":
        found: set[int] = set()
        for sub in edit["payload"]["edits"]:
            found |= paragraphs_of(sub)
        return found
    return {edit["paragraph_id"]} if edit["paragraph_id"] is not None else set()


def undo(conn: sa.Connection, annotator: str) -> int | None:
    """Undo the annotator's most recent change still on their undo stack; None if there is none."""
    undo_top, redo_top = _tops(_head(conn, annotator))
    if undo_top is None:
        return None
    node = get_event(conn, undo_top)
    edit = _edit_behind(conn, node)
    lock_paragraphs(conn, paragraphs_of(edit))
    try:
        with direct.savepoint(conn):
            _invert(conn, edit)
    except ConflictError as exc:
        if isinstance(exc, RetryableWriteError):
            raise
        _skip_undo(conn, annotator, node, edit, redo_top, exc)
    return _append_event(
        conn,
        annotator=annotator,
        action="undo",
        paragraph_id=edit["paragraph_id"],
        layer=edit["layer"],
        annotation_id=edit["annotation_id"],
        payload={"target": node["id"], "undoes": edit["id"]},
        below_id=redo_top,
        undo_top_id=node["below_id"],
    )


class UndoSkipped(ConflictError):
    """An undo step that could not be undone (someone changed its data since) was taken off the
    annotator's undo stack, so that the steps below it can still be undone. Raised after the
    skip was written: the caller commits, then tells the annotator."""


def _skip_undo(
    conn: sa.Connection,
    annotator: str,
    node: Mapping[Any, Any],
    edit: Mapping[Any, Any],
    redo_top: int | None,
    conflict: ConflictError,
) -> None:
    """Pop a step that conflicts off the undo stack (an ``undo_skipped`` event; nothing else
    changes) and raise :class:`UndoSkipped` naming it. Without this, the step would stay on top
    and refuse every later ctrl+z, so nothing older could ever be undone again."""
    _append_event(
        conn,
        annotator=annotator,
        action="undo_skipped",
        paragraph_id=edit["paragraph_id"],
        layer=edit["layer"],
        annotation_id=edit["annotation_id"],
        payload={"target": node["id"], "skips": edit["id"], "reason": conflict.message},
        undo_top_id=node["below_id"],
        redo_top_id=redo_top,
    )
    raise UndoSkipped(
        f"{describe_step(edit)} cannot be undone: {conflict.message} It was taken off your "
        "undo list, and nothing was changed.",
        hint="Undo again for the step before it; refresh to see the current state.",
    )


def describe_step(edit: Mapping[Any, Any]) -> str:
    """An edit event in a few words, for messages: "your relabel PATIENT → THEME (semantic,
    paragraph 12)"."""
    payload = edit.get("payload") or {}
    action = edit.get("action")
    where = f" ({edit.get('layer')}, paragraph {edit.get('paragraph_id')})"
    if action == "create":
        what = f"adding {(payload.get('after') or {}).get('label') or 'an annotation'}"
    elif action == "delete":
        what = f"deleting {(payload.get('before') or {}).get('label') or 'an annotation'}"
    elif action == "update":
        before = (payload.get("before") or {}).get("label")
        after = (payload.get("after") or {}).get("label")
        what = f"change {before} → {after}" if before != after else f"edit of {after}"
    elif action == "status":
        state = ((payload.get("status_after") or {}).get(edit.get("layer")) or {}).get("state")
        what = f"marking {state}"
    elif action == "batch":
        what = f"{payload.get('label') or 'batch'} ({len(payload.get('edits') or [])} edits)"
    else:
        what = str(action)
    return f"Your {what}{where}"


def redo(conn: sa.Connection, annotator: str) -> int | None:
    """Redo the annotator's most recently undone change; None if there is nothing to redo."""
    undo_top, redo_top = _tops(_head(conn, annotator))
    if redo_top is None:
        return None
    undo_node = get_event(conn, redo_top)
    edit = get_event(conn, undo_node["payload"]["undoes"])
    lock_paragraphs(conn, paragraphs_of(edit))
    _reapply(conn, edit)
    return _append_event(
        conn,
        annotator=annotator,
        action="redo",
        paragraph_id=edit["paragraph_id"],
        layer=edit["layer"],
        annotation_id=edit["annotation_id"],
        payload={"target": undo_node["id"], "redoes": edit["id"]},
        below_id=undo_top,
        redo_top_id=undo_node["below_id"],
    )
