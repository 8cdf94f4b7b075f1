"""Store.iter_paragraph_bundles: the bulk read of paragraphs with their annotations and states."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from conftest import LAYERS, whitespace_tokens

from layerkit.store import NewDocument, NewParagraph, Store
from layerkit.store.store import AnnotationRow, ParagraphBundle

TEXTS = ("Учёные открыли новый вид.", "Это, вероятно, важно.", "Мама мыла раму.")


def _paragraph(text: str, n: int) -> NewParagraph:
    """A paragraph annotated on some layers, with states that differ from paragraph to
    paragraph (``n``): lexical always done, semantic done, in progress or absent."""
    words = whitespace_tokens(text)
    rows: list[dict[str, Any]] = []
    for i, (s, e) in enumerate(words, start=1):
        rows.append(
            {"local_id": i, "layer": "lexical", "kind": "token", "field": "morph", "start": s,
             "end": e, "label": "NOUN", "attrs": {"lemma": text[s:e].lower(), "feats": "_"}}
        )  # fmt: skip
    k = len(rows)
    rows += [
        {"local_id": k + 1, "layer": "semantic", "kind": "span", "field": "frame",
         "start": words[-1][0], "end": words[-1][1], "label": "PREDICATE"},
        {"local_id": k + 2, "layer": "semantic", "kind": "span", "field": "frame",
         "start": words[0][0], "end": words[0][1], "label": "AGENT", "annotator": "boris"},
        {"local_id": k + 3, "layer": "semantic", "kind": "relation", "field": "role",
         "label": "AGENT", "source": k + 2, "target": k + 1},
        {"local_id": k + 4, "layer": "pragmatic", "kind": "text", "field": "implicature",
         "value": f"Подразумевается: «{text}»", "origin": "model:test"},
    ]  # fmt: skip
    status = {"lexical": {"state": "done", "annotator": "anna"}}
    if n % 3 == 0:
        status["semantic"] = {"state": "done", "annotator": "boris"}
    elif n % 3 == 1:
        status["semantic"] = {"state": "in_progress", "annotator": None}
    return NewParagraph(
        text=text,
        sentences=[[0, len(text)]],
        tokens=words,
        flags=[],
        meta={},
        annotations=[{"annotator": "anna", **row} for row in rows],
        status=status,
    )


def _fill(store: Store, documents: int = 3, per_document: int = 3) -> None:
    n = 0
    with store.bulk() as writer:
        for d in range(documents):
            paragraphs = []
            for i in range(per_document):
                paragraphs.append(_paragraph(f"{TEXTS[n % len(TEXTS)]} ({d}.{i})", n))
                n += 1
            writer.add_document(
                NewDocument(
                    name=f"doc-{d}", source="t", format="text", meta={}, paragraphs=paragraphs
                )
            )


def _as_row(annotation: Any) -> AnnotationRow:
    return AnnotationRow(*(getattr(annotation, name) for name in AnnotationRow._fields))


def test_bundles_hold_what_the_per_paragraph_reads_give(store: Store) -> None:
    _fill(store)
    bundles = list(store.iter_paragraph_bundles())
    assert [b.id for b in bundles] == [p.id for p in store.iter_paragraphs()]
    names = {d.id: d.name for d in store.documents()}
    for bundle in bundles:
        paragraph = store.paragraph(bundle.id)
        assert (bundle.document_id, bundle.position, bundle.text, bundle.sha256) == (
            paragraph.document_id, paragraph.position, paragraph.text, paragraph.sha256,
        )  # fmt: skip
        assert bundle.document == names[paragraph.document_id]
        assert (bundle.sentences, bundle.tokens) == (paragraph.sentences, paragraph.tokens)
        expected: dict[str, list[AnnotationRow]] = {}
        for annotation in store.annotations(bundle.id):  # in id order, as stored
            expected.setdefault(annotation.layer, []).append(_as_row(annotation))
        assert bundle.annotations == expected
        assert set(bundle.annotations) == {"lexical", "semantic", "pragmatic"}
        statuses = store.statuses(bundle.id)
        assert bundle.states == {
            layer: (s.state, s.annotator) for layer, s in statuses.items() if s.state != "todo"
        }
    first = bundles[0].annotations
    assert first["lexical"][0].attrs == {"lemma": "учёные", "feats": "_"}
    relation = first["semantic"][2]
    assert (relation.kind, relation.source_id, relation.target_id) == (
        "relation", first["semantic"][1].id, first["semantic"][0].id,
    )  # fmt: skip
    assert first["pragmatic"][0].value.startswith("Подразумевается")
    assert first["pragmatic"][0].origin == "model:test"


@pytest.mark.parametrize("batch_size", [1, 2, 4, 500])
def test_batches_cross_documents_and_both_read_paths_agree(store: Store, batch_size: int) -> None:
    _fill(store, documents=4, per_document=3)
    default = list(store.iter_paragraph_bundles())
    assert len(default) == 12
    assert list(store.iter_paragraph_bundles(batch_size=batch_size)) == default
    assert list(store.iter_paragraph_bundles(batch_size=batch_size, raw=False)) == default


def test_after_and_until_read_a_stretch_of_the_corpus(store: Store) -> None:
    _fill(store, documents=4, per_document=3)
    every = list(store.iter_paragraph_bundles())
    key = [(b.document_id, b.position) for b in every]
    assert list(store.iter_paragraph_bundles(after=key[4])) == every[5:]
    assert (
        list(store.iter_paragraph_bundles(after=key[4], until=key[8], batch_size=3)) == (every[5:9])
    )
    assert list(store.iter_paragraph_bundles(until=key[1], batch_size=1)) == every[:2]
    assert list(store.iter_paragraph_bundles(after=key[-1])) == []
    assert list(store.iter_paragraph_bundles(after=key[3], until=key[3])) == []


def test_layers_and_ready_states_select_what_is_read(store: Store) -> None:
    _fill(store)
    lexical = list(store.iter_paragraph_bundles(layers=["lexical"]))
    assert len(lexical) == 9 and all(set(b.annotations) == {"lexical"} for b in lexical)
    assert all(set(b.states) >= {"lexical"} for b in lexical)  # states of every layer
    done = list(store.iter_paragraph_bundles(ready_layers=["semantic"]))
    assert [b.states["semantic"][0] for b in done] == ["done"] * 3
    started = list(
        store.iter_paragraph_bundles(
            ready_layers=["semantic"], ready_states=("done", "in_progress"), batch_size=2
        )
    )
    assert len(started) == 6
    assert [b.id for b in done] == [b.id for b in started if b.states["semantic"][0] == "done"]
    assert list(store.iter_paragraph_bundles(ready_layers=["epistemic"])) == []
    raw_false = list(store.iter_paragraph_bundles(ready_layers=["semantic"], raw=False))
    assert raw_false == done


def test_annotations_keep_the_stored_order_of_their_layer(store: Store) -> None:
    _fill(store, documents=1, per_document=1)
    (bundle,) = store.iter_paragraph_bundles()
    before = bundle.annotations["semantic"]
    added = store.create_annotation(
        paragraph_id=bundle.id, layer="semantic", kind="span", field="frame", start=0, end=1,
        label="TIME", annotator="anna", attrs={"note": "добавлено"},
    )  # fmt: skip
    store.delete_annotation(before[2].id, annotator="anna")
    (after,) = store.iter_paragraph_bundles(layers=["semantic"])
    assert [a.id for a in after.annotations["semantic"]] == [before[0].id, before[1].id, added.id]
    assert after.annotations["semantic"][-1].attrs == {"note": "добавлено"}


def test_an_empty_store_and_a_bare_paragraph(store: Store) -> None:
    assert list(store.iter_paragraph_bundles()) == []
    bare = NewParagraph("Текст.", [[0, 6]], [[0, 5]], [], {}, [], {})
    with store.bulk() as writer:
        writer.add_document(
            NewDocument(name="bare", source="t", format="text", meta={}, paragraphs=[bare])
        )
    (bundle,) = store.iter_paragraph_bundles()
    assert isinstance(bundle, ParagraphBundle)
    assert (bundle.document, bundle.annotations, bundle.states) == ("bare", {}, {})
    assert list(store.iter_paragraph_bundles(ready_layers=LAYERS)) == []


def test_read_paragraphs_by_id_is_the_bulk_readers_paragraphs(store: Store) -> None:
    """Store.read_paragraphs (what pre-annotators get): the same Paragraphs as the bulk reader,
    in the order asked, with only the layers asked for."""
    _fill(store)
    every = list(store.iter_paragraph_bundles(layers=None, ready_layers=None))
    ids = [every[3].id, every[0].id, 10**9, every[1].id]
    got = store.read_paragraphs(ids, layers=["lexical"])
    assert [p.id for p in got] == [every[3].id, every[0].id, every[1].id]
    for p in got:
        full = next(b for b in every if b.id == p.id)
        assert (p.text, p.tokens, p.sentences, p.states) == (
            full.text, full.tokens, full.sentences, full.states,
        )  # fmt: skip
        assert set(p.annotations) <= {"lexical"}
        assert p.annotations.get("lexical", []) == full.annotations.get("lexical", [])
    assert store.read_paragraphs([]) == []


def test_read_paragraphs_few_and_many_read_the_same(store: Store) -> None:
    """A few paragraphs are read through SQLAlchemy's cached statements, many through the raw
    driver path (``FEW_PARAGRAPHS``): both give the bulk reader's paragraphs exactly (attrs
    decoded, states, every layer); ``layers=()`` reads no annotations at all."""
    from layerkit.store import store as store_module

    _fill(store, documents=4, per_document=6)
    every = {b.id: b for b in store.iter_paragraph_bundles(layers=None, ready_layers=None)}
    ids = sorted(every)
    assert len(ids) > store_module.FEW_PARAGRAPHS >= 2
    many = store.read_paragraphs(ids)
    few = store.read_paragraphs(ids[:2])
    assert many == [every[i] for i in ids]
    assert few == [every[i] for i in ids[:2]]
    assert few[0].annotations["lexical"][0].attrs == {"lemma": "учёные", "feats": "_"}
    # one paragraph without annotations (the annotator opening one): its own two statements
    for pid in ids:
        (bare,) = store.read_paragraphs([pid], layers=())
        assert bare == replace(every[pid], annotations={})
        assert bare.states and bare.tokens and bare.sentences
    assert store.read_paragraphs([10**9], layers=()) == []
