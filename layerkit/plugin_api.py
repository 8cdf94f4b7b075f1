"""Protocols that plugin-provided importers and exporters satisfy."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from layerkit.drafts import DocumentDraft, ImportOptions

if TYPE_CHECKING:
    from layerkit.store import Store


@runtime_checkable
class Importer(Protocol):
    name: str
    extensions: tuple[str, ...]
    description: str

    def read(self, path: Path, options: ImportOptions) -> Iterator[DocumentDraft]: ...


@dataclass
class ExportReport:
    """What an exporter tells the user when it is done."""

    path: Path
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@runtime_checkable
class Exporter(Protocol):
    name: str
    description: str

    def export(self, store: Store, out: Path, options: dict[str, Any]) -> ExportReport: ...
