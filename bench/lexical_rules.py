"""Lexical pre-annotation accuracy on the UD gold files: naive pymorphy3 vs analyze()+RuleTagger.

For every file in ../shared/data/ud/ (gold tokens) prints UPOS, lemma, UFeats (the whole FEATS
string) and AllTags (all three) accuracy and tokens/s of

* naive: pymorphy3's most probable parse through a minimal OpenCorpora -> UD table;
* rules: ``analyze()`` candidates chosen by ``RuleTagger``;

both converted to the file's own convention (``conventions.convert``) before scoring, and the
oracle of ``analyze()``: how often the gold reading is among its candidates (the ceiling of any
model that chooses among them), for UPOS, lemma and the full tag. ExtPos (fixed expressions)
is added by the taggers, never by ``analyze()``; the oracle is also shown ignoring it.

Run: ``.venv/bin/python bench/lexical_rules.py``
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import conllu

from layerkit.nlp.analyzer import analyze, clear_cache, morph
from layerkit.nlp.conventions import convert, treebank_convention
from layerkit.nlp.rule_tagger import RuleTagger
from layerkit.nlp.ud_map import feats_from_str, feats_to_str

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "ud"

Tag = tuple[str, str, str]

_NAIVE_POS = {
    "NOUN": "NOUN",
    "ADJF": "ADJ",
    "ADJS": "ADJ",
    "COMP": "ADJ",
    "VERB": "VERB",
    "INFN": "VERB",
    "PRTF": "VERB",
    "PRTS": "VERB",
    "GRND": "VERB",
    "NUMR": "NUM",
    "ADVB": "ADV",
    "NPRO": "PRON",
    "PRED": "ADV",
    "PREP": "ADP",
    "CONJ": "CCONJ",
    "PRCL": "PART",
    "INTJ": "INTJ",
    "LATN": "X",
    "PNCT": "PUNCT",
    "NUMB": "NUM",
    "ROMN": "NUM",
}
_NAIVE_FEATS = {
    "Case": {
        "nomn": "Nom",
        "gent": "Gen",
        "datv": "Dat",
        "accs": "Acc",
        "ablt": "Ins",
        "loct": "Loc",
    },
    "Number": {"sing": "Sing", "plur": "Plur"},
    "Gender": {"masc": "Masc", "femn": "Fem", "neut": "Neut"},
    "Animacy": {"anim": "Anim", "inan": "Inan"},
    "Aspect": {"perf": "Perf", "impf": "Imp"},
    "Tense": {"past": "Past", "pres": "Pres", "futr": "Fut"},
    "Person": {"1per": "1", "2per": "2", "3per": "3"},
    "Mood": {"indc": "Ind", "impr": "Imp"},
}


def naive(word: str) -> Tag:
    """pymorphy3's first parse, mapped by POS and grammeme tables with no UD conventions."""
    parse = morph().parse(word)[0]
    grams = parse.tag.grammemes
    # the first grammeme is the POS, or PNCT/LATN/NUMB/ROMN/UNKN for non-words
    upos = _NAIVE_POS.get(str(parse.tag).replace(" ", ",").split(",")[0], "X")
    feats = {}
    for name, table in _NAIVE_FEATS.items():
        for gram, value in table.items():
            if gram in grams:
                feats[name] = value
    return parse.normal_form, upos, feats_to_str(feats)


def load(path: Path) -> list[list[tuple[str, Tag]]]:
    sentences = []
    with path.open(encoding="utf-8") as handle:
        for sentence in conllu.parse_incr(handle):
            tokens = []
            for token in sentence:
                if not isinstance(token["id"], int):
                    continue
                feats = token["feats"] or {}
                gold = (token["lemma"], token["upos"], feats_to_str(feats))
                tokens.append((token["form"], gold))
            sentences.append(tokens)
    return sentences


def score(pairs: Sequence[tuple[Tag, Tag]]) -> tuple[float, float, float, float]:
    n = len(pairs) or 1
    upos = sum(p[1] == g[1] for p, g in pairs) / n
    lemma = sum(p[0] == g[0] for p, g in pairs) / n
    feats = sum(p[2] == g[2] for p, g in pairs) / n
    alltags = sum(p == g for p, g in pairs) / n
    return upos, lemma, feats, alltags


def without_extpos(feats: str) -> str:
    f = feats_from_str(feats)
    f.pop("ExtPos", None)
    return feats_to_str(f)


def run_system(
    sentences: list[list[tuple[str, Tag]]],
    system: Callable[[list[list[str]]], list[list[Tag]]],
    convention: str,
) -> tuple[list[tuple[Tag, Tag]], float]:
    words = [[form for form, _ in s] for s in sentences]
    start = time.perf_counter()
    predicted = system(words)
    elapsed = time.perf_counter() - start
    pairs = []
    for sentence, tags in zip(sentences, predicted, strict=True):
        for (form, gold), tag in zip(sentence, tags, strict=True):
            pairs.append((convert(*tag, form, convention), gold))
    return pairs, len(pairs) / elapsed


def naive_system(words: list[list[str]]) -> list[list[Tag]]:
    return [[naive(w) for w in sentence] for sentence in words]


def rules_system(words: list[list[str]]) -> list[list[Tag]]:
    clear_cache()  # time the analysis too, not just cache look-ups
    tagged = RuleTagger().tag(words)
    return [[(a.lemma, a.upos, a.feats) for a in sentence] for sentence in tagged]


def oracle(sentences: list[list[tuple[str, Tag]]], convention: str) -> dict[str, float]:
    n = 0
    hits = {"upos": 0, "lemma": 0, "full": 0, "full w/o ExtPos": 0}
    for sentence in sentences:
        for form, gold in sentence:
            n += 1
            readings = [convert(r.lemma, r.upos, r.feats, form, convention) for r in analyze(form)]
            hits["upos"] += any(r[1] == gold[1] for r in readings)
            hits["lemma"] += any(r[0] == gold[0] for r in readings)
            hits["full"] += gold in readings
            bare = (gold[0], gold[1], without_extpos(gold[2]))
            hits["full w/o ExtPos"] += bare in readings
    return {k: v / max(n, 1) for k, v in hits.items()}


def main() -> None:
    files = sorted(DATA.glob("*.conllu"))
    if not files:
        raise SystemExit(f"no .conllu files in {DATA}")
    morph()  # load the dictionaries outside the timings
    for path in files:
        convention = treebank_convention(path)
        sentences = load(path)
        n = sum(len(s) for s in sentences)
        print(f"\n{path.name}  ({n} tokens, scored in convention {convention!r})")
        print(f"{'system':<8} {'UPOS':>7} {'lemma':>7} {'UFeats':>7} {'AllTags':>7} {'tok/s':>9}")
        for name, system in (("naive", naive_system), ("rules", rules_system)):
            pairs, speed = run_system(sentences, system, convention)
            upos, lemma, feats, alltags = score(pairs)
            print(
                f"{name:<8} {100 * upos:7.2f} {100 * lemma:7.2f} {100 * feats:7.2f} "
                f"{100 * alltags:7.2f} {speed:9.0f}"
            )
        o = oracle(sentences, convention)
        print(
            "oracle   "
            + "  ".join(f"{k} {100 * v:.2f}" for k, v in o.items())
            + "  (gold among analyze() readings)"
        )


if __name__ == "__main__":
    main()
