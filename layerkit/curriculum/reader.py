"""The paragraphs an export reads, as the domain model (:class:`~layerkit.plugin.Paragraph`).

The queries themselves belong to the store (:mod:`layerkit.store.corpus` and
:meth:`Store.iter_paragraph_bundles`); this turns what they read into the paragraphs tasks see.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from layerkit.model import Paragraph
from layerkit.store import Store
from layerkit.store.corpus import BATCH

__all__ = ["BATCH", "iter_views"]


def iter_views(
    store: Store,
    *,
    ready_layers: Sequence[str],
    read_layers: Sequence[str],
    states: Sequence[str],
    after: tuple[int, int] | None = None,
    until: tuple[int, int] | None = None,
    batch_size: int = BATCH,
    raw: bool = True,
) -> Iterator[Paragraph]:
    """Paragraphs that have one of ``ready_layers`` in one of ``states``, in document order,
    with the annotations of ``read_layers`` and the states of every layer
    (:meth:`Store.iter_paragraph_bundles`: one query per batch per table, plain tuples);
    ``after`` and ``until`` as there."""
    yield from store.iter_paragraph_bundles(
        layers=read_layers,
        ready_layers=ready_layers,
        ready_states=states,
        after=after,
        until=until,
        batch_size=batch_size,
        raw=raw,
    )  # the store reads the domain model's Paragraph itself
