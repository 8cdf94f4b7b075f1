"""Text search of paragraphs, for the navigator: ids of the paragraphs holding every word of a
query, in reading order, one page at a time.

On SQLite an FTS5 index answers (created by migration 2, kept up to date by triggers on
``paragraphs``, so imports through any code path fill it): a search costs milliseconds at 100k
paragraphs, where scanning the text would read all of it. Its tokenizer (``unicode61
remove_diacritics 2``) folds case and removes stress marks, so ``слово`` finds ``сло́во``; it
keeps ``ё`` a letter of its own, so the index is fed text with ``ё`` written ``е`` and queries
are folded the same way here. ``й`` stays ``й``: NFC text keeps it one letter, not ``и`` with a
mark.

What a user types is never FTS5 syntax. Each whitespace-separated word becomes a quoted FTS5
phrase (inner quotes doubled), so ``"(AND`` or ``NEAR`` are searched as words and can never
raise a syntax error; a word with punctuation inside (``что-то``) is the phrase of its parts,
as the tokenizer splits the text. All words must occur (in any order); the last one may be the
beginning of a word (``мыл`` finds ``мыла``), since it is often still being typed.

Elsewhere (PostgreSQL, or an SQLite built without FTS5) each word must occur as a substring of
the folded text: ``ILIKE`` on PostgreSQL, a registered Python function on SQLite. Slower and a
little more permissive (``мыл`` also finds ``намылил``), but the same for every query above.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import sqlalchemy as sa

from layerkit.errors import StoreError
from layerkit.store.migrations import FTS_TABLE
from layerkit.store.models import Paragraph

paragraphs_t: sa.Table = Paragraph.__table__  # type: ignore[attr-defined]

FOLD_FUNCTION = "layerkit_fold"
_STRESS_MARKS = str.maketrans("", "", "\u0301\u0300")
_fts_t = sa.table(FTS_TABLE, sa.column("rowid"))


def fold(text: str) -> str:
    """Text as a substring search compares it: no stress marks, ``ё`` as ``е``, case folded."""
    return text.translate(_STRESS_MARKS).casefold().replace("ё", "е")


def query_words(query: str) -> list[str]:
    """The words of a query, NFC (as stored text is): whitespace-separated pieces holding at
    least one letter or digit (a lone ``(`` or ``-`` matches nothing, so it is dropped)."""
    text = unicodedata.normalize("NFC", query)
    return [w for w in text.split() if any(ch.isalnum() for ch in w)]


def fts_query(words: list[str]) -> str:
    """An FTS5 MATCH expression that finds ``words`` literally: quoted phrases, last a prefix."""
    phrases = ['"' + w.replace("ё", "е").replace("Ё", "Е").replace('"', '""') + '"' for w in words]
    phrases[-1] += "*"
    return " ".join(phrases)


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def register_fold(conn: sa.Connection) -> None:
    """Make ``layerkit_fold()`` callable on this pooled SQLite connection (cheap; idempotent)."""
    raw = conn.connection.driver_connection
    assert raw is not None
    raw.create_function(FOLD_FUNCTION, 1, _fold_or_none, deterministic=True)


def _fold_or_none(text: str | None) -> str | None:
    return None if text is None else fold(text)


def has_index(conn: sa.Connection) -> bool:
    """Whether this database has the FTS5 index (SQLite with FTS5 when it was migrated)."""
    if conn.dialect.name != "sqlite":
        return False
    found = conn.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (FTS_TABLE,)
    )
    return found.first() is not None


def conditions(conn: sa.Connection, words: list[str]) -> list[Any]:
    """WHERE conditions on ``paragraphs`` that keep the paragraphs holding every word."""
    if has_index(conn):
        match = sa.select(_fts_t.c.rowid).where(
            sa.literal_column(FTS_TABLE).op("MATCH")(fts_query(words))
        )
        return [paragraphs_t.c.id.in_(match)]
    return [_substring(conn, word) for word in words]


def _substring(conn: sa.Connection, word: str) -> Any:
    if conn.dialect.name == "sqlite":
        register_fold(conn)
    return substring_condition(word, dialect=conn.dialect.name)


def substring_condition(word: str, *, dialect: str) -> Any:
    """``word`` occurs in the folded paragraph text, without an index. On SQLite the text is
    folded by ``layerkit_fold()`` (see :func:`register_fold`; SQLite's own ``LIKE`` and
    ``lower()`` fold ASCII only); elsewhere by ``replace`` and ``ILIKE``."""
    pattern = "%" + escape_like(fold(word)) + "%"
    if dialect == "sqlite":
        folded = getattr(sa.func, FOLD_FUNCTION)(paragraphs_t.c.text)
        return folded.like(pattern, escape="\\")
    text: Any = paragraphs_t.c.text
    for mark in ("\u0301", "\u0300"):
        text = sa.func.replace(text, mark, "")
    text = sa.func.replace(sa.func.replace(text, "ё", "е"), "Ё", "Е")
    return text.ilike(pattern, escape="\\")


def paragraph_ids(
    conn: sa.Connection, query: str, *, limit: int, after_id: int | None = None
) -> list[int]:
    """Up to ``limit`` ids of matching paragraphs in reading order, after ``after_id`` if given.

    Keyset paging on ``(document_id, position)``: the next page starts right after the last id
    of the previous one, without counting the rows before it.
    """
    words = query_words(query)
    if not words or limit <= 0:
        return []
    order = (paragraphs_t.c.document_id, paragraphs_t.c.position)
    select = sa.select(paragraphs_t.c.id)
    if after_id is not None:
        key = conn.execute(sa.select(*order).where(paragraphs_t.c.id == after_id)).first()
        if key is None:
            raise StoreError(
                f"there is no paragraph {after_id} to continue the search after.",
                hint="Start the search again from the first page.",
            )
        select = select.where(sa.tuple_(*order) > sa.tuple_(key.document_id, key.position))
    for condition in conditions(conn, words):
        select = select.where(condition)
    return [int(i) for i in conn.execute(select.order_by(*order).limit(limit)).scalars()]


def count(conn: sa.Connection, query: str) -> int:
    """How many paragraphs match ``query`` in all."""
    words = query_words(query)
    if not words:
        return 0
    select = sa.select(sa.func.count()).select_from(paragraphs_t)
    for condition in conditions(conn, words):
        select = select.where(condition)
    return int(conn.execute(select).scalar_one())
