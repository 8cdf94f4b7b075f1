"""The stage loop of ``layerkit train``: one LoRA stage per curriculum stage, in manifest order.

A run directory holds::

    run.json            config, versions, curriculum manifest hash, data statistics, status
    base/               the tiny base model and tokenizer (``--base-model tiny`` only)
    stages/NN-<layer>/  the adapter after that stage, the tokenizer, metrics.json
    checkpoints/        the latest resumable checkpoint (see layerkit.train.checkpoint)
    forgetting.json/png test scores of every stage after every stage
    loss.png            training and validation loss

Each stage's adapter applies to the base model as it is: with ``stack`` it is the one adapter
trained through all stages so far; with ``merge`` it is the sum of the merged stage adapters,
written as a single LoRA (see :func:`layerkit.train.modeling.write_cumulative_adapter`). So a
stage is always "base + that folder", in layerkit or in plain peft.

Determinism: the data order, the replay sample and every adapter's initialisation derive from the
seed and the stage number; dropout's RNG is seeded at each stage start and saved in checkpoints.
A resumed run rebuilds the model of the stage it stopped in from the previous stage's folder and
the checkpoint, and so computes what the uninterrupted run computes.
"""

from __future__ import annotations

import errno
import json
import math
import platform
import shutil
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch

import layerkit
from layerkit.atomic import honour_umask, remove_abandoned
from layerkit.train import plots
from layerkit.train.batching import (
    MicroBatch,
    StagePlan,
    collate,
    plan_stage,
    replay_count,
    replay_sample,
)
from layerkit.train.checkpoint import (
    Checkpoints,
    Position,
    atomic_dir,
    rng_state,
    set_rng_state,
    write_json,
)
from layerkit.train.config import Schedule, TrainConfig
from layerkit.train.curriculum_reader import Curriculum, Stage
from layerkit.train.encoding import ChatEncoder, Encoded, setup_chat_template, stop_token_ids
from layerkit.train.errors import ConfigError, TrainError
from layerkit.train.evaluate import Score, score_stage
from layerkit.train.inference import EXAMPLE
from layerkit.train.modeling import (
    Runtime,
    add_lora,
    answer_loss,
    check_base,
    check_model_dir,
    generation_eos,
    load_adapter,
    load_base,
    load_tokenizer,
    lora_factors,
    make_runtime,
    out_of_memory_hint,
    pad_id,
    read_adapter,
    supports_logits_to_keep,
    write_cumulative_adapter,
)
from layerkit.train.reporting import Reporter, StepLog
from layerkit.train.tiny import build_tiny_base

RUN_JSON = "run.json"
FORGETTING_JSON = "forgetting.json"
RUN_FORMAT_VERSION = 1
# Settings a resumed run may change: they do not change what is computed.
RESUME_FREE = ("checkpoint_every",)


def stage_seed(seed: int, stage: int) -> int:
    return seed * 1009 + stage + 1


def lr_scheduler(optimizer: Any, total: int, schedule: Schedule) -> Any:
    """transformers' schedule of that name (``cosine``, ``linear``, ``constant``, each after a
    linear warmup over ``warmup_ratio`` of the ``total`` optimizer steps): the schedules every
    Hugging Face trainer uses, so a stage here and in TRL follows the same learning rates."""
    from transformers import get_scheduler

    name = {"constant": "constant_with_warmup"}.get(schedule.lr_scheduler, schedule.lr_scheduler)
    return get_scheduler(
        name,
        optimizer,
        num_warmup_steps=math.ceil(schedule.warmup_ratio * total),
        num_training_steps=max(1, total),
    )


@dataclass
class StageData:
    train: list[Encoded]
    validation: list[Encoded]
    test: list[Encoded]
    test_records: list[dict[str, Any]]
    example: dict[str, Any] | None


@dataclass(frozen=True)
class StageRun:
    """What training a stage used, for its metrics."""

    plan: StagePlan
    replayed: int
    mixed: int
    schedule: Schedule
    started: float


@dataclass
class RunResult:
    """What a finished run produced (all of it is also on disk)."""

    out: Path
    stages: list[str]
    forgetting: dict[str, Any]
    history: list[dict[str, Any]]
    stage_metrics: dict[str, dict[str, Any]] = field(default_factory=dict)


def versions() -> dict[str, str]:
    import importlib.metadata

    out = {"python": platform.python_version(), "layerkit": layerkit.__version__}
    for name in ("torch", "transformers", "peft", "accelerate", "tokenizers", "safetensors"):
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


def train(
    curriculum: Path,
    out: Path,
    config: TrainConfig,
    *,
    resume: bool = False,
    reporter: Reporter | None = None,
) -> RunResult:
    """Train every stage of ``curriculum`` into ``out`` (see the module docstring)."""
    if not config.base_model:
        raise ConfigError(
            "no base model given.", hint="Pass --base-model PATH (or --base-model tiny)."
        )
    cur = Curriculum.open(curriculum)
    config.check_stage_keys([s.name for s in cur.stages], [s.layer for s in cur.stages])
    if not config.is_tiny:
        check_model_dir(Path(config.base_model).expanduser())
        # kept absolute (run.json records it): a relative path means nothing from elsewhere
        config = replace(config, base_model=str(Path(config.base_model).expanduser().resolve()))
    runtime = make_runtime(config)
    threads = torch.get_num_threads()
    if config.is_tiny and runtime.device.type == "cpu":
        # The tiny model's matrices are too small to split among threads: OpenMP's threads
        # would spend more time waiting for each other than computing (5x slower, measured).
        torch.set_num_threads(1)
    try:
        return _Run(cur, out, config, runtime, reporter or Reporter()).execute(resume)
    except (OSError, RuntimeError) as exc:
        unwritten = _write_failure(exc, out)
        if unwritten is None:
            raise
        raise unwritten from exc
    finally:
        torch.set_num_threads(threads)


def _same_base(before: Any, now: Any, recorded: Any) -> bool:
    """Whether a resumed run's base model is the one it was started on: the same folder as
    the run recorded it (a relative path from before, resolved here; the place run.json's
    ``base_model`` names now, where ``layerkit repoint`` moved it)."""
    if not isinstance(now, str) or now == "tiny" or not isinstance(before, str):
        return False
    here = Path(now).expanduser().resolve()
    places = [Path(before).expanduser().resolve()]
    if isinstance(recorded, str):
        places.append(Path(recorded).expanduser().resolve())
    return here in places


def _write_failure(exc: BaseException, out: Path) -> TrainError | None:
    """The run's error for a write that failed (a full disk: ``torch.save`` says "unexpected
    pos", other writes ENOSPC), or None for anything else. The last checkpoint is whole
    (``latest.json`` names it only once it is), so the run resumes from it."""
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    full = getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT)
    torch_save_failed = isinstance(exc, RuntimeError) and any(
        mark in reason for mark in ("unexpected pos", "PytorchStreamWriter", "file write failed")
    )
    if not full and not torch_save_failed:
        return None
    return TrainError(
        f"could not write the run in {out}: {'the disk is full' if full else reason}.",
        hint="Free some space (or give --out on another disk), then run the same command with "
        "--resume: it goes on from the last checkpoint.",
        title="Disk full" if full else "Cannot write the run",
    )


class _Run:
    def __init__(
        self, cur: Curriculum, out: Path, config: TrainConfig, runtime: Runtime, reporter: Reporter
    ) -> None:
        self.cur = cur
        self.out = out
        self.config = config
        self.runtime = runtime
        self.reporter = reporter if runtime.main else Reporter()
        self.checkpoints = Checkpoints(out / "checkpoints")
        self.history: list[dict[str, Any]] = []
        self.rows: dict[int, dict[str, Any]] = {}
        self.base_row: dict[str, Any] | None = None
        self.validation: dict[str, float] = {}
        self.stage_metrics: dict[str, dict[str, Any]] = {}
        self._starting = False  # this run was started here, not resumed (_take_back_start)
        self._made_folder = False  # and its folder made for it

    # -- set-up ---------------------------------------------------------------------------

    @property
    def base_path(self) -> Path:
        if self.config.is_tiny:
            return (self.out / "base").resolve()
        return Path(self.config.base_model).expanduser().resolve()

    def stage_dir(self, stage: Stage) -> Path:
        return self.out / "stages" / stage.slug

    def _run_info(self) -> dict[str, Any]:
        return {
            "format": "layerkit-train-run",
            "format_version": RUN_FORMAT_VERSION,
            "config": self.config.to_dict(),
            "versions": versions(),
            "curriculum": {
                "path": str(self.cur.root.resolve()),
                "manifest_sha256": self.cur.manifest_sha256,
                "layerkit_version": self.cur.manifest.get("layerkit_version"),
                "seed": self.cur.manifest.get("seed"),
                "stage_order": [s.name for s in self.cur.stages],
            },
            "base_model": str(self.base_path),
            "stages": {s.name: f"stages/{s.slug}" for s in self.cur.stages},
            "device": str(self.runtime.device),
            "precision": self.runtime.precision,
            "world_size": self.runtime.world,
            "completed": False,
        }

    def _prepare_dir(self, resume: bool) -> Position | None:
        run_json = self.out / RUN_JSON
        if self.out.exists() and not self.out.is_dir():
            raise ConfigError(
                f"cannot write the run to {self.out}: it is a file.",
                hint="Give --out a new or empty folder (or a run's folder, with --resume).",
            )
        if self.runtime.main:
            # (what a killed run left half-written, .run.json.HOST-PID.*.tmp: not a run's files,
            # nor "other files" that keep a new run out)
            remove_abandoned(self.out)
        self.runtime.barrier()
        started = run_json.is_file()
        occupied = self.out.exists() and any(self.out.iterdir())
        self.runtime.barrier()  # every process looks before the first one writes
        if started:
            if not resume:
                raise ConfigError(
                    f"{self.out} already holds a training run.",
                    hint="Pass --resume to continue it, or choose another --out.",
                )
            stored = json.loads(run_json.read_text(encoding="utf-8"))
            self._check_same_run(stored)
            return self.checkpoints.latest()
        if occupied and not resume:
            raise ConfigError(
                f"{self.out} is a folder with other files in it.",
                hint="Choose a new or empty folder for --out.",
            )
        if self.runtime.main:
            self._made_folder = not self.out.exists()
            self.out.mkdir(parents=True, exist_ok=True)
            write_json(run_json, self._run_info())
        self._starting = True
        self.runtime.barrier()
        return None

    def _take_back_start(self) -> None:
        """A start that failed before its first step (a base model that is not one, a record
        too long) leaves nothing: its run.json made the folder a run that neither a new start
        nor --resume with the fixed setting would take."""
        if not (self._starting and self.runtime.main):
            return
        if self._made_folder:
            shutil.rmtree(self.out, ignore_errors=True)
            return
        for child in self.out.iterdir():  # (the folder was empty: what is in it is ours)
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)

    def _check_same_run(self, stored: dict[str, Any]) -> None:
        now = self.config.to_dict()
        before = dict(stored.get("config", {}))
        if _same_base(before.get("base_model"), now.get("base_model"), stored.get("base_model")):
            before["base_model"] = now.get("base_model")
        changed = sorted(
            k for k in (set(now) | set(before)) - set(RESUME_FREE) if now.get(k) != before.get(k)
        )
        if changed:
            shown = ", ".join(f"{k} ({before.get(k)!r} → {now.get(k)!r})" for k in changed[:5])
            raise ConfigError(
                f"--resume with other settings than the run in {self.out}: {shown}.",
                hint="Resume with the same settings (run.json lists them), or start a new --out "
                "(a base model that moved: `layerkit repoint RUN --base-model PATH`, then "
                "--resume).",
            )
        if stored.get("curriculum", {}).get("manifest_sha256") != self.cur.manifest_sha256:
            raise ConfigError(
                f"--resume with another curriculum than the run in {self.out} was trained on.",
                hint="Resume with the curriculum named in run.json, or start a new --out.",
            )

    def _load_data(self, encoder: ChatEncoder) -> list[StageData]:
        data = []
        skip = self.config.skip_long_records
        for stage in self.cur.stages:
            parts: dict[str, list[Encoded]] = {}
            raw_test: list[dict[str, Any]] = []
            example = None
            for split in ("train", "validation", "test"):
                records = self.cur.records(stage, split)
                if example is None:
                    example = _example(records, stage.context_task)
                encoded, report = encoder.encode_all(
                    records, skip_long=skip, what=f"{stage.name} {split}"
                )
                parts[split] = encoded
                if split == "test":
                    raw_test = records
                if report.skipped_long:
                    self.reporter.note(
                        f"{stage.name} {split}: skipped {report.skipped_long} record(s) longer "
                        f"than {self.config.max_seq_length} tokens (longest {report.longest})."
                    )
            train = parts["train"]
            self.reporter.note(
                f"{stage.name}: {len(train)} training records, "
                f"{sum(len(e) for e in train)} tokens, {sum(e.supervised for e in train)} supervised; "
                f"{len(parts['validation'])} validation, {len(parts['test'])} test records."
            )
            data.append(StageData(train, parts["validation"], parts["test"], raw_test, example))
        return data

    def _prepare_base(self) -> None:
        if not self.config.is_tiny:
            return
        base = self.out / "base"
        if (base / "config.json").is_file():
            return
        if self.runtime.main:
            texts = [
                m["content"]
                for stage in self.cur.stages
                for record in self.cur.records(stage, "train")
                for m in record["messages"]
            ]
            with atomic_dir(base) as tmp:
                build_tiny_base(
                    texts,
                    tmp,
                    vocab_size=self.config.tiny_vocab_size,
                    hidden_size=self.config.tiny_hidden_size,
                    layers=self.config.tiny_layers,
                    heads=self.config.tiny_heads,
                    max_positions=self.config.max_seq_length,
                    seed=self.config.seed,
                )
                honour_umask(tmp)
        self.runtime.barrier()

    # -- the run --------------------------------------------------------------------------

    def execute(self, resume: bool) -> RunResult:
        position = self._prepare_dir(resume)
        try:
            base = self._set_up()
        except Exception:
            self._take_back_start()
            raise
        return self._train(position, base)

    def _set_up(self) -> Any:
        """The base model, tokenizer and encoded data (nothing trained yet: a failure here
        takes back a fresh start, :meth:`_take_back_start`)."""
        self._prepare_base()
        tokenizer = load_tokenizer(self.base_path)
        template = setup_chat_template(tokenizer, self.config.chat_template)
        self.tokenizer = tokenizer
        self.encoder = ChatEncoder(
            tokenizer,
            self.config.max_seq_length,
            stop_token_ids(tokenizer, generation_eos(self.base_path)),
        )
        self.pad_id = pad_id(tokenizer)
        self.data = self._load_data(self.encoder)
        if self.runtime.main:
            info = json.loads((self.out / RUN_JSON).read_text(encoding="utf-8"))
            # a run resumed after its folder was moved names its base where it is now, and
            # so do the adapters written before the move (they named the old place)
            info["base_model"] = str(self.base_path)
            # and the curriculum where it is now (a resume checks it by its manifest's hash)
            info.setdefault("curriculum", {})["path"] = str(self.cur.root.resolve())
            for stage in self.cur.stages:
                self._name_the_base(self.stage_dir(stage))
            info["chat_template"] = template
            info["end_of_turn"] = self.encoder.end_of_turn
            info["data"] = {
                s.name: {
                    split: {
                        "records": len(getattr(d, split)),
                        "tokens": sum(len(e) for e in getattr(d, split)),
                        "supervised": sum(e.supervised for e in getattr(d, split)),
                    }
                    for split in ("train", "validation", "test")
                }
                for s, d in zip(self.cur.stages, self.data, strict=True)
            }
            write_json(self.out / RUN_JSON, info)
        base = load_base(self.base_path, self.config, self.runtime)
        check_base(base, tokenizer, self.base_path, self.config)
        self.keep_logits = supports_logits_to_keep(base)
        return base

    def _train(self, position: Position | None, base: Any) -> RunResult:
        done = 0
        if position is not None:
            done = position.stage + 1 if position.done else position.stage
            self._restore_records(position)
            if done >= len(self.cur.stages):
                # (it said "resuming at" the last stage, which it then did not train)
                self.reporter.note("every stage is trained already: nothing to resume")
            else:
                self.reporter.note(
                    f"resuming at {self.cur.stages[done].name}"
                    + (f", step {position.step}" if not position.done and position.step else "")
                )
        if self.base_row is None:
            self.base_row = self._score_all(base, "the base model")
            self._write_results()
        model: Any = None
        for k, stage in enumerate(self.cur.stages):
            if k < done:
                continue
            model = self._stage_model(k, model, base)
            mid = (
                position
                if position is not None and position.stage == k and not position.done
                else None
            )
            trained = self._train_stage(k, stage, model, mid)
            self._finish_stage(k, stage, model, trained)
        if self.runtime.main:
            info = json.loads((self.out / RUN_JSON).read_text(encoding="utf-8"))
            info["completed"] = True
            write_json(self.out / RUN_JSON, info)
        self.runtime.barrier()
        return RunResult(
            self.out,
            [s.name for s in self.cur.stages],
            self._matrix(),
            self.history,
            self.stage_metrics,
        )

    def _restore_records(self, position: Position) -> None:
        folder = self.checkpoints.folder(position)
        self.history = json.loads((folder / "history.json").read_text(encoding="utf-8"))
        results = self.out / FORGETTING_JSON
        if results.is_file():
            stored = json.loads(results.read_text(encoding="utf-8"))
            self.base_row = stored.get("base")
            last = position.stage if position.done else position.stage - 1
            for i, row in enumerate(stored.get("matrix", [])):
                if row is not None and i <= last:
                    self.rows[i] = row
            for name, value in stored.get("validation", {}).items():
                self.validation[name] = value
        for k, stage in enumerate(self.cur.stages):
            metrics = self.stage_dir(stage) / "metrics.json"
            if k in self.rows and metrics.is_file():
                self.stage_metrics[stage.name] = json.loads(metrics.read_text(encoding="utf-8"))

    def _stage_model(self, k: int, previous: Any, base: Any) -> Any:
        """The model stage ``k`` starts from: in memory when the run went on, from the previous
        stage's folder after a restart (which holds exactly the weights the run had)."""
        seed = stage_seed(self.config.seed, k)
        if k == 0:
            return add_lora(base, self.config, seed)
        before = self.stage_dir(self.cur.stages[k - 1])
        if self.config.strategy == "stack":
            if previous is not None:
                return previous
            return load_adapter(base, before, trainable=True)
        if previous is None:
            previous = load_adapter(base, before, trainable=False)
        return add_lora(previous.merge_and_unload(), self.config, seed)

    def _stage_examples(self, k: int) -> tuple[list[Encoded], int]:
        current = self.data[k].train
        earlier = [e for d in self.data[:k] for e in d.train]
        count = replay_count(len(current), len(earlier), self.config.replay)
        replayed = [earlier[i] for i in replay_sample(len(earlier), count, self.config.seed, k)]
        return current + replayed, count

    def _train_stage(self, k: int, stage: Stage, model: Any, mid: Position | None) -> StageRun:
        config, runtime = self.config, self.runtime
        schedule = config.schedule(stage.name, stage.layer)
        examples, replayed = self._stage_examples(k)
        plan = plan_stage(
            [len(e) for e in examples],
            seed=config.seed,
            stage=k,
            epochs=schedule.epochs,
            max_steps=schedule.max_steps,
            batch_size=config.batch_size,
            per_step=config.gradient_accumulation * runtime.world,
            max_len=config.max_seq_length,
            packing=config.packing,
            flat=config.flat,
        )
        params = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(params, lr=schedule.lr, weight_decay=config.weight_decay)
        scheduler = lr_scheduler(optimizer, plan.steps, schedule)
        start = 0
        if mid is not None:
            start = self._load_checkpoint(mid, model, optimizer, scheduler)
        else:
            torch.manual_seed(stage_seed(config.seed, k))
            self.history = [h for h in self.history if h["stage_index"] < k]
        trained = StageRun(plan, replayed, len(examples), schedule, time.perf_counter())
        if plan.steps == 0:
            self.reporter.note(f"{stage.name}: no training records; the adapter is unchanged.")
            self._save_checkpoint(k, 0, model, optimizer, scheduler)
        per_step = sum(_stats(examples, mb)[1] for mb in plan.micro_batches) / max(1, plan.steps)
        self.reporter.stage_start(stage.name, plan.steps, start, per_step)
        wrapped = self._wrap(model)
        model.train()
        global_base = sum(1 for h in self.history if h["stage_index"] < k)
        for step in range(start, plan.steps):
            t0 = time.perf_counter()
            with out_of_memory_hint(config, f"in {stage.name}, step {step + 1}"):
                loss_sum, grad_norm, lr = self._step(
                    wrapped, params, examples, plan, step, optimizer, scheduler, stage.name
                )
            stats = [_stats(examples, mb) for mb in plan.step(step)]
            supervised = sum(s[2] for s in stats)
            log = StepLog(
                stage=stage.name,
                step=step + 1,
                steps=plan.steps,
                global_step=global_base + step + 1,
                loss=loss_sum / supervised,
                lr=lr,
                grad_norm=grad_norm,
                records=sum(s[0] for s in stats),
                tokens=sum(s[1] for s in stats),
                supervised=supervised,
                padding=sum(s[3] for s in stats),
                seconds=time.perf_counter() - t0,
            )
            self.history.append({**log.to_dict(), "stage_index": k})
            self.reporter.step(log)
            if (step + 1) % config.checkpoint_every == 0 or step + 1 == plan.steps:
                self._save_checkpoint(k, step + 1, model, optimizer, scheduler)
        return trained

    def _step(
        self,
        model: Any,
        params: list[torch.nn.Parameter],
        examples: list[Encoded],
        plan: StagePlan,
        step: int,
        optimizer: torch.optim.Optimizer,
        scheduler: Any,
        stage_name: str = "",
    ) -> tuple[float, float, float]:
        """One optimizer step over this process's share of the step's micro-batches.

        The summed loss is divided by the supervised tokens of the whole step (all micro-batches
        of all processes), so every answer token weighs the same whatever the accumulation and
        the number of GPUs; DDP averages gradients, hence the factor ``world``.
        """
        runtime = self.runtime
        micro = plan.step(step)
        supervised = sum(_stats(examples, mb)[2] for mb in micro)
        mine: list[MicroBatch | None] = list(micro[runtime.rank :: runtime.world])
        rounds = math.ceil(len(micro) / runtime.world)
        mine += [None] * (rounds - len(mine))
        total = torch.zeros((), device=runtime.device)
        for i, mb in enumerate(mine):
            weight = 1.0 if mb is not None else 0.0
            batch = collate(examples, mb if mb is not None else micro[0], self.pad_id).to(
                runtime.device
            )
            sync = i == len(mine) - 1 or runtime.world == 1
            with _no_sync(model, not sync), runtime.autocast():
                loss_sum, _ = answer_loss(model, batch, self.keep_logits)
                (loss_sum * (weight * runtime.world / supervised)).backward()
            total += loss_sum.detach() * weight
        if runtime.world > 1:
            torch.distributed.all_reduce(total)
        limit = self.config.max_grad_norm if self.config.max_grad_norm > 0 else math.inf
        norm = torch.nn.utils.clip_grad_norm_(params, limit)
        lr = float(optimizer.param_groups[0]["lr"])
        if not (math.isfinite(float(total)) and math.isfinite(float(norm))):
            # Diverged: this step would make the adapter's weights NaN, and every stage after
            # would train on them and report nan (exit 0, NaN adapters saved). Stopped before
            # the step: the checkpoints so far hold weights from before it.
            raise TrainError(
                f"training diverged at step {step + 1} of {stage_name}: the loss is "
                f"{float(total)}, the gradient norm {float(norm)} (peak learning rate "
                f"{optimizer.param_groups[0].get('initial_lr', lr):g}).",
                hint="Lower --lr (or that stage's lr), raise --warmup-ratio, or keep "
                "--max-grad-norm on; then start again in a new --out (what was trained so far "
                "is in this one's checkpoints).",
                title="Training diverged",
            )
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        return float(total), float(norm), lr

    def _wrap(self, model: Any) -> Any:
        if self.runtime.world == 1:
            return model
        from torch.nn.parallel import DistributedDataParallel

        ids = [self.runtime.device.index] if self.runtime.device.type == "cuda" else None
        return DistributedDataParallel(model, device_ids=ids)

    # -- checkpoints ----------------------------------------------------------------------

    def _save_checkpoint(
        self, k: int, step: int, model: Any, optimizer: Any, scheduler: Any
    ) -> None:
        runtime = self.runtime
        folder = self.checkpoints.new_folder(k, step) if runtime.main else None
        if runtime.world > 1:
            shared = [str(folder) if folder else ""]
            torch.distributed.broadcast_object_list(shared, src=0)
            folder = Path(shared[0])
        assert folder is not None
        torch.save(rng_state(), folder / f"rng-{runtime.rank}.pt")
        if runtime.main:
            trainable = {
                n: p.detach().cpu() for n, p in model.named_parameters() if p.requires_grad
            }
            torch.save(trainable, folder / "adapter.pt")
            torch.save(
                {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()},
                folder / "optimizer.pt",
            )
            (folder / "history.json").write_text(json.dumps(self.history), encoding="utf-8")
        runtime.barrier()
        if runtime.main:
            self.checkpoints.commit(Position(k, step, False, folder.name))
        runtime.barrier()

    def _load_checkpoint(
        self, position: Position, model: Any, optimizer: Any, scheduler: Any
    ) -> int:
        folder = self.checkpoints.folder(position)
        trainable = torch.load(folder / "adapter.pt", map_location=self.runtime.device)
        named = dict(model.named_parameters())
        missing = sorted(set(trainable) - set(named))
        if missing:
            raise TrainError(
                f"the checkpoint in {folder} does not fit the model (e.g. {missing[0]}).",
                hint="Start a new run in another --out folder.",
            )
        with torch.no_grad():
            for name, value in trainable.items():
                named[name].copy_(value)
        states = torch.load(folder / "optimizer.pt", map_location=self.runtime.device)
        optimizer.load_state_dict(states["optimizer"])
        scheduler.load_state_dict(states["scheduler"])
        set_rng_state(torch.load(folder / f"rng-{self.runtime.rank}.pt", weights_only=False))
        return position.step

    # -- end of a stage -------------------------------------------------------------------

    def _finish_stage(self, k: int, stage: Stage, model: Any, trained: StageRun) -> None:
        plan, replayed, mixed, schedule = (
            trained.plan,
            trained.replayed,
            trained.mixed,
            trained.schedule,
        )
        runtime = self.runtime
        if runtime.main:
            with atomic_dir(self.stage_dir(stage)) as tmp:
                self._save_adapter(k, model, tmp)
                self.tokenizer.save_pretrained(tmp)
                if self.data[k].example is not None:
                    write_json(tmp / EXAMPLE, self.data[k].example)
                honour_umask(tmp)  # (safetensors writes the adapter 0600)
            validation = self._score(model, k, "validation", f"{stage.name} validation")
            row = self._score_all(model, f"after {stage.name}")
            self.rows[k] = row
            if validation.loss is not None:
                self.validation[stage.name] = validation.loss
            entries = [h for h in self.history if h["stage_index"] == k]
            # the time of the stage's steps, those before a kill too (the history is kept in
            # the checkpoints): since the stage started in this process, a resumed stage
            # counted only what was left of it against all of its tokens (2,006,466 tokens/s)
            seconds = sum(h["seconds"] for h in entries)
            tokens = sum(h["tokens"] for h in entries)
            padding = sum(h["padding"] for h in entries)
            metrics = {
                "stage": stage.name,
                "layer": stage.layer,
                "strategy": self.config.strategy,
                "schedule": vars(schedule),
                "steps": plan.steps,
                "epochs": plan.epochs,
                "records": {"stage": mixed - replayed, "replayed": replayed, "mix": mixed},
                "replay_share": replayed / mixed if mixed else 0.0,
                "tokens": {
                    "processed": tokens,
                    "supervised": sum(h["supervised"] for h in entries),
                    "padding": padding,
                },
                "padding_share": padding / (tokens + padding) if tokens + padding else 0.0,
                "train_loss": {
                    "first": entries[0]["loss"] if entries else None,
                    "last": entries[-1]["loss"] if entries else None,
                },
                "validation": validation.to_dict(),
                "test": row,
                "seconds": round(seconds, 3),
                "tokens_per_second": round(tokens / seconds, 1) if seconds > 0 else None,
            }
            write_json(self.stage_dir(stage) / "metrics.json", metrics)
            self.stage_metrics[stage.name] = metrics
            self._write_results()
            self.reporter.stage_end(stage.name, metrics)
            latest = self.checkpoints.latest()
            folder = latest.folder if latest is not None else ""
            self.checkpoints.commit(Position(k, plan.steps, True, folder))
        runtime.barrier()

    def _save_adapter(self, k: int, model: Any, out: Path) -> None:
        if self.config.strategy == "stack":
            model.save_pretrained(out)
            # (a model restored from a checkpoint of a run since moved names the old place)
            self._name_the_base(out)
            return
        parts = [read_adapter(self.stage_dir(self.cur.stages[k - 1]))] if k > 0 else []
        parts.append(lora_factors(model))
        write_cumulative_adapter(parts, out, str(self.base_path))

    def _name_the_base(self, folder: Path) -> None:
        """Make the adapter in ``folder`` (if any) name this run's base model where it is now:
        what ``AutoPeftModelForCausalLM.from_pretrained(folder)`` loads."""
        path = folder / "adapter_config.json"
        if not path.is_file():
            return
        config = json.loads(path.read_text(encoding="utf-8"))
        if config.get("base_model_name_or_path") != str(self.base_path):
            config["base_model_name_or_path"] = str(self.base_path)
            write_json(path, config)

    def _score(self, model: Any, k: int, split: str, what: str) -> Score:
        data = self.data[k]
        examples = getattr(data, split)
        records = data.test_records if split == "test" else []
        self.reporter.eval_start(what, len(examples))
        try:
            return score_stage(
                model,
                self.encoder,
                examples,
                records,
                self.config,
                self.runtime,
                self.pad_id,
                self.keep_logits,
                self.reporter,
            )
        finally:
            self.reporter.eval_end()

    def _score_all(self, model: Any, what: str) -> dict[str, Any]:
        if not self.runtime.main:
            return {}
        return {
            stage.name: self._score(model, j, "test", f"scoring {what} on {stage.name}").to_dict()
            for j, stage in enumerate(self.cur.stages)
        }

    # -- results --------------------------------------------------------------------------

    def _matrix(self) -> dict[str, Any]:
        names = [s.name for s in self.cur.stages]
        rows: list[dict[str, Any] | None] = [self.rows.get(i) for i in range(len(names))]
        metric_names = sorted(
            {m for row in rows if row for cell in row.values() for m in cell["metrics"]}
        )
        return {
            "stages": names,
            "rows": "after training the row's stage",
            "columns": "scored on the column's stage test split",
            "matrix": rows,
            "base": self.base_row,
            "answer_loss": [[row[n]["loss"] if row else None for n in names] for row in rows],
            "perplexity": [[row[n]["perplexity"] if row else None for n in names] for row in rows],
            "metrics": {
                m: [[row[n]["metrics"].get(m) if row else None for n in names] for row in rows]
                for m in metric_names
                if m != "parse_rate"
            },
            "forgetting": _forgetting(names, rows),
            "validation": self.validation,
        }

    def _write_results(self) -> None:
        if not self.runtime.main:
            return
        matrix = self._matrix()
        write_json(self.out / FORGETTING_JSON, matrix)
        if self.rows:
            plots.plot_forgetting(matrix, self.out / "forgetting.png")
            plots.plot_losses(self.history, self.validation, self.out / "loss.png")


def _forgetting(names: list[str], rows: list[dict[str, Any] | None]) -> dict[str, float | None]:
    """Per stage: its test loss after the last trained stage minus right after its own stage
    (positive = forgotten)."""
    trained = [i for i, row in enumerate(rows) if row is not None]
    out: dict[str, float | None] = {}
    if not trained:
        return out
    last = rows[trained[-1]]
    assert last is not None
    for i in trained:
        own = rows[i]
        assert own is not None
        before, after = own[names[i]]["loss"], last[names[i]]["loss"]
        out[names[i]] = None if before is None or after is None else after - before
    return out


def _stats(examples: list[Encoded], micro: MicroBatch) -> tuple[int, int, int, int]:
    """(records, tokens, supervised, padding) of a micro-batch, without building tensors."""
    lengths = [sum(len(examples[i]) for i in row) for row in micro]
    width = max(lengths)
    return (
        sum(len(row) for row in micro),
        sum(lengths),
        sum(examples[i].supervised for row in micro for i in row),
        width * len(micro) - sum(lengths),
    )


def _no_sync(model: Any, skip: bool) -> Any:
    from contextlib import nullcontext

    return model.no_sync() if skip and hasattr(model, "no_sync") else nullcontext()


def _example(records: list[dict[str, Any]], task: str | None) -> dict[str, Any] | None:
    """A record of the stage's context task (else any), saved beside the adapter so that
    `layerkit ask` knows how the stage's questions are worded."""
    for record in records:
        if task is None or record["meta"].get("task") == task:
            return {"messages": record["messages"], "meta": record["meta"]}
    return None
