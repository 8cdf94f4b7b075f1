"""Checkpoints that survive ``kill -9`` at any instant.

A checkpoint is a folder ``checkpoints/sNN-stepNNNNNN-*/`` written completely before
``checkpoints/latest.json`` is atomically replaced to point at it; older folders are deleted only
after that. So at every instant ``latest.json`` names a complete checkpoint (or does not exist,
and the run starts over). A checkpoint holds the trainable weights, optimizer and scheduler
states, every process's RNG states and the loss history; the data order is not saved because it
is a function of the seed (see :mod:`layerkit.train.batching`): the step number is the position.
The same write-then-rename rule covers every other file a run writes (:func:`atomic_write`,
:func:`atomic_dir`).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from layerkit import strict_json
from layerkit.atomic import remove_leftovers, replace_directory, umasked

POINTER = "latest.json"


def atomic_write(path: Path, data: bytes | str) -> None:
    """Replace ``path`` with ``data`` in one step (a reader sees the old or the new file).

    The temporary file names its writer as ``atomic_output``'s does, so that the next write
    of any file beside it removes it once its writer is gone: a run killed while writing
    ``run.json`` left ``.run.json.XXXXXXXX``, which no one removed and which made the run's
    folder "a folder with other files in it" to a new run."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    remove_leftovers(path)
    owner = f"{socket.gethostname()}-{os.getpid()}"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{owner}.", suffix=".tmp", dir=path.parent)
    os.fchmod(fd, umasked(0o666))  # mkstemp's file is private (0600): an output is not
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, data: Any) -> None:
    """``data`` as strict JSON (a loss with no value is ``null``, not ``NaN``), atomically."""
    atomic_write(path, strict_json.dumps(data) + "\n")


@contextmanager
def atomic_dir(path: Path) -> Iterator[Path]:
    """Yield an empty folder that replaces ``path`` once the block has filled it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with replace_directory(path) as tmp:
        yield tmp


@dataclass(frozen=True)
class Position:
    """Where a run stands: ``stage`` (0-based) trained for ``step`` steps; ``done`` once the
    stage's adapter, metrics and scores are written."""

    stage: int
    step: int
    done: bool
    folder: str

    def to_dict(self) -> dict[str, Any]:
        return {"stage": self.stage, "step": self.step, "done": self.done, "folder": self.folder}


class Checkpoints:
    """The ``checkpoints/`` folder of a run."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def latest(self) -> Position | None:
        pointer = self.root / POINTER
        if not pointer.is_file():
            return None
        data = json.loads(pointer.read_text(encoding="utf-8"))
        return Position(
            int(data["stage"]), int(data["step"]), bool(data["done"]), str(data["folder"])
        )

    def folder(self, position: Position) -> Path:
        return self.root / position.folder

    def new_folder(self, stage: int, step: int) -> Path:
        """A new empty folder for the checkpoint at ``stage``/``step``; the name is unique, so
        writing it never touches the checkpoint ``latest.json`` points at."""
        self.root.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=f"s{stage:02d}-step{step:06d}-", dir=self.root))
        folder.chmod(umasked(0o777))  # (mkdtemp's folder is private, 0700)
        return folder

    def commit(self, position: Position) -> None:
        """Point ``latest.json`` at ``position``, then delete every other checkpoint folder."""
        write_json(self.root / POINTER, position.to_dict())
        for child in self.root.iterdir():
            if child.is_dir() and child.name != position.folder:
                shutil.rmtree(child, ignore_errors=True)


def rng_state() -> dict[str, Any]:
    import torch

    state: dict[str, Any] = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    import torch

    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
