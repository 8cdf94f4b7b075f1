"""Built-in CoNLL-U importer and exporter, registered through the same hook contract as
third-party plugins.

The classes are imported when a hook asks for them, not with the plugin: every command loads
every plugin, and the exporter brings in the store, which `layerkit tag` does not need.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from layerkit.plugin import hookimpl
from layerkit.plugin.types import Exporter, Importer

__all__ = ["ConlluExporter", "ConlluImporter", "register_exporters", "register_importers"]


def __getattr__(name: str) -> Any:
    if name == "ConlluExporter":
        from .exporter import ConlluExporter

        return ConlluExporter
    if name == "ConlluImporter":
        from .importer import ConlluImporter

        return ConlluImporter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@hookimpl
def register_importers(register: Callable[[Importer], None]) -> None:
    """Offer the CoNLL-U importer for ``.conllu`` files."""
    from .importer import ConlluImporter

    register(ConlluImporter())


@hookimpl
def register_exporters(register: Callable[[Exporter], None]) -> None:
    """Offer ``layerkit export conllu``: the lexical layer as CoNLL-U."""
    from .exporter import ConlluExporter

    register(ConlluExporter())
