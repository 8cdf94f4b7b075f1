"""A team's server that goes away (stopped, restarted, the network between) in the middle of a
command or an annotator's session: the user is told so, as every error is told (title, message,
hint; exit 2), never with a driver traceback (whose local variables hold the connection string
and its password), never blamed on a plugin; nothing saved is lost, and work goes on once the
server answers again. The server is cut off by a relay (:mod:`tcp_cut`), not stopped: the other
tests share it.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import (
    LAYERS,
    _admin_execute,
    make_document,
    postgres_admin_url,
    the_token_editor_holds,
    type_in_the_first_tokens_editor,
)
from tcp_cut import TcpCut

from layerkit.errors import StoreError
from layerkit.store import Store
from layerkit.store.engine import database_refusal

TEXT = "\n\n".join(
    f"Абзац {n}: учёные до сих пор спорят, как именно кошки мурлычут, и почему." * 3
    for n in range(400)
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # (the annotator's test runs on anyio's plugin, as Textual's own do)


def run(tmp_path: Path, db: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, LAYERKIT_DB=db, COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "layerkit", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def _status(tmp_path: Path, db: str) -> dict[str, Any]:
    """``layerkit status --json``, which must succeed (what it said otherwise, shown)."""
    result = run(tmp_path, db, "status", "--json")
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def said_unreachable(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 2, result.stderr
    assert "Error: Database unreachable" in result.stderr
    assert "Hint:" in result.stderr
    assert "Traceback" not in result.stderr and "Plugin error" not in result.stderr


def said(app: Any) -> str:
    """The newest notice (the annotator's notice line shows it; in test mode only the app's
    list has it)."""
    shown = list(app._notifications)
    return f"{shown[-1].title}: {shown[-1].message}" if shown else ""


def two_documents(url: str) -> None:
    """Two documents of two paragraphs each in the store at ``url``."""
    with Store.open(url, layer_order=LAYERS) as store, store.bulk() as writer:
        writer.add_document(make_document("a", "Мама мыла раму.", "Папа читал газету."))
        writer.add_document(make_document("b", "Кошки мурлычут.", "Собаки лают."))


@pytest.fixture
def relay(postgres_database: str) -> Iterator[TcpCut]:
    cut = TcpCut(postgres_database)
    try:
        yield cut
    finally:
        cut.close()


def test_a_refused_connection_is_the_database_unreachable() -> None:
    """What psycopg raises where nothing listens (no server needed to see it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    engine = sa.create_engine(
        f"postgresql+psycopg://nobody@127.0.0.1:{port}/none", poolclass=sa.pool.NullPool
    )
    with pytest.raises(sa.exc.OperationalError) as info:
        engine.connect()
    found = database_refusal(info.value)
    assert isinstance(found, StoreError) and found.title == "Database unreachable"
    assert found.exit_code == 2 and "run the command again" in found.hint


def test_a_refused_login_is_no_unreachable_server() -> None:
    """The PostgreSQL audit: a wrong or missing password was titled "Database unreachable"
    (libpq's message starts "connection failed"), with the hint to check the server runs."""
    import psycopg

    refused = psycopg.OperationalError(
        'connection failed: connection to server at "127.0.0.1", port 5432 failed: FATAL:  '
        'password authentication failed for user "anna"'
    )
    found = database_refusal(refused)
    assert isinstance(found, StoreError) and found.title == "Database login refused"
    assert "password" in found.hint and "anna" in found.message


def test_an_export_cut_off_names_the_database_not_its_exporter(
    tmp_path: Path, relay: TcpCut
) -> None:
    with Store.open(relay.url, layer_order=LAYERS) as store, store.bulk() as writer:
        for n in range(60):
            writer.add_document(make_document(f"doc{n}", *TEXT.split("\n\n")[:5]))
    relay.arm(cut_after=20_000)
    result = run(tmp_path, relay.url, "export", "jsonl", "-o", "out.jsonl")
    assert relay.cut_done.is_set()
    said_unreachable(result)  # (it said "plugin 'jsonl' failed", and "Disable or fix" it)
    assert not (tmp_path / "out.jsonl").exists()
    # (the hint spoke of imports and preannotate, whatever the command)
    assert "then run the command again." in result.stderr, result.stderr
    assert "import" not in result.stderr.split("Hint:")[1], result.stderr


def test_an_import_cut_off_is_said_and_taken_back(tmp_path: Path, relay: TcpCut) -> None:
    (tmp_path / "long.txt").write_text(TEXT, encoding="utf-8")
    assert run(tmp_path, relay.url, "init").returncode == 0
    relay.arm(cut_after=60_000)
    cut_off = run(tmp_path, relay.url, "import", "long.txt")
    said_unreachable(cut_off)  # (a traceback, exit 1)
    assert "run the import again: what it had written is taken back" in cut_off.stderr
    relay.restore()
    assert _status(tmp_path, relay.url)["paragraphs"] == 0
    assert run(tmp_path, relay.url, "import", "long.txt").returncode == 0
    assert _status(tmp_path, relay.url)["paragraphs"] == 400


def test_a_user_without_the_right_to_create_tables_is_told_so(
    tmp_path: Path, postgres_database: str
) -> None:
    """PostgreSQL 15 lets only a database's owner create tables in its public schema: init as
    another user said "Check the path" (of a file)."""
    role = "lk_" + uuid.uuid4().hex[:12]
    admin = postgres_admin_url()
    _admin_execute(admin, f'CREATE ROLE "{role}" LOGIN')
    try:
        scheme, _, rest = postgres_database.partition("://")
        url = f"{scheme}://{role}@{rest.rpartition('@')[2]}"
        result = run(tmp_path, url, "init")
        assert result.returncode == 2, result.stderr
        assert "Error: No right to create tables" in result.stderr
        assert "GRANT CREATE ON SCHEMA public" in result.stderr
    finally:
        _admin_execute(admin, f'DROP OWNED BY "{role}"; DROP ROLE "{role}"')


@pytest.mark.anyio
async def test_the_annotator_rides_out_a_server_that_goes_away(
    postgres_database: str, relay: TcpCut
) -> None:
    """The annotator's poll (every 2 s) met a stopped server: the app crashed with a traceback
    holding the password, exit 0. Now the notice line says so and the next poll asks again; an
    edit or a paragraph's read meanwhile is refused in a dialog; once the server answers, work
    goes on; a read nothing can show a dialog for ends the app with the store's error."""
    from layerkit.store import queries
    from layerkit.tui import create_app
    from layerkit.tui.screens.annotate import AnnotateScreen
    from layerkit.tui.screens.error import ErrorModal

    two_documents(relay.url)
    app = create_app(relay.url, "anna", poll_seconds=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("2")  # the semantic layer
        await pilot.pause()
        annotate = app.screen
        assert isinstance(annotate, AnnotateScreen)

        relay.cut()
        annotate._poll()  # (the 2-second timer's call)
        await pilot.pause()
        assert "Database unreachable" in said(app)
        await pilot.press("p")  # PREDICATE on the first word: refused, in a dialog
        await pilot.pause()
        assert isinstance(app.screen, ErrorModal)
        assert app.screen.error.title == "Database unreachable"
        await pilot.press("escape")
        await pilot.pause()

        relay.restore()
        annotate._poll()
        await pilot.pause()
        assert "answers again" in said(app)
        await pilot.press("p")
        await pilot.pause()
        assert not isinstance(app.screen, ErrorModal)
        with Store.open(postgres_database, layer_order=LAYERS) as store:
            first = next(store.iter_paragraphs()).id
            assert first is not None
            saved = [a.label for a in store.annotations(first, "semantic")]
        assert saved == ["PREDICATE"]

        relay.cut()
        shown = annotate.data
        await pilot.press("ctrl+n")  # the next paragraph cannot be read: said, and it stays
        await pilot.pause()
        assert isinstance(app.screen, ErrorModal)
        assert annotate.data is shown and app.return_code is None
        await pilot.press("escape")
        await pilot.pause()

        # a read where nothing can show a dialog (here a callback of our own) ends the app
        # with the store's error, which the CLI prints (exit 2), not Textual's traceback
        app.call_later(lambda: queries.changes_since(app.store, 0))
        for _ in range(50):  # (the app is closing: no pause of the pilot's would end)
            if app.return_code is not None:
                break
            await asyncio.sleep(0.1)
    assert app.fatal_error is not None and app.fatal_error.title == "Database unreachable"
    assert app.return_code == 2


@pytest.mark.anyio
async def test_keys_that_read_while_the_server_is_gone_say_so_and_the_session_goes_on(
    postgres_database: str, relay: TcpCut
) -> None:
    """During an outage: a search (its count read in a thread) crashed the annotator with a
    traceback and exit 0; ctrl+t and ctrl+r ended it (exit 2). Each is said in a dialog now and
    the session goes on. The notice that the server does not answer stays until it answers
    (it went after a few seconds, and the screen looked as usual through the outage)."""
    from layerkit.tui import create_app
    from layerkit.tui.screens.annotate import AnnotateScreen
    from layerkit.tui.screens.error import ErrorModal
    from layerkit.tui.widgets.navigator import Navigator

    two_documents(relay.url)
    app = create_app(relay.url, "anna", poll_seconds=None)

    def lasting() -> list[Any]:
        return [n for n in app._notifications if n.title == "Database unreachable"]

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        annotate = app.screen
        assert isinstance(annotate, AnnotateScreen)
        relay.cut()
        annotate._poll()  # (the 2-second timer's call)
        await pilot.pause()
        (notice,) = lasting()
        assert notice.message.startswith("asking again;")
        annotate._poll()  # said once, and kept
        await pilot.pause()
        assert lasting() == [notice] and not notice.has_expired and notice.time_left > 3600
        for keys in (("ctrl+t",), ("ctrl+r",), ("ctrl+f", *"кошки", "enter")):
            await pilot.press(*keys)
            for _ in range(50):  # (the search's count is read in a thread)
                if isinstance(app.screen, ErrorModal) or app.return_code is not None:
                    break
                await pilot.pause(0.1)
            assert app.return_code is None, keys
            assert isinstance(app.screen, ErrorModal), keys
            assert app.screen.error.title == "Database unreachable", keys
            await pilot.press("escape")
            await pilot.pause(0.5)
            assert isinstance(app.screen, AnnotateScreen), keys  # (one dialog, not one per read)
        relay.restore()
        annotate._poll()
        await pilot.pause()
        assert lasting() == [] and "answers again" in said(app)
        await pilot.press("ctrl+r")
        await pilot.pause(0.5)
        assert not isinstance(app.screen, ErrorModal), (
            app.screen.error.title,
            app.screen.error.message,
        )  # type: ignore[attr-defined]
        # the search typed during the outage is on, counted now (its count failed then)
        nav = annotate.query_one(Navigator)
        assert nav.filter.text == "кошки" and nav.total == 1
    assert app.return_code in (None, 0)


@pytest.mark.anyio
async def test_typing_that_cannot_be_kept_as_a_draft_is_said(
    postgres_database: str, relay: TcpCut
) -> None:
    """Typed during an outage, a free text could not be kept as a draft, and nothing said so:
    killed then, it was lost without a word. A warning says it once; when drafts are kept
    again, that is said too."""
    from layerkit.tui import create_app
    from layerkit.tui.screens.texts import TextsModal

    with Store.open(relay.url, layer_order=LAYERS) as store, store.bulk() as writer:
        writer.add_document(make_document("a", "Мама мыла раму.", "Папа читал газету."))
    app = create_app(relay.url, "anna", poll_seconds=None)

    def warnings() -> list[str]:
        return [n.message for n in app._notifications if "not kept as a draft" in n.message]

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("5", "ctrl+e")  # the pragmatic layer's implicature
        await pilot.pause()
        assert isinstance(app.screen, TextsModal)
        await pilot.press(*"абв")
        await pilot.pause(0.6)  # the draft is written a moment after a change
        assert warnings() == []
        relay.cut()
        for keys in ("где", "ёжз"):
            await pilot.press(*keys)
            await pilot.pause(0.6)
        assert len(warnings()) == 1  # said once
        assert "a crash now would lose it" in warnings()[0]
        relay.restore()
        await pilot.press(*"ий")
        await pilot.pause(0.6)
        assert any("kept as a draft again" in n.message for n in app._notifications)
        assert isinstance(app.screen, TextsModal)
        await pilot.press("escape")
        await pilot.pause(0.3)
    with Store.open(postgres_database, layer_order=LAYERS) as store:
        first = next(store.iter_paragraphs()).id
        assert first is not None
        assert [a.value for a in store.annotations(first, "pragmatic")] == ["абвгдеёжзий"]


@pytest.mark.anyio
async def test_a_dialog_that_fails_as_it_closes_shows_the_error_and_the_app_goes_on(
    postgres_database: str, relay: TcpCut
) -> None:
    """Closing the texts dialog (its save) while the server was down crashed the app with
    Textual's traceback (NoMatches '#error-ok' in the error dialog: the closing dialog's pop
    took the error dialog pushed by its own callback), then exit 2."""
    from layerkit.tui import create_app
    from layerkit.tui.screens.error import ErrorModal
    from layerkit.tui.screens.texts import TextsModal

    with Store.open(relay.url, layer_order=LAYERS) as store, store.bulk() as writer:
        writer.add_document(make_document("a", "Мама мыла раму.", "Папа читал газету."))
    app = create_app(relay.url, "anna", poll_seconds=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("5")  # the pragmatic layer: its implicature text
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert isinstance(app.screen, TextsModal)
        await pilot.press(*"абв")
        relay.cut()
        await pilot.press("escape")  # save and close: refused
        for _ in range(20):
            await pilot.pause(0.05)
        assert isinstance(app.screen, ErrorModal), app.screen
        assert app.screen.error.title == "Database unreachable"
        # the annotator's hint, not the command's ("run the command again")
        assert "asks the server again" in app.screen.error.hint
        assert app.return_code is None
        await pilot.press("escape")
        await pilot.pause()
        # under the error, the editor again with what was typed (it closed, the typing lost:
        # the draft could not be written either, the server being down)
        assert isinstance(app.screen, TextsModal), app.screen
        assert "абв" in app.screen.texts()[0]
        relay.restore()
        await pilot.press(*"где", "escape")  # the server answers: saved and closed
        for _ in range(20):
            await pilot.pause(0.05)
        assert not isinstance(app.screen, (TextsModal, ErrorModal)), app.screen
        with Store.open(postgres_database, layer_order=LAYERS) as store:
            texts = [a.value for a in store.annotations(app.screen.data.id, "pragmatic")]
        assert any(v and "абв" in v and "где" in v for v in texts), texts
        relay.cut()
        # adjudication's dialog, opened while the server is down (a crash too)
        await pilot.press("ctrl+g")
        for _ in range(20):
            await pilot.pause(0.05)
        assert isinstance(app.screen, ErrorModal), app.screen
        assert app.return_code is None
        relay.restore()
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ErrorModal) and app.return_code is None


def test_a_user_who_may_only_read_reads_and_is_told_why_writes_fail(
    tmp_path: Path, postgres_database: str
) -> None:
    """A server user with SELECT alone: import, preannotate and the annotator's first key
    ended in SQLAlchemy tracebacks (InsufficientPrivilege), exit 1; one without even SELECT
    was told to GRANT CREATE, which does not help."""
    (tmp_path / "a.txt").write_text("Мама мыла раму.\n\nПапа читал газету.\n", encoding="utf-8")
    assert run(tmp_path, postgres_database, "init").returncode == 0
    assert run(tmp_path, postgres_database, "import", "a.txt").returncode == 0
    role = "lk_" + uuid.uuid4().hex[:12]
    admin = postgres_admin_url()
    database = postgres_database.rpartition("/")[2]
    base = admin.rpartition("/")[0]
    _admin_execute(admin, f'CREATE ROLE "{role}" LOGIN')
    try:
        scheme, _, rest = postgres_database.partition("://")
        url = f"{scheme}://{role}@{rest.rpartition('@')[2]}"
        _admin_execute(admin, f'GRANT CONNECT ON DATABASE "{database}" TO "{role}"')
        cannot_read = run(tmp_path, url, "status")
        assert cannot_read.returncode == 2, cannot_read.stderr
        assert "Error: No right to read" in cannot_read.stderr
        assert "GRANT SELECT" in cannot_read.stderr and "Traceback" not in cannot_read.stderr
        _admin_execute(
            f"{base}/{database}", f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"'
        )
        assert run(tmp_path, url, "status").returncode == 0
        assert run(tmp_path, url, "export", "jsonl", "-o", "out.jsonl").returncode == 0
        for args in (("import", "a.txt"), ("preannotate",)):
            refused = run(tmp_path, url, *args)
            assert refused.returncode == 2, refused.stderr
            assert "Error: No right to write" in refused.stderr, refused.stderr
            assert "Traceback" not in refused.stderr
    finally:  # (its grants are the test database's: dropped there first)
        _admin_execute(f"{base}/{database}", f'DROP OWNED BY "{role}"')
        _admin_execute(admin, f'DROP OWNED BY "{role}"; DROP ROLE "{role}"')


@pytest.mark.anyio
async def test_the_token_editor_comes_back_with_what_was_typed_when_the_save_fails(
    postgres_database: str, relay: TcpCut
) -> None:
    """The PostgreSQL audit: the token editor closed on a save the server could not take, and
    what was typed in it was lost (the README says the screen stays as it was)."""

    from layerkit.tui import create_app
    from layerkit.tui.screens.error import ErrorModal
    from layerkit.tui.screens.token import TokenEditor

    with Store.open(relay.url, layer_order=LAYERS) as store, store.bulk() as writer:
        writer.add_document(make_document("a", "Мама мыла раму."))
    app = create_app(relay.url, "anna", poll_seconds=None)
    async with app.run_test(size=(160, 30)) as pilot:
        await pilot.pause()
        await type_in_the_first_tokens_editor(app, pilot, "мама", "NOUN")
        relay.cut()
        await pilot.press("enter")
        for _ in range(20):
            await pilot.pause(0.05)
        assert isinstance(app.screen, ErrorModal), app.screen
        await pilot.press("escape")
        await pilot.pause()
        the_token_editor_holds(app, "мама", "NOUN")
        relay.restore()
        await pilot.press("enter")  # saved now
        for _ in range(20):
            await pilot.pause(0.05)
        assert not isinstance(app.screen, (TokenEditor, ErrorModal)), app.screen
    with Store.open(postgres_database, layer_order=LAYERS) as store:
        paragraph = next(store.iter_paragraph_bundles())
        [first] = [a for a in paragraph.layer("lexical") if a.start == 0]
        assert (first.attrs["lemma"], first.label) == ("мама", "NOUN")
