"""Training settings: one dataclass that feeds the TOML file, the CLI flags and ``run.json``.

Every field carries its help text in ``metadata["help"]`` (TRL's convention), so ``layerkit train
--help`` is generated from this module and cannot drift from it. Settings come from, in order of
precedence: CLI flags, ``--stage NAME.KEY=VALUE`` flags, the TOML file given with ``--config``,
the defaults below. Values are validated once, in ``__post_init__``, so a bad value stops the run
before a model is loaded. No torch here: the CLI builds its ``--help`` without it.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import tomllib
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from layerkit.train.errors import ConfigError

SCHEDULES = ("cosine", "linear", "constant")
STRATEGIES = ("stack", "merge")
PRECISIONS = ("auto", "fp32", "bf16")
TINY = "tiny"
DEFAULT_LR = 2e-4
# Attention kernels that take packed rows as separate sequences instead of one masked square.
VARLEN_ATTENTION = ("flash_attention_2", "flash_attention_3", "flex_attention")
TINY_LR = 1e-2


def _help(text: str, **extra: Any) -> dict[str, Any]:
    return {"help": text, **extra}


@dataclass(frozen=True)
class StageSettings:
    """Per-stage overrides (``[stages.lexical]`` in TOML); ``None`` keeps the run's value."""

    lr: float | None = field(default=None, metadata=_help("Peak learning rate of this stage."))
    lr_scheduler: str | None = field(
        default=None, metadata=_help("Learning-rate schedule of this stage.")
    )
    warmup_ratio: float | None = field(
        default=None, metadata=_help("Share of this stage's steps spent warming up.")
    )
    epochs: float | None = field(
        default=None, metadata=_help("Passes over this stage's training records.")
    )
    max_steps: int | None = field(
        default=None, metadata=_help("Optimizer steps of this stage (overrides epochs when > 0).")
    )


@dataclass(frozen=True)
class Schedule:
    """The resolved schedule of one stage."""

    lr: float
    lr_scheduler: str
    warmup_ratio: float
    epochs: float
    max_steps: int


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides what a training run computes (and so goes into run.json)."""

    base_model: str = field(
        default="",
        metadata=_help(
            "A Hugging Face checkpoint in a local folder (config.json, weights, tokenizer), or "
            "'tiny': a small Llama-style model built from scratch, with a tokenizer trained on "
            "the curriculum (offline, for demos and tests)."
        ),
    )
    strategy: str = field(
        default="stack",
        metadata=_help(
            "Between stages: 'stack' keeps training one adapter; 'merge' merges the stage's "
            "adapter into the weights and starts a fresh one for the next stage.",
            choices=STRATEGIES,
        ),
    )
    replay: float = field(
        default=0.0,
        metadata=_help(
            "Share of each stage's training mix drawn from earlier stages' training records "
            "(0 ≤ share < 1; 0.2 = one record in five is replayed)."
        ),
    )
    lora_r: int = field(default=16, metadata=_help("LoRA rank."))
    lora_alpha: int = field(
        default=32, metadata=_help("LoRA alpha (the update is scaled by alpha/r).")
    )
    lora_dropout: float = field(default=0.05, metadata=_help("Dropout on the LoRA input."))
    target_modules: tuple[str, ...] = field(
        default=("all-linear",),
        metadata=_help(
            "Modules that get LoRA weights, comma-separated (e.g. q_proj,v_proj); 'all-linear' "
            "is every linear layer but the output head, whatever the architecture."
        ),
    )
    lr: float | None = field(
        default=None,
        metadata=_help(
            f"Peak learning rate (default {DEFAULT_LR}; {TINY_LR} for the tiny model, whose "
            "frozen weights are random and need bigger steps); per stage: [stages.X]."
        ),
    )
    lr_scheduler: str = field(
        default="cosine",
        metadata=_help(
            "Learning-rate schedule after warm-up, restarted each stage.", choices=SCHEDULES
        ),
    )
    warmup_ratio: float = field(
        default=0.05, metadata=_help("Share of each stage's steps spent warming up linearly.")
    )
    weight_decay: float = field(default=0.0, metadata=_help("AdamW weight decay."))
    max_grad_norm: float = field(
        default=1.0, metadata=_help("Clip the gradient norm to this (0: no clipping).")
    )
    epochs: float = field(
        default=1.0,
        metadata=_help("Passes over each stage's training records (fractions allowed)."),
    )
    max_steps: int = field(
        default=0, metadata=_help("Optimizer steps per stage; when > 0 it overrides --epochs.")
    )
    batch_size: int = field(
        default=8,
        metadata=_help(
            "Rows per micro-batch. With packing a row holds as many whole records as fit in "
            "max_seq_length tokens; without, a row is one record padded to the longest."
        ),
    )
    gradient_accumulation: int = field(
        default=1, metadata=_help("Micro-batches per optimizer step (per process).")
    )
    max_seq_length: int = field(
        # curriculum prompts carry every lower layer's gold answer, so they run long: the
        # sample corpus's longest record is about 2.4k tokens with the tiny tokenizer
        default=4096,
        metadata=_help(
            "Longest record in tokens. A record whose answer does not fit stops the run "
            "(or is skipped with skip_long_records)."
        ),
    )
    skip_long_records: bool = field(
        default=False,
        metadata=_help("Skip records longer than max_seq_length instead of stopping."),
    )
    packing: bool = field(
        default=True,
        metadata=_help(
            "Pack whole records into rows without padding; each record attends only to itself "
            "(position ids restart per record)."
        ),
    )
    padding_free: bool | None = field(
        default=None,
        metadata=_help(
            "With packing, make each micro-batch one row of up to batch_size × max_seq_length "
            "tokens: no padding at all. Meant for varlen attention kernels (flash_attention_2/3, "
            "flex_attention), which compute attention inside each record only; with sdpa or "
            "eager the whole row's mask is built and computed. Default: on exactly with those "
            "kernels."
        ),
    )
    seed: int = field(default=0, metadata=_help("Seed of initialisation, data order and dropout."))
    precision: str = field(
        default="auto",
        metadata=_help(
            "Weights and compute: bf16 (CUDA), fp32, or auto (bf16 where supported, else fp32).",
            choices=PRECISIONS,
        ),
    )
    attn_implementation: str = field(
        default="sdpa",
        metadata=_help(
            "Attention kernel passed to transformers: sdpa, eager, flex_attention or "
            "flash_attention_2 (varlen; needs the flash-attn package)."
        ),
    )
    gradient_checkpointing: bool = field(
        default=False,
        metadata=_help("Recompute activations in the backward pass: less memory, ~30% slower."),
    )
    checkpoint_every: int = field(
        default=50,
        metadata=_help(
            "Save a resumable checkpoint every N optimizer steps (and at every stage end)."
        ),
    )
    eval_batch_size: int = field(default=8, metadata=_help("Rows per batch when scoring."))
    eval_generate: int = field(
        default=16,
        metadata=_help(
            "Test records per stage answered by greedy generation to compute the task's own "
            "metric (UPOS accuracy, JSON item F1...); 0 scores loss and perplexity only."
        ),
    )
    max_new_tokens: int = field(
        default=1024,
        metadata=_help("Longest generated answer (scoring and `layerkit ask`)."),
    )
    chat_template: str = field(
        default="",
        metadata=_help(
            "A Jinja chat template file to use instead of the tokenizer's (a built-in one is "
            "used when the tokenizer has none)."
        ),
    )
    tiny_vocab_size: int = field(default=2048, metadata=_help("Tiny model: tokenizer vocabulary."))
    tiny_hidden_size: int = field(default=64, metadata=_help("Tiny model: hidden size."))
    tiny_layers: int = field(default=2, metadata=_help("Tiny model: transformer layers."))
    tiny_heads: int = field(default=4, metadata=_help("Tiny model: attention heads."))
    stages: Mapping[str, StageSettings] = field(
        default_factory=dict,
        metadata=_help(
            "Per-stage overrides keyed by layer or stage name: --stage lexical.epochs=3 or "
            "[stages.lexical] epochs = 3 in TOML."
        ),
    )

    def __post_init__(self) -> None:
        def need(ok: bool, name: str, what: str) -> None:
            if not ok:
                raise ConfigError(
                    f"{name} = {getattr(self, name)!r}: {what}.",
                    hint=f"Fix {name} in the --config file or its --{name.replace('_', '-')} flag.",
                )

        need(self.strategy in STRATEGIES, "strategy", f"choose one of {', '.join(STRATEGIES)}")
        need(
            0.0 <= self.replay < 1.0, "replay", "a share from 0 (no replay) up to, not including, 1"
        )
        need(self.lora_r > 0, "lora_r", "must be positive")
        need(0 < self.lora_alpha < math.inf, "lora_alpha", "must be positive and finite")
        need(0.0 <= self.lora_dropout < 1.0, "lora_dropout", "must be in [0, 1)")
        need(bool(self.target_modules), "target_modules", "name at least one module")
        need(self.lr is None or 0 < self.lr < math.inf, "lr", "must be positive and finite")
        need(
            self.lr_scheduler in SCHEDULES, "lr_scheduler", f"choose one of {', '.join(SCHEDULES)}"
        )
        need(0.0 <= self.warmup_ratio < 1.0, "warmup_ratio", "must be in [0, 1)")
        need(0 <= self.weight_decay < math.inf, "weight_decay", "must be finite, not negative")
        need(0 <= self.max_grad_norm < math.inf, "max_grad_norm", "must be finite, not negative")
        need(self.epochs > 0 and math.isfinite(self.epochs), "epochs", "must be positive")
        need(self.max_steps >= 0, "max_steps", "must not be negative")
        need(self.batch_size > 0, "batch_size", "must be positive")
        need(self.gradient_accumulation > 0, "gradient_accumulation", "must be positive")
        need(self.max_seq_length >= 16, "max_seq_length", "must be at least 16")
        need(self.precision in PRECISIONS, "precision", f"choose one of {', '.join(PRECISIONS)}")
        need(self.checkpoint_every > 0, "checkpoint_every", "must be positive")
        need(self.eval_batch_size > 0, "eval_batch_size", "must be positive")
        need(self.eval_generate >= 0, "eval_generate", "must not be negative")
        need(self.max_new_tokens > 0, "max_new_tokens", "must be positive")
        need(
            self.tiny_vocab_size >= 300,
            "tiny_vocab_size",
            "must be at least 300 (256 bytes + merges)",
        )
        need(
            self.tiny_hidden_size % self.tiny_heads == 0,
            "tiny_hidden_size",
            "must divide by tiny_heads",
        )
        for key, stage in self.stages.items():
            if stage.lr_scheduler is not None and stage.lr_scheduler not in SCHEDULES:
                raise ConfigError(
                    f"stages.{key}.lr_scheduler = {stage.lr_scheduler!r}: choose one of {', '.join(SCHEDULES)}."
                )
            for name in ("lr", "epochs"):
                value = getattr(stage, name)
                if value is not None and not 0 < value < math.inf:
                    raise ConfigError(
                        f"stages.{key}.{name} = {value!r}: must be positive and finite."
                    )

    @property
    def is_tiny(self) -> bool:
        return self.base_model == TINY

    @property
    def flat(self) -> bool:
        """Whether micro-batches are single padding-free rows (see ``padding_free``)."""
        if not self.packing:
            return False
        if self.padding_free is not None:
            return self.padding_free
        return self.attn_implementation in VARLEN_ATTENTION or "flash" in self.attn_implementation

    @property
    def peak_lr(self) -> float:
        if self.lr is not None:
            return self.lr
        return TINY_LR if self.is_tiny else DEFAULT_LR

    def schedule(self, stage_name: str, layer: str) -> Schedule:
        """The stage's schedule: its ``[stages.X]`` overrides (stage name first, then layer)."""
        values: dict[str, Any] = {
            "lr": self.peak_lr,
            "lr_scheduler": self.lr_scheduler,
            "warmup_ratio": self.warmup_ratio,
            "epochs": self.epochs,
            "max_steps": self.max_steps,
        }
        for key in (layer, stage_name):
            override = self.stages.get(key)
            if override is None:
                continue
            for name in values:
                value = getattr(override, name)
                if value is not None:
                    values[name] = value
        return Schedule(**values)

    def check_stage_keys(self, names: list[str], layers: list[str]) -> None:
        """Refuse ``[stages.X]`` sections that match no stage (a typo would be silently ignored)."""
        unknown = sorted(set(self.stages) - set(names) - set(layers))
        if unknown:
            raise ConfigError(
                f"stage settings for {', '.join(unknown)} match no stage of the curriculum.",
                hint=f"Use a layer ({', '.join(layers)}) or a stage name ({', '.join(names)}).",
            )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values (run.json, and the comparison on --resume)."""
        data = dataclasses.asdict(self)
        data["target_modules"] = list(self.target_modules)
        data["stages"] = {
            key: {k: v for k, v in dataclasses.asdict(s).items() if v is not None}
            for key, s in sorted(self.stages.items())
        }
        return data

    def replace(self, **changes: Any) -> TrainConfig:
        return dataclasses.replace(self, **changes)


def config_fields() -> list[dataclasses.Field[Any]]:
    """The fields that are plain settings (everything but the per-stage table)."""
    return [f for f in fields(TrainConfig) if f.name != "stages"]


def _kind(name: str, owner: type = TrainConfig) -> str:
    """The field's value type as a word: int, float, bool, str or list."""
    annotation = {f.name: f.type for f in fields(owner)}[name]
    text = str(annotation)
    for kind in ("tuple", "bool", "int", "float", "str"):
        if text.startswith(kind):
            return "list" if kind == "tuple" else kind
    raise AssertionError(f"unexpected type of {name}: {text}")


def field_kind(name: str) -> str:
    return _kind(name)


@functools.cache
def _adapter(owner: type, name: str) -> TypeAdapter[Any]:
    return TypeAdapter(typing.get_type_hints(owner)[name])


def coerce(name: str, value: Any, owner: type = TrainConfig, where: str = "") -> Any:
    """``value`` (from TOML or a CLI string) as the type of field ``name``: pydantic's lax
    conversion of the field's annotation ("3" → 3, "yes" → True, 2.0 → 2, never 2.5 → 2), with a
    comma-separated string read as a list."""
    kind = _kind(name, owner)
    label = where or name
    if kind == "list" and isinstance(value, str):
        value = [item.strip() for item in value.split(",") if item.strip()]
    try:
        coerced = _adapter(owner, name).validate_python(value)
    except ValidationError:
        raise ConfigError(f"{label} = {value!r} is not a valid {kind}.") from None
    return tuple(str(i).strip() for i in coerced if str(i).strip()) if kind == "list" else coerced


def _stage_settings(key: str, values: Mapping[str, Any]) -> StageSettings:
    known = {f.name for f in fields(StageSettings)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(
            f"unknown stage setting {', '.join(f'stages.{key}.{u}' for u in unknown)}.",
            hint=f"Per-stage settings: {', '.join(sorted(known))}.",
        )
    return StageSettings(
        **{k: coerce(k, v, StageSettings, f"stages.{key}.{k}") for k, v in values.items()}
    )


def build_config(
    base: Mapping[str, Any] | None = None,
    overrides: Mapping[str, Any] | None = None,
    stage_overrides: list[str] | tuple[str, ...] = (),
) -> TrainConfig:
    """A config from a TOML mapping, flag overrides (``None`` values ignored) and ``--stage``
    strings ``NAME.KEY=VALUE``, in increasing precedence."""
    known = {f.name for f in fields(TrainConfig)}
    values: dict[str, Any] = {}
    stages: dict[str, dict[str, Any]] = {}
    for source in (base or {}, overrides or {}):
        for key, value in source.items():
            if value is None:
                continue
            if key not in known:
                raise ConfigError(
                    f"unknown training setting {key!r}.",
                    hint="`layerkit train --help` lists every setting.",
                )
            if key == "stages":
                if not isinstance(value, Mapping):
                    raise ConfigError("stages must be a table of per-stage tables.")
                for stage, settings in value.items():
                    if not isinstance(settings, Mapping):
                        raise ConfigError(f"stages.{stage} must be a table of settings.")
                    stages.setdefault(str(stage), {}).update(settings)
            else:
                values[key] = coerce(key, value)
    for item in stage_overrides:
        target, sep, value = item.partition("=")
        stage, dot, key = target.strip().rpartition(".")
        if not sep or not dot or not stage or not key:
            raise ConfigError(
                f"--stage {item!r} is not NAME.KEY=VALUE.", hint="Example: --stage lexical.epochs=3"
            )
        stages.setdefault(stage, {})[key] = value.strip()
    values["stages"] = {k: _stage_settings(k, v) for k, v in sorted(stages.items())}
    return TrainConfig(**values)


def load_toml(path: Path) -> dict[str, Any]:
    """A training config file: settings at the top level (or under ``[train]``)."""
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist.", hint="Check the --config path.")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}.", hint="Fix the TOML syntax.") from None
    if set(data) == {"train"} and isinstance(data["train"], dict):
        data = data["train"]
    return data
