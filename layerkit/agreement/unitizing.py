"""Krippendorff's unitizing alpha (uα): agreement on where the units of a text are, and how they
are labelled, when every rater marks spans on the running text instead of labelling units given
in advance. Span F1 (:func:`layerkit.agreement.measures.span_agreement`) counts matched spans
and is not chance-corrected; uα compares what the raters said about every code point, gaps
included, with what they would say by chance, so it is comparable with the other αs.

The continuum is a paragraph of ``length`` code points. Each rater's units are ``(start, end,
label)`` (``end`` exclusive); every stretch a rater's unit of a label does not cover is a *gap*
of that rater for that label. A rater who marked nothing still counts: all gap.

**Labels are taken one at a time.** layerkit's spans overlap and nest, with different labels
(a THEME of one predicate over the same words as a PATIENT of another), while the
multi-valued uα of Krippendorff, Mathet, Bouvry & Widlöcher (2016) needs each rater's continuum
cut into sections of one value each. So, as Krippendorff (1995; 2004, *Content Analysis*, 2nd
ed.) treats categories, each label ``c`` is a binary continuum of its own, c-units
against gaps, and the labels are combined by summing their observed and their expected
disagreements: ``α = 1 - Σ_c D_o(c) / Σ_c D_e(c)``. Units of one rater and one label that share
a code point are merged into one (the definitions have none such); units that only touch stay two
units, as in the papers' examples. A label missing from a paragraph adds gaps to it.

:class:`UnitizingAlpha` (use this one) computes each label's term with the 2016 definition
(Krippendorff et al. 2016, uα), which replaced the 1995/2004 one because that one "turned out to
behave not as expected when applied to more than two observers" (their abstract). With values
``u`` (a unit of the label) and ``∅`` (gap), the observed coincidences are the lengths of
intersections of sections of different raters,
``o_xy = 1/(m-1) · Σ_i Σ_{j≠i} Σ_g Σ_h |s_ig ∩ s_jh|`` over sections valued ``x`` and ``y``;
the expected ones pair sections at random, a unit being indivisible (it cannot pair with itself:
``Σ l²`` taken out) and a gap divisible into code points (``Σ l``):
``e_xy = (o_x · o_y - [x=y] · C_x) / (o.. - (C_u + C_∅) / o..)`` with ``C_u = Σ_units l²``,
``C_∅ = Σ_gaps l``. Then ``D_o ∝ o_u∅ + o_∅u`` and ``D_e ∝ e_u∅ + e_∅u`` (both over ``o..``,
which cancels). For one label this is the paper's uα; :meth:`UnitizingAlpha.binary_value` is its
``|uα`` (every label counted as "unit": agreement on the boundaries alone). Over paragraphs,
coincidences and the corrections ``C`` add up (a gap split by a paragraph's end counts the same,
``Σ l``), so the paragraphs are one continuum laid end to end, and each paragraph weighs its
pairs by its own number of raters ``m`` (``1/(m-1)``, as α does with missing values): raters may
differ between paragraphs. Memory: three numbers per label.

:class:`UnitizingAlpha2004` is the earlier coefficient (Krippendorff 1995, *Sociological
Methodology* 25; 2004, *Content Analysis* 2nd ed.), the one DKPro Agreement (and so INCEpTION)
reports, kept for comparison with those tools and because it is the one with printed worked
examples (tests/test_unitizing.py reproduces them). Its observed disagreement is the squared
difference of the boundaries of overlapping units ``(b_g-b_h)² + (e_g-e_h)²``, or ``l²`` for a
unit lying wholly inside the other rater's gap; its expected disagreement counts every place a
unit could take in the gaps. It needs the same number of raters in every paragraph; paragraphs
are laid end to end, a gap never running over a paragraph's end.

Neither coefficient keeps units or paragraphs: paragraphs add to sums, as
:class:`layerkit.agreement.measures.NominalAlpha` does.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

Unit = tuple[int, int, Hashable]
"""One rater's unit: ``(start, end, label)`` in code points of the paragraph, ``end`` exclusive."""

Section = tuple[int, int, bool]
"""A stretch ``(start, end, is_unit)`` of one rater's continuum for one label."""


def merge_overlaps(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """``spans`` sorted, those sharing a code point merged into one; spans that only touch
    (``[0, 5)`` and ``[5, 9)``) stay apart: two units side by side are two units."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _by_label(length: int, units: Sequence[Unit]) -> dict[Hashable, list[tuple[int, int]]]:
    """One rater's units per label, checked against the paragraph and merged where they
    overlap. A unit of no length covers no code point, so it is no unit and is left out."""
    grouped: dict[Hashable, list[tuple[int, int]]] = {}
    for start, end, label in units:
        if not 0 <= start <= end <= length:
            raise ValueError(f"unit ({start}, {end}) outside a paragraph of {length} code points")
        if start < end:
            grouped.setdefault(label, []).append((start, end))
    return {label: merge_overlaps(spans) for label, spans in grouped.items()}


def _raters(
    length: int, units: Mapping[str, Sequence[Unit]]
) -> list[dict[Hashable, list[tuple[int, int]]]]:
    if length < 0:
        raise ValueError(f"a paragraph of {length} code points")
    return [_by_label(length, spans) for spans in units.values()]


def _alpha(observed: float, expected: float) -> float | None:
    return 1.0 - observed / expected if expected > 0 else None


@dataclass
class _Channel:
    """One label's sums for :class:`UnitizingAlpha`: ``o_u·`` (code points in units, over
    raters), ``C_u`` (Σ l² over units) and the observed disagreement ``o_u∅ + o_∅u``."""

    unit_values: int = 0
    unit_squares: int = 0
    observed: float = 0.0

    def add(self, m: int, raters: Sequence[Sequence[tuple[int, int]]]) -> None:
        # At a code point covered by n of the m raters' units, the ordered pairs of different
        # raters with one unit and one gap number 2·n·(m-n); a sweep over the units' ends sums
        # them stretch by stretch (the intersections of sections, without listing the gaps).
        first = raters[0]
        if all(spans == first for spans in raters[1:]):
            # all raters alike (most labels of most paragraphs): no code point disagrees
            for start, end in first:
                self.unit_values += m * (end - start)
                self.unit_squares += m * (end - start) ** 2
            return
        events: list[tuple[int, int]] = []
        for spans in raters:
            for start, end in spans:
                self.unit_values += end - start
                self.unit_squares += (end - start) ** 2
                events += [(start, 1), (end, -1)]
        events.sort()
        covered = position = pairs = 0
        for at, step in events:
            pairs += (at - position) * covered * (m - covered)
            covered += step
            position = at
        self.observed += 2 * pairs / (m - 1)

    def disagreements(self, total: int) -> tuple[float, float]:
        """``(D_o, D_e)`` with ``total = o..``, the values of all raters on all code points."""
        gaps = total - self.unit_values
        denominator = total - (self.unit_squares + gaps) / total
        expected = 2 * self.unit_values * gaps / denominator if denominator > 0 else 0.0
        return self.observed / total, expected / total


@dataclass
class UnitizingAlpha:
    """Krippendorff's uα (2016 definition) over paragraphs, label by label, in constant memory
    (the module's docstring says which formula and why)."""

    total: int = 0  # o..: Σ m·length over the paragraphs with two raters or more
    labels: dict[Hashable, _Channel] = field(default_factory=dict)
    any_label: _Channel = field(default_factory=_Channel)  # every label as one: |uα

    def add(self, length: int, units: Mapping[str, Sequence[Unit]]) -> None:
        """One paragraph of ``length`` code points and each rater's units on it (a rater with
        none passes an empty list). Fewer than two raters: nothing to compare, nothing added."""
        raters = _raters(length, units)
        m = len(raters)
        if m < 2 or length == 0:
            return
        self.total += m * length
        for label in {label for rater in raters for label in rater}:
            channel = self.labels.setdefault(label, _Channel())
            channel.add(m, [rater.get(label, []) for rater in raters])
        self.any_label.add(m, [merge_overlaps(itertools.chain(*r.values())) for r in raters])

    def disagreements(self) -> dict[Hashable, tuple[float, float]]:
        """Each label's observed and expected disagreement ``(D_o, D_e)``."""
        return {label: c.disagreements(self.total) for label, c in self.labels.items()}

    def value(self) -> float | None:
        """uα over all labels, ``1 - Σ D_o / Σ D_e``: 1 for perfect agreement, 0 for agreement
        at chance. None when undefined: nothing compared, or no label varies (no units, or
        units everywhere)."""
        terms = self.disagreements().values()
        return _alpha(sum(o for o, _ in terms), sum(e for _, e in terms))

    def label_values(self) -> dict[Hashable, float | None]:
        """uα of each label alone (its units against everything else)."""
        return {label: _alpha(o, e) for label, (o, e) in self.disagreements().items()}

    def binary_value(self) -> float | None:
        """|uα: do the raters agree on where the units are, whatever their labels?"""
        return _alpha(*self.any_label.disagreements(self.total)) if self.total else None


def sections(length: int, spans: Sequence[tuple[int, int]]) -> list[Section]:
    """One rater's continuum for one label: its units (sorted, not overlapping) and the gaps
    between them, covering ``[0, length)``."""
    out: list[Section] = []
    position = 0
    for start, end in spans:
        if start > position:
            out.append((position, start, False))
        out.append((start, end, True))
        position = end
    if position < length:
        out.append((position, length, False))
    return out


def section_distance(first: Section, second: Section) -> int:
    """δ² of two sections of different raters (Krippendorff 1995; 2004): the squared
    differences of the beginnings and of the ends of two units that overlap; the squared length
    of a unit lying wholly inside the other's gap; 0 otherwise (two gaps, a unit partly in a
    gap: its overlapping part is counted with the unit it overlaps)."""
    (b1, e1, unit1), (b2, e2, unit2) = first, second
    if unit1 and unit2:
        return (b1 - b2) ** 2 + (e1 - e2) ** 2 if b1 < e2 and b2 < e1 else 0
    if unit1 and not unit2:
        return (e1 - b1) ** 2 if b2 <= b1 and e1 <= e2 else 0
    if unit2 and not unit1:
        return (e2 - b2) ** 2 if b1 <= b2 and e2 <= e1 else 0
    return 0


def _pair_distance(first: Sequence[Section], second: Sequence[Section]) -> int:
    """Σ δ² over the pairs of sections of two raters that share a code point (a sweep: both
    continuums are partitions, so each such pair is met once)."""
    total = i = j = 0
    while i < len(first) and j < len(second):
        total += section_distance(first[i], second[j])
        end1, end2 = first[i][1], second[j][1]
        if end1 <= end2:
            i += 1
        if end2 <= end1:
            j += 1
    return total


@dataclass
class _Category:
    """One label's sums for :class:`UnitizingAlpha2004`."""

    observed: int = 0  # Σ δ² over pairs of raters and their sections
    units: Counter[int] = field(default_factory=Counter)  # unit lengths
    # gap lengths in the paragraphs where the label occurs, less the whole-paragraph gaps that
    # every rater would have there had nobody used the label (those are counted for all)
    gaps: Counter[int] = field(default_factory=Counter)


@dataclass
class UnitizingAlpha2004:
    """Krippendorff's uα as defined in 1995 and 2004 (the coefficient DKPro Agreement and
    INCEpTION report), over paragraphs, label by label; the module's docstring says how it
    differs from :class:`UnitizingAlpha`. Memory: a count per distinct unit and gap length."""

    raters: int | None = None  # m, the same in every paragraph
    length: int = 0  # L, all paragraphs together
    paragraphs: Counter[int] = field(default_factory=Counter)  # paragraph lengths
    labels: dict[Hashable, _Category] = field(default_factory=dict)

    def add(self, length: int, units: Mapping[str, Sequence[Unit]]) -> None:
        """As :meth:`UnitizingAlpha.add`; every paragraph must have the same number of raters
        (this definition has a single ``m``)."""
        raters = _raters(length, units)
        m = len(raters)
        if m < 2 or length == 0:
            return
        if self.raters is None:
            self.raters = m
        elif m != self.raters:
            raise ValueError(
                f"{m} raters on a paragraph, {self.raters} on the ones before: the 1995/2004 "
                "unitizing alpha needs the same raters throughout (UnitizingAlpha does not)"
            )
        self.length += length
        self.paragraphs[length] += 1
        for label in {label for rater in raters for label in rater}:
            category = self.labels.setdefault(label, _Category())
            walks = [sections(length, rater.get(label, [])) for rater in raters]
            for first, second in itertools.combinations(walks, 2):
                category.observed += _pair_distance(first, second)
            for walk in walks:
                for start, end, unit in walk:
                    (category.units if unit else category.gaps)[end - start] += 1
            category.gaps[length] -= m

    def _disagreements(self, category: _Category) -> tuple[float, float]:
        m, big_l = self.raters or 0, self.length
        observed = 2 * category.observed / (m * (m - 1) * big_l * big_l)
        gaps = Counter({size: m * n for size, n in self.paragraphs.items()})
        for size, n in category.gaps.items():
            gaps[size] += n
        count = sum(category.units.values())
        numerator = 0
        for size, n in category.units.items():
            # (N_c - 1)(2l³ - 3l² + l)/3: l(l-1)(2l-1) is a multiple of 6, so // is exact
            within = (count - 1) * (size * (size - 1) * (2 * size - 1) // 3)
            places = sum((g - size + 1) * k for g, k in gaps.items() if g >= size)
            numerator += n * (within + size * size * places)
        values = m * big_l
        denominator = values * (values - 1) - sum(
            n * size * (size - 1) for size, n in category.units.items()
        )
        expected = 2 * numerator / (big_l * denominator) if denominator > 0 else 0.0
        return observed, expected

    def disagreements(self) -> dict[Hashable, tuple[float, float]]:
        """Each label's observed and expected disagreement ``(uD_o, uD_e)``."""
        return {label: self._disagreements(c) for label, c in self.labels.items()}

    def value(self) -> float | None:
        """uα over all labels, ``1 - Σ D_o / Σ D_e`` (DKPro's mean over the labels is the same
        ratio); None when undefined."""
        terms = self.disagreements().values()
        return _alpha(sum(o for o, _ in terms), sum(e for _, e in terms))

    def label_values(self) -> dict[Hashable, float | None]:
        """uα of each label alone."""
        return {label: _alpha(o, e) for label, (o, e) in self.disagreements().items()}
