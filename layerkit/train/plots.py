"""forgetting.png and loss.png, drawn with matplotlib's Agg backend (no display needed)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_forgetting(matrix: dict[str, Any], out: Path) -> None:
    """Heat maps of test answer loss (and the task metrics) after each stage, on each stage."""
    plt = _pyplot()
    stages: list[str] = matrix["stages"]
    # Task metrics (accuracy, F1) share one fixed scale from 0 to 1, so a colour means the same
    # in every panel and every run; losses are scaled to their own range.
    panels: list[tuple[str, Any, str, tuple[float, float] | None]] = [
        ("answer loss (lower is better)", matrix["answer_loss"], "viridis_r", None)
    ]
    for name, values in matrix.get("metrics", {}).items():
        panels.append((name.replace("_", " "), values, "viridis", (0.0, 1.0)))
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels) + 1, 3.8), squeeze=False)
    for ax, (title, values, cmap, limits) in zip(axes[0], panels, strict=True):
        grid = [[math.nan if v is None else v for v in row] for row in values]
        vmin, vmax = limits if limits else (None, None)
        image = ax.imshow(grid, cmap=cmap, aspect="auto", vmin=vmin, vmax=vmax)
        ax.set_title(title)
        ax.set_xticks(range(len(stages)), stages, rotation=45, ha="right")
        ax.set_yticks(range(len(stages)), stages)
        ax.set_xlabel("tested on")
        ax.set_ylabel("after training")
        for i, row in enumerate(grid):
            for j, value in enumerate(row):
                if not math.isnan(value):
                    ax.text(
                        j, i, f"{value:.2f}", ha="center", va="center", fontsize=8,
                        color=_text_colour(image.cmap(image.norm(value))),
                    )  # fmt: skip
        fig.colorbar(image, ax=ax, shrink=0.8)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def _text_colour(rgba: Sequence[float]) -> str:
    """Black on light cells (viridis' yellow end), white on dark ones."""
    red, green, blue = rgba[:3]
    return "black" if 0.299 * red + 0.587 * green + 0.114 * blue > 0.55 else "white"


def plot_losses(history: Sequence[dict[str, Any]], validation: dict[str, float], out: Path) -> None:
    """Training loss per optimizer step, one colour per stage, with each stage's validation
    loss at its end."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4))
    stages: list[str] = []
    for entry in history:
        if entry["stage"] not in stages:
            stages.append(entry["stage"])
    for n, stage in enumerate(stages):
        points = [e for e in history if e["stage"] == stage]
        colour = f"C{n % 10}"
        ax.plot(
            [e["global_step"] for e in points],
            [e["loss"] for e in points],
            color=colour,
            label=stage,
        )
        if validation.get(stage) is not None:
            ax.scatter(
                [points[-1]["global_step"]], [validation[stage]], color=colour, marker="D", zorder=3
            )
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("answer-token loss")
    ax.set_title("training loss (line) and validation loss at stage end (diamond)")
    if stages:
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
