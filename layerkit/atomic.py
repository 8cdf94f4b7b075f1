"""Write-then-rename output files, so a failed export never leaves a partial file behind."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from layerkit.errors import UsageError


@contextmanager
def atomic_output(path: Path, encoding: str = "utf-8") -> Iterator[TextIO]:
    """Open a temporary file beside ``path``; move it into place only if the block succeeds."""
    parent = path.resolve().parent
    if not parent.is_dir():
        raise UsageError(f"cannot write {path}: the folder {parent} does not exist.")
    if path.is_dir():
        raise UsageError(f"cannot write {path}: it is a folder.")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="\n") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
