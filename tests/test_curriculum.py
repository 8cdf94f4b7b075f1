"""The SFT curriculum end to end: real stores, real plugins, files read back as a trainer would."""

from __future__ import annotations

import errno
import hashlib
import itertools
import json
import math
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layerkit.curriculum import parse_answer, prompts, reader
from layerkit.curriculum.budget import BYTES_PER_TOKEN, TOKENS_PER_MESSAGE, shorter
from layerkit.curriculum.build import Builder, record_parts, resolve
from layerkit.curriculum.output import LengthCounts, chat_line, dump_line, join_texts, text
from layerkit.curriculum.prompts import context_heading
from layerkit.curriculum.splits import SPLITS, plan_splits
from layerkit.errors import LayerkitError, UsageError
from layerkit.ingest import import_paths
from layerkit.project import Project
from layerkit.store import Store

BUILTIN = ("lexical", "semantic", "logical", "epistemic", "pragmatic")
SAMPLE = REPO / "sample_corpus"


# --- helpers shared with the other curriculum tests ------------------------------------------


def paragraph_record(
    doc: str, index: int, text: str, states: dict[str, str] | None = None, who: str = "anna"
) -> dict[str, Any]:
    """A layerkit JSONL paragraph annotated on all five layers (one sentence, ≥ 2 words)."""
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    assert len(words) >= 2
    anns: list[dict[str, Any]] = []

    def add(**kw: Any) -> int:
        kw.setdefault("annotator", who)
        anns.append({"id": len(anns) + 1, **kw})
        return len(anns)

    for s, e in words:
        add(
            layer="lexical",
            kind="token",
            field="morph",
            start=s,
            end=e,
            label="NOUN",
            attrs={"lemma": text[s:e].lower(), "feats": "Case=Nom"},
        )
    agent = add(layer="semantic", kind="span", field="frame", start=words[0][0], end=words[0][1], label="AGENT")  # fmt: skip
    pred = add(layer="semantic", kind="span", field="frame", start=words[-1][0], end=words[-1][1], label="PREDICATE")  # fmt: skip
    add(layer="semantic", kind="relation", field="role", label="AGENT", source=agent, target=pred)
    claim = add(layer="logical", kind="span", field="unit", start=0, end=len(text), label="CLAIM")
    premise = add(layer="logical", kind="span", field="unit", start=words[0][0], end=words[0][1], label="PREMISE")  # fmt: skip
    add(layer="logical", kind="relation", field="discourse", label="SUPPORT", source=premise, target=claim, attrs={"connective": "потому что"})  # fmt: skip
    add(layer="logical", kind="text", field="unfolding", label="EXAMPLE", source=claim, value=f"Пример: {text}")  # fmt: skip
    add(layer="logical", kind="text", field="unfolding", label="COUNTEREXAMPLE", source=claim, value=f"Контрпример: {text}")  # fmt: skip
    add(layer="epistemic", kind="span", field="factuality", start=0, end=len(text), label="FACT", attrs={"evidential": "DIRECT"})  # fmt: skip
    add(layer="pragmatic", kind="label", field="speech_act", start=0, end=len(text), label="ASSERT")
    add(layer="pragmatic", kind="label", field="intent", label="INFORM")
    add(layer="pragmatic", kind="label", field="tone", label="NEUTRAL")
    add(layer="pragmatic", kind="label", field="register", label="NEWS")
    add(layer="pragmatic", kind="text", field="implicature", value="Автор что-то подразумевает.")
    states = states or {}
    return {
        "type": "paragraph",
        "document": doc,
        "index": index,
        "text": text,
        "sentences": [[0, len(text)]],
        "tokens": [list(w) for w in words],
        "annotations": anns,
        "status": {
            layer: {"state": states.get(layer, "done"), "annotator": who} for layer in BUILTIN
        },
    }


def write_corpus(path: Path, documents: Sequence[Sequence[str]], **kw: Any) -> Path:
    """A JSONL file with one document per list of paragraph texts, all layers done."""
    lines = [{"type": "header", "format": "layerkit-jsonl", "version": 1}]
    for d, texts in enumerate(documents):
        lines.append({"type": "document", "key": f"d{d}", "name": f"doc-{d}", "meta": {}})
        lines.extend(paragraph_record(f"d{d}", i, t, **kw) for i, t in enumerate(texts))
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines), "utf-8")
    return path


def load(tmp_path: Path, *sources: Path, plugins: Sequence[Path] = ()) -> Project:
    project = Project.load(str(tmp_path / "lk.db"), plugins)
    with project.open_store(create=True) as store:
        import_paths(project, store, list(sources))
    return project


def export(
    project: Project, out: Path, kind: str = "sft", **options: Any
) -> tuple[dict[str, Any], Any]:
    """Export through the registered exporter, as the CLI does; returns (manifest, report)."""
    with project.open_store() as store:
        report = project.export(kind, store, out, options)
    return json.loads((out / "manifest.json").read_text(encoding="utf-8")), report


def records(out: Path, manifest: dict[str, Any]) -> Iterable[tuple[str, str, dict[str, Any]]]:
    """(stage, split, record) for every line, found through the manifest alone."""
    for stage in manifest["stages"]:
        for split, info in stage["files"].items():
            for line in (out / info["path"]).read_text(encoding="utf-8").splitlines():
                yield stage["name"], split, json.loads(line)


def tree(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, Path, dict[str, Any]]:
    """The sample corpus (annotated file and one plain text) exported once with defaults."""
    tmp = tmp_path_factory.mktemp("sample")
    project = load(tmp, SAMPLE / "annotated.jsonl", SAMPLE / "news.txt")
    manifest, _ = export(project, tmp / "cur")
    return project, tmp / "cur", manifest


# --- the sample corpus -----------------------------------------------------------------------


def test_sample_corpus_gives_all_five_stages(sample: tuple[Project, Path, dict]) -> None:
    _, out, manifest = sample
    assert manifest["stage_order"] == [f"{i:02d}-{layer}" for i, layer in enumerate(BUILTIN, 1)]
    for stage in manifest["stages"]:
        assert stage["records"] > 0, stage["name"]
        assert stage["files"]["train"]["records"] > 0
        for split in SPLITS:
            assert (out / f"{stage['name']}.{split}.jsonl").is_file()
    tasks = {t["name"] for s in manifest["stages"] for t in s["tasks"] if t["records"]}
    assert {
        "lexical.morphology",
        "semantic.frames",
        "logical.structure",
        "logical.example",
        "logical.counterexample",
        "logical.analogy",
        "logical.application",
        "epistemic.factuality",
        "pragmatic.analysis",
    } <= tasks


def test_manifest_describes_every_file(sample: tuple[Project, Path, dict]) -> None:
    _, out, manifest = sample
    listed = {"manifest.json", "README.md"}
    for stage in manifest["stages"]:
        for info in stage["files"].values():
            data = (out / info["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == info["sha256"]
            assert data.count(b"\n") == info["records"]
            listed.add(info["path"])
        assert stage["records"] == sum(t["records"] for t in stage["tasks"])
    assert {p.name for p in out.iterdir()} == listed
    assert manifest["layerkit_version"] and manifest["schemas"]["lexical"] == "1.0.0"
    assert len(manifest["store_snapshot"]["sha256"]) == 64
    assert "whitespace" in manifest["token_length_method"]
    logical = manifest["stages"][2]
    tasks = {t["name"]: t["records"] for t in logical["tasks"]}
    assert logical["labels"]["unfolding:EXAMPLE"] == tasks["logical.example"]
    assert logical["labels"]["unfolding:ANALOGY"] == tasks["logical.analogy"]
    lengths = manifest["stages"][0]["token_lengths"]["train"]
    assert lengths["words"]["answer"]["max"] >= lengths["words"]["answer"]["p50"] > 0


def test_every_record_is_a_chat_and_its_answer_parses(sample: tuple[Project, Path, dict]) -> None:
    _, out, manifest = sample
    seen = 0
    for stage, split, record in records(out, manifest):
        roles = [m["role"] for m in record["messages"]]
        assert roles == ["system", "user", "assistant"]
        meta = record["meta"]
        assert meta["stage"] == stage and meta["split"] == split
        assert meta["annotators"] and meta["state"] == "done"
        parsed = parse_answer(meta["answer_format"], record["messages"][-1]["content"])
        assert parsed or parsed == []
        seen += 1
    assert seen == sum(s["records"] for s in manifest["stages"])


def test_each_stage_file_has_one_schema(sample: tuple[Project, Path, dict]) -> None:
    """What ``datasets`` needs to read a file: the same keys, nested, on every line."""

    def shape(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: shape(v) for k, v in value.items()}
        if isinstance(value, list):
            return "list"
        return "value"

    _, out, manifest = sample
    for stage in manifest["stages"]:
        for info in stage["files"].values():
            lines = (out / info["path"]).read_text(encoding="utf-8").splitlines()
            shapes = {json.dumps(shape(json.loads(line)), sort_keys=True) for line in lines}
            assert len(shapes) <= 1, info["path"]


@pytest.fixture(scope="module")
def sample_full(
    sample: tuple[Project, Path, dict[str, Any]],
) -> tuple[Project, Path, dict[str, Any]]:
    """The same corpus exported with every lower layer in full and no token budget."""
    project, out, _ = sample
    manifest, _ = export(project, out.parent / "full", context="full", max_tokens=0)
    return project, out.parent / "full", manifest


def test_context_of_stage_k_is_exactly_the_layers_below(
    sample_full: tuple[Project, Path, dict],
) -> None:
    _, out, manifest = sample_full
    assert (manifest["context"], manifest["max_tokens"]) == ("full", None)
    gold: dict[tuple[int, str], str] = {}
    context_tasks = {t["name"] for s in manifest["stages"] for t in s["tasks"] if t["context"]}
    all_records = list(records(out, manifest))
    for _, _, record in all_records:
        if record["meta"]["task"] in context_tasks:
            gold[record["meta"]["paragraph_id"], record["meta"]["layer"]] = record["messages"][-1][
                "content"
            ]
    for _, _, record in all_records:
        meta = record["meta"]
        prompt = record["messages"][1]["content"]
        below = BUILTIN[: BUILTIN.index(meta["layer"])]
        assert meta["context_layers"] == list(below)
        assert meta["context_forms"] == ["full"] * len(below)
        for layer in BUILTIN:
            heading = context_heading(layer, "ru")
            assert (heading in prompt) == (layer in below), (meta["stage"], layer)
            if layer in below:
                # The context block is the gold answer of that layer's own record, verbatim.
                assert f"{heading}\n{gold[meta['paragraph_id'], layer]}\n\n" in prompt
        assert prompt.startswith("Абзац:\n")


def test_dataset_card_declares_every_stage(sample: tuple[Project, Path, dict]) -> None:
    _, out, manifest = sample
    card = (out / "README.md").read_text(encoding="utf-8")
    front = card.split("---\n")[1]
    for stage in manifest["stages"]:
        assert f'- config_name: "{stage["name"]}"' in front
        for split, info in stage["files"].items():
            if info["records"]:
                assert f'  - split: {split}\n    path: "{info["path"]}"' in front
    assert "license: unknown" in front
    for name in manifest["annotators"]:
        assert name in card
    assert "morph:NOUN" in card and "unfolding:EXAMPLE" in card


# --- determinism, splits, leaks --------------------------------------------------------------


def test_same_store_and_seed_give_byte_identical_files(tmp_path: Path) -> None:
    docs = [[f"Документ {d} абзац {i} говорит важное." for i in range(3)] for d in range(8)]
    project = load(tmp_path, write_corpus(tmp_path / "c.jsonl", docs))
    export(project, tmp_path / "a", seed=7)
    export(project, tmp_path / "b", seed=7)
    assert tree(tmp_path / "a") == tree(tmp_path / "b")
    other, _ = export(project, tmp_path / "c", seed=8)
    first = json.loads((tmp_path / "a" / "manifest.json").read_text(encoding="utf-8"))
    assert first["seed"] == 7 and other["seed"] == 8
    assert tree(tmp_path / "a") != tree(tmp_path / "c")


def test_splits_follow_documents_and_shares(tmp_path: Path) -> None:
    docs = [[f"Текст {d}.{i} про разное." for i in range(2)] for d in range(20)]
    project = load(tmp_path, write_corpus(tmp_path / "c.jsonl", docs))
    manifest, _ = export(project, tmp_path / "out", split="0.5,0.25,0.25", seed=3)
    assert manifest["documents"] == {"train": 10, "validation": 5, "test": 5}
    split_of: dict[int, str] = {}
    for _, split, record in records(tmp_path / "out", manifest):
        assert split_of.setdefault(record["meta"]["document_id"], split) == split


def test_duplicate_paragraphs_keep_their_documents_together(tmp_path: Path) -> None:
    shared = "Этот абзац повторяется в двух документах."
    docs = [[f"Свой абзац {d} только здесь.", shared if d in (0, 5) else f"Другой {d} абзац."]
            for d in range(10)]  # fmt: skip
    project = load(tmp_path, write_corpus(tmp_path / "c.jsonl", docs))
    for seed in range(6):
        manifest, report = export(project, tmp_path / f"out{seed}", seed=seed)
        splits = {
            split
            for _, split, record in records(tmp_path / f"out{seed}", manifest)
            if record["meta"]["document"] in ("doc-0", "doc-5")
        }
        assert len(splits) == 1
        assert manifest["leak_check"]["documents_joined_by_duplicates"] == 2
        assert manifest["leak_check"]["duplicate_texts_written"] == 2
        assert any("no paragraph text is in two splits" in n for n in report.notes)


@settings(max_examples=200, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 30), min_size=1, max_size=40),
    links=st.lists(st.tuples(st.integers(0, 39), st.integers(0, 39)), max_size=15),
    shares=st.sampled_from([(0.8, 0.1, 0.1), (0.5, 0.5, 0.0), (1.0, 0.0, 0.0), (0.34, 0.33, 0.33)]),
    seed=st.integers(0, 2**31),
)
def test_split_plan_never_separates_linked_documents(
    sizes: list[int], links: list[tuple[int, int]], shares: tuple, seed: int
) -> None:
    weights = dict(enumerate(sizes))
    keys = {d: hashlib.sha256(str(d).encode()).hexdigest() for d in weights}
    pairs = [(a, b, f"t{a}-{b}") for a, b in links if a in weights and b in weights]
    plan = plan_splits(weights, keys, pairs, shares, seed)
    assert set(plan.by_document) == set(weights)
    for a, b, _ in pairs:
        assert plan.split_of(a) == plan.split_of(b)
    used = set(plan.by_document.values())
    assert "train" in used
    assert all(shares[SPLITS.index(s)] > 0 for s in used)
    nonzero = [s for s, share in zip(SPLITS, shares, strict=True) if share > 0]
    if plan.groups >= len(nonzero):
        assert used == set(nonzero)
    again = plan_splits(weights, keys, reversed(pairs), shares, seed)
    assert again.by_document == plan.by_document


_TEXTS = [f"Абзац номер {i} о погоде." for i in range(12)]


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    docs=st.lists(
        st.lists(st.sampled_from(_TEXTS), min_size=1, max_size=4), min_size=2, max_size=9
    ),
    seed=st.integers(0, 1000),
)
def test_no_paragraph_text_in_two_splits(
    tmp_path_factory: pytest.TempPathFactory, docs: list[list[str]], seed: int
) -> None:
    """Random documents drawn from a small pool of texts, so many are duplicates across (and
    within) documents: every text must land in one split only, read back from the files."""
    tmp = tmp_path_factory.mktemp("leak")
    docs = [
        [*list(dict.fromkeys(d)), f"Уникальный абзац {n} документа."] for n, d in enumerate(docs)
    ]
    project = load(tmp, write_corpus(tmp / "c.jsonl", docs))
    manifest, _ = export(project, tmp / "out", seed=seed, split="0.4,0.3,0.3")
    where: dict[str, set[str]] = {}
    for _, split, record in records(tmp / "out", manifest):
        text = record["messages"][1]["content"].split("\n\n", 1)[0].removeprefix("Абзац:\n")
        where.setdefault(text, set()).add(split)
    assert where and all(len(s) == 1 for s in where.values()), where


# --- what is exported and what is skipped ----------------------------------------------------


def test_only_done_layers_are_exported_and_skips_are_reported(tmp_path: Path) -> None:
    docs = [["Первый абзац готов полностью.", "Второй абзац частично готов."]]
    path = tmp_path / "c.jsonl"
    write_corpus(path, docs)
    lines = path.read_text(encoding="utf-8").splitlines()
    second = json.loads(lines[-1])
    second["status"]["logical"]["state"] = "in_progress"
    second["status"]["epistemic"]["state"] = "stale"
    lines[-1] = json.dumps(second, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    project = load(tmp_path, path)
    manifest, report = export(project, tmp_path / "out")
    by_stage = {s["name"]: s for s in manifest["stages"]}
    assert by_stage["01-lexical"]["paragraphs"] == 2
    assert by_stage["03-logical"]["paragraphs"] == 1
    assert by_stage["03-logical"]["skipped"] == {"layer in_progress": 1}
    # The epistemic layer is stale; pragmatic is done but its logical context is not.
    assert by_stage["04-epistemic"]["skipped"] == {"layer stale": 1}
    assert by_stage["05-pragmatic"]["skipped"] == {"logical layer not done": 1}
    notes = "\n".join(report.notes)
    assert "03-logical: skipped paragraphs: 1 with layer in_progress" in notes
    assert "05-pragmatic: skipped paragraphs: 1 with logical layer not done" in notes

    more, _ = export(project, tmp_path / "more", include_in_progress=True)
    by_stage = {s["name"]: s for s in more["stages"]}
    assert by_stage["03-logical"]["paragraphs"] == 2
    assert by_stage["04-epistemic"]["paragraphs"] == 1  # stale is never exported
    assert more["states_exported"] == ["done", "in_progress"]


def test_a_lower_layer_edit_takes_the_paragraph_out_of_higher_stages(tmp_path: Path) -> None:
    project = load(tmp_path, write_corpus(tmp_path / "c.jsonl", [["Кошка спит на окне.", "Собака лает во дворе."]]))  # fmt: skip
    with project.open_store() as store:
        first = next(store.iter_paragraphs())
        assert first.id is not None
        token = store.annotations(first.id, "semantic")[0]
        assert token.id is not None
        store.update_annotation(token.id, annotator="boris", label="THEME")
        states = {layer: s.state for layer, s in store.statuses(first.id).items()}
    assert states["logical"] == "stale"
    manifest, _ = export(project, tmp_path / "out")
    ids = {s: set() for s in manifest["stage_order"]}
    for stage, _, record in records(tmp_path / "out", manifest):
        ids[stage].add(record["meta"]["paragraph_id"])
    assert first.id in ids["01-lexical"]
    assert all(first.id not in ids[s] for s in manifest["stage_order"][2:])


def estimated_tokens(record: dict[str, Any]) -> int:
    """A record's tokens as the documented estimate counts them (budget.py)."""
    return sum(
        math.ceil(len(m["content"].encode()) / BYTES_PER_TOKEN) + TOKENS_PER_MESSAGE
        for m in record["messages"]
    )


def test_compact_context_is_the_default_and_fits_2048_tokens(
    sample: tuple[Project, Path, dict], sample_full: tuple[Project, Path, dict]
) -> None:
    """The default export shows the lower layers compactly: lexical as lemma/UPOS of content
    words, one line per predicate, unit or statement; every record fits 2048 tokens."""
    _, out, manifest = sample
    assert (manifest["context"], manifest["max_tokens"]) == ("compact", 2048)
    assert manifest["token_counter"].startswith("estimated")
    _, full_out, _ = sample_full
    full = {
        (r["meta"]["paragraph_id"], r["meta"]["task"]): r for _, _, r in records(full_out, manifest)
    }
    compact_layers: set[str] = set()
    for _, _, record in records(out, manifest):
        meta, prompt = record["meta"], record["messages"][1]["content"]
        assert estimated_tokens(record) <= 2048
        # the answer is never touched: the same as in the full export
        twin = full[meta["paragraph_id"], meta["task"]]
        assert record["messages"][-1] == twin["messages"][-1]
        assert set(meta["context_forms"]) <= {"compact"}
        if meta["context_layers"]:
            assert len(prompt) < len(twin["messages"][1]["content"])
        for layer in meta["context_layers"]:
            heading = context_heading(layer, "ru", "compact")
            assert heading in prompt
            block = prompt.split(heading + "\n", 1)[1].split("\n\n", 1)[0]
            compact_layers.add(layer)
            if layer == "lexical":
                words = block.split(" ")
                assert all(re.fullmatch(r"\S+/(NOUN|PROPN|VERB|ADJ|ADV|NUM)", w) for w in words)
            elif layer == "semantic":
                assert re.match(r"^\S[^\n]*: [A-Z]+=", block)
            elif layer == "logical":
                assert re.match(r"^1 (MAJOR_CLAIM|CLAIM|PREMISE): ", block)
            elif layer == "epistemic":
                assert re.match(r"^(FACT|PROBABLE|POSSIBLE|NON_FACT|UNCOMMITTED)", block)
        assert "Case=" not in prompt.split("Задание:")[0] or meta["layer"] == "lexical"
    assert compact_layers == {"lexical", "semantic", "logical", "epistemic"}


def test_shorter_contexts_compact_then_drop_the_farthest_layer_first() -> None:
    full = (("lexical", "full"), ("semantic", "full"), ("logical", "full"))
    assert list(shorter(full, lambda layer: layer != "semantic")) == [
        (("lexical", "compact"), ("semantic", "full"), ("logical", "full")),
        (("lexical", "compact"), ("semantic", "full"), ("logical", "compact")),
        (("semantic", "full"), ("logical", "compact")),
        (("logical", "compact"),),
        (),
    ]


def test_a_tight_budget_shortens_context_then_leaves_records_out(
    sample: tuple[Project, Path, dict],
) -> None:
    project, out, _ = sample
    manifest, report = export(project, out.parent / "tight", context="full", max_tokens=1200)
    kept = list(records(out.parent / "tight", manifest))
    assert kept
    shortened = 0
    for _, _, record in kept:
        meta = record["meta"]
        assert estimated_tokens(record) <= 1200
        below = BUILTIN[: BUILTIN.index(meta["layer"])]
        shown = list(zip(meta["context_layers"], meta["context_forms"], strict=True))
        # what is shown is a suffix of the layers below (the farthest left out first), and a
        # full layer is never shown above a compact one that was made compact for the budget
        assert meta["context_layers"] == list(below[len(below) - len(shown) :])
        if shown != [(layer, "full") for layer in below]:
            shortened += 1
    by_stage = {s["name"]: s["budget"] for s in manifest["stages"]}
    assert sum(b["shortened"] for b in by_stage.values()) == shortened > 0
    left_out = sum(b["over_budget"] for b in by_stage.values())
    assert left_out > 0  # lexical token tables of long paragraphs do not fit 1200
    assert any("left out: over the budget of 1200 tokens" in n for n in report.notes)
    untight, _ = export(project, out.parent / "untight", context="full", max_tokens=0)
    total = sum(s["records"] for s in untight["stages"])
    assert sum(s["records"] for s in manifest["stages"]) == total - left_out
    # a budget nothing fits: the notes say the budget emptied the stages (they said their
    # tasks "found nothing to ask")
    _, starved = export(project, out.parent / "starved", context="none", max_tokens=60)
    assert any("every record was over the token budget" in n for n in starved.notes)
    assert not any("found nothing to ask" in n for n in starved.notes)


def test_token_counts_from_a_local_tokenizer(
    sample: tuple[Project, Path, dict], tmp_path: Path
) -> None:
    """--tokenizer: the manifest's token figures are the tokenizer's own count of each record
    with its chat template applied (what a trainer sees), and the budget holds for them."""
    from layerkit.train.tiny import build_tokenizer

    project, out, manifest = sample
    texts = [m["content"] for _, _, r in records(out, manifest) for m in r["messages"]]
    tokenizer = build_tokenizer(texts, 600)
    tokenizer.save_pretrained(tmp_path / "tok")
    got, _ = export(project, tmp_path / "cur", max_tokens=1800, tokenizer=str(tmp_path / "tok"))
    assert got["token_counter"].startswith("tokenizer tok")
    longest = 0
    for stage in got["stages"]:
        for split, info in stage["files"].items():
            lengths = []
            for line in (tmp_path / "cur" / info["path"]).read_text("utf-8").splitlines():
                ids = tokenizer.apply_chat_template(json.loads(line)["messages"], tokenize=True)
                lengths.append(len(ids["input_ids"] if hasattr(ids, "keys") else ids))
            if lengths:
                assert stage["token_lengths"][split]["tokens"]["record"]["max"] == max(lengths)
                longest = max(longest, *lengths)
    assert 1000 < longest <= 1800


def test_stage_selection_and_english_instructions(tmp_path: Path) -> None:
    project = load(tmp_path, SAMPLE / "annotated.jsonl")
    manifest, _ = export(
        project,
        tmp_path / "out",
        stages="pragmatic,lexical",
        instructions="en",
        context="full",
        max_tokens=0,
    )
    assert manifest["stage_order"] == ["01-lexical", "05-pragmatic"]
    assert sorted(p.name for p in (tmp_path / "out").glob("*.jsonl"))[0].startswith("01-lexical")
    for _, _, record in records(tmp_path / "out", manifest):
        assert record["messages"][0]["content"].startswith("You are a linguist")
        assert record["messages"][1]["content"].startswith("Paragraph:\n")
    pragmatic = [r for s, _, r in records(tmp_path / "out", manifest) if s == "05-pragmatic"]
    assert context_heading("logical", "en") in pragmatic[0]["messages"][1]["content"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"split": "0.8,0.3,0.1"}, "add up to 1"),
        ({"split": "0,0.5,0.5"}, "nothing for training"),
        ({"stages": "lexical,grammar"}, "grammar"),
        ({"instructions": "de"}, "'de'"),
    ],
)
def test_bad_options_are_usage_errors(tmp_path: Path, options: dict, message: str) -> None:
    project = load(tmp_path, SAMPLE / "annotated.jsonl")
    with pytest.raises(UsageError, match=message):
        export(project, tmp_path / "out", **options)
    assert not (tmp_path / "out").exists()


# --- all or nothing --------------------------------------------------------------------------


def test_existing_folders_are_replaced_only_when_they_are_curricula(tmp_path: Path) -> None:
    project = load(tmp_path, SAMPLE / "annotated.jsonl")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("не трогать", encoding="utf-8")
    with pytest.raises(UsageError, match="other files"):
        export(project, mine)
    assert [p.name for p in mine.iterdir()] == ["thesis.tex"]
    out = tmp_path / "out"
    export(project, out, seed=1)
    assert (out / "05-pragmatic.train.jsonl").is_file()
    # what the earlier export wrote goes, the stages this one leaves out included
    export(project, out, seed=2, stages="lexical")
    assert not (out / "05-pragmatic.train.jsonl").exists()
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["seed"] == 2
    # a file someone put beside it stops the next export: it is named, nothing is replaced
    (out / "notes.md").write_text("мои заметки", encoding="utf-8")
    with pytest.raises(UsageError, match=r"also holds notes\.md, which the export did not write"):
        export(project, out, seed=3)
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["seed"] == 2
    assert (out / "notes.md").read_text(encoding="utf-8") == "мои заметки"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_failing_hook_leaves_no_output_and_the_store_untouched(tmp_path: Path) -> None:
    plugin = tmp_path / "boom.py"
    plugin.write_text(
        "from layerkit.plugin import hookimpl\n"
        "@hookimpl\n"
        "def curriculum_record(record, stage, task):\n"
        "    if stage == '03-logical':\n"
        "        raise RuntimeError('kaboom')\n"
        "    return record\n",
        encoding="utf-8",
    )
    project = load(tmp_path, SAMPLE / "annotated.jsonl", plugins=[plugin])
    before = (tmp_path / "lk.db").read_bytes()
    with pytest.raises(LayerkitError) as info:
        export(project, tmp_path / "out")
    assert "file:boom.py" in info.value.message and "kaboom" in info.value.message
    assert "curriculum_record" in info.value.message
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert (tmp_path / "lk.db").read_bytes() == before


# --- worker processes ------------------------------------------------------------------------


def _duplicated_corpus(tmp_path: Path) -> Project:
    shared = "Этот абзац повторяется в двух документах."
    docs = [[f"Свой абзац {d} только здесь.", shared if d in (0, 5) else f"Другой {d} абзац."]
            for d in range(10)]  # fmt: skip
    return load(tmp_path, write_corpus(tmp_path / "c.jsonl", docs))


def test_worker_processes_write_the_same_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches encoded side by side by worker processes give the files, manifest and card one
    process gives, leak check and skip counts included; their lines come through part files
    that are gone once the export is done."""
    from layerkit.curriculum.output import JsonlWriter

    project = _duplicated_corpus(tmp_path)
    monkeypatch.setattr(Builder, "batch_size", 3)  # 20 paragraphs: 7 batches
    used: list[bool] = []
    parallel = Builder.parallel
    monkeypatch.setattr(Builder, "parallel", lambda self: used.append(parallel(self)) or used[-1])
    copied: list[tuple[str, int, int]] = []
    copy_part = JsonlWriter._copy_part
    monkeypatch.setattr(
        JsonlWriter,
        "_copy_part",
        lambda self, *part: copied.append(part) or copy_part(self, *part),
    )
    export(project, tmp_path / "one", jobs=1, seed=3)
    assert copied == []
    three, report = export(project, tmp_path / "three", jobs=3, seed=3)
    assert used == [False, True]
    assert tree(tmp_path / "one") == tree(tmp_path / "three")
    assert len({path for path, _, _ in copied}) == 7  # a part file a batch
    assert not any(Path(path).exists() for path, _, _ in copied)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folder
    assert three["leak_check"]["duplicate_texts_written"] == 2
    assert report.counts == export(project, tmp_path / "again", jobs=1, seed=3)[1].counts


def test_the_snapshot_is_taken_once_by_a_worker_before_any_chunk_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With workers, the manifest's store snapshot is taken once, by a worker process (not by
    the exporting one, whose scan between batches left the workers idle), starting before any
    chunk is written; with more workers than batches too."""
    from layerkit.curriculum import build as build_module
    from layerkit.store import corpus

    project = _duplicated_corpus(tmp_path)
    log = tmp_path / "events.log"  # written by whichever process takes the snapshot
    snapshot = corpus.snapshot

    def logged(store: Store) -> dict:
        with log.open("a") as handle:
            handle.write(f"snapshot {os.getpid()} {time.monotonic()}\n")
        return snapshot(store)

    monkeypatch.setattr(corpus, "snapshot", logged)
    chunks: list[float] = []
    merge = build_module.Builder._merge
    monkeypatch.setattr(
        build_module.Builder,
        "_merge",
        lambda self, batch: chunks.append(time.monotonic()) or merge(self, batch),
    )
    for batch_size, batches in ((3, 7), (8, 3)):  # 20 paragraphs
        log.write_text("")
        chunks.clear()
        monkeypatch.setattr(Builder, "batch_size", batch_size)
        manifest, _ = export(project, tmp_path / f"out{batch_size}", jobs=4, seed=3)
        taken = [line.split() for line in log.read_text().splitlines()]
        assert len(taken) == 1  # once
        (_, pid, started), *_ = taken
        assert int(pid) != os.getpid()  # by a worker
        assert len(chunks) == batches and float(started) < min(chunks)
        with project.open_store() as store:
            assert manifest["store_snapshot"] == snapshot(store)


def test_stage_files_are_handed_to_the_disk_as_they_grow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer starts the write-back of every WRITEBACK bytes (lines and chunks alike) and
    the file still holds exactly what was written, with the hash the manifest gives."""
    from layerkit.curriculum.output import Chunk, JsonlWriter

    if not hasattr(os, "posix_fadvise"):
        pytest.fail("this test needs Linux's posix_fadvise; the project's CI runs on Linux")
    handed: list[tuple[int, int]] = []
    fadvise = os.posix_fadvise
    monkeypatch.setattr(
        os,
        "posix_fadvise",
        lambda fd, offset, length, advice: (
            handed.append((offset, length)) or fadvise(fd, offset, length, advice)
        ),
    )
    monkeypatch.setattr(JsonlWriter, "WRITEBACK", 1000)
    monkeypatch.setattr(JsonlWriter, "CHUNK", 300)
    writer = JsonlWriter(tmp_path / "stage.jsonl")
    lengths = [("record", 10, 2, 3)]
    written = bytearray()
    for i in range(40):
        line = json.dumps({"i": i, "text": "абзац " * (i % 7)}, ensure_ascii=False) + "\n"
        if i % 10 == 9:
            chunk = Chunk()
            chunk.add(line.encode(), lengths)
            writer.write_chunk(chunk)
        else:
            writer.write_line(line.encode(), lengths)
        written += line.encode()
    writer.close()
    data = (tmp_path / "stage.jsonl").read_bytes()
    assert data == bytes(written)
    assert writer.describe()["sha256"] == hashlib.sha256(data).hexdigest()
    assert writer.records == 40 and writer.bytes == len(data)
    assert len(handed) >= 2
    # consecutive ranges from the start, each at least WRITEBACK long, none past the end
    assert handed[0][0] == 0
    assert all(a + n == b for (a, n), (b, _) in itertools.pairwise(handed))
    assert all(n >= 1000 for _, n in handed) and sum(n for _, n in handed) <= len(data)


@pytest.mark.parametrize("kernel_copy", ["copies", "missing", "refuses"])
def test_spilled_chunks_are_copied_from_their_part_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kernel_copy: str
) -> None:
    """A worker's chunks spilled to one part file (the second at an offset that is not on a
    page boundary) are written after the lines before them, byte for byte and hashed, whether
    the kernel copies them (copy_file_range), lacks the call, or refuses it (another file
    system): then they are written from the mapping."""
    from layerkit.curriculum.output import Chunk, JsonlWriter

    kernel_copied: list[int] = []
    if kernel_copy == "copies":
        if not hasattr(os, "copy_file_range"):
            pytest.fail("this test needs Linux's copy_file_range; the project's CI runs on Linux")
        copy = os.copy_file_range
        monkeypatch.setattr(
            os, "copy_file_range", lambda *a: kernel_copied.append(copy(*a)) or kernel_copied[-1]
        )
    elif kernel_copy == "missing":
        monkeypatch.delattr(os, "copy_file_range", raising=False)
    elif kernel_copy == "refuses":

        def refuse(*args: Any) -> int:
            raise OSError(18, "Invalid cross-device link")

        monkeypatch.setattr(os, "copy_file_range", refuse, raising=False)
    lengths = [("record", 10, 2, 3)]
    lines = [
        (
            json.dumps({"i": i, "text": "абзац ✓ " * (i * 37 % 500)}, ensure_ascii=False) + "\n"
        ).encode()
        for i in range(60)
    ]
    chunks = [Chunk(), Chunk()]
    for i, line in enumerate(lines[:50]):
        chunks[i // 25].add(line, lengths)
    part = str(tmp_path / "batch.part")
    with open(part, "wb") as handle:
        for chunk in chunks:
            chunk.spill(handle, part)
    assert chunks[1].part is not None and chunks[1].part[1] % 4096 != 0
    assert chunks[1].data == b"".join(lines[25:50])  # read back from the part file
    writer = JsonlWriter(tmp_path / "stage.jsonl")
    for line in lines[50:55]:
        writer.write_line(line, lengths)
    writer.write_chunk(chunks[0])
    writer.write_chunk(chunks[1])
    for line in lines[55:]:
        writer.write_line(line, lengths)
    writer.close()
    expected = b"".join(lines[50:55] + lines[:50] + lines[55:])
    data = (tmp_path / "stage.jsonl").read_bytes()
    assert data == expected
    assert writer.describe()["sha256"] == hashlib.sha256(expected).hexdigest()
    assert writer.records == 60 and writer.bytes == len(expected)
    assert sum(kernel_copied) == (len(b"".join(lines[:50])) if kernel_copy == "copies" else 0)


def test_a_failure_in_a_worker_stops_the_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plugin = tmp_path / "sloppy.py"
    plugin.write_text(
        "from layerkit.curriculum import Example\n"
        "from layerkit.plugin import hookimpl\n\n"
        "class Sloppy:\n"
        "    name, layer, answer_format, context, description = "
        "'semantic.sloppy', 'semantic', 'text', False, ''\n"
        "    def examples(self, view, lang):\n"
        "        if view.position == 1:\n"
        "            yield Example(instruction='?', answer='!', meta={'undeclared': 1})\n\n"
        "@hookimpl\n"
        "def register_curriculum_tasks(register):\n"
        "    register(Sloppy())\n",
        encoding="utf-8",
    )
    docs = [[f"Абзац {d}.{i} про важное." for i in range(2)] for d in range(4)]
    project = load(tmp_path, write_corpus(tmp_path / "c.jsonl", docs), plugins=[plugin])
    monkeypatch.setattr(Builder, "batch_size", 2)
    with pytest.raises(LayerkitError, match=r"semantic\.sloppy") as info:
        export(project, tmp_path / "out", jobs=2)
    assert "undeclared" in info.value.message and info.value.hint
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("where", ["worker", "writer"])
def test_a_full_disk_is_an_export_error_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """The file system refusing a write (here: no space left, in a worker's part file or in
    the stage file) is reported as an export error naming the output and the reason, not as
    the exporter plugin's bug; nothing is left behind."""
    from layerkit.curriculum.output import Chunk, JsonlWriter

    project = _duplicated_corpus(tmp_path)
    monkeypatch.setattr(Builder, "batch_size", 3)

    def full(self: Any, *args: Any) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "stage.jsonl")

    monkeypatch.setattr(
        *((Chunk, "spill") if where == "worker" else (JsonlWriter, "_copy_part")), full
    )
    with pytest.raises(LayerkitError) as info:
        export(project, tmp_path / "out", jobs=2)
    assert info.value.title == "Export failed"
    assert "No space left on device" in info.value.message and "out" in info.value.message
    assert "plugin" not in info.value.hint
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_the_leak_check_spans_the_workers_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _duplicated_corpus(tmp_path)
    monkeypatch.setattr(Builder, "batch_size", 2)
    plan_splits = Builder.plan_splits

    def broken(self: Builder) -> Any:  # a plan that puts the two copies in different splits
        plan = plan_splits(self)
        first, second = sorted(self.documents)[0], sorted(self.documents)[5]
        plan.by_document[first], plan.by_document[second] = "train", "test"
        return plan

    monkeypatch.setattr(Builder, "plan_splits", broken)
    with pytest.raises(LayerkitError, match="same text as a paragraph") as info:
        export(project, tmp_path / "out", jobs=2)
    assert info.value.title == "Split leak"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("jobs", ["0", "two", -1])
def test_jobs_must_be_a_count(tmp_path: Path, jobs: Any) -> None:
    project = _duplicated_corpus(tmp_path)
    with pytest.raises(UsageError, match="--jobs"):
        export(project, tmp_path / "out", jobs=jobs)


# --- the reader ------------------------------------------------------------------------------


def test_reader_batches_and_both_fetch_paths_agree(tmp_path: Path) -> None:
    """Small batches cross document boundaries; the SQLite fast path and the portable path read
    the same data."""
    docs = [[f"Абзац {d}.{i} для чтения." for i in range(3)] for d in range(4)]
    project = load(tmp_path, write_corpus(tmp_path / "c.jsonl", docs))

    def read(**kw: Any) -> list[Any]:
        with project.open_store() as store:
            return [
                (v.id, v.document, v.text, v.tokens, v.annotations, v.states)
                for v in reader.iter_views(
                    store, ready_layers=BUILTIN, read_layers=BUILTIN, states=("done",), **kw
                )
            ]

    default = read()
    assert len(default) == 12
    assert read(batch_size=5) == default
    assert read(raw=False, batch_size=2) == default
    with Store.open(tmp_path / "lk.db", layer_order=BUILTIN) as store:
        assert [p.id for p in store.iter_paragraphs()] == [v[0] for v in default]


# --- encoding: spliced lines, hooks ------------------------------------------------------------

# Strings with everything JSON escapes or str.split treats as a space: quotes, backslashes,
# control characters, tabs, line breaks, NBSP, U+2028 and Cyrillic.
texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",))
    | st.sampled_from(['"', "\\", "\n", "\t", "\r", "\x00", "\x1f", "\xa0", "\u2028", "ё"])
)


@given(st.lists(texts, min_size=1, max_size=4), texts, texts, texts)
def test_chat_lines_spliced_from_texts_equal_the_record_encoded(
    parts: list[str], system: str, answer: str, note: str
) -> None:
    separator = text(prompts.SEPARATOR)
    user = join_texts([text(p) for p in parts], separator)
    joined = prompts.SEPARATOR.join(parts)
    assert user == text(joined)
    assert (user.chars, user.words) == (len(joined), len(joined.split()))
    meta = {"kind": "sft", "note": note, "n": [1, None]}
    record = {
        "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": joined},
            {"role": "assistant", "content": answer},
        ],
        "meta": meta,
    }
    assert chat_line(text(system).json, user.json, text(answer).json, meta) == dump_line(record)
    # orjson writes what the json module would (the format readers compare against)
    standard = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
    assert dump_line(record) == standard.encode("utf-8")


@given(
    st.lists(
        st.lists(
            st.tuples(
                st.sampled_from(["prompt", "answer", "chosen", "record"]),
                st.integers(0, 40),
                st.integers(0, 40),
                st.integers(0, 40),
            ),
            min_size=1,
            max_size=4,
        ),
        max_size=60,
    ),
    st.integers(1, 9),
)
def test_length_counts_count_each_part_in_each_unit(
    records: list[list[tuple[str, int, int, int]]], fold: int
) -> None:
    """Counted a batch at a time (by slices when the parts line up), whatever the records'
    shapes and however the batches fall: the counts of counting one value at a time."""
    counted = LengthCounts()
    counted.FOLD = fold
    other = LengthCounts()
    naive: dict[str, dict[str, Counter[int]]] = {}
    for i, lengths in enumerate(records):
        (counted if i % 3 else other).add(lengths)
        for name, *values in lengths:
            for unit, value in zip(("chars", "words", "tokens"), values, strict=True):
                naive.setdefault(unit, {}).setdefault(name, Counter())[value] += 1
    counted.merge(other)
    assert counted.by_unit() == naive


@pytest.mark.parametrize(
    "options",
    [{}, {"instructions": "en", "stages": "semantic,pragmatic"}, {"include_in_progress": True}],
)
def test_spliced_lines_are_the_records_encoded_whole(
    sample: tuple[Project, Path, dict], options: dict[str, Any]
) -> None:
    """Without hooks, an export writes lines spliced from parts encoded once per paragraph:
    byte for byte the records encoded whole, with the lengths of their parts."""
    project, _, _ = sample
    full = {"schemas": project.schemas, "plugin_manager": project.pm, **options}
    with project.open_store() as store:
        spliced = Builder(store, resolve("sft", full))
        assert not spliced._hooked
        lines = list(spliced.lines())
        whole = list(Builder(store, resolve("sft", full)).records())
    assert len(lines) == len(whole) > 10
    for (stage, split, line, lengths), (stage_, split_, record) in zip(lines, whole, strict=True):
        assert (stage.name, split) == (stage_.name, split_)
        assert line == dump_line(record)
        parts = record_parts(record, "sft")
        measured = [(n, len(t), len(t.split())) for n, t in parts.items()]
        assert [length[:3] for length in lengths[:2]] == measured
        # tokens (estimated): prompt and answer as the estimate counts them, and their sum
        prompt_tokens = sum(
            math.ceil(len(m["content"].encode()) / BYTES_PER_TOKEN) + TOKENS_PER_MESSAGE
            for m in record["messages"][:2]
        )
        answer_tokens = (
            math.ceil(len(parts["answer"].encode()) / BYTES_PER_TOKEN) + TOKENS_PER_MESSAGE
        )
        assert [length[3] for length in lengths] == [
            prompt_tokens,
            answer_tokens,
            prompt_tokens + answer_tokens,
        ]
        assert lengths[2][:3] == (
            "record",
            len(parts["prompt"]) + len(parts["answer"]),
            sum(len(t.split()) for t in parts.values()),
        )


def test_records_a_hook_keeps_are_written_as_it_left_them(tmp_path: Path) -> None:
    corpus = SAMPLE / "annotated.jsonl"
    noop = tmp_path / "noop.py"
    noop.write_text(
        "from layerkit.plugin import hookimpl\n\n@hookimpl\n"
        "def curriculum_record(record, stage, task):\n    return record\n",
        encoding="utf-8",
    )
    louder = tmp_path / "louder.py"
    louder.write_text(
        "from layerkit.plugin import hookimpl\n\n@hookimpl\n"
        "def curriculum_record(record, stage, task):\n"
        "    if stage == '02-semantic':\n"
        "        record['messages'][1]['content'] += ' «!»'\n"
        "    return record\n",
        encoding="utf-8",
    )
    trees, manifests = [], []
    for name, plugins in (("plain", []), ("noop", [noop]), ("louder", [louder])):
        (tmp_path / name).mkdir()
        project = load(tmp_path / name, corpus, plugins=plugins)
        manifest, _ = export(project, tmp_path / name / "cur")
        trees.append(tree(tmp_path / name / "cur"))
        manifests.append(manifest)
    assert trees[1] == trees[0]  # a hook that changes nothing changes no byte
    out = tmp_path / "louder" / "cur"
    for stage, _, record in records(out, manifests[2]):
        assert record["messages"][1]["content"].endswith(" «!»") == (stage == "02-semantic")
    for before, after in zip(manifests[0]["stages"], manifests[2]["stages"], strict=True):
        for split, info in after["files"].items():
            assert hashlib.sha256((out / info["path"]).read_bytes()).hexdigest() == info["sha256"]
            if before["name"] != "02-semantic" or not info["records"]:
                assert info == before["files"][split]
                continue
            chars = after["token_lengths"][split]["chars"]["prompt"]
            assert chars["max"] == before["token_lengths"][split]["chars"]["prompt"]["max"] + 4


# --- the command line ------------------------------------------------------------------------


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "layerkit", "--db", str(tmp_path / "lk.db"), *args],
        cwd=tmp_path,
        env=dict(os.environ, COLUMNS="200"),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_export_sft(tmp_path: Path) -> None:
    assert _cli(tmp_path, "import", str(SAMPLE / "annotated.jsonl")).returncode == 0
    done = _cli(
        tmp_path, "export", "sft", "-o", "cur", "--stages", "lexical,logical", "--seed", "5",
        "--split", "0.5,0.25,0.25", "--instructions", "en",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Wrote cur: 2 stages" in done.stdout
    assert "split by document" in done.stderr
    manifest = json.loads((tmp_path / "cur" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["stage_order"] == ["01-lexical", "03-logical"]
    assert manifest["seed"] == 5 and manifest["instructions"] == "en"
    bad = _cli(tmp_path, "export", "sft", "-o", "cur2", "--split", "1,1,1")
    assert bad.returncode == 2 and "add up to 1" in bad.stderr and "Traceback" not in bad.stderr
    unknown = _cli(tmp_path, "export", "nosuch", "-o", "x")
    assert unknown.returncode == 2 and "no exporter named 'nosuch'" in unknown.stderr
    helped = _cli(tmp_path, "export", "sft", "--help")
    assert "--include-in-progress" in helped.stdout and "--stages" in helped.stdout


def test_ask_renders_a_models_lower_answers_in_the_form_the_stage_was_trained_with() -> None:
    """`layerkit ask` shows its own lower-layer answers as context: compact where the stage's
    records were compact, as they are where full, left out where they do not parse."""
    from layerkit_train.asking import _context_answer

    table = (
        "word\tlemma\tupos\tfeats\nМама\tмама\tNOUN\tCase=Nom\nмыла\tмыть\tVERB\t_\n.\t.\tPUNCT\t_"
    )
    answers = {"lexical": table, "semantic": "not json"}
    assert _context_answer("lexical", "compact", answers, "ru") == "мама/NOUN мыть/VERB"
    assert _context_answer("lexical", "full", answers, "ru") == table
    assert _context_answer("semantic", "compact", answers, "ru") is None
    assert _context_answer("logical", "compact", answers, "ru") is None


def test_compact_context_from_data_is_the_compact_of_the_parsed_answer(
    sample: tuple[Project, Path, dict],
) -> None:
    """The builder renders a built-in layer's compact context from its task's data (no parse),
    or straight from the paragraph (``compact_paragraph``); that must be what the documented
    contract gives: compact(parse_answer(answer))."""
    from layerkit.curriculum.build import compact_answer

    project, _, _ = sample
    setup = resolve("sft", {"schemas": project.schemas, "plugin_manager": project.pm})
    checked = direct_checked = 0
    with project.open_store() as store:
        for view in reader.iter_views(
            store, ready_layers=["pragmatic"], read_layers=BUILTIN, states=("done",)
        ):
            for layer in BUILTIN[:4]:
                task = setup.context_tasks[layer]
                answer = next(iter(task.examples(view, "ru"))).answer
                expected = compact_answer(task, answer, "ru")
                assert task.compact(task.data(view), "ru") == expected
                direct = getattr(task, "compact_paragraph", None)
                if direct is not None:
                    assert direct(view, "ru") == expected
                    direct_checked += 1
                checked += 1
    assert checked == 13 * 4
    assert direct_checked == 13  # the lexical layer's


def test_the_builders_prompts_are_what_prompts_user_prompt_gives(
    sample: tuple[Project, Path, dict],
) -> None:
    """`layerkit ask` (and pre-annotation) word prompts with prompts.user_prompt; the builder
    splices encoded parts. Both must give the same text for every record, context included."""
    from layerkit.curriculum.build import _Paragraph

    project, _, _ = sample
    options = {"schemas": project.schemas, "plugin_manager": project.pm, "max_tokens": 1500}
    with project.open_store() as store:
        builder = Builder(store, resolve("sft", options))
        checked = 0
        for view in builder._views():
            parts = _Paragraph(view, builder.setup.context_tasks, "ru", builder._texts)
            for stage in builder.setup.stages:
                for _, example in builder._examples(view, stage, parts):
                    fitted = builder._fit(
                        parts, stage, example.material, example.instruction, text(example.answer)
                    )
                    if fitted is None:
                        continue
                    expected = prompts.user_prompt(
                        view.text,
                        [
                            prompts.ContextPart(
                                layer,
                                (parts.compact(layer) or "")
                                if form == "compact"
                                else parts.answer(layer),
                                form,
                            )
                            for layer, form in fitted.context
                        ],
                        example.material,
                        example.instruction,
                        "ru",
                    )
                    assert fitted.user.decoded() == expected
                    checked += 1
    assert checked > 50


def test_paragraphs_left_out_over_the_budget_are_named_once() -> None:
    """Each record over the budget named its paragraph: 'paragraphs 1, 1, 1, 2, 2, 2'."""
    from layerkit.curriculum.build import StageStats

    stats, other = StageStats(), StageStats()
    for paragraph_id in (1, 1, 1, 2, 2):
        stats.left_out(paragraph_id)
    for paragraph_id in (2, 3, 3):  # (a worker's batch: its first paragraph seen before)
        other.left_out(paragraph_id)
    stats.add(other)
    assert stats.over_budget == 8
    assert stats.over_budget_paragraphs == [1, 2, 3]


def test_an_empty_compact_layer_is_said_not_left_blank(tmp_path: Path) -> None:
    """A paragraph without content words (every token X) has an empty compact lexical
    layer: its heading stood over nothing ("(кратко):\\n\\n\\n"), as if the prompt were cut."""
    from layerkit.curriculum.prompts import EMPTY_ANSWER

    source = write_corpus(tmp_path / "x.jsonl", [["Ох ах", "Эх ух"]])
    lines = source.read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines):
        record = json.loads(line)
        for ann in record.get("annotations", []):
            if ann["layer"] == "lexical":
                ann["label"] = "X"
        lines[n] = json.dumps(record, ensure_ascii=False)
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    manifest, _ = export(load(tmp_path, source), tmp_path / "out")
    semantic = [r for stage, _, r in records(tmp_path / "out", manifest) if "semantic" in stage]
    assert semantic
    for record in semantic:
        user = record["messages"][1]["content"]
        assert "(кратко):\n\n" not in user
        assert f"(кратко):\n{EMPTY_ANSWER}\n\n" in user


def test_unreviewed_suggestions_are_not_gold_in_progress(tmp_path: Path) -> None:
    """With --include-in-progress a layer may still hold model suggestions nobody reviewed:
    its records gave them as the gold answer (and DPO's 'chosen')."""
    source = write_corpus(
        tmp_path / "s.jsonl", [["Мама мыла раму", "Папа читал газету"]],
        states={"pragmatic": "in_progress"},
    )  # fmt: skip
    lines = source.read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines):
        record = json.loads(line)
        for ann in record.get("annotations", []):
            if ann["layer"] == "pragmatic" and ann.get("field") == "tone":
                ann.update(label="NEGATIVE", origin="model:run@1", annotator="model:run@1")
                ann["confidence"] = 0.4
        lines[n] = json.dumps(record, ensure_ascii=False)
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    project = load(tmp_path, source)
    manifest, _ = export(project, tmp_path / "out", stages="pragmatic", include_in_progress=True)
    answers = [r["messages"][-1]["content"] for _, _, r in records(tmp_path / "out", manifest)]
    assert answers and all("INFORM" in a for a in answers if "intent" in a)
    assert not any("NEGATIVE" in a for a in answers)
    for _, _, record in records(tmp_path / "out", manifest):
        assert not any(name.startswith("model:") for name in record["meta"]["annotators"])


KILLED_MID_EXPORT = """
import multiprocessing, os, signal, sys
from pathlib import Path
from layerkit.curriculum.build import Builder
from layerkit.project import Project

Builder.batch_size = 1  # (13 paragraphs: 13 batches for the two workers)
handed = Builder._handed

def handed_then_killed(self, batch):
    print(*(p.pid for p in multiprocessing.active_children()), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # kill -9 while the workers wait for work
    yield from handed(self, batch)

Builder._handed = handed_then_killed
project = Project.load(sys.argv[1])
with project.open_store() as store:
    project.export("sft", store, Path(sys.argv[2]), {"jobs": 2})
"""


def test_an_export_killed_takes_its_worker_processes_with_it(tmp_path: Path) -> None:
    """The kill -9 audit: an `export sft` killed while its workers ran left them alive for
    good (waiting for work on a pipe, holding the export's part files and the store's)."""
    assert _cli(tmp_path, "import", str(SAMPLE / "annotated.jsonl")).returncode == 0
    said = tmp_path / "said.txt"
    with said.open("w") as out:  # (not a pipe: workers left alive would hold it open)
        killed = subprocess.run(
            [sys.executable, "-c", KILLED_MID_EXPORT, str(tmp_path / "lk.db"), str(tmp_path / "c")],
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=300,
            cwd=tmp_path,
        )
    assert killed.returncode == -9, said.read_text()
    workers = [int(pid) for pid in said.read_text().split()]
    assert len(workers) == 2, said.read_text()
    deadline = time.monotonic() + 20
    while any(map(_running, workers)) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = [pid for pid in workers if _running(pid)]
    for pid in alive:  # (not to leave them to the next test)
        os.kill(pid, 9)
    assert not alive, "worker processes outlived the killed export"


def _running(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, dead and not yet reaped, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"
