"""Agreement measures, each checked against a published worked example and a second
implementation (nltk's AnnotationTask, or a direct computation from the definition)."""

from __future__ import annotations

import math
import random

import pytest

from layerkit.agreement import (
    Span,
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha,
    matched_spans,
    span_agreement,
)

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: four observers,
# twelve units, values 1-5, missing values marked None. Published: nominal α = 0.743, ordinal
# 0.815, interval 0.849, ratio 0.797.
KRIPPENDORFF_2011 = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
}


def _items(data: dict[str, list]) -> list[dict]:
    return [{rater: values[i] for rater, values in data.items()} for i in range(12)]


@pytest.mark.parametrize(
    ("level", "published"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorff_alpha_reproduces_krippendorff_2011(level: str, published: float) -> None:
    assert krippendorff_alpha(_items(KRIPPENDORFF_2011), level=level) == pytest.approx(
        published, abs=5e-4
    )


def test_krippendorff_alpha_nominal_agrees_with_nltk_on_labels_and_random_data() -> None:
    from nltk.metrics.agreement import AnnotationTask

    rng = random.Random(7)
    labels = ["ASSERT", "QUESTION", "DIRECT", "EXPRESS"]
    for _ in range(20):
        items = []
        for _ in range(rng.randint(5, 30)):
            item = {r: rng.choice(labels[: rng.randint(1, 4)]) for r in ("anna", "boris", "vera")}
            items.append(item)
        ours = krippendorff_alpha(items)
        data = [(r, str(i), label) for i, item in enumerate(items) for r, label in item.items()]
        theirs = AnnotationTask(data=data).alpha()
        if math.isnan(ours):
            continue
        assert ours == pytest.approx(theirs, abs=1e-9)


def test_krippendorff_alpha_ordinal_uses_the_label_order() -> None:
    order = ["FACT", "PROBABLE", "POSSIBLE", "NON_FACT"]
    close = [{"a": "FACT", "b": "PROBABLE"}, {"a": "POSSIBLE", "b": "POSSIBLE"}] * 3
    far = [{"a": "FACT", "b": "NON_FACT"}, {"a": "POSSIBLE", "b": "POSSIBLE"}] * 3
    nominal_close = krippendorff_alpha(close, order=order)
    assert nominal_close == pytest.approx(krippendorff_alpha(far, order=order))
    assert krippendorff_alpha(close, level="ordinal", order=order) > krippendorff_alpha(
        far, level="ordinal", order=order
    )
    with pytest.raises(ValueError, match="not in the order"):
        krippendorff_alpha([{"a": "MAYBE", "b": "FACT"}], level="ordinal", order=order)


def test_fleiss_kappa_reproduces_the_wikipedia_example() -> None:
    """Fleiss' κ worked example (Wikipedia, "Fleiss' kappa"): 10 subjects, 14 raters,
    5 categories; published κ = 0.210."""
    counts = [
        [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
    ]  # fmt: skip
    items = [[c for c, n in enumerate(row, start=1) for _ in range(n)] for row in counts]
    assert fleiss_kappa(items) == pytest.approx(0.210, abs=5e-4)
    with pytest.raises(ValueError, match="same number"):
        fleiss_kappa([["a", "b"], ["a"]])


def test_cohen_kappa_reproduces_the_wikipedia_example_and_the_definition() -> None:
    """Cohen's κ worked example (Wikipedia, "Cohen's kappa"): 50 proposals, both yes 20, A yes
    and B no 5, A no and B yes 10, both no 15; published κ = 0.4."""
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)
    rng = random.Random(3)
    for _ in range(20):
        x = [rng.choice("abc") for _ in range(40)]
        y = [v if rng.random() < 0.6 else rng.choice("abc") for v in x]
        observed = sum(p == q for p, q in zip(x, y, strict=True)) / len(x)
        expected = sum(x.count(c) * y.count(c) for c in "abc") / len(x) ** 2
        assert cohen_kappa(x, y) == pytest.approx((observed - expected) / (1 - expected))
    # items only one rater labelled do not count; nothing in common is undefined
    assert cohen_kappa(["x", None, "y"], ["x", "y", None]) == pytest.approx(math.nan, nan_ok=True)


def test_span_matching_exact_and_overlap() -> None:
    anna = [Span(0, 5, "AGENT"), Span(6, 12, "PREDICATE"), Span(13, 20, "THEME")]
    boris = [Span(0, 5, "AGENT"), Span(6, 12, "PREDICATE"), Span(13, 25, "THEME")]
    vera = [Span(0, 5, "PATIENT"), Span(6, 12, "PREDICATE")]
    assert matched_spans(anna, boris, "exact") == [(0, 0), (1, 1)]
    assert matched_spans(anna, boris, "overlap") == [(0, 0), (1, 1), (2, 2)]
    exact = span_agreement({"anna": anna, "boris": boris, "vera": vera}, match="exact")
    assert exact.pairs["anna", "boris"] == pytest.approx(2 * 2 / 6)
    assert exact.pairs["anna", "vera"] == pytest.approx(2 * 1 / 5)
    assert exact.mean_f1 == pytest.approx((4 / 6 + 2 / 5 + 2 / 5) / 3)
    overlap = span_agreement({"anna": anna, "boris": boris}, match="overlap")
    assert overlap.pairs["anna", "boris"] == 1.0
    # one-to-one: two spans of one rater cannot both match the same span of the other
    assert matched_spans([Span(0, 10, "X"), Span(2, 4, "X")], [Span(1, 9, "X")], "overlap") == [
        (0, 0)
    ]
    assert span_agreement({"a": [], "b": []}).mean_f1 == 1.0


def test_relation_agreement_aligns_endpoints_by_the_span_matching() -> None:
    from layerkit.agreement import Relation, relation_agreement

    # anna and boris mark the same predicate and agent; boris's theme is longer (overlap only)
    anna_spans = [Span(0, 5, "AGENT"), Span(6, 12, "PREDICATE"), Span(13, 20, "THEME")]
    boris_spans = [Span(13, 25, "THEME"), Span(0, 5, "AGENT"), Span(6, 12, "PREDICATE")]
    anna = [Relation(0, 1, "AGENT"), Relation(2, 1, "THEME")]
    boris = [Relation(1, 2, "AGENT"), Relation(0, 2, "THEME"), Relation(0, 2, "CAUSE")]
    spans = {"anna": anna_spans, "boris": boris_spans}
    relations = {"anna": anna, "boris": boris}
    exact = relation_agreement(spans, relations, match="exact")
    assert exact.pairs["anna", "boris"] == pytest.approx(2 * 1 / 5)  # the theme's span differs
    overlap = relation_agreement(spans, relations, match="overlap")
    assert overlap.pairs["anna", "boris"] == pytest.approx(2 * 2 / 5)
    # a relation matches once: two identical relations of one rater against one of the other
    twice = {"anna": [Relation(0, 1, "AGENT")] * 2, "boris": [Relation(1, 2, "AGENT")]}
    assert relation_agreement(spans, twice).pairs["anna", "boris"] == pytest.approx(2 / 3)


def test_streamed_nominal_alpha_equals_the_krippendorff_package() -> None:
    """The coincidence sums ``layerkit agreement`` streams paragraphs through give the
    package's α on the same items: the published example, and random data with missing
    values, two to five raters, few and many labels."""
    from layerkit.agreement.measures import NominalAlpha

    streamed = NominalAlpha()
    for item in _items(KRIPPENDORFF_2011):
        streamed.add(item.values())
    assert streamed.value() == pytest.approx(0.743, abs=5e-4)
    rng = random.Random(16)
    for _ in range(40):
        raters = [f"r{i}" for i in range(rng.randint(2, 5))]
        labels = [f"L{i}" for i in range(rng.randint(2, 12))]
        items = [
            {r: (rng.choice(labels) if rng.random() > 0.2 else None) for r in raters}
            for _ in range(rng.randint(5, 60))
        ]
        streamed = NominalAlpha()
        for item in items:
            streamed.add(item.values())
        expected = krippendorff_alpha(items)
        if math.isnan(expected):
            assert math.isnan(streamed.value())
        else:
            assert streamed.value() == pytest.approx(expected, abs=1e-9)
