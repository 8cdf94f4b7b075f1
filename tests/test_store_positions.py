"""Each annotator's place in the store: saved per person, kept across reopen, never undone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from conftest import LAYERS, make_document

from layerkit.errors import StoreError
from layerkit.store import AnnotatorPosition, Store


def _ids(store: Store) -> list[int]:
    return [p.id for p in store.iter_paragraphs() if p.id is not None]


def test_no_position_until_saved(store: Store, paragraph_id: int) -> None:
    assert store.position("anna") is None


def test_save_and_load_per_annotator(store: Store, paragraph_id: int) -> None:
    first, second = _ids(store)
    saved = store.save_position(
        "anna", paragraph_id=second, layer="semantic", cursor=3, mode="depth"
    )
    store.save_position("boris", paragraph_id=first, layer="lexical", mode="breadth")
    anna = store.position("anna")
    assert isinstance(anna, AnnotatorPosition)
    assert (anna.annotator, anna.paragraph_id, anna.layer, anna.cursor, anna.mode) == (
        "anna",
        second,
        "semantic",
        3,
        "depth",
    )
    assert anna.updated_at == saved.updated_at
    assert abs((datetime.now(UTC) - anna.updated_at.replace(tzinfo=UTC)).total_seconds()) < 60
    boris = store.position("boris")
    assert boris is not None
    assert (boris.paragraph_id, boris.layer, boris.cursor, boris.mode) == (
        first,
        "lexical",
        None,
        "breadth",
    )
    assert store.position("clara") is None


def test_saving_again_replaces_the_whole_position(store: Store, paragraph_id: int) -> None:
    first, second = _ids(store)
    store.save_position("anna", paragraph_id=first, layer="semantic", cursor=7, mode="depth")
    store.save_position("anna", paragraph_id=second, layer="logical")
    anna = store.position("anna")
    assert anna is not None
    assert (anna.paragraph_id, anna.layer, anna.cursor, anna.mode) == (
        second,
        "logical",
        None,
        None,
    )
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT count(*) FROM annotator_positions").scalar()
    assert rows == 1


def test_position_survives_reopen(db_url: str, store: Store, paragraph_id: int) -> None:
    store.save_position("anna", paragraph_id=paragraph_id, layer="pragmatic", cursor=0)
    store.close()
    with Store.open(db_url, layer_order=LAYERS) as again:
        anna = again.position("anna")
        assert anna is not None
        assert (anna.paragraph_id, anna.layer, anna.cursor) == (paragraph_id, "pragmatic", 0)


def test_saving_a_position_is_not_an_edit(store: Store, paragraph_id: int) -> None:
    store.set_status(paragraph_id, "semantic", "done", annotator="anna")
    events_before = store.events(limit=1000)
    store.save_position("anna", paragraph_id=paragraph_id, layer="semantic")
    assert store.events(limit=1000) == events_before
    # undo still undoes the status change, and leaves the position alone
    store.undo("anna")
    assert store.statuses(paragraph_id)["semantic"].state == "todo"
    anna = store.position("anna")
    assert anna is not None and anna.layer == "semantic"
    assert store.undo("anna") is None


def test_bad_positions_are_refused(store: Store, paragraph_id: int) -> None:
    with pytest.raises(StoreError, match="no paragraph 424242"):
        store.save_position("anna", paragraph_id=424242, layer="semantic")
    with pytest.raises(StoreError, match="unknown layer"):
        store.save_position("anna", paragraph_id=paragraph_id, layer="phonetic")
    with pytest.raises(StoreError, match="negative"):
        store.save_position("anna", paragraph_id=paragraph_id, cursor=-1)
    assert store.position("anna") is None


def test_position_without_a_paragraph(store: Store) -> None:
    """An empty store has no paragraph to stand on; the mode is still worth keeping."""
    store.save_position("anna", paragraph_id=None, mode="breadth")
    anna = store.position("anna")
    assert anna is not None and (anna.paragraph_id, anna.mode) == (None, "breadth")


def test_deleted_paragraph_leaves_the_rest_of_the_position(store: Store) -> None:
    with store.bulk() as writer:
        writer.add_document(make_document("gone", "Этот документ удалят."))
        writer.add_document(make_document("kept", "Этот останется."))
    gone = _ids(store)[0]
    store.save_position("anna", paragraph_id=gone, layer="logical", cursor=2, mode="depth")
    # deleted behind the store's back (no Store method deletes documents): the database's own
    # ON DELETE rules (CASCADE to paragraphs, SET NULL in positions) do the rest
    with store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM documents WHERE name = 'gone'"))
    anna = store.position("anna")
    assert anna is not None
    assert (anna.paragraph_id, anna.layer, anna.cursor, anna.mode) == (None, "logical", 2, "depth")


def test_saving_a_position_inside_a_batch_is_refused(store: Store, paragraph_id: int) -> None:
    with store.batch(annotator="anna") as b:
        b.set_status(paragraph_id, "semantic", "in_progress")
        with pytest.raises(StoreError, match="batch is open"):
            store.save_position("anna", paragraph_id=paragraph_id)
    store.save_position("anna", paragraph_id=paragraph_id)
    anna = store.position("anna")
    assert anna is not None and anna.paragraph_id == paragraph_id


def test_text_drafts_are_kept_per_annotator_and_slot(store: Store) -> None:
    """Drafts of free texts: upserted as typed, read back by slot, gone when discarded or
    when their paragraph goes."""
    with store.bulk() as writer:
        writer.add_document(make_document("d", "Мама мыла раму."))
    pid = next(store.iter_paragraphs()).id
    assert pid is not None
    store.save_drafts("anna", pid, {"a": "Черно", "b": "другой"})
    store.save_drafts("anna", pid, {"a": "Черновик"})
    store.save_drafts("boris", pid, {"a": "его"})
    assert store.drafts("anna", ["a", "b", "c"]) == {"a": "Черновик", "b": "другой"}
    assert store.drafts("boris", ["a"]) == {"a": "его"}
    store.discard_drafts("anna", ["a"])
    assert store.drafts("anna", ["a", "b"]) == {"b": "другой"}
    assert store.events(limit=10) == [e for e in store.events(limit=10) if e["action"] == "import"]
    with store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM documents"))
    assert store.drafts("anna", ["b"]) == {} and store.drafts("boris", ["a"]) == {}
