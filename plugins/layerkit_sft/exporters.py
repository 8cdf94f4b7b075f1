"""``layerkit export sft`` and ``layerkit export dpo``: thin shells over layerkit.curriculum."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from layerkit.curriculum.budget import CONTEXT_MODES, DEFAULT_CONTEXT, DEFAULT_MAX_TOKENS
from layerkit.plugin.reader import StoreReader, store_of
from layerkit.plugin.types import ExportContext, ExportReport

if TYPE_CHECKING:
    from layerkit.curriculum.build import Kind

_COMMON = (
    click.Option(
        ["--stages"],
        metavar="LAYER,...",
        help="Layers to export as stages, comma-separated (default: every layer), in layer order.",
    ),
    click.Option(["--seed"], type=int, default=0, show_default=True, help="Seed of the split."),
    click.Option(
        ["--split"],
        default="0.8,0.1,0.1",
        show_default=True,
        metavar="TRAIN,VAL,TEST",
        help="Shares of train, validation and test, by document.",
    ),
    click.Option(
        ["--include-in-progress"],
        is_flag=True,
        help="Also export layers in progress (default: only layers marked done).",
    ),
    click.Option(
        ["--instructions"],
        type=click.Choice(["ru", "en"]),
        default="ru",
        show_default=True,
        help="Language of the system message and task instructions.",
    ),
    click.Option(
        ["--license"],
        help="License for the dataset card (default: the documents' meta 'license', if one).",
    ),
    click.Option(
        ["--jobs"],
        type=click.IntRange(min=1),
        metavar="N",
        help="Processes that read and encode records side by side (sft without "
        "curriculum_record hooks; default: the CPU count, at most 4). The files are the same.",
    ),
    click.Option(
        ["--context"],
        type=click.Choice(list(CONTEXT_MODES)),
        default=DEFAULT_CONTEXT,
        show_default=True,
        help="How each prompt shows the lower layers' gold annotations: full (each layer's "
        "answer as its own stage asks for it), compact (lemma and UPOS of content words, one "
        "line per predicate, unit or statement) or none.",
    ),
    click.Option(
        ["--max-tokens"],
        type=click.IntRange(min=0),
        default=DEFAULT_MAX_TOKENS,
        show_default=True,
        metavar="N",
        help="Budget of a record (prompt and answer, chat template included). A record over it "
        "shows less context (full layers made compact, then layers left out, farthest below "
        "first); one still over is left out and reported. 0: no budget.",
    ),
    click.Option(
        ["--tokenizer"],
        type=click.Path(file_okay=False, path_type=Path),
        metavar="PATH",
        help="Count tokens with this local Hugging Face tokenizer (a model or tokenizer folder; "
        "its chat template is applied). Without it, tokens are estimated (2.8 UTF-8 bytes a "
        "token, errs long).",
    ),
)


class SftExporter:
    name = "sft"
    description = "hierarchical SFT curriculum: one stage per layer, chat records, manifest, card"
    options = _COMMON

    def export(self, reader: StoreReader, out: Path, context: ExportContext) -> ExportReport:
        return _export(reader, out, context, "sft")


class DpoExporter:
    name = "dpo"
    description = "preference pairs (example vs counterexample; corrected vs suggested), TRL format"
    options = _COMMON

    def export(self, reader: StoreReader, out: Path, context: ExportContext) -> ExportReport:
        return _export(reader, out, context, "dpo")


def _export(reader: StoreReader, out: Path, context: ExportContext, kind: Kind) -> ExportReport:
    # imported here: every command registers the exporters, few run one (the curriculum
    # builder's modules cost 45 ms of each command's start-up)
    from layerkit.curriculum import export_curriculum

    return export_curriculum(store_of(reader), out, context.as_mapping(), kind)
