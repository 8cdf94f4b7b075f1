"""The choice among analyzer readings, made for a whole batch with array operations.

``NeuralTagger`` scores every reading of every token and picks, per token, the best reading
(or the free per-category choice when that is more likely by more than a margin), then the
reading whose lemma wins a tie between readings that differ only in lemma. Done token by
token in Python, those few comparisons cost about as much as the network itself: a dozen
numpy calls on tiny arrays per token. Here they are whole-batch operations over the readings
laid end to end, and only the strings are built per token.

Every sum and comparison is the per-token code's, in float32 and in the same order, and every
argmax takes the first of equal values as ``ndarray.argmax`` does, so the choices are exactly
the same, not merely close.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from layerkit.nlp.neural.features import ReadingSet


@dataclass(frozen=True)
class BatchReadings:
    """Every reading of every token of a batch, end to end (tokens in order, R readings)."""

    token: np.ndarray  # (R,) the index of its token among the batch's tokens
    upos: np.ndarray  # (R,)
    vals: np.ndarray  # (R, n_cats)
    scripts: np.ndarray  # (R,) lemma-script ids
    start: np.ndarray  # (N,) where each token's readings start

    @classmethod
    def of(cls, readings: Sequence[ReadingSet], n_cats: int) -> BatchReadings:
        counts = np.fromiter((len(rs.upos) for rs in readings), np.int64, len(readings))
        with_any = [rs for rs in readings if len(rs.upos)]

        def cat(arrays: list[np.ndarray], empty: np.ndarray) -> np.ndarray:
            return np.concatenate(arrays) if arrays else empty

        return cls(
            token=np.repeat(np.arange(len(readings)), counts),
            upos=cat([rs.upos for rs in with_any], np.zeros(0, np.int64)),
            vals=cat([rs.vals for rs in with_any], np.zeros((0, n_cats), np.int64)),
            scripts=cat([rs.scripts for rs in with_any], np.zeros(0, np.int64)),
            start=np.cumsum(counts) - counts,
        )


def first_argmax(
    values: np.ndarray, groups: np.ndarray, n: int, where: np.ndarray | None = None
) -> np.ndarray:
    """For each of ``n`` groups, the index into ``values`` of its first largest value
    (among the entries ``where`` allows), or -1 for a group without entries.

    ``groups`` gives each entry's group and never decreases, as readings follow their tokens.
    """
    out = np.full(n, -1, np.int64)
    idx = np.arange(len(values)) if where is None else np.flatnonzero(where)
    if not len(idx):
        return out
    v, g = values[idx], groups[idx]
    heads = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    sizes = np.diff(np.r_[heads, len(idx)])
    at_max = np.flatnonzero(v == np.repeat(np.maximum.reduceat(v, heads), sizes))
    group_of = np.repeat(np.arange(len(heads)), sizes)[at_max]
    first = at_max[np.r_[True, group_of[1:] != group_of[:-1]]]
    out[g[first]] = idx[first]
    return out


@dataclass(frozen=True)
class Choice:
    """Per token (N): the chosen UPOS id and FEATS value ids, and the reading (an index into
    the batch's readings) whose lemma to use, -1 for none."""

    upos: np.ndarray
    vals: np.ndarray
    lemma_reading: np.ndarray


def choose(
    readings: BatchReadings,
    scores: np.ndarray,
    lp_reading_scripts: np.ndarray | None,
    free_upos: np.ndarray,
    free_vals: np.ndarray,
    free_score: np.ndarray,
    bonus: float,
    script_weight: float,
    script_scores: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Choice:
    """The decision of ``NeuralTagger`` for every token of a batch.

    ``scores``: each reading's log-probability (float32); ``lp_reading_scripts``: the
    log-probability of each reading's lemma script at its token; ``free_*``: the per-category
    choice of each token and its log-probability. A token's best reading is taken when its
    score plus ``bonus`` reaches the free score; the lemma comes from the best, by score plus
    ``script_weight`` times its script's log-probability, of the readings with the chosen UPOS
    (and, when a reading was taken, its FEATS).

    Instead of ``lp_reading_scripts`` (None), ``script_scores`` may give them on demand, for
    the readings at the indices it is called with: only readings that compete with another
    of their token's for the lemma need one (one reading alone wins whatever its score), and
    only differences within a token count, so a per-token constant may be left out.
    """
    n = len(free_upos)
    best = first_argmax(scores, readings.token, n)
    has = np.flatnonzero(best >= 0)
    taken = np.zeros(n, bool)
    taken[has] = scores[best[has]] + bonus >= free_score[has]
    upos = free_upos.copy()
    vals = free_vals.copy()
    won = best[taken]
    upos[taken] = readings.upos[won]
    vals[taken] = readings.vals[won]
    same = readings.upos == upos[readings.token]
    in_taken = taken[readings.token]
    same[in_taken] &= (readings.vals[in_taken] == vals[readings.token[in_taken]]).all(axis=1)
    if lp_reading_scripts is None:
        assert script_scores is not None, "give lp_reading_scripts or script_scores"
        contenders = np.bincount(readings.token[same], minlength=n)
        contested = np.flatnonzero(same & (contenders[readings.token] >= 2))
        lp_reading_scripts = np.zeros(len(scores), np.float32)
        if len(contested):
            lp_reading_scripts[contested] = script_scores(contested)
    pick = scores + script_weight * lp_reading_scripts
    return Choice(upos, vals, first_argmax(pick, readings.token, n, same))
