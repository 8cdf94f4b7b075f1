"""Adjudication: the private copies of a layer made into its gold, unit by unit, undoably."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_document

from layerkit import adjudication
from layerkit.curriculum import iter_records
from layerkit.errors import ConflictError, UsageError
from layerkit.project import Project
from layerkit.store import Store

TEXT = "Мама мыла раму, а папа читал газету."


def _span(store: Store, pid: int, who: str, label: str, start: int, end: int) -> int:
    made = store.create_annotation(
        paragraph_id=pid, layer="semantic", kind="span", field="frame", label=label,
        start=start, end=end, annotator=who,
    )  # fmt: skip
    assert made.id is not None
    return made.id


def _role(store: Store, pid: int, who: str, label: str, source: int, target: int) -> None:
    store.create_annotation(
        paragraph_id=pid, layer="semantic", kind="relation", field="role", label=label,
        source_id=source, target_id=target, annotator=who,
    )  # fmt: skip


def _two_copies(store: Store) -> int:
    """anna and boris agree on the predicate «мыла», not on what «Мама» is (and so on the
    role joining them), and boris marks «раму» too."""
    with store.bulk() as writer:
        writer.add_document(make_document("doc", TEXT))
    pid = store.document_paragraph_ids([i for i, _, _ in store.document_sizes()])[0]
    store.assign([pid], ["semantic"], ["anna", "boris"], by="lead", copy_shared=False)
    for who, label in (("anna", "AGENT"), ("boris", "EXPERIENCER")):
        verb = _span(store, pid, who, "PREDICATE", 5, 9)
        noun = _span(store, pid, who, label, 0, 4)
        _role(store, pid, who, label, verb, noun)
    _span(store, pid, "boris", "THEME", 10, 14)
    return pid


def _gold(store: Store, pid: int) -> list[tuple[str, str | None, str]]:
    by_id = {a.id: a for a in store.annotations(pid, "semantic")}
    out = []
    for a in by_id.values():
        if a.kind == "relation":
            source, target = by_id[a.source_id], by_id[a.target_id]  # type: ignore[index]
            where = f"{TEXT[source.start : source.end]}->{TEXT[target.start : target.end]}"  # type: ignore[misc]
        else:
            where = TEXT[a.start : a.end]  # type: ignore[misc]
        out.append((where, a.label, a.origin))
    return sorted(out)


def test_agreed_units_merge_and_each_disagreement_is_taken_or_dropped(store: Store) -> None:
    pid = _two_copies(store)
    assert adjudication.ready_to_adjudicate(store) == []  # no copy is done yet
    with pytest.raises(UsageError, match="not assigned to two"):
        adjudication.compare_copies(store, pid, "logical")
    store.set_status(pid, "semantic", "done", annotator="anna")
    assert adjudication.ready_to_adjudicate(store) == []
    store.set_status(pid, "semantic", "done", annotator="boris")
    assert adjudication.ready_to_adjudicate(store) == [(pid, "semantic")]

    comparison = adjudication.compare_copies(store, pid, "semantic")
    assert comparison.annotators == ["anna", "boris"] and comparison.copies_done
    described = {u.describe(TEXT): u for u in comparison.disagreements()}
    assert set(described) == {"frame: «Мама»", "frame: «раму»", "role: «мыла» → «Мама»"}
    assert adjudication.show(described["frame: «раму»"].versions["boris"]) == "THEME"
    assert adjudication.show(described["frame: «раму»"].versions["anna"]) == "—"

    merged = adjudication.merge_agreed(store, comparison, adjudicator="vera")
    assert (merged.agreed, merged.written, merged.disagreements, merged.done) == (1, 1, 3, False)
    assert _gold(store, pid) == [("мыла", "PREDICATE", "adjudicated")]
    assert {a.annotator for a in store.annotations(pid, "semantic")} == {"vera"}

    comparison = adjudication.compare_copies(store, pid, "semantic")
    units = {u.describe(TEXT): u for u in comparison.disagreements()}
    # the role cannot be taken before the span it points at is in the gold
    with pytest.raises(Exception, match="does not have yet"):
        adjudication.take(
            store, comparison, units["role: «мыла» → «Мама»"], "anna", adjudicator="vera"
        )
    adjudication.take(store, comparison, units["frame: «Мама»"], "anna", adjudicator="vera")
    adjudication.take(store, comparison, units["role: «мыла» → «Мама»"], "anna", adjudicator="vera")
    adjudication.drop(store, comparison, units["frame: «раму»"], adjudicator="vera")
    gold = [
        ("Мама", "AGENT", "adjudicated"),
        ("мыла", "PREDICATE", "adjudicated"),
        ("мыла->Мама", "AGENT", "adjudicated"),
    ]
    assert _gold(store, pid) == gold
    again = adjudication.compare_copies(store, pid, "semantic")
    assert [u.describe(TEXT) for u in again.open_disagreements()] == ["frame: «раму»"]
    # a drop leaves nothing in the gold to tell it by: the gold marked done is the
    # adjudicator's word that it was decided (it stayed open for good, and `adjudicate` never
    # counted the paragraph done)
    store.set_status(pid, "semantic", "done", annotator="vera")
    done = adjudication.compare_copies(store, pid, "semantic")
    assert done.gold_done and done.open_disagreements() == []
    rerun = adjudication.merge_agreed(store, done, adjudicator="vera")
    assert (rerun.written, rerun.disagreements, rerun.done) == (0, 0, True)
    store.undo("vera")  # (the mark: the drop is open again)
    again = adjudication.compare_copies(store, pid, "semantic")
    assert [u.describe(TEXT) for u in again.open_disagreements()] == ["frame: «раму»"]

    # each step is one edit of the adjudicator's: undo and redo them like any other
    store.undo("vera")  # the drop (nothing was there: an empty batch is not recorded) → the role
    assert ("мыла->Мама", "AGENT", "adjudicated") not in _gold(store, pid)
    store.redo("vera")
    assert _gold(store, pid) == gold
    # the copies themselves were never touched
    assert [a.label for a in store.seen_by(pid, "boris").annotations if a.start == 0] == [
        "EXPERIENCER"
    ]

    # taking boris's version turns the gold span (and the relation on it) into his
    comparison = adjudication.compare_copies(store, pid, "semantic")
    units = {u.describe(TEXT): u for u in comparison.disagreements()}
    adjudication.take(store, comparison, units["frame: «Мама»"], "boris", adjudicator="vera")
    assert ("Мама", "EXPERIENCER", "adjudicated") in _gold(store, pid)


def test_a_majority_merges_what_most_annotators_agree_on(store: Store) -> None:
    with store.bulk() as writer:
        writer.add_document(make_document("doc", TEXT))
    pid = store.document_paragraph_ids([i for i, _, _ in store.document_sizes()])[0]
    people = ["anna", "boris", "carl"]
    store.assign([pid], ["semantic"], people, by="lead", copy_shared=False)
    for who, label in zip(people, ["AGENT", "AGENT", "EXPERIENCER"], strict=True):
        _span(store, pid, who, label, 0, 4)
        store.set_status(pid, "semantic", "done", annotator=who)
    comparison = adjudication.compare_copies(store, pid, "semantic")
    assert len(comparison.disagreements()) == 1
    assert comparison.disagreements(majority=2) == []
    with pytest.raises(UsageError, match="majority"):
        adjudication.merge_agreed(store, comparison, adjudicator="vera", majority=4)
    merged = adjudication.merge_agreed(store, comparison, adjudicator="vera", majority=2)
    assert merged.done and merged.disagreements == 0
    assert _gold(store, pid) == [("Мама", "AGENT", "adjudicated")]
    assert store.statuses(pid)["semantic"].state == "done"
    assert store.statuses(pid)["semantic"].annotator == "vera"


def test_the_curriculum_reads_the_adjudicated_gold(tmp_path: Path) -> None:
    project = Project.load(str(tmp_path / "store.db"))
    with project.open_store(create=True) as store:
        pid = _two_copies(store)
        for who in ("anna", "boris"):
            store.set_status(pid, "semantic", "done", annotator=who)
        comparison = adjudication.compare_copies(store, pid, "semantic")
        adjudication.merge_agreed(store, comparison, adjudicator="vera")
        units = {u.describe(TEXT): u for u in comparison.disagreements()}
        adjudication.take(store, comparison, units["frame: «Мама»"], "boris", adjudicator="vera")
        store.set_status(pid, "semantic", "done", annotator="vera")
        store.set_status(pid, "lexical", "done", annotator="vera")  # the context below
        options = {"context": "none", "split": "1,0,0", "stages": "semantic"}
        records = list(iter_records(store, options))
    answers = "\n".join(r["messages"][-1]["content"] for r in records)
    assert "EXPERIENCER" in answers and "THEME" not in answers
    assert all(r["meta"]["annotators"] == ["vera"] for r in records)
    # each record says its gold was adjudicated, and how far the copies agreed: of the four
    # places annotated (the predicate, «Мама», the role, «раму»), one holds the same content
    assert {(r["meta"]["adjudicated"], r["meta"]["agreement"]) for r in records} == {(True, 0.25)}

    # preference pairs: the adjudicated gold (chosen) against each version that lost: anna's
    # (AGENT for «Мама») and boris's (his «раму» span was dropped)
    with project.open_store() as store:
        pairs = [
            r
            for r in iter_records(store, {**options, "split": "1,0,0"}, kind="dpo")
            if r["meta"]["pair"] == "adjudication"
        ]
    assert [p["meta"]["losing_annotator"] for p in pairs] == ["anna", "boris"]
    chosen = pairs[0]["chosen"][0]["content"]
    assert chosen == pairs[1]["chosen"][0]["content"] == records[0]["messages"][-1]["content"]
    anna, boris = (p["rejected"][0]["content"] for p in pairs)
    assert "AGENT" in anna and "EXPERIENCER" not in anna and "THEME" not in anna
    assert "EXPERIENCER" in boris and "THEME" in boris and "THEME" not in chosen
    assert pairs[0]["prompt"][1]["content"] == records[0]["messages"][1]["content"]


def test_two_adjudicators_on_one_unit_get_a_conflict(store: Store) -> None:
    pid = _two_copies(store)
    for who in ("anna", "boris"):
        store.set_status(pid, "semantic", "done", annotator=who)
    adjudication.merge_agreed(
        store, adjudication.compare_copies(store, pid, "semantic"), adjudicator="vera"
    )
    seen_by_vera = adjudication.compare_copies(store, pid, "semantic")
    seen_by_wanda = adjudication.compare_copies(store, pid, "semantic")

    def unit(comparison: adjudication.Comparison) -> adjudication.Unit:
        return next(u for u in comparison.disagreements() if u.describe(TEXT) == "frame: «Мама»")

    adjudication.take(store, seen_by_vera, unit(seen_by_vera), "anna", adjudicator="vera")
    again = adjudication.compare_copies(store, pid, "semantic")
    adjudication.take(store, again, unit(again), "boris", adjudicator="vera")  # vera changes it
    with pytest.raises(ConflictError):  # wanda decides from what she saw before that
        adjudication.take(store, seen_by_wanda, unit(seen_by_wanda), "anna", adjudicator="wanda")
    assert ("Мама", "EXPERIENCER", "adjudicated") in _gold(store, pid)


def test_copies_that_both_leave_out_a_span_and_its_role_delete_both_from_the_gold(
    store: Store,
) -> None:
    """The gold held a span with a role pointing at it; both copies, started empty, left them
    out. Deleting the span takes the role along, and the role's own unit must not then fail as
    "deleted by someone else" (the bug that stopped `annotate --adjudicate` from opening)."""
    with store.bulk() as writer:
        writer.add_document(make_document("doc", TEXT))
    pid = store.document_paragraph_ids([i for i, _, _ in store.document_sizes()])[0]
    verb = _span(store, pid, "lead", "PREDICATE", 5, 9)
    noun = _span(store, pid, "lead", "AGENT", 0, 4)
    _role(store, pid, "lead", "AGENT", verb, noun)
    store.assign([pid], ["semantic"], ["anna", "boris"], by="lead", copy_shared=False)
    for who in ("anna", "boris"):
        store.set_status(pid, "semantic", "done", annotator=who)
    comparison = adjudication.compare_copies(store, pid, "semantic")
    merged = adjudication.merge_agreed(store, comparison, adjudicator="vera")
    assert (merged.agreed, merged.disagreements, merged.done) == (3, 0, True)
    assert _gold(store, pid) == []
    assert store.statuses(pid)["semantic"].state == "done"


def test_paragraphs_are_adjudicated_layer_by_layer_bottom_up(store: Store) -> None:
    """The higher layers' units rest on the lower ones: lexical comes before epistemic, not in
    the alphabet's order."""
    with store.bulk() as writer:
        writer.add_document(make_document("doc", TEXT, "Кот спал."))
    pids = store.document_paragraph_ids([i for i, _, _ in store.document_sizes()])
    store.assign(pids, ["epistemic", "lexical"], ["anna", "boris"], by="lead", copy_shared=False)
    for pid in pids:
        for layer in ("epistemic", "lexical"):
            for who in ("anna", "boris"):
                store.set_status(pid, layer, "done", annotator=who)
    assert adjudication.ready_to_adjudicate(store) == [
        (pids[0], "lexical"), (pids[0], "epistemic"), (pids[1], "lexical"), (pids[1], "epistemic"),
    ]  # fmt: skip
