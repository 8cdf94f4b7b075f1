"""Quality flags for paragraphs that look like broken OCR or mixed scripts.

Annotators need to know when a paragraph's letters are not what they seem: a Latin "o" inside
"мoлоко" makes the word unknown to every Russian tool, and a paragraph that OCR turned into
"Kak Halitn cebst 8 Mupe" is not English. We flag such paragraphs at import and never change
them: only a person can decide what the text should have been.

Two flags:

``mixed_script``
    A word that mixes Cyrillic with Latin (or Greek) letters, has a digit between Cyrillic
    letters ("ра3вод"), or digits that look like letters at its edge where they make a Russian
    word ("3автра", "6ыл", "чт0"). Hyphenated compounds of a Cyrillic and a Latin part
    ("СССР-USA"), pure Latin words ("iPhone", "COVID-19"), numbers with endings or units
    ("10км", "8лет", "3а", "Ту154"), URLs, e-mail addresses and "@user" names are fine.

``latin_lookalike``
    Russian OCR'd (or typed) into Latin letters and digits that look like Cyrillic ones, by
    shape: н→H, и→u/n, т→T/m, п→n, в→B/8, з→3, б→6, ы→bI, л→JI, ж→>K, я→R/9, with any case
    ("Kak Halitn cebst 8 Mupe", "npakTuke"). Each Latin word is read back through the pymorphy3
    dictionary, every look-alike letter at once; the paragraph is flagged when most of its
    Latin words (at least two) read as common Russian words, or when one word that bears
    OCR's marks (a digit among its letters, a capital after a small letter) does, so a single
    garbled line in a Russian paragraph is caught too. English, code and names are not.

``bench/ocr_flags.py`` measures both on garbled paragraphs made from real Russian and on real
Russian and English text that must not be flagged.

Offsets in spans are code-point offsets into the paragraph text, end exclusive.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pymorphy3

__all__ = ["Flag", "find_flags", "lookalike_readings"]

Span = tuple[int, int]


@dataclass(frozen=True)
class Flag:
    """One quality problem of a paragraph: a code, a message for people, the spans involved."""

    code: str
    message: str
    spans: tuple[Span, ...]

    def to_json(self) -> dict[str, Any]:
        """The flag as stored in ``ParagraphDraft.flags`` and JSON Lines exports."""
        return {
            "code": self.code,
            "message": self.message,
            "spans": [[start, end] for start, end in self.spans],
        }


# --------------------------------------------------------------------------------------------
# Tokens
# --------------------------------------------------------------------------------------------

# A word: letters and digits, plus the marks that live inside Russian words (combining stress
# marks, soft hyphens, zero-width joiners). Hyphens and apostrophes split words, so each part
# of "СССР-USA" or "Т-34" is judged on its own.
_WORD_RE = re.compile(r"(?:[^\W_]|[\u0300-\u036f\u00ad\u200b-\u200d\u2060])+")
_URL_RE = re.compile(
    r"(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>«»\"]+"  # URLs
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail addresses
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|ru|su|io|dev|info|рф)\b(?:/\S*)?",  # bare domains
    re.IGNORECASE,
)
_LATIN_LETTER_RE = re.compile(r"[A-Za-z]")
# Character classes: Cyrillic; Latin and Greek letters; marks that live inside words.
_CYR = "\u0400-\u052f"
_FOREIGN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0370-\u03ff\u1e00-\u1eff"
_INNER = "\u0300-\u036f\u00ad\u200b-\u200d\u2060"
_CYR_LETTER_RE = re.compile(f"[{_CYR}]")


def _is_cyrillic(ch: str) -> bool:
    return "\u0400" <= ch <= "\u04ff" or "\u0500" <= ch <= "\u052f"


def _is_foreign_letter(ch: str) -> bool:
    """Latin (ASCII and accented) or Greek letters: the scripts that have Cyrillic look-alikes."""
    if ch.isascii():
        return ch.isalpha()
    return (
        ("\u00c0" <= ch <= "\u024f" and ch not in "\u00d7\u00f7")
        or "\u0370" <= ch <= "\u03ff"
        or "\u1e00" <= ch <= "\u1eff"
    )


_ROMAN_RE = re.compile(r"[IVXLCDM]+")


def _masked(text: str) -> list[Span]:
    """Spans of URLs and e-mail addresses, which are allowed to mix anything."""
    return [m.span() for m in _URL_RE.finditer(text)]


def _inside(span: Span, masks: list[Span]) -> bool:
    return any(s <= span[0] and span[1] <= e for s, e in masks)


# --------------------------------------------------------------------------------------------
# mixed_script
# --------------------------------------------------------------------------------------------


def _is_mixed(word: str) -> bool:
    """Cyrillic together with Latin/Greek letters, or a digit between Cyrillic letters."""
    has_cyr = has_foreign = False
    for ch in word:
        if _is_cyrillic(ch):
            has_cyr = True
        elif _is_foreign_letter(ch):
            has_foreign = True
    if has_cyr and has_foreign:
        # "XIXв" (a century) or "IIя": a Roman numeral with a short lower-case Cyrillic ending
        # is fine. Single C, M, D, L are excluded: "Cтол" with a Latin C is the classic OCR error.
        latin = "".join(ch for ch in word if _is_foreign_letter(ch))
        rest = word[len(latin) :]
        return not (
            word.startswith(latin)
            and _ROMAN_RE.fullmatch(latin)
            and (len(latin) >= 2 or latin in "IVX")
            and 1 <= len(rest) <= 2
            and rest.islower()
            and all(_is_cyrillic(ch) for ch in rest)
        )
    if has_cyr:
        # A digit between Cyrillic letters ("ра3вод"), or several that all look like letters
        # ("к00рдинатам"); digits at the edges only when they make a word ("3автра").
        letters = "".join(ch for ch in word if ch.isalpha() or ch.isdigit())
        for m in _INNER_DIGITS_RE.finditer(letters):
            if len(m.group(1)) == 1 or all(d in _OCR_CHARS for d in m.group(1)):
                return True
        return any(ch.isdigit() for ch in letters) and _digit_lookalike(letters)
    return False


_INNER_DIGITS_RE = re.compile(f"(?<=[{_CYR}])([0-9]+)(?=[{_CYR}])")
# A number with a Cyrillic ending or unit written without a hyphen ("8лет", "9года", "6ой",
# "3а") can read as a word when its digits are taken as letters ("влёт", "ягода", "бой", "за"):
# after digits, these and any single letter are endings, not look-alikes.
_NUMBER_ENDINGS_TEXT = (
    "лет год года году годам годах годов мин руб сек час тыс млн млрд шт кв км кг см мм мг "
    "мл га лс гб мб кб тб гц вт ами ями ыми ими ого ому его ему ых ый ым ые ой ий ая ое ую ью "
    "ти ми го му ом ех ёх ух мя день дня дней раз раза"
)
_NUMBER_ENDINGS = frozenset(_NUMBER_ENDINGS_TEXT.split())
_EDGE_DIGITS_RE = re.compile(r"([0-9]*)([а-яёА-ЯЁ]+)([0-9]*)")


def _digit_lookalike(word: str) -> bool:
    """Digits for letters at the edge of a Cyrillic word: "3автра", "6ыл", "предметн0".

    Only digits that look like letters (0 о, 3 з/э, 4 ч, 6 б, 8 в, 9 я), and only when the word
    they make is a common Russian one, so "10км", "Ту154", "3а", "5-й", "м3" are left alone.
    """
    m = _EDGE_DIGITS_RE.fullmatch(word)
    if m is None:
        return False
    lead, core, tail = m.groups()
    if not (lead or tail) or any(d not in _OCR_CHARS for d in lead + tail):
        return False
    low = core.lower()
    if lead and not tail and (low in _NUMBER_ENDINGS or (len(low) == 1 and low not in "ыьъ")):
        return False
    if tail and (core.isupper() or (len(core) == 1 and len(tail) > 1)):
        return False  # "ТУ134", "АК47", "м3" are names and units with numbers
    words = _morph().dictionary.words
    return any(_is_common_russian(r) for r in words.similar_keys(word.lower(), _ocr_replaces()))


_HANDLE_RE = re.compile(r"[A-Za-z0-9_]+")


def _mixed_script(text: str, masks: list[Span]) -> Flag | None:
    spans = []
    for m in _WORD_RE.finditer(text):
        word, (start, end) = m.group(), m.span()
        if start and text[start - 1] == "@":
            # "@xxxxxxВсем": a user name glued to the next word; only that word is judged.
            handle = _HANDLE_RE.match(word)
            if handle:
                word, start = word[handle.end() :], start + handle.end()
        if _MIXED_PROBE.search(word) and _is_mixed(word) and not _inside((start, end), masks):
            spans.append((start, end))
    if not spans:
        return None
    examples = ", ".join(f"«{text[s:e]}»" for s, e in spans[:3])
    more = f" and {len(spans) - 3} more" if len(spans) > 3 else ""
    noun = "word mixes" if len(spans) == 1 else f"{len(spans)} words mix"
    return Flag(
        code="mixed_script",
        message=f"{noun} Cyrillic with Latin letters or digits: {examples}{more} "
        "(look-alike characters from OCR or a keyboard layout?)",
        spans=tuple(spans),
    )


# --------------------------------------------------------------------------------------------
# latin_lookalike
# --------------------------------------------------------------------------------------------

# Latin letters and digits -> the Cyrillic letters they are mistaken for, most likely first.
# Lower-case Cyrillic н, м, т, в, к look like small capitals, so H, M, T, B, K map to lower case;
# italic и, п, т look like u, n, m.
_LOOKALIKES: dict[str, tuple[str, ...]] = {
    "a": ("а",),
    "b": ("ь", "в", "б"),
    "c": ("с",),
    "d": ("д",),
    "e": ("е", "ё"),
    "g": ("д",),
    "k": ("к",),
    "m": ("м", "т"),
    "n": ("п", "и"),
    "o": ("о",),
    "p": ("р",),
    "r": ("г",),
    "t": ("т",),
    "u": ("и", "й", "ц"),
    "w": ("ш",),
    "x": ("х",),
    "y": ("у",),
    "A": ("а",),
    "B": ("в",),
    "C": ("с",),
    "E": ("е",),
    "H": ("н",),
    "K": ("к",),
    "M": ("м",),
    "N": ("и",),
    "O": ("о",),
    "P": ("р",),
    "R": ("я",),
    "T": ("т",),
    "X": ("х",),
    "Y": ("у",),
    "0": ("о",),
    "3": ("з", "э"),
    "4": ("ч",),
    "6": ("б",),
    "8": ("в",),
}
# Letters that OCR splits into two Latin characters.
_DIGRAPHS: dict[str, tuple[str, ...]] = {
    "bl": ("ы",),
    "bI": ("ы",),
    "b|": ("ы",),
    "JI": ("л",),
    "IO": ("ю",),
    "io": ("ю",),
    "lO": ("ю",),
}
_MAX_READINGS = 48  # alternatives tried per word; the product grows fast with ambiguous letters

# Thresholds, tuned on the English of Python's own documentation (pydoc topics: none of its
# ~2,000 paragraphs flagged) and on Russian rewritten in look-alikes (bench/ocr_flags.py). A
# single Latin word proves nothing unless it bears OCR's marks (MIN_MARKS below).
#: Latin words of at least this many characters count as evidence.
MIN_WORD_LEN = 2
#: Share of the paragraph's Latin words that must read as known Russian words.
MIN_KNOWN_SHARE = 0.5
#: ... and at least this many of them (one word proves nothing).
MIN_KNOWN_WORDS = 2
#: Share of Latin words that are common English words above which the paragraph is English.
MAX_ENGLISH_SHARE = 0.25

# Frequent English words: a few of them make a paragraph English. Those that are also Russian
# in look-alikes ("To" = "то", "He" = "не", "no" = "по") are in the lower-case-only list below.
_ENGLISH = frozenset(
    [
        "the",
        "and",
        "of",
        "is",
        "in",
        "it",
        "that",
        "for",
        "was",
        "with",
        "as",
        "his",
        "they",
        "be",
        "at",
        "by",
        "this",
        "have",
        "from",
        "or",
        "had",
        "not",
        "but",
        "what",
        "all",
        "were",
        "when",
        "we",
        "there",
        "can",
        "an",
        "your",
        "which",
        "their",
        "if",
        "do",
        "will",
        "each",
        "about",
        "how",
        "up",
        "out",
        "them",
        "then",
        "she",
        "many",
        "some",
        "so",
        "these",
        "would",
        "other",
        "into",
        "has",
        "her",
        "two",
        "like",
        "him",
        "see",
        "time",
        "could",
        "make",
        "than",
        "first",
        "been",
        "its",
        "who",
        "now",
        "people",
        "my",
        "made",
        "over",
        "did",
        "down",
        "only",
        "way",
        "find",
        "use",
        "may",
        "water",
        "long",
        "little",
        "very",
        "after",
        "words",
        "called",
        "just",
        "where",
        "most",
        "know",
        "get",
        "through",
        "back",
        "much",
        "before",
        "go",
        "good",
        "new",
        "write",
        "our",
        "used",
        "me",
        "man",
        "any",
        "day",
        "same",
        "right",
        "look",
        "think",
        "also",
        "around",
        "another",
        "came",
        "come",
        "work",
        "three",
        "word",
        "must",
        "because",
        "does",
        "part",
        "even",
        "place",
        "well",
        "such",
        "here",
        "take",
        "why",
        "things",
        "help",
        "put",
        "years",
        "different",
        "away",
        "again",
        "off",
        "went",
        "old",
        "number",
        "great",
        "tell",
        "men",
        "say",
        "small",
        "every",
        "found",
        "still",
        "between",
        "name",
        "should",
        "home",
        "big",
        "give",
        "air",
        "line",
        "set",
        "own",
        "under",
        "read",
        "last",
        "never",
        "us",
        "left",
        "end",
        "along",
        "while",
        "might",
        "next",
        "sound",
        "below",
        "saw",
        "something",
        "thought",
        "both",
        "few",
        "those",
        "always",
        "looked",
        "show",
        "large",
        "often",
        "together",
        "asked",
        "house",
        "world",
        "going",
        "want",
        "school",
        "important",
        "until",
        "form",
        "food",
        "keep",
        "children",
        "feet",
        "land",
        "side",
        "without",
        "boy",
        "once",
        "animals",
        "life",
        "enough",
        "took",
        "sometimes",
        "four",
        "head",
        "above",
        "kind",
        "began",
        "almost",
        "live",
        "page",
        "got",
        "earth",
        "need",
        "far",
        "hand",
        "high",
        "year",
        "mother",
        "light",
        "parts",
        "country",
        "father",
        "let",
        "night",
        "following",
        "picture",
        "being",
        "study",
        "second",
        "eyes",
        "soon",
        "times",
        "story",
        "boys",
        "since",
        "white",
        "days",
        "ever",
        "paper",
        "hard",
        "near",
        "sentence",
        "better",
        "best",
        "across",
        "during",
        "today",
        "others",
        "however",
        "sure",
        "means",
        "knew",
        "its",
        "try",
        "told",
        "young",
        "miles",
        "sun",
        "ways",
        "thing",
        "whole",
        "hear",
        "example",
        "heard",
        "several",
        "change",
        "answer",
        "room",
        "sea",
        "against",
        "top",
        "turned",
        "learn",
        "point",
        "city",
        "play",
        "toward",
        "five",
        "using",
        "himself",
        "usually",
        "are",
        "you",
        "yes",
        "hello",
        "please",
        "thank",
        "thanks",
        "function",
        "return",
        "value",
        "values",
        "string",
        "list",
        "true",
        "false",
        "none",
        "null",
        "file",
        "files",
        "data",
        "code",
        "error",
        "type",
        "class",
        "object",
        "objects",
        "method",
        "default",
        "returns",
        "argument",
        "arguments",
    ]
)
# Short English words that are also look-alike spellings of Russian ones ("to" = "то",
# "no" = "по"): English only in lower case, since OCR writes the Russian ones as "To", "He"...
_ENGLISH_LOWER_ONLY = frozenset(
    ["to", "on", "no", "he", "me", "my", "up", "or", "as", "at", "by", "so", "do", "go"]
)


def _is_english(word: str) -> bool:
    return word.lower() in _ENGLISH or word in _ENGLISH_LOWER_ONLY


@lru_cache(maxsize=1)
def _morph() -> pymorphy3.MorphAnalyzer:
    """The analyzer, created once on first use (it loads a 10 MB dictionary)."""
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


def lookalike_readings(word: str) -> list[str]:
    """Cyrillic spellings a Latin word could be a look-alike of ("Mupe" -> ["мире", "мице"]).

    Empty when some character has no Cyrillic look-alike. At most ``_MAX_READINGS`` readings,
    single-letter readings before digraph ones ("Mbl" -> "мы").
    """

    def readings(i: int) -> Iterator[str]:
        if i == len(word):
            yield ""
            return
        for alt in _LOOKALIKES.get(word[i], ()):
            for rest in readings(i + 1):
                yield alt + rest
        for alt in _DIGRAPHS.get(word[i : i + 2], ()):
            for rest in readings(i + 2):
                yield alt + rest

    return list(itertools.islice(readings(0), _MAX_READINGS))


# Dictionary entries that prove nothing: names ("Tom" = "Том", "Kate" = "Кате"), places,
# abbreviations ("OK" = "ок") are exactly what English words happen to look like.
_WEAK_GRAMMEMES = frozenset({"Name", "Surn", "Patr", "Geox", "Orgn", "Trad", "Abbr", "Init"})


def _is_common_russian(reading: str) -> bool:
    """A dictionary word of pymorphy3 that is not only a name or an abbreviation."""
    morph = _morph()
    if not morph.word_is_known(reading):
        return False
    return any(
        type(p.methods_stack[0][0]).__name__ == "DictionaryAnalyzer"
        and not (p.tag.grammemes & _WEAK_GRAMMEMES)
        for p in morph.parse(reading)
    )


# What OCR makes of Cyrillic glyphs, by shape rather than by sound, for reading Latin words
# back (broader than ``_LOOKALIKES``, which spells out a word's candidate readings one by one:
# here the dictionary itself prunes the candidates). Keys are lower case, since OCR mixes cases
# freely ("HauTu", "npakTuke"); each maps to the Cyrillic letters it may stand for. Italic и, п,
# т, л look like u, n, m, n; capital Я mirrored is R; ж is ">K" or ">|<"; ы is "bI" or "bl".
_OCR_CHARS: dict[str, str] = {
    "a": "а",
    "b": "ьвбъ",
    "c": "с",
    "d": "д",
    "e": "её",
    "ë": "ёе",
    "g": "д",
    "h": "н",
    "k": "к",
    "m": "мт",
    "n": "пилй",
    "o": "о",
    "p": "р",
    "r": "гя",
    "t": "тг",
    "u": "ийц",
    "w": "шщ",
    "x": "хж",
    "y": "у",
    "0": "о",
    "3": "зэ",
    "4": "ч",
    "6": "б",
    "8": "в",
    "9": "я",
}
# Groups of characters that OCR makes of one Cyrillic letter.
_OCR_GROUPS: dict[str, str] = {
    "bi": "ы",
    "bl": "ы",
    "b|": "ы",
    "b1": "ы",
    "ji": "л",
    "jl": "л",
    "li": "цй",
    "lli": "шщ",
    "ll|": "шщ",
    "lll": "шщ",
    "iii": "шщ",
    "io": "ю",
    "lo": "ю",
    "1o": "ю",
    "10": "ю",
    ">k": "ж",
    ">|<": "ж",
    "}|{": "ж",
    "cp": "ф",
    "qp": "ф",
    "ti": "п",
}
_OCR_GROUP_LENGTHS = sorted({len(g) for g in _OCR_GROUPS}, reverse=True)
# A group stands in the search for one private-use character that is replaced by its letters.
_OCR_PLACEHOLDERS = {g: chr(0xE000 + i) for i, g in enumerate(sorted(set(_OCR_GROUPS)))}
_MAX_SEGMENTATIONS = 16  # ways to cut a word into characters and groups ("cp" = "ф" or "ср")


def _ocr_segmentations(word: str) -> list[str]:
    """``word`` (lower case) with its groups replaced by placeholders, every way it can be cut.

    Characters without a Cyrillic look-alike end a cut, so most words have one way or none.
    """
    out: list[str] = []

    def cut(i: int, done: str) -> None:
        if len(out) >= _MAX_SEGMENTATIONS:
            return
        if i == len(word):
            out.append(done)
            return
        for n in _OCR_GROUP_LENGTHS:
            group = word[i : i + n]
            if len(group) == n and group in _OCR_GROUPS:
                cut(i + n, done + _OCR_PLACEHOLDERS[group])
        if word[i] in _OCR_CHARS:
            cut(i + 1, done + word[i])

    cut(0, "")
    return out


@lru_cache(maxsize=1)
def _ocr_replaces() -> Any:
    words = _morph().dictionary.words
    table = {ch: list(letters) for ch, letters in _OCR_CHARS.items()}
    table |= {_OCR_PLACEHOLDERS[g]: list(letters) for g, letters in _OCR_GROUPS.items()}
    table |= {"е": ["ё"], "ё": ["е"]}  # for Cyrillic words with digits ("3елёный", "тёмн0")
    return words.compile_replaces(table)


@lru_cache(maxsize=65536)
def _russian_reading(word: str) -> str | None:
    """A common Russian word that ``word`` is an OCR look-alike of ("npakTuke" = "практике").

    The dictionary's trie is walked with every candidate letter of every character at once
    (``similar_keys``), so ambiguous letters cost nothing for words that do not exist.
    """
    words = _morph().dictionary.words
    replaces = _ocr_replaces()
    for variant in _ocr_segmentations(word.lower()):
        for reading in words.similar_keys(variant, replaces):
            if _is_common_russian(reading):
                return str(reading)
    return None


_LATIN_TOKEN_RE = re.compile(
    r"(?<![\w@.#/\\])(?:>\|<|\}\|\{|>[Kk]|[bBlL]\||[A-Za-z0-9Ëë])+(?![\w@]|\.\w)"
)


def _looks_like_a_name(word: str) -> bool:
    return word.isupper() or (word[0].isupper() and word[1:].islower())


# Signs that a Latin word came out of OCR rather than off a keyboard: a capital right after a
# small letter ("npakTuke", "HauTu"), digits or bars among the letters ("ce6R", "6bIJI",
# ">KuByT"). A word with marks worth at least MIN_MARKS (inside the word a digit or bar counts
# 2, at its edge 1, a capital after a small letter 1) and at least MIN_MARKED_LETTERS Latin
# letters, that reads as a Russian word longer than that, is evidence enough on its own, even
# alone in a Cyrillic paragraph ("He 4acTo", "npoMoJI4aTb?"). Names written that way ("NumPy",
# "MeCab", "iPhone") and identifiers ("path0", "0xAB") have one mark or read as nothing.
_OCR_MARK_RE = re.compile(r"[a-zë][A-ZË]|[A-Za-zËë][0-9|<>{}]|[0-9|<>{}][A-Za-zËë]")
_CASE_MARK_RE = re.compile(r"[a-zë][A-ZË]")
_INNER_MARK_RE = re.compile(r"(?<=[A-Za-zËë])[0-9|<>{}]+(?=[A-Za-zËë])")
_EDGE_MARK_RE = re.compile(r"^[0-9|<>{}]+(?=[A-Za-zËë])|(?<=[A-Za-zËë])[0-9|<>{}]+$")
MIN_MARKS = 2
MIN_MARKED_LETTERS = 3


def _is_marked_russian(word: str) -> bool:
    if word[:2] in ("0x", "0X"):  # hexadecimal
        return False
    marks = (
        len(_CASE_MARK_RE.findall(word))
        + 2 * len(_INNER_MARK_RE.findall(word))
        + len(_EDGE_MARK_RE.findall(word))
    )
    if marks < MIN_MARKS or len(_LATIN_LETTER_RE.findall(word)) < MIN_MARKED_LETTERS:
        return False
    reading = _russian_reading(word)
    return reading is not None and len(reading) > MIN_MARKED_LETTERS


# Latin words that are code, not text: identifiers ending in a number ("path0", "top10", "mp3"),
# hexadecimal or binary literals ("0xAB") and colours ("b0b0b0").
_IDENTIFIER_RE = re.compile(
    r"[A-Za-z]+[0-9]+|0[xXbB][0-9A-Fa-f]+|(?=(?:[A-Fa-f]*[0-9]){2})[0-9A-Fa-f]{6}"
)


def _latin_lookalike(text: str, masks: list[Span]) -> Flag | None:
    # In a mostly Cyrillic paragraph, capitalised Latin words are names and brands ("Tom",
    # "Kate" read as "том", "кате"), and so is a Latin word among Cyrillic ones ("массивы NumPy"
    # read as "литру"): only words in a run of Latin ones, as an OCR'd line is, count there.
    cyrillic_context = len(_CYR_LETTER_RE.findall(text)) > len(_LATIN_LETTER_RE.findall(text))
    tokens = list(_LATIN_TOKEN_RE.finditer(text))
    words: list[Span] = []
    marked = False
    for i, m in enumerate(tokens):
        token = m.group()
        if (
            len(token) < MIN_WORD_LEN
            or not _LATIN_LETTER_RE.search(token)
            or _inside(m.span(), masks)
            or _IDENTIFIER_RE.fullmatch(token)
        ):
            continue
        mark = _OCR_MARK_RE.search(token) is not None
        if cyrillic_context and not (mark and _is_marked_russian(token)):
            in_run = (i > 0 and _latin_neighbours(text, tokens[i - 1], m)) or (
                i + 1 < len(tokens) and _latin_neighbours(text, m, tokens[i + 1])
            )
            if _looks_like_a_name(token) or not in_run:
                continue
        words.append(m.span())
        marked = marked or mark
    if len(words) < MIN_KNOWN_WORDS and not marked:
        return None
    english = sum(1 for s, e in words if _is_english(text[s:e]))
    if english > MAX_ENGLISH_SHARE * len(words):
        return None
    known = [(s, e) for s, e in words if _russian_reading(text[s:e]) is not None]
    if (len(known) < MIN_KNOWN_WORDS or len(known) < MIN_KNOWN_SHARE * len(words)) and not any(
        _is_marked_russian(text[s:e]) for s, e in known
    ):
        return None
    examples = ", ".join(f"«{text[s:e]}» = «{_russian_reading(text[s:e])}»" for s, e in known[:3])
    return Flag(
        code="latin_lookalike",
        message=f"{len(known)} of {len(words)} Latin words read as Russian when their letters "
        f"are taken as Cyrillic look-alikes ({examples}): OCR or wrong keyboard script?",
        spans=tuple(known),
    )


def _latin_neighbours(text: str, first: re.Match[str], second: re.Match[str]) -> bool:
    """No Cyrillic letter between two Latin tokens: they belong to one Latin run."""
    return _CYR_LETTER_RE.search(text, first.end(), second.start()) is None


# Somewhere inside a mixed word one script touches the other (possibly across digits or marks),
# or a digit touches a Cyrillic letter. One search of this rejects nearly every paragraph.
_MIXED_PROBE = re.compile(
    f"[{_CYR}][{_INNER}0-9]*[{_FOREIGN}]|[{_FOREIGN}][{_INNER}0-9]*[{_CYR}]"
    f"|[{_CYR}][0-9]|[0-9][{_CYR}]"
)


REPLACEMENT = "\ufffd"


def _replacement_chars(text: str) -> Flag:
    """``replacement_char``: U+FFFD (�) stands where a program before layerkit could not decode
    some bytes: the letters are lost, and the UD validator refuses a CoNLL-U file holding it
    (its level 1, ``invalid-utf``)."""
    spans = tuple((m.start(), m.end()) for m in re.finditer(f"{REPLACEMENT}+", text))
    count = text.count(REPLACEMENT)
    return Flag(
        code="replacement_char",
        message=f"{count} replacement character(s) «{REPLACEMENT}» (U+FFFD): bytes a program "
        "could not decode before this text was saved; the letters there are lost",
        spans=spans,
    )


def find_flags(text: str) -> list[Flag]:
    """Quality flags of one paragraph (possibly none); the text itself is never changed.

    Cheap for ordinary Russian: one regex search decides that no word mixes scripts, and the
    dictionary is only consulted for paragraphs that contain Latin letters.
    """
    flags: list[Flag] = []
    if REPLACEMENT in text:
        flags.append(_replacement_chars(text))
    masks: list[Span] | None = None
    if _MIXED_PROBE.search(text):
        masks = _masked(text)
        mixed = _mixed_script(text, masks)
        if mixed is not None:
            flags.append(mixed)
    if _LATIN_LETTER_RE.search(text):
        if masks is None:
            masks = _masked(text)
        lookalike = _latin_lookalike(text, masks)
        if lookalike is not None:
            flags.append(lookalike)
    return flags
