"""Answer formats: what a task writes, ``parse_answer`` reads back — for gold and model output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_curriculum import BUILTIN, SAMPLE, load

from layerkit.curriculum import AnswerParseError, format_answer, locate, parse_answer, reader
from layerkit.curriculum.answers import TOKEN_COLUMNS, format_token_table
from layerkit.curriculum.build import collect_tasks
from layerkit.curriculum.generic import SchemaTask
from layerkit.schema import SchemaRegistry

cells = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1
)
rows = st.lists(st.fixed_dictionaries({k: cells for k in ("word", "lemma", "upos", "feats")}))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(rows)
def test_token_table_round_trip(data: list[dict[str, str]]) -> None:
    text = format_answer("token_table", data)
    assert text.splitlines()[0] == "word\tlemma\tupos\tfeats"
    assert len(text.split("\n")) == len(data) + 1  # cells with line breaks stay on their line
    assert parse_answer("token_table", text) == data


@given(st.dictionaries(st.text(), json_values, max_size=5) | st.lists(json_values, max_size=5))
def test_json_round_trip(data: Any) -> None:
    assert parse_answer("json", format_answer("json", data)) == data


@given(st.text().map(str.strip))
def test_text_round_trip(data: str) -> None:
    assert parse_answer("text", format_answer("text", data)) == data


def _reference_table(rows: list[dict[str, Any]]) -> str:
    """The token table as first written: escaped cell by cell where a line needs it."""

    def escape(cell: str) -> str:
        return (
            cell.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )

    lines = ["word\tlemma\tupos\tfeats"]
    for row in rows:
        cells = [str(row[c]) for c in ("word", "lemma", "upos", "feats")]
        lines.append("\t".join(escape(c) for c in cells))
    return "\n".join(lines)


tricky = cells | st.sampled_from(["\\", "\t", "a\tb", "\n", "\r\n", "\\t", "_", "\xa0"])


@given(st.lists(st.fixed_dictionaries({k: tricky for k in TOKEN_COLUMNS}), max_size=6))
def test_token_tables_from_dicts_and_tuples_are_the_reference_text(rows: list[dict]) -> None:
    expected = _reference_table(rows)
    assert format_answer("token_table", rows) == expected
    assert format_token_table([tuple(r[c] for c in TOKEN_COLUMNS) for r in rows]) == expected


def test_token_table_cells_that_are_not_text() -> None:
    rows = [{"word": "5", "lemma": 5, "upos": None, "feats": "_"}]
    assert format_answer("token_table", rows) == _reference_table(rows)
    with pytest.raises(ValueError, match="4 cells, not 3"):
        format_token_table([("Кот", "кот", "NOUN")])


@given(st.dictionaries(st.text(), json_values | st.floats(), max_size=5))
def test_json_answers_encode_items_as_the_json_module_does(data: dict[str, Any]) -> None:
    dump = json.JSONEncoder(ensure_ascii=False).encode
    lines = []
    for key, value in data.items():
        if isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
            shown = "[\n" + ",\n".join(dump(v) for v in value) + "\n]"
        else:
            shown = dump(value)
        lines.append(f"{dump(key)}: {shown}")
    assert format_answer("json", data) == ("{" + ",\n".join(lines) + "}" if data else "{}")


def test_json_answers_put_one_item_per_line() -> None:
    text = format_answer("json", {"units": [{"id": 1}, {"id": 2}], "relations": [], "n": None})
    assert text == '{"units": [\n{"id": 1},\n{"id": 2}\n],\n"relations": [],\n"n": null}'


def test_model_output_in_a_code_fence_is_read() -> None:
    fenced = '```json\n{"intent": "INFORM"}\n```'
    assert parse_answer("json", fenced) == {"intent": "INFORM"}
    table = "```\nword\tlemma\tupos\tfeats\nКот\tкот\tNOUN\t_\n```"
    assert parse_answer("token_table", table) == [
        {"word": "Кот", "lemma": "кот", "upos": "NOUN", "feats": "_"}
    ]


@pytest.mark.parametrize(
    ("fmt", "text", "message"),
    [
        ("token_table", "word\tlemma\tupos\tfeats\nКот\tкот\tNOUN", "line 2 has 3"),
        ("json", '{"units": [1, 2}', "line 1, column"),
    ],
)
def test_malformed_answers_say_where(fmt: str, text: str, message: str) -> None:
    with pytest.raises(AnswerParseError, match=message) as info:
        parse_answer(fmt, text)
    assert info.value.hint


def test_unknown_formats_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown answer format"):
        format_answer("yaml", {})
    with pytest.raises(ValueError, match="unknown answer format"):
        parse_answer("yaml", "")


def test_locate_maps_a_quote_back_to_offsets() -> None:
    text = "Кот спит. Кот ест."
    assert locate(text, "Кот") == (0, 3)
    assert locate(text, "Кот", start=4) == (10, 13)
    assert locate(text, "Кот", start=15) == (0, 3)
    assert locate(text, "пёс") is None and locate(text, "") is None


def test_every_task_answer_of_the_sample_corpus_round_trips(tmp_path: Path) -> None:
    """Per task, the data behind each gold answer comes back equal from its text, and what the
    answers quote is found in the paragraph (so a trainer can score spans)."""
    project = load(tmp_path, SAMPLE / "annotated.jsonl")
    tasks, _ = collect_tasks(project.pm, project.schemas)
    seen: dict[str, int] = {}
    with project.open_store() as store:
        for view in reader.iter_views(
            store, ready_layers=BUILTIN, read_layers=BUILTIN, states=("done",)
        ):
            for task in (t for layer in BUILTIN for t in tasks[layer]):
                for example in task.examples(view, "ru"):
                    data = parse_answer(task.answer_format, example.answer)
                    assert format_answer(task.answer_format, data) == example.answer
                    seen[task.name] = seen.get(task.name, 0) + 1
                    if task.name == "lexical.morphology":
                        assert [r["word"] for r in data] == [view.text[s:e] for s, e in view.tokens]
                        assert all(r["upos"] != "_" for r in data)
                    if task.name == "semantic.frames":
                        for p in data["predicates"]:
                            assert locate(view.text, p["predicate"]) is not None
                            assert all(locate(view.text, r["text"]) for r in p["roles"])
                    if task.name == "pragmatic.analysis":
                        assert len(data["speech_acts"]) == len(view.sentences)
                        assert data["intent"] and data["implicature"]
    assert seen["lexical.morphology"] == 13
    assert seen["logical.example"] >= 5 and seen["logical.counterexample"] >= 5


def test_a_layer_without_tasks_gets_one_from_its_schema(tmp_path: Path) -> None:
    schema = tmp_path / "meta.toml"
    schema.write_text(
        'layer = "stance"\nversion = "1.0"\norder = 6\ntitle = "Stance"\ndescription = "d"\n'
        '[[fields]]\nname = "stance"\nkind = "label"\nscope = "paragraph"\n'
        'labels = [{ name = "PRO", description = "за" }, { name = "CONTRA", description = "против" }]\n'
        '[[fields]]\nname = "note"\nkind = "text"\n',
        encoding="utf-8",
    )
    from layerkit_layers import builtin_schema_dir

    schemas = SchemaRegistry.from_paths(
        [*(builtin_schema_dir() / f"{layer}.toml" for layer in BUILTIN), schema]
    )
    project = load(tmp_path, SAMPLE / "annotated.jsonl")
    tasks, context = collect_tasks(project.pm, schemas)
    assert isinstance(context["stance"], SchemaTask)
    assert [t.name for t in tasks["stance"]] == ["stance.annotation"]
    with project.open_store() as store:
        view = next(
            reader.iter_views(store, ready_layers=BUILTIN, read_layers=BUILTIN, states=("done",))
        )
    view.annotations["stance"] = [
        view.layer("pragmatic", "intent")[0]._replace(layer="stance", field="stance", label="PRO"),
        view.layer("pragmatic", "implicature")[0]._replace(layer="stance", field="note"),
    ]
    example = next(iter(tasks["stance"][0].examples(view, "ru")))
    data = json.loads(example.answer)
    assert data["labels"] == {"stance": "PRO"}
    assert data["texts"]["note"]
    assert "Stance" in example.instruction and "PRO, CONTRA" in example.instruction
