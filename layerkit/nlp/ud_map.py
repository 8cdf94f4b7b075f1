"""pymorphy3 (OpenCorpora) analyses mapped to Universal Dependencies, house convention.

The house convention is current UD Russian as annotated in UD_Russian-Taiga (``ru_taiga-ud-dev``).
A naive OpenCorpora -> UD table gets many frequent words wrong, so this module encodes what the
treebank actually does (counts are tokens of ``ru_taiga-ud-dev.conllu``):

* ``быть`` is AUX (105) and also VERB as the existential "есть" (8); the conditional ``бы`` is
  AUX ``Mood=Cnd`` (16) far more often than PART (7), so AUX is its primary reading.
* participles are VERB ``VerbForm=Part`` (+Tense, Voice, ``Variant=Short`` for short forms),
  gerunds VERB ``VerbForm=Conv``, infinitives ``VerbForm=Inf``; every verb form has Voice
  (``Mid`` for -ся verbs, ``Pass`` for passive participles).
* pronominal adjectives (этот, тот, весь, свой, такой, какой, каждый, мой, наш, один,
  другой, сам, самый, который...) are DET with PronType (and Poss/Reflex); который is
  DET ``PronType=Rel`` (35, never PRON in this treebank); the possessives его/её/их are DET
  ``Poss=Yes|PronType=Prs`` with no case or agreement features.
* pronouns carry PronType (Prs, Dem, Tot, Rel, Int, Ind, Neg, Rcp, Emp, Exc) on PRON, DET
  and pronominal ADV; personal ones Person; NUM has NumForm and NumType; PROPN has NameType;
  indeclinable nouns ``InflClass=Ind``; abbreviations ``Abbr=Yes`` and no other features.
* можно/надо/нельзя/нет/пора are VERB (можно 18, надо 8, нет 16); the neuter short adjective
  of a predicative (нужно, страшно, хорошо) is ADJ ``Variant=Short`` with the adjective lemma.
* comparatives are ADJ ``Degree=Cmp`` with the positive adjective's lemma (чище -> чистый) or
  ADV ``Degree=Cmp`` with the adverb's (лучше -> хорошо); более/больше/меньше/менее are ADV
  with their own lemma and ``PronType=Tot``.
* lemmas never contain ``ё`` (ещё -> еще, ребёнок -> ребенок) except the pronoun всё, which
  would otherwise collide with все; stress marks are dropped; proper-noun lemmas are
  capitalised (pymorphy3 lower-cases every normal form).

Everything here is a pure function of (word, normal form, tag); context (which of the readings
is right) is for the taggers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

STRESS = "\u0301"


class UDTag(NamedTuple):
    """A UD analysis out of context: lemma, UPOS and FEATS string (``"_"`` when empty)."""

    lemma: str
    upos: str
    feats: str


# ---------------------------------------------------------------------------------------------
# Grammeme tables
# ---------------------------------------------------------------------------------------------

CASE = {
    "nomn": "Nom",
    "gent": "Gen",
    "datv": "Dat",
    "accs": "Acc",
    "ablt": "Ins",
    "loct": "Loc",
    "voct": "Voc",
    "gen1": "Gen",
    "gen2": "Par",
    "acc2": "Acc",
    "loc1": "Loc",
    "loc2": "Loc",
}
GENDER = {"masc": "Masc", "femn": "Fem", "neut": "Neut"}
NUMBER = {"sing": "Sing", "plur": "Plur"}
ANIMACY = {"anim": "Anim", "inan": "Inan"}
ASPECT = {"perf": "Perf", "impf": "Imp"}
TENSE = {"past": "Past", "pres": "Pres", "futr": "Fut"}
PERSON = {"1per": "1", "2per": "2", "3per": "3"}
MOOD = {"indc": "Ind", "impr": "Imp"}
NAME_TYPE = {
    "Name": "Giv",
    "Surn": "Sur",
    "Patr": "Pat",
    "Geox": "Geo",
    "Orgn": "Com",
    "Trad": "Com",
}

# ---------------------------------------------------------------------------------------------
# Closed-class lexicons (house convention). Values are the extra features the word carries.
# ---------------------------------------------------------------------------------------------

_DEM, _TOT, _REL, _INT, _IND, _NEG = (
    {"PronType": "Dem"},
    {"PronType": "Tot"},
    {"PronType": "Rel"},
    {"PronType": "Int"},
    {"PronType": "Ind"},
    {"PronType": "Neg"},
)
_EMP = {"PronType": "Emp"}
_POSS = {"Poss": "Yes", "PronType": "Prs"}

#: pronominal adjectives that UD tags DET, with their pronominal features
DET_LEXICON: dict[str, dict[str, str]] = {
    **dict.fromkeys(("этот", "тот", "такой", "сей", "оный", "таков", "этакий"), _DEM),
    **dict.fromkeys(
        (
            "весь",
            "каждый",
            "другой",
            "многий",
            "прочий",
            "остальной",
            "любой",
            "всякий",
            "иной",
            "всяческий",
        ),
        _TOT,
    ),
    **dict.fromkeys(("который", "каков", "какой"), _REL),
    **dict.fromkeys(
        ("один", "некий", "некоторый", "кое-какой", "несколький"),
        _IND,
    ),
    **dict.fromkeys(("никакой", "ничей"), _NEG),
    **dict.fromkeys(("сам", "самый"), _EMP),
    **dict.fromkeys(("мой", "твой", "наш", "ваш", "его", "ее", "её", "их"), _POSS),
    "свой": {"Poss": "Yes", "PronType": "Prs", "Reflex": "Yes"},
    "чей": {"Poss": "Yes", "PronType": "Rel"},
}
#: determiners whose PronType depends on context (question vs relative clause vs exclamation)
WH_DET = frozenset({"какой", "каков", "чей", "который"})
#: indeclinable possessives: UD gives them no case or agreement features
FIXED_POSSESSIVES = frozenset({"его", "ее", "её", "их"})

PERSONAL: dict[str, tuple[str, str, str | None]] = {
    "я": ("1", "Sing", None),
    "ты": ("2", "Sing", None),
    "мы": ("1", "Plur", None),
    "вы": ("2", "Plur", None),
    "он": ("3", "Sing", "Masc"),
    "она": ("3", "Sing", "Fem"),
    "оно": ("3", "Sing", "Neut"),
    "они": ("3", "Plur", None),
}
#: non-personal pronouns (NPRO): lemma -> (PronType, Animacy, Gender, Number)
PRON_LEXICON: dict[str, tuple[str, str | None, str | None, str | None]] = {
    "это": ("Dem", "Inan", "Neut", "Sing"),
    "то": ("Dem", "Inan", "Neut", "Sing"),
    "всё": ("Tot", "Inan", "Neut", "Sing"),
    "все": ("Tot", "Anim", None, "Plur"),
    "многие": ("Tot", "Anim", None, "Plur"),
    "что": ("Rel", "Inan", "Neut", "Sing"),
    "кто": ("Rel", "Anim", "Masc", "Sing"),
    "никто": ("Neg", "Anim", "Masc", "Sing"),
    "ничто": ("Neg", "Inan", "Neut", "Sing"),
    "некого": ("Neg", "Anim", "Masc", "Sing"),
    "нечего": ("Neg", "Inan", "Neut", "Sing"),
    "нечто": ("Ind", "Inan", "Neut", "Sing"),
    "некто": ("Ind", "Anim", "Masc", "Sing"),
}
#: pronouns whose PronType is Rel or Int by context; Rel is listed first as the more frequent
WH_PRON = frozenset({"что", "кто"})

#: pronominal adverbs -> PronType
ADV_PRONTYPE: dict[str, str] = {
    **dict.fromkeys(
        (
            "так",
            "там",
            "тут",
            "здесь",
            "поэтому",
            "теперь",
            "сейчас",
            "тогда",
            "потом",
            "туда",
            "сюда",
            "оттуда",
            "отсюда",
            "затем",
            "потому",
            "тоже",
            "настолько",
            "вон",
            "столь",
            "оттого",
            "сейчас",
            "посему",
            "доселе",
            "отныне",
        ),
        "Dem",
    ),
    **dict.fromkeys(
        (
            "где",
            "куда",
            "откуда",
            "когда",
            "почему",
            "зачем",
            "как",
            "сколько",
            "отчего",
            "насколько",
            "доколе",
            "каково",
            "что",
        ),
        "Rel",
    ),
    **dict.fromkeys(
        (
            "всегда",
            "иногда",
            "везде",
            "всюду",
            "всего",
            "более",
            "больше",
            "меньше",
            "менее",
            "наиболее",
            "наименее",
            "мало",
            "навсего",
            "отовсюду",
            "всё",
            "все",
        ),
        "Tot",
    ),
    **dict.fromkeys(
        (
            "никогда",
            "нигде",
            "никуда",
            "ниоткуда",
            "ничуть",
            "нисколько",
            "незачем",
            "негде",
            "некуда",
            "ничего",
            "никак",
            "нипочём",
            "нипочем",
        ),
        "Neg",
    ),
    **dict.fromkeys(("несколько", "кое-где", "кое-как", "кое-куда", "некогда"), "Ind"),
}
#: adverbs whose PronType is Rel or Int (or Exc) by context
WH_ADV = frozenset(
    {"где", "куда", "откуда", "когда", "почему", "зачем", "как", "сколько", "отчего", "насколько"}
)
#: comparatives that UD lemmatizes as themselves (ADV Degree=Cmp|PronType=Tot)
QUANT_COMPARATIVES = frozenset({"более", "больше", "менее", "меньше"})

SCONJ_WORDS = frozenset(
    {
        "что",
        "чтобы",
        "чтоб",
        "если",
        "когда",
        "как",
        "пока",
        "хотя",
        "хоть",
        "чем",
        "тем",
        "раз",
        "ибо",
        "поскольку",
        "коли",
        "коль",
        "ежели",
        "еслиб",
        "благо",
        "дабы",
        "покуда",
        "нежели",
        "то",
        "едва",
        "кабы",
        "чуть",
    }
)
#: words pymorphy3 calls CONJ that UD tags PART (ли 16, будто 8, ведь 5, пусть 4, словно)
CONJ_AS_PART = frozenset(
    {"ли", "будто", "словно", "аж", "же", "ж", "дескать", "мол", "ведь", "пусть", "пускай"}
)
#: conjunction-like words pymorphy3 calls CONJ that UD treats as pronominal adverbs
CONJ_AS_ADV = frozenset(
    {"где", "куда", "откуда", "почему", "зачем", "сколько", "столько", "затем", "потом"}
)
#: particles that UD marks Polarity=Neg
NEGATIONS = frozenset({"не", "ни", "нет", "нету"})
#: predicatives (PRED) that UD Russian tags VERB
PRED_VERBS = frozenset({"можно", "надо", "нельзя", "нет", "нету", "пора", "жаль", "надобно"})
#: quantifiers pymorphy3 calls ADVB that UD tags NUM when they quantify a noun
QUANTIFIER_NUMS = frozenset({"много", "немного", "несколько", "столько", "сколько", "мало"})

#: adverbs pymorphy3 prefers that UD tags PART (только: PART 26 of 27)
ADVB_AS_PART = frozenset({"только"})
#: particles pymorphy3 prefers that UD tags ADV (еще 31/31, уже 24/24)
PRCL_AS_ADV = frozenset({"еще", "ещё", "уже"})
#: adverbial comparatives that UD lemmatizes as themselves (далее, ранее, позднее)
ADV_COMPARATIVES = frozenset(
    {"далее", "ранее", "позднее", "скорее", "дальше", "позже", "раньше", "пуще", "впредь"}
)
#: lemma corrections where pymorphy3's normal form differs from UD's
LEMMA_FIXES = {("ADJ", "должный"): "должен"}


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def feats_to_str(feats: Mapping[str, str | None]) -> str:
    """FEATS string in UD order (feature names sorted case-insensitively); ``"_"`` if empty."""
    key = tuple(feats.items())
    hit = _FEATS_STR.get(key)
    if hit is None:
        items = sorted(((k, v) for k, v in key if v), key=lambda kv: kv[0].lower())
        hit = "|".join(f"{k}={v}" for k, v in items) or "_"
        if len(_FEATS_STR) < 100_000:  # a corpus has a few thousand distinct ones
            _FEATS_STR[key] = hit
    return hit


_FEATS_STR: dict[tuple[tuple[str, str | None], ...], str] = {}


def feats_from_str(feats: str) -> dict[str, str]:
    """Parse a FEATS string (``"_"`` or ``"A=B|C=D"``) into a dict."""
    if not feats or feats == "_":
        return {}
    out: dict[str, str] = {}
    for item in feats.split("|"):
        key, _, value = item.partition("=")
        out[key] = value
    return out


def normalize_lemma(lemma: str, upos: str = "") -> str:
    """UD lemma spelling: no stress marks, ``ё`` written ``е`` except in the pronoun всё.

    UD Russian normalises ё in lemmas (ещё -> еще, её -> ее) because texts use ё
    inconsistently, but keeps всё apart from все because they are different words.
    """
    lemma = lemma.replace(STRESS, "")
    if lemma.lower() == "всё" and upos in ("PRON", "ADV", ""):
        return lemma
    return lemma.replace("ё", "е").replace("Ё", "Е")


def capitalize_lemma(lemma: str, form: str = "") -> str:
    """Proper-noun lemma: the first part capitalised, and each later hyphen-separated part
    capitalised where the form's is (Санкт-Петербург, Ростов-на-Дону, Москва-река). pymorphy3
    gives lemmas in lower case; without a form (or with other parts) every part is capitalised.
    """
    parts = lemma.split("-")
    written = form.split("-")
    if len(written) != len(parts):
        written = [p[:1].upper() for p in parts]
    return "-".join(
        part[:1].upper() + part[1:] if i == 0 or shown[:1].isupper() else part
        for i, (part, shown) in enumerate(zip(parts, written, strict=True))
    )


def grammemes_of(tag: Any) -> frozenset[str]:
    """The grammemes of an OpenCorpora tag given as a pymorphy3 tag object or its string."""
    if isinstance(tag, str):
        return frozenset(g for g in tag.replace(" ", ",").split(",") if g)
    return frozenset(tag.grammemes)


def is_reflexive_verb(lemma: str) -> bool:
    """-ся/-сь verbs get Voice=Mid in UD Russian."""
    return lemma.endswith(("ся", "сь"))


def adverb_of_adjective(lemma: str) -> str:
    """The -о/-е adverb of an adjective lemma (высокий -> высоко, хороший -> хорошо).

    UD lemmatizes an adverbial comparative by its positive adverb (лучше -> хорошо).
    """
    if lemma.endswith(("ый", "ой")):
        return lemma[:-2] + "о"
    if lemma.endswith("ий"):
        stem = lemma[:-2]
        if stem.endswith(("к", "г", "х", "ш", "ж", "щ", "ч")):
            return stem + "о"
        return stem + "е"
    return lemma


def _agreement(g: frozenset[str], feats: dict[str, str | None], *, animacy: bool) -> None:
    """Case, Number, Gender (singular only) and, for accusatives, Animacy of an adjective-like
    word; UD gives adjectives Animacy only where it decides the accusative form."""
    for gram, value in CASE.items():
        if gram in g:
            feats["Case"] = value
            break
    for gram, value in NUMBER.items():
        if gram in g:
            feats["Number"] = value
    if "sing" in g:
        for gram, value in GENDER.items():
            if gram in g:
                feats["Gender"] = value
    if animacy and "accs" in g and ("plur" in g or "masc" in g):
        for gram, value in ANIMACY.items():
            if gram in g:
                feats["Animacy"] = value


def _pick(g: frozenset[str], table: Mapping[str, str]) -> str | None:
    for gram, value in table.items():
        if gram in g:
            return value
    return None


def _tag(lemma: str, upos: str, feats: Mapping[str, str | None]) -> UDTag:
    lemma = normalize_lemma(lemma, upos)
    return UDTag(LEMMA_FIXES.get((upos, lemma), lemma), upos, feats_to_str(feats))


Alternatives = tuple[tuple[UDTag, float], ...]


def _one(lemma: str, upos: str, feats: Mapping[str, str | None]) -> Alternatives:
    return ((_tag(lemma, upos, feats), 1.0),)


# ---------------------------------------------------------------------------------------------
# The mapping
# ---------------------------------------------------------------------------------------------


def map_tag(word: str, normal_form: str, tag: Any) -> Alternatives:
    """UD readings of one pymorphy3 analysis, as ``((UDTag, share), ...)``, shares summing to 1.

    One analysis can stand for several UD readings that only context separates (что as a
    relative or an interrogative pronoun; a comparative as ADJ or ADV), so the analysis' score
    is shared among them; the first is the more frequent one in the house treebank.
    ``word`` is the surface form (for capitalisation); ``tag`` an OpenCorpora tag or its string.
    """
    g = grammemes_of(tag)
    lemma = normal_form.replace(STRESS, "")
    low = word.lower().replace(STRESS, "")
    pos = next((p for p in _POS_ORDER if p in g), "UNKN")
    return _MAPPERS.get(pos, _map_unknown)(low, word, lemma, g)


def map_parse(parse: Any, word: str | None = None) -> Alternatives:
    """UD readings of a pymorphy3 ``Parse`` (see :func:`map_tag`).

    ``word`` is the form as written (pymorphy3 lower-cases ``parse.word``); it decides the
    capitalisation of abbreviation lemmas. The lemma is corrected where UD lemmatizes
    differently from pymorphy3's normal form: feminine surnames and patronymics keep the
    feminine form (Еремина, Алексеевна), superlatives are their own lemma (крупнейший).
    """
    return map_tag(word or parse.word, ud_normal_form(parse), parse.tag)


_ADJ_ENDING = re.compile(
    r"(?:ого|его|ому|ему|ыми|ими|ая|яя|ую|юю|ое|ее|ые|ие|ых|их|ым|им|ой|ей|ый|ий|ом|ем)$"
)


def ud_normal_form(parse: Any) -> str:
    """pymorphy3's normal form, corrected to UD's lemma where they differ (see map_parse)."""
    tag = parse.tag
    # the grammemes' set: ``"x" in tag`` also validates the grammeme, at several times the cost
    g = grammemes_of(tag)
    if "femn" in g and ("Surn" in g or "Patr" in g):
        fem = parse.inflect({"nomn", "sing"})
        if fem is not None:
            return str(fem.word)
    if "Supr" in g and "ADJF" in g:
        stem = _ADJ_ENDING.sub("", parse.word)
        if stem != parse.word:
            return stem + "ий"
    return str(parse.normal_form)


def primary(parse: Any) -> UDTag:
    """The single most likely UD reading of a pymorphy3 ``Parse``."""
    return map_parse(parse)[0][0]


def _map_noun(low: str, word: str, lemma: str, g: frozenset[str]) -> Alternatives:
    name_type = _pick(g, NAME_TYPE)
    upos = "PROPN" if name_type else "NOUN"
    if "Abbr" in g:
        # UD gives abbreviations Abbr=Yes and no inflectional features; an all-caps
        # abbreviation keeps its capitals as lemma (СССР, МРОТ).
        feats: dict[str, str | None] = {"Abbr": "Yes", "NameType": name_type}
        lem = word if word.isupper() and len(word) > 1 else lemma
        if upos == "PROPN" and not word.isupper():
            lem = capitalize_lemma(lem, word)
        return _one(lem, upos, feats)
    feats = {
        "Animacy": _pick(g, ANIMACY),
        "Case": _pick(g, CASE),
        "Gender": _pick(g, GENDER),
        "Number": _pick(g, NUMBER),
        "NameType": name_type,
        "InflClass": "Ind" if "Fixd" in g else None,
    }
    if upos == "PROPN":
        lemma = capitalize_lemma(lemma, word)
    return _one(lemma, upos, feats)


def _map_adjf(low: str, word: str, lemma: str, g: frozenset[str]) -> Alternatives:
    lem = normalize_lemma(lemma)
    feats: dict[str, str | None] = {}
    if lem in DET_LEXICON or ("Apro" in g and low.endswith(("-то", "-нибудь", "-либо"))):
        return _map_det(low, lemma, lem, g)
    _agreement(g, feats, animacy=True)
    if "Anum" in g:
        feats["NumType"] = "Ord"
        feats["NumForm"] = "Combi" if any(c.isdigit() for c in low) else "Word"
        return _one(lemma, "ADJ", feats)
    feats["Degree"] = "Sup" if "Supr" in g else "Pos"
    return _one(lemma, "ADJ", feats)


def _map_det(low: str, lemma: str, lem: str, g: frozenset[str]) -> Alternatives:
    extra = DET_LEXICON.get(lem, {})
    if lem in FIXED_POSSESSIVES:
        return _one(lemma, "DET", extra)
    feats: dict[str, str | None] = dict(extra)
    _agreement(g, feats, animacy=True)
    if "Anum" in g and lem == "один":
        num = dict(feats)
        num.pop("PronType", None)
        num.update(NumForm="Word", NumType="Card")
        return ((_tag(lemma, "DET", feats), 0.65), (_tag(lemma, "NUM", num), 0.35))
    if lem in WH_DET and lem != "который":
        rel, intr = dict(feats, PronType="Rel"), dict(feats, PronType="Int")
        return ((_tag(lemma, "DET", rel), 0.5), (_tag(lemma, "DET", intr), 0.5))
    if lem not in DET_LEXICON and low.endswith(("-то", "-нибудь", "-либо")):
        feats["PronType"] = "Ind"
    if lem in ("тот", "этот", "весь") and "neut" in g and "sing" in g:
        # The neuter singular of тот/этот/весь standing alone is the pronoun то/это/всё.
        pron_lemma = {"тот": "то", "этот": "это", "весь": "всё"}[lem]
        ptype = "Tot" if lem == "весь" else "Dem"
        pron = {
            "Animacy": "Inan",
            "Case": feats.get("Case"),
            "Gender": "Neut",
            "Number": "Sing",
            "PronType": ptype,
        }
        return ((_tag(lemma, "DET", feats), 0.5), (_tag(pron_lemma, "PRON", pron), 0.5))
    if lem == "весь" and "plur" in g and "inan" not in g:
        # все/всех/всем... standing alone is the pronoun все ("everybody").
        pron = {"Animacy": "Anim", "Case": feats.get("Case"), "Number": "Plur", "PronType": "Tot"}
        return ((_tag(lemma, "DET", feats), 0.6), (_tag("все", "PRON", pron), 0.4))
    return _one(lemma, "DET", feats)


def _map_adjs(low: str, word: str, lemma: str, g: frozenset[str]) -> Alternatives:
    lem = normalize_lemma(lemma)
    feats: dict[str, str | None] = {"Degree": "Pos", "Variant": "Short"}
    _agreement(g, feats, animacy=False)
    if lem in DET_LEXICON:
        feats.pop("Degree")
        feats.update(DET_LEXICON[lem])
        return _one(lemma, "DET", feats)
    return _one(lemma, "ADJ", feats)


def _map_comp(low: str, word: str, lemma: str, g: frozenset[str]) -> Alternatives:
    if low in QUANT_COMPARATIVES:
        adv = _tag(low, "ADV", {"Degree": "Cmp", "PronType": "Tot"})
        return ((adv, 0.8), (_tag(lemma, "ADJ", {"Degree": "Cmp"}), 0.2))
    adj = _tag(lemma, "ADJ", {"Degree": "Cmp"})
    if low in ADV_COMPARATIVES:
        return ((_tag(low, "ADV", {"Degree": "Cmp"}), 0.7), (adj, 0.3))
    if low.startswith("по") and not lemma.startswith("по"):
        return ((adj, 0.5), (_tag(adverb_of_adjective(lemma), "ADV", {"Degree": "Cmp"}), 0.5))
    adv = _tag(adverb_of_adjective(lemma), "ADV", {"Degree": "Cmp"})
    return ((adv, 0.55), (adj, 0.45))


def _verb_common(lemma: str, g: frozenset[str]) -> dict[str, str | None]:
    return {
        "Aspect": _pick(g, ASPECT),
        "Voice": "Mid" if is_reflexive_verb(lemma) else "Act",
    }


def _map_verb(low: str, word: str, lemma: str, g: frozenset[str]) -> Alternatives:
    feats = _verb_common(lemma, g)
    feats.update(
        VerbForm="Fin",
        Mood=_pick(g, MOOD),
        Tense=_pick(g, TENSE),
        Number=_pick(g, NUMBER),
        Person=_pick(g, PERSON),
    )
    if "past" in g and "sing" in g:
        feats["Gender"] = _pick(g, GENDER)
    if "impr" in g:
        feats["Person"] = "1" if "incl" in g else "2"
        feats.pop("Tense", None)
    elif "past" not in g and not feats["Person"]:
        feats["Person"] = "3"  # impersonal verbs (хочется, захочется) are third person in UD
    if lemma == "быть":
        return _map_byt(low, feats, g)
    return _one(lemma, "VERB", feats)


def _map_byt(low: str, feats: dict[str, str | None], g: frozenset[str]) -> Alternatives:
    """быть: AUX as copula or auxiliary, VERB as existential; Aspect as the house has it.

    ru_taiga-ud-dev gives future and imperative forms no Aspect (будет 15/15), the past
    auxiliary of a passive no Aspect (10 of 11) and the past copula mostly Aspect=Imp (25 of
    38), so past forms get both variants and context picks.
    """
    if "futr" in g or "impr" in g:
        feats.pop("Aspect", None)
    if low in ("есть", "суть"):
        return ((_tag("быть", "VERB", feats), 0.6), (_tag("быть", "AUX", feats), 0.4))
    out = [(_tag("быть", "AUX", feats), 0.55), (_tag("быть", "VERB", feats), 0.15)]
    if "past" in g:
        bare = dict(feats, Aspect=None)
        out += [(_tag("быть", "AUX", bare), 0.25), (_tag("быть", "VERB", bare), 0.05)]
    else:
        out[0] = (out[0][0], 0.85)
    return tuple(out)


def _map_infn(low: str, word: str, lemma: str, g: frozenset[str]) -> Alternatives:
    feats = _verb_common(lemma, g)
    feats["VerbForm"] = "Inf"
    if lemma == "быть":
        return ((_tag(lemma, "VERB", feats), 0.5), (_tag(lemma, "AUX", feats), 0.5))
    return _one(lemma, "VERB", feats)


def _map_prtf(low: str, word: str, lemma: str, g: frozenset[str]) -> Alternatives:
    feats = _verb_common(lemma, g)
    if "pssv" in g:
        feats["Voice"] = "Pass"
    feats.update(VerbForm="Part", Tense=_pick(g, TENSE))
    _agreement(g, feats, animacy=True)
    return _one(lemma, "VERB", feats)


def _map_prts(low: str, word: str, lemma: str, g: frozenset[str]) -> Alternatives:
    feats = _verb_common(lemma, g)
    if "pssv" in g:
        feats["Voice"] = "Pass"
    feats.update(VerbForm="Part", Tense=_pick(g, TENSE), Variant="Short")
    _agreement(g, feats, animacy=False)
    return _one(lemma, "VERB", feats)


def _map_grnd(low: str, word: str, lemma: str, g: frozenset[str]) -> Alternatives:
    feats = _verb_common(lemma, g)
    feats.update(VerbForm="Conv", Tense=_pick(g, TENSE))
    return _one(lemma, "AUX" if lemma == "быть" else "VERB", feats)


def _map_numr(low: str, word: str, lemma: str, g: frozenset[str]) -> Alternatives:
    feats: dict[str, str | None] = {
        "Case": _pick(g, CASE),
        "Gender": _pick(g, GENDER),
        "NumForm": "Word",
        "NumType": "Sets" if "Coll" in g else "Card",
    }
    if feats["Case"] == "Acc":
        feats["Animacy"] = _pick(g, ANIMACY)
    return _one(lemma, "NUM", feats)


def _map_advb(low: str, word: str, lemma: str, g: frozenset[str]) -> Alternatives:
    if low in ADVB_AS_PART:
        return _one(low, "PART", {})
    lem = normalize_lemma(lemma, "ADV")
    feats: dict[str, str | None] = {"Degree": "Pos"}
    ptype = ADV_PRONTYPE.get(lem)
    if ptype is None and ("-" in lem) and lem.endswith(("-то", "-нибудь", "-либо")):
        ptype = "Ind"
    feats["PronType"] = ptype
    if lem in QUANT_COMPARATIVES or lem in ADV_COMPARATIVES:
        feats["Degree"] = "Cmp"
    if lem in ("наиболее", "наименее"):
        feats["Degree"] = "Sup"
    if lem in WH_ADV:
        return (
            (_tag(lemma, "ADV", feats), 0.5),
            (_tag(lemma, "ADV", dict(feats, PronType="Int")), 0.5),
        )
    return _one(lemma, "ADV", feats)


def _map_npro(low: str, word: str, lemma: str, g: frozenset[str]) -> Alternatives:
    lem = normalize_lemma(lemma, "PRON")
    case = _pick(g, CASE)
    if lem in PERSONAL:
        person, pers_number, pers_gender = PERSONAL[lem]
        feats: dict[str, str | None] = {
            "Case": case,
            "Number": pers_number,
            "Person": person,
            "Gender": pers_gender,
            "PronType": "Prs",
        }
        return _one(lemma, "PRON", feats)
    if lem == "себя":
        return _one(lemma, "PRON", {"Case": case, "PronType": "Prs", "Reflex": "Yes"})
    ptype: str | None
    animacy: str | None
    gender: str | None
    number: str | None
    if lem in PRON_LEXICON:
        ptype, animacy, gender, number = PRON_LEXICON[lem]
    elif lem.endswith(("-то", "-нибудь", "-либо")) or lem.startswith("кое-"):
        base = lem.split("-")[0] if not lem.startswith("кое-") else lem[4:]
        _, animacy, gender, number = PRON_LEXICON.get(base, ("Ind", None, None, None))
        ptype = "Ind"
    else:
        ptype, animacy = None, None
        gender, number = _pick(g, GENDER), _pick(g, NUMBER)
    feats = {
        "Animacy": animacy,
        "Case": case,
        "Gender": gender,
        "Number": number,
        "PronType": ptype,
    }
    if lem in WH_PRON:
        return (
            (_tag(lemma, "PRON", feats), 0.6),
            (_tag(lemma, "PRON", dict(feats, PronType="Int")), 0.4),
        )
    return _one(lemma, "PRON", feats)


def _map_pred(low: str, word: str, lemma: str, g: frozenset[str]) -> Alternatives:
    if low in PRED_VERBS:
        return _one(low, "VERB", {"Polarity": "Neg" if low in NEGATIONS else None})
    # нужно, видно, хорошо: pymorphy3 lists the neuter short adjective separately, and UD
    # takes that for the predicative use; PRED itself stands for the adverb
    return _one(low, "ADV", {"Degree": "Pos"})


def _map_prep(low: str, word: str, lemma: str, g: frozenset[str]) -> Alternatives:
    return _one(low, "ADP", {})


def _map_conj(low: str, word: str, lemma: str, g: frozenset[str]) -> Alternatives:
    if low == "однако":
        return ((_tag(low, "CCONJ", {}), 0.7), (_tag(low, "ADV", {}), 0.3))
    if "Prnt" in g:
        # parenthetical words (конечно, например, во-первых) are adverbs in UD
        return _one(low, "ADV", {"Degree": None if low == "например" else "Pos"})
    if low in CONJ_AS_PART:
        return _one(low, "PART", {})
    if low in CONJ_AS_ADV:
        return _map_advb(low, word, low, frozenset({"ADVB"}))
    if low in SCONJ_WORDS:
        feats = {"Mood": "Cnd"} if low in ("чтобы", "чтоб") else {}
        return _one(low, "SCONJ", feats)
    return _one(low, "CCONJ", {"Polarity": "Neg" if low in NEGATIONS else None})


def _map_prcl(low: str, word: str, lemma: str, g: frozenset[str]) -> Alternatives:
    if low in ("бы", "б"):
        return (
            (_tag("бы", "AUX", {"Mood": "Cnd"}), 0.7),
            (_tag("бы", "PART", {}), 0.3),
        )
    if low in ("все", "всё"):
        return _all_particle(low)
    if low in PRCL_AS_ADV:
        return _one(low, "ADV", {"Degree": "Pos"})
    part = _tag(low, "PART", {"Polarity": "Neg" if low in NEGATIONS else None})
    if low in ADV_PRONTYPE and low not in ("всё", "все"):
        adv = _tag(low, "ADV", {"Degree": "Pos", "PronType": ADV_PRONTYPE[low]})
        return ((part, 0.7), (adv, 0.3))
    return ((part, 1.0),)


def _all_particle(low: str) -> Alternatives:
    """pymorphy3's particle все/всё (most of its probability mass) has no UD counterpart:
    UD Russian makes it the pronoun всё/все or the adverb всё (всё ещё, всё равно)."""
    pron_sing = {"Animacy": "Inan", "Gender": "Neut", "Number": "Sing", "PronType": "Tot"}
    out = [
        (_tag("всё", "PRON", dict(pron_sing, Case="Nom")), 0.35),
        (_tag("всё", "PRON", dict(pron_sing, Case="Acc")), 0.15),
        (_tag("всё", "ADV", {"Degree": "Pos", "PronType": "Tot"}), 0.2),
    ]
    if low == "все":
        plur = {"Animacy": "Anim", "Case": "Nom", "Number": "Plur", "PronType": "Tot"}
        out.append((_tag("все", "PRON", plur), 0.3))
    return tuple(out)


def _map_intj(low: str, word: str, lemma: str, g: frozenset[str]) -> Alternatives:
    return _one(low, "INTJ", {})


def _map_latn(low: str, word: str, lemma: str, g: frozenset[str]) -> Alternatives:
    return _one(word, "X", {"Foreign": "Yes"})


def _map_romn(low: str, word: str, lemma: str, g: frozenset[str]) -> Alternatives:
    return _one(word.upper(), "ADJ", {"NumForm": "Roman", "NumType": "Ord"})


def _map_numb(low: str, word: str, lemma: str, g: frozenset[str]) -> Alternatives:
    frac = "real" in g or "," in word or "." in word
    card = _tag(word, "NUM", {"NumForm": "Digit", "NumType": "Frac" if frac else "Card"})
    if frac:
        return ((card, 1.0),)
    return ((card, 0.75), (_tag(word, "ADJ", {"NumForm": "Digit", "NumType": "Ord"}), 0.25))


def _map_pnct(low: str, word: str, lemma: str, g: frozenset[str]) -> Alternatives:
    return _one(word, "PUNCT", {})


def _map_unknown(low: str, word: str, lemma: str, g: frozenset[str]) -> Alternatives:
    return _one(word, "X", {})


_POS_ORDER = (
    "NOUN",
    "ADJF",
    "ADJS",
    "COMP",
    "VERB",
    "INFN",
    "PRTF",
    "PRTS",
    "GRND",
    "NUMR",
    "ADVB",
    "NPRO",
    "PRED",
    "PREP",
    "CONJ",
    "PRCL",
    "INTJ",
    "LATN",
    "ROMN",
    "NUMB",
    "PNCT",
)
_MAPPERS = {
    "NOUN": _map_noun,
    "ADJF": _map_adjf,
    "ADJS": _map_adjs,
    "COMP": _map_comp,
    "VERB": _map_verb,
    "INFN": _map_infn,
    "PRTF": _map_prtf,
    "PRTS": _map_prts,
    "GRND": _map_grnd,
    "NUMR": _map_numr,
    "ADVB": _map_advb,
    "NPRO": _map_npro,
    "PRED": _map_pred,
    "PREP": _map_prep,
    "CONJ": _map_conj,
    "PRCL": _map_prcl,
    "INTJ": _map_intj,
    "LATN": _map_latn,
    "ROMN": _map_romn,
    "NUMB": _map_numb,
    "PNCT": _map_pnct,
}


def merge(readings: Iterable[tuple[UDTag, float]]) -> list[tuple[UDTag, float]]:
    """Sum the scores of identical UD readings and sort them, most likely first."""
    total: dict[UDTag, float] = {}
    for tag, score in readings:
        total[tag] = total.get(tag, 0.0) + score
    return sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))
