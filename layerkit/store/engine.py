"""Database engines: a path means a SQLite file, anything with ``://`` is a SQLAlchemy URL.

SQLite is tuned for many short transactions from an interactive app, with a second process
possibly writing too: WAL (readers never block the writer), foreign keys on, a generous busy
timeout, and ``BEGIN IMMEDIATE`` for write transactions so two writers queue up instead of
failing with "database is locked" when a read lock cannot be upgraded.
``synchronous=NORMAL`` in WAL mode keeps every committed transaction across a killed process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

BUSY_TIMEOUT_MS = 30_000
WRITE_OPTION = "layerkit_write"


def database_url(url_or_path: str | Path) -> str:
    text = str(url_or_path)
    if "://" in text:
        return text
    return "sqlite:///" + str(Path(text).expanduser().resolve())


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def create_engine(url: str) -> sa.Engine:
    if not is_sqlite(url):
        return sa.create_engine(url, pool_pre_ping=True)

    engine = sa.create_engine(
        url,
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below); pysqlite's implicit transactions would get in the way.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        if conn.get_execution_options().get(WRITE_OPTION):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")

    return engine
