"""Batches: several edits as one transaction, one event and one step of undo."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import LAYERS, semantic_span

from layerkit.errors import ConflictError, StoreError
from layerkit.store import Annotation, Store


def _labels(store: Store, paragraph_id: int) -> list[str | None]:
    return sorted((a.label for a in store.annotations(paragraph_id)), key=str)


def _snapshot(store: Store, paragraph_id: int) -> tuple[Any, ...]:
    """Everything an edit can change about a paragraph, plus the size of the log."""
    return (
        [a.model_dump() for a in store.annotations(paragraph_id)],
        {layer: s.state for layer, s in store.statuses(paragraph_id).items()},
        len(store.events(limit=10_000)),
    )


def test_batch_commits_all_edits_as_one_event(store: Store, paragraph_id: int) -> None:
    existing = semantic_span(store, paragraph_id, "THEME", start=10, end=14)
    doomed = semantic_span(store, paragraph_id, "TIME", start=5, end=9)
    before_events = len(store.events("anna"))
    with store.batch(annotator="anna", label="accept sentence 1") as b:
        agent = b.create_annotation(
            paragraph_id=paragraph_id,
            layer="semantic",
            kind="span",
            field="frame",
            start=0,
            end=4,
            label="AGENT",
        )
        relation = b.create_annotation(
            paragraph_id=paragraph_id,
            layer="semantic",
            kind="relation",
            field="role",
            label="AGENT",
            source_id=agent.id,  # a row created earlier in the same batch
            target_id=existing.id,
        )
        updated = b.update_annotation(existing.id, expected_version=1, label="PATIENT")
        b.delete_annotation(doomed.id, expected_version=1)
        b.set_status(paragraph_id, "semantic", "done")
        assert b.edit_count == 5
    assert isinstance(agent, Annotation) and agent.id is not None
    assert b.created_ids == [agent.id, relation.id]
    assert updated.version == 2 and updated.label == "PATIENT"
    assert _labels(store, paragraph_id) == ["AGENT", "AGENT", "PATIENT"]
    assert store.annotation(relation.id).source_id == agent.id
    assert store.statuses(paragraph_id)["semantic"].state == "done"

    events = store.events("anna")
    assert len(events) == before_events + 1
    event = events[0]
    assert event["id"] == b.event_id
    assert event["action"] == "batch"
    assert (event["paragraph_id"], event["layer"]) == (paragraph_id, "semantic")
    assert event["payload"]["label"] == "accept sentence 1"
    assert [e["action"] for e in event["payload"]["edits"]] == [
        "create",
        "create",
        "update",
        "delete",
        "status",
    ]
    update = event["payload"]["edits"][2]["payload"]
    assert (update["before"]["label"], update["after"]["label"]) == ("THEME", "PATIENT")


def test_exception_in_batch_rolls_back_everything(store: Store, paragraph_id: int) -> None:
    existing = semantic_span(store, paragraph_id, "THEME")
    store.set_status(paragraph_id, "logical", "done", annotator="anna")
    before = _snapshot(store, paragraph_id)
    heard: list[str] = []
    store.listeners.append(lambda row, action: heard.append(action))
    with pytest.raises(RuntimeError, match="boom"), store.batch(annotator="anna") as b:
        created = b.create_annotation(
            paragraph_id=paragraph_id,
            layer="lexical",  # a lower layer: would mark logical stale
            kind="token",
            field="morph",
            start=0,
            end=4,
            label="NOUN",
        )
        b.update_annotation(existing.id, label="PATIENT")
        b.delete_annotation(existing.id)
        raise RuntimeError("boom")
    assert _snapshot(store, paragraph_id) == before
    assert store.statuses(paragraph_id)["logical"].state == "done"
    with pytest.raises(StoreError):
        store.annotation(created.id)
    assert heard == []  # listeners never hear of rolled-back edits
    assert b.event_id is None and b.created == []


def test_a_failing_edit_rolls_back_the_whole_batch(store: Store, paragraph_id: int) -> None:
    existing = semantic_span(store, paragraph_id, "THEME")
    store.update_annotation(existing.id, annotator="boris", label="TIME")  # now version 2
    before = _snapshot(store, paragraph_id)
    with pytest.raises(ConflictError, match="changed by boris"), store.batch(annotator="anna") as b:
        _batch_span(b, paragraph_id, "AGENT")
        b.update_annotation(existing.id, expected_version=1, label="PATIENT")
    assert _snapshot(store, paragraph_id) == before


def _batch_span(b, paragraph_id: int, label: str, start: int = 0, end: int = 4) -> Annotation:
    return b.create_annotation(
        paragraph_id=paragraph_id,
        layer="semantic",
        kind="span",
        field="frame",
        start=start,
        end=end,
        label=label,
    )


def test_a_caught_failure_leaves_no_trace_and_the_batch_goes_on(
    store: Store, paragraph_id: int
) -> None:
    existing = semantic_span(store, paragraph_id, "THEME")
    store.update_annotation(existing.id, annotator="boris", label="TIME")
    with store.batch(annotator="anna") as b:
        first = _batch_span(b, paragraph_id, "AGENT")
        with pytest.raises(ConflictError):
            b.update_annotation(existing.id, expected_version=1, label="PATIENT")
        with pytest.raises(StoreError, match="unknown layer"):
            b.create_annotation(
                paragraph_id=paragraph_id, layer="nonsense", kind="span", field="x", label="X"
            )
        with pytest.raises(StoreError, match="no paragraph"):
            _batch_span(b, 999_999, "AGENT")
        with pytest.raises(StoreError, match="cannot change"):
            b.update_annotation(existing.id, layer="lexical")
        second = _batch_span(b, paragraph_id, "PREDICATE", 5, 9)
    assert b.edit_count == 2
    assert _labels(store, paragraph_id) == ["AGENT", "PREDICATE", "TIME"]
    event = store.events("anna")[0]
    assert [e["annotation_id"] for e in event["payload"]["edits"]] == [first.id, second.id]
    store.undo("anna")
    assert _labels(store, paragraph_id) == ["TIME"]


def test_empty_batch_writes_nothing(store: Store, paragraph_id: int) -> None:
    before = _snapshot(store, paragraph_id)
    with store.batch(annotator="anna", label="nothing") as b:
        pass
    assert b.event_id is None
    with store.batch(annotator="anna") as b:
        b.set_status(paragraph_id, "semantic", "todo")  # already todo: no change
    assert b.edit_count == 0 and b.event_id is None
    assert _snapshot(store, paragraph_id) == before
    assert store.undo("anna") is None


def test_one_undo_reverts_a_batch_and_one_redo_reapplies_it(
    store: Store, paragraph_id: int
) -> None:
    kept = semantic_span(store, paragraph_id, "THEME", annotator="boris", start=10, end=14)
    store.set_status(paragraph_id, "pragmatic", "done", annotator="boris")
    state_before = _snapshot(store, paragraph_id)[:2]
    with store.batch(annotator="anna") as b:
        agent = _batch_span(b, paragraph_id, "AGENT")
        b.update_annotation(agent.id, label="CAUSE")  # edits a row created in the same batch
        b.update_annotation(kept.id, label="PATIENT")
        b.set_status(paragraph_id, "semantic", "done")
    state_after = _snapshot(store, paragraph_id)[:2]
    assert state_after[1]["pragmatic"] == "stale"  # stale marking works inside a batch

    undo = store.undo("anna")
    assert undo is not None and undo["payload"]["undoes"] == b.event_id
    assert (undo["paragraph_id"], undo["layer"]) == (paragraph_id, "semantic")
    assert _snapshot(store, paragraph_id)[:2] == _strip_versions(state_before, store, paragraph_id)
    assert _labels(store, paragraph_id) == ["THEME"]
    assert store.statuses(paragraph_id)["pragmatic"].state == "done"
    assert store.undo("anna") is None  # the whole batch was one step

    redo = store.redo("anna")
    assert redo is not None and redo["payload"]["redoes"] == b.event_id
    assert _labels(store, paragraph_id) == ["CAUSE", "PATIENT"]
    assert store.annotation(agent.id).label == "CAUSE"  # same id back
    assert store.statuses(paragraph_id)["semantic"].state == "done"
    assert store.statuses(paragraph_id)["pragmatic"].state == "stale"
    assert store.redo("anna") is None


def _strip_versions(state: tuple[Any, ...], store: Store, paragraph_id: int) -> tuple[Any, ...]:
    """The earlier state with versions and timestamps as they are now: undo restores content
    and bumps versions (so a client holding the old version notices), it does not rewind them."""
    rows, statuses = state
    now = {a.id: a for a in store.annotations(paragraph_id)}
    fixed = []
    for row in rows:
        current = now.get(row["id"])
        row = dict(row)
        if current is not None:
            row["version"] = current.version
            row["updated_at"] = current.updated_at
        fixed.append(row)
    return fixed, statuses


def test_batch_takes_one_place_on_the_undo_stack(store: Store, paragraph_id: int) -> None:
    semantic_span(store, paragraph_id, "ONE")
    with store.batch(annotator="anna") as b:
        _batch_span(b, paragraph_id, "TWO", 5, 9)
        _batch_span(b, paragraph_id, "THREE", 10, 14)
    semantic_span(store, paragraph_id, "FOUR", start=16, end=20)
    store.undo("anna")
    assert _labels(store, paragraph_id) == ["ONE", "THREE", "TWO"]
    store.undo("anna")
    assert _labels(store, paragraph_id) == ["ONE"]
    store.redo("anna")
    assert _labels(store, paragraph_id) == ["ONE", "THREE", "TWO"]
    store.undo("anna")
    store.undo("anna")
    assert _labels(store, paragraph_id) == []
    store.redo("anna")
    store.redo("anna")
    store.redo("anna")
    assert _labels(store, paragraph_id) == ["FOUR", "ONE", "THREE", "TWO"]


def test_batch_undo_and_redo_across_reopen(db_url: str, store: Store, paragraph_id: int) -> None:
    with store.batch(annotator="anna", label="two spans") as b:
        _batch_span(b, paragraph_id, "AGENT")
        _batch_span(b, paragraph_id, "PREDICATE", 5, 9)
    ids = b.created_ids
    store.close()
    with Store.open(db_url, layer_order=LAYERS) as again:
        event = again.undo("anna")
        assert event is not None and event["action"] == "undo"
        assert again.annotations(paragraph_id) == []
    with Store.open(db_url, layer_order=LAYERS) as third:
        third.redo("anna")
        assert [a.id for a in third.annotations(paragraph_id)] == ids
        assert _labels(third, paragraph_id) == ["AGENT", "PREDICATE"]


def test_undo_of_a_batch_is_refused_whole_when_a_row_changed(
    store: Store, paragraph_id: int
) -> None:
    with store.batch(annotator="anna") as b:
        first = _batch_span(b, paragraph_id, "AGENT")
        _batch_span(b, paragraph_id, "PREDICATE", 5, 9)
        _batch_span(b, paragraph_id, "TIME", 10, 14)
        b.set_status(paragraph_id, "semantic", "done")
    # boris changes the batch's FIRST row: undo inverts newest first, so two creations are
    # already undone when the conflict shows up, and must come back.
    store.update_annotation(first.id, annotator="boris", label="CAUSE")
    # (his change reopens the layer anna marked done: the status changed too)
    assert store.statuses(paragraph_id)["semantic"].state == "in_progress"
    before = _snapshot(store, paragraph_id)
    with pytest.raises(ConflictError, match=f"annotation {first.id}|semantic status"):
        store.undo("anna")
    assert _skipped_once(store, before, paragraph_id)
    assert _labels(store, paragraph_id) == ["CAUSE", "PREDICATE", "TIME"]
    assert store.statuses(paragraph_id)["semantic"].state == "in_progress"
    # the step was taken off anna's undo list: nothing older to undo, nothing changes
    assert store.undo("anna") is None
    assert _labels(store, paragraph_id) == ["CAUSE", "PREDICATE", "TIME"]


def _skipped_once(store: Store, before: tuple[Any, ...], paragraph_id: int) -> bool:
    """Nothing changed but one ``undo_skipped`` event in the log."""
    after = _snapshot(store, paragraph_id)
    newest = store.events(limit=1)[0]
    return (
        after[:2] == before[:2]
        and after[2] == before[2] + 1
        and (newest["action"] == "undo_skipped")
    )


def test_undo_of_a_batch_is_refused_when_its_status_changed(
    store: Store, paragraph_id: int
) -> None:
    with store.batch(annotator="anna") as b:
        _batch_span(b, paragraph_id, "AGENT")
        b.set_status(paragraph_id, "semantic", "done")
    store.set_status(paragraph_id, "semantic", "in_progress", annotator="boris")
    before = _snapshot(store, paragraph_id)
    with pytest.raises(ConflictError, match="status"):
        store.undo("anna")
    assert _skipped_once(store, before, paragraph_id)


def test_redo_of_a_batch_is_refused_whole_when_a_row_changed(
    store: Store, paragraph_id: int
) -> None:
    theme = semantic_span(store, paragraph_id, "THEME", annotator="boris")
    with store.batch(annotator="anna") as b:
        _batch_span(b, paragraph_id, "AGENT", 5, 9)
        b.update_annotation(theme.id, label="PATIENT")
    store.undo("anna")
    assert _labels(store, paragraph_id) == ["THEME"]
    store.update_annotation(theme.id, annotator="boris", label="GOAL")
    before = _snapshot(store, paragraph_id)
    with pytest.raises(ConflictError):
        store.redo("anna")
    assert _snapshot(store, paragraph_id) == before  # AGENT was not re-created either


def test_batch_delete_cascades_and_undo_restores(store: Store, paragraph_id: int) -> None:
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
    with store.batch(annotator="anna") as b:
        b.delete_annotation(pred.id)
        b.delete_annotation(agent.id)
    assert store.annotations(paragraph_id) == []
    store.undo("anna")
    assert {a.id for a in store.annotations(paragraph_id)} == {pred.id, agent.id, rel.id}
    assert store.annotation(rel.id).target_id == pred.id
    store.redo("anna")
    assert store.annotations(paragraph_id) == []


def test_human_correction_in_a_batch_becomes_human(store: Store, paragraph_id: int) -> None:
    suggestion = store.create_annotation(
        paragraph_id=paragraph_id,
        layer="lexical",
        kind="token",
        field="morph",
        start=0,
        end=4,
        label="PROPN",
        annotator="model:ru-morph@1",
        origin="model:ru-morph@1",
    )
    with store.batch(annotator="anna") as b:
        fixed = b.update_annotation(suggestion.id, expected_version=1, label="NOUN")
    assert (fixed.origin, fixed.annotator) == ("human", "anna")
    store.undo("anna")
    assert store.annotation(suggestion.id).origin == "model:ru-morph@1"


def test_batches_are_per_annotator(store: Store, paragraph_id: int) -> None:
    with store.batch(annotator="anna") as b:
        _batch_span(b, paragraph_id, "AGENT")
    mine = semantic_span(store, paragraph_id, "TIME", annotator="boris", start=5, end=9)
    assert store.undo("boris") is not None
    assert _labels(store, paragraph_id) == ["AGENT"]
    store.redo("boris")
    store.undo("anna")
    assert [a.id for a in store.annotations(paragraph_id)] == [mine.id]


def test_listeners_hear_each_edit_after_commit(store: Store, paragraph_id: int) -> None:
    heard: list[tuple[str, str | None, int]] = []

    def listener(row: dict[str, Any], action: str) -> None:
        # called after commit: another connection already sees the row (or its absence)
        visible = len(store.annotations(paragraph_id))
        heard.append((action, row.get("label"), visible))

    store.listeners.append(listener)
    with store.batch(annotator="anna") as b:
        a = _batch_span(b, paragraph_id, "AGENT")
        _batch_span(b, paragraph_id, "TIME", 5, 9)
        b.delete_annotation(a.id)
        b.set_status(paragraph_id, "semantic", "done")  # statuses are not annotations
        assert heard == []
    assert heard == [("create", "AGENT", 1), ("create", "TIME", 1), ("delete", "AGENT", 1)]


def test_batch_is_invisible_to_others_until_it_ends(
    db_url: str, store: Store, paragraph_id: int
) -> None:
    with Store.open(db_url, layer_order=LAYERS) as other:
        with store.batch(annotator="anna") as b:
            _batch_span(b, paragraph_id, "AGENT")
            assert other.annotations(paragraph_id) == []
            assert other.events("anna") == []
        assert _labels(other, paragraph_id) == ["AGENT"]


def test_other_writes_during_a_batch_are_refused(store: Store, paragraph_id: int) -> None:
    with store.batch(annotator="anna") as b:
        _batch_span(b, paragraph_id, "AGENT")
        with pytest.raises(StoreError, match="batch is open"):
            semantic_span(store, paragraph_id, "TIME")
        with pytest.raises(StoreError, match="batch is open"):
            store.undo("anna")
        with pytest.raises(StoreError, match="do not nest"), store.batch(annotator="anna"):
            pass
        _batch_span(b, paragraph_id, "PREDICATE", 5, 9)
    assert _labels(store, paragraph_id) == ["AGENT", "PREDICATE"]
    with pytest.raises(StoreError, match="has ended"):
        _batch_span(b, paragraph_id, "LATE")
    # the store is free again once the batch is over
    semantic_span(store, paragraph_id, "TIME", start=10, end=14)
    assert len(store.events("anna")) == 2


def test_batch_event_place_defaults_to_first_edit(store: Store, paragraph_id: int) -> None:
    other = next(p.id for p in store.iter_paragraphs() if p.id != paragraph_id)
    with store.batch(annotator="anna") as b:
        b.set_status(other, "logical", "in_progress")
        _batch_span(b, paragraph_id, "AGENT")
    first = store.events("anna")[0]
    assert (first["paragraph_id"], first["layer"]) == (other, "logical")
    with store.batch(annotator="anna", paragraph_id=paragraph_id, layer="semantic") as b:
        b.set_status(other, "logical", "done")
    second = store.events("anna")[0]
    assert (second["paragraph_id"], second["layer"]) == (paragraph_id, "semantic")
    # undo of a batch spanning two paragraphs restores both
    store.undo("anna")
    store.undo("anna")
    assert store.statuses(other)["logical"].state == "todo"
    assert store.annotations(paragraph_id) == []
