"""Answers read back into annotations: what a model's suggestions are stored as.

Each higher layer's task turns its answer data back into annotation drafts (``read_answer``).
On the gold of the sample corpus, answer data → drafts must give the gold layer again, every
span, relation, attribute, label and text, since a trained model that answers exactly like the
gold must suggest exactly the gold.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_curriculum import SAMPLE, load

from layerkit.curriculum import AnswerParseError, format_answer, parse_answer, reader
from layerkit.curriculum.answers import Quotes
from layerkit.curriculum.build import collect_tasks
from layerkit.drafts import AnnotationDraft
from layerkit.model import Annotation, Paragraph

LAYERS = ("semantic", "logical", "epistemic", "pragmatic")
BUILTIN = ("lexical", *LAYERS)


def _attrs(attrs: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    # a default written out (negated: false) says the same as one left out
    return tuple(sorted((k, v) for k, v in attrs.items() if v not in (False, None, "")))


def _gold(view: Paragraph, layer: str) -> set[tuple[Any, ...]]:
    # unfolding texts hang on a unit: tasks of their own, not of the layer's answer
    anns = [a for a in view.layer(layer) if not (a.kind == "text" and a.source_id is not None)]
    return _units(anns, {a.id: a for a in anns})


def _units(anns: list[Any], by_id: dict[Any, Any]) -> set[tuple[Any, ...]]:
    def where(a: Any) -> tuple[Any, ...]:
        return (a.field, a.start, a.end, a.label)

    out = set()
    for a in anns:
        if a.kind == "relation":
            source = by_id[a.source_id if isinstance(a, Annotation) else a.source]
            target = by_id[a.target_id if isinstance(a, Annotation) else a.target]
            out.add(("rel", a.field, a.label, where(source), where(target), _attrs(a.attrs)))
        elif a.kind == "text":
            out.add(("text", a.field, a.value.strip()))
        else:
            out.add((a.kind, *where(a), _attrs(a.attrs)))
    return out


def _read(drafts: list[AnnotationDraft]) -> set[tuple[Any, ...]]:
    return _units(drafts, {d.local_id: d for d in drafts if d.local_id is not None})


def test_every_gold_answer_of_the_sample_reads_back_into_the_gold_layer(tmp_path: Path) -> None:
    project = load(tmp_path, SAMPLE / "annotated.jsonl")
    _, context = collect_tasks(project.pm, project.schemas)
    compared = 0
    with project.open_store() as store:
        for view in reader.iter_views(
            store, ready_layers=BUILTIN, read_layers=BUILTIN, states=("done",)
        ):
            for layer in LAYERS:
                task = context[layer]
                # through the answer's text, as a model would give it
                text = format_answer(task.answer_format, task.data(view))
                drafts = task.read_answer(parse_answer(task.answer_format, text), view)
                assert all(d.layer == layer for d in drafts)
                for d in drafts:
                    row = {**d.to_row(), "annotator": "model:x", "origin": "model:x"}
                    local = {x.local_id: x.to_row() for x in drafts if x.local_id is not None}
                    problem = project.schemas.check_annotation(
                        row, text_length=len(view.text), local_ids=local
                    )
                    assert problem is None, (layer, problem)
                assert _read(drafts) == _gold(view, layer), (view.id, layer)
                compared += 1
    assert compared == 13 * len(LAYERS)


def test_quotes_follow_text_order_and_refuse_what_the_paragraph_lacks() -> None:
    quotes = Quotes("Кот спит. Кот ест. Пёс спит.")
    assert quotes.next("Кот", "unit") == (0, 3)
    assert quotes.next("Кот", "unit") == (10, 13)  # the next one, not the first again
    assert quotes.next("спит", "cue") == (4, 8)  # each run keeps its own place
    assert quotes.near("спит", 22) == (23, 27)
    with pytest.raises(AnswerParseError, match="«Кошка»"):
        quotes.next("Кошка", "unit")
    with pytest.raises(AnswerParseError, match="non-empty string"):
        quotes.next(None, "unit")


def test_a_malformed_answer_is_refused_whole(tmp_path: Path) -> None:
    project = load(tmp_path, SAMPLE / "annotated.jsonl")
    _, context = collect_tasks(project.pm, project.schemas)
    with project.open_store() as store:
        view = next(
            reader.iter_views(store, ready_layers=BUILTIN, read_layers=BUILTIN, states=("done",))
        )
    data = context["logical"].data(view)
    data["relations"].append({"type": "SUPPORT", "from": 1, "to": 99, "connective": None})
    with pytest.raises(AnswerParseError, match="names a unit"):
        context["logical"].read_answer(data, view)
    with pytest.raises(AnswerParseError, match="not a JSON object"):
        context["semantic"].read_answer(["predicates"], view)
    acts = context["pragmatic"].data(view)
    acts["speech_acts"] = acts["speech_acts"] + ["ASSERT"]
    with pytest.raises(AnswerParseError, match="at most one act"):
        context["pragmatic"].read_answer(acts, view)
