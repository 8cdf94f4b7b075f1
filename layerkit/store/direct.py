"""The annotator's small statements run on SQLite's own driver, past SQLAlchemy's execution.

Why: one edit in the annotator (a label, an undo) is a write transaction of about ten small
statements, and SQLAlchemy's Core adds some 28 µs to each (its execution context, events and
result objects, measured in a loop) where SQLite itself takes 1-10 µs. In the annotator, whose
painting between keys evicts that machinery from the CPU's caches, it is more: a label's write
transaction took 1.9 ms there against 0.74 ms in a loop, most of it outside SQLite.

The statements stay the Core objects the rest of the store uses, compiled by SQLAlchemy (once
per statement and set of parameters): its SQL text, its parameter order and its types'
processors (JSON, dates), so each statement has one definition and the rows come back as
SQLAlchemy would give them. What this cannot run alike falls back to SQLAlchemy's own
execution, as does every other database: a statement with an expanding ``IN``, one whose
column defaults are computed in Python, a connection outside a transaction (SQLAlchemy would
begin one), a driver other than Python's ``sqlite3``. A driver error is raised as the
SQLAlchemy error it would have been, so the store's error handling sees no difference.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.dml import UpdateBase


@dataclass(frozen=True, slots=True)
class Rows:
    """A statement's rows, fetched: the part of SQLAlchemy's result the store's callers use."""

    keys: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    rowcount: int
    #: the new row's id, after an INSERT without RETURNING into a table with an integer key
    inserted_id: int | None = None

    def scalars(self) -> list[Any]:
        return [row[0] for row in self.rows]

    def scalar(self) -> Any:
        return self.rows[0][0] if self.rows else None

    def mappings(self) -> list[dict[str, Any]]:
        keys = self.keys
        return [dict(zip(keys, row, strict=True)) for row in self.rows]

    def first(self) -> dict[str, Any] | None:
        """The first row as a dict, or None."""
        if not self.rows:
            return None
        return dict(zip(self.keys, self.rows[0], strict=True))


@dataclass(frozen=True, slots=True)
class _Prepared:
    sql: str
    #: per placeholder of the SQL, in order: the parameter it takes, or None for a value the
    #: statement holds itself (a LIMIT), which is in ``fixed`` already processed
    names: tuple[str | None, ...]
    binds: tuple[Callable[[Any], Any] | None, ...]
    fixed: tuple[Any, ...]
    keys: tuple[str, ...]  # the result's columns (none for a statement without rows)
    results: tuple[Callable[[Any], Any] | None, ...]
    gives_id: bool  # an INSERT without RETURNING into a table keyed by an integer id


#: (database, driver, statement, its parameters' names) -> how to run it directly, or None:
#: through SQLAlchemy. Statements are the store's module-level ones: the cache stays small.
_PREPARED: dict[tuple[str, str, Any, tuple[str, ...]], _Prepared | None] = {}


def execute(conn: sa.Connection, statement: Any, params: Mapping[str, Any] | None = None) -> Rows:
    """Run ``statement`` with ``params`` and fetch its rows (see the module's docstring)."""
    params = params or {}
    prepared = _prepared(conn.dialect, statement, params)
    if prepared is None or not conn.in_transaction():
        return _through_sqlalchemy(conn, statement, params)
    values = tuple(
        fixed if name is None else (params[name] if bind is None else bind(params[name]))
        for name, bind, fixed in zip(prepared.names, prepared.binds, prepared.fixed, strict=True)
    )
    try:
        cursor = conn.connection.driver_connection.execute(prepared.sql, values)  # type: ignore[union-attr]
        fetched = cursor.fetchall() if prepared.keys else []
    except sqlite3.Error as exc:
        raise sa.exc.DBAPIError.instance(
            prepared.sql, values, exc, sqlite3.Error, dialect=conn.dialect
        ) from exc
    results = prepared.results
    if any(results):
        fetched = [
            tuple(
                value if convert is None else convert(value)
                for value, convert in zip(row, results, strict=True)
            )
            for row in fetched
        ]
    inserted = cursor.lastrowid if prepared.gives_id else None
    return Rows(prepared.keys, fetched, cursor.rowcount, inserted)


_SAVEPOINTS = itertools.count(1)


@contextmanager
def savepoint(conn: sa.Connection) -> Iterator[None]:
    """A savepoint around the block: what it wrote is undone if it raises, and the error
    goes on (the transaction stays open). ``conn.begin_nested()`` but, on SQLite inside a
    transaction, the two statements run on the driver: SQLAlchemy's nested transaction (its
    object, events and two executions) took a fifth of an annotator's label with a link,
    a batch of two edits, each in a savepoint. Elsewhere it is ``begin_nested`` itself."""
    driver = conn.connection.driver_connection if conn.in_transaction() else None
    if conn.dialect.name != "sqlite" or not isinstance(driver, sqlite3.Connection):
        with conn.begin_nested():
            yield
        return
    name = f"lk_{next(_SAVEPOINTS)}"
    _run_on_driver(conn, driver, f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        try:
            driver.execute(f"ROLLBACK TO {name}")
            driver.execute(f"RELEASE {name}")
        except sqlite3.Error:
            pass  # (the transaction itself is gone: the caller's error says why)
        raise
    _run_on_driver(conn, driver, f"RELEASE {name}")


def _run_on_driver(conn: sa.Connection, driver: sqlite3.Connection, sql: str) -> None:
    """Run ``sql`` on the driver; its error is raised as SQLAlchemy's, as in :func:`execute`."""
    try:
        driver.execute(sql)
    except sqlite3.Error as exc:
        raise sa.exc.DBAPIError.instance(sql, (), exc, sqlite3.Error, dialect=conn.dialect) from exc


def _through_sqlalchemy(conn: sa.Connection, statement: Any, params: Mapping[str, Any]) -> Rows:
    result = conn.execute(statement, dict(params)) if params else conn.execute(statement)
    if _gives_id(statement):
        # (a server may return the new key all the same: SQLAlchemy takes it from the rows)
        inserted = int(result.inserted_primary_key[0])  # type: ignore[index]
        return Rows((), [], result.rowcount, inserted)
    if not result.returns_rows:
        return Rows((), [], result.rowcount)
    keys = tuple(result.keys())
    return Rows(keys, [tuple(row) for row in result], result.rowcount)


def prepare(dialect: sa.Dialect, statement: Any, names: Iterable[str]) -> None:
    """Compile ``statement`` for parameters named ``names`` now rather than on its first
    execution (a warm-up: compiling an edit's statements took 8 ms of a session's first label)."""
    _prepared(dialect, statement, names)


def _prepared(dialect: sa.Dialect, statement: Any, names: Iterable[str]) -> _Prepared | None:
    """How to run ``statement`` with parameters named ``names``, from the cache or made now."""
    ordered = tuple(sorted(names))
    key = (dialect.name, dialect.driver, statement, ordered)
    try:
        return _PREPARED[key]
    except KeyError:
        prepared = _PREPARED[key] = _prepare(dialect, statement, ordered)
        return prepared


def _prepare(dialect: sa.Dialect, statement: Any, names: tuple[str, ...]) -> _Prepared | None:
    """How to run ``statement`` on the driver, or None where only SQLAlchemy runs it alike."""
    if dialect.name != "sqlite" or dialect.driver != "pysqlite":
        return None
    dml = isinstance(statement, UpdateBase)
    compiled = statement.compile(dialect=dialect, column_keys=list(names) if dml else None)
    order = compiled.positiontup
    if (
        order is None
        or "POSTCOMPILE" in compiled.string
        or getattr(compiled, "insert_prefetch", None)
        or getattr(compiled, "update_prefetch", None)
    ):
        return None
    taken: list[str | None] = []
    binds: list[Callable[[Any], Any] | None] = []
    fixed: list[Any] = []
    for name in order:
        bind = compiled.binds[name]
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if name in names:
            taken.append(name)
            binds.append(process)
            fixed.append(None)
        elif bind.callable is None and not bind.required and bind.value is not None:
            taken.append(None)
            binds.append(None)
            fixed.append(bind.value if process is None else process(bind.value))
        else:  # a value SQLAlchemy would compute or refuse: let it
            return None
    columns = getattr(compiled, "_result_columns", None)
    if columns is None:
        return None
    keys = tuple(column[0] for column in columns)
    results = tuple(
        column[3].dialect_impl(dialect).result_processor(dialect, None) for column in columns
    )
    return _Prepared(
        compiled.string,
        tuple(taken),
        tuple(binds),
        tuple(fixed),
        keys,
        results,
        _gives_id(statement),
    )


def _gives_id(statement: Any) -> bool:
    """Whether ``statement`` is an INSERT without RETURNING into a table whose key is one
    integer column (SQLite's rowid then), whose new value :attr:`Rows.inserted_id` gives."""
    if not isinstance(statement, sa.Insert) or statement.exported_columns:
        return False
    key = list(statement.table.primary_key)
    return len(key) == 1 and isinstance(key[0].type, sa.Integer)
