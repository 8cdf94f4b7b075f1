"""Layer schemas: the shipped five load and validate; broken files name file, key and line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import REPO

from layerkit.errors import SchemaError
from layerkit.schema import SchemaRegistry, read_schema_file

SCHEMAS = REPO / "schemas"
LAYERS_MD_LABELS = {
    "lexical": {
        "ADJ",
        "ADP",
        "ADV",
        "AUX",
        "CCONJ",
        "DET",
        "INTJ",
        "NOUN",
        "NUM",
        "PART",
        "PRON",
        "PROPN",
        "PUNCT",
        "SCONJ",
        "SYM",
        "VERB",
        "X",
    },
    "semantic": {
        "PREDICATE",
        "AGENT",
        "PATIENT",
        "THEME",
        "EXPERIENCER",
        "RECIPIENT",
        "ATTRIBUTE",
        "INSTRUMENT",
        "TIME",
        "PLACE",
        "CAUSE",
        "MANNER",
    },
    "logical": {
        "CLAIM",
        "PREMISE",
        "MAJOR_CLAIM",
        "SUPPORT",
        "ATTACK",
        "CAUSE",
        "CONDITION",
        "PURPOSE",
        "CONCESSION",
        "CONTRAST",
        "SEQUENCE",
        "ELABORATION",
        "EXAMPLE",
        "COUNTEREXAMPLE",
        "ANALOGY",
        "APPLICATION",
    },
    "epistemic": {
        "FACT",
        "PROBABLE",
        "POSSIBLE",
        "NON_FACT",
        "UNCOMMITTED",
        "HEDGE",
        "BOOSTER",
        "SOURCE",
    },
    "pragmatic": {
        "ASSERT",
        "QUESTION",
        "DIRECT",
        "COMMIT",
        "EXPRESS",
        "DECLARE",
        "INFORM",
        "EXPLAIN",
        "PERSUADE",
        "INSTRUCT",
        "EVALUATE",
        "ENTERTAIN",
        "NEUTRAL",
        "POSITIVE",
        "NEGATIVE",
        "IRONIC",
        "ACADEMIC",
        "NEWS",
        "CONVERSATIONAL",
        "OFFICIAL",
        "LITERARY",
    },
}


def test_builtin_layers_load_in_order() -> None:
    registry = SchemaRegistry.from_paths([SCHEMAS])
    assert registry.order == ("lexical", "semantic", "logical", "epistemic", "pragmatic")
    for schema in registry.layers:
        labels = {label.name for f in schema.fields for label in f.labels}
        assert labels == LAYERS_MD_LABELS[schema.layer]
        for f in schema.fields:
            for label in f.labels:
                assert label.description
                if f.kind != "token":
                    # every label shows a Russian example in the TUI help
                    assert any("а" <= ch <= "я" for ch in label.example.lower()), label.name


def _write(tmp_path: Path, text: str, name: str = "bad.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """\
layer = "metacognitive"
version = "1.0"
order = 6
title = "Metacognitive"
description = "How the author monitors their own reasoning."

[[fields]]
name = "move"
kind = "span"
labels = [
  { name = "SELF_CHECK", key = "c", description = "Автор проверяет себя.", example = "[Проверим это ещё раз.]" },
  { name = "DOUBT", key = "d", description = "Сомнение.", example = "[Я не уверен.]" },
]
"""


def test_valid_custom_layer(tmp_path: Path) -> None:
    registry = SchemaRegistry.from_paths([SCHEMAS, _write(tmp_path, GOOD, "meta.toml")])
    assert registry.order[-1] == "metacognitive"
    assert registry.get("metacognitive").field("move").label_names == ("SELF_CHECK", "DOUBT")


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace('title = "Metacognitive"', 'title = "Meta'))
    with pytest.raises(SchemaError) as info:
        read_schema_file(path)
    assert str(path) in info.value.message
    assert "line 4" in info.value.message


def test_misspelled_key_names_key_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace('{ name = "DOUBT", key', '{ name = "DOUBT", kye'))
    with pytest.raises(SchemaError) as info:
        read_schema_file(path)
    msg = info.value.message
    assert str(path) in msg
    assert "fields['move'].labels['DOUBT'].kye" in msg
    assert "line 12" in msg


def test_bad_value_is_explained(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace('name = "move"', 'name = "Move Types"'))
    with pytest.raises(SchemaError) as info:
        read_schema_file(path)
    assert "lower_snake_case" in info.value.message
    assert "line 8" in info.value.message


def test_duplicate_label_key_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace('key = "d"', 'key = "c"'))
    with pytest.raises(SchemaError, match="duplicate label key 'c'"):
        read_schema_file(path)


def test_relation_to_unknown_label_is_refused(tmp_path: Path) -> None:
    text = (
        GOOD
        + """
[[fields]]
name = "link"
kind = "relation"
source_labels = ["SELF_CHECK"]
target_labels = ["NOPE"]
labels = [{ name = "LINK", description = "Связь.", example = "—" }]
"""
    )
    with pytest.raises(SchemaError, match="'NOPE'"):
        read_schema_file(_write(tmp_path, text))


def test_extension_adds_labels_and_fields(tmp_path: Path) -> None:
    ext = _write(
        tmp_path,
        """\
extends = "semantic"
version = "1"

[[labels.frame]]
name = "BENEFICIARY"
key = "y"
description = "Тот, в чьих интересах совершается действие."
example = "Он купил цветы [для мамы]."
""",
        "ext.toml",
    )
    registry = SchemaRegistry.from_paths([SCHEMAS, ext])
    semantic = registry.get("semantic")
    assert "BENEFICIARY" in semantic.field("frame").label_names
    assert semantic.version == "1.1.0+1"


def test_extension_of_unknown_layer(tmp_path: Path) -> None:
    ext = _write(tmp_path, 'extends = "nosuch"\n', "ext.toml")
    with pytest.raises(SchemaError, match="unknown layer 'nosuch'"):
        SchemaRegistry.from_paths([SCHEMAS, ext])


def test_redefining_a_layer_is_refused(tmp_path: Path) -> None:
    copy = _write(
        tmp_path, (SCHEMAS / "semantic.toml").read_text(encoding="utf-8"), "semantic.toml"
    )
    with pytest.raises(SchemaError, match="already defined"):
        SchemaRegistry.from_paths([SCHEMAS, copy])


@pytest.mark.parametrize(
    ("annotation", "problem"),
    [
        ({"layer": "nosuch", "kind": "span", "field": "frame"}, "unknown layer"),
        ({"layer": "semantic", "kind": "span", "field": "nope"}, "has no field"),
        (
            {"layer": "semantic", "kind": "relation", "field": "frame", "label": "AGENT"},
            "holds span",
        ),
        (
            {
                "layer": "semantic",
                "kind": "span",
                "field": "frame",
                "label": "HERO",
                "start": 0,
                "end": 2,
            },
            "not a label",
        ),
        (
            {
                "layer": "semantic",
                "kind": "span",
                "field": "frame",
                "label": "AGENT",
                "start": 3,
                "end": 99,
            },
            "outside the text",
        ),
        (
            {
                "layer": "epistemic",
                "kind": "span",
                "field": "factuality",
                "label": "FACT",
                "start": 0,
                "end": 2,
                "attrs": {"evidential": "TOLD"},
            },
            "must be one of",
        ),
        (
            {"layer": "pragmatic", "kind": "text", "field": "implicature", "value": "  "},
            "non-empty",
        ),
        (
            {
                "layer": "pragmatic",
                "kind": "label",
                "field": "intent",
                "label": "INFORM",
                "start": 0,
                "end": 3,
            },
            "no offsets",
        ),
    ],
)
def test_check_annotation_problems(annotation: dict, problem: str) -> None:
    registry = SchemaRegistry.from_paths([SCHEMAS])
    found = registry.check_annotation(annotation, text_length=10, local_ids={})
    assert found is not None and problem in found


def test_check_relation_endpoints() -> None:
    registry = SchemaRegistry.from_paths([SCHEMAS])
    pred = {
        "layer": "semantic",
        "kind": "span",
        "field": "frame",
        "label": "PREDICATE",
        "start": 0,
        "end": 2,
    }
    agent = {
        "layer": "semantic",
        "kind": "span",
        "field": "frame",
        "label": "AGENT",
        "start": 3,
        "end": 5,
    }
    ids = {1: pred, 2: agent}
    good = {
        "layer": "semantic",
        "kind": "relation",
        "field": "role",
        "label": "AGENT",
        "source": 2,
        "target": 1,
    }
    backwards = dict(good, source=1, target=2)
    assert registry.check_annotation(good, text_length=10, local_ids=ids) is None
    problem = registry.check_annotation(backwards, text_length=10, local_ids=ids)
    assert problem is not None and "cannot start at a 'PREDICATE'" in problem


ATTRIBUTED = (
    GOOD
    + """
[[fields]]
name = "stance"
kind = "span"
attributes = [ATTRIBUTES]
labels = [{ name = "STANCE", key = "s", description = "Позиция.", example = "—" }]
"""
)


@pytest.mark.parametrize(
    ("attributes", "problem"),
    [
        ('{ name = "certain", type = "bool", default = "yes" }', "not a valid bool"),
        ('{ name = "kind", type = "choice", choices = ["A", "B"], default = "C" }', "one of A, B"),
        ('{ name = "note", type = "str", key = "n" }', "only yes/no and choice"),
        ('{ name = "certain", type = "bool", key = "xy" }', "single character"),
        (
            '{ name = "a", type = "bool", key = "x" }, { name = "b", type = "bool", key = "x" }',
            "duplicate attribute key 'x'",
        ),
    ],
)
def test_attribute_defaults_and_keys_are_checked(
    tmp_path: Path, attributes: str, problem: str
) -> None:
    text = ATTRIBUTED.replace("ATTRIBUTES", attributes)
    with pytest.raises(SchemaError, match=re.escape(problem)):
        read_schema_file(_write(tmp_path, text))


def test_attribute_defaults_and_keys_load(tmp_path: Path) -> None:
    text = ATTRIBUTED.replace(
        "ATTRIBUTES",
        '{ name = "certain", type = "bool", default = true, key = "!" }, '
        '{ name = "kind", type = "choice", choices = ["A", "B"], default = "B", key = "k" }',
    )
    field = read_schema_file(_write(tmp_path, text)).field("stance")
    assert field is not None
    certain, kind = field.attributes
    assert (certain.default, certain.key, kind.default, kind.key) == (True, "!", "B", "k")
    assert [kind.next_value(v) for v in (None, "A", "B")] == ["A", "B", "A"]
    assert [certain.next_value(v) for v in (None, False, True)] == [True, True, False]


def test_link_on_label_needs_a_relation_with_labels_named_like_its_sources(tmp_path: Path) -> None:
    link = """
[[fields]]
name = "link"
kind = "relation"
source_labels = ["SELF_CHECK"]
target_labels = ["DOUBT"]
link_on_label = true
labels = [{ name = "LABEL", description = "Связь.", example = "—" }]
"""
    with pytest.raises(SchemaError, match="named like the span's label"):
        read_schema_file(_write(tmp_path, GOOD + link))
    good = link.replace('name = "LABEL"', 'name = "SELF_CHECK"')
    schema = read_schema_file(_write(tmp_path, GOOD + good))
    assert schema.field("link").link_on_label  # type: ignore[union-attr]
    with pytest.raises(SchemaError, match="only relation fields"):
        read_schema_file(
            _write(tmp_path, GOOD + good.replace('kind = "relation"', 'kind = "span"'))
        )


def test_ordered_labels_are_for_label_fields(tmp_path: Path) -> None:
    rating = """
[[fields]]
name = "quality"
kind = "label"
ordered = true
labels = [
  { name = "POOR", description = "Плохо.", example = "—" },
  { name = "GOOD", description = "Хорошо.", example = "—" },
]
"""
    schema = read_schema_file(_write(tmp_path, GOOD + rating))
    assert schema.field("quality").ordered  # type: ignore[union-attr]
    assert not schema.field("move").ordered  # type: ignore[union-attr]
    with pytest.raises(SchemaError, match="only label fields have 'ordered'"):
        read_schema_file(
            _write(tmp_path, GOOD.replace('kind = "span"', 'kind = "span"\nordered = true'))
        )
    # no built-in field is an ordinal scale (tone and register are categories)
    registry = SchemaRegistry.from_paths([SCHEMAS])
    assert not [f.name for s in registry.layers for f in s.fields if f.ordered]


def test_extent_is_what_space_selects_on_span_fields(tmp_path: Path) -> None:
    """``extent`` (word, phrase, clause) tells the annotator's space what a span of the field
    most often covers; only span fields have it, and the built-in layers set it."""
    schema = read_schema_file(
        _write(tmp_path, GOOD.replace('kind = "span"', 'kind = "span"\nextent = "phrase"'))
    )
    assert schema.fields[0].extent == "phrase"
    with pytest.raises(SchemaError, match="extent"):
        read_schema_file(
            _write(tmp_path, GOOD.replace('kind = "span"', 'kind = "span"\nextent = "page"'))
        )
    rating = '\n[[fields]]\nname = "q"\nkind = "label"\nextent = "clause"\nlabels = [{ name = "A", description = "А.", example = "—" }]\n'
    with pytest.raises(SchemaError, match="only span fields have 'extent'"):
        read_schema_file(_write(tmp_path, GOOD + rating))
    registry = SchemaRegistry.from_paths([SCHEMAS])
    extents = {(s.layer, f.name): f.extent for s in registry.layers for f in s.fields}
    assert extents[("semantic", "frame")] == "phrase"
    assert extents[("logical", "unit")] == "clause"
