"""What the model sees of a token, and how lemmas are written as edit scripts.

A ``FeatureSpace`` holds every vocabulary the model needs (characters, a small word list, suffixes,
the analyzer's feature values and grammemes, UPOS, FEATS categories, lemma scripts). It is built
from training data, saved as JSON next to the weights, and turns sentences into numpy arrays.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from layerkit.nlp.types import Reading
from layerkit.nlp.ud_map import feats_from_str, feats_to_str
from layerkit.ud import UPOS_TAGS

Analyze = Callable[[str], tuple[Reading, ...]]

UPOS = UPOS_TAGS
PAD, UNK = "<pad>", "<unk>"
ABSENT = "_"
CASE_MODES = ("l", "t", "k", "u")
MAX_CHARS = 24
SUFFIX_LENGTHS = (2, 3, 4)
_STRESS = re.compile("[\u0300\u0301]")
_SPLIT_TAG = re.compile(r"[ ,|=]+")


def clean_form(form: str) -> str:
    """The form without stress marks and with ё written as е, as UD Russian lemmas are."""
    # most forms have neither: two membership tests cost less than a regex and two replaces
    if "\u0301" in form or "\u0300" in form:
        form = _STRESS.sub("", form)
    if "ё" in form or "Ё" in form:
        form = form.replace("ё", "е").replace("Ё", "Е")
    return form


# ---------------------------------------------------------------- lemma scripts


def lemma_case(form: str, lemma: str) -> str:
    """How the lemma's letter case follows from the form's (one of ``CASE_MODES``)."""
    low = lemma.lower()
    if lemma == low:
        return "l"
    if lemma == low[:1].upper() + low[1:]:
        return "t"
    if lemma == lemma.upper():
        return "u"
    return "k"


def lemma_script(form: str, lemma: str) -> str:
    """The lowercase edit that turns ``form`` into ``lemma``: ``"cut|add"`` or ``"=lemma"``."""
    return _script_from(clean_form(form).lower(), lemma)


def _script_from(f: str, lemma: str) -> str:
    """``lemma_script`` of a form already cleaned and lower-cased (``f``)."""
    lem = (_STRESS.sub("", lemma) if "\u0301" in lemma or "\u0300" in lemma else lemma).lower()
    n, p = min(len(f), len(lem)), 0
    while p < n and f[p] == lem[p]:
        p += 1
    if p == 0 and f != lem:
        return "=" + lem
    return f"{len(f) - p}|{lem[p:]}"


def apply_script(form: str, case: str, script: str) -> str | None:
    f = clean_form(form)
    if script.startswith("="):
        body = script[1:]
        keep = f.lower()
    else:
        cut_s, _, add = script.partition("|")
        try:
            cut = int(cut_s)
        except ValueError:
            return None
        if cut > len(f):
            return None
        keep = f[: len(f) - cut]
        body = keep.lower() + add
    if case == "t":
        return body[:1].upper() + body[1:]
    if case == "u":
        return body.upper()
    if case == "k" and not script.startswith("="):
        return keep + body[len(keep) :]
    return body


# ---------------------------------------------------------------- word shape


@lru_cache(maxsize=8192)
def _script_of(ch: str) -> str:
    name = unicodedata.name(ch, "")
    if name.startswith("CYRILLIC"):
        return "cyr"
    if name.startswith("LATIN"):
        return "lat"
    return "other"


#: word-shape features; the last two depend on the position in the sentence and are filled
#: in by ``FeatureSpace.encode_sentence``, ``word_shape`` gives the others
SHAPE_NAMES = (
    "lower",
    "title",
    "upper",
    "mixed_case",
    "has_digit",
    "all_digit",
    "digit_mix",
    "all_punct",
    "has_symbol",
    "has_cyr",
    "has_lat",
    "cyr_lat",
    "hyphen",
    "dot",
    "len1",
    "len_le3",
    "hash_at",
    "url",
    "first",
    "after_stop",
)


#: the positional features: the last columns of a token's dense vector
N_POSITIONAL = 2
_SENTENCE_ENDS = frozenset({".", "!", "?", "…"})

#: how many of SHAPE_NAMES ``word_shape`` gives (all but the positional ones)
N_WORD_SHAPE = len(SHAPE_NAMES) - N_POSITIONAL


_LOWER_CYRILLIC_WORD = re.compile("[а-яё]+")
_TITLE_CYRILLIC_WORD = re.compile("[А-ЯЁ][а-яё]+")


def word_shape(form: str) -> list[float]:
    """Letter case, digits, punctuation, symbols (emoji), scripts, hyphen, length, #/@, URL."""
    # most forms are plain Cyrillic words: their shape is known without looking at each
    # character (the same values as the general case below; tested)
    if _LOWER_CYRILLIC_WORD.fullmatch(form):
        n = len(form)
        return [1.0, *_PLAIN_MIDDLE, float(n == 1), float(n <= 3), 0.0, 0.0]
    if _TITLE_CYRILLIC_WORD.fullmatch(form):
        return [0.0, 1.0, *_PLAIN_MIDDLE[1:], 0.0, float(len(form) <= 3), 0.0, 0.0]
    return _word_shape(form)


#: word_shape's values 1..13 for a plain Cyrillic word: not title, upper or mixed case; no
#: digits, punctuation or symbols; Cyrillic only; no hyphen or dot
_PLAIN_MIDDLE = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0)


def _word_shape(form: str) -> list[float]:
    letters = [c for c in form if c.isalpha()]
    scripts = {_script_of(c) for c in letters}
    cats = [unicodedata.category(c) for c in form]
    has_digit = any(c.isdigit() for c in form)
    upper = sum(c.isupper() for c in letters)
    return [
        float(bool(letters) and upper == 0),
        float(bool(letters) and letters[0].isupper() and upper == 1),
        float(len(letters) > 1 and upper == len(letters)),
        float(upper > 1 and upper < len(letters)),
        float(has_digit),
        float(form.isdigit()),
        float(has_digit and not form.isdigit()),
        float(bool(form) and all(c.startswith("P") for c in cats)),
        float(any(c.startswith("S") or c in {"Mn", "Cf", "Co"} for c in cats)),
        float("cyr" in scripts),
        float("lat" in scripts),
        float({"cyr", "lat"} <= scripts),
        float("-" in form and len(form) > 1),
        float("." in form and len(form) > 1),
        float(len(form) == 1),
        float(len(form) <= 3),
        float(form[:1] in {"#", "@"}),
        float(form.lower().startswith(("http", "www.")) or ".ru" in form or ".com" in form),
    ]


# ---------------------------------------------------------------- the feature space


def _char_fallback(ch: str) -> str:
    return "<" + unicodedata.category(ch) + ">"


@dataclass
class FeatureSpace:
    """Every vocabulary of one trained model; ``to_json``/``from_json`` round-trip it."""

    chars: list[str]
    words: list[str]
    suffixes: list[str]
    ana_feats: list[str]
    grammemes: list[str]
    feat_cats: dict[str, list[str]]
    case_modes: list[str]
    scripts: list[str]
    conventions: list[str]
    upos: list[str] = field(default_factory=lambda: list(UPOS))

    def __post_init__(self) -> None:
        self._char_ix = {c: i for i, c in enumerate(self.chars)}
        self._word_ix = {w: i for i, w in enumerate(self.words)}
        self._suffix_ix = {s: i for i, s in enumerate(self.suffixes)}
        self._ana_ix = {s: i for i, s in enumerate(self.ana_feats)}
        self._gram_ix = {s: i for i, s in enumerate(self.grammemes)}
        self._upos_ix = {s: i for i, s in enumerate(self.upos)}
        self._script_ix = {s: i for i, s in enumerate(self.scripts)}
        self._cat_ix = {
            cat: {v: i for i, v in enumerate(vals)} for cat, vals in self.feat_cats.items()
        }
        self._cats = list(self.feat_cats)
        self._dense_cache: dict[str, TokenStatic] = {}
        self._reading_cache: dict[tuple[str, str], ReadingSet] = {}
        self._label_cache: dict[tuple[str, str], tuple[int, list[int]] | None] = {}
        self._reading_ix_cache: dict[
            tuple[str, str, str], tuple[tuple[int, ...], int, tuple[int, ...]]
        ] = {}
        n_u, n_a = len(self.upos), len(self.ana_feats)
        # where each part of a form's dense vector starts (see _token_static)
        o_upos_w = N_WORD_SHAPE + n_u
        o_ana = o_upos_w + n_u
        o_ana_w = o_ana + n_a
        o_top = o_ana_w + n_a
        o_gram = o_top + n_u
        self._offsets = (o_upos_w, o_ana, o_ana_w, o_top, o_gram, o_gram + len(self.grammemes))
        self.convert_readings = True

    def clear_caches(self) -> None:
        self._dense_cache.clear()
        self._reading_cache.clear()
        self._label_cache.clear()
        self._reading_ix_cache.clear()

    # -- sizes
    @property
    def n_dense(self) -> int:
        n_u, n_a = len(self.upos), len(self.ana_feats)
        return len(SHAPE_NAMES) + 3 * n_u + 2 * n_a + len(self.grammemes) + 5

    @property
    def cats(self) -> list[str]:
        return self._cats

    # -- json
    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FeatureSpace:
        return cls(**data)

    # -- building
    @classmethod
    def build(
        cls,
        sentences: Sequence[GoldSentence],
        analyze: Analyze,
        conventions: Sequence[str],
        *,
        min_word_count: int = 2,
        max_words: int = 12000,
        min_script_count: int = 2,
    ) -> FeatureSpace:
        chars: Counter[str] = Counter()
        words: Counter[str] = Counter()
        suffixes: Counter[str] = Counter()
        scripts: Counter[str] = Counter()
        ana: set[str] = set()
        grams: set[str] = set()
        cats: dict[str, set[str]] = {}
        for sent in sentences:
            for tok in sent.tokens:
                chars.update(tok.form)
                key = word_key(tok.form)
                words[key] += 1
                suffixes.update(_suffixes(key))
                scripts[lemma_script(tok.form, tok.lemma)] += 1
                for cat, val in feats_from_str(tok.feats).items():
                    cats.setdefault(cat, set()).add(val)
                for r in analyze(tok.form):
                    ana.update(f"{k}={v}" for k, v in feats_from_str(r.feats).items())
                    grams.update(g for g in _SPLIT_TAG.split(r.source_tag) if g)
        char_list = [PAD, UNK, *sorted(c for c, n in chars.items() if n >= 2)]
        char_list += sorted({_char_fallback(c) for c in chars} - set(char_list))
        word_list = [PAD, UNK] + [w for w, n in words.most_common(max_words) if n >= min_word_count]
        suffix_list = [PAD, UNK, *sorted(s for s, n in suffixes.items() if n >= 3)]
        script_list = [UNK] + [s for s, n in scripts.most_common() if n >= min_script_count]
        return cls(
            chars=char_list,
            words=word_list,
            suffixes=suffix_list,
            ana_feats=sorted(ana),
            grammemes=sorted(grams),
            feat_cats={c: [ABSENT, *sorted(v)] for c, v in sorted(cats.items())},
            case_modes=list(CASE_MODES),
            scripts=script_list,
            conventions=list(conventions),
        )

    # -- per token
    def token_statics(self, forms: Sequence[str], analyze: Analyze) -> list[TokenStatic]:
        """Each form's ``TokenStatic``: everything about it that does not depend on its
        context; cached per form. The forms not cached yet are computed together
        (``_make_statics``), so a batch of sentences pays numpy's per-call cost once per
        array instead of once per new form (about 20 µs a form, a sixth of the tagger's work on
        a form it has not seen)."""
        cache = self._dense_cache
        new = [form for form in dict.fromkeys(forms) if form not in cache]
        if not new:
            return [cache[form] for form in forms]
        made = self._make_statics(new, analyze)
        if len(cache) + len(made) <= 500_000:
            cache.update(made)
        return [hit if (hit := cache.get(form)) is not None else made[form] for form in forms]

    def _make_statics(self, forms: list[str], analyze: Analyze) -> dict[str, TokenStatic]:
        """``TokenStatic`` of distinct forms, their arrays rows of one array per feature.

        The dense vector is laid out as ``n_dense`` says: word shape, UPOS of any reading,
        UPOS weighted by the readings' scores, the same two for every FEATS value, the first
        reading's UPOS, the analyzer's grammemes, five summary numbers (the two positional
        features follow, filled per sentence). Indices of a FEATS string or a tag are looked
        up once per distinct string: a corpus has a few thousand, against tens of thousands
        of forms."""
        n = len(forms)
        o_extra = self._offsets[-1]
        shapes: list[list[float]] = []
        extras: list[tuple[float, ...]] = []
        ones: list[int] = []  # dense columns set to 1, form after form
        ones_per_form: list[int] = []
        weighted: list[int] = []  # dense columns that add a reading's weight, and the weights
        weights: list[float] = []
        weighted_per_form: list[int] = []
        cand_rows: list[int] = []
        cand_cols: list[int] = []
        suffixes: list[list[int]] = []
        char_rows: list[list[int]] = []
        lemmas_of: list[list[str]] = []
        known_of: list[bool] = []
        word_ids: list[int] = []
        suffix_ix, script_ix, char_ix = self._suffix_ix, self._script_ix, self._char_ix
        for row, form in enumerate(forms):
            readings = analyze(form)
            shapes.append(word_shape(form))
            total = sum(max(r.score, 0.0) for r in readings) or 1.0
            lemmas: list[str] = []
            n_ones, n_weighted = len(ones), len(weighted)
            for k, r in enumerate(readings):
                w = max(r.score, 0.0) / total
                one, top, by_weight = self._reading_indices(r.upos, r.feats, r.source_tag)
                ones.extend(one)
                if k == 0 and top >= 0:
                    ones.append(top)
                weighted.extend(by_weight)
                weights.extend([w] * len(by_weight))
                low = clean_form(r.lemma).lower()
                if low not in lemmas:
                    lemmas.append(low)
            ones_per_form.append(len(ones) - n_ones)
            weighted_per_form.append(len(weighted) - n_weighted)
            clean_low = clean_form(form).lower()
            known = is_known(form)
            extras.append(
                (
                    float(known),
                    readings[0].score if readings else 0.0,
                    min(len(readings), 10) / 10.0,
                    min(len(lemmas), 5) / 5.0,
                    float(bool(lemmas) and lemmas[0] == clean_low),
                )
            )
            for low in lemmas:
                sid = script_ix.get(_script_from(clean_low, low), 0)
                if sid:
                    cand_rows.append(row)
                    cand_cols.append(sid)
            key = word_key(form)
            suffixes.append([suffix_ix.get(x, 1) for x in _suffixes(key)])
            cs = form if len(form) <= MAX_CHARS else form[:8] + form[-(MAX_CHARS - 8) :]
            ids = [
                ix if (ix := char_ix.get(ch)) is not None else char_ix.get(_char_fallback(ch), 1)
                for ch in cs
            ]
            char_rows.append(ids + [0] * (MAX_CHARS - len(ids)))
            lemmas_of.append(lemmas)
            known_of.append(known)
            word_ids.append(self._word_ix.get(key, 1))
        rows = np.arange(n)
        dense = np.zeros((n, o_extra + 5), np.float32)
        dense[:, :N_WORD_SHAPE] = shapes
        dense[np.repeat(rows, ones_per_form), np.asarray(ones, np.int64)] = 1.0
        # float32 additions in each form's readings' order, as ``dense[i] += w`` one by one
        # would make them
        np.add.at(
            dense,
            (np.repeat(rows, weighted_per_form), np.asarray(weighted, np.int64)),
            np.asarray(weights, np.float32),
        )
        dense[:, o_extra:] = extras
        cand = np.zeros((n, len(self.scripts)), np.float32)
        cand[np.asarray(cand_rows, np.int64), np.asarray(cand_cols, np.int64)] = 1.0
        suffix_ids = np.asarray(suffixes, np.int64).reshape(n, len(SUFFIX_LENGTHS))
        chars = np.asarray(char_rows, np.int64).reshape(n, MAX_CHARS)
        return {
            form: TokenStatic(
                dense=dense[row],
                cand=cand[row],
                lemmas=lemmas_of[row],
                known=known_of[row],
                word_id=word_ids[row],
                suffix_ids=suffix_ids[row],
                chars=chars[row],
            )
            for row, form in enumerate(forms)
        }

    def _reading_indices(
        self, upos: str, feats: str, tag: str
    ) -> tuple[tuple[int, ...], int, tuple[int, ...]]:
        """Where one analyzer reading writes into a form's dense vector: the positions set
        to 1 (its UPOS, FEATS values and grammemes), the position of its UPOS as the first
        reading (-1 when the model does not know the UPOS), and the positions that add the
        reading's weight. A corpus has a few thousand distinct readings against tens of
        thousands of forms, so they are computed once per reading (per-element numpy writes
        were most of the per-form time)."""
        key = (upos, feats, tag)
        hit = self._reading_ix_cache.get(key)
        if hit is not None:
            return hit
        o_upos_w, o_ana, o_ana_w, o_top, o_gram, _ = self._offsets
        u = self._upos_ix.get(upos)
        ana = self._ana_of(feats)
        grams = self._grams_of(tag)
        one = ([N_WORD_SHAPE + u] if u is not None else []) + [o_ana + j for j in ana]
        one += [o_gram + j for j in grams]
        by_weight = ([o_upos_w + u] if u is not None else []) + [o_ana_w + j for j in ana]
        hit = (tuple(one), o_top + u if u is not None else -1, tuple(by_weight))
        self._reading_ix_cache[key] = hit
        return hit

    def _ana_of(self, feats: str) -> list[int]:
        """Indices in ``ana_feats`` of the values of a FEATS string (those the model knows);
        not cached: ``_reading_indices`` caches what is made of them."""
        ix = (self._ana_ix.get(f"{a}={b}") for a, b in feats_from_str(feats).items())
        return [j for j in ix if j is not None]

    def _grams_of(self, tag: str) -> list[int]:
        """Indices in ``grammemes`` of an analyzer tag's grammemes (those the model knows),
        sorted; not cached either."""
        ix = (self._gram_ix.get(g) for g in _SPLIT_TAG.split(tag))
        return sorted({j for j in ix if j is not None})

    def _label_ids(self, upos: str, feats: str) -> tuple[int, list[int]] | None:
        """A reading's UPOS id and value id per category; None when the model does not know
        its UPOS, a category or a value."""
        key = (upos, feats)
        if key in self._label_cache:
            return self._label_cache[key]
        u = self._upos_ix.get(upos)
        fd = feats_from_str(feats)
        v = [self._cat_ix[c].get(fd.get(c, ABSENT), -1) for c in self._cats]
        ids = (u, v) if u is not None and -1 not in v and set(fd) <= self._cat_ix.keys() else None
        self._label_cache[key] = ids
        return ids

    def readings(self, form: str, analyze: Analyze, convention: str) -> ReadingSet:
        """The analyzer's readings of ``form`` in ``convention``, as label ids; readings whose
        UPOS or feature values the model does not know are left out. Cached."""
        return self.readings_of([form], analyze, convention)[0]

    def readings_of(
        self, forms: Sequence[str], analyze: Analyze, convention: str
    ) -> list[ReadingSet]:
        """``readings`` of each form; those not cached yet are computed together, their
        arrays slices of one array each (as ``token_statics`` does, for the same reason)."""
        cache = self._reading_cache
        new = [form for form in dict.fromkeys(forms) if (form, convention) not in cache]
        if not new:
            return [cache[form, convention] for form in forms]
        made = self._make_readings(new, analyze, convention)
        if len(cache) + len(made) <= 500_000:
            cache.update(((form, convention), hit) for form, hit in made.items())
        return [
            hit if (hit := cache.get((form, convention))) is not None else made[form]
            for form in forms
        ]

    def _make_readings(
        self, forms: list[str], analyze: Analyze, convention: str
    ) -> dict[str, ReadingSet]:
        ups: list[int] = []
        vals: list[list[int]] = []
        scripts: list[int] = []
        lemmas_of: list[list[str]] = []
        ends: list[int] = []
        script_ix = self._script_ix
        convert_to = convention if convention != "ud" and self.convert_readings else None
        if convert_to is not None:
            from layerkit.nlp.conventions import convert
        for form in forms:
            lemmas: list[str] = []
            seen = set()
            clean_low = clean_form(form).lower()
            for r in analyze(form):
                lemma, upos, feats = r.lemma, r.upos, r.feats
                if convert_to is not None:
                    lemma, upos, feats = convert(lemma, upos, feats, form, convert_to)
                if (lemma, upos, feats) in seen:
                    continue
                seen.add((lemma, upos, feats))
                ids = self._label_ids(upos, feats)
                if ids is not None:
                    ups.append(ids[0])
                    vals.append(ids[1])
                    lemmas.append(lemma)
                    scripts.append(script_ix.get(_script_from(clean_low, lemma), 0))
            lemmas_of.append(lemmas)
            ends.append(len(ups))
        upos_all = np.asarray(ups, np.int64)
        vals_all = np.asarray(vals, np.int64).reshape(len(ups), len(self._cats))
        scripts_all = np.asarray(scripts, np.int64)
        made: dict[str, ReadingSet] = {}
        start = 0
        for form, lemmas, end in zip(forms, lemmas_of, ends, strict=True):
            made[form] = ReadingSet(
                upos=upos_all[start:end],
                vals=vals_all[start:end],
                lemmas=lemmas,
                scripts=scripts_all[start:end],
            )
            start = end
        return made

    def encode_sentence(
        self,
        forms: Sequence[str],
        analyze: Analyze,
        convention: str,
        *,
        context_free: bool = True,
        statics: Sequence[TokenStatic] | None = None,
        readings: Sequence[ReadingSet] | None = None,
    ) -> EncodedSentence:
        """The arrays the network reads for one sentence. ``context_free=False`` leaves out
        what depends on the form alone (dense features but the positional ones, characters,
        suffixes: zero-width arrays): the numpy tagger keeps those per form, already through
        the input layer, so copying them per token would be wasted work. ``statics`` and
        ``readings``: the forms' ``token_statics`` and ``readings_of`` when the caller has
        them (the tagger asks for a whole batch's at once)."""
        n = len(forms)
        if statics is None:
            statics = self.token_statics(forms, analyze)
        statics = list(statics)
        dense = np.zeros((n, self.n_dense if context_free else N_POSITIONAL), np.float32)
        if n:
            dense[0, -N_POSITIONAL] = 1.0  # the first token
            dense[1:, -1] = [form in _SENTENCE_ENDS for form in forms[:-1]]  # after a stop
        if context_free and n:
            dense[:, :-N_POSITIONAL] = [st.dense for st in statics]
            suffix_ids = np.stack([st.suffix_ids for st in statics])
            chars = np.stack([st.chars for st in statics])
        else:
            suffix_ids = np.zeros((n, len(SUFFIX_LENGTHS) if context_free else 0), np.int64)
            chars = np.zeros((n, MAX_CHARS if context_free else 0), np.int64)
        cand = (
            np.stack([st.cand for st in statics])
            if n
            else np.zeros((0, len(self.scripts)), np.float32)
        )
        word_ids = np.fromiter((st.word_id for st in statics), np.int64, n)
        conv = self.conventions.index(convention) if convention in self.conventions else 0
        return EncodedSentence(
            forms=list(forms),
            word_ids=word_ids,
            suffix_ids=suffix_ids,
            chars=chars,
            dense=dense,
            cand=cand,
            conv=conv,
            statics=statics,
            readings=list(readings)
            if readings is not None
            else self.readings_of(forms, analyze, convention),
        )

    def encode_targets(self, sent: GoldSentence) -> dict[str, np.ndarray]:
        n = len(sent.tokens)
        upos = np.zeros(n, np.int64)
        feats = np.zeros((n, len(self._cats)), np.int64)
        case = np.zeros(n, np.int64)
        script = np.zeros(n, np.int64)
        for i, tok in enumerate(sent.tokens):
            upos[i] = self._upos_ix.get(tok.upos, self._upos_ix["X"])
            fd = feats_from_str(tok.feats)
            for j, cat in enumerate(self._cats):
                feats[i, j] = self._cat_ix[cat].get(fd.get(cat, ABSENT), 0)
            case[i] = CASE_MODES.index(lemma_case(tok.form, tok.lemma))
            script[i] = self._script_ix.get(lemma_script(tok.form, tok.lemma), 0)
        return {"upos": upos, "feats": feats, "case": case, "script": script}


_CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
_DIGIT = re.compile(r"\d")


def is_known(form: str) -> bool:
    """Whether pymorphy3's dictionary has the word (its readings are then not guesses);
    tokens without Cyrillic letters count as known (the analyzer reads them by shape)."""
    word = clean_form(form).lower()
    if not _CYRILLIC.search(word):
        return True
    from layerkit.nlp.analyzer import morph

    return bool(morph().word_is_known(word))


def word_key(form: str) -> str:
    """The key of the trainable word vocabulary: lowercase, no stress, ё as е, digits as 0."""
    return _DIGIT.sub("0", clean_form(form).lower())


def _suffixes(key: str) -> list[str]:
    return [key[-n:] if len(key) >= n else "" for n in SUFFIX_LENGTHS]


# ---------------------------------------------------------------- sentences


@dataclass(frozen=True)
class GoldToken:
    form: str
    lemma: str
    upos: str
    feats: str


@dataclass(frozen=True)
class GoldSentence:
    tokens: tuple[GoldToken, ...]
    convention: str
    source: str = ""

    @property
    def forms(self) -> list[str]:
        return [t.form for t in self.tokens]


@dataclass
class TokenStatic:
    """Everything the model uses about a form out of context: dense features, lemma-script
    candidates, reading lemmas, dictionary membership, word, suffix and character ids."""

    dense: np.ndarray
    cand: np.ndarray
    lemmas: list[str]
    known: bool
    word_id: int
    suffix_ids: np.ndarray
    chars: np.ndarray


@dataclass(frozen=True)
class ReadingSet:
    """A form's analyzer readings in one convention: UPOS ids (R,), value ids (R, n_cats),
    lemmas and the ids of their lemma scripts (R,), 0 for a script the model does not know."""

    upos: np.ndarray
    vals: np.ndarray
    lemmas: list[str]
    scripts: np.ndarray


@dataclass
class EncodedSentence:
    forms: list[str]
    word_ids: np.ndarray
    suffix_ids: np.ndarray
    chars: np.ndarray
    dense: np.ndarray
    cand: np.ndarray
    conv: int
    statics: list[TokenStatic]
    readings: list[ReadingSet]
    targets: dict[str, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.forms)


def read_conllu(path: str, convention: str) -> list[GoldSentence]:
    """Sentences of a CoNLL-U file (multiword-token and empty-node lines skipped)."""
    import conllu

    out = []
    with open(path, encoding="utf-8") as fh:
        for sent in conllu.parse_incr(fh):
            toks = []
            for t in sent:
                if not isinstance(t["id"], int):
                    continue
                feats = t["feats"] or {}
                toks.append(
                    GoldToken(
                        form=t["form"],
                        lemma=t["lemma"] or t["form"],
                        upos=t["upos"] or "X",
                        feats=feats_to_str(dict(feats)),
                    )
                )
            if toks:
                out.append(GoldSentence(tuple(toks), convention, str(path)))
    return out
