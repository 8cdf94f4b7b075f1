"""pymorphy3 -> UD mapping and ``analyze()``: one test per UD Russian convention, on real words.

The expected values follow ru_taiga-ud-dev (the house convention); where the house treebank
differs from textbook UD (бы, который) the test says so.
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from layerkit.nlp.analyzer import analyze, clean
from layerkit.nlp.types import Reading
from layerkit.nlp.ud_map import (
    UDTag,
    adverb_of_adjective,
    feats_from_str,
    feats_to_str,
    map_tag,
    merge,
    normalize_lemma,
)
from layerkit.ud import UPOS_TAGS


def top(word: str) -> Reading:
    return analyze(word)[0]


def ud(r: Reading) -> tuple[str, str, str]:
    return r.lemma, r.upos, r.feats


def has(word: str, lemma: str, upos: str, feats: str | None = None) -> bool:
    return any(
        r.lemma == lemma and r.upos == upos and (feats is None or r.feats == feats)
        for r in analyze(word)
    )


# --- pure mapping -------------------------------------------------------------------------


def test_map_tag_accepts_tag_strings() -> None:
    readings = map_tag("был", "быть", "VERB,impf,intr masc,sing,past,indc")
    tags = [tag for tag, _ in readings]
    assert tags[0] == UDTag(
        "быть",
        "AUX",
        "Aspect=Imp|Gender=Masc|Mood=Ind|Number=Sing|Tense=Past|VerbForm=Fin|Voice=Act",
    )
    assert abs(sum(share for _, share in readings) - 1.0) < 1e-9


def test_feats_are_in_ud_order() -> None:
    assert feats_to_str({"Number": "Sing", "Case": "Nom", "animacy": "x"}) == (
        "animacy=x|Case=Nom|Number=Sing"
    )
    assert feats_to_str({}) == "_"
    assert feats_from_str("_") == {}
    assert feats_from_str("Case=Nom|Number=Sing") == {"Case": "Nom", "Number": "Sing"}


def test_merge_sums_identical_readings() -> None:
    a, b = UDTag("x", "NOUN", "_"), UDTag("y", "NOUN", "_")
    assert merge([(a, 0.25), (b, 0.5), (a, 0.5)]) == [(a, 0.75), (b, 0.5)]


def test_adverb_of_adjective() -> None:
    assert adverb_of_adjective("высокий") == "высоко"
    assert adverb_of_adjective("хороший") == "хорошо"
    assert adverb_of_adjective("медленный") == "медленно"


# --- conventions, on real words --------------------------------------------------------------


def test_byt_is_aux() -> None:
    r = top("был")
    assert (r.lemma, r.upos) == ("быть", "AUX")
    assert "VerbForm=Fin" in r.feats and "Tense=Past" in r.feats
    assert has("был", "быть", "VERB")  # existential быть is VERB in context


def test_by_is_conditional_aux_in_the_house_treebank() -> None:
    # ru_taiga-ud-dev: бы AUX Mood=Cnd 16 times, PART 7 (in "как бы"); both are offered
    assert (top("бы").upos, top("бы").feats) == ("AUX", "Mood=Cnd")
    assert has("бы", "бы", "PART", "_")


def test_participle_is_verb() -> None:
    assert ud(top("прочитанная")) == (
        "прочитать",
        "VERB",
        "Aspect=Perf|Case=Nom|Gender=Fem|Number=Sing|Tense=Past|VerbForm=Part|Voice=Pass",
    )


def test_short_participle_has_variant_short() -> None:
    assert has(
        "прочитана",
        "прочитать",
        "VERB",
        "Aspect=Perf|Gender=Fem|Number=Sing|Tense=Past|Variant=Short|VerbForm=Part|Voice=Pass",
    )


def test_gerund_and_infinitive() -> None:
    assert (top("читая").upos, top("читая").feats) == (
        "VERB",
        "Aspect=Imp|Tense=Pres|VerbForm=Conv|Voice=Act",
    )
    assert top("читать").feats == "Aspect=Imp|VerbForm=Inf|Voice=Act"
    assert top("учиться").feats == "Aspect=Imp|VerbForm=Inf|Voice=Mid"


def test_impersonal_verb_is_third_person() -> None:
    assert "Person=3" in top("хочется").feats


def test_conjunctions_are_sconj() -> None:
    for word in ("что", "чтобы", "если"):
        assert has(word, word, "SCONJ"), word
    assert has("что", "что", "PRON")  # the pronoun reading stays for the tagger
    assert top("чтобы").feats == "Mood=Cnd"


def test_determiners() -> None:
    assert (top("этот").upos, feats_from_str(top("этот").feats)["PronType"]) == ("DET", "Dem")
    for word, ptype in (("весь", "Tot"), ("такой", "Dem"), ("каждый", "Tot"), ("мой", "Prs")):
        assert any(r.upos == "DET" and f"PronType={ptype}" in r.feats for r in analyze(word))
    assert "Poss=Yes|PronType=Prs|Reflex=Yes" in top("свой").feats


def test_kotoryj_follows_the_house_treebank() -> None:
    # ru_taiga-ud-dev tags который DET PronType=Rel (35 of 35); GSD's PRON is a conversion
    assert top("который").upos == "DET"
    assert "PronType=Rel" in top("который").feats


def test_possessive_his_is_det_without_case() -> None:
    assert has("его", "его", "DET", "Poss=Yes|PronType=Prs")
    assert has("его", "он", "PRON", "Case=Acc|Gender=Masc|Number=Sing|Person=3|PronType=Prs")


def test_personal_pronouns() -> None:
    assert ud(top("мне")) == ("я", "PRON", "Case=Dat|Number=Sing|Person=1|PronType=Prs")


def test_digits_are_num() -> None:
    assert (top("1990").upos, top("1990").feats) == ("NUM", "NumForm=Digit|NumType=Card")
    assert has("1990", "1990", "ADJ", "NumForm=Digit|NumType=Ord")  # "в 1990 году"
    assert top("1,5").feats == "NumForm=Digit|NumType=Frac"


def test_punctuation_and_symbols() -> None:
    assert (top(",").lemma, top(",").upos) == (",", "PUNCT")
    assert top("«").upos == "PUNCT"
    assert top("😀").upos == "SYM"
    assert top("%").upos == "SYM"
    assert top(")))").upos == "SYM"  # a smiley


def test_latin_words_are_foreign_x() -> None:
    r = top("iPhone")
    assert (r.lemma, r.upos, r.feats) == ("iPhone", "X", "Foreign=Yes")


def test_roman_numerals_are_ordinal_adjectives() -> None:
    assert (top("XIX").upos, top("XIX").feats) == ("ADJ", "NumForm=Roman|NumType=Ord")


def test_comparatives() -> None:
    assert has("лучше", "хорошо", "ADV", "Degree=Cmp")
    assert has("лучше", "хороший", "ADJ", "Degree=Cmp")
    assert has("больше", "больше", "ADV", "Degree=Cmp|PronType=Tot")


def test_superlative_is_its_own_lemma() -> None:
    assert top("крупнейшего").lemma == "крупнейший"
    assert "Degree=Sup" in top("крупнейшего").feats


def test_short_adjective_and_predicatives() -> None:
    assert has("нужно", "нужный", "ADJ", "Degree=Pos|Gender=Neut|Number=Sing|Variant=Short")
    assert (top("можно").lemma, top("можно").upos, top("можно").feats) == ("можно", "VERB", "_")
    assert has("должна", "должен", "ADJ")


def test_stress_marks_and_soft_hyphens_are_ignored() -> None:
    assert top("сло\u0301во").lemma == "слово"
    assert top("сло\u00adво").lemma == "слово"
    assert clean("сло\u0301во") == "слово"


def test_yo_is_e_in_lemmas_except_vsyo() -> None:
    # ru_taiga-ud-dev: ещё -> еще (17 of 17), ребёнок -> ребенок, but всё stays всё
    assert (top("ещё").lemma, top("ещё").upos) == ("еще", "ADV")
    assert top("ребёнок").lemma == "ребенок"
    assert top("ребенок").lemma == "ребенок"
    assert has("всё", "всё", "PRON")
    assert normalize_lemma("её") == "ее"


def test_proper_nouns() -> None:
    r = top("Алексеевна")
    assert (r.lemma, r.upos) == ("Алексеевна", "PROPN")
    assert "NameType=Pat" in r.feats
    assert has("Москва", "Москва", "PROPN")
    assert ud(top("@screened-18")) == ("@screened-18", "PROPN", "NameType=Prs")


def test_indeclinable_nouns_and_abbreviations() -> None:
    assert "InflClass=Ind" in top("пальто").feats
    assert has("т.", "так", "ADV")
    assert has("г.", "год", "NOUN", "Abbr=Yes")
    assert has("А.", "А", "PROPN", "Abbr=Yes|NameType=Giv")


def test_urls_hashtags_and_emoji() -> None:
    assert (top("https://example.org/a?b=1").upos, top("https://example.org/a?b=1").feats) == (
        "X",
        "_",
    )
    assert top("#море").upos == "X"
    assert has("#море", "#море", "NOUN")  # a hashtag inside a sentence is the word
    assert top("❤️").upos == "SYM"


def test_numbers_as_words() -> None:
    assert has("двое", "двое", "NUM", "Case=Nom|NumForm=Word|NumType=Sets")
    assert has(
        "первый", "первый", "ADJ", "Case=Nom|Gender=Masc|Number=Sing|NumForm=Word|NumType=Ord"
    )


def test_reciprocal_pronoun_is_offered() -> None:
    assert has("друга", "друг", "PRON", "Case=Acc|PronType=Rcp")


# --- invariants --------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(st.text(min_size=1, max_size=12))
@example("\u0301")  # a bare stress mark: its lemma kept the mark (found by CI)
@example("\u0301\u00ad")
def test_analyze_never_returns_nothing(word: str) -> None:
    readings = analyze(word)
    assert readings
    assert abs(sum(r.score for r in readings) - 1.0) < 1e-3
    scores = [r.score for r in readings]
    assert scores == sorted(scores, reverse=True)
    for r in readings:
        assert r.upos in UPOS_TAGS
        keys = list(feats_from_str(r.feats))
        assert keys == sorted(keys, key=str.lower)
        assert "\u0301" not in r.lemma


@pytest.mark.parametrize(
    "word", ["", " ", "\u0301", "\u00ad", "---", "ъъъ", "Ё", "5х", "90-х", "т.е.", "km2", "1.2.3"]
)
def test_odd_tokens(word: str) -> None:
    readings = analyze(word)
    assert readings and all(r.upos in UPOS_TAGS for r in readings)


def test_readings_are_merged() -> None:
    readings = analyze("сочи")  # six case readings in pymorphy3, all distinct in UD
    keys = [(r.lemma, r.upos, r.feats) for r in readings]
    assert len(keys) == len(set(keys))


def test_lemmas_have_no_combining_marks() -> None:
    for word in ("за\u0301мок", "по\u0301лка", "Ёжик"):
        lemma = top(word).lemma
        assert not any(unicodedata.combining(ch) for ch in lemma)


@pytest.mark.parametrize(
    ("form", "lemma"),
    [
        ("Санкт-Петербурге", "Санкт-Петербург"),
        ("Ростове-на-Дону", "Ростов-на-Дону"),  # the preposition stays lower case
        ("Буэнос-Айресе", "Буэнос-Айрес"),
    ],
)
def test_hyphenated_proper_noun_lemmas_are_capitalised_as_the_form_is(
    form: str, lemma: str
) -> None:
    assert has(form, lemma, "PROPN")
    assert not any(r.upos == "PROPN" and r.lemma != lemma for r in analyze(form))


def test_a_capitalised_common_noun_offered_as_a_name_keeps_lower_case_parts() -> None:
    """Москва-река is a common noun to pymorphy3; its PROPN variant writes "река" as the
    form does, not "Москва-Река"."""
    assert has("Москва-река", "Москва-река", "PROPN")
    assert not has("Москва-река", "Москва-Река", "PROPN")


def test_cyrillic_word_shortcut_reads_as_the_shape_checks_would(monkeypatch) -> None:
    """Words of Cyrillic letters skip the shape checks (punctuation, symbols, URLs,
    numbers...) on their way to the dictionary: the readings must be the ones those checks
    would have led to, for every such word of a UD file and the shapes that do match them
    (a smiley of look-alike letters, abbreviations)."""
    import re

    from conftest import SHARED

    import layerkit.nlp.analyzer as analyzer

    words = {
        line.split("\t")[1]
        for line in (SHARED / "data" / "ud" / "ru_taiga-ud-dev.conllu")
        .read_text(encoding="utf-8")
        .splitlines()
        if line[:1].isdigit()
    }
    words = {w for w in words if analyzer._CYRILLIC_WORD.fullmatch(w)}
    words |= {"хР", "Хрр", "т", "ст", "г", "СССР", "ё", "ЁЖ"}
    assert len(words) > 3000
    fast = {w: analyzer._readings(w) for w in words}
    monkeypatch.setattr(analyzer, "_CYRILLIC_WORD", re.compile(r"(?!)"))  # no shortcut
    assert {w: analyzer._readings(w) for w in words} == fast
    assert fast["хР"][0][0].upos == "SYM"  # the smiley is still one
