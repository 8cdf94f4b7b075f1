"""Shared fixtures: real SQLite files in tmp_path, a real PostgreSQL server, real plugins, real
schemas.

Store tests run on both backends through ``db_url`` (and the ``store`` fixture built on it): a
SQLite file in ``tmp_path``, and a fresh database on the PostgreSQL server whose admin URL is in
``LAYERKIT_TEST_POSTGRES_URL`` (``bash tools/with_postgres.sh make test`` starts a throwaway
server and sets it; ``.ci/run`` does). Without that variable the PostgreSQL variants skip, saying
why; under CI (``CI=true``) they fail instead, so CI can never pass without a server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


POSTGRES_ENV = "LAYERKIT_TEST_POSTGRES_URL"
BACKENDS = ("sqlite", "postgres")


def semantic_span(
    store: Store, paragraph_id: int, label: str = "AGENT", annotator: str = "anna", **kw: Any
):
    """A span of the semantic layer's ``frame`` field (over the first word unless ``start`` and
    ``end`` say otherwise), made through the store as the annotator makes one."""
    return store.create_annotation(
        paragraph_id=paragraph_id,
        layer="semantic",
        kind="span",
        field="frame",
        start=kw.pop("start", 0),
        end=kw.pop("end", 4),
        label=label,
        annotator=annotator,
        **kw,
    )


def postgres_admin_url() -> str:
    """The test server's admin URL; skips (fails under CI) when there is none."""
    url = os.environ.get(POSTGRES_ENV, "")
    if url:
        return url
    reason = (
        f"no PostgreSQL server: {POSTGRES_ENV} is not set "
        "(run `bash tools/with_postgres.sh make test` to start a throwaway one)"
    )
    if os.environ.get("CI"):
        pytest.fail(reason + "; CI must test PostgreSQL")
    pytest.skip(reason)


def _admin_execute(admin_url: str, statement: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(
        _psycopg(admin_url), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def _psycopg(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A new, empty database on the test server (dropped afterwards): its URL."""
    admin = postgres_admin_url()
    name = "lk_" + uuid.uuid4().hex[:16]
    _admin_execute(admin, f'CREATE DATABASE "{name}"')
    base, _, _ = admin.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        _admin_execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """Where a test's store lives: a SQLite file path, or a PostgreSQL URL (a new database)."""
    if backend == "sqlite":
        return str(tmp_path / "store.db")
    return str(request.getfixturevalue("postgres_database"))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A SQLite file, for tests of what only SQLite has (files, WAL, the file header)."""
    return tmp_path / "store.db"


@pytest.fixture
def store(db_url: str):
    with Store.open(db_url, layer_order=LAYERS) as s:
        yield s


@pytest.fixture
def paragraph_id(store: Store) -> int:
    with store.bulk() as writer:
        writer.add_document(make_document("doc", "Мама мыла раму.", "Папа читал газету."))
    first = next(store.iter_paragraphs())
    assert first.id is not None
    return first.id


async def type_in_the_first_tokens_editor(app: Any, pilot: Any, lemma: str, upos: str) -> None:
    """The annotator's lexical layer (key 1), the first token's editor (enter), ``lemma`` and
    ``upos`` typed into it, not saved yet."""
    from textual.widgets import Input

    from layerkit.tui.screens.token import TokenEditor

    await pilot.press("1", "enter")
    await pilot.pause()
    assert isinstance(app.screen, TokenEditor), app.screen
    app.screen.query_one("#token-lemma", Input).value = lemma
    app.screen.query_one("#token-upos", Input).value = upos


def the_token_editor_holds(app: Any, lemma: str, upos: str) -> None:
    """The screen is the token editor, with ``lemma`` and ``upos`` as typed."""
    from textual.widgets import Input

    from layerkit.tui.screens.token import TokenEditor

    assert isinstance(app.screen, TokenEditor), app.screen
    assert app.screen.query_one("#token-lemma", Input).value == lemma
    assert app.screen.query_one("#token-upos", Input).value == upos
