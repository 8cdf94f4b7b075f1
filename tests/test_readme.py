"""The README's quick tour runs as written (with the database and outputs in a temp folder)."""

from __future__ import annotations

import itertools
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from conftest import REPO


def _tour_commands() -> list[list[str]]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    tour = readme.split("## Quick tour", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = []
    for line in tour.splitlines():
        line = line.split("  #", 1)[0].strip()
        if line.startswith("layerkit "):
            commands.append(shlex.split(line))
    return commands


def test_readme_starts_with_the_two_commands() -> None:
    head = (REPO / "README.md").read_text(encoding="utf-8").splitlines()[:6]
    assert any(line.startswith("make run") for line in head)
    assert any(line.startswith("make test") for line in head)
    assert "make test" in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def test_quick_tour_runs(tmp_path: Path) -> None:
    commands = _tour_commands()
    assert len(commands) >= 8
    outputs = {"my.db", "backup.jsonl", "lexical.conllu", "science.conllu", "curriculum/", "run/"}
    for argv in commands:
        argv = [str(tmp_path / a) if a in outputs else a for a in argv[1:]]
        result = subprocess.run(
            [sys.executable, "-m", "layerkit", *argv],
            cwd=REPO,
            env=dict(os.environ, COLUMNS="200"),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, f"{argv}: {result.stderr}"
    assert re.search(r"^# text = ", (tmp_path / "science.conllu").read_text(encoding="utf-8"), re.M)
    assert (tmp_path / "backup.jsonl").stat().st_size > 100_000
    assert (tmp_path / "curriculum" / "manifest.json").is_file()
    stages = sorted(p.name for p in (tmp_path / "run" / "stages").iterdir())
    assert stages == ["01-lexical", "02-semantic", "03-logical", "04-epistemic", "05-pragmatic"]


def test_quick_tour_outputs_are_ignored_in_the_repository(tmp_path: Path) -> None:
    """Run from the repository root as written, the tour's outputs must not upset git or the
    style test (ruff reads every .py, .md and .ipynb file git does not ignore)."""
    written = set()
    for argv in _tour_commands():
        for flag, value in itertools.pairwise(argv):
            if flag in ("--db", "-o"):
                written.add(value)
    assert {"my.db", "curriculum/", "run/"} <= written
    for path in sorted(written):
        probe = path.rstrip("/") + ("/README.md" if path.endswith("/") else "")
        result = subprocess.run(
            ["git", "check-ignore", "--no-index", "-q", probe], cwd=REPO, check=False
        )
        assert result.returncode == 0, f"{probe} (written by the quick tour) is not git-ignored"
