"""OCR and mixed-script flags (``layerkit.quality.find_flags``): recall, precision, false flags.

Garbled paragraphs are made here, reproducibly (fixed seeds), from real Russian: groups of 1-6
consecutive sentences of ``../shared/data/ud/*-train.conllu`` and ``*-dev.conllu`` (never the
``*-test.conllu`` files: they are held out) and the paragraphs of ``sample_corpus/``. Styles:

``ocr_latin``
    The whole paragraph OCR'd into Latin look-alikes by glyph shape, not by sound: н→H, и→u/n/N,
    т→T/m, п→n, в→B/8, з→3, б→6, д→g/D, л→n/JI, ы→bI/bl, я→R/9, ь→b, ш→w/LLI, ж→>K, ф→cp ...,
    with random case flips inside words ("npakTuke") and, in half the paragraphs, real Latin
    acronyms (LLM, GPU) put in.
``ocr_latin_keep``
    The same, but some Cyrillic letters are left in place (the hard ones ж, ш, ы, я ... more
    often), as OCR with a Cyrillic model that gave up half way does.
``ocr_sentence``
    One sentence of a 2-6 sentence paragraph OCR'd as in ``ocr_latin``, the rest clean.
``digits``
    Digits for letters (в→8, з→3, б→6, о→0, ч→4, э→3) in a third of the words.
``digits_1``, ``digits_3``
    Exactly 1 or 3 words of two letters or more with a digit for a letter, the rest clean.
``mixed_1``, ``mixed_3``, ``mixed_10``
    Exactly 1, 3 or 10 Cyrillic words with one to three Latin look-alike letters (a→а, o→о,
    p→р, c→с, e→е, H→Н, ...), the rest clean.
``clean``
    The source paragraphs unchanged (controls).

All of these but ``clean`` are what a reader sees at a glance or what the issue names outright
(mixed-script words), so all count for recall. Real text must never be flagged: the controls
(``clean``), every sample corpus paragraph, every UD train/dev sentence grouped five by five,
and the English of Python's documentation (pydoc topics). Five UD sentences really do mix
scripts (``GENUINE_MIXES`` below): flagging them is right, so they are not counted as false.

Precision: flagged garbled paragraphs over all flagged paragraphs. Timing: microseconds per
paragraph of ``find_flags`` on the real Russian (sample + UD) and on the garbled paragraphs, the
best of three passes, each from empty look-up caches (as at the start of an import).

Run: ``.venv/bin/python bench/ocr_flags.py`` (about 15 s). ``--show STYLE`` prints the
paragraphs of that style that were missed (for real text: those flagged) with their flags;
``--impl FILE`` measures another version of layerkit/quality.py (``git show
HEAD:layerkit/quality.py > /tmp/q.py`` for the one before a change). Figures (2-core shared
CPU), before this work -> after: recall 0.830 -> 0.988; ocr_latin 0.497 -> 1.000, ocr_sentence
0.412 -> 0.963, digits_1 0.645 -> 0.945, the rest 0.945-1.000 -> 0.990-1.000; no false flags
either way on sample, UD (but two "@xxxxxxВсем" user names before) or English; 42-63 -> 44-53
µs per Russian paragraph, 217-313 -> 233-254 µs per garbled one.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import re
import sys
import time
from collections.abc import Callable
from functools import cache, lru_cache
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from layerkit import quality  # noqa: E402
from layerkit.quality import Flag  # noqa: E402

UD = ROOT.parent / "shared" / "data" / "ud"
SAMPLE = ROOT / "sample_corpus"
PER_STYLE = 400
UD_GROUP = 5

# --------------------------------------------------------------------------------------------
# Real Russian
# --------------------------------------------------------------------------------------------


def ud_files() -> list[Path]:
    files = sorted([*UD.glob("*-train.conllu"), *UD.glob("*-dev.conllu")])
    assert not any("-test" in f.name for f in files)
    return files


@cache
def ud_sentences(path: Path) -> list[str]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# text = "):
            out.append(line[len("# text = ") :].strip())
    return out


def ud_paragraphs() -> list[str]:
    """Every UD train/dev sentence, grouped five by five within each file."""
    paragraphs = []
    for path in ud_files():
        sents = ud_sentences(path)
        for i in range(0, len(sents), UD_GROUP):
            paragraphs.append(" ".join(sents[i : i + UD_GROUP]))
    return paragraphs


def sample_paragraphs() -> list[str]:
    """Every paragraph of every file in sample_corpus/: blank-line blocks, JSON Lines texts."""
    paragraphs = []
    for path in sorted(SAMPLE.iterdir()):
        if path.suffix == ".jsonl":
            for line in path.read_text(encoding="utf-8").splitlines():
                record = json.loads(line)
                if record.get("type") == "paragraph":
                    paragraphs.append(record["text"])
        elif path.suffix in (".txt", ".md"):
            blocks = re.split(r"\n\s*\n", path.read_text(encoding="utf-8"))
            paragraphs += [b.strip() for b in blocks if b.strip()]
    return paragraphs


@lru_cache(maxsize=1)
def english_paragraphs() -> list[str]:
    """English prose and code: the paragraphs of Python's own documentation (pydoc topics)."""
    import pydoc_data.topics

    blocks = (b.strip() for t in pydoc_data.topics.topics.values() for b in re.split(r"\n\s*\n", t))
    return [b for b in blocks if len(b.split()) >= 4]


@lru_cache(maxsize=1)
def sample_sentences() -> list[list[str]]:
    """Sample corpus prose paragraphs (not README) cut into sentences, for garbling."""
    out = []
    for path in sorted(SAMPLE.iterdir()):
        if path.name.startswith("README"):
            continue
        if path.suffix == ".jsonl":
            texts = [
                json.loads(line)["text"]
                for line in path.read_text(encoding="utf-8").splitlines()
                if json.loads(line).get("type") == "paragraph"
            ]
        elif path.suffix in (".txt", ".md"):
            texts = [b.strip() for b in re.split(r"\n\s*\n", path.read_text(encoding="utf-8"))]
        else:
            continue
        for text in texts:
            sents = [s for s in re.split(r"(?<=[.!?…])\s+", text) if s]
            if sum(len(s.split()) for s in sents) >= 8:
                out.append(sents)
    return out


def sources(rng: random.Random, n: int) -> list[list[str]]:
    """n source paragraphs as sentence lists: 1-6 consecutive UD sentences or a sample one."""
    ud = [ud_sentences(p) for p in ud_files()]
    sample = sample_sentences()
    out: list[list[str]] = []
    while len(out) < n:
        if rng.random() < 0.15:
            out.append(list(rng.choice(sample)))
            continue
        sents = rng.choice(ud)
        k = rng.randint(1, 6)
        i = rng.randrange(0, len(sents) - k)
        group = sents[i : i + k]
        if sum(len(s.split()) for s in group) >= 6:
            out.append(group)
    return out


# --------------------------------------------------------------------------------------------
# Garbling
# --------------------------------------------------------------------------------------------

# Cyrillic -> what OCR makes of it by shape, with weights.
_OCR: dict[str, list[tuple[str, float]]] = {
    "а": [("a", 1)],
    "б": [("6", 0.8), ("b", 0.2)],
    "в": [("B", 0.6), ("8", 0.25), ("b", 0.15)],
    "г": [("r", 1)],
    "д": [("g", 0.8), ("D", 0.2)],
    "е": [("e", 1)],
    "ё": [("e", 0.7), ("ë", 0.3)],
    "ж": [(">K", 0.7), (">|<", 0.3)],
    "з": [("3", 1)],
    "и": [("u", 0.6), ("n", 0.25), ("N", 0.15)],
    "й": [("u", 0.8), ("N", 0.2)],
    "к": [("k", 0.6), ("K", 0.4)],
    "л": [("n", 0.4), ("JI", 0.4), ("Jl", 0.2)],
    "м": [("M", 0.6), ("m", 0.4)],
    "н": [("H", 1)],
    "о": [("o", 0.9), ("0", 0.1)],
    "п": [("n", 1)],
    "р": [("p", 1)],
    "с": [("c", 1)],
    "т": [("T", 0.6), ("m", 0.4)],
    "у": [("y", 1)],
    "ф": [("cp", 0.8), ("qp", 0.2)],
    "х": [("x", 1)],
    "ц": [("u", 0.7), ("LI", 0.3)],
    "ч": [("4", 1)],
    "ш": [("w", 0.5), ("LLI", 0.3), ("III", 0.2)],
    "щ": [("w", 0.5), ("LLI", 0.5)],
    "ъ": [("b", 1)],
    "ы": [("bI", 0.5), ("bl", 0.4), ("b|", 0.1)],
    "ь": [("b", 1)],
    "э": [("3", 1)],
    "ю": [("IO", 0.5), ("lo", 0.3), ("10", 0.2)],
    "я": [("R", 0.6), ("9", 0.4)],
    "А": [("A", 1)],
    "Б": [("6", 1)],
    "В": [("B", 1)],
    "Г": [("r", 0.6), ("T", 0.2), ("F", 0.2)],
    "Д": [("D", 0.5), ("g", 0.5)],
    "Е": [("E", 1)],
    "Ё": [("E", 0.7), ("Ë", 0.3)],
    "Ж": [(">K", 1)],
    "З": [("3", 1)],
    "И": [("N", 0.5), ("U", 0.3), ("u", 0.2)],
    "Й": [("N", 0.5), ("U", 0.5)],
    "К": [("K", 1)],
    "Л": [("JI", 0.7), ("n", 0.3)],
    "М": [("M", 1)],
    "Н": [("H", 1)],
    "О": [("O", 1)],
    "П": [("n", 0.6), ("TI", 0.4)],
    "Р": [("P", 1)],
    "С": [("C", 1)],
    "Т": [("T", 1)],
    "У": [("Y", 0.6), ("y", 0.4)],
    "Ф": [("cp", 1)],
    "Х": [("X", 1)],
    "Ц": [("U", 0.5), ("LI", 0.5)],
    "Ч": [("4", 1)],
    "Ш": [("LLI", 0.5), ("W", 0.5)],
    "Щ": [("LLI", 1)],
    "Ъ": [("b", 1)],
    "Ы": [("bI", 1)],
    "Ь": [("b", 1)],
    "Э": [("3", 1)],
    "Ю": [("IO", 1)],
    "Я": [("R", 0.6), ("9", 0.4)],
}
_HARD = set("жшщыюэйдлбгяфцЖШЩЫЮЭЙДЛБГЯФЦ")
_ACRONYMS = ["LLM", "GPU", "API", "IT", "USB", "PDF", "HTML", "NASA", "SQL", "AI", "CPU", "OK"]
_DIGITS = {"в": "8", "В": "8", "з": "3", "З": "3", "б": "6", "о": "0", "О": "0", "ч": "4"}
_DIGITS |= {"Ч": "4", "э": "3", "Э": "3"}
_HOMOGLYPHS = {"а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "к": "k"}
_HOMOGLYPHS |= {c: c.translate(str.maketrans("АВЕКМНОРСТХ", "ABEKMHOPCTX")) for c in "АВЕКМНОРСТХ"}
_CYR_WORD = re.compile(r"[а-яёА-ЯЁ]+")


def _pick(rng: random.Random, options: list[tuple[str, float]]) -> str:
    r = rng.random() * sum(w for _, w in options)
    for text, w in options:
        r -= w
        if r <= 0:
            return text
    return options[-1][0]


def _flip(rng: random.Random, s: str, p: float) -> str:
    return "".join(
        ch.swapcase() if ch.isascii() and ch.isalpha() and rng.random() < p else ch for ch in s
    )


def ocr(rng: random.Random, text: str, keep: float = 0.0, flips: float = 0.12) -> str:
    """Shape-based OCR of Cyrillic into Latin look-alikes; ``keep``: share of letters left."""
    out = []
    for ch in text:
        options = _OCR.get(ch)
        if options is None:
            out.append(ch)
            continue
        if keep and rng.random() < (keep * 3 if ch in _HARD else keep):
            out.append(ch)
            continue
        out.append(_flip(rng, _pick(rng, options), flips))
    return "".join(out)


def _with_acronyms(rng: random.Random, text: str) -> str:
    if rng.random() < 0.5:
        return text
    words = text.split(" ")
    for _ in range(rng.randint(1, 2)):
        words.insert(rng.randrange(len(words) + 1), rng.choice(_ACRONYMS))
    return " ".join(words)


def _replace_words(
    rng: random.Random,
    text: str,
    count: int,
    eligible: Callable[[str], bool],
    change: Callable[[str], str],
) -> str | None:
    """``count`` random eligible Cyrillic words changed; None if there are fewer."""
    matches = [m for m in _CYR_WORD.finditer(text) if eligible(m.group())]
    if len(matches) < count:
        return None
    chosen = sorted(rng.sample(matches, count), key=lambda m: m.start(), reverse=True)
    for m in chosen:
        text = text[: m.start()] + change(m.group()) + text[m.end() :]
    return text


def _substitute(rng: random.Random, word: str, table: dict[str, str], keep_one: bool) -> str:
    positions = [i for i, ch in enumerate(word) if ch in table]
    k = 1 if rng.random() < 0.6 else rng.randint(1, 3)
    k = min(k, len(positions) - (1 if keep_one and len(positions) == len(word) else 0))
    k = max(k, 1)
    chars = list(word)
    for i in rng.sample(positions, k):
        chars[i] = table[chars[i]]
    return "".join(chars)


def _digit_word(rng: random.Random, word: str) -> str:
    return _substitute(rng, word, _DIGITS, keep_one=True)


def _mixed_word(rng: random.Random, word: str) -> str:
    return _substitute(rng, word, _HOMOGLYPHS, keep_one=True)


def _has(table: dict[str, str]) -> Callable[[str], bool]:
    return lambda w: (
        len(w) >= 2 and any(ch in table for ch in w) and any(ch not in table for ch in w)
    )


def garble(style: str, rng: random.Random, sents: list[str]) -> str | None:
    text = " ".join(sents)
    if style == "clean":
        return text
    if style == "ocr_latin":
        return _with_acronyms(rng, ocr(rng, text))
    if style == "ocr_latin_keep":
        return _with_acronyms(rng, ocr(rng, text, keep=0.12))
    if style == "ocr_sentence":
        if len(sents) < 2:
            return None
        i = rng.randrange(len(sents))
        return " ".join(ocr(rng, s) if j == i else s for j, s in enumerate(sents))
    if style == "digits":
        return _CYR_WORD.sub(
            lambda m: (
                _digit_word(rng, m.group())
                if any(ch in _DIGITS for ch in m.group()) and rng.random() < 0.33
                else m.group()
            ),
            text,
        )
    if style.startswith("digits_"):
        n = int(style.split("_")[1])
        return _replace_words(rng, text, n, _has(_DIGITS), lambda w: _digit_word(rng, w))
    if style.startswith("mixed_"):
        n = int(style.split("_")[1])
        return _replace_words(rng, text, n, _has(_HOMOGLYPHS), lambda w: _mixed_word(rng, w))
    raise ValueError(style)


STYLES = [
    "ocr_latin",
    "ocr_latin_keep",
    "ocr_sentence",
    "digits",
    "digits_1",
    "digits_3",
    "mixed_1",
    "mixed_3",
    "mixed_10",
    "clean",
]
TARGETS = [s for s in STYLES if s != "clean"]


def garbled_sets() -> dict[str, list[str]]:
    sets = {}
    for n, style in enumerate(STYLES):
        rng = random.Random(1000 + n)
        out: list[str] = []
        for sents in sources(random.Random(7 + n), PER_STYLE * 3):
            g = garble(style, rng, sents)
            if g is not None and (style == "clean" or g != " ".join(sents)):
                out.append(g)
            if len(out) == PER_STYLE:
                break
        sets[style] = out
    return sets


# --------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------

# Words of the UD data that really do mix scripts (checked by hand): spam written to dodge
# filters ("вoйнy прoтив Рoccии", "Смoтрeть вeсь спuсoк"), a Latin c in «cт.л.», a domain typed
# as «соm» with Cyrillic «со», «Bаpвapа». Flagging them is right, so they are not false flags;
# the bench prints how many of these paragraphs are flagged.
GENUINE_MIXES = frozenset(
    ["вoйнy", "прoтив", "Рoccии", "Смoтрeть", "вeсь", "спuсoк", "cт", "соm", "Bаpвapа"]
)


def _genuine(text: str, flags: list[Flag]) -> bool:
    return bool(flags) and all(
        f.code == "mixed_script" and all(text[s:e] in GENUINE_MIXES for s, e in f.spans)
        for f in flags
    )


def _load(impl: str | None) -> ModuleType:
    """layerkit.quality, or another version of it from a file (to measure the one before)."""
    if impl is None:
        return quality
    spec = importlib.util.spec_from_file_location("quality_impl", impl)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["quality_impl"] = module
    spec.loader.exec_module(module)
    return module


def _clear_caches(module: ModuleType) -> None:
    for name in dir(module):
        obj = getattr(module, name)
        if hasattr(obj, "cache_clear") and name != "_morph":
            obj.cache_clear()


def run(module: ModuleType, paragraphs: list[str]) -> tuple[list[list[Flag]], float]:
    """Flags of every paragraph, and µs per paragraph: the best of 3 passes from empty caches."""
    best = float("inf")
    for _ in range(3):
        _clear_caches(module)
        start = time.perf_counter()
        results = [module.find_flags(p) for p in paragraphs]
        best = min(best, time.perf_counter() - start)
    return results, best / max(1, len(paragraphs)) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--show", help="print the misses of a style, or the flags of a clean set")
    parser.add_argument("--impl", help="another quality.py to measure (e.g. the one before)")
    args = parser.parse_args()
    module = _load(args.impl)
    find = module.find_flags

    find("Kak Halitn cebst 8 Mupe")  # load the dictionary outside the timings
    sets = garbled_sets()
    clean = {
        "clean": sets.pop("clean"),
        "sample": sample_paragraphs(),
        "ud": ud_paragraphs(),
        "english": english_paragraphs(),
    }
    russian = clean["sample"] + clean["ud"]
    russian_results, russian_us = run(module, russian)
    garbled = [p for s in TARGETS for p in sets[s]]
    garbled_results, garbled_us = run(module, garbled)
    results: dict[str, list[list[Flag]]] = {}
    i = 0
    for s in TARGETS:
        results[s] = garbled_results[i : i + len(sets[s])]
        i += len(sets[s])
    results["sample"] = russian_results[: len(clean["sample"])]
    results["ud"] = russian_results[len(clean["sample"]) :]
    results["clean"] = [find(p) for p in clean["clean"]]
    results["english"] = [find(p) for p in clean["english"]]
    texts = {**sets, **clean}

    print(f"{'style':<16}{'paragraphs':>11}{'flagged':>9}{'rate':>8}   flags")
    false_flags: dict[str, int] = {}
    for s in [*TARGETS, *clean]:
        flagged = [(t, r) for t, r in zip(texts[s], results[s], strict=True) if r]
        codes: dict[str, int] = {}
        for _, r in flagged:
            for f in r:
                codes[f.code] = codes.get(f.code, 0) + 1
        rate = len(flagged) / max(1, len(results[s]))
        mark = "*" if s in TARGETS else " "
        extra = ""
        if s not in TARGETS:
            genuine = sum(1 for t, r in flagged if _genuine(t, r))
            false_flags[s] = len(flagged) - genuine
            extra = f"   (really mixed: {genuine}, false: {false_flags[s]})" if genuine else ""
        print(f"{mark}{s:<15}{len(results[s]):>11}{len(flagged):>9}{rate:>8.3f}   {codes}{extra}")
    print("* garbled styles to catch (what a reader sees at a glance, or mixed-script words);")
    print("  the others are real text: clean = the garbled styles' sources unchanged, sample =")
    print("  every sample_corpus paragraph, ud = UD train+dev sentences five by five, english =")
    print("  pydoc topics")

    tp = sum(1 for s in TARGETS for r in results[s] if r)
    n_targets = sum(len(results[s]) for s in TARGETS)
    fp = sum(false_flags.values())
    print(
        f"find_flags: {russian_us:.0f} µs per real Russian paragraph (sample + ud, "
        f"{len(russian)}), {garbled_us:.0f} µs per garbled one ({len(garbled)}); caches empty"
    )

    if args.show:
        for text, r in zip(texts[args.show], results[args.show], strict=True):
            if bool(r) == (args.show in TARGETS):
                continue
            print("----")
            print(text)
            for f in r:
                print("  ", f.code, f.message)

    print(
        f"recall={tp / n_targets:.3f} precision={tp / max(1, tp + fp):.3f} "
        f"false_flags_sample={false_flags['sample']} false_flags_ud={false_flags['ud']}"
    )


if __name__ == "__main__":
    main()
