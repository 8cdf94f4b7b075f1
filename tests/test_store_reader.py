"""``StoreReader``, the read-only store plugins get: what its filters find."""

from __future__ import annotations

import pytest
from conftest import make_document

from layerkit.plugin import ExportError, StoreReader
from layerkit.store import Store


def _three_paragraphs(store: Store) -> list[int]:
    with store.bulk() as writer:
        writer.add_document(make_document("doc", "Первый абзац.", "Второй абзац.", "Третий."))
    return [p.id for p in store.iter_paragraphs()]


def test_todo_finds_the_paragraphs_nobody_has_touched(store: Store) -> None:
    """A layer nobody has touched has no status row and is todo (layer_states counts it so):
    asking for todo paragraphs finds it, as well as one set back to todo explicitly."""
    first, second, third = _three_paragraphs(store)
    store.set_status(first, "semantic", "done", annotator="anna")
    store.set_status(second, "semantic", "in_progress", annotator="anna")
    store.set_status(second, "semantic", "todo", annotator="anna")  # a row saying todo
    reader = StoreReader(store)
    assert reader.layer_states()["semantic"]["todo"] == 2

    def ids(**filters: object) -> list[int]:
        return [p.id for p in reader.paragraphs(**filters)]  # type: ignore[arg-type]

    assert ids(ready=["semantic"], states=("todo",)) == [second, third]
    assert ids(ready=["semantic"], states=("done",)) == [first]
    assert ids(ready=["semantic"], states=("todo", "done")) == [first, second, third]
    # one of several layers: the lexical layer is untouched everywhere, so todo everywhere
    assert ids(ready=["semantic", "lexical"], states=("todo",)) == [first, second, third]
    assert ids(ready=["semantic", "lexical"], states=("done",)) == [first]
    # a single name as a string is that name, not its letters
    assert ids(ready="semantic", states="todo") == [second, third]
    with pytest.raises(ExportError):
        reader.paragraph(max(first, second, third) + 100)
