"""Pydantic models of a layer schema (``schemas/*.toml``).

A schema says what can be annotated on a layer: its fields (token analyses, spans, relations,
sentence/paragraph labels, free texts), their labels with a description and a Russian example
each (shown in the TUI's help), attributes, and which fields are required before the layer can
be marked done. Unknown keys are errors, so a typo in a schema file never passes silently.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

FieldKind = Literal["token", "span", "relation", "label", "text"]
Scope = Literal["token", "span", "sentence", "paragraph"]
Extent = Literal["word", "phrase", "clause"]
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
LABEL = re.compile(r"^[A-Z][A-Z0-9_]*$")
VERSION = re.compile(r"^\d+\.\d+(\.\d+)?(\+[A-Za-z0-9.]+)?$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Label(_Strict):
    name: str = Field(description="Label value stored in annotations, UPPER_CASE.")
    key: str | None = Field(default=None, description="Single key that applies it in the TUI.")
    description: str = Field(min_length=1)
    example: str = ""

    @field_validator("name")
    @classmethod
    def _upper(cls, value: str) -> str:
        if not LABEL.match(value):
            raise ValueError(f"label names are UPPER_CASE letters, digits and _, not {value!r}")
        return value

    @field_validator("key")
    @classmethod
    def _one_key(cls, value: str | None) -> str | None:
        if value is not None and len(value) != 1:
            raise ValueError(f"a label key is a single character, not {value!r}")
        return value


class Attribute(_Strict):
    """A value an annotation carries besides its label (a factuality's ``evidential``, a
    discourse relation's ``connective``).

    ``default`` is written when an annotator creates the annotation, so that only the
    exceptions cost keys (most factualities are DIRECT, few are negated); imports never add it.
    ``key`` (yes/no and choice attributes only) changes the value of the span under the cursor
    in the annotator with one key: yes ↔ no, or the next choice.
    """

    name: str
    type: Literal["str", "bool", "int", "choice", "json"] = "str"
    choices: tuple[str, ...] = ()
    required: bool = False
    description: str = ""
    default: str | bool | int | None = None
    key: str | None = None

    @model_validator(mode="after")
    def _choices(self) -> Attribute:
        if self.type == "choice" and not self.choices:
            raise ValueError(f"attribute {self.name!r} of type 'choice' needs 'choices'")
        if self.type != "choice" and self.choices:
            raise ValueError(f"attribute {self.name!r} has 'choices' but type {self.type!r}")
        if self.default is not None and not self.accepts(self.default):
            raise ValueError(
                f"default {self.default!r} of attribute {self.name!r} is not a valid {self.type}"
                + (f" (one of {', '.join(self.choices)})" if self.choices else "")
            )
        if self.key is not None:
            if len(self.key) != 1:
                raise ValueError(f"an attribute key is a single character, not {self.key!r}")
            if self.type not in ("bool", "choice"):
                raise ValueError(
                    f"attribute {self.name!r}: only yes/no and choice attributes have a key "
                    f"(it steps through their values), not {self.type!r} ones"
                )
        return self

    def accepts(self, value: object) -> bool:
        """Is ``value`` of this attribute's type (and among its choices)?"""
        if self.type == "bool":
            return isinstance(value, bool)
        if self.type == "int":
            return isinstance(value, int) and not isinstance(value, bool)
        if self.type == "choice":
            return value in self.choices
        if self.type == "str":
            return isinstance(value, str)
        return True

    def next_value(self, current: object) -> bool | str:
        """What the attribute's key turns ``current`` into: yes ↔ no (unset → yes), or the
        choice after the current one (unset → the first), wrapping around."""
        if self.type == "bool":
            return not bool(current)
        if self.type != "choice":
            raise ValueError(f"attribute {self.name!r} has no next value")
        if current not in self.choices:
            return self.choices[0]
        return self.choices[(self.choices.index(current) + 1) % len(self.choices)]


_DEFAULT_SCOPE: dict[str, str] = {
    "token": "token",
    "span": "span",
    "relation": "span",
    "label": "paragraph",
    "text": "paragraph",
}
_ALLOWED_SCOPES: dict[str, set[str]] = {
    "token": {"token"},
    "span": {"span"},
    "relation": {"span"},
    "label": {"sentence", "paragraph"},
    "text": {"paragraph", "span"},
}


class SchemaField(_Strict):
    name: str
    kind: FieldKind
    scope: Scope | None = None
    required: bool = False
    description: str = ""
    labels: tuple[Label, ...] = ()
    attributes: tuple[Attribute, ...] = ()
    source_labels: tuple[str, ...] = ()
    target_labels: tuple[str, ...] = ()
    anchor_field: str | None = None
    #: relation fields: a span labelled with one of ``source_labels`` is linked at once to the
    #: predicate-like span it belongs to (see ``layerkit.tui.relations.link_target``), with the
    #: relation label of the same name. An argument is then one key, not four.
    link_on_label: bool = False
    #: label fields: the labels, in the order listed, are an ordinal scale (each closer to
    #: its neighbours than to those further on), so ``layerkit agreement`` also reports
    #: Krippendorff's α at the ordinal level, where a near miss costs less than a far one.
    ordered: bool = False
    #: span fields: what one span most often covers — a ``word``, a noun ``phrase`` (with its
    #: preposition, modifiers and genitives) or a ``clause``. The annotator's ``space`` selects
    #: the next one no span of the layer covers yet, so entering spans in text order is a
    #: label key and a space each.
    extent: Extent = "word"

    @field_validator("name")
    @classmethod
    def _snake(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError(f"field names are lower_snake_case, not {value!r}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> SchemaField:
        scope = self.scope or _DEFAULT_SCOPE[self.kind]
        if scope not in _ALLOWED_SCOPES[self.kind]:
            allowed = ", ".join(sorted(_ALLOWED_SCOPES[self.kind]))
            raise ValueError(f"a {self.kind} field has scope {allowed}, not {scope!r}")
        object.__setattr__(self, "scope", scope)
        if self.kind in ("token", "span", "relation", "label") and not self.labels:
            raise ValueError(f"a {self.kind} field needs at least one label")
        if self.kind == "text" and scope == "span" and not self.anchor_field:
            raise ValueError("a text field with scope 'span' needs 'anchor_field'")
        _unique([label.name for label in self.labels], "label name")
        _unique([label.key for label in self.labels if label.key], "label key")
        _unique([a.name for a in self.attributes], "attribute name")
        _unique([a.key for a in self.attributes if a.key], "attribute key")
        if self.ordered and self.kind != "label":
            raise ValueError(
                f"only label fields have 'ordered' (an ordinal scale of labels), not {self.kind} "
                "fields"
            )
        if self.extent != "word" and self.kind != "span":
            raise ValueError(f"only span fields have 'extent', not {self.kind} fields")
        if self.link_on_label:
            if self.kind != "relation":
                raise ValueError("only relation fields have 'link_on_label'")
            if not self.source_labels or not self.target_labels:
                raise ValueError("'link_on_label' needs 'source_labels' and 'target_labels'")
            if not set(self.source_labels) & set(self.label_names):
                raise ValueError(
                    "'link_on_label' links with the relation label named like the span's "
                    "label: none of 'source_labels' is a label of this field"
                )
        return self

    def label(self, name: str) -> Label | None:
        return next((label for label in self.labels if label.name == name), None)

    @property
    def label_names(self) -> tuple[str, ...]:
        return tuple(label.name for label in self.labels)


class LayerSchema(_Strict):
    layer: str
    version: str
    order: int = Field(ge=1)
    title: str
    description: str = Field(min_length=1)
    fields: tuple[SchemaField, ...] = Field(min_length=1)

    @field_validator("layer")
    @classmethod
    def _snake(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError(f"layer names are lower_snake_case, not {value!r}")
        return value

    @field_validator("version")
    @classmethod
    def _version(cls, value: str) -> str:
        if not VERSION.match(value):
            raise ValueError(f"version is MAJOR.MINOR[.PATCH][+LOCAL], not {value!r}")
        return value

    @model_validator(mode="after")
    def _fields(self) -> LayerSchema:
        _unique([f.name for f in self.fields], "field name")
        check_references(self)
        return self

    def field(self, name: str) -> SchemaField | None:
        return next((f for f in self.fields if f.name == name), None)


class LayerExtension(_Strict):
    """A project's additions to an existing layer: new fields, or new labels on a field."""

    extends: str
    version: str | None = None
    fields: tuple[SchemaField, ...] = ()
    labels: dict[str, tuple[Label, ...]] = Field(default_factory=dict)


def check_references(schema: LayerSchema) -> None:
    """Relation and anchor references must name labels and fields of the same layer."""
    span_labels = {label.name for f in schema.fields if f.kind == "span" for label in f.labels}
    names = {f.name for f in schema.fields}
    for f in schema.fields:
        for ref in (*f.source_labels, *f.target_labels):
            if ref not in span_labels:
                raise ValueError(
                    f"field {f.name!r} refers to span label {ref!r}, which no span field of "
                    f"layer {schema.layer!r} defines"
                )
        if f.anchor_field is not None and f.anchor_field not in names:
            raise ValueError(f"field {f.name!r} is anchored to unknown field {f.anchor_field!r}")


def _unique(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate {what} {value!r}")
        seen.add(value)
