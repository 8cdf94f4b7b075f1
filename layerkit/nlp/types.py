"""The data that morphology components exchange.

``Reading`` is one dictionary analysis of a word form (from pymorphy3, mapped to UD);
``TokenAnalysis`` is what a tagger decides for a token in context. Taggers implement
``MorphTagger``: the rule-based chooser and the trained contextual model are interchangeable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Reading:
    """One analysis of a word form out of context, already in UD terms.

    ``feats`` is a UD FEATS string with features in UD's order (alphabetical, case-insensitive)
    or ``"_"``; ``score`` is the analyzer's estimate of how likely the reading is (0..1);
    ``source_tag`` is the analyzer's own tag, kept for debugging and as a model feature.
    """

    lemma: str
    upos: str
    feats: str
    score: float
    source_tag: str = ""


@dataclass(frozen=True)
class TokenAnalysis:
    """A tagger's decision for one token: UD lemma, UPOS, FEATS and its confidence (0..1)."""

    lemma: str
    upos: str
    feats: str
    confidence: float


@runtime_checkable
class MorphTagger(Protocol):
    """Tags pre-tokenized sentences. ``name`` and ``version`` end up in annotation origins
    (``model:<name>@<version>``), so a corpus always says which model made its suggestions."""

    name: str
    version: str

    def tag(self, sentences: Sequence[Sequence[str]]) -> list[list[TokenAnalysis]]: ...
