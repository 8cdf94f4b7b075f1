"""Read-only, paged queries for browsing a store (the annotation TUI's paragraph navigator).

A navigator must open a store of 100k paragraphs at once and keep its memory flat, so nothing
here reads "all paragraphs": every query returns one page, one count, or one position. Order is
the documents' reading order, ``(document_id, position)``, which the unique index of
``paragraphs`` serves directly; a layer's state is found through ``layer_status``'s primary key
``(paragraph_id, layer)``, one index probe per paragraph.

Text search is :mod:`layerkit.store.search`'s, the same as :meth:`Store.search_paragraph_ids`
on every database (case, stress marks and ``ё`` folded, so typing ``замок`` finds ``За́мок``):
one definition of a match, where the navigator once had its own substring search.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from layerkit.store import direct, search
from layerkit.store.assignments import assignments, assignments_t
from layerkit.store.copies import base_layer, copy_key, split_key
from layerkit.store.edits import EDIT_ACTIONS, EVENT_BY_ID, EVENTS_AFTER, paragraphs_of
from layerkit.store.imports import visible_paragraphs
from layerkit.store.models import LAYER_STATES, Document, LayerStatus, Paragraph
from layerkit.store.store import Store, events_t

paragraphs_t: sa.Table = Paragraph.__table__  # type: ignore[attr-defined]
documents_t: sa.Table = Document.__table__  # type: ignore[attr-defined]
status_t: sa.Table = LayerStatus.__table__  # type: ignore[attr-defined]

PREVIEW_CHARS = 160


@dataclass(frozen=True)
class ParagraphFilter:
    """Which paragraphs the navigator lists.

    ``states`` (with ``layer``) keeps paragraphs whose layer is in one of those states (a
    paragraph without a status row is ``todo``; for ``annotator``, the state of their copy where
    the layer is assigned to them); ``text`` keeps those holding each of its words,
    folded (the last may be a word's beginning, as it is often still being typed), as
    :mod:`layerkit.store.search` matches them on every database; text of punctuation only keeps
    none, blank text filters nothing.
    """

    layer: str | None = None
    states: tuple[str, ...] = ()
    text: str = ""
    # whose view: a layer assigned to this annotator is in the state of their private copy
    # (``copies.py``); None: the shared layers' states
    annotator: str | None = None

    def __post_init__(self) -> None:
        unknown = set(self.states) - set(LAYER_STATES)
        if unknown:
            raise ValueError(f"unknown states {sorted(unknown)}")
        if self.states and self.layer is None:
            raise ValueError("a state filter needs a layer")

    @property
    def is_empty_text(self) -> bool:
        return not self.text.strip()

    @property
    def is_empty(self) -> bool:
        return not self.states and self.is_empty_text


@dataclass(frozen=True)
class ParagraphRow:
    """One navigator line: where the paragraph is, how it begins, and every layer's state."""

    id: int
    document_id: int
    document_name: str
    position: int
    preview: str
    states: dict[str, str] = field(default_factory=dict)
    flagged: bool = False

    def state(self, layer: str) -> str:
        return self.states.get(layer, "todo")


def _where(store: Store, conn: sa.Connection, filt: ParagraphFilter) -> list[Any]:
    # Never the paragraphs of an import still running (see ``imports.py``).
    conditions: list[Any] = [visible_paragraphs()]
    if filt.states:
        assert filt.layer is not None
        state: Any = _state_of(filt.layer)
        if filt.annotator is not None:
            a = assignments_t.c
            assigned = sa.exists().where(
                (a.paragraph_id == paragraphs_t.c.id)
                & (a.layer == filt.layer)
                & (a.annotator == filt.annotator)
            )
            state = sa.case(
                (assigned, _state_of(copy_key(filt.layer, filt.annotator))), else_=state
            )
        conditions.append(state.in_(filt.states))
    if not filt.is_empty_text:
        conditions.extend(search.conditions(conn, filt.text))
    return conditions


def _state_of(layer_key: str) -> Any:
    """The paragraph's state of a layer key (``todo`` without a status row), per paragraph."""
    return sa.func.coalesce(
        sa.select(status_t.c.state)
        .where((status_t.c.paragraph_id == paragraphs_t.c.id) & (status_t.c.layer == layer_key))
        .scalar_subquery(),
        "todo",
    )


def count(store: Store, filt: ParagraphFilter | None = None) -> int:
    """How many paragraphs the filter keeps."""
    filt = filt or ParagraphFilter()
    with store.engine.connect() as conn:
        query = sa.select(sa.func.count()).select_from(paragraphs_t)
        for condition in _where(store, conn, filt):
            query = query.where(condition)
        return int(conn.execute(query).scalar_one())


def paragraph_page(
    store: Store, offset: int, limit: int, filt: ParagraphFilter | None = None
) -> list[ParagraphRow]:
    """Rows ``offset .. offset+limit`` of the filtered list, in reading order.

    OFFSET walks the ordering index, a few milliseconds even at row 100k; the navigator needs
    random access (a scrollbar dragged to the middle), which keyset paging cannot give.
    """
    filt = filt or ParagraphFilter()
    with store.engine.connect() as conn:
        query = sa.select(
            paragraphs_t.c.id,
            paragraphs_t.c.document_id,
            paragraphs_t.c.position,
            sa.func.substr(paragraphs_t.c.text, 1, PREVIEW_CHARS).label("preview"),
            paragraphs_t.c.flags,
        )
        for condition in _where(store, conn, filt):
            query = query.where(condition)
        query = (
            query.order_by(paragraphs_t.c.document_id, paragraphs_t.c.position)
            .offset(max(offset, 0))
            .limit(limit)
        )
        rows = conn.execute(query).all()
        return _rows(conn, rows, filt.annotator)


def _row(
    paragraph_id: int,
    document_id: int,
    document_name: str | None,
    position: int,
    preview: str,
    states: dict[str, str],
    flags: Any,
) -> ParagraphRow:
    """A navigator row from what its queries read (``flags``: the paragraph's import flags;
    flagged if there are any)."""
    return ParagraphRow(
        id=paragraph_id,
        document_id=document_id,
        document_name=document_name or "",
        position=position,
        preview=preview,
        states=states,
        flagged=bool(flags),
    )


def _rows(
    conn: sa.Connection, rows: Sequence[Any], annotator: str | None = None
) -> list[ParagraphRow]:
    """Navigator rows with every layer's state (as ``annotator`` sees it, if given: their
    copy's state on the layers assigned to them)."""
    if not rows:
        return []
    ids = [r.id for r in rows]
    found: dict[int, dict[str, str]] = {i: {} for i in ids}
    for pid, layer, state in conn.execute(
        sa.select(status_t.c.paragraph_id, status_t.c.layer, status_t.c.state).where(
            status_t.c.paragraph_id.in_(ids)
        )
    ):
        found[pid][layer] = state
    mine: dict[int, set[str]] = {}
    if annotator is not None:
        for row in assignments(conn, paragraph_ids=ids, annotator=annotator):
            mine.setdefault(row.paragraph_id, set()).add(row.layer)
    states: dict[int, dict[str, str]] = {}
    for pid, by_key in found.items():
        assigned = mine.get(pid, set())
        shown = states[pid] = {}
        for key, state in by_key.items():
            layer, owner = split_key(key)
            if owner is None and layer not in assigned:
                shown[key] = state
        for layer in assigned:
            shown[layer] = by_key.get(copy_key(layer, annotator or ""), "todo")
    doc_ids = sorted({r.document_id for r in rows})
    names = dict(
        conn.execute(
            sa.select(documents_t.c.id, documents_t.c.name).where(documents_t.c.id.in_(doc_ids))
        ).all()
    )
    return [
        _row(
            r.id,
            r.document_id,
            names.get(r.document_id),
            r.position,
            r.preview,
            states[r.id],
            r.flags,
        )
        for r in rows
    ]


def row_of(store: Store, paragraph_id: int, *, annotator: str | None = None) -> ParagraphRow | None:
    """One paragraph's navigator row (its document's name and every layer's state, as
    ``annotator`` sees them if given)."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                paragraphs_t.c.id,
                paragraphs_t.c.document_id,
                paragraphs_t.c.position,
                sa.func.substr(paragraphs_t.c.text, 1, PREVIEW_CHARS).label("preview"),
                paragraphs_t.c.flags,
            ).where(paragraphs_t.c.id == paragraph_id)
        ).all()
        found = _rows(conn, rows, annotator)
    return found[0] if found else None


# Read on every paragraph the annotator opens: built once (building costs more than running).
_ROW_WITHOUT_STATES = (
    sa.select(
        paragraphs_t.c.document_id,
        documents_t.c.name,
        paragraphs_t.c.position,
        sa.func.substr(paragraphs_t.c.text, 1, PREVIEW_CHARS),
        paragraphs_t.c.flags,
    )
    .join(documents_t, documents_t.c.id == paragraphs_t.c.document_id)
    .where(paragraphs_t.c.id == sa.bindparam("paragraph_id"))
)
_LAST_EVENT_ID = sa.select(sa.func.max(events_t.c.id))


def prepare_statements(store: Store) -> None:
    """:meth:`Store.prepare_statements`, and the statements the annotator runs from here on
    every key that opens or reopens a paragraph."""
    store.prepare_statements()
    dialect = store.engine.dialect  # (elsewhere than SQLite, direct.prepare compiles nothing)
    direct.prepare(dialect, _LAST_EVENT_ID, ())
    direct.prepare(dialect, _ROW_WITHOUT_STATES, ["paragraph_id"])


def row_with_states(store: Store, paragraph_id: int, states: dict[str, str]) -> ParagraphRow | None:
    """One paragraph's navigator row with ``states`` as read already (the TUI reads them with
    the paragraph's annotations): one query, where :func:`row_of` reads the states and
    assignments again."""
    with store.engine.connect() as conn, conn.begin():
        found = direct.execute(conn, _ROW_WITHOUT_STATES, {"paragraph_id": paragraph_id}).rows
    if not found:
        return None
    document_id, name, position, preview, flags = found[0]
    return _row(paragraph_id, document_id, name, position, preview, dict(states), flags)


def position_of(store: Store, paragraph_id: int, filt: ParagraphFilter | None = None) -> int | None:
    """The row index of a paragraph in the filtered list, or None if the filter drops it."""
    filt = filt or ParagraphFilter()
    with store.engine.connect() as conn:
        key = conn.execute(
            sa.select(paragraphs_t.c.document_id, paragraphs_t.c.position).where(
                paragraphs_t.c.id == paragraph_id
            )
        ).first()
        if key is None:
            return None
        conditions = _where(store, conn, filt)
        if conditions:
            kept = sa.select(paragraphs_t.c.id).where(paragraphs_t.c.id == paragraph_id)
            for condition in conditions:
                kept = kept.where(condition)
            if conn.execute(kept).first() is None:
                return None
        before = (
            sa.select(sa.func.count())
            .select_from(paragraphs_t)
            .where(
                sa.tuple_(paragraphs_t.c.document_id, paragraphs_t.c.position)
                < sa.tuple_(key.document_id, key.position)
            )
        )
        for condition in conditions:
            before = before.where(condition)
        return int(conn.execute(before).scalar_one())


def neighbour(
    store: Store,
    paragraph_id: int | None,
    step: int,
    filt: ParagraphFilter | None = None,
) -> int | None:
    """The id of the next (``step=1``) or previous (``step=-1``) paragraph the filter keeps.

    Keyset paging: one index seek, however far into the store. ``paragraph_id=None`` gives the
    first (or last) paragraph. None when there is no such paragraph.
    """
    if step not in (1, -1):
        raise ValueError("step is 1 or -1")
    filt = filt or ParagraphFilter()
    order = (paragraphs_t.c.document_id, paragraphs_t.c.position)
    with store.engine.connect() as conn:
        query = sa.select(paragraphs_t.c.id)
        if paragraph_id is not None:
            key = conn.execute(sa.select(*order).where(paragraphs_t.c.id == paragraph_id)).first()
            if key is None:
                return None
            here = sa.tuple_(*order)
            there = sa.tuple_(key.document_id, key.position)
            query = query.where(here > there if step == 1 else here < there)
        for condition in _where(store, conn, filt):
            query = query.where(condition)
        query = query.order_by(*(order if step == 1 else (c.desc() for c in order)))
        found = conn.execute(query.limit(1)).scalar()
        return int(found) if found is not None else None


def last_position(store: Store, annotator: str) -> tuple[int, str | None] | None:
    """The paragraph (and layer) of the annotator's most recent edit, undo or redo."""
    with store.engine.connect() as conn:
        row = conn.execute(
            sa.select(events_t.c.paragraph_id, events_t.c.layer)
            .where((events_t.c.annotator == annotator) & events_t.c.paragraph_id.is_not(None))
            .order_by(events_t.c.id.desc())
            .limit(1)
        ).first()
    if row is None:
        return None
    return int(row.paragraph_id), base_layer(row.layer) if row.layer else row.layer


def last_event_id(store: Store) -> int:
    """The newest event's id (0 for none): a cheap way to notice that anyone changed anything."""
    with store.engine.connect() as conn, conn.begin():
        return int(direct.execute(conn, _LAST_EVENT_ID).scalar() or 0)


@dataclass(frozen=True)
class Changes:
    """What the event log says changed after an event: the newest event's id, and the
    paragraphs whose annotations, states or copies changed (None: it cannot say, e.g. an
    import or an assignment, or too many events: anything may have)."""

    latest: int
    paragraphs: frozenset[int] | None

    def touched(self, paragraph_id: int) -> bool:
        return self.paragraphs is None or paragraph_id in self.paragraphs


#: undo and redo events name the edit they undo or redo in their payload, under these keys
_UNDOES = {"undo": "undoes", "redo": "redoes"}


def changes_since(store: Store, event_id: int, *, limit: int = 256) -> Changes:
    """The paragraphs changed by the events after ``event_id`` (one read): lets a reader keep
    what it read of a paragraph that no later event touched (the annotator going back to a
    paragraph after editing others), where the newest event's id alone says only that
    something, somewhere, changed."""
    with store.engine.connect() as conn, conn.begin():
        found = direct.execute(conn, EVENTS_AFTER, {"after": event_id, "limit": limit + 1})
        rows = found.mappings()
        if len(rows) > limit:
            return Changes(int(rows[-1]["id"]), None)
        latest = int(rows[-1]["id"]) if rows else event_id
        named = {row["payload"][_UNDOES[row["action"]]] for row in rows if row["action"] in _UNDOES}
        # an undo usually undoes an edit read here already (the annotator's own, a few keys
        # ago): only the others are read (a second query, 0.3-0.5 ms on a jump after undos)
        edits: dict[int, Mapping[Any, Any]] = {row["id"]: row for row in rows if row["id"] in named}
        missing = named - edits.keys()
        if len(missing) <= 4:  # (the usual undo of an edit made before the last read)
            for found_id in sorted(missing):
                undone = direct.execute(conn, EVENT_BY_ID, {"event_id": found_id}).first()
                if undone is not None:
                    edits[found_id] = undone
        else:
            query = sa.select(events_t).where(events_t.c.id.in_(sorted(missing)))
            edits.update((row["id"], row) for row in conn.execute(query).mappings())
    touched: set[int] = set()
    for row in rows:
        action = row["action"]
        if action in EDIT_ACTIONS:
            touched |= paragraphs_of(row)
        elif action in _UNDOES:
            edit = edits.get(row["payload"][_UNDOES[action]])
            if edit is None:
                return Changes(latest, None)
            touched |= paragraphs_of(edit)
        elif action != "undo_skipped":  # (a skipped undo changes nothing but the stack)
            return Changes(latest, None)
    return Changes(latest, frozenset(touched))


def event(store: Store, event_id: int) -> dict[str, Any] | None:
    """One event of the log (to say what an undo or redo just did)."""
    with store.engine.connect() as conn, conn.begin():
        return direct.execute(conn, EVENT_BY_ID, {"event_id": event_id}).first()
