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
    if match == "exact":
        where: dict[Span, list[int]] = {}
        for j, span in enumerate(second):
            where.setdefault(span, []).append(j)
        pairs = []
        for i, span in enumerate(first):
            free = where.get(span)
            if free:
                pairs.append((i, free.pop(0)))
        return pairs
    candidates = []
    for i, a in enumerate(first):
        for j, b in enumerate(second):
            overlap = min(a.end, b.end) - max(a.start, b.start)
            if overlap > 0 and a.label == b.label:
                candidates.append((-overlap, i, j))
    candidates.sort()
    used_i: set[int] = set()
    used_j: set[int] = set()
    pairs = []
    for _, i, j in candidates:
        if i not in used_i and j not in used_j:
            used_i.add(i)
            used_j.add(j)
            pairs.append((i, j))
    return sorted(pairs)


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
        aligned = dict(matched_spans(list(spans[a]), list(spans[b]), match))
        theirs: dict[tuple[int, int, str | None], int] = {}
        for rel in relations[b]:
            key = (rel.source, rel.target, rel.label)
            theirs[key] = theirs.get(key, 0) + 1
        matched = 0
        for rel in relations[a]:
            source, target = aligned.get(rel.source), aligned.get(rel.target)
            if source is None or target is None:
                continue
            found = (source, target, rel.label)
            if theirs.get(found, 0) > 0:
                theirs[found] -= 1
                matched += 1
        total = len(relations[a]) + len(relations[b])
        pairs[a, b] = 1.0 if total == 0 else 2 * matched / total
    return SpanAgreement(pairs, sum(pairs.values()) / len(pairs), match)


class NominalAlpha:
    """Krippendorff's α (nominal), item by item in constant memory: the coincidence matrix
    (Krippendorff 2011, section A) summed as items arrive, instead of a matrix of every item.

    For each item with ``m >= 2`` values, every ordered pair of values of two different raters
    adds ``1 / (m - 1)`` to ``o[c, k]``; then ``α = 1 - (n - 1) · Σ_{c≠k} o[c,k] /
    Σ_{c≠k} n_c · n_k`` with ``n_c = Σ_k o[c,k]`` and ``n = Σ n_c``. What
    :func:`krippendorff_alpha` gives on the same items (tested on random data), at any corpus
    size: ``layerkit agreement`` streams paragraphs through it.
    """

    def __init__(self) -> None:
        self.coincidences: dict[tuple[Hashable, Hashable], float] = {}

    def add(self, values: Iterable[Hashable | None]) -> None:
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
                    o[c, k] = o.get((c, k), 0.0) + pairs * weight

    def value(self) -> float:
        totals: dict[Hashable, float] = {}
        for (c, _k), w in self.coincidences.items():
            totals[c] = totals.get(c, 0.0) + w
        n = sum(totals.values())
        if len(totals) < 2 or n <= 1:
            return math.nan
        observed = sum(w for (c, k), w in self.coincidences.items() if c != k)
        expected = n * n - sum(v * v for v in totals.values())
        return 1 - (n - 1) * observed / expected


def relation_matches(
    spans: tuple[Sequence[Span], Sequence[Span]],
    relations: tuple[Sequence[Relation], Sequence[Relation]],
    match: Match = "exact",
) -> tuple[int, int]:
    """``(matched, total)`` of two raters' relations, as :func:`relation_agreement` counts them
    (its F1 is ``2 · matched / total``): for summing over paragraphs."""
    aligned = dict(matched_spans(list(spans[0]), list(spans[1]), match))
    theirs: dict[tuple[int, int, str | None], int] = {}
    for rel in relations[1]:
        key = (rel.source, rel.target, rel.label)
        theirs[key] = theirs.get(key, 0) + 1
    matched = 0
    for rel in relations[0]:
        source, target = aligned.get(rel.source), aligned.get(rel.target)
        if source is None or target is None:
            continue
        found = (source, target, rel.label)
        if theirs.get(found, 0) > 0:
            theirs[found] -= 1
            matched += 1
    return matched, len(relations[0]) + len(relations[1])
