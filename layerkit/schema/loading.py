"""Loading layer schema files, with errors that point at the file, key and line."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from layerkit.errors import SchemaError
from layerkit.schema.models import LayerExtension, LayerSchema


def read_schema_file(path: Path) -> LayerSchema | LayerExtension:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SchemaError(f"{path}: cannot read schema file: {exc}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SchemaError(
            f"{path}: not valid TOML: {exc}", hint="Fix the TOML syntax at the line shown."
        ) from exc
    model: type[LayerSchema] | type[LayerExtension] = (
        LayerExtension if "extends" in data else LayerSchema
    )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            key = _format_loc(loc, data)
            line = _locate(text, loc)
            where = f"line {line}, " if line else ""
            problems.append(f"{where}{key}: {err['msg']}")
        raise SchemaError(
            f"{path}: " + "; ".join(problems),
            hint="See schemas/*.toml shipped with layerkit for the expected shape.",
        ) from None


def _format_loc(loc: tuple[Any, ...], data: dict[str, Any]) -> str:
    """``fields[1].labels[3].key`` with names where the TOML has them: fields["role"]."""
    parts: list[str] = []
    node: Any = data
    for item in loc:
        if isinstance(item, int):
            name = None
            if isinstance(node, list) and item < len(node) and isinstance(node[item], dict):
                name = node[item].get("name")
            parts[-1] += f"[{name!r}]" if name else f"[{item}]"
            node = node[item] if isinstance(node, list) and item < len(node) else None
        else:
            parts.append(str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return ".".join(parts) or "(top level)"


def _locate(text: str, loc: tuple[Any, ...]) -> int | None:
    """Best-effort line number of a validation error's location in the TOML source.

    tomllib keeps no positions, so walk the source: for each (array, index) step find the
    index-th ``[[array]]`` header or inline-table line after the current position, then the
    line assigning the final key.
    """
    lines = text.splitlines()
    pos = 0
    prefix = ""
    i = 0
    found: int | None = None
    while i < len(loc):
        key = loc[i]
        if not isinstance(key, str):
            i += 1
            continue
        index = loc[i + 1] if i + 1 < len(loc) and isinstance(loc[i + 1], int) else None
        dotted = f"{prefix}.{key}" if prefix else key
        if index is not None:
            header = re.compile(rf"^\s*\[\[\s*{re.escape(dotted)}\s*\]\]")
            inline_start = re.compile(rf"^\s*{re.escape(key)}\s*=\s*\[")
            hits = [n for n in range(pos, len(lines)) if header.match(lines[n])]
            if len(hits) > index:
                pos = hits[index]
                found = pos + 1
            else:
                start = next(
                    (n for n in range(pos, len(lines)) if inline_start.match(lines[n])), None
                )
                if start is None:
                    return found
                items = [n for n in range(start, len(lines)) if lines[n].lstrip().startswith("{")]
                if len(items) <= index:
                    return found
                pos = items[index]
                found = pos + 1
            prefix = dotted
            i += 2
            continue
        assign = re.compile(rf"(^|[\s{{,])({re.escape(key)})\s*=")
        hit = next((n for n in range(pos, len(lines)) if assign.search(lines[n])), None)
        if hit is not None:
            return hit + 1
        return found
    return found


def _named(path: Path, owners: Mapping[Path, str] | None) -> str:
    """A schema file as a message names it: with the plugin that registered it, if known."""
    owner = (owners or {}).get(path)
    return f"{path} (plugin {owner!r})" if owner else str(path)


def load_schemas(
    paths: Sequence[Path], owners: Mapping[Path, str] | None = None
) -> list[LayerSchema]:
    """Load layers and apply extensions (in the order given), sorted by layer order;
    ``owners``: the plugin that registered each file, for the message of a clash."""
    layers: dict[str, LayerSchema] = {}
    origin: dict[str, Path] = {}
    extensions: list[tuple[Path, LayerExtension]] = []
    for path in paths:
        item = read_schema_file(path)
        if isinstance(item, LayerExtension):
            extensions.append((path, item))
            continue
        if item.layer in layers:
            first = origin[item.layer]
            same = first.read_bytes() == path.read_bytes()
            raise SchemaError(
                f"{_named(path, owners)}: layer {item.layer!r} is already defined in "
                f"{_named(first, owners)}.",
                hint=(
                    "The two files are the same schema: the plugin is loaded twice (installed, "
                    "and again with --plugin?); load it once."
                    if same
                    else 'To add to an existing layer, write `extends = "<layer>"` instead of '
                    "`layer`; or rename one of the layers."
                ),
            )
        layers[item.layer] = item
        origin[item.layer] = path
    for path, ext in extensions:
        layers[ext.extends] = _extend(path, layers, ext)
    orders: dict[int, str] = {}
    for schema in layers.values():
        if schema.order in orders:
            raise SchemaError(
                f"layers {orders[schema.order]!r} and {schema.layer!r} both have order "
                f"{schema.order} ({origin.get(schema.layer)}).",
                hint="Give every layer a distinct `order`.",
            )
        orders[schema.order] = schema.layer
    return sorted(layers.values(), key=lambda s: s.order)


def _extend(path: Path, layers: dict[str, LayerSchema], ext: LayerExtension) -> LayerSchema:
    base = layers.get(ext.extends)
    if base is None:
        raise SchemaError(
            f"{path}: extends unknown layer {ext.extends!r}.",
            hint=f"Known layers: {', '.join(layers) or 'none'}.",
        )
    fields = list(base.fields)
    for field_name, new_labels in ext.labels.items():
        target = base.field(field_name)
        if target is None:
            raise SchemaError(f"{path}: layer {base.layer!r} has no field {field_name!r}.")
        merged = target.model_dump()
        merged["labels"] = [*merged["labels"], *(label.model_dump() for label in new_labels)]
        fields[fields.index(target)] = _validate_field(path, merged)
    fields.extend(ext.fields)
    data = base.model_dump()
    data["fields"] = [f.model_dump() if not isinstance(f, dict) else f for f in fields]
    data["version"] = f"{base.version}+{ext.version or 'ext'}"
    try:
        return LayerSchema.model_validate(data)
    except ValidationError as exc:
        raise SchemaError(f"{path}: extending {base.layer!r}: {exc.errors()[0]['msg']}") from None


def _validate_field(path: Path, data: dict[str, Any]) -> Any:
    from layerkit.schema.models import SchemaField

    try:
        return SchemaField.model_validate(data)
    except ValidationError as exc:
        raise SchemaError(f"{path}: field {data.get('name')!r}: {exc.errors()[0]['msg']}") from None


def expand(paths: Iterable[Path]) -> list[Path]:
    """Schema paths with directories expanded to their ``*.toml`` files (sorted)."""
    out: list[Path] = []
    for path in paths:
        out.extend(sorted(path.glob("*.toml")) if path.is_dir() else [path])
    return out
