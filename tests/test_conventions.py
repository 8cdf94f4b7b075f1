"""Conversion from the house convention (current UD Taiga) to GSD and the older Taiga release."""

from __future__ import annotations

from pathlib import Path

import conllu
import pytest
from layerkit_ru_morph.tagging import choose_convention

from layerkit.nlp.conventions import (
    CONVENTIONS,
    ConventionEvidence,
    convention_from_name,
    convert,
    treebank_convention,
)
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


# --- telling the convention of a file whose name says nothing ---------------------------------

#: the gold files the project may tune on (never a test file, never PUD)
TRAIN_DEV = sorted(p for p in DATA.glob("*.conllu") if p.stem.endswith(("-train", "-dev")))


@pytest.mark.parametrize(
    ("name", "convention"),
    [
        ("ru_gsd-ud-test.conllu", "gsd"),
        ("ru_taiga-extra-train.conllu", "taiga-old"),
        ("ru_syntagrus-ud-dev.conllu", "ud"),
        ("gsd.in.conllu", None),
        ("mine.conllu", None),
        ("ru_mine.conllu", None),
    ],
)
def test_convention_from_name(name: str, convention: str | None) -> None:
    assert convention_from_name(Path("/x") / name) == convention


def _blocks(path: Path) -> list[list[str]]:
    blocks, current = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    return blocks + ([current] if current else [])


def _variant(block: list[str], variant: str) -> list[str]:
    """annotated: as is; blanked: LEMMA, UPOS and FEATS emptied (what `layerkit tag` fills);
    plain: only ID, FORM and the text comment left."""
    out = []
    for line in block:
        if line.startswith("#"):
            if variant != "plain" or line.startswith("# text = "):
                out.append(line)
            continue
        cols = line.split("\t")
        if variant in ("blanked", "plain"):
            cols[2] = cols[3] = cols[5] = "_"
        if variant == "plain":
            cols[4] = cols[6] = cols[7] = cols[8] = cols[9] = "_"
        out.append("\t".join(cols))
    return out


def _write(path: Path, blocks: list[list[str]]) -> Path:
    path.write_text("".join("\n".join(b) + "\n\n" for b in blocks), encoding="utf-8")
    return path


#: (file, variant) -> what the content tells (None: nothing, so ud, the default, is used)
EXPECTED = {
    ("ru_gsd-ud-dev.conllu", "blanked"): "gsd",  # GSD's XPOS, sentence ids, quote tokens
    ("ru_gsd-ud-dev.conllu", "plain"): "gsd",  # `` and &#39;&#39; as quotation marks
    ("ru_taiga-extra-train.conllu", "blanked"): "taiga-old",  # XPOS CONJ
    ("ru_taiga-extra-train.conllu", "plain"): None,
    ("ru_taiga-ud-dev.conllu", "blanked"): None,
    ("ru_taiga-ud-dev.conllu", "plain"): None,
    ("ru_poetry-ud-dev.conllu", "blanked"): None,
    ("ru_poetry-ud-dev.conllu", "plain"): None,
}


@pytest.mark.parametrize("variant", ["annotated", "blanked", "plain"])
@pytest.mark.parametrize("path", TRAIN_DEV, ids=lambda p: p.name)
def test_convention_of_renamed_treebank_files(tmp_path: Path, path: Path, variant: str) -> None:
    renamed = _write(tmp_path / "corpus.conllu", [_variant(b, variant) for b in _blocks(path)])
    told = EXPECTED.get((path.name, variant), treebank_convention(path))
    convention, why = choose_convention(renamed)
    if told is None:
        assert convention == "ud"
        assert why.startswith("the default") and "neither the file name nor the content" in why
    else:
        assert convention == told == treebank_convention(path)
        assert why.startswith("detected from the content"), why


def test_convention_detection_on_slices_is_never_wrong() -> None:
    """Renamed train/dev files cut into 50-sentence pieces (about 600 words): annotated ones
    are all told right; blanked and plain ones are told right or not at all (the default)."""
    right = total = 0
    for path in TRAIN_DEV:
        blocks = _blocks(path)
        for variant in ("annotated", "blanked", "plain"):
            for i in range(0, len(blocks), 50):
                evidence = ConventionEvidence()
                for line in (x for b in blocks[i : i + 50] for x in _variant(b, variant)):
                    if line.startswith("#"):
                        evidence.comment(line)
                    else:
                        cols = line.split("\t")
                        if cols[0].isdigit():
                            evidence.word(cols[1], cols[2], cols[3], cols[4], cols[5])
                convention, why = evidence.decide()
                assert convention in (None, treebank_convention(path)), (path, variant, i, why)
                if variant == "annotated":
                    assert convention == treebank_convention(path), (path, i, why)
                right += convention == treebank_convention(path)
                total += 1
    assert total > 200 and right > total // 3


def test_a_text_file_gets_the_default(tmp_path: Path) -> None:
    src = tmp_path / "notes.txt"
    src.write_text("Дом, который построил Джек.\n", encoding="utf-8")
    assert choose_convention(src) == (
        "ud",
        "the default (the current UD Russian guidelines): a text file has no annotations to "
        "tell a convention by",
    )
