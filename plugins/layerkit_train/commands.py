"""``layerkit train``, ``layerkit merge`` and ``layerkit ask``: parse, call, print.

Every training setting is a flag generated from :class:`layerkit.train.config.TrainConfig`, with
the help text written there, so ``layerkit train --help`` always matches what the code reads.
torch is imported only inside the commands, never when the CLI starts.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from layerkit.errors import UsageError
from layerkit.train.config import build_config, config_fields, field_kind, load_toml
from layerkit.train.errors import ConfigError
from layerkit.train.reporting import Reporter, StepLog

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
INSTALL_HINT = "pip install torch==2.13.0 'layerkit[train]' (CPU), or torch for your CUDA first."


@contextmanager
def needs_torch() -> Iterator[None]:
    try:
        import peft  # noqa: F401
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as exc:
        raise UsageError(
            f"training needs the train extra ({exc.name} is missing).", hint=INSTALL_HINT
        ) from None
    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()
    # peft still calls a transformers method deprecated for v6; nothing a user can act on.
    warnings.filterwarnings(
        "ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning
    )
    yield


def _setting_options() -> list[click.Option]:
    options = []
    for f in config_fields():
        kind = field_kind(f.name)
        flag = "--" + f.name.replace("_", "-")
        help_text = f.metadata["help"]
        default = f.default if f.default is not dataclasses.MISSING else None
        if default not in (None, "", ()) and kind != "bool":
            shown = ",".join(default) if isinstance(default, tuple) else default
            help_text += f"  [default: {shown}]"
        if kind == "bool":
            options.append(
                click.Option(
                    [f"{flag}/--no-{flag[2:]}", f.name],
                    default=None,
                    help=help_text
                    + f"  [default: {'auto' if default is None else 'on' if default else 'off'}]",
                )
            )
            continue
        choices = f.metadata.get("choices")
        click_type: Any = {"int": int, "float": float}.get(kind, str)
        if choices:
            click_type = click.Choice(choices)
        metavar = {"int": "N", "float": "X", "list": "A,B"}.get(kind, "TEXT")
        if f.name == "base_model":
            metavar = "PATH|tiny"
        options.append(
            click.Option(
                [flag, f.name],
                type=click_type,
                default=None,
                metavar=None if choices else metavar,
                help=help_text,
            )
        )
    return options


class RichReporter(Reporter):
    """Progress bars (steps, loss, tokens/s, ETA) and a line per finished stage, on stderr."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: TaskID | None = None
        self.eval_task: TaskID | None = None
        self.speed = 0.0

    def note(self, text: str) -> None:
        self.progress.console.print(text, markup=False)

    def stage_start(self, stage: str, steps: int, done: int, tokens_per_step: float) -> None:
        self.task = self.progress.add_task(
            f"train {stage}", total=steps, completed=done, loss="-", speed="-"
        )

    def step(self, log: StepLog) -> None:
        # An exponential average: a single slow step (a checkpoint) should not swing the rate.
        rate = log.tokens_per_second
        self.speed = rate if self.speed == 0 else 0.8 * self.speed + 0.2 * rate
        if self.task is not None:
            self.progress.update(
                self.task, completed=log.step, loss=f"{log.loss:.3f}", speed=f"{self.speed:,.0f}"
            )

    def stage_end(self, stage: str, metrics: dict[str, Any]) -> None:
        loss = metrics["train_loss"]
        validation = metrics["validation"]["loss"]
        tokens = metrics["tokens"]
        parts = [f"{stage}: {metrics['steps']} steps"]
        if loss["first"] is not None:
            parts.append(f"train loss {loss['first']:.3f} → {loss['last']:.3f}")
        if validation is not None:
            parts.append(f"validation loss {validation:.3f}")
        parts.append(
            f"{tokens['processed']:,} tokens ({tokens['supervised']:,} supervised, "
            f"{tokens['padding']:,} padding)"
        )
        if metrics["replay_share"]:
            parts.append(f"{metrics['records']['replayed']} replayed records")
        self.progress.console.print(", ".join(parts), markup=False)

    def eval_start(self, what: str, total: int) -> None:
        self.eval_task = self.progress.add_task(what, total=total, loss="", speed="")

    def eval_advance(self, n: int) -> None:
        if self.eval_task is not None:
            self.progress.advance(self.eval_task, n)

    def eval_end(self) -> None:
        if self.eval_task is not None:
            self.progress.remove_task(self.eval_task)
            self.eval_task = None


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]}"),
        TextColumn("{task.fields[speed]} tok/s"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=err,
    )


def summary_table(forgetting: dict[str, Any]) -> Table:
    """Test answer loss (and the task metric) of every stage after every stage."""
    stages = forgetting["stages"]
    metrics = forgetting.get("metrics", {})
    table = Table("after \\ test", *stages, title="Test answer loss (task metric) per stage")

    def cell(row: dict[str, Any] | None, name: str) -> str:
        if not row or row.get(name) is None or row[name]["loss"] is None:
            return "-"
        text = f"{row[name]['loss']:.3f}"
        extra = [
            f"{m.split('_')[0]} {row[name]['metrics'][m]:.2f}"
            for m in metrics
            if m in row[name]["metrics"]
        ]
        return text + (f" ({', '.join(extra)})" if extra else "")

    if forgetting.get("base"):
        table.add_row("base model", *(cell(forgetting["base"], n) for n in stages))
    for name, row in zip(stages, forgetting["matrix"], strict=True):
        table.add_row(name, *(cell(row, n) for n in stages))
    return table


@click.command()
@click.argument("curriculum", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Run folder to write.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path),
    help="A TOML file of settings (the flags below override it).",
)
@click.option(
    "--stage",
    "stage_settings",
    multiple=True,
    metavar="NAME.KEY=VALUE",
    help="A per-stage setting, e.g. --stage lexical.epochs=3 (repeatable).",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Continue the run in --out from its last checkpoint (same settings, same result).",
)
def train(
    curriculum: Path,
    out_dir: Path,
    config_file: Path | None,
    stage_settings: tuple[str, ...],
    resume: bool,
    **settings: Any,
) -> None:
    """Fine-tune a causal LM with LoRA on CURRICULUM, one stage after another.

    CURRICULUM is a folder written by `layerkit export sft`. The run folder gets one adapter per
    stage (stages/NN-layer/), test scores of every stage after every stage (forgetting.json and
    .png), loss curves (loss.png) and run.json.
    """
    base = load_toml(config_file) if config_file else {}
    if resume:
        # `--resume` alone continues the run with the settings it was started with (run.json);
        # a --config file and flags given anyway override them, and the run refuses any that
        # would change what it computes.
        base = {**_run_settings(out_dir), **base}
    config = build_config(base, settings, stage_settings)
    if resume and not config.base_model and not (out_dir / "run.json").is_file():
        # (it said "no base model given", as if the run had forgotten it)
        raise ConfigError(
            f"nothing to resume in {out_dir}: it holds no training run (no run.json).",
            hint="Check the folder; or start the run there with --base-model PATH (--resume "
            "then continues it).",
        )
    with needs_torch():
        from layerkit.train.loop import train as run_training

        # Under torchrun / accelerate launch every process runs this command; one reports.
        if int(os.environ.get("RANK", "0")) != 0:
            run_training(curriculum, out_dir, config, resume=resume)
            return
        with _progress() as progress:
            result = run_training(
                curriculum, out_dir, config, resume=resume, reporter=RichReporter(progress)
            )
    out.print(summary_table(result.forgetting))
    out.print(f"Run written to {out_dir} (adapters in {out_dir / 'stages'}).", markup=False)


train.params.extend(_setting_options())


def _run_settings(out_dir: Path) -> dict[str, Any]:
    """The settings a run in ``out_dir`` was started with (its run.json), or none."""
    run_json = out_dir / "run.json"
    if not run_json.is_file():
        return {}
    try:
        stored = json.loads(run_json.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"{run_json} cannot be read: {exc}",
            hint="Start a new run with another --out, or restore run.json.",
        ) from exc
    settings = stored.get("config") if isinstance(stored, dict) else None
    if not isinstance(settings, dict):
        raise ConfigError(
            f"{run_json} records no settings to resume with.",
            hint="Pass the settings again (--config or flags) with --resume.",
        )
    settings = {k: v for k, v in settings.items() if v is not None}
    # The base model where run.json says it is now (run.json's own base_model: absolute, and
    # moved along by `layerkit repoint`): a run started with a relative --base-model could
    # not be resumed from another folder, nor after the base model moved and was repointed.
    where = stored.get("base_model")
    if settings.get("base_model") not in (None, "tiny") and isinstance(where, str):
        settings["base_model"] = where
    return settings


@click.command()
@click.argument("run_dir", metavar="RUN", type=click.Path(path_type=Path))
@click.option(
    "-o", "--output", required=True, type=click.Path(path_type=Path), help="Model folder to write."
)
@click.option("--stage", help="Stage to merge (name or layer; default: the last finished one).")
def merge(run_dir: Path, output: Path, stage: str | None) -> None:
    """Write base model + a stage's adapter as one ordinary Hugging Face model folder."""
    with needs_torch():
        from layerkit.train.inference import merge_run

        name = merge_run(run_dir, output, stage)
    out.print(f"Merged {name} into {output}", markup=False)


@click.command()
@click.argument("run_dir", metavar="RUN", type=click.Path(path_type=Path))
@click.argument("text")
@click.option("--stage", help="Model to ask (name or layer; default: the last finished stage).")
@click.option(
    "--max-new-tokens", type=int, default=None, help="Longest answer (default: the run's setting)."
)
def ask(run_dir: Path, text: str, stage: str | None, max_new_tokens: int | None) -> None:
    """Run a trained model on the paragraph TEXT ('-' reads stdin), layer by layer.

    Each finished stage's question is asked in order, worded as in the curriculum; the answers of
    lower layers are shown to the higher ones as context, as the gold ones were in training.
    """
    from layerkit_train.asking import ask_layers

    if text == "-":
        text = sys.stdin.read()
    text = text.strip()
    if not text:
        raise UsageError("the paragraph is empty.", hint='Give the text: layerkit ask RUN "…"')
    with needs_torch():
        for name, answer in ask_layers(run_dir, text, stage, max_new_tokens):
            out.rule(name)
            out.print(answer, markup=False)


@click.command()
@click.argument("run_dir", metavar="RUN", type=click.Path(path_type=Path))
@click.option(
    "--base-model",
    "base_model",
    type=click.Path(path_type=Path),
    help="Where the base model is now (default: the run's own base/ for a tiny run, else the "
    "path run.json records).",
)
def repoint(run_dir: Path, base_model: Path | None) -> None:
    """Point a run's adapters at its base model again, after the run folder or the base model
    moved: every stage folder then loads with peft's AutoPeftModelForCausalLM as it is."""
    from layerkit.train.inference import repoint_run

    base, count = repoint_run(run_dir, base_model)
    out.print(f"{count} adapter(s) of {run_dir} now name {base}", markup=False)
