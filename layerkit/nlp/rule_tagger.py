"""A rule-based contextual chooser over ``analyze()``'s readings: the tagger used when the trained
model cannot be loaded (natasha missing).

Each token's candidates are scored by their dictionary probability plus hand-written context
rules; a Viterbi pass over adjacent pairs adds the two constraints that carry most of Russian
morphology: a preposition governs the case of what follows it, and adjectives, determiners and
participles agree with the next nominal in case, number and gender. Everything is pure Python
over precomputed tables (no regex compiled per token), fast enough to pre-annotate a corpus.

The rules encode ru_taiga-ud-dev (house convention) practice; ``confidence`` is the chosen
reading's probability among the token's candidates with its neighbours fixed, sharpened or
flattened by a temperature fitted on that file so that it tracks accuracy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from layerkit.nlp.analyzer import analyze
from layerkit.nlp.types import Reading, TokenAnalysis
from layerkit.nlp.ud_map import feats_from_str, feats_to_str

__all__ = ["FIXED_EXPRESSIONS", "RuleTagger", "fixed_expressions"]

#: at most this many candidates per token enter the Viterbi pass (by dictionary score)
MAX_CANDIDATES = 8

#: cases a preposition governs (lemma as written, variants with -о folded)
GOVERNMENT: dict[str, frozenset[str]] = {
    **dict.fromkeys(("в", "во", "на"), frozenset({"Acc", "Loc"})),
    **dict.fromkeys(("с", "со"), frozenset({"Ins", "Gen"})),
    **dict.fromkeys(
        ("к", "ко", "благодаря", "согласно", "подобно", "вопреки", "навстречу"), frozenset({"Dat"})
    ),
    "по": frozenset({"Dat"}),
    **dict.fromkeys(("о", "об", "обо"), frozenset({"Loc", "Acc"})),
    "при": frozenset({"Loc"}),
    **dict.fromkeys(("за", "под", "подо"), frozenset({"Ins", "Acc"})),
    **dict.fromkeys(("над", "надо", "перед", "передо", "между", "меж"), frozenset({"Ins"})),
    **dict.fromkeys(("через", "про", "сквозь", "спустя", "сквозь"), frozenset({"Acc"})),
    **dict.fromkeys(
        (
            "у",
            "из",
            "изо",
            "от",
            "ото",
            "до",
            "для",
            "без",
            "безо",
            "около",
            "после",
            "кроме",
            "из-за",
            "из-под",
            "среди",
            "вокруг",
            "возле",
            "мимо",
            "вроде",
            "вместо",
            "против",
            "ради",
            "сверх",
            "позади",
            "внутри",
            "вне",
            "напротив",
            "насчет",
            "вдоль",
            "помимо",
            "близ",
            "посреди",
            "свыше",
            "накануне",
            "вследствие",
            "относительно",
            "ввиду",
            "типа",
        ),
        frozenset({"Gen"}),
    ),
}
_NOMINAL = frozenset({"NOUN", "PROPN", "PRON", "ADJ", "DET", "NUM"})
_MODIFIER = frozenset({"ADJ", "DET"})
_SPEECH_END = frozenset({"?", "!", "?!", "!?", "...", "?..", "!..", "??", "!!", "!!!", "???"})
_CLAUSE_PUNCT = frozenset({",", ";", ":", "—", "–", "-", "(", "«", '"', "„"})
_WH_WORDS = frozenset(
    {
        "что",
        "кто",
        "как",
        "где",
        "куда",
        "откуда",
        "когда",
        "почему",
        "зачем",
        "сколько",
        "какой",
        "чей",
    }
)
_MONTHS = frozenset(
    {
        "января",
        "февраля",
        "марта",
        "апреля",
        "мая",
        "июня",
        "июля",
        "августа",
        "сентября",
        "октября",
        "ноября",
        "декабря",
    }
)
_YEAR_WORDS = frozenset(
    {"год", "года", "году", "годом", "годах", "годов", "годы", "г", "г.", "гг", "гг."}
)

#: fixed multiword expressions: lower-cased forms -> ExtPos of their first word (house UD)
FIXED_EXPRESSIONS: dict[tuple[str, ...], str] = {
    ("т.", "д."): "NOUN",
    ("т.", "е."): "SCONJ",
    ("не", "только"): "CCONJ",
    ("но", "и"): "CCONJ",
    ("а", "также"): "CCONJ",
    ("а", "именно"): "CCONJ",
    ("а", "то", "и"): "CCONJ",
    ("то", "ли"): "CCONJ",
    ("как", "бы"): "ADV",
    ("как", "можно"): "ADV",
    ("что", "за"): "DET",
    ("потому", "что"): "SCONJ",
    ("так", "что"): "SCONJ",
    ("так", "как"): "SCONJ",
    ("как", "будто"): "SCONJ",
    ("в", "течение"): "ADP",
    ("в", "течении"): "ADP",
    ("в", "отличие", "от"): "ADP",
    ("в", "виде"): "ADP",
    ("в", "качестве"): "ADP",
    ("в", "связи", "с"): "ADP",
    ("в", "соответствии", "с"): "ADP",
    ("в", "том", "числе"): "ADP",
    ("в", "частности"): "ADV",
    ("в", "конце", "концов"): "ADV",
    ("во", "время"): "ADP",
    ("во", "имя"): "ADP",
    ("с", "помощью"): "ADP",
    ("со", "стороны"): "ADP",
    ("за", "счет"): "ADP",
    ("за", "счёт"): "ADP",
    ("при", "виде"): "ADP",
    ("из", "под"): "ADP",
    ("друг", "друга"): "PRON",
    ("друг", "другу"): "PRON",
    ("друг", "другом"): "PRON",
    ("друг", "о", "друге"): "PRON",
    ("друг", "от", "друга"): "PRON",
    ("друг", "с", "другом"): "PRON",
    ("друг", "на", "друга"): "PRON",
    ("друг", "к", "другу"): "PRON",
    ("друг", "за", "другом"): "PRON",
    ("друг", "для", "друга"): "PRON",
    ("всё", "равно"): "ADV",
    ("все", "равно"): "ADV",
    ("всё", "же"): "ADV",
    ("все", "же"): "ADV",
    ("хотя", "бы"): "ADV",
    ("едва", "ли"): "ADV",
    ("прежде", "всего"): "ADV",
    ("тем", "не", "менее"): "ADV",
    ("ни", "разу"): "ADV",
    ("судя", "по"): "ADP",
    ("то", "есть"): "SCONJ",
    ("то", "же"): "DET",
    ("тот", "же"): "DET",
    ("та", "же"): "DET",
    ("той", "же"): "DET",
    ("того", "же"): "DET",
    ("так", "и"): "CCONJ",
    ("ничего", "себе"): "ADJ",
}
_FIXED_MAX = max(len(k) for k in FIXED_EXPRESSIONS)


def fixed_expressions(tokens: Sequence[str]) -> dict[int, str]:
    """ExtPos of the first word of each fixed expression in a sentence, by token index.

    UD marks the head of a fixed expression (потому что, в течение, не только) with the part
    of speech of the whole; that depends on the neighbours, not on the word, so ``analyze()``
    never offers it and taggers add it afterwards with this function.
    """
    low = [t.lower() for t in tokens]
    found: dict[int, str] = {}
    i = 0
    while i < len(low):
        for n in range(min(_FIXED_MAX, len(low) - i), 1, -1):
            ext = FIXED_EXPRESSIONS.get(tuple(low[i : i + n]))
            if ext:
                found[i] = ext
                i += n - 1
                break
        i += 1
    return found


@dataclass(frozen=True, slots=True)
class _Cand:
    """A reading with its features unpacked once, for the pairwise checks."""

    reading: Reading
    logp: float
    upos: str
    case: str
    number: str
    gender: str
    animacy: str
    person: str
    verbform: str
    short: bool


@lru_cache(maxsize=50_000)
def _feats(feats: str) -> dict[str, str]:
    return feats_from_str(feats)


def _cand(reading: Reading) -> _Cand:
    f = _feats(reading.feats)
    return _Cand(
        reading,
        math.log(max(reading.score, 1e-6)),
        reading.upos,
        f.get("Case", ""),
        f.get("Number", ""),
        f.get("Gender", ""),
        f.get("Animacy", ""),
        f.get("Person", ""),
        f.get("VerbForm", ""),
        f.get("Variant", "") == "Short",
    )


def _candidates(word: str) -> list[_Cand]:
    readings = analyze(word)[:MAX_CANDIDATES]
    return [_cand(r) for r in readings]


def _agree(mod: _Cand, head: _Cand) -> bool:
    if mod.case != head.case:
        return False
    if mod.number and head.number and mod.number != head.number:
        return False
    if mod.number == "Sing" and mod.gender and head.gender and mod.gender != head.gender:
        return False
    return not (mod.animacy and head.animacy and mod.animacy != head.animacy)


def _pair(prev: _Cand, cur: _Cand) -> float:
    """Compatibility of two adjacent readings (log-scale bonus or penalty)."""
    score = 0.0
    if prev.upos == "ADP":
        cases = GOVERNMENT.get(prev.reading.lemma)
        if cases is not None and cur.case:
            score += 1.5 if cur.case in cases or (cur.case == "Par" and "Gen" in cases) else -2.5
        if cur.upos in ("VERB", "AUX") and cur.verbform in ("Fin", "Inf", "Conv"):
            score -= 2.0
        if cur.upos in ("PUNCT", "ADP", "CCONJ", "SCONJ"):
            score -= 1.0
    modifier = prev.upos in _MODIFIER or (prev.verbform == "Part" and not prev.short)
    if modifier and not prev.short and prev.case and cur.case and cur.upos in _NOMINAL:
        score += 1.2 if _agree(prev, cur) else -1.2
    if prev.upos == "PRON" and prev.person and prev.case == "Nom" and cur.verbform == "Fin":
        if cur.person and cur.person == prev.person and cur.number == prev.number:
            score += 1.0
        elif cur.person and cur.person != prev.person:
            score -= 1.0
    if prev.upos == "NUM" and prev.case in ("Nom", "Acc") and cur.upos == "NOUN":
        score += 0.5 if cur.case == "Gen" else 0.0
    if prev.upos in ("DET", "ADJ") and prev.case and cur.upos in ("VERB", "AUX", "ADP", "PUNCT"):
        score -= 0.4
    return score


class RuleTagger:
    """Pick one reading per token by dictionary score and context rules (``ru-rules`` v1)."""

    name = "ru-rules"
    version = "1"
    #: temperature applied to the local scores when turning them into a confidence; fitted
    #: on ru_taiga-ud-dev: mean confidence 0.882 for a full-tag accuracy of 0.874, expected
    #: calibration error 0.028 (1.0 gives 0.904 and 0.037)
    temperature = 1.3

    def tag(self, sentences: Sequence[Sequence[str]]) -> list[list[TokenAnalysis]]:
        return [self.tag_sentence(sentence) for sentence in sentences]

    def tag_sentence(self, tokens: Sequence[str]) -> list[TokenAnalysis]:
        """Tag one pre-tokenized sentence."""
        if not tokens:
            return []
        cands = [_candidates(t) for t in tokens]
        unary = _unary_scores(tokens, cands)
        path = _viterbi(cands, unary)
        fixed = fixed_expressions(tokens)
        out: list[TokenAnalysis] = []
        for i, choice in enumerate(path):
            local = [
                unary[i][j]
                + (_pair(cands[i - 1][path[i - 1]], c) if i else 0.0)
                + (_pair(c, cands[i + 1][path[i + 1]]) if i + 1 < len(path) else 0.0)
                for j, c in enumerate(cands[i])
            ]
            top = max(local)
            weights = [math.exp((s - top) / self.temperature) for s in local]
            confidence = weights[choice] / sum(weights)
            reading = cands[i][choice].reading
            feats = reading.feats
            if i in fixed:
                f = dict(_feats(feats))
                f["ExtPos"] = fixed[i]
                feats = feats_to_str(f)
            out.append(TokenAnalysis(reading.lemma, reading.upos, feats, round(confidence, 4)))
        return out


def _viterbi(cands: list[list[_Cand]], unary: list[list[float]]) -> list[int]:
    best = list(unary[0])
    back: list[list[int]] = []
    for i in range(1, len(cands)):
        prev_c = cands[i - 1]
        row: list[float] = []
        ptr: list[int] = []
        for j, cur in enumerate(cands[i]):
            top, arg = -math.inf, 0
            for k, prev in enumerate(prev_c):
                s = best[k] + _pair(prev, cur)
                if s > top:
                    top, arg = s, k
            row.append(top + unary[i][j])
            ptr.append(arg)
        best = row
        back.append(ptr)
    j = max(range(len(best)), key=best.__getitem__)
    path = [j]
    for ptr in reversed(back):
        j = ptr[j]
        path.append(j)
    path.reverse()
    return path


# ---------------------------------------------------------------------------------------------
# Unary context rules
# ---------------------------------------------------------------------------------------------

_SUBORDINATORS = frozenset(
    {
        "что",
        "чтобы",
        "когда",
        "если",
        "где",
        "зачем",
        "почему",
        "который",
        "которые",
        "как",
        "«",
        "»",
    }
)
_STRONG_BOUNDARY = frozenset({".", "!", "?", "...", ";", ":", "—", "–", "(", ")", "…"})
_BOUNDARY = frozenset({".", "!", "?", "...", ",", ";", ":", "—", "–", "-", "(", ")", "«", "»", '"'})
_GEN_LICENSORS = frozenset(
    {
        "нет",
        "не",
        "ни",
        "много",
        "мало",
        "немного",
        "несколько",
        "сколько",
        "столько",
        "больше",
        "меньше",
        "более",
        "менее",
        "полно",
        "около",
        "нету",
        "достаточно",
        "нужно",
    }
)
_WANT_PREFIXES = ("хоч", "хот", "мож", "нужн", "надо", "пора", "буд", "нельзя", "стал", "нача")
_QUANT_CMP = frozenset({"больше", "меньше", "более", "менее"})
_COPULAS = frozenset({"быть", "стать", "становиться", "казаться", "оказаться", "являться"})
_TIME_NOUNS = frozenset(
    {"зимой", "летом", "весной", "осенью", "утром", "вечером", "днем", "днём", "ночью", "порой"}
)
_QUANTIFIERS = frozenset({"много", "немного", "несколько", "столько", "сколько"})


class _Context:
    """Per-sentence facts the unary rules consult, computed once."""

    def __init__(self, tokens: Sequence[str], cands: list[list[_Cand]]) -> None:
        self.tokens = tokens
        self.cands = cands
        self.low = [t.lower() for t in tokens]
        self.n = len(tokens)
        self.top = [c[0] for c in cands]
        self.question = any(
            t.startswith("?") or t.endswith("?") for t in self.low if not t[:1].isalnum()
        )
        self.exclaim = not self.question and any(
            t.startswith("!") for t in self.low if not t[:1].isalnum()
        )
        # in verse and titles most words are capitalised, and capitals say little
        words = [t for t in tokens[1:] if t[:1].isalpha()]
        capitals = sum(1 for t in words if t[:1].isupper())
        self.caps_informative = capitals <= max(1, len(words) // 5)
        # clause index of each token: clauses end at punctuation
        self.clause: list[int] = []
        k = 0
        for word in self.low:
            if word in _BOUNDARY or word in _SPEECH_END:
                k += 1
                self.clause.append(-1)
            else:
                self.clause.append(k)
        self.verb_in_clause: dict[int, bool] = {}
        self.nom_taken: dict[int, bool] = {}
        self.trans_after: dict[int, bool] = {}
        # the transitivity of the nearest verb to the left, within the sentence part that
        # ends at strong punctuation (commas often just separate coordinated objects)
        self.trans_verb_before: list[str] = []
        last = ""
        for i, t in enumerate(self.top):
            word = self.low[i]
            if word in _STRONG_BOUNDARY or word in _SUBORDINATORS or t.upos == "SYM":
                last = ""
            elif (
                word in _BOUNDARY
                and i + 1 < self.n
                and self.top[i + 1].upos not in ("NOUN", "ADJ", "DET", "PROPN", "NUM")
            ):
                # a comma inside a list of objects keeps the verb; before anything else the
                # verb's clause has ended
                last = ""
            src = t.reading.source_tag
            clause = self.clause[i]
            if t.upos in ("VERB", "AUX") and t.reading.lemma not in _COPULAS:
                if t.verbform in ("Fin", "Conv"):
                    self.verb_in_clause[clause] = True
                if "tran" in src:
                    self.trans_after[clause] = True
            self.trans_verb_before.append(last)
            if t.upos == "VERB" and t.verbform in ("Fin", "Inf", "Conv", "Part") and word != "есть":
                last = "tran" if "tran" in src else "intr"
            if t.upos == "PRON" and all(c.case == "Nom" for c in cands[i] if c.case):
                self.nom_taken[clause] = True

    def start(self, i: int) -> bool:
        """Does token i begin a sentence or line (where a capital says nothing)?"""
        if i == 0:
            return True
        prev = self.low[i - 1]
        if (
            prev in (".", "!", "?", "...", "«", '"', "—", "-", ":", "…", "“", "„")
            or prev in _SPEECH_END
        ):
            return True
        # after a mention, hashtag, emoji or smiley a new utterance begins
        return prev[:1] in ("@", "#") or self.top[i - 1].upos == "SYM"

    def gen_licensed(self, i: int) -> bool:
        """Is there something to the left that takes a genitive (noun, number, negation...)?"""
        j = i - 1
        while j >= 0 and self.top[j].upos in ("ADJ", "DET") and self.clause[j] >= 0:
            j -= 1
        if j < 0:
            return False
        word, top = self.low[j], self.top[j]
        if word in _GEN_LICENSORS or word[:1].isdigit():
            return True
        if word[:1] == "@" or self.clause[j] < 0:
            return False
        if top.upos in ("NOUN", "PROPN", "NUM", "ADP") or top.reading.feats.startswith(
            "Degree=Cmp"
        ):
            return True
        return any(x.upos in ("NOUN", "NUM") for x in self.cands[j][:2])


def _unary_scores(tokens: Sequence[str], cands: list[list[_Cand]]) -> list[list[float]]:
    ctx = _Context(tokens, cands)
    opened = 0
    scores: list[list[float]] = []
    for i, word in enumerate(ctx.low):
        row = []
        for c in cands[i]:
            s = c.logp + _lexical_rule(ctx, i, word, c) + _case_rule(ctx, i, c)
            if word == ")" and c.upos == "SYM":
                s += 1.5 if opened <= 0 else -1.5
            row.append(s)
        if word == "(":
            opened += 1
        elif word == ")":
            opened -= 1
        scores.append(row)
    return scores


def _case_rule(ctx: _Context, i: int, c: _Cand) -> float:
    """Case priors no dictionary can know: Nom unless a transitive verb precedes in the
    clause (then Acc); a genitive needs something on its left that takes one."""
    if not c.case or (c.upos not in _NOMINAL and c.verbform != "Part"):
        return 0.0
    j = i - 1
    while j >= 0 and ctx.top[j].upos in ("ADJ", "DET", "NUM", "ADV") and ctx.clause[j] >= 0:
        j -= 1
    if j >= 0 and ctx.top[j].upos == "ADP":
        return 0.0  # the preposition decides
    s = 0.0
    verb = ctx.trans_verb_before[i]
    clause = ctx.clause[i]
    # a clause that already has an unambiguous nominative pronoun (я, он, мы) and a
    # transitive verb somewhere takes its other Nom/Acc nouns as objects
    object_slot = verb == "tran" or (
        ctx.nom_taken.get(clause, False) and ctx.trans_after.get(clause, False)
    )
    if c.case == "Nom":
        s += 0.9 if not object_slot else -0.3
    elif c.case == "Acc":
        s += 0.9 if object_slot else -0.4
    elif c.case in ("Gen", "Par"):
        s += 0.3 if ctx.gen_licensed(i) else -0.8
    return s


def _lexical_rule(ctx: _Context, i: int, word: str, c: _Cand) -> float:
    """Context bonus for one candidate of one token."""
    r = c.reading
    up = c.upos
    feats = r.feats
    low, n = ctx.low, ctx.n
    prev = low[i - 1] if i else ""
    nxt = low[i + 1] if i + 1 < n else ""
    nxt_c = ctx.cands[i + 1] if i + 1 < n else []
    start = ctx.start(i)
    s = 0.0
    # capitalisation: a capitalised word inside a sentence is a name even when the dictionary
    # has only a common noun; at the start of a sentence capitals say nothing
    if up == "PROPN" and ctx.tokens[i][:1].isupper():
        known_name = not r.source_tag.startswith("guess:") and any(
            g in r.source_tag for g in ("Name", "Surn", "Patr", "Geox", "Orgn", "Trad")
        )
        if start:
            s += 0.0 if known_name else -2.5
        elif ctx.caps_informative:
            s += 1.0 if known_name else 2.5
    if up == "PROPN" and ctx.tokens[i][:1].islower():
        s -= 2.0  # a name written in lower case is rare; "огурцов" is not the surname here
    if word == "как":
        if nxt in ("бы", "же", "ни", "только", "можно", "раз"):
            s += 1.5 if up == "ADV" else 0.0
        elif up == "SCONJ" and nxt_c and nxt_c[0].upos in ("NOUN", "PROPN", "ADP", "NUM"):
            s += 1.0
    if word in _WH_WORDS and "PronType=" in feats:
        if "PronType=Int" in feats:
            s += 1.0 if ctx.question else -1.0
        elif "PronType=Rel" in feats:
            s += -0.5 if ctx.question and start else 0.5
    if word in ("что", "чтобы", "как", "когда", "если", "пока", "хотя"):
        s += _sconj_rule(word, prev, nxt, up, start, ctx.question)
    if word in ("его", "ее", "её", "их"):
        noun_next = any(x.upos in ("NOUN", "ADJ", "PROPN") and x.case for x in nxt_c[:3])
        if up == "DET":
            s += 1.5 if noun_next else -1.5
    if word in ("все", "всё", "всех", "всем", "всеми", "всего"):
        noun_next = any(x.upos in ("NOUN", "ADJ", "DET", "PROPN") and x.case for x in nxt_c[:3])
        if up == "DET":
            s += 4.5 if noun_next else -1.0
    if word == "так" and up == "CCONJ":
        s -= 2.0
    if c.verbform == "Part" and c.short and "Tense=Pres" in feats:
        s -= 2.5  # храним, собираем: present passive short participles are bookish and rare
    if word == "есть":
        # "есть" is far more often быть (singular by default) than "to eat" outside "хочу есть"
        if r.lemma == "быть":
            s += 2.5 if "Number=Sing" in feats else 2.0
        if c.verbform == "Inf":
            s += 3.0 if prev.startswith(_WANT_PREFIXES) else -2.0
    if word in _QUANTIFIERS and up == "NUM":
        s += 2.0
    if word in _TIME_NOUNS and up == "NOUN":
        s += 2.0
    if word in ("нет", "нету") and up == "PART":
        s += 3.0 if (nxt in _BOUNDARY or nxt in _SPEECH_END or nxt == "") else -1.0
    if word == "о" and up == "INTJ":
        s += 1.0 if not any(x.case for x in nxt_c) else -1.0
    if word in ("спасибо",) and up == "PART":
        s += 1.5
    if word.startswith("здравствуй") and up == "VERB":
        s += 2.0
    if word in ("бы", "б") and prev in ("как", "будто", "словно", "точно"):
        s += 2.0 if up == "PART" else 0.0
    # a predicative -о word (страшно, круто) or comparative is ADJ when it is the predicate
    # of its clause, ADV when the clause has a verb for it to modify
    if (word.endswith("о") and (up == "ADV" or "Variant=Short" in feats)) or "Degree=Cmp" in feats:
        has_verb = ctx.verb_in_clause.get(ctx.clause[i], False)
        modifies_next = bool(nxt_c) and (
            nxt_c[0].upos in ("ADJ", "ADV")
            or any("Variant=Short" in x.reading.feats for x in nxt_c[:2])
        )
        if up == "ADJ":
            s += -0.8 if has_verb or modifies_next or word in _QUANT_CMP else 2.0
        elif up == "ADV" and "PronType" not in feats:
            s += 0.8 if has_verb else 0.0
    if up == "AUX" and r.lemma == "быть" and "Tense=Past" in feats:
        passive_next = any(
            any(x.verbform == "Part" and x.short for x in ctx.cands[k][:3])
            for k in range(i + 1, min(n, i + 4))
        )
        if "Aspect" in feats:
            s += -1.0 if passive_next else 0.3
        else:
            s += 1.5 if passive_next else -0.3
    if up == "ADJ" and "NumForm=Digit" in feats:
        ordinal = nxt in _YEAR_WORDS or nxt in _MONTHS or prev in _MONTHS
        s += 2.5 if ordinal else -0.5
    if up == "X" and word.startswith("#"):
        inside = 0 < i < n - 1 and low[i + 1].isalpha() and low[i - 1].isalpha()
        s += -1.5 if inside else 1.0
    if "NameType=Pat" in feats and "Abbr=Yes" in feats:
        s += 1.0 if len(prev) == 2 and prev.endswith(".") and prev[0].isalpha() else -1.0
    if word == "т." and up in ("ADV", "PRON"):
        s += 3.0 if (up == "ADV") == (nxt == "д.") and (up == "PRON") == (nxt == "е.") else -1.0
    if word == "друг" and up == "PRON":
        s += (
            3.0 if nxt.startswith("друг") or (i + 2 < n and low[i + 2].startswith("друг")) else -3.0
        )
    if r.lemma == "друг" and up == "PRON" and word != "друг":
        s += 3.0 if prev == "друг" or (i > 1 and low[i - 2] == "друг") else -3.0
    return s


def _sconj_rule(word: str, prev: str, nxt: str, up: str, start: bool, question: bool) -> float:
    """что/как/когда...: conjunction after a comma or a verb, pronoun/adverb in questions."""
    if up == "SCONJ":
        if prev in _CLAUSE_PUNCT or prev in ("и", "а", "но", "так", "потому", "то", "же"):
            return 1.0
        if question and start:
            return -3.0
        if nxt in _SPEECH_END or nxt == ",":
            return -1.5
        return 0.0
    if up in ("PRON", "ADV") and word in ("что", "как", "когда"):
        if question and start:
            return 1.5
        if nxt in _SPEECH_END:
            return 1.0
    return 0.0
