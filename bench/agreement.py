"""`layerkit agreement` over a store of doubly annotated paragraphs: time and memory by size.

    python bench/agreement.py                  # 2k and 10k paragraphs (builds the store: a minute)
    python bench/agreement.py --sizes 1000     # a quick run

The store is built through the bulk writer from the gold paragraphs of
``sample_corpus/annotated.jsonl`` (their shared layers): each copy is assigned to anna and
boris on all five layers; anna's copy is the gold, boris's the gold with one label in seven
changed to another of its field's labels seen in the sample, both done. Each measurement runs
``layerkit agreement --json`` in a fresh process (start-up included), so its peak resident
memory is the command's own; flat memory means it does not grow with the number of
paragraphs. Goal (issue 16): seconds at 10k paragraphs, memory flat.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
LAYERS = ("lexical", "semantic", "logical", "epistemic", "pragmatic")
PEOPLE = ("anna", "boris")
PER_DOCUMENT = 10

CHILD = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
done = subprocess.run([sys.executable, "-m", "layerkit", "--db", sys.argv[1], "agreement",
                       "--json"], capture_output=True, text=True, check=True)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
layers = json.loads(done.stdout)["layers"]
print(json.dumps({"seconds": seconds, "peak_mib": peak,
                  "items": layers["semantic"]["items"],
                  "frame_f1": layers["semantic"]["metrics"]["frame.f1_exact"]}))
"""


def _templates() -> list[dict[str, Any]]:
    lines = (REPO / "sample_corpus" / "annotated.jsonl").read_text(encoding="utf-8").splitlines()
    return [r for r in map(json.loads, lines) if r.get("type") == "paragraph"]


def _labels(templates: list[dict[str, Any]]) -> dict[tuple[str, str], list[str]]:
    seen: dict[tuple[str, str], set[str]] = {}
    for t in templates:
        for a in t["annotations"]:
            if a.get("label") and "@" not in a["layer"]:
                seen.setdefault((a["layer"], a["field"]), set()).add(a["label"])
    return {k: sorted(v) for k, v in seen.items()}


def _paragraph(template: dict[str, Any], marker: str, labels: dict) -> Any:
    from layerkit.store import NewParagraph

    shared = [a for a in template["annotations"] if "@" not in a["layer"]]
    rows = []
    for who in PEOPLE:
        offset = 100_000 if who == "boris" else 0
        for n, a in enumerate(shared):
            label = a.get("label")
            choices = labels.get((a["layer"], a["field"]), [])
            if who == "boris" and label and n % 7 == 3 and len(choices) > 1:
                label = choices[(choices.index(label) + 1) % len(choices)]
            rows.append(
                {
                    "local_id": a["id"] + offset,
                    "layer": f"{a['layer']}@{who}",
                    "kind": a["kind"],
                    "field": a["field"],
                    "label": label,
                    "start": a.get("start"),
                    "end": a.get("end"),
                    "value": a.get("value"),
                    "attrs": a.get("attrs") or {},
                    "source": a["source"] + offset if a.get("source") is not None else None,
                    "target": a["target"] + offset if a.get("target") is not None else None,
                    "annotator": who,
                    "origin": "human",
                }
            )
    return NewParagraph(
        text=f"{template['text']} ({marker})",
        sentences=template["sentences"],
        tokens=template["tokens"],
        flags=[],
        meta={},
        annotations=rows,
        status={
            f"{layer}@{who}": {"state": "done", "annotator": who}
            for layer in LAYERS
            for who in PEOPLE
        },
        assignments={layer: list(PEOPLE) for layer in LAYERS},
    )


def grow(db: Path, target: int) -> float:
    """Add documents until the store holds ``target`` paragraphs; returns seconds spent."""
    from layerkit.store import NewDocument, Store

    templates = _templates()
    labels = _labels(templates)
    started = time.perf_counter()
    with Store.open(db, layer_order=LAYERS) as store:
        have = store.summary().paragraphs
        doc = have // PER_DOCUMENT
        while have < target:
            with store.bulk(annotator="bench") as writer:
                for _ in range(100):
                    if have >= target:
                        break
                    paragraphs = [
                        _paragraph(templates[(doc + i) % len(templates)], f"{doc}.{i}", labels)
                        for i in range(PER_DOCUMENT)
                    ]
                    writer.add_document(
                        NewDocument(
                            name=f"bench-{doc}", source="bench", format="jsonl", meta={},
                            paragraphs=paragraphs,
                        )
                    )  # fmt: skip
                    have += PER_DOCUMENT
                    doc += 1
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="2000,10000", help="paragraph counts, ascending")
    parser.add_argument("--work", type=Path, help="folder for the store (kept; default: temp)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="layerkit-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    db = work / "agreement.db"
    print("paragraphs  build_s  agreement_s  paragraphs/s  peak_MiB  frame_f1")
    try:
        for size in (int(s) for s in args.sizes.split(",")):
            build = grow(db, size)
            result = subprocess.run(
                [sys.executable, "-c", CHILD, str(db)],
                capture_output=True,
                text=True,
                check=True,
            )
            figures = json.loads(result.stdout.strip().splitlines()[-1])
            assert figures["items"] == size, figures
            print(
                f"{size:>10}  {build:7.1f}  {figures['seconds']:11.1f}  "
                f"{size / figures['seconds']:12.0f}  {figures['peak_mib']:8.1f}  "
                f"{figures['frame_f1']:8.3f}",
                flush=True,
            )
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
