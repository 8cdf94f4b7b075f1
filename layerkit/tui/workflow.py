"""Where the next piece of work is: depth-first or breadth-first through the store.

Annotators work in one of two orders. Depth-first finishes every layer of a paragraph before
the next paragraph (good for close reading: the lower layers are fresh in mind). Breadth-first
does one layer across many paragraphs (good for consistency: the same labels, decided the same
way, many times). "Next work" is the first unfinished (todo, in progress or stale) piece after
the current one in that order, wrapping around to the start of the store once.

Every step is a few index seeks (``queries.neighbour``), so it costs the same at 100k
paragraphs as at 100.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from layerkit.store import Store, queries
from layerkit.store.queries import ParagraphFilter

Order = Literal["depth", "breadth"]
ORDERS: tuple[Order, ...] = ("breadth", "depth")
OPEN_STATES = ("todo", "in_progress", "stale")


def other_order(order: Order) -> Order:
    return "depth" if order == "breadth" else "breadth"


def open_layers(
    store: Store, paragraph_id: int, layers: Sequence[str], annotator: str | None = None
) -> list[str]:
    """The paragraph's unfinished layers, lowest first (as ``annotator`` sees them: their
    copy's state where a layer is assigned to them)."""
    statuses = store.statuses(paragraph_id, annotator=annotator)
    return [
        layer
        for layer in layers
        if (statuses[layer].state if layer in statuses else "todo") in OPEN_STATES
    ]


def next_work(
    store: Store,
    order: Order,
    layers: Sequence[str],
    paragraph_id: int | None,
    layer: str,
    annotator: str | None = None,
) -> tuple[int, str] | None:
    """The next unfinished (paragraph, layer) after ``(paragraph_id, layer)`` in ``order``
    (unfinished for ``annotator``: on their assigned layers, their copy); None when everything
    is done."""
    if order == "breadth":
        return _next_breadth(store, layers, paragraph_id, layer, annotator)
    return _next_depth(store, layers, paragraph_id, layer, annotator)


def _next_breadth(
    store: Store,
    layers: Sequence[str],
    paragraph_id: int | None,
    layer: str,
    annotator: str | None,
) -> tuple[int, str] | None:
    """This layer's next unfinished paragraph (wrapping around once); once the layer is
    done everywhere, the first unfinished paragraph of the next layer that has one (the layers
    above this one first, then those below): breadth-first goes on to the next layer, where it
    said every layer was done with four of five still to do."""
    unfinished = ParagraphFilter(layer=layer, states=OPEN_STATES, annotator=annotator)
    found = queries.neighbour(store, paragraph_id, 1, unfinished)
    if found is None:  # wrap around: the start of the store, up to (and with) this paragraph
        found = queries.neighbour(store, None, 1, unfinished)
    if found is not None:
        return found, layer
    at = layers.index(layer) if layer in layers else -1
    for other in [*layers[at + 1 :], *layers[: max(at, 0)]]:
        unfinished = ParagraphFilter(layer=other, states=OPEN_STATES, annotator=annotator)
        found = queries.neighbour(store, None, 1, unfinished)
        if found is not None:
            return found, other
    return None


def _next_depth(
    store: Store,
    layers: Sequence[str],
    paragraph_id: int | None,
    layer: str,
    annotator: str | None,
) -> tuple[int, str] | None:
    if paragraph_id is not None:
        # the rest of this paragraph first: its lowest unfinished layer other than this one
        rest = [
            name for name in open_layers(store, paragraph_id, layers, annotator) if name != layer
        ]
        if rest:
            return paragraph_id, rest[0]
    found = _first_unfinished_after(store, layers, paragraph_id, annotator)
    if found is None and paragraph_id is not None:
        found = _first_unfinished_after(store, layers, None, annotator)
    if found is None:
        return None
    remaining = open_layers(store, found, layers, annotator)
    return (found, remaining[0]) if remaining else None


def _first_unfinished_after(
    store: Store, layers: Sequence[str], paragraph_id: int | None, annotator: str | None
) -> int | None:
    """The first paragraph after ``paragraph_id`` (or from the start) with any layer
    unfinished: one seek per layer, and the earliest in reading order wins."""
    candidates = []
    for name in layers:
        unfinished = ParagraphFilter(layer=name, states=OPEN_STATES, annotator=annotator)
        found = queries.neighbour(store, paragraph_id, 1, unfinished)
        if found is not None:
            row = queries.row_of(store, found)
            if row is not None:
                candidates.append(((row.document_id, row.position), found))
    return min(candidates)[1] if candidates else None
