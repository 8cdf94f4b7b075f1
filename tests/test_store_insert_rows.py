"""The bulk insert's SQLite shortcut stores exactly what SQLAlchemy's own insert stores."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import LAYERS

from layerkit.store import NewDocument, NewParagraph, Store
from layerkit.store.sql import insert_rows
from layerkit.store.store import annotations_t


def _rows(paragraph_id: int) -> list[dict[str, Any]]:
    now = datetime(2026, 12, 5, 3, 4, 5, 678901, tzinfo=UTC)
    later = now + timedelta(microseconds=1)
    rows = []
    for i in range(40):
        rows.append(
            {
                "paragraph_id": paragraph_id,
                "layer": "lexical" if i % 3 else "semantic",
                "kind": "token" if i % 3 else "span",
                "field": "morph",
                "start": None if i == 7 else i,
                "end": None if i == 7 else i + 1,
                "label": None if i == 5 else "NOUN",
                "value": "ёж\u0301 «цитата» 😀" if i == 3 else None,
                "attrs": {"lemma": "ёжик\u0301", "feats": "Case=Nom", "n": i} if i % 2 else {},
                "source_id": None,
                "target_id": None,
                "annotator": "model:ru-morph@1.2",
                "origin": "model:ru-morph@1.2" if i % 4 else "human",
                "confidence": None if i == 9 else 0.1 * i,
                "version": 1,
                # one timestamp shared by most rows (as a bulk write stamps them), some apart
                "created_at": later if i % 10 == 0 else now,
                "updated_at": now,
            }
        )
    return rows


def _store(path: Path) -> tuple[Store, int]:
    store = Store.open(path, layer_order=LAYERS)
    with store.bulk() as writer:
        writer.add_document(
            NewDocument(
                name="d",
                source="test",
                format="text",
                meta={},
                paragraphs=[
                    NewParagraph(
                        text="Ёжик в тумане.",
                        sentences=[],
                        tokens=[],
                        flags=[],
                        meta={},
                        annotations=[],
                        status={},
                    )
                ],
            )
        )
    paragraph_id = next(iter(store.iter_paragraphs())).id
    assert paragraph_id is not None
    return store, paragraph_id


def test_sqlite_shortcut_stores_what_sqlalchemy_stores(tmp_path: Path) -> None:
    stored = []
    for way in ("sqlalchemy", "shortcut"):
        store, pid = _store(tmp_path / f"{way}.db")
        with store.engine.begin() as conn:
            if way == "sqlalchemy":
                conn.execute(annotations_t.insert(), _rows(pid))
            else:
                insert_rows(conn, annotations_t, _rows(pid))
        store.close()
        raw = sqlite3.connect(tmp_path / f"{way}.db")
        columns = [c.name for c in annotations_t.columns if c.name != "id"]
        quoted = ", ".join(f'"{c}"' for c in columns)
        stored.append(
            raw.execute(
                f"SELECT {quoted}, typeof(confidence) FROM annotations ORDER BY id"
            ).fetchall()
        )
        raw.close()
    assert len(stored[0]) == 40
    assert stored[1] == stored[0]
    # and the store reads them back as it reads its own
    store = Store.open(tmp_path / "shortcut.db", layer_order=LAYERS)
    try:
        read = store.annotations(pid)
        assert {a.attrs.get("lemma") for a in read} == {"ёжик\u0301", None}
        assert any(a.value == "ёж\u0301 «цитата» 😀" for a in read)
    finally:
        store.close()


def test_rows_without_every_column_take_sqlalchemys_path(tmp_path: Path) -> None:
    store, pid = _store(tmp_path / "partial.db")
    rows = _rows(pid)
    for row in rows:
        del row["confidence"]  # a column left to its default
    try:
        with store.engine.begin() as conn:
            insert_rows(conn, annotations_t, rows)
        assert len(store.annotations(pid)) == 40
        assert all(a.confidence is None for a in store.annotations(pid))
    finally:
        store.close()


@pytest.mark.parametrize("rows", [[]])
def test_nothing_to_insert(tmp_path: Path, rows: list[dict[str, Any]]) -> None:
    store, pid = _store(tmp_path / "empty.db")
    try:
        with store.engine.begin() as conn:
            insert_rows(conn, annotations_t, rows)
        assert store.annotations(pid) == []
    finally:
        store.close()
