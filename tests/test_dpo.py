"""Preference pairs: example against counterexample, corrected suggestion against the suggestion."""

from __future__ import annotations

import json
from pathlib import Path

from test_curriculum import SAMPLE, export, load, paragraph_record, records

from layerkit.curriculum import parse_answer
from layerkit.project import Project

MODEL = "model:ru-morph@1.0"


def test_examples_and_counterexamples_make_pairs_in_trl_format(tmp_path: Path) -> None:
    project = load(tmp_path, SAMPLE / "annotated.jsonl")
    manifest, _ = export(project, tmp_path / "dpo", "dpo")
    assert manifest["kind"] == "dpo" and "TRL" in manifest["record_format"]
    pairs = [
        r
        for stage, _, r in records(tmp_path / "dpo", manifest)
        if stage == "03-logical" and r["meta"]["pair"] == "example_vs_counterexample"
    ]
    assert pairs
    texts = {}
    with project.open_store() as store:
        for paragraph in store.iter_paragraphs():
            assert paragraph.id is not None
            for ann in store.annotations(paragraph.id, "logical"):
                if ann.kind == "text":
                    texts[ann.id] = (ann.label, ann.value)
    for record in pairs:
        assert set(record) == {"prompt", "chosen", "rejected", "meta"}
        assert [m["role"] for m in record["prompt"]] == ["system", "user"]
        assert (
            [m["role"] for m in record["chosen"]]
            == ["assistant"]
            == [m["role"] for m in record["rejected"]]
        )
        meta = record["meta"]
        assert meta["pair"] == "example_vs_counterexample"
        chosen_label, chosen = texts[meta["chosen_id"]]
        rejected_label, rejected = texts[meta["rejected_id"]]
        assert record["chosen"][0]["content"] == chosen.strip()
        assert record["rejected"][0]["content"] == rejected.strip()
        assert chosen_label == meta["unfolding"] != rejected_label
        wanted = "пример, который подтверждает" if chosen_label == "EXAMPLE" else "контрпример"
        assert wanted in record["prompt"][1]["content"]
        assert f"«{meta['claim']}»" in record["prompt"][1]["content"]
    kinds = {r["meta"]["unfolding"] for r in pairs}
    assert kinds == {"EXAMPLE", "COUNTEREXAMPLE"}


def _corrected_store(tmp_path: Path) -> tuple[Project, int, int]:
    """One paragraph whose lexical layer came from a model; a person fixed one token."""
    record = paragraph_record("d0", 0, "Мама мыла раму.")
    for ann in record["annotations"]:
        if ann["layer"] == "lexical":
            ann["annotator"] = ann["origin"] = MODEL
    lines = [{"type": "document", "key": "d0", "name": "doc"}, record]
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines), "utf-8")
    project = load(tmp_path, path)
    with project.open_store() as store:
        paragraph = next(store.iter_paragraphs())
        assert paragraph.id is not None
        verb = store.annotations(paragraph.id, "lexical")[1]
        assert verb.id is not None and verb.origin == MODEL
        store.update_annotation(
            verb.id, annotator="anna", label="VERB", attrs={"lemma": "мыть", "feats": "Tense=Past"}
        )
        for layer in project.schemas.order:
            store.set_status(paragraph.id, layer, "done", annotator="anna")
    return project, paragraph.id, verb.id


def test_a_corrected_model_suggestion_becomes_a_pair(tmp_path: Path) -> None:
    project, paragraph_id, _ = _corrected_store(tmp_path)
    manifest, _ = export(project, tmp_path / "dpo", "dpo")
    lexical = [r for stage, _, r in records(tmp_path / "dpo", manifest) if stage == "01-lexical"]
    assert len(lexical) == 1
    record = lexical[0]
    assert record["meta"]["pair"] == "correction" and record["meta"]["corrected"] == 1
    assert record["meta"]["models"] == [MODEL] and record["meta"]["paragraph_id"] == paragraph_id
    chosen = parse_answer("token_table", record["chosen"][0]["content"])
    rejected = parse_answer("token_table", record["rejected"][0]["content"])
    assert chosen[1] == {"word": "мыла", "lemma": "мыть", "upos": "VERB", "feats": "Tense=Past"}
    assert rejected[1] == {"word": "мыла", "lemma": "мыла", "upos": "NOUN", "feats": "Case=Nom"}
    assert chosen[0] == rejected[0] and chosen[2] == rejected[2]
    assert "лемму, часть речи" in record["prompt"][1]["content"]


def test_an_undone_correction_makes_no_pair(tmp_path: Path) -> None:
    project, paragraph_id, verb_id = _corrected_store(tmp_path)
    with project.open_store() as store:
        for _ in range(len(project.schemas.order)):
            store.undo("anna")  # the status changes
        store.undo("anna")  # the correction itself
        assert store.annotation(verb_id).origin == MODEL
        for layer in project.schemas.order:
            store.set_status(paragraph_id, layer, "done", annotator="anna")
    manifest, _ = export(project, tmp_path / "dpo", "dpo")
    assert [s["records"] for s in manifest["stages"] if s["layer"] == "lexical"] == [0]


def test_a_corrected_or_rejected_suggestion_of_a_higher_layer_becomes_a_pair(
    tmp_path: Path,
) -> None:
    """Issue 17: a run's semantic suggestions, one relabelled and one deleted by a person:
    the pair's chosen answer is the layer as the person left it, the rejected one the
    model's, under the same layered prompt."""
    run = "model:run@abc123"
    record = paragraph_record("d0", 0, "Мама мыла раму.")
    # no semantic gold: the layer is the model's to suggest
    record["annotations"] = [a for a in record["annotations"] if a["layer"] != "semantic"]
    lines = [{"type": "document", "key": "d0", "name": "doc"}, record]
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines), "utf-8")
    project = load(tmp_path, path)
    with project.open_store() as store:
        pid = next(store.iter_paragraphs()).id
        assert pid is not None
        suggested = [
            {"layer": "semantic", "kind": "span", "field": "frame", "label": label, "start": s,
             "end": e, "local_id": i, "annotator": run, "origin": run}
            for i, (label, s, e) in enumerate(
                [("PREDICATE", 5, 9), ("PATIENT", 0, 4), ("THEME", 10, 14)], start=1
            )
        ]  # fmt: skip
        with store.bulk(annotator=run, action="preannotate") as writer:
            assert writer.replace_model_annotations(pid, "semantic", suggested)
        by_label = {a.label: a for a in store.annotations(pid, "semantic")}
        store.update_annotation(by_label["PATIENT"].id, annotator="anna", label="AGENT")  # type: ignore[arg-type]
        store.delete_annotation(by_label["THEME"].id, annotator="anna")  # type: ignore[arg-type]
        # accepted as it was (the annotator's accept key): made hers, not corrected (counted
        # as a correction in meta.corrected before)
        store.update_annotation(by_label["PREDICATE"].id, annotator="anna", origin="human")  # type: ignore[arg-type]
        for layer in project.schemas.order:
            store.set_status(pid, layer, "done", annotator="anna")
    manifest, _ = export(project, tmp_path / "dpo", "dpo")
    semantic = [
        r for stage, _, r in records(tmp_path / "dpo", manifest)
        if stage == "02-semantic" and r["meta"].get("pair") == "correction"
    ]  # fmt: skip
    assert len(semantic) == 1
    meta = semantic[0]["meta"]
    assert (meta["corrected"], meta["deleted_suggestions"], meta["models"]) == (1, 1, [run])
    chosen = semantic[0]["chosen"][0]["content"]
    rejected = semantic[0]["rejected"][0]["content"]
    assert "AGENT" in chosen and "PATIENT" not in chosen and "раму" not in chosen
    assert "PATIENT" in rejected and "THEME" in rejected
