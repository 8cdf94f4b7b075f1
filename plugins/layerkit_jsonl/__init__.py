"""Built-in plugin: layerkit's own JSON Lines format, imported and exported with every annotation.

The classes are imported by the hooks, not with the plugin (the exporter brings in the store).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from layerkit.plugin import hookimpl


@hookimpl
def register_importers(register: Callable[[Any], None]) -> None:
    from layerkit_jsonl.importer import JsonlImporter

    register(JsonlImporter())


@hookimpl
def register_exporters(register: Callable[[Any], None]) -> None:
    from layerkit_jsonl.exporter import JsonlExporter

    register(JsonlExporter())
