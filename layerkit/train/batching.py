"""The data order of a stage: replay mix, shuffled epochs, rows, micro-batches, tensors.

Everything here is a pure function of the encoded records, the settings and the seed, so every
process of a multi-GPU run computes the same plan without talking to the others, and a resumed
run finds its place by counting optimizer steps: the plan itself is never saved.

Rows: with packing, whole records are laid one after another up to ``max_seq_length`` tokens;
without, a row is one record. Rows of a micro-batch are padded to the longest. Padding-free
(``flat``) micro-batches are a single row of up to ``batch_size × max_seq_length`` tokens, the
layout varlen kernels (flash attention, flex attention) want: no padding at all, and attention
cost only inside each record; with sdpa or eager the whole row's mask would be materialised and
computed, so there rows are at most as long as the longest record (``max_seq_length`` at
most). Position ids
restart at 0 for every record and for the padding, and no attention mask is passed: transformers
reads the restarts as sequence boundaries (a block-diagonal causal mask for sdpa/eager/flex,
varlen kernels for flash attention), so no token attends across records or to padding.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from layerkit.train.encoding import IGNORE, Encoded

if TYPE_CHECKING:
    import torch

Row = list[int]
MicroBatch = list[Row]


def replay_count(current: int, available: int, share: float) -> int:
    """How many earlier records to mix into a stage of ``current`` records so that they make
    ``share`` of the mix (as near as whole records allow), at most ``available``."""
    if share <= 0 or current == 0:
        return 0
    return min(available, round(share * current / (1.0 - share)))


def replay_sample(earlier: int, count: int, seed: int, stage: int) -> list[int]:
    """Indices of the replayed records among the earlier stages' training records: a uniform
    sample without replacement, fixed by the seed and the stage."""
    rng = random.Random(f"replay/{seed}/{stage}")
    return sorted(rng.sample(range(earlier), count))


def epoch_order(n: int, seed: int, stage: int, epoch: int) -> list[int]:
    order = list(range(n))
    random.Random(f"order/{seed}/{stage}/{epoch}").shuffle(order)
    return order


def rows_of(order: Sequence[int], lengths: Sequence[int], max_len: int, packing: bool) -> list[Row]:
    """Consecutive records of ``order`` laid into rows (no reordering, so the order stays the
    seed's; a record that does not fit starts the next row)."""
    if not packing:
        return [[i] for i in order]
    rows: list[Row] = []
    current: Row = []
    used = 0
    for i in order:
        if current and used + lengths[i] > max_len:
            rows.append(current)
            current, used = [], 0
        current.append(i)
        used += lengths[i]
    if current:
        rows.append(current)
    return rows


def micro_batches(
    order: Sequence[int],
    lengths: Sequence[int],
    *,
    max_len: int,
    batch_size: int,
    packing: bool,
    flat: bool,
) -> list[MicroBatch]:
    """Micro-batches of ``batch_size`` rows; ``flat`` (padding-free) makes each micro-batch one
    row of up to ``batch_size × max_len`` tokens instead, so no token is padding."""
    if packing and flat:
        return [[row] for row in rows_of(order, lengths, max_len * batch_size, packing=True)]
    if packing and order:
        # Without a varlen kernel a row's attention costs its length squared, whatever the
        # mask: rows no longer than the longest record keep that cost where padding would
        # have put it anyway (on the sample curriculum, rows of 2.4k instead of 4k tokens:
        # about a third of the attention work).
        max_len = min(max_len, max(lengths[i] for i in order))
        out: list[MicroBatch] = []
        for start in range(0, len(order), PACKING_WINDOW):
            out.extend(
                packed_micro_batches(
                    order[start : start + PACKING_WINDOW], lengths, max_len, batch_size
                )
            )
        return out
    rows = rows_of(order, lengths, max_len, packing)
    return [rows[i : i + batch_size] for i in range(0, len(rows), batch_size)]


PACKING_WINDOW = 512
"""Records packed together: large enough that best-fit finds partners for long records, small
enough that the seed's order still decides which records meet early and which late."""


def best_fit_rows(window: Sequence[int], lengths: Sequence[int], max_len: int) -> list[Row]:
    """Best-fit decreasing: longest record first, each into the fullest row it fits in.

    Consecutive packing leaves the tail of a row empty whenever the next record is long, and
    every row of a micro-batch is padded to its longest: about a fifth of the tokens were
    padding on realistic curricula. Best fit leaves a few percent (bench/train_throughput.py
    prints the share)."""
    rows: list[Row] = []
    # free space of each open row, kept sorted with the row's index as tie-break
    free: list[tuple[int, int]] = []
    for i in sorted(window, key=lambda i: -lengths[i]):
        n = lengths[i]
        at = bisect.bisect_left(free, (n, -1))
        if at < len(free):
            space, r = free.pop(at)
            rows[r].append(i)
            bisect.insort(free, (space - n, r))
        else:
            rows.append([i])
            bisect.insort(free, (max_len - n, len(rows) - 1))
    return rows


def packed_micro_batches(
    window: Sequence[int], lengths: Sequence[int], max_len: int, batch_size: int
) -> list[MicroBatch]:
    """The window's records best-fit into rows, rows of like fill grouped into micro-batches
    (so the shorter leftover rows pad each other rather than a full one), and the micro-batches
    put back in an order drawn from the window itself: long records are not all trained first,
    and the plan stays a pure function of its input."""
    rows = best_fit_rows(window, lengths, max_len)
    rows.sort(key=lambda row: -sum(lengths[i] for i in row))
    batches = [rows[i : i + batch_size] for i in range(0, len(rows), batch_size)]
    random.Random(f"pack/{len(window)}/{window[0]}/{window[-1]}").shuffle(batches)
    return batches


@dataclass(frozen=True)
class StagePlan:
    """The micro-batches of one stage in order, and how they group into optimizer steps."""

    micro_batches: list[MicroBatch]
    steps: int
    per_step: int
    epochs: float

    def step(self, index: int) -> list[MicroBatch]:
        """The micro-batches of optimizer step ``index`` (all processes together)."""
        return self.micro_batches[index * self.per_step : (index + 1) * self.per_step]


def plan_stage(
    lengths: Sequence[int],
    *,
    seed: int,
    stage: int,
    epochs: float,
    max_steps: int,
    batch_size: int,
    per_step: int,
    max_len: int,
    packing: bool,
    flat: bool = False,
) -> StagePlan:
    """Shuffle per epoch, lay into rows, cut into micro-batches; ``max_steps > 0`` runs exactly
    that many optimizer steps (cycling epochs), else ``epochs`` passes (the last one partial)."""
    n = len(lengths)
    micro: list[MicroBatch] = []
    if n == 0:
        return StagePlan([], 0, per_step, 0.0)
    epoch = 0
    while True:
        order = epoch_order(n, seed, stage, epoch)
        if max_steps == 0 and epoch + 1 > epochs:
            order = order[: math.ceil((epochs - epoch) * n)]
        micro.extend(
            micro_batches(
                order, lengths, max_len=max_len, batch_size=batch_size, packing=packing, flat=flat
            )
        )
        epoch += 1
        if max_steps > 0 and len(micro) >= max_steps * per_step:
            micro = micro[: max_steps * per_step]
            break
        if max_steps == 0 and epoch >= epochs:
            break
    steps = math.ceil(len(micro) / per_step)
    records = sum(len(row) for mb in micro for row in mb)
    return StagePlan(micro, steps, per_step, round(records / n, 3))


@dataclass
class Batch:
    """Tensors of one micro-batch and what it holds: ``tokens`` excludes padding."""

    input_ids: torch.Tensor
    position_ids: torch.Tensor
    labels: torch.Tensor
    records: int
    tokens: int
    supervised: int
    padding: int

    def to(self, device: Any) -> Batch:
        return Batch(
            self.input_ids.to(device, non_blocking=True),
            self.position_ids.to(device, non_blocking=True),
            self.labels.to(device, non_blocking=True),
            self.records,
            self.tokens,
            self.supervised,
            self.padding,
        )


def collate(examples: Sequence[Encoded], rows: Sequence[Row], pad_id: int) -> Batch:
    import torch

    width = max(sum(len(examples[i]) for i in row) for row in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    positions = torch.zeros((len(rows), width), dtype=torch.long)
    labels = torch.full((len(rows), width), IGNORE, dtype=torch.long)
    tokens = supervised = 0
    for r, row in enumerate(rows):
        at = 0
        for i in row:
            example = examples[i]
            n = len(example)
            ids[r, at : at + n] = torch.tensor(example.input_ids)
            labels[r, at : at + n] = torch.tensor(example.labels)
            positions[r, at : at + n] = torch.arange(n)
            at += n
            supervised += example.supervised
        tokens += at
        # Padding of a row that holds several records restarts its positions (a sequence of its
        # own, never attended to). A row of one record continues them instead: then the row is
        # one causal sequence, so attention needs no mask and takes the fused causal kernel
        # (padding comes after every real token, so no real token can see it).
        start = at if len(row) == 1 else 0
        positions[r, at:] = torch.arange(start, start + width - at)
    return Batch(
        ids,
        positions,
        labels,
        records=sum(len(row) for row in rows),
        tokens=tokens,
        supervised=supervised,
        padding=len(rows) * width - tokens,
    )
