"""Output files and folders: written whole or not at all, with the permissions the umask gives,
and what a killed writer left behind removed by the next one."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from layerkit.atomic import OWNER, atomic_output, remove_leftovers, replace_directory
from layerkit.train.checkpoint import atomic_write


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_outputs_honour_the_umask(tmp_path: Path, umask_022: None) -> None:
    with atomic_output(tmp_path / "out.jsonl") as handle:
        handle.write("{}\n")
    assert _mode(tmp_path / "out.jsonl") == 0o644  # was 0600 whatever the umask
    atomic_write(tmp_path / "run.json", "{}")
    assert _mode(tmp_path / "run.json") == 0o644
    with replace_directory(tmp_path / "cur") as folder:
        (folder / "a.txt").write_text("a", encoding="utf-8")
    assert _mode(tmp_path / "cur") == 0o755
    assert sorted(p.name for p in (tmp_path / "cur").iterdir()) == ["a.txt"]  # no owner file


def test_a_killed_writers_folders_are_removed_by_the_next(tmp_path: Path) -> None:
    # a writer killed with -9: its folder names a process that no longer exists
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    killed = tmp_path / ".cur.abc123.tmp"
    killed.mkdir()
    (killed / "big.bin").write_bytes(b"x" * 1000)
    (killed / OWNER).write_text(f"{socket.gethostname()} {dead.stdout.strip()}\n")
    unowned = tmp_path / ".cur.def456.old"  # from a version before owners were written
    unowned.mkdir()
    running = tmp_path / ".cur.ghi789.tmp"  # a writer still at work (this process)
    running.mkdir()
    (running / OWNER).write_text(f"{socket.gethostname()} {os.getpid()}\n")
    elsewhere = tmp_path / ".cur.jkl000.tmp"  # written from another machine: not ours to judge
    elsewhere.mkdir()
    (elsewhere / OWNER).write_text("some-other-host 1\n")
    other_output = tmp_path / ".other.abc.tmp"  # another output's: untouched
    other_output.mkdir()
    assert sorted(remove_leftovers(tmp_path / "cur")) == sorted([killed, unowned])
    assert not killed.exists() and not unowned.exists()
    assert running.exists() and elsewhere.exists() and other_output.exists()
    (running / OWNER).unlink()
    with replace_directory(tmp_path / "cur") as folder:  # the next export cleans up too
        (folder / "a.txt").write_text("a", encoding="utf-8")
    assert not running.exists()
    assert elsewhere.exists() and (tmp_path / "cur" / "a.txt").is_file()


def test_a_killed_writers_file_is_removed_by_the_next(tmp_path: Path) -> None:
    """``atomic_output``'s temporary file names its writer; the next writer of the same output
    removes one whose writer is gone (a killed ``layerkit tag``), not one still being written,
    nor one from another host or an older layerkit (no writer named)."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    host = socket.gethostname()
    killed = tmp_path / f".out.conllu.{host}-{dead.stdout.strip()}.k1ll3d.tmp"
    killed.write_text("partial", encoding="utf-8")
    running = tmp_path / f".out.conllu.{host}-{os.getpid()}.st1ll.tmp"
    running.write_text("being written", encoding="utf-8")
    elsewhere = tmp_path / ".out.conllu.other-host-1.abc.tmp"
    elsewhere.write_text("theirs", encoding="utf-8")
    unnamed = tmp_path / ".out.conllu.x7y8z9.tmp"  # an older layerkit's: cannot tell
    unnamed.write_text("?", encoding="utf-8")
    other = tmp_path / f".other.conllu.{host}-{os.getpid()}.abc.tmp"  # (being written)
    other.write_text("another output's", encoding="utf-8")
    with atomic_output(tmp_path / "out.conllu") as handle:
        (written,) = [p for p in tmp_path.glob(".out.conllu.*.tmp") if p not in
                      (running, elsewhere, unnamed)]  # fmt: skip
        assert written.name.startswith(f".out.conllu.{host}-{os.getpid()}.")
        handle.write("done\n")
    assert (tmp_path / "out.conllu").read_text(encoding="utf-8") == "done\n"
    assert not killed.exists() and not written.exists()
    assert running.exists() and elsewhere.exists() and unnamed.exists() and other.exists()


def test_a_killed_tag_run_leaves_nothing_after_the_next(tmp_path: Path) -> None:
    """kill -9 of ``layerkit tag`` in the middle of a file: its partial output is removed by
    the next run that writes the same file."""
    import time

    from conftest import SHARED

    src = tmp_path / "in" / "big.conllu"  # about 3 s of rules tagging: time to kill it
    src.parent.mkdir()
    ud = SHARED / "data" / "ud"
    src.write_text(
        "".join((ud / n).read_text(encoding="utf-8") for n in ("ru_gsd-ud-dev.conllu",) * 2),
        encoding="utf-8",
    )
    out = tmp_path / "out.conllu"
    cmd = [sys.executable, "-m", "layerkit", "tag", str(src), "-o", str(out), "--tagger", "rules"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".out.conllu.*.tmp")) and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.kill()
    proc.wait()
    assert list(tmp_path.glob(".out.conllu.*.tmp")), "the run was killed before it wrote"
    assert not out.exists()
    subprocess.run(cmd, check=True, capture_output=True, timeout=300)
    assert out.is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out.conllu"]


def test_a_link_is_written_through_and_stays_a_link(tmp_path: Path) -> None:
    """`-o link.jsonl` where the link names a file elsewhere: that file gets the output, the
    link stays (renaming onto the link replaced it, and left its file as it was); the same for
    a link to a curriculum folder."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = elsewhere / "target.jsonl"
    target.write_text("old\n", encoding="utf-8")
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    with atomic_output(link) as handle:
        handle.write("new\n")
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert target.read_text(encoding="utf-8") == "new\n"
    dangling = tmp_path / "dangling.jsonl"
    dangling.symlink_to(elsewhere / "not-yet.jsonl")
    with atomic_output(dangling) as handle:
        handle.write("first\n")
    assert dangling.is_symlink()
    assert (elsewhere / "not-yet.jsonl").read_text(encoding="utf-8") == "first\n"

    folder = elsewhere / "curriculum"
    folder.mkdir()
    (folder / "old.txt").write_text("old", encoding="utf-8")
    folder_link = tmp_path / "curriculum"
    folder_link.symlink_to(folder)
    with replace_directory(folder_link) as tmp:
        (tmp / "new.txt").write_text("new", encoding="utf-8")
    assert folder_link.is_symlink()
    assert sorted(p.name for p in folder.iterdir()) == ["new.txt"]


def test_a_pipe_is_written_to_not_replaced(tmp_path: Path) -> None:
    """`-o /dev/stdout`, a named pipe or a device: written to as any program writes to it (a
    rename replaced the device with a file: as root, /dev/full became a file)."""
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    with atomic_output(fifo) as handle:
        handle.write("строка\n")
    reader.join(timeout=30)
    assert received == ["строка\n".encode()]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)  # still a pipe
    assert list(tmp_path.iterdir()) == [fifo]  # no temporary file beside it


def test_an_export_to_stdout_keeps_its_summary_out_of_the_data(tmp_path: Path) -> None:
    """`layerkit export jsonl -o /dev/stdout | ...`: the data on stdout, the summary on
    stderr."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    db = tmp_path / "store.db"
    text = tmp_path / "a.txt"
    text.write_text("Кошка спит.\n", encoding="utf-8")
    run = [sys.executable, "-m", "layerkit", "--db", str(db)]
    subprocess.run([*run, "import", str(text)], check=True, capture_output=True, env=env)
    done = subprocess.run(
        [*run, "export", "jsonl", "-o", "/dev/stdout"], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines and all(line.startswith("{") for line in lines), done.stdout[-300:]
    assert '"text":"Кошка спит."' in done.stdout
    assert "Wrote /dev/stdout" in done.stderr


def test_a_killed_writers_folder_of_another_output_is_removed_by_any_next(tmp_path: Path) -> None:
    """A curriculum export killed with `-o cur-k` left its temporary folder (hundreds of MB)
    until another export to `cur-k`: exports to other names beside it left it there."""
    from layerkit.atomic import remove_abandoned

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    killed = tmp_path / ".cur-k.abc123.tmp"
    killed.mkdir()
    (killed / OWNER).write_text(f"{socket.gethostname()} {dead.stdout.strip()}\n")
    running = tmp_path / ".cur-r.def456.tmp"  # being written by a live process
    running.mkdir()
    (running / OWNER).write_text(f"{socket.gethostname()} {os.getpid()}\n")
    stranger = tmp_path / ".someone-elses.tmp"  # no owner file: not known to be ours
    stranger.mkdir()
    with replace_directory(tmp_path / "other") as folder:
        (folder / "a.txt").write_text("a", encoding="utf-8")
    assert not killed.exists()
    assert running.exists() and stranger.exists()
    assert remove_abandoned(tmp_path) == []


def test_a_killed_writers_file_of_another_output_is_removed_by_any_next(tmp_path: Path) -> None:
    """The kill -9 audit: `export jsonl -o a.jsonl` killed left its partial copy (9.6 MB)
    until another export to `a.jsonl`, whatever else was written beside it."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    host = socket.gethostname()
    killed = tmp_path / f".a.v2.jsonl.{host}-{dead.stdout.strip()}.k1ll3d.tmp"
    running = tmp_path / f".b.jsonl.{host}-{os.getpid()}.w0rk1n.tmp"
    elsewhere = tmp_path / f".c.jsonl.other-host-{dead.stdout.strip()}.x.tmp"
    unnamed = tmp_path / ".d.jsonl.tmp"  # (no writer named: not known to be ours)
    for leftover in (killed, running, elsewhere, unnamed):
        leftover.write_text("partial", encoding="utf-8")
    with atomic_output(tmp_path / "other.conllu") as out:
        out.write("x")
    assert not killed.exists()
    assert running.exists() and elsewhere.exists() and unnamed.exists()
    killed.write_text("partial", encoding="utf-8")
    with replace_directory(tmp_path / "cur"):  # (a folder output cleans up files too)
        assert not killed.exists()


def test_a_replaced_folder_is_never_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old folder was renamed away, then the new one into its place: a kill between the two
    left no folder under the output's name (the kill -9 audit, with the renames slowed). Where
    the system swaps them in one step (Linux), someone looking at any moment sees one of them
    whole. Each rename is slowed here, and a thread watches the name."""
    import threading
    import time

    from layerkit import atomic

    if not sys.platform.startswith("linux"):
        pytest.skip("renameat2's exchange is Linux's (elsewhere the two renames stay)")
    out = tmp_path / "cur"
    with replace_directory(out) as folder:
        (folder / "manifest.json").write_text("old", encoding="utf-8")
    slow_replace = os.replace

    def replace(src: object, dst: object) -> None:
        time.sleep(0.2)
        slow_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(atomic.os, "replace", replace)
    missing: list[float] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            if not (out / "manifest.json").exists():
                missing.append(time.monotonic())
            time.sleep(0.005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with replace_directory(out) as folder:
            (folder / "manifest.json").write_text("new", encoding="utf-8")
    finally:
        stop.set()
        watcher.join()
    assert (out / "manifest.json").read_text(encoding="utf-8") == "new"
    assert missing == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cur"]


def test_the_owner_file_stays_until_the_files_are_synced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kill while the files were synced (seconds for a big curriculum) left a complete
    temporary folder without its owner file, which no other writer removes."""
    from layerkit import atomic

    seen: list[bool] = []
    real_fsync = os.fsync
    folder_of_run: list[Path] = []

    def fsync(fd: int) -> None:
        seen.append((folder_of_run[0] / OWNER).exists())
        real_fsync(fd)

    monkeypatch.setattr(atomic.os, "fsync", fsync)
    with replace_directory(tmp_path / "cur") as folder:
        folder_of_run.append(folder)
        for name in ("a.jsonl", "b.jsonl", "manifest.json"):
            (folder / name).write_text(name, encoding="utf-8")
    assert seen == [True, True, True]
    assert not (tmp_path / "cur" / OWNER).exists()
