"""A store in a folder that cannot be written (read-only media, a backup mounted read-only).

SQLite in WAL mode writes a -shm file beside the database even to read it: such a store could
not be opened at all ("cannot be opened as a layerkit database: unable to open database file",
with a hint to run `layerkit init`), not even to export it. It is read now; writing to it says
the database is read-only; a -wal holding changes that cannot be read there is refused.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from layerkit.errors import StoreError
from layerkit.store import Store
from layerkit.store.engine import database_url, read_only_url

LAYERS = ("lexical", "semantic", "logical", "epistemic", "pragmatic")
TEXT = "Мама мыла раму. Папа читал газету, а дети играли во дворе.\n"


def layerkit(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, LAYERKIT_DB=str(cwd / "lk.db"), COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "layerkit", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def a_store(folder: Path) -> Path:
    folder.mkdir()
    (folder / "a.txt").write_text(TEXT, encoding="utf-8")
    for args in (("init",), ("import", "a.txt")):
        result = layerkit(folder, *args)
        assert result.returncode == 0, result.stderr
    return folder / "lk.db"


@pytest.fixture
def read_only_mount(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """``(source, mount)``: a folder with a store, bound read-only at ``mount`` (as root, where
    the kernel allows mounts: the machines CI runs on)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a folder read-only")
    source = tmp_path / "source"
    a_store(source)
    mount = tmp_path / "mount"
    mount.mkdir()
    done = subprocess.run(["mount", "--bind", str(source), str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here: {done.stderr.decode(errors='replace').strip()}")
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(mount)], check=True)
        yield source, mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_a_store_on_read_only_media_is_read_and_refuses_writes(
    read_only_mount: tuple[Path, Path], tmp_path: Path
) -> None:
    source, mount = read_only_mount
    before = (source / "lk.db").read_bytes()
    shown = layerkit(mount, "status", "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["paragraphs"] == 1
    out = tmp_path / "out.jsonl"
    exported = layerkit(mount, "export", "jsonl", "-o", str(out))
    assert exported.returncode == 0, exported.stderr
    assert "Мама мыла раму." in out.read_text(encoding="utf-8")
    curriculum = layerkit(mount, "export", "sft", "-o", str(tmp_path / "sft"))
    assert curriculum.returncode == 0, curriculum.stderr
    written = layerkit(mount, "import", str(source / "a.txt"))
    assert written.returncode == 2
    assert "Database is read-only" in written.stderr and "Traceback" not in written.stderr
    assert (source / "lk.db").read_bytes() == before
    assert sorted(p.name for p in source.iterdir()) == ["a.txt", "lk.db"]


def test_a_folder_that_cannot_be_written_opens_its_store_read_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the folder is not writable (what os.access says of read-only media or another
    user's folder), the store is opened without writing beside it; a -wal whose changes
    cannot be read there is refused with a hint, not read past."""
    db = a_store(tmp_path / "store")
    url = database_url(db)
    assert read_only_url(url) is None  # a writable folder: opened as always
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != db.parent)
    opened = read_only_url(url)
    assert opened is not None and "immutable=1" in opened
    with Store.open(db, layer_order=LAYERS) as store:
        assert store.summary().paragraphs == 1
    assert not (db.parent / "lk.db-shm").exists() and not (db.parent / "lk.db-wal").exists()
    # a -wal with committed changes in it: read through it where its -shm is there too ...
    (db.parent / "lk.db-wal").write_bytes(b"\0" * 32)
    (db.parent / "lk.db-shm").write_bytes(b"")
    assert "mode=ro" in (read_only_url(url) or "")
    # ... refused where it is not: reading without it would show the store as it was before
    (db.parent / "lk.db-shm").unlink()
    with pytest.raises(StoreError) as info:
        read_only_url(url)
    assert "lk.db-wal" in info.value.message and "Copy the folder" in info.value.hint


def test_paths_that_need_quoting_open_read_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = a_store(tmp_path / "проект #1 100%")
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != db.parent)
    with Store.open(db, layer_order=LAYERS) as store:
        assert store.summary().paragraphs == 1
