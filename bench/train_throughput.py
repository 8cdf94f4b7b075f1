"""Training throughput of ``layerkit train`` beside TRL's SFTTrainer: same model, LoRA, data, run.

    .venv/bin/python bench/train_throughput.py                     # CUDA: Qwen2-0.5B dims; CPU: tiny
    .venv/bin/python bench/train_throughput.py --model qwen2-1.5b --steps 40
    .venv/bin/python bench/train_throughput.py --no-packing        # both trainers pad instead

The model is randomly initialised with a real architecture's dimensions (throughput does not
depend on the weights), saved once as an ordinary checkpoint, and trained by both trainers from
that folder. The data is a synthetic one-stage curriculum of realistic lengths: the sample
corpus's paragraphs asked as lexical token tables (long answers) and JSON analyses (short ones),
so prompts and answers have the length spread of a real curriculum. The tokenizer is a BPE
trained on it (the model's vocabulary size is the real one).

Both trainers get the same LoRA (rank, alpha, dropout, all linear layers), learning rate and
schedule, micro-batch size, maximum length, precision, gradient checkpointing setting, steps and
seed; both compute the loss on the answers only (TRL: prompt/completion records). Packing:
layerkit packs whole records into rows of ``max_seq_length`` without crossing attention; TRL
uses its best-fit-decreasing packing with ``padding_free``. Figures skip the first
``--warmup`` steps:

- supervised tok/s: answer tokens trained on per second (what a curriculum run pays for);
- tok/s: all non-padding tokens per second; padding share: padding / (tokens + padding);
- peak memory: ``torch.cuda.max_memory_allocated`` (CUDA) or the process's peak RSS (CPU);
- MFU: model FLOPs by the PaLM convention (6·N per token, N without embeddings, plus
  12·layers·hidden·context for attention) over the accelerator's dense bf16 peak (CUDA only;
  ``--peak-tflops`` to give one).

TRL is not a dependency of layerkit: ``pip install 'layerkit[bench]'`` adds it; without it the
TRL row says so and the rest still runs.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import math
import random
import re
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

ARCHS: dict[str, dict[str, Any]] = {
    "tiny": {"type": "llama", "hidden": 64, "intermediate": 128, "layers": 2, "heads": 4, "kv": 2, "vocab": 2048},
    "qwen2-0.5b": {"type": "qwen2", "hidden": 896, "intermediate": 4864, "layers": 24, "heads": 14, "kv": 2, "vocab": 151936},
    "qwen2-1.5b": {"type": "qwen2", "hidden": 1536, "intermediate": 8960, "layers": 28, "heads": 12, "kv": 2, "vocab": 151936},
}  # fmt: skip
# Dense bf16 peak TFLOPS by device-name fragment (no sparsity).
PEAKS = {"H200": 989.0, "H100": 989.0, "A100": 312.0, "L40S": 362.0, "A10G": 125.0, "4090": 165.0}
SYSTEM = "Ты — лингвист. Отвечай строго в формате, который указан в задании."


def paragraphs() -> list[str]:
    out = []
    for path in sorted((REPO / "sample_corpus").glob("*.txt")) + sorted(
        (REPO / "sample_corpus").glob("*.md")
    ):
        for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
            text = " ".join(block.split())
            if len(text) > 80 and not text.startswith("#"):
                out.append(text)
    return out


def make_record(text: str, rng: random.Random) -> dict[str, Any]:
    words = re.findall(r"\w+|[^\w\s]", text)
    if rng.random() < 0.5:
        rows = ["word\tlemma\tupos\tfeats"]
        rows += [f"{w}\t{w.lower()}\t{'PUNCT' if not w.isalnum() else 'NOUN'}\t_" for w in words]
        question, answer = "Разбери каждое слово: лемма, часть речи, признаки.", "\n".join(rows)
    else:
        picked = rng.sample(words, min(4, len(words)))
        answer = json.dumps(
            {"intent": "INFORM", "tone": "NEUTRAL", "key_words": picked}, ensure_ascii=False
        )
        question = "Определи намерение, тон и ключевые слова абзаца. Ответ — JSON."
    return {
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": f"Абзац:\n{text}\n\nЗадание: {question}"},
            {"role": "assistant", "content": answer},
        ],
        "meta": {"layer": "lexical", "task": "bench", "answer_format": "text"},
    }


def write_curriculum(root: Path, records: int, seed: int) -> list[dict[str, Any]]:
    """A one-stage curriculum of ``records`` training records (and two test records)."""
    rng = random.Random(seed)
    texts = paragraphs()
    data = {
        "train": [make_record(rng.choice(texts), rng) for _ in range(records)],
        "validation": [make_record(texts[0], rng)],
        "test": [make_record(texts[1], rng), make_record(texts[2], rng)],
    }
    files = {}
    for split, recs in data.items():
        raw = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs).encode("utf-8")
        name = f"01-lexical.{split}.jsonl"
        (root / name).write_bytes(raw)
        files[split] = {
            "path": name,
            "records": len(recs),
            "sha256": hashlib.sha256(raw).hexdigest(),
        }
    manifest = {
        "format": "layerkit-curriculum",
        "format_version": 1,
        "kind": "sft",
        "stage_order": ["01-lexical"],
        "stages": [
            {"name": "01-lexical", "index": 1, "layer": "lexical", "tasks": [], "files": files}
        ],
    }
    (root / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return data["train"]


def build_model(
    arch: dict[str, Any], texts: list[str], out: Path, max_len: int, dtype: Any
) -> None:
    """Save a random model of ``arch`` with a tokenizer trained on ``texts``."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    from layerkit.train.tiny import build_tokenizer

    tokenizer = build_tokenizer(texts, min(arch["vocab"], 8000))
    eos, pad = tokenizer.eos_token_id, tokenizer.pad_token_id
    config = AutoConfig.for_model(
        arch["type"],
        vocab_size=max(arch["vocab"], len(tokenizer)),
        hidden_size=arch["hidden"],
        intermediate_size=arch["intermediate"],
        num_hidden_layers=arch["layers"],
        num_attention_heads=arch["heads"],
        num_key_value_heads=arch["kv"],
        max_position_embeddings=max_len,
        tie_word_embeddings=True,
        initializer_range=0.1 if arch["type"] == "llama" else 0.02,
        eos_token_id=eos,
        pad_token_id=pad,
    )
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config, dtype=dtype)
    model.generation_config.eos_token_id = eos
    model.generation_config.pad_token_id = pad
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)


def peak_memory_reset() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()


def peak_memory() -> str:
    import torch

    if torch.cuda.is_available():
        return f"{torch.cuda.max_memory_allocated() / 2**30:.2f} GiB"
    return f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB RSS"


class Totals:
    def __init__(self) -> None:
        self.seconds = 0.0
        self.tokens = 0
        self.supervised = 0
        self.padding = 0
        self.steps = 0

    def row(
        self, n_params: int, arch: dict[str, Any], context: float, peak: float | None
    ) -> list[str]:
        """``context``: the mean number of keys a token attends to (half a record's length)."""
        if not self.seconds:
            return ["-"] * 5
        attention = 12 * arch["layers"] * arch["hidden"] * context
        flops = (6 * n_params + attention) * self.tokens
        mfu = f"{100 * flops / self.seconds / (peak * 1e12):.1f}%" if peak else "n/a"
        return [
            f"{self.supervised / self.seconds:,.0f}",
            f"{self.tokens / self.seconds:,.0f}",
            f"{self.padding / max(1, self.tokens + self.padding):.1%}",
            mfu,
            str(self.steps),
        ]


def run_layerkit(
    cur: Path, base: Path, out: Path, args: argparse.Namespace
) -> tuple[Totals, float]:
    import torch

    from layerkit.train.config import build_config
    from layerkit.train.loop import train
    from layerkit.train.reporting import Reporter, StepLog

    totals = Totals()
    losses: list[float] = []

    class Measure(Reporter):
        def step(self, log: StepLog) -> None:
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            losses.append(log.loss)
            if log.step <= args.warmup:
                return
            totals.seconds += log.seconds
            totals.tokens += log.tokens
            totals.supervised += log.supervised
            totals.padding += log.padding
            totals.steps += 1

    config = build_config(
        {
            "base_model": str(base),
            "max_steps": args.steps,
            "batch_size": args.batch_size,
            "max_seq_length": args.max_seq_length,
            "packing": args.packing,
            "attn_implementation": args.attn_implementation,
            "gradient_checkpointing": args.gradient_checkpointing,
            "lora_r": args.lora_r,
            "lora_alpha": 2 * args.lora_r,
            "lr": 2e-4,
            "eval_generate": 0,
            "checkpoint_every": 10**9,
            "skip_long_records": True,
            "seed": 0,
        }
    )
    train(cur, out, config, reporter=Measure())
    return totals, losses[-1] if losses else math.nan


def run_trl(
    records: list[dict[str, Any]], base: Path, out: Path, args: argparse.Namespace
) -> tuple[Totals | str, float]:
    try:
        import datasets
        import trl
    except ImportError:
        return (
            "TRL is not installed: pip install 'layerkit[bench]' (adds trl and datasets)",
            math.nan,
        )
    import torch
    from peft import LoraConfig
    from transformers import (
        AutoModelForCausalLM,
        AutoTokenizer,
        PrinterCallback,
        ProgressCallback,
        TrainerCallback,
    )

    totals = Totals()
    losses: list[float] = []
    tokenizer = AutoTokenizer.from_pretrained(base)
    bf16 = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    model = AutoModelForCausalLM.from_pretrained(
        base,
        dtype=torch.bfloat16 if bf16 else torch.float32,
        attn_implementation=args.attn_implementation,
    )
    import pyarrow

    rows = [{"prompt": r["messages"][:-1], "completion": r["messages"][-1:]} for r in records]
    # A fixed fingerprint: datasets would hash the whole table for one, which some pyarrow and
    # datasets versions cannot do; nothing is cached here anyway.
    dataset = datasets.Dataset(pyarrow.Table.from_pylist(rows), fingerprint="layerkit-bench")
    config = trl.SFTConfig(
        output_dir=str(out),
        max_steps=args.steps,
        per_device_train_batch_size=args.batch_size,
        gradient_accumulation_steps=1,
        learning_rate=2e-4,
        lr_scheduler_type="cosine",
        warmup_steps=0.05,  # a share of the steps, as layerkit's warmup_ratio
        bf16=bf16,
        max_length=args.max_seq_length,
        packing=args.packing,
        padding_free=args.packing,
        completion_only_loss=True,
        gradient_checkpointing=args.gradient_checkpointing,
        logging_steps=1,
        report_to=[],
        save_strategy="no",
        seed=0,
        dataloader_num_workers=0,
        use_cpu=not torch.cuda.is_available(),
    )
    lora = LoraConfig(
        r=args.lora_r,
        lora_alpha=2 * args.lora_r,
        lora_dropout=0.05,
        target_modules="all-linear",
        task_type="CAUSAL_LM",
    )
    datasets.disable_progress_bars()
    trainer = trl.SFTTrainer(
        model=model,
        args=config,
        train_dataset=dataset,
        processing_class=tokenizer,
        peft_config=lora,
    )
    collate = trainer.data_collator
    pending: list[tuple[int, int, int]] = []

    def counting(features: list[dict[str, Any]]) -> dict[str, Any]:
        batch = collate(features)
        labels = batch["labels"]
        mask = batch.get("attention_mask")
        padding = int((mask == 0).sum()) if mask is not None else 0
        tokens = labels.numel() - padding
        pending.append((tokens, int((labels[:, 1:] != -100).sum()), padding))
        return batch

    trainer.data_collator = counting

    class Timer(TrainerCallback):
        start = 0.0

        def on_step_begin(self, *_: Any, **__: Any) -> None:
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            self.start = time.perf_counter()

        def on_step_end(self, _args: Any, state: Any, *_: Any, **__: Any) -> None:
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            seconds = time.perf_counter() - self.start
            tokens, supervised, padding = pending.pop(0) if pending else (0, 0, 0)
            if state.global_step > args.warmup:
                totals.seconds += seconds
                totals.tokens += tokens
                totals.supervised += supervised
                totals.padding += padding
                totals.steps += 1

        def on_log(
            self, _args: Any, _state: Any, _control: Any, logs: dict | None = None, **__: Any
        ) -> None:
            if logs and "loss" in logs:
                losses.append(float(logs["loss"]))

    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    trainer.add_callback(Timer())
    trainer.train()
    return totals, losses[-1] if losses else math.nan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=["auto", *ARCHS], default="auto")
    parser.add_argument("--records", type=int, default=256)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3, help="Steps left out of the figures.")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--max-seq-length", type=int, default=2048)
    parser.add_argument("--lora-r", type=int, default=16)
    parser.add_argument("--packing", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--gradient-checkpointing", action="store_true")
    parser.add_argument(
        "--attn-implementation",
        default=None,
        help="Attention kernel for both trainers (default: flash_attention_2 if flash-attn is "
        "installed on CUDA, else sdpa).",
    )
    parser.add_argument(
        "--peak-tflops", type=float, help="Accelerator peak (default: from its name)."
    )
    parser.add_argument("--keep", type=Path, help="Keep the model, data and runs in this folder.")
    args = parser.parse_args()

    import torch
    from rich.console import Console
    from rich.table import Table
    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()
    cuda = torch.cuda.is_available()
    if not cuda:
        # layerkit trains the tiny model on one thread (faster: its matrices are too small to
        # share); TRL gets the same, so the comparison is of the trainers, not of thread counts.
        torch.set_num_threads(1)
    if args.attn_implementation is None:
        args.attn_implementation = "sdpa"
        if cuda and importlib.util.find_spec("flash_attn") is not None:
            args.attn_implementation = "flash_attention_2"
    name = args.model if args.model != "auto" else ("qwen2-0.5b" if cuda else "tiny")
    arch = ARCHS[name]
    device = torch.cuda.get_device_name() if cuda else f"CPU ({torch.get_num_threads()} thread)"
    peak = args.peak_tflops or next((v for k, v in PEAKS.items() if cuda and k in device), None)
    work = args.keep or Path(tempfile.mkdtemp(prefix="lk-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        cur = work / "cur"
        cur.mkdir(exist_ok=True)
        records = write_curriculum(cur, args.records, seed=0)
        texts = [m["content"] for r in records for m in r["messages"]]
        base = work / "base"
        if not (base / "config.json").is_file():
            dtype = torch.bfloat16 if cuda else torch.float32
            build_model(arch, texts, base, args.max_seq_length, dtype)
        from transformers import AutoConfig, AutoTokenizer

        config = AutoConfig.from_pretrained(base)
        n_params = _non_embedding_params(config)
        tokenizer = AutoTokenizer.from_pretrained(base)
        lengths = [
            len(
                tokenizer(tokenizer.apply_chat_template(r["messages"], tokenize=False))["input_ids"]
            )
            for r in records
        ]
        context = sum(n * n for n in lengths) / sum(lengths) / 2
        print(
            f"{name}: {n_params / 1e6:.1f}M parameters without embeddings, on {device}", flush=True
        )

        peak_memory_reset()
        shutil.rmtree(work / "layerkit-run", ignore_errors=True)
        ours, our_loss = run_layerkit(cur, base, work / "layerkit-run", args)
        our_memory = peak_memory()
        peak_memory_reset()
        try:
            theirs, their_loss = run_trl(records, base, work / "trl-run", args)
        except Exception as exc:  # the layerkit row is still worth printing
            theirs, their_loss = f"failed: {type(exc).__name__}: {exc}", math.nan
        their_memory = peak_memory() if isinstance(theirs, Totals) else "-"

        table = Table(
            "trainer", "supervised tok/s", "tok/s", "padding", "MFU", "steps", "peak memory", "last loss",
            title=f"{name}, batch {args.batch_size} × {args.max_seq_length} tokens, LoRA r={args.lora_r}, "
            f"{'packing' if args.packing else 'padding'}, {args.attn_implementation}, {device}",
        )  # fmt: skip
        table.add_row(
            "layerkit train",
            *ours.row(n_params, arch, context, peak),
            our_memory,
            f"{our_loss:.3f}",
        )
        if isinstance(theirs, Totals):
            table.add_row(
                "TRL SFTTrainer",
                *theirs.row(n_params, arch, context, peak),
                their_memory,
                f"{their_loss:.3f}",
            )
        Console(width=max(120, Console().width)).print(table)
        if not isinstance(theirs, Totals):
            print(f"TRL SFTTrainer: not measured. {theirs}")
        if not cuda:
            print("peak memory on CPU: the process's peak RSS so far (TRL runs second).")
        ratio = ours.supervised / ours.seconds if ours.seconds else 0.0
        print(f"layerkit_supervised_tok_s={ratio:.0f}")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


def _non_embedding_params(config: Any) -> int:
    h, layers, inter = config.hidden_size, config.num_hidden_layers, config.intermediate_size
    heads, kv = config.num_attention_heads, config.num_key_value_heads
    head = h // heads
    attention = h * heads * head + 2 * h * kv * head + heads * head * h
    mlp = 3 * h * inter
    return layers * (attention + mlp) + h * config.vocab_size  # + the output head


if __name__ == "__main__":
    main()
