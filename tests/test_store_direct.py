"""The store's small statements on SQLite's driver (layerkit/store/direct.py): the same rows,
counts, ids and errors as SQLAlchemy's own execution, on both databases."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from conftest import LAYERS, make_document, semantic_span

from layerkit.errors import ConflictError
from layerkit.store import Store, direct, edits, queries
from layerkit.store.engine import WRITE_OPTION
from layerkit.store.locks import _EXISTING
from layerkit.store.store import events_t


def _both(conn: sa.Connection, statement: object, params: dict) -> tuple[direct.Rows, direct.Rows]:
    return direct.execute(conn, statement, params), direct._through_sqlalchemy(
        conn, statement, params
    )


def _taken(store: Store, statement: object, params: dict) -> bool:
    """Whether ``statement`` with these parameters runs on the driver (not SQLAlchemy)."""
    dialect = store.engine.dialect
    key = (dialect.name, dialect.driver, statement, tuple(sorted(params)))
    return direct._PREPARED[key] is not None


def test_rows_are_what_sqlalchemy_gives(store: Store, paragraph_id: int) -> None:
    made = semantic_span(store, paragraph_id, attrs={"note": "ё́ 😀", "n": [1, 2]})
    store.update_annotation(made.id, annotator="anna", label="PATIENT")
    sqlite = store.engine.dialect.name == "sqlite"
    with store.engine.connect() as conn, conn.begin():
        cases = [
            (edits._ANNOTATION_BY_ID, {"annotation_id": made.id}),  # JSON and dates
            (edits._HEAD, {"annotator": "anna"}),  # a LIMIT the statement holds
            (edits._STATUSES, {"paragraph_id": paragraph_id}),
            (edits._ASSIGNED_LAYERS, {"paragraph_id": paragraph_id, "annotator": "anna"}),
            (edits._ANNOTATION_BY_ID, {"annotation_id": 10**9}),  # no row
        ]
        for statement, params in cases:
            fast, slow = _both(conn, statement, params)
            assert fast == slow
            assert _taken(store, statement, params) is sqlite
        row = direct.execute(conn, edits._ANNOTATION_BY_ID, {"annotation_id": made.id}).first()
        assert row is not None
        assert row["attrs"] == {"note": "ё́ 😀", "n": [1, 2]}
        assert row["label"] == "PATIENT" and row["version"] == 2
        assert isinstance(row["updated_at"], datetime)
        head = direct.execute(conn, edits._HEAD, {"annotator": "anna"}).first()
        assert head is not None and head["action"] == "update"
        assert head["payload"]["after"]["label"] == "PATIENT"


def test_writes_count_and_return_ids_as_sqlalchemy_does(store: Store, paragraph_id: int) -> None:
    sqlite = store.engine.dialect.name == "sqlite"
    made = semantic_span(store, paragraph_id)
    with store.engine.connect() as conn, conn.begin() as transaction:
        params = {"row_id": made.id, "row_version": 1, "label": "THEME", "version": 2}
        changed = direct.execute(conn, edits._UPDATE_AT_VERSION, params)
        assert changed.rowcount == 1
        assert _taken(store, edits._UPDATE_AT_VERSION, params) is sqlite
        stale = direct.execute(conn, edits._UPDATE_AT_VERSION, params)
        assert stale.rowcount == 0  # the version moved on: nothing matched
        event = direct.execute(
            conn,
            edits._INSERT_EVENT,
            {
                "at": edits.utcnow(),
                "annotator": "anna",
                "action": "note",
                "paragraph_id": None,
                "layer": None,
                "annotation_id": None,
                "payload": {"what": "ё"},
                "below_id": None,
                "undo_top_id": None,
                "redo_top_id": None,
            },
        )
        assert event.inserted_id is not None
        newest = conn.execute(sa.select(sa.func.max(events_t.c.id))).scalar()
        assert newest == event.inserted_id
        gone = direct.execute(conn, edits._DELETE_BY_ID, {"annotation_id": made.id})
        assert gone.rowcount == 1
        transaction.rollback()
    # rolled back with the transaction it ran in, like any statement
    assert store.annotation(made.id).label == "AGENT"


def test_what_only_sqlalchemy_runs_alike_goes_through_it(store: Store, paragraph_id: int) -> None:
    with store.engine.connect() as conn:
        with conn.begin():
            fast, slow = _both(conn, _EXISTING, {"ids": [paragraph_id, 10**9]})
            assert fast == slow and fast.scalars() == [paragraph_id]
            assert not _taken(store, _EXISTING, {"ids": [paragraph_id, 10**9]})  # an expanding IN
        # outside a transaction SQLAlchemy begins one: the statement is left to it
        assert not conn.in_transaction()
        found = direct.execute(conn, edits._STATUSES, {"paragraph_id": paragraph_id})
        assert found.rows == []


def test_a_driver_error_is_the_error_sqlalchemy_would_raise(
    store: Store, paragraph_id: int
) -> None:
    made = semantic_span(store, paragraph_id)
    row = store.annotation(made.id).model_dump()
    with (
        store.engine.connect() as conn,
        conn.begin(),
        pytest.raises(sa.exc.IntegrityError),  # the same id again
    ):
        direct.execute(conn, edits._INSERT, row)
    assert _taken(store, edits._INSERT, row) is (store.engine.dialect.name == "sqlite")
    # and the store turns it into its own error, as before: redo of a creation whose id came
    # back meanwhile is refused as a conflict, nothing half-done
    store.undo("anna")
    with store.engine.begin() as conn:
        direct.execute(conn, edits._INSERT, row)
    with pytest.raises(ConflictError):
        store.redo("anna")
    assert [a.id for a in store.annotations(paragraph_id, "semantic")] == [made.id]


def test_a_savepoint_undoes_only_its_block_and_the_transaction_goes_on(
    store: Store, paragraph_id: int
) -> None:
    made = semantic_span(store, paragraph_id)
    with store.engine.connect() as conn, conn.begin():
        params = {"row_id": made.id, "row_version": 1, "label": "THEME", "version": 2}
        with pytest.raises(RuntimeError, match="boom"), direct.savepoint(conn):
            assert direct.execute(conn, edits._UPDATE_AT_VERSION, params).rowcount == 1
            raise RuntimeError("boom")
        assert conn.in_transaction()
        row = direct.execute(conn, edits._ANNOTATION_BY_ID, {"annotation_id": made.id}).first()
        assert row is not None and (row["label"], row["version"]) == ("AGENT", 1)  # undone
        with direct.savepoint(conn), direct.savepoint(conn):  # (nested: names of their own)
            direct.execute(conn, edits._DELETE_BY_ID, {"annotation_id": made.id})
        # what a block that ended well wrote stands, and commits with the transaction
        assert direct.execute(conn, edits._ANNOTATION_BY_ID, {"annotation_id": made.id}).rows == []
    assert [a.id for a in store.annotations(paragraph_id, "semantic")] == []


def test_new_and_changed_annotations_come_back_as_stored(store: Store, paragraph_id: int) -> None:
    """The edits return the row they wrote as the store reads it back (built without a second
    validation): every field equal, ``attrs`` and dates included."""
    made = semantic_span(store, paragraph_id, attrs={"note": "ё́ 😀"})
    assert made.model_dump() == store.annotation(made.id).model_dump()
    changed = store.update_annotation(made.id, annotator="anna", label="THEME")
    assert changed.model_dump() == store.annotation(made.id).model_dump()
    with store.batch(annotator="anna") as b:
        other = b.create_annotation(
            paragraph_id=paragraph_id, layer="semantic", kind="span", field="frame",
            start=0, end=3, label="AGENT", attrs={"n": [1, 2]},
        )  # fmt: skip
        relabelled = b.update_annotation(made.id, label="PATIENT")
    assert other.model_dump() == store.annotation(other.id).model_dump()
    assert relabelled.model_dump() == store.annotation(made.id).model_dump()
    assert relabelled.version == 3 and other.attrs == {"n": [1, 2]}


def test_prepared_statements_cover_a_label_its_undo_and_a_reopen(tmp_path) -> None:
    """After the warm-up the annotator runs at start, a label, its undo and redo, and the
    paragraph read again compile nothing more (the first label of a session is no slower)."""
    with Store.open(f"sqlite:///{tmp_path / 'warm.db'}", layer_order=LAYERS) as store:
        with store.bulk() as writer:
            writer.add_document(make_document("doc", "Мама мыла раму."))
        paragraph_id = next(store.iter_paragraphs()).id
        assert paragraph_id is not None
        direct._PREPARED.clear()
        queries.prepare_statements(store)
        prepared = set(direct._PREPARED)
        assert prepared and all(direct._PREPARED[key] is not None for key in prepared)
        latest = queries.last_event_id(store)
        semantic_span(store, paragraph_id)
        assert queries.changes_since(store, latest).touched(paragraph_id)
        store.seen_by(paragraph_id, "anna")
        (read,) = store.read_paragraphs([paragraph_id], layers=())
        assert read.text == "Мама мыла раму."
        assert queries.row_with_states(store, paragraph_id, {}) is not None
        store.undo("anna")
        store.redo("anna")
        assert queries.event(store, queries.last_event_id(store)) is not None
        assert set(direct._PREPARED) == prepared


def test_reads_after_a_save_get_the_connection_that_saved(tmp_path) -> None:
    """A read after a save runs on the connection that made it, whose page cache the save
    left warm: SQLite drops a connection's whole cache when another one changed the file, and
    the pool's default (connections handed out in turn) read a paragraph again, page by page,
    after every label key."""
    with Store.open(f"sqlite:///{tmp_path / 'warm.db'}", layer_order=LAYERS) as store:
        with store.bulk() as writer:
            writer.add_document(make_document("doc", "Мама мыла раму."))
        paragraph_id = next(store.iter_paragraphs()).id
        assert paragraph_id is not None
        used: list[tuple[str, int]] = []

        @sa.event.listens_for(store.engine, "begin")
        def _note(conn: sa.Connection) -> None:
            kind = "write" if conn.get_execution_options().get(WRITE_OPTION) else "read"
            used.append((kind, id(conn.connection.dbapi_connection)))

        # two connections in the pool, as the annotator's threads leave it
        with store.engine.connect() as first, store.engine.connect() as second:
            first.exec_driver_sql("SELECT 1")
            second.exec_driver_sql("SELECT 1")
        assert len({connection for _, connection in used}) == 2
        used.clear()
        for label in ("AGENT", "PATIENT"):
            made = semantic_span(store, paragraph_id, label=label)
            for _ in range(3):
                seen = store.seen_by(paragraph_id, "anna")
            assert made.id in {a.id for a in seen.annotations}
        writes = [connection for kind, connection in used if kind == "write"]
        reads = [connection for kind, connection in used if kind == "read"]
        assert len(writes) == 2 and len(reads) >= 6
        assert set(reads) == set(writes) == {writes[0]}
