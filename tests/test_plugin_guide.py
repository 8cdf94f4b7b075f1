"""The plugin contract: every hook documented in docs/plugins.md, implemented by a test plugin
here or elsewhere in the tests, and behaving as documented; the guide's example runs as printed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO
from test_curriculum import SAMPLE, export, load, records

from layerkit.errors import PluginError
from layerkit.ingest import import_paths
from layerkit.plugin import specs as hookspecs
from layerkit.project import Project

GUIDE = REPO / "docs" / "plugins.md"
HOOKS = sorted(name for name, f in vars(hookspecs).items() if hasattr(f, "layerkit_spec"))


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "layerkit", "--db", str(cwd / "lk.db"), *args],
        cwd=cwd,
        env=dict(os.environ, COLUMNS="200"),
        capture_output=True,
        text=True,
        timeout=300,
    )


def _plugin(tmp_path: Path, body: str, name: str = "plug.py") -> Path:
    path = tmp_path / name
    path.write_text("from layerkit.plugin import hookimpl\n" + body, encoding="utf-8")
    return path


def test_the_hook_list_is_complete() -> None:
    assert {
        "register_importers",
        "register_exporters",
        "register_preannotators",
        "register_layers",
        "register_commands",
        "register_curriculum_tasks",
        "annotation_saved",
        "curriculum_record",
    } <= set(HOOKS)


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented_in_the_guide(hook: str) -> None:
    assert f"### `{hook}`" in GUIDE.read_text(encoding="utf-8"), f"document {hook} in {GUIDE}"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_implemented_by_a_test_plugin(hook: str) -> None:
    implemented = [
        p.name
        for p in (REPO / "tests").glob("test_*.py")
        if re.search(rf"def {hook}\(", p.read_text(encoding="utf-8"))
    ]
    assert implemented, f"no test implements the hook {hook}"


def _guide_example() -> str:
    guide = GUIDE.read_text(encoding="utf-8")
    section = guide.split("## A complete example", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_worked_example_is_the_example_file_and_under_30_lines() -> None:
    code = _guide_example()
    source = REPO / "examples" / "layerkit_alpaca" / "layerkit_alpaca.py"
    assert code == source.read_text(encoding="utf-8")
    assert len(code.splitlines()) < 30


def test_the_worked_example_reports_a_users_problem_with_export_error(tmp_path: Path) -> None:
    """ExportError: the message and hint on stderr, exit 2, no traceback, nothing written."""
    plugin = tmp_path / "alpaca_plugin.py"
    plugin.write_text(_guide_example(), encoding="utf-8")
    assert _cli(tmp_path, "import", str(SAMPLE / "science.txt")).returncode == 0  # nothing done
    done = _cli(tmp_path, "--plugin", str(plugin), "export", "alpaca", "-o", "train.jsonl")
    assert done.returncode == 2
    assert "Export failed" in done.stderr and "no training records" in done.stderr
    assert "Mark some layers done first" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "train.jsonl").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".train.jsonl")]


def test_the_worked_example_exports(tmp_path: Path) -> None:
    plugin = tmp_path / "alpaca_plugin.py"
    plugin.write_text(_guide_example(), encoding="utf-8")
    assert _cli(tmp_path, "import", str(SAMPLE / "annotated.jsonl")).returncode == 0
    done = _cli(tmp_path, "--plugin", str(plugin), "export", "alpaca", "-o", "train.jsonl")
    assert done.returncode == 0, done.stderr
    lines = (tmp_path / "train.jsonl").read_text(encoding="utf-8").splitlines()
    items = [json.loads(line) for line in lines]
    assert items and all(set(i) == {"instruction", "input", "output"} for i in items)
    assert _cli(tmp_path, "export", "sft", "-o", "cur").returncode == 0
    manifest = json.loads((tmp_path / "cur" / "manifest.json").read_text(encoding="utf-8"))
    train = [r for _, split, r in records(tmp_path / "cur", manifest) if split == "train"]
    # The same records as the curriculum's train files (streamed paragraph by paragraph, so in
    # another order).
    assert sorted(i["output"] for i in items) == sorted(r["messages"][-1]["content"] for r in train)
    assert f"Wrote train.jsonl: {len(items)} records" in done.stdout


def test_plugins_command_lists_plugins_versions_and_hooks(tmp_path: Path) -> None:
    done = _cli(tmp_path, "plugins", "--json")
    assert done.returncode == 0, done.stderr
    infos = {i["name"]: i for i in json.loads(done.stdout)}
    assert infos["sft"]["builtin"] and infos["sft"]["version"]
    assert infos["sft"]["hooks"] == ["register_curriculum_tasks", "register_exporters"]
    # at 80 columns every hook's name is there whole (it was cut: "register_curriculum_tas…")
    table = subprocess.run(
        [sys.executable, "-m", "layerkit", "--db", str(tmp_path / "lk.db"), "plugins"],
        cwd=tmp_path,
        env=dict(os.environ, COLUMNS="80"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert table.returncode == 0, table.stderr
    assert max(len(line) for line in table.stdout.splitlines()) <= 80
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in table.stdout.splitlines()]
    named = [row for row in cells if row and row[0] == "sft"]
    assert named and named[0][1] == "layerkit_sft"
    at = cells.index(named[0])
    assert cells[at + 1][0] == "(built-in)"
    assert {cells[at][3], cells[at + 1][3]} == set(infos["sft"]["hooks"])
    hooks = {row[3] for row in cells if len(row) == 4 and row[3]}
    assert hooks == {hook for info in infos.values() for hook in info["hooks"]}


# --- one contract test per hook --------------------------------------------------------------


def test_register_importers_and_exporters_contract(tmp_path: Path) -> None:
    plugin = _plugin(
        tmp_path,
        "from layerkit.drafts import DocumentDraft, ParagraphDraft\n"
        "from layerkit.plugin import ExportReport\n"
        "class Lines:\n"
        "    name = 'lines'\n"
        "    extensions = ('.lines',)\n"
        "    description = 'one paragraph per line'\n"
        "    def read(self, path, options):\n"
        "        texts = path.read_text(encoding='utf-8').splitlines()\n"
        "        yield DocumentDraft(name=path.stem, source=str(path), format='lines',\n"
        "                            paragraphs=[ParagraphDraft(text=t) for t in texts])\n"
        "class Count:\n"
        "    name = 'count'\n"
        "    description = 'number of paragraphs'\n"
        "    def export(self, reader, out, context):\n"
        "        n = sum(1 for _ in reader.paragraphs())\n"
        "        assert n == reader.count_paragraphs()\n"
        "        out.write_text(str(n))\n"
        "        return ExportReport(path=out, counts={'paragraphs': n})\n"
        "@hookimpl\n"
        "def register_importers(register):\n"
        "    register(Lines())\n"
        "@hookimpl\n"
        "def register_exporters(register):\n"
        "    register(Count())\n",
    )
    (tmp_path / "a.lines").write_text("Первая строка.\nВторая строка.\n", encoding="utf-8")
    assert _cli(tmp_path, "--plugin", str(plugin), "import", "a.lines").returncode == 0
    done = _cli(tmp_path, "--plugin", str(plugin), "export", "count", "-o", "n.txt")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "n.txt").read_text() == "2"


def test_register_commands_contract(tmp_path: Path) -> None:
    plugin = _plugin(
        tmp_path,
        "import click\n"
        "@hookimpl\n"
        "def register_commands(cli):\n"
        "    @cli.command()\n"
        "    def hello():\n"
        "        'Say hello.'\n"
        "        click.echo('привет')\n",
    )
    done = _cli(tmp_path, "--plugin", str(plugin), "hello")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "привет"
    assert "hello" in _cli(tmp_path, "--plugin", str(plugin), "--help").stdout


def test_register_preannotators_contract(tmp_path: Path) -> None:
    plugin = _plugin(
        tmp_path,
        "from layerkit.drafts import AnnotationDraft\n"
        "class Predicates:\n"
        "    name = 'first-word'\n"
        "    version = '0.1'\n"
        "    layer = 'semantic'\n"
        "    description = 'the first word of each paragraph is a predicate'\n"
        "    def annotate(self, paragraphs):\n"
        "        out = []\n"
        "        for p in paragraphs:\n"
        "            # the layer below (lexical) is there to read: the first VERB is the predicate\n"
        "            verbs = [a for a in p.layer('lexical', 'morph') if a.label == 'VERB']\n"
        "            assert set(p.annotations) <= {'lexical'}, p.annotations\n"
        "            out.append([AnnotationDraft(layer='semantic', kind='span', field='frame',\n"
        "                        label='PREDICATE', start=verbs[0].start, end=verbs[0].end)])\n"
        "        return out\n"
        "@hookimpl\n"
        "def register_preannotators(register):\n"
        "    register(Predicates())\n",
    )
    (tmp_path / "a.txt").write_text("Кот пришёл.\n\nКошка ушла.\n", encoding="utf-8")
    assert _cli(tmp_path, "import", "a.txt").returncode == 0
    assert _cli(tmp_path, "preannotate").returncode == 0  # lexical first
    done = _cli(tmp_path, "--plugin", str(plugin), "preannotate", "--layer", "semantic")
    assert done.returncode == 0, done.stderr
    assert "model:first-word@0.1: filled 2 of 2" in done.stdout
    status = json.loads(_cli(tmp_path, "status", "--json").stdout)
    assert status["annotations"]["semantic"] == 2
    exported = _cli(tmp_path, "export", "jsonl", "-o", "all.jsonl")
    assert exported.returncode == 0
    rows = [json.loads(line) for line in (tmp_path / "all.jsonl").read_text("utf-8").splitlines()]
    spans = [
        r["text"][a["start"] : a["end"]]
        for r in rows
        if r["type"] == "paragraph"
        for a in r["annotations"]
        if a["layer"] == "semantic"
    ]
    assert spans == ["пришёл", "ушла"]  # the verbs, found through the lexical layer


def test_register_layers_and_curriculum_tasks_contract(tmp_path: Path) -> None:
    (tmp_path / "stance.toml").write_text(
        'layer = "stance"\nversion = "1.0"\norder = 6\ntitle = "Stance"\n'
        'description = "Позиция автора."\n[[fields]]\nname = "stance"\nkind = "label"\n'
        'labels = [{ name = "PRO", description = "за" }, { name = "CONTRA", description = "против" }]\n',
        encoding="utf-8",
    )
    plugin = _plugin(
        tmp_path,
        "from pathlib import Path\n"
        "from layerkit.curriculum import Example\n"
        "class Stance:\n"
        "    name = 'stance.position'\n"
        "    layer = 'stance'\n"
        "    answer_format = 'text'\n"
        "    context = True\n"
        "    description = 'for or against'\n"
        "    def examples(self, paragraph, lang):\n"
        "        for ann in paragraph.layer('stance'):\n"
        "            yield Example(instruction='За или против?', answer=ann.label)\n"
        "@hookimpl\n"
        "def register_layers(register):\n"
        "    register(Path(__file__).with_name('stance.toml'))\n"
        "@hookimpl\n"
        "def register_curriculum_tasks(register):\n"
        "    register(Stance())\n",
    )
    corpus = tmp_path / "c.jsonl"
    lines = (SAMPLE / "annotated.jsonl").read_text(encoding="utf-8").splitlines()
    out_lines = []
    for line in lines:
        record = json.loads(line)
        if record.get("type") == "paragraph":
            record["annotations"].append(
                {"id": 9999, "layer": "stance", "kind": "label", "field": "stance", "label": "PRO"}
            )
            record["status"]["stance"] = {"state": "done", "annotator": "anna"}
        out_lines.append(json.dumps(record, ensure_ascii=False))
    corpus.write_text("\n".join(out_lines) + "\n", encoding="utf-8")
    project = load(tmp_path, corpus, plugins=[plugin])
    assert project.schemas.order[-1] == "stance"
    manifest, _ = export(project, tmp_path / "cur", max_tokens=0)
    assert manifest["stage_order"][-1] == "06-stance"
    stance = [r for s, _, r in records(tmp_path / "cur", manifest) if s == "06-stance"]
    assert len(stance) == 13
    assert all(r["messages"][-1]["content"] == "PRO" for r in stance)
    # The new layer's prompt shows all five built-in layers as context.
    assert stance[0]["meta"]["context_layers"] == list(project.schemas.order[:5])
    # compact where the layer's task has a compact form (pragmatic has none: shown in full)
    assert stance[0]["meta"]["context_forms"] == ["compact"] * 4 + ["full"]


def test_curriculum_record_hooks_chain_and_drop(tmp_path: Path) -> None:
    first = _plugin(
        tmp_path,
        "@hookimpl(tryfirst=True)\n"
        "def curriculum_record(record, stage, task):\n"
        "    record['meta']['tags'] = ['first']\n"
        "    return record\n",
        "first.py",
    )
    second = _plugin(
        tmp_path,
        "@hookimpl\n"
        "def curriculum_record(record, task, paragraph):\n"
        "    if task.startswith('logical.'):\n"
        "        return None\n"
        "    record['meta']['tags'] = record['meta']['tags'] + ['second']\n"
        "    assert record['meta']['paragraph_id'] == paragraph.id\n"
        "    assert paragraph.text in record['messages'][1]['content']\n"
        "    record['meta']['words'] = len(paragraph.tokens)\n"
        "    return record\n",
        "second.py",
    )
    project = load(tmp_path, SAMPLE / "annotated.jsonl", plugins=[first, second])
    manifest, report = export(project, tmp_path / "cur")
    kept = list(records(tmp_path / "cur", manifest))
    assert kept and all(r["meta"]["tags"] == ["first", "second"] for _, _, r in kept)
    # the hook got the paragraph the record is about (its tokens, without parsing the prompt)
    assert all(r["meta"]["words"] > 10 for _, _, r in kept)
    assert not any(r["meta"]["task"].startswith("logical.") for _, _, r in kept)
    dropped = manifest["dropped_by_plugins"]
    assert list(dropped) == ["file:second.py"] and dropped["file:second.py"] > 10
    assert any("'file:second.py' dropped" in note for note in report.notes)
    # the logical stage lost every record to the hook, and the notes say so (they said its
    # tasks "found nothing to ask")
    assert "03-logical: no records (curriculum_record hooks dropped every record" in "\n".join(
        report.notes
    )


def test_curriculum_record_returning_garbage_is_named(tmp_path: Path) -> None:
    plugin = _plugin(
        tmp_path,
        "@hookimpl\ndef curriculum_record(record, stage, task):\n    return {'text': 'x'}\n",
    )
    project = load(tmp_path, SAMPLE / "annotated.jsonl", plugins=[plugin])
    with pytest.raises(PluginError, match=r"file:plug\.py") as info:
        export(project, tmp_path / "cur")
    assert "no 'meta' object" in info.value.message
    assert not (tmp_path / "cur").exists()


def test_annotation_saved_contract(tmp_path: Path) -> None:
    log = tmp_path / "saved.log"
    plugin = _plugin(
        tmp_path,
        "@hookimpl\n"
        "def annotation_saved(annotation, action):\n"
        f"    with open({str(log)!r}, 'a', encoding='utf-8') as f:\n"
        "        f.write(f\"{action} {annotation['label']} {annotation['annotator']}\\n\")\n",
    )
    project = Project.load(str(tmp_path / "lk.db"), [plugin])
    (tmp_path / "a.txt").write_text("Кот спит.", encoding="utf-8")
    with project.open_store(create=True) as store:
        import_paths(project, store, [tmp_path / "a.txt"])
        paragraph = next(store.iter_paragraphs())
        assert paragraph.id is not None
        ann = store.create_annotation(
            paragraph_id=paragraph.id, layer="semantic", kind="span", field="frame",
            start=0, end=3, label="AGENT", annotator="anna",
        )  # fmt: skip
        assert ann.id is not None
        store.update_annotation(ann.id, annotator="boris", label="THEME")
        store.delete_annotation(ann.id, annotator="boris")
    assert log.read_text(encoding="utf-8").splitlines() == [
        "create AGENT anna",
        "update THEME boris",
        "delete THEME boris",
    ]


def test_a_raising_annotation_saved_hook_keeps_the_edit(tmp_path: Path) -> None:
    plugin = _plugin(
        tmp_path,
        "@hookimpl\ndef annotation_saved(annotation, action):\n    raise OSError('disk')\n",
    )
    project = Project.load(str(tmp_path / "lk.db"), [plugin])
    (tmp_path / "a.txt").write_text("Кот спит.", encoding="utf-8")
    with project.open_store(create=True) as store:
        import_paths(project, store, [tmp_path / "a.txt"])
        paragraph = next(store.iter_paragraphs())
        assert paragraph.id is not None
        with pytest.raises(PluginError, match=r"file:plug\.py.*annotation_saved.*disk"):
            store.create_annotation(
                paragraph_id=paragraph.id, layer="semantic", kind="span", field="frame",
                start=0, end=3, label="AGENT", annotator="anna",
            )  # fmt: skip
        # Committed before the hook ran: saved, whole, and undoable like any edit.
        assert [a.label for a in store.annotations(paragraph.id)] == ["AGENT"]
        with pytest.raises(PluginError, match="disk"):  # the hook hears of the undo too
            store.undo("anna")
        assert store.annotations(paragraph.id) == []  # undone all the same


def test_the_readme_shows_the_same_exporter() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Plugins", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    assert code == _guide_example()


# --- the API section lists exactly the public API ---------------------------------------------


def _api_section(title: str) -> list[str]:
    """The first cell of each table row under ``### `title``` in the guide's API section."""
    guide = GUIDE.read_text(encoding="utf-8").split("## The API", 1)[1].split("\n## ", 1)[0]
    body = guide.split(f"### `{title}`\n", 1)[1].split("\n### ", 1)[0]
    rows = [line for line in body.splitlines() if line.startswith("| `")]
    return [row.split("|")[1] for row in rows]


def _names(cells: list[str]) -> set[str]:
    """Names in backticks, without their argument lists: `get(annotation_id)` → get."""
    return {m.group(1) for cell in cells for m in re.finditer(r"`(\w+)(?:\(|`)", cell)}


def _public(cls: type) -> set[str]:
    import dataclasses

    names = {n for n in vars(cls) if not n.startswith("_")}
    if dataclasses.is_dataclass(cls):
        names |= {f.name for f in dataclasses.fields(cls) if not f.name.startswith("_")}
    return names - {"SHOWN"}


def test_the_api_section_lists_exactly_the_public_api() -> None:
    import dataclasses

    import layerkit.plugin as api

    assert _names(_api_section("layerkit.plugin")) == set(api.__all__)
    assert _names(_api_section("StoreReader")) == _public(api.StoreReader)
    assert _names(_api_section("Document")) == _public(api.Document)
    assert _names(_api_section("Paragraph")) == _public(api.Paragraph)
    assert _names(_api_section("Annotation")) == set(api.Annotation._fields)
    assert _names(_api_section("ExportContext")) == _public(api.ExportContext)
    assert _names(_api_section("ExportReport")) == _public(api.ExportReport)
    # the drafts' fields, listed in their rows of the first table
    rows = {cell.strip(" `"): row for row in _rows("layerkit.plugin") for cell in [row[0]]}
    for name in ("DocumentDraft", "ParagraphDraft", "AnnotationDraft", "LayerStatusDraft"):
        listed = set(re.findall(r"`(\w+)`", rows[name][1])) - {name, "LayerStatusDraft"}
        fields = {f.name for f in dataclasses.fields(getattr(api, name))}
        assert listed == fields, name
    assert set(re.findall(r"`(\w+)`", rows["ImportOptions"][1])) == {
        f.name for f in dataclasses.fields(api.ImportOptions)
    }


def _rows(title: str) -> list[list[str]]:
    guide = GUIDE.read_text(encoding="utf-8").split("## The API", 1)[1].split("\n## ", 1)[0]
    body = guide.split(f"### `{title}`\n", 1)[1].split("\n### ", 1)[0]
    return [line.split("|")[1:-1] for line in body.splitlines() if line.startswith("| `")]


def test_the_curriculum_record_example_runs_on_sft_and_dpo(tmp_path: Path) -> None:
    """The docs' example read ``record["messages"]``, which preference pairs do not have: every
    `export dpo` with it failed (KeyError)."""
    section = GUIDE.read_text(encoding="utf-8").split("### `curriculum_record`", 1)[1]
    example = section.split("```python\n", 1)[1].split("```", 1)[0]
    plugin = _plugin(tmp_path, example, name="tagged.py")
    assert _cli(tmp_path, "import", str(SAMPLE / "annotated.jsonl")).returncode == 0
    for kind in ("sft", "dpo"):
        done = _cli(tmp_path, "--plugin", str(plugin), "export", kind, "-o", kind)
        assert done.returncode == 0, done.stderr
        lines = [
            json.loads(line)
            for path in sorted((tmp_path / kind).glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()
        ]
        assert lines and all(r["meta"]["source"] == "my-project" for r in lines), kind
        assert all(r["meta"]["tokens"] > 0 for r in lines), kind


def test_the_register_commands_example_reads_the_store(tmp_path: Path) -> None:
    """A plugin's command had no documented way to reach the store (``ctx.obj.project`` was
    found by inspecting objects): the guide's ``reading_store`` example runs as printed."""
    section = GUIDE.read_text(encoding="utf-8").split("### `register_commands`", 1)[1]
    code = section.split("```python\n")[2].split("```", 1)[0]
    plugin = tmp_path / "count_plugin.py"
    plugin.write_text(code, encoding="utf-8")
    assert _cli(tmp_path, "import", str(SAMPLE / "science.txt")).returncode == 0
    done = _cli(tmp_path, "--plugin", str(plugin), "count")
    assert done.returncode == 0, done.stderr
    with Project.load(str(tmp_path / "lk.db")).open_store() as store:
        paragraphs = store.summary().paragraphs
    assert done.stdout.strip() == f"1 documents, {paragraphs} paragraphs" and paragraphs > 1
