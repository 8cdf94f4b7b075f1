"""Sentences of a paragraph written in lines: list items, chat lines, a heading above its text.

spaCy's sentencizer ends sentences at punctuation only, and a line break is a space to it. In
text written line by line that runs lines together and cuts at the wrong places:

- a numbered list (``1. Первый пункт`` / ``2. Второй пункт``) became the sentences ``1.``,
  ``Первый пункт 2.``, ``Второй пункт``: the item's number ended a sentence and was left at the
  end of the item before;
- chat lines and a list without final marks (``Привет всем`` / ``Как дела``), or a heading
  above its first sentence (``Глава 1`` / ``Они пришли.``), were one sentence.

So a line that starts with an item's mark (``1.``, ``2)``, ``а)``, ``IV.``, ``-``, ``—``, ``•``)
starts a sentence, and the mark belongs to it; and a line that ends without a mark, before a
line that starts with a capital, ends its sentence, as does every line of a paragraph of
short lines (a list, a chat). Not in verse (:func:`_is_verse`: a poem's lines start with
capitals inside its sentences), and not after a line of 60 characters or more (prose wrapped
at a fixed width, whose next line may start with a name). UD's gold texts hold no line breaks, so this rule
changes nothing of their figures (``bench/segmentation.py``); it is tested on texts of the
kinds above (tests/test_segment.py).
"""

from __future__ import annotations

import itertools
import re

Span = tuple[int, int]

#: an item's mark at the start of a line, as one token or two (``1`` + ``.``)
_ITEM_MARK = re.compile(r"[-–—•*●▪►➢✓✔→]")
_ITEM_NUMBER = re.compile(r"(?:[0-9]{1,3}|[IVX]{1,5}|[a-zа-яё])[.)]?")
_ITEM_NUMBER_END = frozenset({".", ")"})
#: a line that ends with one of these goes on into the next
_GOES_ON = frozenset(",;:-–—(«„“\"'/&+")
#: verse: lines that end with a mark inside a sentence
_VERSE_LINE_END = re.compile(r"[,;:—–-]\s*$")
_ANY_LINE_END = re.compile(r"[,;:—–.!?…-][»“\")]*\s*$")
WRAPPED_LINE = 60
#: a paragraph of three or more lines, each but the last shorter than this, is a list or a chat:
#: each line is a sentence, whatever letter the next starts with
SHORT_LINE = 40


def split_at_lines(text: str, sentences: list[list[Span]]) -> list[list[Span]]:
    """``sentences`` cut and joined at line breaks as the module's docstring says; text
    without a line break is returned as it is."""
    if "\n" not in text.strip() or not sentences:
        return sentences
    tokens = [token for sentence in sentences for token in sentence]
    starts = {0, *itertools.accumulate(len(s) for s in sentences[:-1])}
    lines = [line for line in text.strip().split("\n") if line.strip()]
    verse = _is_verse(lines)
    short_lines = len(lines) >= 3 and all(len(line) < SHORT_LINE for line in lines[:-1])
    for i in range(len(tokens)):
        if i and "\n" not in text[tokens[i - 1][1] : tokens[i][0]]:
            continue
        mark = _item_mark(text, tokens, i)
        if mark:
            starts.add(i)
            starts.difference_update(range(i + 1, i + mark + 1))
        elif i and not verse and _line_ends_sentence(text, tokens, i, short_lines):
            starts.add(i)
    bounds = sorted(starts)
    return [tokens[a:b] for a, b in zip(bounds, [*bounds[1:], len(tokens)], strict=True)]


def _is_verse(lines: list[str]) -> bool:
    """Whether the lines are verse, whose lines start with capitals inside a sentence: two or
    more end with a mark inside a sentence, or more than half of them (but the last) end with
    a mark of any kind, of three lines or more (``Белеет парус одинокой`` / ``В тумане моря
    голубом!..`` / ``Что ищет он в стране далекой?``); chat lines mostly end with none."""
    inner = lines[:-1]
    if sum(1 for line in inner if _VERSE_LINE_END.search(line)) >= 2:
        return True
    marked = sum(1 for line in inner if _ANY_LINE_END.search(line))
    return len(lines) >= 3 and marked * 2 > len(inner)


def _item_mark(text: str, tokens: list[Span], i: int) -> int:
    """How many tokens an item's mark at token ``i`` (the first of its line) takes: 1 or 2,
    or 0 where there is none. A mark needs words after it on its line."""
    word = text[tokens[i][0] : tokens[i][1]]
    if _ITEM_MARK.fullmatch(word) or (
        _ITEM_NUMBER.fullmatch(word) and word[-1:] in _ITEM_NUMBER_END
    ):
        size = 1
    elif (
        _ITEM_NUMBER.fullmatch(word)
        and i + 1 < len(tokens)
        and tokens[i + 1][0] == tokens[i][1]
        and text[tokens[i + 1][0] : tokens[i + 1][1]] in _ITEM_NUMBER_END
    ):
        size = 2
    else:
        return 0
    after = i + size
    if after >= len(tokens) or "\n" in text[tokens[after - 1][1] : tokens[after][0]]:
        return 0
    return size


def _line_ends_sentence(text: str, tokens: list[Span], i: int, short_lines: bool) -> bool:
    """Whether the line before token ``i`` (the first of its line) ends a sentence that the
    marks do not end: it ends without a mark that goes on, and the next starts with a capital
    or all the paragraph's lines are short (a list, a chat)."""
    last = text[tokens[i - 1][0] : tokens[i - 1][1]]
    if last[-1:] in _GOES_ON:
        return False
    line_start = text.rfind("\n", 0, tokens[i - 1][0]) + 1
    if tokens[i - 1][1] - line_start >= WRAPPED_LINE:
        return False
    word = text[tokens[i][0] : tokens[i][1]].lstrip("«„“\"'([")
    return short_lines or word[:1].isupper()
