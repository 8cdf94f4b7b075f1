"""Choosing a morphological tagger: the trained model when it can be loaded, rules otherwise.

The trained model tags with numpy (no torch); it needs its weights (shipped with
``layerkit_ru_morph``), safetensors to read them and the natasha package for the frozen navec
vectors and slovnet tagger it builds on. Without them layerkit still pre-annotates, with the
rule-based chooser, and says so once per process instead of failing.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal, cast

from layerkit.errors import UsageError
from layerkit.nlp.types import MorphTagger, TokenAnalysis

TaggerKind = Literal["auto", "neural", "rules"]
_warned = False


def load_tagger(
    convention: str = "ud", kind: TaggerKind = "auto", *, processes: int | None = None
) -> MorphTagger:
    """The best tagger available for ``convention`` (see ``layerkit.nlp.conventions``).
    ``processes``: how many processes the trained model tags a big call with (default: one
    per free core; see ``layerkit.nlp.neural.processes``)."""
    from layerkit.nlp.conventions import CONVENTIONS

    if convention not in CONVENTIONS:
        raise UsageError(
            f"unknown convention {convention!r}.",
            hint=f"Choose one of {', '.join(CONVENTIONS)} (ud is the current UD Russian guidelines).",
        )
    if kind in ("auto", "neural"):
        try:
            from layerkit.nlp.neural import load_neural_tagger

            # LAYERKIT_MORPH_MODEL points at a model trained with `layerkit morph train`;
            # LAYERKIT_MORPH_RUNTIME=torch runs it with torch instead of numpy.
            model_dir = os.environ.get("LAYERKIT_MORPH_MODEL") or None
            return WindowedTagger(
                load_neural_tagger(model_dir=model_dir, convention=convention, processes=processes)
            )
        except (ImportError, FileNotFoundError) as exc:
            problem = f"the trained model cannot be loaded ({exc})"
        except ValueError as exc:  # LAYERKIT_MORPH_RUNTIME names no runtime
            raise UsageError(f"{exc}.", hint="Unset it, or set it to numpy or torch.") from exc
        if kind == "neural":
            raise UsageError(
                f"the trained tagger is not available: {problem}.",
                hint="Check LAYERKIT_MORPH_MODEL if set; else reinstall layerkit (the model "
                "reads its frozen parts from natasha and its weights with safetensors).",
            )
        _warn_once(problem)
    return WindowedTagger(ConventionTagger(_rule_tagger(), convention))


def _rule_tagger() -> MorphTagger:
    from layerkit.nlp.rule_tagger import RuleTagger

    return RuleTagger()


def _warn_once(problem: str) -> None:
    global _warned
    if not _warned:
        _warned = True
        print(
            f"warning: {problem}, so the lexical layer is tagged by the rule-based tagger "
            "(less accurate). Reinstall layerkit to get the trained model.",
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
        from layerkit.nlp.ud_features import PERMITTED_FEATURES_ONLY, only_permitted

        tagged = self.inner.tag(sentences)
        permitted_only = self.convention in PERMITTED_FEATURES_ONLY
        out = []
        for forms, analyses in zip(sentences, tagged, strict=True):
            row = []
            for form, a in zip(forms, analyses, strict=True):
                lemma, upos, feats = convert(a.lemma, a.upos, a.feats, form, self.convention)
                if permitted_only:  # only the features UD permits with the UPOS
                    feats = only_permitted(upos, feats)
                row.append(TokenAnalysis(lemma, upos, feats, a.confidence))
            out.append(row)
        return out


#: a sentence longer than this (tokens) is tagged in overlapping windows: the trained model's
#: memory grows with the longest sentence of a batch, and a "sentence" of 500,000 tokens (text
#: without punctuation, a whole file as one CoNLL-U sentence) would take gigabytes. No real
#: sentence comes near (the longest in the UD Russian data has 205 tokens), so all of them are
#: tagged whole as before.
MAX_SENTENCE_TOKENS = 400
#: tokens of context a window has on each side of the tokens it decides
WINDOW_CONTEXT = 50
#: tokens handed to the inner tagger at once when a long sentence is tagged window by window
WINDOW_BATCH_TOKENS = 20_000


class WindowedTagger:
    """Wraps a tagger so that a sentence of any length is tagged in bounded memory.

    A sentence longer than ``max_tokens`` is cut into cores of ``max_tokens - 2 * context``
    tokens; each core is tagged with up to ``context`` tokens on either side, and only the
    core's analyses are kept, so every token is decided with context on both sides (the
    model's BiLSTM looks no further in practice). Other attributes are the inner tagger's.
    """

    def __init__(
        self,
        inner: MorphTagger,
        max_tokens: int = MAX_SENTENCE_TOKENS,
        context: int = WINDOW_CONTEXT,
    ) -> None:
        if max_tokens <= 2 * context:
            raise ValueError("max_tokens must exceed twice the context")
        self.inner = inner
        self.name = inner.name
        self.version = inner.version
        self.max_tokens = max_tokens
        self.context = context

    def __getattr__(self, name: str) -> Any:
        inner = self.__dict__.get("inner")
        if inner is None:
            raise AttributeError(name)
        return getattr(inner, name)

    def tag(self, sentences: Sequence[Sequence[str]]) -> list[list[TokenAnalysis]]:
        if all(len(s) <= self.max_tokens for s in sentences):
            return self.inner.tag(sentences)
        out: list[list[TokenAnalysis]] = []
        short: list[int] = []
        for i, sentence in enumerate(sentences):
            out.append([])
            if len(sentence) <= self.max_tokens:
                short.append(i)
            else:
                out[i] = self._tag_long(sentence)
        for i, analyses in zip(short, self.inner.tag([sentences[i] for i in short]), strict=True):
            out[i] = analyses
        return out

    def tag_later(
        self, sentences: Sequence[Sequence[str]]
    ) -> Callable[[], list[list[TokenAnalysis]]]:
        """``tag`` started now, collected by calling what it returns (see ``tag_later``). The
        windows of long sentences go with the other sentences, so they too are tagged where
        the inner tagger works (its worker processes), not here and now."""
        if all(len(s) <= self.max_tokens for s in sentences):
            return tag_later(self.inner, sentences)
        pieces: list[Sequence[str]] = []
        #: per sentence: (piece, first, end) of the analyses each of its pieces contributes
        plan: list[list[tuple[int, int, int]]] = []
        for sentence in sentences:
            if len(sentence) <= self.max_tokens:
                plan.append([(len(pieces), 0, len(sentence))])
                pieces.append(sentence)
                continue
            kept = []
            for w, s, e in self._windows(len(sentence)):
                kept.append((len(pieces), s - w, e - w))
                pieces.append(sentence[w : e + self.context])
            plan.append(kept)
        tagged_later = tag_later(self.inner, pieces)

        def collect() -> list[list[TokenAnalysis]]:
            tagged = tagged_later()
            return [[a for i, s, e in kept for a in tagged[i][s:e]] for kept in plan]

        return collect

    def _windows(self, length: int) -> Iterator[tuple[int, int, int]]:
        """(window start, core start, core end) of each window of a sentence of ``length``
        tokens; the window ends ``context`` tokens after its core (or at the sentence's end)."""
        core = self.max_tokens - 2 * self.context
        for start in range(0, length, core):
            yield max(0, start - self.context), start, min(length, start + core)

    def _tag_long(self, forms: Sequence[str]) -> list[TokenAnalysis]:
        result: list[TokenAnalysis] = []
        windows: list[tuple[int, int, int]] = []  # window start, core start, core end
        pending = 0

        def flush() -> None:
            nonlocal pending
            if not windows:
                return
            tagged = self.inner.tag([forms[w : e + self.context] for w, _, e in windows])
            for (w, s, e), analyses in zip(windows, tagged, strict=True):
                result.extend(analyses[s - w : e - w])
            windows.clear()
            pending = 0

        for window in self._windows(len(forms)):
            windows.append(window)
            pending += window[2] - window[1] + 2 * self.context
            if pending >= WINDOW_BATCH_TOKENS:
                flush()
        flush()
        return result


def tag_later(
    tagger: MorphTagger, sentences: Sequence[Sequence[str]]
) -> Callable[[], list[list[TokenAnalysis]]]:
    """``tagger.tag(sentences)``, started now where the tagger can work in other processes
    meanwhile (the trained model on several cores: ``NeuralTagger.tag_later``), else done now;
    the result comes from calling what this returns."""
    later = getattr(tagger, "tag_later", None)
    if later is not None:
        return cast(Callable[[], list[list[TokenAnalysis]]], later(sentences))
    done = tagger.tag(sentences)
    return lambda: done
