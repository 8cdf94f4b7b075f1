"""Numbered schema migrations, applied in order when a store is opened.

Each migration is a function of alembic's ``Operations`` (portable DDL for SQLite and
PostgreSQL, with batch mode for SQLite's limited ALTER TABLE), registered with ``@migration``.
The versions applied are recorded in ``layerkit_migrations``. A database whose recorded version
is newer than the newest migration here was written by a newer layerkit and is refused: opening
it could only corrupt it. Never edit a migration that has shipped; add a new one.

DDL that only one database has (SQLite's FTS5 full-text index, PostgreSQL's trigram index) is
guarded by the dialect's name, so the same migrations build a PostgreSQL store. Tables and
indexes made by raw DDL have no model; ``is_modelled_table`` and ``is_modelled_index`` tell the
model/migration comparison to leave them out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

from layerkit.errors import StoreError
from layerkit.store import snapshots

if TYPE_CHECKING:  # alembic itself only when a migration runs: most opens apply none
    from alembic.operations import Operations


@dataclass(frozen=True)
class MigrationStep:
    version: int
    name: str
    apply: Callable[[Operations], None]


MIGRATIONS: list[MigrationStep] = []


def migration(
    version: int,
) -> Callable[[Callable[[Operations], None]], Callable[[Operations], None]]:
    def decorate(fn: Callable[[Operations], None]) -> Callable[[Operations], None]:
        assert not MIGRATIONS or MIGRATIONS[-1].version == version - 1, (
            "migrations must be numbered 1, 2, ..."
        )
        MIGRATIONS.append(MigrationStep(version, fn.__name__, fn))
        return fn

    return decorate


def _tz() -> sa.DateTime:
    return sa.DateTime(timezone=True)


@migration(1)
def m001_initial(op: Operations) -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("format", sa.String, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("meta", sa.JSON, nullable=False),
        sa.Column("created_at", _tz(), nullable=False),
    )
    op.create_table(
        "paragraphs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "document_id",
            sa.Integer,
            sa.ForeignKey("documents.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False, index=True),
        sa.Column("duplicate_of_id", sa.Integer, sa.ForeignKey("paragraphs.id"), nullable=True),
        sa.Column("sentences", sa.JSON, nullable=False),
        sa.Column("tokens", sa.JSON, nullable=False),
        sa.Column("flags", sa.JSON, nullable=False),
        sa.Column("meta", sa.JSON, nullable=False),
        sa.UniqueConstraint("document_id", "position"),
    )
    op.create_table(
        "annotations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "paragraph_id",
            sa.Integer,
            sa.ForeignKey("paragraphs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("layer", sa.String, nullable=False),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("field", sa.String, nullable=False),
        sa.Column("start", sa.Integer, nullable=True),
        sa.Column("end", sa.Integer, nullable=True),
        sa.Column("label", sa.String, nullable=True),
        sa.Column("value", sa.Text, nullable=True),
        sa.Column("attrs", sa.JSON, nullable=False),
        sa.Column(
            "source_id",
            sa.Integer,
            sa.ForeignKey("annotations.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column(
            "target_id",
            sa.Integer,
            sa.ForeignKey("annotations.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("annotator", sa.String, nullable=False),
        sa.Column("origin", sa.String, nullable=False),
        sa.Column("confidence", sa.Float, nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", _tz(), nullable=False),
        sa.Column("updated_at", _tz(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_annotations_paragraph_layer", "annotations", ["paragraph_id", "layer"])
    op.create_table(
        "layer_status",
        sa.Column(
            "paragraph_id",
            sa.Integer,
            sa.ForeignKey("paragraphs.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("layer", sa.String, primary_key=True),
        sa.Column("state", sa.String, nullable=False),
        sa.Column("annotator", sa.String, nullable=True),
        sa.Column("updated_at", _tz(), nullable=False),
    )
    op.create_index("ix_layer_status_layer_state", "layer_status", ["layer", "state"])
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", _tz(), nullable=False),
        sa.Column("annotator", sa.String, nullable=False),
        sa.Column("action", sa.String, nullable=False),
        sa.Column("paragraph_id", sa.Integer, nullable=True),
        sa.Column("layer", sa.String, nullable=True),
        sa.Column("annotation_id", sa.Integer, nullable=True),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("below_id", sa.Integer, nullable=True),
        sa.Column("undo_top_id", sa.Integer, nullable=True),
        sa.Column("redo_top_id", sa.Integer, nullable=True),
    )
    op.create_index("ix_events_annotator_id", "events", ["annotator", "id"])


# Full-text search of paragraphs on SQLite (FTS5); see ``search.py`` for how it is queried.
# The index is fed paragraph text with ``ё`` written ``е`` (through a view, so that FTS5's
# 'rebuild' reads the same folded text the triggers write): the unicode61 tokenizer removes
# stress marks and folds case, but ``ё`` is a letter of its own to it.
FTS_TABLE = "paragraphs_fts"
FTS_SOURCE_VIEW = "paragraphs_fts_source"
_FOLD_YO_SQL = "replace(replace({}, 'ё', 'е'), 'Ё', 'Е')"
_FTS5_SQLITE = [
    f"CREATE VIEW {FTS_SOURCE_VIEW} AS "
    f"SELECT id, {_FOLD_YO_SQL.format('text')} AS text FROM paragraphs",
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(text, content='{FTS_SOURCE_VIEW}', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    f"CREATE TRIGGER {FTS_TABLE}_ai AFTER INSERT ON paragraphs BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, text) VALUES (new.id, {_FOLD_YO_SQL.format('new.text')}); "
    "END",
    # Runs for rows that ON DELETE CASCADE removes (a deleted document) as well.
    f"CREATE TRIGGER {FTS_TABLE}_ad AFTER DELETE ON paragraphs BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, text) "
    f"VALUES ('delete', old.id, {_FOLD_YO_SQL.format('old.text')}); "
    "END",
    f"CREATE TRIGGER {FTS_TABLE}_au AFTER UPDATE OF text ON paragraphs BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, text) "
    f"VALUES ('delete', old.id, {_FOLD_YO_SQL.format('old.text')}); "
    f"INSERT INTO {FTS_TABLE}(rowid, text) VALUES (new.id, {_FOLD_YO_SQL.format('new.text')}); "
    "END",
    # Index the paragraphs that were there before this migration.
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
]


def _sqlite_has_fts5(conn: sa.Connection) -> bool:
    return bool(conn.exec_driver_sql("SELECT sqlite_compileoption_used('ENABLE_FTS5')").scalar())


@migration(2)
def m002_positions_and_search(op: Operations) -> None:
    op.create_table(
        "annotator_positions",
        sa.Column("annotator", sa.String, primary_key=True),
        sa.Column(
            "paragraph_id",
            sa.Integer,
            sa.ForeignKey("paragraphs.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("layer", sa.String, nullable=True),
        sa.Column("cursor", sa.Integer, nullable=True),
        sa.Column("mode", sa.String, nullable=True),
        sa.Column("updated_at", _tz(), nullable=False),
    )
    conn = op.get_bind()
    # Other databases (PostgreSQL) search with ILIKE and need nothing here; an SQLite built
    # without FTS5 (rare) does the same, so such a store still opens and searches, slowly.
    if conn.dialect.name == "sqlite" and _sqlite_has_fts5(conn):
        for statement in _FTS5_SQLITE:
            op.execute(statement)


@migration(3)
def m003_relation_indexes(op: Operations) -> None:
    """Undoing a span's creation and deleting a span look for relations that point at it; on
    100k paragraphs without these indexes that was a full scan per keypress (20 ms at 60k
    annotations, seconds at millions)."""
    op.create_index("ix_annotations_source", "annotations", ["source_id"])
    op.create_index("ix_annotations_target", "annotations", ["target_id"])


@migration(4)
def m004_staged_imports(op: Operations) -> None:
    """Imports written in short steps under hidden documents (see ``imports.py``): the runs,
    and the mark on documents of a run that has not finished."""
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("annotator", sa.String, nullable=False),
        sa.Column("host", sa.String, nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("state", sa.String, nullable=False),
        sa.Column("started_at", _tz(), nullable=False),
        sa.Column("heartbeat_at", _tz(), nullable=False),
        sa.Column("finished_at", _tz(), nullable=True),
    )
    # A plain ADD COLUMN (SQLite has it for nullable columns): no table rebuild under the
    # paragraphs that refer to documents.
    op.add_column("documents", sa.Column("pending_import_id", sa.Integer, nullable=True))
    op.create_index("ix_documents_pending_import_id", "documents", ["pending_import_id"])


# Search reads one column folded in Python, ``paragraphs.search_text`` (see ``search.py``).
# SQLite's index is made again over that column with the ``ascii`` tokenizer: the column holds
# folded words between single spaces, and ``ascii`` splits exactly there and folds nothing more,
# so the index's words are the words Python found (``unicode61`` would fold some of them again,
# by its own tables). External content: the words are stored once, in ``paragraphs``.
SEARCH_TRIGRAM_INDEX = "ix_paragraphs_search_text_trgm"
_SEARCH_FTS5_SQLITE = [
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(search_text, content='paragraphs', "
    "content_rowid='id', tokenize='ascii')",
    f"CREATE TRIGGER {FTS_TABLE}_ai AFTER INSERT ON paragraphs BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text); "
    "END",
    # Runs for rows that ON DELETE CASCADE removes (a deleted document) as well.
    f"CREATE TRIGGER {FTS_TABLE}_ad AFTER DELETE ON paragraphs BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "END",
    f"CREATE TRIGGER {FTS_TABLE}_au AFTER UPDATE OF search_text ON paragraphs BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    f"INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text); "
    "END",
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
]
_SEARCH_TEXT_BATCH = 2000


@migration(5)
def m005_search_text(op: Operations) -> None:
    """One search for every database: ``paragraphs.search_text``, the text folded and split by
    ``search.search_text`` (Python), which SQLite indexes with FTS5 and PostgreSQL with
    trigrams. Before, PostgreSQL searched ``text`` with ``ILIKE``, whose case folding of
    Cyrillic depends on the server's locale (``замок`` missed ``За́мок``), and matched
    substrings where SQLite matched words.

    PostgreSQL: the trigram index needs the ``pg_trgm`` extension. ``CREATE EXTENSION`` needs
    the right to create in the database (``pg_trgm`` is a trusted extension, so the database's
    owner has it) and the extension's files on the server; where either is missing the store is
    migrated without the index, and searches give the same answers, reading every paragraph. A
    superuser can add it later: ``CREATE EXTENSION pg_trgm; CREATE INDEX
    ix_paragraphs_search_text_trgm ON paragraphs USING gin (search_text gin_trgm_ops);``.
    """
    conn = op.get_bind()
    sqlite_fts5 = conn.dialect.name == "sqlite" and _sqlite_has_fts5(conn)
    if sqlite_fts5:
        # migration 2's index, over ``text``: its triggers would write it on every update below
        for statement in (
            f"DROP TRIGGER IF EXISTS {FTS_TABLE}_ai",
            f"DROP TRIGGER IF EXISTS {FTS_TABLE}_ad",
            f"DROP TRIGGER IF EXISTS {FTS_TABLE}_au",
            f"DROP TABLE IF EXISTS {FTS_TABLE}",
            f"DROP VIEW IF EXISTS {FTS_SOURCE_VIEW}",
        ):
            op.execute(statement)
    op.add_column(
        "paragraphs", sa.Column("search_text", sa.Text, nullable=False, server_default="")
    )
    _fill_search_text(conn)
    if sqlite_fts5:
        for statement in _SEARCH_FTS5_SQLITE:
            op.execute(statement)
    elif conn.dialect.name == "postgresql":
        _create_trigram_index(conn)


def _fill_search_text(conn: sa.Connection) -> None:
    """Write ``search_text`` for the paragraphs already there, a batch at a time (100k
    paragraphs take seconds; memory stays flat)."""
    # search.py imports this module (for FTS_TABLE), so it is imported only when needed.
    from layerkit.store.search import search_text

    paragraphs = sa.table(
        "paragraphs", sa.column("id", sa.Integer), sa.column("text"), sa.column("search_text")
    )
    update = (
        paragraphs.update()
        .where(paragraphs.c.id == sa.bindparam("row_id"))
        .values(search_text=sa.bindparam("folded"))
    )
    last = None
    while True:
        query = sa.select(paragraphs.c.id, paragraphs.c.text).order_by(paragraphs.c.id)
        if last is not None:
            query = query.where(paragraphs.c.id > last)
        rows = conn.execute(query.limit(_SEARCH_TEXT_BATCH)).all()
        if not rows:
            return
        conn.execute(update, [{"row_id": r.id, "folded": search_text(r.text)} for r in rows])
        last = rows[-1].id


def _create_trigram_index(conn: sa.Connection) -> None:
    """The GIN trigram index that serves ``LIKE '% word%'`` on PostgreSQL, if the server allows
    it (see :func:`m005_search_text`). A savepoint keeps a refusal from aborting the migration's
    transaction."""
    available = conn.exec_driver_sql(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'"
    ).first()
    if available is None:
        return
    try:
        with conn.begin_nested():
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            conn.exec_driver_sql(
                f"CREATE INDEX {SEARCH_TRIGRAM_INDEX} ON paragraphs "
                "USING gin (search_text gin_trgm_ops)"
            )
    except sa.exc.DBAPIError:
        return


@migration(6)
def m006_text_drafts(op: Operations) -> None:
    """Free texts being typed, kept as they are typed: a crash loses no unsaved draft."""
    op.create_table(
        "text_drafts",
        sa.Column("annotator", sa.String, primary_key=True),
        sa.Column("slot", sa.String, primary_key=True),
        sa.Column(
            "paragraph_id",
            sa.Integer,
            sa.ForeignKey("paragraphs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_at", _tz(), nullable=False),
    )


@migration(7)
def m007_assignments(op: Operations) -> None:
    """Independent double annotation: which annotators annotate which paragraph's layer on a
    private copy (the copies themselves are layers of their own: ``copies.py``)."""
    op.create_table(
        "assignments",
        sa.Column(
            "paragraph_id",
            sa.Integer,
            sa.ForeignKey("paragraphs.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("layer", sa.String, primary_key=True),
        sa.Column("annotator", sa.String, primary_key=True),
        sa.Column("assigned_by", sa.String, nullable=False),
        sa.Column("assigned_at", _tz(), nullable=False),
    )
    op.create_index("ix_assignments_annotator", "assignments", ["annotator", "layer"])


@migration(8)
def m008_annotation_snapshots(op: Operations) -> None:
    """SQLite: each paragraph's shared annotations kept as one JSON document too, for exports
    (see ``snapshots.py``), made here for the paragraphs already stored (about 0.5 ms a
    paragraph: 52 s for 100k paragraphs of the sample corpus, once)."""
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    for statement in snapshots.DDL:
        op.execute(statement)
    driver = conn.connection.driver_connection
    assert driver is not None
    driver.execute(f"INSERT INTO {snapshots.STALE_TABLE} (paragraph_id) SELECT id FROM paragraphs")
    snapshots.refresh(driver)


@migration(9)
def m009_draft_base_version(op: Operations) -> None:
    """Drafts remember the version of the text they were typed over (``TextDraft``)."""
    op.add_column("text_drafts", sa.Column("base_version", sa.Integer, nullable=True))


def is_modelled_table(name: str) -> bool:
    """Whether ``models.py`` describes the table: FTS5's virtual table and its shadow tables
    (``paragraphs_fts_data`` ...) and the annotation snapshots (``snapshots.py``) are made by
    raw DDL and have no model."""
    return not name.startswith((FTS_TABLE, snapshots.TABLE))  # (the stale table's name too)


def is_modelled_index(name: str) -> bool:
    """Whether ``models.py`` describes the index: PostgreSQL's trigram index on ``search_text``
    is made by raw DDL, and only where the server allows ``pg_trgm`` (migration 5)."""
    return name != SEARCH_TRIGRAM_INDEX


LATEST_VERSION = MIGRATIONS[-1].version

_migrations_table = sa.Table(
    "layerkit_migrations",
    sa.MetaData(),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("applied_at", _tz(), nullable=False),
)


def current_version(conn: sa.Connection) -> int:
    if not sa.inspect(conn).has_table("layerkit_migrations"):
        return 0
    return int(conn.execute(sa.select(sa.func.max(_migrations_table.c.version))).scalar() or 0)


def migrate(
    engine: sa.Engine, *, url_for_messages: str, target: int = LATEST_VERSION, create: bool = True
) -> list[int]:
    """Bring the database up to ``target`` (normally ``LATEST_VERSION``); return the versions
    applied. An older ``target`` builds databases as earlier releases left them, so tests can
    check that those upgrade. ``create`` False: an empty database is refused, not made a store
    (only ``init`` and ``import`` may do that); another program's is refused either way.

    Each migration runs in its own transaction together with the row recording it, so a crash
    between two migrations leaves a database that the next open simply continues. Processes
    opening one database at once (a team's first ``init`` on a new server database) migrate one
    after another: on SQLite each step holds the write lock (``BEGIN IMMEDIATE``) and reads the
    version again under it; on a server an advisory lock is held around all of it. Whoever
    comes second finds the work done and applies nothing.
    """
    from layerkit.store.engine import WRITE_OPTION
    from layerkit.store.models import utcnow

    writer = engine.execution_options(**{WRITE_OPTION: True})
    applied: list[int] = []
    with _migration_lock(engine):
        with writer.begin() as conn:
            inspector = sa.inspect(conn)
            if not inspector.has_table("layerkit_migrations"):
                _refuse_foreign_tables(inspector.get_table_names(), url_for_messages)
                if not create:
                    raise StoreError(
                        f"{url_for_messages} is an empty database, not a layerkit store yet.",
                        hint="Create the store first: `layerkit init` with the same --db (or "
                        "LAYERKIT_DB).",
                        title="Not a layerkit store",
                    )
                _migrations_table.create(conn)
            version = current_version(conn)
        if version > LATEST_VERSION:
            raise StoreError(
                f"{url_for_messages} was written by a newer layerkit (store schema version "
                f"{version}; this layerkit knows versions up to {LATEST_VERSION}).",
                hint="Upgrade layerkit (pip install -U layerkit) to open it. Nothing was changed.",
                title="Database from a newer layerkit",
            )
        for step in MIGRATIONS:
            if step.version <= version or step.version > target:
                continue
            with writer.begin() as conn:
                if current_version(conn) >= step.version:
                    continue  # another process applied it meanwhile (SQLite)
                from alembic.operations import Operations
                from alembic.runtime.migration import MigrationContext

                step.apply(Operations(MigrationContext.configure(conn)))
                conn.execute(
                    _migrations_table.insert().values(
                        version=step.version, name=step.name, applied_at=utcnow()
                    )
                )
            applied.append(step.version)
    return applied


def _refuse_foreign_tables(tables: list[str], url_for_messages: str) -> None:
    """A database without layerkit's migrations table is new only if it holds no tables at
    all: one with other tables belongs to another program, and layerkit's eighteen tables are
    not added to it (any command opening it used to)."""
    foreign = sorted(t for t in tables if not t.startswith("sqlite_"))
    if foreign:
        shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        raise StoreError(
            f"{url_for_messages} is not a layerkit store: it holds {len(foreign)} other "
            f"table(s) ({shown}); nothing was changed.",
            hint="Give layerkit a database of its own: a new file, or a new server database.",
            title="Not a layerkit store",
        )


@contextmanager
def _migration_lock(engine: sa.Engine) -> Iterator[None]:
    """On a server, one migrating process at a time (a session advisory lock, released when
    the block ends or the connection dies); on SQLite the write lock of each step does it."""
    if engine.dialect.name == "sqlite":
        yield
        return
    from layerkit.store.locks import MIGRATION_KEY

    with engine.connect() as conn:
        # Another process migrating may take minutes on a big store: waited for as long as it
        # takes, not the lock timeout of every other wait (engine.py)
        conn.execute(sa.text("SET LOCAL lock_timeout = 0"))  # (this transaction only)
        conn.execute(sa.select(sa.func.pg_advisory_lock(MIGRATION_KEY, 0)))
        conn.commit()
        try:
            yield
        finally:
            conn.execute(sa.select(sa.func.pg_advisory_unlock(MIGRATION_KEY, 0)))
            conn.commit()
