"""The TUI's pure parts: navigator queries, completeness, label keys, wrapping and styling."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import LAYERS, make_document
from rich.cells import cell_len

from layerkit.schema.models import Label, LayerSchema, SchemaField
from layerkit.store import Annotation, Store, queries
from layerkit.store.queries import ParagraphFilter, fold
from layerkit.tui.completeness import LayerIncomplete, check_done, missing_required
from layerkit.tui.keymap import label_keys
from layerkit.tui.rendering import line_of, styled_paragraph, wrap

# --- queries -------------------------------------------------------------------------------


@pytest.fixture
def five(store: Store) -> list[int]:
    """Two documents, five paragraphs; ids in reading order."""
    with store.bulk() as writer:
        writer.add_document(make_document("a", "Старый за\u0301мок.", "Ёлка в лесу.", "50% _x_"))
        writer.add_document(make_document("b", "Мама мыла раму.", "Папа читал газету."))
    ids = [p.id for p in store.iter_paragraphs()]
    assert all(i is not None for i in ids)
    return [int(i) for i in ids if i is not None]


def test_pages_count_and_positions(store: Store, five: list[int]) -> None:
    assert queries.count(store) == 5
    page = queries.paragraph_page(store, 1, 3)
    assert [r.id for r in page] == five[1:4]
    assert [r.document_name for r in page] == ["a", "a", "b"]
    assert page[2].position == 0 and page[2].states == {}
    assert queries.paragraph_page(store, 10, 3) == []
    assert [queries.position_of(store, i) for i in five] == [0, 1, 2, 3, 4]
    assert queries.neighbour(store, None, 1) == five[0]
    assert queries.neighbour(store, None, -1) == five[-1]
    assert queries.neighbour(store, five[2], 1) == five[3]
    assert queries.neighbour(store, five[0], -1) is None
    row = queries.row_of(store, five[3])
    assert row is not None and row.preview == "Мама мыла раму."


def test_state_filter_counts_missing_status_as_todo(store: Store, five: list[int]) -> None:
    store.set_status(five[1], "semantic", "done", annotator="anna")
    store.set_status(five[3], "semantic", "stale", annotator="anna")
    done = ParagraphFilter(layer="semantic", states=("done",))
    todo = ParagraphFilter(layer="semantic", states=("todo",))
    open_ = ParagraphFilter(layer="semantic", states=("todo", "stale", "in_progress"))
    assert queries.count(store, done) == 1
    assert queries.count(store, todo) == 3
    assert queries.count(store, open_) == 4
    assert [r.id for r in queries.paragraph_page(store, 0, 10, todo)] == [
        five[0],
        five[2],
        five[4],
    ]
    assert queries.position_of(store, five[4], todo) == 2
    assert queries.position_of(store, five[1], todo) is None
    assert queries.neighbour(store, five[0], 1, todo) == five[2]
    assert queries.paragraph_page(store, 0, 1, done)[0].state("semantic") == "done"
    with pytest.raises(ValueError):
        ParagraphFilter(states=("done",))
    with pytest.raises(ValueError):
        ParagraphFilter(layer="semantic", states=("finished",))


def test_search_folds_case_stress_and_yo(store: Store, five: list[int]) -> None:
    assert fold("За\u0301мок Ёж") == "замок еж"
    for text, expected in [
        ("ЗАМОК", [five[0]]),
        ("елка", [five[1]]),
        ("ёлка", [five[1]]),
        ("50%", [five[2]]),
        ("_x_", [five[2]]),
        ("%", [five[2]]),  # LIKE wildcards are escaped: a literal percent sign
        ("мыла раму", [five[3]]),
        ("нет такого", []),
    ]:
        filt = ParagraphFilter(text=text)
        assert [r.id for r in queries.paragraph_page(store, 0, 10, filt)] == expected, text
        assert queries.count(store, filt) == len(expected)


def test_last_position_and_events(store: Store, five: list[int]) -> None:
    assert queries.last_position(store, "anna") is None
    assert queries.last_event_id(store) > 0  # the import
    store.set_status(five[2], "logical", "in_progress", annotator="anna")
    assert queries.last_position(store, "anna") == (five[2], "logical")
    latest = queries.last_event_id(store)
    event = queries.event(store, latest)
    assert event is not None and event["action"] == "status"
    assert queries.event(store, latest + 1) is None


def test_opening_a_page_does_not_read_the_whole_store(tmp_path: Path) -> None:
    """A page costs the same in a big store: no query may read every paragraph's text."""
    with Store.open(tmp_path / "big.db", layer_order=LAYERS) as store:
        with store.bulk() as writer:
            writer.add_document(make_document("big", *(f"Абзац номер {i}." for i in range(3000))))
        statements: list[str] = []
        from sqlalchemy import event

        event.listen(
            store.engine, "before_cursor_execute", lambda *a: statements.append(a[2]), retval=False
        )
        assert queries.count(store) == 3000
        page = queries.paragraph_page(store, 2950, 100)
        assert [r.preview for r in page][-1] == "Абзац номер 2999."
        assert all("LIMIT" in s or "count" in s.lower() for s in statements if "paragraphs" in s)


# --- completeness ----------------------------------------------------------------------------


def _ann(id: int, layer: str, kind: str, field: str, **kw: object) -> Annotation:
    return Annotation(
        id=id, paragraph_id=1, layer=layer, kind=kind, field=field, annotator="t", **kw
    )


def _schema(*fields: SchemaField) -> LayerSchema:
    return LayerSchema(
        layer="demo", version="1.0", order=9, title="Demo", description="d", fields=fields
    )


LABELS = (Label(name="A", key="a", description="a"), Label(name="P", key="p", description="p"))


def test_required_fields_of_every_kind() -> None:
    schema = _schema(
        SchemaField(name="tok", kind="token", required=True, labels=LABELS),
        SchemaField(name="frame", kind="span", required=True, labels=LABELS),
        SchemaField(
            name="role",
            kind="relation",
            required=True,
            labels=LABELS,
            source_labels=("A",),
            target_labels=("P",),
        ),
        SchemaField(name="act", kind="label", scope="sentence", required=True, labels=LABELS),
        SchemaField(name="tone", kind="label", required=True, labels=LABELS),
        SchemaField(name="note", kind="text", required=True),
        SchemaField(name="extra", kind="span", labels=LABELS),
    )
    text = "Кот спит. Пёс лает."
    tokens = [[0, 3], [4, 8], [8, 9], [10, 13], [14, 18], [18, 19]]
    sentences = [[0, 9], [10, 19]]
    problems = missing_required(schema, text, tokens, sentences, [])
    assert problems == [
        "tok: 6 token(s) without an analysis («Кот», «спит», «.», …)",
        "frame: no span yet",
        "role: no relation yet",
        "act: sentence(s) 1, 2 without a label",
        "tone: no label yet",
        "note: no text yet",
    ]
    done = [
        *(
            _ann(10 + i, "demo", "token", "tok", start=s, end=e, label="A")
            for i, (s, e) in enumerate(tokens)
        ),
        _ann(1, "demo", "span", "frame", start=0, end=3, label="A"),
        _ann(2, "demo", "span", "frame", start=4, end=8, label="P"),
        _ann(3, "demo", "span", "frame", start=10, end=13, label="A"),
        _ann(4, "demo", "relation", "role", source_id=1, target_id=2, label="A"),
        _ann(5, "demo", "label", "act", start=0, end=9, label="A"),
        _ann(6, "demo", "label", "act", start=10, end=19, label="P"),
        _ann(7, "demo", "label", "tone", label="A"),
        _ann(8, "demo", "text", "note", value="  "),
        _ann(9, "other", "span", "frame", start=0, end=3, label="A"),
    ]
    assert missing_required(schema, text, tokens, sentences, done) == [
        "role: 1 span(s) not linked by any relation («Пёс»)",
        "note: no text yet",
    ]
    done += [
        _ann(20, "demo", "relation", "role", source_id=3, target_id=2, label="A"),
        _ann(21, "demo", "text", "note", value="Животные."),
    ]
    assert missing_required(schema, text, tokens, sentences, done) == []
    check_done(schema, text, tokens, sentences, done)
    with pytest.raises(LayerIncomplete, match="Demo cannot be marked done"):
        check_done(schema, text, tokens, sentences, done[:-1])


def test_required_attributes() -> None:
    from layerkit.schema.models import Attribute

    schema = _schema(
        SchemaField(
            name="tok",
            kind="token",
            labels=LABELS,
            attributes=(Attribute(name="lemma", required=True),),
        )
    )
    anns = [
        _ann(1, "demo", "token", "tok", start=0, end=3, label="A", attrs={"lemma": "кот"}),
        _ann(2, "demo", "token", "tok", start=4, end=8, label="A", attrs={}),
        _ann(3, "demo", "token", "tok", start=9, end=12, label="A", attrs={"lemma": " "}),
    ]
    assert missing_required(schema, "Кот спит дом", [], [], anns) == [
        "tok: 2 without lemma («спит», «дом»)"
    ]


# --- label keys ------------------------------------------------------------------------------


def test_label_keys_leave_app_keys_and_duplicates_keyless() -> None:
    schema = _schema(
        SchemaField(
            name="frame",
            kind="span",
            labels=(
                Label(name="A", key="a", description="a"),
                Label(name="ONE", key="1", description="clashes with layer key 1"),
                Label(name="NOKEY", description="no key"),
            ),
        ),
        SchemaField(name="cue", kind="span", labels=(Label(name="B", key="a", description="b"),)),
        SchemaField(
            name="rel", kind="relation", labels=(Label(name="R", key="a", description="r"),)
        ),
    )
    keymap = label_keys(schema, reserved={"1", "?"})
    assert {k: (e.field.name, e.label.name) for k, e in keymap.keys.items()} == {
        "a": ("frame", "A")
    }
    assert len(keymap.conflicts) == 2  # «1» is the app's; cue's «a» is frame's
    assert list(keymap.by_field()) == ["frame"]


# --- wrapping and styling --------------------------------------------------------------------


def test_wrap_by_cells_keeps_offsets_and_line_breaks() -> None:
    text = "Старый за\u0301мок стоит 😍 тут\nвторая строка"
    lines = wrap(text, 12)
    assert all(cell_len(text[s:e].rstrip()) <= 12 for s, e in lines)
    assert "".join(text[s:e] for s, e in lines) == text.replace("\n", "")
    # 13 code points but 12 cells: the stress mark takes no room, so «за́мок» still fits.
    assert text[slice(*lines[0])] == "Старый за\u0301мок "
    assert line_of(lines, text.index("вторая")) == len(lines) - 2
    assert wrap("Оооооооооо", 4) == [(0, 4), (4, 8), (8, 10)]
    assert wrap("", 10) == [(0, 0)]


def test_innermost_span_colours_and_overlaps_underline() -> None:
    schema = _schema(SchemaField(name="frame", kind="span", labels=LABELS))
    spans = [
        _ann(1, "demo", "span", "frame", start=0, end=8, label="A"),
        _ann(2, "demo", "span", "frame", start=4, end=8, label="P"),
    ]
    out = styled_paragraph("Кот спит.", schema, spans, [(0, 3), (4, 8)], None, None)
    at = {i: out.get_style_at_offset(_console(), i) for i in (0, 5, 8)}
    assert at[0].bgcolor != at[5].bgcolor  # the inner span wins where they overlap
    assert not at[0].underline and at[5].underline
    assert at[8].bgcolor is None


def _console():  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console()
