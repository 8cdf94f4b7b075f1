"""Text search of paragraphs, for the navigator and :meth:`Store.search_paragraph_ids`: ids of
the paragraphs holding every word of a query, in reading order, one page at a time.

Every database searches one column, ``paragraphs.search_text``: the paragraph's words as
:func:`search_text` folds and splits them, in Python, when the paragraph is imported
(``" мама мыла раму "``). Text and query are folded and split by the same Python code, and no
database's own case folding or word splitting decides anything, so SQLite and PostgreSQL find
the same paragraphs by construction. (They did not while each database folded: SQLite's
``LIKE`` and ``lower()`` fold ASCII only, and PostgreSQL's ``ILIKE`` folds Cyrillic only under
some server locales, so there ``замок`` missed ``За́мок``.)

What matches (:func:`fold`, :func:`words_of`, :func:`query_phrases`):

* case is folded (``str.casefold``); ``ё`` is ``е``; stress marks and all other combining marks
  are dropped, so ``слово`` finds ``сло́во``; ``й`` stays ``й`` (a letter of its own, not ``и``
  with a mark); soft hyphens and other invisible format characters are dropped, so ``пример``
  finds ``при\\u00adмер``;
* a word is a maximal run of letters and digits (``str.isalnum``); everything else separates
  words, in the text and in a query alike: ``что-то`` is the phrase "что то", ``мама*`` is
  ``мама``, and a query of punctuation only finds nothing;
* every whitespace-separated word of the query must occur, in any order; all but the last must
  be whole words; the last may be the beginning of a word (``мама мыл`` finds ``мыла``), as it
  is often still being typed.

How each database answers:

* SQLite: an FTS5 index over ``search_text`` (``m005_search_text``; triggers on
  ``paragraphs`` keep it up to date), queried with quoted phrases, the last one a prefix
  (``"что то" "мыл"*``). At 100k paragraphs a page of a rare word's hits takes half a
  millisecond, of a word in most paragraphs about 100 ms (``bench/search_latency.py``). Its
  tokenizer is ``ascii``, which splits the column exactly where :func:`search_text` put
  spaces (every non-ASCII character is part of a word to it; only ASCII letters and digits
  are, besides) and folds nothing that is not folded already, so the index holds
  :func:`words_of`'s words whatever Unicode tables the SQLite library was built with.
* PostgreSQL: ``LIKE`` on ``search_text``, where single spaces mark the words' edges:
  ``'% мама %'`` is the whole word, ``'% мыл%'`` a word's beginning, ``'% что то %'`` the
  phrase, exactly what FTS5 matches. A ``pg_trgm`` GIN index serves these patterns; where the
  server refuses the extension the same query reads every paragraph (see ``m005_search_text``).
* an SQLite built without FTS5: the same ``LIKE`` conditions, reading every paragraph.

What a user types is never query syntax: only words that :func:`words_of` found reach the
database, and they are letters and digits only, so they can be neither FTS5 operators
(``NEAR`` is quoted, searched as a word) nor ``LIKE`` wildcards (``%``, ``_``).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

import sqlalchemy as sa

from layerkit.errors import StoreError
from layerkit.store.imports import visible_paragraphs
from layerkit.store.migrations import FTS_TABLE
from layerkit.store.models import Paragraph

paragraphs_t: sa.Table = Paragraph.__table__  # type: ignore[attr-defined]

_fts_t = sa.table(FTS_TABLE, sa.column("rowid"))
# The breve of ``й`` (and ``ў``): part of a letter, unlike a stress mark, so it is kept.
_BREVE = "\u0306"
# ``str.isalnum`` runs: ``\w`` is ``isalnum`` plus ``_`` (a test checks every code point).
_WORD = re.compile(r"[^\W_]+")


def _dropped(ch: str) -> bool:
    """Combining marks (stress marks, the diaeresis of ``ё``) and invisible format characters
    (soft hyphen, zero-width joiners): a reader does not see them split or change a word."""
    category = unicodedata.category(ch)
    return (category[0] == "M" and ch != _BREVE) or category == "Cf"


def _fold_char(ch: str) -> str:
    """One character as :func:`fold` writes it: a mark or format character goes, a letter
    with marks becomes the letter without them (``ё`` → ``е``, ``ѝ`` → ``и``), keeping a breve
    (``й`` stays)."""
    if _dropped(ch) or ch == _BREVE:
        return ""
    kept = "".join(c for c in unicodedata.normalize("NFD", ch) if not _dropped(c))
    return unicodedata.normalize("NFC", kept)


class _FoldedChars(dict[str, str]):
    """:func:`_fold_char` of each character met so far (computed on first sight)."""

    def __missing__(self, ch: str) -> str:
        folded = self[ch] = _fold_char(ch)
        return folded


_FOLDED = _FoldedChars()


@functools.cache
def _chars_to_fold() -> re.Pattern[str]:
    """A pattern matching each character :func:`_fold_char` changes, so that all others (nearly
    all of a text) are copied by the regex engine in C rather than looked at in Python.

    The basic plane is listed character by character (one table lookup per character); above it
    (emoji, mostly) every character matches and :data:`_FOLDED` decides, since a pattern
    listing those few marks tests each character against every range, ten times slower. The
    breve is left out: ``NFC`` composes it into ``й`` afterwards. Built on first use (50 ms),
    so that importing the store costs nothing.
    """
    changed = [
        chr(cp)
        for cp in range(0x10000)
        if not 0xD800 <= cp < 0xE000 and cp != ord(_BREVE) and _fold_char(chr(cp)) != chr(cp)
    ]
    return re.compile("[" + "".join(re.escape(ch) for ch in changed) + "\U00010000-\U0010ffff]")


def _fold_match(match: re.Match[str]) -> str:
    return _FOLDED[match.group()]


def fold(text: str) -> str:
    """Text as search compares it: case folded, combining marks (stress marks, the diaeresis of
    ``ё``) and format characters (soft hyphens) dropped, ``й`` kept, NFC.

    Case is folded first, as it may write a mark (``İ`` → ``i`` + dot above); marks go before
    ``NFC``, so that ``NFC`` only has a breve to compose (``и`` + breve → ``й``) and is cheap
    for text without marks; a breve with no letter to compose with goes last.
    """
    folded = _chars_to_fold().sub(_fold_match, text.casefold())
    return unicodedata.normalize("NFC", folded).replace(_BREVE, "")


def words_of(text: str) -> list[str]:
    """The words of a text as search sees them: the runs of letters and digits of its
    :func:`fold`. The same function splits paragraphs and queries, so both agree on what a
    word is, whatever the punctuation (``что-то``, ``x_y``, ``50%``, emoji between words)."""
    return _WORD.findall(fold(text))


def search_text(text: str) -> str:
    """What ``paragraphs.search_text`` holds for a paragraph of ``text``: its words, each with a
    space before it, and one space at the end (``" мама мыла раму "``; ``" "`` for none).

    The spaces make a word's edges visible to ``LIKE`` (``'% мама %'``), and are exactly where
    FTS5's ``ascii`` tokenizer splits. Stored, not computed in SQL, because no database folds
    text the way :func:`fold` does. Changing what this returns needs a migration that writes
    the column again for every paragraph: rows written before would silently miss searches.
    """
    return "".join(" " + word for word in words_of(text)) + " "


def query_phrases(query: str) -> list[list[str]]:
    """A query as what must occur: one phrase per whitespace-separated piece, the words of
    that piece (``что-то`` → ``["что", "то"]``); pieces without a letter or digit (a lone
    ``(`` or ``-``, ``*``) are dropped."""
    return [phrase for piece in query.split() if (phrase := words_of(piece))]


def fts_query(phrases: list[list[str]]) -> str:
    """An FTS5 MATCH expression for ``phrases``: quoted phrases (all must occur), the last one
    a prefix. Words are letters and digits only, so quoting leaves nothing to interpret; inner
    quotes are doubled all the same."""
    quoted = ['"' + " ".join(phrase).replace('"', '""') + '"' for phrase in phrases]
    quoted[-1] += "*"
    return " ".join(quoted)


def like_patterns(phrases: list[list[str]]) -> list[str]:
    """One ``LIKE`` pattern on ``search_text`` per phrase, matching what :func:`fts_query`
    matches: ``'% что то %'`` (whole words) and, for the last, ``'% мыл%'`` (a beginning)."""
    patterns = ["% " + escape_like(" ".join(phrase)) + " %" for phrase in phrases]
    patterns[-1] = patterns[-1].removesuffix(" %") + "%"
    return patterns


def escape_like(text: str) -> str:
    """``text`` literal in a ``LIKE ... ESCAPE '\\'`` pattern. Words never hold ``%``, ``_`` or
    ``\\`` (they are letters and digits), so this only guards against that ever changing."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def has_index(conn: sa.Connection) -> bool:
    """Whether this database has the FTS5 index (SQLite with FTS5 when it was migrated)."""
    if conn.dialect.name != "sqlite":
        return False
    found = conn.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (FTS_TABLE,)
    )
    return found.first() is not None


def conditions(conn: sa.Connection, query: str) -> list[Any]:
    """WHERE conditions on ``paragraphs`` that keep the paragraphs matching ``query``: the FTS5
    index where there is one, ``LIKE`` on ``search_text`` elsewhere. A query without words
    keeps nothing."""
    phrases = query_phrases(query)
    if not phrases:
        return [sa.false()]
    if has_index(conn):
        match = sa.select(_fts_t.c.rowid).where(
            sa.literal_column(FTS_TABLE).op("MATCH")(fts_query(phrases))
        )
        return [paragraphs_t.c.id.in_(match)]
    return [paragraphs_t.c.search_text.like(p, escape="\\") for p in like_patterns(phrases)]


def paragraph_ids(
    conn: sa.Connection, query: str, *, limit: int, after_id: int | None = None
) -> list[int]:
    """Up to ``limit`` ids of matching paragraphs in reading order, after ``after_id`` if given.

    Keyset paging on ``(document_id, position)``: the next page starts right after the last id
    of the previous one, without counting the rows before it.
    """
    if not query_phrases(query) or limit <= 0:
        return []
    order = (paragraphs_t.c.document_id, paragraphs_t.c.position)
    # Never a paragraph of an import still running (see ``imports.py``).
    select = sa.select(paragraphs_t.c.id).where(visible_paragraphs())
    if after_id is not None:
        key = conn.execute(sa.select(*order).where(paragraphs_t.c.id == after_id)).first()
        if key is None:
            raise StoreError(
                f"there is no paragraph {after_id} to continue the search after.",
                hint="Start the search again from the first page.",
            )
        select = select.where(sa.tuple_(*order) > sa.tuple_(key.document_id, key.position))
    for condition in conditions(conn, query):
        select = select.where(condition)
    return [int(i) for i in conn.execute(select.order_by(*order).limit(limit)).scalars()]


def count(conn: sa.Connection, query: str) -> int:
    """How many paragraphs match ``query`` in all."""
    if not query_phrases(query):
        return 0
    select = sa.select(sa.func.count()).select_from(paragraphs_t).where(visible_paragraphs())
    for condition in conditions(conn, query):
        select = select.where(condition)
    return int(conn.execute(select).scalar_one())
