"""Sentence and token boundaries for imported paragraphs.

Import tokenizes every paragraph once, so that every layer (and the annotator's token cursor)
works on the same tokens. The tokenizer is spaCy's Russian one (``spacy.blank("ru")``) with a
rule-based sentencizer; offsets are code-point offsets into the stored paragraph text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spacy.language import Language

Span = tuple[int, int]


@dataclass(frozen=True)
class Segmentation:
    """Sentences and tokens of one paragraph, as (start, end) code-point offsets."""

    sentences: list[Span]
    tokens: list[Span]


def blank_russian() -> Language:
    """``spacy.blank("ru")`` with UD-style tokenization and a rule-based sentencizer."""
    import spacy
    from spacy.lang.char_classes import ALPHA
    from spacy.util import compile_infix_regex

    nlp = spacy.blank("ru")
    # UD Russian keeps hyphenated words whole (по-видимому, кто-то, Санкт-Петербург, Т-34):
    # drop spaCy's rule that splits a hyphen between letters, keep splitting on dashes.
    infixes: list[str | re.Pattern[str]] = [
        p for p in nlp.Defaults.infixes or () if not re.search(p, "по-видимому")
    ]
    infixes.append(rf"(?<=[{ALPHA}0-9])(?:–|—|--|---|——|~)(?=[{ALPHA}])")
    tokenizer: Any = nlp.tokenizer
    tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    nlp.add_pipe("sentencizer")
    return nlp


@lru_cache(maxsize=1)
def _pipeline() -> Language:
    return blank_russian()


def segment(text: str) -> Segmentation:
    """Split one paragraph into sentences and tokens."""
    return next(segment_many([text]))


def segment_many(texts: Iterable[str], batch_size: int = 256) -> Iterator[Segmentation]:
    """Split many paragraphs; batched through ``nlp.pipe`` because per-call overhead dominates."""
    nlp = _pipeline()
    for doc in nlp.pipe(texts, batch_size=batch_size):
        tokens = [(t.idx, t.idx + len(t.text)) for t in doc if not t.is_space]
        sentences = []
        for sent in doc.sents:
            words = [t for t in sent if not t.is_space]
            if words:
                sentences.append((words[0].idx, words[-1].idx + len(words[-1].text)))
        yield Segmentation(sentences=sentences, tokens=tokens)
