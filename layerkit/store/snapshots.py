"""Per-paragraph snapshots of the shared layers' annotations, for whole-corpus readers (SQLite).

Why: an export reads every annotation of every paragraph, and on SQLite most of its reading
time is the driver making one Python object per cell (14 cells a row, ~140 rows a paragraph:
about 0.45 ms a paragraph, a third of an export). A paragraph's shared annotations kept as one
JSON document as well cost one cell and one ``orjson.loads`` (about 0.09 ms).

How they stay true, whoever writes:

- Triggers on ``annotations`` delete a paragraph's snapshot in the same statement as any
  insert, update or delete of one of its shared rows (also rows that a cascade removes), and
  note the paragraph in ``annotation_snapshots_stale``. A snapshot that exists is therefore
  never older than the rows: it is made from them, and any later change deletes it.
- Before a write transaction commits, :func:`refresh` makes the snapshots of the paragraphs
  noted in it again, from the rows as they are then, and empties the note (one paragraph
  after an edit: a read of its rows, ~0.5 ms). The engine calls it for every write transaction
  (``engine.py``), so a writer cannot forget it.
- A reader uses a paragraph's snapshot where there is one and reads its rows where there is
  not (:func:`read`), so a missing or unreadable snapshot costs speed, never correctness.

Private copies of double annotation (``layer@annotator``) are not in snapshots: exports do not
read them. PostgreSQL has none of this; its reads are of rows (the server's driver makes the
cells, and nothing here would be faster there).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any

import orjson

from layerkit.model import Annotation
from layerkit.store.copies import SEPARATOR

TABLE = "annotation_snapshots"
STALE_TABLE = "annotation_snapshots_stale"

# A shared layer's name has no SEPARATOR; SQLite's instr() is 0 where it is absent.
_SHARED_NEW = f"instr(new.layer, '{SEPARATOR}') = 0"
_SHARED_OLD = f"instr(old.layer, '{SEPARATOR}') = 0"


def _stale(row: str) -> str:
    return (
        f"DELETE FROM {TABLE} WHERE paragraph_id = {row}.paragraph_id; "
        f"INSERT OR IGNORE INTO {STALE_TABLE} (paragraph_id) VALUES ({row}.paragraph_id); "
    )


DDL = [
    # paragraph_id as the rowid: a snapshot is found by the table's own b-tree, in id order.
    f"CREATE TABLE {TABLE} (paragraph_id INTEGER PRIMARY KEY "
    "REFERENCES paragraphs (id) ON DELETE CASCADE, rows BLOB NOT NULL)",
    f"CREATE TABLE {STALE_TABLE} (paragraph_id INTEGER PRIMARY KEY)",
    f"CREATE TRIGGER {TABLE}_ai AFTER INSERT ON annotations WHEN {_SHARED_NEW} "
    f"BEGIN {_stale('new')}END",
    f"CREATE TRIGGER {TABLE}_ad AFTER DELETE ON annotations WHEN {_SHARED_OLD} "
    f"BEGIN {_stale('old')}END",
    f"CREATE TRIGGER {TABLE}_au AFTER UPDATE ON annotations "
    f"WHEN {_SHARED_OLD} OR {_SHARED_NEW} BEGIN {_stale('old')}{_stale('new')}END",
]

# The columns of a snapshot's rows: Annotation's fields but the layer, which keys them.
_FIELDS = [name for name in Annotation._fields if name != "layer"]
_ATTRS = _FIELDS.index("attrs")
_CONFIDENCE = _FIELDS.index("confidence")
_ROWS_OF = (
    "SELECT paragraph_id, layer, "
    + ", ".join(f'"{name}"' for name in _FIELDS)
    + f" FROM annotations WHERE paragraph_id IN ({{marks}}) AND {_SHARED_NEW.replace('new.', '')}"
    " ORDER BY paragraph_id, layer, id"
)
_BATCH = 500  # paragraphs refreshed per query (SQLite allows 32,766 parameters)


def refresh(driver: Any) -> int:
    """Make again the snapshots of the paragraphs changed in the open transaction of
    ``driver`` (a ``sqlite3`` connection); returns how many were made.

    Called inside the transaction, just before it commits. A paragraph whose rows cannot be
    written as JSON (a value orjson refuses, an infinite confidence) gets no snapshot: readers
    read its rows.
    """
    stale = [row[0] for row in driver.execute(f"SELECT paragraph_id FROM {STALE_TABLE}")]
    if not stale:
        return 0
    made = 0
    for start in range(0, len(stale), _BATCH):
        ids = stale[start : start + _BATCH]
        existing = {
            row[0]
            for row in driver.execute(f"SELECT id FROM paragraphs WHERE id IN ({_marks(ids)})", ids)
        }
        rows = driver.execute(_ROWS_OF.format(marks=_marks(ids)), ids).fetchall()
        snapshots = [(pid, blob) for pid, blob in _encode(rows, existing) if blob is not None]
        driver.executemany(
            f"INSERT OR REPLACE INTO {TABLE} (paragraph_id, rows) VALUES (?, ?)", snapshots
        )
        made += len(snapshots)
    driver.execute(f"DELETE FROM {STALE_TABLE}")
    return made


def _marks(ids: Sequence[int]) -> str:
    return ",".join("?" * len(ids))


def _encode(rows: Sequence[Any], paragraph_ids: Iterable[int]) -> list[tuple[int, bytes | None]]:
    """The snapshot of each paragraph of ``paragraph_ids`` (``{layer: [row, ...]}``, rows in id
    order) from its shared rows (ordered by paragraph, layer and id); None where it cannot be
    written."""
    grouped: dict[int, dict[str, list[list[Any]]]] = {pid: {} for pid in paragraph_ids}
    fragment = orjson.Fragment
    for row in rows:
        layers = grouped.get(row[0])
        if layers is None:
            continue  # (the paragraph is gone: its snapshot went with it)
        values = list(row[2:])
        attrs = values[_ATTRS]
        # A JSON text that starts with "{" can only be an object (or no JSON at all, which
        # makes the snapshot unreadable: its rows are read instead); anything else reads as {}.
        is_object = isinstance(attrs, str | bytes) and attrs.lstrip()[:1] in ("{", b"{")
        values[_ATTRS] = fragment(attrs if is_object else "{}")
        layers.setdefault(row[1], []).append(values)
    encoded: list[tuple[int, bytes | None]] = []
    for pid, layers in grouped.items():
        try:
            if any(_not_finite(v[_CONFIDENCE]) for rows_ in layers.values() for v in rows_):
                raise TypeError("a confidence JSON cannot hold")
            encoded.append((pid, orjson.dumps(layers)))
        except (TypeError, orjson.JSONEncodeError):
            encoded.append((pid, None))
    return encoded


def _not_finite(value: Any) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


_new = partial(tuple.__new__, Annotation)


def decode(
    blob: bytes | str, layers: Iterable[str] | None = None
) -> dict[str, list[Annotation]] | None:
    """The annotations of ``layers`` (None: every layer) in a snapshot, as the row reader
    makes them (layers in name order, as it reads them); None if the snapshot cannot be read."""
    try:
        stored = orjson.loads(blob)
        wanted = stored.keys() if layers is None else set(layers)
        return {
            layer: [_new((r[0], layer, *r[1:])) for r in rows]
            for layer, rows in stored.items()
            if layer in wanted and rows
        }
    except (ValueError, TypeError, AttributeError):
        return None


def read(driver: Any, paragraph_ids: Sequence[int]) -> dict[int, bytes]:
    """The snapshots there are of ``paragraph_ids``, undecoded (:func:`decode` them)."""
    found: dict[int, bytes] = {}
    for start in range(0, len(paragraph_ids), _BATCH):
        ids = list(paragraph_ids[start : start + _BATCH])
        found.update(
            driver.execute(
                f"SELECT paragraph_id, rows FROM {TABLE} WHERE paragraph_id IN ({_marks(ids)})",
                ids,
            ).fetchall()
        )
    return found


def is_shared(layer: str) -> bool:
    return SEPARATOR not in layer
