"""Text search of paragraphs: the same answers on SQLite (FTS5, or LIKE without it) and
PostgreSQL (LIKE, trigram index): Cyrillic case, stress marks, ё, soft hyphens, whole words but
a last prefix, punctuation, paging, upgrading older stores.

Every test taking ``store`` or ``db_url`` runs on both databases (see conftest.py).
"""

from __future__ import annotations

import random
import re
import sqlite3
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from conftest import LAYERS, make_document
from sqlmodel import SQLModel

from layerkit.errors import StoreError
from layerkit.store import Store, search
from layerkit.store.engine import create_engine, database_url
from layerkit.store.migrations import (
    MIGRATIONS,
    SEARCH_TRIGRAM_INDEX,
    is_modelled_index,
    is_modelled_table,
    migrate,
)

TEXTS = {
    "stress": "Сло\u0301во за\u0301мок стоит на горе́.",
    "yo": "Ёлка в лесу, и ещё одна ель.",
    "plain_e": "Елка стояла без игрушек.",
    "wash": "Мама мыла раму.",
    "syntax": 'Он сказал: "(AND) NEAR OR NOT" — и ушёл.',
    "hyphen": "Кто-то что-то сказал; x_y и 50%.",
    "my": "Мой дом на углу.",
    "mine_pl": "Мои дома на углу.",
    "castle": "Старый ЗА\u0301МОК на холме.",
    "soft": "Вот при\u00adмер пере\u00adноса.",
    "emoji": "Кот😀пёс 🐈\u200d⬛спят👍🏽.",
}


@pytest.fixture
def ids(store: Store) -> dict[str, int]:
    return _add_texts(store)


def _add_texts(store: Store) -> dict[str, int]:
    """:data:`TEXTS` in two documents; their paragraphs' ids by key."""
    with store.bulk() as writer:
        writer.add_document(make_document("one", *list(TEXTS.values())[:4]))
        writer.add_document(make_document("two", *list(TEXTS.values())[4:]))
    by_text = {p.text: p.id for p in store.iter_paragraphs()}
    return {key: by_text[text] for key, text in TEXTS.items()}


def _find(store: Store, query: str) -> list[int]:
    return store.search_paragraph_ids(query, limit=100)


def _integrity_check(store: Store) -> None:
    """FTS5 compares its index with the content; raises if they drifted apart. (PostgreSQL's
    trigram index is the server's own, nothing to check.)"""
    if store.engine.dialect.name != "sqlite":
        return
    with store.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO paragraphs_fts(paragraphs_fts, rank) VALUES ('integrity-check', 1)"
        )


def test_cyrillic_is_found_regardless_of_case(store: Store, ids: dict[str, int]) -> None:
    assert _find(store, "мама") == [ids["wash"]]
    assert _find(store, "МАМА РАМУ") == [ids["wash"]]
    assert _find(store, "раму мама") == [ids["wash"]]  # any order
    assert _find(store, "мама лесу") == []  # every word must occur
    assert store.count_search_hits("мама") == 1


def test_capitals_and_stress_marks_fold_on_every_database(
    store: Store, ids: dict[str, int]
) -> None:
    """The reported bug: on PostgreSQL ``замок`` found nothing beside «Старый ЗА́МОК»."""
    castles = [ids["stress"], ids["castle"]]
    for query in ["замок", "ЗАМОК", "Замок", "за\u0301мок", "ЗА\u0301МОК", "зам"]:
        assert _find(store, query) == castles, query
    assert _find(store, "старый замок") == [ids["castle"]]
    assert store.count_search_hits("замок") == 2


def test_soft_hyphens_do_not_split_words(store: Store, ids: dict[str, int]) -> None:
    assert _find(store, "пример") == [ids["soft"]]
    assert _find(store, "перенос") == [ids["soft"]]
    assert _find(store, "пример переноса") == [ids["soft"]]
    assert _find(store, "при\u00adмер") == [ids["soft"]]  # one in the query, too
    assert _find(store, "мер") == []  # not "при" and "мер"
    assert _find(store, "при мер") == []


def test_emoji_between_words_separate_them(store: Store, ids: dict[str, int]) -> None:
    assert search.search_text(TEXTS["emoji"]) == " кот пес спят "
    assert _find(store, "кот") == [ids["emoji"]]
    assert _find(store, "пес спят кот") == [ids["emoji"]]
    assert _find(store, "кот😀пёс") == [ids["emoji"]]  # the phrase "кот пес"
    assert _find(store, "спят👍🏽") == [ids["emoji"]]
    assert _find(store, "пес кот") == [ids["emoji"]]
    assert _find(store, "пёс-кот") == []  # not in that order
    for query in ["😀", "🐈\u200d⬛", "👍🏽"]:
        assert _find(store, query) == [], query


def test_stress_marks_are_ignored_both_ways(store: Store, ids: dict[str, int]) -> None:
    assert _find(store, "слово") == [ids["stress"]]
    assert _find(store, "замок горе") == [ids["stress"]]
    assert _find(store, "ма\u0301ма") == [ids["wash"]]  # a stress mark in the query
    assert _find(store, "сло\u0301во") == [ids["stress"]]


def test_yo_and_ye_find_each_other(store: Store, ids: dict[str, int]) -> None:
    both = sorted([ids["yo"], ids["plain_e"]])
    assert sorted(_find(store, "елка")) == both
    assert sorted(_find(store, "ёлка")) == both
    assert sorted(_find(store, "ЁЛКА")) == both
    assert _find(store, "еще") == [ids["yo"]]
    assert _find(store, "ушел") == [ids["syntax"]]


def test_short_i_stays_its_own_letter(store: Store, ids: dict[str, int]) -> None:
    assert _find(store, "мой дом") == [ids["my"]]
    assert _find(store, "мои дома") == [ids["mine_pl"]]
    # a decomposed й (и + breve) in the query is composed first, as stored text is
    assert _find(store, "мои\u0306 дом") == [ids["my"]]


def test_last_word_is_a_prefix(store: Store, ids: dict[str, int]) -> None:
    assert _find(store, "мыл") == [ids["wash"]]
    assert _find(store, "мама мыл") == [ids["wash"]]
    assert _find(store, "мыл мама") == []  # only the last word may be unfinished
    assert _find(store, "мыл раму мама") == []
    assert _find(store, "мама мыла") == [ids["wash"]]
    assert _find(store, "стоя") == [ids["plain_e"]]
    assert _find(store, "ыла") == []  # the inside of a word is not its beginning
    assert _find(store, "ама") == []


def test_query_syntax_characters_are_plain_text(store: Store, ids: dict[str, int]) -> None:
    for query in ['"(AND', "AND", "near", "OR", "NOT", '"', "(", ")", "*", "^", "-", ":", "+"]:
        found = _find(store, query)  # never an FTS5 syntax error
        expected = [ids["syntax"]] if any(ch.isalpha() for ch in query) else []
        assert found == expected, query
    assert _find(store, 'сказал: "(AND') == [ids["syntax"]]
    assert _find(store, "text:мама") == []  # not a column filter: "text" is not in the text
    assert _find(store, "мама*") == [ids["wash"]]  # "*" is punctuation: the word мама
    assert _find(store, "мам*") == [ids["wash"]]
    assert _find(store, "мама* раму") == [ids["wash"]]
    assert _find(store, "NEAR(мама раму)") == []
    assert store.count_search_hits('"(AND') == 1


def test_punctuation_inside_words(store: Store, ids: dict[str, int]) -> None:
    assert _find(store, "что-то") == [ids["hyphen"]]
    assert _find(store, "кто-то что") == [ids["hyphen"]]
    assert _find(store, "x_y") == [ids["hyphen"]]
    assert _find(store, "50%") == [ids["hyphen"]]
    assert _find(store, "что то") == [ids["hyphen"]]  # two words, any order
    assert _find(store, "то-что") == [ids["hyphen"]]  # "кто-то что-то" holds "то что"
    assert _find(store, "кто-что") == []  # a phrase: its words next to each other
    assert _find(store, "что-то-кто") == []


def test_like_wildcards_are_literal(store: Store, ids: dict[str, int]) -> None:
    """``%`` and ``_`` are punctuation like any other: they never reach LIKE as wildcards."""
    for query in ["%", "_", "%%", "\\", "%_%", "\\%"]:
        assert _find(store, query) == [], query
        assert store.count_search_hits(query) == 0
    assert _find(store, "ма_а") == []  # the words "ма" and "а", not "мама"
    assert _find(store, "ма%у") == []
    assert _find(store, "м%") == _find(store, "м")  # the beginning "м"
    assert _find(store, "x_y") == [ids["hyphen"]]  # the words x, y, as in "x_y" in the text


def test_empty_queries_find_nothing(store: Store, ids: dict[str, int]) -> None:
    for query in ["", "   ", "—", "(( ))", '""']:
        assert _find(store, query) == [], repr(query)
        assert store.count_search_hits(query) == 0
    assert store.search_paragraph_ids("мама", limit=0) == []


def test_paging_walks_all_hits_in_reading_order(store: Store) -> None:
    texts = [f"Абзац номер {i}: {'кот' if i % 3 else 'пёс'} сидит." for i in range(700)]
    with store.bulk() as writer:
        for d in range(7):
            writer.add_document(make_document(f"doc{d}", *texts[d * 100 : (d + 1) * 100]))
    expected = [p.id for p in store.iter_paragraphs() if "кот" in p.text]
    assert len(expected) == 466
    pages: list[list[int]] = []
    after = None
    while True:
        page = store.search_paragraph_ids("кот сидит", limit=100, after_id=after)
        if not page:
            break
        pages.append(page)
        after = page[-1]
    assert [len(p) for p in pages] == [100, 100, 100, 100, 66]
    assert [i for page in pages for i in page] == expected
    assert store.count_search_hits("кот сидит") == 466
    assert store.count_search_hits("пес") == 234
    # a page may start after any paragraph, matching or not
    non_matching = next(p.id for p in store.iter_paragraphs() if "пёс" in p.text)
    later = [i for i in expected if i > non_matching]
    assert store.search_paragraph_ids("кот", limit=5, after_id=non_matching) == later[:5]


def test_paging_after_an_unknown_paragraph_is_refused(store: Store, ids: dict[str, int]) -> None:
    with pytest.raises(StoreError, match="no paragraph 987654"):
        store.search_paragraph_ids("мама", limit=10, after_id=987654)


def test_import_fills_the_index_and_a_failed_import_leaves_none(store: Store) -> None:
    assert _find(store, "кошка") == []
    with store.bulk() as writer:
        writer.add_document(make_document("cats", "Кошка спит.", "Кот не спит."))
    assert len(_find(store, "кошка")) == 1
    with pytest.raises(RuntimeError), store.bulk() as writer:
        writer.add_document(make_document("dogs", "Собака лает."))
        raise RuntimeError("boom")
    assert _find(store, "собака") == []
    _integrity_check(store)


def test_deleting_a_document_removes_its_paragraphs_from_the_index(
    store: Store, ids: dict[str, int]
) -> None:
    with store.engine.begin() as conn:  # cascades to its paragraphs
        conn.execute(sa.text("DELETE FROM documents WHERE name = 'one'"))
    assert _find(store, "мама") == []
    assert _find(store, "углу") == [ids["my"], ids["mine_pl"]]
    _integrity_check(store)


# Queries of every kind above, for comparing one way of searching with another.
QUERIES = [
    "мама",
    "МАМА РАМУ",
    "раму мама",
    "мама лесу",
    "слово",
    "сло\u0301во",
    "замок горе",
    "замок",
    "ЗА\u0301МОК",
    "елка",
    "ЁЛКА",
    "еще",
    "ушел",
    "мой дом",
    "мои дома",
    "мои\u0306",
    "мыл",
    "мама мыл",
    "мыл мама",
    "ыла",
    "стоя",
    '"(AND',
    "near",
    "NEAR(мама раму)",
    "мама*",
    "text:мама",
    "что-то",
    "то-что",
    "кто-что",
    "x_y",
    "50%",
    "%",
    "_",
    "ма_а",
    "пример",
    "при\u00adмер",
    "мер",
    "кот😀пёс",
    "пёс-кот",
    "😀",
    "на углу",
    "на",
    "н",
    "",
]


def test_sqlite_without_the_index_finds_the_same(db_path: Path) -> None:
    """A store migrated by an SQLite without FTS5 has no index; search reads ``search_text``
    with LIKE instead, and finds exactly what the index found."""
    with Store.open(db_path, layer_order=LAYERS) as store:
        ids = _add_texts(store)
        with store.engine.connect() as conn:
            assert search.has_index(conn)
        with_index = {q: (_find(store, q), store.count_search_hits(q)) for q in QUERIES}
    con = sqlite3.connect(db_path)
    for name in ("paragraphs_fts_ai", "paragraphs_fts_ad", "paragraphs_fts_au"):
        con.execute(f"DROP TRIGGER {name}")
    con.execute("DROP TABLE paragraphs_fts")
    con.commit()
    con.close()
    with Store.open(db_path, layer_order=LAYERS) as store:
        with store.engine.connect() as conn:
            assert not search.has_index(conn)
        without = {q: (_find(store, q), store.count_search_hits(q)) for q in QUERIES}
        assert without == with_index
        assert without["замок"][0] == [ids["stress"], ids["castle"]]
        assert without["мыл мама"][0] == []  # words, not substrings
        with store.bulk() as writer:  # imports work without the triggers' table
            writer.add_document(make_document("more", "Ещё один абзац про кошку."))
        assert len(_find(store, "кошку")) == 1


def _reference(text: str, query: str) -> bool:
    """What a search means, in plain Python over :func:`search.words_of`: every phrase of the
    query occurs as consecutive words; the last word of the last phrase may be a beginning."""
    words = search.words_of(text)
    phrases = search.query_phrases(query)

    def occurs(phrase: list[str], prefix: bool) -> bool:
        n = len(phrase)
        for i in range(len(words) - n + 1):
            window = words[i : i + n]
            if window[:-1] == phrase[:-1] and (
                window[-1].startswith(phrase[-1]) if prefix else window[-1] == phrase[-1]
            ):
                return True
        return False

    return bool(phrases) and all(
        occurs(phrase, i == len(phrases) - 1) for i, phrase in enumerate(phrases)
    )


def _random_corpus(rng: random.Random) -> tuple[list[str], list[str]]:
    """Paragraphs and queries from a small vocabulary (so that queries hit), with the
    separators, marks and letter cases that text search must see through."""
    vocabulary = [
        *("мама", "мыла", "мыл", "раму", "Ёлка", "елки", "за\u0301мок", "ЗАМОК", "что", "то"),
        *("кто", "при\u00adмер", "50", "x", "ёж", "еж", "й", "и", "Ма", "а"),
    ]
    separators = [" ", " ", " ", "-", ", ", "😀", "_", "%", "\u00a0", " — ", "*"]
    texts = []
    for _ in range(150):
        n = rng.randint(1, 8)
        text = "".join(rng.choice(vocabulary) + rng.choice(separators) for _ in range(n))
        texts.append(text.strip())
    queries = []
    for _ in range(150):
        pieces = []
        for _ in range(rng.randint(1, 3)):
            piece = rng.choice(["-", "_", "%", ""]).join(
                rng.choice(vocabulary) for _ in range(rng.randint(1, 2))
            )
            if rng.random() < 0.3:
                piece = piece[: rng.randint(1, len(piece))]
            if rng.random() < 0.3:
                piece = piece.upper()
            pieces.append(piece + rng.choice(["", "", "*", "%", "_"]))
        queries.append(" ".join(pieces))
    return texts, queries


def test_random_queries_find_what_the_definition_says(store: Store, backend: str) -> None:
    """Both databases (and SQLite's LIKE path, which an SQLite without FTS5 takes) agree with
    :func:`_reference` on random paragraphs and queries."""
    texts, queries = _random_corpus(random.Random(7))
    with store.bulk() as writer:
        writer.add_document(make_document("random", *texts))
    paragraphs = list(store.iter_paragraphs())
    hits = 0
    for query in queries:
        expected = [p.id for p in paragraphs if _reference(p.text, query)]
        hits += len(expected)
        assert _find(store, query) == expected[:100], query
        assert store.count_search_hits(query) == len(expected), query
        phrases = search.query_phrases(query)
        if phrases:  # the LIKE conditions, on SQLite too (PostgreSQL uses nothing else)
            like = sa.select(search.paragraphs_t.c.id).order_by(search.paragraphs_t.c.id)
            for pattern in search.like_patterns(phrases):
                like = like.where(search.paragraphs_t.c.search_text.like(pattern, escape="\\"))
            with store.engine.connect() as conn:
                assert list(conn.execute(like).scalars()) == expected, query
    assert hits > 500  # the queries do find things: the comparison is not of empty lists


def test_folding_and_words() -> None:
    assert search.fold("За\u0301мок Ёж ЁЖ ё") == "замок еж еж е"
    assert search.fold("Мой МОЙ мои\u0306") == "мой мой мой"  # й stays, composed or not
    assert search.fold("ѝ ѐ и\u0300") == "и е и"  # letters with a grave stress mark
    assert search.fold("при\u00adмер ZWJ\u200dX") == "пример zwjx"
    assert search.fold("İSTANBUL Straße") == "istanbul strasse"
    assert search.words_of("Кто-то, x_y и 50%… «ёж»") == ["кто", "то", "x", "y", "и", "50", "еж"]
    assert search.search_text("Мама мыла раму.") == " мама мыла раму "
    assert search.search_text("— …") == " "
    assert search.query_phrases('мама "(AND ( — что-то*') == [["мама"], ["and"], ["что", "то"]]
    assert search.fts_query([["елка"], ["что", "то"]]) == '"елка" "что то"*'
    assert search.like_patterns([["что", "то"], ["мыл"]]) == ["% что то %", "% мыл%"]
    assert search.like_patterns([["мама"]]) == ["% мама%"]


def test_a_word_is_a_run_of_isalnum_characters() -> None:
    """The pattern that splits words agrees with ``str.isalnum`` on every code point."""
    word = re.compile(r"[^\W_]")
    differ = [
        hex(cp)
        for cp in range(sys.maxunicode + 1)
        if bool(word.match(chr(cp))) != chr(cp).isalnum()
    ]
    assert differ == []


def test_the_index_holds_exactly_the_words_python_found(db_path: Path) -> None:
    """FTS5 re-splits ``search_text``; with the ``ascii`` tokenizer it splits only at spaces
    and folds nothing, whatever its Unicode tables (``unicode61`` would fold ``ă`` and split
    ``ᦰ``, which ``str.isalnum`` calls a letter)."""
    text = "Ăbc ᦰᦱ ǅ ϐ ß ﬁ Ł ǆ 𝐀𝐁 Ⅻ ½ ²"
    with Store.open(db_path, layer_order=LAYERS) as store, store.engine.begin() as conn:
        with store.bulk() as writer:
            writer.add_document(make_document("letters", text))
        conn.exec_driver_sql(
            "CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, paragraphs_fts, row)"
        )
        terms = set(conn.exec_driver_sql("SELECT term FROM temp.vocab").scalars())
    assert terms == set(search.words_of(text))
    assert len(terms) == 11  # ǅ and ǆ are one word


SEARCH_VERSION = next(step.version for step in MIGRATIONS if step.name == "m005_search_text")
OLD_TEXTS = [
    "Старый ЗА\u0301МОК на холме.",
    "Вот при\u00adмер пере\u00adноса.",
    "Ёлка в лесу.",
    "Мама мыла раму.",
    *(f"Абзац номер {i}." for i in range(4100)),  # more than two batches of the backfill
]


def _store_before_search_text(db_url: str) -> dict[str, int]:
    """A database as layerkit left it just before the search column, its paragraphs written
    with that version's columns (by SQL: today's import code writes today's columns). Returns
    the paragraphs' ids by text."""
    engine = create_engine(database_url(db_url))
    json_columns = ("meta", "sentences", "tokens", "flags")
    old = {
        name: sa.table(name, *(sa.column(c, sa.JSON if c in json_columns else None) for c in cols))
        for name, cols in [
            ("documents", ("id", "name", "source", "format", "sha256", "meta", "created_at")),
            ("paragraphs", ("id", "document_id", "position", "text", "sha256", *json_columns)),
        ]
    }
    try:
        applied = migrate(engine, url_for_messages=db_url, target=SEARCH_VERSION - 1)
        assert applied[-1] == SEARCH_VERSION - 1
        with engine.begin() as conn:
            document = conn.execute(
                old["documents"]
                .insert()
                .values(name="old", source="old.txt", format="text", sha256="0", meta={})
                .values(created_at=datetime.now(UTC))
                .returning(old["documents"].c.id)
            ).scalar_one()
            rows = [
                {"document_id": document, "position": i, "text": text, "sha256": str(i)}
                | {"sentences": [], "tokens": [], "flags": [], "meta": {}}
                for i, text in enumerate(OLD_TEXTS)
            ]
            conn.execute(old["paragraphs"].insert(), rows)
            found = conn.execute(sa.select(old["paragraphs"].c.text, old["paragraphs"].c.id))
            return {text: int(i) for text, i in found}
    finally:
        engine.dispose()


def test_an_older_store_upgrades_to_the_search_column(db_url: str, backend: str) -> None:
    ids = _store_before_search_text(db_url)
    with Store.open(db_url, layer_order=LAYERS) as store:
        with store.engine.connect() as conn:
            versions = conn.execute(sa.text("SELECT version FROM layerkit_migrations")).scalars()
            assert SEARCH_VERSION in set(versions)
            stored = dict(conn.execute(sa.text("SELECT text, search_text FROM paragraphs")).all())

            def include_name(name: str | None, type_: str, _parent: object) -> bool:
                if name is None or type_ not in ("table", "index"):
                    return True
                return is_modelled_table(name) if type_ == "table" else is_modelled_index(name)

            context = MigrationContext.configure(conn, opts={"include_name": include_name})
            assert compare_metadata(context, SQLModel.metadata) == []
        # every paragraph from before the upgrade got its words
        assert stored == {text: search.search_text(text) for text in OLD_TEXTS}
        assert stored["Мама мыла раму."] == " мама мыла раму "
        # and is found the new way
        assert _find(store, "замок") == [ids[OLD_TEXTS[0]]]
        assert _find(store, "пример") == [ids[OLD_TEXTS[1]]]
        assert _find(store, "елка") == [ids[OLD_TEXTS[2]]]
        assert _find(store, "мыл мама") == []
        assert _find(store, "мама мыл") == [ids[OLD_TEXTS[3]]]
        assert store.count_search_hits("абзац номер") == 4100
        assert store.search_paragraph_ids("номер 4099", limit=5) == [ids[OLD_TEXTS[-1]]]
        _integrity_check(store)
        with store.bulk() as writer:
            writer.add_document(make_document("new", "Новый за\u0301мок после обновления."))
        assert store.count_search_hits("замок") == 2
        with store.engine.connect() as conn:
            if backend == "sqlite":
                sql = conn.exec_driver_sql(
                    "SELECT sql FROM sqlite_master WHERE name = 'paragraphs_fts'"
                ).scalar_one()
                assert "tokenize='ascii'" in sql and "search_text" in sql
                views = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'view'")
                assert list(views) == []  # migration 2's folding view is gone
            else:
                assert _trigram_index_exists(conn)


def _trigram_index_exists(conn: sa.Connection) -> bool:
    found = conn.execute(
        sa.text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"),
        {"name": SEARCH_TRIGRAM_INDEX},
    ).scalar()
    return found is not None and "gin_trgm_ops" in found and "search_text" in found


def test_postgres_searches_through_the_trigram_index(postgres_database: str) -> None:
    with Store.open(postgres_database, layer_order=LAYERS) as store:
        with store.bulk() as writer:
            writer.add_document(make_document("doc", "Мама мыла раму.", "Старый за\u0301мок."))
        with store.engine.begin() as conn:
            assert _trigram_index_exists(conn)
            # a two-row table is scanned whatever its indexes; without sequential scans the
            # plan shows whether the index can answer search's own conditions
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            query = sa.select(search.paragraphs_t.c.id).where(*search.conditions(conn, "мама мыл"))
            sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
            assert "LIKE '%% мама %%'" in sql and "LIKE '%% мыл%%'" in sql
            # compiled for psycopg, whose "%" is "%%"; text() doubles it again
            plan = " ".join(conn.execute(sa.text("EXPLAIN " + sql.replace("%%", "%"))).scalars())
            assert SEARCH_TRIGRAM_INDEX in plan, plan


def _admin(url: str, *statements: str) -> None:
    engine = sa.create_engine(
        database_url(url), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def test_postgres_without_the_right_to_add_pg_trgm_searches_all_the_same(
    postgres_database: str,
) -> None:
    """A user who may create tables but not extensions: the store is made without the trigram
    index, and search finds the same paragraphs."""
    role = "lk_user_" + uuid.uuid4().hex[:12]
    _admin(
        postgres_database,
        f'CREATE ROLE "{role}" LOGIN',
        f'GRANT USAGE, CREATE ON SCHEMA public TO "{role}"',
    )
    scheme, _, rest = postgres_database.partition("://")
    as_user = f"{scheme}://{role}@{rest.rpartition('@')[2]}"
    try:
        with Store.open(as_user, layer_order=LAYERS) as store:
            with store.engine.connect() as conn:
                assert conn.exec_driver_sql("SELECT current_user").scalar() == role
                assert not _trigram_index_exists(conn)
            with store.bulk() as writer:
                writer.add_document(make_document("doc", "Мама мыла раму.", "Старый ЗА\u0301МОК."))
            assert _find(store, "замок") == [2]
            assert _find(store, "мама мыл") == [1]
            assert _find(store, "мыл мама") == []
    finally:
        _admin(postgres_database, f'DROP OWNED BY "{role}"', f'DROP ROLE "{role}"')
