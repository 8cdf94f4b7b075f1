"""Models: where they run, how they load, how LoRA goes on, how the answer loss is computed.

Multi-GPU runs are started by ``torchrun`` or ``accelerate launch`` (both set ``WORLD_SIZE``,
``RANK`` and ``LOCAL_RANK``); this module only joins the process group they prepared and wraps
the model in DDP. It starts no processes itself.

The loss is computed on the supervised positions only: a boolean ``logits_to_keep`` makes the
model keep just those hidden states, so the logits of prompts (most of every record) are never
materialised, and those of the answers are made a chunk at a time (``chunked_cross_entropy``).
For a 150k vocabulary the logits were most of the activation memory of a step (Qwen2-1.5B at
8 × 2048 tokens ran out of memory on an 80 GB H100 with them).
"""

from __future__ import annotations

import inspect
import json
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from layerkit.train.batching import Batch
from layerkit.train.config import TrainConfig
from layerkit.train.encoding import IGNORE
from layerkit.train.errors import ModelError, OutOfMemory

ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"


@dataclass(frozen=True)
class Runtime:
    """Device, precision and place in a multi-process run of this process."""

    device: torch.device
    dtype: torch.dtype
    rank: int
    world: int

    @property
    def main(self) -> bool:
        return self.rank == 0

    @property
    def precision(self) -> str:
        return "bf16" if self.dtype == torch.bfloat16 else "fp32"

    def autocast(self) -> Any:
        if self.dtype == torch.bfloat16:
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return nullcontext()

    def barrier(self) -> None:
        if self.world > 1:
            torch.distributed.barrier()


def make_runtime(config: TrainConfig) -> Runtime:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        device = torch.device("cuda", local)
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
    if world > 1 and not torch.distributed.is_initialized():
        # Scoring runs on rank 0 alone while the others wait at a barrier: allow it hours, not
        # the default ten minutes after which NCCL would abort the job.
        torch.distributed.init_process_group(
            "nccl" if device.type == "cuda" else "gloo", timeout=timedelta(hours=4)
        )
    bf16_ok = device.type == "cuda" and torch.cuda.is_bf16_supported()
    if config.precision == "bf16" or (config.precision == "auto" and bf16_ok):
        dtype = torch.bfloat16
    else:
        dtype = torch.float32
    return Runtime(device, dtype, rank, world)


def check_model_dir(path: Path) -> None:
    if not path.exists():
        raise ModelError(
            f"base model {path} does not exist.",
            hint="Give a local folder with a Hugging Face checkpoint (config.json, weights, "
            "tokenizer), or --base-model tiny for the built-in demo model.",
        )
    if not (path / "config.json").is_file():
        raise ModelError(
            f"{path} has no config.json, so it is not a Hugging Face model folder.",
            hint="Download the model with `hf download NAME --local-dir DIR` and give DIR.",
        )


def load_tokenizer(path: Path) -> Any:
    from transformers import AutoTokenizer

    if not path.is_dir():
        check_model_dir(path)
    if not any(next(path.glob(pattern), None) for pattern in _TOKENIZER_FILES):
        # (transformers made an empty tokenizer of the config alone, which then failed as
        # "no chat template and no EOS token")
        raise ModelError(
            f"{path} has no tokenizer files (tokenizer.json, tokenizer_config.json, a vocabulary).",
            hint="Save the tokenizer beside the model (tokenizer.save_pretrained(DIR)).",
        )
    try:
        return AutoTokenizer.from_pretrained(path)
    except (OSError, ValueError) as exc:
        raise ModelError(
            f"cannot load the tokenizer of {path}: {exc}",
            hint="The folder needs tokenizer.json (or the files its tokenizer class reads).",
        ) from None


#: what a model folder's tokenizer is saved as (any one will do)
_TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "tokenizer.model",
    "vocab.*",
    "*.model",
    "merges.txt",
)


def load_base(path: Path, config: TrainConfig, runtime: Runtime) -> Any:
    """The base model on the runtime's device, frozen, ready for LoRA."""
    from transformers import AutoModelForCausalLM

    check_model_dir(path)
    model: Any
    try:
        model = AutoModelForCausalLM.from_pretrained(
            path,
            dtype=runtime.dtype,
            attn_implementation=config.attn_implementation,
            # straight onto this process's GPU, not through host memory first
            device_map={"": runtime.device} if runtime.device.type == "cuda" else None,
        )
    except (ImportError, ValueError) as exc:
        if "Unrecognized configuration class" in str(exc):
            raise ModelError(
                f"{path} is not a causal language model transformers can load as one "
                f"({str(exc).splitlines()[0][:160]}).",
                hint="Give a decoder-only causal LM (Llama, Qwen, Mistral, Gemma...): an encoder "
                "(BERT) or an encoder-decoder (T5) cannot be trained this way.",
            ) from None
        raise ModelError(
            f"cannot load {path} with attn_implementation={config.attn_implementation!r}: {exc}",
            hint="Use --attn-implementation sdpa (works everywhere), or install the kernel's "
            "package.",
        ) from None
    except OSError as exc:
        raise ModelError(f"cannot load the weights of {path}: {exc}") from None
    model.to(runtime.device)
    model.config.use_cache = False
    if config.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model


def check_base(model: Any, tokenizer: Any, path: Path, config: TrainConfig) -> None:
    """Refuse a base model this training cannot use, before anything is trained: a tokenizer
    with ids past the model's embeddings (an IndexError deep in the first evaluation), a
    model that is not causal (an encoder loaded as ``BertLMHeadModel`` sees the tokens after
    each position: its loss on the answer would be learnt from the answer itself), a LoRA rank
    past what the model's layers can have (the adapter's memory grew until the kernel killed
    the process)."""
    embeddings = model.get_input_embeddings()
    rows = getattr(embeddings, "num_embeddings", None)
    if isinstance(rows, int) and len(tokenizer) > rows:
        raise ModelError(
            f"the tokenizer of {path} has {len(tokenizer)} tokens, its model's embeddings only "
            f"{rows}: the tokenizer is not the model's.",
            hint="Save the model with the tokenizer it was trained with (save_pretrained of "
            "both into one folder).",
        )
    hidden = getattr(model.config, "hidden_size", None)
    if isinstance(hidden, int) and config.lora_r > hidden:
        raise ModelError(
            f"lora_r = {config.lora_r} is more than this model's hidden size ({hidden}), the "
            "largest rank an adapter of its layers can have.",
            hint=f"Give --lora-r {min(16, hidden)} or less (8-64 is usual).",
        )
    probe = torch.tensor([[1, 2, 3], [1, 2, 4]], device=next(model.parameters()).device)
    with torch.no_grad():
        logits = model(input_ids=probe).logits.float()
    # the two rows differ in their last token only: a causal model's first two positions
    # cannot tell them apart (up to rounding), however small its weights
    before = (logits[0, :2] - logits[1, :2]).abs().max()
    after = (logits[0, 2] - logits[1, 2]).abs().max()
    if before > 1e-4 * max(float(after), 1.0):
        raise ModelError(
            f"{path} is not a causal language model: what it predicts at a position changes "
            "with the tokens after it.",
            hint="Give a decoder-only causal LM (Llama, Qwen, Mistral, Gemma...): an encoder "
            "such as BERT cannot be trained to answer this way.",
        )


def lora_config(config: TrainConfig) -> Any:
    from peft import LoraConfig

    targets: str | list[str] = (
        "all-linear" if config.target_modules == ("all-linear",) else list(config.target_modules)
    )
    return LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=targets,
        task_type="CAUSAL_LM",
    )


def add_lora(model: Any, config: TrainConfig, seed: int) -> Any:
    """A fresh trainable adapter, initialised from ``seed`` (so a resumed run makes the same)."""
    from peft import get_peft_model

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        try:
            return get_peft_model(model, lora_config(config))
        except ValueError as exc:
            raise ModelError(
                f"cannot put LoRA on this model: {exc}",
                hint="Check --target-modules against the model's module names (or use all-linear).",
            ) from None


def load_adapter(model: Any, adapter_dir: Path, *, trainable: bool) -> Any:
    """The adapter saved in ``adapter_dir`` on ``model``. A folder without its files, or
    with weights cut short (a copy that did not finish), is said as such: it gave a
    safetensors traceback, or peft's "Repo id must be a string" as if the base were wrong."""
    from peft import PeftModel

    weights = [adapter_dir / n for n in ("adapter_model.safetensors", "adapter_model.bin")]
    missing = [] if (adapter_dir / "adapter_config.json").is_file() else ["adapter_config.json"]
    if not any(w.is_file() for w in weights):
        missing.append(weights[0].name)
    if missing:
        raise ModelError(
            f"{adapter_dir} has no {' or '.join(missing)}: the adapter is not all there.",
            hint="Copy the run folder whole, or train the stage again (layerkit train ... "
            "--resume in its run).",
        )
    try:
        return PeftModel.from_pretrained(model, adapter_dir, is_trainable=trainable)
    except Exception as exc:
        if type(exc).__name__ != "SafetensorError":
            raise
        raise ModelError(
            f"cannot read the adapter's weights in {adapter_dir}: {exc}",
            hint="The file is damaged or cut short (a copy that did not finish?): copy the run "
            "folder again, or train the stage again.",
        ) from None


def _causal_lm(model: Any) -> Any:
    """The transformers model inside DDP and peft wrappers."""
    inner = getattr(model, "module", model)  # DistributedDataParallel
    return inner.get_base_model() if hasattr(inner, "get_base_model") else inner


def supports_logits_to_keep(model: Any) -> bool:
    return "logits_to_keep" in inspect.signature(type(_causal_lm(model)).forward).parameters


LOSS_CHUNK = 2048
"""Supervised positions projected onto the vocabulary at a time. A chunk's logits (and, in the
backward pass, their gradient) are the only vocabulary-sized tensors alive: for a 152k
vocabulary about 1.9 GB at 2048 positions, against 20 GB and more for all positions of a batch
of 16k tokens."""

# Config fields of models whose forward changes the logits after the output projection (Gemma's
# soft-capping, Cohere's and Granite's scaling): those keep the plain path.
_LOGIT_TRANSFORMS = ("final_logit_softcapping", "logit_scale", "logits_scaling")


def _plain_head(base: Any) -> bool:
    config = getattr(base, "config", None)
    if config is None or not hasattr(base, "get_output_embeddings"):
        return False
    if base.get_output_embeddings() is None:
        return False
    return all(getattr(config, name, None) in (None, 1, 1.0) for name in _LOGIT_TRANSFORMS)


class _HiddenStates(torch.nn.Module):
    """Stands in for the output projection during the forward pass, so the model returns the
    final hidden states of the kept positions as its "logits"."""

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return hidden


@contextmanager
def _hidden_states_out(base: Any) -> Iterator[Any]:
    head = base.get_output_embeddings()
    base.set_output_embeddings(_HiddenStates())
    try:
        yield head
    finally:
        base.set_output_embeddings(head)


def _chunk_losses(head: Any, hidden: torch.Tensor, gold: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(head(hidden).float(), gold, reduction="none")


def chunked_cross_entropy(
    head: Any, hidden: torch.Tensor, gold: torch.Tensor, chunk: int = LOSS_CHUNK
) -> torch.Tensor:
    """Per-position cross-entropy of ``head(hidden)`` against ``gold``, ``chunk`` positions at a
    time. While training, each chunk's logits are recomputed in the backward pass rather than
    kept (activation checkpointing), so a step never holds more than one chunk of them."""
    from torch.utils.checkpoint import checkpoint

    parts = []
    for h, g in zip(hidden.split(chunk), gold.split(chunk), strict=True):
        if torch.is_grad_enabled() and (h.requires_grad or head.weight.requires_grad):
            parts.append(checkpoint(_chunk_losses, head, h, g, use_reentrant=False))
        else:
            parts.append(_chunk_losses(head, h, g))
    return torch.cat(parts) if parts else hidden.new_zeros(0)


def answer_loss(model: Any, batch: Batch, keep_logits: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Summed cross-entropy over supervised tokens, and the per-token losses (for scoring).

    Position t predicts token t+1, so the positions to keep are those whose next label is
    supervised; a record's first label is never supervised, so nothing is learnt across a
    packing boundary. ``use_cache=False`` is not an optimisation: with a cache transformers does
    not read restarting position ids as record boundaries, and packed records would attend to
    each other (tests/test_train_packing.py).

    The model runs with its output projection swapped for the identity (through DDP's forward
    as usual), and the projection and the loss then go in chunks (``chunked_cross_entropy``).
    Models that transform logits after the projection take the plain path.
    """
    targets = batch.labels[:, 1:]
    keep = torch.zeros_like(batch.labels, dtype=torch.bool)
    keep[:, :-1] = targets != IGNORE
    kwargs: dict[str, Any] = {"input_ids": batch.input_ids, "position_ids": batch.position_ids}
    if keep_logits:
        kwargs["logits_to_keep"] = keep
    gold = batch.labels[:, 1:][keep[:, :-1]]
    base = _causal_lm(model)
    if _plain_head(base):
        with _hidden_states_out(base) as head:
            out = model(**kwargs, use_cache=False)
        hidden = out.logits if out.logits.dim() == 2 else out.logits[keep]
        losses = chunked_cross_entropy(head, hidden, gold)
    else:
        out = model(**kwargs, use_cache=False)
        logits = out.logits if out.logits.dim() == 2 else out.logits[keep]
        losses = F.cross_entropy(logits.float(), gold, reduction="none")
    return losses.sum(), losses


@contextmanager
def out_of_memory_hint(config: TrainConfig, where: str) -> Iterator[None]:
    """Turn an accelerator OOM into an error that names the settings to turn down."""
    try:
        yield
    except torch.OutOfMemoryError:
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        tokens = config.batch_size * config.max_seq_length
        hint = (
            f"Lower --batch-size (now {config.batch_size}; up to {tokens} tokens per micro-batch) "
            f"and raise --gradient-accumulation to keep the effective batch"
        )
        if not config.gradient_checkpointing:
            hint += ", or turn on --gradient-checkpointing"
        hint += f"; --max-seq-length (now {config.max_seq_length}) bounds the longest row."
        raise OutOfMemory(f"the GPU ran out of memory {where}.", hint=hint + ".") from None


def lora_factors(model: Any) -> dict[str, tuple[torch.Tensor, torch.Tensor, float]]:
    """``module name → (A, B, scaling)`` of the active adapter, as peft names the modules in
    saved adapters (``base_model.model.<path>``)."""
    from peft.tuners.lora import LoraLayer

    out = {}
    for name, module in model.named_modules():
        layer: Any = module
        if isinstance(module, LoraLayer) and "default" in layer.lora_A:
            a = layer.lora_A["default"].weight.detach().float().cpu()
            b = layer.lora_B["default"].weight.detach().float().cpu()
            out[name] = (a, b, float(layer.scaling["default"]))
    return out


def read_adapter(adapter_dir: Path) -> dict[str, tuple[torch.Tensor, torch.Tensor, float]]:
    """The factors of a saved LoRA adapter, with its scaling, keyed like :func:`lora_factors`."""
    from safetensors.torch import load_file

    settings = json.loads((adapter_dir / ADAPTER_CONFIG).read_text(encoding="utf-8"))
    r = settings["r"]
    scaling = settings["lora_alpha"] / (math.sqrt(r) if settings.get("use_rslora") else r)
    tensors = load_file(adapter_dir / ADAPTER_WEIGHTS)
    out = {}
    for key, a in tensors.items():
        if key.endswith(".lora_A.weight"):
            name = key.removesuffix(".lora_A.weight")
            out[name] = (a.float(), tensors[name + ".lora_B.weight"].float(), scaling)
    return out


def write_cumulative_adapter(
    parts: list[dict[str, tuple[torch.Tensor, torch.Tensor, float]]],
    out: Path,
    base_model: str,
) -> None:
    """One LoRA adapter equal to the sum of ``parts`` (the merged stages): the factors are
    stacked, ``A = [A1; A2]`` and ``B = [s1·B1, s2·B2]``, with alpha = r so the scaling is 1.

    W + s1·B1·A1 + s2·B2·A2 = W + B·A exactly, so after a ``merge`` run every stage's adapter
    still applies to the untouched base model with plain ``PeftModel.from_pretrained``.

    This is peft's ``add_weighted_adapter(..., combination_type="cat")`` with weights 1 (tested
    equal), done on the saved factors: peft's needs every adapter loaded on the untouched base
    model, which a merge run no longer has in memory (its weights hold the merged stages), so
    calling it would mean loading the base model a second time at every stage.
    """
    from peft import LoraConfig
    from safetensors.torch import save_file

    names = sorted(parts[0])
    if any(sorted(p) != names for p in parts):
        raise ModelError("stage adapters cover different modules and cannot be combined.")
    tensors = {}
    for name in names:
        tensors[f"{name}.lora_A.weight"] = torch.cat(
            [p[name][0] for p in parts], dim=0
        ).contiguous()
        tensors[f"{name}.lora_B.weight"] = torch.cat(
            [p[name][1] * p[name][2] for p in parts], dim=1
        ).contiguous()
    rank = sum(p[names[0]][0].shape[0] for p in parts)
    leaves = sorted({name.rsplit(".", 1)[-1] for name in names})
    LoraConfig(
        r=rank,
        lora_alpha=rank,
        lora_dropout=0.0,
        target_modules=leaves,
        task_type="CAUSAL_LM",
        base_model_name_or_path=base_model,
    ).save_pretrained(str(out))
    save_file(tensors, str(out / ADAPTER_WEIGHTS), metadata={"format": "pt"})


def pad_id(tokenizer: Any) -> int:
    """The id padding is written with (never attended to nor supervised, so any id works)."""
    for candidate in (tokenizer.pad_token_id, tokenizer.eos_token_id, 0):
        if candidate is not None:
            return int(candidate)
    return 0


def generation_eos(path: Path) -> int | list[int] | None:
    """The stop token(s) of a model folder's generation_config.json, if it has one."""
    file = path / "generation_config.json"
    if not file.is_file():
        return None
    value = json.loads(file.read_text(encoding="utf-8")).get("eos_token_id")
    return value if isinstance(value, int | list) else None
