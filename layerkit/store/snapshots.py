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
  after an edit: ~0.35 ms, SQLite writing each row's JSON). The engine calls it for every
  write transaction (``engine.py``), so a writer cannot forget it.
- A reader uses a paragraph's snapshot where there is one and reads its rows where there is
  not (:func:`read`, :func:`decode`), so a missing or unreadable snapshot costs speed, never
  correctness. The bulk reader (exports, curricula) and ``Store.seen_by`` (the annotator's
  read of the paragraph it shows: ~0.35 ms instead of ~1.9 ms) read them.

Private copies of double annotation (``layer@annotator``) are not in snapshots: exports do not
read them. PostgreSQL has none of this; its reads are of rows (the server's driver makes the
cells, and nothing here would be faster there).
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable, Sequence
from functools import partial
from itertools import repeat
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

# A snapshot's rows hold Annotation's fields but the layer, which keys them. SQLite writes
# each row's JSON but for two cells: JSON functions cannot take ``attrs`` as the text it is
# without parsing it, and they write a float with 15 digits (a confidence would change) and
# an infinity as no JSON at all. Those two are spliced in here.
_FIELDS = [name for name in Annotation._fields if name != "layer"]
assert _FIELDS[7:9] == ["attrs", "source_id"] and _FIELDS[-2:] == ["confidence", "version"]
_ROWS_OF = (
    'SELECT paragraph_id, layer, json_array(id, kind, field, start, "end", label, value), attrs, '
    "json_array(source_id, target_id, annotator, origin), confidence, version "
    f"FROM annotations WHERE paragraph_id IN ({{marks}}) AND instr(layer, '{SEPARATOR}') = 0 "
    "ORDER BY paragraph_id, layer, id"
)
_BATCH = 100  # paragraphs refreshed per query: ~14k rows, a few MB at a time


def refresh(driver: Any) -> int:
    """Make again the snapshots of the paragraphs changed in the open transaction of
    ``driver`` (a ``sqlite3`` connection); returns how many were made.

    Called inside the transaction, just before it commits, so it must not fail: a paragraph
    whose rows cannot be written as JSON (a BLOB cell, an infinite confidence) gets no
    snapshot, and readers read its rows.
    """
    stale = [row[0] for row in driver.execute(f"SELECT paragraph_id FROM {STALE_TABLE}")]
    if not stale:
        return 0
    made = 0
    for start in range(0, len(stale), _BATCH):
        ids = stale[start : start + _BATCH]
        existing = [
            row[0]
            for row in driver.execute(f"SELECT id FROM paragraphs WHERE id IN ({_marks(ids)})", ids)
        ]
        try:
            encoded = _encode(driver, existing)
        except sqlite3.Error:  # some cell SQLite's JSON refuses: find its paragraph
            encoded = {}
            for paragraph_id in existing:
                try:
                    encoded.update(_encode(driver, [paragraph_id]))
                except sqlite3.Error:
                    continue
        driver.executemany(
            f"INSERT OR REPLACE INTO {TABLE} (paragraph_id, rows) VALUES (?, ?)",
            encoded.items(),
        )
        made += len(encoded)
    driver.execute(f"DELETE FROM {STALE_TABLE}")
    return made


def _marks(ids: Sequence[int]) -> str:
    return ",".join("?" * len(ids))


def _encode(driver: Any, paragraph_ids: list[int]) -> dict[int, bytes]:
    """The snapshots (``{layer: [row, ...]}``, layers in name order, rows in id order) of the
    paragraphs that can have one; a paragraph without shared rows has ``{}``."""
    if not paragraph_ids:
        return {}
    grouped: dict[int, dict[str, list[str]] | None] = {pid: {} for pid in paragraph_ids}
    query = _ROWS_OF.format(marks=_marks(paragraph_ids))
    for pid, layer, head, attrs, tail, confidence, version in driver.execute(query, paragraph_ids):
        layers = grouped[pid]
        if layers is None:
            continue
        if confidence is not None:
            if not isinstance(confidence, float | int) or not math.isfinite(confidence):
                grouped[pid] = None  # JSON has no infinity (and a confidence is a number)
                continue
            confidence = repr(confidence)  # the shortest text that reads back the same float
        # Text starting with "{" can only be a JSON object (or no JSON, which leaves the
        # snapshot unreadable: its rows are read instead); anything else reads as {}.
        if not (isinstance(attrs, str) and attrs.lstrip()[:1] == "{"):
            attrs = "{}"
        row = f"{head[:-1]},{attrs},{tail[1:-1]},{confidence or 'null'},{version}]"
        found = layers.get(layer)
        if found is None:
            layers[layer] = [row]
        else:
            found.append(row)
    return {
        pid: (
            "{"
            + ",".join(f"{_json_key(layer)}:[{','.join(rows)}]" for layer, rows in layers.items())
            + "}"
        ).encode("utf-8")
        for pid, layers in grouped.items()
        if layers is not None
    }


def _json_key(layer: str) -> str:
    return orjson.dumps(layer).decode("utf-8")


_new = partial(tuple.__new__, Annotation)
_insert = list.insert


def decode(
    blob: bytes | str, layers: Iterable[str] | None = None
) -> dict[str, list[Annotation]] | None:
    """The annotations of ``layers`` (None: every layer) in a snapshot, as the row reader
    makes them (layers in name order, as it reads them); None if the snapshot cannot be read,
    or was written for other fields than Annotation's (a snapshot from before a change of
    them: read the rows)."""
    try:
        stored = orjson.loads(blob)
        wanted = stored.keys() if layers is None else set(layers)
        found = {}
        for layer, rows in stored.items():
            if layer in wanted and rows:
                if len(rows[0]) != _ROW_LENGTH:
                    return None
                # the layer put in place in each row, then the rows made tuples, in C
                list(map(_insert, rows, repeat(1), repeat(layer)))
                found[layer] = list(map(_new, rows))
        return found
    except (ValueError, TypeError, AttributeError):
        return None


_ROW_LENGTH = len(_FIELDS)


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


def stale_count(conn: Any) -> int | None:
    """How many paragraphs' shared rows changed since their snapshots were made: 0 after any
    write through layerkit (it makes them again before committing), more after a change made
    outside it; None on a database without snapshots (PostgreSQL)."""
    if conn.dialect.name != "sqlite":
        return None
    return int(conn.exec_driver_sql(f"SELECT count(*) FROM {STALE_TABLE}").scalar_one())


def is_shared(layer: str) -> bool:
    return SEPARATOR not in layer
