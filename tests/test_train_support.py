"""A small curriculum written the way ``layerkit export sft`` writes one, and the settings of a
tiny model that trains on it in seconds; shared by the tests/test_train_*.py modules.

The curriculum is written here rather than exported so the unit tests control its shape (short
records, three stages, a token-table stage and two JSON stages); the end-to-end test in
test_train_cli.py goes through the real exporter.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from layerkit.curriculum.answers import format_answer
from layerkit.train.config import TrainConfig, build_config

SYSTEM = "Ты — лингвист. Отвечай строго в формате, который указан в задании."
PARAGRAPHS = [
    "Мама мыла раму.",
    "Папа читал газету вечером.",
    "Кошка спит на тёплом окне.",
    "Дети играли во дворе.",
    "Учёные спорят о природе звука.",
    "Вероятно, завтра пойдёт дождь.",
    "Брат купил новую книгу.",
    "Ветер гнал по небу облака.",
    "Сестра пишет письмо бабушке.",
    "Весной в саду цветут яблони.",
    "Собака громко лаяла ночью.",
    "Мы долго ждали поезда.",
]
UPOS = {"мыла": "VERB", "читал": "VERB", "спит": "VERB", "играли": "VERB", "спорят": "VERB"}
STAGES = [
    ("lexical", "lexical.morphology", "token_table"),
    ("semantic", "semantic.frames", "json"),
    ("pragmatic", "pragmatic.analysis", "json"),
]
SPLIT_OF = {i: ("train" if i < 8 else "validation" if i < 10 else "test") for i in range(12)}


def _answer(layer: str, text: str) -> tuple[str, str]:
    words = text.rstrip(".").replace(",", "").split()
    if layer == "lexical":
        rows = [
            {
                "word": w,
                "lemma": w.lower(),
                "upos": UPOS.get(w, "NOUN" if w[0].isupper() else "X"),
                "feats": "_",
            }
            for w in words
        ]
        return "Разбери каждое слово: лемма, часть речи, признаки.", format_answer(
            "token_table", rows
        )
    if layer == "semantic":
        verb = next((w for w in words if w in UPOS), words[1])
        data = {"frames": [{"predicate": verb, "AGENT": words[0]}]}
        return "Найди предикаты и их участников.", format_answer("json", data)
    data = {"intent": "INFORM", "tone": "NEUTRAL", "speech_acts": ["ASSERT"]}
    return "Определи речевой акт и намерение.", format_answer("json", data)


def record(
    layer: str, task: str, fmt: str, index: int, context: list[tuple[str, str]]
) -> dict[str, Any]:
    text = PARAGRAPHS[index]
    instruction, answer = _answer(layer, text)
    parts = [f"Абзац:\n{text}"]
    parts += [f"Эталонная разметка слоя {name}:\n{gold}" for name, gold in context]
    parts.append(f"Задание: {instruction}")
    return {
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": "\n\n".join(parts)},
            {"role": "assistant", "content": answer},
        ],
        "meta": {
            "kind": "sft",
            "layer": layer,
            "task": task,
            "answer_format": fmt,
            "split": SPLIT_OF[index],
            "paragraph_id": index + 1,
            "document_id": index // 2 + 1,
            "annotators": ["anna"],
            "context_layers": [name for name, _ in context],
            "instructions": "ru",
        },
    }


def write_curriculum(
    root: Path, stages: list[tuple[str, str, str]] = STAGES, order: list[str] | None = None
) -> Path:
    """Write a curriculum of ``stages`` (layer, task, answer format) to ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    entries = []
    for position, (layer, task, fmt) in enumerate(stages, start=1):
        name = f"{position:02d}-{layer}"
        files = {}
        for split in ("train", "validation", "test"):
            lines = []
            for i in range(len(PARAGRAPHS)):
                if SPLIT_OF[i] != split:
                    continue
                context = [
                    (lower, _answer(lower, PARAGRAPHS[i])[1])
                    for lower, _, _ in stages[: position - 1]
                ]
                r = record(layer, task, fmt, i, context)
                r["meta"]["stage"] = name
                lines.append(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
            data = "".join(lines).encode("utf-8")
            path = f"{name}.{split}.jsonl"
            (root / path).write_bytes(data)
            files[split] = {
                "path": path,
                "records": len(lines),
                "bytes": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        entries.append(
            {
                "name": name,
                "index": position,
                "layer": layer,
                "schema_version": "1.0.0",
                "tasks": [{"name": task, "answer_format": fmt, "context": True, "records": 12}],
                "files": files,
            }
        )
    names = [e["name"] for e in entries]
    manifest = {
        "format": "layerkit-curriculum",
        "format_version": 1,
        "kind": "sft",
        "layerkit_version": "0.1.0",
        "schemas": {layer: "1.0.0" for layer, _, _ in stages},
        "seed": 0,
        "splits": ["train", "validation", "test"],
        "stage_order": order or names,
        "stages": entries,
    }
    (root / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return root


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Iterator[None]:
    """Run the tiny models on one thread: their ops are so small that on a shared machine
    OpenMP's threads spend more time waiting for each other than computing (measured 5x)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def tiny_config(**changes: Any) -> TrainConfig:
    """A model small enough that a three-stage run takes seconds on one CPU core."""
    settings: dict[str, Any] = {
        "base_model": "tiny",
        "tiny_vocab_size": 400,
        "tiny_hidden_size": 32,
        "tiny_layers": 2,
        "tiny_heads": 2,
        "lora_r": 4,
        "lora_alpha": 8,
        "lora_dropout": 0.1,
        "max_seq_length": 512,
        "batch_size": 2,
        "max_steps": 4,
        "warmup_ratio": 0.0,  # transformers warms up from lr 0: a 4-step run would lose a step
        "checkpoint_every": 2,
        "eval_generate": 2,
        "max_new_tokens": 24,
        "seed": 0,
    }
    settings.update(changes)
    return build_config(settings)


def test_curriculum_fixture_is_a_valid_curriculum(tmp_path: Path) -> None:
    from layerkit.train.curriculum_reader import Curriculum

    cur = Curriculum.open(write_curriculum(tmp_path / "cur"))
    assert [s.name for s in cur.stages] == ["01-lexical", "02-semantic", "03-pragmatic"]
    assert [len(cur.records(cur.stages[0], s)) for s in ("train", "validation", "test")] == [
        8,
        2,
        2,
    ]
    assert (
        "Эталонная разметка слоя lexical"
        in cur.records(cur.stages[1], "train")[0]["messages"][1]["content"]
    )


def test_the_trainer_reads_manifests_and_records_with_the_exporters_models(
    tmp_path: Path,
) -> None:
    """One contract (layerkit.curriculum.formats) on both sides: a manifest without a split's
    file, or with an unknown answer format, and a record not ending with the answer are refused
    by `layerkit train` naming where, as the exporter would refuse to write them."""
    from layerkit.curriculum.build import check_record
    from layerkit.train.curriculum_reader import Curriculum
    from layerkit.train.errors import CurriculumError

    root = write_curriculum(tmp_path / "cur")
    manifest_path = root / "manifest.json"
    good = json.loads(manifest_path.read_text(encoding="utf-8"))
    broken = json.loads(json.dumps(good))
    del broken["stages"][1]["files"]["test"]
    manifest_path.write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(CurriculumError, match=r"stages\.1: stage 02-semantic lists no test file"):
        Curriculum.open(root)
    broken = json.loads(json.dumps(good))
    broken["stages"][0]["tasks"][0]["answer_format"] = "yaml"
    manifest_path.write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(CurriculumError, match=r"stages\.0\.tasks\.0\.answer_format"):
        Curriculum.open(root)
    manifest_path.write_text(json.dumps(good), encoding="utf-8")
    cur = Curriculum.open(root)
    record = cur.records(cur.stages[0], "train")[0]
    assert check_record(record, "sft") is None
    record["messages"].append({"role": "user", "content": "and?"})
    assert "assistant's answer" in (check_record(record, "sft") or "")


def test_forgetting_plot_writes_readable_numbers_on_a_fixed_metric_scale(
    tmp_path, monkeypatch
) -> None:
    """Cell numbers are black on viridis' light end and white on its dark end, and a metric
    panel spans 0..1 whatever its values (a colour means the same in every run)."""
    import matplotlib
    import matplotlib.axes

    from layerkit.train import plots

    viridis = matplotlib.colormaps["viridis"]
    assert plots._text_colour(viridis(1.0)) == "black"
    assert plots._text_colour(viridis(0.0)) == "white"
    seen = []
    real_imshow = matplotlib.axes.Axes.imshow

    def spy(self, grid, **kwargs):
        seen.append((kwargs.get("vmin"), kwargs.get("vmax")))
        return real_imshow(self, grid, **kwargs)

    matrix = {
        "stages": ["01-a", "02-b"],
        "answer_loss": [[2.0, 3.0], [2.5, 1.5]],
        "metrics": {"upos_accuracy": [[0.2, None], [0.3, None]]},
    }
    monkeypatch.setattr(matplotlib.axes.Axes, "imshow", spy)
    plots.plot_forgetting(matrix, tmp_path / "f.png")
    assert seen == [(None, None), (0.0, 1.0)]
    assert (tmp_path / "f.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cumulative_adapter_of_a_merge_run_is_peft_cat_combination(tmp_path: Path) -> None:
    """A merge run writes each stage's adapter as the sum of the merged stages, from the saved
    factors (no model loaded). It must be what peft's own combination gives:
    add_weighted_adapter(combination_type="cat") with weights 1, and apply as their sum."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    from layerkit.train.modeling import read_adapter, write_cumulative_adapter

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
        num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=32,
    )  # fmt: skip
    base = LlamaForCausalLM(config)
    lora = {"target_modules": ["q_proj", "v_proj"], "lora_dropout": 0.0, "task_type": "CAUSAL_LM"}
    model = get_peft_model(base, LoraConfig(r=2, lora_alpha=4, **lora), adapter_name="one")
    model.add_adapter("two", LoraConfig(r=3, lora_alpha=3, **lora))
    for name, param in model.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(param)  # peft starts B at zero: give both adapters an effect
    parts = []
    for adapter in ("one", "two"):
        model.set_adapter(adapter)
        model.save_pretrained(tmp_path / adapter, selected_adapters=[adapter])
        parts.append(read_adapter(tmp_path / adapter / adapter))
    write_cumulative_adapter(parts, tmp_path / "ours", "tiny")
    model.add_weighted_adapter(["one", "two"], [1.0, 1.0], "cat", combination_type="cat")
    model.set_adapter("cat")
    model.save_pretrained(tmp_path / "peft", selected_adapters=["cat"])
    ours, theirs = read_adapter(tmp_path / "ours"), read_adapter(tmp_path / "peft" / "cat")
    assert set(ours) == set(theirs)
    for name, (a, b, scale) in ours.items():
        a2, b2, scale2 = theirs[name]
        torch.testing.assert_close(scale * b @ a, scale2 * b2 @ a2)
        one, two = parts[0][name], parts[1][name]
        torch.testing.assert_close(
            scale * b @ a, one[2] * one[1] @ one[0] + two[2] * two[1] @ two[0]
        )
