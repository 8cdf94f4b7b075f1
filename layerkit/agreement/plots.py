"""``layerkit agreement --plot DIR``: a heatmap of each field's confusion table, as PNG.

One image per layer and field (``<layer>.<field>.png``): the labels one annotator gave (rows)
against those another gave at the same place (columns), counted over every pair of
annotators, "—" for nothing there. The diagonal is agreement; a bright cell off it is a pair of
labels the guidelines should tell apart. matplotlib (in the ``train`` extra) draws them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from layerkit.agreement.compare import LayerAgreement
from layerkit.errors import UsageError


def write_heatmaps(results: Mapping[str, LayerAgreement], folder: Path) -> list[Path]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise UsageError(
            "--plot needs matplotlib.",
            hint="pip install 'layerkit[train]' (or matplotlib alone).",
        ) from error
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:  # a file on the way, no right to write there
        raise UsageError(
            f"--plot {folder}: cannot make that folder ({error.strerror or error}).",
            hint="Give --plot a folder that can be made or written to.",
        ) from None
    written = []
    for layer, result in results.items():
        for name, table in result.confusion.items():
            labels = sorted(set(table) | {c for row in table.values() for c in row})
            if not labels:
                continue
            counts = [[table.get(r, {}).get(c, 0) for c in labels] for r in labels]
            size = max(4.0, 0.45 * len(labels) + 2)
            figure, axes = plt.subplots(figsize=(size + 1, size))
            image = axes.imshow(counts, cmap="viridis")
            axes.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=8)
            axes.set_yticks(range(len(labels)), labels, fontsize=8)
            axes.set_xlabel("another annotator")
            axes.set_ylabel("one annotator")
            axes.set_title(f"{layer}.{name}: {', '.join(result.annotators)}")
            top = max(max(row) for row in counts) or 1
            for i, row in enumerate(counts):
                for j, n in enumerate(row):
                    if n:
                        colour = "black" if n > top / 2 else "white"
                        axes.text(j, i, str(n), ha="center", va="center", fontsize=7, color=colour)
            figure.colorbar(image, ax=axes, shrink=0.8)
            figure.tight_layout()
            path = folder / f"{layer}.{name}.png"
            try:
                figure.savefig(path, dpi=110)
            except OSError as error:
                raise UsageError(
                    f"--plot {folder}: cannot write {path.name} ({error.strerror or error}).",
                    hint="Give --plot a folder that can be written to.",
                ) from None
            finally:
                plt.close(figure)
            written.append(path)
    return written
