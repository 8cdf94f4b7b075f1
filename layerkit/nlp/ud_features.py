"""The features UD Russian permits with each UPOS: what the UD validator checks at level 4.

A FEATS value that UD Russian has, on a word class it is not permitted with (``Degree`` on a
PROPN, which the tagger wrote about once in 12,000 tokens: the readings of the adjective a
surname was made from), fails the validator (``feature-upos-not-permitted``); a value UD does
not have at all fails it too. The table (``ud_features.json``) is the validator's own for
``ru``, kept in the package so that tagging needs no validator; a test checks it against the
installed one (udtools).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

_TABLE = Path(__file__).with_name("ud_features.json")

#: conventions whose taggers keep only the features UD Russian permits with the UPOS they
#: chose (both taggers ask it); the older treebank styles are left as their gold data have
#: them (ru_taiga-extra's gold has 23 features the table does not permit, GSD's dev file one)
PERMITTED_FEATURES_ONLY = frozenset({"ud"})


@cache
def permitted_by_upos() -> dict[str, dict[str, frozenset[str]]]:
    """Feature name → UPOS → the values permitted with it."""
    raw = json.loads(_TABLE.read_text(encoding="utf-8"))["features"]
    return {
        name: {upos: frozenset(values) for upos, values in by_upos.items()}
        for name, by_upos in raw.items()
    }


@cache
def feature_values() -> dict[str, tuple[str, ...]]:
    """Feature name → every value UD Russian has for it (with any UPOS), sorted."""
    return {
        name: tuple(sorted(set().union(*by_upos.values())))
        for name, by_upos in permitted_by_upos().items()
    }


def is_permitted(upos: str, item: str) -> bool:
    """Whether ``Name=Value`` (one value; a layered ``Name[x]`` counts as ``Name``) is permitted
    with ``upos``."""
    name, _, value = item.partition("=")
    by_upos = permitted_by_upos().get(name.split("[", 1)[0])
    return by_upos is not None and value in by_upos.get(upos, ())


@cache
def only_permitted(upos: str, feats: str) -> str:
    """``feats`` (a FEATS string) without the features not permitted with ``upos``; ``_`` if
    none is left. Cached: a tagger asks for the same few hundred pairs again and again."""
    if feats == "_":
        return feats
    kept = [item for item in feats.split("|") if is_permitted(upos, item)]
    return "|".join(kept) if kept else "_"
