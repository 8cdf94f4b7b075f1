"""Where each annotator was in each store, so the next session opens there.

Kept in a small JSON file in the user's state folder (``$XDG_STATE_HOME/layerkit``), keyed by
store URL and annotator, because the store has no place for per-person UI state yet. When the
file knows nothing (another machine, first run), the annotator's last edit in the store's event
log says where they were (``queries.last_position``). Losing this file loses nothing but a
cursor position, so reading it never fails loudly.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from layerkit.atomic import atomic_output
from layerkit.errors import LayerkitError


@dataclass(frozen=True)
class Position:
    paragraph_id: int
    layer: str


def default_path() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "layerkit" / "positions.json"


def load(path: Path, store_url: str, annotator: str) -> Position | None:
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))[store_url][annotator]
        return Position(int(entry["paragraph_id"]), str(entry["layer"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save(path: Path, store_url: str, annotator: str, position: Position) -> None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            data = {}
    except (OSError, ValueError):
        data = {}
    data.setdefault(store_url, {})[annotator] = {
        "paragraph_id": position.paragraph_id,
        "layer": position.layer,
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_output(path) as handle:
            json.dump(data, handle, ensure_ascii=False, indent=1)
    except (OSError, LayerkitError):
        # A read-only home must not stop anyone from annotating; only the position is lost.
        return
