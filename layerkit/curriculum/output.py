"""Writing a curriculum directory: all or nothing, hashed and measured as it streams.

The directory is built under a temporary name beside the target and renamed into place at the
end, so a failed or interrupted export leaves no partial curriculum (and a previous one stays
intact until the new one is complete). Files are written line by line; their sha256 and
length statistics are computed on the way, so nothing is held or read back.
"""

from __future__ import annotations

import hashlib
import json
import math
import mmap
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path
from typing import IO, Any, NamedTuple

import orjson

from layerkit.atomic import refuse_files_added, replace_directory
from layerkit.errors import UsageError

MANIFEST = "manifest.json"


@contextmanager
def atomic_directory(out: Path) -> Iterator[Path]:
    """Yield an empty temporary directory that replaces ``out`` only if the block succeeds.

    ``out`` may be missing, empty, or an earlier curriculum (it has a manifest.json); anything
    else is refused before any work, so an export never deletes a folder of other files.
    """
    parent = out.resolve().parent
    if not parent.is_dir():
        raise UsageError(
            f"cannot write {out}: the folder {parent} does not exist.",
            hint=f"Create it first (mkdir -p {parent}), or give -o a path in a folder that exists.",
        )
    if out.exists():
        if not out.is_dir():
            raise UsageError(
                f"cannot write the curriculum to {out}: it is a file.",
                hint="Give a folder name with -o.",
            )
        if any(out.iterdir()) and not (out / MANIFEST).is_file():
            raise UsageError(
                f"{out} is a folder with other files in it; not replacing it.",
                hint="Give a new or empty folder, or an earlier curriculum folder to replace.",
            )
        if (out / MANIFEST).is_file():
            refuse_files_added(out, _curriculum_files(out / MANIFEST))
    with replace_directory(out) as tmp:
        yield tmp


def _curriculum_files(manifest: Path) -> set[str] | None:
    """The names an earlier export wrote in a curriculum folder: the manifest, the dataset
    card and the files the manifest lists; None where the manifest cannot be read as one."""
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        names = {MANIFEST, "README.md"}
        for stage in data["stages"]:
            names.update(Path(info["path"]).name for info in stage["files"].values())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return names


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS


def dump_json(value: Any) -> bytes:
    """Compact JSON in UTF-8, as ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``
    writes it for what records hold (strings escaped alike: tested over every code point up to
    U+3000 and beyond the BMP), made by orjson at a tenth of the cost. A value orjson refuses
    (an integer past 64 bits, a type it does not know) goes through :mod:`json`; NaN and
    infinities become ``null`` (they are not JSON, and trainers' readers refuse them)."""
    try:
        return orjson.dumps(value, option=_ORJSON_OPTIONS)
    except (TypeError, orjson.JSONEncodeError):
        return _ENCODER.encode(value).encode("utf-8")


def dump_line(record: dict[str, Any]) -> bytes:
    return dump_json(record) + b"\n"


class Text(NamedTuple):
    """A string as a JSON line holds it (escaped, without quotes, UTF-8), with its length in
    code points and words: what :func:`chat_line` splices and the manifest's lengths count.

    JSON escapes character by character and a whitespace separator ends a word, so the Text of
    strings joined by whitespace is their Texts joined (:func:`join_texts`): a paragraph's long
    parts (the gold context of the lower layers) are escaped, encoded and measured once, not in
    every record that shows them.
    """

    json: bytes
    chars: int
    words: int
    utf8: int  # bytes of the string in UTF-8 (what the token estimate reads)

    def decoded(self) -> str:
        """The string itself (JSON's escapes undone)."""
        return str(json.loads(b'"' + self.json + b'"'))


def text(value: str) -> Text:
    return Text(
        dump_json(value)[1:-1],
        len(value),
        len(value.split()),
        len(value.encode("utf-8")),
    )


def join_texts(parts: Sequence[Text], separator: Text) -> Text:
    """The Text of the parts' strings joined by ``separator``, which must be whitespace."""
    if len(parts) == 3:  # a record's user message (context, material, question): added up
        a, b, c = parts
        return Text(
            separator.json.join((a.json, b.json, c.json)),
            a.chars + b.chars + c.chars + 2 * separator.chars,
            a.words + b.words + c.words,
            a.utf8 + b.utf8 + c.utf8 + 2 * separator.utf8,
        )
    if not parts:
        return Text(b"", 0, 0, 0)
    jsons, chars, words, utf8 = zip(*parts, strict=True)  # (columns: summed in C)
    gaps = len(parts) - 1
    return Text(
        separator.json.join(jsons),
        sum(chars) + separator.chars * gaps,
        sum(words),
        sum(utf8) + separator.utf8 * gaps,
    )


_CHAT = (
    b'{"messages":[{"role":"system","content":"',
    b'"},{"role":"user","content":"',
    b'"},{"role":"assistant","content":"',
    b'"}],"meta":',
    b"}\n",
)


def chat_line(system: bytes, user: bytes, answer: bytes, meta: dict[str, Any]) -> bytes:
    """``dump_line({"messages": [system, user, assistant messages], "meta": meta})`` from the
    escaped contents (:attr:`Text.json`), without encoding them again (tested equal)."""
    meta_json = dump_json(meta)
    return b"".join(
        [_CHAT[0], system, _CHAT[1], user, _CHAT[2], answer, _CHAT[3], meta_json, _CHAT[4]]
    )


class Lengths:
    """Exact distribution of lengths in flat memory: a counter of distinct values."""

    def __init__(self, counts: Counter[int] | None = None) -> None:
        self.counts: Counter[int] = Counter() if counts is None else counts

    def add(self, value: int) -> None:
        self.counts[value] += 1

    def summary(self) -> dict[str, float | int]:
        n = sum(self.counts.values())
        if n == 0:
            return {"min": 0, "mean": 0, "p50": 0, "p95": 0, "max": 0}
        values = sorted(self.counts)
        total = sum(v * c for v, c in self.counts.items())
        return {
            "min": values[0],
            "mean": round(total / n, 1),
            "p50": self._quantile(values, n, 0.5),
            "p95": self._quantile(values, n, 0.95),
            "max": values[-1],
        }

    def _quantile(self, values: list[int], n: int, q: float) -> int:
        rank = max(1, math.ceil(q * n))
        seen = 0
        for value in values:
            seen += self.counts[value]
            if seen >= rank:
                return value
        return values[-1]


class Chunk:
    """Consecutive lines of one file, encoded away from its writer (in a worker process): the
    bytes (in memory, or a stretch of a part file once :meth:`spilled <spill>`), how many
    records, and the lengths of their parts (:meth:`JsonlWriter.write_chunk`)."""

    def __init__(self) -> None:
        self._lines: list[bytes] = []
        self._data = b""
        self.records = 0
        self.lengths = LengthCounts()
        #: ``(path, offset, size)`` of the lines in a part file, once spilled
        self.part: tuple[str, int, int] | None = None

    @property
    def data(self) -> bytes:
        """The lines, one after the other (joined once; read back from a part file)."""
        if self.part is not None:
            path, offset, size = self.part
            with open(path, "rb") as handle:
                handle.seek(offset)
                return handle.read(size)
        if self._lines:
            self._data = b"".join([self._data, *self._lines])
            self._lines = []
        return self._data

    def add(self, line: bytes, lengths: Sequence[PartLength]) -> None:
        self._lines.append(line)
        self.records += 1
        self.lengths.add(lengths)

    def spill(self, handle: IO[bytes], path: str) -> None:
        """Write the lines at the end of the part file ``handle`` (named ``path``) and keep only
        where they are: the writer copies them from there (:meth:`JsonlWriter.write_chunk`)."""
        data = self.data
        offset = handle.tell()
        handle.write(data)
        self.part = (path, offset, len(data))
        self._data, self._lines = b"", []

    def __getstate__(self) -> dict[str, Any]:
        self.lengths.fold()  # sent to the parent process: counted, not pending
        data = b"" if self.part is not None else self.data
        return {**self.__dict__, "_lines": [], "_data": data}


# ``(part, chars, words, tokens)`` of a part of a record (prompt, answer, record; for preference
# pairs prompt, chosen, rejected, record).
PartLength = tuple[str, int, int, int]
UNITS = ("chars", "words", "tokens")


class LengthCounts:
    """How often each part of the records (prompt, answer, ...) has each length in each unit:
    ``counts[unit][part]`` is a Counter of lengths, exact in flat memory.

    Records are counted a few thousand at a time: the records of one file have the same parts
    in the same order, so each part's lengths in each unit are one slice of the pending values,
    counted by ``Counter.update`` in C (counting them one by one cost a twentieth of an
    export).
    """

    FOLD = 4096  # parts kept before they are counted

    def __init__(self) -> None:
        self.counts: dict[str, dict[str, Counter[int]]] = {}
        self._pending: list[PartLength] = []
        self._width = 0  # parts per record of the pending ones

    def add(self, lengths: Sequence[PartLength]) -> None:
        """Count one record's ``(part, chars, words, tokens)`` of each part."""
        if len(lengths) != self._width:
            self.fold()
            self._width = len(lengths)
        self._pending.extend(lengths)
        if len(self._pending) >= self.FOLD:
            self.fold()

    def fold(self) -> None:
        """Count the pending lengths."""
        pending, width = self._pending, self._width
        if not pending:
            return
        self._pending = []
        columns = [pending[slot::width] for slot in range(width)]
        names = [set(map(itemgetter(0), column)) for column in columns]
        if any(len(found) != 1 for found in names):  # parts in another order: one by one
            for name, *values in pending:
                for unit, value in zip(UNITS, values, strict=True):
                    self._counter(unit, name)[value] += 1
            return
        for (name,), column in zip(names, columns, strict=True):
            for index, unit in enumerate(UNITS, start=1):
                self._counter(unit, name).update(map(itemgetter(index), column))

    def merge(self, other: LengthCounts) -> None:
        """Add the counts of ``other`` (another stretch of the same file)."""
        other.fold()
        self.fold()
        for unit, parts in other.counts.items():
            for name, counted in parts.items():
                self._counter(unit, name).update(counted)

    def by_unit(self) -> dict[str, dict[str, Counter[int]]]:
        self.fold()
        return self.counts

    def _counter(self, unit: str, name: str) -> Counter[int]:
        per_unit = self.counts.get(unit)
        if per_unit is None:
            per_unit = self.counts[unit] = {}
        counted = per_unit.get(name)
        if counted is None:
            counted = per_unit[name] = Counter()
        return counted


def _copy_file_range(source: int, target: int, offset: int, size: int) -> int:
    """Copy up to ``size`` bytes at ``offset`` of ``source`` to ``target``'s position, in the
    kernel (Linux); how many were copied (0 where the system or file system cannot)."""
    copy = getattr(os, "copy_file_range", None)
    copied = 0
    if copy is None:
        return 0
    try:
        while copied < size:
            done = copy(source, target, size - copied, offset + copied)
            if done <= 0:
                break
            copied += done
    except OSError:
        pass  # (another file system, an old kernel: the rest is written the usual way)
    return copied


class JsonlWriter:
    """One stage file: counts, hashes and measures what it writes.

    Lines are gathered into chunks of :data:`CHUNK` bytes, each hashed and written with one
    call (a record is a few KB, so writing and hashing it alone costs mostly call overhead).
    """

    CHUNK = 1 << 18
    #: bytes after which what was written is handed to the disk (see :meth:`_write`)
    WRITEBACK = 1 << 24

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[bytes] = path.open("wb")
        self._sha = hashlib.sha256()
        self._chunk = bytearray()
        self._end = 0  # bytes written to the file
        self._written_back = 0  # of those, the ones handed to the disk
        self.records = 0
        self.bytes = 0
        self.lengths = LengthCounts()

    def write_line(self, line: bytes, lengths: Sequence[PartLength]) -> None:
        """Write an encoded record; ``lengths`` are ``(part, chars, words, tokens)`` of its
        parts."""
        chunk = self._chunk
        chunk += line
        if len(chunk) >= self.CHUNK:
            self._flush()
        self.records += 1
        self.bytes += len(line)
        self.lengths.add(lengths)

    def write_chunk(self, chunk: Chunk) -> None:
        """Write lines encoded elsewhere, after those written so far."""
        self._flush()
        if chunk.part is not None:
            size = self._copy_part(*chunk.part)
        else:
            data = chunk.data
            self._sha.update(data)
            self._write(data)
            size = len(data)
        self.records += chunk.records
        self.bytes += size
        self.lengths.merge(chunk.lengths)

    def _copy_part(self, path: str, offset: int, size: int) -> int:
        """Append ``size`` bytes at ``offset`` of the part file ``path``: hashed where they lie
        (mapped, not read) and copied file to file by the kernel (``copy_file_range``), so they
        never pass through this process's memory; written from the mapping where the kernel
        cannot copy them."""
        if size == 0:
            return 0
        self._handle.flush()
        fd = os.open(path, os.O_RDONLY)
        try:
            start = offset - offset % mmap.ALLOCATIONGRANULARITY
            with mmap.mmap(fd, offset + size - start, access=mmap.ACCESS_READ, offset=start) as m:
                view = memoryview(m)[offset - start :]
                try:
                    self._sha.update(view)
                    copied = _copy_file_range(fd, self._handle.fileno(), offset, size)
                    self._handle.seek(self._end + copied)  # (the file's offset moved: resync)
                    self._write(view[copied:], already=copied)
                finally:
                    view.release()
        finally:
            os.close(fd)
        return size

    def _flush(self) -> None:
        if self._chunk:
            self._sha.update(self._chunk)
            self._write(self._chunk)
            self._chunk.clear()

    def _write(self, data: bytes | bytearray | memoryview, already: int = 0) -> None:
        """Write ``data``; every :data:`WRITEBACK` bytes, start writing the file to disk.

        The folder is synced before it replaces the old one (:func:`atomic_directory`): left
        to the end, that sync waited for every byte at once (0.4-0.5 s of a 10k-paragraph
        export's 10 s here, with nothing else to do). ``POSIX_FADV_DONTNEED`` on Linux starts
        the write-back of the range without waiting for it, so the disk works while records
        are made; pages still being written stay cached. Elsewhere this does nothing.
        """
        if len(data):
            self._handle.write(data)
        self._end += already + len(data)  # (``already``: bytes put in the file by the kernel)
        pending = self._end - self._written_back
        if pending >= self.WRITEBACK and hasattr(os, "posix_fadvise"):
            self._handle.flush()
            fd = self._handle.fileno()
            os.posix_fadvise(fd, self._written_back, pending, os.POSIX_FADV_DONTNEED)
            self._written_back = self._end

    def close(self) -> None:
        try:
            self._flush()
            self._handle.flush()
        finally:
            self._handle.close()

    def describe(self) -> dict[str, Any]:
        return {
            "path": self.path.name,
            "records": self.records,
            "bytes": self.bytes,
            "sha256": self._sha.hexdigest(),
        }

    def length_stats(self) -> dict[str, Any]:
        counts = self.lengths.by_unit()
        return {
            unit: {name: Lengths(c).summary() for name, c in sorted(counts.get(unit, {}).items())}
            for unit in UNITS
        }
