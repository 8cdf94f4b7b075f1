"""Imports that never block annotators and still land all at once.

An import used to be one write transaction for the whole command: all or nothing, but on SQLite
it held the only write lock for as long as it ran, so an import longer than the busy timeout
made every annotator's save fail. Now:

1. files are read, decoded, segmented and checked outside any transaction (``ingest``);
2. what they hold is written in short transactions (at most ``STEP_SECONDS`` each; on SQLite
   a short pause after each lets waiting saves in), under documents marked
   ``pending_import_id``: invisible to every reader of the store (navigator, search, status,
   exports, curricula, pre-annotation) until the import is finished;
3. one last short transaction makes them visible together, links paragraphs that duplicate
   ones another import published meanwhile, and logs the import event.

So to everyone else an import still appears all at once or not at all. When an import fails,
its documents are deleted (step by step too) and the store is as it was. When the process
dies, the next :meth:`Store.open` finds the import abandoned and deletes what it wrote: on a
server because nobody holds the import's advisory lock any more (held by the importing session
for the whole run, released by the server when that session ends); on SQLite because the
importing process, on this host, is gone (a process that got its pid since, started after the
import, is not it) or, from another host, has shown no sign of life for ``STALE_AFTER``.

Two imports of one file at once: the document's content hash is unique, so the second insert
finds the first one's document (pending or not) and reports the document skipped.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from layerkit.errors import DatabaseUnreachable, StoreError
from layerkit.store import edits
from layerkit.store.engine import database_errors
from layerkit.store.locks import IMPORT_KEY, lock_annotator, lock_publishing
from layerkit.store.models import Document, Import, Paragraph, utcnow
from layerkit.store.sql import dialect_insert

if TYPE_CHECKING:
    from layerkit.store.store import BulkResult, BulkWriter, NewDocument, Store

documents_t: sa.Table = Document.__table__  # type: ignore[attr-defined]
paragraphs_t: sa.Table = Paragraph.__table__  # type: ignore[attr-defined]
imports_t: sa.Table = Import.__table__  # type: ignore[attr-defined]

# Longest write transaction of an import; on SQLite every other writer waits this long at most.
STEP_SECONDS = 0.05
# Pause after each step on SQLite, long enough for savers polling every millisecond to get in.
SQLITE_PAUSE_SECONDS = 0.003
# An import from another host that has not committed a step for this long is taken for dead.
STALE_AFTER = timedelta(hours=1)
#: how much later than its import's start a process with the importer's pid may have started
#: and still be taken for the importer (the clocks read are the same, the kernel's start time
#: is kept to 1/100 s, the boot time to the second)
PROCESS_START_SLACK = 2.0

#: the imports this process runs: their rows name this process's pid, but so may an import a
#: dead process left, whose pid this process got (a container started again: its first
#: process has pid 1 each time)
_RUNNING_HERE: set[int] = set()
# How far the clocks of two hosts importing into one server may differ: an import that finished
# up to this long before this one started (by their clocks) may still have been unpublished
# when this one wrote its paragraphs, so this one looks for late duplicates then too.
CLOCK_SKEW = timedelta(minutes=5)
# Paragraphs deleted per transaction when an import is taken back.
DELETE_STEP = 200
# How often (seconds, at most) a running import on a server checks that it still holds its lock.
KEEP_ALIVE_SECONDS = 1.0


class TakenBack(StoreError):
    """A running import was taken for abandoned by another command and taken back."""

    def __init__(self) -> None:
        super().__init__(
            "this import lost its connection to the database server while it ran, and another "
            "layerkit command took it for abandoned and took it back; nothing of it is kept.",
            hint="Run the import again. (The server ended the import's idle session: "
            "idle_session_timeout, a connection pooler or an administrator.)",
        )


def pending_documents() -> sa.Select[Any]:
    """Ids of the documents of unfinished imports (none, almost always)."""
    return sa.select(documents_t.c.id).where(documents_t.c.pending_import_id.is_not(None))


def visible_paragraphs(column: Any = None) -> Any:
    """A WHERE condition keeping the paragraphs of finished imports (``column``: a paragraph's
    ``document_id`` column; by default ``paragraphs.document_id``)."""
    column = paragraphs_t.c.document_id if column is None else column
    return column.not_in(pending_documents())


def pending_paragraphs() -> sa.Select[Any]:
    """Ids of the paragraphs of unfinished imports, for conditions on annotations and statuses."""
    return sa.select(paragraphs_t.c.id).where(paragraphs_t.c.document_id.in_(pending_documents()))


@dataclass
class AddedDocument:
    """What :meth:`ImportSession.add_document` did with one document."""

    document_id: int | None
    # Why it was skipped: "stored" (the same content is in the store), "repeated" (this import
    # wrote the same content already: a file given twice, two files alike) or "importing"
    # (another import that has not finished yet is writing the same content right now).
    skipped: str | None = None


class ImportSession:
    """One running import: writes documents in short steps, hidden until :meth:`finish`."""

    def __init__(self, store: Store, annotator: str) -> None:
        from layerkit.store.store import BulkResult

        self.store = store
        self.annotator = annotator
        self.result: BulkResult = BulkResult()
        self.import_id: int | None = None
        self._liveness: sa.Connection | None = None
        self._conn: sa.Connection | None = None
        self._transaction: sa.RootTransaction | None = None
        self._step_started = 0.0
        self._started_at = utcnow()
        self._bulk: BulkWriter | None = None
        self._sqlite = store.engine.dialect.name == "sqlite"
        self._alive_checked = time.monotonic()

    # --- the life of an import ------------------------------------------------------------

    def start(self) -> None:
        with database_errors():
            conn = self.store._write_engine.connect()
            try:
                now = self._started_at = utcnow()
                self.import_id = int(
                    conn.execute(
                        imports_t.insert().values(
                            annotator=self.annotator,
                            host=socket.gethostname(),
                            pid=os.getpid(),
                            state="running",
                            started_at=now,
                            heartbeat_at=now,
                        )
                    ).inserted_primary_key[0]  # type: ignore[index]
                )
                # On a server, held by this session for the whole import: while it is held,
                # nobody takes the import for abandoned; when the process dies, the server
                # releases it. Taken before the row is committed: a row visible without its
                # lock was another command's to claim as abandoned.
                if not self._sqlite and not self._hold_lock(conn):
                    raise TakenBack()
                conn.commit()
                _RUNNING_HERE.add(self.import_id)
            except BaseException:
                self._liveness = None
                conn.close()
                raise
            if self._sqlite:
                conn.close()

    def add_document(self, doc: NewDocument) -> AddedDocument:
        """Write one document (hidden), in as many short steps as it needs."""
        sha = doc.sha256
        writer = self._writer()
        statement = (
            dialect_insert(writer.conn, documents_t)
            .values(
                name=doc.name,
                source=doc.source,
                format=doc.format,
                sha256=sha,
                meta=doc.meta,
                created_at=utcnow(),
                pending_import_id=self.import_id,
            )
            .on_conflict_do_nothing(index_elements=[documents_t.c.sha256])
            .returning(documents_t.c.id)
        )
        with database_errors():
            doc_id = writer.conn.execute(statement).scalar()
        if doc_id is None:
            self.result.documents_skipped += 1
            pending = writer.conn.execute(
                sa.select(documents_t.c.pending_import_id).where(documents_t.c.sha256 == sha)
            ).scalar()
            self._commit_step()
            if pending is None:
                return AddedDocument(None, "stored")
            return AddedDocument(None, "repeated" if pending == self.import_id else "importing")
        for position, par in enumerate(doc.paragraphs):
            self._writer()._add_paragraph(int(doc_id), position, par)
        self.result.documents_added += 1
        self.result.document_ids.append(int(doc_id))
        # Commit now: what comes next (reading and checking the next document or file) may take
        # long, and must not hold a transaction (on SQLite, the write lock) meanwhile.
        self._commit_step()
        return AddedDocument(int(doc_id))

    def finish(self) -> None:
        """Publish everything this import wrote, in one short transaction."""
        self._commit_step()
        assert self.import_id is not None
        with database_errors(), self.store._write_engine.begin() as conn:
            lock_annotator(conn, self.annotator)
            lock_publishing(conn)
            mine = sa.select(documents_t.c.id).where(
                documents_t.c.pending_import_id == self.import_id
            )
            others_finished = conn.execute(
                sa.select(imports_t.c.id)
                .where(
                    (imports_t.c.state == "done")
                    & (imports_t.c.id != self.import_id)
                    & (imports_t.c.finished_at >= self._started_at - CLOCK_SKEW)
                )
                .limit(1)
            ).first()
            # first, so that an import another command took back meanwhile publishes nothing
            done = conn.execute(
                imports_t.update()
                .where((imports_t.c.id == self.import_id) & (imports_t.c.state == "running"))
                .values(state="done", finished_at=utcnow(), heartbeat_at=utcnow())
            )
            if done.rowcount != 1:
                raise TakenBack()
            if others_finished is not None:
                self._link_late_duplicates(conn, mine)
            conn.execute(
                documents_t.update()
                .where(documents_t.c.pending_import_id == self.import_id)
                .values(pending_import_id=None)
            )
            edits.record_plain(
                conn,
                annotator=self.annotator,
                action="import",
                payload={
                    "documents": self.result.document_ids,
                    "paragraphs": self.result.paragraphs_added,
                    "annotations": self.result.annotations_added,
                },
            )
        self._release()

    def taken_back(self) -> bool:
        """Whether another command took this import back (its row is no longer running)."""
        if self.import_id is None:
            return False
        try:
            with self.store.engine.connect() as conn:
                state = conn.execute(
                    sa.select(imports_t.c.state).where(imports_t.c.id == self.import_id)
                ).scalar()
        except (sa.exc.DBAPIError, DatabaseUnreachable):
            return False  # the server is gone: that is the error to tell
        return state != "running"

    def abort(self) -> None:
        """Take back everything this import wrote (it was never visible), then mark it failed."""
        self._rollback_step()
        if self.import_id is not None:
            take_back(self.store, self.import_id)
        self._release()

    # --- steps ------------------------------------------------------------------------------

    def _writer(self) -> BulkWriter:
        """The writer of the current step: a new step (write transaction) once the current one
        has run for ``STEP_SECONDS``."""
        from layerkit.store.store import BulkWriter

        self._step_if_due()
        if self._conn is None:
            with database_errors():
                self._conn = self.store._write_engine.connect()
                self._transaction = self._conn.begin()
            self._step_started = time.monotonic()
            self._bulk = BulkWriter(self._conn, pending_import_id=self.import_id)
            self._bulk.result = self.result
        assert self._bulk is not None
        return self._bulk

    def _step_if_due(self) -> None:
        if self._conn is not None and time.monotonic() - self._step_started >= STEP_SECONDS:
            self._commit_step()
            if self._sqlite:
                time.sleep(SQLITE_PAUSE_SECONDS)

    def _commit_step(self) -> None:
        if self._conn is None:
            return
        assert self._transaction is not None and self.import_id is not None
        try:
            self._keep_alive()
            with database_errors():
                beat = self._conn.execute(
                    imports_t.update()
                    .where((imports_t.c.id == self.import_id) & (imports_t.c.state == "running"))
                    .values(heartbeat_at=utcnow())
                )
                if beat.rowcount != 1:
                    # taken back by another command (this one was taken for dead): what this
                    # step wrote must not be committed, nor anything after it be published
                    raise TakenBack()
                self._transaction.commit()
        finally:
            self._conn.close()
            self._conn = self._transaction = None

    def _keep_alive(self) -> None:
        """On a server, make sure the import's advisory lock is still held, at most once every
        :data:`KEEP_ALIVE_SECONDS`: the server ends idle sessions (``idle_session_timeout``,
        a pooler, an administrator), and with the session went the lock that tells other
        commands this import is alive. A lost lock is taken again if nobody took the import
        back meanwhile (the heartbeat's check says so at the commit that follows)."""
        if self._sqlite or time.monotonic() - self._alive_checked < KEEP_ALIVE_SECONDS:
            return
        self._alive_checked = time.monotonic()
        assert self.import_id is not None
        try:
            if self._liveness is not None:
                self._liveness.execute(sa.select(1))
                self._liveness.commit()
                return
        except (sa.exc.DBAPIError, DatabaseUnreachable):
            self._release()
        with database_errors():
            liveness = self.store.engine.connect()
            held = self._hold_lock(liveness)
            liveness.commit()
        if not held:
            raise TakenBack()  # another command holds it: it is taking this import back

    def _hold_lock(self, conn: sa.Connection) -> bool:
        """Take the import's advisory lock in ``conn``'s session, which then keeps it (and is
        the one :meth:`_release` closes); whether it was free."""
        held = bool(
            conn.execute(
                sa.select(sa.func.pg_try_advisory_lock(IMPORT_KEY, self.import_id))
            ).scalar()
        )
        self._liveness = conn
        return held

    def _rollback_step(self) -> None:
        if self._conn is None:
            return
        try:
            if self._transaction is not None:
                self._transaction.rollback()
        finally:
            self._conn.close()
            self._conn = self._transaction = None

    def _release(self) -> None:
        _RUNNING_HERE.discard(self.import_id or 0)
        if self._liveness is not None:
            try:
                self._liveness.close()  # ends the session's advisory lock with it
            finally:
                self._liveness = None

    @staticmethod
    def _link_late_duplicates(conn: sa.Connection, mine: sa.Select[Any]) -> None:
        """Paragraphs of this import that repeat a paragraph another import published while this
        one ran were not linked when written (that one was hidden then): link them now."""
        p = paragraphs_t.alias("p")
        d = documents_t.alias("d")
        first_visible = (
            sa.select(sa.func.min(p.c.id))
            .join(d, d.c.id == p.c.document_id)
            .where(
                (p.c.sha256 == paragraphs_t.c.sha256)
                & d.c.pending_import_id.is_(None)
                & (p.c.id != paragraphs_t.c.id)
            )
            .scalar_subquery()
        )
        conn.execute(
            paragraphs_t.update()
            .where(
                paragraphs_t.c.document_id.in_(mine)
                & paragraphs_t.c.duplicate_of_id.is_(None)
                & (first_visible.is_not(None))
            )
            .values(duplicate_of_id=first_visible)
        )


@contextmanager
def importing(store: Store, *, annotator: str) -> Iterator[ImportSession]:
    """An import as a block: published when the block ends, taken back if it raises."""
    session = ImportSession(store, annotator)
    session.start()
    try:
        yield session
        session.finish()
    except BaseException as exc:
        taken = isinstance(exc, TakenBack) or session.taken_back()
        session.abort()
        if taken:
            # (its writes may have met the other command's deletes first: a foreign key
            # refused, say; told as what happened, not as that)
            raise TakenBack() from exc
        raise


def take_back(store: Store, import_id: int) -> None:
    """Delete what an unfinished import wrote, a few hundred paragraphs a transaction (newest
    first: a paragraph may name an earlier one of the same import as its duplicate)."""
    docs = sa.select(documents_t.c.id).where(documents_t.c.pending_import_id == import_id)
    while True:
        with database_errors(), store._write_engine.begin() as conn:
            ids = list(
                conn.execute(
                    sa.select(paragraphs_t.c.id)
                    .where(paragraphs_t.c.document_id.in_(docs))
                    .order_by(paragraphs_t.c.id.desc())
                    .limit(DELETE_STEP)
                ).scalars()
            )
            if ids:
                # Links from this import's own later paragraphs go first (no ON DELETE on them).
                conn.execute(
                    paragraphs_t.update()
                    .where(paragraphs_t.c.duplicate_of_id.in_(ids))
                    .values(duplicate_of_id=None)
                )
                conn.execute(paragraphs_t.delete().where(paragraphs_t.c.id.in_(ids)))
                continue
            conn.execute(documents_t.delete().where(documents_t.c.pending_import_id == import_id))
            # No trace: a failed or abandoned import leaves the store exactly as it was.
            conn.execute(imports_t.delete().where(imports_t.c.id == import_id))
            return


def abandoned_imports(store: Store) -> list[int]:
    """Imports still marked running whose process is gone (see the module's docstring)."""
    with store.engine.connect() as conn:
        running = conn.execute(
            sa.select(
                imports_t.c.id,
                imports_t.c.host,
                imports_t.c.pid,
                imports_t.c.heartbeat_at,
                imports_t.c.started_at,
            )
            .where(imports_t.c.state == "running")
            .order_by(imports_t.c.id)
        ).all()
        if not running:
            return []
        if conn.dialect.name != "sqlite":
            dead = []
            for import_id, *_ in running:
                if conn.execute(
                    sa.select(sa.func.pg_try_advisory_lock(IMPORT_KEY, import_id))
                ).scalar():
                    # Claimed while the lock is held: an import whose session the server
                    # ended (and so its lock) while it still runs finds the claim at its next
                    # step and stops, instead of publishing what is being deleted here.
                    claimed = conn.execute(
                        imports_t.update()
                        .where((imports_t.c.id == import_id) & (imports_t.c.state == "running"))
                        .values(state="abandoned")
                    ).rowcount
                    conn.commit()
                    conn.execute(sa.select(sa.func.pg_advisory_unlock(IMPORT_KEY, import_id)))
                    if claimed:
                        dead.append(int(import_id))
            conn.commit()
            return dead
    here = socket.gethostname()
    now = utcnow()
    dead = []
    for import_id, host, pid, heartbeat, started in running:
        # (SQLite keeps no zone; layerkit writes UTC)
        heartbeat, started = (
            t if t.tzinfo else t.replace(tzinfo=UTC) for t in (heartbeat, started)
        )
        silent = now - heartbeat > STALE_AFTER
        if (host == here and not _importer_alive(int(import_id), pid, started)) or silent:
            dead.append(int(import_id))
    return dead


def clean_abandoned_imports(store: Store) -> int:
    """Take back the imports whose process died before finishing; how many there were."""
    dead = abandoned_imports(store)
    for import_id in dead:
        take_back(store, import_id)
    return len(dead)


def _importer_alive(import_id: int, pid: int | None, started: datetime) -> bool:
    """Whether the process that runs an import on this host is alive: a process with its pid
    that had started by the time the import did (a pid is used again once its process is
    gone: a process started since is another's), or, for this process's pid, an import this
    process runs."""
    if not pid:
        return False
    if pid == os.getpid():
        return import_id in _RUNNING_HERE
    if not _process_alive(pid):
        return False
    began = process_started_at(pid)
    return began is None or began <= started.timestamp() + PROCESS_START_SLACK


def process_started_at(pid: int) -> float | None:
    """When process ``pid`` started (seconds since the epoch), where the system says (Linux's
    /proc); None elsewhere, or when it cannot be read."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            # (the command's name, in brackets, may hold spaces: the fields follow its end)
            fields = stat.read().rpartition(b")")[2].split()
        ticks = int(fields[19])  # field 22 of proc(5): start time, in clock ticks since boot
        return _boot_time() + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _boot_time() -> float:
    with open("/proc/stat", "rb") as stat:
        for line in stat:
            if line.startswith(b"btime "):
                return float(line.split()[1])
    raise ValueError("no btime in /proc/stat")


def _process_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True
