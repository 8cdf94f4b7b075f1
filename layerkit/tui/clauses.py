"""Clause selection: the words of a sentence between two punctuation marks, without the
discourse marker that opens them.

Argumentative units, factuality spans and most arguments of the higher layers are clauses.
Selecting one with arrows or jump hints costs three or four keys; the ``.`` key selects the
clause under the cursor in one, and each further press adds the next clause of the sentence
(then the previous ones), so a two-clause unit or a whole sentence is a key more. Discourse
markers («но», «потому что», «однако» ...) are left out of a clause, as PDTB and Stab &
Gurevych leave connectives out of the units they join; where a project wants them in, one
``shift+←`` takes the marker back.

Pure functions of the paragraph's text, tokens and sentences: no lexical layer needed, so the
key works on a paragraph nobody has analysed yet.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from layerkit.tui.model import sentence_index, sentence_token_range
from layerkit.tui.relations import CONNECTIVES

#: words that open a clause without belonging to it, besides the discourse markers
OPENERS = ("и", "а", "что", "где", "разве", "ли")
_MARKERS = tuple(
    sorted({tuple(m.split()) for m in (*CONNECTIVES, *OPENERS)}, key=len, reverse=True)
)


def is_punctuation(form: str) -> bool:
    """A token made of punctuation only (``,`` ``—`` ``«`` ``...``): it separates clauses."""
    return bool(form) and all(unicodedata.category(ch).startswith("P") for ch in form)


def clauses(
    text: str, tokens: Sequence[tuple[int, int]], first: int, last: int
) -> list[tuple[int, int]]:
    """The clauses of the tokens ``first..last`` (a sentence) as (first, last) token indices,
    in text order: runs of words between punctuation, each without its opening marker (kept
    where the marker is all the run has)."""
    runs: list[list[int]] = [[]]
    for i in range(first, last + 1):
        start, end = tokens[i]
        if is_punctuation(text[start:end]):
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append(i)
    found = []
    for run in runs:
        if not run:
            continue
        words = [text[slice(*tokens[i])].lower().replace("ё", "е") for i in run]
        skip = next(
            (
                len(marker)
                for marker in _MARKERS
                if len(marker) < len(words)
                and tuple(words[: len(marker)]) == tuple(m.replace("ё", "е") for m in marker)
            ),
            0,
        )
        found.append((run[skip], run[-1]))
    return found


def next_clause_selection(
    text: str,
    tokens: Sequence[tuple[int, int]],
    sentences: Sequence[tuple[int, int]],
    selection: tuple[int, int],
    cursor: int,
) -> tuple[int, int] | None:
    """What the clause key selects, as (first, last) token indices: the clause under the
    cursor; or, when the selection already starts at a clause and ends at one's end, that
    selection grown by the next clause of the sentence (by the previous one once the last is
    in). None when there is nothing (more) to select."""
    if not tokens:
        return None
    parts = _sentence_clauses(text, tokens, sentences, cursor)
    if not parts:
        return None
    first, last = min(selection), max(selection)
    starts = [p[0] for p in parts]
    ends = [p[1] for p in parts]
    if first in starts and last in ends:
        after = [p for p in parts if p[0] > last]
        if after:
            return first, after[0][1]
        before = [p for p in parts if p[1] < first]
        if before:
            return before[-1][0], last
        return None
    return _nearest(parts, cursor)


def clause_at(
    text: str,
    tokens: Sequence[tuple[int, int]],
    sentences: Sequence[tuple[int, int]],
    cursor: int,
) -> tuple[int, int] | None:
    """The clause the token ``cursor`` is in, as (first, last) token indices; on punctuation
    or a clause's opening marker the nearest clause. None without tokens."""
    parts = _sentence_clauses(text, tokens, sentences, cursor) if tokens else []
    return _nearest(parts, cursor) if parts else None


def _sentence_clauses(
    text: str,
    tokens: Sequence[tuple[int, int]],
    sentences: Sequence[tuple[int, int]],
    cursor: int,
) -> list[tuple[int, int]]:
    here = sentence_index(list(sentences), tokens[cursor][0])
    bounds = (
        sentence_token_range(list(tokens), sentences[here]) if here is not None else None
    ) or (0, len(tokens) - 1)
    return clauses(text, tokens, *bounds)


def _nearest(parts: list[tuple[int, int]], cursor: int) -> tuple[int, int]:
    inside = [p for p in parts if p[0] <= cursor <= p[1]]
    if inside:
        return inside[0]
    return min(parts, key=lambda p: min(abs(p[0] - cursor), abs(p[1] - cursor)))
