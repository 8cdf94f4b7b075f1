"""Which single key applies which label on a layer, from the schema's ``key`` of each label,
and which steps which attribute (an attribute's ``key``: ``e`` evidential, ``!`` negated).

The editor applies a label with one keypress, so a label key must not be a key the app itself
uses (layer digits, ``?`` for help) and must not mean two labels at once. Schemas come from
projects and plugins, so clashes are possible: they are resolved deterministically (the app's
own keys win, then the earlier field) and reported, rather than making a key silently do the
wrong thing.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from layerkit.schema.models import Attribute, Label, LayerSchema, SchemaField

# Field kinds whose labels the editor applies directly to the cursor's token, selection,
# sentence or paragraph. Relation labels are chosen inside the relation picker instead, and
# text fields are written in an editor, so their keys never clash with these.
DIRECT_KINDS = ("token", "span", "label")


@dataclass(frozen=True)
class LabelKey:
    key: str
    field: SchemaField
    label: Label


@dataclass(frozen=True)
class AttributeKey:
    """A key that steps an attribute of the span under the cursor to its next value."""

    key: str
    field: SchemaField
    attribute: Attribute


@dataclass(frozen=True)
class KeyMap:
    """Label keys of one layer, its attribute keys, plus readable notes about keys that had
    to be dropped."""

    keys: dict[str, LabelKey] = field(default_factory=dict)
    conflicts: tuple[str, ...] = ()
    attribute_keys: dict[str, AttributeKey] = field(default_factory=dict)

    def by_field(self) -> dict[str, list[LabelKey]]:
        grouped: dict[str, list[LabelKey]] = {}
        for entry in self.keys.values():
            grouped.setdefault(entry.field.name, []).append(entry)
        return grouped


def label_keys(schema: LayerSchema, reserved: Collection[str] = ()) -> KeyMap:
    """The direct label keys of a layer, in schema order."""
    keys: dict[str, LabelKey] = {}
    conflicts: list[str] = []
    for f in schema.fields:
        if f.kind not in DIRECT_KINDS:
            continue
        for label in f.labels:
            if label.key is None:
                continue
            where = f"{schema.layer}.{f.name} {label.name}"
            if label.key in reserved:
                conflicts.append(f"key {label.key!r} of {where} is an app key; label left keyless")
            elif label.key in keys:
                other = keys[label.key]
                conflicts.append(
                    f"key {label.key!r} of {where} is already {other.field.name} "
                    f"{other.label.name}; label left keyless"
                )
            else:
                keys[label.key] = LabelKey(label.key, f, label)
    attribute_keys: dict[str, AttributeKey] = {}
    for f in schema.fields:
        if f.kind not in DIRECT_KINDS:
            continue
        for attribute in f.attributes:
            if attribute.key is None:
                continue
            where = f"{schema.layer}.{f.name} attribute {attribute.name}"
            if attribute.key in reserved:
                conflicts.append(f"key {attribute.key!r} of {where} is an app key; left keyless")
            elif attribute.key in keys or attribute.key in attribute_keys:
                conflicts.append(f"key {attribute.key!r} of {where} is taken; left keyless")
            else:
                attribute_keys[attribute.key] = AttributeKey(attribute.key, f, attribute)
    return KeyMap(keys, tuple(conflicts), attribute_keys)
