"""Filling a layer with model suggestions, in committed batches, never over human work.

Each batch is checked whole, then written in short transactions (a paragraph's suggestions
always in one): stopping a long run (Ctrl-C, kill) keeps what was done, running the command
again carries on with the paragraphs still missing, and annotators saving meanwhile never wait
long for the write lock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from layerkit.errors import InputError, UsageError
from layerkit.plugin.types import ParagraphInput, Preannotator
from layerkit.project import Project
from layerkit.store import Store
from layerkit.store.imports import SQLITE_PAUSE_SECONDS, STEP_SECONDS


@dataclass
class PreannotateReport:
    model: str
    layer: str
    candidates: int = 0
    filled: int = 0
    skipped_human: int = 0
    annotations: int = 0


def choose_preannotator(project: Project, layer: str, name: str | None) -> Preannotator:
    found = [p for p in project.preannotators.values() if p.layer == layer]
    if name is not None:
        found = [p for p in found if p.name == name]
    if not found:
        available = ", ".join(f"{p.name} ({p.layer})" for p in project.preannotators.values())
        raise UsageError(
            f"no pre-annotator for layer {layer!r}" + (f" named {name!r}" if name else "") + ".",
            hint=f"Available: {available or 'none'}; plugins can add more.",
        )
    if len(found) > 1:
        raise UsageError(
            f"several pre-annotators fill {layer!r}: {', '.join(p.name for p in found)}.",
            hint="Choose one with --model NAME.",
        )
    return found[0]


def preannotate(
    project: Project,
    store: Store,
    preannotator: Preannotator,
    *,
    redo: bool = False,
    batch_size: int = 200,
    on_progress: Callable[[int, int], None] | None = None,
) -> PreannotateReport:
    """Run ``preannotator`` over every paragraph of its layer that has no human annotation."""
    layer = preannotator.layer
    origin = f"model:{preannotator.name}@{preannotator.version}"
    ids = store.paragraphs_to_preannotate(layer, redo=redo)
    order = project.schemas.order
    below = order[: order.index(layer)] if layer in order else []
    report = PreannotateReport(model=origin, layer=layer, candidates=len(ids))
    done = 0
    for offset in range(0, len(ids), batch_size):
        # The domain model's paragraphs, with the layers below the one filled: what a model
        # of a higher layer reads its context from.
        batch = store.read_paragraphs(ids[offset : offset + batch_size], layers=below)
        inputs: list[ParagraphInput] = batch
        results = preannotator.annotate(inputs)
        if len(results) != len(inputs):
            raise InputError(
                f"pre-annotator {preannotator.name!r} returned {len(results)} results for "
                f"{len(inputs)} paragraphs.",
                hint="This is a bug in the plugin; nothing from this batch was stored.",
            )
        checked = []
        for paragraph, drafts in zip(batch, results, strict=True):
            assert paragraph.id is not None
            rows = []
            for draft in drafts:
                row = {**draft.to_row(), "annotator": origin, "origin": origin}
                problem = project.schemas.check_annotation(
                    row, text_length=len(paragraph.text), local_ids={}
                )
                if problem or draft.layer != layer:
                    raise InputError(
                        f"pre-annotator {preannotator.name!r} produced an invalid "
                        f"annotation for paragraph {paragraph.id}: {problem or 'wrong layer'}.",
                        hint="This is a bug in the plugin; nothing from this batch was stored.",
                    )
                rows.append(row)
            checked.append((paragraph.id, rows))
        _write_in_steps(store, origin, layer, checked, report)
        done += len(batch)
        if on_progress:
            on_progress(done, len(ids))
    return report


def _write_in_steps(
    store: Store,
    origin: str,
    layer: str,
    checked: list[tuple[int, list[dict[str, Any]]]],
    report: PreannotateReport,
) -> None:
    """Store checked suggestions in write transactions of at most ``STEP_SECONDS`` each, so that
    annotators saving meanwhile wait for one short step at most (on SQLite, the only writer
    lock; a short pause after each step lets them in)."""
    sqlite = store.engine.dialect.name == "sqlite"
    done = 0
    while done < len(checked):
        with store.bulk(annotator=origin, action="preannotate") as writer:
            started = time.monotonic()
            while done < len(checked) and time.monotonic() - started < STEP_SECONDS:
                paragraph_id, rows = checked[done]
                if writer.replace_model_annotations(paragraph_id, layer, rows):
                    report.filled += 1
                    report.annotations += len(rows)
                else:
                    report.skipped_human += 1
                done += 1
        if sqlite and done < len(checked):
            time.sleep(SQLITE_PAUSE_SECONDS)
