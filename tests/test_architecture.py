"""Dependencies point downward: lower packages never import higher ones."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import REPO

PACKAGE = REPO / "layerkit"

# module prefix -> prefixes it must never import
FORBIDDEN = {
    "layerkit.store": (
        "layerkit.schema",
        "layerkit.plugin",
        "layerkit.project",
        "layerkit.cli",
        "layerkit.ingest",
        "layerkit.tui",
        "layerkit.curriculum",
        "layerkit.train",
        "textual",
        "click",
    ),
    "layerkit.schema": (
        "layerkit.store",
        "layerkit.plugin",
        "layerkit.project",
        "layerkit.cli",
        "layerkit.tui",
        "textual",
        "click",
    ),
    "layerkit.nlp": ("layerkit.store", "layerkit.project", "layerkit.cli", "layerkit.tui"),
    "layerkit.errors": ("layerkit.",),
    # The domain model is shared by every layer above it: it depends on none of them.
    "layerkit.model": ("layerkit.",),
    "layerkit.tui": ("layerkit.cli", "click"),
    "layerkit.drafts": ("layerkit.store", "layerkit.schema", "layerkit.cli"),
    # Agreement and adjudication work on the store for every front end (CLI, TUI, curricula).
    "layerkit.agreement": ("layerkit.tui", "layerkit.cli", "layerkit.curriculum", "textual"),
    "layerkit.adjudication": ("layerkit.tui", "layerkit.cli", "layerkit.curriculum", "textual"),
    # The curriculum is built from the store; it knows nothing of screens, commands or training.
    "layerkit.curriculum": ("layerkit.tui", "layerkit.cli", "layerkit.train", "textual", "click"),
    # The trainer reads curriculum files only, so a curriculum trains on any machine.
    "layerkit.train": (
        "layerkit.store",
        "layerkit.tui",
        "layerkit.curriculum",
        "layerkit.cli",
        "layerkit.project",
        "layerkit.plugin",
        "layerkit.nlp",
        "textual",
        "click",
    ),
}
# module prefix -> imports allowed although a rule above bans their prefix
ALLOWED = {
    # The answer formats are the contract between exporter and trainer (stdlib only).
    "layerkit.train": ("layerkit.curriculum.answers", "layerkit.curriculum.formats"),
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _module_name(path: Path) -> str:
    rel = path.relative_to(REPO).with_suffix("")
    return ".".join(rel.parts).removesuffix(".__init__")


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(REPO))
)
def test_dependencies_point_downward(path: Path) -> None:
    module = _module_name(path)
    for owner, banned in FORBIDDEN.items():
        if module == owner or module.startswith(owner + "."):
            allowed = ALLOWED.get(owner, ())
            bad = sorted(i for i in _imports(path) if i.startswith(banned) and i not in allowed)
            assert not bad, f"{module} must not import {bad}"


def test_rules_cover_existing_packages() -> None:
    for owner in FORBIDDEN:
        rel = Path(*owner.split("."))
        assert (REPO / rel).is_dir() or (REPO / rel).with_suffix(".py").is_file(), owner


def test_the_answer_formats_load_without_the_store() -> None:
    """The trainer reads answers with ``layerkit.curriculum.answers``: importing it must not
    import the store or the exporter (a trainer machine needs only the curriculum files)."""
    import subprocess
    import sys

    code = (
        "import sys, layerkit.curriculum.answers; "
        "print(sorted(m for m in sys.modules if m.startswith(('layerkit.store', "
        "'layerkit.curriculum.export', 'sqlalchemy'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
