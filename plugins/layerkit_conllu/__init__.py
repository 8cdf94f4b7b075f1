"""Built-in CoNLL-U importer and exporter, registered through the same hook contract as
third-party plugins."""

from __future__ import annotations

from collections.abc import Callable

from layerkit.plugin import hookimpl
from layerkit.plugin.types import Exporter, Importer

from .exporter import ConlluExporter
from .importer import ConlluImporter

__all__ = ["ConlluExporter", "ConlluImporter", "register_exporters", "register_importers"]


@hookimpl
def register_importers(register: Callable[[Importer], None]) -> None:
    """Offer the CoNLL-U importer for ``.conllu`` files."""
    register(ConlluImporter())


@hookimpl
def register_exporters(register: Callable[[Exporter], None]) -> None:
    """Offer ``layerkit export conllu``: the lexical layer as CoNLL-U."""
    register(ConlluExporter())
