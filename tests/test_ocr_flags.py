"""OCR look-alike flags (issue 18): garbage of every style a reader sees at a glance is flagged,
real Russian (the sample corpus, UD dev sentences), English and code are not.

The garbage here is made up by hand; ``bench/ocr_flags.py`` measures the same styles on
thousands of paragraphs garbled from real Russian (and the last test runs a sample of those).
"""

from __future__ import annotations

import json
import random
import re
import sys

import pytest
from conftest import REPO, SHARED

from layerkit.quality import find_flags

UD = SHARED / "data" / "ud"


def flagged(text: str) -> dict[str, list[str]]:
    """Code -> flagged words."""
    return {f.code: [text[s:e] for s, e in f.spans] for f in find_flags(text)}


# --- Cyrillic OCR'd into Latin look-alikes ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        # the example: shape, not sound (н→H, и→u, т→T); a real acronym stays
        (
            "Kak Halitn cebst 8 Mupe LLM Ha npakTuke",
            ["Kak", "Halitn", "Mupe", "Ha", "npakTuke"],
        ),
        # ы→bI/bl, л→JI, ж→>K, б→6, з→3, д→g, mixed case
        (
            "B 3TOM rogy Mbl noexaJIu Ha Mope, rge >KuJIu B ManeHbkoM goMuke y caMoro 6epera.",
            [
                "3TOM",
                "rogy",
                "Mbl",
                "noexaJIu",
                "Ha",
                "Mope",
                "rge",
                ">KuJIu",
                "ManeHbkoM",
                "goMuke",
                "caMoro",
                "6epera",
            ],
        ),
        # capitals: И→N, Ы→bI, Й→U
        ("BCE CTATbN 6bIJIN nPOBEPEHbI KOMNCCNEU B CPOK.", None),
        ("nocJle o6ega 6a6ywka cena y okHa u goJIro cMoTpeJIa Ha gopory.", None),
    ],
)
def test_latin_ocr_paragraphs(text: str, words: list[str] | None) -> None:
    found = flagged(text)
    assert list(found) == ["latin_lookalike"]
    if words is not None:
        assert found["latin_lookalike"] == words
    else:
        assert len(found["latin_lookalike"]) >= 5


def test_latin_ocr_with_cyrillic_letters_left() -> None:
    text = "Kak найтu cебя в Mupe, korga вокруг всё меняется?"
    assert flagged(text)["mixed_script"] == ["найтu", "cебя"]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        # one garbled line in a Russian paragraph: a single word bearing OCR's marks is enough
        (
            "Вечером он долго не мог уснуть. npoMoJI4aTb? Но тогда выйдет, будто он что-то украл.",
            ["npoMoJI4aTb"],
        ),
        ("Пряный вечер. Tyman ckpblJI 3opu. По траве ползёт туман.", ["ckpblJI", "3opu"]),
        ("Муниципальные опекуны молчат. - Bce 6ecnoJIE3Ho. Депутат тоже.", ["6ecnoJIE3Ho"]),
    ],
)
def test_latin_ocr_line_in_russian_paragraph(text: str, words: list[str]) -> None:
    assert flagged(text) == {"latin_lookalike": words}


# --- digits for letters ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            "3автра 6удет д0ждь, и 8се 0станутся д0ма.",
            ["3автра", "6удет", "д0ждь", "8се", "0станутся", "д0ма"],
        ),
        ("Он сказал, что 3автра придёт.", ["3автра"]),  # a digit first
        ("Это было сказано предметн0 и ясно.", ["предметн0"]),  # a digit last
        ("Он 6ыл дома, 4т0 бы ни говорили.", ["6ыл", "4т0"]),  # both ends
        ("Судно шло по к00рдинатам капитана.", ["к00рдинатам"]),  # two digits inside
        ("Тёмн0-коричневый шкаф.", ["Тёмн0"]),  # ё in the word, the dictionary's е
    ],
)
def test_digits_for_letters(text: str, words: list[str]) -> None:
    assert flagged(text) == {"mixed_script": words}


@pytest.mark.parametrize(
    "text",
    [
        "Пробег 10км, вес 5кг, объём 3м3, площадь 574 км2.",
        "Ему 8лет, ей 9года, ждать 9мин, билет 8руб.",  # "влёт", "ягода" if read as letters
        "Квартира 3а, класс 6а, 6ой этаж, 8ми лет, 3ти комнатная, 2х этажный дом.",
        "Самолёт Ту154, автомат АК47, ЗИЛ130 и МИГ29 в музее.",
        "В 1990-е годы, 5-й дом, 1 ст.л. сахара, 3–4 ст. л. масла.",
        "Витамины В6, Д3 и С3 по 1 таблетке.",
    ],
)
def test_numbers_with_endings_are_not_digits_for_letters(text: str) -> None:
    assert find_flags(text) == []


# --- mixed-script words, however few -----------------------------------------------------------

_CLEAN = (
    "Сегодня утром мы поехали на рынок, купили свежий хлеб, молоко, сыр и овощи, а потом "
    "долго гуляли по старому парку возле реки, разговаривая о работе, о детях и о планах на лето."
)
_LATIN = str.maketrans("аеорсух", "aeopcyx")


@pytest.mark.parametrize("count", [1, 3, 10])
def test_mixed_script_words_at_any_rate(count: int) -> None:
    words = re.findall(r"[а-яё]{4,}", _CLEAN)
    chosen = words[:: len(words) // count][:count]
    text = _CLEAN
    for word in chosen:
        i = next(j for j, ch in enumerate(word) if ch in "аеорсух")
        text = text.replace(word, word[:i] + word[i].translate(_LATIN) + word[i + 1 :], 1)
    assert find_flags(_CLEAN) == []
    assert len(flagged(text)["mixed_script"]) == count


def test_user_name_glued_to_a_word() -> None:
    assert find_flags("@xxxxxxВсем давно понятно, что это неликвид.") == []
    assert flagged("@anna мoлоко кончилось") == {"mixed_script": ["мoлоко"]}


# --- nothing on real text --------------------------------------------------------------------


def _sample_paragraphs() -> list[str]:
    paragraphs = []
    for path in sorted((REPO / "sample_corpus").iterdir()):
        if path.suffix == ".jsonl":
            records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
            paragraphs += [r["text"] for r in records if r.get("type") == "paragraph"]
        elif path.suffix in (".txt", ".md"):
            blocks = re.split(r"\n\s*\n", path.read_text(encoding="utf-8"))
            paragraphs += [b.strip() for b in blocks if b.strip()]
    return paragraphs


def test_sample_corpus_is_never_flagged() -> None:
    paragraphs = _sample_paragraphs()
    assert len(paragraphs) > 50
    assert {p[:60]: find_flags(p) for p in paragraphs if find_flags(p)} == {}


# UD sentences whose words really do mix scripts (spam dodging filters, a domain typed with
# Cyrillic «со», a Latin c in «cт.л.»): flagging them is right.
_REALLY_MIXED = {
    "ru_gsd-ud-dev.conllu": [["соm"]],
    "ru_taiga-ud-dev.conllu": [["Bаpвapа"]],
    "ru_poetry-ud-dev.conllu": [],
}


@pytest.mark.parametrize("name", sorted(_REALLY_MIXED))
def test_ud_dev_sentences_are_not_flagged(name: str) -> None:
    sentences = [
        line[len("# text = ") :].strip()
        for line in (UD / name).read_text(encoding="utf-8").splitlines()
        if line.startswith("# text = ")
    ]
    assert len(sentences) > 500
    found = [flagged(s) for s in sentences if find_flags(s)]
    assert found == [{"mixed_script": words} for words in _REALLY_MIXED[name]]


@pytest.mark.parametrize(
    "text",
    [
        "Массивы NumPy, токенизатор MeCab и модели NeMo работают на iPhone и MacBook.",
        "Переменные path0, cmap0 и top10, адрес 0xAB, цвет b0b0b0 и mp3-файлы.",
        "Группа Megadeth, альбом The System Has Failed, гитарист Dave Mustaine.",
        "Take care, see you tomorrow at the cafe.",
        "Он сказал «come on» и ушёл; она ответила «no way».",
    ],
)
def test_names_code_and_english_are_not_ocr(text: str) -> None:
    assert find_flags(text) == []


def test_python_documentation_is_not_flagged() -> None:
    import pydoc_data.topics

    blocks = [b for t in pydoc_data.topics.topics.values() for b in re.split(r"\n\s*\n", t)]
    paragraphs = [b for b in blocks if len(b.split()) >= 4]
    assert len(paragraphs) > 1000
    assert [p[:60] for p in paragraphs if find_flags(p)] == []


# --- the bench's garbage, a sample ------------------------------------------------------------


def test_bench_styles_are_caught() -> None:
    """40 paragraphs of every garbled style of bench/ocr_flags.py, from UD and sample sentences."""
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import ocr_flags
    finally:
        sys.path.remove(str(REPO / "bench"))
    sources = ocr_flags.sources(random.Random(2024), 200)
    for style in ocr_flags.TARGETS:
        rng = random.Random(style)
        made = [g for s in sources if (g := ocr_flags.garble(style, rng, s)) is not None][:40]
        caught = sum(1 for g in made if find_flags(g))
        assert len(made) == 40 and caught >= 36, (style, caught)
    clean = [ocr_flags.garble("clean", random.Random(0), s) or "" for s in sources]
    assert [c for c in clean if find_flags(c) and "вoйнy" not in c and "спuсoк" not in c] == []
