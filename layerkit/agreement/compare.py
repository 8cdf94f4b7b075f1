"""Agreement between annotators' versions of the same paragraphs, layer by layer.

Each rater's version is a paragraph as the JSONL format holds it (:class:`ParagraphDraft`:
text, tokens, sentences, annotations with draft-local relation ends, layer states): the
private copies of one store (``layerkit assign``; :mod:`.copies` reads them), or what
``layerkit export jsonl`` gives from each annotator's own store. A layer is compared in a
paragraph where at least two raters marked it done.

Per layer, over those paragraphs, every field of its schema by its kind:

- ``token`` fields (lexical analyses): Krippendorff's α (nominal) per token of the label (UPOS),
  of each attribute named in ``TOKEN_ATTRIBUTES`` (lemma, feats), and the share of tokens on
  which all raters agree on all three;
- ``span`` fields: pairwise F1 (mean over the pairs of raters who annotated a paragraph
  together), exact and overlap matching;
- ``relation`` fields: F1 of (source, target, label), the ends aligned by exact span matching;
- ``label`` fields on sentences or the paragraph: Krippendorff's α (nominal), and Cohen's κ when
  there are two raters;
- ``text`` fields: how many texts each rater wrote (no chance-corrected statistic for free text);
- for every labelled field, each label's specific agreement and a confusion table.

Paragraphs stream through: each adds to sums (coincidence matrices for α, matched and total
counts for F1, contingency counts for κ), so memory does not grow with the corpus, and one
pass also gives the slices by pair of raters or by document.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from layerkit.agreement.measures import (
    NominalAlpha,
    Relation,
    Span,
    matched_spans,
    relation_matches,
)
from layerkit.drafts import AnnotationDraft, ParagraphDraft
from layerkit.schema import SchemaRegistry
from layerkit.schema.models import SchemaField

TOKEN_ATTRIBUTES = ("lemma", "feats")
NOTHING = "—"
DOCUMENT = "layerkit_document"  # the meta key under which versions carry their document

# One paragraph: each rater's version of it.
Group = Mapping[str, ParagraphDraft]


@dataclass
class LayerAgreement:
    layer: str
    items: int  # paragraphs compared (the layer done by at least two raters)
    annotators: list[str]
    metrics: dict[str, float] = field(default_factory=dict)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    # field -> label -> {"agreement": specific agreement of that label, "support": n}
    by_label: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    # field -> one rater's label -> another's label -> how often (over every pair of raters,
    # both ways, so the table is symmetric; "—" where one rater has nothing there)
    confusion: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "annotators": self.annotators,
            "metrics": self.metrics,
            "counts": self.counts,
            "by_label": self.by_label,
            "confusion": self.confusion,
        }


def _done(paragraph: ParagraphDraft, layer: str) -> bool:
    status = paragraph.status.get(layer)
    return status is not None and status.state == "done"


def _of(paragraph: ParagraphDraft, layer: str, name: str) -> list[AnnotationDraft]:
    return [a for a in paragraph.annotations if a.layer == layer and a.field == name]


# --- sums over paragraphs ----------------------------------------------------------------------


class _Pairwise:
    """Per-label specific agreement and the confusion table of a field, from its units (each a
    rater -> label mapping, None where the rater has nothing there): a label's specific
    agreement is ``2·agreed / (times either rater of a pair used it)``, over every pair."""

    def __init__(self) -> None:
        self.agreed: dict[str, int] = {}
        self.used: dict[str, int] = {}
        self.confusion: dict[str, dict[str, int]] = {}

    def add(self, unit: Mapping[str, Hashable | None]) -> None:
        for a, b in itertools.combinations(sorted(unit), 2):
            x = NOTHING if unit[a] is None else str(unit[a])
            y = NOTHING if unit[b] is None else str(unit[b])
            for first, second in ((x, y), (y, x)):
                row = self.confusion.setdefault(first, {})
                row[second] = row.get(second, 0) + 1
            for label in (x, y):
                if label != NOTHING:
                    self.used[label] = self.used.get(label, 0) + 1
            if x == y and x != NOTHING:
                self.agreed[x] = self.agreed.get(x, 0) + 2

    def fill(self, result: LayerAgreement, name: str) -> None:
        result.by_label[name] = {
            label: {"agreement": self.agreed.get(label, 0) / n, "support": n}
            for label, n in sorted(self.used.items())
        }
        result.confusion[name] = {
            k: dict(sorted(v.items())) for k, v in sorted(self.confusion.items())
        }


class _PairF1:
    """Matched and total counts per pair of raters, summed over paragraphs: F1 of a pair is
    ``2 · matched / total`` (1 when neither marked anything), reported as the mean over pairs."""

    def __init__(self) -> None:
        self.sums: dict[tuple[str, str], list[int]] = {}

    def add(self, pair: tuple[str, str], matched: int, total: int) -> None:
        found = self.sums.setdefault(pair, [0, 0])
        found[0] += matched
        found[1] += total

    def mean(self) -> float:
        if not self.sums:
            return math.nan
        f1 = [1.0 if total == 0 else 2 * matched / total for matched, total in self.sums.values()]
        return sum(f1) / len(f1)


class _Field:
    """The sums of one field of a layer."""

    def __init__(self, layer: str, spec: SchemaField) -> None:
        self.layer = layer
        self.name = spec.name
        self.kind = spec.kind
        self.scope = spec.scope
        self.pairwise = _Pairwise()
        self.alphas: dict[str, NominalAlpha] = {}
        self.f1: dict[str, _PairF1] = {}
        self.all_agree = self.tokens = 0
        self.texts: dict[str, int] = {}
        self.contingency: dict[tuple[str, str], dict[tuple[Hashable, Hashable], int]] = {}

    def add(self, group: Group) -> None:
        if self.kind == "token":
            self._tokens(group)
        elif self.kind == "span":
            self._spans(group)
        elif self.kind == "relation":
            self._relations(group)
        elif self.kind == "label":
            self._labels(group)
        elif self.kind == "text":
            for rater, paragraph in group.items():
                self.texts[rater] = self.texts.get(rater, 0) + len(
                    _of(paragraph, self.layer, self.name)
                )

    def _alpha(self, what: str) -> NominalAlpha:
        found = self.alphas.get(what)
        if found is None:
            found = self.alphas[what] = NominalAlpha()
        return found

    def _pair_f1(self, what: str) -> _PairF1:
        found = self.f1.get(what)
        if found is None:
            found = self.f1[what] = _PairF1()
        return found

    def _tokens(self, group: Group) -> None:
        analyses = {
            r: {(a.start, a.end): a for a in _of(p, self.layer, self.name)}
            for r, p in group.items()
        }
        for token in sorted({t for found in analyses.values() for t in found}, key=repr):
            per = {r: found.get(token) for r, found in analyses.items()}
            upos = {r: a.label if a else None for r, a in per.items()}
            self._alpha("upos").add(upos.values())
            self.pairwise.add(upos)
            for attr in TOKEN_ATTRIBUTES:
                self._alpha(attr).add(a.attrs.get(attr) if a else None for a in per.values())
            values = {
                (a.label, *(a.attrs.get(x) for x in TOKEN_ATTRIBUTES)) if a else None
                for a in per.values()
            }
            self.tokens += 1
            self.all_agree += len(values) == 1 and None not in values

    def _spans(self, group: Group) -> None:
        spans = {r: [_span(a) for a in _of(p, self.layer, self.name)] for r, p in group.items()}
        for one, other in itertools.combinations(sorted(spans), 2):
            total = len(spans[one]) + len(spans[other])
            for match in ("exact", "overlap"):
                matched = len(matched_spans(spans[one], spans[other], match))
                self._pair_f1(match).add((one, other), matched, total)
        places: dict[tuple[int | None, int | None], dict[str, Hashable | None]] = {}
        for rater, paragraph in group.items():
            for ann in _of(paragraph, self.layer, self.name):
                places.setdefault((ann.start, ann.end), {})[rater] = ann.label
        for place in places.values():
            self.pairwise.add({r: place.get(r) for r in group})

    def _relations(self, group: Group) -> None:
        spans: dict[str, list[Span]] = {}
        relations: dict[str, list[Relation]] = {}
        for rater, paragraph in group.items():
            own = spans[rater] = []
            where: dict[int, int] = {}
            for a in paragraph.annotations:
                if a.layer == self.layer and a.kind == "span" and a.local_id is not None:
                    where[a.local_id] = len(own)
                    own.append(_span(a))
            relations[rater] = [
                Relation(where[a.source], where[a.target], a.label)
                for a in _of(paragraph, self.layer, self.name)
                if a.source in where and a.target in where
            ]
        for one, other in itertools.combinations(sorted(spans), 2):
            matched, total = relation_matches(
                (spans[one], spans[other]), (relations[one], relations[other])
            )
            self._pair_f1("relation").add((one, other), matched, total)

    def _labels(self, group: Group) -> None:
        rows: list[dict[str, Hashable | None]] = []
        if self.scope == "sentence":
            units: dict[tuple[int | None, int | None], dict[str, Hashable | None]] = {}
            for rater, paragraph in group.items():
                for a in _of(paragraph, self.layer, self.name):
                    units.setdefault((a.start, a.end), {})[rater] = a.label
            rows.extend({r: unit.get(r) for r in group} for unit in units.values())
        else:
            rows.append(
                {
                    r: next((a.label for a in _of(p, self.layer, self.name)), None)
                    for r, p in group.items()
                }
            )
        for row in rows:
            self._alpha("label").add(row.values())
            self.pairwise.add(row)
            for one, other in itertools.combinations(sorted(row), 2):
                x, y = row[one], row[other]
                if x is not None and y is not None:
                    table = self.contingency.setdefault((one, other), {})
                    table[x, y] = table.get((x, y), 0) + 1

    def fill(self, result: LayerAgreement) -> None:
        name = self.name
        if self.kind == "token":
            result.metrics[f"{name}.upos.alpha"] = self._alpha("upos").value()
            for attr in TOKEN_ATTRIBUTES:
                result.metrics[f"{name}.{attr}.alpha"] = self._alpha(attr).value()
            result.metrics[f"{name}.all_agree"] = (
                self.all_agree / self.tokens if self.tokens else math.nan
            )
        elif self.kind == "span":
            for match in ("exact", "overlap"):
                result.metrics[f"{name}.f1_{match}"] = self._pair_f1(match).mean()
        elif self.kind == "relation":
            result.metrics[f"{name}.f1"] = self._pair_f1("relation").mean()
        elif self.kind == "label":
            result.metrics[f"{name}.alpha"] = self._alpha("label").value()
            if len(result.annotators) == 2:
                pair = (result.annotators[0], result.annotators[1])
                result.metrics[f"{name}.kappa"] = _kappa(self.contingency.get(pair, {}))
        elif self.kind == "text":
            result.counts[name] = {r: self.texts.get(r, 0) for r in result.annotators}
        if self.kind in ("token", "span", "label"):
            self.pairwise.fill(result, name)


def _kappa(table: Mapping[tuple[Hashable, Hashable], int]) -> float:
    """Cohen's κ from the counts of (first rater's label, second's) (statsmodels')."""
    if not table:
        return math.nan
    from statsmodels.stats.inter_rater import cohens_kappa

    labels = sorted({label for pair in table for label in pair}, key=repr)
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for (a, b), n in table.items():
        matrix[index[a]][index[b]] += n
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # 0/0 for a single shared label
        return float(cohens_kappa(matrix, return_results=False))


def _span(a: AnnotationDraft) -> Span:
    return Span(a.start or 0, a.end or 0, a.label)


class _Layer:
    """The sums of one layer over the paragraphs where two or more raters marked it done."""

    def __init__(self, layer: str, fields: Sequence[SchemaField]) -> None:
        self.layer = layer
        self.fields = [_Field(layer, spec) for spec in fields]
        self.items = 0
        self.raters: set[str] = set()

    def add(self, group: Group) -> None:
        done = {r: p for r, p in group.items() if _done(p, self.layer)}
        if len(done) < 2:
            return
        self.items += 1
        self.raters.update(done)
        for f in self.fields:
            f.add(done)

    def result(self) -> LayerAgreement:
        result = LayerAgreement(self.layer, self.items, sorted(self.raters))
        if self.items:
            for f in self.fields:
                f.fill(result)
        return result


class _Layers:
    def __init__(self, schemas: SchemaRegistry, layers: Sequence[str]) -> None:
        self.layers = {layer: _Layer(layer, schemas.get(layer).fields) for layer in layers}

    def add(self, group: Group) -> None:
        for layer in self.layers.values():
            layer.add(group)

    def results(self) -> dict[str, LayerAgreement]:
        return {name: layer.result() for name, layer in self.layers.items()}


# --- entry points --------------------------------------------------------------------------------


def compare_groups(
    groups: Iterable[Group],
    schemas: SchemaRegistry,
    layers: Sequence[str] | None = None,
    *,
    by: str | None = None,
) -> tuple[dict[str, LayerAgreement], dict[str, dict[str, LayerAgreement]]]:
    """Agreement per layer over paragraphs streamed as groups (``{rater: their version}``),
    and, with ``by`` = ``pair`` or ``document``, the same per pair of raters (``"anna–boris"``,
    the two alone) or per document (the versions' ``meta[DOCUMENT]``), in the same pass."""
    chosen = list(layers or schemas.order)
    overall = _Layers(schemas, chosen)
    slices: dict[str, _Layers] = {}
    for group in groups:
        overall.add(group)
        if by == "pair":
            for a, b in itertools.combinations(sorted(group), 2):
                key = f"{a}–{b}"
                if key not in slices:
                    slices[key] = _Layers(schemas, chosen)
                slices[key].add({a: group[a], b: group[b]})
        elif by == "document":
            first = next(iter(group.values()))
            key = str(first.meta.get(DOCUMENT, ""))
            if key not in slices:
                slices[key] = _Layers(schemas, chosen)
            slices[key].add(group)
    return overall.results(), {k: v.results() for k, v in sorted(slices.items())}


def group_versions(
    versions: Mapping[str, Sequence[ParagraphDraft]],
    same: Callable[[ParagraphDraft], Hashable] | None = None,
) -> list[dict[str, ParagraphDraft]]:
    """Raters' versions grouped by paragraph (``same``: default the same text)."""
    key = same or (lambda paragraph: paragraph.text)
    groups: dict[Hashable, dict[str, ParagraphDraft]] = {}
    for rater, paragraphs in versions.items():
        for paragraph in paragraphs:
            groups.setdefault(key(paragraph), {})[rater] = paragraph
    return list(groups.values())


def compare(
    versions: Mapping[str, Sequence[ParagraphDraft]],
    schemas: SchemaRegistry,
    layers: Sequence[str] | None = None,
    *,
    same: Callable[[ParagraphDraft], Hashable] | None = None,
) -> dict[str, LayerAgreement]:
    """Agreement per layer between raters (``{rater: their paragraphs}``). ``same`` tells
    which versions are of one paragraph (default: the same text)."""
    return compare_groups(group_versions(versions, same), schemas, layers)[0]
