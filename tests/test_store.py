"""The store: migrations, edits, undo/redo through the event log, stale marking, concurrency."""

from __future__ import annotations

import multiprocessing
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from conftest import LAYERS, make_document, semantic_span
from sqlmodel import SQLModel

from layerkit.errors import ConflictError, StoreError
from layerkit.store import Store
from layerkit.store.engine import database_url
from layerkit.store.migrations import LATEST_VERSION, is_modelled_index, is_modelled_table


def _model_diff(conn: sa.Connection) -> list:
    """What differs between models.py and the database, leaving out the FTS5 tables and the
    PostgreSQL trigram index (raw DDL)."""

    def include_name(name: str | None, type_: str, _parent: object) -> bool:
        if name is None or type_ not in ("table", "index"):
            return True
        return is_modelled_table(name) if type_ == "table" else is_modelled_index(name)

    context = MigrationContext.configure(conn, opts={"include_name": include_name})
    return compare_metadata(context, SQLModel.metadata)


def _versions(conn: sa.Connection) -> list[int]:
    query = sa.text("SELECT version FROM layerkit_migrations ORDER BY version")
    return list(conn.execute(query).scalars().all())


def test_migrations_recorded_and_match_models(store: Store, backend: str) -> None:
    with store.engine.connect() as conn:
        versions = _versions(conn)
        diff = _model_diff(conn)
        tables = set(sa.inspect(conn).get_table_names())
    assert versions == list(range(1, LATEST_VERSION + 1))
    assert diff == [], f"models and migrations disagree: {diff}"
    # only FTS5's own tables (SQLite's search index) are left out of the comparison, and they
    # are there; a PostgreSQL store has nothing but modelled tables
    fts5 = {
        "paragraphs_fts",
        "paragraphs_fts_data",
        "paragraphs_fts_idx",
        "paragraphs_fts_docsize",
        "paragraphs_fts_config",
    }
    # and SQLite's annotation snapshots (snapshots.py), made by raw DDL too
    snapshot_tables = {"annotation_snapshots", "annotation_snapshots_stale"}
    assert {t for t in tables if not is_modelled_table(t)} == (
        fts5 | snapshot_tables if backend == "sqlite" else set()
    )


def test_sqlite_pragmas(db_path: Path) -> None:
    with Store.open(db_path, layer_order=LAYERS) as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000


def test_reopen_applies_nothing_and_keeps_data(
    db_url: str, paragraph_id: int, store: Store
) -> None:
    semantic_span(store, paragraph_id)
    store.close()
    with Store.open(db_url, layer_order=LAYERS) as again:
        assert len(again.annotations(paragraph_id)) == 1
        with again.engine.connect() as conn:
            assert _versions(conn) == list(range(1, LATEST_VERSION + 1))


def _database_contents(engine: sa.Engine) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order: to show that nothing changed."""
    with engine.connect() as conn:
        metadata = sa.MetaData()
        metadata.reflect(conn, only=lambda name, _meta: is_modelled_table(name))
        return {
            name: sorted(conn.execute(sa.select(table)).all(), key=repr)
            for name, table in sorted(metadata.tables.items())
        }


def test_newer_database_is_refused_untouched(db_url: str, backend: str, tmp_path: Path) -> None:
    with Store.open(db_url, layer_order=LAYERS) as store, store.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO layerkit_migrations (version, name, applied_at) "
                "VALUES (:version, 'future', :at)"
            ),
            {"version": LATEST_VERSION + 1, "at": datetime(2030, 1, 1, tzinfo=UTC)},
        )
    sqlite_file = Path(db_url) if backend == "sqlite" else None
    file_before = sqlite_file.read_bytes() if sqlite_file else b""
    inspector = sa.create_engine(database_url(db_url), poolclass=sa.pool.NullPool)
    try:
        rows_before = _database_contents(inspector)
        with pytest.raises(StoreError) as info:
            Store.open(db_url, layer_order=LAYERS)
        assert "newer layerkit" in info.value.message
        assert "Upgrade" in info.value.hint
        assert _database_contents(inspector) == rows_before
    finally:
        inspector.dispose()
    if sqlite_file:
        assert sqlite_file.read_bytes() == file_before


def test_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("hello, this is not sqlite")
    with pytest.raises(StoreError, match="not a SQLite database"):
        Store.open(path, layer_order=LAYERS)
    assert path.read_text() == "hello, this is not sqlite"


def test_missing_database_without_create(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no layerkit database"):
        Store.open(tmp_path / "absent.db", layer_order=LAYERS, create=False)
    assert not (tmp_path / "absent.db").exists()


def test_empty_sqlite_file_without_create_is_left_as_it_is(tmp_path: Path) -> None:
    """A command that only reads (status, export) on an empty file or an SQLite database with
    no tables says it is not a store yet, and writes nothing to it (it made the tables)."""
    empty = tmp_path / "empty.db"
    empty.touch()
    with pytest.raises(StoreError, match="empty file") as info:
        Store.open(empty, layer_order=LAYERS, create=False)
    assert info.value.title == "Not a layerkit store"
    assert empty.stat().st_size == 0
    bare = tmp_path / "bare.db"
    with closing(sqlite3.connect(bare)) as connection:
        connection.execute("CREATE TABLE t (a)")
        connection.execute("DROP TABLE t")
    with pytest.raises(StoreError, match="empty database"):
        Store.open(bare, layer_order=LAYERS, create=False)
    with closing(sqlite3.connect(bare)) as connection:
        assert connection.execute("SELECT name FROM sqlite_master").fetchall() == []
    with Store.open(empty, layer_order=LAYERS, create=True) as store:  # init makes it a store
        assert store.url.endswith("empty.db")


def test_empty_server_database_without_create(postgres_database: str) -> None:
    """A server database is never a missing file: without ``create`` an empty one is refused
    and stays empty (only ``init`` and ``import`` make a store of it)."""
    with pytest.raises(StoreError, match="empty database") as info:
        Store.open(postgres_database, layer_order=LAYERS, create=False)
    assert info.value.title == "Not a layerkit store"
    engine = sa.create_engine(database_url(postgres_database), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            assert sa.inspect(conn).get_table_names() == []
    finally:
        engine.dispose()


def test_edit_writes_event_and_updates_status(store: Store, paragraph_id: int) -> None:
    ann = semantic_span(store, paragraph_id)
    events = store.events("anna")
    assert [e["action"] for e in events] == ["create"]
    assert events[0]["payload"]["after"]["label"] == "AGENT"
    assert store.statuses(paragraph_id)["semantic"].state == "in_progress"
    assert store.statuses(paragraph_id)["lexical"].state == "todo"
    store.update_annotation(ann.id, annotator="anna", label="PATIENT", expected_version=1)
    assert store.annotation(ann.id).label == "PATIENT"
    assert store.annotation(ann.id).version == 2


def test_lower_layer_edit_marks_higher_layers_stale(store: Store, paragraph_id: int) -> None:
    store.set_status(paragraph_id, "semantic", "done", annotator="anna")
    store.set_status(paragraph_id, "pragmatic", "in_progress", annotator="boris")
    store.create_annotation(
        paragraph_id=paragraph_id,
        layer="lexical",
        kind="token",
        field="morph",
        start=0,
        end=4,
        label="NOUN",
        attrs={"lemma": "мама"},
        annotator="anna",
    )
    statuses = store.statuses(paragraph_id)
    assert statuses["semantic"].state == "stale"
    assert statuses["pragmatic"].state == "stale"
    assert statuses["logical"].state == "todo"  # nothing was built on it yet
    # editing the highest layer touches nothing below it
    other = list(store.iter_paragraphs())[1].id
    store.set_status(other, "lexical", "done", annotator="anna")
    semantic_span(store, other)
    assert store.statuses(other)["lexical"].state == "done"


def test_undo_redo_sequence(store: Store, paragraph_id: int) -> None:
    a = semantic_span(store, paragraph_id, "AGENT")
    store.update_annotation(a.id, annotator="anna", label="THEME")
    b = semantic_span(store, paragraph_id, "PREDICATE", start=5, end=9)
    store.delete_annotation(b.id, annotator="anna")

    def labels() -> list[str]:
        return sorted(x.label for x in store.annotations(paragraph_id))

    assert labels() == ["THEME"]
    store.undo("anna")  # restore b
    assert labels() == ["PREDICATE", "THEME"]
    assert store.annotation(b.id).id == b.id  # same id back
    store.undo("anna")  # remove b
    store.undo("anna")  # THEME -> AGENT
    assert labels() == ["AGENT"]
    store.undo("anna")  # remove a
    assert labels() == []
    assert store.undo("anna") is None
    store.redo("anna")
    store.redo("anna")
    assert labels() == ["THEME"]
    # a new edit clears the redo stack
    semantic_span(store, paragraph_id, "TIME", start=10, end=15)
    assert store.redo("anna") is None
    store.undo("anna")
    store.undo("anna")
    assert labels() == ["AGENT"]


def test_changes_since_names_the_paragraphs_events_touched(store: Store, paragraph_id: int) -> None:
    """What a reader may keep: the paragraphs changed after an event, from the log alone.
    Edits name theirs, a batch all of its edits', an undo or redo those of the step it undoes
    or redoes; an import (or anything else it cannot place) makes it say None: anything."""
    from layerkit.store import queries

    other = paragraph_id + 1
    start = queries.last_event_id(store)
    assert queries.changes_since(store, start) == queries.Changes(start, frozenset())
    a = semantic_span(store, paragraph_id)
    after_a = queries.last_event_id(store)
    changes = queries.changes_since(store, start)
    assert changes == queries.Changes(after_a, frozenset({paragraph_id}))
    assert changes.touched(paragraph_id) and not changes.touched(other)
    with store.batch(annotator="anna", label="both") as b:
        b.create_annotation(
            paragraph_id=other, layer="semantic", kind="span", field="frame", start=0, end=4,
            label="AGENT",
        )  # fmt: skip
        b.update_annotation(a.id, label="THEME")
    assert queries.changes_since(store, after_a).paragraphs == {paragraph_id, other}
    after_batch = queries.last_event_id(store)
    store.undo("anna")  # the batch: both paragraphs again
    assert queries.changes_since(store, after_batch).paragraphs == {paragraph_id, other}
    # the undone batch read in the same window as its undo (not read again): still placed
    assert queries.changes_since(store, after_a).paragraphs == {paragraph_id, other}
    after_undo = queries.last_event_id(store)
    store.redo("anna")
    assert queries.changes_since(store, after_undo).paragraphs == {paragraph_id, other}
    after_redo = queries.last_event_id(store)
    semantic_span(store, other, "TIME", start=5, end=9)
    assert queries.changes_since(store, after_redo).paragraphs == {other}
    assert queries.changes_since(store, after_redo, limit=1).paragraphs == {other}
    assert queries.changes_since(store, after_a, limit=3).paragraphs is None  # too many
    # undos of edits made before the window, one by one or more at once (read together)
    for paragraph in (paragraph_id, other, paragraph_id, other, paragraph_id):
        semantic_span(store, paragraph, "TIME", start=10, end=14)
    before_undos = queries.last_event_id(store)
    store.undo("anna")
    assert queries.changes_since(store, before_undos).paragraphs == {paragraph_id}
    for _ in range(4):
        store.undo("anna")
    assert queries.changes_since(store, before_undos).paragraphs == {paragraph_id, other}
    latest = queries.last_event_id(store)
    with store.bulk() as writer:  # an import logs no paragraph: anything may have changed
        writer.add_document(make_document("more", "Текст."))
    changes = queries.changes_since(store, latest)
    assert changes.paragraphs is None and changes.latest == queries.last_event_id(store) > latest
    assert changes.touched(paragraph_id)


def test_undo_survives_restart(db_url: str, store: Store, paragraph_id: int) -> None:
    a = semantic_span(store, paragraph_id)
    store.update_annotation(a.id, annotator="anna", label="PATIENT")
    store.close()
    with Store.open(db_url, layer_order=LAYERS) as again:
        again.undo("anna")
        assert again.annotation(a.id).label == "AGENT"
    with Store.open(db_url, layer_order=LAYERS) as third:
        third.redo("anna")
        assert third.annotation(a.id).label == "PATIENT"


def test_undo_is_per_annotator(store: Store, paragraph_id: int) -> None:
    a = semantic_span(store, paragraph_id, annotator="anna")
    b = semantic_span(store, paragraph_id, "TIME", annotator="boris", start=5, end=9)
    store.undo("anna")
    remaining = [x.id for x in store.annotations(paragraph_id)]
    assert remaining == [b.id]
    assert a.id not in remaining


def test_undo_refuses_to_overwrite_another_annotator(store: Store, paragraph_id: int) -> None:
    a = semantic_span(store, paragraph_id, annotator="anna")
    store.update_annotation(a.id, annotator="boris", label="THEME")
    with pytest.raises(ConflictError):
        store.undo("anna")
    assert store.annotation(a.id).label == "THEME"


def test_stale_version_update_is_refused(store: Store, paragraph_id: int) -> None:
    a = semantic_span(store, paragraph_id)
    store.update_annotation(a.id, annotator="boris", label="THEME", expected_version=1)
    with pytest.raises(ConflictError, match="changed by boris"):
        store.update_annotation(a.id, annotator="anna", label="PATIENT", expected_version=1)
    assert store.annotation(a.id).label == "THEME"


def test_delete_cascades_relations_and_undo_restores_them(store: Store, paragraph_id: int) -> None:
    pred = semantic_span(store, paragraph_id, "PREDICATE", start=5, end=9)
    agent = semantic_span(store, paragraph_id, "AGENT")
    rel = store.create_annotation(
        paragraph_id=paragraph_id,
        layer="semantic",
        kind="relation",
        field="role",
        label="AGENT",
        source_id=agent.id,
        target_id=pred.id,
        annotator="anna",
    )
    store.delete_annotation(pred.id, annotator="anna")
    assert {x.id for x in store.annotations(paragraph_id)} == {agent.id}
    store.undo("anna")
    assert {x.id for x in store.annotations(paragraph_id)} == {pred.id, agent.id, rel.id}
    assert store.annotation(rel.id).target_id == pred.id


def test_status_change_is_undoable(store: Store, paragraph_id: int) -> None:
    store.set_status(paragraph_id, "logical", "done", annotator="anna")
    assert store.statuses(paragraph_id)["logical"].state == "done"
    store.undo("anna")
    assert store.statuses(paragraph_id)["logical"].state == "todo"
    store.redo("anna")
    assert store.statuses(paragraph_id)["logical"].state == "done"


def test_undo_of_lower_edit_restores_stale_statuses(store: Store, paragraph_id: int) -> None:
    store.set_status(paragraph_id, "semantic", "done", annotator="anna")
    store.create_annotation(
        paragraph_id=paragraph_id,
        layer="lexical",
        kind="token",
        field="morph",
        start=0,
        end=4,
        label="NOUN",
        annotator="anna",
    )
    assert store.statuses(paragraph_id)["semantic"].state == "stale"
    store.undo("anna")
    assert store.statuses(paragraph_id)["semantic"].state == "done"
    assert store.statuses(paragraph_id)["lexical"].state == "todo"


def test_json_columns_keep_what_is_written(store: Store, backend: str) -> None:
    """JSON columns (written with orjson, json.dumps for what orjson refuses) give back what was
    written: Cyrillic and ё, nesting, floats, null, integer keys as strings (as JSON has them),
    an integer past 64 bits; on SQLite the text is UTF-8, not escapes."""
    from dataclasses import replace

    meta = {"автор": "Лев Толстой", "ёлка": [1, 2.5, None, True], "n": {"x": -3}, 7: "семь"}
    huge = {"автор": "Пушкин", "big": 2**70}
    with store.bulk() as writer:
        writer.add_document(replace(make_document("json", "Абзац."), meta=meta))
        writer.add_document(replace(make_document("huge", "Другой абзац."), meta=huge))
    by_name = {d.name: d.meta for d in store.documents()}
    assert by_name["json"] == {**{k: v for k, v in meta.items() if k != 7}, "7": "семь"}
    assert by_name["huge"] == huge
    if backend == "sqlite":
        with store.engine.connect() as conn:
            query = sa.text("SELECT meta FROM documents WHERE name = 'json'")
            raw = conn.execute(query).scalar_one()
        assert "Лев Толстой" in raw and "\\u" not in raw


def test_bulk_rolls_back_everything_on_error(store: Store) -> None:
    with pytest.raises(RuntimeError), store.bulk() as writer:
        writer.add_document(make_document("one", "Первый абзац."))
        raise RuntimeError("boom")
    assert store.summary().documents == 0
    assert store.events() == []


def test_duplicates_and_idempotent_documents(store: Store) -> None:
    with store.bulk() as writer:
        writer.add_document(make_document("a", "Общий абзац.", "Только в первом."))
        writer.add_document(make_document("b", "Общий абзац.", "Только во втором."))
        assert (
            writer.add_document(make_document("a-again", "Общий абзац.", "Только в первом."))
            is None
        )
    summary = store.summary()
    assert (summary.documents, summary.paragraphs, summary.duplicates) == (2, 4, 1)
    pars = list(store.iter_paragraphs())
    dup = [p for p in pars if p.duplicate_of_id is not None]
    assert len(dup) == 1 and dup[0].text == "Общий абзац."
    assert dup[0].duplicate_of_id == pars[0].id


def _writer_process(db: str, paragraph_id: int, annotator: str, count: int) -> None:
    with Store.open(db, layer_order=LAYERS) as store:
        for i in range(count):
            ann = semantic_span(store, paragraph_id, annotator=annotator, start=0, end=4 + (i % 3))
            if i % 5 == 0:
                store.undo(annotator)
            elif i % 7 == 0:
                store.update_annotation(ann.id, annotator=annotator, label="THEME")


def test_two_processes_write_concurrently(db_url: str, store: Store, paragraph_id: int) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [
        ctx.Process(target=_writer_process, args=(db_url, paragraph_id, name, 40))
        for name in ("anna", "boris")
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    anns = store.annotations(paragraph_id)
    # each wrote 40 and undid 8 of them
    assert sum(a.annotator == "anna" for a in anns) == 32
    assert sum(a.annotator == "boris" for a in anns) == 32
    assert len(store.events("anna", limit=1000)) == 40 + 8 + 4


def test_human_correction_of_a_model_suggestion_becomes_human(
    store: Store, paragraph_id: int
) -> None:
    suggestion = store.create_annotation(
        paragraph_id=paragraph_id,
        layer="lexical",
        kind="token",
        field="morph",
        start=0,
        end=4,
        label="PROPN",
        attrs={"lemma": "мама"},
        annotator="model:ru-morph@1",
        origin="model:ru-morph@1",
        confidence=0.4,
    )
    fixed = store.update_annotation(suggestion.id, annotator="anna", label="NOUN")
    assert (fixed.origin, fixed.annotator, fixed.label) == ("human", "anna", "NOUN")
    assert store.paragraphs_to_preannotate("lexical", redo=True) == [
        p.id for p in store.iter_paragraphs() if p.id != paragraph_id
    ]
    store.undo("anna")
    assert store.annotation(suggestion.id).origin == "model:ru-morph@1"


KILL_SCRIPT = """
import sys
from layerkit.store import Store
store = Store.open(sys.argv[1], layer_order={layers!r})
i = 0
while True:
    a = store.create_annotation(paragraph_id=int(sys.argv[2]), layer="semantic", kind="span",
                                field="frame", start=0, end=4, label="AGENT", annotator="anna")
    print(a.id, flush=True)
    i += 1
"""


def test_kill_9_loses_no_saved_edit(db_url: str, store: Store, paragraph_id: int) -> None:
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT.format(layers=LAYERS), db_url, str(paragraph_id)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    acknowledged = [int(proc.stdout.readline()) for _ in range(25)]
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    with Store.open(db_url, layer_order=LAYERS) as after:
        stored = {a.id for a in after.annotations(paragraph_id)}
        assert set(acknowledged) <= stored
        # the log holds an event for every stored edit, so each one can be undone
        assert len(after.events("anna", limit=10_000)) == len(stored)


def test_listeners_hear_of_what_undo_and_redo_change(store: Store, paragraph_id: int) -> None:
    """The ``annotation_saved`` hook (a plugin's audit log) heard of edits but not of their
    undo and redo, so its log drifted from the store."""
    heard: list[tuple[str, int, str | None]] = []
    store.listeners.append(lambda row, action: heard.append((action, row["id"], row["label"])))
    span = semantic_span(store, paragraph_id, "PREDICATE", annotator="anna")
    store.update_annotation(span.id, annotator="anna", expected_version=span.version, label="THEME")
    with store.batch(annotator="anna", paragraph_id=paragraph_id, layer="semantic") as batch:
        other = batch.create_annotation(
            paragraph_id=paragraph_id, layer="semantic", kind="span", field="frame",
            start=5, end=9, label="PREDICATE",
        )  # fmt: skip
        batch.delete_annotation(span.id, expected_version=span.version + 1)
    heard.clear()
    store.undo("anna")  # the batch: the span back, the other gone
    assert heard == [("create", span.id, "THEME"), ("delete", other.id, "PREDICATE")]
    heard.clear()
    store.undo("anna")  # the relabel
    assert heard == [("update", span.id, "PREDICATE")]
    heard.clear()
    store.redo("anna")
    assert heard == [("update", span.id, "THEME")]
    heard.clear()
    store.redo("anna")
    assert heard == [("create", other.id, "PREDICATE"), ("delete", span.id, "THEME")]
    heard.clear()
    assert store.redo("anna") is None and heard == []


def test_a_sole_annotation_is_refused_where_its_place_is_taken(
    store: Store, paragraph_id: int
) -> None:
    """``sole``: a paragraph's intent, a text, a span at the same place that someone saved
    since the caller looked is a conflict (two intents had been stored); other places, other
    fields and, for texts, other labels are not taken."""

    def make(**values: Any) -> Any:
        return store.create_annotation(paragraph_id=paragraph_id, layer="pragmatic", **values)

    make(kind="label", field="intent", label="EXPLAIN", annotator="boris", sole=True)
    with pytest.raises(ConflictError, match=r"boris has just set the intent here \(EXPLAIN\)"):
        make(kind="label", field="intent", label="INFORM", annotator="anna", sole=True)
    make(kind="label", field="tone", label="NEUTRAL", annotator="anna", sole=True)
    make(kind="text", field="implicature", value="Зовёт  гулять", annotator="boris", sole=True)
    with pytest.raises(ConflictError, match="«Зовёт гулять»"):
        make(kind="text", field="implicature", value="Иное", annotator="anna", sole=True)
    make(kind="text", field="note", label="A", value="а", annotator="anna", sole=True)
    make(kind="text", field="note", label="B", value="б", annotator="anna", sole=True)
    span = dict(kind="span", field="speech_act", start=0, end=4, annotator="anna", sole=True)
    make(label="ASSERT", **span)
    with pytest.raises(ConflictError):
        make(label="ASK", **span)
    make(label="ASK", **{**span, "end": 5})
    make(label="ASK", **{**span, "sole": False})  # a second one asked for: allowed
    fields = sorted((a.field, a.label) for a in store.annotations(paragraph_id))
    assert fields == [
        ("implicature", None), ("intent", "EXPLAIN"), ("note", "A"), ("note", "B"),
        ("speech_act", "ASK"), ("speech_act", "ASK"), ("speech_act", "ASSERT"),
        ("tone", "NEUTRAL"),
    ]  # fmt: skip


def test_a_conflicting_undo_step_is_skipped_and_older_steps_stay_undoable(
    store: Store, paragraph_id: int
) -> None:
    """Anna relabels X, Boris relabels X; Anna's ctrl+z cannot undo her relabel without
    overwriting Boris: it says so, naming the step, and takes it off her list, so the next
    ctrl+z undoes her step before it (also after a restart)."""
    older = store.create_annotation(
        paragraph_id=paragraph_id, layer="semantic", kind="span", field="role",
        start=5, end=9, label="THEME", annotator="anna",
    )  # fmt: skip
    x = store.create_annotation(
        paragraph_id=paragraph_id, layer="semantic", kind="span", field="role",
        start=0, end=4, label="AGENT", annotator="import",
    )  # fmt: skip
    store.update_annotation(x.id, annotator="anna", expected_version=1, label="PATIENT")
    store.update_annotation(x.id, annotator="boris", expected_version=2, label="TIME")
    with pytest.raises(ConflictError) as refused:
        store.undo("anna")
    assert refused.value.title == "Edit conflict"
    assert "AGENT → PATIENT" in refused.value.message  # names the step
    assert "taken off your undo list" in refused.value.message
    assert store.annotation(x.id).label == "TIME"  # Boris's work untouched
    undone = store.undo("anna")  # the step before it: the creation of THEME
    assert undone is not None and undone["action"] == "undo"
    assert [a.label for a in store.annotations(paragraph_id, "semantic")] == ["TIME"]
    assert store.redo("anna") is not None
    assert store.annotation(older.id).label == "THEME"


@pytest.mark.parametrize("returning", [True, False])
def test_a_created_annotation_is_logged_as_stored_with_or_without_returning(
    store: Store, paragraph_id: int, monkeypatch: pytest.MonkeyPatch, returning: bool
) -> None:
    """The new row comes back from the INSERT where the database has RETURNING (SQLite 3.35+,
    PostgreSQL) and is read after it where not: the event's ``after`` and the annotation the
    store returns are the row as a later read gives it, either way."""
    from layerkit.store import queries

    monkeypatch.setattr(store._write_engine.dialect, "insert_returning", returning)
    made = semantic_span(
        store, paragraph_id, attrs={"note": "ё"}, confidence=0.25, origin="model:x"
    )
    assert made == store.annotation(made.id)
    event = queries.event(store, queries.last_event_id(store))
    assert event is not None and event["annotation_id"] == made.id
    after = event["payload"]["after"]
    assert (after["id"], after["attrs"], after["confidence"], after["origin"]) == (
        made.id, {"note": "ё"}, 0.25, "model:x"
    )  # fmt: skip
    assert after["created_at"] == after["updated_at"]
