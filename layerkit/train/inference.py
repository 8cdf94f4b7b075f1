"""Using a trained run: load a stage's model, merge it into plain weights, answer a prompt.

A run folder is self-describing: ``run.json`` names the base model (the tiny one lives in
``base/``) and every stage folder holds an adapter that applies to that base directly, so these
functions need nothing but the folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from layerkit.atomic import honour_umask
from layerkit.train.errors import ModelError, UsageError

EXAMPLE = "example.json"


@dataclass
class TrainedModel:
    """A stage's model ready for generation."""

    model: Any
    tokenizer: Any
    stage: str
    stage_dir: Path
    stop_ids: set[int]
    runtime: Any


def read_run(run_dir: Path) -> dict[str, Any]:
    path = run_dir / "run.json"
    if not path.is_file():
        raise UsageError(
            f"{run_dir} is not a training run (it has no run.json).",
            hint="Give the --out folder of `layerkit train`.",
        )
    return dict(json.loads(path.read_text(encoding="utf-8")))


def trained_stages(run_dir: Path, run: dict[str, Any]) -> list[tuple[str, Path]]:
    """``(stage, folder)`` of every stage whose adapter is written, in curriculum order."""
    out = []
    for name, rel in run.get("stages", {}).items():
        folder = run_dir / rel
        if (folder / "adapter_config.json").is_file():
            out.append((name, folder))
    return out


def base_path(run_dir: Path, run: dict[str, Any]) -> Path:
    """The base model of a run; a run folder that was moved still finds its own ``base/``."""
    stored = Path(run["base_model"])
    if stored.is_dir():
        return stored
    local = run_dir / "base"
    if run.get("config", {}).get("base_model") == "tiny" and local.is_dir():
        return local
    raise ModelError(
        f"the run's base model {stored} is not there any more.",
        hint=f"Put the base model back at that path, or tell the run where it is now: "
        f"`layerkit repoint {run_dir} --base-model PATH`.",
    )


def pick_stage(run_dir: Path, stage: str | None) -> tuple[str, Path, dict[str, Any]]:
    run = read_run(run_dir)
    stages = trained_stages(run_dir, run)
    if not stages:
        raise UsageError(
            f"no stage of the run in {run_dir} has finished yet.",
            hint="Wait for the first stage, or `layerkit train ... --resume` a stopped run.",
        )
    if stage is None:
        name, folder = stages[-1]
        return name, folder, run
    for name, folder in stages:
        if stage in (name, folder.name, name.split("-", 1)[-1]):
            return name, folder, run
    raise UsageError(
        f"no finished stage {stage!r} in {run_dir}.",
        hint=f"Finished stages: {', '.join(n for n, _ in stages)}.",
    )


def load_trained(run_dir: Path, stage: str | None = None) -> TrainedModel:
    """Base model + the stage's adapter (the last finished stage by default), in eval mode."""
    from layerkit.train.config import build_config
    from layerkit.train.encoding import setup_chat_template, stop_token_ids
    from layerkit.train.modeling import (
        generation_eos,
        load_adapter,
        load_base,
        load_tokenizer,
        make_runtime,
    )

    name, folder, run = pick_stage(run_dir, stage)
    settings = {k: v for k, v in run["config"].items() if k != "stages"}
    config = build_config(settings).replace(gradient_checkpointing=False)
    runtime = make_runtime(config)
    base = base_path(run_dir, run)
    tokenizer = load_tokenizer(folder)
    setup_chat_template(tokenizer, config.chat_template)
    try:
        model = load_adapter(load_base(base, config, runtime), folder, trainable=False)
    except (RuntimeError, ValueError, KeyError) as exc:
        # peft's size mismatch or missing module: the base at that path is not the one the
        # run was trained on
        first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise ModelError(
            f"the adapter of stage {name} does not fit the base model {base}: {first}",
            hint="The run was trained on another base model. Put that one back, or point the "
            "run at it: layerkit repoint RUN --base-model PATH.",
        ) from None
    model.eval()
    model.config.use_cache = True
    return TrainedModel(
        model, tokenizer, name, folder, stop_token_ids(tokenizer, generation_eos(base)), runtime
    )


def load_model_dir(path: Path) -> TrainedModel:
    """An ordinary model folder (``layerkit merge``'s output, or any local chat model) ready for
    generation: bf16 and SDPA on a GPU as the run's defaults choose. Its tokenizer must have a
    chat template: the prompts are chat messages."""
    from layerkit.train.config import build_config
    from layerkit.train.encoding import stop_token_ids
    from layerkit.train.modeling import generation_eos, load_base, load_tokenizer, make_runtime

    config = build_config({}).replace(gradient_checkpointing=False)
    runtime = make_runtime(config)
    tokenizer = load_tokenizer(path)
    if not getattr(tokenizer, "chat_template", None):
        raise UsageError(
            f"the tokenizer of {path} has no chat template.",
            hint="Suggestions are asked as chat messages: use a chat (instruct) model, or a "
            "folder written by `layerkit merge`.",
        )
    model = load_base(path, config, runtime)
    model.eval()
    model.config.use_cache = True
    return TrainedModel(
        model, tokenizer, path.name, path, stop_token_ids(tokenizer, generation_eos(path)), runtime
    )


def merge_run(run_dir: Path, out: Path, stage: str | None = None) -> str:
    """Write base + the stage's adapter as one ordinary model folder; returns the stage name."""
    if out.exists() and not out.is_dir():
        raise UsageError(
            f"cannot write the model to {out}: it is a file.", hint="Give -o a folder."
        )
    if out.exists() and any(out.iterdir()):
        raise UsageError(f"{out} is not empty.", hint="Give a new or empty folder with -o.")
    trained = load_trained(run_dir, stage)
    merged = trained.model.merge_and_unload()
    merged.config.use_cache = True
    out.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(out)
    trained.tokenizer.save_pretrained(out)
    example = trained.stage_dir / EXAMPLE
    if example.is_file():  # how the stage's questions are worded: `preannotate` asks the same
        (out / EXAMPLE).write_bytes(example.read_bytes())
    honour_umask(out)  # (safetensors writes the weights 0600)
    return trained.stage


def answer(trained: TrainedModel, messages: list[dict[str, str]], max_new_tokens: int) -> str:
    """The model's greedy answer to a chat prompt (system and user messages)."""
    from layerkit.train.encoding import ChatEncoder
    from layerkit.train.evaluate import generate
    from layerkit.train.modeling import pad_id

    encoder = ChatEncoder(trained.tokenizer, 1 << 30, trained.stop_ids)
    prompt = encoder.prompt_ids(messages)
    ids = generate(
        trained.model,
        [prompt],
        max_new_tokens,
        trained.stop_ids,
        pad_id(trained.tokenizer),
        trained.runtime,
    )[0]
    return str(trained.tokenizer.decode(ids, skip_special_tokens=True))


def generate_scored(
    model: Any,
    prompts: list[list[int]],
    max_new_tokens: int,
    stop_ids: set[int],
    pad_id: int,
    runtime: Any,
    logits_processor: Any = None,
) -> list[tuple[list[int], list[float], bool]]:
    """Greedy continuations of ``prompts`` in one left-padded batch (a KV cache, one forward
    pass per step for the whole batch), each with the probability the model gave every token
    it chose and whether it stopped by itself (False: cut at ``max_new_tokens``).

    ``logits_processor`` (one, or a list) restricts the choices, e.g. to each row's answer
    grammar (``layerkit.train.constrained.ConstrainedLogits``); the probabilities are then
    still the model's own, before the restriction."""
    import torch
    from transformers import LogitsProcessorList

    processors = None
    if logits_processor is not None:
        listed = logits_processor if isinstance(logits_processor, list) else [logits_processor]
        processors = LogitsProcessorList(listed)

    from layerkit.train.evaluate import left_padded

    ids, mask = left_padded(prompts, pad_id)
    width = ids.shape[1]
    with torch.inference_mode(), runtime.autocast():
        out = model.generate(
            input_ids=ids.to(runtime.device),
            attention_mask=mask.to(runtime.device),
            max_new_tokens=max_new_tokens,
            do_sample=False,
            eos_token_id=sorted(stop_ids),
            pad_token_id=pad_id,
            use_cache=True,
            output_scores=processors is None,
            output_logits=processors is not None,
            logits_processor=processors,
            return_dict_in_generate=True,
        )
    chosen = out.sequences[:, width:]
    # the probability of each chosen token under the model (greedy: the highest one, unless
    # a processor ruled it out)
    steps = out.scores if processors is None else out.logits
    probabilities = torch.stack(
        [
            torch.softmax(step.float(), dim=-1).gather(1, chosen[:, i : i + 1]).squeeze(1)
            for i, step in enumerate(steps)
        ],
        dim=1,
    )
    results = []
    for row, probs in zip(chosen.tolist(), probabilities.tolist(), strict=True):
        cut = next((i for i, t in enumerate(row) if t in stop_ids), None)
        end = len(row) if cut is None else cut
        results.append((row[:end], probs[:end], cut is not None))
    return results


def stage_example(stage_dir: Path) -> dict[str, Any] | None:
    """The example record saved with the stage: what its adapter was trained to answer."""
    path = stage_dir / EXAMPLE
    if not path.is_file():
        return None
    return dict(json.loads(path.read_text(encoding="utf-8")))


def repoint_run(run_dir: Path, base_model: Path | None = None) -> tuple[Path, int]:
    """Make every stage adapter of a run name ``base_model`` (default: the run's own, found as
    :func:`base_path` finds it, e.g. its ``base/`` after the folder was moved) as an absolute
    path, and run.json too: what ``AutoPeftModelForCausalLM.from_pretrained(stage folder)``
    reads. Returns the base model and how many adapters were rewritten."""
    from layerkit.train.checkpoint import write_json

    run = read_run(run_dir)
    if base_model is None:
        base = base_path(run_dir, run).resolve()
    else:
        base = base_model.expanduser().resolve()
        if not (base / "config.json").is_file():
            raise UsageError(
                f"{base} is not a model folder (it has no config.json).",
                hint="Give the folder the run was trained on, wherever it is now.",
            )
    rewritten = 0
    for _name, folder in trained_stages(run_dir, run):
        config_path = folder / "adapter_config.json"
        config = json.loads(config_path.read_text(encoding="utf-8"))
        config["base_model_name_or_path"] = str(base)
        write_json(config_path, config)
        rewritten += 1
    run["base_model"] = str(base)
    settings = run.get("config")
    if isinstance(settings, dict) and settings.get("base_model") not in (None, "tiny"):
        settings["base_model"] = str(base)  # (what --resume alone trains on)
    write_json(run_dir / "run.json", run)
    return base, rewritten
