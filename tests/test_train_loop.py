"""The stage loop on the tiny model: layout, order, strategies, replay, scores, resume."""

from __future__ import annotations

import hashlib
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import torch
from peft import PeftModel
from safetensors.torch import load_file
from test_train_support import one_thread, tiny_config, write_curriculum  # noqa: F401
from transformers import AutoModelForCausalLM, AutoTokenizer

from layerkit.train.config import TrainConfig
from layerkit.train.curriculum_reader import Curriculum
from layerkit.train.encoding import ChatEncoder, stop_token_ids
from layerkit.train.errors import ConfigError, ModelError, OutOfMemory
from layerkit.train.evaluate import answer_losses
from layerkit.train.loop import RunResult, train
from layerkit.train.modeling import Runtime, out_of_memory_hint, supports_logits_to_keep
from layerkit.train.reporting import Reporter, StepLog

STAGE_NAMES = ["01-lexical", "02-semantic", "03-pragmatic"]
CPU = Runtime(torch.device("cpu"), torch.float32, 0, 1)


class Recorder(Reporter):
    """Keeps the steps; raises KeyboardInterrupt after ``stop_at`` global steps (a Ctrl-C)."""

    def __init__(self, stop_at: int | None = None) -> None:
        self.steps: list[StepLog] = []
        self.notes: list[str] = []
        self.stop_at = stop_at

    def note(self, text: str) -> None:
        self.notes.append(text)

    def step(self, log: StepLog) -> None:
        self.steps.append(log)
        if self.stop_at is not None and log.global_step == self.stop_at:
            raise KeyboardInterrupt


def run(
    tmp: Path, name: str, config: TrainConfig, cur: Path, **kwargs: Any
) -> tuple[RunResult, Recorder]:
    recorder = kwargs.pop("reporter", None) or Recorder()
    return train(cur, tmp / name, config, reporter=recorder, **kwargs), recorder


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("train")


@pytest.fixture(scope="module")
def cur(work: Path) -> Path:
    return write_curriculum(work / "cur")


@pytest.fixture(scope="module")
def stack(work: Path, cur: Path) -> tuple[RunResult, Recorder]:
    return run(work, "stack", tiny_config(), cur)


@pytest.fixture(scope="module")
def merge(work: Path, cur: Path) -> tuple[RunResult, Recorder]:
    return run(work, "merge", tiny_config(strategy="merge"), cur)


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def test_stages_run_in_manifest_order_into_their_folders(stack, cur: Path) -> None:
    result, recorder = stack
    out = result.out
    assert [log.stage for log in recorder.steps] == [n for n in STAGE_NAMES for _ in range(4)]
    assert [log.global_step for log in recorder.steps] == list(range(1, 13))
    for name in STAGE_NAMES:
        folder = out / "stages" / name
        for file in (
            "adapter_config.json",
            "adapter_model.safetensors",
            "tokenizer.json",
            "metrics.json",
            "example.json",
        ):
            assert (folder / file).is_file(), (name, file)
        assert _json(folder / "metrics.json")["steps"] == 4
    info = _json(out / "run.json")
    assert info["completed"] is True
    assert info["config"]["strategy"] == "stack" and info["config"]["seed"] == 0
    assert {"torch", "transformers", "peft", "layerkit"} <= set(info["versions"])
    manifest = (cur / "manifest.json").read_bytes()
    assert info["curriculum"]["manifest_sha256"] == hashlib.sha256(manifest).hexdigest()
    assert info["curriculum"]["stage_order"] == STAGE_NAMES
    assert info["end_of_turn"] == "<|im_end|>"


def test_the_loss_falls(stack) -> None:
    result, recorder = stack
    first = [log.loss for log in recorder.steps if log.stage == "01-lexical"]
    assert first[-1] < first[0]  # steps see different records: only the trend is compared
    # on the same records (each stage's test split), trained against untrained:
    matrix = result.forgetting
    for j, name in enumerate(STAGE_NAMES):
        assert matrix["answer_loss"][j][j] < matrix["base"][name]["loss"] - 0.3, name


def test_forgetting_matrix(stack) -> None:
    result, _ = stack
    stored = _json(result.out / "forgetting.json")
    assert stored["stages"] == STAGE_NAMES
    loss = stored["answer_loss"]
    assert len(loss) == 3 and all(len(row) == 3 for row in loss)
    assert all(math.isfinite(v) and v > 0 for row in loss for v in row)
    for i in range(3):
        for j in range(3):
            assert stored["perplexity"][i][j] == pytest.approx(math.exp(loss[i][j]))
    for j, name in enumerate(STAGE_NAMES):
        assert stored["forgetting"][name] == pytest.approx(loss[2][j] - loss[j][j])
    assert set(stored["metrics"]) == {"upos_accuracy", "lemma_accuracy", "json_item_f1"}
    upos = stored["metrics"]["upos_accuracy"]
    assert all(upos[i][0] is not None and 0 <= upos[i][0] <= 1 for i in range(3))
    assert all(upos[i][1] is None for i in range(3))  # a JSON stage has no UPOS
    for png in ("forgetting.png", "loss.png"):
        assert (result.out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _scores_with_plain_peft(out: Path, cur: Path) -> list[list[float]]:
    """Each stage folder applied to base/ with plain transformers + peft, scored on every test split."""
    curriculum = Curriculum.open(cur)
    config = tiny_config()
    rows = []
    for name in STAGE_NAMES:
        folder = out / "stages" / name
        tokenizer = AutoTokenizer.from_pretrained(folder)
        model = PeftModel.from_pretrained(
            AutoModelForCausalLM.from_pretrained(out / "base"), folder
        )
        model.eval()
        encoder = ChatEncoder(tokenizer, config.max_seq_length, stop_token_ids(tokenizer))
        row = []
        for stage in curriculum.stages:
            examples = [encoder.encode(r) for r in curriculum.records(stage, "test")]
            total, tokens = answer_losses(
                model, examples, config, CPU, tokenizer.pad_token_id, supports_logits_to_keep(model)
            )
            row.append(total / tokens)
        rows.append(row)
    return rows


@pytest.mark.parametrize("strategy", ["stack", "merge"])
def test_every_stage_adapter_is_base_plus_folder_in_plain_peft(
    strategy: str, stack, merge, cur: Path
) -> None:
    result, _ = stack if strategy == "stack" else merge
    measured = _scores_with_plain_peft(result.out, cur)
    expected = result.forgetting["answer_loss"]
    for i in range(3):
        assert measured[i] == pytest.approx(expected[i], rel=1e-4), STAGE_NAMES[i]
    ranks = [_json(result.out / "stages" / n / "adapter_config.json")["r"] for n in STAGE_NAMES]
    # merge: each folder holds the sum of the merged stages, stacked into one adapter
    assert ranks == ([4, 4, 4] if strategy == "stack" else [4, 8, 12])


def test_strategies_share_the_first_stage_and_then_differ(stack, merge) -> None:
    a, b = stack[0].forgetting["answer_loss"], merge[0].forgetting["answer_loss"]
    assert a[0] == pytest.approx(b[0], rel=1e-5)
    assert a[2] != pytest.approx(b[2], rel=1e-4)
    merged = load_file(merge[0].out / "stages" / "02-semantic" / "adapter_model.safetensors")
    first = load_file(merge[0].out / "stages" / "01-lexical" / "adapter_model.safetensors")
    key = next(k for k in first if k.endswith("lora_A.weight"))
    # the second stage's folder starts with the first stage's factors
    assert torch.equal(merged[key][:4], first[key])


def test_replay_mixes_earlier_records_and_tokens_are_counted(work: Path, cur: Path) -> None:
    config = tiny_config(replay=0.5, max_steps=0, epochs=1.0, packing=False, eval_generate=0)
    result, recorder = run(work, "replay", config, cur)
    replayed = [_json(result.out / "stages" / n / "metrics.json")["records"] for n in STAGE_NAMES]
    assert replayed == [
        {"stage": 8, "replayed": 0, "mix": 8},
        {"stage": 8, "replayed": 8, "mix": 16},
        {"stage": 8, "replayed": 8, "mix": 16},
    ]
    data = _json(result.out / "run.json")["data"]
    for name, mix in zip(STAGE_NAMES, (8, 16, 16), strict=True):
        steps = [log for log in recorder.steps if log.stage == name]
        assert sum(log.records for log in steps) == mix  # one epoch over the mix
        metrics = _json(result.out / "stages" / name / "metrics.json")
        assert metrics["tokens"]["supervised"] == sum(log.supervised for log in steps)
        assert metrics["tokens"]["padding"] == sum(log.padding for log in steps) > 0
        assert all(log.supervised < log.tokens for log in steps)
    own = [log for log in recorder.steps if log.stage == "01-lexical"]
    assert sum(log.supervised for log in own) == data["01-lexical"]["train"]["supervised"]


def test_padding_free_micro_batches_have_no_padding(work: Path, cur: Path) -> None:
    config = tiny_config(padding_free=True, max_steps=0, epochs=1.0, eval_generate=0)
    result, recorder = run(work, "flat", config, cur)
    assert recorder.steps and all(log.padding == 0 for log in recorder.steps)
    assert sum(log.records for log in recorder.steps if log.stage == "01-lexical") == 8
    assert all(math.isfinite(v) for row in result.forgetting["answer_loss"] for v in row)


def _adapters(out: Path) -> dict[str, dict[str, torch.Tensor]]:
    return {n: load_file(out / "stages" / n / "adapter_model.safetensors") for n in STAGE_NAMES}


def _assert_same_run(a: Path, b: Path) -> None:
    fa, fb = _json(a / "forgetting.json"), _json(b / "forgetting.json")
    for i in range(3):
        assert fa["answer_loss"][i] == pytest.approx(fb["answer_loss"][i], rel=1e-5)
    for name, tensors in _adapters(a).items():
        other = _adapters(b)[name]
        for key, value in tensors.items():
            torch.testing.assert_close(value, other[key], rtol=1e-5, atol=1e-6)


def test_resume_after_an_interrupt_reaches_the_same_result(work: Path, cur: Path, stack) -> None:
    config = tiny_config()
    with pytest.raises(KeyboardInterrupt):
        run(work, "interrupted", config, cur, reporter=Recorder(stop_at=7))
    out = work / "interrupted"
    latest = _json(out / "checkpoints" / "latest.json")
    assert (latest["stage"], latest["step"], latest["done"]) == (1, 2, False)
    assert not (out / "stages" / "02-semantic").exists()
    with pytest.raises(ConfigError, match="already holds a training run"):
        run(work, "interrupted", config, cur)
    with pytest.raises(ConfigError, match="lora_r"):
        run(work, "interrupted", tiny_config(lora_r=8), cur, resume=True)
    _, recorder = run(work, "interrupted", config, cur, resume=True)
    assert [log.global_step for log in recorder.steps] == list(range(7, 13))  # from step 6
    assert "resuming at 02-semantic, step 2" in recorder.notes
    _assert_same_run(stack[0].out, out)
    history = [h["loss"] for h in _json(out / "checkpoints" / latest_folder(out) / "history.json")]
    assert history == pytest.approx([log.loss for log in stack[1].steps], rel=1e-5)
    # Resuming a finished run trains nothing and changes nothing.
    _, again = run(work, "interrupted", config, cur, resume=True)
    assert again.steps == []
    # it said "resuming at 03-pragmatic", and then trained nothing
    assert "every stage is trained already: nothing to resume" in again.notes
    assert not any(note.startswith("resuming at") for note in again.notes)
    _assert_same_run(stack[0].out, out)


def test_resume_of_a_merge_run_rebuilds_the_merged_weights(work: Path, cur: Path, merge) -> None:
    config = tiny_config(strategy="merge")
    with pytest.raises(KeyboardInterrupt):
        run(work, "merge-interrupted", config, cur, reporter=Recorder(stop_at=11))
    _, recorder = run(work, "merge-interrupted", config, cur, resume=True)
    assert [log.global_step for log in recorder.steps] == [11, 12]  # from step 10 (stage 3)
    _assert_same_run(merge[0].out, work / "merge-interrupted")


def latest_folder(out: Path) -> str:
    return _json(out / "checkpoints" / "latest.json")["folder"]


def _flags(config: TrainConfig) -> list[str]:
    flags = []
    for key, value in config.to_dict().items():
        if key == "stages" or value in (None, "", []):
            continue
        flag = "--" + key.replace("_", "-")
        if isinstance(value, bool):
            flags.append(flag if value else "--no-" + flag[2:])
        else:
            flags += [flag, ",".join(value) if isinstance(value, list) else str(value)]
    return flags


def test_kill_9_then_resume_reaches_the_same_result(work: Path, cur: Path, stack) -> None:
    out = work / "killed"
    config = tiny_config(checkpoint_every=1)
    command = [sys.executable, "-m", "layerkit", "train", str(cur), "-o", str(out), *_flags(config)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    pointer = out / "checkpoints" / "latest.json"
    deadline = time.monotonic() + 120
    while not pointer.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, process.stderr.read() if process.stderr else ""
    assert not _json(out / "run.json")["completed"]
    # As a user resumes: `--resume` alone, the settings read from run.json. How often
    # checkpoints are saved does not change the result, so that one may change.
    resumed = subprocess.run(
        [sys.executable, "-m", "layerkit", "train", str(cur), "-o", str(out), "--resume",
         "--checkpoint-every", "3"],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    assert _json(out / "run.json")["completed"]
    _assert_same_run(stack[0].out, out)

    # other settings than the run's are refused, not silently mixed in
    again = subprocess.run(
        [sys.executable, "-m", "layerkit", "train", str(cur), "-o", str(out), "--resume",
         "--lora-r", "16"],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    assert again.returncode == 2 and "other settings" in again.stderr, again.stderr


def test_missing_base_model_is_a_clear_error(work: Path, cur: Path) -> None:
    with pytest.raises(ModelError, match="does not exist") as info:
        train(cur, work / "nomodel", tiny_config(base_model=str(work / "no-such-model")))
    assert "--base-model tiny" in info.value.hint


def test_out_of_memory_names_the_knobs() -> None:
    config = tiny_config()
    with pytest.raises(OutOfMemory) as info, out_of_memory_hint(config, "in 01-lexical, step 3"):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
    assert "step 3" in info.value.message
    for knob in (
        "--batch-size",
        "--gradient-accumulation",
        "--gradient-checkpointing",
        "--max-seq-length",
    ):
        assert knob in info.value.hint


def test_two_processes_under_torchrun_compute_what_one_process_accumulating_computes(
    work: Path, cur: Path
) -> None:
    """DDP through torchrun (gloo on CPU): the step's loss is normalised over both processes'
    tokens, so two processes of one micro-batch each equal one process accumulating two.
    (Dropout off: each process draws its own dropout masks.)"""
    config = tiny_config(lora_dropout=0.0, max_steps=3, eval_generate=0)
    torchrun = Path(sys.executable).parent / "torchrun"
    command = [str(torchrun), "--nproc-per-node", "2", "-m", "layerkit", "train", str(cur)]
    command += ["-o", str(work / "ddp"), *_flags(config)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("Run written") == 1  # only rank 0 reports
    assert _json(work / "ddp" / "run.json")["world_size"] == 2
    run(work, "single", config.replace(gradient_accumulation=2), cur)
    _assert_same_run(work / "single", work / "ddp")


def test_a_run_moved_then_resumed_names_its_base_where_it_is(work: Path, cur: Path, stack) -> None:
    """Interrupted, moved, resumed at the new place: the adapters written before and after the
    move and run.json name the base where it is now (they named the old place, so
    AutoPeftModelForCausalLM failed until `layerkit repoint`); the result is the same."""
    import shutil

    config = tiny_config()
    with pytest.raises(KeyboardInterrupt):
        run(work, "to-move", config, cur, reporter=Recorder(stop_at=7))
    assert (work / "to-move" / "stages" / "01-lexical" / "adapter_config.json").is_file()
    shutil.move(str(work / "to-move"), str(work / "moved"))
    out = work / "moved"
    elsewhere = work / "cur-elsewhere"  # the curriculum moved too (the same files)
    shutil.copytree(cur, elsewhere)
    run(work, "moved", config, elsewhere, resume=True)
    base = str((out / "base").resolve())
    assert _json(out / "run.json")["base_model"] == base
    assert _json(out / "run.json")["curriculum"]["path"] == str(elsewhere.resolve())
    for name in STAGE_NAMES:
        adapter = _json(out / "stages" / name / "adapter_config.json")
        assert adapter["base_model_name_or_path"] == base, name
    _assert_same_run(stack[0].out, out)


def test_a_run_that_diverges_stops_instead_of_saving_nan(work: Path, cur: Path) -> None:
    """A learning rate of 1e6 trained every stage on to a loss of nan and saved NaN adapters,
    exit 0 (and forgetting.json held bare NaN, which is not JSON)."""
    from layerkit.train.errors import TrainError

    with pytest.raises(TrainError) as info:
        run(work, "diverged", tiny_config(lr=1e30, max_grad_norm=0.0), cur)
    assert info.value.title == "Training diverged"
    assert "--lr" in info.value.hint
    for adapter in (work / "diverged" / "stages").glob("*/adapter_model.safetensors"):
        assert all(torch.isfinite(t).all() for t in load_file(adapter).values()), adapter


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"lr": math.inf}, "lr = inf"),
        ({"lora_alpha": math.inf}, "lora_alpha = inf"),
        ({"stages": {"lexical": {"lr": math.nan}}}, "stages.lexical.lr = nan"),
        ({"stages": {"lexical": {"epochs": math.inf}}}, "stages.lexical.epochs = inf"),
    ],
)
def test_settings_that_are_not_finite_are_refused(changes: dict[str, Any], said: str) -> None:
    with pytest.raises(ConfigError) as info:
        tiny_config(**changes)
    assert said in info.value.message and info.value.hint


def _base_with_tokenizer(folder: Path, model: Any, tokenizer_from: Path) -> Path:
    model.save_pretrained(folder)
    AutoTokenizer.from_pretrained(tokenizer_from).save_pretrained(folder)
    return folder


def test_a_base_model_training_cannot_use_is_refused_before_anything_is_left(
    work: Path, cur: Path, stack
) -> None:
    """An encoder (BERT, loaded as BertLMHeadModel: it sees the tokens after each position) and
    a tokenizer with more tokens than the model's embeddings gave tracebacks deep in the first
    step or evaluation, and left a run folder nothing would take; an absurd LoRA rank grew
    until the kernel killed the process."""
    from transformers import BertConfig, BertModel, LlamaConfig, LlamaForCausalLM

    tokenizer = stack[0].out / "stages" / "01-lexical"
    size = len(AutoTokenizer.from_pretrained(tokenizer))
    small = {"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2}
    bert = _base_with_tokenizer(
        work / "bert-base",
        BertModel(BertConfig(vocab_size=size, intermediate_size=64, **small)),
        tokenizer,
    )
    short = _base_with_tokenizer(
        work / "short-vocab",
        LlamaForCausalLM(LlamaConfig(vocab_size=size - 50, intermediate_size=64, **small)),
        tokenizer,
    )
    fine = _base_with_tokenizer(
        work / "fine-base",
        LlamaForCausalLM(LlamaConfig(vocab_size=size, intermediate_size=64, **small)),
        tokenizer,
    )
    for base, changes, said in [
        (bert, {}, "is not a causal language model"),
        (short, {}, f"has {size} tokens, its model's embeddings only {size - 50}"),
        (fine, {"lora_r": 64}, "lora_r = 64 is more than this model's hidden size (32)"),
    ]:
        out = work / f"refused-{base.name}-{changes.get('lora_r', 0)}"
        with pytest.raises(ModelError) as info:
            train(cur, out, tiny_config(base_model=str(base), **changes), reporter=Recorder())
        assert said in info.value.message
        assert not out.exists()  # a new start with a fixed setting is taken


def test_a_model_folder_without_a_tokenizer_says_so(work: Path, cur: Path) -> None:
    """transformers made an empty tokenizer of config.json alone: the error blamed the chat
    template ("no chat template and no EOS token")."""
    folder = work / "config-only"
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "llama"}', encoding="utf-8")
    with pytest.raises(ModelError, match="has no tokenizer files"):
        train(cur, work / "no-tokenizer", tiny_config(base_model=str(folder)))
    assert not (work / "no-tokenizer").exists()


def test_an_adapter_cut_short_or_missing_says_so(stack, tmp_path: Path) -> None:
    """A stage adapter cut short (a copy that did not finish) gave a safetensors traceback,
    exit 1; one without its weights file blamed the base model ("does not fit")."""
    import shutil

    from layerkit.train.modeling import load_adapter

    out = stack[0].out
    base = AutoModelForCausalLM.from_pretrained(out / "base")
    cut = tmp_path / "cut"
    shutil.copytree(out / "stages" / "01-lexical", cut)
    weights = cut / "adapter_model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    with pytest.raises(ModelError, match="cannot read the adapter's weights") as info:
        load_adapter(base, cut, trainable=False)
    assert "cut short" in info.value.hint
    weights.unlink()
    with pytest.raises(ModelError, match=r"has no adapter_model\.safetensors"):
        load_adapter(base, cut, trainable=False)


def test_what_a_run_killed_while_writing_left_keeps_no_new_run_out(work: Path, cur: Path) -> None:
    """The kill -9 audit: a run killed while it wrote run.json left ``.run.json.XXXXXXXX``,
    never removed, and a new run into the folder was refused ("a folder with other files in
    it"). Its temporary files name their writer now: one whose writer is gone is removed;
    a file of someone else's still keeps a new run out."""
    import socket

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    out = work / "killed-while-writing"
    out.mkdir()
    left = out / f".run.json.{socket.gethostname()}-{dead.stdout.strip()}.x1y2z3.tmp"
    left.write_text("{", encoding="utf-8")
    result, _ = run(work, out.name, tiny_config(), cur)
    assert not left.exists()
    assert (out / "run.json").is_file() and result.stages
    theirs = work / "someone-elses"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ConfigError, match="a folder with other files in it"):
        run(work, theirs.name, tiny_config(), cur)


class Killed(Exception):
    """A kill -9 right after a checkpoint, played in the process."""


def test_a_stage_trained_before_a_kill_says_its_own_speed(
    work: Path, cur: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kill -9 audit: a stage whose steps all ran before the kill (its last checkpoint
    saved, its metrics not yet) said 2,006,466 tokens/s once resumed: its tokens over the
    few milliseconds the resumed process spent on it. Its seconds are its steps' now."""
    from layerkit.train.loop import _Run

    config = tiny_config(max_steps=1, eval_generate=0, batch_size=8, gradient_accumulation=16)
    whole, _ = run(work, "one-step", config, cur)
    save = _Run._save_checkpoint

    def save_then_die(self: Any, k: int, step: int, *args: Any) -> None:
        save(self, k, step, *args)
        if k == 0 and step == 1:
            raise Killed

    monkeypatch.setattr(_Run, "_save_checkpoint", save_then_die)
    with pytest.raises(Killed):
        run(work, "one-step-killed", config, cur)
    monkeypatch.setattr(_Run, "_save_checkpoint", save)
    resumed, _ = run(work, "one-step-killed", config, cur, resume=True)
    first = sorted((resumed.out / "stages").iterdir())[0].name
    killed, unkilled = (_json(r.out / "stages" / first / "metrics.json") for r in (resumed, whole))
    assert killed["tokens"] == unkilled["tokens"]
    ratio = killed["tokens_per_second"] / unkilled["tokens_per_second"]
    assert 0.25 < ratio < 4, (killed["seconds"], unkilled["seconds"])
