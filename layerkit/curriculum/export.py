"""``layerkit export sft|dpo``: stage files, manifest.json and a dataset card, all or nothing.

The manifest is the contract with trainers (``layerkit train`` reads nothing else): it lists the
stages in order, and for each the file of every split with its record count and sha256, the
tasks with their answer formats, and token-length statistics. It holds no timestamps or paths
outside the directory, so the same store and seed give byte-identical directories.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import layerkit
from layerkit.curriculum import formats
from layerkit.curriculum.build import Aside, Builder, Kind, Setup, resolve
from layerkit.curriculum.card import render_card
from layerkit.curriculum.output import MANIFEST, JsonlWriter, atomic_directory
from layerkit.curriculum.splits import SPLITS
from layerkit.gc_pause import relaxed_gc
from layerkit.plugin.reader import StoreReader, store_of
from layerkit.plugin.types import ExportContext, ExportReport
from layerkit.store import Store, corpus

FORMAT = formats.FORMAT
FORMAT_VERSION = formats.FORMAT_VERSION
LENGTH_METHOD = (
    "per record: 'chars' counts Unicode code points, 'words' whitespace-separated words and "
    "'tokens' tokens (see 'token_counter') of the prompt (system + user messages), of the answer "
    "(assistant message; for preference records, chosen and rejected) and of the whole record "
    "('record': prompt and answer, or prompt and the longer of chosen and rejected)"
)


def iter_records(
    reader: StoreReader | Store,
    context: ExportContext | Mapping[str, Any],
    kind: Kind = "sft",
) -> Iterator[dict]:
    """Every record of the curriculum ``layerkit export sft`` (or ``dpo``) would write, in file
    order, with ``meta["split"]`` set: for exporters of other formats (see the Alpaca example in
    docs/plugins.md). ``context`` is the exporter's: its options (``--context``,
    ``--max-tokens``, ``--stages`` ... by name, else the defaults) shape the records."""
    store = store_of(reader) if isinstance(reader, StoreReader) else reader
    options = context.as_mapping() if isinstance(context, ExportContext) else context
    builder = Builder(store, resolve(kind, options))
    with relaxed_gc():
        for _stage, _split, record in builder.records():
            yield record


def export_curriculum(
    store: Store, out: Path, options: Mapping[str, Any], kind: Kind = "sft"
) -> ExportReport:
    """Write the curriculum directory ``out``; returns counts and notes on what was skipped."""
    setup = resolve(kind, options)
    builder = Builder(store, setup)
    with atomic_directory(out) as tmp, relaxed_gc():
        plan = builder.plan_splits()
        writers = {
            (stage.name, split): JsonlWriter(tmp / f"{stage.name}.{split}.jsonl")
            for stage in setup.stages
            for split in SPLITS
        }
        # The store's snapshot (a few aggregate queries: 0.15 s at 100k paragraphs on SQLite,
        # a count over every annotation row on PostgreSQL) is taken as the export starts:
        # with worker processes, by one of them while the others encode the first batches.
        try:
            if builder.parallel():
                # the workers' part files, on the output's file system (removed before the
                # folder is renamed into place; with it if the export fails)
                parts = tmp / ".parts"
                parts.mkdir()
                aside = Aside(corpus.snapshot)
                for chunks in builder.batches(aside=aside, parts=parts):
                    for key, chunk in chunks.items():
                        writers[key].write_chunk(chunk)
                shutil.rmtree(parts)
                snapshot: dict[str, Any] = aside.result
            else:
                snapshot = corpus.snapshot(store)
                for stage, split, line, lengths in builder.lines():
                    writers[stage.name, split].write_line(line, lengths)
        finally:
            for writer in writers.values():
                writer.close()
        manifest = _manifest(setup, builder, writers, snapshot)
        formats.Manifest.model_validate(manifest)  # what trainers will read it with
        (tmp / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        (tmp / "README.md").write_text(render_card(manifest), encoding="utf-8")
    counts: dict[str, int] = {"stages": len(setup.stages)}
    for split in SPLITS:
        counts[f"{split} records"] = sum(w.records for (_, s), w in writers.items() if s == split)
    counts["documents"] = len(plan.by_document)
    return ExportReport(path=out, counts=counts, notes=_notes(manifest, builder))


def _skipped(setup: Setup, builder: Builder, states: dict[str, dict[str, int]]) -> dict:
    out = {}
    for stage in setup.stages:
        reasons: Counter[str] = Counter()
        for state, n in states.get(stage.layer, {}).items():
            if state not in setup.states and n:
                reasons[f"layer {state}"] = n
        reasons.update(builder.stats[stage.name].skipped)
        out[stage.name] = dict(sorted(reasons.items()))
    return out


def _manifest(
    setup: Setup,
    builder: Builder,
    writers: dict[tuple[str, str], JsonlWriter],
    snapshot: dict[str, Any],
) -> dict[str, Any]:
    plan = builder.plan
    assert plan is not None
    licenses = Counter(
        str(meta.get("license")) for _, _, meta in builder.documents.values() if meta.get("license")
    )
    skipped = _skipped(setup, builder, builder.state_counts(snapshot))
    stages = []
    for stage in setup.stages:
        stats = builder.stats[stage.name]
        files = {split: writers[stage.name, split].describe() for split in SPLITS}
        stages.append(
            {
                "name": stage.name,
                "index": stage.index,
                "layer": stage.layer,
                "schema_version": setup.schemas.get(stage.layer).version,
                "context_layers": list(stage.context_layers),
                "tasks": [
                    {
                        "name": task.name,
                        "answer_format": task.answer_format,
                        "context": bool(task.context),
                        "description": getattr(task, "description", ""),
                        "records": stats.tasks.get(task.name, 0),
                    }
                    for task in stage.tasks
                ],
                "paragraphs": stats.paragraphs,
                "records": sum(f["records"] for f in files.values()),
                "files": files,
                "token_lengths": {
                    split: writers[stage.name, split].length_stats() for split in SPLITS
                },
                "labels": dict(sorted(stats.labels.items())),
                "annotators": dict(sorted(stats.annotators.items())),
                "skipped": skipped[stage.name],
                "budget": {
                    "shortened": stats.shortened,
                    "over_budget": stats.over_budget,
                    "over_budget_paragraphs": stats.over_budget_paragraphs,
                },
            }
        )
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": setup.kind,
        "record_format": (
            "chat: {messages: [{role: system|user|assistant, content}], meta}; the last message "
            "is the answer"
            if setup.kind == "sft"
            else "preference (TRL conversational): {prompt: [messages], chosen: [assistant "
            "message], rejected: [assistant message], meta}"
        ),
        "layerkit_version": layerkit.__version__,
        "schemas": {layer: setup.schemas.get(layer).version for layer in setup.schemas.order},
        "store_snapshot": snapshot,
        "seed": setup.options.seed,
        "split_shares": dict(zip(SPLITS, setup.options.split, strict=True)),
        "splits": list(SPLITS),
        "split_by": "document (documents sharing a paragraph text kept together)",
        "instructions": setup.options.instructions,
        "include_in_progress": setup.options.include_in_progress,
        "states_exported": list(setup.states),
        "stage_order": [stage.name for stage in setup.stages],
        "stages": stages,
        "documents": plan.counts(),
        "leak_check": {
            "document_groups": plan.groups,
            "documents_joined_by_duplicates": plan.joined_documents,
            "duplicate_texts_written": builder.duplicates_checked,
            "texts_in_two_splits": 0,
        },
        "dropped_by_plugins": dict(sorted(builder.dropped.items())),
        "annotators": dict(
            sorted(sum((builder.stats[s.name].annotators for s in setup.stages), Counter()).items())
        ),
        "license": setup.options.license
        or (licenses.most_common(1)[0][0] if len(licenses) == 1 else "unknown"),
        "document_licenses": dict(sorted(licenses.items())),
        "token_length_method": LENGTH_METHOD,
        "context": setup.options.context,
        "max_tokens": setup.options.max_tokens,
        "token_counter": setup.counter.description,
    }


def _notes(manifest: dict[str, Any], builder: Builder) -> list[str]:
    notes = []
    for stage in manifest["stages"]:
        reasons = stage["skipped"]
        if reasons:
            shown = ", ".join(f"{n} with {why}" for why, n in reasons.items())
            notes.append(f"{stage['name']}: skipped paragraphs: {shown}.")
        over = stage["budget"]["over_budget"]
        if stage["records"] == 0:
            dropped = builder.stats[stage["name"]].dropped if stage["name"] in builder.stats else 0
            if dropped and not over:  # (said "its tasks found nothing to ask")
                why = "curriculum_record hooks dropped every record: see below"
            elif over:  # (said "its tasks found nothing to ask": the budget took them all)
                why = "every record was over the token budget: see below"
            elif stage["paragraphs"]:
                why = "its tasks found nothing to ask in the paragraphs ready"
            else:
                why = "no paragraph has this layer ready"
            notes.append(f"{stage['name']}: no records ({why}).")
        else:
            empty = [s for s, f in stage["files"].items() if f["records"] == 0]
            if empty:
                why = (
                    "too few documents to split, or their records over the token budget"
                    if over
                    else "too few documents to split, or the --split share is 0"
                )
                notes.append(
                    f"{stage['name']}: no {' or '.join(empty)} records ({why}); the files are "
                    "empty."
                )
        budget = stage["budget"]
        if budget["over_budget"]:
            ids = ", ".join(str(i) for i in budget["over_budget_paragraphs"])
            more = ", …" if budget["over_budget"] > len(budget["over_budget_paragraphs"]) else ""
            notes.append(
                f"{stage['name']}: {budget['over_budget']} record(s) left out: over the budget of "
                f"{manifest['max_tokens']} tokens even without context (paragraphs {ids}{more}); "
                "raise --max-tokens to keep them"
                + (
                    ""
                    if manifest["token_counter"].startswith("tokenizer")
                    else ", or count them exactly with --tokenizer (the estimate errs long)"
                )
                + "."
            )
        if budget["shortened"]:
            notes.append(
                f"{stage['name']}: {budget['shortened']} record(s) show less context to fit "
                f"{manifest['max_tokens']} tokens."
            )
    for plugin, n in builder.dropped.items():
        notes.append(f"plugin {plugin!r} dropped {n} record(s) in curriculum_record.")
    leak = manifest["leak_check"]
    notes.append(
        f"split by document: {sum(manifest['documents'].values())} documents in "
        f"{leak['document_groups']} groups; no paragraph text is in two splits "
        f"({leak['duplicate_texts_written']} duplicated text(s) checked)."
    )
    return notes
