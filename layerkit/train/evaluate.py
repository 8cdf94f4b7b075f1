"""Scoring a model on a stage's test split: answer-token loss, perplexity and the task metric.

Loss and perplexity are computed teacher-forced over the supervised tokens only (the answer and
its end-of-turn token), the same tokens training optimises, so the figures of different stages
and models are comparable. The task metric needs the model's own answer: up to ``eval_generate``
test records are answered by greedy decoding from the exact prompt generation sees, bounded by
the gold answer's length plus a margin, and parsed back (see :mod:`layerkit.train.metrics`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from layerkit.train.batching import collate, micro_batches
from layerkit.train.config import TrainConfig
from layerkit.train.encoding import ChatEncoder, Encoded
from layerkit.train.metrics import MetricSum, score_answer
from layerkit.train.modeling import Runtime, answer_loss
from layerkit.train.reporting import Reporter

GENERATION_MARGIN = 16


@dataclass
class Score:
    """A model's score on one split of one stage."""

    records: int
    tokens: int
    loss: float | None
    perplexity: float | None
    metrics: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "tokens": self.tokens,
            "loss": self.loss,
            "perplexity": self.perplexity,
            "metrics": self.metrics,
        }


@torch.no_grad()
def answer_losses(
    model: Any,
    examples: Sequence[Encoded],
    config: TrainConfig,
    runtime: Runtime,
    pad_id: int,
    keep_logits: bool,
    reporter: Reporter | None = None,
) -> tuple[float, int]:
    """Summed loss and number of supervised tokens of ``examples`` (teacher-forced).

    Scoring order does not change a sum, so records go shortest first: without a varlen
    kernel each record gets a row of its own, batched with records of about its length, so
    neither padding nor packed neighbours add to the attention's length-squared cost.
    """
    lengths = [len(e) for e in examples]
    batches = micro_batches(
        sorted(range(len(examples)), key=lambda i: (lengths[i], i)),
        lengths,
        max_len=config.max_seq_length,
        batch_size=config.eval_batch_size,
        packing=config.packing and config.flat,
        flat=config.flat,
    )
    total = 0.0
    tokens = 0
    for rows in batches:
        batch = collate(examples, rows, pad_id).to(runtime.device)
        with runtime.autocast():
            loss_sum, losses = answer_loss(model, batch, keep_logits)
        total += float(loss_sum)
        tokens += losses.numel()
        if reporter is not None:
            reporter.eval_advance(batch.records)
    return total, tokens


@torch.no_grad()
def left_padded(prompts: Sequence[list[int]], pad_id: int) -> tuple[Any, Any]:
    """``prompts`` as one batch padded on the left (so every row's next token comes at the
    same position), and its attention mask."""
    width = max(len(p) for p in prompts)
    ids = torch.full((len(prompts), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(prompts), width), dtype=torch.long)
    for r, prompt in enumerate(prompts):
        ids[r, width - len(prompt) :] = torch.tensor(prompt)
        mask[r, width - len(prompt) :] = 1
    return ids, mask


def generate(
    model: Any,
    prompts: Sequence[list[int]],
    max_new_tokens: int,
    stop_ids: set[int],
    pad_id: int,
    runtime: Runtime,
) -> list[list[int]]:
    """Greedy continuations of ``prompts`` (left-padded into one batch), cut at a stop token."""
    ids, mask = left_padded(prompts, pad_id)
    width = ids.shape[1]
    with runtime.autocast():
        out = model.generate(
            input_ids=ids.to(runtime.device),
            attention_mask=mask.to(runtime.device),
            max_new_tokens=max_new_tokens,
            do_sample=False,
            eos_token_id=sorted(stop_ids),
            pad_token_id=pad_id,
            use_cache=True,
        )
    results = []
    for row in out[:, width:].tolist():
        cut = next((i for i, t in enumerate(row) if t in stop_ids), len(row))
        results.append(row[:cut])
    return results


def score_stage(
    model: Any,
    encoder: ChatEncoder,
    examples: Sequence[Encoded],
    records: Sequence[dict[str, Any]],
    config: TrainConfig,
    runtime: Runtime,
    pad_id: int,
    keep_logits: bool,
    reporter: Reporter | None = None,
) -> Score:
    """Loss and perplexity over ``examples``; the task metric over the first ``eval_generate``
    of ``records`` whose answer format has one."""
    was_training = model.training
    model.eval()
    try:
        total, tokens = answer_losses(
            model, examples, config, runtime, pad_id, keep_logits, reporter
        )
        metrics = _task_metrics(model, encoder, records, config, runtime, pad_id)
    finally:
        model.train(was_training)
    loss = total / tokens if tokens else None
    return Score(
        records=len(examples),
        tokens=tokens,
        loss=loss,
        perplexity=math.exp(min(loss, 50.0)) if loss is not None else None,
        metrics=metrics,
    )


def _task_metrics(
    model: Any,
    encoder: ChatEncoder,
    records: Sequence[dict[str, Any]],
    config: TrainConfig,
    runtime: Runtime,
    pad_id: int,
) -> dict[str, float]:
    from layerkit.train.metrics import PRIMARY

    chosen = [r for r in records if r["meta"].get("answer_format") in PRIMARY][
        : config.eval_generate
    ]
    if not chosen:
        return {}
    tokenizer = encoder.tokenizer
    totals = MetricSum()
    for i in range(0, len(chosen), config.eval_batch_size):
        chunk = chosen[i : i + config.eval_batch_size]
        prompts = [encoder.prompt_ids(r["messages"][:-1]) for r in chunk]
        gold_lengths = [
            len(tokenizer(r["messages"][-1]["content"], add_special_tokens=False)["input_ids"])
            for r in chunk
        ]
        budget = min(config.max_new_tokens, max(gold_lengths) + GENERATION_MARGIN)
        outputs = generate(model, prompts, budget, encoder.stop_ids, pad_id, runtime)
        for record, ids in zip(chunk, outputs, strict=True):
            text = tokenizer.decode(ids, skip_special_tokens=True)
            score_answer(
                record["meta"]["answer_format"], text, record["messages"][-1]["content"], totals
            )
    return totals.result()
