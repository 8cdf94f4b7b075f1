"""Write-then-rename output files and folders, so a failed export or run never leaves a
partial one behind (and an earlier one stays intact until the new one is complete)."""

from __future__ import annotations

import os
import shutil
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


@contextmanager
def replace_directory(path: Path) -> Iterator[Path]:
    """Yield an empty folder beside ``path`` that takes its place once the block has filled it.

    The files are synced before the rename, so after a crash ``path`` is either the old folder
    or the complete new one. If the block fails the temporary folder is removed and ``path`` is
    untouched. The caller checks that ``path`` may be replaced at all.
    """
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    # mkdtemp makes the folder private (0700); an output folder gets the usual permissions.
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)
    try:
        yield tmp
        for child in tmp.iterdir():
            if child.is_file():
                with child.open("rb") as handle:
                    os.fsync(handle.fileno())
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
            old.rmdir()
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
