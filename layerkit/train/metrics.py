"""Task metrics: how close a generated answer is to the gold one, by answer format.

``token_table`` answers (the lexical layer) are compared row by row: UPOS and lemma accuracy over
the gold rows. ``json`` answers score the F1 of their items (each top-level value, and each item
of a top-level list, as canonical JSON), which gives credit for every correct frame, claim or
speech act rather than all-or-nothing. ``text`` answers have no metric beyond loss. An answer that
does not parse scores zero and counts against the parse rate. No torch here.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

PRIMARY = {"token_table": "upos_accuracy", "json": "json_item_f1"}


@dataclass
class MetricSum:
    """Running totals of one stage's generated answers."""

    answers: int = 0
    parsed: int = 0
    totals: dict[str, float] = field(default_factory=dict)
    counts: dict[str, float] = field(default_factory=dict)

    def add(self, name: str, value: float, weight: float = 1.0) -> None:
        self.totals[name] = self.totals.get(name, 0.0) + value * weight
        self.counts[name] = self.counts.get(name, 0.0) + weight

    def result(self) -> dict[str, float]:
        out = {
            name: self.totals[name] / self.counts[name] for name in self.totals if self.counts[name]
        }
        if self.answers:
            out["parse_rate"] = self.parsed / self.answers
        return out


def score_answer(answer_format: str, predicted: str, gold: str, into: MetricSum) -> None:
    """Add one generated answer's scores to ``into``."""
    from layerkit.curriculum.answers import AnswerParseError, parse_answer

    if answer_format not in PRIMARY:
        return
    gold_data = parse_answer(answer_format, gold)
    into.answers += 1
    try:
        data = parse_answer(answer_format, predicted)
    except AnswerParseError:
        data = None
    if answer_format == "token_table":
        rows = data if isinstance(data, list) else []
        into.parsed += data is not None
        n = len(gold_data)
        upos = sum(1 for g, p in zip(gold_data, rows, strict=False) if g["upos"] == p.get("upos"))
        lemma = sum(
            1 for g, p in zip(gold_data, rows, strict=False) if g["lemma"] == p.get("lemma")
        )
        if n:
            into.add("upos_accuracy", upos / n, n)
            into.add("lemma_accuracy", lemma / n, n)
    else:
        into.parsed += data is not None
        into.add("json_item_f1", item_f1(gold_data, data) if data is not None else 0.0)


def _items(data: Any) -> Counter[str]:
    items: Counter[str] = Counter()
    if isinstance(data, dict):
        for key, value in data.items():
            values = value if isinstance(value, list) else [value]
            for v in values:
                items[f"{key}={json.dumps(v, ensure_ascii=False, sort_keys=True)}"] += 1
    elif isinstance(data, list):
        for v in data:
            items[json.dumps(v, ensure_ascii=False, sort_keys=True)] += 1
    else:
        items[json.dumps(data, ensure_ascii=False, sort_keys=True)] += 1
    return items


def item_f1(gold: Any, predicted: Any) -> float:
    """F1 of the multisets of items of two JSON answers (1.0 when both are empty)."""
    g, p = _items(gold), _items(predicted)
    if not g and not p:
        return 1.0
    common = sum((g & p).values())
    if not common:
        return 0.0
    precision = common / sum(p.values())
    recall = common / sum(g.values())
    return 2 * precision * recall / (precision + recall)
