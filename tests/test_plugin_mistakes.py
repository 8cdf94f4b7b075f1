"""Mistakes a plugin author makes, written from docs/plugins.md alone (the twenty-seventh
session's audit): each is told as a PluginError (or a usage error) that names the plugin and
says what to do, exit 2, never a traceback or a silent loss."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO
from test_plugin_guide import _cli, _plugin

from layerkit.errors import PluginError
from layerkit.ingest import import_paths
from layerkit.project import Project

_PREANNOTATOR_WITHOUT_LAYER = (
    "class P:\n"
    "    name = 'caps'\n"
    "    version = '1'\n"
    "    def annotate(self, paragraphs):\n"
    "        return [[] for _ in paragraphs]\n"
)


def test_a_preannotator_without_its_layer_is_refused_when_registered(tmp_path: Path) -> None:
    """It gave an AttributeError traceback from every ``preannotate``, of any layer."""
    plugin = _plugin(
        tmp_path,
        _PREANNOTATOR_WITHOUT_LAYER + "@hookimpl\ndef register_preannotators(register):\n"
        "    register(P())\n",
    )
    with pytest.raises(PluginError, match=r"'file:plug\.py'.*pre-annotator 'caps' without layer"):
        Project.load(str(tmp_path / "lk.db"), [plugin])


def test_a_register_hook_that_returns_its_items_is_told_to_call_register(tmp_path: Path) -> None:
    """Returned items were dropped in silence: the pre-annotator was simply not there."""
    plugin = _plugin(
        tmp_path,
        _PREANNOTATOR_WITHOUT_LAYER + "    layer = 'lexical'\n"
        "@hookimpl\ndef register_preannotators(register):\n    return [P()]\n",
    )
    with pytest.raises(PluginError, match=r"register_preannotators returned a list") as info:
        Project.load(str(tmp_path / "lk.db"), [plugin])
    assert "register(preannotator)" in info.value.hint


def test_preannotate_refuses_a_layer_no_schema_defines(tmp_path: Path) -> None:
    plugin = _plugin(
        tmp_path,
        _PREANNOTATOR_WITHOUT_LAYER + "    layer = 'ghost'\n"
        "@hookimpl\ndef register_preannotators(register):\n    register(P())\n",
    )
    assert _cli(tmp_path, "init").returncode == 0
    done = _cli(tmp_path, "--plugin", str(plugin), "preannotate", "--layer", "ghost")
    assert done.returncode == 2
    assert "no layer named 'ghost'" in done.stderr and "Traceback" not in done.stderr
    assert "lexical, semantic" in done.stderr


def test_a_plugin_command_may_not_replace_a_built_in_one_or_another_plugins(
    tmp_path: Path,
) -> None:
    """``status`` printed the plugin's text in silence."""
    body = (
        "import click\n"
        "@click.command('status')\n"
        "def status():\n"
        "    print('HIJACKED')\n"
        "@hookimpl\ndef register_commands(cli):\n    cli.add_command(status)\n"
    )
    plugin = _plugin(tmp_path, body)
    done = _cli(tmp_path, "--plugin", str(plugin), "status")
    assert done.returncode == 2 and "HIJACKED" not in done.stdout
    assert "'file:plug.py' adds the command 'status', which layerkit has built in" in done.stderr
    # two plugins' commands of one name: both named
    first = _plugin(tmp_path, body.replace("'status'", "'stats'"), "one.py")
    second = _plugin(tmp_path, body.replace("'status'", "'stats'"), "two.py")
    done = _cli(tmp_path, "--plugin", str(first), "--plugin", str(second), "stats")
    assert done.returncode == 2 and "HIJACKED" not in done.stdout
    assert "'file:one.py'" in done.stderr and "'file:two.py'" in done.stderr
    # (a built-in plugin's command is no clash with itself: tag still runs)
    assert "Usage" in _cli(tmp_path, "tag", "--help").stdout


def test_a_hook_taking_an_argument_the_hook_lacks_is_told_as_such(tmp_path: Path) -> None:
    """It was told as 'a hook layerkit does not have', and the author looked for a typo."""
    plugin = _plugin(
        tmp_path, "@hookimpl\ndef annotation_saved(annotation, action, extra):\n    pass\n"
    )
    with pytest.raises(PluginError, match=r"annotation_saved takes \{'extra'\}") as info:
        Project.load(str(tmp_path / "lk.db"), [plugin])
    assert "annotation, action" in info.value.hint


def test_one_failing_annotation_saved_hook_leaves_the_others_told(tmp_path: Path) -> None:
    """A raising hook kept every other plugin's from hearing of the edit, and its message said
    'nothing was written' of an edit that was saved."""
    log = tmp_path / "saved.log"
    raising = _plugin(
        tmp_path,
        "@hookimpl\ndef annotation_saved(annotation, action):\n    raise OSError('disk')\n",
        "raising.py",
    )
    logging = _plugin(
        tmp_path,
        "@hookimpl\n"
        "def annotation_saved(annotation, action):\n"
        f"    with open({str(log)!r}, 'a', encoding='utf-8') as f:\n"
        "        f.write(f\"{action} {annotation['label']}\\n\")\n",
        "logging.py",
    )
    for order in ([raising, logging], [logging, raising]):
        log.unlink(missing_ok=True)
        db = tmp_path / f"lk-{order[0].stem}.db"
        project = Project.load(str(db), order)
        (tmp_path / "a.txt").write_text("Кот спит.", encoding="utf-8")
        with project.open_store(create=True) as store:
            import_paths(project, store, [tmp_path / "a.txt"])
            paragraph = next(store.iter_paragraphs())
            assert paragraph.id is not None
            with pytest.raises(PluginError, match=r"file:raising\.py.*disk") as info:
                store.create_annotation(
                    paragraph_id=paragraph.id, layer="semantic", kind="span", field="frame",
                    start=0, end=3, label="AGENT", annotator="anna",
                )  # fmt: skip
            assert info.value.hint.startswith("The edit was saved.")
            assert "nothing was written" not in info.value.hint
            assert [a.label for a in store.annotations(paragraph.id)] == ["AGENT"]
        assert log.read_text(encoding="utf-8").splitlines() == ["create AGENT"]


_INTENT_PREANNOTATOR = (
    "import os\n"
    "from layerkit.drafts import AnnotationDraft\n"
    "class P:\n"
    "    name = 'intent'\n"
    "    version = '1'\n"
    "    layer = 'pragmatic'\n"
    "    description = 'two intents a paragraph'\n"
    "    def annotate(self, paragraphs):\n"
    "        return [[AnnotationDraft(layer='pragmatic', kind='label', field='intent',\n"
    "                                 label=label, confidence=c)\n"
    "                 for label, c in (('INFORM', 0.4), ('EXPLAIN', 0.7), ('EVALUATE', 0.7))]\n"
    "                for _ in paragraphs]\n"
    "@hookimpl\ndef register_preannotators(register):\n    register(P())\n"
)


def test_a_preannotators_second_label_for_one_paragraph_is_not_stored(tmp_path: Path) -> None:
    """Both were stored, could be accepted and marked done, and the curriculum gave one task
    the first and another the second: the most confident is kept (the first of equals)."""
    from layerkit.preannotate import choose_preannotator, preannotate

    plugin = _plugin(tmp_path, _INTENT_PREANNOTATOR)
    project = Project.load(str(tmp_path / "lk.db"), [plugin])
    (tmp_path / "a.txt").write_text("Кот спит.\n\nПёс лает.", encoding="utf-8")
    with project.open_store(create=True) as store:
        import_paths(project, store, [tmp_path / "a.txt"])
        report = preannotate(project, store, choose_preannotator(project, "pragmatic", None))
        assert report.filled == 2 and report.annotations == 2
        for paragraph in store.iter_paragraphs():
            assert paragraph.id is not None
            intents = store.annotations(paragraph.id, "pragmatic")
            assert [(a.label, a.confidence) for a in intents] == [("EXPLAIN", 0.7)]


def test_imports_refuse_two_labels_for_one_paragraph_and_spans_cutting_a_character(
    tmp_path: Path,
) -> None:
    two = tmp_path / "two.jsonl"
    two.write_text(
        '{"type":"paragraph","text":"Кот спит.","annotations":['
        '{"id":1,"layer":"pragmatic","kind":"label","field":"intent","label":"INFORM"},'
        '{"id":2,"layer":"pragmatic","kind":"label","field":"intent","label":"EXPLAIN"}]}\n',
        encoding="utf-8",
    )
    assert _cli(tmp_path, "init").returncode == 0
    done = _cli(tmp_path, "import", str(two))
    assert done.returncode == 2
    assert "two labels of pragmatic.intent for one paragraph ('INFORM' and 'EXPLAIN')" in (
        done.stderr
    )
    # a span that ends between an emoji and its skin tone, or a stress mark and its vowel
    for start, end, inside in ((4, 5, "👍🏽"), (9, 12, "е\u0301")):
        cut = tmp_path / f"cut{start}.jsonl"
        cut.write_text(
            '{"type":"paragraph","text":"Ура 👍🏽 и сле\u0301ва.","annotations":['
            '{"id":1,"layer":"semantic","kind":"span","field":"frame","label":"PREDICATE",'
            f'"start":{start},"end":{end}}}]}}\n',
            encoding="utf-8",
        )
        done = _cli(tmp_path, "import", str(cut))
        assert done.returncode == 2, done.stdout
        assert f"falls inside «{inside}»" in done.stderr
    reversed_offsets = tmp_path / "reversed.jsonl"
    reversed_offsets.write_text(
        '{"type":"paragraph","text":"Кот спит.","annotations":['
        '{"id":1,"layer":"semantic","kind":"span","field":"frame","label":"PREDICATE",'
        '"start":5,"end":2}]}\n',
        encoding="utf-8",
    )
    done = _cli(tmp_path, "import", str(reversed_offsets))
    assert "[5, 2) hold nothing: the start must come before the end" in done.stderr
    status = _cli(tmp_path, "status", "--json")
    assert '"paragraphs": 0' in status.stdout


@pytest.mark.parametrize(
    ("example", "said"),
    [
        ("Example(instruction='Q?', answer='this is not json')", "is not a json answer"),
        ("Example(instruction='Q?', answer='{}', labels='POS')", "its labels are 'POS'"),
        ("Example(instruction='Q?', answer={'a': 1})", "its answer is a dict, not a string"),
    ],
)
def test_a_tasks_example_that_breaks_the_contract_names_the_task(
    tmp_path: Path, example: str, said: str
) -> None:
    """A json task's answer that was no JSON was written as gold (and shown to the layers
    above); a string of labels was counted letter by letter; a dict answer was blamed on the
    built-in exporter 'sft'."""
    plugin = _plugin(
        tmp_path,
        "from layerkit.curriculum.tasks import Example\n"
        "class T:\n"
        "    name = 'lexical.bad'\n"
        "    layer = 'lexical'\n"
        "    answer_format = 'json'\n"
        "    context = False\n"
        "    description = 'bad'\n"
        "    def examples(self, paragraph, lang):\n"
        f"        yield {example}\n"
        "@hookimpl\ndef register_curriculum_tasks(register):\n    register(T())\n",
    )
    project = Project.load(str(tmp_path / "lk.db"), [plugin])
    with project.open_store(create=True) as store:
        import_paths(project, store, [REPO / "sample_corpus" / "annotated.jsonl"])
        with pytest.raises(
            PluginError, match=r"'file:plug\.py': the curriculum task 'lexical\.bad'"
        ) as info:
            project.export("sft", store, tmp_path / "cur")
    assert said in info.value.message
    assert not (tmp_path / "cur").exists()


def test_a_curriculum_record_hook_that_gives_some_records_a_key_is_named(tmp_path: Path) -> None:
    """Every record of a stage file has the same meta keys (datasets refuses the file
    otherwise): a hook that added a key to some records only was written as it came."""
    plugin = _plugin(
        tmp_path,
        "@hookimpl\n"
        "def curriculum_record(record, stage):\n"
        "    if record['meta']['paragraph_id'] % 2:\n"
        "        record['meta']['source_url'] = 'https://example.org'\n"
        "    return record\n",
    )
    project = Project.load(str(tmp_path / "lk.db"), [plugin])
    with project.open_store(create=True) as store:
        import_paths(project, store, [REPO / "sample_corpus" / "annotated.jsonl"])
        with pytest.raises(PluginError, match=r"plugin 'file:plug\.py'") as info:
            project.export("sft", store, tmp_path / "cur")
    assert "source_url" in info.value.message
    assert not (tmp_path / "cur").exists()
    # on every record: fine
    plugin.write_text(
        plugin.read_text(encoding="utf-8").replace(
            "    if record['meta']['paragraph_id'] % 2:\n", "    if True:\n"
        ),
        encoding="utf-8",
    )
    project = Project.load(str(tmp_path / "lk2.db"), [plugin])
    with project.open_store(create=True) as store:
        import_paths(project, store, [REPO / "sample_corpus" / "annotated.jsonl"])
        project.export("sft", store, tmp_path / "cur")
    assert (tmp_path / "cur" / "manifest.json").is_file()


def test_a_layer_defined_twice_names_both_plugins(tmp_path: Path) -> None:
    """A copy of an installed plugin loaded with --plugin was told "layer is already defined"
    in a file, with a hint to write ``extends``: neither plugin was named."""
    from layerkit.errors import SchemaError

    (tmp_path / "foo.toml").write_text(
        'layer = "foo"\nversion = "1.0"\norder = 8\ntitle = "Foo"\ndescription = "d"\n'
        '[[fields]]\nname = "f"\nkind = "span"\n'
        'labels = [{ name = "A", key = "q", description = "a" }]\n',
        encoding="utf-8",
    )
    (tmp_path / "copy.toml").write_bytes((tmp_path / "foo.toml").read_bytes())
    body = (
        "from pathlib import Path\n"
        "@hookimpl\n"
        "def register_layers(register):\n"
        "    register(Path(__file__).with_name('{name}'))\n"
    )
    one = _plugin(tmp_path, body.format(name="foo.toml"), "one.py")
    two = _plugin(tmp_path, body.format(name="copy.toml"), "two.py")
    with pytest.raises(SchemaError) as info:
        Project.load(str(tmp_path / "lk.db"), [one, two])
    assert "(plugin 'file:one.py')" in info.value.message
    assert "(plugin 'file:two.py')" in info.value.message
    assert "loaded twice" in info.value.hint


def test_a_suggestion_of_another_layer_says_which_and_names_the_plugin(tmp_path: Path) -> None:
    """It said "wrong layer" and named the pre-annotator only."""
    from layerkit.errors import InputError
    from layerkit.preannotate import choose_preannotator, preannotate

    plugin = _plugin(
        tmp_path,
        _INTENT_PREANNOTATOR.replace(
            "AnnotationDraft(layer='pragmatic', kind='label', field='intent',\n"
            "                                 label=label, confidence=c)",
            "AnnotationDraft(layer='semantic', kind='span', field='frame', start=0,\n"
            "                                 end=3, label='PREDICATE', confidence=c)",
        ),
    )
    project = Project.load(str(tmp_path / "lk.db"), [plugin])
    (tmp_path / "a.txt").write_text("Кот спит.", encoding="utf-8")
    with project.open_store(create=True) as store:
        import_paths(project, store, [tmp_path / "a.txt"])
        with pytest.raises(InputError) as info:
            preannotate(project, store, choose_preannotator(project, "pragmatic", None))
    assert "pre-annotator 'intent' (plugin 'file:plug.py')" in info.value.message
    assert "it is of layer 'semantic', not 'pragmatic'" in info.value.message


_MULTI_IMPORTER = (
    "from layerkit.drafts import (AnnotationDraft, DocumentDraft, LayerStatusDraft,\n"
    "                             ParagraphDraft)\n"
    "class Multi:\n"
    "    name = 'multi'\n"
    "    extensions = ('.multi',)\n"
    "    description = 'a document per line'\n"
    "    def read(self, path, options):\n"
    "        for number, text in enumerate(path.read_text(encoding='utf-8').splitlines(), 1):\n"
    "            doc = DocumentDraft(name=f'd{{number}}', source=str(path), format='multi',\n"
    "                                paragraphs=[ParagraphDraft(text=text)])\n"
    "            yield {third} if number == 3 else doc\n"
    "@hookimpl\n"
    "def register_importers(register):\n"
    "    register(Multi())\n"
)


@pytest.mark.parametrize(
    ("third", "said"),
    [
        # None ended the file in silence: its fourth document was lost, exit 0
        ("None", "it gave a NoneType where a DocumentDraft belongs"),
        ("{'name': 'd3'}", "it gave a dict where a DocumentDraft belongs"),
        ("DocumentDraft(name=None, source='x', format='multi', paragraphs=doc.paragraphs)",
         "a document whose name is None"),
        ("DocumentDraft(name='d3', source='x', format='multi', paragraphs=['Текст.'])",
         "a str as paragraph 1 of document 'd3', where a ParagraphDraft belongs"),
        ("DocumentDraft(name='d3', source='x', format='multi', paragraphs=["
         "ParagraphDraft(text='Кот.', status={'semantic': 'done'})])",
         "status['semantic'] = «'done'», where a LayerStatusDraft belongs"),
        ("DocumentDraft(name='d3', source='x', format='multi', paragraphs=["
         "ParagraphDraft(text='Кот.', annotations=[{'layer': 'semantic'}])])",
         "a dict among its annotations, where an AnnotationDraft belongs"),
        ("DocumentDraft(name='d3', source='x', format='multi', meta={'seen': {1, 2}},"
         " paragraphs=doc.paragraphs)", "document 'd3''s meta, which is no JSON"),
        ("DocumentDraft(name='d3', source='x', format='multi', warnings='one',"
         " paragraphs=doc.paragraphs)", "warnings=«'one'» (a list of strings)"),
    ],
)  # fmt: skip
def test_an_importer_that_yields_no_draft_is_named_and_imports_nothing(
    tmp_path: Path, third: str, said: str
) -> None:
    """The brat audit: an importer yielding None lost the rest of its file with exit 0; a
    dict, a string paragraph, a status of "done", meta no JSON column holds gave tracebacks
    (AttributeError, SQLAlchemy's StatementError), or an "edit conflict" for a name of None."""
    plugin = _plugin(tmp_path, _MULTI_IMPORTER.format(third=third))
    (tmp_path / "a.multi").write_text("Раз.\nДва.\nТри.\nЧетыре.\n", encoding="utf-8")
    assert _cli(tmp_path, "init").returncode == 0
    done = _cli(tmp_path, "--plugin", str(plugin), "import", "a.multi")
    assert done.returncode == 2, done.stdout
    assert "Traceback" not in done.stderr
    message = " ".join(done.stderr.split())
    assert "plugin 'file:plug.py' failed in importer 'multi'" in message
    assert said in message and "nothing was imported" in message
    assert '"paragraphs": 0' in _cli(tmp_path, "status", "--json").stdout


def test_an_exporter_that_returns_no_report_is_named_and_leaves_no_output(
    tmp_path: Path,
) -> None:
    """``export()`` returning None wrote its folder, then gave a traceback from the CLI's
    summary (``'NoneType' object has no attribute 'counts'``), exit 1, the folder left."""
    plugin = _plugin(
        tmp_path,
        "class Tsv:\n"
        "    name = 'tsv'\n"
        "    description = 'a TSV per document'\n"
        "    def export(self, reader, out, context):\n"
        "        out.mkdir()\n"
        "        (out / 'a.tsv').write_text('x')\n"
        "@hookimpl\n"
        "def register_exporters(register):\n"
        "    register(Tsv())\n",
    )
    assert _cli(tmp_path, "init").returncode == 0
    done = _cli(tmp_path, "--plugin", str(plugin), "export", "tsv", "-o", "out")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    message = " ".join(done.stderr.split())
    assert "plugin 'file:plug.py' failed in exporter 'tsv'" in message
    assert "returned «None», where an ExportReport belongs" in message
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("extensions", ["('ann',)", "'.ann'", "('.ann', 5)"])
def test_an_importers_extensions_without_their_dot_are_refused(
    tmp_path: Path, extensions: str
) -> None:
    """``('ann',)`` matched no file in silence (they went to another importer, or none)."""
    plugin = _plugin(
        tmp_path,
        "class Ann:\n"
        "    name = 'ann'\n"
        f"    extensions = {extensions}\n"
        "    def read(self, path, options):\n"
        "        return []\n"
        "@hookimpl\ndef register_importers(register):\n    register(Ann())\n",
    )
    with pytest.raises(PluginError, match=r"importer 'ann' with extensions .* is no file suffix"):
        Project.load(str(tmp_path / "lk.db"), [plugin])
