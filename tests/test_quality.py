"""Quality flags: words mixing scripts, paragraphs typed in Latin look-alikes."""

from __future__ import annotations

import pytest

from layerkit.quality import Flag, find_flags, lookalike_readings


def codes(text: str) -> set[str]:
    return {flag.code for flag in find_flags(text)}


def flag(text: str, code: str) -> Flag:
    found = [f for f in find_flags(text) if f.code == code]
    assert len(found) == 1, find_flags(text)
    return found[0]


def flagged_words(text: str, code: str) -> list[str]:
    return [text[s:e] for s, e in flag(text, code).spans]


# --- mixed_script ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Купи мoлоко и сaхар.", ["мoлоко", "сaхар"]),  # Latin o, Latin a
        ("Нужен рa3вод мостов.", ["рa3вод"]),
        ("Нужен ра3вод мостов.", ["ра3вод"]),  # only a digit among Cyrillic letters
        ("Слово Пpивет с латинской p.", ["Пpивет"]),
        ("Моло\u0301кo с ударением.", ["Моло\u0301кo"]),  # the stress mark stays in the word
        ("Греческая οмега в слове слοво.", ["οмега", "слοво"]),  # Greek omicron
        ("Cтол и Mы, XIXвек.", ["Cтол", "Mы", "XIXвек"]),  # C, M are not Roman numerals here
    ],
)
def test_mixed_script_words(text: str, words: list[str]) -> None:
    assert flagged_words(text, "mixed_script") == words


def test_mixed_script_flag_json() -> None:
    text = "Купи мoлоко."
    data = flag(text, "mixed_script").to_json()
    assert data["code"] == "mixed_script"
    assert data["spans"] == [[5, 11]]
    assert "мoлоко" in data["message"]


@pytest.mark.parametrize(
    "text",
    [
        "Я купил iPhone и подключил его к Wi-Fi.",
        "Вакцина от COVID-19 появилась в 2020 году.",
        "Танк Т-34 стал символом победы.",
        "Пришлите e-mail до пятницы.",
        "Переговоры СССР-USA шли годами.",
        "В XIX веке, в XX в. и в XIXв. всё было иначе.",
        "Пишите на иван.петров@example.com или на https://пример.рф/путь?q=тест1a.",
        "Сайт www.example.ru/страница работает.",
        "Обычный русский текст без латиницы, с «ёлочками» — и тире.",
        "Встреча в 10:30, кабинет 5-й, 2-х этажное здание, 1990-е годы.",
    ],
)
def test_legitimate_mixes_are_not_flagged(text: str) -> None:
    assert "mixed_script" not in codes(text)


# --- latin_lookalike ---------------------------------------------------------------------------


def test_lookalike_readings() -> None:
    assert "мире" in lookalike_readings("Mupe")
    assert lookalike_readings("Mbl") == ["мы"]
    assert lookalike_readings("fox") == []  # f has no Cyrillic look-alike


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Kak Halitn cebst 8 Mupe", ["Kak", "Halitn", "Mupe"]),  # "li" is OCR's й
        ("Kak HauTu ce6R B Mupe", ["Kak", "HauTu", "ce6R", "Mupe"]),
        ("Mbl kynunu xne6, Monoko, cblp u kopM gnR koTa.", None),
        ("Be4epoM Mbl nowJIu B napk u goJIro ryJIRJIu.", None),
    ],
)
def test_latin_lookalike_paragraphs(text: str, words: list[str] | None) -> None:
    found = flagged_words(text, "latin_lookalike")
    if words is not None:
        assert found == words
    else:
        assert len(found) >= 3
    message = flag(text, "latin_lookalike").message
    assert "Cyrillic look-alikes" in message


@pytest.mark.parametrize(
    "text",
    [
        "The quick brown fox jumps over the lazy dog",
        "Make a cup of tea and come back",
        "To be or not to be, that is the question.",
        "Take care, see you tomorrow at the cafe.",
        "Я купил новый iPhone и MacBook в магазине Apple на Тверской.",
        "Встреча с Tom и Kate назначена на пятницу.",
        "Проект написан на Python, а фронтенд на React; он сказал OK.",
        "Фильм Star Wars вышел в 1977 году, Moscow City построили позже.",
        "for x in range(10): print(x)",
        "x = a + b; y = c * 2",
        "def foo(bar): return bar.baz()",
        "SELECT * FROM users WHERE age > 30;",
        "https://example.com/path?query=1&x=2 и mailto:someone@example.com",
        "123 456 789 0 3.14 2024-01-01",
    ],
)
def test_latin_lookalike_negatives(text: str) -> None:
    assert "latin_lookalike" not in codes(text)


def test_plain_english_has_no_flags() -> None:
    assert find_flags("Assert statements are a convenient way to insert debugging.") == []


def test_flag_is_frozen_and_json_ready() -> None:
    f = flag("Kak Halitn cebst 8 Mupe", "latin_lookalike")
    with pytest.raises(AttributeError):
        f.code = "other"  # type: ignore[misc]
    assert f.to_json()["spans"] == [[0, 3], [4, 10], [19, 23]]


def test_ordinary_russian_is_never_flagged() -> None:
    paragraphs = [
        f"Абзац номер {i}: мама мыла раму, а папа читал газету на кухне. "
        "Вечером мы пошли в парк и долго гуляли под старыми липами, разговаривая "
        "о жизни, о работе и о том, как найти себя в этом мире."
        for i in range(1000)
    ]
    results = [find_flags(p) for p in paragraphs]
    assert not any(results)


def test_replacement_characters_are_flagged_and_tag_says_so(tmp_path) -> None:
    """The validator audit: a text holding U+FFFD (bytes some program could not decode) was
    imported and tagged without a word, and the UD validator refused the output (level 1)."""
    import subprocess
    import sys

    text = "Текст с ошибкой \ufffd\ufffd кодировки и ещё \ufffd."
    [flag] = [f for f in find_flags(text) if f.code == "replacement_char"]
    assert [text[a:b] for a, b in flag.spans] == ["\ufffd\ufffd", "\ufffd"]
    assert flag.message.startswith("3 replacement character(s)")
    assert not [f for f in find_flags("Текст без ошибок.") if f.code == "replacement_char"]
    src = tmp_path / "bad.txt"
    src.write_text(text + "\n", encoding="utf-8")
    tagged = subprocess.run(
        [sys.executable, "-m", "layerkit", "tag", str(src), "-o", str(tmp_path / "out.conllu")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert tagged.returncode == 0, tagged.stderr
    assert "holds 3 replacement character(s)" in tagged.stderr, tagged.stderr
