"""Agreement between annotators' versions of the same paragraphs, layer by layer.

Each rater's version is a paragraph as the JSONL format holds it (:class:`ParagraphDraft`:
text, tokens, sentences, annotations with draft-local relation ends, layer states): today,
what ``layerkit export jsonl`` gives from each annotator's own store, so a team that annotated
independently in separate stores can measure itself. Paragraphs are matched by their text; a
layer is compared where at least two raters marked it done.

Per layer, over those paragraphs, every field of its schema by its kind:

- ``token`` fields (lexical analyses): Krippendorff's α (nominal) per token of the label (UPOS),
  of each attribute named in ``TOKEN_ATTRIBUTES`` (lemma, feats), and the share of tokens on
  which all raters agree on all three;
- ``span`` fields: pairwise F1 (mean over rater pairs), exact and overlap matching;
- ``relation`` fields: F1 of (source, target, label), the ends aligned by exact span matching;
- ``label`` fields on sentences or the paragraph: Krippendorff's α (nominal; ordinal where the
  schema orders the labels is for later), and Cohen's κ when there are two raters;
- ``text`` fields: how many texts each rater wrote (no chance-corrected statistic for free text).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from layerkit.agreement.measures import (
    Relation,
    Span,
    cohen_kappa,
    krippendorff_alpha,
    relation_agreement,
    span_agreement,
)
from layerkit.drafts import AnnotationDraft, ParagraphDraft
from layerkit.schema import SchemaRegistry

TOKEN_ATTRIBUTES = ("lemma", "feats")
# spans of different paragraphs never match: each paragraph's offsets are moved this far apart
_APART = 10**9


@dataclass
class LayerAgreement:
    layer: str
    items: int  # paragraphs compared (the layer done by at least two raters)
    annotators: list[str]
    metrics: dict[str, float] = field(default_factory=dict)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    # field -> label -> {"agreement": specific agreement or F1 of that label, "support": n}
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


NOTHING = "—"


def _pairwise(result: LayerAgreement, name: str, units: list[dict[str, Hashable | None]]) -> None:
    """Per-label figures and the confusion table of a field from its units (each a rater ->
    label mapping, None where the rater has nothing there): a label's specific agreement is
    ``2·agreed / (times either rater of a pair used it)``, over every pair of raters."""
    agreed: dict[str, int] = {}
    used: dict[str, int] = {}
    confusion: dict[str, dict[str, int]] = {}
    for unit in units:
        raters = sorted(unit)
        for a, b in itertools.combinations(raters, 2):
            x = NOTHING if unit[a] is None else str(unit[a])
            y = NOTHING if unit[b] is None else str(unit[b])
            for first, second in ((x, y), (y, x)):
                row = confusion.setdefault(first, {})
                row[second] = row.get(second, 0) + 1
            for label in (x, y):
                if label != NOTHING:
                    used[label] = used.get(label, 0) + 1
            if x == y and x != NOTHING:
                agreed[x] = agreed.get(x, 0) + 2
    result.by_label[name] = {
        label: {"agreement": agreed.get(label, 0) / n, "support": n}
        for label, n in sorted(used.items())
    }
    result.confusion[name] = {k: dict(sorted(v.items())) for k, v in sorted(confusion.items())}


def _done(paragraph: ParagraphDraft, layer: str) -> bool:
    status = paragraph.status.get(layer)
    return status is not None and status.state == "done"


def compare(
    versions: Mapping[str, Sequence[ParagraphDraft]],
    schemas: SchemaRegistry,
    layers: Sequence[str] | None = None,
    *,
    same: Callable[[ParagraphDraft], Hashable] | None = None,
) -> dict[str, LayerAgreement]:
    """Agreement per layer between raters (``{rater: their paragraphs}``). ``same`` tells
    which versions are of one paragraph (default: the same text; versions read from one store
    know their paragraph's id)."""
    key = same or (lambda paragraph: paragraph.text)
    by_text: dict[Hashable, dict[str, ParagraphDraft]] = {}
    for rater, paragraphs in versions.items():
        for paragraph in paragraphs:
            by_text.setdefault(key(paragraph), {})[rater] = paragraph
    out = {}
    for layer in layers or schemas.order:
        groups = [
            {r: p for r, p in copies.items() if _done(p, layer)} for copies in by_text.values()
        ]
        groups = [g for g in groups if len(g) >= 2]
        raters = sorted({r for g in groups for r in g})
        result = LayerAgreement(layer, len(groups), raters)
        if groups:
            for f in schemas.get(layer).fields:
                _field(result, f.name, f.kind, f.scope, groups, layer)
        out[layer] = result
    return out


def _of(paragraph: ParagraphDraft, layer: str, name: str) -> list[AnnotationDraft]:
    return [a for a in paragraph.annotations if a.layer == layer and a.field == name]


def _field(
    result: LayerAgreement,
    name: str,
    kind: str,
    scope: str | None,
    groups: list[dict[str, ParagraphDraft]],
    layer: str,
) -> None:
    if kind == "token":
        _token_field(result, name, groups, layer)
    elif kind == "span":
        spans = _spans(groups, layer, name)
        for match in ("exact", "overlap"):
            result.metrics[f"{name}.f1_{match}"] = span_agreement(spans, match=match).mean_f1
        _pairwise(result, name, _units_by_place(groups, layer, name))
    elif kind == "relation":
        _relation_field(result, name, groups, layer)
    elif kind == "label":
        _label_field(result, name, scope, groups, layer)
    elif kind == "text":
        result.counts[name] = {
            r: sum(len(_of(g[r], layer, name)) for g in groups if r in g) for r in result.annotators
        }


def _token_field(
    result: LayerAgreement, name: str, groups: list[dict[str, ParagraphDraft]], layer: str
) -> None:
    items: dict[str, list[dict[str, Hashable | None]]] = {"upos": []}
    for attr in TOKEN_ATTRIBUTES:
        items[attr] = []
    all_agree = total = 0
    for group in groups:
        analyses = {r: {(a.start, a.end): a for a in _of(p, layer, name)} for r, p in group.items()}
        tokens = sorted({t for found in analyses.values() for t in found}, key=repr)
        for token in tokens:
            per = {r: found.get(token) for r, found in analyses.items()}
            items["upos"].append({r: a.label if a else None for r, a in per.items()})
            for attr in TOKEN_ATTRIBUTES:
                items[attr].append({r: a.attrs.get(attr) if a else None for r, a in per.items()})
            values = {
                (a.label, *(a.attrs.get(x) for x in TOKEN_ATTRIBUTES)) if a else None
                for a in per.values()
            }
            total += 1
            all_agree += len(values) == 1 and None not in values
    for what, rows in items.items():
        result.metrics[f"{name}.{what}.alpha"] = krippendorff_alpha(rows)
    _pairwise(result, name, items["upos"])
    result.metrics[f"{name}.all_agree"] = all_agree / total if total else float("nan")


def _relation_field(
    result: LayerAgreement, name: str, groups: list[dict[str, ParagraphDraft]], layer: str
) -> None:
    spans: dict[str, list[Span]] = {r: [] for r in result.annotators}
    relations: dict[str, list[Relation]] = {r: [] for r in result.annotators}
    for index, group in enumerate(groups):
        for rater, paragraph in group.items():
            own = spans[rater]
            where: dict[int, int] = {}
            for a in paragraph.annotations:
                if a.layer == layer and a.kind == "span" and a.local_id is not None:
                    where[a.local_id] = len(own)
                    own.append(_span(a, index))
            for a in _of(paragraph, layer, name):
                if a.source in where and a.target in where:
                    relations[rater].append(Relation(where[a.source], where[a.target], a.label))
    result.metrics[f"{name}.f1"] = relation_agreement(spans, relations).mean_f1


def _label_field(
    result: LayerAgreement,
    name: str,
    scope: str | None,
    groups: list[dict[str, ParagraphDraft]],
    layer: str,
) -> None:
    rows: list[dict[str, Hashable | None]] = []
    for group in groups:
        if scope == "sentence":
            units: dict[tuple[int | None, int | None], dict[str, Hashable | None]] = {}
            for rater, paragraph in group.items():
                for a in _of(paragraph, layer, name):
                    units.setdefault((a.start, a.end), {})[rater] = a.label
            rows.extend(units.values())
        else:
            rows.append(
                {r: next((a.label for a in _of(p, layer, name)), None) for r, p in group.items()}
            )
    result.metrics[f"{name}.alpha"] = krippendorff_alpha(rows)
    _pairwise(result, name, rows)
    if len(result.annotators) == 2:
        first, second = result.annotators
        result.metrics[f"{name}.kappa"] = cohen_kappa(
            [row.get(first) for row in rows], [row.get(second) for row in rows]
        )


def _units_by_place(
    groups: list[dict[str, ParagraphDraft]], layer: str, name: str
) -> list[dict[str, Hashable | None]]:
    """A field's spans as units of one place each (paragraph and offsets): who labelled the
    place how, None for a rater of the paragraph who marked nothing there."""
    units: list[dict[str, Hashable | None]] = []
    for group in groups:
        places: dict[tuple[int | None, int | None], dict[str, Hashable | None]] = {}
        for rater, paragraph in group.items():
            for a in _of(paragraph, layer, name):
                places.setdefault((a.start, a.end), {})[rater] = a.label
        for place in places.values():
            units.append({r: place.get(r) for r in group})
    return units


def _span(a: AnnotationDraft, index: int) -> Span:
    return Span(index * _APART + (a.start or 0), index * _APART + (a.end or 0), a.label)


def _spans(groups: list[dict[str, ParagraphDraft]], layer: str, name: str) -> dict[str, list[Span]]:
    spans: dict[str, list[Span]] = {}
    for index, group in enumerate(groups):
        for rater, paragraph in group.items():
            spans.setdefault(rater, []).extend(_span(a, index) for a in _of(paragraph, layer, name))
    return spans


DOCUMENT = "layerkit_document"  # the meta key under which versions carry their document


def by_pair(
    versions: Mapping[str, Sequence[ParagraphDraft]],
    schemas: SchemaRegistry,
    layers: Sequence[str] | None = None,
    *,
    same: Callable[[ParagraphDraft], Hashable] | None = None,
) -> dict[str, dict[str, LayerAgreement]]:
    """Agreement of every two raters alone (``"anna–boris"``): who agrees with whom."""
    return {
        f"{a}–{b}": compare({a: versions[a], b: versions[b]}, schemas, layers, same=same)
        for a, b in itertools.combinations(sorted(versions), 2)
    }


def by_document(
    versions: Mapping[str, Sequence[ParagraphDraft]],
    schemas: SchemaRegistry,
    layers: Sequence[str] | None = None,
    *,
    same: Callable[[ParagraphDraft], Hashable] | None = None,
) -> dict[str, dict[str, LayerAgreement]]:
    """Agreement within each document (the versions' ``meta[DOCUMENT]``): where it is low."""
    documents = sorted(
        {str(p.meta.get(DOCUMENT, "")) for paragraphs in versions.values() for p in paragraphs}
    )
    out = {}
    for document in documents:
        mine = {
            rater: [p for p in paragraphs if str(p.meta.get(DOCUMENT, "")) == document]
            for rater, paragraphs in versions.items()
        }
        out[document] = compare(mine, schemas, layers, same=same)
    return out
