"""``layerkit export sft`` and ``layerkit export dpo``: thin shells over layerkit.curriculum."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from layerkit.curriculum import export_curriculum
from layerkit.plugin_api import ExportReport
from layerkit.store import Store

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
)


class SftExporter:
    name = "sft"
    description = "hierarchical SFT curriculum: one stage per layer, chat records, manifest, card"
    options = _COMMON

    def export(self, store: Store, out: Path, options: dict[str, Any]) -> ExportReport:
        return export_curriculum(store, out, options, "sft")


class DpoExporter:
    name = "dpo"
    description = "preference pairs (example vs counterexample; corrected vs suggested), TRL format"
    options = _COMMON

    def export(self, store: Store, out: Path, options: dict[str, Any]) -> ExportReport:
        return export_curriculum(store, out, options, "dpo")
