"""The dataset card (README.md) of a curriculum, in Hugging Face dataset-card form.

The YAML front matter declares one config per stage with the data files of its non-empty splits,
so ``datasets.load_dataset(DIR, "02-semantic")`` or ``load_dataset("json", data_files=...)``
reads it; the body is written from the manifest alone (counts, labels, annotators, license).
"""

from __future__ import annotations

import json
from typing import Any

_HF_LICENSES = {
    "apache-2.0",
    "mit",
    "cc-by-4.0",
    "cc-by-sa-4.0",
    "cc-by-nc-4.0",
    "cc-by-nc-sa-4.0",
    "cc0-1.0",
    "odc-by",
    "other",
    "unknown",
}


def _yaml(value: str) -> str:
    """A YAML scalar: JSON strings are valid YAML flow scalars."""
    return json.dumps(value, ensure_ascii=False)


def render_card(manifest: dict[str, Any]) -> str:
    license_id = str(manifest["license"]).lower()
    lines = ["---", "language:", "- ru"]
    lines.append(f"license: {license_id if license_id in _HF_LICENSES else 'other'}")
    if license_id not in _HF_LICENSES:
        lines.append(f"license_name: {_yaml(str(manifest['license']))}")
    lines += [
        f"pretty_name: {_yaml('layerkit ' + manifest['kind'].upper() + ' curriculum')}",
        "task_categories:",
        "- text-generation",
        "tags:",
        "- layerkit",
        "- russian",
        f"- {manifest['kind']}",
        "configs:",
    ]
    for stage in manifest["stages"]:
        files = [(s, f) for s, f in stage["files"].items() if f["records"]]
        if not files:
            continue
        lines.append(f"- config_name: {_yaml(stage['name'])}")
        lines.append("  data_files:")
        for split, f in files:
            lines.append(f"  - split: {split}")
            lines.append(f"    path: {_yaml(f['path'])}")
    lines.append("---")
    lines.append("")
    body = _body(manifest)
    return "\n".join(lines) + "\n" + body


def _body(manifest: dict[str, Any]) -> str:
    kind = manifest["kind"]
    what = (
        "chat records (`messages` with system, user and assistant turns, and `meta`)"
        if kind == "sft"
        else "preference pairs in TRL's conversational format (`prompt`, `chosen`, `rejected`, "
        "and `meta`)"
    )
    out = [
        f"# layerkit {kind.upper()} curriculum",
        "",
        f"A hierarchical curriculum over Russian paragraphs, built by layerkit "
        f"{manifest['layerkit_version']}: one stage per annotation layer, in order "
        f"({', '.join(manifest['stage_order'])}). Each stage holds {what}; the prompt of a stage "
        "shows the gold annotations of every lower layer of the same paragraph as context.",
        "",
        "## Stages",
        "",
        "| stage | tasks | train | validation | test |",
        "| --- | --- | --- | --- | --- |",
    ]
    for stage in manifest["stages"]:
        tasks = ", ".join(
            f"`{t['name']}` ({t['answer_format']}, {t['records']})" for t in stage["tasks"]
        )
        counts = [str(stage["files"][s]["records"]) for s in manifest["splits"]]
        out.append(f"| {stage['name']} | {tasks} | " + " | ".join(counts) + " |")
    out += [
        "",
        "Answer formats (`token_table`, `json`, `text`) are described in layerkit's "
        "docs/curriculum.md; `layerkit.curriculum.answers.parse_answer(format, text)` reads "
        "them back.",
        "",
        "## Label distributions",
        "",
    ]
    for stage in manifest["stages"]:
        labels = stage["labels"]
        if not labels:
            continue
        shown = ", ".join(f"{name} {n}" for name, n in sorted(labels.items(), key=lambda x: -x[1]))
        out.append(f"- **{stage['name']}**: {shown}")
    out += ["", "## Annotators", ""]
    annotators = manifest["annotators"]
    out.append(
        ", ".join(f"{name} ({n} records)" for name, n in annotators.items()) or "none recorded"
    )
    snapshot = manifest["store_snapshot"]
    docs = manifest["documents"]
    out += [
        "",
        "## Splits",
        "",
        f"By document, seed {manifest['seed']}, shares "
        + ", ".join(f"{s} {v}" for s, v in manifest["split_shares"].items())
        + f": {docs['train']} / {docs['validation']} / {docs['test']} documents. Documents "
        "sharing a paragraph text are kept in one split, so no paragraph text appears in two "
        f"splits (checked at export: {manifest['leak_check']['texts_in_two_splits']} found).",
        "",
        "## Provenance",
        "",
        f"Store snapshot `{snapshot['sha256'][:16]}…` ({snapshot['documents']} documents, "
        f"{snapshot['paragraphs']} paragraphs, {snapshot['annotations']} annotations); only "
        f"layers in state {' or '.join(manifest['states_exported'])} are exported. Schemas: "
        + ", ".join(f"{layer} {v}" for layer, v in manifest["schemas"].items())
        + ". File hashes and token-length statistics are in `manifest.json`.",
        "",
        "## License",
        "",
        f"{manifest['license']}"
        + (
            " (from the documents' metadata)."
            if manifest["document_licenses"]
            and manifest["license"] in manifest["document_licenses"]
            else "."
        ),
        "",
        "## Loading",
        "",
        "```python",
        "from datasets import load_dataset",
        "",
    ]
    first = next((s for s in manifest["stages"] if s["records"]), None)
    if first is not None:
        files = {s: f["path"] for s, f in first["files"].items() if f["records"]}
        out.append(f"stage = load_dataset('json', data_files={files!r})")
    out += ["```", ""]
    return "\n".join(out)
