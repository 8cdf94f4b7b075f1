"""Built-in plugin: the importer of plain text and Markdown files."""

from __future__ import annotations

from collections.abc import Callable

from layerkit.plugin import hookimpl
from layerkit.plugin.types import Importer

from .importer import TextImporter

__all__ = ["TextImporter", "register_importers"]


@hookimpl
def register_importers(register: Callable[[Importer], None]) -> None:
    """Provide :class:`TextImporter` for ``.txt``, ``.md`` and ``.markdown`` files."""
    register(TextImporter())
