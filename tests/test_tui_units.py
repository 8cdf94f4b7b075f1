"""The TUI's pure parts: navigator queries, completeness, label keys, wrapping and styling."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import LAYERS, REPO, make_document
from rich.cells import cell_len

from layerkit.schema import SchemaRegistry
from layerkit.schema.models import Label, LayerSchema, SchemaField
from layerkit.store import Annotation, Store, queries
from layerkit.store.queries import ParagraphFilter
from layerkit.store.search import fold
from layerkit.tui import lexical, relations
from layerkit.tui.completeness import LayerIncomplete, check_done, missing_required
from layerkit.tui.keymap import label_keys
from layerkit.tui.model import ParagraphData
from layerkit.tui.rendering import LOW_CONFIDENCE, line_of, styled_paragraph, unsure, wrap


@pytest.fixture(scope="module")
def registry() -> SchemaRegistry:
    return SchemaRegistry.from_paths([REPO / "schemas"])


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
        ("_x_", [five[2]]),  # the word x: punctuation splits words, as in the text
        ("%", []),  # no word: finds nothing (and is no LIKE wildcard)
        ("_", []),
        ("   ", [five[0], five[1], five[2], five[3], five[4]]),  # blank: no filter
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
    # a model's suggestion nobody reviewed is not gold: a layer of suggestions alone was done
    # (and two annotators' copies of it "agreed" perfectly)
    model = "model:run@1"
    suggested = [
        _ann(30, "demo", "span", "extra", start=14, end=18, label="P", origin=model),
        _ann(31, "demo", "label", "tone", label="P", origin=model),
    ]
    assert missing_required(schema, text, tokens, sentences, done + suggested) == [
        "2 model suggestion(s) not reviewed («лает»): accept them (ctrl+a, or ctrl+k for all), "
        "correct them or delete them"
    ]


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


# --- relations -------------------------------------------------------------------------------


def _data(text: str, annotations: list[Annotation], tokens: list[list[int]]) -> ParagraphData:
    from layerkit.model import Paragraph
    from layerkit.store.queries import ParagraphRow

    paragraph = Paragraph(
        id=1, document_id=1, document="d", position=0, text=text, sha256="",
        sentences=[[0, len(text)]], tokens=tokens, annotations={}, states={},
    )  # fmt: skip
    row = ParagraphRow(id=1, document_id=1, document_name="d", position=0, preview=text)
    return ParagraphData(paragraph, row, tuple(annotations), {})


def test_relation_candidates_follow_the_schema(registry: SchemaRegistry) -> None:
    semantic = registry.get("semantic")
    text = "Учёные открыли вид, и все удивились."
    spans = [
        _ann(1, "semantic", "span", "frame", start=0, end=6, label="AGENT"),
        _ann(2, "semantic", "span", "frame", start=7, end=14, label="PREDICATE"),
        _ann(3, "semantic", "span", "frame", start=15, end=18, label="PATIENT"),
        _ann(4, "semantic", "span", "frame", start=26, end=35, label="PREDICATE"),
        _ann(5, "logical", "span", "unit", start=0, end=18, label="CLAIM"),
    ]
    data = _data(text, spans, [])
    agent, predicate = spans[0], spans[1]
    fields = relations.fields_from(semantic, agent)
    assert [f.name for f in fields] == ["role"]
    assert relations.fields_from(semantic, predicate) == []  # a role never starts there
    assert relations.fields_from(semantic, spans[4]) == []  # another layer's span
    targets = relations.targets(semantic, data, agent, fields)
    assert [t.id for t in targets] == [2, 4]  # predicates only, in text order
    assert relations.nearest(targets, agent) == 0
    assert relations.nearest(targets, _ann(9, "semantic", "span", "frame", start=30, end=31)) == 1
    choices = relations.label_choices(fields)
    assert [c.label.name for c in choices][:2] == ["AGENT", "PATIENT"]
    assert all(c.key for c in choices)
    # logical discourse: any unit to any unit
    logical = registry.get("logical")
    units = [
        _ann(1, "logical", "span", "unit", start=0, end=6, label="CLAIM"),
        _ann(2, "logical", "span", "unit", start=7, end=14, label="PREMISE"),
        _ann(3, "logical", "relation", "discourse", source_id=2, target_id=1, label="SUPPORT"),
    ]
    data = _data(text, units, [])
    fields = relations.fields_from(logical, units[1])
    assert [t.id for t in relations.targets(logical, data, units[1], fields)] == [1]
    found = relations.existing(data, "logical", fields[0], 2, 1)
    assert found is not None and found.label == "SUPPORT"
    assert relations.existing(data, "logical", fields[0], 1, 2) is None


def test_label_choices_leave_a_clashing_key_off_the_later_field() -> None:
    first = SchemaField(name="one", kind="relation", labels=LABELS)
    second = SchemaField(
        name="two", kind="relation", labels=(Label(name="B", key="a", description="b"),)
    )
    choices = relations.label_choices([first, second])
    assert [(c.field.name, c.label.name, c.key) for c in choices] == [
        ("one", "A", "a"),
        ("one", "P", "p"),
        ("two", "B", None),
    ]


# --- lexical ---------------------------------------------------------------------------------


def test_token_values_are_checked_and_normalised(registry: SchemaRegistry) -> None:
    field = lexical.token_field(registry.get("lexical"))
    assert field is not None
    values = lexical.check_token_values(field, " за\u0301мок ", "noun", "Number=Sing|Case=Nom")
    assert values == lexical.TokenValues("замок", "NOUN", "Case=Nom|Number=Sing")
    assert lexical.normalise_feats(" _ ") == "_" and lexical.normalise_feats("") == "_"
    assert lexical.normalise_feats("Case=Nom|") == "Case=Nom"
    for lemma, upos, feats, error in [
        ("", "NOUN", "_", "The lemma is empty"),
        ("дом", "NOUNS", "_", "NOUNS is not a part of speech"),
        ("дом", "NOUN", "Case", "«Case» is not a feature"),
        ("дом", "NOUN", "case=Nom", "«case=Nom» is not a feature"),
        ("дом", "NOUN", "Case=Nom|Case=Acc", "Case is given twice"),
        # bug: an invalid value appended to a valid FEATS was saved
        ("наверху", "ADV", "Degree=Pos|Case=Xyz", "«Xyz» is not a value of Case"),
        ("дом", "NOUN", "Cas=Nom", "«Cas» is not a feature of UD Russian"),
        ("дом", "NOUN", "Case=Nom,Xyz", "«Xyz» is not a value of Case"),
    ]:
        with pytest.raises(lexical.TokenInputError, match=error):
            lexical.check_token_values(field, lemma, upos, feats)


def test_feats_completion() -> None:
    inventory = ["Case=Nom", "Case=Gen", "Number=Sing", "Gender=Fem"]
    readings = ["Case=Gen|Number=Sing"]
    assert lexical.complete_feats("Case=G", readings, inventory) == "Case=Gen|Number=Sing"
    assert lexical.complete_feats("Case=N", readings, inventory) == "Case=Nom"
    assert lexical.complete_feats("Case=Nom|n", readings, inventory) == "Case=Nom|number=Sing"
    assert lexical.complete_feats("Case=Nom|Ca", readings, inventory) is None  # given already
    assert lexical.complete_feats("Case=Nom|", readings, inventory) is None
    assert lexical.complete_feats("", readings, inventory) is None
    # UD Russian's whole inventory: a feature's first letters complete to its likeliest value
    # (the validator's table lists values alphabetically: Degree=Cmp, Gender=Fem first)
    ud = [f"{n}={v}" for n, values in lexical.UD_FEATURES.items() for v in values]
    assert lexical.complete_feats("Case=Dat|D", (), ud) == "Case=Dat|Degree=Pos"
    assert lexical.complete_feats("Case=Dat|G", (), ud) == "Case=Dat|Gender=Masc"
    assert lexical.complete_feats("N", (), ud) == "NameType=Giv"
    assert "Dual" in lexical.UD_FEATURES["Number"]  # and every value UD has, after the usual
    from layerkit.tui.screens.token import complete_from

    assert complete_from("sc", ["SCONJ"], keep_typed=False) == "SCONJ"
    assert complete_from("Мос", ["москва", "Москва"]) == "Москва"
    assert complete_from("Москва", ["Москва"]) is None


def test_feature_inventory_adds_what_the_paragraph_uses() -> None:
    tokens = [_ann(1, "lexical", "token", "morph", start=0, end=3, attrs={"feats": "Foo=Bar"})]
    known = lexical.feature_inventory(_data("Кот", tokens, [[0, 3]]), "lexical")
    assert "Case=Nom" in known and known[-1] == "Foo=Bar" and len(set(known)) == len(known)


def test_token_rows_cover_every_token(registry: SchemaRegistry) -> None:
    schema = registry.get("lexical")
    field = lexical.token_field(schema)
    assert field is not None
    text = "За\u0301мок стоит."
    morph = _ann(
        1, "lexical", "token", "morph", start=0, end=6, label="NOUN", attrs={"lemma": "замок"}
    )
    rows = lexical.token_rows(_data(text, [morph], [[0, 6], [7, 12], [12, 13]]), schema, field)
    assert [(r.form, r.lemma, r.upos, r.feats) for r in rows] == [
        ("За\u0301мок", "замок", "NOUN", "_"),
        ("стоит", "", "", ""),
        (".", "", "", ""),
    ]


def test_unsure_is_a_models_low_confidence_only() -> None:
    low = _ann(1, "lexical", "token", "morph", origin="model:x", confidence=LOW_CONFIDENCE - 0.01)
    assert unsure(low)
    assert not unsure(low.model_copy(update={"origin": "human"}))
    assert not unsure(low.model_copy(update={"confidence": LOW_CONFIDENCE}))
    assert not unsure(low.model_copy(update={"confidence": None}))


def test_side_panel_columns_stay_aligned_with_stress_marks() -> None:
    from layerkit.tui.widgets.annotation_list import _fit

    for form in ("за\u0301мок", "дом", "Очень-очень-длинное"):
        assert cell_len(_fit(form, 12)) == 13
    assert _fit("Очень-очень-длинное", 12).rstrip().endswith("…")
    # A stress mark is never cut off its letter.
    assert _fit("ааааааааааа\u0301ббб", 12).startswith("ааааааааааа\u0301")


def test_context_rows_interleave_lower_layers_in_text_order(registry: SchemaRegistry) -> None:
    from layerkit.tui.widgets.annotation_list import _context_rows

    text = "Кот спит."
    annotations = [
        _ann(1, "lexical", "token", "morph", start=0, end=3, label="NOUN", attrs={"lemma": "кот"}),
        _ann(
            2, "lexical", "token", "morph", start=4, end=8, label="VERB", attrs={"lemma": "спать"}
        ),
        _ann(3, "semantic", "span", "frame", start=4, end=8, label="PREDICATE"),
        _ann(4, "semantic", "span", "frame", start=0, end=3, label="EXPERIENCER"),
        _ann(5, "semantic", "relation", "role", source_id=4, target_id=3, label="EXPERIENCER"),
        _ann(6, "logical", "span", "unit", start=0, end=9, label="CLAIM"),
    ]
    data = _data(text, annotations, [[0, 3], [4, 8], [8, 9]])
    lower = (registry.get("semantic"), registry.get("lexical"))
    lines = [" ".join(row.text.plain.split()) for row in _context_rows(data, lower)]
    assert lines == [
        "lex ✓ Кот кот NOUN _",
        "sem ✓ EXPERIENCER «Кот»",
        "sem ✓ «Кот» —EXPERIENCER→ «спит»",
        "lex ✓ спит спать VERB _",
        "sem ✓ PREDICATE «спит»",
        "lex ✗ . ? ?",
    ]


def test_undo_message_names_a_batch_by_its_label() -> None:
    from layerkit.tui.editing import describe

    edit = {
        "action": "batch",
        "layer": "lexical",
        "paragraph_id": 7,
        "payload": {"label": "accept sentence 2", "edits": [{}, {}, {}]},
    }
    assert describe(edit, redo=False) == (
        "Undone: accept sentence 2, 3 edit(s) (lexical, paragraph 7)"
    )
    assert describe(edit, redo=True).startswith("Redone: accept sentence 2")


def test_navigator_search_uses_words_in_any_order_and_a_typed_prefix(
    store: Store, five: list[int]
) -> None:
    for text, expected in [
        ("раму мама", [five[3]]),  # every word, any order: the FTS index, not a substring
        ("мама мыл", [five[3]]),  # the last word may still be being typed
        ("газету Старый", []),  # words of two different paragraphs
    ]:
        filt = ParagraphFilter(text=text)
        assert [r.id for r in queries.paragraph_page(store, 0, 10, filt)] == expected, text
    done = ParagraphFilter(layer="semantic", states=("done",), text="мама")
    assert queries.count(store, done) == 0
    store.set_status(five[3], "semantic", "done", annotator="kim")
    assert [r.id for r in queries.paragraph_page(store, 0, 10, done)] == [five[3]]


# --- work order ------------------------------------------------------------------------------


def test_breadth_first_walks_one_layer_across_paragraphs_and_wraps(
    store: Store, five: list[int]
) -> None:
    from layerkit.tui.workflow import next_work

    for pid in (five[1], five[2]):
        store.set_status(pid, "semantic", "done", annotator="kim")
    assert next_work(store, "breadth", LAYERS, five[0], "semantic") == (five[3], "semantic")
    assert next_work(store, "breadth", LAYERS, five[4], "semantic") == (five[0], "semantic")
    store.set_status(five[3], "semantic", "stale", annotator="kim")  # stale is work to redo
    assert next_work(store, "breadth", LAYERS, five[0], "semantic") == (five[3], "semantic")
    for pid in five:
        store.set_status(pid, "semantic", "done", annotator="kim")
    assert next_work(store, "breadth", LAYERS, five[0], "lexical") == (five[1], "lexical")
    # the layer done everywhere: on to the next layer with work, from the store's start (it
    # said every layer was done, with four still to do); the layers above first ...
    assert next_work(store, "breadth", LAYERS, five[0], "semantic") == (five[0], "logical")
    for layer in ("logical", "epistemic", "pragmatic"):
        for pid in five:
            store.set_status(pid, layer, "done", annotator="kim")
    # ... then those below
    found = next_work(store, "breadth", LAYERS, five[2], "semantic")
    assert found is not None and found[1] == "lexical"
    for pid in five:
        store.set_status(pid, "lexical", "done", annotator="kim")
    assert next_work(store, "breadth", LAYERS, five[0], "semantic") is None


def test_depth_first_finishes_a_paragraph_before_the_next(store: Store, five: list[int]) -> None:
    from layerkit.tui.workflow import next_work

    for layer in ("lexical", "semantic"):
        store.set_status(five[0], layer, "done", annotator="kim")
    # the rest of this paragraph first, lowest unfinished layer other than the one on screen
    assert next_work(store, "depth", LAYERS, five[0], "logical") == (five[0], "epistemic")
    for layer in LAYERS:
        store.set_status(five[0], layer, "done", annotator="kim")
        store.set_status(five[1], layer, "done", annotator="kim")
    store.set_status(five[2], "lexical", "done", annotator="kim")
    assert next_work(store, "depth", LAYERS, five[0], "pragmatic") == (five[2], "semantic")
    for pid in five[2:]:
        for layer in LAYERS:
            store.set_status(pid, layer, "done", annotator="kim")
    store.set_status(five[1], "logical", "stale", annotator="kim")
    # wraps around to the start of the store
    assert next_work(store, "depth", LAYERS, five[4], "lexical") == (five[1], "logical")
    store.set_status(five[1], "logical", "done", annotator="kim")
    assert next_work(store, "depth", LAYERS, five[4], "lexical") is None


# --- garbage collection between keys ---------------------------------------------------------


def test_full_collections_wait_for_a_pause_between_keys() -> None:
    import gc

    from layerkit.tui.idle_gc import (
        AUTOMATIC_YOUNG,
        IDLE_SECONDS,
        MIN_PENDING,
        NO_AUTOMATIC_FULL,
        IdleCollector,
    )

    saved = gc.get_threshold()
    collector = IdleCollector()
    collector.start()
    try:
        assert gc.get_threshold() == (AUTOMATIC_YOUNG, saved[1], NO_AUTOMATIC_FULL)
        assert gc.get_freeze_count() > 0  # the startup heap is out of every collection
        for _ in range(MIN_PENDING):
            gc.collect(1)  # young collections still happen; each counts towards a full one
        collector.key_pressed()
        collector.tick()
        assert collector.collections == 0  # typing: not now
        collector.last_key -= IDLE_SECONDS + 0.1
        collector.tick()
        assert collector.collections == 1  # a pause, and work pending: collected
        assert gc.get_count()[2] < MIN_PENDING
        collector.tick()
        assert collector.collections == 1  # nothing pending: nothing done
    finally:
        collector.stop()
    assert gc.get_threshold() == saved
    assert gc.get_freeze_count() == 0


def test_young_collections_run_after_a_frame_by_cpythons_own_thresholds() -> None:
    import gc

    from layerkit.tui.idle_gc import IdleCollector

    gen0, gen1, _ = gc.get_threshold()
    collector = IdleCollector()
    collector.after_frame()
    assert collector.young_collections == 0  # not started: the process's collector as it was
    collector.start()
    try:
        collector.after_frame()
        assert collector.young_collections == 0  # nothing made since start's collection
        kept = [[] for _ in range(gen0 + 10)]  # new objects, enough for one pass
        assert gc.get_count()[0] >= gen0  # (no automatic pass ran: its threshold is higher)
        passes = gc.get_count()[1]
        collector.after_frame()
        assert collector.young_collections == 1
        assert gc.get_count()[0] < gen0
        assert gc.get_count()[1] in (passes + 1, 0)  # a generation-0 pass, or 1 on its turn
        for _ in range(gen1 + 1):
            kept.extend([] for _ in range(gen0 + 10))
            collector.after_frame()
        assert gc.get_count()[1] < gen1  # generation 1 collected on its turn
        assert collector.young_collections == 2 + gen1
        assert len(kept) > gen0
    finally:
        collector.stop()
    assert gc.get_threshold()[0] == gen0


# --- phrase and clause selection (pure functions of the text and the lexical analyses) --------


def _tokenised(text: str) -> list[tuple[int, int]]:
    import re

    return [(m.start(), m.end()) for m in re.finditer(r"\w+|[^\w\s]", text)]


def test_phrase_key_selects_a_noun_phrase_with_its_preposition_and_genitives() -> None:
    from layerkit.tui.phrases import next_phrase_selection, phrase_at

    text = "она остановится на слое мёда и масла, потому что легче"
    tokens = _tokenised(text)
    tags = {
        0: ("PRON", "Case=Nom"),
        1: ("VERB", ""),
        2: ("ADP", ""),
        3: ("NOUN", "Case=Loc"),
        4: ("NOUN", "Case=Gen"),
        5: ("CCONJ", ""),
        6: ("NOUN", "Case=Gen"),
        7: ("PUNCT", ""),
    }
    words = [text[s:e] for s, e in tokens]

    def shown(span: tuple[int, int] | None) -> str:
        assert span is not None
        return " ".join(words[span[0] : span[1] + 1])

    assert shown(phrase_at(text, tokens, tags, 2)) == "на слое мёда"  # from the preposition
    assert shown(phrase_at(text, tokens, tags, 3)) == "на слое мёда"  # from the noun
    assert shown(phrase_at(text, tokens, tags, 1)) == "остановится"  # a verb: the word alone
    grown = next_phrase_selection(text, tokens, tags, (2, 4), 4)
    assert shown(grown) == "на слое мёда и масла"  # again: the coordinated phrase joins
    assert next_phrase_selection(text, tokens, tags, (2, 6), 6) is None  # nothing more
    # without analyses: the word at the cursor, which a label key would take anyway
    assert shown(next_phrase_selection(text, tokens, {}, (2, 4), 4)) == "мёда"
    assert next_phrase_selection(text, tokens, {}, (3, 3), 3) is None


def test_clause_key_leaves_out_the_opening_marker_and_grows_by_clauses() -> None:
    from layerkit.tui.clauses import next_clause_selection

    text = "Бумага приятнее, зато в читалку помещается библиотека, а шрифт легко увеличить."
    tokens = _tokenised(text)
    words = [text[s:e] for s, e in tokens]
    sentences = [(0, len(text))]

    def shown(span: tuple[int, int] | None) -> str:
        assert span is not None
        return " ".join(words[span[0] : span[1] + 1])

    on_reader = words.index("читалку")
    first = next_clause_selection(text, tokens, sentences, (on_reader, on_reader), on_reader)
    assert shown(first) == "в читалку помещается библиотека"  # «зато» left out
    assert first is not None
    second = next_clause_selection(text, tokens, sentences, first, first[1])
    assert shown(second) == "в читалку помещается библиотека , а шрифт легко увеличить"
    assert second is not None
    third = next_clause_selection(text, tokens, sentences, second, second[1])
    assert shown(third) == (
        "Бумага приятнее , зато в читалку помещается библиотека , а шрифт легко увеличить"
    )


def test_line_pieces_are_the_lines_sliced_one_by_one() -> None:
    """``line_pieces`` cuts a styled text into its screen lines in one pass: each piece must be
    the line sliced alone (text and styles), with stress marks, emoji and line breaks."""
    from rich.text import Text

    from layerkit.tui.rendering import line_pieces, wrap

    plain = (
        "Приве\u0301т, мир! 😍 Ёлка\nвторая строка с\u00adлогом, и ещё одна длинная строка текста"
    )
    text = Text(plain)
    for i, (start, end) in enumerate([(0, 6), (3, 20), (15, 40), (38, 39), (41, len(plain))]):
        text.stylize(f"color({i + 1})", start, end)
    for width in (5, 12, 30, 200):
        lines = wrap(plain, width)
        assert line_pieces(text, lines) == [text[start:end] for start, end in lines]


def test_dimmed_background_tints_exactly_as_textual() -> None:
    """The screen under a dialog (the token editor) is dimmed by DimmedBackground (dimmed.py),
    which keeps each style's tint: its segments must be Textual's BackgroundScreen's, for
    styles with links and mouse meta, no style, control codes, a translucent and a transparent
    dialog background, and a style met again (from the kept tint)."""
    from rich.control import Control
    from rich.segment import Segment
    from rich.style import Style
    from textual.color import Color
    from textual.renderables.background_screen import BackgroundScreen

    from layerkit.tui.screens.dimmed import DimmedBackground

    linked = Style(color="red", bgcolor="#102030", link="https://example.org")
    segments = [
        Segment("Мама", Style(color="#ff8800", bold=True, meta={"@click": "app.bell"})),
        Segment(" ", None),
        Segment("мыла", linked),
        Segment("раму", Style(italic=True)),
        Control.home().segment,
        Segment("ещё", linked),
    ]
    for color in (Color(0, 0, 0, 0.6), Color(10, 20, 30, 0.0), Color(250, 250, 250, 0.3)):
        for _ in range(2):  # the second time from the kept tints
            ours = list(DimmedBackground.process_segments(segments, color))
            theirs = list(BackgroundScreen.process_segments(segments, color))
            assert ours == theirs, color
            assert [s.style._link_id if s.style else "" for s in ours] == [
                s.style._link_id if s.style else "" for s in theirs
            ]
    assert DimmedBackground._tints  # tints were kept


def test_the_clause_key_leaves_out_an_opening_tak_chto() -> None:
    """«Так что давай …»: «так что» is a marker like «потому что» (it was kept in the clause)."""
    from layerkit.tui.clauses import next_clause_selection

    text = "Так что давай в субботу пойдём гулять в парк."
    tokens = _tokenised(text)
    words = [text[s:e] for s, e in tokens]
    on = words.index("давай")
    span = next_clause_selection(text, tokens, [(0, len(text))], (on, on), on)
    assert span is not None
    assert " ".join(words[span[0] : span[1] + 1]).startswith("давай в субботу")
