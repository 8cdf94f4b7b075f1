"""CoNLL-U at the line level: reading, splitting into sentence blocks, checking columns.

Shared by the CoNLL-U importer and ``layerkit tag``: both must report a malformed line by its
1-based number, and the ``conllu`` library is lenient and cannot (it reads two spaces as a
column separator, accepts any string as UPOS, and does not know line numbers).
"""

from __future__ import annotations

import codecs
import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import accumulate, pairwise
from pathlib import Path
from typing import BinaryIO

from layerkit.errors import InputError
from layerkit.textio import bom_encoding, decode_bytes
from layerkit.ud import UPOS_TAGS

COLUMNS: tuple[str, ...] = (
    "ID",
    "FORM",
    "LEMMA",
    "UPOS",
    "XPOS",
    "FEATS",
    "HEAD",
    "DEPREL",
    "DEPS",
    "MISC",
)

WORD_ID = re.compile(r"[1-9][0-9]*")
RANGE_ID = re.compile(r"([1-9][0-9]*)-([1-9][0-9]*)")
EMPTY_ID = re.compile(r"(0|[1-9][0-9]*)\.([1-9][0-9]*)")
HEAD = re.compile(r"_|0|[1-9][0-9]*")
# One UD feature: Name=Value[,Value...]; layered features look like Number[psor]=Sing.
#: what ends a CoNLL-U column or line: a tab, each character Python's ``str.splitlines``
#: breaks a line at, and the unit separator with the other information separators (a value
#: holding one no longer parses as the word it was)
LINE_BREAKING = "\t\n\r\v\f\x1c\x1d\x1e\x1f\x85\u2028\u2029"
#: how MISC's ``SpacesAfter`` writes whitespace (UD's escapes: \s space, \t, \n, \r, \p for
#: the bar, \\ for the backslash; any other character as \uXXXX, since a MISC value holds no
#: whitespace)
_SPACES_ESCAPES = {" ": "\\s", "\t": "\\t", "\n": "\\n", "\r": "\\r", "|": "\\p", "\\": "\\\\"}
_SPACES_UNESCAPES = {value[1]: key for key, value in _SPACES_ESCAPES.items()}
_SPACES_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4,6}|.)")


def spaces_after(whitespace: str) -> str:
    """``whitespace`` as a ``SpacesAfter`` value (:func:`read_spaces_after` reads it back)."""
    return "".join(_SPACES_ESCAPES.get(c) or f"\\u{ord(c):04X}" for c in whitespace)


def space_misc(gap: str | None) -> str:
    """The MISC of a token read from text (nothing kept from a CoNLL-U file) followed by
    ``gap`` before the next token (None: the paragraph's end, which counts as a space, as in
    UD files): ``SpaceAfter=No``, ``SpacesAfter=...`` for whitespace other than one space
    (a line break, a tab, a no-break space: the text can be rebuilt), else ``_``."""
    if gap is None or gap == " ":
        return "_"
    if gap == "":
        return "SpaceAfter=No"
    return f"SpacesAfter={spaces_after(gap)}" if gap.isspace() else "_"


def read_spaces_after(value: str | None) -> str | None:
    """The whitespace a ``SpacesAfter`` value stands for, or None where it is not whitespace
    (some treebanks write ``SpacesAfter=No`` for ``SpaceAfter=No``)."""
    if not value:
        return None

    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] == "u" and len(code) > 1:
            number = int(code[1:], 16)
            return chr(number) if number <= 0x10FFFF else "\x00"
        return _SPACES_UNESCAPES.get(code, "\x00")

    text = _SPACES_ESCAPE.sub(one, value)
    return text if text and text.isspace() else None


FEATURE = re.compile(r"[A-Z][A-Za-z0-9]*(?:\[[a-z0-9]+\])?=[A-Za-z0-9]+(?:,[A-Za-z0-9]+)*")

COLUMNS_HINT = (
    "A CoNLL-U token line has 10 columns separated by single tabs: ID FORM LEMMA UPOS XPOS "
    "FEATS HEAD DEPREL DEPS MISC, with '_' for an empty value. Check for spaces typed instead "
    "of tabs."
)
ENCODING_HINT = (
    "Save the file as UTF-8 (e.g. `iconv -f cp1251 -t utf-8 in.conllu > out.conllu`), or give "
    "its real encoding in the import options."
)


@dataclass
class Block:
    """One sentence block: its non-blank lines with their 1-based line numbers."""

    lines: list[tuple[int, str]]

    @property
    def first_line(self) -> int:
        return self.lines[0][0]


def resolve_encoding(path: Path, requested: str | None) -> str:
    """The codec name to decode with; only ASCII-compatible codecs work with line splitting."""
    if requested is None:
        _refuse_utf16_or_32(path)
    name = requested or _detected_codepage(path) or "utf-8"
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise InputError(
            f"unknown encoding {name!r}",
            path=path,
            hint="Use a Python codec name such as 'utf-8' or 'cp1251'.",
        ) from None
    if info.name == "utf-8-sig":
        return "utf-8"
    if "\n".encode(info.name) != b"\n" or "#\t_".encode(info.name) != b"#\t_":
        raise InputError(
            f"encoding {name!r} is not supported for CoNLL-U",
            path=path,
            hint="Convert the file to UTF-8 first (CoNLL-U is UTF-8 by definition).",
        )
    return info.name


#: bytes of a file that is not UTF-8 given to the encoding detection (textio.decode_bytes)
DETECTION_SAMPLE = 1 << 18


def _detected_codepage(path: Path) -> str | None:
    """A file that is not UTF-8 read in the Cyrillic code page detection says it is in
    (cp1251, koi8-r...: as the text importer detects them); None for a UTF-8 file, and where
    detection is unsure (the UTF-8 error then names the line). A cp1251 treebank was refused
    although the README says the importers detect cp1251."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8_before = False  # UTF-8 letters before the first byte that is not UTF-8
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    utf8_before = utf8_before or not chunk[: exc.start].isascii()
                    break
                utf8_before = utf8_before or not chunk.isascii()
            else:
                decoder.decode(b"", final=True)
                return None
    except UnicodeDecodeError:
        pass  # (cut short at the end)
    except OSError:
        return None  # (read_lines says why the file cannot be read)
    if utf8_before:
        return None  # UTF-8 and another encoding in one file: the line that is not is named
    with path.open("rb") as handle:
        sample = handle.read(DETECTION_SAMPLE)
    try:
        found = decode_bytes(sample, path=path).encoding
    except InputError:
        return None
    info = codecs.lookup(found)
    return None if info.name in ("utf-8", "utf-8-sig") else info.name


def _refuse_utf16_or_32(path: Path) -> None:
    """A UTF-16 or UTF-32 file (its byte order mark first) is named as such: CoNLL-U is UTF-8
    by definition, and "not valid utf-8 at byte 1" did not say what the file was."""
    found = bom_encoding(path)
    if found in ("utf-16", "utf-32"):
        name = found.upper()
        raise InputError(
            f"the file is {name} (it starts with a {name} byte order mark); CoNLL-U files are "
            "UTF-8.",
            path=path,
            hint=f"Convert it: iconv -f {name} -t UTF-8 {path.name} > {path.stem}.utf8.conllu",
        )


def read_lines(
    path: Path, encoding: str, part: FilePart | None = None
) -> Iterator[tuple[int, str]]:
    """Decoded lines with their 1-based numbers, line ends stripped; only those of ``part``
    when given (numbered as in the whole file).

    Lines are split on bytes and decoded one at a time, so a decoding error names the exact line
    (a text-mode reader decodes ahead in chunks and would blame an earlier one).
    """
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(
            f"cannot open the file: {exc.strerror or exc}",
            path=path,
            hint="Check that the path exists and is readable.",
        ) from None
    with handle:
        lines: Iterable[bytes] = handle
        first = 1
        if part is not None:
            handle.seek(part.start)
            lines = _bytes_until(handle, part.end - part.start)
            first = part.first_line
        for number, raw in enumerate(lines, start=first):
            if number == 1 and encoding == "utf-8" and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError as exc:
                bad = raw[exc.start : exc.start + 1].hex()
                raise InputError(
                    f"the line is not valid {encoding} (byte 0x{bad} at byte {exc.start + 1} "
                    "of the line)",
                    path=path,
                    line=number,
                    hint=ENCODING_HINT,
                ) from None
            yield number, text.rstrip("\r\n")


def _bytes_until(handle: BinaryIO, size: int) -> Iterator[bytes]:
    """The lines of ``handle`` from where it is, ``size`` bytes of them (a part ends at a line
    end)."""
    if size <= 0:
        return
    for raw in handle:
        yield raw
        size -= len(raw)
        if size <= 0:
            return


@dataclass(frozen=True)
class FilePart:
    """Bytes ``start`` to ``end`` of a file, whole sentence blocks; ``first_line``: the number of
    its first line in the file."""

    start: int
    end: int
    first_line: int


#: a part never ends before this many bytes (a sentence block is rarely longer)
_MIN_PART_BYTES = 4096
#: the file is measured in blocks of this size to balance its parts
_MEASURE_BYTES = 1 << 16


def sentence_parts(path: Path, parts: int, max_bytes: int) -> list[FilePart]:
    """``path`` cut into at least ``parts`` parts, none much over ``max_bytes``, each ending
    after a blank line (a sentence block's end) or at the end of the file: parts that can be
    read, tagged and written apart and put back together in order (``layerkit tag`` on several
    processes). Parts hold about the same number of word lines (lines that are neither
    comments nor blank; counted per 64 KiB, so within a few hundred words), since words are
    what costs; fewer parts when the file has fewer blocks."""
    size = path.stat().st_size
    if size == 0:
        return [FilePart(0, 0, 1)]
    count = max(parts, -(-size // max_bytes), 1)
    with path.open("rb") as handle:
        # per block of the file: its lines, and its word lines (estimated at the block's edges)
        lines: list[int] = []
        words: list[int] = []
        while block := handle.read(_MEASURE_BYTES):
            n = block.count(b"\n")
            lines.append(n)
            words.append(max(n - block.count(b"\n#") - block.count(b"\n\n"), 0))
        cum_words = list(accumulate(words, initial=0))
        cuts = [0]
        for k in range(1, count):
            wanted = cum_words[-1] * k / count
            i = max(bisect_left(cum_words, wanted) - 1, 0)  # the block where it is reached
            within = (wanted - cum_words[i]) / words[i] if words[i] else 0.0
            target = max(int((i + within) * _MEASURE_BYTES), cuts[-1] + _MIN_PART_BYTES)
            if target >= size:
                break
            handle.seek(target - 1)
            handle.readline()  # to the end of the line the target falls in
            for raw in handle:  # to the end of the next blank line
                if not raw.strip():
                    break
            cut = handle.tell()
            if cut >= size:
                break
            if cut > cuts[-1]:
                cuts.append(cut)
        cuts.append(size)
        # each part's first line: the lines of the whole blocks before it, and of the rest
        cum_lines = list(accumulate(lines, initial=0))
        result: list[FilePart] = []
        for start, end in pairwise(cuts):
            i = start // _MEASURE_BYTES
            handle.seek(i * _MEASURE_BYTES)
            before = handle.read(start - i * _MEASURE_BYTES).count(b"\n")
            result.append(FilePart(start, end, 1 + cum_lines[i] + before))
    return result


def blocks(lines: Iterable[tuple[int, str]], path: Path) -> Iterator[Block]:
    """Group lines into sentence blocks separated by blank lines (as the conllu library does)."""
    current: list[tuple[int, str]] = []
    for number, line in lines:
        if line.strip():
            current.append((number, line))
        elif current:
            yield checked_block(current, path)
            current = []
    if current:
        yield checked_block(current, path)


def checked_block(lines: list[tuple[int, str]], path: Path) -> Block:
    if all(is_comment(line) for _, line in lines):
        raise InputError(
            "comment lines with no token lines after them",
            path=path,
            line=lines[0][0],
            hint="Comments belong to the sentence right below them; remove the stray comments "
            "or the blank line that separates them from their sentence.",
        )
    return Block(lines)


def is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def comment_key(line: str) -> str:
    """The key of ``# key = value`` as the conllu library computes it."""
    return line.strip()[1:].split("=", 1)[0].strip()


WORD_IDS_HINT = (
    "Word IDs run 1, 2, 3... in order; a range 3-4 comes right before words 3 and 4; an empty "
    "node 3.1 comes after word 3."
)


class WordIds:
    """The order of one sentence's IDs, checked line by line: words 1, 2, 3..., a range 3-4
    right before the words it covers (never inside another), an empty node 3.1 right after
    word 3. ``layerkit import`` and ``layerkit tag`` check alike with it: a file one refuses the
    other must not pass on (the UD validator refuses it). Each method returns what is wrong,
    or None; IDs are as :func:`check_columns` left them (well formed)."""

    def __init__(self) -> None:
        self.expected = 1  # the next word ID
        self.open_range: tuple[str, int] | None = None  # (its ID, its last word) until read

    def check(self, ident: str) -> str | None:
        """What is wrong with the next line's ID ``ident`` here (None: it fits)."""
        if "-" in ident:
            first, last = (int(n) for n in ident.split("-", 1))
            if self.open_range is not None:
                return f"range {ident} starts inside another multiword token"
            if first != self.expected or last <= first:
                return (
                    f"range {ident} does not cover the next words (expected it to start at "
                    f"{self.expected} and end after it)"
                )
            self.open_range = (ident, last)
            return None
        if "." in ident:
            word = ident.split(".", 1)[0]
            if int(word) != self.expected - 1:
                return f"empty node {ident} is not right after word {word}"
            return None
        if int(ident) != self.expected:
            return f"word ID {ident} out of order: expected {self.expected}"
        if self.open_range is not None and self.open_range[1] == self.expected:
            self.open_range = None
        self.expected += 1
        return None

    def end(self) -> str | None:
        """What is wrong once the sentence's last line is read (None: nothing)."""
        if self.open_range is None:
            return None
        return (
            f"range {self.open_range[0]} runs past the last word of the sentence "
            f"({self.expected - 1})"
        )


def check_columns(cols: list[str], number: int, path: Path) -> str:
    """Validate one token line's columns; return its kind: ``word``, ``mwt`` or ``empty``."""

    def fail(message: str, hint: str = COLUMNS_HINT) -> InputError:
        return InputError(message, path=path, line=number, hint=hint)

    if len(cols) != len(COLUMNS):
        raise fail(f"expected 10 tab-separated columns, found {len(cols)}")
    for name, value in zip(COLUMNS, cols, strict=True):
        if value == "":
            raise fail(f"column {name} is empty (write '_' for no value)")
        if "  " in value:
            raise fail(
                f"column {name} contains two spaces in a row ({value!r}), which CoNLL-U "
                "parsers read as a column separator"
            )
    ident, form, _lemma, upos, _xpos, feats, head = cols[:7]
    if WORD_ID.fullmatch(ident):
        kind = "word"
    elif RANGE_ID.fullmatch(ident):
        kind = "mwt"
    elif EMPTY_ID.fullmatch(ident):
        kind = "empty"
    else:
        raise fail(
            f"invalid ID {ident!r}",
            "The ID is a word number from 1 (3), a multiword-token range (3-4) or an empty "
            "node (3.1).",
        )
    if form.strip() != form:
        raise fail(f"FORM {form!r} starts or ends with a space")
    if upos != "_" and upos not in UPOS_TAGS:
        raise fail(
            f"invalid UPOS {upos!r}",
            "UPOS is one of the 17 Universal Dependencies tags ("
            + ", ".join(sorted(UPOS_TAGS))
            + ") or '_'; a language-specific tag belongs in XPOS (column 5).",
        )
    if feats != "_":
        for feature in feats.split("|"):
            if not FEATURE.fullmatch(feature):
                raise fail(
                    f"invalid FEATS {feats!r}: {feature!r} is not Name=Value",
                    "FEATS is '_' or features like Case=Nom|Gender=Fem|Number=Sing: "
                    "Name=Value pairs separated by '|', names and values in Latin letters "
                    "and digits.",
                )
    if not HEAD.fullmatch(head):
        raise fail(
            f"invalid HEAD {head!r}",
            "HEAD is the ID of the word's head (0 for the root) or '_'.",
        )
    return kind
