"""The batch-wide choice among readings (layerkit/nlp/neural/decoding.py) against the rule
it implements, written token by token as NeuralTagger used to."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from layerkit.nlp.neural.decoding import BatchReadings, choose, first_argmax
from layerkit.nlp.neural.features import ReadingSet


def test_first_argmax_takes_the_first_of_equal_values_per_group() -> None:
    values = np.array([1.0, 3.0, 3.0, 2.0, 5.0, 0.0], np.float32)
    groups = np.array([0, 0, 0, 2, 3, 3])
    assert first_argmax(values, groups, 5).tolist() == [1, -1, 3, 4, -1]
    where = np.array([True, False, True, False, False, True])
    assert first_argmax(values, groups, 5, where).tolist() == [2, -1, -1, 5, -1]
    assert first_argmax(values[:0], groups[:0], 2).tolist() == [-1, -1]


def _reading_set(upos: list[int], vals: list[list[int]], lemmas: list[str]) -> ReadingSet:
    return ReadingSet(
        upos=np.asarray(upos, np.int64),
        vals=np.asarray(vals, np.int64).reshape(len(upos), 2),
        lemmas=lemmas,
        scripts=np.arange(len(upos), dtype=np.int64),
    )


def _one_by_one(sets, scores, lp_scripts, free_upos, free_vals, free_score, bonus):
    """The per-token rule, as it was written before it was vectorized."""
    out, k = [], 0
    for t, rs in enumerate(sets):
        u, vals, lemma = int(free_upos[t]), free_vals[t], -1
        n = len(rs.upos)
        if n:
            sc = scores[k : k + n]
            j = int(sc.argmax())
            if sc[j] + bonus >= free_score[t]:
                u, vals = int(rs.upos[j]), rs.vals[j]
                same = np.flatnonzero((rs.upos == u) & (rs.vals == vals).all(axis=1))
            else:
                same = np.flatnonzero(rs.upos == u)
            if len(same):
                pick = sc[same] + 1.0 * lp_scripts[k : k + n][same]
                lemma = k + int(same[pick.argmax()])
            k += n
        out.append((u, list(vals), lemma))
    return out


@dataclass
class _Batch:
    """A random batch of 12 tokens for ``choose``: their reading sets, the readings end to
    end, and coarse scores (so that ties, where the first one wins, happen)."""

    sets: list[ReadingSet]
    readings: BatchReadings
    scores: np.ndarray
    lp_scripts: np.ndarray
    free_upos: np.ndarray
    free_vals: np.ndarray
    free_score: np.ndarray


def _random_batch(rng: np.random.Generator, max_readings: int, n_upos: int) -> _Batch:
    sets = []
    for _ in range(12):
        n = int(rng.integers(0, max_readings + 1))
        upos = rng.integers(0, n_upos, n).tolist()
        vals = rng.integers(0, 2, (n, 2)).tolist()
        sets.append(_reading_set(upos, vals, [f"l{i}" for i in range(n)]))
    readings = BatchReadings.of(sets, 2)
    r = len(readings.upos)
    return _Batch(
        sets,
        readings,
        scores=rng.integers(-4, 0, r).astype(np.float32),
        lp_scripts=rng.integers(-2, 0, r).astype(np.float32),
        free_upos=rng.integers(0, n_upos, 12),
        free_vals=rng.integers(0, 2, (12, 2)),
        free_score=rng.integers(-6, 0, 12).astype(np.float32),
    )


def test_choose_matches_the_token_by_token_rule() -> None:
    rng = np.random.default_rng(0)
    for _ in range(50):
        b = _random_batch(rng, max_readings=3, n_upos=3)
        free = (b.free_upos, b.free_vals, b.free_score)
        got = choose(b.readings, b.scores, b.lp_scripts, *free, 1.0, 1.0)
        want = _one_by_one(b.sets, b.scores, b.lp_scripts, *free, 1.0)
        assert [
            (int(u), v, int(lem))
            for u, v, lem in zip(got.upos, got.vals.tolist(), got.lemma_reading, strict=True)
        ] == want


def test_script_scores_on_demand_choose_the_same() -> None:
    """Given ``script_scores`` instead of every reading's script score, ``choose`` asks only
    for readings that compete with another of their token's for the lemma, and decides the
    same; a constant added per token (the normaliser the tagger leaves out) changes nothing."""
    rng = np.random.default_rng(1)
    asked_total = 0
    for _ in range(50):
        b = _random_batch(rng, max_readings=4, n_upos=2)
        per_token = rng.integers(-3, 3, 12).astype(np.float32)[b.readings.token]
        asked: list[int] = []

        def on_demand(
            ix: np.ndarray,
            asked: list[int] = asked,
            lp: np.ndarray = b.lp_scripts,
            shift: np.ndarray = per_token,
        ) -> np.ndarray:
            asked.extend(ix.tolist())
            return lp[ix] + shift[ix]

        args = (b.free_upos, b.free_vals, b.free_score, 1.0, 1.0)
        want = choose(b.readings, b.scores, b.lp_scripts, *args)
        got = choose(b.readings, b.scores, None, *args, on_demand)
        assert got.lemma_reading.tolist() == want.lemma_reading.tolist()
        assert got.upos.tolist() == want.upos.tolist()
        # every reading asked for shares its token with another reading asked for
        tokens = b.readings.token[asked].tolist()
        assert all(tokens.count(t) >= 2 for t in tokens)
        asked_total += len(asked)
    assert asked_total > 0
