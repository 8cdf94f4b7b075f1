"""Agreement between annotators' versions of the same paragraphs, layer by layer.

Each rater's version of a paragraph is a :class:`Version`: per layer, whether it is done and
its annotations as plain tuples (:data:`Row`), which is what the store reads in bulk from the
private copies (``layerkit assign``; :mod:`.copies` reads them). A paragraph as the JSONL format
holds it (:class:`ParagraphDraft`, e.g. what ``layerkit export jsonl`` gives from each
annotator's own store) becomes one. A layer is compared in a paragraph where at least two
raters marked it done.

Per layer, over those paragraphs, every field of its schema by its kind:

- ``token`` fields (lexical analyses): Krippendorff's α (nominal) per token of the label (UPOS),
  of each attribute named in ``TOKEN_ATTRIBUTES`` (lemma, feats), and the share of tokens on
  which all raters agree on all three;
- ``span`` fields: pairwise F1 (mean over the pairs of raters who annotated a paragraph
  together), exact and overlap matching; and Krippendorff's unitizing α over the code points
  (:mod:`.unitizing`: ``alpha_u`` with the labels, ``alpha_u_binary`` boundaries only),
  chance-corrected and multi-rater;
- ``relation`` fields: F1 of (source, target, label), the ends aligned by exact span matching;
- ``label`` fields on sentences or the paragraph: Krippendorff's α (nominal; ordinal too when
  the schema orders the field's labels, ``ordered = true``), and Cohen's κ when there are two
  raters;
- ``text`` fields: how many texts each rater wrote (no chance-corrected statistic for free text);
- for every labelled field, each label's specific agreement and a confusion table.

Paragraphs stream through: each adds to sums (coincidence matrices for α, matched and total
counts for F1, contingency counts for κ), so memory does not grow with the corpus, and one
pass also gives the slices by pair of raters or by document. Units (tokens, places of spans,
labelled sentences) are counted by the raters' values there and added to the sums once per
distinct combination, which gives the same sums: ``bench/agreement.py`` measures the speed.
"""

from __future__ import annotations

import itertools
import math
import operator
import warnings
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import orjson

from layerkit.agreement.measures import (
    NominalAlpha,
    SpanTuple,
    exact_pairs,
    relation_counts,
    span_matches,
)
from layerkit.agreement.unitizing import UnitizingAlpha
from layerkit.drafts import ParagraphDraft
from layerkit.schema import SchemaRegistry
from layerkit.schema.models import SchemaField

TOKEN_ATTRIBUTES = ("lemma", "feats")
NOTHING = "—"
DOCUMENT = "layerkit_document"  # the meta key under which versions carry their document

# One annotation as the measures read it, a plain tuple (what the store reads in bulk):
# (field, start, end, label, attrs, id, source, target). ``attrs`` is a dict or its JSON text
# (only token analyses need it; None elsewhere is fine); ``id`` is set on spans only (the ends
# of relations); ``source`` and ``target`` are the ids of a relation's ends.
Row = tuple[Any, ...]
FIELD, START, END, LABEL, ATTRS, ID, SOURCE, TARGET = range(8)
_POSITION = operator.itemgetter(START, END)
_SPAN = operator.itemgetter(START, END, LABEL)
_START = operator.itemgetter(START)
_END = operator.itemgetter(END)
_FIRST = operator.itemgetter(0)
_SECOND = operator.itemgetter(1)
_LABEL = operator.itemgetter(LABEL)
_ATTRS = operator.itemgetter(ATTRS)
_FIELD = operator.itemgetter(FIELD)
_ATTRIBUTE = {name: operator.methodcaller("get", name) for name in TOKEN_ATTRIBUTES}
FOLD_AT = 50_000  # distinct units a field counts before adding them to its sums


class LayerVersion:
    """One rater's version of one layer of one paragraph: done or not, and its annotations as
    :data:`Row` tuples in the order they were made."""

    __slots__ = ("_fields", "_spans", "done", "rows")

    def __init__(self, done: bool, rows: Sequence[Row]) -> None:
        self.done = done
        self.rows = rows
        self._fields: dict[str, list[Row]] | None = None
        self._spans: tuple[list[SpanTuple], dict[Any, int]] | None = None

    def of(self, name: str) -> list[Row]:
        """The rows of one field, in order."""
        fields = self._fields
        if fields is None:
            fields = self._fields = {}
            for key, run in itertools.groupby(self.rows, _FIELD):
                fields.setdefault(key, []).extend(run)
        return fields.get(name, [])

    def spans(self) -> tuple[list[SpanTuple], dict[Any, int]]:
        """Every span of the layer, whatever its field, and where each span's id is in that
        list: the ends relations are aligned by."""
        if self._spans is None:
            spans: list[SpanTuple] = []
            where: dict[Any, int] = {}
            for row in self.rows:
                if row[ID] is not None:
                    where[row[ID]] = len(spans)
                    spans.append((row[START] or 0, row[END] or 0, row[LABEL]))
            self._spans = spans, where
        return self._spans


class Version:
    """One rater's version of one paragraph: its document, the length of its text (code
    points) and its layers (a layer the rater has no version of is left out)."""

    __slots__ = ("document", "layers", "length")

    def __init__(self, document: str, length: int, layers: dict[str, LayerVersion]) -> None:
        self.document = document
        self.length = length
        self.layers = layers

    @classmethod
    def of_draft(cls, paragraph: ParagraphDraft) -> Version:
        """A paragraph as the JSONL format holds it (relation ends by ``local_id``)."""
        rows: dict[str, list[Row]] = {}
        for a in paragraph.annotations:
            rows.setdefault(a.layer, []).append(
                (
                    a.field, a.start, a.end, a.label, a.attrs,
                    a.local_id if a.kind == "span" else None, a.source, a.target,
                )
            )  # fmt: skip
        layers = {
            name: LayerVersion(_done(paragraph, name), rows.get(name, []))
            for name in dict.fromkeys(chain(rows, paragraph.status))
        }
        return cls(str(paragraph.meta.get(DOCUMENT, "")), len(paragraph.text), layers)


# One paragraph: each rater's version of it.
Group = Mapping[str, Version | ParagraphDraft]


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


def _decode(values: Sequence[Any]) -> list[dict[str, Any]]:
    """``attrs`` values as dicts; JSON text (the store's) is decoded in one call."""
    try:
        decoded = orjson.loads("[" + ",".join(values) + "]")
    except TypeError:  # not all text: dicts (drafts, another database), or missing
        decoded = [orjson.loads(v) if isinstance(v, str) else v for v in values]
    if all(type(a) is dict for a in decoded):
        return decoded
    return [a if isinstance(a, dict) else {} for a in decoded]


def _align(
    positions: Sequence[list[Hashable]], *columns: list[list[Any]]
) -> tuple[int, list[list[list[Any]]]]:
    """Units by position across raters: ``positions[r]`` are rater r's positions and each
    column ``columns[c][r]`` the values there; returned re-keyed so that index i of every
    column is the i-th unit (None where a rater has nothing there; the last value at a
    position counts), with the number of units. Raters who hold the same positions in the
    same order, as double annotation mostly does, need no re-keying."""
    first = positions[0]
    if all(p == first for p in positions[1:]) and len(set(first)) == len(first):
        return len(first), list(columns)
    keys = list(dict.fromkeys(chain.from_iterable(positions)))
    return len(keys), [
        [
            list(map(dict(zip(pos, values, strict=True)).get, keys))
            for pos, values in zip(positions, column, strict=True)
        ]
        for column in columns
    ]


def _all_equal(values: Sequence[Any]) -> bool:
    return values[0] is not None and all(v == values[0] for v in values)


# --- sums over paragraphs ----------------------------------------------------------------------


class _Pairwise:
    """Per-label specific agreement and the confusion table of a field, from its units (the
    raters' labels there, None where a rater has nothing): a label's specific agreement is
    ``2·agreed / (times either rater of a pair used it)``, over every pair."""

    def __init__(self) -> None:
        self.agreed: dict[str, int] = {}
        self.used: dict[str, int] = {}
        self.confusion: dict[str, dict[str, int]] = {}

    def add(self, values: Iterable[Hashable | None], times: int = 1) -> None:
        """One unit (or ``times`` units with these labels): every pair of its raters."""
        labels = [NOTHING if v is None else str(v) for v in values]
        for x, y in itertools.combinations(labels, 2):
            for first, second in ((x, y), (y, x)):
                row = self.confusion.setdefault(first, {})
                row[second] = row.get(second, 0) + times
            for label in (x, y):
                if label != NOTHING:
                    self.used[label] = self.used.get(label, 0) + times
            if x == y and x != NOTHING:
                self.agreed[x] = self.agreed.get(x, 0) + 2 * times

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
    """The sums of one field of a layer.

    Units (a token, a span's place, a label's sentence) are counted by the raters' values
    there (a tuple, in the order of the raters' names), and the counts go into the sums (α's
    coincidences, the pairwise tables, κ's contingency) once per distinct tuple: every
    statistic here depends on a unit's values alone, and most units repeat."""

    def __init__(self, layer: str, spec: SchemaField) -> None:
        self.layer = layer
        self.name = spec.name
        self.kind = spec.kind
        self.scope = spec.scope
        self.order = spec.label_names if spec.kind == "label" and spec.ordered else None
        self.pairwise = _Pairwise()
        self.alphas: dict[str, NominalAlpha] = {}
        self.units: dict[tuple[str, tuple[str, ...]], Counter[tuple[Any, ...]]] = {}
        self.f1: dict[str, _PairF1] = {}
        self.all_agree = self.tokens = 0
        self.texts: dict[str, int] = {}
        self.analyses: dict[Any, tuple[Any, Any]] = {}  # attrs text -> (lemma, feats)
        self.contingency: dict[tuple[str, str], dict[tuple[Hashable, Hashable], int]] = {}
        self.unitizing = UnitizingAlpha()  # spans: Krippendorff's uα over the code points

    def add(
        self, raters: tuple[str, ...], versions: Mapping[str, LayerVersion], length: int = 0
    ) -> None:
        """One paragraph (``length`` code points): ``versions`` of the layer by rater,
        ``raters`` their sorted names."""
        if self.kind == "token":
            self._tokens(raters, versions)
        elif self.kind == "span":
            self._spans(raters, versions, length)
        elif self.kind == "relation":
            self._relations(raters, versions)
        elif self.kind == "label":
            self._labels(raters, versions)
        elif self.kind == "text":
            for rater in raters:
                self.texts[rater] = self.texts.get(rater, 0) + len(versions[rater].of(self.name))

    def _count(self, what: str, raters: tuple[str, ...], units: Iterable[tuple[Any, ...]]) -> None:
        counter = self.units.get((what, raters))
        if counter is None:
            counter = self.units[what, raters] = Counter()
        counter.update(units)
        if len(counter) > FOLD_AT:
            self.fold()

    def fold(self) -> None:
        """Add the counted units to the sums (memory holds the sums, not the units)."""
        for (what, raters), counter in self.units.items():
            alpha = None if what in ("span", "feats_keys") else self._alpha(what)
            pairwise = what in ("upos", "span", "label")
            pairs = list(itertools.combinations(range(len(raters)), 2))
            for values, n in counter.items():
                if alpha is not None:
                    alpha.add(values, n)
                if what == "feats_keys":
                    self._feature_keys(values, n)
                if pairwise:
                    self.pairwise.add(values, n)
                if what == "label":
                    for i, j in pairs:
                        x, y = values[i], values[j]
                        if x is not None and y is not None:
                            table = self.contingency.setdefault((raters[i], raters[j]), {})
                            table[x, y] = table.get((x, y), 0) + n
        self.units.clear()

    def _feature_keys(self, values: tuple[Any, ...], n: int) -> None:
        """Each FEATS key of a token on its own (Case, Number, ...): a unit wherever one rater
        gave the key; a rater whose analysis lacks it says "no such feature" (a value), a
        rater without the token says nothing (missing)."""
        parsed = [None if v is None else _features(v) for v in values]
        keys = {key for found in parsed if found for key in found}
        for key in keys:
            self._alpha(f"feats.{key}").add(
                tuple(None if found is None else found.get(key, NOTHING) for found in parsed), n
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

    def _analysed(self, rows: Sequence[Row]) -> tuple[list[Any], list[Any]]:
        """Lemma and FEATS of token rows. The store's attrs are JSON text, decoded once per
        distinct text (most analyses recur: the same word, or both raters' same analysis)."""
        texts = list(map(_ATTRS, rows))
        cache = self.analyses
        try:
            new = [text for text in dict.fromkeys(texts) if text not in cache]
        except TypeError:  # dicts (drafts): nothing to decode
            every = _decode(texts)
            return list(map(_ATTRIBUTE["lemma"], every)), list(map(_ATTRIBUTE["feats"], every))
        if new:
            if len(cache) > FOLD_AT:  # memory holds a bounded cache
                cache.clear()
                new = list(dict.fromkeys(texts))
            for text, attrs in zip(new, _decode(new), strict=True):
                cache[text] = (attrs.get("lemma"), attrs.get("feats"))
        found = list(map(cache.__getitem__, texts))
        return list(map(_FIRST, found)), list(map(_SECOND, found))

    def _tokens(self, raters: tuple[str, ...], versions: Mapping[str, LayerVersion]) -> None:
        positions, upos, lemma, feats, whole = [], [], [], [], []
        for rater in raters:
            rows = versions[rater].of(self.name)
            positions.append(list(map(_POSITION, rows)))
            upos.append(list(map(_LABEL, rows)))
            lemmas, feats_ = self._analysed(rows)
            lemma.append(lemmas)
            feats.append(feats_)
            whole.append(list(zip(upos[-1], lemmas, feats_, strict=True)))
        # for the FEATS keys one by one, an analysis without FEATS has none ("_"), which the
        # alignment must tell from a token the rater lacks (None)
        given = [["_" if f is None else f for f in own] for own in feats]
        n, (upos, lemma, feats, whole, given) = _align(positions, upos, lemma, feats, whole, given)
        self._count("upos", raters, zip(*upos, strict=True))
        self._count("lemma", raters, zip(*lemma, strict=True))
        self._count("feats", raters, zip(*feats, strict=True))
        self._count("feats_keys", raters, zip(*given, strict=True))
        self.tokens += n
        if len(whole) == 2:  # a unit one rater lacks is None there, never equal to the other's
            self.all_agree += sum(map(operator.eq, whole[0], whole[1]))
        else:
            self.all_agree += sum(map(_all_equal, zip(*whole, strict=True)))

    def _spans(
        self, raters: tuple[str, ...], versions: Mapping[str, LayerVersion], length: int
    ) -> None:
        rows = [versions[rater].of(self.name) for rater in raters]
        spans = [list(map(_SPAN, own)) for own in rows]
        if any(None in map(_START, own) or None in map(_END, own) for own in rows):
            # (start or 0, end or 0), as a Span would be made
            spans = [[(s or 0, e or 0, label) for s, e, label in own] for own in spans]
        # a unit covers code points: an empty or reversed span covers none
        units = {r: [u for u in own if u[1] > u[0]] for r, own in zip(raters, spans, strict=True)}
        end = max([length, *(u[1] for own in units.values() for u in own)])
        self.unitizing.add(end, units)
        for (i, one), (j, other) in itertools.combinations(enumerate(raters), 2):
            exact, overlap = span_matches(spans[i], spans[j])
            total = len(spans[i]) + len(spans[j])
            self._pair_f1("exact").add((one, other), exact, total)
            self._pair_f1("overlap").add((one, other), overlap, total)
        positions = [list(map(_POSITION, own)) for own in rows]
        _, (labels,) = _align(positions, [list(map(_LABEL, own)) for own in rows])
        self._count("span", raters, zip(*labels, strict=True))

    def _relations(self, raters: tuple[str, ...], versions: Mapping[str, LayerVersion]) -> None:
        spans: list[list[SpanTuple]] = []
        relations: list[list[tuple[int, int, Hashable]]] = []
        for rater in raters:
            version = versions[rater]
            own, where = version.spans()
            spans.append(own)
            relations.append(
                [
                    (where[r[SOURCE]], where[r[TARGET]], r[LABEL])
                    for r in version.of(self.name)
                    if r[SOURCE] in where and r[TARGET] in where
                ]
            )
        for (i, one), (j, other) in itertools.combinations(enumerate(raters), 2):
            if spans[i] == spans[j]:  # each span is aligned with itself
                matched = sum((Counter(relations[i]) & Counter(relations[j])).values())
                total = len(relations[i]) + len(relations[j])
            else:
                aligned = dict(exact_pairs(spans[i], spans[j]))
                matched, total = relation_counts(aligned, relations[i], relations[j])
            self._pair_f1("relation").add((one, other), matched, total)

    def _labels(self, raters: tuple[str, ...], versions: Mapping[str, LayerVersion]) -> None:
        rows = [versions[rater].of(self.name) for rater in raters]
        if self.scope == "sentence":
            positions = [list(map(_POSITION, own)) for own in rows]
            _, (labels,) = _align(positions, [list(map(_LABEL, own)) for own in rows])
            self._count("label", raters, zip(*labels, strict=True))
        else:  # the paragraph's label: each rater's first, None where there is none
            self._count("label", raters, [tuple(own[0][LABEL] if own else None for own in rows)])

    def fill(self, result: LayerAgreement) -> None:
        self.fold()
        name = self.name
        if self.kind == "token":
            result.metrics[f"{name}.upos.alpha"] = self._alpha("upos").value()
            for attr in TOKEN_ATTRIBUTES:
                result.metrics[f"{name}.{attr}.alpha"] = self._alpha(attr).value()
            result.metrics[f"{name}.all_agree"] = (
                self.all_agree / self.tokens if self.tokens else math.nan
            )
            for what in sorted(w for w in self.alphas if w.startswith("feats.")):
                result.metrics[f"{name}.{what}.alpha"] = self._alpha(what).value()
        elif self.kind == "span":
            for match in ("exact", "overlap"):
                result.metrics[f"{name}.f1_{match}"] = self._pair_f1(match).mean()
            alpha_u = self.unitizing.value()
            binary = self.unitizing.binary_value()
            result.metrics[f"{name}.alpha_u"] = math.nan if alpha_u is None else alpha_u
            result.metrics[f"{name}.alpha_u_binary"] = math.nan if binary is None else binary
        elif self.kind == "relation":
            result.metrics[f"{name}.f1"] = self._pair_f1("relation").mean()
        elif self.kind == "label":
            alpha = self._alpha("label")
            result.metrics[f"{name}.alpha"] = alpha.value()
            if self.order is not None:
                try:
                    result.metrics[f"{name}.alpha_ordinal"] = alpha.ordinal(self.order)
                except ValueError:  # a label the schema no longer lists: no order to go by
                    result.metrics[f"{name}.alpha_ordinal"] = math.nan
            if len(result.annotators) == 2:
                pair = (result.annotators[0], result.annotators[1])
                result.metrics[f"{name}.kappa"] = _kappa(self.contingency.get(pair, {}))
        elif self.kind == "text":
            result.counts[name] = {r: self.texts.get(r, 0) for r in result.annotators}
        if self.kind in ("token", "span", "label"):
            self.pairwise.fill(result, name)


def _features(feats: Any) -> dict[str, str]:
    """``Case=Nom|Number=Sing`` as a dict (``_`` and empty: none)."""
    if not isinstance(feats, str) or feats in ("", "_"):
        return {}
    return dict(item.split("=", 1) for item in feats.split("|") if "=" in item)


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


class _Layer:
    """The sums of one layer over the paragraphs where two or more raters marked it done."""

    def __init__(self, layer: str, fields: Sequence[SchemaField]) -> None:
        self.layer = layer
        self.fields = [_Field(layer, spec) for spec in fields]
        self.items = 0
        self.raters: set[str] = set()

    def add(self, group: Mapping[str, Version]) -> None:
        done = {}
        for rater, version in group.items():
            own = version.layers.get(self.layer)
            if own is not None and own.done:
                done[rater] = own
        if len(done) < 2:
            return
        self.items += 1
        self.raters.update(done)
        raters = tuple(sorted(done))
        length = max(version.length for version in group.values())
        for f in self.fields:
            f.add(raters, done, length)

    def fold(self) -> None:
        for f in self.fields:
            f.fold()

    def result(self) -> LayerAgreement:
        result = LayerAgreement(self.layer, self.items, sorted(self.raters))
        if self.items:
            for f in self.fields:
                f.fill(result)
        return result


class _Layers:
    def __init__(self, schemas: SchemaRegistry, layers: Sequence[str]) -> None:
        self.layers = {layer: _Layer(layer, schemas.get(layer).fields) for layer in layers}

    def add(self, group: Mapping[str, Version]) -> None:
        for layer in self.layers.values():
            layer.add(group)

    def fold(self) -> None:
        """Add what was counted to the sums: for a slice no more paragraphs will come to."""
        for layer in self.layers.values():
            layer.fold()

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
    """Agreement per layer over paragraphs streamed as groups (``{rater: their version}``, a
    :class:`Version` or a :class:`ParagraphDraft`), and, with ``by`` = ``pair`` or
    ``document``, the same per pair of raters (``"anna–boris"``, the two alone) or per
    document (a draft's ``meta[DOCUMENT]``), in the same pass."""
    chosen = list(layers or schemas.order)
    overall = _Layers(schemas, chosen)
    slices: dict[str, _Layers] = {}
    last: _Layers | None = None
    for raw in groups:
        group = {
            rater: v if isinstance(v, Version) else Version.of_draft(v) for rater, v in raw.items()
        }
        overall.add(group)
        if by == "pair":
            for a, b in itertools.combinations(sorted(group), 2):
                key = f"{a}–{b}"
                if key not in slices:
                    slices[key] = _Layers(schemas, chosen)
                slices[key].add({a: group[a], b: group[b]})
        elif by == "document" and group:
            key = next(iter(group.values())).document
            if key not in slices:
                if last is not None:  # a document's paragraphs come together, as a rule
                    last.fold()
                slices[key] = _Layers(schemas, chosen)
            last = slices[key]
            last.add(group)
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
