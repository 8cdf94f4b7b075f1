"""An exported curriculum loads with Hugging Face `datasets`, as trainers read it: every stage
file with the generic JSON loader, and every stage by name through the dataset card."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO

STAGES = ["01-lexical", "02-semantic", "03-logical", "04-epistemic", "05-pragmatic"]


def _layerkit(cwd: Path, *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "layerkit", "--db", str(cwd / "s.db"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr


def test_every_stage_loads_with_datasets(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    _layerkit(tmp_path, "import", str(REPO / "sample_corpus" / "annotated.jsonl"))
    _layerkit(tmp_path, "export", "sft", "-o", "cur")
    cur = tmp_path / "cur"
    manifest = json.loads((cur / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["stage_order"] == STAGES
    # in a fresh interpreter, so the environment above is what `datasets` reads at import
    script = f"""
import json, datasets
out = {{}}
for stage in {STAGES!r}:
    files = {{s: f"{cur}/{{stage}}.{{s}}.jsonl" for s in ("train", "validation", "test")}}
    generic = datasets.load_dataset("json", data_files=files)
    by_card = datasets.load_dataset("{cur}", stage)
    first = generic["train"][0]
    out[stage] = {{
        "generic": {{k: len(v) for k, v in generic.items()}},
        "card": {{k: len(v) for k, v in by_card.items()}},
        "roles": [m["role"] for m in first["messages"]],
        "layer": first["meta"]["layer"],
    }}
# every stage at once, as docs/curriculum.md says (a mixed baseline)
mixed = datasets.concatenate_datasets(
    [datasets.load_dataset("{cur}", stage, split="train") for stage in {STAGES!r}]
)
out["mixed"] = {{
    "rows": len(mixed),
    "layers": sorted(set(m["layer"] for m in mixed["meta"])),
    "claims": sum(m["claim"] is not None for m in mixed["meta"]),
}}
print(json.dumps(out))
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    for stage in STAGES:
        counts = {
            split: manifest_split["records"]
            for split, manifest_split in _splits(manifest, stage).items()
        }
        assert loaded[stage]["generic"] == counts, stage
        assert loaded[stage]["card"] == {k: v for k, v in counts.items() if v}, stage
        assert loaded[stage]["roles"] == ["system", "user", "assistant"]
        assert loaded[stage]["layer"] == stage.split("-", 1)[1]
    trains = sum(_splits(manifest, stage)["train"]["records"] for stage in STAGES)
    assert loaded["mixed"]["rows"] == trains
    assert loaded["mixed"]["layers"] == sorted(s.split("-", 1)[1] for s in STAGES)
    assert loaded["mixed"]["claims"] > 0  # logical's unfoldings keep theirs; the others: None


def _splits(manifest: dict, stage: str) -> dict:
    (entry,) = [s for s in manifest["stages"] if s["name"] == stage]
    return entry["files"]
