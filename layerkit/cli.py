"""The ``layerkit`` command line. Thin: parse, call, print.

Errors of the ``LayerkitError`` family go to stderr as title, message and hint, with exit code 2;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import errno
import functools
import gc
import json
import math
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

import layerkit
from layerkit import strict_json
from layerkit.atomic import dash_as_stdout, is_special_file
from layerkit.config import resolve_db
from layerkit.drafts import ImportOptions
from layerkit.errors import LayerkitError, PluginError, UsageError

if TYPE_CHECKING:
    from layerkit.project import Project

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class State:
    """Options of the root command, and the project loaded from them on first use."""

    def __init__(self, db: str | None, plugin_paths: Sequence[str]) -> None:
        self.db = resolve_db(db)
        self.plugin_paths = tuple(plugin_paths)
        self._project: Project | None = None

    @property
    def project(self) -> Project:
        if self._project is None:
            # imported here: the project brings in the store (SQLAlchemy, SQLModel), which
            # commands without one (`layerkit tag`) need not pay for at start-up
            from layerkit.project import Project

            self._project = Project.load(self.db, self.plugin_paths)
        return self._project


def display_url(db: str) -> str:
    """The database as shown to people (the store's own function, imported on first use)."""
    from layerkit.store.engine import display_url as show

    return show(db)


pass_state = click.make_pass_decorator(State)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(layerkit.__version__, prog_name="layerkit")
@click.option(
    "--db",
    metavar="PATH_OR_URL",
    help="Database: a SQLite file path or a SQLAlchemy URL. Env LAYERKIT_DB; default ./layerkit.db.",
)
@click.option(
    "--plugin",
    "plugin_paths",
    multiple=True,
    metavar="FILE.py",
    help="Load a plugin module from a file (for plugin development). Repeatable.",
)
@click.pass_context
def cli(ctx: click.Context, db: str | None, plugin_paths: tuple[str, ...]) -> None:
    """layerkit: annotate Russian text in five layers and build training curricula from it."""
    ctx.obj = State(db, plugin_paths)


@cli.command()
@pass_state
def init(state: State) -> None:
    """Create the database (or bring an existing one up to date)."""
    with state.project.open_store(create=True) as store:
        summary = store.summary()
    out.print(
        f"Store ready: {display_url(state.db)} ({summary.documents} documents, {summary.paragraphs} paragraphs)"
    )


@cli.command(name="import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--encoding", help="Read text files in this encoding instead of detecting it.")
@click.option(
    "--format", "importer_name", help="Use this importer for every file (see `layerkit plugins`)."
)
@pass_state
def import_(
    state: State, paths: tuple[Path, ...], encoding: str | None, importer_name: str | None
) -> None:
    """Import files or whole folders (.txt .md .jsonl .conllu ...).

    Everything the command reads appears in the store at once when it has all been written: if
    any file fails, nothing is imported. Annotators can keep saving meanwhile. Importing the same
    content twice adds nothing.
    """
    from layerkit.ingest import import_paths

    project = state.project
    sqlite_file = None if "://" in state.db else Path(state.db)
    created = sqlite_file is not None and not sqlite_file.exists()
    try:
        with project.open_store(create=True) as store, _progress() as progress:
            task = progress.add_task("Importing", total=None)
            report = import_paths(
                project,
                store,
                list(paths),
                options=ImportOptions(encoding=encoding),
                importer_name=importer_name,
                on_file=lambda p: progress.update(task, description=f"Importing {p.name}"),
                on_paragraphs=lambda n: progress.advance(task, n),
            )
    except BaseException:
        if created and sqlite_file is not None:
            # The store did not exist before this command: leave no empty one behind either.
            for suffix in ("", "-wal", "-shm"):
                Path(str(sqlite_file) + suffix).unlink(missing_ok=True)
        raise
    for f in report.files:
        line = (
            f"{f.path}: {f.documents_added} document(s), {f.paragraphs} paragraph(s), "
            f"{f.annotations} annotation(s)"
        )
        stored = f.documents_skipped - f.documents_importing_elsewhere - f.documents_repeated
        if stored:
            line += f", {stored} already in the store (skipped)"
        if f.documents_repeated:
            line += f", {f.documents_repeated} already in this import (skipped)"
        if f.documents_importing_elsewhere:
            line += (
                f", {f.documents_importing_elsewhere} being imported by another run right now "
                "(skipped)"
            )
        if f.duplicates:
            line += f", {f.duplicates} duplicate paragraph(s) recorded"
        if f.encodings - {"utf-8"}:
            line += f" [{', '.join(sorted(f.encodings))}]"
        out.print(line, markup=False)
        for note in f.notes:
            err.print(f"[yellow]note:[/] {escape(str(f.path))}: {escape(note)}")
        for warning in f.warnings:
            err.print(f"[yellow]warning:[/] {escape(str(f.path))}: {escape(warning)}")
        if f.flags:
            flagged = ", ".join(f"{code}: {n}" for code, n in sorted(f.flags.items()))
            err.print(
                f"[yellow]warning:[/] {escape(str(f.path))}: {sum(f.flags.values())} paragraph flag(s) "
                f"({flagged}); text kept as is, flags stored for review."
            )
    if report.skipped_files:
        names = ", ".join(str(p) for p in report.skipped_files[:5])
        more = f" and {len(report.skipped_files) - 5} more" if len(report.skipped_files) > 5 else ""
        err.print(
            f"note: skipped {len(report.skipped_files)} file(s) in folders: {names}{more}",
            markup=False,
        )
    out.print(
        f"Imported {report.total('documents_added')} document(s), "
        f"{report.total('paragraphs')} paragraph(s), {report.total('annotations')} annotation(s)."
    )


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.option(
    "--documents",
    "list_documents",
    is_flag=True,
    help="List the documents instead: id, name and paragraphs (what `assign --documents` takes).",
)
@pass_state
def status(state: State, as_json: bool, list_documents: bool) -> None:
    """Documents, paragraphs and the state of every layer."""
    with state.project.open_store() as store:
        if list_documents:
            sizes = store.document_sizes()
        else:
            summary = store.summary()
    if list_documents:
        if as_json:
            _print_json([{"id": i, "name": name, "paragraphs": n} for i, name, n in sizes])
            return
        table = Table("id", "name", "paragraphs")
        for i, name, n in sizes:
            table.add_row(str(i), name, str(n))
        out.print(table)
        return
    if as_json:
        _print_json(summary.to_json())
        return
    out.print(
        f"{display_url(state.db)}: {summary.documents} documents, {summary.paragraphs} paragraphs "
        f"({summary.flagged} flagged at import, {summary.duplicates} duplicates)",
        markup=False,
    )
    table = Table("layer", "todo", "in progress", "done", "stale", "annotations")
    for layer, counts in summary.layers.items():
        table.add_row(
            layer,
            *(str(counts[s]) for s in ("todo", "in_progress", "done", "stale")),
            str(summary.annotations.get(layer, 0)),
        )
    out.print(table)
    if summary.copies:
        copies = Table(
            "assigned copy", "assigned", "todo", "in progress", "done", "stale",
            title="Independent double annotation (private copies)",
        )  # fmt: skip
        for layer, by_annotator in summary.copies.items():
            for annotator, counts in by_annotator.items():
                copies.add_row(
                    f"{layer}@{annotator}",
                    *(str(counts[s]) for s in ("assigned", "todo", "in_progress", "done", "stale")),
                )
        out.print(copies)


class ExportGroup(click.Group):
    """``layerkit export NAME``: one subcommand per registered exporter, built on demand.

    Each takes ``-o/--output`` plus the ``click.Option`` objects the exporter lists in its
    ``options`` attribute, so ``layerkit export sft --help`` shows the exporter's own options.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(ctx.ensure_object(State).project.exporters)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        project = ctx.ensure_object(State).project
        exporter = project.exporters.get(cmd_name)
        if exporter is None:
            raise UsageError(
                f"no exporter named {cmd_name!r}.",
                hint=f"Available: {', '.join(sorted(project.exporters))}.",
            )

        def run(output: Path, **values: Any) -> None:
            output = dash_as_stdout(output)
            with project.open_store() as store:
                report = project.export(cmd_name, store, output, values)
            counts = ", ".join(f"{n} {what}" for what, n in report.counts.items())
            # with -o /dev/stdout (or a pipe) the summary must not end up in the data
            summary = err if is_special_file(output) else out
            summary.print(f"Wrote {report.path}" + (f": {counts}" if counts else ""), markup=False)
            for note in report.notes:
                err.print(f"note: {note}", markup=False)

        output = click.Option(
            ["-o", "--output"],
            required=True,
            type=click.Path(path_type=Path),
            help="Output path ('-': standard output, for an exporter that writes one file).",
        )
        return click.Command(
            cmd_name,
            callback=run,
            params=[output, *getattr(exporter, "options", ())],
            help=f"Export {exporter.description}.",
            short_help=exporter.description,
        )


@cli.group(name="export", cls=ExportGroup)
def export() -> None:
    """Export the store (jsonl, conllu, sft, dpo, or any exporter a plugin adds)."""


@cli.command()
@click.option(
    "--layer",
    default="lexical",
    show_default=True,
    help="Layer to fill; with --checkpoint, 'all' fills every higher layer the run has a stage of.",
)
@click.option("--model", "model_name", help="Pre-annotator to use when several fill the layer.")
@click.option(
    "--checkpoint",
    type=click.Path(path_type=Path),
    help="A training run (the -o folder of `layerkit train`) whose stage for the layer suggests "
    "it: the higher layers (semantic, logical, epistemic, pragmatic).",
)
@click.option("--stage", help="With --checkpoint: the run's stage to ask (default: the layer's).")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many paragraphs.")
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="With --checkpoint: paragraphs generated together.",
)
@click.option(
    "--max-new-tokens",
    type=click.IntRange(min=1),
    default=512,
    show_default=True,
    help="With --checkpoint: the longest answer; a longer one is counted invalid.",
)
@click.option(
    "--constrain/--no-constrain",
    default=True,
    show_default=True,
    help="With --checkpoint: keep answers to each paragraph's answer grammar (labels from the "
    "schema, quotes from the paragraph), so they are valid by construction.",
)
@click.option(
    "--allow-draft-context",
    is_flag=True,
    help="With --checkpoint: also paragraphs whose lower layers are not done yet (their "
    "in-progress or model annotations become the context).",
)
@click.option(
    "--redo",
    is_flag=True,
    help="Replace earlier model suggestions too (human annotations are never touched).",
)
@click.option("--json", "as_json", is_flag=True, help="Print a summary as JSON.")
@pass_state
def preannotate(
    state: State,
    layer: str,
    model_name: str | None,
    checkpoint: Path | None,
    stage: str | None,
    limit: int | None,
    batch_size: int,
    max_new_tokens: int,
    constrain: bool,
    allow_draft_context: bool,
    redo: bool,
    as_json: bool,
) -> None:
    """Fill a layer with model suggestions wherever no person has annotated it yet."""
    from layerkit.preannotate import choose_preannotator, from_checkpoint
    from layerkit.preannotate import preannotate as run_preannotate

    project = state.project
    if checkpoint is None:
        if layer == "all":
            raise UsageError(
                "--layer all needs --checkpoint RUN.",
                hint="Each higher layer is suggested by the run's stage for it.",
            )
        chosen = [choose_preannotator(project, layer, model_name)]
    else:
        chosen = from_checkpoint(
            project, checkpoint, layer, model_name,
            stage=stage, batch_size=batch_size, max_new_tokens=max_new_tokens,
            constrained=constrain,
        )  # fmt: skip
    reports = []
    with project.open_store() as store, _progress("paragraphs") as progress:
        for preannotator in chosen:
            task = progress.add_task(f"Pre-annotating {preannotator.layer}", total=None)

            def advance(done: int, total: int, task: Any = task) -> None:
                progress.update(task, completed=done, total=total)

            reports.append(
                run_preannotate(
                    project, store, preannotator, redo=redo, limit=limit,
                    require_done_below=checkpoint is not None and not allow_draft_context,
                    batch_size=batch_size if checkpoint is not None else 200,
                    on_progress=advance,
                    on_warning=lambda text: err.print(f"warning: {text}", markup=False),
                )
            )  # fmt: skip
    if as_json:
        _print_json({"layers": [r.to_json() for r in reports]})
        return
    for report in reports:
        _print_preannotate_report(report)


def _print_preannotate_report(report: Any) -> None:
    out.print(
        f"{report.model}: filled {report.filled - report.empty} of {report.candidates} "
        f"paragraph(s) ({report.annotations} annotations)"
        # an answer with nothing to suggest is not a filled paragraph (it is asked again)
        + (f"; {report.empty} answered with nothing to suggest" if report.empty else "")
        + (
            f"; {report.skipped_human} skipped, annotated by a person meanwhile"
            if report.skipped_human
            else ""
        ),
        markup=False,
    )
    if report.not_ready:
        err.print(
            f"note: {report.not_ready} paragraph(s) left out: their lower layers are not all done "
            "(--allow-draft-context takes them too).",
            markup=False,
        )
    if report.invalid:
        err.print(
            f"note: {len(report.invalid)} answer(s) could not be used; nothing stored for them:",
            markup=False,
        )
        for paragraph_id, reason in report.invalid[:20]:
            err.print(f"  ¶ {paragraph_id}: {reason}", markup=False)
        if len(report.invalid) > 20:
            err.print(f"  ... and {len(report.invalid) - 20} more (--json lists all)", markup=False)
    if report.candidates == 0:
        err.print(
            "note: nothing to do: every paragraph already has annotations on this layer "
            "(use --redo to replace model suggestions).",
            markup=False,
        )


@cli.group()
def schema() -> None:
    """Inspect the layer schemas in force."""


@schema.command(name="list")
@pass_state
def schema_list(state: State) -> None:
    """List layers in order with their versions."""
    table = Table("#", "layer", "version", "fields", "description")
    for s in state.project.schemas.layers:
        table.add_row(
            str(s.order), s.layer, s.version, ", ".join(f.name for f in s.fields), s.description
        )
    out.print(table)


@schema.command(name="show")
@click.argument("layer")
@click.option("--json", "as_json", is_flag=True, help="Print the schema as JSON.")
@pass_state
def schema_show(state: State, layer: str, as_json: bool) -> None:
    """Show a layer's fields and labels with descriptions and examples."""
    s = state.project.schemas.get(layer)
    if as_json:
        _print_json(s.model_dump(mode="json"))
        return
    out.print(f"[bold]{s.title}[/] ({s.layer} {s.version}): {s.description}")
    for f in s.fields:
        required = "required" if f.required else "optional"
        out.print(f"\n[bold]{f.name}[/] — {f.kind}, scope {f.scope}, {required}. {f.description}")
        for a in f.attributes:
            choices = f" ({'|'.join(a.choices)})" if a.choices else ""
            extra = "".join(
                [
                    f", default {json.dumps(a.default, ensure_ascii=False)}"
                    if a.default is not None
                    else "",
                    f", key {a.key}" if a.key else "",
                ]
            )
            out.print(
                f"  attribute {a.name}: {a.type}{choices}{extra} {a.description}", markup=False
            )
        if f.ordered:
            out.print(
                f"  ordered: {' < '.join(f.label_names)} is an ordinal scale "
                "(`layerkit agreement` adds ordinal alpha)",
                markup=False,
            )
        if f.link_on_label:
            out.print(
                f"  linked when labelled: a {'/'.join(f.source_labels)} span is linked to the "
                f"{'/'.join(f.target_labels)} labelled last in its sentence (else the nearest)",
                markup=False,
            )
        if f.labels:
            table = Table("key", "label", "description", "example")
            for label in f.labels:
                table.add_row(label.key or "", label.name, label.description, label.example)
            out.print(table)


def _names(value: str | None) -> list[str]:
    """The comma-separated names of ``value``, each once, in order (spaces collapsed, NFC: as
    the store keeps annotators' names, :func:`~layerkit.project.annotator_name`)."""
    from layerkit.project import annotator_name

    named = dict.fromkeys(annotator_name(part) for part in (value or "").split(","))
    return [name for name in named if name]


@cli.command()
@click.option(
    "--layers",
    metavar="L1,L2,...",
    help="Layers to annotate independently (comma-separated). Default: every layer.",
)
@click.option(
    "--annotators",
    metavar="A,B,...",
    required=True,
    help="Two or more annotators, each annotating the chosen paragraphs on a private copy.",
)
@click.option(
    "--share",
    type=float,
    help="Share of the paragraphs to double-annotate, chosen by whole documents "
    "(default 0.1; 1 with --documents).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the choice.")
@click.option(
    "--documents",
    metavar="NAME,...",
    help="Choose among these documents only (names or ids, comma-separated).",
)
@click.option(
    "--copy-shared/--no-copy-shared",
    default=None,
    help="Start each copy from the shared layer's annotations (e.g. the lexical "
    "pre-annotation), or empty. Asked when the shared layers have work and this is not given.",
)
@click.option("--by", "by", metavar="NAME", help="Who assigns (the audit log). Default: you.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@pass_state
def assign(
    state: State,
    layers: str | None,
    annotators: str,
    share: float | None,
    seed: int,
    documents: str | None,
    copy_shared: bool | None,
    by: str | None,
    as_json: bool,
) -> None:
    """Pick paragraphs (whole documents, reproducibly) that each named annotator annotates
    independently, on a private copy of the layers, blind to the others' copies until every
    copy is done; then `layerkit agreement` compares them."""
    from layerkit.project import annotator_name, default_annotator
    from layerkit.store.assignments import choose_documents

    project = state.project
    order = project.schemas.order
    chosen_layers = _names(layers) if layers is not None else list(order)
    if not chosen_layers:
        raise UsageError(
            f"--layers {layers!r} names no layer.", hint=f"Layers: {', '.join(order)}."
        )
    unknown = [layer for layer in chosen_layers if layer not in order]
    if unknown:
        raise UsageError(f"no layer {unknown[0]!r}.", hint=f"Layers: {', '.join(order)}.")
    people = _names(annotators)
    if len(people) < 2:
        raise UsageError(
            "independent annotation needs two or more annotators.",
            hint="Name them with --annotators, e.g. --annotators anna,boris.",
        )
    with project.open_store() as store:
        sizes = store.document_sizes()
        wanted = _names(documents)
        if wanted:
            known = {str(i): (i, name, n) for i, name, n in sizes}
            known.update({name: (i, name, n) for i, name, n in sizes})
            missing = [w for w in wanted if w not in known]
            if missing:
                raise UsageError(
                    f"no document {missing[0]!r} in {display_url(state.db)}.",
                    hint="`layerkit status --documents` lists their ids and names; give either.",
                )
            sizes = sorted({known[w] for w in wanted})
        if not sizes:
            raise UsageError("the store has no documents to assign.", hint="Import some first.")
        picked = choose_documents(
            sizes, share if share is not None else (1.0 if wanted else 0.1), seed
        )
        ids = store.document_paragraph_ids([i for i, _, _ in picked])
        if copy_shared is None:
            work = store.shared_work(ids, chosen_layers)
            if work:
                shown = ", ".join(f"{layer} in {n}" for layer, n in work.items())
                if not sys.stdin.isatty():
                    raise UsageError(
                        f"the shared layers already have work in the chosen paragraphs ({shown} "
                        "paragraph(s)).",
                        hint="Say whether each copy starts from it: --copy-shared or "
                        "--no-copy-shared.",
                    )
                copy_shared = click.confirm(
                    f"The shared layers already have work here ({shown} paragraph(s)). Start "
                    "each annotator's copy from it (no: start empty)?",
                    default=True,
                    err=True,
                )
        result = store.assign(
            ids,
            chosen_layers,
            people,
            by=annotator_name(by) if by else default_annotator(project),
            copy_shared=bool(copy_shared),
        )
    result.documents = [name for _, name, _ in picked]
    if as_json:
        _print_json({**result.to_json(), "layers": chosen_layers, "annotators": people})
        return
    out.print(
        f"Assigned {', '.join(chosen_layers)} of {len(ids)} paragraph(s) in "
        f"{len(picked)} document(s) to {', '.join(people)}: {result.assignments} new "
        f"assignment(s), {result.already} already there, {result.copied} annotation(s) copied.",
        markup=False,
    )


@cli.group()
def loop() -> None:
    """The suggestion loop: what annotators did with model suggestions."""


@loop.command(name="report")
@click.option("--layer", "layers", multiple=True, help="Only this layer (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@pass_state
def loop_report(state: State, layers: tuple[str, ...], as_json: bool) -> None:
    """Per model version, layer and label: suggestions accepted unchanged, edited, rejected and
    still pending; and annotator time per paragraph with and without suggestions."""
    from layerkit.store.loop import OUTCOMES
    from layerkit.store.loop import loop_report as read_report

    project = state.project
    chosen = list(layers) or list(project.schemas.order)
    with project.open_store() as store:
        report = read_report(store, chosen).to_json()
    if as_json:
        _print_json(report)
        return
    if not report["models"]:
        err.print(
            "note: no model suggestions in this store yet (layerkit preannotate makes some).",
            markup=False,
        )
    for model, per_layer in report["models"].items():
        table = Table("layer", "label", *OUTCOMES, "accepted share", title=model)
        for layer, info in per_layer.items():
            for label, counts in info["labels"].items():
                table.add_row(layer, label, *(str(counts[o]) for o in OUTCOMES), "")
            share = info["accepted_share"]
            table.add_row(
                layer, "all", *(str(info["totals"][o]) for o in OUTCOMES),
                "—" if share is None else f"{share:.0%}", style="bold",
            )  # fmt: skip
        out.print(table)
    timing = Table(
        "layer", "paragraphs with suggestions", "median s", "paragraphs without", "median s",
        title=f"Annotator time per paragraph (pauses over {report['idle_seconds']:.0f} s left out)",
    )  # fmt: skip
    for layer, kinds in report["time_per_paragraph"].items():
        with_, without = kinds.get("with", {}), kinds.get("without", {})
        timing.add_row(
            layer,
            str(with_.get("paragraphs", 0)), str(with_.get("median_seconds") or "—"),
            str(without.get("paragraphs", 0)), str(without.get("median_seconds") or "—"),
        )  # fmt: skip
    out.print(timing)


@cli.command()
@click.option("--layer", "layers", multiple=True, help="Only this layer (repeatable).")
@click.option(
    "--majority",
    type=click.IntRange(min=1),
    help="Merge a unit when at least this many annotators agree on it (default: all).",
)
@click.option("--by", "by", metavar="NAME", help="The adjudicator. Default: you.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@pass_state
def adjudicate(
    state: State, layers: tuple[str, ...], majority: int | None, by: str | None, as_json: bool
) -> None:
    """Merge into the gold what the annotators' copies agree on, wherever every copy of a
    layer is done; what they disagree on is left to decide in `layerkit annotate
    --adjudicate`. Each paragraph's merge is one undoable step of the adjudicator."""
    from layerkit import adjudication
    from layerkit.project import annotator_name, default_annotator

    project = state.project
    for layer in layers:
        if layer not in project.schemas.order:
            raise UsageError(
                f"no layer {layer!r}.", hint=f"Layers: {', '.join(project.schemas.order)}."
            )
    adjudicator = annotator_name(by) if by else default_annotator(project)
    totals: dict[str, dict[str, int]] = {}
    with project.open_store() as store:
        ready = adjudication.ready_to_adjudicate(store, list(layers) or None)
        if not ready:
            raise UsageError(
                "no paragraph has every copy of an assigned layer done yet.",
                hint="`layerkit agreement` shows what is compared; assign with `layerkit "
                "assign`, and each annotator marks their copy done (ctrl+d).",
            )
        for pid, layer in ready:
            comparison = adjudication.compare_copies(store, pid, layer)
            result = adjudication.merge_agreed(
                store, comparison, adjudicator=adjudicator, majority=majority
            )
            total = totals.setdefault(
                layer, {"paragraphs": 0, "agreed": 0, "written": 0, "open": 0, "done": 0}
            )
            total["paragraphs"] += 1
            total["agreed"] += result.agreed
            total["written"] += result.written
            total["open"] += result.disagreements
            total["done"] += result.done
    if as_json:
        _print_json({"adjudicator": adjudicator, "layers": totals})
        return
    table = Table("layer", "paragraphs", "units agreed", "written", "disagreements", "gold done")
    for layer, t in totals.items():
        table.add_row(
            layer, *(str(t[k]) for k in ("paragraphs", "agreed", "written", "open", "done"))
        )
    out.print(table)
    left = sum(t["open"] for t in totals.values())
    if left:
        out.print(
            f"{left} disagreement(s) to decide: `layerkit annotate --adjudicate` shows them "
            "side by side.",
            markup=False,
        )


@cli.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--layer", "layers", multiple=True, help="Only this layer (repeatable).")
@click.option(
    "--by",
    "by",
    type=click.Choice(["label", "pair", "document"]),
    help="Also per label (with confusion tables), per pair of annotators, or per document.",
)
@click.option(
    "--plot",
    "plot",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write a PNG heatmap of each field's confusion table into this folder.",
)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@pass_state
def agreement(
    state: State,
    files: tuple[Path, ...],
    layers: tuple[str, ...],
    by: str | None,
    plot: Path | None,
    as_json: bool,
) -> None:
    """Agreement between annotators, per layer. Without FILES: the private copies of the
    paragraphs assigned with `layerkit assign`, where at least two copies of a layer are
    done. With FILES: layerkit JSONL exports of the same paragraphs, one per annotator (named
    after the file), e.g. each annotator's own store exported with `layerkit export jsonl`;
    paragraphs match by text, and a layer counts where at least two marked it done."""
    from layerkit.agreement.compare import compare_groups, group_versions

    for layer in layers:
        if layer not in state.project.schemas.order:
            raise UsageError(
                f"no layer {layer!r}.", hint=f"Layers: {', '.join(state.project.schemas.order)}."
            )
    chosen = list(layers) or list(state.project.schemas.order)
    slice_by = by if by in ("pair", "document") else None
    if files:
        groups = group_versions(_versions_from_files(state, files))
        results, sliced = compare_groups(groups, state.project.schemas, chosen, by=slice_by)
    else:
        from layerkit.agreement.copies import assigned_annotators, iter_versions

        with state.project.open_store() as store:
            assigned = assigned_annotators(store, chosen)
            if not assigned:
                raise UsageError(
                    f"no paragraph of {display_url(state.db)} is assigned to two annotators"
                    + (f" on {', '.join(chosen)}" if layers else "")
                    + ".",
                    hint="Assign some with `layerkit assign --annotators A,B`, or compare JSONL "
                    "exports: `layerkit agreement A.jsonl B.jsonl`.",
                )
            chosen = [layer for layer in chosen if layer in assigned]
            results, sliced = compare_groups(
                iter_versions(store, chosen), state.project.schemas, chosen, by=slice_by
            )
    written = []
    if plot is not None:
        from layerkit.agreement.plots import write_heatmaps

        written = write_heatmaps(results, plot)
    if as_json:
        data: dict[str, Any] = {"layers": {layer: r.to_json() for layer, r in results.items()}}
        if sliced:
            data[f"by_{by}"] = {
                name: {layer: r.to_json() for layer, r in per_layer.items()}
                for name, per_layer in sliced.items()
            }
        if written:
            data["plots"] = [str(path) for path in written]
        _print_json(data)
        return
    _agreement_table(results)
    if by == "label":
        _label_table(results)
    for name, per_layer in sliced.items():
        out.print(f"\n{by}: {name}", markup=False)
        _agreement_table(per_layer)
    for path in written:
        out.print(f"Wrote {path}", markup=False)


def _label_table(results: Mapping[str, Any]) -> None:
    """Per label: its specific agreement (how often, when one annotator used it, another used
    it at the same place) and how often it was used; then each field's confusion table."""
    table = Table("layer", "field", "label", "agreement", "used")
    for layer, result in results.items():
        for name, labels in result.by_label.items():
            for label, figures in labels.items():
                table.add_row(
                    layer, name, label, _figure(figures["agreement"]), str(figures["support"])
                )
    out.print(table)
    for layer, result in results.items():
        for name, rows in result.confusion.items():
            columns = sorted({c for row in rows.values() for c in row})
            confusion = Table(f"{layer}.{name}", *columns)
            for label, row in rows.items():
                confusion.add_row(label, *(str(row.get(c, "")) for c in columns))
            out.print(confusion)


def _versions_from_files(state: State, files: Sequence[Path]) -> dict[str, list[Any]]:
    from layerkit.agreement.compare import DOCUMENT
    from layerkit.drafts import ImportOptions

    if len(files) < 2:
        raise UsageError(
            "agreement needs two or more files, one per annotator.",
            hint="layerkit agreement anna.jsonl boris.jsonl (or --db with assigned copies).",
        )
    names = [f.stem for f in files]
    if len(set(names)) != len(names):
        names = [str(f) for f in files]
    importer = state.project.importers["jsonl"]
    versions: dict[str, list[Any]] = {}
    for name, path in zip(names, files, strict=True):
        if not path.is_file():
            raise UsageError(f"{path}: no such file.", hint="Check the path of each JSONL file.")
        versions[name] = []
        for document in importer.read(path, ImportOptions()):
            for paragraph in document.paragraphs:
                paragraph.meta[DOCUMENT] = document.name
                versions[name].append(paragraph)
    return versions


#: what the table shows for a measure that has no value (NaN)
UNDEFINED = "— (undefined: too few items, or one value only)"


def _figure(value: float) -> str:
    """A measure as the tables show it: a chance-corrected measure is undefined (NaN) where
    every item has the same value or too few items are compared (a bare ``nan`` said nothing
    of why)."""
    return UNDEFINED if math.isnan(value) else f"{value:.3f}"


def _agreement_table(results: Mapping[str, Any]) -> None:
    # The measure's name whole (at 80 columns it read "morph.feats.Anim…"); the annotators'
    # names and the values' words fold instead.
    table = Table("layer", "¶", "annotators")
    table.add_column("measure", no_wrap=True)
    table.add_column("value")
    for layer, result in results.items():
        rows = [(k, _figure(v)) for k, v in result.metrics.items()]
        rows += [
            (f"{k} (texts)", ", ".join(f"{r} {n}" for r, n in v.items()))
            for k, v in result.counts.items()
        ]
        if not rows:
            rows = [("—", "no paragraph with this layer done by two annotators")]
        for i, (measure, value) in enumerate(rows):
            first = i == 0
            table.add_row(
                layer if first else "",
                str(result.items) if first else "",
                "\n".join(result.annotators) if first else "",
                measure,
                value,
            )
    out.print(table)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@pass_state
def plugins(state: State, as_json: bool) -> None:
    """List installed plugins, their versions and the hooks each implements."""
    from layerkit.plugin.manager import describe_plugins, get_plugin_manager

    # The plugins are listed even where what they register cannot be used together (two
    # importers of one name, a broken schema): this is the command that shows which plugins
    # there are. The problem is said after the list, and the exit status is 2 as for any
    # command (it refused before, listing nothing).
    infos = describe_plugins(get_plugin_manager(state.plugin_paths))
    try:
        problem: LayerkitError | None = None
        state.project  # noqa: B018 (loading it checks what the plugins register)
    except LayerkitError as exc:
        problem = exc
    if as_json:
        data: list[dict[str, Any]] = [
            {
                "name": i.name,
                "module": i.module,
                "version": i.version,
                "hooks": list(i.hooks),
                "builtin": i.builtin,
            }
            for i in infos
        ]
        _print_json(data)
    else:
        # one hook a line, folded rather than cut where even that is too wide: a plugin
        # author looks for the exact name (at 80 columns it read "register_curriculum_tas…")
        table = Table("plugin", "module", "version")
        table.add_column("hooks", overflow="fold")
        for i in infos:
            table.add_row(
                i.name + ("\n(built-in)" if i.builtin else ""),
                i.module,
                i.version or "-",
                "\n".join(i.hooks),
            )
        out.print(table)
    if problem is not None:
        raise problem


@cli.command()
@click.option(
    "--annotator",
    metavar="NAME",
    help="Whose edits these are (undo, conflicts, audit). "
    "Default: $LAYERKIT_ANNOTATOR, the project's `annotator`, $USER.",
)
@click.option(
    "--adjudicate",
    "adjudicating",
    is_flag=True,
    help="Open at the first paragraph whose private copies are all done, with their "
    "disagreements side by side (ctrl+g there at any time).",
)
@click.option(
    "--majority",
    type=click.IntRange(min=1),
    help="When adjudicating, merge a unit at least this many annotators agree on (default: "
    "all of them).",
)
@pass_state
def annotate(state: State, annotator: str | None, adjudicating: bool, majority: int | None) -> None:
    """Annotate the store's paragraphs in the terminal, layer by layer, from the keyboard."""
    from layerkit.tui import create_app

    app = create_app(
        state.db, annotator, project=state.project, adjudicating=adjudicating, majority=majority
    )
    app.run()
    if app.fatal_error is not None:  # (a database gone: printed as any command's error)
        raise app.fatal_error
    if app.return_code:  # an unexpected error, which Textual printed
        raise click.exceptions.Exit(app.return_code)


def _print_json(data: Any) -> None:
    """``data`` as JSON any reader parses: a measure with no value (NaN) is ``null`` (Python
    wrote ``NaN``, which is not JSON: jq, JavaScript and most parsers refuse it)."""
    click.echo(strict_json.dumps(data))


class _RateColumn(ProgressColumn):
    """Items a second, as the task's own speed estimate gives it (blank until it has one)."""

    def render(self, task: Any) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.1f}/s", style="progress.data.speed")


def _progress(unit: str = "paragraphs") -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        _RateColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        # (off where stderr is no terminal: a bar nobody sees left an empty line in the log)
        disable=not err.is_terminal,
    )


def _plugin_paths_from(argv: Sequence[str]) -> list[str]:
    """``--plugin`` values, read before click parses so plugins can add commands."""
    paths = []
    for i, arg in enumerate(argv):
        if arg == "--plugin" and i + 1 < len(argv):
            paths.append(argv[i + 1])
        elif arg.startswith("--plugin="):
            paths.append(arg.split("=", 1)[1])
    return paths


#: the commands layerkit itself defines (the others come from plugins, built-in ones too)
_CORE_COMMANDS = frozenset(cli.commands)


def _add_plugin_commands(pm: Any) -> None:
    """The commands plugins add (``register_commands``), each run so that a plugin's command
    that raises is named, exit 2, as its exporter would be (it was a traceback, exit 1)."""
    from layerkit.plugin.manager import call_hook, calling_plugin, fix_or_disable

    owners: dict[str, str] = {}
    add = cli.add_command

    def add_command(command: click.Command, name: str | None = None) -> None:
        plugin = calling_plugin() or "?"
        named = name or command.name or ""
        if named in _CORE_COMMANDS or named in owners:
            # the later one replaced the other in silence (`status` printed a plugin's text)
            other = owners.get(named)
            raise PluginError(
                f"plugin {plugin!r} adds the command {named!r}, which "
                + (f"plugin {other!r} adds too." if other else "layerkit has built in."),
                hint=f"{fix_or_disable(plugin)} (give the command a name of its own).",
            )
        add(command, name)
        owners[named] = plugin

    cli.add_command = add_command  # type: ignore[method-assign,assignment]
    try:
        call_hook(pm, "register_commands", cli=cli)
    finally:
        del cli.add_command
    for name, owner in owners.items():
        command = cli.commands.get(name)
        if command is not None:
            command.invoke = _blamed_invoke(command.invoke, owner, name)  # type: ignore[method-assign]


def _blamed_invoke(invoke: Callable[[click.Context], Any], owner: str, name: str) -> Any:
    from layerkit.plugin.manager import blamed_on

    @functools.wraps(invoke)
    def run(ctx: click.Context) -> Any:
        # click's own exits and usage errors are the command's answers, not failures
        # (and the file system's refusals: a read-only disk is not the plugin's doing)
        passing = (click.ClickException, click.exceptions.Exit, click.Abort, OSError)
        with blamed_on(owner, f"the command {name!r}", passing=passing, writes=False):
            return invoke(ctx)

    return run


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if "numpy" not in sys.modules:
        # numpy's OpenBLAS starts one spinning thread per core when numpy is first imported
        # (the plugins import it): 0.1 s of CPU at every start. The tagger, the only heavy
        # numpy user, sizes the pool itself (layerkit.nlp.neural.tagger.set_threads).
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        from layerkit.plugin.manager import get_plugin_manager

        _add_plugin_commands(get_plugin_manager(_plugin_paths_from(args)))
        cli.main(args=args, prog_name="layerkit", standalone_mode=False)
    except LayerkitError as exc:
        return _report(_for_the_command(exc, args))
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.Abort:
        err.print("Aborted.")
        return 1
    except Exception as exc:
        # a database that refuses every write (read-only, disk full) wherever it was written
        from layerkit.store.engine import database_refusal

        refused = database_refusal(exc)
        if refused is not None:
            return _report(_for_the_command(refused, args))
        if isinstance(exc, OSError) and exc.strerror:
            # the file system's refusal (read-only, full, no permission), said plainly
            where = f": {exc.filename}" if exc.filename else ""
            return _report(
                LayerkitError(
                    f"{exc.strerror}{where}.",
                    hint="Check that the path is writable, with space left on its disk.",
                    title="Cannot write" if exc.errno in _WRITE_ERRNOS else "File error",
                )
            )
        raise
    return 0


#: errno values of a file system that refuses a write
_WRITE_ERRNOS = frozenset({errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM})


#: what running a command again after the server came back does, where it is more than that
_AFTER_UNREACHABLE = {
    "import": "run the import again: what it had written is taken back (none of it was shown).",
    "preannotate": "run preannotate again: it goes on where it stopped (what it stored is kept).",
}


def _for_the_command(exc: LayerkitError, args: Sequence[str]) -> LayerkitError:
    """``exc`` with a hint that says what running *this* command again does, for a server
    that went away (every command's hint spoke of imports and preannotate)."""
    from layerkit.errors import DatabaseUnreachable

    values = {i + 1 for i, a in enumerate(args) if a in ("--db", "--plugin")}  # (theirs)
    command = next((a for i, a in enumerate(args) if i not in values and a in cli.commands), "")
    after = _AFTER_UNREACHABLE.get(command)
    if isinstance(exc, DatabaseUnreachable) and after:
        exc.hint = f"Check that the server runs and can be reached, then {after}"
    return exc


def _report(exc: LayerkitError) -> int:
    err.print(f"[bold red]Error: {exc.title}[/]", markup=True)
    err.print(exc.message, markup=False)
    if exc.hint:
        err.print(f"Hint: {exc.hint}", markup=False)
    return exc.exit_code


def run() -> int:
    """The ``layerkit`` console script: ``main``, then an exit that does not walk every object
    still loaded. The interpreter's last collector passes at exit took 0.28 s after tagging a
    file (the model, the dictionaries and the caches are millions of objects); frozen, they are
    skipped (0.05 s). Objects are still finalized as usual; only cycles among them are left
    to the operating system, which frees the whole process anyway."""
    code = main()
    gc.freeze()
    return code


if __name__ == "__main__":
    sys.exit(run())
