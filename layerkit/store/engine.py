"""Database engines: a path means a SQLite file, anything with ``://`` is a SQLAlchemy URL.

PostgreSQL URLs (``postgresql://``, ``postgres://``) are read with psycopg 3, which the
``postgres`` extra installs (``pip install 'layerkit[postgres]'``); without it the user is told
which extra to install instead of getting an import traceback. URLs are shown to people only
through :func:`display_url`, which masks the password.

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

from layerkit.errors import StoreError

BUSY_TIMEOUT_MS = 30_000
WRITE_OPTION = "layerkit_write"


POSTGRES_EXTRA_HINT = "Install the PostgreSQL driver: pip install 'layerkit[postgres]'."


def database_url(url_or_path: str | Path) -> str:
    """The SQLAlchemy URL of a path or URL; PostgreSQL without a driver named gets psycopg 3."""
    text = str(url_or_path)
    if "://" not in text:
        return "sqlite:///" + str(Path(text).expanduser().resolve())
    for prefix in ("postgresql://", "postgres://"):
        if text.startswith(prefix):
            return "postgresql+psycopg://" + text.removeprefix(prefix)
    return text


def display_url(url_or_path: str | Path) -> str:
    """A path or URL as it may be shown to people: the password of a URL masked."""
    text = str(url_or_path)
    if "://" not in text:
        return text
    try:
        return sa.engine.make_url(text).render_as_string(hide_password=True)
    except (sa.exc.ArgumentError, ValueError):
        # Not a URL SQLAlchemy can parse: mask anything between "user:" and "@" by hand.
        scheme, _, rest = text.partition("://")
        credentials, at, host = rest.rpartition("@")
        if at and ":" in credentials:
            credentials = credentials.split(":", 1)[0] + ":***"
        return f"{scheme}://{credentials}{at}{host}"


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def is_postgres(url: str) -> bool:
    return url.startswith("postgres")


def create_engine(url: str) -> sa.Engine:
    if not is_sqlite(url):
        try:
            return sa.create_engine(url, pool_pre_ping=True)
        except (ImportError, sa.exc.NoSuchModuleError) as exc:
            raise StoreError(
                f"cannot open {display_url(url)}: its database driver is not installed ({exc}).",
                hint=POSTGRES_EXTRA_HINT
                if is_postgres(url)
                else "Install the SQLAlchemy driver this URL names.",
                title="Database driver missing",
            ) from None

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
