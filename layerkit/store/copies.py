"""Private copies of a layer, for independent (double) annotation.

When a paragraph's layer is assigned to several annotators (``layerkit assign``), each of them
annotates it on a copy of their own, blind to the others' until every assigned copy is done;
then the copies are compared (``layerkit agreement``) and adjudicated into the shared layer,
which stays the gold that exports read.

A copy is stored as a layer of its own: anna's copy of ``semantic`` is the layer key
``semantic@anna`` of the same paragraph. Why a key rather than a column: every guarantee the
store gives a layer (committed edits with versions, the event log with undo and redo, conflict
checks, stale marking, statuses, the JSONL round trip) then holds for copies through the same
code, with no second path to get wrong; and readers of the gold already name the layers they
read, so a copy can never reach a curriculum by accident. Layer names are schema file stems
(letters, digits, ``_`` and ``-``), so ``@`` cannot be part of one.
"""

from __future__ import annotations

from collections.abc import Iterable

SEPARATOR = "@"


def copy_key(layer: str, annotator: str) -> str:
    """The layer key of ``annotator``'s copy of ``layer``."""
    return f"{layer}{SEPARATOR}{annotator}"


def split_key(key: str) -> tuple[str, str | None]:
    """``(layer, annotator)`` of a copy's key; ``(layer, None)`` for a shared layer."""
    layer, separator, annotator = key.partition(SEPARATOR)
    return (layer, annotator) if separator else (key, None)


def is_copy(key: str) -> bool:
    return SEPARATOR in key


def base_layer(key: str) -> str:
    return split_key(key)[0]


def shared_only(keys: Iterable[str]) -> list[str]:
    """The keys that name shared layers (copies left out)."""
    return [key for key in keys if SEPARATOR not in key]
