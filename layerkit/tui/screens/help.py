"""Help, generated: the keys from the widgets' BINDINGS, the labels from the layer schemas.

Nothing here is written by hand, so a new binding or a project's extra label shows up in the
help the moment it exists.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from layerkit.schema.models import LayerSchema
from layerkit.tui.keymap import DIRECT_KINDS, KeyMap
from layerkit.tui.screens.attributes import shown_value
from layerkit.tui.screens.dimmed import DimmingModal


class HelpScreen(DimmingModal[None]):
    """Keys, then the current layer's fields and labels (description and Russian example)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "dismiss", "Close"),
    ]

    def __init__(
        self,
        sections: Sequence[tuple[str, Sequence[tuple[str, str]]]],
        layers: Sequence[LayerSchema],
        current: str,
        keymaps: dict[str, KeyMap],
    ) -> None:
        super().__init__()
        self.sections = sections
        self.schemas = layers
        self.current = current
        self.keymaps = keymaps

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box") as box:
            box.border_title = "Help — escape closes"
            yield Static(keys_table(self.sections), id="help-keys")
            ordered = sorted(self.schemas, key=lambda s: s.layer != self.current)
            for schema in ordered:
                yield Static(layer_help(schema, self.keymaps.get(schema.layer, KeyMap())))


def keys_table(sections: Sequence[tuple[str, Sequence[tuple[str, str]]]]) -> RenderableType:
    table = Table("where", "key", "does", box=None, padding=(0, 1), expand=True)
    for where, rows in sections:
        for i, (key, does) in enumerate(rows):
            table.add_row(where if i == 0 else "", key, does)
    return Group(Text("Keys", style=Style(bold=True)), table)


def binding_rows(bindings: Iterable[BindingType]) -> list[tuple[str, str]]:
    """(keys, what it does) per binding: the tooltip if there is one (the description is the
    footer's short word), keys spelled readably."""
    rows: list[tuple[str, str]] = []
    for binding in bindings:
        if not isinstance(binding, Binding):
            continue
        does = binding.tooltip or binding.description
        if any(d == does for _, d in rows):
            continue
        keys = binding.key_display or " / ".join(
            _KEY_NAMES.get(k, k) for k in binding.key.split(",")
        )
        rows.append((keys, does))
    return rows


_KEY_NAMES = {"plus": "+", "question_mark": "?", "slash": "/", "full_stop": "."}


def layer_help(schema: LayerSchema, keymap: KeyMap) -> RenderableType:
    parts: list[RenderableType] = [
        Text(f"\n{schema.title} ({schema.layer} {schema.version})", style=Style(bold=True)),
        Text(schema.description, style=Style(dim=True)),
    ]
    with_key = {(e.field.name, e.label.name): e.key for e in keymap.keys.values()}
    for field in schema.fields:
        how = "required" if field.required else "optional"
        parts.append(
            Text(f"\n{field.name} — {field.kind}, {field.scope}, {how}. {field.description}")
        )
        if not field.labels:
            continue
        table = Table("key", "label", "description", "example", box=None, padding=(0, 1))
        for label in field.labels:
            fallback = "" if field.kind in DIRECT_KINDS else (label.key or "")
            key = with_key.get((field.name, label.name), fallback)
            table.add_row(key, label.name, label.description, label.example)
        parts.append(table)
        keyed = {
            s.attribute.name: s.key for s in keymap.attribute_keys.values() if s.field == field
        }
        if field.attributes:
            attributes = Table(
                "key", "attribute", "values", "description", box=None, padding=(0, 1)
            )
            for attribute in field.attributes:
                values = " / ".join(attribute.choices) if attribute.choices else attribute.type
                if attribute.default is not None:
                    values += f" (new: {shown_value(attribute, attribute.default)})"
                attributes.add_row(
                    keyed.get(attribute.name, ""), attribute.name, values, attribute.description
                )
            parts.append(attributes)
        if field.link_on_label:
            parts.append(
                Text(
                    f"An argument ({', '.join(field.source_labels)}) is linked when labelled, "
                    f"to the {' or '.join(field.target_labels)} labelled last in its sentence "
                    "(double-underlined; press its key on another to choose it), else the "
                    "nearest one.",
                    style=Style(dim=True),
                )
            )
    for conflict in keymap.conflicts:
        parts.append(Text(f"note: {conflict}", style=Style(color="yellow")))
    return Group(*parts)
