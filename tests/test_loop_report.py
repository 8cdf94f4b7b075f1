"""``layerkit loop report``: what annotators did with model suggestions, from store and log."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import make_document

from layerkit.store import Store
from layerkit.store.loop import loop_report

TEXT = "Мама мыла раму, а папа читал газету."
MODEL = "model:run@abc123"


def _suggest(store: Store) -> int:
    with store.bulk() as writer:
        writer.add_document(make_document("doc", TEXT))
        writer.add_document(make_document("other", "Кот спал."))
    pid, other = store.document_paragraph_ids([i for i, _, _ in store.document_sizes()])
    spans = [("PREDICATE", 5, 9), ("AGENT", 0, 4), ("THEME", 10, 14), ("PREDICATE", 23, 28)]
    rows = [
        {"layer": "semantic", "kind": "span", "field": "frame", "label": label, "start": s,
         "end": e, "local_id": i, "annotator": MODEL, "origin": MODEL, "confidence": 0.5}
        for i, (label, s, e) in enumerate(spans, start=1)
    ]  # fmt: skip
    with store.bulk(annotator=MODEL, action="preannotate") as writer:
        assert writer.replace_model_annotations(pid, "semantic", rows)
    # a paragraph annotated by hand, without suggestions
    store.create_annotation(
        paragraph_id=other, layer="semantic", kind="span", field="frame", label="PREDICATE",
        start=4, end=8, annotator="anna",
    )  # fmt: skip
    store.set_status(other, "semantic", "done", annotator="anna")
    return pid


def test_each_suggestion_is_counted_by_what_became_of_it(store: Store) -> None:
    pid = _suggest(store)
    by_label = {(a.label, a.start): a for a in store.annotations(pid, "semantic")}
    verb, agent, theme = by_label["PREDICATE", 5], by_label["AGENT", 0], by_label["THEME", 10]
    assert verb.id and agent.id and theme.id
    store.update_annotation(
        verb.id, annotator="anna", expected_version=verb.version, origin="human"
    )
    store.update_annotation(
        agent.id, annotator="anna", expected_version=agent.version, label="EXPERIENCER"
    )
    store.delete_annotation(theme.id, annotator="anna")
    store.set_status(pid, "semantic", "done", annotator="anna")

    report = loop_report(store, ["lexical", "semantic"]).to_json()
    semantic = report["models"][MODEL]["semantic"]
    assert semantic["totals"] == {"accepted": 1, "edited": 1, "rejected": 1, "pending": 1}
    assert semantic["labels"]["PREDICATE"] == {
        "accepted": 1, "edited": 0, "rejected": 0, "pending": 1,
    }  # fmt: skip
    assert semantic["labels"]["AGENT"]["edited"] == 1  # counted under the label suggested
    assert semantic["labels"]["THEME"]["rejected"] == 1
    assert semantic["accepted_share"] == round(1 / 3, 4)
    timing = report["time_per_paragraph"]["semantic"]
    assert timing["with"]["paragraphs"] == 1 and timing["without"]["paragraphs"] == 1
    assert timing["with"]["median_seconds"] >= 0

    # an accept undone is pending again, not accepted
    store.undo("anna")  # the status
    store.undo("anna")  # the delete: THEME is back, a suggestion again
    again = loop_report(store, ["semantic"]).to_json()["models"][MODEL]["semantic"]["totals"]
    assert again == {"accepted": 1, "edited": 1, "rejected": 0, "pending": 2}


def test_the_command_prints_the_report(tmp_path: Path) -> None:
    db = tmp_path / "lk.db"
    layers = ("lexical", "semantic", "logical", "epistemic", "pragmatic")
    with Store.open(str(db), layer_order=layers, create=True) as store:
        _suggest(store)
    done = subprocess.run(
        [sys.executable, "-m", "layerkit", "--db", str(db), "loop", "report", "--json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    totals = json.loads(done.stdout)["models"][MODEL]["semantic"]["totals"]
    assert totals == {"accepted": 0, "edited": 0, "rejected": 0, "pending": 4}
    shown = subprocess.run(
        [sys.executable, "-m", "layerkit", "--db", str(db), "loop", "report"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert shown.returncode == 0 and MODEL in shown.stdout and "PREDICATE" in shown.stdout
