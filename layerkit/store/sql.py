"""INSERT ... ON CONFLICT for both databases the store runs on.

SQLite and PostgreSQL spell it the same way, but SQLAlchemy builds it from each dialect's own
``insert``; one place picks it, so every upsert in the store is written once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from layerkit.store import direct


def dialect_insert(conn: sa.Connection, table: sa.Table) -> Any:
    """``INSERT INTO table`` with ``on_conflict_do_*`` for this connection's database."""
    if conn.dialect.name == "sqlite":
        return sqlite_insert(table)
    # imported here: SQLAlchemy's PostgreSQL dialect (with all its drivers' modules) is 28 ms
    # of every command's start-up on a SQLite store
    from sqlalchemy.dialects.postgresql import insert as postgresql_insert

    return postgresql_insert(table)


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
    statement = upsert_statement(conn, table, tuple(keys), tuple(first))
    if isinstance(rows, Mapping):  # one row (a state, a cursor): on the driver where it can
        direct.execute(conn, statement, rows)
    else:
        conn.execute(statement, list(rows))


#: upsert statements by database, table, key columns and columns (see upsert_statement)
_UPSERTS: dict[tuple[str, sa.Table, tuple[str, ...], tuple[str, ...]], Any] = {}


def upsert_statement(
    conn: sa.Connection, table: sa.Table, keys: tuple[str, ...], names: tuple[str, ...]
) -> Any:
    """The upsert of rows with columns ``names``, its values bound at execution: built once
    per database, table and columns (building it took some 0.3 ms, a third of a label key's
    store write when the key also set the layer's state)."""
    cache_key = (conn.dialect.name, table, keys, names)
    statement = _UPSERTS.get(cache_key)
    if statement is None:
        insert = dialect_insert(conn, table)
        statement = _UPSERTS[cache_key] = insert.on_conflict_do_update(
            index_elements=[table.c[key] for key in keys],
            set_={name: insert.excluded[name] for name in names if name not in keys},
        )
    return statement


def insert_rows(conn: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """``conn.execute(table.insert(), rows)``, storing the same values, with less work per row
    on SQLite.

    Why: SQLAlchemy prepares an executemany's parameters row by row and column by column, in
    Python, and for pre-annotation's token annotations that was most of the storing (in a
    profile of `layerkit preannotate` on 55k tokens, SQLite's own executemany was a fifth of
    it); with this the storing took half the time. Here each column's own bind processor
    (SQLAlchemy's, so the stored text is what SQLAlchemy would store: its date format, its
    JSON serializer) is applied to a tuple per row, a value repeated from the row before (a bulk write's one
    timestamp) is converted once, and the rows go to the driver's ``executemany``. Rows must
    all have the same keys, every column but an autoincrement key (else, and on other
    databases, SQLAlchemy's own path is taken).
    """
    if not rows:
        return
    names = list(rows[0])
    wanted = {c.name for c in table.columns if not (c.primary_key and c.autoincrement)}
    if conn.dialect.name != "sqlite" or set(names) != wanted:
        conn.execute(table.insert(), list(rows))
        return
    dialect = conn.dialect
    processors = [
        (i, process)
        for i, name in enumerate(names)
        if (process := table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None
    ]
    # itemgetter of one name gives the value, not a 1-tuple
    values_of = itemgetter(*names) if len(names) > 1 else lambda row: (row[names[0]],)
    params: list[Any]
    if not processors:
        params = [values_of(row) for row in rows]
    else:
        params = []
        last: dict[int, tuple[Any, Any]] = {i: (_NOTHING, None) for i, _ in processors}
        for row in rows:
            values = list(values_of(row))
            for i, process in processors:
                value = values[i]
                seen, converted = last[i]
                if value is not seen:
                    converted = process(value)
                    last[i] = (value, converted)
                values[i] = converted
            params.append(tuple(values))
    quote = dialect.identifier_preparer
    columns = ", ".join(quote.quote(name) for name in names)
    marks = ", ".join("?" for _ in names)
    conn.exec_driver_sql(
        f"INSERT INTO {quote.format_table(table)} ({columns}) VALUES ({marks})", params
    )


_NOTHING = object()
