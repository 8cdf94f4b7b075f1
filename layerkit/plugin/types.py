"""What importers, exporters and pre-annotators are, and what they are handed and return."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from layerkit.drafts import AnnotationDraft, DocumentDraft, ImportOptions
from layerkit.errors import LayerkitError
from layerkit.model import Paragraph

if TYPE_CHECKING:
    import pluggy

    from layerkit.plugin.reader import StoreReader
    from layerkit.schema import SchemaRegistry


@runtime_checkable
class Importer(Protocol):
    """Reads files of its ``extensions`` into documents. An importer of a format kept in two
    files (brat: ``doc.ann`` beside ``doc.txt``) may also have ``companions``, the suffixes of
    the files it reads along with each of its own (``(".txt",)``): an import leaves such a
    file, named alike beside one of its own, to it instead of importing it again on its own
    (read with :func:`companions_of`)."""

    name: str
    extensions: tuple[str, ...]
    description: str

    def read(self, path: Path, options: ImportOptions) -> Iterator[DocumentDraft]: ...


def companions_of(importer: Importer) -> tuple[str, ...]:
    """An importer's ``companions`` (optional: none where it has no such attribute)."""
    return tuple(getattr(importer, "companions", ()) or ())


@dataclass
class ExportReport:
    """What an exporter tells the user when it is done."""

    path: Path
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ExportContext:
    """What an exporter is told besides where to write: its own options (the values of the
    ``click.Option`` objects it lists, by name), the layer schemas in force and their versions,
    and the plugin manager (for exporters that build curriculum records, whose
    ``curriculum_record`` hooks it runs)."""

    options: Mapping[str, Any]
    schemas: SchemaRegistry
    plugin_manager: pluggy.PluginManager

    @property
    def schema_versions(self) -> dict[str, str]:
        """Layer → schema version, for the header of an output."""
        return dict(self.schemas.versions)

    def option(self, name: str, default: Any = None) -> Any:
        """An option's value, or ``default`` when it was not given."""
        value = self.options.get(name)
        return default if value is None else value

    def as_mapping(self) -> dict[str, Any]:
        """The options with ``schemas`` and ``plugin_manager``: what the curriculum builder
        (``iter_records``, ``export_curriculum``) reads."""
        return {**self.options, "schemas": self.schemas, "plugin_manager": self.plugin_manager}


class ExportError(LayerkitError):
    """An exporter's report of a problem the user can fix (an option that cannot work, data the
    format cannot hold). Printed without a traceback, exit 2; the output is not written."""

    title = "Export failed"


@runtime_checkable
class Exporter(Protocol):
    name: str
    description: str

    def export(self, reader: StoreReader, out: Path, context: ExportContext) -> ExportReport: ...


# What a pre-annotator gets: the domain model's Paragraph, with the annotations of the layers
# below the one it fills (its ``paragraph_id`` and ``sentence_tokens()`` are as before).
ParagraphInput = Paragraph


@dataclass(frozen=True)
class InvalidSuggestion:
    """What a pre-annotator returns for a paragraph instead of its annotations when its model's
    answer could not be used (it does not parse, quotes text the paragraph lacks, breaks the
    schema): ``layerkit preannotate`` stores nothing for that paragraph, counts it and lists
    ``reason``; ``answer`` is the model's raw output, for the listing."""

    reason: str
    answer: str = ""


@runtime_checkable
class Preannotator(Protocol):
    """Fills a layer with a model's suggestions. Optional methods (looked up, not required):
    ``before_work(count)`` (warnings before any work), ``from_checkpoint(...)`` (made from a
    training run) and ``annotate_later(paragraphs)``: ``annotate`` started now, its results
    returned by calling what it returns, so that ``layerkit preannotate`` stores the previous
    batch while a pre-annotator that works in other processes (the built-in tagger, on its
    worker processes) annotates the next. An optional attribute ``batch_tokens`` (int) has
    paragraphs gathered into calls of up to that many tokens (a longer paragraph is a call of
    its own), for a model that works faster on big calls."""

    name: str
    version: str
    layer: str
    description: str

    def annotate(
        self, paragraphs: Sequence[ParagraphInput]
    ) -> Sequence[list[AnnotationDraft] | InvalidSuggestion]: ...
