"""`layerkit train`, `merge` and `ask` from the command line, and the README's demo end to end:
sample corpus → export sft → train --base-model tiny → ask."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from conftest import REPO
from peft import PeftModel
from test_train_support import one_thread, write_curriculum  # noqa: F401
from transformers import AutoModelForCausalLM

from layerkit.cli import main

TINY = [
    "--base-model", "tiny", "--tiny-hidden-size", "32", "--tiny-heads", "2", "--lora-r", "4",
    "--lora-alpha", "8", "--batch-size", "2", "--eval-generate", "1", "--max-new-tokens", "16",
]  # fmt: skip


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README demo on the bundled sample corpus, two stages to keep it quick."""
    work = tmp_path_factory.mktemp("demo")
    db = str(work / "sample.db")
    assert main(["--db", db, "init"]) == 0
    assert main(["--db", db, "import", str(REPO / "sample_corpus")]) == 0
    assert (
        main(["--db", db, "export", "sft", "-o", str(work / "cur"), "--stages", "lexical,semantic"])
        == 0
    )
    return work


def test_demo_export_train_ask_merge(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = demo / "run"
    capsys.readouterr()
    code, out, err = cli(
        capsys, "train", str(demo / "cur"), "-o", str(run), *TINY, "--max-seq-length", "4096",
        "--max-steps", "4", "--stage", "semantic.max_steps=2",
    )  # fmt: skip
    assert code == 0, err
    assert "Test answer loss" in out and "01-lexical" in out and "base model" in out
    assert "01-lexical: 4 steps, train loss" in err and "02-semantic: 2 steps" in err
    forgetting = json.loads((run / "forgetting.json").read_text(encoding="utf-8"))
    assert forgetting["stages"] == ["01-lexical", "02-semantic"]
    for j, name in enumerate(forgetting["stages"]):
        assert forgetting["answer_loss"][j][j] < forgetting["base"][name]["loss"]
    lexical = json.loads(
        (run / "stages" / "01-lexical" / "metrics.json").read_text(encoding="utf-8")
    )
    assert lexical["train_loss"]["last"] < lexical["train_loss"]["first"]

    code, out, err = cli(
        capsys, "ask", str(run), "Мама мыла раму, а папа читал газету.", "--max-new-tokens", "8"
    )
    assert code == 0, err
    assert "01-lexical" in out and "02-semantic" in out

    code, out, err = cli(
        capsys, "merge", str(run), "-o", str(demo / "merged"), "--stage", "lexical"
    )
    assert code == 0, err
    assert "Merged 01-lexical" in out
    # weights others can read, as the umask says (safetensors writes its files 0600)
    from layerkit.atomic import umasked

    for weights in (
        run / "stages" / "01-lexical" / "adapter_model.safetensors",
        run / "base" / "model.safetensors",
        demo / "merged" / "model.safetensors",
    ):
        assert weights.stat().st_mode & 0o777 == umasked(0o666), weights
    ids = torch.tensor([[5, 17, 42, 99, 7]])
    merged = AutoModelForCausalLM.from_pretrained(demo / "merged").eval()
    adapter = PeftModel.from_pretrained(
        AutoModelForCausalLM.from_pretrained(run / "base"), run / "stages" / "01-lexical"
    ).eval()
    with torch.no_grad():
        torch.testing.assert_close(merged(ids).logits, adapter(ids).logits, atol=1e-4, rtol=1e-4)

    # The run folder moved: `ask` still finds its base model, and after `layerkit repoint`
    # peft's AutoPeftModelForCausalLM loads a stage folder as it is.
    from peft import AutoPeftModelForCausalLM

    moved = demo / "moved-run"
    run.rename(moved)
    stage = moved / "stages" / "01-lexical"
    with pytest.raises(OSError):  # the adapter names the base where the run was
        AutoPeftModelForCausalLM.from_pretrained(stage)
    code, out, err = cli(capsys, "repoint", str(moved))
    assert code == 0, err
    assert "2 adapter(s)" in out and str((moved / "base").resolve()) in out
    loaded = AutoPeftModelForCausalLM.from_pretrained(stage).eval()
    with torch.no_grad():
        torch.testing.assert_close(loaded(ids).logits, adapter(ids).logits, atol=1e-4, rtol=1e-4)
    code, _, err = cli(capsys, "repoint", str(moved), "--base-model", str(demo))
    assert code == 2 and "not a model folder" in err


def test_cli_errors_exit_2_with_a_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cur = write_curriculum(tmp_path / "cur")
    code, _, err = cli(
        capsys, "train", str(cur), "-o", str(tmp_path / "r"), "--base-model", str(tmp_path / "nope")
    )
    assert code == 2
    assert "Cannot use the base model" in err and "does not exist" in err and "Hint:" in err
    assert not (tmp_path / "r").exists()  # checked before anything is written

    manifest = json.loads((cur / "manifest.json").read_text(encoding="utf-8"))
    manifest["format_version"] = 2
    (cur / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    code, _, err = cli(capsys, "train", str(cur), "-o", str(tmp_path / "r"), "--base-model", "tiny")
    assert code == 2
    assert "Cannot read the curriculum" in err and "format version 2" in err

    code, _, err = cli(capsys, "train", str(cur), "-o", str(tmp_path / "r"), "--replay", "1.5")
    assert code == 2 and "replay" in err

    code, _, err = cli(capsys, "ask", str(tmp_path / "nothing"), "Текст.")
    assert code == 2 and "not a training run" in err


def test_train_help_lists_every_setting(capsys: pytest.CaptureFixture[str]) -> None:
    from layerkit.train.config import config_fields

    code, out, _ = cli(capsys, "train", "--help")
    assert code == 0
    for field in config_fields():
        assert "--" + field.name.replace("_", "-") in out


def test_training_commands_load_only_when_they_run(capsys: pytest.CaptureFixture[str]) -> None:
    """``layerkit --help`` lists the training commands as their own help says, without
    importing them (their options come from the training configuration: 0.1 s of imports
    every other command would pay); a command imports its module when it runs."""
    import subprocess
    import sys

    import click
    from layerkit_train import COMMANDS, LazyCommand, commands

    for name in COMMANDS:
        real = getattr(commands, name)
        lazy = LazyCommand(name, COMMANDS[name])
        for limit in (45, 60, 200):
            assert lazy.get_short_help_str(limit) == real.get_short_help_str(limit), name
    probe = (
        "import sys; from layerkit.cli import main; code = main(['--help']); "
        "print('LOADED', 'layerkit_train.commands' in sys.modules, 'pydantic' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert "LOADED False False" in result.stdout
    assert "repoint" in result.stdout and "Fine-tune a causal LM" in result.stdout
    code, out, _ = cli(capsys, "repoint", "--help")
    assert code == 0 and "--base-model" in out
    assert isinstance(commands.repoint, click.Command)


def test_a_start_that_fails_before_training_leaves_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A start refused after its run.json was written (here: records longer than
    --max-seq-length) left a run that neither a new start ("already holds a training run")
    nor --resume with the setting fixed ("other settings") would take."""
    cur = write_curriculum(tmp_path / "cur")
    run = tmp_path / "r"
    too_short = ["--base-model", "tiny", "--max-seq-length", "32", "--eval-generate", "0"]
    code, _, err = cli(capsys, "train", str(cur), "-o", str(run), *too_short)
    assert code == 2 and "Hint:" in err, err
    assert not run.exists()
    run.mkdir()  # an empty folder given: left empty
    code, _, err = cli(capsys, "train", str(cur), "-o", str(run), *too_short)
    assert code == 2 and list(run.iterdir()) == []

    afile = tmp_path / "afile"
    afile.write_text("notes", encoding="utf-8")
    code, _, err = cli(capsys, "train", str(cur), "-o", str(afile), "--base-model", "tiny")
    assert code == 2 and "it is a file" in err  # (a NotADirectoryError traceback)
    assert afile.read_text(encoding="utf-8") == "notes"

    code, _, err = cli(capsys, "train", str(cur), "-o", str(tmp_path / "none"), "--resume")
    assert code == 2 and "nothing to resume" in err  # (it said "no base model given")


def test_a_full_disk_while_training_is_said_as_such() -> None:
    """torch.save on a full disk raises a RuntimeError ("unexpected pos"), other writes
    ENOSPC: both were tracebacks (exit 1); the run's error says so and how to go on."""
    import errno

    from layerkit.train.loop import _write_failure

    torn = RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 173696 vs 1")
    said = _write_failure(torn, Path("run"))
    assert said is not None and said.title == "Cannot write the run" and "--resume" in said.hint
    full = _write_failure(OSError(errno.ENOSPC, "No space left on device"), Path("run"))
    assert full is not None and full.title == "Disk full" and full.exit_code == 2
    assert _write_failure(RuntimeError("shape mismatch"), Path("run")) is None


def test_resume_from_elsewhere_and_after_the_base_moved(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run started with a relative --base-model could not be resumed from another folder
    ("base model models/base does not exist"), nor after the base model moved, even once
    `layerkit repoint` had told the run where it is."""
    cur = write_curriculum(tmp_path / "cur")
    tiny = [*TINY, "--max-steps", "1", "--eval-generate", "0"]
    code, _, err = cli(capsys, "train", str(cur), "-o", str(tmp_path / "first"), *tiny)
    assert code == 0, err
    models = tmp_path / "models"
    models.mkdir()
    (tmp_path / "first" / "base").rename(models / "base")
    own = ["--lora-r", "4", "--batch-size", "2", "--max-steps", "1", "--eval-generate", "0"]
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, "train", "cur", "-o", "run", "--base-model", "models/base", *own)
    assert code == 0, err
    info = json.loads((tmp_path / "run" / "run.json").read_text(encoding="utf-8"))
    assert info["config"]["base_model"] == str((models / "base").resolve())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    run = str(tmp_path / "run")
    code, _, err = cli(capsys, "train", str(cur), "-o", run, "--resume")
    assert code == 0, err
    (models / "base").rename(models / "moved")
    code, _, err = cli(capsys, "repoint", run, "--base-model", str(models / "moved"))
    assert code == 0, err
    for more in ([], ["--base-model", str(models / "moved")]):
        code, _, err = cli(capsys, "train", str(cur), "-o", run, "--resume", *more)
        assert code == 0, err
