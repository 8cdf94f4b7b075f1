"""``StoreReader``: the read-only store an exporter (and anything a plugin reads) is given.

Exporters never write to the store, so they get a reader rather than the store: a handful of
documented methods, each returning the domain model (:mod:`layerkit.plugin.model`), read in bulk
so an export over a store of any size runs in flat memory. docs/plugins.md lists every public
method here; a test checks the two agree.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from layerkit.errors import StoreError, UsageError
from layerkit.model import Document, Paragraph
from layerkit.plugin.types import ExportError
from layerkit.store import Store

#: paragraphs read per query batch by :meth:`StoreReader.paragraphs`
BATCH = 500


@contextmanager
def reading_store(ctx: Any = None) -> Iterator[StoreReader]:
    """The store the command line names (``--db``, ``LAYERKIT_DB``, the default), as a
    :class:`StoreReader`, for a plugin's own command (``register_commands``): a command had
    no documented way to reach it. ``ctx`` is the command's click context (default: the
    current one)."""
    import click

    context = ctx if ctx is not None else click.get_current_context()
    state = context.find_root().obj
    project = getattr(state, "project", None)
    if project is None:
        raise UsageError(
            "reading_store() runs inside a layerkit command only.",
            hint="Call it from a command a plugin adds with register_commands.",
        )
    with project.open_store() as store:
        yield StoreReader(store)


class StoreReader:
    """A store, read-only."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def documents(self) -> list[Document]:
        """Every document, in the order they were imported."""
        return [
            Document(
                id=int(d.id or 0),
                name=d.name,
                source=d.source,
                format=d.format,
                meta=dict(d.meta or {}),
            )
            for d in self._store.documents()
        ]

    def paragraphs(
        self,
        *,
        document_id: int | None = None,
        layers: Sequence[str] | None = None,
        ready: Sequence[str] | None = None,
        states: Sequence[str] = ("done",),
    ) -> Iterator[Paragraph]:
        """Paragraphs in document order with their annotations and layer states.

        ``document_id``: one document's paragraphs only. ``layers``: read only these layers'
        annotations (None: every layer). ``ready``: only paragraphs where one of these layers is
        in one of ``states`` (None: every paragraph, whatever ``states`` says: it is read with
        ``ready`` only). Read :data:`BATCH` paragraphs at a time, each batch a consistent
        snapshot. A layer never touched is ``todo``. One name may be given as a string
        (``ready="semantic"``, ``states="done"``).

        A call without a state is the calling plugin's mistake (a ``ValueError``, which names
        the plugin), not the user's: it was said as "Invalid usage", with a hint to the user.
        """
        wanted_states = _names(states)
        if not wanted_states:
            raise ValueError(
                "StoreReader.paragraphs(states=...) needs at least one state of todo, "
                "in_progress, done, stale"
            )
        bounds = (None, None) if document_id is None else ((document_id, -1), (document_id, 2**62))
        yield from self._store.iter_paragraph_bundles(
            layers=_names(layers),
            ready_layers=_names(ready),
            ready_states=wanted_states,
            after=bounds[0],
            until=bounds[1],
            batch_size=BATCH,
        )

    def paragraph(self, paragraph_id: int) -> Paragraph:
        """One paragraph by id, with every layer's annotations and states; :class:`ExportError`
        (a type plugins can catch) for an id the store does not hold."""
        try:
            row = self._store.paragraph(paragraph_id)
        except StoreError as error:
            raise ExportError(error.message, hint=error.hint) from error
        key = (row.document_id, row.position)
        for bundle in self._store.iter_paragraph_bundles(
            after=(key[0], key[1] - 1), until=key, batch_size=1
        ):
            return bundle
        raise UsageError(f"there is no paragraph {paragraph_id}.")  # pragma: no cover - raced

    def count_paragraphs(self) -> int:
        """How many paragraphs the store holds."""
        return self._store.summary().paragraphs

    def layer_states(self) -> dict[str, dict[str, int]]:
        """Per layer, how many paragraphs are in each state (todo, in_progress, done, stale)."""
        return {layer: dict(counts) for layer, counts in self._store.summary().layers.items()}


def store_of(reader: StoreReader) -> Store:
    """The store behind a reader: for layerkit's own exporters that read it in bulk through the
    store's internal queries (the curriculum, the lossless JSONL); not part of the plugin API."""
    return reader._store


def _names(value: str | Sequence[str] | None) -> list[str] | None:
    """A list of names: a single string is one name (``list("semantic")`` would be its
    letters, and match nothing)."""
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)
