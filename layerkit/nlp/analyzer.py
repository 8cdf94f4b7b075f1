"""Out-of-context UD readings of a word form: pymorphy3 for Russian words, shape rules for the rest.

``analyze(word)`` is the candidate generator shared by the rule-based tagger and the trained
contextual model: it must offer the right reading whenever possible (the taggers only choose),
and it must never return nothing. pymorphy3's guesser is good at unknown Cyrillic words but
produces nonsense for digits, URLs, emoji, hashtags, Latin words and abbreviations with a
dot, so those are recognised by shape first and given the readings UD Russian (house
convention, ``ru_taiga-ud-dev``) gives them.

Results are cached per form: running text repeats a few thousand forms most of the time.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING

from layerkit.nlp.types import Reading
from layerkit.nlp.ud_map import (
    STRESS,
    UDTag,
    capitalize_lemma,
    feats_to_str,
    map_parse,
    merge,
    normalize_lemma,
)

if TYPE_CHECKING:
    from pymorphy3 import MorphAnalyzer

#: characters dropped before analysis: stress mark, soft hyphen, zero-width space/joiners
_INVISIBLE = str.maketrans("", "", "\u0301\u00ad\u200b\u2060\ufeff")

_DIGITS = re.compile(r"[+\-−]?\d+(?:[.,]\d+)?")
_FRACTION = re.compile(r"[+\-−]?\d+[.,]\d+")
# dates, times, scores, phone numbers: digits with separators, still one numeric token
_NUMERIC = re.compile(r"[+]?\d[\d.,:/_\-–() ]*\d")
# a number glued to a Russian ending: 90-х, 2-й, 5х, 10-летний
_DIGIT_WORD = re.compile(r"(\d+)-?([а-яё]+)", re.IGNORECASE)
_URL = re.compile(r"(?:https?://|ftp://|www\.)\S+|\S+@\S+\.\w+", re.IGNORECASE)
_DOMAIN = re.compile(
    r"[a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)*\.(?:ru|com|org|net|рф|ge|io|su|info)\S*", re.IGNORECASE
)
_LATIN = re.compile(r"[A-Za-z][A-Za-z'’\-.&]*")
_ROMAN = re.compile(r"M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
# HTML-escaped punctuation left in some corpora (GSD has &#39;&#39; for a closing quote)
_ENTITY = re.compile(r"(?:&#?\w+;)+")
_CYRILLIC = re.compile(r"[а-яёА-ЯЁ]")
_INITIAL = re.compile(r"[А-ЯЁ]\.")
#: a word of Cyrillic letters only: most forms, and none of the shapes ``_readings`` checks for
#: before the dictionary but a smiley of look-alikes (хР) and an abbreviation
_CYRILLIC_WORD = re.compile(r"[а-яёА-ЯЁ]+")
_SMILEY = re.compile(r"[:;=8xXхХ]-?[()DdPpРр3*|/\\]+|[()]{2,}|\^_?\^|<3")

#: punctuation characters (Unicode category P) that UD tags SYM
_SYMBOLISH = frozenset({"%", "‰", "*", "№", "§", "&", "@", "#", "†"})
#: symbols used as list bullets, which UD Taiga tags PUNCT
_BULLETS = frozenset(
    {"✅", "✔", "✔️", "☑", "☑️", "•", "▪", "►", "➡", "⠀", "➖", "🔹", "🔸", "▫️", "▪️"}
)

#: abbreviations written with a dot (or commonly without), house lemma and UPOS
ABBREVIATIONS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "т.": (
        ("так", "ADV", "Abbr=Yes|ExtPos=NOUN|PronType=Dem"),
        ("то", "PRON", "Abbr=Yes|ExtPos=SCONJ|PronType=Dem"),
        ("тот", "DET", "Abbr=Yes|PronType=Dem"),
    ),
    "д.": (("далее", "ADV", "Abbr=Yes"), ("дом", "NOUN", "Abbr=Yes")),
    "е.": (("быть", "VERB", "Abbr=Yes"),),
    "п.": (("подобный", "ADJ", "Abbr=Yes"), ("пункт", "NOUN", "Abbr=Yes")),
    "др.": (("другой", "DET", "Abbr=Yes|PronType=Tot"),),
    "пр.": (("прочий", "DET", "Abbr=Yes|PronType=Tot"),),
    "в.": (("век", "NOUN", "Abbr=Yes"),),
    "вв.": (("век", "NOUN", "Abbr=Yes"),),
    "г.": (("год", "NOUN", "Abbr=Yes"), ("город", "NOUN", "Abbr=Yes")),
    "гг.": (("год", "NOUN", "Abbr=Yes"),),
    "г": (("год", "NOUN", "Abbr=Yes"), ("грамм", "NOUN", "Abbr=Yes")),
    "см.": (("смотреть", "VERB", "Abbr=Yes"), ("сантиметр", "NOUN", "Abbr=Yes")),
    "ст.": (("статья", "NOUN", "Abbr=Yes"), ("столовый", "ADJ", "Abbr=Yes")),
    "ч.": (("час", "NOUN", "Abbr=Yes"), ("часть", "NOUN", "Abbr=Yes")),
    "л.": (("ложка", "NOUN", "Abbr=Yes"), ("лист", "NOUN", "Abbr=Yes")),
    "ул.": (("улица", "NOUN", "Abbr=Yes"),),
    "тел.": (("телефон", "NOUN", "Abbr=Yes"),),
    "тыс.": (("тысяча", "NOUN", "Abbr=Yes"),),
    "тыс": (("тысяча", "NOUN", "Abbr=Yes"),),
    "млн": (("миллион", "NOUN", "Abbr=Yes"),),
    "млн.": (("миллион", "NOUN", "Abbr=Yes"),),
    "млрд": (("миллиард", "NOUN", "Abbr=Yes"),),
    "млрд.": (("миллиард", "NOUN", "Abbr=Yes"),),
    "руб": (("рубль", "NOUN", "Abbr=Yes"),),
    "руб.": (("рубль", "NOUN", "Abbr=Yes"),),
    "коп.": (("копейка", "NOUN", "Abbr=Yes"),),
    "кг": (("килограмм", "NOUN", "Abbr=Yes"),),
    "гр.": (("грамм", "NOUN", "Abbr=Yes"),),
    "гр": (("грамм", "NOUN", "Abbr=Yes"),),
    "км": (("километр", "NOUN", "Abbr=Yes"),),
    "м": (("метр", "NOUN", "Abbr=Yes"),),
    "мм": (("миллиметр", "NOUN", "Abbr=Yes"),),
    "см": (("сантиметр", "NOUN", "Abbr=Yes"),),
    "мин.": (("минута", "NOUN", "Abbr=Yes"),),
    "мин": (("минута", "NOUN", "Abbr=Yes"),),
    "сек.": (("секунда", "NOUN", "Abbr=Yes"),),
    "шт.": (("штука", "NOUN", "Abbr=Yes"),),
    "шт": (("штука", "NOUN", "Abbr=Yes"),),
    "стр.": (("страница", "NOUN", "Abbr=Yes"),),
    "с.": (("страница", "NOUN", "Abbr=Yes"), ("село", "NOUN", "Abbr=Yes")),
    "им.": (("имя", "NOUN", "Abbr=Yes"),),
    "обл.": (("область", "NOUN", "Abbr=Yes"),),
    "р-н": (("район", "NOUN", "Abbr=Yes"),),
    "пр-т": (("проспект", "NOUN", "Abbr=Yes"),),
    "примеч.": (("примечание", "NOUN", "Abbr=Yes"),),
    "напр.": (("например", "ADV", "Abbr=Yes"),),
    "зп": (("зарплата", "NOUN", "Abbr=Yes"),),
    "пн": (("понедельник", "NOUN", "Abbr=Yes"),),
    "вт": (("вторник", "NOUN", "Abbr=Yes"),),
    "ср": (("среда", "NOUN", "Abbr=Yes"),),
    "чт": (("четверг", "NOUN", "Abbr=Yes"),),
    "пт": (("пятница", "NOUN", "Abbr=Yes"),),
    "сб": (("суббота", "NOUN", "Abbr=Yes"),),
    "вс": (("воскресенье", "NOUN", "Abbr=Yes"),),
    "т.е.": (("то есть", "CCONJ", "Abbr=Yes"),),
    "т.д.": (("так далее", "ADV", "Abbr=Yes"),),
    "т.п.": (("тому подобное", "ADV", "Abbr=Yes"),),
}


@lru_cache(maxsize=1)
def morph() -> MorphAnalyzer:
    """The process-wide pymorphy3 analyzer, created on first use (loading takes ~0.05 s).

    The dictionary's folder is given when its package is importable: found by ``lang`` alone,
    pymorphy3 first scans every installed package's entry points, which doubled the time (0.095
    against 0.041 s), and every tagging worker process pays it."""
    import pymorphy3

    try:
        import pymorphy3_dicts_ru
    except ImportError:
        return pymorphy3.MorphAnalyzer(lang="ru")
    return pymorphy3.MorphAnalyzer(path=pymorphy3_dicts_ru.get_path(), lang="ru")


def clean(word: str) -> str:
    """The form analysed: stress marks, soft hyphens and zero-width characters removed."""
    cleaned = word.translate(_INVISIBLE).strip()
    return cleaned or word


def analyze(word: str) -> tuple[Reading, ...]:
    """All UD readings of ``word`` out of context, most likely first; never empty.

    Scores of readings that map to the same (lemma, UPOS, FEATS) are summed, and the scores
    are normalised to sum to 1.
    """
    return _analyze(word)


def clear_cache() -> None:
    """Forget cached analyses (for benchmarks and long-running processes)."""
    _analyze.cache_clear()


@lru_cache(maxsize=200_000)
def _analyze(word: str) -> tuple[Reading, ...]:
    form = clean(word)
    scored = _readings(form)
    merged = merge((tag, score) for tag, score, _ in scored)
    sources: dict[UDTag, str] = {}
    for tag, _, source in scored:
        sources.setdefault(tag, source)
    total = sum(score for _, score in merged) or 1.0
    readings = tuple(
        Reading(_unstressed(tag.lemma), tag.upos, tag.feats, round(score / total, 6), sources[tag])
        for tag, score in merged
    )
    return readings or (Reading(_unstressed(form), "X", "_", 1.0, "shape:empty"),)


def _unstressed(lemma: str) -> str:
    """A lemma never carries a stress mark. Only a token with nothing but stress marks (and
    other invisible characters) keeps them in its analysed form, since nothing else is left
    to analyse; its lemma is what remains without them, or ``_`` (CoNLL-U's unknown)."""
    if STRESS not in lemma:
        return lemma
    return lemma.replace(STRESS, "") or "_"


Scored = list[tuple[UDTag, float, str]]


def _fixed(form: str, upos: str, feats: str = "_", source: str = "shape") -> Scored:
    return [(UDTag(form, upos, feats), 1.0, source)]


def _is_symbol_char(ch: str) -> bool:
    cat = unicodedata.category(ch)
    # emoji sequences contain joiners, variation selectors and skin-tone modifiers
    return cat.startswith("S") or cat in ("Mn", "Me", "Cf", "Co") or ord(ch) >= 0x1F000


def _readings(form: str) -> Scored:
    """Readings by token shape, falling through to pymorphy3 for words."""
    if _CYRILLIC_WORD.fullmatch(form) and not _SMILEY.fullmatch(form):
        # the shortcut for most forms: what the checks below would conclude
        low = form.lower()
        return _abbreviation(form, low) if low in ABBREVIATIONS else _pymorphy(form)
    if not form or form.isspace():
        return _fixed(form, "X", source="shape:empty")
    if all(
        unicodedata.category(ch).startswith("P") or ch == "`" for ch in form
    ) or _ENTITY.fullmatch(form):
        return _punctuation(form)
    if form in _BULLETS:
        return [
            (UDTag(form, "PUNCT", "_"), 0.6, "shape:bullet"),
            (UDTag(form, "SYM", "_"), 0.4, "shape:symbol"),
        ]
    if all(_is_symbol_char(ch) or ch in ")(:;" for ch in form) and any(
        _is_symbol_char(ch) for ch in form
    ):
        return _fixed(form, "SYM", source="shape:symbol")
    if _SMILEY.fullmatch(form):
        return _fixed(form, "SYM", source="shape:smiley")
    if _URL.fullmatch(form):
        return _fixed(form, "X", source="shape:url")
    if form[0] == "@" and len(form) > 1:
        return _fixed(form, "PROPN", "NameType=Prs", "shape:mention")
    if form[0] == "#" and len(form) > 1:
        return _hashtag(form)
    if _DIGITS.fullmatch(form):
        return _number(form)
    if _NUMERIC.fullmatch(form) and not _CYRILLIC.search(form):
        return _fixed(form, "NUM", "NumForm=Digit|NumType=Card", "shape:numeric")
    low = form.lower()
    if _INITIAL.fullmatch(form):
        # an initial (А. С. Пушкин); the tagger tells given name from patronymic by position
        out: Scored = [
            (UDTag(form[0], "PROPN", "Abbr=Yes|NameType=Giv"), 0.5, "shape:initial"),
            (UDTag(form[0], "PROPN", "Abbr=Yes|NameType=Pat"), 0.3, "shape:initial"),
        ]
        if low in ABBREVIATIONS:
            out += [(tag, score * 0.2, src) for tag, score, src in _abbreviation(form, low)]
        return out
    if low in ABBREVIATIONS:
        return _abbreviation(form, low)
    if not _CYRILLIC.search(form):
        return _non_cyrillic(form)
    return _pymorphy(form)


def _punctuation(form: str) -> Scored:
    if set(form) <= {")", "("}:
        # a bracket with no partner is a smiley in social-media text; the tagger checks balance
        if len(form) > 1:
            return _fixed(form, "SYM", source="shape:smiley")
        return [
            (UDTag(form, "PUNCT", "_"), 0.7, "shape:punct"),
            (UDTag(form, "SYM", "_"), 0.3, "shape:smiley"),
        ]
    if form in _SYMBOLISH:
        return _fixed(form, "SYM", source="shape:symbol")
    if form == "/":
        # "руб/час": UD Taiga makes the slash a preposition, GSD a symbol
        return [
            (UDTag(form, "ADP", "_"), 0.6, "shape:slash"),
            (UDTag(form, "PUNCT", "_"), 0.4, "shape:punct"),
        ]
    return _fixed(form, "PUNCT", source="shape:punct")


def _number(form: str) -> Scored:
    if _FRACTION.fullmatch(form):
        return _fixed(form, "NUM", "NumForm=Digit|NumType=Frac", "shape:digits")
    return [
        (UDTag(form, "NUM", "NumForm=Digit|NumType=Card"), 0.75, "shape:digits"),
        (UDTag(form, "ADJ", "NumForm=Digit|NumType=Ord"), 0.25, "shape:digits"),
    ]


def _hashtag(form: str) -> Scored:
    """A hashtag is X when it is a tag; inside a sentence it is the word it spells."""
    out: Scored = [(UDTag(form, "X", "_"), 0.6, "shape:hashtag")]
    word = form[1:]
    if _CYRILLIC.search(word) and word.replace("-", "").isalpha():
        for reading in _analyze(word):
            if reading.upos in ("NOUN", "PROPN", "ADJ", "VERB"):
                lemma = "#" + reading.lemma
                out.append(
                    (UDTag(lemma, reading.upos, reading.feats), 0.4 * reading.score, "hashtag")
                )
    return out


def _abbreviation(form: str, low: str) -> Scored:
    options = ABBREVIATIONS[low]
    share = 1.0 / len(options)
    out: Scored = []
    for i, (lemma, upos, feats) in enumerate(options):
        # earlier entries are the more frequent expansions
        out.append((UDTag(lemma, upos, feats), share * (1.5 if i == 0 else 1.0), "abbr"))
    return out


def _non_cyrillic(form: str) -> Scored:
    if _ROMAN.fullmatch(form) and form.isupper():
        out: Scored = [(UDTag(form, "ADJ", "NumForm=Roman|NumType=Ord"), 0.8, "shape:roman")]
        if len(form) == 1:
            out = [(out[0][0], 0.4, "shape:roman")]
            out.append((UDTag(form, "X", "Foreign=Yes"), 0.6, "shape:latin"))
        return out
    if _DOMAIN.fullmatch(form):
        return _fixed(form, "X", "Foreign=Yes", "shape:domain")
    if _LATIN.fullmatch(form):
        return _fixed(form, "X", "Foreign=Yes", "shape:latin")
    match = _DIGIT_WORD.fullmatch(form)
    if match:
        return _fixed(match.group(1), "NUM", "NumForm=Combi|NumType=Card", "shape:digit-word")
    if any(ch.isalpha() for ch in form):
        return _fixed(form, "X", "Foreign=Yes", "shape:foreign")
    return _fixed(form, "SYM", source="shape:other")


def _pymorphy(form: str) -> Scored:
    out: Scored = []
    parses = morph().parse(form)
    for parse in parses:
        if "UNKN" in parse.tag.grammemes:  # the set: ``in tag`` validates the name too
            continue
        guessed = type(parse.methods_stack[0][0]).__name__ != "DictionaryAnalyzer"
        # guessed analyses are marked so that the taggers trust them less
        source = ("guess:" if guessed else "") + str(parse.tag)
        for tag, share in map_parse(parse, form):
            out.append((tag, parse.score * share, source))
            out.extend(_contextual_variants(tag, parse.score * share, source))
            if guessed and tag.upos == "PROPN":
                # the guesser copies Name/Geox from whatever known word shares the ending;
                # an unknown word is as likely a common noun
                out.append((_common_noun(tag), parse.score * share, source))
    if not out:
        match = _DIGIT_WORD.fullmatch(form)
        if match:
            return _fixed(match.group(1), "NUM", "NumForm=Combi|NumType=Card", "shape:digit-word")
        if form.isupper() and len(form) > 1:
            # an unknown all-caps word is an acronym (ГРУ, РНК, ЖКХ)
            return [
                (UDTag(form, "PROPN", "Abbr=Yes|NameType=Com"), 0.5, "shape:acronym"),
                (UDTag(form, "NOUN", "Abbr=Yes"), 0.5, "shape:acronym"),
            ]
        lemma = normalize_lemma(form.lower())
        return [
            (UDTag(lemma, "INTJ", "_"), 0.5, "shape:unknown"),
            (UDTag(lemma, "X", "_"), 0.5, "shape:unknown"),
        ]
    if form[:1].isupper() and not form.isupper() and len(form) > 1:
        out.extend(_proper_variants(out, form))
    return out


_RCP_CASES = ("Gen", "Dat", "Acc", "Ins", "Loc", "Nom")


def _contextual_variants(tag: UDTag, score: float, source: str) -> Scored:
    """Rare readings that only context licenses, offered with a small score.

    * друг/друга/другу... in "друг друга" is the reciprocal pronoun PRON PronType=Rcp;
    * a -ся verb of a transitive verb can be a passive (создаются: lemma создавать,
      Voice=Pass), which UD lemmatizes without -ся.
    """
    if tag.lemma == "друг" and tag.upos == "NOUN" and "Number=Sing" in tag.feats:
        case = next((c for c in _RCP_CASES if f"Case={c}" in tag.feats), None)
        if case:
            feats = f"Case={case}|PronType=Rcp"
            return [(UDTag("друг", "PRON", feats), score * 0.3, source)]
    if (
        tag.upos == "VERB"
        and "Voice=Mid" in tag.feats
        and "Aspect=Imp" in tag.feats
        and "VerbForm=Fin" in tag.feats
        and "Person=1" not in tag.feats
        and "Person=2" not in tag.feats
        and "Mood=Imp" not in tag.feats
        and _is_transitive(tag.lemma[:-2])
    ):
        feats = tag.feats.replace("Voice=Mid", "Voice=Pass")
        return [(UDTag(tag.lemma[:-2], "VERB", feats), score * 0.15, source)]
    return []


@lru_cache(maxsize=20_000)
def _is_transitive(infinitive: str) -> bool:
    return any(
        p.normal_form == infinitive and "tran" in p.tag and "INFN" in p.tag
        for p in morph().parse(infinitive)
    )


def _common_noun(tag: UDTag) -> UDTag:
    feats = dict(item.split("=", 1) for item in tag.feats.split("|")) if tag.feats != "_" else {}
    feats.pop("NameType", None)
    return UDTag(normalize_lemma(tag.lemma.lower()), "NOUN", feats_to_str(feats))


def _proper_variants(readings: Scored, form: str) -> Scored:
    """Capitalised common-noun readings also offered as PROPN (the tagger uses position).

    pymorphy3 marks only names it knows (Name, Surn, Geox...); a capitalised word in the
    middle of a sentence is usually a proper noun even when the dictionary says otherwise.
    """
    extra: Scored = []
    for tag, score, source in readings:
        if tag.upos != "NOUN" or "Abbr=Yes" in tag.feats:
            continue
        feats = (
            dict(item.split("=", 1) for item in tag.feats.split("|")) if tag.feats != "_" else {}
        )
        feats["NameType"] = "Geo" if feats.get("Animacy") == "Inan" else "Giv"
        extra.append(
            (
                UDTag(capitalize_lemma(tag.lemma, form), "PROPN", feats_to_str(feats)),
                score * 0.1,
                source,
            )
        )
    return extra
