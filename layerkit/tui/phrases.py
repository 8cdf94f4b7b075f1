"""Phrase selection: the noun phrase under the cursor, by the lexical layer's analyses.

Arguments of predicates are mostly noun phrases, half of them with a preposition («в высокий
стакан», «на слое мёда», «немного мёда»). Selecting one with arrows or hints costs a key per
word or a second jump; the ``-`` key selects it in one: the head noun (or pronoun, numeral)
at or after the cursor, the adjectives, determiners and numerals before it, the preposition
that opens it, and the genitive nouns that follow it. Pressed again, a coordinated phrase
joins («масло и воду»). Without analyses (nobody has run the lexical layer) it selects the
word under the cursor, which is what a label key would take anyway.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from layerkit.tui.clauses import is_punctuation

HEADS = frozenset({"NOUN", "PROPN", "PRON", "NUM"})
MODIFIERS = frozenset({"ADJ", "DET", "NUM"})
COORDINATORS = frozenset({"и", "или", "либо", "да"})

#: a token's analysis: (UPOS, FEATS)
Analysis = tuple[str, str]


def _genitive(analysis: Analysis | None) -> bool:
    return analysis is not None and "Case=Gen" in analysis[1]


def phrase_at(
    text: str,
    tokens: Sequence[tuple[int, int]],
    analyses: Mapping[int, Analysis],
    cursor: int,
) -> tuple[int, int]:
    """The noun phrase at ``cursor`` as (first, last) token indices (the word alone when no
    phrase starts or ends there)."""

    def upos(i: int) -> str:
        found = analyses.get(i)
        return found[0] if found is not None else ""

    def word(i: int) -> bool:
        return 0 <= i < len(tokens) and not is_punctuation(text[slice(*tokens[i])])

    head = cursor
    while word(head) and upos(head) in MODIFIERS | {"ADP"} and upos(head) not in HEADS:
        head += 1  # from a preposition or an adjective to the noun it goes with
    if not word(head) or upos(head) not in HEADS:
        head = cursor
        if upos(head) not in HEADS:
            return cursor, cursor
    first = head
    while word(first - 1) and upos(first - 1) in MODIFIERS:
        first -= 1
    if word(first - 1) and upos(first - 1) == "ADP":
        first -= 1
    first = min(first, cursor)
    last = head
    while True:  # «слое мёда», «отражателей экспедиции»: genitive nouns and their modifiers
        k = last + 1
        while word(k) and upos(k) in MODIFIERS and _genitive(analyses.get(k)):
            k += 1
        if word(k) and upos(k) in {"NOUN", "PROPN"} and _genitive(analyses.get(k)):
            last = k
        else:
            break
    return first, last


def next_phrase_selection(
    text: str,
    tokens: Sequence[tuple[int, int]],
    analyses: Mapping[int, Analysis],
    selection: tuple[int, int],
    cursor: int,
) -> tuple[int, int] | None:
    """What the phrase key selects: the phrase at the cursor; when the selection is a phrase
    already (or phrases joined by «и», «или» ...), that grown by the coordinated phrase after
    it; None when there is nothing to add."""
    if not tokens:
        return None
    first, last = min(selection), max(selection)

    def joined(end: int) -> int | None:
        joiner = end + 1
        if joiner + 1 < len(tokens) and text[slice(*tokens[joiner])].lower() in COORDINATORS:
            return phrase_at(text, tokens, analyses, joiner + 1)[1]
        return None

    start, end = phrase_at(text, tokens, analyses, first)
    chain = start == first
    while chain and end < last:
        grown = joined(end)
        if grown is None or grown <= end:
            chain = False
        else:
            end = grown
    if not chain or end != last:
        return phrase_at(text, tokens, analyses, cursor)
    grown = joined(last)
    return (first, grown) if grown is not None else None
