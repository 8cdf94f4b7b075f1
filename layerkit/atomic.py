"""Write-then-rename output files and folders, so a failed export or run never leaves a
partial one behind (and an earlier one stays intact until the new one is complete)."""

from __future__ import annotations

import ctypes
import glob
import os
import shutil
import socket
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from layerkit.errors import UsageError


@contextmanager
def atomic_output(path: Path, encoding: str = "utf-8") -> Iterator[TextIO]:
    """Open a temporary file beside ``path``; move it into place only if the block succeeds.

    The temporary file's name says who writes it (host and process id), so that the next
    writer of ``path`` removes the one a killed writer left (``remove_leftovers``): a killed
    ``layerkit tag`` would otherwise leave a partial copy of its output for good.

    A symbolic link is written through: the file it points to is replaced, the link stays (a
    rename onto the link replaced the link itself, and the file it named kept its old
    content). Something that is not a file (``/dev/stdout``, a pipe, a device) is written to
    directly, as any program writes to it: renaming onto it replaced the device with a file."""
    if is_special_file(path):
        with open(path, "w", encoding=encoding, newline="\n") as direct:
            yield direct
        return
    path = through_links(path)
    parent = path.resolve().parent
    if not parent.is_dir():
        raise UsageError(
            f"cannot write {path}: the folder {parent} does not exist.",
            hint=f"Create it first (mkdir -p {parent}), or give -o a path in a folder that exists.",
        )
    if path.is_dir():
        raise UsageError(
            f"cannot write {path}: it is a folder.",
            hint="Give -o a file's path (this output is one file), e.g. inside that folder.",
        )
    remove_leftovers(path)
    remove_abandoned(parent)
    owner = f"{socket.gethostname()}-{os.getpid()}"
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.{owner}.", suffix=".tmp", dir=parent)
    except OSError as exc:  # (named by the temporary file, which nobody asked for)
        raise UsageError(
            f"cannot write {path}: {exc.strerror or exc}.",
            hint=f"Check that {parent} is writable, with space left on its disk.",
            title="Cannot write",
        ) from exc
    os.fchmod(fd, umasked(0o666))  # mkstemp's file is private (0600): an output is not
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
    untouched. The caller checks that ``path`` may be replaced at all. A symbolic link to a
    folder is written through (the folder it points to is replaced; the link stays).
    """
    path = through_links(path)
    remove_leftovers(path)
    remove_abandoned(path.parent)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    owner = tmp / OWNER
    try:
        # mkdtemp makes the folder private (0700); an output folder gets the usual permissions.
        tmp.chmod(umasked(0o777))
        # (inside the try: on a full disk this write fails, and the folder must go too)
        owner.write_text(f"{socket.gethostname()} {os.getpid()}\n", encoding="utf-8")
        yield tmp
        for child in tmp.iterdir():
            if child.is_file() and child != owner:
                with child.open("rb") as handle:
                    os.fsync(handle.fileno())
        # The owner file goes last, just before the rename: a kill while the files were
        # synced (seconds for a big curriculum) left a complete folder without it, which no
        # other writer could tell for abandoned.
        owner.unlink()
        if not path.exists():
            os.replace(tmp, path)
        elif exchange(tmp, path):
            shutil.rmtree(tmp, ignore_errors=True)  # (the old folder, under the temporary name)
        else:
            # Two renames: a kill between them leaves no folder under ``path`` (the old one
            # is the .old beside it, the new one the .tmp), where the exchange leaves none.
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
            old.rmdir()
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one step (Linux's ``renameat2`` with ``RENAME_EXCHANGE``), so that
    neither is ever missing: False where the system or the file system cannot (the caller
    renames in two steps then)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False  # (a C library older than glibc 2.28)
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    renameat2.restype = ctypes.c_int
    done = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    return done == 0


@contextmanager
def atomic_folder(path: Path) -> Iterator[Path]:
    """For exporters writing a folder: yield an empty temporary folder that replaces ``path``
    only if the block succeeds (see :func:`replace_directory`). ``path`` may be missing, an
    empty folder or one written before through this function (it holds :data:`FOLDER_MARK`);
    a file, or a folder of other files, is refused before anything is written: replacing
    ``-o some/folder`` deleted whatever was in it (a store, notes)."""
    parent = path.resolve().parent
    if not parent.is_dir():
        raise UsageError(
            f"cannot write {path}: the folder {parent} does not exist.",
            hint=f"Create it first (mkdir -p {parent}), or give -o a path in a folder that exists.",
        )
    if path.exists() and not path.is_dir():
        raise UsageError(
            f"cannot write the folder {path}: it is a file.",
            hint="Give -o a new or empty folder's path (this output is a folder of files).",
        )
    if path.is_dir() and any(path.iterdir()):
        if not (path / FOLDER_MARK).is_file():
            raise UsageError(
                f"{path} is a folder with other files in it; not replacing it.",
                hint="Give a new or empty folder, or one an earlier export wrote.",
            )
        refuse_files_added(path, _marked_names(path / FOLDER_MARK))
    with replace_directory(path) as tmp:
        yield tmp
        names = sorted(child.name for child in tmp.iterdir() if child.name != OWNER)
        (tmp / FOLDER_MARK).write_text(
            "Written by a layerkit export: the next export to this folder replaces it whole\n"
            "(and refuses to while it holds a file the export did not write). It wrote:\n"
            + "".join(f"{_LISTED}{name}\n" for name in names),
            encoding="utf-8",
        )


_LISTED = "  - "


def _marked_names(mark: Path) -> set[str] | None:
    """The names an earlier :func:`atomic_folder` wrote, from its mark; None for a mark that
    lists none (written before the marks listed them: anything in the folder may go)."""
    text = mark.read_text(encoding="utf-8", errors="replace")
    if "It wrote:" not in text:
        return None
    return {line.removeprefix(_LISTED) for line in text.splitlines() if line.startswith(_LISTED)}


def refuse_files_added(path: Path, written: set[str] | None) -> None:
    """Refuse to replace the folder ``path`` an earlier export wrote (``written``: the names
    it wrote there; None: not known) while it holds files that export did not write: a user's
    own files put in beside the export's (brat's ``annotation.conf``, notes, a training
    script) were deleted with it."""
    if written is None:
        return
    added = sorted(
        child.name for child in path.iterdir() if child.name not in written | {FOLDER_MARK}
    )
    if added:
        shown = ", ".join(added[:5]) + (f" and {len(added) - 5} more" if len(added) > 5 else "")
        raise UsageError(
            f"{path} was written by an earlier export, but it now also holds {shown}, which "
            "the export did not write; not replacing it.",
            hint="An export replaces its folder whole: move those files out of it, or write "
            "to another folder.",
        )


def through_links(path: Path) -> Path:
    """``path``, or where it leads if it is a symbolic link (a chain of them, a relative one,
    or one to a file not yet there): the path to write so that the links stay links."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def dash_as_stdout(path: Path) -> Path:
    """``-o -``: ``-`` is the usual name of standard output (written as a file named ``-``)."""
    return Path("/dev/stdout") if str(path) == "-" else path


def is_special_file(path: Path) -> bool:
    """Whether ``path`` (through links) is there and is neither a file nor a folder: a
    device, a pipe, a socket, a terminal."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


#: in a folder an export wrote with :func:`atomic_folder`: the next export may replace it
FOLDER_MARK = ".layerkit-export"

#: inside a folder being written: who writes it (host and process id), so that the folder of a
#: killed run can be told from one that is still being written
OWNER = ".layerkit-owner"


def umasked(mode: int) -> int:
    """``mode`` as the process's umask leaves it (what ``open`` would create)."""
    umask = os.umask(0)
    os.umask(umask)
    return mode & ~umask


def honour_umask(folder: Path) -> None:
    """Give the files and folders under ``folder`` the modes the umask gives new ones:
    libraries write some private (safetensors makes its files 0600, as ``mkstemp`` does), and
    a team's model folder is read by others (issue 15: outputs honour the umask)."""
    file_mode, folder_mode = umasked(0o666), umasked(0o777)
    for root, folders, files in os.walk(folder):
        for name in folders:
            if not os.path.islink(os.path.join(root, name)):
                os.chmod(os.path.join(root, name), folder_mode)
        for name in files:
            if not os.path.islink(os.path.join(root, name)):
                os.chmod(os.path.join(root, name), file_mode)


def remove_leftovers(path: Path) -> list[Path]:
    """Remove the temporary folders and files a killed writer of ``path`` left beside it
    (``.NAME.*.tmp`` and ``.NAME.*.old``: hundreds of MB for a curriculum, a partial copy of
    a tagged file), and return them. One whose writer is still running on this host, or that
    was written from another host, is kept; so is a file that does not name its writer (an
    older layerkit's: it cannot be told from one being written)."""
    removed: list[Path] = []
    if not path.parent.is_dir():
        return removed
    host = socket.gethostname()
    name = glob.escape(path.name)
    for pattern in (f".{name}.*.tmp", f".{name}.*.old"):
        for leftover in path.parent.glob(pattern):
            if leftover.is_symlink():
                continue
            if leftover.is_dir():
                # no owner: written by a writer that is gone (this output's name says it is ours)
                if _writer_gone(leftover, host) is not False:
                    shutil.rmtree(leftover, ignore_errors=True)
                    removed.append(leftover)
            elif leftover.is_file() and _named_writer_gone(leftover.name, host):
                leftover.unlink(missing_ok=True)
                removed.append(leftover)
    return removed


def remove_abandoned(folder: Path) -> list[Path]:
    """Remove the temporary folders and files that killed writers of *any* output left in
    ``folder`` (a folder ``.NAME.*.tmp`` holding :data:`OWNER`, a file
    ``.NAME.HOST-PID.XXXX.tmp``; its writer a process of this host that is gone), and return
    them: a curriculum export killed with ``-o cur-1`` left hundreds of MB that only another
    export to ``cur-1`` removed, a killed ``export jsonl -o a.jsonl`` a partial copy that only
    another export to ``a.jsonl`` did. A folder without the owner file, or a file that does
    not name its writer, is not known to be layerkit's and is kept."""
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    host = socket.gethostname()
    for leftover in folder.glob(".*.tmp"):
        if leftover.is_symlink():
            continue
        if leftover.is_dir() and _writer_gone(leftover, host):
            shutil.rmtree(leftover, ignore_errors=True)
            removed.append(leftover)
        elif leftover.is_file() and _named_writer_gone(leftover.name, host):
            leftover.unlink(missing_ok=True)
            removed.append(leftover)
    return removed


def _named_writer_gone(name: str, host: str) -> bool:
    """Whether a temporary file's ``name`` (``.NAME.HOST-PID.XXXX.tmp``, whatever NAME is)
    names a writer on this host that is gone."""
    stem, _, _random = name.removesuffix(".tmp").rpartition(".")
    writer, _, pid = stem.rpartition("-")
    return writer.endswith(f".{host}") and pid.isdigit() and not _running(int(pid))


def _writer_gone(folder: Path, host: str) -> bool | None:
    """Whether the writer :data:`OWNER` in ``folder`` names is a process of this host that is
    gone (False: still running, or on another host); None where it names none."""
    try:
        their_host, pid = (folder / OWNER).read_text(encoding="utf-8").split()
        return their_host == host and not _running(int(pid))
    except (OSError, ValueError):
        return None


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return pid != 0
