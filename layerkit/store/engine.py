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

A server session waits for a lock (a paragraph another session is changing, an annotator's
event stacks) as long as SQLite waits for its write lock, :data:`BUSY_TIMEOUT_MS` (PostgreSQL's
``lock_timeout``), then the change is refused as "Database busy": without it a session that
kept a transaction open (a hung process, a ``BEGIN`` typed in psql) froze every annotator who
touched the same paragraph, for good.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import sqlalchemy as sa

from layerkit.errors import ConflictError, DatabaseBusy, DatabaseUnreachable, StoreError
from layerkit.store import snapshots

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
    """A path or URL as it may be shown to people: the password of a URL masked, whether it
    stands before the host (``user:secret@host``) or in the query (``?password=secret``, which
    libpq takes too)."""
    text = str(url_or_path)
    if "://" not in text:
        return text
    try:
        shown = sa.engine.make_url(text).render_as_string(hide_password=True)
    except (sa.exc.ArgumentError, ValueError):
        # Not a URL SQLAlchemy can parse: mask anything between "user:" and "@" by hand.
        scheme, _, rest = text.partition("://")
        credentials, at, host = rest.rpartition("@")
        if at and ":" in credentials:
            credentials = credentials.split(":", 1)[0] + ":***"
        shown = f"{scheme}://{credentials}{at}{host}"
    return _QUERY_PASSWORD.sub(r"\1***", shown)


#: a password in a URL's query (``?password=...``, ``&PASSWORD=...``)
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def is_postgres(url: str) -> bool:
    return url.startswith("postgres")


def json_text(value: Any) -> str:
    """The JSON text a JSON column stores (the engines' ``json_serializer``).

    orjson rather than ``json.dumps``: a token's attributes (lemma, FEATS) take 0.4 µs here
    against 2.4 µs, once per annotation written (an import, a pre-annotation). Text is stored
    as UTF-8, not ``\\u`` escapes, without spaces; readers parse either. Values orjson does
    not take (an integer past 64 bits) go to ``json.dumps`` as before."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode("utf-8")
    except TypeError:
        return json.dumps(value)


#: libpq settings of a connection to a PostgreSQL server (a URL's own win): without them a
#: server that stops answering (a host gone, packets dropped, a server frozen) kept a command,
#: or the annotator, waiting for good; now the connection is given up after about a minute at
#: most and the store says the server is unreachable. ``application_name`` names layerkit in
#: the server's ``pg_stat_activity``.
SERVER_CONNECTION: dict[str, Any] = {
    "connect_timeout": 10,
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
    "tcp_user_timeout": 60_000,  # ms: data sent and not acknowledged for this long
    "application_name": "layerkit",
}


def server_connection(query: Any) -> dict[str, Any]:
    """The connection settings of a PostgreSQL engine: :data:`SERVER_CONNECTION` where the URL
    (its ``query``) does not set them."""
    return {k: v for k, v in SERVER_CONNECTION.items() if k not in query}


def _lock_timeout_where_none(dbapi_connection: Any, _record: Any) -> None:
    """A new server connection waits for locks as long as SQLite waits for its write lock
    (see the module's docstring), where nothing set a lock timeout already: the URL's
    ``options``, ``PGOPTIONS``, the database's or the role's settings win (an option on every
    connection overrode them all)."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('lock_timeout')")
        if cursor.fetchone()[0] in ("0", "0ms"):
            cursor.execute(f"SET lock_timeout = {BUSY_TIMEOUT_MS}")
    dbapi_connection.commit()


def create_engine(url: str) -> sa.Engine:
    # psycopg logs what it ignores while closing a connection the server dropped ("error
    # ignored terminating <psycopg.Pipeline [BAD]>"): Python printed it above the store's own
    # message, as a stray line, where no logging is set up
    logging.getLogger("psycopg").addHandler(logging.NullHandler())
    if not is_sqlite(url):
        try:
            parsed = sa.engine.make_url(url)
        except (sa.exc.ArgumentError, ValueError) as exc:
            # a port that is not a number, a broken IPv6 address: said, not a traceback
            raise StoreError(
                f"{display_url(url)} is not a database URL that can be read ({exc}).",
                hint="Write it as postgresql://user:password@host:port/database (the port a "
                "number, an IPv6 host in brackets), or give a SQLite file's path.",
                title="Invalid database URL",
            ) from None
        connect_args = (
            server_connection(parsed.query) if parsed.get_backend_name() == "postgresql" else {}
        )
        try:
            server = sa.create_engine(
                parsed, pool_pre_ping=True, json_serializer=json_text, connect_args=connect_args
            )
            sa.event.listen(server, "handle_error", _said_unreachable)
            if parsed.get_backend_name() == "postgresql":
                sa.event.listen(server, "connect", _lock_timeout_where_none)
            return server
        except (ImportError, sa.exc.NoSuchModuleError) as exc:
            raise StoreError(
                f"cannot open {display_url(url)}: its database driver is not installed ({exc}).",
                hint=POSTGRES_EXTRA_HINT
                if is_postgres(url)
                else "Install the SQLAlchemy driver this URL names.",
                title="Database driver missing",
            ) from None

    read_only = read_only_url(url)
    engine = sa.create_engine(
        read_only or url,
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        json_serializer=json_text,
        # The connection used last is handed out next. SQLite drops a connection's whole page
        # cache when the file has changed since its last transaction, by any other connection:
        # handed out in turn (the pool's default), an annotator's read after its own save got
        # the other connection, whose cache that save had made stale, and read every page of
        # the paragraph again; the save's next key, on the same connection, found its cache
        # stale in turn. Last-used first, a session's reads and writes keep to one warm
        # connection: a label key at 100k paragraphs took 8.5-9 ms instead of 11.5.
        pool_use_lifo=True,
    )

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below); pysqlite's implicit transactions would get in the way.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # The busy timeout first: switching a new file to WAL waits for other openers' locks.
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if read_only is None:  # (a read-only file keeps the journal mode it has)
            _switch_to_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        driver = conn.connection.driver_connection
        if conn.get_execution_options().get(WRITE_OPTION):
            begin_immediate(driver)
        else:  # (on the driver itself: a read's BEGIN through SQLAlchemy took ~0.1 ms a key)
            driver.execute("BEGIN")  # type: ignore[union-attr]

    @sa.event.listens_for(engine, "commit")
    def _on_commit(conn: sa.Connection) -> None:
        # Every write transaction, whoever runs it, leaves the snapshots of the paragraphs it
        # changed made again (snapshots.py); inside the transaction, so both land or neither.
        if conn.get_execution_options().get(WRITE_OPTION):
            refresh_snapshots(conn.connection.driver_connection)

    return engine


def read_only_url(url: str) -> str | None:
    """The URL that opens the SQLite file of ``url`` read-only where its folder cannot be
    written (read-only media, a backup mounted read-only, a folder of another user's), or None
    where it can (or ``url`` is no file).

    SQLite in WAL mode writes a ``-shm`` file beside the database even to read it, so such a
    store could not be opened at all, not even to export it. Without a ``-wal`` file (or with
    an empty one: a store closed cleanly) nothing is pending and the file is opened
    ``immutable``; with the ``-wal`` and its ``-shm`` both there, ``mode=ro`` reads through
    them. A ``-wal`` without its ``-shm`` holds committed changes SQLite cannot read from such
    a place: refused, rather than reading the store without them.
    """
    if not url.startswith("sqlite:///") or "?" in url or url.startswith("sqlite:///file:"):
        return None
    path = Path(url.removeprefix("sqlite:///"))
    if not path.is_file() or os.access(path.parent, os.W_OK):
        return None
    wal, shm = (path.with_name(path.name + side) for side in ("-wal", "-shm"))
    pending = wal.is_file() and wal.stat().st_size > 0
    # quoted for SQLite's URI (a '#' or '?' in a folder name), and again for SQLAlchemy, which
    # unquotes the database part of its URL before the driver builds the URI from it
    uri_path = quote(quote(str(path)))
    if not pending:
        return f"sqlite:///file:{uri_path}?immutable=1&uri=true"
    if shm.is_file():
        return f"sqlite:///file:{uri_path}?mode=ro&uri=true"
    raise StoreError(
        f"{path} is in a folder that cannot be written, and its last saved changes are in "
        f"{wal.name}, which SQLite cannot read there without {shm.name}.",
        hint="Copy the folder (the database with its -wal file) to a disk that can be written "
        "and open the copy; nothing is lost.",
        title="Database is read-only",
    )


def refresh_snapshots(driver: Any) -> None:
    """:func:`snapshots.refresh`, on a store whose migrations have made the snapshot tables
    (a store being migrated to them commits without)."""
    try:
        snapshots.refresh(driver)
    except sqlite3.OperationalError as exc:
        if f"no such table: {snapshots.STALE_TABLE}" not in str(exc):
            raise


def _switch_to_wal(cursor: Any) -> None:
    """``PRAGMA journal_mode=WAL``, tried again while the database is locked: on a new file
    that several processes open at once, SQLite may answer "locked" at once instead of waiting
    out the busy timeout (it does not wait where waiting could deadlock), so this waits."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    delay = 0.001
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.05)


def begin_immediate(dbapi_connection: Any, timeout: float | None = None) -> None:
    """Take SQLite's write lock, polling every millisecond until ``timeout`` (seconds; the busy
    timeout if not given).

    Not SQLite's own busy handler: it sleeps ever longer between tries (25, 50, then 100 ms), so
    a writer that holds the lock in short bursts with short gaps (an import committing every
    few tens of milliseconds) can starve an annotator's save for seconds. Polling every
    millisecond gets the save in at the next gap; the waiting costs next to no CPU.
    """
    deadline = time.monotonic() + (BUSY_TIMEOUT_MS / 1000 if timeout is None else timeout)
    dbapi_connection.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                dbapi_connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(0.001)
    finally:
        dbapi_connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc)
    return "locked" in text or "busy" in text


# SQLSTATEs after which a server transaction may simply be run again: serialization failure
# and deadlock (the server rolled one of the transactions back to let the other finish).
RETRYABLE_SQLSTATES = ("40001", "40P01")
# PostgreSQL's lock_not_available: a lock waited for longer than lock_timeout
LOCK_NOT_AVAILABLE = "55P03"


def is_retryable(exc: BaseException) -> bool:
    """Whether a failed write transaction can be run again as it was (see ``RETRYABLE_SQLSTATES``)."""
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None) in RETRYABLE_SQLSTATES


class RetryableWriteError(ConflictError):
    """The server rolled a write transaction back so that a concurrent one could finish
    (deadlock, serialization failure). Nothing of it was saved and it may simply be run again,
    which the store does for single edits; a batch reports it as the conflict it is."""


@contextmanager
def database_errors() -> Iterator[None]:
    """Turn what concurrent writers can make the database raise into the store's errors.

    A user must see "Edit conflict" or "Database busy", never a driver traceback: a row
    somebody else inserted meanwhile (unique or foreign key) is a conflict; a SQLite write lock
    held past the busy timeout is a busy database; a deadlock or serialization failure is a
    :class:`RetryableWriteError`.
    """
    try:
        yield
    except sa.exc.DBAPIError as exc:
        if is_retryable(exc):
            raise RetryableWriteError(
                "the database rolled this change back because another writer was changing the "
                "same rows; nothing was saved.",
                hint="Try again.",
            ) from exc
        if isinstance(exc, sa.exc.IntegrityError):
            raise ConflictError(
                f"the change collides with one saved by someone else meanwhile: "
                f"{str(exc.orig).strip().splitlines()[0]}; nothing was saved.",
                hint="Refresh to see the current state, then try again.",
            ) from exc
        if isinstance(exc.orig, sqlite3.OperationalError) and _is_busy(exc.orig):
            raise _busy_error() from exc
        refused = database_refusal(exc)
        if refused is not None:
            raise refused from exc
        raise
    except sqlite3.OperationalError as exc:  # raised by begin_immediate, before SQLAlchemy wraps
        if _is_busy(exc):
            raise _busy_error() from exc
        refused = database_refusal(exc)
        if refused is not None:
            raise refused from exc
        raise


#: what the database says when it cannot write at all (SQLite's messages, PostgreSQL's
#: SQLSTATE codes), and what to tell the user
_REFUSALS = (
    (
        ("readonly database", "read-only", "25006"),
        "Database is read-only",
        "the database cannot be written to ({reason}); nothing was changed.",
        "Check the permissions of the database file and of its folder (SQLite writes its -wal "
        "and -shm files beside it), or the server's read-only settings.",
    ),
    (
        # a server user without the grants to write (PostgreSQL's insufficient_privilege):
        # reading may work, every write is refused
        ("permission denied", "42501"),
        "No right to write",
        "the database user may not change layerkit's tables ({reason}); nothing was changed.",
        "Ask the database's owner to GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN "
        "SCHEMA public and USAGE ON ALL SEQUENCES IN SCHEMA public TO the user, or use a user "
        "that has them (reading and exporting need only SELECT).",
    ),
    (
        ("database or disk is full", "53100"),
        "Disk full",
        "the database's disk is full ({reason}); nothing was changed.",
        "Free some space and try again.",
    ),
    (
        # the server answered, and refused the login (before "connection failed", which
        # libpq puts in front of it): no server to wait for, a password to fix
        ("password authentication failed", "no password supplied", "28P01", "28000"),
        "Database login refused",
        "the database server refused the login ({reason}); nothing was changed.",
        "Check the user and password in the URL (or in ~/.pgpass, PGPASSWORD), and that the "
        "server's pg_hba.conf lets this user in from here.",
    ),
    (
        # the server went away: stopped, restarted, or the network between (PostgreSQL's
        # connection exceptions, class 08, and its shutdown codes)
        (
            "connection refused",
            "server closed the connection",
            "terminating connection",
            "the database system is shutting down",
            "the database system is starting up",
            "connection is closed",
            "connection failed",
            "08000",
            "08001",
            "08003",
            "08006",
            "57P01",
            "57P02",
            "57P03",
        ),
        "Database unreachable",
        "lost the connection to the database server ({reason}); what was saved before is kept.",
        "Check that the server runs and can be reached, then run the command again.",
    ),
    (
        ("disk i/o error", "unable to open database file"),
        "Database cannot be written",
        "the database file could not be written ({reason}); nothing was changed.",
        "Check that the file and its folder are there and writable.",
    ),
)


def _said_unreachable(context: sa.engine.ExceptionContext) -> BaseException | None:
    """A server engine's driver error for a server that went away, raised as the store's
    :class:`DatabaseUnreachable` wherever it happens (a read on a key, a poll, a write, a
    plugin's reading), so every caller that shows LayerkitErrors shows it (SQLAlchemy still
    drops the dead connections from its pool first)."""
    if context.is_pre_ping:
        # SQLAlchemy's check of a pooled connection before it is used: a dead one is
        # replaced by a new one, as pool_pre_ping is for (raised, the first call after any
        # server restart or ended session was refused as "unreachable")
        return None
    found = database_refusal(context.original_exception)
    return found if isinstance(found, DatabaseUnreachable) else None


def database_refusal(exc: BaseException) -> StoreError | None:
    """The store's error for a database that refuses every write (a read-only file or server,
    a full disk, an I/O error) or that went away (a server stopped), or None for anything
    else: the user is told why and what to do, instead of getting a driver traceback (whose
    local variables hold the connection string, password and all)."""
    orig = getattr(exc, "orig", None) or exc
    if not isinstance(orig, Exception) or not (_from_a_database(exc) or _from_a_database(orig)):
        # a plain OSError ("Read-only file system" writing `tag -o`) is no database's
        return None
    reason = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    code = str(getattr(orig, "sqlstate", "") or "")
    if code == LOCK_NOT_AVAILABLE:
        # a lock waited for past lock_timeout, wherever it was raised (an import's foreign-key
        # check on a held paragraph gave a traceback)
        return _busy_error(server=True)
    text = reason.lower()
    for needles, title, message, hint in _REFUSALS:
        if any(n in text or n == code for n in needles):
            kind = DatabaseUnreachable if title == DatabaseUnreachable.title else StoreError
            return kind(message.format(reason=reason), hint=hint, title=title)
    return None


def _from_a_database(exc: BaseException) -> bool:
    """Whether ``exc`` is a database driver's (or SQLAlchemy's) error."""
    if isinstance(exc, sqlite3.Error | sa.exc.SQLAlchemyError):
        return True
    return type(exc).__module__.split(".")[0] in ("psycopg", "psycopg2", "psycopg_pool")


def _busy_error(*, server: bool = False) -> DatabaseBusy:
    if server:
        return DatabaseBusy(
            "another session kept what this change needs locked longer than the server's lock "
            f"timeout ({BUSY_TIMEOUT_MS / 1000:g} s unless the database, its user or the URL "
            "sets another: lock_timeout); nothing was saved.",
            hint="Try again; if it persists, look for a hung layerkit process, or a transaction "
            "left open (in psql, say), on this server: pg_stat_activity lists them.",
        )
    return DatabaseBusy(
        f"another process kept the database locked for over {BUSY_TIMEOUT_MS / 1000:g} s; "
        "nothing was saved.",
        hint="Try again; if it persists, look for a hung layerkit process using this database.",
    )
