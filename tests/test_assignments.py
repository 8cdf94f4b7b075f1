"""Independent double annotation: assignments, private copies, agreement over them.

An assigned annotator's edits go to their own copy of the layer (the store routes them), nobody
else can change or see that copy, the shared layer (the gold exports read) stays as it was,
and every guarantee a layer has (undo, stale marking, the JSONL round trip) holds for copies.
"""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import LAYERS, REPO, make_document, semantic_span

from layerkit.errors import StoreError
from layerkit.project import Project
from layerkit.store import Store
from layerkit.store.assignments import choose_documents
from layerkit.tui.model import ParagraphData

SAMPLE = REPO / "sample_corpus" / "annotated.jsonl"


def _paragraph(store: Store) -> int:
    with store.bulk() as writer:
        writer.add_document(make_document("doc", "Мама мыла раму, а папа читал газету."))
    return store.document_paragraph_ids([i for i, _, _ in store.document_sizes()])[0]


def test_documents_are_chosen_whole_reproducibly_until_the_share() -> None:
    sizes = [(i, f"d{i}", n) for i, n in enumerate([5, 1, 8, 3, 2, 9, 4, 4, 6, 1], start=1)]
    total = sum(n for _, _, n in sizes)
    chosen = choose_documents(sizes, 0.3, seed=7)
    assert chosen == choose_documents(sizes, 0.3, seed=7)
    assert set(chosen) <= set(sizes)
    paragraphs = sum(n for _, _, n in chosen)
    assert paragraphs >= 0.3 * total
    # the last document chosen was needed: without it the share is not reached
    assert paragraphs - chosen[-1][2] < 0.3 * total or len(chosen) == 1
    assert {d for d, _, _ in choose_documents(sizes, 0.3, seed=8)} != {d for d, _, _ in chosen}
    assert choose_documents(sizes, 1.0, seed=1) == sizes
    with pytest.raises(Exception, match="share"):
        choose_documents(sizes, 0, seed=1)


def test_assigned_annotators_edit_private_copies_blind_to_each_other(store: Store) -> None:
    pid = _paragraph(store)
    store.assign([pid], ["semantic"], ["anna", "boris"], by="lead", copy_shared=False)
    mine = store.create_annotation(
        paragraph_id=pid, layer="semantic", kind="span", field="frame", label="PREDICATE",
        start=5, end=9, annotator="anna",
    )  # fmt: skip
    assert mine.layer == "semantic@anna"
    shared = store.create_annotation(
        paragraph_id=pid, layer="semantic", kind="span", field="frame", label="AGENT",
        start=0, end=4, annotator="carl",
    )  # fmt: skip
    assert shared.layer == "semantic"  # carl is not assigned: the shared layer
    store.set_status(pid, "semantic", "done", annotator="anna")

    # nobody may change anna's copy, or point into it
    assert mine.id is not None
    with pytest.raises(StoreError, match="private copy"):
        store.update_annotation(mine.id, annotator="boris", label="AGENT")
    with pytest.raises(StoreError, match="private copy"):
        store.delete_annotation(mine.id, annotator="carl")
    with pytest.raises(StoreError, match="private copy"):
        store.create_annotation(
            paragraph_id=pid, layer="semantic", kind="relation", field="role", label="AGENT",
            source_id=mine.id, target_id=shared.id, annotator="carl",
        )  # fmt: skip

    anna, boris, carl = (store.seen_by(pid, who) for who in ("anna", "boris", "carl"))
    assert [(a.layer, a.label) for a in anna.annotations] == [("semantic", "PREDICATE")]
    assert anna.statuses["semantic"].state == "done" and anna.assigned == {"semantic"}
    assert boris.annotations == [] and boris.statuses["semantic"].state == "todo"
    assert [(a.layer, a.label) for a in carl.annotations] == [("semantic", "AGENT")]
    assert carl.statuses["semantic"].state == "in_progress"
    assert store.statuses(pid)["semantic"].state == "in_progress"  # the shared layer's
    # the gold readers name their layers: copies never reach them
    assert [a.label for a in store.annotations(pid, "semantic")] == ["AGENT"]

    # undo and redo reach the copy like any layer
    store.undo("anna")  # the status
    assert store.seen_by(pid, "anna").statuses["semantic"].state == "in_progress"
    store.undo("anna")  # the span
    assert store.seen_by(pid, "anna").annotations == []
    store.redo("anna")
    assert [a.label for a in store.seen_by(pid, "anna").annotations] == ["PREDICATE"]


def test_what_an_annotator_sees_of_a_copys_state_is_their_navigator_rows(store: Store) -> None:
    """anna's copy is in progress while nobody touched the shared layer: what she sees of the
    paragraph (``seen_by``: the annotator's reload builds her navigator row from it) and her
    navigator row (``row_of``) both say in progress; boris, assigned too, sees his own copy's
    state (todo); carl, not assigned, the shared layer's (todo)."""
    from layerkit.store.queries import row_of

    pid = _paragraph(store)
    store.assign([pid], ["semantic"], ["anna", "boris"], by="lead", copy_shared=False)
    store.create_annotation(
        paragraph_id=pid, layer="semantic", kind="span", field="frame", label="PREDICATE",
        start=5, end=9, annotator="anna",
    )  # fmt: skip
    assert store.statuses(pid)["semantic"].state == "todo"  # the shared layer
    for who, state in (("anna", "in_progress"), ("boris", "todo"), ("carl", "todo")):
        seen = store.seen_by(pid, who).statuses
        row = row_of(store, pid, annotator=who)
        assert row is not None
        assert row.state("semantic") == state
        assert (seen["semantic"].state if "semantic" in seen else "todo") == state
        # the annotator's screen builds a freshly opened paragraph's row from what it saw
        opened = ParagraphData.load(store, pid, who).row
        assert opened.state("semantic") == state
        assert replace(opened, states={}) == replace(row, states={})
        assert {layer: opened.state(layer) for layer in LAYERS} == {
            layer: row.state(layer) for layer in LAYERS
        }


def test_lower_edits_make_the_copies_built_on_them_stale(store: Store) -> None:
    pid = _paragraph(store)
    store.assign([pid], ["lexical", "semantic"], ["anna", "boris"], by="lead", copy_shared=False)
    store.assign([pid], ["logical"], ["anna", "boris"], by="lead", copy_shared=False)
    for who in ("anna", "boris"):
        for layer in ("semantic", "logical"):
            store.set_status(pid, layer, "done", annotator=who)
    # anna's own lexical copy changes: only her copies above it are stale
    store.create_annotation(
        paragraph_id=pid, layer="lexical", kind="token", field="morph", label="NOUN",
        start=0, end=4, attrs={"lemma": "мама"}, annotator="anna",
    )  # fmt: skip
    states = {k: s.state for k, s in store.statuses(pid).items()}
    assert states["semantic@anna"] == states["logical@anna"] == "stale"
    assert states["semantic@boris"] == states["logical@boris"] == "done"
    # the shared lexical layer changes: everything built on it is stale, copies too
    store.create_annotation(
        paragraph_id=pid, layer="lexical", kind="token", field="morph", label="NOUN",
        start=0, end=4, attrs={"lemma": "мама"}, annotator="carl",
    )  # fmt: skip
    states = {k: s.state for k, s in store.statuses(pid).items()}
    # boris's copies above lexical were built on his own lexical copy: not stale
    assert states["semantic@boris"] == states["logical@boris"] == "done"
    # carl's copy of semantic was built on the shared lexical layer: stale when it changes
    store.assign([pid], ["semantic"], ["carl"], by="lead", copy_shared=False)
    store.set_status(pid, "semantic", "done", annotator="carl")
    store.create_annotation(
        paragraph_id=pid, layer="lexical", kind="token", field="morph", label="VERB",
        start=5, end=9, attrs={"lemma": "мыть"}, annotator="dora",
    )  # fmt: skip
    states = {k: s.state for k, s in store.statuses(pid).items()}
    assert states["semantic@carl"] == "stale"
    assert states["semantic@boris"] == states["logical@boris"] == "done"


def test_status_counts_each_private_copy_over_its_assigned_paragraphs(store: Store) -> None:
    """The shared layers count over every paragraph and list no copy; each copy counts over
    the paragraphs its annotator was given, ``todo`` until they begin."""
    with store.bulk() as writer:
        writer.add_document(make_document("a", "Мама мыла раму.", "Папа читал газету."))
        writer.add_document(make_document("b", "Кот спал."))
    pids = store.document_paragraph_ids([i for i, _, _ in store.document_sizes()])
    assert len(pids) == 3
    store.assign(pids[:2], ["semantic"], ["anna", "boris"], by="lead", copy_shared=False)
    store.set_status(pids[0], "semantic", "done", annotator="anna")
    store.set_status(pids[1], "semantic", "in_progress", annotator="anna")
    store.create_annotation(
        paragraph_id=pids[0], layer="semantic", kind="span", field="frame", label="AGENT",
        start=0, end=4, annotator="boris",
    )  # fmt: skip
    summary = store.summary()
    assert set(summary.layers) == set(store.layer_order)
    assert summary.layers["semantic"]["todo"] == 3  # nobody touched the shared layer
    assert "semantic@boris" not in summary.annotations
    assert summary.copies == {
        "semantic": {
            "anna": {"assigned": 2, "todo": 0, "in_progress": 1, "done": 1, "stale": 0},
            "boris": {"assigned": 2, "todo": 1, "in_progress": 1, "done": 0, "stale": 0},
        }
    }


def test_copies_start_from_the_shared_layer_with_relations_moved(store: Store) -> None:
    pid = _paragraph(store)
    verb = store.create_annotation(
        paragraph_id=pid, layer="semantic", kind="span", field="frame", label="PREDICATE",
        start=5, end=9, annotator="carl",
    )  # fmt: skip
    agent = store.create_annotation(
        paragraph_id=pid, layer="semantic", kind="span", field="frame", label="AGENT",
        start=0, end=4, annotator="carl",
    )  # fmt: skip
    store.create_annotation(
        paragraph_id=pid, layer="semantic", kind="relation", field="role", label="AGENT",
        source_id=verb.id, target_id=agent.id, annotator="carl",
    )  # fmt: skip
    result = store.assign([pid], ["semantic"], ["anna", "boris"], by="lead", copy_shared=True)
    assert (result.assignments, result.copied) == (2, 6)
    for who in ("anna", "boris"):
        seen = store.seen_by(pid, who)
        ids = {a.id: a for a in seen.annotations}
        relation = next(a for a in seen.annotations if a.kind == "relation")
        # the relation joins the copy's own spans, not the shared ones
        assert ids[relation.source_id].label == "PREDICATE"  # type: ignore[index]
        assert ids[relation.target_id].label == "AGENT"  # type: ignore[index]
        assert {a.id for a in seen.annotations}.isdisjoint({verb.id, agent.id})
        assert seen.statuses["semantic"].state == "in_progress"
    again = store.assign([pid], ["semantic"], ["anna", "boris"], by="lead", copy_shared=True)
    assert (again.assignments, again.already, again.copied) == (0, 2, 0)


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "layerkit", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def _export_files(folder: Path) -> dict[str, object]:
    """The stage files and the manifest, but for the snapshot that identifies the store state
    (any change to the store, copies too, changes it: by design) and the records' agreement
    (how far the copies agreed: known once they are done)."""
    files: dict[str, object] = {}
    for path in sorted(folder.glob("*.jsonl")):
        records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        for record in records:
            record["meta"].pop("agreement")
        files[path.name] = records
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    del manifest["store_snapshot"]
    for stage in manifest["stages"]:  # their hashes and sizes cover the agreement too
        for described in stage["files"].values():
            del described["sha256"], described["bytes"]
    files["manifest.json"] = manifest
    return files


def _without_copies(path: Path) -> Path:
    """The sample as one annotator left it: its double-annotated paragraphs' assignments and
    private copies taken out, only the shared layers kept (as people's work, not adjudicated)."""
    lines = []
    for line in SAMPLE.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record.get("type") == "paragraph":
            record.pop("assignments", None)
            record["annotations"] = [
                {**a, "origin": "human"} if a.get("origin") == "adjudicated" else a
                for a in record["annotations"]
                if "@" not in a["layer"]
            ]
            record["status"] = {k: v for k, v in record.get("status", {}).items() if "@" not in k}
        lines.append(json.dumps(record, ensure_ascii=False) + "\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_assign_agreement_and_the_jsonl_round_trip_from_the_command_line(tmp_path: Path) -> None:
    shared = _without_copies(tmp_path / "shared.jsonl")
    assert _cli(tmp_path, "import", str(shared)).returncode == 0
    before = _cli(tmp_path, "export", "sft", "-o", "before")
    assert before.returncode == 0, before.stderr

    asked = _cli(tmp_path, "assign", "--annotators", "anna,boris", "--share", "0.3")
    assert asked.returncode == 2
    assert "already have work" in asked.stderr and "--copy-shared" in asked.stderr
    nothing = _cli(tmp_path, "agreement")
    assert nothing.returncode == 2 and "layerkit assign" in nothing.stderr

    args = ["assign", "--annotators", "anna,boris", "--layers", "lexical,semantic"]
    done = _cli(tmp_path, *args, "--share", "0.3", "--seed", "1", "--copy-shared", "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["assignments"] == 4 * summary["paragraphs"] > 0
    assert summary["annotations_copied"] > 100
    # no copy is done yet: a per-layer message, not a zero
    waiting = _cli(tmp_path, "agreement", "--json")
    assert waiting.returncode == 0, waiting.stderr
    assert all(
        r["items"] == 0 and r["metrics"] == {}
        for r in json.loads(waiting.stdout)["layers"].values()
    )

    project = Project.load(str(tmp_path / "layerkit.db"))
    with project.open_store() as store:
        pids = sorted({r.paragraph_id for r in store.assignments()})
        assert len(pids) == summary["paragraphs"]
        changed = 0
        for pid in pids:
            for who in ("anna", "boris"):
                if who == "boris":  # one frame span less in each paragraph
                    spans = [a for a in store.seen_by(pid, who).annotations if a.field == "frame"]
                    assert spans[0].id is not None
                    store.delete_annotation(spans[0].id, annotator="boris")
                    changed += 1
                for layer in ("lexical", "semantic"):
                    store.set_status(pid, layer, "done", annotator=who)
        frames = sum(
            1 for pid in pids for a in store.seen_by(pid, "anna").annotations if a.field == "frame"
        )
    measured = _cli(tmp_path, "agreement", "--json")
    assert measured.returncode == 0, measured.stderr
    layers = json.loads(measured.stdout)["layers"]
    assert layers["lexical"]["items"] == len(pids)
    assert layers["lexical"]["metrics"]["morph.all_agree"] == 1.0
    assert layers["semantic"]["annotators"] == ["anna", "boris"]
    # boris has every frame span of anna but one per paragraph: F1 = 2(f-c)/(2f-c)
    expected = 2 * (frames - changed) / (2 * frames - changed)
    assert layers["semantic"]["metrics"]["frame.f1_exact"] == pytest.approx(expected)

    # the gold the curriculum reads did not move
    after = _cli(tmp_path, "export", "sft", "-o", "after")
    assert after.returncode == 0, after.stderr
    assert _export_files(tmp_path / "after") == _export_files(tmp_path / "before")

    # the copies, their statuses and the assignments survive the JSONL round trip
    assert _cli(tmp_path, "export", "jsonl", "-o", "all.jsonl").returncode == 0
    other = tmp_path / "other"
    other.mkdir()
    restored = _cli(other, "import", str(tmp_path / "all.jsonl"))
    assert restored.returncode == 0, restored.stderr
    again = _cli(other, "agreement", "--json")
    assert json.loads(again.stdout) == json.loads(measured.stdout)


def test_seen_by_gives_the_domain_model_with_version_and_confidence(store: Store) -> None:
    """The annotator (and adjudication) read the same plain ``layerkit.model.Annotation`` as
    plugins and curricula, with what editing needs: the version an edit names, and a
    suggestion's confidence; a private copy shows under its layer's own name."""
    from layerkit.model import Annotation

    pid = _paragraph(store)
    suggestion = store.create_annotation(
        paragraph_id=pid, layer="semantic", kind="span", field="frame", label="AGENT",
        start=0, end=4, annotator="model", origin="model:x@1", confidence=0.25,
    )  # fmt: skip
    assert suggestion.id is not None
    first = store.seen_by(pid, "anna").annotations
    assert [(a.version, a.confidence, a.origin) for a in first] == [(1, 0.25, "model:x@1")]
    store.update_annotation(
        suggestion.id, annotator="anna", expected_version=suggestion.version, origin="human"
    )
    store.assign([pid], ["logical"], ["anna"], by="lead", copy_shared=False)
    store.create_annotation(
        paragraph_id=pid, layer="logical", kind="span", field="claim", label="CLAIM",
        start=0, end=14, annotator="anna",
    )  # fmt: skip
    seen = store.seen_by(pid, "anna").annotations
    assert all(type(a) is Annotation for a in seen)
    (agent,) = (a for a in seen if a.label == "AGENT")
    # accepted, it is a person's: no confidence (docs/formats.md), the model's in the event log
    assert (agent.version, agent.confidence, agent.origin) == (2, None, "human")
    (claim,) = (a for a in seen if a.label == "CLAIM")
    assert (claim.layer, claim.version, claim.confidence, claim.attrs) == ("logical", 1, None, {})


def test_assign_reads_names_and_layers_as_people_mean_them(tmp_path: Path) -> None:
    """«Андрей» with a precomposed «й» and with «и» + a combining breve (NFD) were assigned as
    two annotators, and «Мария  Ивановна» kept its double space; ``--layers ,`` assigned every
    layer, ``--layers semantic,semantic`` said "semantic, semantic"."""
    assert _cli(tmp_path, "import", str(_without_copies(tmp_path / "shared.jsonl"))).returncode == 0
    composed, decomposed = "Андрей", unicodedata.normalize("NFD", "Андрей")
    assert composed != decomposed
    same = _cli(tmp_path, "assign", "--annotators", f"{composed},{decomposed}", "--no-copy-shared")
    assert same.returncode == 2 and "two or more annotators" in same.stderr
    nothing = _cli(tmp_path, "assign", "--annotators", "anna,boris", "--layers", ",")
    assert nothing.returncode == 2 and "names no layer" in nothing.stderr
    args = ["assign", "--layers", "semantic,semantic", "--no-copy-shared", "--share", "1"]
    done = _cli(tmp_path, *args, "--annotators", f"Мария  Ивановна,{decomposed}", "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["layers"] == ["semantic"]
    assert summary["annotators"] == ["Мария Ивановна", composed]


def test_a_change_to_a_done_layer_reopens_it(store: Store) -> None:
    """A done private copy could be emptied and stay done, and was compared and adjudicated as
    a finished copy: a change to a done layer (a copy or a shared one) makes it in progress,
    and its undo makes it done again."""
    pid = _paragraph(store)
    store.assign([pid], ["semantic"], ["anna", "boris"], by="lead", copy_shared=False)
    span = semantic_span(store, pid, "AGENT", "anna")
    assert span.id is not None
    store.set_status(pid, "semantic", "done", annotator="anna")
    assert store.statuses(pid)["semantic@anna"].state == "done"
    store.delete_annotation(span.id, annotator="anna")
    assert store.statuses(pid)["semantic@anna"].state == "in_progress"
    store.undo("anna")
    assert store.statuses(pid)["semantic@anna"].state == "done"
    store.set_status(pid, "lexical", "done", annotator="vera")
    store.create_annotation(
        paragraph_id=pid, layer="lexical", kind="token", field="morph", label="NOUN",
        start=0, end=4, annotator="vera", attrs={"lemma": "мама"},
    )  # fmt: skip
    assert store.statuses(pid)["lexical"].state == "in_progress"


def test_accepting_a_suggestion_leaves_the_layers_built_on_it_as_they_are(store: Store) -> None:
    """``A`` on the lexical layer (the model's analyses made a person's, unchanged) made the
    adjudicated semantic gold stale: nothing it was built on had changed."""
    pid = _paragraph(store)
    model = store.create_annotation(
        paragraph_id=pid, layer="lexical", kind="token", field="morph", label="NOUN",
        start=0, end=4, annotator="model:m@1", origin="model:m@1", confidence=0.5,
        attrs={"lemma": "мама"},
    )  # fmt: skip
    assert model.id is not None
    semantic_span(store, pid, "AGENT", "vera")
    store.set_status(pid, "semantic", "done", annotator="vera")
    accepted = store.update_annotation(
        model.id, annotator="anna", expected_version=model.version, origin="human"
    )
    statuses = store.statuses(pid)
    assert (statuses["lexical"].state, statuses["semantic"].state) == ("in_progress", "done")
    store.update_annotation(
        model.id, annotator="anna", expected_version=accepted.version, label="PROPN"
    )
    assert store.statuses(pid)["semantic"].state == "stale"  # a change is still a change
