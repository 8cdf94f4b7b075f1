"""Turn an annotator's keypress into one Store edit.

Each function here is one committed Store transaction (so an edit is saved the moment it is
made, and is one step of undo) and passes the version of the row the screen last read, so an
edit made meanwhile by another annotator raises ``ConflictError`` instead of being overwritten.
The functions return a short sentence for the status notification, or None when nothing changed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from layerkit.errors import StoreError
from layerkit.model import Annotation, is_suggestion
from layerkit.schema.models import LayerSchema, SchemaField
from layerkit.store import Store
from layerkit.store.store import domain_annotation
from layerkit.tui import relations
from layerkit.tui.completeness import check_done
from layerkit.tui.keymap import AttributeKey, LabelKey
from layerkit.tui.lexical import TokenValues
from layerkit.tui.model import ParagraphData, covering, exact, sentence_index

Change = Callable[[], str | None]


def apply_label(
    store: Store,
    annotator: str,
    data: ParagraphData,
    layer: str,
    entry: LabelKey,
    start: int,
    end: int,
    *,
    schema: LayerSchema | None = None,
    anchor_id: int | None = None,
    add: bool = False,
) -> str | None:
    """Apply a label to what it labels: the selection (span), the cursor's token (token), the
    cursor's sentence (sentence label) or the paragraph (paragraph label).

    A selection that already carries a span of that field gets its label changed rather than a
    second span of the same extent: that is what a person pressing another key means; ``add``
    (the ``+`` prefix) makes a second one instead (the same words as THEME of one predicate and
    PATIENT of another). Spans of other extents are left alone, so spans overlap and nest
    freely. A new annotation gets its attributes' schema defaults.

    With the layer's ``schema``, a span whose label a ``link_on_label`` relation field starts
    from is linked to its target at once (:func:`relations.link_target`, preferring
    ``anchor_id``), in the same transaction and undo step; relabelling such a span relabels
    the links that were named after its old label.
    """
    field, label = entry.field, entry.label.name
    if field.kind == "span":
        target: tuple[int | None, int | None] = (start, end)
    elif field.kind == "token":
        target = (start, end)
    elif field.kind == "label" and field.scope == "sentence":
        index = sentence_index(data.sentences, start)
        if index is None:
            raise StoreError("the cursor is not inside a sentence.", title="Nothing to label")
        target = data.sentences[index]
    elif field.kind == "label":
        target = (None, None)
    else:
        raise StoreError(f"{field.kind} fields are not labelled with a key.")
    existing = None if add and field.kind == "span" else _existing(data, layer, field, *target)
    quoted = _quote(data.text, *target)
    link = (
        relations.link_target(schema, data, label, start, end, anchor_id)
        if schema is not None and field.kind == "span"
        else None
    )
    if existing is not None:
        assert existing.id is not None
        if existing.label == label:
            if not is_suggestion(existing.origin):
                return f"already {label}{quoted}: nothing changed"  # (it said nothing at all)
            # Pressing a model's own suggestion confirms it: it becomes the annotator's, and
            # pre-annotation will never replace it.
            store.update_annotation(
                existing.id, annotator=annotator, expected_version=existing.version, label=label
            )
            return f"{label} confirmed{quoted}"
        renamed, dropped = _links_after_relabel(schema, data, existing, label)
        # a span that becomes an argument, with no link of its own yet, is linked as a new one
        linked_fields = {
            a.field
            for a in data.of_layer(layer, "relation")
            if a.source_id == existing.id and a not in dropped
        }
        if link is not None and link[0].name in linked_fields:
            link = None
        if not renamed and not dropped and link is None:
            store.update_annotation(
                existing.id, annotator=annotator, expected_version=existing.version, label=label
            )
        else:
            with store.batch(
                annotator=annotator, label=f"relabel {label}", paragraph_id=data.id, layer=layer
            ) as batch:
                batch.update_annotation(existing.id, expected_version=existing.version, label=label)
                for follower in renamed:
                    assert follower.id is not None
                    batch.update_annotation(
                        follower.id, expected_version=follower.version, label=label
                    )
                for invalid in dropped:
                    assert invalid.id is not None
                    batch.delete_annotation(invalid.id, expected_version=invalid.version)
                if link is not None:
                    batch.create_annotation(
                        **_link_values(data, layer, link[0], label, existing, link[1])
                    )
        gone = f" ({len(dropped)} link(s) it can no longer have removed)" if dropped else ""
        joined = f" → {_end(data, link[1])}" if link is not None else ""
        return f"{existing.label} → {label}{quoted}{joined}{gone}"
    attrs: dict[str, Any] = defaults(field)
    if field.kind == "token":
        attrs["lemma"] = data.text[start:end].replace("\u0301", "").lower()
    values: dict[str, Any] = dict(
        paragraph_id=data.id,
        layer=layer,
        kind=field.kind,
        field=field.name,
        label=label,
        start=target[0],
        end=target[1],
        attrs=attrs,
        # one per place, unless a second span was asked for: another annotator's saved since
        # this screen was read is a conflict, not a second intent or reading
        sole=not (add and field.kind == "span"),
    )
    if link is None:
        store.create_annotation(annotator=annotator, **values)
        return f"{label} added{quoted}"
    link_field, predicate = link
    with store.batch(
        annotator=annotator, label=f"{label} and its link", paragraph_id=data.id, layer=layer
    ) as batch:
        span = domain_annotation(batch.create_annotation(**values))
        batch.create_annotation(**_link_values(data, layer, link_field, label, span, predicate))
    return f"{label} added{quoted} → {_end(data, predicate)}"


def _link_values(
    data: ParagraphData,
    layer: str,
    field: SchemaField,
    label: str,
    source: Annotation,
    target: Annotation,
) -> dict[str, Any]:
    """A link made on labelling (``link_on_label``), as ``create_annotation``'s arguments."""
    return dict(
        paragraph_id=data.id,
        layer=layer,
        kind="relation",
        field=field.name,
        label=label,
        source_id=source.id,
        target_id=target.id,
        attrs=defaults(field) or None,
    )


def defaults(field: SchemaField) -> dict[str, Any]:
    """The schema's default attribute values for a new annotation of ``field``."""
    return {a.name: a.default for a in field.attributes if a.default is not None}


def _links_after_relabel(
    schema: LayerSchema | None, data: ParagraphData, span: Annotation, new_label: str
) -> tuple[list[Annotation], list[Annotation]]:
    """What relabelling ``span`` does to the ``link_on_label`` relations at it: (links to
    relabel, links to delete). A link from it named after its old label follows it where its
    field has the new one (an AGENT that becomes a PATIENT is the PATIENT of the same
    predicate); a link its new label may no longer start or end (an argument that becomes a
    PREDICATE) goes, in the same undo step, rather than stay behind as one the schema forbids."""
    if schema is None:
        return [], []
    fields = {f.name: f for f in relations.relation_fields(schema) if f.link_on_label}
    renamed, dropped = [], []
    for a in data.of_layer(span.layer, "relation"):
        f = fields.get(a.field)
        if f is None or span.id not in (a.source_id, a.target_id):
            continue
        leaves = a.source_id == span.id and new_label not in f.source_labels
        if leaves or (a.target_id == span.id and new_label not in f.target_labels):
            dropped.append(a)
        elif a.source_id == span.id and a.label == span.label and f.label(new_label) is not None:
            renamed.append(a)
    return renamed, dropped


def attribute_target(
    data: ParagraphData,
    layer: str,
    field: str,
    selection: tuple[int, int],
    cursor: tuple[int, int],
) -> Annotation | None:
    """The annotation of ``field`` an attribute key acts on: the one over exactly the
    selection (the newest, if two are), else the innermost one under the cursor token."""
    mine = [a for a in data.of_layer(layer) if a.field == field and a.start is not None]
    exact_match = [a for a in mine if (a.start, a.end) == selection]
    if exact_match:
        return max(exact_match, key=lambda a: a.id or 0)
    under = covering(mine, *cursor)
    return under[0] if under else None


def new_anchor(
    schema: LayerSchema, data: ParagraphData, entry: LabelKey, start: int, end: int
) -> Annotation | None:
    """After a label key: the span that arguments labelled next link to, if the key made or
    confirmed one that receives such links (a PREDICATE), else None (the anchor stays)."""
    if entry.field.kind != "span" or not relations.is_link_target(schema, entry.label.name):
        return None
    found = [
        a
        for a in data.of_layer(schema.layer, "span")
        if a.field == entry.field.name
        and a.label == entry.label.name
        and (a.start, a.end) == (start, end)
    ]
    return max(found, key=lambda a: a.id or 0) if found else None


def step_attribute(
    store: Store, annotator: str, data: ParagraphData, annotation: Annotation, key: AttributeKey
) -> str | None:
    """The attribute key pressed on ``annotation``: its next value (yes ↔ no, next choice)."""
    attribute = key.attribute
    value = attribute.next_value((annotation.attrs or {}).get(attribute.name))
    said = set_attributes(store, annotator, annotation, {attribute.name: value})
    return f"{annotation.label}{_quote(data.text, annotation.start, annotation.end)}: {said}"


def delete(
    store: Store,
    annotator: str,
    data: ParagraphData,
    annotation: Annotation,
    expected_version: int | None = None,
) -> str:
    """Delete one annotation (and, through the store, the relations that point at it), as it
    was at ``expected_version`` (default: ``annotation.version``)."""
    assert annotation.id is not None
    version = annotation.version if expected_version is None else expected_version
    store.delete_annotation(annotation.id, annotator=annotator, expected_version=version)
    dependents = [a for a in data.annotations if annotation.id in (a.source_id, a.target_id)]
    suffix = f" and {len(dependents)} linked annotation(s)" if dependents else ""
    what = annotation.label or annotation.field
    return f"{what} deleted{_quote(data.text, annotation.start, annotation.end)}{suffix}"


def toggle_done(store: Store, annotator: str, data: ParagraphData, schema: LayerSchema) -> str:
    """Mark the layer done (refused with what is missing) or, if it is done, reopen it."""
    if data.state(schema.layer) == "done":
        store.set_status(data.id, schema.layer, "in_progress", annotator=annotator)
        return f"{schema.title} reopened"
    check_done(schema, data.text, data.tokens, data.sentences, data.annotations)
    store.set_status(data.id, schema.layer, "done", annotator=annotator)
    return f"{schema.title} marked done"


def create_relation(
    store: Store,
    annotator: str,
    data: ParagraphData,
    field: SchemaField,
    label: str,
    source: Annotation,
    target: Annotation,
) -> str | None:
    """Link ``source`` to ``target`` with a relation of ``field``; if they are linked by one
    already, that one gets the label (a second identical link would mean nothing more)."""
    assert source.id is not None and target.id is not None
    found = relations.existing(data, source.layer, field, source.id, target.id)
    if found is not None:
        return relabel(store, annotator, data, found, label)
    attrs: dict[str, Any] = defaults(field)
    said = ""
    if any(a.name == "connective" for a in field.attributes):
        # pre-filled with the likeliest marker: typed only where the guess is wrong
        attrs["connective"] = relations.guess_connective(
            data.text, source, target, data.of_layer(source.layer, "span")
        )
        said = f" («{attrs['connective']}»)" if attrs["connective"] else " (implicit)"
    store.create_annotation(
        paragraph_id=data.id,
        layer=source.layer,
        kind="relation",
        field=field.name,
        annotator=annotator,
        label=label,
        source_id=source.id,
        target_id=target.id,
        attrs=attrs or None,
    )
    return f"{label} added: {_end(data, source)} → {_end(data, target)}{said}"


def set_attributes(
    store: Store, annotator: str, annotation: Annotation, values: dict[str, Any]
) -> str | None:
    """Change attributes of an annotation (one edit); empty texts are kept as ""."""
    assert annotation.id is not None
    attrs = dict(annotation.attrs or {})
    if all(k in attrs and attrs[k] == v for k, v in values.items()):
        return None
    attrs.update(values)
    store.update_annotation(
        annotation.id, annotator=annotator, expected_version=annotation.version, attrs=attrs
    )
    return ", ".join(f"{k}: {_shown(v)}" for k, v in values.items())


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"«{value}»" if value not in ("", None) else "none"


def relabel(
    store: Store, annotator: str, data: ParagraphData, annotation: Annotation, label: str
) -> str | None:
    """Give an annotation (a relation, a span, a label) another label of its field."""
    assert annotation.id is not None
    if annotation.label == label and not is_suggestion(annotation.origin):
        return None
    store.update_annotation(
        annotation.id, annotator=annotator, expected_version=annotation.version, label=label
    )
    if annotation.label == label:
        return f"{label} confirmed"
    return f"{annotation.label} → {label}{_quote(data.text, annotation.start, annotation.end)}"


def edit_token(
    store: Store,
    annotator: str,
    data: ParagraphData,
    layer: str,
    field: SchemaField,
    span: tuple[int, int],
    existing: Annotation | None,
    values: TokenValues,
) -> str | None:
    """Save a token's lemma, UPOS and FEATS as one edit (one undo step). Saving a model's
    analysis unchanged confirms it, as pressing its label key does."""
    quoted = _quote(data.text, *span)
    if existing is None:
        store.create_annotation(
            paragraph_id=data.id,
            layer=layer,
            kind="token",
            field=field.name,
            annotator=annotator,
            label=values.upos,
            start=span[0],
            end=span[1],
            attrs={"lemma": values.lemma, "feats": values.feats},
        )
        return f"{values.upos} {values.lemma} added{quoted}"
    assert existing.id is not None
    attrs = dict(existing.attrs or {})
    old = (existing.label, attrs.get("lemma"), attrs.get("feats") or "_")
    new = (values.upos, values.lemma, values.feats)
    if old == new:
        if not is_suggestion(existing.origin):
            return None
        store.update_annotation(
            existing.id, annotator=annotator, expected_version=existing.version, origin="human"
        )
        return f"confirmed{quoted}"
    attrs.update(lemma=values.lemma, feats=values.feats)
    store.update_annotation(
        existing.id,
        annotator=annotator,
        expected_version=existing.version,
        label=values.upos,
        attrs=attrs,
    )
    changed = [
        f"{what} {before or '∅'} → {after}"
        for what, before, after in zip(("UPOS", "lemma", "FEATS"), old, new, strict=True)
        if before != after
    ]
    return "; ".join(changed) + quoted


def accept_sentence(
    store: Store, annotator: str, data: ParagraphData, layer: str, field: SchemaField, offset: int
) -> str:
    """Make the model's analyses of the sentence at ``offset`` the annotator's own.

    All tokens change in one store batch: one transaction and one undo step, and a conflict
    with another annotator's edit leaves the whole sentence as it was.
    """
    index = sentence_index(data.sentences, offset)
    if index is None:
        raise StoreError("the cursor is not inside a sentence.", title="Nothing to accept")
    start, end = data.sentences[index]
    inside = [(s, e) for s, e in data.tokens if s >= start and e <= end]
    analysed = {
        (a.start, a.end): a
        for a in data.of_layer(layer, "token")
        if a.field == field.name and a.start is not None
    }
    pending = [analysed[t] for t in inside if t in analysed and is_suggestion(analysed[t].origin)]
    missing = sum(1 for t in inside if t not in analysed)
    _accept(store, annotator, data, layer, pending, label=f"accept sentence {index + 1}")
    said = f"sentence {index + 1}: {len(pending)} token(s) accepted"
    if not pending:
        said = f"sentence {index + 1}: nothing left to accept"
    if missing:
        said += f"; {missing} token(s) have no analysis yet (enter adds one)"
    return said


def _accept(
    store: Store,
    annotator: str,
    data: ParagraphData,
    layer: str,
    pending: list[Annotation],
    *,
    label: str,
) -> None:
    """Make the model's annotations ``pending`` the annotator's, in one batch: one transaction
    and one undo step (a conflict with another annotator's edit leaves all of them as they
    were). Nothing is written when there is nothing to accept."""
    if not pending:
        return
    with store.batch(
        annotator=annotator, label=label, paragraph_id=data.paragraph.id, layer=layer
    ) as batch:
        for annotation in pending:
            assert annotation.id is not None
            batch.update_annotation(
                annotation.id, expected_version=annotation.version, origin="human"
            )


def accept_paragraph(
    store: Store, annotator: str, data: ParagraphData, layer: str, field: SchemaField
) -> str:
    """Make the model's analyses of every token of the paragraph the annotator's own, in one
    batch (one undo step): what an annotator does after reading a paragraph and finding the
    suggestions right, instead of accepting it sentence by sentence."""
    pending = [
        a
        for a in data.of_layer(layer, "token")
        if a.field == field.name and a.start is not None and is_suggestion(a.origin)
    ]
    analysed = {(a.start, a.end) for a in data.of_layer(layer, "token") if a.field == field.name}
    missing = sum(1 for t in data.tokens if tuple(t) not in analysed)
    _accept(store, annotator, data, layer, pending, label="accept paragraph")
    said = f"paragraph: {len(pending)} token(s) accepted" if pending else "nothing left to accept"
    if missing:
        said += f"; {missing} token(s) have no analysis yet (enter adds one)"
    return said


def accept_suggestion(
    store: Store, annotator: str, data: ParagraphData, layer: str, annotation: Annotation | None
) -> str:
    """Make the model's suggestion under the cursor the annotator's, with the suggested
    relations it is an end of whose other end is the annotator's already (a role between a
    predicate and an argument both accepted): one key, one undo step."""
    if annotation is None or not is_suggestion(annotation.origin):
        return "no model suggestion under the cursor (A accepts all of the layer here)"
    accepted = {a.id for a in data.of_layer(layer) if not is_suggestion(a.origin)}
    accepted.add(annotation.id)
    pending = [annotation]
    for rel in data.of_layer(layer, "relation"):
        ends = {rel.source_id, rel.target_id}
        if is_suggestion(rel.origin) and annotation.id in ends and ends <= accepted:
            pending.append(rel)
    _accept(store, annotator, data, layer, pending, label="accept suggestion")
    extra = f" and {len(pending) - 1} relation(s)" if len(pending) > 1 else ""
    return f"accepted {annotation.label or annotation.field}{extra}"


def accept_layer(store: Store, annotator: str, data: ParagraphData, layer: str) -> str:
    """Make every model suggestion of the layer in the paragraph the annotator's: spans,
    relations, labels and texts, in one batch (one undo step)."""
    pending = [a for a in data.of_layer(layer) if is_suggestion(a.origin)]
    _accept(store, annotator, data, layer, pending, label="accept the layer's suggestions")
    return f"{len(pending)} suggestion(s) accepted" if pending else "nothing left to accept"


@dataclass(frozen=True)
class TextSlot:
    """One free text the annotator can write: a paragraph-level text field, or one label of a
    text field anchored to the span under the cursor (e.g. an EXAMPLE of a logical unit)."""

    field: SchemaField
    label: str | None
    anchor: Annotation | None
    existing: Annotation | None

    @property
    def title(self) -> str:
        what = f"{self.field.name} {self.label}" if self.label else self.field.name
        return what + (" (required)" if self.field.required else "")

    @property
    def value(self) -> str:
        return self.existing.value or "" if self.existing is not None else ""

    @property
    def version(self) -> int:
        """The saved text's version (0: there is none yet)."""
        return self.existing.version if self.existing is not None else 0


def changed_since_draft(slot: TextSlot) -> str:
    """What to show above a draft typed over an older version of the slot's text."""
    existing = slot.existing
    if existing is None:
        return "Deleted since your draft was typed: saving writes it again."
    shown = " ".join((existing.value or "").split())
    shown = shown if len(shown) <= 300 else shown[:299] + "…"
    return (
        f"Saved again by {existing.annotator} since your draft was typed: «{shown}». "
        "Saving replaces it with your draft below."
    )


def draft_key(paragraph_id: int, layer: str, slot: TextSlot) -> str:
    """What a draft of ``slot`` is kept under in the store: paragraph, layer, field, label and
    the anchor's id, so that a restored draft goes back into the same slot."""
    anchor = slot.anchor.id if slot.anchor is not None else ""
    return f"{paragraph_id}/{layer}/{slot.field.name}/{slot.label or ''}/{anchor}"


def token_draft_key(paragraph_id: int, layer: str, field: str, start: int, end: int) -> str:
    """What a draft of a token's analysis is kept under: paragraph, layer, field and the
    token's offsets (a text slot's key has a label or nothing where this has ``token``)."""
    return f"{paragraph_id}/{layer}/{field}/token/{start}:{end}"


def token_draft(values: Sequence[str]) -> str:
    """A token editor's three fields, as typed, as a draft's text."""
    return json.dumps(list(values), ensure_ascii=False)


def typed_token(draft: str) -> TokenValues | None:
    """The fields a token draft holds (unchecked: what was typed), or None if it holds none."""
    try:
        found = json.loads(draft)
    except ValueError:
        return None
    if not (isinstance(found, list) and len(found) == 3 and all(isinstance(v, str) for v in found)):
        return None
    return TokenValues(*found)


def text_slots(
    schema: LayerSchema, data: ParagraphData, focused: Annotation | None
) -> list[TextSlot]:
    """The texts of the layer that can be written here: every paragraph-level text field, and
    the anchored ones when the cursor is on a span of their anchor field."""
    mine = data.of_layer(schema.layer, "text")
    slots: list[TextSlot] = []
    for field in schema.fields:
        if field.kind != "text":
            continue
        if field.scope == "paragraph":
            existing = next((a for a in mine if a.field == field.name), None)
            slots.append(TextSlot(field, None, None, existing))
        elif focused is not None and focused.field == field.anchor_field:
            for label in field.label_names or (None,):
                existing = next(
                    (
                        a
                        for a in mine
                        if a.field == field.name and a.source_id == focused.id and a.label == label
                    ),
                    None,
                )
                slots.append(TextSlot(field, label, focused, existing))
    return slots


def save_text(
    store: Store, annotator: str, data: ParagraphData, layer: str, slot: TextSlot, value: str
) -> str | None:
    """Create, change or (emptied) delete one text; nothing when it is unchanged."""
    value = value.strip()
    if slot.existing is not None:
        assert slot.existing.id is not None
        if value == (slot.existing.value or "").strip():
            return None
        if not value:
            store.delete_annotation(
                slot.existing.id, annotator=annotator, expected_version=slot.existing.version
            )
            return f"{slot.title}: deleted"
        store.update_annotation(
            slot.existing.id,
            annotator=annotator,
            expected_version=slot.existing.version,
            value=value,
        )
        return f"{slot.title}: saved"
    if not value:
        return None
    store.create_annotation(
        paragraph_id=data.id,
        layer=layer,
        kind="text",
        field=slot.field.name,
        annotator=annotator,
        label=slot.label,
        value=value,
        source_id=slot.anchor.id if slot.anchor is not None else None,
        sole=True,  # another annotator's text saved meanwhile: a conflict, not a second text
    )
    return f"{slot.title}: saved"


def _existing(
    data: ParagraphData, layer: str, field: SchemaField, start: int | None, end: int | None
) -> Annotation | None:
    of_layer = data.of_layer(layer, field.kind)
    if start is None:
        return next((a for a in of_layer if a.field == field.name), None)
    return exact(of_layer, start, end or 0, field.name)


def _end(data: ParagraphData, a: Annotation) -> str:
    return f"{a.label} «{_snippet(data.text[a.start or 0 : a.end or 0], 20)}»"


def _snippet(piece: str, limit: int) -> str:
    piece = " ".join(piece.split())
    return piece if len(piece) <= limit else piece[: limit - 1] + "…"


def _quote(text: str, start: int | None, end: int | None, limit: int = 30) -> str:
    if start is None or end is None:
        return ""
    piece = text[start:end]
    if len(piece) > limit:
        piece = piece[: limit - 1] + "…"
    return f": «{piece}»"


def describe(edit: dict[str, Any] | None, *, redo: bool) -> str:
    """What an undone or redone edit was, in a few words (from its event)."""
    verb = "Redone" if redo else "Undone"
    if edit is None:
        return verb
    payload = edit.get("payload") or {}
    action = edit.get("action")
    where = f" ({edit.get('layer')}, paragraph {edit.get('paragraph_id')})"
    if action == "create":
        return f"{verb}: added {payload.get('after', {}).get('label') or 'annotation'}{where}"
    if action == "delete":
        return f"{verb}: deleted {payload.get('before', {}).get('label') or 'annotation'}{where}"
    if action == "update":
        before = payload.get("before", {}).get("label")
        after = payload.get("after", {}).get("label")
        if before == after:  # a lemma, FEATS or confirmation: the label says which row
            return f"{verb}: {after or 'annotation'} edited{where}"
        return f"{verb}: {before} → {after}{where}"
    if action == "status":
        state = (payload.get("status_after", {}).get(edit.get("layer")) or {}).get("state")
        return f"{verb}: marked {state}{where}"
    if action == "batch":
        edits = payload.get("edits") or []
        return f"{verb}: {payload.get('label') or 'batch'}, {len(edits)} edit(s){where}"
    return f"{verb}: {action}{where}"
