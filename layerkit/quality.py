"""Quality flags for paragraphs that look like broken OCR or mixed scripts.

Annotators need to know when a paragraph's letters are not what they seem: a Latin "o" inside
"мoлоко" makes the word unknown to every Russian tool, and a paragraph that OCR turned into
"Kak Halitn cebst 8 Mupe" is not English. We flag such paragraphs at import and never change
them: only a person can decide what the text should have been.

Two flags:

``mixed_script``
    A word that mixes Cyrillic with Latin (or Greek) letters, or has a digit between Cyrillic
    letters ("ра3вод"). Hyphenated compounds of a Cyrillic and a Latin part ("СССР-USA"),
    pure Latin words ("iPhone", "COVID-19"), URLs and e-mail addresses are fine.

``latin_lookalike``
    A paragraph typed in Latin letters and digits that look like Cyrillic ones. Each Latin
    word is mapped to its look-alike Cyrillic spelling (trying a few alternatives for the
    ambiguous letters) and checked against the pymorphy3 dictionary; the paragraph is flagged
    when most of its Latin words turn out to be Russian.

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
        letters = [ch for ch in word if ch.isalpha() or ch.isdigit()]
        for i in range(1, len(letters) - 1):
            if (
                letters[i].isdigit()
                and _is_cyrillic(letters[i - 1])
                and _is_cyrillic(letters[i + 1])
            ):
                return True
    return False


def _mixed_script(text: str, masks: list[Span]) -> Flag | None:
    spans = [
        m.span()
        for m in _WORD_RE.finditer(text)
        if _is_mixed(m.group()) and not _inside(m.span(), masks)
    ]
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
# ~1,000 paragraphs flagged, about 1 in 1,000 random 4-5 word snippets) and on Russian sentences
# rewritten in look-alikes (90% of whole sentences flagged, all windows of 6+ words). Single
# Latin words prove nothing, so short snippets are the weak spot either way.
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


@lru_cache(maxsize=65536)
def _russian_reading(word: str) -> str | None:
    """The first look-alike reading of ``word`` that is a common Russian word, if any."""
    return next((r for r in lookalike_readings(word) if _is_common_russian(r)), None)


_LATIN_TOKEN_RE = re.compile(r"(?<![\w@.])[A-Za-z0-9]+(?![\w@]|\.\w)")


def _looks_like_a_name(word: str) -> bool:
    return word.isupper() or (word[0].isupper() and word[1:].islower())


def _latin_lookalike(text: str, masks: list[Span]) -> Flag | None:
    # In a mostly Cyrillic paragraph, capitalised Latin words are names and brands ("Tom",
    # "Kate" read as "том", "кате"), so only the others can be evidence of look-alikes.
    cyrillic_context = sum(1 for ch in text if _is_cyrillic(ch)) > len(
        _LATIN_LETTER_RE.findall(text)
    )
    words: list[Span] = []
    for m in _LATIN_TOKEN_RE.finditer(text):
        token = m.group()
        if (
            len(token) >= MIN_WORD_LEN
            and _LATIN_LETTER_RE.search(token)
            and not _inside(m.span(), masks)
            and not (cyrillic_context and _looks_like_a_name(token))
        ):
            words.append(m.span())
    if len(words) < MIN_KNOWN_WORDS:
        return None
    english = sum(1 for s, e in words if _is_english(text[s:e]))
    if english > MAX_ENGLISH_SHARE * len(words):
        return None
    known = [(s, e) for s, e in words if _russian_reading(text[s:e]) is not None]
    if len(known) < MIN_KNOWN_WORDS or len(known) < MIN_KNOWN_SHARE * len(words):
        return None
    examples = ", ".join(f"«{text[s:e]}» = «{_russian_reading(text[s:e])}»" for s, e in known[:3])
    return Flag(
        code="latin_lookalike",
        message=f"{len(known)} of {len(words)} Latin words read as Russian when their letters "
        f"are taken as Cyrillic look-alikes ({examples}): OCR or wrong keyboard script?",
        spans=tuple(known),
    )


_CYR = "\u0400-\u052f"
_FOREIGN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0370-\u03ff\u1e00-\u1eff"
_INNER = "\u0300-\u036f\u00ad\u200b-\u200d\u2060"
# Somewhere inside a mixed word one script touches the other (possibly across digits or marks),
# or a digit sits between Cyrillic letters. One search of this rejects nearly every paragraph.
_MIXED_PROBE = re.compile(
    f"[{_CYR}][{_INNER}0-9]*[{_FOREIGN}]|[{_FOREIGN}][{_INNER}0-9]*[{_CYR}]|[{_CYR}][0-9]+[{_CYR}]"
)


def find_flags(text: str) -> list[Flag]:
    """Quality flags of one paragraph (possibly none); the text itself is never changed.

    Cheap for ordinary Russian: one regex search decides that no word mixes scripts, and the
    dictionary is only consulted for paragraphs that contain Latin letters.
    """
    flags: list[Flag] = []
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
