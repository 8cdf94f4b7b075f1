"""The command line end to end, as a user runs it: a real subprocess in a temp folder."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

SAMPLE = REPO / "sample_corpus"


def run(tmp_path: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, LAYERKIT_DB=str(tmp_path / "lk.db"), COLUMNS="200")
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


def status(tmp_path: Path) -> dict:
    return json.loads(run(tmp_path, "status", "--json").stdout)


def table_counts(db: Path) -> dict[str, int]:
    con = sqlite3.connect(db)
    try:
        return {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("documents", "paragraphs", "annotations", "layer_status", "events")
        }
    finally:
        con.close()


def test_sample_corpus_import_status_export_roundtrip(tmp_path: Path) -> None:
    run(tmp_path, "init")
    imported = run(tmp_path, "import", str(SAMPLE))
    assert "Imported" in imported.stdout
    first = status(tmp_path)
    assert first["paragraphs"] >= 40
    assert first["layers"]["pragmatic"]["done"] >= 8
    assert set(first["layers"]) == {"lexical", "semantic", "logical", "epistemic", "pragmatic"}

    again = run(tmp_path, "import", str(SAMPLE))
    assert "already in the store" in again.stdout
    assert status(tmp_path)["paragraphs"] == first["paragraphs"]

    out = tmp_path / "all.jsonl"
    run(tmp_path, "export", "jsonl", "-o", str(out))
    lines = out.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["type"] == "header"

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    run(fresh, "import", str(out))
    assert status(fresh) == first
    out2 = fresh / "again.jsonl"
    run(fresh, "export", "jsonl", "-o", str(out2))
    assert _without_ids(out2) == _without_ids(out)


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


def test_bad_input_exits_2_and_leaves_store_unchanged(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text("Первый абзац текста.\n\nВторой абзац текста.", encoding="utf-8")
    run(tmp_path, "import", str(good))
    before = table_counts(tmp_path / "lk.db")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "Нормальная строка."}\n{"text": "обрыв\n', encoding="utf-8")
    other = tmp_path / "other.txt"
    other.write_text("Этот файл хороший, но импорт всё равно откатится.", encoding="utf-8")
    result = run(tmp_path, "import", str(other), str(bad), check=False)
    assert result.returncode == 2
    assert "bad.jsonl, line 2" in result.stderr
    assert "Traceback" not in result.stderr
    assert table_counts(tmp_path / "lk.db") == before


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


def test_console_script_is_installed() -> None:
    exe = Path(sys.executable).parent / "layerkit"
    result = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "layerkit" in result.stdout
