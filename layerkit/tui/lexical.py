"""The lexical layer as a token table: rows, checking what the annotator typed, completions.

Pure functions of the schema and the paragraph, so the table, the editor and the tests agree on
what a token's analysis is. Completions come from three places: UPOS from the schema's labels
(a project may add some), FEATS from the UD Russian inventory below plus every feature already
used in the paragraph, lemmas from the pymorphy3 readings of the form (``nlp.analyzer``, cached
per form, so asking again is free).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from layerkit.errors import LayerkitError
from layerkit.model import Annotation
from layerkit.nlp.analyzer import analyze
from layerkit.nlp.ud_features import feature_values, is_permitted, permitted_by_upos
from layerkit.nlp.ud_map import STRESS, feats_from_str, feats_to_str
from layerkit.schema.models import LayerSchema, SchemaField
from layerkit.tui.model import ParagraphData

# The usual order of a feature's values, as UD Russian's documentation lists them
# (universaldependencies.org/ru/feat/): the most common first. Completion offers a feature's
# values in this order, so the first letters of a feature complete to its likeliest value
# (``D`` to Degree=Pos, ``G`` to Gender=Masc; in the validator's alphabetical order, Degree=Cmp
# and Gender=Fem came first and each cost an annotator three keys more).
_USUAL_VALUES: dict[str, tuple[str, ...]] = {
    "Animacy": ("Anim", "Inan"),
    "Aspect": ("Imp", "Perf"),
    "Case": ("Nom", "Gen", "Dat", "Acc", "Ins", "Loc", "Par", "Voc"),
    "Degree": ("Pos", "Cmp", "Sup"),
    "ExtPos": ("ADJ", "ADP", "ADV", "CCONJ", "DET", "PRON", "SCONJ"),
    "Gender": ("Masc", "Fem", "Neut"),
    "Mood": ("Ind", "Imp", "Cnd"),
    "NameType": ("Giv", "Sur", "Pat", "Geo", "Com", "Pro", "Prs", "Oth"),
    "NumForm": ("Word", "Digit", "Combi", "Roman"),
    "NumType": ("Card", "Ord"),
    "Number": ("Sing", "Plur"),
    "Person": ("1", "2", "3"),
    "PronType": ("Prs", "Dem", "Tot", "Rel", "Int", "Ind", "Neg", "Rcp", "Emp", "Exc"),
    "Tense": ("Past", "Pres", "Fut"),
    "VerbForm": ("Fin", "Inf", "Part", "Conv"),
    "Voice": ("Act", "Mid", "Pass"),
}


def _in_usual_order(features: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """Each feature's values in their usual order, the ones it does not list after them."""
    ordered = {}
    for name, values in features.items():
        usual = _USUAL_VALUES.get(name, ())
        rank = {value: i for i, value in enumerate(usual)}
        ordered[name] = tuple(sorted(values, key=lambda v: (rank.get(v, len(usual)), v)))
    return ordered


# The features and values of UD Russian (the UD validator's table: layerkit/nlp/ud_features.py);
# features seen in the store are added to the completions.
UD_FEATURES: dict[str, tuple[str, ...]] = _in_usual_order(feature_values())
_FEATURE = re.compile(r"^[A-Z][A-Za-z0-9]*(\[[a-z0-9]+\])?=[A-Za-z0-9]+(,[A-Za-z0-9]+)*$")


class TokenInputError(LayerkitError):
    """What the annotator typed into the token editor is not a valid analysis."""

    title = "Not a valid analysis"


def token_field(schema: LayerSchema) -> SchemaField | None:
    """The layer's per-token field (``morph`` on the lexical layer), if it has one."""
    return next((f for f in schema.fields if f.kind == "token"), None)


@dataclass(frozen=True)
class TokenRow:
    """One token of the paragraph and its analysis on the layer (None: not analysed yet)."""

    index: int
    start: int
    end: int
    form: str
    annotation: Annotation | None

    @property
    def lemma(self) -> str:
        return str((self.annotation.attrs or {}).get("lemma", "")) if self.annotation else ""

    @property
    def upos(self) -> str:
        return (self.annotation.label or "") if self.annotation else ""

    @property
    def feats(self) -> str:
        return str((self.annotation.attrs or {}).get("feats") or "_") if self.annotation else ""


def token_rows(data: ParagraphData, schema: LayerSchema, field: SchemaField) -> list[TokenRow]:
    """Every token of the paragraph, in order, with its analysis of ``field``."""
    analysed = {
        (a.start, a.end): a
        for a in data.of_layer(schema.layer, "token")
        if a.field == field.name and a.start is not None
    }
    return [
        TokenRow(i, start, end, data.text[start:end], analysed.get((start, end)))
        for i, (start, end) in enumerate(data.tokens)
    ]


@dataclass(frozen=True)
class TokenValues:
    """A checked analysis, ready to store: lemma without stress marks, UPOS one of the
    schema's labels, FEATS in UD order (``_`` when empty)."""

    lemma: str
    upos: str
    feats: str


def check_token_values(field: SchemaField, lemma: str, upos: str, feats: str) -> TokenValues:
    """Normalise what was typed, or raise :class:`TokenInputError` saying what is wrong."""
    lemma = unicodedata.normalize("NFC", lemma.replace(STRESS, "").strip())
    if not lemma:
        raise TokenInputError("The lemma is empty.", hint="Type the dictionary form.")
    upos = upos.strip().upper()
    if upos not in field.label_names:
        raise TokenInputError(
            f"{upos or 'An empty UPOS'} is not a part of speech of {field.name}.",
            hint=f"One of: {' '.join(field.label_names)}.",
        )
    feats = normalise_feats(feats)
    if feats != "_":
        for item in feats.split("|"):
            _check_with_upos(item, upos)
    return TokenValues(lemma, upos, feats)


def _check_with_upos(item: str, upos: str) -> None:
    """Refuse a feature UD Russian does not permit with ``upos`` (``Degree`` on a PROPN): the
    UD validator rejects it (level 4, ``feature-upos-not-permitted``)."""
    name, _, values = item.partition("=")
    for value in values.split(","):
        if not is_permitted(upos, f"{name}={value}"):
            base = name.split("[", 1)[0]
            with_upos = sorted(permitted_by_upos().get(base, {}))
            raise TokenInputError(
                f"UD Russian has no {name}={value} with the UPOS {upos}.",
                hint=f"{base} goes with {', '.join(with_upos)}; "
                "change the part of speech or leave the feature out.",
            )


def normalise_feats(feats: str) -> str:
    """``Name=Value`` pairs joined by ``|``, in UD order; ``_`` (or nothing) for none."""
    text = feats.strip().strip("|")
    if text in ("", "_"):
        return "_"
    items = [item.strip() for item in text.split("|")]
    bad = [item for item in items if not _FEATURE.match(item)]
    if bad:
        raise TokenInputError(
            f"«{bad[0]}» is not a feature.",
            hint="Features are Name=Value pairs joined by |, e.g. Case=Nom|Number=Sing.",
        )
    names = [item.partition("=")[0] for item in items]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise TokenInputError(f"{', '.join(twice)} is given twice.", hint="Keep one value.")
    for item in items:
        _check_feature(item)
    return feats_to_str(feats_from_str("|".join(items)))


def _check_feature(item: str) -> None:
    """Refuse a feature or value that UD Russian does not have (``Case=Xyz``): it would be
    stored, exported to CoNLL-U that the UD validator rejects, and taught to models."""
    name, _, values = item.partition("=")
    base = name.split("[", 1)[0]
    known = UD_FEATURES.get(base)
    if known is None:
        raise TokenInputError(
            f"«{name}» is not a feature of UD Russian.",
            hint=f"Features: {', '.join(UD_FEATURES)}.",
        )
    wrong = [v for v in values.split(",") if v not in known]
    if wrong:
        raise TokenInputError(
            f"«{wrong[0]}» is not a value of {base}.",
            hint=f"{base} is one of: {', '.join(known)}.",
        )


def feature_inventory(data: ParagraphData, layer: str) -> list[str]:
    """``Name=Value`` completions: UD Russian's, plus any the paragraph already uses."""
    known = [f"{name}={value}" for name, values in UD_FEATURES.items() for value in values]
    seen = set(known)
    for a in data.of_layer(layer, "token"):
        for item in str((a.attrs or {}).get("feats") or "_").split("|"):
            if "=" in item and item not in seen:
                seen.add(item)
                known.append(item)
    return known


def complete_feats(value: str, whole: Sequence[str], inventory: Sequence[str]) -> str | None:
    """A completion of a FEATS being typed: a whole FEATS string (a reading's) that starts with
    it, else the last ``Name=Value`` completed from the inventory; features already given are
    not offered again."""
    if not value:
        return None
    for candidate in whole:
        if candidate.startswith(value) and candidate != value:
            return candidate
    head, bar, piece = value.rpartition("|")
    if not piece:
        return None
    given = {item.partition("=")[0] for item in head.split("|")} if bar else set()
    lowered = piece.lower()
    for candidate in inventory:
        name = candidate.partition("=")[0]
        if name in given or not candidate.lower().startswith(lowered) or candidate == piece:
            continue
        return head + bar + piece + candidate[len(piece) :]
    return None


@dataclass(frozen=True)
class Suggestions:
    """What the editor offers for one form: pymorphy3's readings, most likely first."""

    lemmas: tuple[str, ...]
    feats: tuple[str, ...]
    readings: tuple[str, ...]


def suggestions(form: str, limit: int = 9) -> Suggestions:
    """The analyzer's readings of ``form`` (stress marks ignored) as editor suggestions: up to
    nine, one per digit the token editor takes (with four, two of the 38 corrections the sample
    corpus needs of ru-morph 1.1 had their reading fifth or sixth, and were typed: 14 keys)."""
    readings = analyze(form)[:limit]
    return Suggestions(
        lemmas=_unique(r.lemma for r in readings),
        feats=_unique(r.feats for r in readings if r.feats != "_"),
        readings=tuple(f"{r.lemma} {r.upos} {r.feats}" for r in readings),
    )


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))
