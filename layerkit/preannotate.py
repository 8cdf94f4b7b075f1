"""Filling a layer with model suggestions, in committed batches, never over human work.

Each batch is checked whole, then written in short transactions (a paragraph's suggestions
always in one): stopping a long run (Ctrl-C, kill) keeps what was done, running the command
again carries on with the paragraphs still missing, and annotators saving meanwhile never wait
long for the write lock.
"""

from __future__ import annotations

import json
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from layerkit.draft_checks import check_origin
from layerkit.errors import InputError, UsageError
from layerkit.gc_pause import relaxed_gc
from layerkit.plugin.manager import blamed_on
from layerkit.plugin.types import InvalidSuggestion, ParagraphInput, Preannotator
from layerkit.project import Project
from layerkit.store import Store
from layerkit.store.imports import SQLITE_PAUSE_SECONDS, STEP_SECONDS

#: paragraphs whose suggestions are written by one set of statements (``replace_model_layers``):
#: a step's time is checked between them
PARAGRAPHS_PER_WRITE = 50


@dataclass
class PreannotateReport:
    model: str
    layer: str
    candidates: int = 0  # paragraphs without a person's work on the layer (within --limit)
    eligible: int = 0  # of those, the ones whose lower layers are ready to be context
    filled: int = 0
    skipped_human: int = 0
    annotations: int = 0
    not_ready: int = 0  # lower layers not done (see ``require_done_below``)
    empty: int = 0  # of the filled, those the model found nothing to suggest in
    invalid: list[tuple[int, str]] = field(default_factory=list)  # (paragraph, why)
    warnings: list[str] = field(default_factory=list)  # said before any work started

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "layer": self.layer,
            "candidates": self.candidates,
            "eligible": self.eligible,
            "suggested": self.filled,
            "annotations": self.annotations,
            "empty": self.empty,
            "invalid": len(self.invalid),
            "not_ready": self.not_ready,
            "skipped_human": self.skipped_human,
            "invalid_paragraphs": [{"paragraph": p, "reason": r} for p, r in self.invalid],
            "warnings": self.warnings,
        }


def _known_layer(project: Project, layer: str) -> None:
    """A layer no schema defines is refused (a pre-annotator registered for it ran, stored
    suggestions of a layer nothing shows, and exited 0)."""
    if layer not in project.schemas.order:
        raise UsageError(
            f"no layer named {layer!r}.",
            hint=f"Layers: {', '.join(project.schemas.order)}; a plugin or layerkit.toml "
            "adds a layer with its schema.",
        )


def choose_preannotator(project: Project, layer: str, name: str | None) -> Preannotator:
    _known_layer(project, layer)
    found = [p for p in project.preannotators.values() if p.layer == layer]
    if name is not None:
        found = [p for p in found if p.name == name]
    # those that need a training run are chosen by --checkpoint (from_checkpoint below)
    ready = [p for p in found if not hasattr(p, "from_checkpoint")]
    if found and not ready:
        raise UsageError(
            f"suggestions for the {layer} layer come from a training run.",
            hint=f"Give one: layerkit preannotate --layer {layer} --checkpoint RUN "
            "(the -o folder of `layerkit train`).",
        )
    found = ready
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


def from_checkpoint(
    project: Project,
    checkpoint: Path,
    layer: str,
    name: str | None,
    **settings: Any,
) -> list[Preannotator]:
    """The pre-annotators that suggest ``layer`` (``all``: every layer one can suggest from the
    run, bottom-up) from a training run: those registered with a ``from_checkpoint`` method
    (the built-in ones come from the ``layerkit_train`` plugin), made ready for ``checkpoint``."""
    from layerkit.curriculum.build import collect_tasks

    if layer != "all":
        _known_layer(project, layer)
    makers = [p for p in project.preannotators.values() if hasattr(p, "from_checkpoint")]
    if name is not None:
        makers = [p for p in makers if p.name == name]
    order = project.schemas.order
    if layer == "all":
        makers.sort(key=lambda p: order.index(p.layer) if p.layer in order else len(order))
    else:
        makers = [p for p in makers if p.layer == layer]
    if not makers:
        able = sorted(
            p.layer for p in project.preannotators.values() if hasattr(p, "from_checkpoint")
        )
        raise UsageError(
            f"nothing suggests the {layer} layer from a training run.",
            hint=f"A run suggests: {', '.join(able) or 'nothing (is the train plugin there?)'}.",
        )
    if not checkpoint.is_dir():
        raise UsageError(
            f"{checkpoint} is not a folder.",
            hint="Give the -o folder of `layerkit train`.",
        )
    _, tasks = collect_tasks(project.pm, project.schemas)
    made = []
    for maker in makers:
        try:
            made.append(
                maker.from_checkpoint(checkpoint, schemas=project.schemas, tasks=tasks, **settings)
            )
        except UsageError:
            if layer != "all":
                raise  # with "all", a layer the run has no stage for is left out
    if not made:
        raise UsageError(
            f"the run in {checkpoint} has no finished stage for a higher layer.",
            hint="Train one: layerkit train CURRICULUM -o RUN (stages semantic and up).",
        )
    return made


def preannotate(
    project: Project,
    store: Store,
    preannotator: Preannotator,
    *,
    redo: bool = False,
    batch_size: int = 200,
    limit: int | None = None,
    require_done_below: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
) -> PreannotateReport:
    """Run ``preannotator`` over every paragraph of its layer that has no human annotation
    (the first ``limit`` of them). With ``require_done_below``, only paragraphs whose lower
    layers are all done: a model that reads them as context was trained on gold there."""
    layer = preannotator.layer
    origin = f"model:{preannotator.name}@{preannotator.version}"
    ids = store.paragraphs_to_preannotate(layer, redo=redo)
    if limit is not None:
        ids = ids[:limit]
    order = project.schemas.order
    below = order[: order.index(layer)] if layer in order else []
    report = PreannotateReport(model=origin, layer=layer, candidates=len(ids))
    blamed = _blamed_on_its_plugin(project, preannotator)
    # an optional look before the work: a model that would be too slow here says so first
    before_work = getattr(preannotator, "before_work", None)
    if before_work is not None:
        with blamed():
            report.warnings = list(before_work(len(ids)))
        if on_warning is not None:
            for warning in report.warnings:
                on_warning(warning)
    # Batch by batch: read, have it annotated, check, store. A pre-annotator that can work
    # elsewhere meanwhile (``annotate_later``: the tagger on its worker processes) is given
    # the next batch before this process stores the one before it.
    start = getattr(preannotator, "annotate_later", None)
    batch_tokens = getattr(preannotator, "batch_tokens", None)
    # The collector is relaxed (see relaxed_gc): storing makes objects by the hundred thousand
    # while the tagger, loaded here too, keeps millions alive for every full pass to walk.
    with relaxed_gc():
        #: the batch given to the pre-annotator and not stored yet, its results (called for),
        #: and the paragraphs passed once it is stored (see ``_batches``)
        pending: tuple[list[Any], Callable[[], Sequence[Any]], int] | None = None
        for batch, done, last in _batches(
            store, ids, below, batch_size, batch_tokens, require_done_below, report
        ):
            started = None
            if batch:
                inputs: list[ParagraphInput] = batch
                if start is not None:
                    with blamed():
                        started = (batch, start(inputs), done)
                else:
                    # stored at once: a slow model's finished batch is never held back (a run
                    # stopped during the next one keeps it)
                    with blamed():
                        results = preannotator.annotate(inputs)
                    _store_batch(
                        project, store, preannotator, layer, origin, batch, results, report
                    )
            if pending is not None:
                earlier, results_of, passed = pending
                with blamed():
                    results = results_of()
                _store_batch(project, store, preannotator, layer, origin, earlier, results, report)
                if on_progress:
                    on_progress(passed, len(ids))
            if started is None and not last and on_progress:
                on_progress(done, len(ids))  # stored, or nothing in it to annotate
            pending = started
    return report


def _blamed_on_its_plugin(
    project: Project, preannotator: Preannotator
) -> Callable[[], AbstractContextManager[None]]:
    """What runs the pre-annotator's own code: a plugin's that raises is named (exit 2, no
    traceback), as an exporter's or importer's is; a model of a training run (not a plugin's)
    raises as it is."""
    owner = project.owners.get(("pre-annotator", preannotator.name))
    if owner is None or project.preannotators.get(preannotator.name) is not preannotator:
        return nullcontext
    return partial(blamed_on, owner, f"pre-annotator {preannotator.name!r}")


def _batches(
    store: Store,
    ids: Sequence[int],
    below: Sequence[str],
    batch_size: int,
    batch_tokens: int | None,
    require_done_below: bool,
    report: PreannotateReport,
) -> Iterator[tuple[list[Any], int, bool]]:
    """``(batch, paragraphs passed, last)`` of the paragraphs to annotate: read ``batch_size``
    at a time and, for a pre-annotator that names its ``batch_tokens``, gathered into batches
    of up to that many tokens (a longer paragraph is a batch of its own); last comes one empty
    batch (``last`` True), so that the batch before it can be stored. Paragraphs passed (for
    the progress shown once a batch is stored) are those in this batch and the ones before,
    and those read and left out (not ready).

    Why at most: the batch a pre-annotator is given last is stored after all annotating is
    done, while the worker processes wait; a batch twice the size (a very long paragraph
    gathered with others) made that wait twice as long."""
    gathered: list[Any] = []
    tokens = 0
    passed = 0  # handed on in a batch, or left out
    for offset in range(0, len(ids), batch_size):
        # The domain model's paragraphs, with the layers below the one filled: what a model
        # of a higher layer reads its context from.
        read = store.read_paragraphs(ids[offset : offset + batch_size], layers=below)
        if require_done_below:
            ready = [p for p in read if all(_state(p, b) == "done" for b in below)]
            report.not_ready += len(read) - len(ready)
            passed += len(read) - len(ready)
            read = ready
        report.eligible += len(read)
        if batch_tokens is None:
            passed += len(read)
            yield read, passed, False
            continue
        for paragraph in read:
            size = len(paragraph.tokens)
            if gathered and tokens + size > batch_tokens:
                passed += len(gathered)
                yield gathered, passed, False
                gathered, tokens = [], 0
            gathered.append(paragraph)
            tokens += size
    if gathered:
        passed += len(gathered)
        yield gathered, passed, False
    yield [], passed, True


def _store_batch(
    project: Project,
    store: Store,
    preannotator: Preannotator,
    layer: str,
    origin: str,
    batch: list[Any],
    results: Sequence[Any],
    report: PreannotateReport,
) -> None:
    """Check a batch's suggestions whole, then store them (``_write_in_steps``)."""
    if len(results) != len(batch):
        raise InputError(
            f"pre-annotator {preannotator.name!r} returned {len(results)} results for "
            f"{len(batch)} paragraphs.",
            hint="This is a bug in the plugin; nothing from this batch was stored.",
            title="Invalid suggestion",
        )
    checked = []
    for paragraph, drafts in zip(batch, results, strict=True):
        assert paragraph.id is not None
        if isinstance(drafts, InvalidSuggestion):
            report.invalid.append((paragraph.id, drafts.reason))
            continue
        local = {d.local_id: d.to_row() for d in drafts if d.local_id is not None}
        # (a new dict each: completed in place), tidied before they are checked: a relation
        # from a unit to itself is left out, not refused with the whole batch
        rows = _tidied([draft.to_row() for draft in drafts], paragraph.text)
        for row in rows:
            row["annotator"] = row["origin"] = origin
            problem = project.schemas.check_annotation(
                row, text_length=len(paragraph.text), local_ids=local, text=paragraph.text
            ) or check_origin(row)  # (a confidence past 1 made a store no import could read)
            if problem or row["layer"] != layer:
                # (named with its plugin, and the layer said: "wrong layer" said neither)
                owner = project.owners.get(("pre-annotator", preannotator.name))
                whose = f" (plugin {owner!r})" if owner else ""
                problem = problem or (
                    f"it is of layer {row['layer']!r}, not {layer!r}, the layer the "
                    "pre-annotator fills"
                )
                raise InputError(
                    f"pre-annotator {preannotator.name!r}{whose} produced an invalid "
                    f"annotation for paragraph {paragraph.id}: {problem}.",
                    hint="This is a bug in the plugin; nothing from this batch was stored.",
                    title="Invalid suggestion",
                )
        checked.append((paragraph.id, rows))
    _write_in_steps(store, origin, layer, checked, report)


def _tidied(rows: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """A paragraph's suggestions without what no person would be asked to review: a
    relation from a unit to itself (a model linked every logical unit to itself), the same
    relation again (one answer listed a role six times: six identical rows, all made a
    person's by one accept), attribute texts holding unassigned or private code points
    (a connective of «с\U0005bd03acy»; not a text the paragraph holds), and a second label
    where a field holds one (a paragraph's NEU and NEG: the most confident is kept, the first
    of equals)."""
    kept: list[dict[str, Any]] = []
    seen: set[tuple[Any, ...]] = set()
    labels: dict[tuple[Any, ...], int] = {}  # slot → where its label is in ``kept``
    for row in rows:
        if row.get("kind") == "label":
            slot = (row.get("layer"), row.get("field"), row.get("start"))
            if slot in labels:
                before = kept[labels[slot]]
                if (row.get("confidence") or 0) > (before.get("confidence") or 0):
                    kept[labels[slot]] = row
                continue
            labels[slot] = len(kept)
        attrs = row.get("attrs")
        if attrs:
            # (a text the paragraph itself holds is kept: the lemma of a private-use symbol is
            # the symbol, and its token's lemma is required)
            row["attrs"] = {
                key: value
                for key, value in attrs.items()
                if not (isinstance(value, str) and _unreadable(value) and value not in text)
            }
        if row.get("kind") == "relation":
            if row.get("source") is not None and row.get("source") == row.get("target"):
                continue
            same = (
                row.get("layer"),
                row.get("field"),
                row.get("label"),
                row.get("source"),
                row.get("target"),
                json.dumps(row.get("attrs") or {}, sort_keys=True, ensure_ascii=False),
            )
            if same in seen:
                continue
            seen.add(same)
        kept.append(row)
    return kept


def _unreadable(text: str) -> bool:
    """Whether ``text`` holds a code point no font shows: unassigned, private or a surrogate."""
    return any(unicodedata.category(ch) in ("Cn", "Co", "Cs") for ch in text)


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
                chunk = checked[done : done + PARAGRAPHS_PER_WRITE]
                replaced = writer.replace_model_layers(layer, chunk)
                for (_, rows), filled in zip(chunk, replaced, strict=True):
                    if filled:
                        report.filled += 1
                        report.annotations += len(rows)
                        report.empty += not rows
                    else:
                        report.skipped_human += 1
                done += len(chunk)
        if sqlite and done < len(checked):
            time.sleep(SQLITE_PAUSE_SECONDS)


def _state(paragraph: ParagraphInput, layer: str) -> str:
    found = paragraph.states.get(layer)
    return found[0] if found else "todo"
