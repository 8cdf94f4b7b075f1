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
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

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
        raise UsageError(f"cannot write {out}: the folder {parent} does not exist.")
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
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=parent))
    # mkdtemp makes the folder private (0700); a curriculum gets the usual permissions.
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)
    try:
        yield tmp
        _fsync_dir(tmp)
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=parent))
            old.rmdir()
            os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _fsync_dir(path: Path) -> None:
    for child in path.iterdir():
        with child.open("rb") as handle:
            os.fsync(handle.fileno())


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dump_line(record: dict[str, Any]) -> bytes:
    return (_ENCODER.encode(record) + "\n").encode("utf-8")


class Lengths:
    """Exact distribution of lengths in flat memory: a counter of distinct values."""

    def __init__(self) -> None:
        self.counts: Counter[int] = Counter()

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


class JsonlWriter:
    """One stage file: counts, hashes and measures what it writes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[bytes] = path.open("wb")
        self._sha = hashlib.sha256()
        self.records = 0
        self.bytes = 0
        self.chars: dict[str, Lengths] = {}
        self.words: dict[str, Lengths] = {}

    def write(self, record: dict[str, Any], parts: dict[str, str]) -> None:
        line = dump_line(record)
        self._handle.write(line)
        self._sha.update(line)
        self.records += 1
        self.bytes += len(line)
        for name, text in parts.items():
            self.chars.setdefault(name, Lengths()).add(len(text))
            self.words.setdefault(name, Lengths()).add(len(text.split()))

    def close(self) -> None:
        self._handle.flush()
        self._handle.close()

    def describe(self) -> dict[str, Any]:
        return {
            "path": self.path.name,
            "records": self.records,
            "bytes": self.bytes,
            "sha256": self._sha.hexdigest(),
        }

    def length_stats(self) -> dict[str, Any]:
        return {
            "chars": {name: lengths.summary() for name, lengths in sorted(self.chars.items())},
            "words": {name: lengths.summary() for name, lengths in sorted(self.words.items())},
        }
