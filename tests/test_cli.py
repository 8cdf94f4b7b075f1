"""The command line end to end, as a user runs it: a real subprocess in a temp folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import REPO

from layerkit.store.engine import database_url

SAMPLE = REPO / "sample_corpus"


def run(
    tmp_path: Path, *args: str, check: bool = True, db: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``layerkit ARGS`` in ``tmp_path``, with LAYERKIT_DB at ``db`` (default: ./lk.db there)."""
    env = dict(os.environ, LAYERKIT_DB=db or str(tmp_path / "lk.db"), COLUMNS="200")
    result = subprocess.run(
        [sys.executable, "-m", "layerkit", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def status(tmp_path: Path, db: str | None = None) -> dict:
    return json.loads(run(tmp_path, "status", "--json", db=db).stdout)


@contextmanager
def connect(db: str) -> Iterator[sa.Connection]:
    """A connection of our own to a store (a SQLite path or a server URL), to look at its rows."""
    engine = sa.create_engine(database_url(db), poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def table_counts(db: str) -> dict[str, int]:
    with connect(db) as conn:
        return {
            t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("documents", "paragraphs", "annotations", "layer_status", "events")
        }


def table_names(db: str) -> list[str]:
    with connect(db) as conn:
        return sorted(sa.inspect(conn).get_table_names())


def test_sample_corpus_import_status_export_roundtrip(tmp_path: Path, db_url: str) -> None:
    """On either backend; the export is then imported into a fresh SQLite store, which must
    hold the same (so on PostgreSQL this also checks that both backends store the same)."""
    run(tmp_path, "init", db=db_url)
    imported = run(tmp_path, "import", str(SAMPLE), db=db_url)
    assert "Imported" in imported.stdout
    first = status(tmp_path, db_url)
    assert first["paragraphs"] >= 40
    assert first["layers"]["pragmatic"]["done"] >= 8
    assert set(first["layers"]) == {"lexical", "semantic", "logical", "epistemic", "pragmatic"}

    again = run(tmp_path, "import", str(SAMPLE), db=db_url)
    assert "already in the store" in again.stdout
    assert status(tmp_path, db_url)["paragraphs"] == first["paragraphs"]

    out = tmp_path / "all.jsonl"
    run(tmp_path, "export", "jsonl", "-o", str(out), db=db_url)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["type"] == "header"

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    run(fresh, "import", str(out))
    assert status(fresh) == first
    out2 = fresh / "again.jsonl"
    run(fresh, "export", "jsonl", "-o", str(out2))
    assert _without_ids(out2) == _without_ids(out)
    # the documents by id and name, as `assign --documents` takes them (no command listed
    # them: a team lead looked them up in psql)
    listed = json.loads(run(tmp_path, "status", "--documents", "--json", db=db_url).stdout)
    assert len(listed) == first["documents"]
    assert sum(d["paragraphs"] for d in listed) == first["paragraphs"]
    named = listed[1]["name"]
    table = run(tmp_path, "status", "--documents", db=db_url).stdout
    assert all(d["name"] in table for d in listed)
    assigned = run(
        tmp_path, "assign", "--annotators", "vera,gleb", "--documents", named,
        "--no-copy-shared", "--json", db=db_url,
    )  # fmt: skip
    assert json.loads(assigned.stdout)["paragraphs"] == listed[1]["paragraphs"]
    wrong = run(tmp_path, "assign", "--annotators", "anna,boris", "--documents", "nope",
                check=False, db=db_url)  # fmt: skip
    assert wrong.returncode == 2 and "status --documents" in wrong.stderr


def _without_ids(path: Path) -> list[dict]:
    """Export records with database ids replaced by positions, for comparing two stores."""
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        rec.pop("key", None)
        rec.pop("document", None)
        if rec.get("type") == "document":
            rec.pop("source", None)
        ids = {a["id"]: i for i, a in enumerate(rec.get("annotations", []))}
        for a in rec.get("annotations", []):
            a["id"] = ids[a["id"]]
            for k in ("source", "target"):
                if k in a:
                    a[k] = ids[a[k]]
        records.append(rec)
    return records


def test_bad_input_exits_2_and_leaves_store_unchanged(tmp_path: Path, db_url: str) -> None:
    good = tmp_path / "good.txt"
    good.write_text("Первый абзац текста.\n\nВторой абзац текста.", encoding="utf-8")
    run(tmp_path, "import", str(good), db=db_url)
    before = table_counts(db_url)
    assert before["paragraphs"] == 2
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "Нормальная строка."}\n{"text": "обрыв\n', encoding="utf-8")
    other = tmp_path / "other.txt"
    other.write_text("Этот файл хороший, но импорт всё равно откатится.", encoding="utf-8")
    result = run(tmp_path, "import", str(other), str(bad), check=False, db=db_url)
    assert result.returncode == 2
    assert "bad.jsonl, line 2" in result.stderr
    assert "Traceback" not in result.stderr
    assert table_counts(db_url) == before


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.txt", b"", "empty"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary"),
        ("broken.conllu", b"1\t\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82\tNOUN\n", "line 1"),
        ("notes.xyz", b"hello", "no importer"),
    ],
)
def test_bad_files_give_clear_errors(
    tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = run(tmp_path, "import", str(path), check=False)
    assert result.returncode == 2
    assert expected in result.stderr.lower() or expected in result.stderr
    assert name in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_path_and_missing_db(tmp_path: Path) -> None:
    result = run(tmp_path, "import", "nosuch.txt", check=False)
    assert result.returncode == 2 and "nosuch.txt" in result.stderr
    result = run(tmp_path, "status", check=False)
    assert result.returncode == 2 and "layerkit init" in result.stderr


def test_schema_and_plugins_commands(tmp_path: Path) -> None:
    listing = run(tmp_path, "schema", "list").stdout
    for layer in ("lexical", "semantic", "logical", "epistemic", "pragmatic"):
        assert layer in listing
    shown = run(tmp_path, "schema", "show", "logical").stdout
    assert "COUNTEREXAMPLE" in shown and "потому что" in shown
    bad = run(tmp_path, "schema", "show", "nosuch", check=False)
    assert bad.returncode == 2 and "unknown layer" in bad.stderr
    plugins = json.loads(run(tmp_path, "plugins", "--json").stdout)
    names = {p["name"] for p in plugins}
    assert {"layers", "text", "jsonl", "conllu"} <= names


def test_db_option_and_python_m(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    run(tmp_path, "--db", str(other), "init")
    assert other.exists()
    assert not (tmp_path / "lk.db").exists()


# --- PostgreSQL: a server database is not a file -----------------------------------------------


def _refused_as_not_a_store(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Not a layerkit store" in result.stderr
    assert "Traceback" not in result.stderr


def test_empty_server_database_is_not_a_store(tmp_path: Path, postgres_database: str) -> None:
    """status (and annotate, before any screen opens) refuse an empty server database instead
    of silently making a store of it; only init and import create one."""
    for args in (["status"], ["status", "--json"], ["--db", postgres_database, "annotate"]):
        result = run(tmp_path, *args, check=False, db=postgres_database)
        _refused_as_not_a_store(result)
        assert "empty database" in result.stderr and "init" in result.stderr
        assert table_names(postgres_database) == []
    run(tmp_path, "init", db=postgres_database)
    assert "layerkit_migrations" in table_names(postgres_database)
    assert status(tmp_path, postgres_database)["paragraphs"] == 0


def test_server_database_of_another_application_is_left_alone(
    tmp_path: Path, postgres_database: str
) -> None:
    with connect(postgres_database) as conn:
        conn.execute(sa.text("CREATE TABLE customers (id integer PRIMARY KEY, name text)"))
        conn.execute(sa.text("INSERT INTO customers VALUES (1, 'Анна')"))
    for args in (["status"], ["annotate"]):
        result = run(tmp_path, *args, check=False, db=postgres_database)
        _refused_as_not_a_store(result)
        assert "customers" in result.stderr and "nothing was changed" in result.stderr
    assert table_names(postgres_database) == ["customers"]
    with connect(postgres_database) as conn:
        assert conn.execute(sa.text("SELECT id, name FROM customers")).all() == [(1, "Анна")]


def test_a_server_password_is_never_shown(tmp_path: Path, postgres_database: str) -> None:
    # The test server trusts local connections, so any password is accepted.
    url = (
        sa.engine.make_url(postgres_database)
        .set(password="s3cret")
        .render_as_string(hide_password=False)
    )
    assert "s3cret" in url
    results = [run(tmp_path, "status", check=False, db=url)]  # an error names the database
    _refused_as_not_a_store(results[0])
    results.append(run(tmp_path, "--db", url, "init"))
    assert "Store ready: postgresql://postgres:***@" in results[-1].stdout
    results.append(run(tmp_path, "status", db=url))
    assert results[-1].stdout.startswith("postgresql://postgres:***@")
    for result in results:
        assert "s3cret" not in result.stdout + result.stderr


def test_an_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    """Nothing listens on port 1: a short error naming the server, its password masked."""
    url = "postgresql://anna:s3cret@127.0.0.1:1/corpus?connect_timeout=5"
    for command in ("init", "status"):
        result = run(tmp_path, command, check=False, db=url)
        assert result.returncode == 2, result.stdout + result.stderr
        assert "Database unreachable" in result.stderr and "127.0.0.1" in result.stderr
        assert "Traceback" not in result.stderr
        assert "s3cret" not in result.stdout + result.stderr


# psycopg cannot be imported: as if it were not installed (a finder that knows no psycopg) ...
NO_PSYCOPG = """
import runpy, sys

class NoPsycopg:
    def find_spec(self, name, path=None, target=None):
        if name == "psycopg" or name.startswith("psycopg."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoPsycopg())
runpy.run_module("layerkit", run_name="__main__", alter_sys=True)
"""
# ... or installed without the libpq it needs (what psycopg itself raises then)
BROKEN_PSYCOPG = 'raise ImportError("no pq wrapper available.")\n'


@pytest.mark.parametrize("how", ["absent", "broken"])
def test_missing_postgres_driver_names_the_extra(tmp_path: Path, how: str) -> None:
    """No server needed: the driver is loaded before any connection is made."""
    url = "postgresql://anna:s3cret@127.0.0.1:5432/corpus"
    env = dict(os.environ, COLUMNS="200")
    if how == "absent":
        command = [sys.executable, "-c", NO_PSYCOPG, "--db", url, "status"]
    else:
        fake = tmp_path / "site" / "psycopg"
        fake.mkdir(parents=True)
        (fake / "__init__.py").write_text(BROKEN_PSYCOPG, encoding="utf-8")
        env["PYTHONPATH"] = str(fake.parent)
        command = [sys.executable, "-m", "layerkit", "--db", url, "status"]
    result = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "layerkit[postgres]" in result.stderr
    assert "Traceback" not in result.stderr
    assert "s3cret" not in result.stdout + result.stderr


def test_console_script_is_installed() -> None:
    exe = Path(sys.executable).parent / "layerkit"
    result = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "layerkit" in result.stdout


def test_errors_survive_pickling_whole() -> None:
    """An error raised in a worker process (``layerkit tag`` on several processes) reaches
    the user as it would have been raised in the main one: title, message, hint, fields."""
    import pickle

    from layerkit.errors import ConflictError, InputError

    error = InputError("bad column", path="/data/x.conllu", line=12, hint="Fix it.", title="T")
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is InputError
    assert back.render() == error.render()
    assert (back.path, back.line, back.hint, back.title) == ("/data/x.conllu", 12, "Fix it.", "T")
    assert str(back) == str(error) and back.args == error.args
    conflict = pickle.loads(pickle.dumps(ConflictError("changed", hint="Refresh.")))
    assert (
        type(conflict) is ConflictError
        and conflict.render() == ConflictError("changed", hint="Refresh.").render()
    )


def test_importing_a_stored_document_again_says_its_annotations_were_not_taken(
    tmp_path: Path,
) -> None:
    """A document already in the store is skipped whole: the annotations its file carried
    (a new layer's, say) were dropped without a word."""
    run(tmp_path, "import", str(REPO / "sample_corpus" / "annotated.jsonl"))
    before = status(tmp_path)
    again = run(tmp_path, "import", str(REPO / "sample_corpus" / "annotated.jsonl"))
    assert "already in the store (skipped)" in again.stdout
    notes = [line for line in again.stderr.splitlines() if "were not imported" in line]
    assert notes and all("already in the store" in line for line in notes), again.stderr
    assert status(tmp_path) == before


def test_jsonl_tokens_must_cover_every_word(tmp_path: Path) -> None:
    """Tokens that left «мыла» and «.» out were taken, and the CoNLL-U export then wrote
    «Мама раму» under «# text = Мама мыла раму.» (which layerkit itself would not read back)."""
    bad = tmp_path / "gaps.jsonl"
    bad.write_text('{"text": "Мама мыла раму.", "tokens": [[0, 4], [10, 14]]}\n', "utf-8")
    refused = run(tmp_path, "import", str(bad), check=False)
    assert refused.returncode == 2, refused.stderr
    assert "«мыла» at [4, 10) is in no token" in refused.stderr
    assert not (tmp_path / "lk.db").exists()  # (the store it would have made: not left behind)
    good = tmp_path / "good.jsonl"
    good.write_text(
        '{"text": "Мама мыла раму.", "tokens": [[0, 4], [5, 9], [10, 14], [14, 15]]}\n', "utf-8"
    )
    run(tmp_path, "import", str(good))
    assert status(tmp_path)["paragraphs"] == 1


def test_messy_jsonl_is_refused_as_input_and_export_writes_to_standard_output(
    tmp_path: Path,
) -> None:
    """A NUL in a JSONL text reached a CoNLL-U FORM (a .txt with one is refused as binary);
    JSON nested 100,000 deep was "Plugin error ... Disable or fix the plugin 'jsonl'"; and
    `-o -` made a file named "-"."""
    nul = tmp_path / "nul.jsonl"
    nul.write_text('{"text": "Мама\\u0000мыла"}\n', encoding="utf-8")
    deep = tmp_path / "deep.jsonl"
    deep.write_text('{"text": "а", "meta": ' + "[" * 100_000 + "]" * 100_000 + "}\n", "utf-8")
    for path, said in ((nul, "NUL character"), (deep, "RecursionError")):
        refused = run(tmp_path, "import", str(path), check=False)
        assert refused.returncode == 2, refused.stderr
        assert said in refused.stderr and "Cannot read input" in refused.stderr
        assert "Plugin error" not in refused.stderr
    run(tmp_path, "import", str(REPO / "sample_corpus" / "annotated.jsonl"))
    done = run(tmp_path, "export", "jsonl", "-o", "-")
    assert done.stdout.startswith('{"type":"header"') and "Wrote" in done.stderr
    assert not (tmp_path / "-").exists()


def test_an_answer_with_nothing_to_suggest_is_not_counted_filled(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`preannotate --checkpoint` said "filled 9 of 44" where 8 paragraphs held suggestions
    (the ninth's answer suggested nothing, and is asked again on the next run)."""
    from layerkit import cli as cli_module
    from layerkit.preannotate import PreannotateReport

    report = PreannotateReport(model="m", layer="semantic", candidates=44, filled=9, empty=1)
    report.annotations = 30
    with cli_module.out.capture() as captured:
        cli_module._print_preannotate_report(report)
    said = captured.get()
    assert "filled 8 of 44 paragraph(s) (30 annotations)" in said
    assert "1 answered with nothing to suggest" in said


def test_an_import_and_a_tag_into_a_log_write_no_empty_line(tmp_path: Path) -> None:
    """The plugin author's audit: every import wrote an empty line to stderr (the progress
    bar, drawn for no terminal)."""
    src = tmp_path / "one.txt"
    src.write_text("Мама мыла раму.\n", encoding="utf-8")
    for args in (
        ["--db", str(tmp_path / "lk.db"), "import", str(src)],
        ["tag", str(src), "-o", str(tmp_path / "one.conllu")],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "layerkit", *args], capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        assert "\n\n" not in "\n" + done.stderr, repr(done.stderr)
