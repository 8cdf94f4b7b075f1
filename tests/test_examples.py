"""The example third-party plugins, installed as a wheel would install them and found through
their entry points: no ``--plugin`` flag, exactly as a user's ``pip install`` makes them appear."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import REPO

from layerkit.curriculum import parse_answer

EXAMPLES = REPO / "examples"
SAMPLE = REPO / "sample_corpus"


def install(example: Path, site: Path) -> dict:
    """Lay the package and its ``.dist-info`` (METADATA, entry_points.txt, RECORD) into
    ``site``, as pip does for a pure-Python wheel, from the example's own pyproject.toml."""
    project = tomllib.loads((example / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    name, version = project["name"], project["version"]
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
    )
    groups = project["entry-points"]
    (info / "entry_points.txt").write_text(
        "".join(
            f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in points.items())
            for group, points in groups.items()
        ),
        encoding="utf-8",
    )
    (info / "RECORD").write_text("", encoding="utf-8")
    for item in example.iterdir():
        if item.name.startswith("layerkit_"):
            target = site / item.name
            if item.is_dir():
                shutil.copytree(item, target)
            else:
                shutil.copy(item, target)
    return project


def cli(tmp_path: Path, site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COLUMNS="200", PYTHONPATH=str(site))
    return subprocess.run(
        [sys.executable, "-m", "layerkit", "--db", str(tmp_path / "lk.db"), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def site(tmp_path: Path) -> Path:
    path = tmp_path / "site"
    path.mkdir()
    return path


def _with_metacognitive(path: Path) -> Path:
    """The annotated sample corpus plus the metacognitive layer on every paragraph."""
    out = []
    for i, line in enumerate((SAMPLE / "annotated.jsonl").read_text(encoding="utf-8").splitlines()):
        record = json.loads(line)
        if record.get("type") == "paragraph":
            strategy = ("ARGUE", "ILLUSTRATE", "NARRATE")[i % 3]
            record["annotations"] += [
                {"id": 9001, "layer": "metacognitive", "kind": "label", "field": "strategy",
                 "label": strategy, "annotator": "vera"},
                {"id": 9002, "layer": "metacognitive", "kind": "text", "field": "reflection",
                 "value": f"Автор выбирает {strategy}, чтобы убедить.", "annotator": "vera"},
            ]  # fmt: skip
            record["status"]["metacognitive"] = {"state": "done", "annotator": "vera"}
        out.append(json.dumps(record, ensure_ascii=False))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def test_metacognitive_layer_plugin_through_its_entry_point(tmp_path: Path, site: Path) -> None:
    install(EXAMPLES / "layerkit_metacognitive", site)
    listed = cli(tmp_path, site, "plugins", "--json")
    assert listed.returncode == 0, listed.stderr
    info = {i["name"]: i for i in json.loads(listed.stdout)}["metacognitive"]
    assert info["version"] == "0.2.0" and not info["builtin"]
    assert info["hooks"] == ["curriculum_record", "register_curriculum_tasks", "register_layers"]
    shown = cli(tmp_path, site, "schema", "show", "metacognitive")
    assert shown.returncode == 0 and "ILLUSTRATE" in shown.stdout

    corpus = _with_metacognitive(tmp_path / "meta.jsonl")
    assert cli(tmp_path, site, "import", str(corpus)).returncode == 0
    done = cli(tmp_path, site, "export", "sft", "-o", "cur")
    assert done.returncode == 0, done.stderr
    manifest = json.loads((tmp_path / "cur" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["stage_order"][-1] == "06-metacognitive"
    assert manifest["schemas"]["metacognitive"] == "0.2.0"
    stage = manifest["stages"][-1]
    assert [t["name"] for t in stage["tasks"]] == ["metacognitive.strategy"]
    lines = []
    for info in stage["files"].values():
        lines += (tmp_path / "cur" / info["path"]).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 13
    for line in lines:
        record = json.loads(line)
        # The plugin's curriculum_record hook gave its stage a system message of its own.
        assert record["messages"][0]["content"].startswith("Ты — лингвист. Ты объясняешь")
        answer = parse_answer("json", record["messages"][-1]["content"])
        assert answer["strategy"] in ("ARGUE", "ILLUSTRATE", "NARRATE")
        assert answer["reflection"].startswith("Автор выбирает")
        # Every layer below, compact, in 2048 tokens: the farthest left out where they do not
        # fit (pragmatic, with no compact form, in full).
        below = ["lexical", "semantic", "logical", "epistemic", "pragmatic"]
        shown = record["meta"]["context_layers"]
        assert shown == below[len(below) - len(shown) :] and len(shown) >= 3
        assert record["meta"]["context_forms"][-1] == "full"
    other = (tmp_path / "cur" / "01-lexical.train.jsonl").read_text(encoding="utf-8")
    assert "Ты объясняешь" not in other


def test_alpaca_exporter_through_its_entry_point(tmp_path: Path, site: Path) -> None:
    install(EXAMPLES / "layerkit_alpaca", site)
    assert cli(tmp_path, site, "import", str(SAMPLE / "annotated.jsonl")).returncode == 0
    done = cli(tmp_path, site, "export", "alpaca", "-o", "train.jsonl")
    assert done.returncode == 0, done.stderr
    items = [json.loads(x) for x in (tmp_path / "train.jsonl").read_text("utf-8").splitlines()]
    assert items and all(i["input"].startswith("Абзац:\n") for i in items)


def test_a_plugin_that_fails_to_import_is_named_and_changes_nothing(
    tmp_path: Path, site: Path
) -> None:
    broken = tmp_path / "broken_plugin"
    (broken / "layerkit_broken").mkdir(parents=True)
    (broken / "layerkit_broken" / "__init__.py").write_text(
        "import layerkit_dependency_that_is_missing\n", encoding="utf-8"
    )
    (broken / "pyproject.toml").write_text(
        '[project]\nname = "layerkit-broken"\nversion = "1.0"\n'
        '[project.entry-points.layerkit]\nbroken = "layerkit_broken"\n',
        encoding="utf-8",
    )
    assert cli(tmp_path, site, "import", str(SAMPLE / "annotated.jsonl")).returncode == 0
    before = (tmp_path / "lk.db").read_bytes()
    install(broken, site)
    for args in (("plugins",), ("import", str(SAMPLE / "news.txt")), ("export", "sft", "-o", "c")):
        done = cli(tmp_path, site, *args)
        assert done.returncode == 2, args
        assert "plugin 'broken' (layerkit_broken) failed to load" in done.stderr
        assert "layerkit_dependency_that_is_missing" in done.stderr
        assert "Traceback" not in done.stderr
    assert (tmp_path / "lk.db").read_bytes() == before
    assert not (tmp_path / "c").exists()
