"""Which relations may start at a span, where they may end, and with which labels.

Decided from the layer schema alone (a relation field's ``source_labels`` and
``target_labels``; none means any span of the layer), so the picker only ever offers links the
schema allows, the same ones ``SchemaRegistry.check_annotation`` accepts on import: an
argument links to a PREDICATE (semantic ``role``), a unit to any unit (logical
``discourse``), a factuality span to a SOURCE span (epistemic ``source``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from layerkit.model import Annotation
from layerkit.schema.models import Label, LayerSchema, SchemaField
from layerkit.tui.model import ParagraphData, sentence_index


@dataclass(frozen=True)
class LabelChoice:
    """A label the picker offers, with the key that picks it (None: arrows and enter only,
    when two fields give the same key)."""

    key: str | None
    field: SchemaField
    label: Label


def relation_fields(schema: LayerSchema) -> list[SchemaField]:
    return [f for f in schema.fields if f.kind == "relation"]


def fields_from(schema: LayerSchema, source: Annotation) -> list[SchemaField]:
    """The layer's relation fields that may start at ``source``."""
    if source.kind != "span" or source.layer != schema.layer:
        return []
    return [
        f
        for f in relation_fields(schema)
        if not f.source_labels or (source.label or "") in f.source_labels
    ]


def accepts(field: SchemaField, target: Annotation) -> bool:
    """May a relation of ``field`` end at ``target``?"""
    return target.kind == "span" and (
        not field.target_labels or (target.label or "") in field.target_labels
    )


def targets(
    schema: LayerSchema, data: ParagraphData, source: Annotation, fields: Sequence[SchemaField]
) -> list[Annotation]:
    """The spans of the paragraph a relation from ``source`` may end at, in text order."""
    spans = [
        a
        for a in data.of_layer(schema.layer, "span")
        if a.id != source.id and a.start is not None and any(accepts(f, a) for f in fields)
    ]
    return sorted(spans, key=lambda a: (a.start or 0, a.end or 0, a.id or 0))


def nearest(spans: Sequence[Annotation], source: Annotation) -> int:
    """Index of the span closest to ``source`` in the text: the likeliest target (an
    argument's predicate is usually next to it), so enter alone picks it."""
    if not spans:
        return 0
    middle = ((source.start or 0) + (source.end or 0)) / 2
    return min(
        range(len(spans)),
        key=lambda i: (abs(((spans[i].start or 0) + (spans[i].end or 0)) / 2 - middle), i),
    )


def link_target(
    schema: LayerSchema,
    data: ParagraphData,
    label: str,
    start: int,
    end: int,
    anchor_id: int | None = None,
) -> tuple[SchemaField, Annotation] | None:
    """Where a span labelled ``label`` over ``[start, end)`` is linked as soon as it is made
    (a relation field with ``link_on_label``; e.g. an AGENT to its PREDICATE), or None.

    The target is in the span's own sentence: the anchor (the predicate the annotator labelled
    or chose last) when it is there, else the nearest one. PropBank-style annotation goes
    predicate first, then its arguments, so the anchor is right nearly always, and a wrong guess
    costs what linking by hand would have cost anyway.
    """
    sentence = sentence_index(data.sentences, start)
    middle = (start + end) / 2
    for f in relation_fields(schema):
        if not f.link_on_label or label not in f.source_labels or f.label(label) is None:
            continue
        candidates = [
            a
            for a in data.of_layer(schema.layer, "span")
            if a.start is not None
            and accepts(f, a)
            and (a.start, a.end) != (start, end)
            and sentence_index(data.sentences, a.start) == sentence
        ]
        if not candidates:
            continue
        anchor = next((a for a in candidates if a.id == anchor_id), None)
        if anchor is None:
            anchor = min(
                candidates,
                key=lambda a: (abs(((a.start or 0) + (a.end or 0)) / 2 - middle), a.start or 0),
            )
        return f, anchor
    return None


def is_link_target(schema: LayerSchema, label: str | None) -> bool:
    """Do spans labelled ``label`` receive links made on labelling (a PREDICATE)? Labelling
    or confirming one makes it the anchor of the arguments that follow."""
    return any(f.link_on_label and label in f.target_labels for f in relation_fields(schema))


def label_choices(fields: Sequence[SchemaField]) -> list[LabelChoice]:
    """The labels of ``fields`` in schema order; a key already taken by an earlier field is
    left off the later label rather than meaning two things."""
    taken: set[str] = set()
    choices: list[LabelChoice] = []
    for field in fields:
        for label in field.labels:
            key = label.key if label.key and label.key not in taken else None
            if key:
                taken.add(key)
            choices.append(LabelChoice(key, field, label))
    return choices


def existing(
    data: ParagraphData, layer: str, field: SchemaField, source_id: int, target_id: int
) -> Annotation | None:
    """The relation of ``field`` already linking these two spans, if any."""
    return next(
        (
            a
            for a in data.of_layer(layer, "relation")
            if a.field == field.name and a.source_id == source_id and a.target_id == target_id
        ),
        None,
    )


# Russian discourse markers, longest first so that «потому что» wins over «что». «и» and «а»
# are left out: inside a unit they join words far more often than they mark a relation (they
# count only where they open the words between two related units, see guess_connective).
CONNECTIVES = tuple(
    sorted(
        (
            "потому что",
            "так как",
            "так что",
            "поскольку",
            "поэтому",
            "следовательно",
            "значит",
            "если",
            "то есть",
            "однако",
            "но",
            "хотя",
            "несмотря на это",
            "тем не менее",
            "зато",
            "напротив",
            "наоборот",
            "например",
            "в частности",
            "кроме того",
            "также",
            "при этом",
            "затем",
            "потом",
            "после этого",
            "когда",
            "чтобы",
            "ведь",
            "из-за",
            "благодаря",
            "в результате",
            "итак",
            "впрочем",
            "иначе",
            "или",
            "либо",
        ),
        key=len,
        reverse=True,
    )
)
_WORD = re.compile(r"\w+(?:-\w+)*")


def guess_connective(
    text: str,
    source: Annotation,
    target: Annotation,
    units: Sequence[Annotation] = (),
) -> str:
    """The discourse marker most likely linking two units, or "" (implicit). Pre-filled so
    that the annotator types a connective only where the guess is wrong.

    Where it is looked for, in order: the words between the two units (only when no other
    unit of the layer, ``units``, stands between them: a marker there joins the nearer
    unit); «и» or «а» opening the words between; the later unit's first words; a
    marker the later unit sets off with commas («упражнения, напротив, …»); a subordinator
    opening the earlier one («Если …, то …»)."""
    first, second = sorted((source, target), key=lambda a: a.start or 0)
    gap_start, gap_end = first.end or 0, second.start or 0
    between = any(
        u.id not in (source.id, target.id)
        and u.start is not None
        and u.end is not None
        and gap_start <= u.start
        and u.end <= gap_end
        for u in units
    )
    gap = [m.group().lower() for m in _WORD.finditer(text[gap_start:gap_end])]
    later = text[second.start or 0 : second.end or 0]
    opening = [m.group().lower() for m in _WORD.finditer(later)]
    leading = [m.group().lower() for m in _WORD.finditer(text[first.start or 0 : first.end or 0])]
    if not between:
        found = _first_marker(gap)
        if found:
            return found
        if gap and gap[0] in ("и", "а"):
            return gap[0]
    found = _first_marker(opening[:1]) or _first_marker(opening[:3], at_start=True)
    if found:
        return found
    for aside in re.findall(r",\s*([^,]+?)\s*,", later):
        words = [m.group().lower() for m in _WORD.finditer(aside)]
        found = _first_marker(words, at_start=True)
        if found and len(found.split()) == len(words):
            return found
    return _first_marker(leading[:1])


def _first_marker(words: Sequence[str], *, at_start: bool = False) -> str:
    """The known marker that comes first in ``words`` (the longest where two start together);
    ``at_start``: only one the words begin with."""
    joined = " " + " ".join(words) + " "
    found = [(joined.find(f" {c} "), c) for c in CONNECTIVES if f" {c} " in joined]
    if at_start:
        found = [f for f in found if f[0] == 0]
    return min(found)[1] if found else ""
