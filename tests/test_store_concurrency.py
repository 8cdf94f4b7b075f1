"""Concurrent writers on one store, on SQLite and on a real PostgreSQL server.

Each test stages a race deterministically: one writer holds an open transaction that has
changed something, a second writer starts its own change meanwhile (in a thread, with its own
store and connections), then the first commits. On PostgreSQL, without the store's locks and
in-write checks, the second writer would read the state from before the first's commit and
overwrite it, collide on a primary key, or trip over a row that vanished under it; on SQLite
the write lock queues the two. Either way the outcome must be the same: the second writer sees
the first's work and gets an "Edit conflict", or succeeds on top of it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import (
    LAYERS,
    REPO,
    make_document,
    the_token_editor_holds,
    type_in_the_first_tokens_editor,
)

from layerkit.errors import ConflictError, LayerkitError
from layerkit.store import Store
from layerkit.store.engine import database_url

HOLD_SECONDS = 0.4  # how long the first writer keeps its transaction open after the second starts


def _open(db_url: str) -> Store:
    return Store.open(db_url, layer_order=LAYERS)


class Racer(threading.Thread):
    """Runs ``action`` in a thread and keeps what it returned or raised."""

    def __init__(self, action: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self.action = action
        self.result: Any = None
        self.error: BaseException | None = None
        self.finished_at = 0.0

    def run(self) -> None:
        try:
            self.result = self.action()
        except BaseException as exc:
            self.error = exc
        finally:
            self.finished_at = time.monotonic()


def _race(db_url: str, first: Callable[[Store], Any], second: Callable[[Store], Any]) -> Racer:
    """``first`` runs inside an open batch of annotator "boris" (it gets the batch); while the
    batch is open, ``second(store)`` starts in a thread on a store of its own; then the batch
    commits. Returns the finished thread."""
    with _open(db_url) as mine, _open(db_url) as theirs:
        racer = Racer(lambda: second(theirs))
        with mine.batch(annotator="boris") as batch:
            first(batch)
            racer.start()
            time.sleep(HOLD_SECONDS)
            committed_at = time.monotonic()
        racer.join(30)
        assert not racer.is_alive()
        # it could not have finished before the first writer committed (it had to wait),
        # unless it failed at once without waiting
        if racer.error is None:
            assert racer.finished_at >= committed_at - 0.05
        return racer


def _paragraph(store: Store) -> int:
    with store.bulk() as writer:
        writer.add_document(make_document("doc", "Мама мыла раму.", "Папа читал газету."))
    pid = next(store.iter_paragraphs()).id
    assert pid is not None
    return pid


def _span(store: Store, pid: int, annotator: str = "anna", label: str = "AGENT") -> int:
    created = store.create_annotation(
        paragraph_id=pid,
        layer="semantic",
        kind="span",
        field="role",
        start=0,
        end=4,
        label=label,
        annotator=annotator,
    )
    assert created.id is not None
    return created.id


def test_two_updates_expecting_one_version_one_wins(store: Store, db_url: str) -> None:
    pid = _paragraph(store)
    span = _span(store, pid)
    racer = _race(
        db_url,
        lambda batch: batch.update_annotation(span, expected_version=1, label="PATIENT"),
        lambda theirs: theirs.update_annotation(
            span, annotator="anna", expected_version=1, label="THEME"
        ),
    )
    assert isinstance(racer.error, ConflictError), racer.error
    final = store.annotation(span)
    assert (final.label, final.version, final.annotator) == ("PATIENT", 2, "boris")


def test_delete_expecting_an_old_version_is_refused(store: Store, db_url: str) -> None:
    pid = _paragraph(store)
    span = _span(store, pid)
    racer = _race(
        db_url,
        lambda batch: batch.update_annotation(span, expected_version=1, label="PATIENT"),
        lambda theirs: theirs.delete_annotation(span, annotator="anna", expected_version=1),
    )
    assert isinstance(racer.error, ConflictError), racer.error
    assert store.annotation(span).label == "PATIENT"


def test_first_edits_of_a_layer_at_once_both_land(store: Store, db_url: str) -> None:
    pid = _paragraph(store)

    def create(target: Any, annotator: str | None) -> None:
        kwargs = {"annotator": annotator} if annotator else {}
        target.create_annotation(
            paragraph_id=pid,
            layer="logical",
            kind="span",
            field="unit",
            start=0,
            end=4,
            label="CLAIM",
            **kwargs,
        )

    racer = _race(db_url, lambda batch: create(batch, None), lambda theirs: create(theirs, "anna"))
    assert racer.error is None, racer.error
    assert len(store.annotations(pid, "logical")) == 2
    assert store.statuses(pid)["logical"].state == "in_progress"


def test_status_set_by_two_annotators_at_once(store: Store, db_url: str) -> None:
    pid = _paragraph(store)
    racer = _race(
        db_url,
        lambda batch: batch.set_status(pid, "pragmatic", "in_progress"),
        lambda theirs: theirs.set_status(pid, "pragmatic", "done", annotator="anna"),
    )
    assert racer.error is None, racer.error
    status = store.statuses(pid)["pragmatic"]
    assert (status.state, status.annotator) == ("done", "anna")
    # both changes are in the log, in the order they committed, and both undo cleanly
    assert store.undo("anna") is not None
    assert store.statuses(pid)["pragmatic"].state == "in_progress"


def test_undo_racing_another_annotators_update_is_refused(store: Store, db_url: str) -> None:
    pid = _paragraph(store)
    span = _span(store, pid)  # anna's creation: her undo would delete it
    racer = _race(
        db_url,
        lambda batch: batch.update_annotation(span, expected_version=1, label="PATIENT"),
        lambda theirs: theirs.undo("anna"),
    )
    assert isinstance(racer.error, ConflictError), racer.error
    assert store.annotation(span).label == "PATIENT"  # boris's change survived


def test_relation_to_a_span_deleted_meanwhile_is_a_conflict(store: Store, db_url: str) -> None:
    pid = _paragraph(store)
    predicate, argument = _span(store, pid), _span(store, pid, label="THEME")
    racer = _race(
        db_url,
        lambda batch: batch.delete_annotation(argument),
        lambda theirs: theirs.create_annotation(
            paragraph_id=pid,
            layer="semantic",
            kind="relation",
            field="role",
            label="AGENT",
            source_id=predicate,
            target_id=argument,
            annotator="anna",
        ),
    )
    assert isinstance(racer.error, ConflictError), racer.error
    assert [a.id for a in store.annotations(pid, "semantic")] == [predicate]


def test_update_of_a_suggestion_replaced_meanwhile_is_a_conflict(store: Store, db_url: str) -> None:
    """An annotator edits a model suggestion while `preannotate --redo` replaces it."""
    pid = _paragraph(store)
    with store.bulk(annotator="model:x@1", action="preannotate") as writer:
        writer.replace_model_annotations(pid, "lexical", [_token_row(0, 4, "NOUN")])
    (token,) = store.annotations(pid, "lexical")
    assert token.id is not None
    with _open(db_url) as theirs:
        racer = Racer(
            lambda: theirs.update_annotation(
                token.id, annotator="anna", expected_version=1, label="PROPN"
            )
        )
        with store.bulk(annotator="model:x@1", action="preannotate") as writer:
            writer.replace_model_annotations(pid, "lexical", [_token_row(0, 4, "VERB")])
            racer.start()
            time.sleep(HOLD_SECONDS)
        racer.join(30)
    assert isinstance(racer.error, ConflictError), racer.error
    assert "no longer exists" in str(racer.error)
    assert [a.label for a in store.annotations(pid, "lexical")] == ["VERB"]


def _token_row(start: int, end: int, upos: str) -> dict[str, Any]:
    return {
        "layer": "lexical",
        "kind": "token",
        "field": "upos",
        "start": start,
        "end": end,
        "label": upos,
        "annotator": "model:x@1",
        "origin": "model:x@1",
    }


def test_replacing_many_layers_at_once_leaves_those_a_person_annotated(store: Store) -> None:
    """``replace_model_layers`` (pre-annotation's write, many paragraphs per statement) does for
    each paragraph what ``replace_model_annotations`` does for one."""
    with store.bulk() as writer:
        writer.add_document(make_document("doc", "Мама мыла раму.", "Папа спал.", "Кот ел."))
    first, second, third = (p.id for p in store.iter_paragraphs())
    with store.bulk(annotator="model:x@1", action="preannotate") as writer:
        writer.replace_model_annotations(first, "lexical", [_token_row(0, 4, "NOUN")])
        writer.replace_model_annotations(second, "lexical", [_token_row(0, 4, "NOUN")])
    (corrected,) = store.annotations(second, "lexical")
    store.update_annotation(corrected.id, annotator="anna", label="PROPN")
    with store.bulk(annotator="model:x@2", action="preannotate") as writer:
        replaced = writer.replace_model_layers(
            "lexical",
            [
                (first, [_token_row(0, 4, "VERB"), _token_row(5, 9, "VERB")]),
                (second, [_token_row(0, 4, "VERB")]),
                (third, [_token_row(0, 3, "VERB")]),
            ],
        )
    assert replaced == [True, False, True]
    assert [(a.start, a.label) for a in store.annotations(first, "lexical")] == [
        (0, "VERB"),
        (5, "VERB"),
    ]
    assert [(a.label, a.origin) for a in store.annotations(second, "lexical")] == [
        ("PROPN", "human")
    ]
    assert [a.label for a in store.annotations(third, "lexical")] == ["VERB"]
    with pytest.raises(LayerkitError, match="twice"), store.bulk() as writer:
        writer.replace_model_layers("lexical", [(first, []), (first, [])])
    assert len(store.annotations(first, "lexical")) == 2  # the refused write changed nothing


def test_suggestions_never_replace_an_edit_made_meanwhile(store: Store, db_url: str) -> None:
    """`preannotate --redo` and an annotator's correction of the same suggestion at once: the
    correction (now human work) wins, whichever commits first."""
    pid = _paragraph(store)
    with store.bulk(annotator="model:x@1", action="preannotate") as writer:
        writer.replace_model_annotations(pid, "lexical", [_token_row(0, 4, "NOUN")])
    (token,) = store.annotations(pid, "lexical")
    with _open(db_url) as theirs:

        def redo() -> bool:
            with theirs.bulk(annotator="model:x@2", action="preannotate") as writer:
                return writer.replace_model_annotations(pid, "lexical", [_token_row(0, 4, "VERB")])

        racer = Racer(redo)
        with store.batch(annotator="anna") as batch:
            batch.update_annotation(token.id, expected_version=1, label="PROPN")
            racer.start()
            time.sleep(HOLD_SECONDS)
        racer.join(30)
    assert racer.error is None, racer.error
    assert racer.result is False  # it saw the human edit and left the paragraph alone
    labels = [(a.label, a.origin) for a in store.annotations(pid, "lexical")]
    assert labels == [("PROPN", "human")]


def test_two_sessions_of_one_annotator_keep_one_undo_stack(store: Store, db_url: str) -> None:
    """The same annotator in two windows: every edit lands on one stack, undone once each."""
    pid = _paragraph(store)
    errors: list[BaseException] = []

    def edit(n: int) -> None:
        try:
            with _open(db_url) as mine:
                for i in range(n):
                    _span(mine, pid, annotator="anna", label=f"L{i}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=edit, args=(8,)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(store.annotations(pid, "semantic")) == 24
    for _ in range(24):
        assert store.undo("anna") is not None
    assert store.undo("anna") is None
    assert store.annotations(pid, "semantic") == []


def test_concurrent_first_opens_migrate_once(backend: str, tmp_path: Path, request) -> None:
    """Three groups of three processes' first `Store.open` (what `init` does) at once."""
    for group in range(3):
        if backend == "sqlite":
            url = str(tmp_path / f"new{group}.db")
        else:
            url = request.getfixturevalue("postgres_database") if group == 0 else _new_pg(request)
        errors: list[BaseException] = []
        barrier = threading.Barrier(3)

        def open_it(
            url: str = url, barrier: threading.Barrier = barrier, errors: list = errors
        ) -> None:
            try:
                barrier.wait()
                _open(url).close()
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=open_it) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors, errors
        engine = sa.create_engine(database_url(url))
        with engine.connect() as conn:
            versions = conn.execute(sa.text("SELECT version FROM layerkit_migrations")).scalars()
            versions = sorted(versions)
        engine.dispose()
        assert versions == list(range(1, len(versions) + 1)) and len(versions) >= 4


def _new_pg(request) -> str:
    """Another fresh PostgreSQL database in the same test (the fixture gives one per test)."""
    import uuid

    from conftest import _admin_execute, postgres_admin_url

    admin = postgres_admin_url()
    name = "lk_" + uuid.uuid4().hex[:16]
    _admin_execute(admin, f'CREATE DATABASE "{name}"')
    request.addfinalizer(
        lambda: _admin_execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    )
    return admin.rpartition("/")[0] + "/" + name


# --- imports ---------------------------------------------------------------------------------

SLOW_IMPORTER = '''
import time
from layerkit.plugin import hookimpl
from layerkit.drafts import DocumentDraft, ParagraphDraft

class SlowImporter:
    """Yields a document every DELAY seconds: an import that takes a while."""
    name = "slow"
    extensions = (".slow",)
    description = "test importer"

    def read(self, path, options):
        lines = path.read_text(encoding="utf-8").splitlines()
        delay = float(lines[0])
        for i, line in enumerate(lines[1:]):
            if line == "FAIL":
                raise ValueError("this file is broken on purpose")
            time.sleep(delay)
            yield DocumentDraft(
                name=f"{path.stem}-{i}", source=str(path), format="slow",
                paragraphs=[ParagraphDraft(text=t) for t in line.split(" | ")],
            )

@hookimpl
def register_importers(register):
    register(SlowImporter())
'''


def _slow_input(tmp_path: Path, docs: list[str], delay: float, name: str = "big") -> Path:
    path = tmp_path / f"{name}.slow"
    path.write_text("\n".join([str(delay), *docs]), encoding="utf-8")
    return path


def _plugin(tmp_path: Path) -> Path:
    plugin = tmp_path / "slow_importer.py"
    plugin.write_text(SLOW_IMPORTER, encoding="utf-8")
    return plugin


def _cli(db_url: str, plugin: Path, *args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, COLUMNS="200")
    return subprocess.Popen(
        [sys.executable, "-m", "layerkit", "--db", db_url, "--plugin", str(plugin), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )


def _import_thread(db_url: str, plugin: Path, path: Path) -> Racer:
    """``layerkit import PATH`` in a thread, with a project and store of its own."""
    from layerkit.ingest import import_paths
    from layerkit.project import Project

    project = Project.load(db_url, [plugin])

    def run() -> Any:
        with _open(db_url) as theirs:
            return import_paths(project, theirs, [path])

    racer = Racer(run)
    racer.start()
    return racer


def _docs(n: int, tag: str = "") -> list[str]:
    return [f"Абзац номер {i}{tag} о погоде. | Второй абзац документа {i}{tag}." for i in range(n)]


def test_saves_never_wait_for_a_long_import(store: Store, db_url: str, tmp_path: Path) -> None:
    """While an import writes for seconds, annotators save at their usual pace, and nobody
    sees any of the import until it has all been written."""
    pid = _paragraph(store)
    span = _span(store, pid)
    before = store.summary()
    importer = _import_thread(db_url, _plugin(tmp_path), _slow_input(tmp_path, _docs(30), 0.1))
    slowest = 0.0
    saves = 0
    version = 1
    seen_pending = False
    try:
        while importer.is_alive():
            started = time.monotonic()
            store.update_annotation(
                span, annotator="anna", expected_version=version, label=f"L{saves}"
            )
            slowest = max(slowest, time.monotonic() - started)
            version += 1
            saves += 1
            # nothing visible before the end, then everything at once
            assert store.summary().documents in (before.documents, before.documents + 30)
            seen_pending = seen_pending or _pending_documents(store) > 0
            time.sleep(0.02)
    finally:
        importer.join(120)
    assert importer.error is None, importer.error
    assert seen_pending, "the import never wrote anything while it ran"
    assert saves >= 20
    assert slowest < 1.0, f"a save waited {slowest:.2f} s for the import"
    after = store.summary()
    assert after.documents == before.documents + 30
    assert after.paragraphs == before.paragraphs + 60
    assert _pending_documents(store) == 0


def _pending_documents(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(
            conn.execute(
                sa.text("SELECT count(*) FROM documents WHERE pending_import_id IS NOT NULL")
            ).scalar_one()
        )


def _table_counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {
            t: int(conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one())
            for t in ("documents", "paragraphs", "annotations", "layer_status", "events", "imports")
        }


def test_failed_import_after_written_steps_leaves_no_trace(
    store: Store, db_url: str, tmp_path: Path
) -> None:
    from layerkit.ingest import import_paths
    from layerkit.project import Project

    _paragraph(store)
    before = _table_counts(store)
    bad = _slow_input(tmp_path, [*_docs(5), "FAIL"], 0.0)
    project = Project.load(db_url, [_plugin(tmp_path)])
    with pytest.raises(LayerkitError, match="broken on purpose"):
        import_paths(project, store, [bad])
    assert _table_counts(store) == before


def _kill_an_import(store: Store, db_url: str, tmp_path: Path) -> None:
    """``layerkit import`` of 200 slow documents, killed with SIGKILL once it has written
    three of them (hidden, its import unfinished)."""
    importer = _cli(
        db_url, _plugin(tmp_path), "import", str(_slow_input(tmp_path, _docs(200), 0.05))
    )
    try:
        deadline = time.monotonic() + 60
        while _pending_documents(store) < 3:
            assert importer.poll() is None, importer.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        importer.send_signal(signal.SIGKILL)
        importer.wait(30)
    finally:
        if importer.poll() is None:
            importer.kill()
        importer.communicate()


def test_killed_import_is_taken_back_on_next_open(
    store: Store, db_url: str, tmp_path: Path
) -> None:
    _paragraph(store)
    before = _table_counts(store)
    _kill_an_import(store, db_url, tmp_path)
    assert store.summary().documents == 1  # hidden while it was being written
    assert _pending_documents(store) >= 3
    # ... from every reader: search, the navigator, paragraph iteration, pre-annotation
    from layerkit.store import queries

    assert store.search_paragraph_ids("абзац", limit=100) == []
    assert store.count_search_hits("погоде") == 0
    assert queries.count(store) == 2
    assert queries.count(store, queries.ParagraphFilter(text="погоде")) == 0
    assert len(list(store.iter_paragraphs())) == 2
    assert len(list(store.iter_paragraph_bundles())) == 2
    assert len(store.paragraphs_to_preannotate("lexical")) == 2
    with _open(db_url) as reopened:
        assert _table_counts(reopened) == before


def test_same_folder_imported_twice_at_once(store: Store, db_url: str, tmp_path: Path) -> None:
    """Two imports of one folder at once: each document once, duplicates as one import
    records them, and the other import says it skipped them (no error)."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    shared = "Этот абзац повторяется во всех документах."
    for i in range(6):
        (folder / f"doc{i}.slow").write_text(
            "0.05\n" + f"Свой абзац документа {i}. | {shared}", encoding="utf-8"
        )
    plugin = _plugin(tmp_path)
    runs = [_import_thread(db_url, plugin, folder) for _ in range(2)]
    for run in runs:
        run.join(120)
        assert run.error is None, run.error
    summary = store.summary()
    assert summary.documents == 6
    assert summary.paragraphs == 12
    assert summary.duplicates == 5  # the shared paragraph, in 5 documents after the first
    reports = [run.result for run in runs]
    assert sum(r.total("documents_added") for r in reports) == 6
    assert sum(r.total("documents_skipped") for r in reports) == 6  # each in the other run


def test_import_duplicates_link_across_imports_finished_meanwhile(
    store: Store, db_url: str, tmp_path: Path
) -> None:
    """Two imports of different files sharing a paragraph, at once: the paragraph is recorded
    as a duplicate once, whichever import finishes last."""
    shared = "Общий абзац двух разных файлов."
    plugin = _plugin(tmp_path)
    a = _slow_input(tmp_path, [f"Первый файл. | {shared}", "Ещё документ."], 0.3, name="a")
    b = _slow_input(tmp_path, [f"Второй файл. | {shared}", "И ещё один."], 0.3, name="b")
    runs = [_import_thread(db_url, plugin, path) for path in (a, b)]
    for run in runs:
        run.join(120)
        assert run.error is None, run.error
    summary = store.summary()
    assert summary.paragraphs == 6
    assert summary.duplicates == 1


SHARED_PARAGRAPH = "Общий абзац двух импортов."


@contextmanager
def _publishing_held(store: Store, session: Any) -> Iterator[Racer]:
    """``session.finish()`` running in a thread, held inside its publishing transaction (its
    finish time stamped, its documents published but not committed) by a row lock on its
    import row, until the block ends; then it commits. Yields the thread."""
    from layerkit.store.imports import imports_t

    with store.engine.connect() as holder:
        holder.execute(
            sa.select(imports_t.c.id).where(imports_t.c.id == session.import_id).with_for_update()
        )
        publishing = Racer(session.finish)
        publishing.start()
        time.sleep(HOLD_SECONDS)
        assert publishing.is_alive()  # waiting on the row
        yield publishing
        holder.rollback()
    publishing.join(30)
    assert publishing.error is None, publishing.error


def _import_writing(store: Store, annotator: str, name: str) -> Any:
    """An import session of ``annotator``, started, that wrote a document holding the shared
    paragraph (hidden until it finishes)."""
    from layerkit.store.imports import ImportSession

    session = ImportSession(store, annotator)
    session.start()
    session.add_document(make_document(name, f"Документ {name}.", SHARED_PARAGRAPH))
    return session


def _assert_shared_paragraph_linked_once(store: Store) -> None:
    summary = store.summary()
    assert summary.paragraphs == 4
    assert summary.duplicates == 1


def test_import_started_while_another_publishes_links_the_shared_paragraph(
    postgres_database: str,
) -> None:
    """Staged on a server: import A's publishing transaction has stamped its finish time and is
    held open while import B starts and writes the same paragraph (A's copy still hidden, so not
    linked then); A commits; B publishes. A finished after B started, though A's stamp is older
    than B's start: B must still link its copy."""
    with _open(postgres_database) as store, _open(postgres_database) as theirs:
        first = _import_writing(store, "anna", "a")
        with _publishing_held(store, first):
            second = _import_writing(theirs, "boris", "b")
        second.finish()
        _assert_shared_paragraph_linked_once(store)


def test_imports_of_two_annotators_publishing_at_once_link_the_shared_paragraph(
    postgres_database: str,
) -> None:
    """Staged on a server: imports A and B (of two annotators, so their annotator locks do not
    queue them) both wrote the same paragraph, hidden. A's publishing transaction is held open
    while B publishes: B must wait for A and link its copy, not read A as unfinished and
    publish the paragraph unlinked beside A's."""
    with _open(postgres_database) as store, _open(postgres_database) as theirs:
        first = _import_writing(store, "anna", "a")
        second = _import_writing(theirs, "boris", "b")
        with _publishing_held(store, first):
            publishing_too = Racer(second.finish)
            publishing_too.start()
            time.sleep(HOLD_SECONDS)
            assert publishing_too.is_alive()  # waits for A to publish
        publishing_too.join(30)
        assert publishing_too.error is None, publishing_too.error
        _assert_shared_paragraph_linked_once(store)


def test_import_event_lists_what_it_published(store: Store, db_url: str, tmp_path: Path) -> None:
    importer = _import_thread(db_url, _plugin(tmp_path), _slow_input(tmp_path, _docs(3), 0))
    importer.join(120)
    assert importer.error is None, importer.error
    (event,) = [e for e in store.events() if e["action"] == "import"]
    payload = (
        event["payload"] if isinstance(event["payload"], dict) else json.loads(event["payload"])
    )
    assert len(payload["documents"]) == 3 and payload["paragraphs"] == 6
    assert [d.id for d in store.documents()] == payload["documents"]


# --- the annotator -----------------------------------------------------------------------


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_annotator_shows_a_lost_race_as_an_edit_conflict(store: Store, db_url: str) -> None:
    """Anna relabels a span while Bob's relabel of it is being saved: the annotator waits for
    Bob's save, then shows "Edit conflict" (not a traceback, not Bob's work overwritten) and
    stays open on Bob's version."""
    from layerkit.tui import create_app
    from layerkit.tui.screens.annotate import AnnotateScreen
    from layerkit.tui.screens.error import ErrorModal

    pid = _paragraph(store)
    store.save_position("anna", paragraph_id=pid, layer="semantic")
    app = create_app(db_url, "anna", poll_seconds=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("p")
        (mine,) = store.annotations(pid, "semantic")
        assert mine.id is not None
        saving = threading.Event()

        def bob() -> None:
            with _open(db_url) as theirs, theirs.batch(annotator="bob") as batch:
                batch.update_annotation(mine.id, expected_version=1, label="TIME")
                saving.set()
                time.sleep(HOLD_SECONDS)

        racer = Racer(bob)
        racer.start()
        assert saving.wait(30)
        await pilot.press("a")  # Anna's relabel, based on version 1
        racer.join(30)
        assert racer.error is None, racer.error
        await pilot.pause()
        assert isinstance(app.screen, ErrorModal)
        assert app.screen.error.title == "Edit conflict"
        await pilot.press("enter")
        assert isinstance(app.screen, AnnotateScreen)
        assert app.is_running
    (now,) = store.annotations(pid, "semantic")
    assert (now.label, now.annotator) == ("TIME", "bob")


def _end_session(store: Store, connection: sa.Connection) -> None:
    """End a connection's server session from another one, as ``idle_session_timeout``, a
    pooler or an administrator's ``pg_terminate_backend`` does."""
    pid = connection.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
    connection.commit()
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()


def test_an_import_whose_server_session_ended_goes_on_or_is_told_it_was_taken_back(
    postgres_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The PostgreSQL audit: with the import's session ended (its advisory lock with it),
    another command took the running import back while it still wrote; the import then
    said "Imported 1600 document(s)" with exit 0, thousands of paragraphs gone (or died on a
    foreign key with a traceback). Now it takes its lock again where nobody took it back, and
    stops, told, where somebody did; nothing half is ever published."""
    from layerkit.store import imports

    monkeypatch.setattr(imports, "KEEP_ALIVE_SECONDS", 0.0)
    with _open(postgres_database) as store, _open(postgres_database) as other:
        with imports.importing(store, annotator="anna") as session:
            session.add_document(make_document("a", "Первый абзац о погоде."))
            assert session._liveness is not None
            _end_session(other, session._liveness)
            session.add_document(make_document("b", "Второй абзац о погоде."))
            assert imports.clean_abandoned_imports(other) == 0  # its lock is held again
        assert other.summary().documents == 2
        before = _table_counts(other)
        with (
            pytest.raises(imports.TakenBack, match="took it back; nothing of it is kept"),
            imports.importing(store, annotator="anna") as session,
        ):
            session.add_document(make_document("c", "Третий абзац о погоде."))
            assert session._liveness is not None
            _end_session(other, session._liveness)
            assert imports.clean_abandoned_imports(other) == 1  # taken for dead
            session.add_document(make_document("d", "Четвёртый абзац о погоде."))
        assert _table_counts(other) == before
        assert _pending_documents(other) == 0


def test_the_first_call_after_a_server_session_ended_is_not_refused(
    postgres_database: str,
) -> None:
    """The PostgreSQL audit: the pool's check of a connection before reuse (pre-ping) was
    itself turned into "Database unreachable", so after a server restart, or a session ended
    by the server, each pooled connection failed one real call (an annotator's label key
    opened an error dialog with the server up)."""
    with _open(postgres_database) as store, _open(postgres_database) as other:
        with store.engine.connect() as one, store.engine.connect() as two:
            for pooled in (one, two):  # (checked in with their sessions ended)
                _end_session(other, pooled)
        for _ in range(3):
            assert store.summary().documents == 0  # a fresh connection, not an error


@contextmanager
def _paragraph_held(store: Store, paragraph_id: int) -> Iterator[None]:
    """Another session keeps a transaction open that holds the paragraph (a hung process, a
    ``BEGIN`` typed in psql): on SQLite the write lock, on a server the paragraph's row."""
    with store.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.connection.driver_connection.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]
        else:
            conn.execute(
                sa.text("SELECT id FROM paragraphs WHERE id = :id FOR UPDATE"), {"id": paragraph_id}
            )
        try:
            yield
        finally:
            conn.rollback()


def test_a_change_that_waits_past_the_busy_timeout_is_refused_and_saves_nothing(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The PostgreSQL audit: a paragraph another session held in an open transaction froze
    every annotator who saved on it, for good (SQLite gives up after its busy timeout). Both
    now wait as long as the busy timeout, then refuse as "Database busy"; nothing is saved,
    and the same change goes through once the other session lets go."""
    from layerkit.store import engine

    monkeypatch.setattr(engine, "BUSY_TIMEOUT_MS", 1_000)
    with _open(db_url) as store, _open(db_url) as other:
        pid = _paragraph(store)
        with _paragraph_held(other, pid):
            started = time.monotonic()
            with pytest.raises(LayerkitError) as refused:
                _span(store, pid)
            waited = time.monotonic() - started
        assert refused.value.title == "Database busy"
        assert "1 s" in refused.value.message and "nothing was saved" in refused.value.message
        assert 0.9 <= waited < 10, waited
        assert store.annotations(pid, layer="semantic") == []
        _span(store, pid)
        assert [a.label for a in store.annotations(pid, layer="semantic")] == ["AGENT"]


def test_a_servers_lock_timeout_is_the_busy_timeout_unless_something_sets_it(
    postgres_database: str,
) -> None:
    """The lock timeout goes with the URL's own ``options`` (a search path, say); a URL, a
    database or a role that sets one keeps its own."""
    with _open(postgres_database) as store, store.engine.connect() as conn:
        assert conn.execute(sa.text("SHOW lock_timeout")).scalar_one() == "30s"
    with_options = f"{postgres_database}?options=-c%20statement_timeout%3D12345"
    with _open(with_options) as store, store.engine.connect() as conn:
        assert conn.execute(sa.text("SHOW lock_timeout")).scalar_one() == "30s"
        assert conn.execute(sa.text("SHOW statement_timeout")).scalar_one() == "12345ms"
    own = f"{postgres_database}?options=-c%20lock_timeout%3D2500"
    with _open(own) as store, store.engine.connect() as conn:
        assert conn.execute(sa.text("SHOW lock_timeout")).scalar_one() == "2500ms"
    # ... and so does the database's own setting (the PostgreSQL audit: overridden)
    with _open(postgres_database) as store, store.engine.connect() as conn:
        database = conn.execute(sa.text("SELECT current_database()")).scalar_one()
        conn.execute(sa.text(f"ALTER DATABASE \"{database}\" SET lock_timeout = '4s'"))
        conn.commit()
    with _open(postgres_database) as store, store.engine.connect() as conn:
        assert conn.execute(sa.text("SHOW lock_timeout")).scalar_one() == "4s"
        # a migration's wait for another is unbounded for its transaction only
        from layerkit.store.migrations import _migration_lock

        with _migration_lock(store.engine):
            pass
    with _open(postgres_database) as store, store.engine.connect() as conn:
        assert conn.execute(sa.text("SHOW lock_timeout")).scalar_one() == "4s"


@pytest.mark.anyio
async def test_the_token_editor_comes_back_with_what_was_typed_when_the_paragraph_is_held(
    store: Store, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A save refused as "Database busy" (another session held the paragraph past the busy
    timeout) may simply be made again: the token editor comes back with what was typed, under
    the error, as it does when the server cannot be reached; it closed before, the typing lost."""

    from layerkit.store import engine
    from layerkit.tui import create_app
    from layerkit.tui.screens.error import ErrorModal
    from layerkit.tui.screens.token import TokenEditor

    monkeypatch.setattr(engine, "BUSY_TIMEOUT_MS", 300)
    pid = _paragraph(store)
    app = create_app(db_url, "anna", poll_seconds=None)
    async with app.run_test(size=(160, 30)) as pilot:
        await pilot.pause()
        await type_in_the_first_tokens_editor(app, pilot, "мама", "NOUN")
        with _open(db_url) as other, _paragraph_held(other, pid):
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, ErrorModal), app.screen
            assert app.screen.error.title == "Database busy"
        await pilot.press("escape")
        await pilot.pause()
        the_token_editor_holds(app, "мама", "NOUN")
        await pilot.press("enter")  # saved now
        await pilot.pause()
        assert not isinstance(app.screen, (TokenEditor, ErrorModal)), app.screen
    [first] = [a for a in store.annotations(pid, "lexical") if a.start == 0]
    assert (first.attrs["lemma"], first.label) == ("мама", "NOUN")


def test_a_killed_import_whose_pid_another_process_got_is_taken_back(tmp_path: Path) -> None:
    """On SQLite an import is alive while a process with its pid runs on its host. A pid is
    used again once its process is gone: a container started again gets pid 1 each time, so
    the next command's own process, or any process started since, kept a killed import's
    half-written documents for an hour (until its heartbeat went stale). A process started
    after the import is not its importer, nor is this process unless it runs the import."""
    from layerkit.store import imports

    db = str(tmp_path / "store.db")
    with _open(db) as store:
        _paragraph(store)
        before = _table_counts(store)
        _kill_an_import(store, db, tmp_path)
        time.sleep(imports.PROCESS_START_SLACK + 0.5)  # (the newcomer starts after the slack)
        newcomer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        try:
            for pid in (newcomer.pid, os.getpid()):  # each as the one that got the pid
                with store.engine.begin() as conn:
                    conn.execute(sa.text("UPDATE imports SET pid = :pid"), {"pid": pid})
                assert len(imports.abandoned_imports(store)) == 1, pid
        finally:
            newcomer.kill()
            newcomer.wait()
        # ... and an import this process runs is alive, its pid this process's
        with imports.importing(store, annotator="anna") as session:
            session.add_document(make_document("live", "Абзац живого импорта."))
            assert len(imports.abandoned_imports(store)) == 1  # the killed one only
        assert imports.clean_abandoned_imports(store) == 1
        after = _table_counts(store)
        assert after["documents"] == before["documents"] + 1  # the live import's
        assert after["imports"] == before["imports"] + 1


def test_a_position_on_a_held_paragraph_is_not_waited_for(postgres_database: str) -> None:
    """The PostgreSQL audit: opening a paragraph another session held froze the annotator for
    the whole lock timeout (30 s): saving the position waited on the paragraph's row for its
    foreign key. A position is refused at once (the annotator saves it next time)."""
    with _open(postgres_database) as store, _open(postgres_database) as other:
        pid = _paragraph(store)
        with _paragraph_held(other, pid):
            started = time.monotonic()
            with pytest.raises(LayerkitError) as refused:
                store.save_position("anna", paragraph_id=pid, layer="semantic")
            assert time.monotonic() - started < 5
        assert refused.value.title == "Database busy"
        assert store.save_position("anna", paragraph_id=pid, layer="semantic").paragraph_id == pid


def test_an_import_waiting_on_a_held_paragraph_says_busy(
    postgres_database: str, tmp_path: Path
) -> None:
    """The PostgreSQL audit: importing a text that repeats a paragraph another session held
    ended in a traceback (LockNotAvailable, from the duplicate's foreign-key check), exit 1."""
    with _open(postgres_database) as store, _open(postgres_database) as other:
        pid = _paragraph(store)
        (tmp_path / "dup.txt").write_text("Мама мыла раму.\n\nНовый абзац здесь.\n", "utf-8")
        url = f"{postgres_database}?options=-c%20lock_timeout%3D1000"
        with _paragraph_held(other, pid):
            importer = subprocess.run(
                [sys.executable, "-m", "layerkit", "--db", url, "import", str(tmp_path)],
                capture_output=True,
                text=True,
                timeout=300,
            )
        assert importer.returncode == 2, importer.stderr
        assert "Error: Database busy" in importer.stderr and "Traceback" not in importer.stderr
        assert store.summary().documents == 1  # nothing of it kept
