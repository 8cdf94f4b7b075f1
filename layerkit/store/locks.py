"""Locks that make concurrent writers on a database server behave as they do on SQLite.

On SQLite every write transaction takes the one database write lock (``BEGIN IMMEDIATE``), so
writers run one after another and a read-check-write inside a transaction can never race.
PostgreSQL runs writers side by side (READ COMMITTED), so every read-check-write of the store
takes a lock on what it is about to check first, always in the same order:

1. the annotator (a transaction-scoped advisory lock): their undo/redo stacks are threaded
   through the event log, and two sessions of one annotator must not both push or pop the top;
2. publishing an import (a transaction-scoped advisory lock): an import links its paragraphs
   to copies other imports published while it ran, so two must not publish side by side;
3. the paragraphs (``SELECT ... FOR NO KEY UPDATE``, in id order): an annotation's version,
   the layer statuses and the stale marks of a paragraph are read and changed under it, so
   two annotators' edits of one paragraph queue up like they do on SQLite. ``NO KEY`` lets
   other transactions keep inserting rows that refer to the paragraph (an import's foreign-key
   checks) meanwhile.

Whatever is read after the lock is the committed state (READ COMMITTED reads a new snapshot per
statement), so the version checks and status reads that follow are exact. A writer that locks
paragraphs in another order can still deadlock; the server then rolls one back, and the store
runs single edits again (``engine.is_retryable``). On SQLite these functions do nothing.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

import sqlalchemy as sa

from layerkit.errors import StoreError
from layerkit.store import direct
from layerkit.store.models import Paragraph

paragraphs_t: sa.Table = Paragraph.__table__  # type: ignore[attr-defined]

# First keys of layerkit's two-key advisory locks (pg_advisory_lock(int, int)), one per purpose,
# so they cannot collide with another application's locks on the same server ("LKIT" + n).
NAMESPACE = 0x4C4B4954
ANNOTATOR_KEY = NAMESPACE + 1  # second key: crc32 of the name; one annotator's event stacks
MIGRATION_KEY = NAMESPACE + 2  # second key 0: schema migrations and the first `init`
IMPORT_KEY = NAMESPACE + 3  # second key: a running import's id, held as long as it runs
PUBLISH_KEY = NAMESPACE + 4  # second key 0: an import's publishing transaction


def is_server(conn: sa.Connection) -> bool:
    return conn.dialect.name != "sqlite"


def lock_annotator(conn: sa.Connection, annotator: str) -> None:
    """Hold the annotator's event stacks until the transaction ends (PostgreSQL)."""
    if not is_server(conn):
        return
    key = _signed32(zlib.crc32(annotator.encode("utf-8")))
    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(ANNOTATOR_KEY, key)))


def lock_publishing(conn: sa.Connection) -> None:
    """Let one import at a time publish, until the transaction ends (PostgreSQL).

    An import links its paragraphs to copies that other imports published while it ran. Two
    imports publishing side by side under READ COMMITTED would each miss the other (neither
    committed yet) and the shared paragraph would be linked by neither; queued, the second sees
    the first one's documents. Taken after the annotator's lock, the order every writer keeps."""
    if is_server(conn):
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(PUBLISH_KEY, 0)))


def lock_paragraphs(conn: sa.Connection, paragraph_ids: Iterable[int]) -> None:
    """Hold these paragraphs' annotations and statuses until the transaction ends (PostgreSQL).

    Refuses with ``StoreError`` when a paragraph is not there (on SQLite too, so that callers
    can rely on it as the existence check)."""
    ids = sorted(set(paragraph_ids))
    if not ids:
        return
    if is_server(conn):
        found = set(conn.execute(_LOCK_ON_SERVER, {"ids": ids}).scalars())
    elif len(ids) == 1:  # an edit's paragraph: the statement runs on the driver (direct.py)
        found = set(direct.execute(conn, EXISTING_PARAGRAPH, {"id": ids[0]}).scalars())
    else:
        found = set(conn.execute(_EXISTING, {"ids": ids}).scalars())
    missing = [i for i in ids if i not in found]
    if missing:
        raise StoreError(f"there is no paragraph {missing[0]} in this store.")


# Built once: building the statement per call (a paragraph at a time, in pre-annotation's
# writes) cost more than running it.
_EXISTING = sa.select(paragraphs_t.c.id).where(
    paragraphs_t.c.id.in_(sa.bindparam("ids", expanding=True))
)
EXISTING_PARAGRAPH = sa.select(paragraphs_t.c.id).where(paragraphs_t.c.id == sa.bindparam("id"))
_LOCK_ON_SERVER = _EXISTING.order_by(paragraphs_t.c.id).with_for_update(key_share=True)


def _signed32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value
