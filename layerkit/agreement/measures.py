"""Agreement measures between annotators: the statistics ``layerkit agreement`` reports.

Chance-corrected statistics come from maintained libraries rather than being written here:
Cohen's and Fleiss' κ from statsmodels (``statsmodels.stats.inter_rater``), Krippendorff's α
(nominal, ordinal, interval, ratio; any number of raters, missing values allowed) from the
``krippendorff`` package. What those libraries do not cover, agreement on spans (exact and
overlapping matches, pairwise and over all raters), is here. Every measure is tested against
published worked examples and a second implementation (tests/test_agreement.py).

Labels are any hashable values; ``None`` means "this rater gave no label to this item".
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

Level = Literal["nominal", "ordinal", "interval", "ratio"]
Match = Literal["exact", "overlap"]


def cohen_kappa(first: Sequence[Hashable | None], second: Sequence[Hashable | None]) -> float:
    """Cohen's κ of two raters over the items both labelled (NaN when it is undefined: fewer
    than one item, or both raters always give the same single label)."""
    if len(first) != len(second):
        raise ValueError(f"two raters, {len(first)} and {len(second)} items: one list per rater")
    pairs = [(a, b) for a, b in zip(first, second, strict=True) if a is not None and b is not None]
    if not pairs:
        return math.nan
    from statsmodels.stats.inter_rater import cohens_kappa

    labels = sorted({label for pair in pairs for label in pair}, key=repr)
    index = {label: i for i, label in enumerate(labels)}
    table = [[0] * len(labels) for _ in labels]
    for a, b in pairs:
        table[index[a]][index[b]] += 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # 0/0 for a single shared label
        return float(cohens_kappa(table, return_results=False))


def fleiss_kappa(items: Sequence[Sequence[Hashable]]) -> float:
    """Fleiss' κ: each item is the labels its raters gave, every item rated by the same number
    of raters (use :func:`krippendorff_alpha` when some labels are missing)."""
    if not items:
        return math.nan
    raters = {len(labels) for labels in items}
    if len(raters) != 1 or raters == {0} or raters == {1}:
        raise ValueError(
            "Fleiss' kappa needs the same number (two or more) of labels for every item; "
            "Krippendorff's alpha allows missing ones"
        )
    from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss

    labels = sorted({label for row in items for label in row}, key=repr)
    index = {label: i for i, label in enumerate(labels)}
    table = [[0] * len(labels) for _ in items]
    for row, labelled in zip(table, items, strict=True):
        for label in labelled:
            row[index[label]] += 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(statsmodels_fleiss(table, method="fleiss"))


def krippendorff_alpha(
    items: Sequence[Mapping[str, Hashable | None]],
    *,
    level: Level = "nominal",
    order: Sequence[Hashable] | None = None,
) -> float:
    """Krippendorff's α over items rated by any raters (``{rater: label}``; a missing rater or
    ``None`` is a missing value). ``order`` ranks the labels for the ordinal, interval and ratio
    levels (numbers rank by value without it). NaN when fewer than two values are pairable."""
    import krippendorff
    import numpy as np

    raters = sorted({rater for item in items for rater in item})
    values = {label for item in items for label in item.values() if label is not None}
    if order is not None:
        unknown = values - set(order)
        if unknown:
            raise ValueError(f"labels not in the order given: {sorted(map(repr, unknown))}")
        rank = {label: float(i) for i, label in enumerate(order)}
    elif level == "nominal":
        rank = {label: float(i) for i, label in enumerate(sorted(values, key=repr))}
    else:
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            raise ValueError(f"the {level} level needs numbers or an order of the labels")
        rank = {label: float(label) for label in values}  # type: ignore[arg-type]
    matrix = np.full((len(raters), len(items)), np.nan)
    for column, item in enumerate(items):
        for row, rater in enumerate(raters):
            label = item.get(rater)
            if label is not None:
                matrix[row, column] = rank[label]
    pairable = int(np.sum(np.sum(~np.isnan(matrix), axis=0) >= 2))
    if len(rank) < 2 or pairable == 0:
        return math.nan
    return float(krippendorff.alpha(reliability_data=matrix, level_of_measurement=level))


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    label: str | None = None


@dataclass(frozen=True)
class SpanAgreement:
    """Span agreement of raters: F1 of each pair (precision of one against the other is the
    recall the other way round, so F1 is symmetric) and their mean."""

    pairs: dict[tuple[str, str], float]
    mean_f1: float
    match: Match


def matched_spans(
    first: Sequence[Span], second: Sequence[Span], match: Match
) -> list[tuple[int, int]]:
    """One-to-one pairs ``(i, j)`` of spans of two raters that match: the same offsets and label
    (``exact``), or the same label and overlapping offsets (``overlap``), the largest overlaps
    paired first."""
    a = [(s.start, s.end, s.label) for s in first]
    b = [(s.start, s.end, s.label) for s in second]
    return exact_pairs(a, b) if match == "exact" else overlap_pairs(a, b)


# Spans as plain ``(start, end, label)`` tuples: what ``layerkit agreement`` streams (a tuple
# costs a fraction of a :class:`Span`), with the same matching as :func:`matched_spans`.
SpanTuple = tuple[int, int, Hashable]


def exact_pairs(first: Sequence[SpanTuple], second: Sequence[SpanTuple]) -> list[tuple[int, int]]:
    """:func:`matched_spans` ``exact`` on tuples: each span of ``first`` takes the first span
    of ``second`` equal to it that is still free."""
    if first == second:
        return [(i, i) for i in range(len(first))]
    where: dict[SpanTuple, list[int]] = {}
    for j, span in enumerate(second):
        where.setdefault(span, []).append(j)
    pairs = []
    for i, span in enumerate(first):
        free = where.get(span)
        if free:
            pairs.append((i, free.pop(0)))
    return pairs


def overlap_pairs(first: Sequence[SpanTuple], second: Sequence[SpanTuple]) -> list[tuple[int, int]]:
    """:func:`matched_spans` ``overlap`` on tuples: candidate pairs of the same label that
    overlap, the largest overlap first (ties by ``i``, then ``j``), taken while both are free.

    Spans of one label are swept in order of their starts into clusters that chain by
    overlapping; a pair is only ever a candidate within a cluster, so the greedy pairing runs
    cluster by cluster (what it decides in one cannot change another), and a cluster of one
    span of each rater is a pair at once."""
    by_label: dict[Hashable, list[tuple[int, int, int, int]]] = {}
    for side, spans in ((0, first), (1, second)):
        for index, (start, end, label) in enumerate(spans):
            if end > start:  # an empty span overlaps nothing
                by_label.setdefault(label, []).append((start, end, side, index))
    pairs: list[tuple[int, int]] = []
    for found in by_label.values():
        found.sort()
        cluster: list[tuple[int, int, int, int]] = []
        reach = found[0][0]
        for span in found:
            if span[0] >= reach and cluster:
                _pair_cluster(cluster, pairs)
                cluster = []
            cluster.append(span)
            reach = max(reach, span[1])
        _pair_cluster(cluster, pairs)
    return sorted(pairs)


def _pair_cluster(cluster: list[tuple[int, int, int, int]], pairs: list[tuple[int, int]]) -> None:
    """The greedy overlap pairing of one cluster of :func:`overlap_pairs`."""
    if len(cluster) < 2:
        return
    if len(cluster) == 2:
        (a_start, a_end, a_side, a), (b_start, b_end, b_side, b) = cluster
        if a_side != b_side and min(a_end, b_end) > max(a_start, b_start):
            pairs.append((a, b) if a_side == 0 else (b, a))
        return
    mine = [span for span in cluster if span[2] == 0]
    theirs = [span for span in cluster if span[2] == 1]
    candidates = []
    for a_start, a_end, _, i in mine:
        for b_start, b_end, _, j in theirs:
            overlap = min(a_end, b_end) - max(a_start, b_start)
            if overlap > 0:
                candidates.append((-overlap, i, j))
    candidates.sort()
    used_i: set[int] = set()
    used_j: set[int] = set()
    for _, i, j in candidates:
        if i not in used_i and j not in used_j:
            used_i.add(i)
            used_j.add(j)
            pairs.append((i, j))


def span_matches(first: Sequence[SpanTuple], second: Sequence[SpanTuple]) -> tuple[int, int]:
    """How many spans of two raters match ``exact`` and ``overlap`` (the sizes of
    :func:`matched_spans`' pairings), with shortcuts for what is common: when both hold the
    same spans, every span matches exactly, and by overlap every span longer than nothing
    (the longest overlaps are paired first, so each span is paired with its twin)."""
    if not first or not second:
        return 0, 0
    if first != second:
        mine, theirs = Counter(first), Counter(second)
        if mine != theirs:
            exact = sum((mine & theirs).values())
            return exact, len(overlap_pairs(first, second))
    return len(first), sum(1 for start, end, _ in first if end > start)


def span_agreement(spans: Mapping[str, Sequence[Span]], *, match: Match = "exact") -> SpanAgreement:
    """F1 between every two raters' spans (``2 · matched / (|A| + |B|)``; 1 when both marked
    nothing) and the mean over the pairs."""
    raters = sorted(spans)
    if len(raters) < 2:
        raise ValueError("span agreement needs at least two raters")
    pairs = {}
    for a, b in itertools.combinations(raters, 2):
        first, second = list(spans[a]), list(spans[b])
        total = len(first) + len(second)
        matched = len(matched_spans(first, second, match))
        pairs[a, b] = 1.0 if total == 0 else 2 * matched / total
    return SpanAgreement(pairs, sum(pairs.values()) / len(pairs), match)


@dataclass(frozen=True)
class Relation:
    """A relation between two of a rater's spans, by their index in that rater's span list."""

    source: int
    target: int
    label: str | None = None


def relation_agreement(
    spans: Mapping[str, Sequence[Span]],
    relations: Mapping[str, Sequence[Relation]],
    *,
    match: Match = "exact",
) -> SpanAgreement:
    """F1 over ``(source, target, label)`` between every two raters, the endpoints aligned by
    the span matching (:func:`matched_spans`): a relation agrees when the other rater has one
    with the same label between the spans matched to its endpoints."""
    raters = sorted(relations)
    if len(raters) < 2:
        raise ValueError("relation agreement needs at least two raters")
    pairs = {}
    for a, b in itertools.combinations(raters, 2):
        matched, total = relation_matches((spans[a], spans[b]), (relations[a], relations[b]), match)
        pairs[a, b] = 1.0 if total == 0 else 2 * matched / total
    return SpanAgreement(pairs, sum(pairs.values()) / len(pairs), match)


class NominalAlpha:
    """Krippendorff's α (nominal), item by item in constant memory: the coincidence matrix
    (Krippendorff 2011, section A) summed as items arrive, instead of a matrix of every item.

    For each item with ``m >= 2`` values, every ordered pair of values of two different raters
    adds ``1 / (m - 1)`` to ``o[c, k]``; then ``α = 1 - (n - 1) · Σ_{c≠k} o[c,k] /
    Σ_{c≠k} n_c · n_k`` with ``n_c = Σ_k o[c,k]`` and ``n = Σ n_c``. What
    :func:`krippendorff_alpha` gives on the same items (tested on random data), at any corpus
    size: ``layerkit agreement`` streams paragraphs through it. :meth:`ordinal` gives the
    ordinal α of the same matrix.
    """

    def __init__(self) -> None:
        self.coincidences: dict[tuple[Hashable, Hashable], float] = {}

    def add(self, values: Iterable[Hashable | None], times: int = 1) -> None:
        """One item's values (``None``: missing), or ``times`` items with these values."""
        present = [v for v in values if v is not None]
        m = len(present)
        if m < 2:
            return
        weight = 1 / (m - 1)
        counts: dict[Hashable, int] = {}
        for value in present:
            counts[value] = counts.get(value, 0) + 1
        o = self.coincidences
        for c, n_c in counts.items():
            for k, n_k in counts.items():
                pairs = n_c * (n_c - 1) if c == k else n_c * n_k
                if pairs:
                    o[c, k] = o.get((c, k), 0.0) + pairs * times * weight

    def _totals(self) -> dict[Hashable, float]:
        totals: dict[Hashable, float] = {}
        for (c, _k), w in self.coincidences.items():
            totals[c] = totals.get(c, 0.0) + w
        return totals

    def value(self) -> float:
        totals = self._totals()
        n = sum(totals.values())
        if len(totals) < 2 or n <= 1:
            return math.nan
        observed = sum(w for (c, k), w in self.coincidences.items() if c != k)
        expected = n * n - sum(v * v for v in totals.values())
        return 1 - (n - 1) * observed / expected

    def ordinal(self, order: Sequence[Hashable]) -> float:
        """Krippendorff's α at the ordinal level, the values ranked by ``order``: the same
        coincidences weighed by the ordinal metric ``δ²(c, k) = (Σ_{g=c..k} n_g - (n_c +
        n_k) / 2)²`` (Krippendorff 2011, section E), so ``α = 1 - (n - 1) · Σ o[c,k] δ²(c,k) /
        Σ n_c n_k δ²(c,k)``. What :func:`krippendorff_alpha` gives with ``level="ordinal"``
        and the same order (tested). ValueError for a value the order does not rank."""
        totals = self._totals()
        rank = {value: i for i, value in enumerate(order)}
        unknown = [v for v in totals if v not in rank]
        if unknown:
            raise ValueError(f"labels not in the order given: {sorted(map(repr, unknown))}")
        n = sum(totals.values())
        if len(totals) < 2 or n <= 1:
            return math.nan
        values = sorted(totals, key=rank.__getitem__)
        below = {}  # Σ n_g over the values ranked before each value
        running = 0.0
        for value in values:
            below[value] = running
            running += totals[value]

        def delta(c: Hashable, k: Hashable) -> float:
            if rank[c] > rank[k]:
                c, k = k, c
            between = below[k] + totals[k] - below[c]  # Σ n_g for g from c to k
            return (between - (totals[c] + totals[k]) / 2) ** 2

        observed = sum(w * delta(c, k) for (c, k), w in self.coincidences.items() if c != k)
        expected = sum(
            totals[c] * totals[k] * delta(c, k) for c in values for k in values if c != k
        )
        if expected == 0:
            return math.nan
        return 1 - (n - 1) * observed / expected


class OrdinalAlpha(NominalAlpha):
    """Krippendorff's α at the ordinal level, streamed like :class:`NominalAlpha` (the same
    coincidence matrix), the values ranked by ``order``."""

    def __init__(self, order: Sequence[Hashable]) -> None:
        super().__init__()
        self.order = tuple(order)

    def value(self) -> float:
        return self.ordinal(self.order)


def relation_matches(
    spans: tuple[Sequence[Span], Sequence[Span]],
    relations: tuple[Sequence[Relation], Sequence[Relation]],
    match: Match = "exact",
) -> tuple[int, int]:
    """``(matched, total)`` of two raters' relations, as :func:`relation_agreement` counts them
    (its F1 is ``2 · matched / total``): for summing over paragraphs."""
    aligned = dict(matched_spans(list(spans[0]), list(spans[1]), match))
    return relation_counts(
        aligned,
        [(r.source, r.target, r.label) for r in relations[0]],
        [(r.source, r.target, r.label) for r in relations[1]],
    )


def relation_counts(
    aligned: Mapping[int, int],
    first: Sequence[tuple[int, int, Hashable]],
    second: Sequence[tuple[int, int, Hashable]],
) -> tuple[int, int]:
    """``(matched, total)`` of two raters' relations as ``(source, target, label)`` tuples (ends
    by index in each rater's spans), ``aligned`` mapping the first rater's spans to the
    second's: a relation matches one of the other's with the same label between the spans
    aligned to its ends, each at most once."""
    theirs = Counter(second)
    matched = 0
    for source, target, label in first:
        end_s, end_t = aligned.get(source), aligned.get(target)
        if end_s is None or end_t is None:
            continue
        found = (end_s, end_t, label)
        if theirs[found] > 0:
            theirs[found] -= 1
            matched += 1
    return matched, len(first) + len(second)
