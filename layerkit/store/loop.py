"""What annotators did with model suggestions, and how long paragraphs took: ``layerkit loop
report``.

A suggestion's fate is read from the store as it is now and from the event log: a suggestion a
person changed or deleted left its earlier self in the log (the ``before`` of that edit, the
same reading preference pairs use). So, per model version (the origin), layer and label:

- *accepted*: the annotation is a person's now, with the suggestion's label, offsets, value
  and attributes unchanged;
- *edited*: a person's now, with something changed;
- *rejected*: deleted by a person;
- *pending*: still a suggestion (never touched, or an accept that was undone).

A suggestion replaced by ``preannotate --redo`` is neither: nobody decided on it.

Time per paragraph comes from event timestamps: per annotator, paragraph and layer, the sum of
the gaps between consecutive edits, where a gap longer than ``IDLE_SECONDS`` counts as a pause
(left out) — first edits have no gap before them, so a paragraph done in one edit counts zero.
A paragraph-layer counts as *with suggestions* when it had any (decided or pending).
"""

from __future__ import annotations

import itertools
import json
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from layerkit.model import MODEL_ORIGIN_PREFIX, is_suggestion
from layerkit.store.corpus import model_suggestions
from layerkit.store.edits import annotations_t, events_t
from layerkit.store.store import Store

IDLE_SECONDS = 300.0
OUTCOMES = ("accepted", "edited", "rejected", "pending")


@dataclass
class LoopReport:
    # (model, layer, label) -> outcome -> count
    outcomes: dict[tuple[str, str, str], Counter[str]] = field(default_factory=dict)
    # layer -> "with" / "without" -> seconds per paragraph-layer
    seconds: dict[str, dict[str, list[float]]] = field(default_factory=dict)

    def add(self, model: str, layer: str, label: str | None, outcome: str, n: int = 1) -> None:
        self.outcomes.setdefault((model, layer, label or "—"), Counter())[outcome] += n

    def to_json(self) -> dict[str, Any]:
        models: dict[str, dict[str, Any]] = {}
        for (model, layer, label), counts in sorted(self.outcomes.items()):
            per_layer = models.setdefault(model, {}).setdefault(
                layer, {"totals": dict.fromkeys(OUTCOMES, 0), "labels": {}}
            )
            per_layer["labels"][label] = {o: counts.get(o, 0) for o in OUTCOMES}
            for o in OUTCOMES:
                per_layer["totals"][o] += counts.get(o, 0)
        for layers in models.values():
            for per_layer in layers.values():
                decided = sum(per_layer["totals"][o] for o in ("accepted", "edited", "rejected"))
                per_layer["accepted_share"] = (
                    round(per_layer["totals"]["accepted"] / decided, 4) if decided else None
                )
        timing = {
            layer: {
                kind: {
                    "paragraphs": len(values),
                    "median_seconds": round(statistics.median(values), 1) if values else None,
                    "mean_seconds": round(statistics.fmean(values), 1) if values else None,
                }
                for kind, values in sorted(kinds.items())
            }
            for layer, kinds in sorted(self.seconds.items())
        }
        return {"models": models, "time_per_paragraph": timing, "idle_seconds": IDLE_SECONDS}


def _content(a: Any) -> tuple[Any, ...]:
    return (a.kind, a.field, a.label, a.start, a.end, a.value, json.dumps(a.attrs, sort_keys=True))


def loop_report(store: Store, layers: Sequence[str]) -> LoopReport:
    report = LoopReport()
    touched = model_suggestions(store, layers)
    suggested_at: set[tuple[int, str]] = set()
    for start in range(0, len(touched), 500):
        ids = sorted(touched)[start : start + 500]
        for paragraph in store.read_paragraphs(ids, layers=layers):
            now = {a.id: a for layer in layers for a in paragraph.layer(layer)}
            for annotation_id, before in touched[paragraph.id].items():
                suggested_at.add((paragraph.id, before.layer))
                current = now.get(annotation_id)
                if current is not None and is_suggestion(current.origin):
                    continue  # counted as pending below
                if current is None:
                    outcome = "rejected"
                elif _content(current) == _content(before):
                    outcome = "accepted"
                else:
                    outcome = "edited"
                report.add(before.origin, before.layer, before.label, outcome)
    c = annotations_t.c
    pending = (
        sa.select(c.origin, c.layer, c.label, c.paragraph_id, sa.func.count())
        .where(
            c.origin.startswith(MODEL_ORIGIN_PREFIX, autoescape=True) & c.layer.in_(list(layers))
        )
        .group_by(c.origin, c.layer, c.label, c.paragraph_id)
    )
    e = events_t.c
    edits = (
        sa.select(e.annotator, e.paragraph_id, e.layer, e.at)
        .where(
            e.paragraph_id.is_not(None)
            & e.layer.in_(list(layers))
            & ~e.annotator.startswith(MODEL_ORIGIN_PREFIX, autoescape=True)
            & e.action.in_(["create", "update", "delete", "batch", "status", "undo", "redo"])
        )
        .order_by(e.annotator, e.paragraph_id, e.layer, e.id)
    )
    with store.engine.connect() as conn:
        for origin, layer, label, paragraph_id, count in conn.execute(pending):
            report.add(str(origin), str(layer), label, "pending", int(count))
            suggested_at.add((int(paragraph_id), str(layer)))
        spans: dict[tuple[str, int, str], list[Any]] = {}
        for annotator, paragraph_id, layer, at in conn.execute(edits):
            spans.setdefault((annotator, int(paragraph_id), str(layer)), []).append(at)
    for (_, paragraph_id, layer), times in spans.items():
        active = 0.0
        for earlier, later in itertools.pairwise(times):
            gap = (later - earlier).total_seconds()
            if gap <= IDLE_SECONDS:
                active += gap
        kind = "with" if (paragraph_id, layer) in suggested_at else "without"
        report.seconds.setdefault(layer, {"with": [], "without": []})[kind].append(active)
    return report
