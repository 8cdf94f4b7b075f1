"""The set of layers in force for a project, and checks of annotations against them."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any, TypeGuard

from layerkit.errors import SchemaError
from layerkit.schema.loading import expand, load_schemas
from layerkit.schema.models import Attribute, LayerSchema, SchemaField


@dataclass(frozen=True)
class _FieldLookup:
    """What checking an annotation of one field looks up, made once per field: pre-annotation
    checks every suggested token, and rebuilding these per annotation was most of the check."""

    field: SchemaField
    labels: frozenset[str]
    attributes: dict[str, Attribute]


@dataclass(frozen=True)
class SchemaRegistry:
    layers: tuple[LayerSchema, ...]
    #: (layer, field name) -> its lookup; the layers are immutable, so it never goes stale
    _lookups: dict[tuple[str, str], _FieldLookup] = dataclass_field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @classmethod
    def from_paths(
        cls, paths: Sequence[Path], owners: Mapping[Path, str] | None = None
    ) -> SchemaRegistry:
        """The layers of the schema files (and folders) ``paths``; ``owners``: the plugin that
        registered each path, named where two define one layer."""
        files: list[Path] = []
        owner_of: dict[Path, str] = {}
        for path in paths:
            for found in expand([path]):
                files.append(found)
                if owners and path in owners:
                    owner_of[found] = owners[path]
        return cls(tuple(load_schemas(files, owner_of)))

    @property
    def order(self) -> tuple[str, ...]:
        return tuple(s.layer for s in self.layers)

    @property
    def versions(self) -> dict[str, str]:
        return {s.layer: s.version for s in self.layers}

    def get(self, layer: str) -> LayerSchema:
        for schema in self.layers:
            if schema.layer == layer:
                return schema
        raise SchemaError(
            f"unknown layer {layer!r}.", hint=f"Known layers: {', '.join(self.order)}."
        )

    def check_annotation(
        self,
        ann: dict[str, Any],
        *,
        text_length: int,
        local_ids: dict[int, dict[str, Any]],
        text: str | None = None,
    ) -> str | None:
        """What is wrong with an annotation (as a readable sentence), or None if nothing is.

        ``ann`` uses the draft keys (``layer kind field label start end value attrs source
        target``); ``local_ids`` maps the paragraph's local ids to their annotations so relations
        can be checked against what they connect. ``text``, where given, is the paragraph's:
        offsets must not cut a character a reader sees as one (see :func:`cuts_a_character`).
        """
        key = ann.get("layer")
        # a private copy (``layer@annotator``, see store/copies.py) follows its layer's schema
        layer, _, owner = key.partition("@") if isinstance(key, str) else (key, "", "")
        if isinstance(key, str) and "@" in key and not owner:
            return f"unknown layer {key!r} (known: {', '.join(self.order)})"
        field_name = ann.get("field") or ""
        lookup = (
            self._lookups.get((layer, field_name))
            if isinstance(layer, str) and isinstance(field_name, str)
            else None
        )
        if lookup is None:
            if layer not in self.order:
                return f"unknown layer {key!r} (known: {', '.join(self.order)})"
            schema = self.get(layer)
            found = schema.field(field_name) if isinstance(field_name, str) else None
            if found is None:
                names = ", ".join(f.name for f in schema.fields)
                return f"layer {layer!r} has no field {ann.get('field')!r} (fields: {names})"
            lookup = self._lookups[layer, field_name] = _FieldLookup(
                found, frozenset(found.label_names), {a.name: a for a in found.attributes}
            )
        field = lookup.field
        if ann.get("kind") != field.kind:
            return f"field {layer}.{field.name} holds {field.kind} annotations, not {ann.get('kind')!r}"
        label = ann.get("label")
        if (
            field.labels
            and not (isinstance(label, str) and label in lookup.labels)
            and not (field.kind == "text" and label is None)
        ):
            return (
                f"{label!r} is not a label of {layer}.{field.name} ({', '.join(field.label_names)})"
            )
        problem = _check_offsets(field, ann, text_length)
        if problem:
            return problem
        if text is not None and field.kind in ("token", "span"):
            for offset in (ann["start"], ann["end"]):
                if cuts_a_character(text, offset):
                    start, end = offset, offset
                    while cuts_a_character(text, start):
                        start -= 1
                    while cuts_a_character(text, end):
                        end += 1
                    return (
                        f"offset {offset} falls inside «{text[start:end]}», which is read as one "
                        "character (a skin tone, joiner, variation selector or combining mark "
                        "belongs with the character before it)"
                    )
        if field.kind == "relation":
            return _check_relation(lookup, ann, local_ids)
        if field.kind == "text":
            if not isinstance(ann.get("value"), str) or not ann["value"].strip():
                return f"{layer}.{field.name} needs a non-empty 'value' text"
            if field.scope == "span":
                anchor = local_ids.get(ann.get("source"))  # type: ignore[arg-type]
                if anchor is None or anchor.get("field") != field.anchor_field:
                    return (
                        f"{layer}.{field.name} must be anchored ('source') to a "
                        f"{field.anchor_field!r} annotation of the same paragraph"
                    )
        return _check_attrs(lookup, ann.get("attrs") or {})


def label_slot_problem(rows: Sequence[dict[str, Any]], registry: SchemaRegistry) -> str | None:
    """Two labels where a field holds one: a paragraph label field has one label per paragraph
    (per sentence, for a sentence label field) in each layer or private copy. Two were stored
    (a pre-annotator's NEU and NEG; a JSONL import), accepted and marked done, and the curriculum
    gave one task the first and another the second."""
    seen: dict[tuple[Any, ...], Any] = {}
    for row in rows:
        if row.get("kind") != "label":
            continue
        layer, _, _ = str(row.get("layer")).partition("@")
        slot = (row.get("layer"), row.get("field"), row.get("start"))
        if slot in seen:
            where = "sentence" if row.get("start") is not None else "paragraph"
            return (
                f"two labels of {layer}.{row.get('field')} for one {where} "
                f"({seen[slot]!r} and {row.get('label')!r}); it holds one"
            )
        seen[slot] = row.get("label")
    return None


#: characters that belong to the one before them: an emoji's skin tone, variation selectors,
#: the zero-width joiner (and what follows it), the keycap mark, tag characters
_BOUND_TO_THE_LAST = frozenset("\u200d\ufe0e\ufe0f\u20e3")


def cuts_a_character(text: str, offset: int) -> bool:
    """Whether ``offset`` falls inside what a reader sees as one character: before a combining
    mark (a stress mark, U+0301), an emoji's skin tone, variation selector or keycap mark; on
    either side of a zero-width joiner (👨‍👩‍👧); inside a flag (two regional indicators). A span
    cut there showed half an emoji in the annotator and the curriculum. Nothing binds across
    whitespace: a mark after a space stands alone (a stress mark typed on its own, as the
    tokenizer cuts it: pre-annotation refused its token, and the whole batch with it)."""
    if not 0 < offset < len(text):
        return False
    after, before = text[offset], text[offset - 1]
    if after.isspace() or before.isspace():
        return False
    if after in _BOUND_TO_THE_LAST or before == "\u200d":
        return True
    code = ord(after)
    if 0x1F3FB <= code <= 0x1F3FF or 0xE0020 <= code <= 0xE007F:
        return True
    if unicodedata.category(after) in ("Mn", "Me"):
        return True
    if _regional(after) and _regional(before):
        run = 0
        while offset - run - 1 >= 0 and _regional(text[offset - run - 1]):
            run += 1
        return run % 2 == 1
    return False


def _regional(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def _check_offsets(field: SchemaField, ann: dict[str, Any], text_length: int) -> str | None:
    start, end = ann.get("start"), ann.get("end")
    needs_offsets = field.kind in ("token", "span") or (
        field.kind == "label" and field.scope == "sentence"
    )
    if needs_offsets:
        if not _is_int(start) or not _is_int(end):
            return f"{field.name} annotations need integer 'start' and 'end'"
        if start >= end and start >= 0 and end <= text_length:
            return f"offsets [{start}, {end}) hold nothing: the start must come before the end"
        if not 0 <= start < end <= text_length:
            return f"offsets [{start}, {end}) are outside the text (length {text_length})"
    elif start is not None or end is not None:
        return f"{field.name} annotations have no offsets"
    return None


def _is_int(value: Any) -> TypeGuard[int]:
    """An integer, not a JSON true or false (Python's bool is an int: ``false`` was offset 0)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _check_relation(
    lookup: _FieldLookup, ann: dict[str, Any], local_ids: dict[int, dict[str, Any]]
) -> str | None:
    field = lookup.field
    source = local_ids.get(ann.get("source"))  # type: ignore[arg-type]
    target = local_ids.get(ann.get("target"))  # type: ignore[arg-type]
    if source is None or target is None:
        return "a relation needs 'source' and 'target' ids of annotations in the same paragraph"
    if field.source_labels and source.get("label") not in field.source_labels:
        return f"relation {field.name} cannot start at a {source.get('label')!r} span"
    if field.target_labels and target.get("label") not in field.target_labels:
        return f"relation {field.name} cannot end at a {target.get('label')!r} span"
    return _check_attrs(lookup, ann.get("attrs") or {})


def _check_attrs(lookup: _FieldLookup, attrs: dict[str, Any]) -> str | None:
    field, known = lookup.field, lookup.attributes
    for name, value in attrs.items():
        spec = known.get(name)
        if spec is None:
            return f"{field.name} has no attribute {name!r}"
        if spec.type == "bool" and not isinstance(value, bool):
            return f"attribute {name!r} must be true or false"
        if spec.type == "int" and not _is_int(value):
            return f"attribute {name!r} must be an integer"
        if spec.type in ("str", "choice") and not isinstance(value, str):
            return f"attribute {name!r} must be a string"
        if spec.type == "choice" and value not in spec.choices:
            return f"attribute {name!r} must be one of {', '.join(spec.choices)}"
    for spec in field.attributes:
        if spec.required and spec.name not in attrs:
            return f"attribute {spec.name!r} is required"
    return None
