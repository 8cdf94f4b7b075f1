"""Built-in CoNLL-U importer, registered through the same hook contract as third-party plugins."""

from __future__ import annotations

from collections.abc import Callable

from layerkit.hookspecs import hookimpl
from layerkit.plugin_api import Importer

from .importer import ConlluImporter

__all__ = ["ConlluImporter", "register_importers"]


@hookimpl
def register_importers(register: Callable[[Importer], None]) -> None:
    """Offer the CoNLL-U importer for ``.conllu`` files."""
    register(ConlluImporter())
