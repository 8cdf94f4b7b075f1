"""Commands of the morphology plugin: ``layerkit tag`` and ``layerkit morph train``."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from layerkit.atomic import dash_as_stdout, is_special_file
from layerkit.errors import InputError, UsageError

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
CONVENTION_HELP = (
    "Annotation convention: ud (current UD Russian guidelines, the house style), gsd (UD "
    "Russian-GSD style) or taiga-old (older UD Taiga releases). auto (the default) takes it from "
    "a treebank file's name (ru_gsd-* gsd, ru_taiga-extra-* taiga-old), else from the "
    "annotations a CoNLL-U file already has (который DET or PRON, PronType, digits with Case, "
    "GSD's XPOS tags...), else uses ud; it says which and why."
)


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed} sentences"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,  # (a spinner nobody sees left an empty line in the log)
    )


@click.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option(
    "-o", "--output", required=True, type=click.Path(path_type=Path), help="CoNLL-U file to write."
)
@click.option(
    "--convention",
    type=click.Choice(["auto", "ud", "gsd", "taiga-old"]),
    default="auto",
    show_default=True,
    help=CONVENTION_HELP,
)
@click.option(
    "--tagger",
    "tagger_kind",
    type=click.Choice(["auto", "neural", "rules"]),
    default="auto",
    show_default=True,
    help="auto: the trained model if it can be loaded (natasha installed), else rules.",
)
@click.option("--encoding", help="Encoding of INPUT (detected when not given).")
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Processes to tag with (default: one per core that is free when tagging starts, and "
    "one more while another program keeps a core busy; 1: this process only).",
)
@click.pass_context
def tag(
    ctx: click.Context,
    input_path: Path,
    output: Path,
    convention: str,
    tagger_kind: str,
    encoding: str | None,
    jobs: int | None,
) -> None:
    """Tag INPUT (.conllu keeps its tokenization; .txt/.md are tokenized) into CoNLL-U."""
    from layerkit.nlp.taggers import load_tagger
    from layerkit_ru_morph.tagging import choose_convention, tag_conllu, tag_text

    if not input_path.is_file():
        raise InputError("no such file.", path=input_path, hint="Check the path.")
    output = dash_as_stdout(output)  # (as `export -o -`)
    if output.resolve() == input_path.resolve():
        raise UsageError("OUTPUT must differ from INPUT.", hint="Write to a new file.")
    if convention == "auto":
        convention, why = choose_convention(input_path)
        err.print(f"note: convention {convention}: {why}", markup=False)
    tagger = load_tagger(convention, tagger_kind, processes=jobs)  # type: ignore[arg-type]
    with _progress() as progress:
        task = progress.add_task(f"Tagging {input_path.name}", total=None)
        advance = lambda n: progress.advance(task, n)  # noqa: E731
        if input_path.suffix.lower() == ".conllu":
            report = tag_conllu(input_path, output, tagger, on_sentences=advance, encoding=encoding)
        else:
            # the importers alone, not the whole project: no store to open here
            from layerkit.project import Importers

            importers = Importers.load(ctx.obj.plugin_paths)
            report = tag_text(
                importers, input_path, output, tagger, encoding=encoding, on_sentences=advance
            )
    for warning in report.warnings:
        err.print(f"warning: {input_path}: {warning}", markup=False)
    # with -o /dev/stdout (or a pipe) the summary must not end up in the data
    (err if is_special_file(output) else out).print(
        f"Wrote {output}: {report.sentences} sentences, {report.tokens} tokens "
        f"(model:{tagger.name}@{tagger.version}, convention {convention})",
        markup=False,
    )


@click.group()
def morph() -> None:
    """The Russian morphological tagger: retrain it on your own CoNLL-U."""


@morph.command(name="train")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o", "--output", required=True, type=click.Path(path_type=Path), help="Model folder to write."
)
@click.option(
    "--epochs", type=int, default=None, help="Training epochs (default: the shipped model's)."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
def morph_train(files: tuple[Path, ...], output: Path, epochs: int | None, seed: int) -> None:
    """Train the tagger on gold CoNLL-U FILES and write it to OUTPUT.

    Each file's convention is taken from its name (ru_gsd* → gsd, ru_taiga-extra* → taiga-old,
    anything else → ud). Use the result with LAYERKIT_MORPH_MODEL=OUTPUT.
    """
    try:
        from layerkit.nlp.neural import train
    except ImportError as exc:
        raise UsageError(
            f"training needs the train extra ({exc.name} is missing).",
            hint="pip install torch==2.13.0 'layerkit[train]'",
        ) from exc
    for path in files:
        if not path.is_file():
            raise InputError("no such file.", path=path)
    kwargs = {"seed": seed}
    if epochs is not None:
        kwargs["epochs"] = epochs
    train([Path(f) for f in files], output, **kwargs)
    out.print(f"Model written to {output}", markup=False)
