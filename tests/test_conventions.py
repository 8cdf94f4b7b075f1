"""Conversion from the house convention (current UD Taiga) to GSD and the older Taiga release."""

from __future__ import annotations

from pathlib import Path

import conllu
import pytest

from layerkit.nlp.conventions import CONVENTIONS, convert, treebank_convention
from layerkit.nlp.rule_tagger import RuleTagger
from layerkit.nlp.ud_map import feats_to_str

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "ud"


@pytest.mark.parametrize(
    ("name", "convention"),
    [
        ("ru_gsd-ud-dev.conllu", "gsd"),
        (Path("/x/ru_gsd-ud-train.conllu"), "gsd"),
        ("ru_taiga-extra-train.conllu", "taiga-old"),
        ("ru_taiga-ud-dev.conllu", "ud"),
        ("ru_syntagrus-ud-test.conllu", "ud"),
        ("mine.conllu", "ud"),
    ],
)
def test_treebank_convention(name: str | Path, convention: str) -> None:
    assert treebank_convention(name) == convention
    assert convention in CONVENTIONS


def test_ud_is_identity() -> None:
    tag = ("который", "DET", "Case=Nom|Gender=Masc|Number=Sing|PronType=Rel")
    assert convert(*tag, "который", "ud") == tag


def test_unknown_convention() -> None:
    with pytest.raises(ValueError, match="unknown convention"):
        convert("я", "PRON", "_", "я", "syntagrus-2015")


def test_kotoryj_is_pron_elsewhere() -> None:
    house = ("который", "DET", "Case=Nom|Gender=Masc|Number=Sing|PronType=Rel")
    assert convert(*house, "который", "gsd") == (
        "который",
        "PRON",
        "Animacy=Inan|Case=Nom|Gender=Masc|Number=Sing",
    )
    assert convert(*house, "который", "taiga-old") == (
        "который",
        "PRON",
        "Case=Nom|Gender=Masc|Number=Sing",
    )


@pytest.mark.parametrize("convention", ["gsd", "taiga-old"])
def test_house_only_features_are_dropped(convention: str) -> None:
    assert convert("я", "PRON", "Case=Nom|Number=Sing|Person=1|PronType=Prs", "я", convention) == (
        "я",
        "PRON",
        "Case=Nom|Number=Sing|Person=1",
    )
    _, _, feats = convert(
        "Москва",
        "PROPN",
        "Animacy=Inan|Case=Nom|Gender=Fem|NameType=Geo|Number=Sing",
        "Москва",
        convention,
    )
    assert "NameType" not in feats
    assert convert("его", "DET", "Poss=Yes|PronType=Prs", "его", convention)[2] == "_"


def test_digits() -> None:
    card = ("40", "NUM", "NumForm=Digit|NumType=Card")
    assert convert(*card, "40", "taiga-old") == ("40", "NUM", "_")
    assert convert(*card, "40", "gsd") == ("40", "NUM", "NumType=Card")
    # four-digit years are ordinal adjectives in GSD (176 of 185)
    assert convert("1990", "NUM", "NumForm=Digit|NumType=Card", "1990", "gsd") == (
        "1990",
        "ADJ",
        "Case=Gen|Degree=Pos|Gender=Masc|Number=Sing",
    )


def test_latin_words() -> None:
    x = ("iPhone", "X", "Foreign=Yes")
    assert convert(*x, "iPhone", "gsd") == ("iphone", "X", "Foreign=Yes")
    assert convert(*x, "iPhone", "taiga-old") == ("iPhone", "X", "Foreign=Yes")
    assert convert("Apple", "X", "Foreign=Yes", "Apple", "taiga-old") == (
        "Apple",
        "PROPN",
        "Foreign=Yes",
    )


def test_aux_and_participles() -> None:
    fut = ("быть", "AUX", "Mood=Ind|Number=Sing|Person=3|Tense=Fut|VerbForm=Fin|Voice=Act")
    assert convert(*fut, "будет", "taiga-old")[2] == (
        "Aspect=Imp|Mood=Ind|Number=Sing|Person=3|Tense=Pres|VerbForm=Fin|Voice=Act"
    )
    assert convert(*fut, "будет", "gsd")[2] == (
        "Aspect=Imp|Mood=Ind|Number=Sing|Person=3|Tense=Fut|VerbForm=Fin"
    )
    short = (
        "построить",
        "VERB",
        "Aspect=Perf|Gender=Fem|Number=Sing|Tense=Past|Variant=Short|VerbForm=Part|Voice=Pass",
    )
    assert convert(*short, "построена", "gsd")[2] == (
        "Animacy=Inan|Aspect=Perf|Case=Nom|Gender=Fem|Number=Sing|Tense=Past|Variant=Short"
        "|VerbForm=Part|Voice=Pass"
    )


def test_pronominal_adjectives_and_predicatives() -> None:
    assert convert("сам", "DET", "Case=Nom|Gender=Masc|Number=Sing|PronType=Emp", "сам", "gsd") == (
        "сам",
        "ADJ",
        "Case=Nom|Degree=Pos|Gender=Masc|Number=Sing",
    )
    assert convert("можно", "VERB", "_", "можно", "taiga-old") == ("можно", "VERB", "Degree=Pos")
    assert convert("где", "ADV", "Degree=Pos|PronType=Rel", "где", "gsd") == ("где", "ADV", "_")
    assert convert("где", "ADV", "Degree=Pos|PronType=Rel", "где", "taiga-old") == (
        "где",
        "ADV",
        "Degree=Pos",
    )
    assert convert("чтобы", "SCONJ", "Mood=Cnd", "чтобы", "gsd") == ("чтобы", "SCONJ", "_")


def _alltags_accuracy(path: Path, convention: str, limit: int) -> tuple[float, float]:
    """Full-tag (lemma, UPOS, FEATS) accuracy of RuleTagger on the first sentences of a file,
    without and with conversion to the file's convention."""
    with path.open(encoding="utf-8") as handle:
        sentences = [
            [t for t in s if isinstance(t["id"], int)]
            for _, s in zip(range(limit), conllu.parse_incr(handle), strict=False)
        ]
    tagged = RuleTagger().tag([[t["form"] for t in s] for s in sentences])
    raw = conv = n = 0
    for sentence, analyses in zip(sentences, tagged, strict=True):
        for t, a in zip(sentence, analyses, strict=True):
            gold = (t["lemma"], t["upos"], feats_to_str(t["feats"] or {}))
            n += 1
            raw += (a.lemma, a.upos, a.feats) == gold
            conv += convert(a.lemma, a.upos, a.feats, t["form"], convention) == gold
    return raw / n, conv / n


@pytest.mark.parametrize("name", ["ru_gsd-ud-dev.conllu", "ru_taiga-extra-train.conllu"])
def test_conversion_matches_the_treebank_better(name: str) -> None:
    path = DATA / name
    assert path.is_file(), f"gold data missing: {path}"
    raw, converted = _alltags_accuracy(path, treebank_convention(path), limit=300)
    assert converted > raw + 0.08, (raw, converted)
