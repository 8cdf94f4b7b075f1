"""Built-in plugin: layerkit's own JSON Lines format, imported and exported with every annotation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from layerkit.plugin import hookimpl
from layerkit_jsonl.exporter import JsonlExporter
from layerkit_jsonl.importer import JsonlImporter


@hookimpl
def register_importers(register: Callable[[Any], None]) -> None:
    register(JsonlImporter())


@hookimpl
def register_exporters(register: Callable[[Any], None]) -> None:
    register(JsonlExporter())
