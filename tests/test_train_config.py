"""Settings, the curriculum reader and the data plan: everything of `layerkit train` that runs
without a model."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from test_train_support import write_curriculum

from layerkit.train.batching import (
    best_fit_rows,
    epoch_order,
    micro_batches,
    plan_stage,
    replay_count,
    replay_sample,
    rows_of,
)
from layerkit.train.config import build_config, load_toml
from layerkit.train.curriculum_reader import Curriculum
from layerkit.train.errors import ConfigError, CurriculumError


def test_toml_then_flags_then_stage_flags(tmp_path: Path) -> None:
    path = tmp_path / "train.toml"
    path.write_text(
        'base_model = "tiny"\nlr = 0.001\ntarget_modules = ["q_proj", "v_proj"]\n'
        "[stages.lexical]\nepochs = 3\nlr = 0.005\n",
        encoding="utf-8",
    )
    config = build_config(
        load_toml(path), {"lr": 0.002, "batch_size": None}, ["lexical.max_steps=7"]
    )
    assert config.lr == 0.002
    assert config.batch_size == 8  # None = flag not given
    assert config.target_modules == ("q_proj", "v_proj")
    lexical = config.schedule("01-lexical", "lexical")
    assert (lexical.lr, lexical.epochs, lexical.max_steps) == (0.005, 3.0, 7)
    semantic = config.schedule("02-semantic", "semantic")
    assert (semantic.lr, semantic.epochs, semantic.max_steps) == (0.002, 1.0, 0)


def test_tiny_model_gets_its_own_default_learning_rate() -> None:
    assert build_config({"base_model": "tiny"}).peak_lr == 1e-2
    assert build_config({"base_model": "/models/qwen"}).peak_lr == 2e-4


@pytest.mark.parametrize(
    ("settings", "stage", "needle"),
    [
        ({"replay": 1.0}, [], "replay"),
        ({"strategy": "mix"}, [], "strategy"),
        ({"batch_size": "many"}, [], "not a valid int"),
        ({"batch_size": 2.5}, [], "batch_size = 2.5 is not a valid int"),
        ({"packing": "maybe"}, [], "packing = 'maybe' is not a valid bool"),
        ({}, ["lexical.epochs=lots"], "stages.lexical.epochs = 'lots' is not a valid float"),
        ({"lora_rank": 8}, [], "unknown training setting 'lora_rank'"),
        ({}, ["lexical.epoch=3"], "stages.lexical.epoch"),
        ({}, ["lexical=3"], "NAME.KEY=VALUE"),
    ],
)
def test_bad_settings_are_named(settings: dict, stage: list[str], needle: str) -> None:
    with pytest.raises(ConfigError) as info:
        build_config(settings, None, stage)
    assert needle in str(info.value)


def test_settings_from_strings_and_toml_values_are_converted() -> None:
    config = build_config(
        {"batch_size": "3", "packing": "no", "lr": "1e-4", "target_modules": "q_proj, v_proj"},
        {"max_steps": 2.0},
        ["lexical.epochs=2"],
    )
    assert (config.batch_size, config.packing, config.lr, config.max_steps) == (3, False, 1e-4, 2)
    assert config.target_modules == ("q_proj", "v_proj")
    assert config.stages["lexical"].epochs == 2.0


def test_stage_settings_must_name_a_stage() -> None:
    config = build_config({}, None, ["lexicon.epochs=2"])
    with pytest.raises(ConfigError, match="lexicon"):
        config.check_stage_keys(["01-lexical"], ["lexical"])


def test_importing_the_train_package_needs_no_torch() -> None:
    code = "import sys, layerkit.train, layerkit_train; assert 'torch' not in sys.modules, 'torch'"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_reader_follows_manifest_order_and_checks_files(tmp_path: Path) -> None:
    root = write_curriculum(tmp_path / "cur", order=["02-semantic", "01-lexical", "03-pragmatic"])
    cur = Curriculum.open(root)
    assert [s.layer for s in cur.stages] == ["semantic", "lexical", "pragmatic"]
    path = root / "01-lexical.train.jsonl"
    path.write_text(path.read_text(encoding="utf-8").replace("Мама", "Мима"), encoding="utf-8")
    with pytest.raises(CurriculumError, match="changed after export"):
        Curriculum.open(root)


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"format_version": 99}, "format version 99"),
        ({"format": "alpaca"}, "not a layerkit curriculum"),
        ({"kind": "dpo"}, "SFT curricula"),
        ({"stage_order": ["09-nothing"]}, "09-nothing"),
    ],
)
def test_incompatible_curricula_are_refused(tmp_path: Path, change: dict, needle: str) -> None:
    root = write_curriculum(tmp_path / "cur")
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    manifest.update(change)
    (root / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(CurriculumError, match=needle) as info:
        Curriculum.open(root)
    assert info.value.hint


def test_records_must_end_with_the_answer(tmp_path: Path) -> None:
    root = write_curriculum(tmp_path / "cur")
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    line = json.dumps({"messages": [{"role": "user", "content": "Вопрос"}], "meta": {}}) + "\n"
    (root / "01-lexical.test.jsonl").write_text(line, encoding="utf-8")
    files = manifest["stages"][0]["files"]["test"]
    files.update(records=1, sha256="")
    (root / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    cur = Curriculum.open(root)
    with pytest.raises(CurriculumError, match="end with the assistant's answer"):
        cur.records(cur.stages[0], "test")


def test_replay_makes_the_asked_share_of_the_mix() -> None:
    assert replay_count(current=30, available=100, share=0.25) == 10  # 10 / 40
    assert replay_count(current=30, available=4, share=0.5) == 4  # no more than there is
    assert replay_count(current=30, available=100, share=0.0) == 0
    sample = replay_sample(100, 10, seed=1, stage=2)
    assert sample == replay_sample(100, 10, seed=1, stage=2)
    assert sample != replay_sample(100, 10, seed=2, stage=2)
    assert len(set(sample)) == 10


def test_packing_keeps_the_order_and_fits_rows() -> None:
    lengths = [5, 3, 4, 6, 2]
    assert rows_of([0, 1, 2, 3, 4], lengths, 8, packing=True) == [[0, 1], [2], [3, 4]]
    assert rows_of([0, 1], lengths, 8, packing=False) == [[0], [1]]


def test_best_fit_packing_pads_less_than_consecutive_rows() -> None:
    rng = random.Random(7)
    lengths = [rng.choice([rng.randint(20, 120), rng.randint(300, 900)]) for _ in range(2000)]
    order = list(range(len(lengths)))
    rng.shuffle(order)

    def padding(batches: list[list[list[int]]]) -> float:
        pad = used = 0
        for mb in batches:
            fills = [sum(lengths[i] for i in row) for row in mb]
            pad += len(fills) * max(fills) - sum(fills)
            used += sum(fills)
        return pad / (pad + used)

    packed = micro_batches(order, lengths, max_len=2048, batch_size=4, packing=True, flat=False)
    assert sorted(i for mb in packed for row in mb for i in row) == sorted(order)
    assert all(sum(lengths[i] for i in row) <= 900 for mb in packed for row in mb)  # longest
    consecutive = rows_of(order, lengths, 900, packing=True)
    naive = [consecutive[i : i + 4] for i in range(0, len(consecutive), 4)]
    assert padding(packed) < 0.05 < padding(naive)
    assert len(best_fit_rows(order, lengths, 900)) < len(consecutive)


def test_plan_covers_epochs_or_exact_steps() -> None:
    lengths = [10] * 10
    common = {"seed": 3, "stage": 0, "batch_size": 2, "per_step": 2, "max_len": 10, "packing": True}
    plan = plan_stage(lengths, epochs=1.5, max_steps=0, **common)
    seen = [i for mb in plan.micro_batches for row in mb for i in row]
    assert len(seen) == 15 and sorted(seen[:10]) == list(range(10))
    unpacked = plan_stage(lengths, epochs=1.0, max_steps=0, **{**common, "packing": False})
    assert [i for mb in unpacked.micro_batches for row in mb for i in row] == epoch_order(
        10, 3, 0, 0
    )
    assert plan.steps == 4  # 15 one-record rows → 8 micro-batches of ≤ 2 rows → 4 steps of 2
    exact = plan_stage(lengths, epochs=1.0, max_steps=7, **common)
    assert exact.steps == 7 and len(exact.micro_batches) == 14
    assert plan_stage(lengths, epochs=1.5, max_steps=0, **common) == plan


def test_padding_free_layout_is_one_row_per_micro_batch() -> None:
    lengths = [5, 3, 4, 6, 2, 7]
    common = {"max_len": 8, "batch_size": 2, "packing": True}
    # rows no longer than the longest record (7), as attention costs a row's length squared;
    # best fit pairs 3+4 and 5+2, leaving 6 and 7 alone
    packed = micro_batches(range(6), lengths, flat=False, **common)
    assert sorted(sorted(row) for mb in packed for row in mb) == [[0, 4], [1, 2], [3], [5]]
    assert all(len(mb) <= 2 for mb in packed)
    # without record 5 the longest is 6: 3 + 4 no longer fit one row, 4 + 2 do
    packed = micro_batches(range(5), lengths, flat=False, **common)
    assert sorted(sorted(row) for mb in packed for row in mb) == [[0], [1], [2, 4], [3]]
    assert micro_batches(range(5), lengths, flat=False, **common) == packed  # deterministic
    assert micro_batches(range(6), lengths, flat=True, **common) == [[[0, 1, 2]], [[3, 4, 5]]]
    assert not build_config({"packing": False, "padding_free": True}).flat
    assert not build_config({}).flat  # sdpa: rows of max_seq_length
    assert build_config({"attn_implementation": "flash_attention_2"}).flat
    assert not build_config({"attn_implementation": "flex_attention", "padding_free": False}).flat


def test_a_truncated_record_line_is_named_by_line_and_column(tmp_path: Path) -> None:
    """It said "not valid JSON: Invalid control character at." with no place on the line."""
    root = write_curriculum(tmp_path / "cur")
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    (root / "01-lexical.test.jsonl").write_text('{"messages": [{"role": "user", "co\n', "utf-8")
    manifest["stages"][0]["files"]["test"].update(records=1, sha256="")
    (root / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    cur = Curriculum.open(root)
    with pytest.raises(CurriculumError, match="not valid JSON at column 35") as info:
        cur.records(cur.stages[0], "test")
    assert info.value.line == 1
