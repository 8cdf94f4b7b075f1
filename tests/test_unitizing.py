"""Krippendorff's unitizing alpha (layerkit/agreement/unitizing.py).

Three kinds of evidence:

- printed values: the worked examples of Krippendorff (1995, *Sociological Methodology* 25,
  p. 57) and Krippendorff (2004, *Content Analysis*, 2nd ed., p. 254), as DKPro Agreement's
  tests carry them (``Krippendorff1995Test``, ``Krippendorff2004Test``, same tolerances), and
  DKPro's own ``UnitizingAgreementTest``; they are for the 1995/2004 coefficient
  (:class:`UnitizingAlpha2004`), the only one whose printed examples could be found;
- for the 2016 coefficient (:class:`UnitizingAlpha`): the ``krippendorff`` package, which it
  must equal exactly when every unit is one code point long (then each code point is a unit of
  an ordinary nominal α, and the expected coincidences reduce to α's ``n_c·n_k/(n-1)``), and a
  second implementation written here from the paper's equations, section by section, on random
  data (several raters, empty raters, several labels, raters who change between paragraphs);
- edge cases: perfect agreement, shifted boundaries, undefined values.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Hashable, Sequence

import krippendorff
import numpy as np
import pytest

from layerkit.agreement.unitizing import (
    UnitizingAlpha,
    UnitizingAlpha2004,
    merge_overlaps,
    section_distance,
)

Paragraph = tuple[int, dict[str, list[tuple[int, int, Hashable]]]]


def offsets(units: Sequence[tuple[int, int, str]], *, begin: int = 0, stretch: float = 1):
    """DKPro's ``(offset, length, category)`` as ``(start, end, label)``; ``stretch`` scales the
    continuum (with DKPro's integer truncation)."""
    out = []
    for offset, length, label in units:
        start = int((offset - begin) * stretch)
        out.append((start, start + int(length * stretch), label))
    return out


# Krippendorff (2004, p. 254): a continuum from 150 to 450, observers i and j, categories c, k.
CONTENT_ANALYSIS_2004 = {
    "i": offsets([(225, 70, "c"), (370, 30, "c"), (180, 60, "k"), (300, 50, "k")], begin=150),
    "j": offsets(
        [(220, 80, "c"), (355, 20, "c"), (400, 20, "c"), (180, 60, "k"), (300, 50, "k")],
        begin=150,
    ),
}

# Krippendorff (1995, p. 57): four pairs of observers on a continuum of 24, one category each
# (A Bertha/Bill, B John/Jill, C Gerret/Gill, D Heather/Hill).
SOCIOLOGICAL_METHODOLOGY_1995 = (
    [
        *[(2, 8, "A"), (14, 6, "A"), (0, 18, "B")],
        *[(2, 6, "C"), (10, 2, "C"), (14, 4, "C"), (20, 2, "C")],
        *[(0, 2, "D"), (2, 8, "D"), (10, 4, "D"), (14, 6, "D"), (20, 4, "D")],
    ],
    [
        *[(4, 4, "A"), (15, 2, "A")],
        *[(0, 2, "B"), (2, 1, "B"), (3, 1, "B"), (4, 1, "B"), (5, 1, "B"), (6, 3, "B")],
        *[(9, 1, "B")],
        *[(0, 2, "C"), (4, 4, "C"), (10, 4, "C"), (16, 2, "C"), (20, 2, "C")],
        *[(0, 4, "D"), (4, 4, "D"), (8, 7, "D"), (15, 2, "D"), (17, 7, "D")],
    ],
)


def example_1995(stretch: float) -> UnitizingAlpha2004:
    first, second = SOCIOLOGICAL_METHODOLOGY_1995
    alpha = UnitizingAlpha2004()
    alpha.add(
        int(24 * stretch),
        {"0": offsets(first, stretch=stretch), "1": offsets(second, stretch=stretch)},
    )
    return alpha


# ---------------------------------------------------------------- printed values (1995/2004)


def test_distances_printed_in_krippendorff_2004() -> None:
    def delta(o1: int, l1: int, c1: str | None, o2: int, l2: int, c2: str | None) -> int:
        return section_distance((o1, o1 + l1, c1 is not None), (o2, o2 + l2, c2 is not None))

    assert delta(2, 3, None, 2, 2, "X") + delta(5, 6, "X", 4, 7, None) == 40
    assert delta(3, 2, None, 3, 2, "X") + delta(5, 6, "X", 5, 6, None) == 40
    for second, expected in [((4, 2), 26), ((5, 2), 16), ((6, 2), 10), ((7, 2), 8)]:
        assert delta(5, 6, "X", *second, "X") == expected
    assert delta(5, 6, "X", 6, 4, "X") == 2
    assert delta(5, 6, "X", 5, 6, "X") == 0
    assert delta(225, 70, "c", 220, 80, "c") == 50
    assert delta(370, 30, "c", 355, 20, "c") == 850
    assert delta(400, 50, None, 400, 20, "c") == 400
    # DKPro's own cases: a unit partly in a gap, two gaps, units that do not meet
    assert delta(1, 8, "A", 0, 2, None) == 0
    assert delta(1, 8, "A", 2, 1, "A") == 37
    assert delta(9, 2, None, 7, 4, None) == 0


def test_content_analysis_2004_example() -> None:
    alpha = UnitizingAlpha2004()
    alpha.add(300, CONTENT_ANALYSIS_2004)
    terms = alpha.disagreements()
    assert terms["c"] == (pytest.approx(0.0144, abs=1e-4), pytest.approx(0.0532, abs=1e-4))
    assert terms["k"] == (0.0, pytest.approx(0.0490, abs=1e-4))
    assert alpha.label_values() == {"c": pytest.approx(0.7286, abs=1e-4), "k": 1.0}
    # the book's .8591 is 1 - .0144 / (.0532 + .0490) from the rounded terms
    assert alpha.value() == pytest.approx(0.8591, abs=5e-4)


def test_sociological_methodology_1995_example() -> None:
    observed = {"A": 0.03125, "B": 2.26736, "C": 0.02777, "D": 0.38715}
    terms = example_1995(1).disagreements()
    for label, value in observed.items():
        assert terms[label][0] == pytest.approx(value, abs=1e-5)
    # the paper's continuum is continuous: DKPro stretches it (24 -> 1.2 million code points)
    expected = {"A": 0.06990, "B": 1.17731, "C": 0.08642, "D": 0.41445}
    alphas = {"A": 0.553, "B": -0.926, "C": 0.679, "D": 0.066}
    stretched = example_1995(1_200_000 / 24)
    terms = stretched.disagreements()
    values = stretched.label_values()
    for label in "ABCD":
        assert terms[label][0] == pytest.approx(observed[label], abs=1e-5)
        assert terms[label][1] == pytest.approx(expected[label], abs=0.005)
        assert values[label] == pytest.approx(alphas[label], abs=0.02)


def test_sociological_methodology_1995_varying_lengths() -> None:
    """DKPro's ``testVaryingLengths``: category C on continua of 12 and 120 code points."""
    short = example_1995(12 / 24)
    assert short.disagreements()["C"] == (
        pytest.approx(0.02777, abs=1e-5),
        pytest.approx(0.05494, abs=1e-5),
    )
    assert short.label_values()["C"] == pytest.approx(0.494, abs=0.02)
    longer = example_1995(120 / 24)
    assert longer.disagreements()["C"][1] == pytest.approx(0.08234, abs=0.005)
    assert longer.label_values()["C"] == pytest.approx(0.663, abs=0.02)


def test_dkpro_unitizing_agreement_example() -> None:
    # r0: -11111111-   r1: --1-1-1---
    alpha = UnitizingAlpha2004()
    alpha.add(10, {"r0": [(1, 9, "A")], "r1": [(2, 3, "A"), (4, 5, "A"), (6, 7, "A")]})
    observed, expected = alpha.disagreements()["A"]
    assert observed == pytest.approx(0.9100, abs=1e-4)
    assert expected == pytest.approx(0.5351, abs=1e-4)
    assert alpha.value() == pytest.approx(-0.7003, abs=1e-4)


def test_single_unit_of_three_raters_is_chance() -> None:
    """DKPro: one rater of three marks one code point, the others nothing: D_o = D_e, α = 0."""
    for alpha in (UnitizingAlpha2004(), UnitizingAlpha()):
        alpha.add(20, {"a": [(0, 1, "X")], "b": [], "c": []})
        assert alpha.value() == pytest.approx(0.0, abs=1e-12)


# ------------------------------------------------------- second implementations (2016)


def test_equals_nominal_alpha_when_every_unit_is_one_code_point() -> None:
    """Units of one code point (touching ones included) leave nothing indivisible: each code
    point is then an item of an ordinary nominal α, rated by the paragraph's raters (the
    others missing), and uα of a label must be that α exactly."""
    rng = random.Random(16)
    everyone = ["a", "b", "c", "d"]
    paragraphs: list[Paragraph] = []
    for _ in range(30):
        length = rng.randint(1, 25)
        raters = rng.sample(everyone, rng.randint(1, 4))
        paragraphs.append(
            (
                length,
                {
                    rater: [
                        (at, at + 1, rng.choice("XY"))
                        for at in rng.sample(range(length), rng.randint(0, length))
                    ]
                    for rater in raters
                },
            )
        )
    alpha = UnitizingAlpha()
    for length, units in paragraphs:
        alpha.add(length, units)

    def digitized(covers) -> float:
        columns = []
        for length, units in paragraphs:
            for at in range(length):
                columns.append(
                    [
                        float(covers(units[rater], at)) if rater in units else np.nan
                        for rater in everyone
                    ]
                )
        data = np.array(columns).T
        return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))

    for label in "XY":
        expected = digitized(
            lambda spans, at, label=label: any(u[::2] == (at, label) for u in spans)
        )
        assert alpha.label_values()[label] == pytest.approx(expected, abs=1e-12)
    expected = digitized(lambda spans, at: any(u[0] == at for u in spans))
    assert alpha.binary_value() == pytest.approx(expected, abs=1e-12)


def merged_by_hand(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping spans joined pairwise until none overlap (not the module's single pass)."""
    spans = list(spans)
    joined = True
    while joined:
        joined = False
        for p, q in itertools.combinations(range(len(spans)), 2):
            (s1, e1), (s2, e2) = spans[p], spans[q]
            if max(s1, s2) < min(e1, e2):
                spans[p] = (min(s1, s2), max(e1, e2))
                del spans[q]
                joined = True
                break
    return sorted(spans)


def partition(length: int, spans: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
    """One rater's sections, valued "u" (unit) or "0" (gap), from a code-point map."""
    out: list[tuple[int, int, str]] = []
    starts = {s for s, _ in spans}
    covered = [False] * length
    for s, e in spans:
        covered[s:e] = [True] * (e - s)
    for at in range(length):
        value = "u" if covered[at] else "0"
        if out and out[-1][2] == value and at not in starts:
            out[-1] = (out[-1][0], at + 1, value)
        else:
            out.append((at, at + 1, value))
    return out


def brute_force_2016(paragraphs: Sequence[Paragraph], channel) -> tuple[float, float]:
    """Σ over channels of the 2016 off-diagonal observed and expected coincidences, from the
    paper's equations: every pair of sections of two raters, intersected, and the expected
    coincidences from the margins less the self-pairings."""
    total = sum(length * len(u) for length, u in paragraphs if len(u) >= 2 and length)
    names = {name for _, units in paragraphs for rater in units.values() for name in channel(rater)}
    observed_sum = expected_sum = 0.0
    for name in names:
        o = {(x, y): 0.0 for x in "u0" for y in "u0"}
        self_pairs = {"u": 0, "0": 0}
        for length, units in paragraphs:
            m = len(units)
            if m < 2 or not length:
                continue
            walks = [
                partition(length, merged_by_hand(channel(rater).get(name, [])))
                for rater in units.values()
            ]
            for i, j in itertools.permutations(range(m), 2):
                for s1, e1, x in walks[i]:
                    for s2, e2, y in walks[j]:
                        o[x, y] += max(0, min(e1, e2) - max(s1, s2)) / (m - 1)
            for walk in walks:
                for s, e, x in walk:
                    self_pairs[x] += (e - s) ** 2 if x == "u" else e - s
        margin = {x: o[x, "u"] + o[x, "0"] for x in "u0"}
        assert margin["u"] + margin["0"] == pytest.approx(total)
        denominator = total - (self_pairs["u"] + self_pairs["0"]) / total
        e = {
            (x, y): (margin[x] * margin[y] - (self_pairs[x] if x == y else 0)) / denominator
            for x in "u0"
            for y in "u0"
        }
        observed_sum += o["u", "0"] + o["0", "u"]
        expected_sum += e["u", "0"] + e["0", "u"]
    return observed_sum, expected_sum


def per_label(units: Sequence[tuple[int, int, Hashable]]) -> dict[Hashable, list[tuple[int, int]]]:
    out: dict[Hashable, list[tuple[int, int]]] = {}
    for s, e, label in units:
        if s < e:
            out.setdefault(label, []).append((s, e))
    return out


def as_one_label(units: Sequence[tuple[int, int, Hashable]]) -> dict[Hashable, list]:
    return {"any": [(s, e) for s, e, _ in units if s < e]}


def random_paragraphs(seed: int, count: int, *, raters: int | None = None) -> list[Paragraph]:
    rng = random.Random(seed)
    names = ["anna", "boris", "vera", "gleb"]
    out: list[Paragraph] = []
    for _ in range(count):
        length = rng.randint(0, 40)
        chosen = names[:raters] if raters else rng.sample(names, rng.randint(1, 4))
        units: dict[str, list[tuple[int, int, Hashable]]] = {}
        for rater in chosen:
            spans: list[tuple[int, int, Hashable]] = []
            for _ in range(rng.choice([0, 0, 1, 2, 3, 5])):  # empty raters are common
                start = rng.randint(0, length)
                end = min(length, start + rng.randint(0, 12))  # some of no length
                spans.append((start, end, rng.choice(["X", "Y", "Z"])))
            units[rater] = spans
        out.append((length, units))
    return out


@pytest.mark.parametrize("seed", range(12))
def test_2016_alpha_equals_the_papers_equations(seed: int) -> None:
    paragraphs = random_paragraphs(seed, 8)
    alpha = UnitizingAlpha()
    for length, units in paragraphs:
        alpha.add(length, units)
    for channel, value in [(per_label, alpha.value()), (as_one_label, alpha.binary_value())]:
        observed, expected = brute_force_2016(paragraphs, channel)
        if expected > 0:
            assert value == pytest.approx(1 - observed / expected, abs=1e-9)
        else:
            assert value is None
    for label, value in alpha.label_values().items():
        observed, expected = brute_force_2016(
            paragraphs, lambda units, label=label: {label: per_label(units).get(label, [])}
        )
        assert value == (pytest.approx(1 - observed / expected, abs=1e-9) if expected else None)


def brute_force_2004(paragraphs: Sequence[Paragraph]) -> dict[Hashable, tuple[float, float]]:
    """The 1995/2004 terms from the printed formulas, with lists instead of sums: every pair
    of sections of two raters in a paragraph, and every unit against every gap."""
    m = len(paragraphs[0][1])
    big_l = sum(length for length, _ in paragraphs)
    labels = {s[2] for _, units in paragraphs for r in units.values() for s in r if s[0] < s[1]}
    out = {}
    for label in labels:
        distance = 0
        units: list[int] = []
        gaps: list[int] = []
        for length, raters in paragraphs:
            walks = [
                partition(length, merged_by_hand(per_label(r).get(label, [])))
                for r in raters.values()
            ]
            for a, b in itertools.combinations(walks, 2):
                for s1, e1, x in a:
                    for s2, e2, y in b:
                        if max(s1, s2) < min(e1, e2):
                            distance += section_distance((s1, e1, x == "u"), (s2, e2, y == "u"))
            for walk in walks:
                for s, e, x in walk:
                    (units if x == "u" else gaps).append(e - s)
        d_o = 2 * distance / (m * (m - 1) * big_l**2)
        n_c = len(units)
        numerator = sum(
            (n_c - 1) * (2 * u**3 - 3 * u**2 + u) / 3
            + u * u * sum(g - u + 1 for g in gaps if g >= u)
            for u in units
        )
        denominator = m * big_l * (m * big_l - 1) - sum(u * (u - 1) for u in units)
        out[label] = (d_o, 2 * numerator / (big_l * denominator))
    return out


@pytest.mark.parametrize("seed", range(8))
def test_2004_alpha_equals_the_printed_formulas(seed: int) -> None:
    paragraphs = [p for p in random_paragraphs(100 + seed, 6, raters=3) if p[0]]
    alpha = UnitizingAlpha2004()
    for length, units in paragraphs:
        alpha.add(length, units)
    expected = brute_force_2004(paragraphs)
    assert alpha.disagreements().keys() == expected.keys()
    for label, (d_o, d_e) in alpha.disagreements().items():
        assert d_o == pytest.approx(expected[label][0], abs=1e-12)
        assert d_e == pytest.approx(expected[label][1], rel=1e-9)


# ----------------------------------------------------------------------------- edge cases

BOTH = [UnitizingAlpha, UnitizingAlpha2004]


@pytest.mark.parametrize("kind", BOTH)
def test_perfect_agreement_is_one(kind) -> None:
    same = [(0, 5, "X"), (7, 12, "Y"), (20, 30, "X")]
    alpha = kind()
    alpha.add(40, {"a": same, "b": list(same), "c": list(reversed(same))})
    alpha.add(10, {"a": [], "b": [], "c": []})  # a paragraph all agree is empty adds no harm
    assert alpha.value() == 1.0
    assert alpha.label_values() == {"X": 1.0, "Y": 1.0}


@pytest.mark.parametrize("kind", BOTH)
def test_shifted_boundaries_lower_alpha(kind) -> None:
    values = []
    for shift in (0, 1, 3, 6):
        alpha = kind()
        alpha.add(
            60,
            {
                "a": [(10, 30, "X"), (40, 50, "Y")],
                "b": [(10 + shift, 30, "X"), (40, 50 + shift, "Y")],
            },
        )
        values.append(alpha.value())
    assert values[0] == 1.0
    assert values[0] > values[1] > values[2] > values[3]
    assert values[1] > 0.5  # one code point off: still close agreement


def test_a_different_label_on_the_same_words_disagrees() -> None:
    alpha = UnitizingAlpha()
    alpha.add(30, {"a": [(5, 15, "X")], "b": [(5, 15, "Y")]})
    assert alpha.binary_value() == 1.0  # the same boundaries
    value = alpha.value()
    assert value is not None and value < 0  # but never the same label: worse than chance


def test_an_empty_rater_counts() -> None:
    two = UnitizingAlpha()
    three = UnitizingAlpha()
    units = {"a": [(2, 8, "X"), (12, 20, "X")], "b": [(2, 8, "X"), (12, 20, "X")]}
    two.add(30, units)
    three.add(30, {**units, "c": []})
    assert two.value() == 1.0
    value = three.value()
    assert value is not None and value < 1.0


@pytest.mark.parametrize("kind", BOTH)
def test_undefined_is_none(kind) -> None:
    alpha = kind()
    assert alpha.value() is None  # nothing added
    alpha.add(20, {"a": [(0, 5, "X")]})  # one rater: nothing to compare
    assert alpha.value() is None
    alpha.add(20, {"a": [], "b": []})  # no units anywhere
    assert alpha.value() is None
    assert alpha.label_values() == {}


def test_no_gap_anywhere_is_undefined() -> None:
    """Units over the whole paragraph: no variation, nothing to tell from chance. (The printed
    1995/2004 expected disagreement is not 0 here, so UnitizingAlpha2004 says 1.0.)"""
    covered = UnitizingAlpha()
    covered.add(10, {"a": [(0, 10, "X")], "b": [(0, 10, "X")]})
    assert covered.value() is None
    assert covered.label_values() == {"X": None}
    assert covered.binary_value() is None


def test_binary_value_undefined_without_paragraphs() -> None:
    assert UnitizingAlpha().binary_value() is None


@pytest.mark.parametrize("kind", BOTH)
def test_overlapping_units_of_one_label_are_merged(kind) -> None:
    overlapping = kind()
    overlapping.add(30, {"a": [(2, 10, "X"), (6, 14, "X"), (7, 9, "X")], "b": [(3, 14, "X")]})
    merged = kind()
    merged.add(30, {"a": [(2, 14, "X")], "b": [(3, 14, "X")]})
    assert overlapping.disagreements() == merged.disagreements()
    # touching units stay two: not the same as one unit over both
    touching = kind()
    touching.add(30, {"a": [(2, 8, "X"), (8, 14, "X")], "b": [(3, 14, "X")]})
    assert touching.disagreements() != merged.disagreements()
    assert merge_overlaps([(8, 14), (2, 8), (3, 5)]) == [(2, 8), (8, 14)]


@pytest.mark.parametrize("kind", BOTH)
def test_paragraphs_add_up(kind) -> None:
    """Streaming: adding paragraphs one by one is the whole corpus's value, and the sums kept
    do not grow with the number of paragraphs."""
    paragraphs = [p for p in random_paragraphs(7, 40, raters=3) if p[0]]
    alpha = kind()
    sizes = []
    for length, units in paragraphs * 3:
        alpha.add(length, units)
        sizes.append(len(alpha.labels))
    assert sizes[-1] == sizes[len(paragraphs) - 1] <= 3  # one entry per label, no more
    shuffled = kind()
    for length, units in reversed(paragraphs * 3):
        shuffled.add(length, units)
    value = alpha.value()
    assert value is not None and math.isfinite(value)
    assert shuffled.value() == pytest.approx(value, abs=1e-12)  # order does not matter


def test_raters_may_change_between_paragraphs_only_in_the_2016_alpha() -> None:
    alpha = UnitizingAlpha()
    alpha.add(10, {"a": [(0, 5, "X")], "b": [(0, 5, "X")]})
    alpha.add(10, {"a": [(0, 5, "X")], "b": [(0, 5, "X")], "c": [(0, 5, "X")]})
    alpha.add(10, {"b": [], "c": []})
    assert alpha.value() == 1.0
    older = UnitizingAlpha2004()
    older.add(10, {"a": [(0, 5, "X")], "b": [(0, 5, "X")]})
    with pytest.raises(ValueError, match="same raters"):
        older.add(10, {"a": [], "b": [], "c": []})


@pytest.mark.parametrize("kind", BOTH)
@pytest.mark.parametrize("bad", [(-1, 3, "X"), (5, 11, "X"), (6, 4, "X")])
def test_units_outside_the_paragraph_are_refused(kind, bad: tuple[int, int, str]) -> None:
    with pytest.raises(ValueError, match="outside a paragraph of 10"):
        kind().add(10, {"a": [bad], "b": []})


def test_units_of_no_length_are_no_units() -> None:
    with_empty = UnitizingAlpha()
    with_empty.add(20, {"a": [(3, 3, "X"), (5, 9, "Y")], "b": [(5, 9, "Y"), (12, 12, "Z")]})
    assert with_empty.label_values() == {"Y": 1.0}


def test_values_stay_finite_on_a_large_continuum() -> None:
    alpha = UnitizingAlpha()
    alpha.add(2_000_000, {"a": [(10, 1_500_000, "X")], "b": [(12, 1_499_000, "X")]})
    value = alpha.value()
    assert value is not None and math.isfinite(value) and 0.99 < value < 1
