"""Upgrading databases that earlier layerkit releases wrote (migration 1) to the current schema."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from conftest import LAYERS, make_document
from sqlmodel import SQLModel

from layerkit.store import Store, snapshots
from layerkit.store.engine import create_engine, database_url
from layerkit.store.migrations import (
    LATEST_VERSION,
    is_modelled_index,
    is_modelled_table,
    migrate,
)
from layerkit.store.store import text_sha256


def _version_1_store(db_url: str) -> tuple[int, int]:
    """A database as layerkit left it at migration 1, with paragraphs, an edit and a status.

    The document and paragraphs are written by SQL with version 1's columns (today's import
    writes columns that later migrations add); the edit and the status through the real store
    code (the Store constructor does not migrate), so they hold what version 1 wrote. Returns
    (paragraph id, annotation id).
    """
    url = database_url(db_url)
    engine = create_engine(url)
    assert migrate(engine, url_for_messages=db_url, target=1) == [1]
    store = Store(engine, url, LAYERS)
    old = make_document("old", "Сло\u0301во ста\u0301рое.", "Ещё одна ёлка.", "Мама мыла раму.")
    json_columns = ("meta", "sentences", "tokens", "flags")
    documents, paragraphs = (
        sa.table(name, *(sa.column(c, sa.JSON if c in json_columns else None) for c in cols))
        for name, cols in [
            ("documents", ("id", "name", "source", "format", "sha256", "meta", "created_at")),
            ("paragraphs", ("id", "document_id", "position", "text", "sha256", *json_columns)),
        ]
    )
    with engine.begin() as conn:
        document = conn.execute(
            documents.insert()
            .values(name=old.name, source=old.source, format=old.format, sha256=old.sha256)
            .values(meta={}, created_at=datetime.now(UTC))
            .returning(documents.c.id)
        ).scalar_one()
        ids = [
            conn.execute(
                paragraphs.insert()
                .values(document_id=document, position=i, text=p.text, sha256=text_sha256(p.text))
                .values(sentences=p.sentences, tokens=p.tokens, flags=[], meta={})
                .returning(paragraphs.c.id)
            ).scalar_one()
            for i, p in enumerate(old.paragraphs)
        ]
    first = int(ids[0])
    annotation = store.create_annotation(
        paragraph_id=first,
        layer="semantic",
        kind="span",
        field="frame",
        start=0,
        end=5,
        label="THEME",
        annotator="anna",
        shared=True,  # the shared layer, as version 1 knew it (no assignments table to ask)
    )
    assert annotation.id is not None
    store.set_status(first, "lexical", "done", annotator="anna", shared=True)
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
    assert "annotator_positions" not in tables and "paragraphs_fts" not in tables
    store.close()
    return first, annotation.id


def test_version_1_database_upgrades_on_open(db_url: str, backend: str) -> None:
    first, annotation_id = _version_1_store(db_url)
    with Store.open(db_url, layer_order=LAYERS) as store:
        with store.engine.connect() as conn:
            versions = (
                conn.execute(sa.text("SELECT version FROM layerkit_migrations ORDER BY version"))
                .scalars()
                .all()
            )

            def include_name(name: str | None, type_: str, _parent: object) -> bool:
                if name is None or type_ not in ("table", "index"):
                    return True
                return is_modelled_table(name) if type_ == "table" else is_modelled_index(name)

            context = MigrationContext.configure(conn, opts={"include_name": include_name})
            diff = compare_metadata(context, SQLModel.metadata)
        assert versions == list(range(1, LATEST_VERSION + 1)) == [1, 2, 3, 4, 5, 6, 7, 8, 9]
        assert diff == [], f"an upgraded database differs from the models: {diff}"

        # data from before the upgrade is intact, and its edit can still be undone
        assert [a.label for a in store.annotations(first)] == ["THEME"]
        assert store.statuses(first)["lexical"].state == "done"
        store.undo("anna")  # the status
        store.undo("anna")  # the annotation
        assert store.annotations(first) == []
        store.redo("anna")
        assert store.annotation(annotation_id).label == "THEME"

        # paragraphs imported before the search index existed are in it
        assert store.search_paragraph_ids("слово", limit=10) == [first]
        assert store.count_search_hits("елка") == 1
        assert store.count_search_hits("мама мыла") == 1
        if backend == "sqlite":  # SQLite's FTS5 index, built by the upgrade, is consistent
            with store.engine.begin() as conn:
                conn.exec_driver_sql(
                    "INSERT INTO paragraphs_fts(paragraphs_fts, rank) VALUES ('integrity-check', 1)"
                )
            # and the annotation snapshots, made by the upgrade, hold what the rows hold
            with store.engine.connect() as conn:
                (blob,) = conn.exec_driver_sql(
                    "SELECT rows FROM annotation_snapshots WHERE paragraph_id = ?", (first,)
                ).one()
            (bundle,) = store.read_paragraphs([first], layers=["semantic"])
            assert snapshots.decode(blob, ["semantic"]) == bundle.annotations
            assert [a.label for a in bundle.annotations["semantic"]] == ["THEME"]

        # and the new table works
        store.save_position("anna", paragraph_id=first, layer="semantic", mode="depth")
        with store.bulk() as writer:
            writer.add_document(make_document("new", "Новый абзац после обновления."))
        assert store.count_search_hits("обновления") == 1

    # a second open has nothing left to apply and keeps everything
    with Store.open(db_url, layer_order=LAYERS) as again:
        position = again.position("anna")
        assert position is not None and position.paragraph_id == first
        assert again.count_search_hits("абзац") == 1


def test_migrating_stops_at_the_target_and_continues_later(db_url: str) -> None:
    engine = create_engine(database_url(db_url))
    try:
        assert migrate(engine, url_for_messages=db_url, target=1) == [1]
        assert migrate(engine, url_for_messages=db_url, target=1) == []
        assert migrate(engine, url_for_messages=db_url) == [2, 3, 4, 5, 6, 7, 8, 9]
        assert migrate(engine, url_for_messages=db_url) == []
    finally:
        engine.dispose()


def test_relations_pointing_at_an_annotation_are_found_through_an_index(
    store: Store, backend: str
) -> None:
    """Undo of a creation and delete's cascade look up relations by source and target: the
    lookups must use an index, not scan every annotation of the store."""
    with store.engine.begin() as conn:
        for column in ("source_id", "target_id"):
            query = f"SELECT id FROM annotations WHERE {column} = 5"
            if backend == "sqlite":
                plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {query}").all()
                detail = " ".join(str(row[-1]) for row in plan)
                assert "USING INDEX" in detail or "USING COVERING INDEX" in detail, detail
            else:
                # An empty table is scanned whatever its indexes; forbidding sequential scans
                # (for this transaction) shows whether an index can answer the lookup.
                conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
                plan = conn.exec_driver_sql(f"EXPLAIN {query}").scalars().all()
                detail = " ".join(plan)
                assert "Index" in detail and "Seq Scan" not in detail, detail


def test_a_database_of_another_program_is_refused_and_left_as_it_was(tmp_path) -> None:
    """`layerkit status` on another program's SQLite file used to add layerkit's tables to
    it; now every command refuses it (exit 2) and the file keeps its own tables only."""
    import sqlite3
    import subprocess
    import sys

    db = tmp_path / "theirs.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE users (id INTEGER, name TEXT)")
    for command in (["status"], ["init"], ["export", "jsonl", "-o", str(tmp_path / "x.jsonl")]):
        done = subprocess.run(
            [sys.executable, "-m", "layerkit", "--db", str(db), *command],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 2, (command, done.stderr)
        assert "not a layerkit store" in done.stderr and "users" in done.stderr
        assert "Traceback" not in done.stderr
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    assert tables == ["users"]
    assert not (tmp_path / "x.jsonl").exists()


def test_a_database_that_refuses_writes_is_reported_not_raised(tmp_path) -> None:
    """A read-only database file (or a full disk) makes SQLite refuse every write: the store's
    error says so, with a hint, where a driver traceback and exit 1 came before."""
    import sqlite3

    import pytest

    from layerkit.errors import StoreError
    from layerkit.store.engine import database_errors, database_refusal

    db = tmp_path / "store.db"
    with Store.open(str(db), layer_order=LAYERS) as store, store.bulk() as writer:
        writer.add_document(make_document("doc", "Кошка спит."))
    # the file opened read-only, as a read-only file or folder makes SQLite open it
    engine = sa.create_engine(
        "sqlite://", creator=lambda: sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    )
    with pytest.raises(StoreError) as info, database_errors(), engine.begin() as conn:
        conn.execute(sa.text("UPDATE paragraphs SET meta = '{}'"))
    assert info.value.title == "Database is read-only"
    assert "nothing was changed" in info.value.message and "permissions" in info.value.hint
    # what is not a refusal to write stays what it was
    with engine.connect() as conn, pytest.raises(sa.exc.OperationalError) as raw:
        conn.execute(sa.text("SELECT * FROM no_such_table"))
    assert database_refusal(raw.value) is None
