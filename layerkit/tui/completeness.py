"""Is a paragraph's layer complete enough to be marked done? Decided from the schema alone.

A pure function of the layer schema, the paragraph's segmentation and its annotations, so the
rule is the same in the TUI, in tests and (later) in a curriculum exporter that wants to skip
unfinished layers. It names what is missing, in words an annotator can act on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from layerkit.errors import LayerkitError
from layerkit.model import Annotation, is_suggestion
from layerkit.schema.models import LayerSchema, SchemaField

MAX_EXAMPLES = 3


class LayerIncomplete(LayerkitError):
    """Marking a layer done was refused because required annotations are missing."""

    title = "Layer not complete"


def missing_required(
    schema: LayerSchema,
    text: str,
    tokens: Sequence[Sequence[int]],
    sentences: Sequence[Sequence[int]],
    annotations: Iterable[Annotation],
) -> list[str]:
    """What the layer still lacks before it can be done; empty when nothing does."""
    mine = [a for a in annotations if a.layer == schema.layer]
    problems: list[str] = []
    for field in schema.fields:
        of_field = [a for a in mine if a.field == field.name]
        problems.extend(_missing_attributes(field, of_field, text))
        if not field.required:
            continue
        problem = _missing(field, of_field, mine, text, tokens, sentences)
        if problem:
            problems.append(f"{field.name}: {problem}")
    # Gold means a person looked: a model's suggestion on a higher layer counts once accepted
    # or corrected (a layer left all suggestions was done, and two such copies "agreed").
    # (Token analyses are said above, with the doubtful ones.)
    pending = [a for a in mine if a.kind != "token" and is_suggestion(a.origin)]
    if pending:
        spans = [(a.start, a.end) for a in pending if a.start is not None and a.end is not None]
        where = f" ({_quote(text, spans)})" if spans else ""
        problems.append(
            f"{len(pending)} model suggestion(s) not reviewed{where}: accept them (ctrl+a, or "
            "ctrl+k for all), correct them or delete them"
        )
    return problems


def check_done(
    schema: LayerSchema,
    text: str,
    tokens: Sequence[Sequence[int]],
    sentences: Sequence[Sequence[int]],
    annotations: Iterable[Annotation],
) -> None:
    """Raise :class:`LayerIncomplete` listing what is missing, or return if nothing is."""
    problems = missing_required(schema, text, tokens, sentences, annotations)
    if problems:
        raise LayerIncomplete(
            f"{schema.title} cannot be marked done yet:\n" + "\n".join(f"• {p}" for p in problems),
            hint="Add what is listed (press ? for the labels and their keys), then mark it again.",
        )


def _missing(
    field: SchemaField,
    of_field: list[Annotation],
    layer_annotations: list[Annotation],
    text: str,
    tokens: Sequence[Sequence[int]],
    sentences: Sequence[Sequence[int]],
) -> str | None:
    if field.kind == "token":
        analysed = {(a.start, a.end) for a in of_field if a.label}
        lacking = [(s, e) for s, e in tokens if (s, e) not in analysed]
        if lacking:
            return f"{len(lacking)} token(s) without an analysis ({_quote(text, lacking)})"
        # Gold means a person looked: a model's analysis counts once it is accepted or fixed.
        unconfirmed = [a for a in of_field if is_suggestion(a.origin) and a.label]
        if unconfirmed:
            doubtful = [a for a in unconfirmed if a.confidence is not None and a.confidence < 0.9]
            spans = [(a.start or 0, a.end or 0) for a in (doubtful or unconfirmed)]
            what = f"{len(unconfirmed)} model analysis(es) not confirmed"
            if doubtful:
                what += f", {len(doubtful)} of them doubtful"
            return f"{what} ({_quote(text, spans)}); accept them (A, ctrl+a) or correct them"
        return None
    if field.kind == "span":
        return None if of_field else "no span yet"
    if field.kind == "relation":
        if not of_field:
            return "no relation yet"
        if field.source_labels:
            linked = {a.source_id for a in of_field}
            loose = [
                a
                for a in layer_annotations
                if a.kind == "span" and a.label in field.source_labels and a.id not in linked
            ]
            if loose:
                spans = [(a.start or 0, a.end or 0) for a in loose]
                return f"{len(loose)} span(s) not linked by any relation ({_quote(text, spans)})"
        return None
    if field.kind == "label":
        if field.scope == "sentence":
            labelled = {(a.start, a.end) for a in of_field if a.label}
            lacking = [(s, e) for s, e in sentences if (s, e) not in labelled]
            if lacking:
                numbers = ", ".join(
                    str(i + 1) for i, (s, e) in enumerate(sentences) if (s, e) not in labelled
                )
                return f"sentence(s) {numbers} without a label"
            return None
        return None if any(a.label for a in of_field) else "no label yet"
    if field.kind == "text":
        return None if any((a.value or "").strip() for a in of_field) else "no text yet"
    return None


def _missing_attributes(field: SchemaField, of_field: list[Annotation], text: str) -> list[str]:
    problems = []
    for attribute in field.attributes:
        if not attribute.required:
            continue
        lacking = [a for a in of_field if attribute.name not in (a.attrs or {})]
        lacking += [
            a
            for a in of_field
            if isinstance((a.attrs or {}).get(attribute.name), str)
            and not a.attrs[attribute.name].strip()
        ]
        if lacking:
            spans = [(a.start or 0, a.end or 0) for a in lacking]
            problems.append(
                f"{field.name}: {len(lacking)} without {attribute.name} ({_quote(text, spans)})"
            )
    return problems


def _quote(text: str, spans: Sequence[Sequence[int]]) -> str:
    shown = ", ".join(f"«{text[s:e]}»" for s, e in spans[:MAX_EXAMPLES])
    return shown + (", …" if len(spans) > MAX_EXAMPLES else "")
