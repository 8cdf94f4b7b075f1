"""Text search of paragraphs: FTS5 on SQLite (Cyrillic, stress marks, ё), paging, fallbacks."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import make_document
from sqlalchemy.dialects import postgresql

from layerkit.errors import StoreError
from layerkit.store import Store, search

TEXTS = {
    "stress": "Сло\u0301во за\u0301мок стоит на горе́.",
    "yo": "Ёлка в лесу, и ещё одна ель.",
    "plain_e": "Елка стояла без игрушек.",
    "wash": "Мама мыла раму.",
    "syntax": 'Он сказал: "(AND) NEAR OR NOT" — и ушёл.',
    "hyphen": "Кто-то что-то сказал; x_y и 50%.",
    "my": "Мой дом на углу.",
    "mine_pl": "Мои дома на углу.",
}


@pytest.fixture
def ids(store: Store) -> dict[str, int]:
    with store.bulk() as writer:
        writer.add_document(make_document("one", *list(TEXTS.values())[:4]))
        writer.add_document(make_document("two", *list(TEXTS.values())[4:]))
    by_text = {p.text: p.id for p in store.iter_paragraphs()}
    return {key: by_text[text] for key, text in TEXTS.items()}


def _find(store: Store, query: str) -> list[int]:
    return store.search_paragraph_ids(query, limit=100)


def _integrity_check(store: Store) -> None:
    """FTS5 compares its index with the content; raises if they drifted apart."""
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
    assert _find(store, "стоя") == [ids["plain_e"]]


def test_query_syntax_characters_are_plain_text(store: Store, ids: dict[str, int]) -> None:
    for query in ['"(AND', "AND", "near", "OR", "NOT", '"', "(", ")", "*", "^", "-", ":", "+"]:
        found = _find(store, query)  # never an FTS5 syntax error
        expected = [ids["syntax"]] if any(ch.isalpha() for ch in query) else []
        assert found == expected, query
    assert _find(store, 'сказал: "(AND') == [ids["syntax"]]
    assert _find(store, "text:мама") == []  # not a column filter: "text" is not in the text
    assert _find(store, "мама*") == [ids["wash"]]
    assert _find(store, "NEAR(мама раму)") == []
    assert store.count_search_hits('"(AND') == 1


def test_punctuation_inside_words(store: Store, ids: dict[str, int]) -> None:
    assert _find(store, "что-то") == [ids["hyphen"]]
    assert _find(store, "кто-то что") == [ids["hyphen"]]
    assert _find(store, "x_y") == [ids["hyphen"]]
    assert _find(store, "50%") == [ids["hyphen"]]


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
    db_path: Path, store: Store, ids: dict[str, int]
) -> None:
    con = sqlite3.connect(db_path)
    con.execute("PRAGMA foreign_keys=ON")
    con.execute("DELETE FROM documents WHERE name = 'one'")  # cascades to its paragraphs
    con.commit()
    con.close()
    assert _find(store, "мама") == []
    assert _find(store, "углу") == [ids["my"], ids["mine_pl"]]
    _integrity_check(store)


def test_sqlite_without_the_index_falls_back_to_scanning(
    db_path: Path, store: Store, ids: dict[str, int]
) -> None:
    """A store migrated by an SQLite without FTS5 has no index; search still works."""
    con = sqlite3.connect(db_path)
    for name in ("paragraphs_fts_ai", "paragraphs_fts_ad", "paragraphs_fts_au"):
        con.execute(f"DROP TRIGGER {name}")
    con.execute("DROP TABLE paragraphs_fts")
    con.execute("DROP VIEW paragraphs_fts_source")
    con.commit()
    con.close()
    with store.engine.connect() as conn:
        assert not search.has_index(conn)
    assert _find(store, "слово") == [ids["stress"]]
    assert sorted(_find(store, "ЁЛКА")) == sorted([ids["yo"], ids["plain_e"]])
    assert _find(store, "мыл мама") == [ids["wash"]]  # substrings here, not words
    assert _find(store, '"(AND') == [ids["syntax"]]
    assert _find(store, "50%") == [ids["hyphen"]]
    assert _find(store, "%") == []  # a lone wildcard is not a word
    assert store.count_search_hits("на углу") == 2
    with store.bulk() as writer:  # imports work without the triggers' table
        writer.add_document(make_document("more", "Ещё один абзац про кошку."))
    assert len(_find(store, "кошку")) == 1


def test_other_databases_search_with_ilike_on_folded_text() -> None:
    condition = search.substring_condition("За\u0301мок_", dialect="postgresql")
    compiled = (
        sa.select(search.paragraphs_t.c.id).where(condition).compile(dialect=postgresql.dialect())
    )
    sql = str(compiled)
    assert "ILIKE" in sql and sql.count("replace(") == 4
    assert "%замок\\_%" in compiled.params.values()
    assert search.query_words('мама "(AND ( —') == ["мама", '"(AND']
    assert search.fts_query(["ёлка", 'с"лово']) == '"елка" "с""лово"*'
