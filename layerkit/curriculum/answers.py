"""Answer formats of curriculum tasks: writing gold answers, and reading a model's back.

A trained model's output is only useful if it can be turned back into annotations and scored,
so every task answers in one of three formats that are readable by people and parseable by this
module (the trainer reads the format of each task from the manifest and calls
:func:`parse_answer`):

``token_table``
    One line per word, tab-separated ``word lemma upos feats``, after a header line
    ``word\\tlemma\\tupos\\tfeats``. Tabs, line breaks and backslashes inside a cell are written
    ``\\t``, ``\\n`` and ``\\\\``. Data: a list of ``{"word", "lemma", "upos", "feats"}`` dicts.
``json``
    A JSON object (or list) laid out one object per line: compact enough for training,
    diffable, and read back by ``json.loads`` whatever whitespace a model produces. Data: the
    object.
``text``
    Free text (unfolding texts: an example, a counterexample...). Data: the string.

``parse_answer(fmt, format_answer(fmt, data)) == data`` for every data a task produces (tested).
Model output wrapped in a Markdown code fence is accepted too.

This module depends on nothing but the standard library, so a trainer can use it without a store.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from layerkit.errors import LayerkitError

ANSWER_FORMATS = ("token_table", "json", "text")
TOKEN_COLUMNS = ("word", "lemma", "upos", "feats")
_HEADER = "\t".join(TOKEN_COLUMNS)
_TABLE_CELLS = operator.itemgetter(*TOKEN_COLUMNS)

_FENCE = re.compile(r"^\s*```[A-Za-z0-9_-]*[ \t]*\n(.*?)\n?```\s*$", re.S)
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_SPECIAL = re.compile(r"[\\\t\n\r]")
_UNESCAPE = re.compile(r"\\([\\tnr])")
_UNESCAPES = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}


class AnswerParseError(LayerkitError):
    """An answer (usually a model's output) does not follow its task's answer format."""

    title = "Cannot parse answer"


def format_answer(answer_format: str, data: Any) -> str:
    """The answer text of ``data`` in ``answer_format``."""
    if answer_format == "token_table":
        return _format_table(data)
    if answer_format == "json":
        return _layout(data)
    if answer_format == "text":
        if not isinstance(data, str):
            raise TypeError(f"a text answer is a string, not {type(data).__name__}")
        return data.strip()
    raise ValueError(
        f"unknown answer format {answer_format!r} (known: {', '.join(ANSWER_FORMATS)})"
    )


def parse_answer(answer_format: str, text: str) -> Any:
    """The data an answer text stands for; raises :class:`AnswerParseError` on malformed text."""
    match = _FENCE.match(text)
    body = match.group(1) if match else text
    if answer_format == "token_table":
        return _parse_table(body)
    if answer_format == "json":
        try:
            return json.loads(body)
        except json.JSONDecodeError as exc:
            raise AnswerParseError(
                f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}.",
                hint="A json answer is one JSON object; see docs/curriculum.md for its keys.",
            ) from None
    if answer_format == "text":
        return body.strip()
    raise ValueError(
        f"unknown answer format {answer_format!r} (known: {', '.join(ANSWER_FORMATS)})"
    )


def locate(text: str, quote: str, start: int = 0) -> tuple[int, int] | None:
    """Code-point offsets of ``quote`` in ``text`` at or after ``start`` (else anywhere), or None.

    Answers quote spans by their text instead of offsets (models cannot count code points);
    this maps a quote back onto the paragraph to score it or store it as an annotation.
    """
    if not quote:
        return None
    found = text.find(quote, start)
    if found < 0:
        found = text.find(quote)
    return None if found < 0 else (found, found + len(quote))


class Quotes:
    """Maps an answer's quotes back onto its paragraph, one quote after another.

    Answers quote spans in text order, so each quote of a run is looked for from where the
    previous one started (a text that occurs twice is the next occurrence, not the first);
    :meth:`near` finds a quote closest to an anchor instead (a predicate's argument, which the
    answer lists under its predicate). Each lookup raises :class:`AnswerParseError` naming the
    quote when the paragraph does not contain it: a suggestion is never stored half-mapped.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._after: dict[str, int] = {}
        self._taken: set[tuple[str, int, int]] = set()

    def next(self, quote: object, run: str = "") -> tuple[int, int]:
        """The next occurrence of ``quote`` in the text order of ``run`` (a field, say)."""
        text = self._check(quote)
        start = self._after.get(run, 0)
        found = locate(self.text, text, start)
        # the same words again in the same run: the next occurrence, if there is one
        while found is not None and (run, *found) in self._taken:
            again = locate(self.text, text, found[0] + 1)
            if again is None or again[0] <= found[0]:
                break
            found = again
        if found is None:
            raise self._missing(text)
        self._after[run] = found[0]
        self._taken.add((run, *found))
        return found

    def near(self, quote: object, anchor: int) -> tuple[int, int]:
        """The occurrence of ``quote`` that starts closest to ``anchor``."""
        text = self._check(quote)
        best: tuple[int, int] | None = None
        at = self.text.find(text)
        while at >= 0:
            if best is None or abs(at - anchor) < abs(best[0] - anchor):
                best = (at, at + len(text))
            at = self.text.find(text, at + 1)
        if best is None:
            raise self._missing(text)
        return best

    @staticmethod
    def _check(quote: object) -> str:
        if not isinstance(quote, str) or not quote.strip():
            raise AnswerParseError(
                f"a quote must be a non-empty string, not {quote!r}.",
                hint="Spans are quoted verbatim from the paragraph.",
            )
        return quote

    @staticmethod
    def _missing(quote: str) -> AnswerParseError:
        shown = quote if len(quote) <= 60 else quote[:57] + "..."
        return AnswerParseError(
            f"the quote «{shown}» is not in the paragraph.",
            hint="Spans are quoted verbatim from the paragraph.",
        )


def _escape(cell: str) -> str:
    return cell.translate(_ESCAPES) if _SPECIAL.search(cell) else cell


def _unescape(cell: str) -> str:
    return _UNESCAPE.sub(lambda m: _UNESCAPES[m.group(1)], cell)


def format_token_table(rows: Iterable[Sequence[Any]]) -> str:
    """A ``token_table`` answer from ``(word, lemma, upos, feats)`` rows: what
    ``format_answer("token_table", ...)`` gives for the same rows as dicts, for tasks that make
    tuples (cheaper than a dict a word)."""
    rows = list(rows)
    if rows and set(map(len, rows)) != {len(TOKEN_COLUMNS)}:
        return _escaped_table(rows)  # raises: a row with another number of cells
    lines = [_HEADER]
    try:
        lines.extend(map("\t".join, rows))
    except TypeError:  # a cell that is not a string
        return _escaped_table(rows)
    table = "\n".join(lines)
    # Escaping is needed only where a cell holds a tab, a line break or a backslash: checked on
    # the whole table at once (exactly three tabs a line, no other special character), since
    # most tables need nothing; otherwise cell by cell.
    if (
        table.count("\t") == 3 * len(lines)
        and table.count("\n") == len(lines) - 1
        and "\\" not in table
        and "\r" not in table
    ):
        return table
    return _escaped_table(rows)


def _escaped_table(rows: list[Sequence[Any]]) -> str:
    lines = [_HEADER]
    for row in rows:
        if len(row) != len(TOKEN_COLUMNS):
            raise ValueError(f"a token table row has {len(TOKEN_COLUMNS)} cells, not {len(row)}")
        lines.append("\t".join(_escape(str(cell)) for cell in row))
    return "\n".join(lines)


def _format_table(data: Any) -> str:
    return format_token_table(map(_TABLE_CELLS, data))


def _parse_table(body: str) -> list[dict[str, str]]:
    rows = []
    # Only "\n" ends a row: str.splitlines would also split at form feeds, U+2028 and other
    # characters a cell may hold unescaped.
    for number, line in enumerate(body.split("\n"), start=1):
        line = line.removesuffix("\r")
        if "\t" not in line and not line.strip():
            continue
        cells = line.split("\t")
        if number == 1 and tuple(c.strip() for c in cells) == TOKEN_COLUMNS:
            continue
        if len(cells) != len(TOKEN_COLUMNS):
            raise AnswerParseError(
                f"line {number} has {len(cells)} tab-separated cells, not {len(TOKEN_COLUMNS)}: "
                f"{line[:60]!r}.",
                hint="Each line of a token table is: word, lemma, UPOS, features.",
            )
        rows.append(dict(zip(TOKEN_COLUMNS, (_unescape(c) for c in cells), strict=True)))
    return rows


# One encoder for every call: json.dumps with options builds a new encoder each time, which
# costs more than encoding the small items of an answer.
_ENCODER = json.JSONEncoder(ensure_ascii=False)


def _item_encoder() -> Callable[[Any], str]:
    """``_ENCODER.encode``, calling the C encoder it would build on every call directly (half
    the cost for the small items of an answer; the same text). Falls back where there is none."""
    make = getattr(json.encoder, "c_make_encoder", None)
    escape = getattr(json.encoder, "encode_basestring", None)
    if make is None or escape is None:
        return _ENCODER.encode
    encode = make(None, _ENCODER.default, escape, None, ": ", ", ", False, False, True)
    return lambda value: "".join(encode(value, 0))


_dump = _item_encoder()


def _layout(data: Any) -> str:
    """JSON with one top-level key, and one object of each top-level list, per line (lists of
    plain values stay on one line)."""
    if isinstance(data, list):
        return _layout_list(data)
    if not isinstance(data, dict):
        return _dump(data)
    if not data:
        return "{}"
    parts = []
    for key, value in data.items():
        shown = _layout_list(value) if isinstance(value, list) else _dump(value)
        parts.append(f"{_dump(key)}: {shown}")
    return "{" + ",\n".join(parts) + "}"


def _layout_list(items: list[Any]) -> str:
    if not any(isinstance(item, _NESTED) for item in items):
        return _dump(items)
    return "[\n" + ",\n".join(map(_dump, items)) + "\n]"


_NESTED = (dict, list)
