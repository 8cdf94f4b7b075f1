"""Upgrading databases that earlier layerkit releases wrote (migration 1) to the current schema."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from conftest import LAYERS, make_document
from sqlmodel import SQLModel

from layerkit.store import Store
from layerkit.store.engine import create_engine, database_url
from layerkit.store.migrations import LATEST_VERSION, is_modelled_table, migrate


def _version_1_store(path: Path) -> tuple[int, int]:
    """A database as layerkit left it at migration 1, with paragraphs, an edit and a status.

    Written through the real store code (the Store constructor does not migrate), so it holds
    what version 1 wrote. Returns (paragraph id, annotation id).
    """
    url = database_url(path)
    engine = create_engine(url)
    assert migrate(engine, url_for_messages=str(path), target=1) == [1]
    store = Store(engine, url, LAYERS)
    with store.bulk() as writer:
        writer.add_document(
            make_document("old", "Сло\u0301во ста\u0301рое.", "Ещё одна ёлка.", "Мама мыла раму.")
        )
    first = next(store.iter_paragraphs()).id
    assert first is not None
    annotation = store.create_annotation(
        paragraph_id=first,
        layer="semantic",
        kind="span",
        field="frame",
        start=0,
        end=5,
        label="THEME",
        annotator="anna",
    )
    assert annotation.id is not None
    store.set_status(first, "lexical", "done", annotator="anna")
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
    assert "annotator_positions" not in tables and "paragraphs_fts" not in tables
    store.close()
    return first, annotation.id


def test_version_1_database_upgrades_on_open(db_path: Path) -> None:
    first, annotation_id = _version_1_store(db_path)
    with Store.open(db_path, layer_order=LAYERS) as store:
        with store.engine.connect() as conn:
            versions = (
                conn.execute(sa.text("SELECT version FROM layerkit_migrations")).scalars().all()
            )

            def include_name(name: str | None, type_: str, _parent: object) -> bool:
                return type_ != "table" or name is None or is_modelled_table(name)

            context = MigrationContext.configure(conn, opts={"include_name": include_name})
            diff = compare_metadata(context, SQLModel.metadata)
        assert versions == list(range(1, LATEST_VERSION + 1)) == [1, 2, 3]
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
        with store.engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO paragraphs_fts(paragraphs_fts, rank) VALUES ('integrity-check', 1)"
            )

        # and the new table works
        store.save_position("anna", paragraph_id=first, layer="semantic", mode="depth")
        with store.bulk() as writer:
            writer.add_document(make_document("new", "Новый абзац после обновления."))
        assert store.count_search_hits("обновления") == 1

    # a second open has nothing left to apply and keeps everything
    with Store.open(db_path, layer_order=LAYERS) as again:
        position = again.position("anna")
        assert position is not None and position.paragraph_id == first
        assert again.count_search_hits("абзац") == 1


def test_migrating_stops_at_the_target_and_continues_later(db_path: Path) -> None:
    url = database_url(db_path)
    engine = create_engine(url)
    try:
        assert migrate(engine, url_for_messages=str(db_path), target=1) == [1]
        assert migrate(engine, url_for_messages=str(db_path), target=1) == []
        assert migrate(engine, url_for_messages=str(db_path)) == [2, 3]
        assert migrate(engine, url_for_messages=str(db_path)) == []
    finally:
        engine.dispose()


def test_relations_pointing_at_an_annotation_are_found_through_an_index(db_path: Path) -> None:
    """Undo of a creation and delete's cascade look up relations by source and target: the
    lookups must use an index, not scan every annotation of the store."""
    with (
        Store.open(db_path, layer_order=LAYERS, create=True) as store,
        store.engine.connect() as conn,
    ):
        for column in ("source_id", "target_id"):
            plan = conn.exec_driver_sql(
                f"EXPLAIN QUERY PLAN SELECT id FROM annotations WHERE {column} = 5"
            ).all()
            detail = " ".join(str(row[-1]) for row in plan)
            assert "USING INDEX" in detail or "USING COVERING INDEX" in detail, detail
