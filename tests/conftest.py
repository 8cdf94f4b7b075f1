"""Shared fixtures: real SQLite files in tmp_path, real plugins, real schemas."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from layerkit.store import NewDocument, NewParagraph, Store

os.environ.setdefault("HF_HUB_OFFLINE", "1")

LAYERS = ("lexical", "semantic", "logical", "epistemic", "pragmatic")
REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def whitespace_tokens(text: str) -> list[list[int]]:
    """``[start, end]`` of every whitespace-separated word: tokens for test paragraphs."""
    words, start = [], None
    for i, ch in enumerate(text + " "):
        if ch.isspace():
            if start is not None:
                words.append([start, i])
                start = None
        elif start is None:
            start = i
    return words


def make_document(name: str, *texts: str) -> NewDocument:
    paragraphs = []
    for text in texts:
        paragraphs.append(
            NewParagraph(
                text=text,
                sentences=[[0, len(text)]],
                tokens=whitespace_tokens(text),
                flags=[],
                meta={},
                annotations=[],
                status={},
            )
        )
    return NewDocument(
        name=name, source=f"{name}.txt", format="text", meta={}, paragraphs=paragraphs
    )


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


@pytest.fixture
def store(db_path: Path):
    with Store.open(db_path, layer_order=LAYERS) as s:
        yield s


@pytest.fixture
def paragraph_id(store: Store) -> int:
    with store.bulk() as writer:
        writer.add_document(make_document("doc", "Мама мыла раму.", "Папа читал газету."))
    first = next(store.iter_paragraphs())
    assert first.id is not None
    return first.id
