"""bench/keystrokes.py on two paragraphs of the sample: the replay through the real annotator
leaves the store equal to the gold for everything it reports reproduced, and its figures add up.

The two paragraphs (the Moon's drift, and the old man on the shore) cover every layer and most
of the annotator's commands: lexical corrections by a numbered reading and by typing with
completions, spans, relations through the picker, a connective written in the side panel,
factualities' evidential and negated by their attribute keys, arguments linked to their
predicate as they are labelled, a second span over the same tokens (``+``), unfolding and
paragraph texts, sentence and paragraph labels. A second, smaller replay (one paragraph's
epistemic layer)
writes negated factualities, which the two paragraphs lack. The store is read back here with a
comparison of its own, not the bench's: an attribute ``""`` is not given, ``false`` is a value.
"""

from __future__ import annotations

import io
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import LAYERS, REPO

from layerkit.store import Store

sys.path.insert(0, str(REPO / "bench"))
import keystrokes

PICKS = (2, 11)
pytestmark = pytest.mark.slow


def gold_records() -> list[dict[str, Any]]:
    lines = (REPO / "sample_corpus" / "annotated.jsonl").read_text(encoding="utf-8").splitlines()
    paragraphs = [r for r in map(json.loads, lines) if r.get("type") == "paragraph"]
    return [paragraphs[i] for i in PICKS]


def _end(a: dict[str, Any] | None) -> tuple[Any, ...] | None:
    if a is None:
        return None
    return (a["kind"], a["field"], a.get("start"), a.get("end"), a.get("label"))


def _form(a: dict[str, Any], by_id: dict[Any, dict[str, Any]]) -> tuple[Any, ...]:
    """One annotation without ids: kind, field, label, place (or linked ends), value, the
    attributes that say something, origin."""
    attrs = tuple(sorted((k, json.dumps(v)) for k, v in (a.get("attrs") or {}).items() if v != ""))
    return (
        a["kind"],
        a["field"],
        a.get("label"),
        a.get("start"),
        a.get("end"),
        _end(by_id.get(a.get("source"))),
        _end(by_id.get(a.get("target"))),
        a.get("value"),
        attrs,
        a.get("origin", "human"),
    )


def store_forms(db: Path, text: str) -> tuple[dict[str, Counter[tuple[Any, ...]]], dict[str, str]]:
    with Store.open(db, layer_order=LAYERS, create=False) as store:
        paragraph = next(p for p in store.iter_paragraphs() if p.text == text)
        assert paragraph.id is not None
        rows = [
            {
                "id": a.id,
                "layer": a.layer,
                "kind": a.kind,
                "field": a.field,
                "label": a.label,
                "start": a.start,
                "end": a.end,
                "source": a.source_id,
                "target": a.target_id,
                "value": a.value,
                "attrs": a.attrs,
                "origin": a.origin,
            }
            for a in store.annotations(paragraph.id)
        ]
        states = {layer: s.state for layer, s in store.statuses(paragraph.id).items()}
    by_id = {r["id"]: r for r in rows}
    forms: dict[str, Counter[tuple[Any, ...]]] = {layer: Counter() for layer in LAYERS}
    for r in rows:
        forms[r["layer"]][_form(r, by_id)] += 1
    return forms, states


def split_by_report(
    report: keystrokes.Report, db: Path
) -> list[tuple[dict[str, Any], bool, Counter[tuple[Any, ...]], tuple[Any, ...]]]:
    """Each gold annotation: (it, reported reproduced?, its layer's forms in the store, its
    form), the forms counted down as reproduced ones are matched."""
    missing = {g.index for g, _ in report.not_reproduced}
    index = {(g.paragraph, g.annotation.id): g.index for g in report.golds}
    out = []
    for number, record in enumerate(gold_records()):
        forms, states = store_forms(db, record["text"])
        assert all(states[layer] == "done" for layer in LAYERS), states
        by_id = {a["id"]: a for a in record["annotations"]}
        for a in record["annotations"]:
            reproduced = index[(number, a["id"])] not in missing
            out.append((a, reproduced, forms[a["layer"]], _form(a, by_id)))
    return out


def check_store_equals_gold_for_what_is_reported_reproduced(
    replayed: tuple[keystrokes.Report, Path],
) -> None:
    report, db = replayed
    assert report.problems == []
    assert report.unexpected == []
    checked = 0
    for a, reproduced, forms, form in split_by_report(report, db):
        if reproduced:
            assert forms[form] > 0, a
            forms[form] -= 1
            checked += 1
    assert checked == report.reproduced > 0


def check_what_is_not_reproduced_is_absent_and_said_why(
    replayed: tuple[keystrokes.Report, Path],
) -> None:
    report, db = replayed
    for g, reason in report.not_reproduced:
        assert reason and g.reason == reason
    split = split_by_report(report, db)
    for _a, reproduced, forms, form in split:
        if reproduced:
            forms[form] -= 1
    for a, reproduced, forms, form in split:
        if not reproduced:
            assert forms[form] <= 0, a  # not in the store as the gold has it


def check_counts_add_up(replayed: tuple[keystrokes.Report, Path]) -> None:
    report, _db = replayed
    records = gold_records()
    assert report.paragraphs == len(PICKS)
    assert report.n == sum(len(r["annotations"]) for r in records)
    per_layer = Counter(a["layer"] for r in records for a in r["annotations"])
    for layer in LAYERS:
        stats = report.stats[layer]
        assert stats.golds == per_layer[layer]
        assert 0 <= stats.reproduced <= stats.golds
        assert stats.keys > 0
    assert report.reproduced + len(report.not_reproduced) == report.n
    assert report.moves >= len(PICKS) - 1
    assert report.keys == sum(s.keys for s in report.stats.values()) + report.moves
    assert report.chars == sum(
        len(a.get("value") or "") for r in records for a in r["annotations"] if a["kind"] == "text"
    )
    assert report.status_done == report.status_wanted == len(PICKS) * len(LAYERS)
    out = io.StringIO()
    keystrokes.print_report(report, out)
    last = out.getvalue().splitlines()[-1]
    match = re.fullmatch(
        r"reproduced=(\d+)/(\d+) keys_per_annotation=([\d.]+) keys_per_paragraph=([\d.]+)", last
    )
    assert match, last
    reproduced, n, per_annotation, per_paragraph = match.groups()
    assert (int(reproduced), int(n)) == (report.reproduced, report.n)
    assert int(reproduced) <= int(n)
    assert float(per_annotation) == pytest.approx(report.keys / report.n, abs=1e-3)
    assert float(per_paragraph) == pytest.approx(report.keys / len(PICKS), abs=1e-2)
    assert float(per_annotation) > 0


def check_factualities_are_written_with_their_attributes(
    replayed: tuple[keystrokes.Report, Path],
    records: list[dict[str, Any]],
    negated: bool,
) -> None:
    """Every gold factuality is in the store with its evidential and negated as the gold has
    them (``negated``: some of them are negated), written by the attribute keys pressed right
    after the label key (``e`` steps evidential, ``!`` flips negated; DIRECT and not negated
    are the schema's defaults), not through the side panel."""
    report, db = replayed
    checked = Counter()
    for record in records:
        forms, _states = store_forms(db, record["text"])
        by_id = {a["id"]: a for a in record["annotations"]}
        for a in record["annotations"]:
            if a["field"] != "factuality":
                continue
            assert set(a["attrs"]) == {"negated", "evidential"}, a  # what the gold states
            form = _form(a, by_id)
            assert forms["epistemic"][form] > 0, a
            forms["epistemic"][form] -= 1
            checked[a["attrs"]["negated"]] += 1
    assert checked[False] > 0 and (checked[True] > 0) == negated, checked
    assert not [g for g, _ in report.not_reproduced if g.annotation.field == "factuality"]
    assert "attributes" not in report.stats["epistemic"].parts
    for g in report.golds:
        a = g.annotation
        if a.field != "factuality":
            continue
        pressed = [k for step in g.steps for k in step.keys]
        assert ("!" in pressed) == (a.attrs or {})["negated"], (a, pressed)
        assert ("e" in pressed) == ((a.attrs or {})["evidential"] != "DIRECT"), (a, pressed)


def test_replay_of_two_paragraphs(tmp_path: Path) -> None:
    """One replay (about 20 s), checked four ways; one test, so that parallel workers never
    run it twice."""
    replayed = keystrokes.run(picks=PICKS, workdir=tmp_path), tmp_path / "keystrokes.db"
    check_store_equals_gold_for_what_is_reported_reproduced(replayed)
    check_what_is_not_reproduced_is_absent_and_said_why(replayed)
    # every gold annotation of both, also the second span over «Старик» (``+`` adds it) and
    # the relations linked as their arguments are labelled
    assert replayed[0].reproduced == replayed[0].n
    check_counts_add_up(replayed)
    check_factualities_are_written_with_their_attributes(replayed, gold_records(), negated=False)


def test_negated_factualities_are_written(tmp_path: Path) -> None:
    """The epistemic layer of a paragraph with negated factualities (about 5 s): ``y`` in the
    attribute editor, the choice completed; all of the layer reproduced."""
    pick = 4
    lines = (REPO / "sample_corpus" / "annotated.jsonl").read_text(encoding="utf-8").splitlines()
    record = [r for r in map(json.loads, lines) if r.get("type") == "paragraph"][pick]
    report = keystrokes.run(picks=[pick], layers=["epistemic"], workdir=tmp_path)
    assert report.problems == [] and report.unexpected == []
    assert (
        report.reproduced
        == report.n
        == len([a for a in record["annotations"] if a["layer"] == "epistemic"])
    )
    replayed = report, tmp_path / "keystrokes.db"
    check_factualities_are_written_with_their_attributes(replayed, [record], negated=True)
