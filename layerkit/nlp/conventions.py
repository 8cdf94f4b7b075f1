"""Annotation conventions of the UD Russian treebanks, and conversion from the house one.

The house convention ("ud") is current UD Russian as annotated in UD_Russian-Taiga
(``ru_taiga-ud-dev``). Our analyzer and taggers produce it; scoring against another treebank,
or exporting for a project that follows one, first converts with :func:`convert`.

The rules below were derived by comparing the three gold files in ``shared/data/ud`` (token
counts; "house" = ru_taiga-ud-dev, 15.6k tokens; "gsd" = ru_gsd-ud-dev, 11.7k; "old" =
ru_taiga-extra-train, 18.1k, an older UD release as used in GramEval-2020):

=================================  ====================  =====================  ===================
difference                         house (ud)            gsd                    old (taiga-old)
=================================  ====================  =====================  ===================
PronType feature                   1735 tokens           0                      0
NumType / NumForm                  183 / 183             221 (Card only) / 0    0 / 0
NameType on PROPN                  451                   0                      0
Poss (его, мой, свой...)           172                   0                      0
Reflex on свой / себя              DET+PRON (67)         PRON себя only (13)    0
InflClass=Ind, ExtPos              42, 107               0, 6                   0, 0
который                            DET (35)              PRON + Animacy (52)    PRON (35)
digits (NUM)                       NumForm=Digit (54)    Case|NumType (110/114) no feats (171/172)
4-digit years 1000-2099            NUM, ADJ before год   ADJ (176 of 185)       NUM 9 / ADJ 8
ordinal words (первый)             NumType=Ord (21)      Degree=Pos (38)        Degree=Pos (26)
Sets numerals (двое, оба)          NumType=Sets (10)     NumType=Card (5)       no NumType (8)
Latin words                        X, lemma as written   X, lemma lower (86)    PROPN if capital (26)
@mentions                          PROPN NameType=Prs    (none)                 X (60 of 79)
AUX быть Voice                     89/89                 0/91                   96/96
AUX будет/будут                    Tense=Fut, no Aspect  Aspect=Imp|Tense=Fut   Aspect=Imp|Tense=Pres
participle Animacy                 acc. only (12/154)    always (240/240)       acc. only (12/185)
short participle Case              no (0/44)             Case=Nom (126/126)     no (0/56)
сам, самый                         DET PronType=Emp (30) ADJ Degree=Pos (13)    ADJ (25 of 27)
другой, иной, многий, остальной    DET (28)              ADJ (23 of 25)         ADJ (27 of 27)
его/ее/их possessive               Poss=Yes|PronType=Prs no features (47)       no features (51)
wh-adverbs (где, как, когда)       Degree=Pos|PronType   no features (30)       Degree=Pos (71)
можно, надо, нельзя                VERB, no features     VERB, no features      VERB Degree=Pos (27/33)
нет (predicative)                  VERB Polarity=Neg     VERB Fin 3 Sg Pres     VERB Fin 3 Sg Pres
чтобы                              Mood=Cnd (15)         no features (2)        Mood=Cnd (20/21)
как (comparison)                   SCONJ (74)            ADP (19 of 38)         SCONJ (90)
один                               DET PronType=Ind (21) NUM (18 of 19)         NUM 16 / DET 14
себя, никто, ничто                 full features         себя: Case|Reflex      Case only (15/19)
=================================  ====================  =====================  ===================

Differences that depend on context (the case GSD gives a digit, whether a year written in
digits is an ordinal) cannot be recovered from one token and are left to the taggers.
"""

from __future__ import annotations

import re
from pathlib import Path

from layerkit.nlp.ud_map import feats_from_str, feats_to_str

CONVENTIONS = ("ud", "gsd", "taiga-old")

#: features only the house convention uses; the other two treebanks never do
_HOUSE_ONLY = ("PronType", "NumForm", "NameType", "Poss", "InflClass", "ExtPos")
_YEAR = re.compile(r"(?:1\d|20)\d\d")
_LATIN = re.compile(r"[A-Za-z]")
#: pronominal adjectives that only the house convention makes DET
_ADJ_DETERMINERS = frozenset({"сам", "самый", "другой", "иной", "многий", "остальной", "прочий"})
_WH_ADVERBS = frozenset(
    {"где", "когда", "как", "куда", "откуда", "почему", "зачем", "сколько", "отчего"}
)


def treebank_convention(path_or_name: str | Path) -> str:
    """The convention a treebank file follows, from its name: ru_gsd* -> "gsd",
    ru_taiga-extra* -> "taiga-old", anything else -> "ud" (current UD, house style)."""
    name = Path(path_or_name).name.lower()
    if name.startswith("ru_gsd"):
        return "gsd"
    if name.startswith("ru_taiga-extra"):
        return "taiga-old"
    return "ud"


def convert(lemma: str, upos: str, feats: str, form: str, convention: str) -> tuple[str, str, str]:
    """A house-convention analysis ``(lemma, upos, feats)`` of ``form`` in another convention.

    ``convention`` is one of :data:`CONVENTIONS`; "ud" returns the analysis unchanged. See the
    module docstring for the rules and the treebank counts behind them.
    """
    if convention == "ud":
        return lemma, upos, feats
    if convention == "gsd":
        return _to_gsd(lemma, upos, feats_from_str(feats), form)
    if convention == "taiga-old":
        return _to_taiga_old(lemma, upos, feats_from_str(feats), form)
    raise ValueError(f"unknown convention {convention!r}; expected one of {CONVENTIONS}")


def _common(lemma: str, upos: str, f: dict[str, str]) -> tuple[str, str, dict[str, str]]:
    """Rules the GSD and the older Taiga conventions share."""
    if lemma == "который":
        upos = "PRON"
    if lemma in _ADJ_DETERMINERS and upos == "DET":
        upos = "ADJ"
        f["Degree"] = "Pos"
    if upos == "DET" and f.get("Poss") and "Case" not in f:
        f = {}  # possessive его/ее/их
    if upos == "ADJ" and f.get("NumType") == "Ord" and f.get("NumForm") in ("Word", "Combi"):
        f["Degree"] = "Pos"
    for key in _HOUSE_ONLY:
        f.pop(key, None)
    return lemma, upos, f


def _to_gsd(lemma: str, upos: str, f: dict[str, str], form: str) -> tuple[str, str, str]:
    wh_adverb = upos == "ADV" and lemma in _WH_ADVERBS and "PronType" in f
    num_form = f.get("NumForm")
    lemma, upos, f = _common(lemma, upos, f)
    f.pop("Abbr", None)
    if upos == "DET" and "Reflex" in f:
        f.pop("Reflex")
    if upos in ("NUM", "ADJ") and num_form == "Digit" and _YEAR.fullmatch(form):
        # GSD (Wikipedia) writes years as ordinal adjectives, most often "года" (Gen)
        return lemma, "ADJ", "Case=Gen|Degree=Pos|Gender=Masc|Number=Sing"
    if upos == "ADJ" and num_form in ("Digit", "Roman"):
        f = {"Degree": "Pos"}
    if upos == "NUM" and f.get("NumType") == "Sets":
        f["NumType"] = "Card"
    if upos == "DET" and lemma == "один":
        upos = "NUM"
        f["NumType"] = "Card"
    if f.get("VerbForm") == "Part":
        f.setdefault("Animacy", "Inan")
        if f.get("Variant") == "Short":
            f.setdefault("Case", "Nom")
    if upos == "AUX":
        f.pop("Voice", None)
        if lemma == "быть" and "VerbForm" in f:
            f.setdefault("Aspect", "Imp")
        if lemma == "бы":
            f.pop("Mood", None)
    if upos == "SCONJ":
        f.pop("Mood", None)
        if lemma == "как":
            upos = "ADP"
    if wh_adverb:
        f = {}
    if upos == "VERB" and lemma == "нет":
        f = _FIN_3SG_PRES
    if upos == "X" and f.get("Foreign") == "Yes" and _LATIN.search(form):
        lemma = form.lower()
    if upos == "PRON" and lemma == "себя":
        f = {"Case": f.get("Case", ""), "Reflex": "Yes"}
    if upos == "PRON" and lemma == "который":
        f.setdefault("Animacy", "Inan")
    return lemma, upos, feats_to_str(f)


_FIN_3SG_PRES = {
    "Aspect": "Imp",
    "Mood": "Ind",
    "Number": "Sing",
    "Person": "3",
    "Tense": "Pres",
    "VerbForm": "Fin",
    "Voice": "Act",
}


def _to_taiga_old(lemma: str, upos: str, f: dict[str, str], form: str) -> tuple[str, str, str]:
    num_form = f.get("NumForm")
    lemma, upos, f = _common(lemma, upos, f)
    f.pop("NumType", None)
    f.pop("Reflex", None)
    if num_form in ("Digit", "Roman"):
        f = {}
    if upos == "PROPN" and form.startswith("@"):
        return lemma, "X", "_"
    if upos == "X" and f.get("Foreign") == "Yes" and form[:1].isupper() and _LATIN.search(form):
        upos = "PROPN"
    if upos == "AUX" and lemma == "быть" and "VerbForm" in f:
        f["Aspect"] = "Imp"
        if f.get("Tense") == "Fut":
            f["Tense"] = "Pres"  # the older release tagged будет/будут as present
    if upos == "VERB" and lemma in ("можно", "надо", "нельзя"):
        f = {"Degree": "Pos"}
    if upos == "VERB" and lemma == "нет":
        f = _FIN_3SG_PRES
    if upos == "ADV" and "Degree" not in f and "Abbr" not in f:
        f["Degree"] = "Pos"
    if upos == "PRON" and lemma in ("себя", "никто", "ничто", "друг"):
        f = {"Case": f["Case"]} if "Case" in f else {}
    return lemma, upos, feats_to_str(f)


# --- telling the convention of a CoNLL-U file ------------------------------------------------

#: UD treebank file names: ru_<treebank>-ud-<split>.conllu (and ru_taiga-extra-*, GramEval's)
_TREEBANK_NAME = re.compile(r"ru_(?:gsd|taiga-extra)|ru_[a-z]+-ud-", re.IGNORECASE)


def convention_from_name(path_or_name: str | Path) -> str | None:
    """The convention a UD treebank file's name tells (as :func:`treebank_convention`), or
    None when the name is not a treebank's (``gsd.in.conllu``, ``mine.conllu``)."""
    name = Path(path_or_name).name
    return treebank_convention(name) if _TREEBANK_NAME.match(name) else None


#: XPOS tags of UD Russian-GSD (Penn-style, with GSD's own JJL, VBC, VBNH...); the other
#: treebanks leave XPOS empty or copy UPOS-like tags into it
_GSD_XPOS = frozenset(
    {
        *("NN", "NNP", "JJL", "JJH", "JJ", "JJR", "JJRL", "JJS", "VB", "VBC", "VBG", "VBNH"),
        *("VBNL", "IN", "CC", "ORD", "RB", "RBR", "RBS", "CD", "FW", "DT", "PRP", "PRP$", "UH"),
        *("NEG", "AWP", "WRB", "WP", "WDT", "AFX", "PRED", "RP"),
    }
)
#: XPOS tags of the older Taiga release (UD v1's CONJ and GramEval's own) that no other uses
_OLD_XPOS = frozenset({"CONJ", "ANUM", "PUNC"})
_GSD_SENT_ID = re.compile(r"(?:train|dev|test)-s\d+")
_DIGITS = re.compile(r"\d+")
_PREDICATIVES = frozenset({"можно", "надо", "нельзя"})
#: features the house convention gives where GSD and the older Taiga give none (GSD's dev
#: file has ExtPos on 6 tokens, so it is not among them)
_HOUSE_FEATURES = ("PronType", "NumForm", "NameType", "Poss")

_U, _G, _O = "ud", "gsd", "taiga-old"
_XPOS_GSD = "GSD's XPOS tags (NN, JJL, VBC...)"
_XPOS_OLD = "the older Taiga's XPOS tags (CONJ, ANUM)"
_SENT_ID_GSD = "GSD's sentence ids (train-s1, dev-s1...)"
_QUOTES_GSD = "GSD's quotation marks (`` and &#39;&#39;)"
#: clue -> the conventions it is evidence for (see the table in the module docstring)
CLUES: dict[str, tuple[str, ...]] = {
    "PronType/NumForm/NameType/Poss features": (_U,),
    "pronouns and determiners without PronType": (_G, _O),
    "который tagged DET": (_U,),
    "который tagged PRON": (_G, _O),
    "digits with Case": (_G,),
    "digits with no features": (_O,),
    "AUX быть with Voice": (_U, _O),
    "AUX быть without Voice": (_G,),
    "participles with Animacy outside the accusative": (_G,),
    "participles without Animacy outside the accusative": (_U, _O),
    "short participles with Case": (_G,),
    "short participles without Case": (_U, _O),
    "wh-adverbs with no features": (_G,),
    "wh-adverbs with Degree=Pos only": (_O,),
    "можно/надо/нельзя with Degree=Pos": (_O,),
    _XPOS_GSD: (_G,),
    _XPOS_OLD: (_O,),
    _SENT_ID_GSD: (_G,),
    _QUOTES_GSD: (_G,),
}
#: what the content must show before it decides, against each other convention: clues that
#: tell the two apart, at least MIN_CLUES more for the winner than against it, and at least
#: MIN_SHARE of them for it (chosen on renamed train/dev files cut into 50-sentence slices:
#: tests/test_conventions.py)
MIN_CLUES = 3
MIN_SHARE = 0.8


class ConventionEvidence:
    """Clues to a file's annotation convention, gathered word by word from what the file
    already has (LEMMA, UPOS, XPOS, FEATS, sentence ids, a treebank's peculiar tokens): the
    differences between the treebanks, tabulated in the module docstring, that one word
    shows on its own."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = dict.fromkeys(CLUES, 0)
        self.words = 0
        self.annotated = 0  # words with a LEMMA, UPOS, XPOS or FEATS

    def comment(self, line: str) -> None:
        key, _, value = line.lstrip("# ").partition("=")
        if key.strip() == "sent_id" and _GSD_SENT_ID.fullmatch(value.strip()):
            self.counts[_SENT_ID_GSD] += 1

    def word(self, form: str, lemma: str, upos: str, xpos: str, feats: str) -> None:
        self.words += 1
        c = self.counts
        if form in ("``", "&#39;&#39;"):
            c[_QUOTES_GSD] += 1
        if lemma == upos == xpos == feats == "_":
            return
        self.annotated += 1
        if xpos in _GSD_XPOS:
            c[_XPOS_GSD] += 1
        elif xpos in _OLD_XPOS:
            c[_XPOS_OLD] += 1
        f = feats_from_str(feats) if feats != "_" else {}
        low = lemma.lower()
        if any(k in f for k in _HOUSE_FEATURES):
            c["PronType/NumForm/NameType/Poss features"] += 1
        elif upos in ("PRON", "DET") and f:
            c["pronouns and determiners without PronType"] += 1
        if low == "который" and upos in ("DET", "PRON"):
            c[f"который tagged {upos}"] += 1
        if _DIGITS.fullmatch(form) and upos in ("NUM", "ADJ"):
            if "Case" in f and "NumForm" not in f:
                c["digits with Case"] += 1
            elif not f:
                c["digits with no features"] += 1
        if upos == "AUX" and low == "быть" and "VerbForm" in f:
            c["AUX быть with Voice" if "Voice" in f else "AUX быть without Voice"] += 1
        if f.get("VerbForm") == "Part" and f.get("Case") != "Acc":
            if f.get("Variant") == "Short":
                key = "with" if "Case" in f else "without"
                c[f"short participles {key} Case"] += 1
            elif "Case" in f:
                key = "with" if "Animacy" in f else "without"
                c[f"participles {key} Animacy outside the accusative"] += 1
        if upos == "ADV" and low in _WH_ADVERBS:
            if not f:
                c["wh-adverbs with no features"] += 1
            elif f == {"Degree": "Pos"}:
                c["wh-adverbs with Degree=Pos only"] += 1
        if low in _PREDICATIVES and upos == "VERB" and f == {"Degree": "Pos"}:
            c["можно/надо/нельзя with Degree=Pos"] += 1

    def scores(self) -> dict[str, int]:
        """Per convention, how many clues speak for it."""
        out = dict.fromkeys(CONVENTIONS, 0)
        for clue, n in self.counts.items():
            for convention in CLUES[clue]:
                out[convention] += n
        return out

    def _versus(self, a: str, b: str) -> tuple[int, int]:
        """Clues for ``a`` and not ``b``, and for ``b`` and not ``a``."""
        pro = sum(n for k, n in self.counts.items() if a in CLUES[k] and b not in CLUES[k])
        con = sum(n for k, n in self.counts.items() if b in CLUES[k] and a not in CLUES[k])
        return pro, con

    def decide(self) -> tuple[str | None, str]:
        """The convention the clues point to (None when they do not tell) and why, in words."""
        if not any(self.counts.values()):
            if self.annotated == 0:
                return None, (
                    f"none of its {self.words:,} words has a LEMMA, UPOS, XPOS or FEATS, and "
                    "nothing else in it tells"
                )
            return None, (
                f"its {self.annotated:,} annotated words show none of the differences between "
                "the conventions"
            )
        scores = self.scores()
        best = max(CONVENTIONS, key=lambda c: scores[c])
        for other in CONVENTIONS:
            if other == best:
                continue
            pro, con = self._versus(best, other)
            if pro - con < MIN_CLUES or pro < MIN_SHARE * (pro + con):
                shown = ", ".join(f"{n} {k}" for k, n in self.counts.items() if n)
                return None, (
                    f"its clues do not tell {best} from {other} with confidence ({shown})"
                )
        others = [c for c in CONVENTIONS if c != best]
        telling = [
            (k, n)
            for k, n in self.counts.items()
            if n and best in CLUES[k] and any(o not in CLUES[k] for o in others)
        ]
        telling.sort(key=lambda kv: -kv[1])
        return best, ", ".join(f"{n} {k}" for k, n in telling[:3])
