"""Plugin manager: built-ins load through entry points; broken plugins are named."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from layerkit.errors import PluginError
from layerkit.plugin.manager import call_hook, collect, describe_plugins, get_plugin_manager


def test_builtins_come_from_entry_points() -> None:
    pm = get_plugin_manager()
    infos = {i.name: i for i in describe_plugins(pm)}
    assert {"layers", "text", "jsonl", "conllu"} <= set(infos)
    assert all(infos[n].builtin for n in ("layers", "text", "jsonl", "conllu"))
    assert "register_importers" in infos["conllu"].hooks
    assert {"register_importers", "register_exporters"} <= set(infos["jsonl"].hooks)
    importers = {item.name for _, item in collect(pm, "register_importers")}
    assert {"text", "jsonl", "conllu"} <= importers


def test_fresh_manager_each_time() -> None:
    assert get_plugin_manager() is not get_plugin_manager()


def _plugin(tmp_path: Path, body: str, name: str = "myplugin.py") -> Path:
    path = tmp_path / name
    path.write_text("from layerkit.plugin import hookimpl\n" + body, encoding="utf-8")
    return path


def _cli(db: Path, plugin: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``layerkit --db DB --plugin PLUGIN ARGS...`` as a user runs it, in a process of its own."""

    def layerkit(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "layerkit", "--db", str(db), "--plugin", str(plugin), *args],
            capture_output=True,
            text=True,
            timeout=300,
        )

    return layerkit


def _store_of_one_sentence(
    tmp_path: Path, plugin: Path
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """A new store holding «Кошка спит на окне.», and ``layerkit`` with ``plugin`` on it."""
    layerkit = _cli(tmp_path / "store.db", plugin)
    assert layerkit("init").returncode == 0
    text = tmp_path / "a.txt"
    text.write_text("Кошка спит на окне.\n", encoding="utf-8")
    assert layerkit("import", str(text)).returncode == 0
    return layerkit


def test_local_plugin_registers_layer(tmp_path: Path) -> None:
    schema = tmp_path / "meta.toml"
    schema.write_text(
        'layer = "metacognitive"\nversion = "1.0"\norder = 6\ntitle = "M"\n'
        'description = "d"\n[[fields]]\nname = "note"\nkind = "text"\n',
        encoding="utf-8",
    )
    path = _plugin(
        tmp_path,
        f"@hookimpl\ndef register_layers(register):\n    register(__import__('pathlib').Path({str(schema)!r}))\n",
    )
    pm = get_plugin_manager([path])
    registered = [p for _, p in collect(pm, "register_layers")]
    assert schema in registered


def test_misspelled_hook_is_caught(tmp_path: Path) -> None:
    path = _plugin(tmp_path, "@hookimpl\ndef register_importer(register):\n    pass\n")
    with pytest.raises(PluginError) as info:
        get_plugin_manager([path])
    assert "myplugin.py" in info.value.message
    assert "register_importer" in info.value.message


def test_import_error_names_the_file(tmp_path: Path) -> None:
    path = _plugin(tmp_path, "import nosuchmodule_xyz\n")
    with pytest.raises(PluginError) as info:
        get_plugin_manager([path])
    assert str(path) in info.value.message
    assert "nosuchmodule_xyz" in info.value.message


def test_raising_hook_names_the_plugin(tmp_path: Path) -> None:
    path = _plugin(
        tmp_path, "@hookimpl\ndef register_exporters(register):\n    raise RuntimeError('kaput')\n"
    )
    pm = get_plugin_manager([path])
    with pytest.raises(PluginError) as info:
        collect(pm, "register_exporters")
    assert "file:myplugin.py" in info.value.message and "kaput" in info.value.message


def test_event_hook_failure_names_the_plugin(tmp_path: Path) -> None:
    path = _plugin(
        tmp_path,
        "@hookimpl\ndef annotation_saved(annotation, action):\n    raise ValueError('no')\n",
    )
    pm = get_plugin_manager([path])
    with pytest.raises(PluginError, match=r"file:myplugin\.py"):
        call_hook(pm, "annotation_saved", annotation={}, action="create")


BROKEN = """
import pathlib

class Boom:
    name = "boom"
    description = "an exporter that writes half a file, then fails"
    extensions = (".boom",)
    options = ()

    def export(self, reader, path, context):
        pathlib.Path(path).write_text("half", encoding="utf-8")
        raise RuntimeError("kaput while exporting")

    def can_read(self, path):
        return str(path).endswith(".boom")

    def read(self, path, options):
        raise RuntimeError("kaput while importing")

@hookimpl
def register_exporters(register):
    register(Boom())

@hookimpl
def register_importers(register):
    register(Boom())
"""


def test_a_raising_exporter_or_importer_is_named_exits_2_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    """Run as a user would: the plugin's own code raising inside `layerkit export` or
    `layerkit import` is reported under the plugin's name (exit 2, no traceback), the half
    file the exporter wrote is removed, and the store is as it was."""
    plugin = _plugin(tmp_path, BROKEN, name="boomplugin.py")
    layerkit = _store_of_one_sentence(tmp_path, plugin)
    before = layerkit("status").stdout
    assert "1" in before
    out = tmp_path / "out.boom"
    exported = layerkit("export", "boom", "-o", str(out))
    assert exported.returncode == 2, exported.stderr
    assert "boomplugin.py" in exported.stderr and "kaput while exporting" in exported.stderr
    assert "Traceback" not in exported.stderr
    assert not out.exists()
    source = tmp_path / "b.boom"
    source.write_text("x", encoding="utf-8")
    imported = layerkit("import", str(source))
    assert imported.returncode == 2, imported.stderr
    assert "boomplugin.py" in imported.stderr and "kaput while importing" in imported.stderr
    assert "Traceback" not in imported.stderr
    assert layerkit("status").stdout == before  # the store as it was


def test_a_plugin_file_runs_once_per_command(tmp_path: Path) -> None:
    """`layerkit --plugin x.py CMD` builds a plugin manager for the commands plugins add and
    one for CMD itself: the file's module-level code runs once, not twice."""
    plugin = _plugin(tmp_path, "print('plugin module ran')\n", name="counted.py")
    done = subprocess.run(
        [sys.executable, "-m", "layerkit", "--db", str(tmp_path / "s.db"), "--plugin",
         str(plugin), "init"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("plugin module ran") == 1, done.stdout
    # an edited file is loaded anew in the same process
    first = get_plugin_manager([plugin]).get_plugin("file:counted.py")
    assert get_plugin_manager([plugin]).get_plugin("file:counted.py") is first
    plugin.write_text(plugin.read_text(encoding="utf-8") + "X = 1\n", encoding="utf-8")
    edited = get_plugin_manager([plugin]).get_plugin("file:counted.py")
    assert edited is not first and edited.X == 1


def test_hookimpl_is_importable_from_layerkit(tmp_path: Path) -> None:
    """The marker the docs name, ``from layerkit import hookimpl`` / ``@layerkit.hookimpl``."""
    import layerkit
    from layerkit.plugin import hookimpl

    assert layerkit.hookimpl is hookimpl
    path = tmp_path / "short.py"
    path.write_text(
        "import layerkit\n@layerkit.hookimpl\ndef register_exporters(register):\n    pass\n",
        encoding="utf-8",
    )
    pm = get_plugin_manager([path])
    assert pm.get_plugin("file:short.py") is not None
    assert "file:short.py" in {i.name for i in describe_plugins(pm)}


WRAPPER = """
CALLS = []

@hookimpl(wrapper=True)
def register_exporters(register):
    CALLS.append("before")
    result = yield
    CALLS.append("after")
    return result

@hookimpl(wrapper=True)
def curriculum_record(record, stage, task):
    CALLS.append("record")
    result = yield
    return result
"""

TAGGER = """
@hookimpl
def curriculum_record(record, stage, task):
    record["meta"]["tags"] = record["meta"].get("tags", 0) + 1
    return record
"""


def test_hooks_are_called_through_pluggy_so_hook_wrappers_apply(tmp_path: Path) -> None:
    """register_* hooks go through pm.hook (a hook wrapper sees the call; each registered
    thing is still credited to its own plugin), and a chained hook's wrapper wraps every step."""
    from layerkit.plugin.manager import chain_hook

    wrapper = _plugin(tmp_path, WRAPPER, "wrapping.py")
    first = _plugin(tmp_path, TAGGER, "tag_one.py")
    second = _plugin(tmp_path, TAGGER, "tag_two.py")
    pm = get_plugin_manager([wrapper, first, second])
    calls = sys.modules["layerkit_local_plugin_wrapping"].CALLS
    exporters = collect(pm, "register_exporters")
    assert calls == ["before", "after"]
    assert {owner for owner, _ in exporters} >= {"sft", "jsonl", "conllu"}
    assert all(owner != "file:wrapping.py" for owner, _ in exporters)
    record = {"messages": [], "meta": {}}
    out, dropped_by = chain_hook(
        pm, "curriculum_record", "record", record, stage="s", task="t", paragraph=None
    )
    assert dropped_by is None and out["meta"]["tags"] == 2  # both steps, each saw the last
    assert calls.count("record") == 2  # the wrapper around each step


def test_a_failing_implementation_called_through_pluggy_is_named(tmp_path: Path) -> None:
    path = _plugin(
        tmp_path, "@hookimpl\ndef annotation_saved(annotation, action):\n    raise KeyError(7)\n"
    )
    pm = get_plugin_manager([path])
    with pytest.raises(PluginError) as info:
        call_hook(pm, "annotation_saved", annotation={}, action="create")
    assert "file:myplugin.py" in info.value.message and "annotation_saved" in info.value.message


RAISING_TASK = """
from layerkit.plugin import Example

class Fragile:
    name = "lexical.fragile"
    layer = "lexical"
    answer_format = "text"
    context = False
    description = "a task whose code fails on every paragraph"

    def examples(self, paragraph, lang):
        yield Example(instruction="?", answer=str(1 / len(paragraph.text[:0])))

@hookimpl
def register_curriculum_tasks(register):
    register(Fragile())
"""


def test_a_raising_curriculum_task_is_named_not_the_exporter(tmp_path: Path) -> None:
    """A third-party task whose code raises inside `layerkit export sft` is reported under its
    own plugin and task (the built-in exporter that ran it was blamed), exit 2, no traceback,
    no curriculum folder."""
    plugin = _plugin(tmp_path, RAISING_TASK, name="fragiletask.py")
    layerkit = _cli(tmp_path / "store.db", plugin)
    sample = Path(__file__).parent.parent / "sample_corpus" / "annotated.jsonl"
    assert layerkit("import", str(sample)).returncode == 0
    out = tmp_path / "curriculum"
    exported = layerkit("export", "sft", "-o", str(out))
    assert exported.returncode == 2, exported.stderr
    assert "plugin 'file:fragiletask.py' failed in the curriculum task 'lexical.fragile'" in (
        exported.stderr
    ), exported.stderr
    assert "ZeroDivisionError" in exported.stderr
    assert "'sft'" not in exported.stderr  # the exporter is not blamed
    assert "Traceback" not in exported.stderr
    assert not out.exists()


def test_two_plugins_with_one_task_name_are_both_named(tmp_path: Path) -> None:
    """pluggy calls the plugin registered last first, so the built-in one was blamed for
    registering a name "already" taken by a plugin file: now both are named."""
    from layerkit.curriculum.build import resolve

    path = _plugin(
        tmp_path,
        RAISING_TASK.replace('"lexical.fragile"', '"lexical.morphology"'),
        name="dup.py",
    )
    with pytest.raises(PluginError) as info:
        resolve("sft", {"plugin_manager": get_plugin_manager([path])})
    message = info.value.message
    assert "plugins 'file:dup.py' and 'sft' both register" in message, message
    assert "'lexical.morphology'" in message


CLASHING_IMPORTER = """
class Importer:
    name = "text"
    extensions = (".txt",)

    def read(self, path, context):
        return iter(())


@hookimpl
def register_importers(register):
    register(Importer())
"""


def test_plugins_lists_every_plugin_and_then_says_what_clashes(tmp_path: Path) -> None:
    """`layerkit plugins` is where one looks for which plugins there are: with two importers
    of one name it refused and listed nothing. Now it lists them all, then says what clashes
    and how to leave either plugin out (exit 2, as any command refusing)."""
    layerkit = _cli(tmp_path / "store.db", _plugin(tmp_path, CLASHING_IMPORTER, name="dup.py"))
    listed = layerkit("plugins", "--json")
    assert listed.returncode == 2, listed.stderr
    names = {plugin["name"] for plugin in json.loads(listed.stdout)}
    assert {"file:dup.py", "text", "sft", "conllu"} <= names, names
    assert "plugins 'file:dup.py' and 'text' both register an importer named 'text'" in (
        listed.stderr
    ), listed.stderr
    assert "run without --plugin dup.py, or LAYERKIT_DISABLE_PLUGINS=text" in listed.stderr
    assert "Traceback" not in listed.stderr


def test_two_context_tasks_on_one_layer_name_both_plugins(tmp_path: Path) -> None:
    from layerkit.curriculum.build import resolve

    path = _plugin(
        tmp_path, RAISING_TASK.replace("context = False", "context = True"), name="ctx.py"
    )
    with pytest.raises(PluginError) as info:
        resolve("sft", {"plugin_manager": get_plugin_manager([path])})
    message = info.value.message
    assert "'lexical.fragile' (plugin 'file:ctx.py')" in message, message
    assert "'lexical.morphology' (plugin 'sft')" in message, message


FOLDER_EXPORTER = """
from layerkit.plugin import ExportReport, atomic_folder

class Folder:
    name = "folder"
    description = "one text file per document, in a folder"
    options = ()

    def export(self, reader, out, context):
        with atomic_folder(out) as folder:
            for document in reader.documents():
                (folder / f"{document.id}.txt").write_text(document.name, encoding="utf-8")
        return ExportReport(path=out, counts={"documents": len(reader.documents())})

@hookimpl
def register_exporters(register):
    register(Folder())
"""


def _folder_exporter_on_a_text(
    db: Path, tmp_path: Path
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """The CLI with :data:`FOLDER_EXPORTER`, on a store ``db`` holding one imported text."""
    layerkit = _cli(db, _plugin(tmp_path, FOLDER_EXPORTER, name="folders.py"))
    assert layerkit("init").returncode == 0
    text = tmp_path / "a.txt"
    text.write_text("Кошка спит на окне.\n", encoding="utf-8")
    assert layerkit("import", str(text)).returncode == 0
    return layerkit


def test_an_export_never_replaces_the_store_or_a_folder_of_other_files(tmp_path: Path) -> None:
    """`-o` naming the store's database, or a folder holding it, replaced the store with the
    export (jsonl; a plugin's folder); atomic_folder replaced any folder, whatever was in it."""
    project = tmp_path / "project"
    project.mkdir()
    db = project / "store.db"
    layerkit = _folder_exporter_on_a_text(db, tmp_path)
    before = layerkit("status").stdout
    notes = project / "notes.md"
    notes.write_text("мои заметки\n", encoding="utf-8")
    for args in (
        ("jsonl", "-o", str(db)),
        ("jsonl", "-o", f"{db}-wal"),
        ("folder", "-o", str(project)),
        ("folder", "-o", str(tmp_path)),
    ):
        refused = layerkit("export", *args)
        assert refused.returncode == 2, (args, refused.stderr)
        assert "store's" in refused.stderr and "Traceback" not in refused.stderr
    assert layerkit("status").stdout == before
    others = tmp_path / "others"
    others.mkdir()
    (others / "keep.txt").write_text("x", encoding="utf-8")
    refused = layerkit("export", "folder", "-o", str(others))
    assert refused.returncode == 2 and "other files" in refused.stderr, refused.stderr
    assert sorted(p.name for p in others.iterdir()) == ["keep.txt"]
    out = tmp_path / "out"
    for _ in range(2):  # a folder an export wrote is replaced by the next
        done = layerkit("export", "folder", "-o", str(out))
        assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == [".layerkit-export", "1.txt"]
    assert notes.read_text(encoding="utf-8") == "мои заметки\n"
    assert layerkit("status").stdout == before


def test_an_export_folder_a_user_added_files_to_is_not_replaced(tmp_path: Path) -> None:
    """The brat audit: a user's ``annotation.conf`` put into an earlier export's folder was
    deleted, without a word, by the next export (a plugin's folder, a curriculum alike)."""
    layerkit = _folder_exporter_on_a_text(tmp_path / "store.db", tmp_path)
    for exporter, out, written in (
        ("folder", tmp_path / "brat", "1.txt"),
        ("sft", tmp_path / "curriculum", "manifest.json"),
    ):
        first = layerkit("export", exporter, "-o", str(out))
        assert first.returncode == 0, first.stderr
        (out / "annotation.conf").write_text("[entities]\n", encoding="utf-8")
        before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
        refused = layerkit("export", exporter, "-o", str(out))
        assert refused.returncode == 2 and "Traceback" not in refused.stderr
        message = " ".join(refused.stderr.split())
        assert "also holds annotation.conf, which the export did not write" in message
        assert "move those files out of it" in message
        assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before
        assert written in before
        (out / "annotation.conf").unlink()
        done = layerkit("export", exporter, "-o", str(out))  # the export's own files: replaced
        assert done.returncode == 0, done.stderr
    # a mark written before marks listed their files: the folder is replaced as before
    out = tmp_path / "brat"
    (out / ".layerkit-export").write_text("Written by a layerkit export.\n", encoding="utf-8")
    (out / "old.txt").write_text("x", encoding="utf-8")
    assert layerkit("export", "folder", "-o", str(out)).returncode == 0
    assert sorted(p.name for p in out.iterdir()) == [".layerkit-export", "1.txt"]


RAISING_COMMAND_AND_TAGGER = """
import click

class Broken:
    name = "broken"
    version = "0.1"
    layer = "semantic"
    description = "a pre-annotator that fails"

    def annotate(self, paragraphs):
        raise RuntimeError("kaput while annotating")

@hookimpl
def register_preannotators(register):
    register(Broken())

@hookimpl
def register_commands(cli):
    @cli.command()
    @click.option("--times", type=int, required=True)
    def boom(times):
        'Fail.'
        raise RuntimeError(f"kaput {times} times")
"""


def test_a_raising_preannotator_or_plugin_command_is_named_and_exits_2(tmp_path: Path) -> None:
    """They gave a traceback and exit 1; click's own usage errors stay as they were."""
    plugin = _plugin(tmp_path, RAISING_COMMAND_AND_TAGGER, name="brokenplugin.py")
    layerkit = _store_of_one_sentence(tmp_path, plugin)
    before = layerkit("status").stdout
    done = layerkit("preannotate", "--layer", "semantic", "--model", "broken")
    assert done.returncode == 2, done.stderr
    assert "brokenplugin.py" in done.stderr and "kaput while annotating" in done.stderr
    assert "pre-annotator 'broken'" in done.stderr and "Traceback" not in done.stderr
    assert layerkit("status").stdout == before
    done = layerkit("boom", "--times", "3")
    assert done.returncode == 2, done.stderr
    assert "brokenplugin.py" in done.stderr and "kaput 3 times" in done.stderr
    assert "Traceback" not in done.stderr
    usage = layerkit("boom")  # a missing option: click's message, exit 2, no plugin blamed
    assert usage.returncode == 2 and "--times" in usage.stderr, usage.stderr
    assert "brokenplugin.py" not in usage.stderr


def test_a_plugin_file_given_twice_is_loaded_once(tmp_path: Path) -> None:
    """`--plugin x.py --plugin x.py` (or an installed plugin's own file) was a pluggy
    traceback, or its layers clashed with themselves."""
    schema = tmp_path / "meta.toml"
    schema.write_text(
        'layer = "metacognitive"\nversion = "1.0"\norder = 6\ntitle = "M"\n'
        'description = "d"\n[[fields]]\nname = "note"\nkind = "text"\n',
        encoding="utf-8",
    )
    plugin = _plugin(
        tmp_path,
        "@hookimpl\ndef register_layers(register):\n"
        f"    register(__import__('pathlib').Path({str(schema)!r}))\n",
    )
    done = subprocess.run(
        [sys.executable, "-m", "layerkit", "--db", str(tmp_path / "s.db"), "--plugin",
         str(plugin), "--plugin", str(tmp_path / "." / plugin.name), "schema", "list"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("│ metacognitive │") == 1, done.stdout


def _fake_distribution(
    site: Path, name: str, module: str, entry_point: str, code: str = ""
) -> None:
    """An installed package as importlib.metadata finds it: its module and a dist-info
    folder naming a layerkit entry point."""
    (site / f"{module}.py").write_text(
        "from layerkit.plugin import hookimpl\n" + code, encoding="utf-8"
    )
    info = site / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        f"[layerkit]\n{entry_point} = {module}\n", encoding="utf-8"
    )


def test_two_installed_packages_with_one_plugin_name_are_both_named(tmp_path: Path) -> None:
    """The second was skipped without a word: its layers and exporters gone, `layerkit
    plugins` showing the first's module."""
    site = tmp_path / "site"
    site.mkdir()
    _fake_distribution(site, "brat_one", "brat_one_plugin", "brat")
    _fake_distribution(site, "brat_two", "brat_two_plugin", "brat")
    done = subprocess.run(
        [sys.executable, "-m", "layerkit", "--db", str(tmp_path / "s.db"), "plugins"],
        capture_output=True, text=True, timeout=120,
        env={**__import__("os").environ, "PYTHONPATH": str(site)},
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "'brat'" in done.stderr and "brat_one_plugin" in done.stderr
    assert "brat_two_plugin" in done.stderr and "Traceback" not in done.stderr


def test_a_suggestion_with_a_confidence_past_one_is_refused(tmp_path: Path) -> None:
    """A pre-annotator's confidence 7.0 was stored, and the store's own backup then failed to
    import ("confidence 7.0 is not a number from 0 to 1")."""
    plugin = _plugin(
        tmp_path,
        "from layerkit.drafts import AnnotationDraft\n"
        "class Sure:\n"
        "    name = 'sure'\n"
        "    version = '0.1'\n"
        "    layer = 'semantic'\n"
        "    description = 'too sure'\n"
        "    def annotate(self, paragraphs):\n"
        "        return [[AnnotationDraft(layer='semantic', kind='span', field='frame',\n"
        "                 label='PREDICATE', start=0, end=5, confidence=7.0)] for p in paragraphs]\n"
        "@hookimpl\n"
        "def register_preannotators(register):\n"
        "    register(Sure())\n",
        name="sure.py",
    )
    layerkit = _store_of_one_sentence(tmp_path, plugin)
    before = layerkit("status").stdout
    done = layerkit("preannotate", "--layer", "semantic", "--model", "sure")
    assert done.returncode == 2, done.stderr
    assert "confidence 7.0 is not a number from 0 to 1" in done.stderr
    assert "Invalid suggestion" in done.stderr and "Traceback" not in done.stderr
    assert layerkit("status").stdout == before


def test_suggestions_no_person_would_review_are_not_stored(tmp_path: Path) -> None:
    """A trained run's suggestions linked every logical unit to itself, listed one semantic
    role six times (six identical rows, which one accept made a person's) and gave a
    connective of unassigned code points: such rows are left out, the rest stored."""
    plugin = _plugin(
        tmp_path,
        "from layerkit.drafts import AnnotationDraft as A\n"
        "class Loose:\n"
        "    name = 'loose'\n"
        "    version = '0.1'\n"
        "    layer = 'semantic'\n"
        "    description = 'repeats itself'\n"
        "    def annotate(self, paragraphs):\n"
        "        out = []\n"
        "        for p in paragraphs:\n"
        "            rows = [A(layer='semantic', kind='span', field='frame', label='AGENT',\n"
        "                      start=0, end=5, local_id=1, confidence=0.5),\n"
        "                    A(layer='semantic', kind='span', field='frame', label='PREDICATE',\n"
        "                      start=6, end=10, local_id=2, confidence=0.5)]\n"
        "            rows += [A(layer='semantic', kind='relation', field='role', label='AGENT',\n"
        "                       source=1, target=2, confidence=0.5) for _ in range(6)]\n"
        "            rows.append(A(layer='semantic', kind='relation', field='role',\n"
        "                          label='AGENT', source=2, target=2, confidence=0.5))\n"
        "            rows.append(A(layer='semantic', kind='relation', field='role', label='THEME',\n"
        "                          source=1, target=2, attrs={'note': 'x\\U0005bd03'},\n"
        "                          confidence=0.5))\n"
        "            out.append(rows)\n"
        "        return out\n"
        "@hookimpl\n"
        "def register_preannotators(register):\n"
        "    register(Loose())\n",
        name="loose.py",
    )
    layerkit = _store_of_one_sentence(tmp_path, plugin)
    done = layerkit("preannotate", "--layer", "semantic", "--model", "loose")
    assert done.returncode == 0, done.stderr
    exported = layerkit("export", "jsonl", "-o", "-")
    assert exported.returncode == 0, exported.stderr
    (paragraph,) = [
        r for r in map(json.loads, exported.stdout.splitlines()) if r.get("type") == "paragraph"
    ]
    relations = [a for a in paragraph["annotations"] if a["kind"] == "relation"]
    assert sorted(r["label"] for r in relations) == ["AGENT", "THEME"]
    assert all(r["source"] != r["target"] for r in relations)
    assert all("note" not in (r.get("attrs") or {}) for r in relations)


def test_two_importers_of_one_extension_ask_which(tmp_path: Path) -> None:
    """A plugin's importer of .txt files was silently passed over for the built-in one."""
    plugin = _plugin(
        tmp_path,
        "from layerkit.plugin import DocumentDraft, ParagraphDraft\n"
        "class Shouting:\n"
        "    name = 'shouting'\n"
        "    description = 'text in capitals'\n"
        "    extensions = ('.txt',)\n"
        "    def read(self, path, options):\n"
        "        text = path.read_text(encoding='utf-8').strip().upper()\n"
        "        yield DocumentDraft(name=path.stem, source=str(path), format='shouting',\n"
        "                            paragraphs=[ParagraphDraft(text=text)])\n"
        "@hookimpl\n"
        "def register_importers(register):\n"
        "    register(Shouting())\n",
        name="shouting.py",
    )
    layerkit = _cli(tmp_path / "store.db", plugin)
    assert layerkit("init").returncode == 0
    text = tmp_path / "a.txt"
    text.write_text("Кошка спит на окне.\n", encoding="utf-8")
    asked = layerkit("import", str(text))
    assert asked.returncode == 2, asked.stderr
    assert "several importers read .txt files" in asked.stderr and "'shouting'" in asked.stderr
    # (--format reads every file of an import: the hint says so, and how to leave one out)
    assert "it then reads every file of the import" in asked.stderr
    assert "run without --plugin shouting.py or LAYERKIT_DISABLE_PLUGINS=text" in asked.stderr
    done = layerkit("import", "--format", "shouting", str(text))
    assert done.returncode == 0, done.stderr
    exported = layerkit("export", "jsonl", "-o", str(tmp_path / "all.jsonl"))
    assert exported.returncode == 0, exported.stderr
    assert "КОШКА СПИТ НА ОКНЕ." in (tmp_path / "all.jsonl").read_text(encoding="utf-8")


def test_a_broken_installed_plugin_can_be_set_aside(tmp_path: Path) -> None:
    """ "Disable or fix the plugin" had no way to disable: a plugin that fails on import
    stopped every command, `--help` and `layerkit plugins` included."""
    site = tmp_path / "site"
    site.mkdir()
    _fake_distribution(site, "broken_pkg", "broken_plugin", "broken", code="1 / 0\n")
    env = {**__import__("os").environ, "PYTHONPATH": str(site)}
    command = [sys.executable, "-m", "layerkit", "--db", str(tmp_path / "s.db"), "plugins"]
    failed = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert failed.returncode == 2, failed.stderr
    assert "LAYERKIT_DISABLE_PLUGINS=broken" in failed.stderr
    env["LAYERKIT_DISABLE_PLUGINS"] = "broken, other"
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert "broken" not in done.stdout and "sft" in done.stdout


def test_a_failing_hook_wrapper_is_named_not_the_exporter_that_ran_it(tmp_path: Path) -> None:
    """A ``curriculum_record`` wrapper that raised was reported as "plugin 'sft' failed",
    with the hint to fix or disable sft."""
    wrapper = _plugin(
        tmp_path,
        "@hookimpl(wrapper=True)\n"
        "def curriculum_record(record):\n"
        "    result = yield\n"
        "    raise RuntimeError('wrapper fails')\n",
        name="wrapping.py",
    )
    keeper = _plugin(
        tmp_path, "@hookimpl\ndef curriculum_record(record):\n    return record\n", name="keep.py"
    )

    def layerkit(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "layerkit", "--db", str(tmp_path / "s.db"),
             "--plugin", str(wrapper), "--plugin", str(keeper), *args],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip

    sample = Path(__file__).resolve().parents[1] / "sample_corpus" / "annotated.jsonl"
    assert layerkit("import", str(sample)).returncode == 0
    done = layerkit("export", "sft", "-o", str(tmp_path / "cur"))
    assert done.returncode == 2, done.stderr
    assert "plugin 'file:wrapping.py' failed" in done.stderr and "wrapper fails" in done.stderr
    assert "run by plugin 'sft'" in done.stderr and "DISABLE_PLUGINS=sft" not in done.stderr
    assert not (tmp_path / "cur").exists()


def test_an_exporter_reads_what_the_importer_kept_of_each_paragraph(tmp_path: Path) -> None:
    """The brat audit: ``ParagraphDraft.meta`` was stored but no exporter could read it back
    (``Paragraph`` had no ``meta``, nor the import's quality ``flags``): a round trip lost
    brat's paragraph separators."""
    from layerkit.ingest import import_paths
    from layerkit.plugin import StoreReader
    from layerkit.project import Project

    plugin = _plugin(
        tmp_path,
        "from layerkit.drafts import DocumentDraft, ParagraphDraft\n"
        "class Gaps:\n"
        "    name = 'gaps'\n"
        "    extensions = ('.gaps',)\n"
        "    def read(self, path, options):\n"
        "        texts = path.read_text(encoding='utf-8').split('||')\n"
        "        yield DocumentDraft(name='d', source=str(path), format='gaps', paragraphs=[\n"
        "            ParagraphDraft(text=t, meta={'gap': i}) for i, t in enumerate(texts)])\n"
        "@hookimpl\n"
        "def register_importers(register):\n"
        "    register(Gaps())\n",
    )
    source = tmp_path / "a.gaps"
    # the second paragraph's «o» is Latin: import flags the word
    source.write_text("Кот спит.||Пёс лает, кoт спит.", encoding="utf-8")
    project = Project.load(str(tmp_path / "lk.db"), [plugin])
    with project.open_store(create=True) as store:
        import_paths(project, store, [source])
        reader = StoreReader(store)
        read = list(reader.paragraphs())
        assert [p.meta for p in read] == [{"gap": 0}, {"gap": 1}]
        assert read[0].flags == [] and read[1].flags[0]["code"] == "mixed_script"
        assert read[1].flags[0]["spans"] == [
            [read[1].text.index("кoт"), read[1].text.index("кoт") + 3]
        ]
        assert reader.paragraph(read[1].id).meta == {"gap": 1}


def test_a_plugin_importer_decodes_files_as_layerkits_importers_do(tmp_path: Path) -> None:
    """The brat audit: the README says encodings are detected, but a plugin importer had no
    way to do it (``ImportOptions`` has only ``encoding``); ``read_text`` is that way."""
    from layerkit.ingest import import_paths
    from layerkit.plugin import StoreReader
    from layerkit.project import Project

    plugin = _plugin(
        tmp_path,
        "from layerkit.plugin import DocumentDraft, ParagraphDraft, read_text\n"
        "class Notes:\n"
        "    name = 'notes'\n"
        "    extensions = ('.notes',)\n"
        "    def read(self, path, options):\n"
        "        decoded = read_text(path, encoding=options.encoding)\n"
        "        yield DocumentDraft(name=path.stem, source=str(path), format='notes',\n"
        "                            paragraphs=[ParagraphDraft(text=decoded.text)],\n"
        "                            encoding=decoded.encoding)\n"
        "@hookimpl\n"
        "def register_importers(register):\n"
        "    register(Notes())\n",
    )
    source = tmp_path / "a.notes"
    source.write_bytes("Ёжик в тумане шёл к медвежонку считать звёзды.".encode("cp1251"))
    project = Project.load(str(tmp_path / "lk.db"), [plugin])
    with project.open_store(create=True) as store:
        report = import_paths(project, store, [source])
        [paragraph] = StoreReader(store).paragraphs()
    assert paragraph.text == "Ёжик в тумане шёл к медвежонку считать звёзды."
    assert report.files[0].encodings == {"cp1251"}


BRAT_LIKE = """
from layerkit.plugin import AnnotationDraft, DocumentDraft, ParagraphDraft, read_text


class Standoff:
    name = "standoff"
    description = "a text and its spans, in two files (doc.ann beside doc.txt)"
    extensions = (".ann",)
    companions = (".txt",)

    def read(self, path, options):
        text = read_text(path.with_suffix(".txt")).text
        spans = []
        for line in read_text(path).text.splitlines():
            label, start, end = line.split()
            spans.append(AnnotationDraft(layer="semantic", kind="span", field="frame",
                                         label=label, start=int(start), end=int(end)))
        yield DocumentDraft(name=path.stem, source=str(path), format="standoff",
                            paragraphs=[ParagraphDraft(text=text, annotations=spans)])


@hookimpl
def register_importers(register):
    register(Standoff())
"""


def test_a_two_file_format_reads_its_companion_and_a_folder_import_leaves_it_to_it(
    tmp_path: Path,
) -> None:
    """The plugin audit (brat): a folder of ``doc.ann`` + ``doc.txt`` imported without
    --format sent ``doc.txt`` to the text importer too: the text stored twice, once without its
    spans. An importer's ``companions`` are now left to it (said in the import's report); a
    text without its companion is imported as text."""
    layerkit = _cli(tmp_path / "store.db", _plugin(tmp_path, BRAT_LIKE, name="standoff.py"))
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_text("Мама мыла раму.   ", encoding="utf-8")
    (folder / "a.ann").write_text("AGENT 0 4\n", encoding="utf-8")
    (folder / "b.txt").write_text("Папа читал газету.\n", encoding="utf-8")
    imported = layerkit("import", str(folder))
    assert imported.returncode == 0, imported.stderr
    assert "a.txt read with it by the importer 'standoff'" in imported.stderr, imported.stderr
    exported = layerkit("export", "jsonl", "-o", str(tmp_path / "all.jsonl"))
    assert exported.returncode == 0, exported.stderr
    records = [
        json.loads(line) for line in (tmp_path / "all.jsonl").read_text("utf-8").splitlines()
    ]
    paragraphs = {r["text"]: r for r in records if r["type"] == "paragraph"}
    assert sorted(paragraphs) == ["Мама мыла раму.   ", "Папа читал газету."], paragraphs
    spans = [a for a in paragraphs["Мама мыла раму.   "]["annotations"] if a["kind"] == "span"]
    assert [(a["label"], a["start"], a["end"]) for a in spans] == [("AGENT", 0, 4)]
    # a companion named on its own is imported as what it is, and said to have its owner
    alone = _cli(tmp_path / "other.db", _plugin(tmp_path, BRAT_LIKE, name="standoff.py"))
    named = alone("import", str(folder / "a.txt"))
    assert named.returncode == 0, named.stderr
    assert "a.ann beside it is read with it by the importer 'standoff'" in named.stderr


def test_an_importers_companions_must_be_suffixes(tmp_path: Path) -> None:
    layerkit = _cli(
        tmp_path / "store.db",
        _plugin(tmp_path, BRAT_LIKE.replace('(".txt",)', '"txt"'), name="standoff.py"),
    )
    refused = layerkit("plugins")
    assert refused.returncode == 2, refused.stderr
    assert "with companions 'txt': 'txt' is no file suffix" in refused.stderr, refused.stderr


TWO_PARAGRAPHS_ONE_BAD = """
from layerkit.plugin import AnnotationDraft, DocumentDraft, ParagraphDraft


class Pairs:
    name = "pairs"
    description = "two paragraphs, the second with a label no layer has"
    extensions = (".pairs",)

    def read(self, path, options):
        bad = AnnotationDraft(layer="semantic", kind="span", field="frame", label="FOO",
                              start=0, end=4)
        yield DocumentDraft(name="d", source=str(path), format="pairs", paragraphs=[
            ParagraphDraft(text="Мама мыла раму."),
            ParagraphDraft(text="Папа читал газету.", annotations=[bad]),
        ])


@hookimpl
def register_importers(register):
    register(Pairs())
"""


def test_a_drafts_mistake_names_its_paragraph_where_the_importer_gives_no_line(
    tmp_path: Path,
) -> None:
    """The plugin author's audit: «annotation 1 (semantic.frame): 'FOO' is not a label» named
    neither paragraph nor line, and a bad relation was «annotation #3»: two numberings."""
    layerkit = _cli(tmp_path / "store.db", _plugin(tmp_path, TWO_PARAGRAPHS_ONE_BAD, "pairs.py"))
    (tmp_path / "a.pairs").write_text("-", encoding="utf-8")
    refused = layerkit("import", str(tmp_path / "a.pairs"))
    assert refused.returncode == 2, refused.stderr
    assert (
        "a.pairs: paragraph 2 of document 'd': annotation #1 of the paragraph (semantic.frame)"
    ) in " ".join(refused.stderr.split()), refused.stderr


STATELESS_READER = """
from layerkit.plugin import ExportReport


class Stateless:
    name = "stateless"
    description = "asks the reader for paragraphs in no state"

    def export(self, reader, out, context):
        list(reader.paragraphs(states=None))
        return ExportReport(path=out)


@hookimpl
def register_exporters(register):
    register(Stateless())
"""


def test_a_plugin_asking_the_reader_for_no_state_is_named(tmp_path: Path) -> None:
    """The plugin author's audit: ``reader.paragraphs(states=None)`` was said to the user as
    "Invalid usage" (a hint to them), not as the plugin's mistake."""
    layerkit = _store_of_one_sentence(tmp_path, _plugin(tmp_path, STATELESS_READER, "st.py"))
    refused = layerkit("export", "stateless", "-o", str(tmp_path / "out.txt"))
    assert refused.returncode == 2, refused.stderr
    assert "plugin 'file:st.py' failed" in refused.stderr, refused.stderr
    assert "needs at least one state" in refused.stderr
    assert "Invalid usage" not in refused.stderr
