"""Choosing a morphological tagger: the trained model when torch is there, rules otherwise.

The trained model needs the ``train`` extra (torch). Without it layerkit still pre-annotates,
with the rule-based chooser, and says so once per process instead of failing.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Sequence
from typing import Literal

from layerkit.errors import UsageError
from layerkit.nlp.types import MorphTagger, TokenAnalysis

TaggerKind = Literal["auto", "neural", "rules"]
_warned = False


def _has_torch() -> bool:
    if "torch" in sys.modules:
        return sys.modules["torch"] is not None
    return importlib.util.find_spec("torch") is not None


def load_tagger(convention: str = "ud", kind: TaggerKind = "auto") -> MorphTagger:
    """The best tagger available for ``convention`` (see ``layerkit.nlp.conventions``)."""
    from layerkit.nlp.conventions import CONVENTIONS

    if convention not in CONVENTIONS:
        raise UsageError(
            f"unknown convention {convention!r}.",
            hint=f"Choose one of {', '.join(CONVENTIONS)} (ud is the current UD Russian guidelines).",
        )
    if kind in ("auto", "neural"):
        problem = None
        if _has_torch():
            try:
                from layerkit.nlp.neural import load_neural_tagger

                # LAYERKIT_MORPH_MODEL points at a model trained with `layerkit morph train`.
                model_dir = os.environ.get("LAYERKIT_MORPH_MODEL") or None
                return load_neural_tagger(model_dir=model_dir, convention=convention)
            except (ImportError, FileNotFoundError) as exc:
                problem = f"the trained model cannot be loaded ({exc})"
        else:
            problem = "torch is not installed"
        if kind == "neural":
            raise UsageError(
                f"the trained tagger is not available: {problem}.",
                hint="Install the train extra: pip install torch==2.13.0 'layerkit[train]'.",
            )
        _warn_once(problem)
    return ConventionTagger(_rule_tagger(), convention)


def _rule_tagger() -> MorphTagger:
    from layerkit.nlp.rule_tagger import RuleTagger

    return RuleTagger()


def _warn_once(problem: str) -> None:
    global _warned
    if not _warned:
        _warned = True
        print(
            f"warning: {problem}, so the lexical layer is tagged by the rule-based tagger "
            "(less accurate). Install layerkit[train] for the trained model.",
            file=sys.stderr,
        )


class ConventionTagger:
    """Wraps a house-convention tagger and converts its output to another treebank's style."""

    def __init__(self, inner: MorphTagger, convention: str) -> None:
        self.inner = inner
        self.convention = convention
        self.name = inner.name
        self.version = inner.version if convention == "ud" else f"{inner.version}+{convention}"

    def tag(self, sentences: Sequence[Sequence[str]]) -> list[list[TokenAnalysis]]:
        from layerkit.nlp.conventions import convert

        tagged = self.inner.tag(sentences)
        if self.convention == "ud":
            return tagged
        out = []
        for forms, analyses in zip(sentences, tagged, strict=True):
            row = []
            for form, a in zip(forms, analyses, strict=True):
                lemma, upos, feats = convert(a.lemma, a.upos, a.feats, form, self.convention)
                row.append(TokenAnalysis(lemma, upos, feats, a.confidence))
            out.append(row)
        return out
