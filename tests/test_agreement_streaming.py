"""`layerkit agreement` at speed gives what the definitions give: the bulk reader of a store's
private copies against full drafts of the same copies, the streamed sums (units counted by
their values, spans paired cluster by cluster) against the per-unit computation of each measure
with the maintained libraries (krippendorff, statsmodels), and ordinal α where a schema orders
a field's labels."""

from __future__ import annotations

import itertools
import json
import math
import os
import random
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO
from test_agreement import KRIPPENDORFF_2011, _items

from layerkit.agreement import Span, cohen_kappa, krippendorff_alpha, matched_spans
from layerkit.agreement.compare import NOTHING, compare_groups
from layerkit.agreement.copies import iter_groups, iter_versions
from layerkit.agreement.measures import (
    NominalAlpha,
    OrdinalAlpha,
    Relation,
    exact_pairs,
    overlap_pairs,
    relation_matches,
    span_matches,
)
from layerkit.agreement.unitizing import UnitizingAlpha
from layerkit.drafts import AnnotationDraft, LayerStatusDraft, ParagraphDraft
from layerkit.ingest import import_paths
from layerkit.project import Project
from layerkit.schema import SchemaRegistry
from layerkit.store import Store

SAMPLE = REPO / "sample_corpus" / "annotated.jsonl"
LAYERS = ["lexical", "semantic", "logical", "epistemic", "pragmatic"]
SCHEMAS = SchemaRegistry.from_paths([REPO / "schemas"])


# --- the measures, one unit at a time ----------------------------------------------------------


def _same(ours: Any, theirs: Any, where: str = "") -> None:
    """Equal JSON, floats to 1e-9 (NaN equal to NaN)."""
    if isinstance(theirs, float) or isinstance(ours, float):
        assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-12, nan_ok=True), where
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict) and set(ours) == set(theirs), (where, ours, theirs)
        for key in theirs:
            _same(ours[key], theirs[key], f"{where}.{key}")
    else:
        assert ours == theirs, (where, ours, theirs)


class _Tables:
    """Specific agreement and confusion of one field, pair of raters by pair of raters."""

    def __init__(self) -> None:
        self.agreed: Counter[str] = Counter()
        self.used: Counter[str] = Counter()
        self.confusion: dict[str, Counter[str]] = defaultdict(Counter)

    def add(self, unit: dict[str, Any]) -> None:
        for a, b in itertools.combinations(sorted(unit), 2):
            x = NOTHING if unit[a] is None else str(unit[a])
            y = NOTHING if unit[b] is None else str(unit[b])
            self.confusion[x][y] += 1
            self.confusion[y][x] += 1
            self.used.update(v for v in (x, y) if v != NOTHING)
            if x == y != NOTHING:
                self.agreed[x] += 2

    def json(self) -> tuple[dict[str, Any], dict[str, Any]]:
        by_label = {
            label: {"agreement": self.agreed[label] / n, "support": n}
            for label, n in self.used.items()
        }
        return by_label, {k: dict(v) for k, v in self.confusion.items()}


def _definitions(groups: list[dict[str, ParagraphDraft]], layer: str) -> dict[str, Any]:
    """One layer's agreement unit by unit: α from the krippendorff package over every unit at
    once, κ from statsmodels over the labels, F1 from the matched spans of each paragraph."""
    fields = SCHEMAS.get(layer).fields
    items, raters = 0, set()
    units: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    tables: dict[str, _Tables] = defaultdict(_Tables)
    f1: dict[tuple[str, str], dict[tuple[str, str], list[int]]] = defaultdict(dict)
    tokens: Counter[tuple[str, str]] = Counter()
    texts: dict[str, Counter[str]] = defaultdict(Counter)
    # uα has its own tests (test_unitizing.py: published examples, a brute force): here the
    # same accumulator is fed unit by unit, to check what the streamed sums give it
    unitizing: dict[str, UnitizingAlpha] = defaultdict(UnitizingAlpha)
    for group in groups:
        done = {r: p for r, p in group.items() if (s := p.status.get(layer)) and s.state == "done"}
        if len(done) < 2:
            continue
        items += 1
        raters.update(done)
        for f in fields:
            of = {
                r: [a for a in p.annotations if a.layer == layer and a.field == f.name]
                for r, p in done.items()
            }
            if f.kind == "token":
                at = {r: {(a.start, a.end): a for a in anns} for r, anns in of.items()}
                for place in {place for found in at.values() for place in found}:
                    per = {r: found.get(place) for r, found in at.items()}
                    upos = {r: a.label if a else None for r, a in per.items()}
                    units[f.name, "upos"].append(upos)
                    tables[f.name].add(upos)
                    for attr in ("lemma", "feats"):
                        units[f.name, attr].append(
                            {r: a.attrs.get(attr) if a else None for r, a in per.items()}
                        )
                    # each FEATS key: a unit where a rater gave it; "—" where an analysis
                    # lacks it, None where a rater lacks the token
                    parsed = {
                        r: dict(
                            x.split("=", 1)
                            for x in (a.attrs.get("feats") or "_").split("|")
                            if "=" in x
                        )
                        if a
                        else None
                        for r, a in per.items()
                    }
                    for key in {k for d in parsed.values() if d for k in d}:
                        units[f.name, f"feats.{key}"].append(
                            {r: None if d is None else d.get(key, "—") for r, d in parsed.items()}
                        )
                    whole = {
                        (a.label, a.attrs.get("lemma"), a.attrs.get("feats")) if a else None
                        for a in per.values()
                    }
                    tokens[f.name, "all"] += 1
                    tokens[f.name, "agree"] += len(whole) == 1 and None not in whole
            elif f.kind == "span":
                spans = {r: [Span(a.start or 0, a.end or 0, a.label) for a in anns]
                         for r, anns in of.items()}  # fmt: skip
                covering = {
                    r: [(s.start, s.end, s.label) for s in own if s.end > s.start]
                    for r, own in spans.items()
                }
                length = max(len(p.text) for p in done.values())
                length = max([length, *(e for own in covering.values() for _, e, _ in own)])
                unitizing[f.name].add(length, covering)
                for one, other in itertools.combinations(sorted(spans), 2):
                    for match in ("exact", "overlap"):
                        found = f1[f.name, match].setdefault((one, other), [0, 0])
                        found[0] += len(matched_spans(spans[one], spans[other], match))
                        found[1] += len(spans[one]) + len(spans[other])
                places: dict[Any, dict[str, Any]] = defaultdict(dict)
                for r, anns in of.items():
                    for a in anns:
                        places[a.start, a.end][r] = a.label
                for place in places.values():
                    tables[f.name].add({r: place.get(r) for r in done})
            elif f.kind == "relation":
                ends, relations = {}, {}
                for r, p in done.items():
                    own = [
                        a
                        for a in p.annotations
                        if a.layer == layer and a.kind == "span" and a.local_id is not None
                    ]
                    where = {a.local_id: i for i, a in enumerate(own)}
                    ends[r] = [Span(a.start or 0, a.end or 0, a.label) for a in own]
                    relations[r] = [
                        Relation(where[a.source], where[a.target], a.label)
                        for a in of[r]
                        if a.source in where and a.target in where
                    ]
                for one, other in itertools.combinations(sorted(ends), 2):
                    matched, total = relation_matches(
                        (ends[one], ends[other]), (relations[one], relations[other])
                    )
                    found = f1[f.name, "relation"].setdefault((one, other), [0, 0])
                    found[0] += matched
                    found[1] += total
            elif f.kind == "label":
                if f.scope == "sentence":
                    at_sentence: dict[Any, dict[str, Any]] = defaultdict(dict)
                    for r, anns in of.items():
                        for a in anns:
                            at_sentence[a.start, a.end][r] = a.label
                    rows = [{r: u.get(r) for r in done} for u in at_sentence.values()]
                else:
                    rows = [{r: anns[0].label if anns else None for r, anns in of.items()}]
                for row in rows:
                    units[f.name, "label"].append(row)
                    tables[f.name].add(row)
            elif f.kind == "text":
                for r, anns in of.items():
                    texts[f.name][r] += len(anns)
    annotators = sorted(raters)
    out: dict[str, Any] = {
        "items": items, "annotators": annotators, "metrics": {}, "counts": {},
        "by_label": {}, "confusion": {},
    }  # fmt: skip
    if not items:
        return out
    metrics = out["metrics"]

    def mean_f1(sums: dict[tuple[str, str], list[int]]) -> float:
        if not sums:
            return math.nan
        values = [1.0 if t == 0 else 2 * m / t for m, t in sums.values()]
        return sum(values) / len(values)

    def alpha(rows: list[dict[str, Any]], **how: Any) -> float:
        # the package needs two values somewhere in one unit, as the streamed sums do
        pairable = [r for r in rows if sum(v is not None for v in r.values()) >= 2]
        return krippendorff_alpha(pairable, **how) if pairable else math.nan

    for f in fields:
        name = f.name
        if f.kind == "token":
            for what in ("upos", "lemma", "feats"):
                metrics[f"{name}.{what}.alpha"] = alpha(units[name, what])
            count = tokens[name, "all"]
            metrics[f"{name}.all_agree"] = tokens[name, "agree"] / count if count else math.nan
            for field_name, what in sorted(units):
                if field_name == name and what.startswith("feats."):
                    metrics[f"{name}.{what}.alpha"] = alpha(units[name, what])
        elif f.kind == "span":
            for match in ("exact", "overlap"):
                metrics[f"{name}.f1_{match}"] = mean_f1(f1[name, match])
            value, binary = unitizing[name].value(), unitizing[name].binary_value()
            metrics[f"{name}.alpha_u"] = math.nan if value is None else value
            metrics[f"{name}.alpha_u_binary"] = math.nan if binary is None else binary
        elif f.kind == "relation":
            metrics[f"{name}.f1"] = mean_f1(f1[name, "relation"])
        elif f.kind == "label":
            metrics[f"{name}.alpha"] = alpha(units[name, "label"])
            if len(annotators) == 2:
                a, b = annotators
                rows = [r for r in units[name, "label"] if a in r and b in r]
                metrics[f"{name}.kappa"] = cohen_kappa([r[a] for r in rows], [r[b] for r in rows])
        elif f.kind == "text":
            out["counts"][name] = {r: texts[name][r] for r in annotators}
        if f.kind in ("token", "span", "label"):
            out["by_label"][name], out["confusion"][name] = tables[name].json()
    return out


def _json(results: dict[str, Any]) -> dict[str, Any]:
    return {layer: r.to_json() for layer, r in results.items()}


# --- a store's copies, read in bulk -----------------------------------------------------------


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Project:
    db = tmp_path_factory.mktemp("sample") / "layerkit.db"
    project = Project.load(str(db))
    with project.open_store(create=True) as store:
        import_paths(project, store, [SAMPLE])
    return project


@pytest.mark.parametrize("by", [None, "pair", "document"])
def test_the_bulk_reader_gives_the_json_of_full_drafts(sample_store: Project, by: str) -> None:
    """The sample's copies (anna and boris, every layer) read as plain tuples in a few queries
    a batch, and read as full drafts of every annotation: the same JSON, to the last digit."""
    with sample_store.open_store() as store:
        fast = compare_groups(iter_versions(store, LAYERS), SCHEMAS, LAYERS, by=by)
        drafts = compare_groups(iter_groups(store, LAYERS), SCHEMAS, LAYERS, by=by)
    assert fast[0]["semantic"].items >= 5
    as_json = [
        json.dumps([_json(results), {k: _json(v) for k, v in sliced.items()}], ensure_ascii=False)
        for results, sliced in (fast, drafts)
    ]
    assert as_json[0] == as_json[1]
    if by == "pair":
        assert list(fast[1]) == ["anna–boris"]


def test_the_bulk_reader_on_every_backend(store: Store, tmp_path: Path) -> None:
    """SQLite's raw rows (JSON as text) and a server's (JSON decoded): the same groups."""
    project = Project.load(str(tmp_path / "unused.db"))
    import_paths(project, store, [SAMPLE])
    fast = _json(compare_groups(iter_versions(store, LAYERS), SCHEMAS, LAYERS)[0])
    drafts = _json(compare_groups(iter_groups(store, LAYERS), SCHEMAS, LAYERS)[0])
    assert json.dumps(fast) == json.dumps(drafts)
    assert fast["lexical"]["items"] >= 5
    versions = next(iter_versions(store, ["semantic"]))
    assert sorted(versions) == ["anna", "boris"]
    first = versions["anna"]
    assert first.length == len(next(iter_groups(store, ["semantic"]))["anna"].text)
    assert first.document and first.layers["semantic"].done


def test_the_sample_agrees_as_the_definitions_say(sample_store: Project) -> None:
    with sample_store.open_store() as store:
        groups = list(iter_groups(store, LAYERS))
        results = _json(compare_groups(iter_versions(store, LAYERS), SCHEMAS, LAYERS)[0])
    for layer in LAYERS:
        _same(results[layer], _definitions(groups, layer), layer)
    # real disagreements: nothing is trivially 1
    assert results["semantic"]["metrics"]["frame.f1_exact"] < 1
    assert results["pragmatic"]["metrics"]["speech_act.alpha"] < 1


# --- random versions: two to four raters, every kind of field ----------------------------------


def _random_versions(rng: random.Random, raters: list[str]) -> dict[str, ParagraphDraft]:
    """One paragraph as several raters annotated it: each a copy of one version, some exact,
    the others with units left out, relabelled or moved (and now and then a token twice)."""
    text = "x" * 60

    def label(choices: list[str]) -> str:
        return rng.choice(choices)

    base: list[AnnotationDraft] = []
    for start in range(0, 57, 4):
        attrs = {"lemma": label(["a", "b", "c"]), "feats": label(["_", "Case=Nom"])}
        base.append(AnnotationDraft("lexical", "token", "morph", label(["NOUN", "VERB", "X"]),
                                    start, start + rng.randint(1, 3), attrs=attrs))  # fmt: skip
    for n in range(rng.randint(0, 8)):
        start = rng.randint(0, 50)
        base.append(AnnotationDraft("semantic", "span", "frame",
                                    label(["AGENT", "PREDICATE", "THEME"]), start,
                                    start + rng.randint(0, 9), local_id=100 + n))  # fmt: skip
    frames = [a.local_id for a in base if a.field == "frame"]
    for _ in range(rng.randint(0, 5) if len(frames) > 1 else 0):
        source, target = rng.sample(frames, 2)
        base.append(AnnotationDraft("semantic", "relation", "role", label(["AGENT", "THEME"]),
                                    source=source, target=target))  # fmt: skip
    for n in range(3):
        start = rng.randint(0, 50)
        base.append(AnnotationDraft("logical", "span", "unit", label(["CLAIM", "PREMISE"]),
                                    start, start + rng.randint(1, 9), local_id=200 + n))  # fmt: skip
    base.append(AnnotationDraft("logical", "text", "unfolding", value="…"))
    for start, end in ((0, 20), (21, 40), (41, 60)):
        base.append(AnnotationDraft("pragmatic", "label", "speech_act",
                                    label(["ASSERT", "QUESTION", "EXPRESS"]), start, end))  # fmt: skip
    base.append(AnnotationDraft("pragmatic", "label", "tone", label(["NEUTRAL", "POSITIVE"])))

    group = {}
    for rater in raters:
        exact = rng.random() < 0.3
        anns: list[AnnotationDraft] = []
        for a in base:
            a = AnnotationDraft(**{**a.__dict__, "attrs": dict(a.attrs)})
            if not exact:
                if rng.random() < 0.08:
                    continue  # left out (its relations lose an end)
                if rng.random() < 0.15 and a.label:
                    a.label = a.label + "2" if a.kind != "relation" else "THEME"
                if rng.random() < 0.1 and a.kind == "span" and a.end is not None:
                    a.end += rng.choice([-2, 2])
                if a.kind == "token" and rng.random() < 0.2:
                    what = rng.choice(["lemma", "feats"])
                    if rng.random() < 0.5:
                        a.attrs.pop(what)
                    else:
                        a.attrs[what] = "z"
            anns.append(a)
        if not exact and rng.random() < 0.1:
            anns.append(AnnotationDraft("lexical", "token", "morph", "ADJ", 0, 2))
        if not exact and rng.random() < 0.2:
            anns.append(AnnotationDraft("pragmatic", "label", "tone", "NEGATIVE"))
        status = {
            layer: LayerStatusDraft("done" if rng.random() < 0.9 else "in_progress")
            for layer in ("lexical", "semantic", "logical", "pragmatic")
        }
        group[rater] = ParagraphDraft(text=text, annotations=anns, status=status)
    return group


@pytest.mark.parametrize("raters", [2, 3, 4])
def test_streamed_sums_equal_the_definitions_on_random_versions(raters: int) -> None:
    rng = random.Random(16 + raters)
    names = ["anna", "boris", "carl", "dina"][:raters]
    for _ in range(4):
        groups = [
            _random_versions(rng, rng.sample(names, rng.randint(2, raters))) for _ in range(30)
        ]
        results = _json(compare_groups(groups, SCHEMAS, LAYERS)[0])
        for layer in ("lexical", "semantic", "logical", "pragmatic"):
            _same(results[layer], _definitions(groups, layer), layer)


def test_span_pairing_by_clusters_equals_the_greedy_pairing_of_all_candidates() -> None:
    def greedy(first: list[Any], second: list[Any]) -> list[tuple[int, int]]:
        candidates = sorted(
            (-(min(a[1], b[1]) - max(a[0], b[0])), i, j)
            for (i, a), (j, b) in itertools.product(enumerate(first), enumerate(second))
            if a[2] == b[2] and min(a[1], b[1]) - max(a[0], b[0]) > 0
        )
        used_i: set[int] = set()
        used_j: set[int] = set()
        pairs = []
        for _, i, j in candidates:
            if i not in used_i and j not in used_j:
                used_i.add(i)
                used_j.add(j)
                pairs.append((i, j))
        return sorted(pairs)

    rng = random.Random(5)
    for _ in range(3000):
        size, labels = rng.choice([4, 12, 40]), rng.choice([["A"], ["A", "B"], ["A", None]])

        def span(size: int = size, labels: list[Any] = labels) -> tuple[int, int, Any]:
            start = rng.randint(0, size)
            return (start, start + rng.randint(-1, 8), rng.choice(labels))

        first = [span() for _ in range(rng.randint(0, 10))]
        second = rng.choice(
            [
                [span() for _ in range(rng.randint(0, 10))],
                rng.sample(first, len(first)),  # the same spans in another order
                [*first[:-1], span()],
            ]
        )
        pairs = overlap_pairs(first, second)
        assert pairs == greedy(first, second), (first, second)
        exact = matched_spans([Span(*s) for s in first], [Span(*s) for s in second], "exact")
        assert exact_pairs(first, second) == exact
        assert span_matches(first, second) == (len(exact), len(pairs))


# --- ordinal α -----------------------------------------------------------------------------------


def test_streamed_ordinal_alpha_equals_the_krippendorff_package() -> None:
    """Krippendorff (2011), section C: ordinal α = 0.815; then random ordered labels with
    missing values, two to five raters, against the package with the same order."""
    streamed = OrdinalAlpha([1, 2, 3, 4, 5])
    for item in _items(KRIPPENDORFF_2011):
        streamed.add(item.values())
    assert streamed.value() == pytest.approx(0.815, abs=5e-4)
    assert streamed.value() == pytest.approx(
        krippendorff_alpha(_items(KRIPPENDORFF_2011), level="ordinal"), abs=1e-12
    )
    rng = random.Random(11)
    for _ in range(40):
        order = [f"L{i}" for i in range(rng.randint(2, 7))]
        raters = [f"r{i}" for i in range(rng.randint(2, 5))]
        items = [
            {r: (rng.choice(order) if rng.random() > 0.2 else None) for r in raters}
            for _ in range(rng.randint(5, 60))
        ]
        streamed = OrdinalAlpha(order)
        for item in items:
            streamed.add(item.values())
        expected = krippendorff_alpha(items, level="ordinal", order=order)
        assert streamed.value() == pytest.approx(expected, abs=1e-9, nan_ok=True)
    # the order decides: the same coincidences, nominal versus ordinal
    near = NominalAlpha()
    for item in [("LOW", "MID"), ("MID", "MID"), ("HIGH", "HIGH"), ("LOW", "LOW")] * 3:
        near.add(item)
    assert near.ordinal(["LOW", "MID", "HIGH"]) > near.value()
    with pytest.raises(ValueError, match="not in the order"):
        near.ordinal(["LOW", "HIGH"])


RATING = """\
layer = "rating"
version = "1.0"
order = 6
title = "Rating"
description = "How good the paragraph is, and the mood of each sentence."

[[fields]]
name = "quality"
kind = "label"
scope = "paragraph"
ordered = true
labels = [
  { name = "POOR", key = "p", description = "Плохо.", example = "—" },
  { name = "FAIR", key = "f", description = "Сносно.", example = "—" },
  { name = "GOOD", key = "g", description = "Хорошо.", example = "—" },
  { name = "EXCELLENT", key = "e", description = "Отлично.", example = "—" },
]

[[fields]]
name = "mood"
kind = "label"
scope = "sentence"
labels = [
  { name = "CALM", key = "c", description = "Спокойно.", example = "—" },
  { name = "TENSE", key = "t", description = "Напряжённо.", example = "—" },
]
"""


def test_agreement_reports_ordinal_alpha_where_the_schema_orders_the_labels(
    tmp_path: Path,
) -> None:
    (tmp_path / "my_schemas").mkdir()
    (tmp_path / "my_schemas" / "rating.toml").write_text(RATING, encoding="utf-8")
    (tmp_path / "layerkit.toml").write_text('schemas = ["my_schemas/"]\n', encoding="utf-8")
    order = ["POOR", "FAIR", "GOOD", "EXCELLENT"]
    anna = [0, 1, 2, 3, 2, 1, 0, 3, 2, 2]
    boris = [0, 2, 2, 3, 1, 1, 1, 2, 2, 3]  # near misses only
    for name, ratings in (("anna", anna), ("boris", boris)):
        lines = [{"type": "document", "key": "d", "name": "reviews", "source": "r", "meta": {}}]
        for i, rating in enumerate(ratings):
            text = f"Отзыв номер {i}. Он короткий."
            lines.append(
                {
                    "type": "paragraph", "document": "d", "index": i, "text": text,
                    "annotations": [
                        {"id": 1, "layer": "rating", "kind": "label", "field": "quality",
                         "label": order[rating]},
                        {"id": 2, "layer": "rating", "kind": "label", "field": "mood",
                         "start": 0, "end": 15, "label": "CALM" if i % 3 else "TENSE"},
                    ],
                    "status": {"rating": {"state": "done", "annotator": name}},
                }
            )  # fmt: skip
        (tmp_path / f"{name}.jsonl").write_text(
            "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines),
            encoding="utf-8",
        )
    done = subprocess.run(
        [sys.executable, "-m", "layerkit", "agreement", "anna.jsonl", "boris.jsonl",
         "--layer", "rating", "--json"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    metrics = json.loads(done.stdout)["layers"]["rating"]["metrics"]
    items = [{"anna": order[a], "boris": order[b]} for a, b in zip(anna, boris, strict=True)]
    assert metrics["quality.alpha"] == pytest.approx(krippendorff_alpha(items))
    assert metrics["quality.alpha_ordinal"] == pytest.approx(
        krippendorff_alpha(items, level="ordinal", order=order)
    )
    assert metrics["quality.alpha_ordinal"] > metrics["quality.alpha"]  # the misses are near
    assert "mood.alpha" in metrics and "mood.alpha_ordinal" not in metrics
    shown = subprocess.run(
        [sys.executable, "-m", "layerkit", "schema", "show", "rating"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
        env=dict(os.environ, COLUMNS="200"),
    )  # fmt: skip
    assert "POOR < FAIR < GOOD < EXCELLENT" in shown.stdout, shown.stderr
