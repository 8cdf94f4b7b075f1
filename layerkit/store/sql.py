"""INSERT ... ON CONFLICT for both databases the store runs on.

SQLite and PostgreSQL spell it the same way, but SQLAlchemy builds it from each dialect's own
``insert``; one place picks it, so every upsert in the store is written once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert


def dialect_insert(conn: sa.Connection, table: sa.Table) -> Any:
    """``INSERT INTO table`` with ``on_conflict_do_*`` for this connection's database."""
    insert = sqlite_insert if conn.dialect.name == "sqlite" else postgresql_insert
    return insert(table)


def upsert(
    conn: sa.Connection,
    table: sa.Table,
    rows: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    keys: Sequence[str],
) -> None:
    """Insert ``rows`` (one mapping or several with the same columns); where a row with the same
    ``keys`` exists, replace its other columns with the new values. One statement, so two
    writers inserting the same key at once cannot collide on it."""
    first = rows if isinstance(rows, Mapping) else rows[0]
    statement = dialect_insert(conn, table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c[key] for key in keys],
        set_={name: statement.excluded[name] for name in first if name not in keys},
    )
    if isinstance(rows, Mapping):
        conn.execute(statement.values(**rows))
    else:
        conn.execute(statement, list(rows))
