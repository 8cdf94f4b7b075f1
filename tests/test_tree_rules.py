"""``layerkit tag`` on a treebank: the analyses agree with the tree the file gives
(plugins/layerkit_ru_morph/tree_rules.py), as the UD validator checks at level 3."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import conllu
import pytest
from conftest import SHARED
from layerkit_ru_morph.tree_rules import follow_the_tree

UDVALIDATE = Path(sys.executable).parent / "udvalidate"


def _word(ident: int, form: str, lemma: str, upos: str, feats: str, head: int, rel: str):
    return [str(ident), form, lemma, upos, "_", feats, str(head), rel, "_", "_"]


def test_a_words_relation_decides_what_its_tag_may_be() -> None:
    words = [
        _word(1, "Когда", "когда", "SCONJ", "_", 4, "advmod"),
        _word(2, "в", "в", "ADP", "_", 4, "advmod"),
        _word(3, "общем", "общий", "ADJ", "Case=Loc|Degree=Pos", 2, "fixed"),
        _word(4, "есть", "быть", "VERB", "Aspect=Imp|VerbForm=Inf", 0, "root"),
        _word(5, ")))", ")))", "SYM", "_", 4, "punct"),
        _word(6, "(", "(", "PUNCT", "_", 4, "discourse"),
        _word(7, "что", "что", "PRON", "Case=Nom", 8, "mark"),
        _word(8, "при", "при", "VERB", "_", 4, "ccomp"),
        _word(9, "вет", "вет", "NOUN", "Case=Nom", 8, "goeswith"),
        _word(10, "был", "быть", "VERB", "Aspect=Imp|Tense=Past", 8, "cop"),
    ]
    follow_the_tree(words, "ud")
    analyses = {cols[1]: (cols[2], cols[3], cols[5]) for cols in words}
    assert analyses["Когда"] == ("когда", "ADV", "_")
    assert analyses["в"] == ("в", "ADP", "ExtPos=ADV")  # the expression acts as an adverb
    assert analyses[")))"] == (")))", "PUNCT", "_")
    assert analyses["("][1] == "SYM"  # PUNCT only as punct
    assert analyses["что"] == ("что", "SCONJ", "_")  # (Case is no SCONJ's feature)
    assert analyses["вет"] == ("_", "X", "_")
    assert analyses["при"][2] == "Typo=Yes"
    assert analyses["был"][:2] == ("быть", "AUX")
    assert analyses["есть"][1] == "VERB"  # root: anything goes


def test_an_extpos_the_relation_refutes_goes_and_every_goeswith_head_is_a_typo() -> None:
    """The validator audit: the tagger's own ``ExtPos=NOUN`` on a ``cc`` «т.» stayed when its
    UPOS was corrected (the validator reads ExtPos first: still refused), and a goeswith
    head tagged X got no ``Typo=Yes`` (required whatever the UPOS)."""
    words = [
        _word(1, "т.", "так", "NOUN", "Abbr=Yes|ExtPos=NOUN", 4, "cc"),
        _word(2, "е.", "есть", "VERB", "_", 1, "fixed"),
        _word(3, "pweination.", "pweination.", "X", "_", 4, "appos"),
        _word(4, "соm", "соm", "NOUN", "_", 3, "goeswith"),
    ]
    follow_the_tree(words, "ud")
    assert words[0][3] == "CCONJ" and words[0][5] == "Abbr=Yes|ExtPos=CCONJ"
    assert words[2][5] == "Typo=Yes"
    assert words[3][2:6] == ["_", "X", "_", "_"]


def test_the_older_taigas_convention_keeps_its_own_style() -> None:
    """UD Russian-Taiga's older release breaks these rules in its gold (a goeswith part
    keeps its tag, an advmod its ADP): tagging in its convention follows it, not them."""
    words = [
        _word(1, "в", "в", "ADP", "_", 3, "advmod"),
        _word(2, "при", "при", "NOUN", "_", 3, "nsubj"),
        _word(3, "вет", "вет", "NOUN", "_", 2, "goeswith"),
    ]
    before = [list(cols) for cols in words]
    follow_the_tree(words, "taiga-old")
    assert words == before
    follow_the_tree(words, "gsd")  # (no ExtPos in GSD's style)
    assert words[0][3] == "ADV" and words[0][5] == "_"


#: sentences of UD Russian-Taiga's dev file whose words the tagger tagged against their
#: relation (a smiley or «=» as SYM under punct, «когда» and «лиш» under advmod, «есть» as
#: cop, a ruler under dep, a goeswith part)
SENTENCES = (
    "instagram-11",
    "instagram-122",
    "instagram-245",
    "instagram-326",
    "instagram-384",
    "poetry-rnc-abstract-37",
    "poetry-rnc-abstract-202",
    "uch-nauch--encicl_hudozh--kompozicija-26",
    "uch-nauch--encicl_litved--slovar-liter1988_014-10",
    "uch-nauch--encicl_litved--slovar-liter1988_014-26",
    "uch-nauch--encicl_litved--slovar-liter1988_014-35",
)


def _validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(UDVALIDATE), "--lang", "ru", "--level", "3", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def _blank_treebank(tmp_path: Path) -> Path:
    """The sentences of :data:`SENTENCES`, valid at level 3 as the treebank has them, with
    LEMMA, UPOS and FEATS emptied: a treebank of trees without morphology."""
    with (SHARED / "data" / "ud" / "ru_taiga-ud-dev.conllu").open(encoding="utf-8") as handle:
        chosen = [s for s in conllu.parse_incr(handle) if s.metadata["sent_id"] in SENTENCES]
    assert len(chosen) == len(SENTENCES)
    gold = tmp_path / "gold.conllu"
    gold.write_text("".join(s.serialize() for s in chosen), encoding="utf-8")
    assert _validate(gold).returncode == 0, _validate(gold).stdout[-2000:]
    for sentence in chosen:
        for token in sentence:
            token["lemma"] = token["upos"] = "_"
            token["feats"] = None
    blank = tmp_path / "blank.conllu"
    blank.write_text("".join(s.serialize() for s in chosen), encoding="utf-8")
    return blank


def _layerkit(*args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "layerkit", *args], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr


def test_a_treebank_tagged_keeps_the_validators_level_3(tmp_path: Path) -> None:
    out = tmp_path / "tagged.conllu"
    _layerkit("tag", str(_blank_treebank(tmp_path)), "-o", str(out), "--convention", "ud")
    checked = _validate(out)
    assert checked.returncode == 0, checked.stdout[-3000:]


def test_a_treebank_preannotated_and_exported_keeps_the_validators_level_3(
    tmp_path: Path,
) -> None:
    """The same through the store: a treebank without morphology imported, pre-annotated
    (the tagger reads the trees the importer kept) and exported."""
    db, out = str(tmp_path / "store.db"), tmp_path / "exported.conllu"
    _layerkit("--db", db, "import", str(_blank_treebank(tmp_path)))
    _layerkit("--db", db, "preannotate")
    _layerkit("--db", db, "export", "conllu", "-o", str(out))
    checked = _validate(out)
    assert checked.returncode == 0, checked.stdout[-3000:]


@pytest.mark.parametrize("convention", ["ud", "gsd", "taiga-old"])
def test_words_without_a_relation_are_left_as_tagged(convention: str) -> None:
    words = [_word(1, "Когда", "когда", "SCONJ", "_", 0, "_")]
    words[0][6] = "_"
    follow_the_tree(words, convention)
    assert words[0][3] == "SCONJ"
