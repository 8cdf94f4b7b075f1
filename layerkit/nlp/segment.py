"""Sentence and token boundaries for imported paragraphs.

Import tokenizes every paragraph once, so that every layer (and the annotator's token cursor)
works on the same tokens. The tokenizer is spaCy's Russian one (``spacy.blank("ru")``) with a
rule-based sentencizer; offsets are code-point offsets into the stored paragraph text.

Any length works, in bounded memory. spaCy refuses a text longer than ``nlp.max_length``
(1,000,000 characters, error E088) and needs about 100 bytes of memory a character, so a long
paragraph is handed to it in chunks of at most :data:`CHUNK_CHARS` characters. A chunk ends at
whitespace, and the next one starts where the chunk's last sentence started, so tokens and
sentences come out exactly as spaCy would give them on the whole text (offsets shifted back);
only a single sentence longer than a chunk is continued across a cut made at whitespace.
spaCy's prefix and suffix loop is also quadratic in the length of a run without whitespace
(20,000 «s in a row take 40 s), so a run longer than :data:`MAX_RUN` characters, or longer
than :data:`MAX_PUNCT_RUN` and mostly punctuation, which is no word (a blob, base64, a ruler,
a wall of brackets), is tokenized by a simple linear rule instead and is a sentence of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from layerkit.nlp.regroup import regroup

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

Span = tuple[int, int]

#: a paragraph longer than this (characters) is no paragraph anyone wrote or can annotate as
#: a unit (the sample corpus's longest has 2,136, a long one in a novel about 5,000): the text
#: importer splits it into parts of about PART_CHARS; import warns about one that stays whole
LONG_PARAGRAPH = 20_000
#: the size of those parts: a long but ordinary paragraph
PART_CHARS = 2_000
#: characters given to spaCy at once (its own limit, nlp.max_length, is 1,000,000)
CHUNK_CHARS = 100_000
#: a run without whitespace longer than this is tokenized by a linear rule, not by spaCy
MAX_RUN = 1_000
#: ... and so is one longer than this that is mostly punctuation or symbols («««, ))))
MAX_PUNCT_RUN = 50
_RUN = re.compile(rf"\S{{{MAX_PUNCT_RUN + 1},}}")
# letters and digits (with combining marks and soft hyphens) up to MAX_RUN at a time, or a run
# of one repeated other character (!!!!, ----), or any single other character
_RUN_TOKEN = re.compile(rf"[\w\u0300-\u036f\u00ad]{{1,{MAX_RUN}}}|(\S)\1{{0,{MAX_RUN - 1}}}")


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
    # a range written with a dash between numbers (1990–2000, 10:00–12:00): UD Taiga cuts it
    infixes.append(r"(?<=[0-9])(?:–|—)(?=[0-9])")
    # a sentence's mark or a smiley written without a space before the next word
    # («Привет!Как дела», «класс)Пойдём»): spaCy kept «Привет!Как» one token
    infixes.append(rf"(?<=[{ALPHA}])(?:[!?…]+\)*|\)+)(?=[{ALPHA}])")
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
    """Split many paragraphs, in order.

    Short paragraphs are batched through ``nlp.pipe`` (per-call overhead dominates), at most
    ``batch_size`` of them and :data:`CHUNK_CHARS` characters a batch; a longer one, or one with
    a run without whitespace that is no word, is segmented on its own, in chunks.
    """
    # spaCy is loaded at the first text, not before: nothing to segment (a file that comes
    # with its sentences and tokens) costs nothing (it cost 2 s of imports per `import`)
    nlp: Language | None = None
    batch: list[str] = []
    chars = 0
    for text in texts:
        if nlp is None:
            nlp = _pipeline()
        if len(text) > CHUNK_CHARS or (len(text) > MAX_PUNCT_RUN and _has_long_run(text)):
            yield from _short(nlp, batch)
            batch, chars = [], 0
            yield _long(nlp, text)
            continue
        batch.append(text)
        chars += len(text)
        if len(batch) >= batch_size or chars >= CHUNK_CHARS:
            yield from _short(nlp, batch)
            batch, chars = [], 0
    if nlp is not None:
        yield from _short(nlp, batch)


def _long_runs(text: str) -> Iterator[re.Match[str]]:
    """Runs without whitespace that spaCy's tokenizer would take quadratic time over."""
    for run in _RUN.finditer(text):
        n = run.end() - run.start()
        if n > MAX_RUN or sum(not c.isalnum() for c in run.group()) * 2 > n:
            yield run


def _has_long_run(text: str) -> bool:
    return next(_long_runs(text), None) is not None


def _short(nlp: Language, texts: list[str]) -> Iterator[Segmentation]:
    for doc in nlp.pipe(texts, batch_size=max(1, len(texts))):
        sentences = [s for s in _sentences(doc, 0) if s]
        yield _segmentation(regroup(doc.text, sentences))


def _sentences(doc: Doc, offset: int) -> list[list[Span]]:
    """Token spans (space tokens left out) of each sentence of ``doc``, shifted by ``offset``."""
    return [
        [(offset + t.idx, offset + t.idx + len(t.text)) for t in sent if not t.is_space]
        for sent in doc.sents
    ]


def _segmentation(sentences: list[list[Span]]) -> Segmentation:
    return Segmentation(
        sentences=[(s[0][0], s[-1][1]) for s in sentences],
        tokens=[t for s in sentences for t in s],
    )


def _long(nlp: Language, text: str) -> Segmentation:
    """Segment a text of any length in chunks (see the module docstring)."""
    sentences: list[list[Span]] = []
    pos = 0
    for run in _long_runs(text):
        _segment_region(nlp, text, pos, run.start(), sentences)
        tokens = [m.span() for m in _RUN_TOKEN.finditer(text, run.start(), run.end())]
        sentences.append(tokens)
        pos = run.end()
    _segment_region(nlp, text, pos, len(text), sentences)
    return _segmentation(regroup(text, [s for s in sentences if s]))


def _segment_region(nlp: Language, text: str, start: int, end: int, out: list[list[Span]]) -> None:
    """Sentences of ``text[start:end]``, which has no long run (so no run of more than
    MAX_RUN characters without whitespace), appended to ``out``; spaCy sees at most
    CHUNK_CHARS characters at a time."""
    punct_chars = nlp.get_pipe("sentencizer").punct_chars  # type: ignore[attr-defined]
    pos = start
    # a sentence longer than a chunk, continued from the last chunk, and whether it has seen
    # its final punctuation (then only punctuation can still join it, as in spaCy's sentencizer)
    open_sentence: list[Span] | None = None
    ended = False
    spaced = _spaced_special_cases(nlp)
    while pos < end:
        cut = (
            end
            if end - pos <= CHUNK_CHARS
            else _whitespace_cut(text, pos, pos + CHUNK_CHARS, spaced)
        )
        doc = nlp(text[pos:cut])
        sentences = [s for s in _sentences(doc, pos) if s]
        added: list[Span] = []
        if open_sentence is not None and sentences:
            if ended:
                lead = 0
                for token in doc if _single_space_before(text, pos) else ():
                    if not token.is_punct and token.text not in punct_chars:
                        break
                    lead += 1
                added = sentences[0][:lead]
                sentences[0] = sentences[0][lead:]
                if not sentences[0]:
                    sentences.pop(0)
            else:
                added = sentences.pop(0)
            open_sentence.extend(added)
        if cut == end:
            out.extend(sentences)
            return
        # Start the next chunk where the last sentence starts (after whitespace, so that its
        # tokens come out the same, and after ``pos``, so that it moves on); a sentence longer
        # than a chunk is continued instead.
        restart = next(
            (
                i
                for i in range(len(sentences) - 1, -1, -1)
                if sentences[i][0][0] > pos and text[sentences[i][0][0] - 1].isspace()
            ),
            None,
        )
        if restart is not None:
            out.extend(sentences[:restart])
            open_sentence = None
            pos = sentences[restart][0][0]
            continue
        out.extend(sentences)
        if sentences:
            open_sentence, ended = sentences[-1], False
            added = sentences[-1]
        # only the tokens this chunk added can hold the sentence's final punctuation
        ended = ended or any(text[a:b] in punct_chars for a, b in added)
        pos = cut


def _single_space_before(text: str, pos: int) -> bool:
    """Whether exactly one space separates ``pos`` from the token before it (more whitespace,
    or any other, is a space token of its own in spaCy, which starts a sentence after a
    sentence's final punctuation)."""
    return pos >= 2 and text[pos - 1] == " " and not text[pos - 2].isspace()


def _whitespace_cut(
    text: str, start: int, limit: int, spaced: re.Pattern[str] | None = None
) -> int:
    """The position after the last whitespace character in ``text[start:limit]`` that is not
    inside one of ``spaced`` (spaCy's special cases that hold a space, ``д-р биол. наук``: cut
    there, a chunk would tokenize them apart, where the whole text has them as one token)."""
    i = limit - 1
    while i > start:
        if text[i].isspace():
            inside = None
            if spaced is not None:
                inside = next(
                    (
                        m
                        for m in spaced.finditer(text, max(start, i - 60), min(len(text), i + 60))
                        if m.start() < i < m.end()
                    ),
                    None,
                )
            if inside is None:
                return i + 1
            i = inside.start()
        i -= 1
    return limit  # no whitespace at all (cannot happen in a region without long runs)


@lru_cache(maxsize=4)
def _spaced_special_cases(nlp: Language) -> re.Pattern[str] | None:
    """spaCy's tokenizer special cases that hold whitespace (``и др.``), as one pattern."""
    rules = getattr(nlp.tokenizer, "rules", None) or {}
    spaced = sorted((r for r in rules if r.strip() and any(c.isspace() for c in r)), key=len)
    if not spaced:
        return None
    return re.compile("|".join(re.escape(r) for r in reversed(spaced)))


def sentence_tokens(seg: Segmentation) -> list[list[Span]]:
    """The tokens of each sentence of ``seg`` (linear: both lists are in text order)."""
    out: list[list[Span]] = []
    tokens = seg.tokens
    i = 0
    for start, end in seg.sentences:
        while i < len(tokens) and tokens[i][0] < start:
            i += 1
        j = i
        while j < len(tokens) and tokens[j][1] <= end:
            j += 1
        out.append(tokens[i:j])
        i = j
    return out


def split_paragraph(seg: Segmentation, max_chars: int) -> Iterator[Segmentation]:
    """Parts of a paragraph of at most about ``max_chars`` characters each, ending at sentence
    boundaries; a sentence longer than ``max_chars`` is cut between tokens. Offsets stay those
    of the whole paragraph; each part runs from its first token to its last."""
    current: list[list[Span]] = []
    for tokens in sentence_tokens(seg):
        if not tokens:
            continue
        if current and tokens[-1][1] - current[0][0][0] > max_chars:
            yield _segmentation(current)
            current = []
        if tokens[-1][1] - tokens[0][0] <= max_chars:
            current.append(tokens)
            continue
        piece: list[Span] = []
        for token in tokens:
            if piece and token[1] - piece[0][0] > max_chars:
                yield _segmentation([piece])
                piece = []
            piece.append(token)
        current = [piece]
    if current:
        yield _segmentation(current)
