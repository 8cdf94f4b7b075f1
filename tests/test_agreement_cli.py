"""`layerkit agreement`: two annotators' JSONL exports of the same paragraphs, compared per
layer, with figures checked against counts made here."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import REPO

SAMPLE = REPO / "sample_corpus" / "annotated.jsonl"


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "layerkit", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def _boris(lines: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The sample as another annotator left it: 10 UPOS changed, one semantic frame span (and
    its relations) deleted, the first speech act changed. Returns the lines and what changed.
    Only the shared layers count: the private copies (``semantic@anna``) in the sample are not
    what an export compares."""
    out = json.loads(json.dumps(lines))
    paragraphs = [line for line in out if line["type"] == "paragraph"]
    first = paragraphs[0]
    shared = [a for p in paragraphs for a in p["annotations"] if "@" not in a["layer"]]
    frames = sum(1 for a in shared if a["field"] == "frame")
    morph = [a for a in shared if a["field"] == "morph"]
    for a in morph[:10]:
        a["label"] = "X"
    frame = next(
        a
        for a in first["annotations"]
        if a["layer"] == "semantic" and a["field"] == "frame" and a["label"] != "PREDICATE"
    )
    first["annotations"] = [
        a
        for a in first["annotations"]
        if a["id"] != frame["id"]
        and a.get("source") != frame["id"]
        and a.get("target") != frame["id"]
    ]
    act = next(
        a for a in first["annotations"] if a["layer"] == "pragmatic" and a["field"] == "speech_act"
    )
    act["label"] = "QUESTION" if act["label"] != "QUESTION" else "ASSERT"
    return out, {"tokens": len(morph), "frames": frames}


def test_agreement_of_two_exports(tmp_path: Path) -> None:
    lines = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    (tmp_path / "anna.jsonl").write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    boris, sizes = _boris(lines)
    (tmp_path / "boris.jsonl").write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in boris), encoding="utf-8"
    )
    done = _cli(tmp_path, "agreement", "anna.jsonl", "boris.jsonl", "--json")
    assert done.returncode == 0, done.stderr
    layers = json.loads(done.stdout)["layers"]
    assert set(layers) == {"lexical", "semantic", "logical", "epistemic", "pragmatic"}
    for result in layers.values():
        assert result["items"] == 13 and result["annotators"] == ["anna", "boris"]
    lexical = layers["lexical"]["metrics"]
    assert lexical["morph.all_agree"] == (sizes["tokens"] - 10) / sizes["tokens"]
    assert lexical["morph.lemma.alpha"] == 1.0 and lexical["morph.upos.alpha"] < 1.0
    semantic = layers["semantic"]["metrics"]
    n = sizes["frames"]
    assert math.isclose(semantic["frame.f1_exact"], 2 * (n - 1) / (n + n - 1))  # one span less
    kept_roles = semantic["role.f1"]
    assert 0.98 < kept_roles < 1.0  # the deleted span's relations are missing on one side
    assert layers["logical"]["metrics"]["unit.f1_exact"] == 1.0
    assert layers["logical"]["counts"]["unfolding"] == {"anna": 27, "boris": 27}
    pragmatic = layers["pragmatic"]["metrics"]
    assert pragmatic["speech_act.alpha"] < 1.0 and pragmatic["intent.alpha"] == 1.0
    # Cohen's kappa of the speech acts, counted here from the definition
    acts = [
        (a["label"], b["label"])
        for p, q in zip(
            [line for line in lines if line["type"] == "paragraph"],
            [line for line in boris if line["type"] == "paragraph"],
            strict=True,
        )
        for a, b in zip(
            [
                x
                for x in p["annotations"]
                if x["layer"] == "pragmatic" and x["field"] == "speech_act"
            ],
            [
                x
                for x in q["annotations"]
                if x["layer"] == "pragmatic" and x["field"] == "speech_act"
            ],
            strict=True,
        )
    ]
    observed = sum(a == b for a, b in acts) / len(acts)
    labels = {x for pair in acts for x in pair}
    expected = (
        sum(sum(a == c for a, _ in acts) * sum(b == c for _, b in acts) for c in labels)
        / len(acts) ** 2
    )
    assert math.isclose(pragmatic["speech_act.kappa"], (observed - expected) / (1 - expected))
    table = _cli(tmp_path, "agreement", "anna.jsonl", "boris.jsonl", "--layer", "semantic")
    assert (
        table.returncode == 0 and "frame.f1_exact" in table.stdout and "lexical" not in table.stdout
    )
    # at 80 columns every measure's name is there whole (they read "morph.feats.Anim…")
    narrow = subprocess.run(
        [sys.executable, "-m", "layerkit", "agreement", "anna.jsonl", "boris.jsonl"],
        cwd=tmp_path,
        env=dict(os.environ, COLUMNS="80"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert narrow.returncode == 0, narrow.stderr
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 80
    measures = {
        cells[4].strip()
        for line in narrow.stdout.splitlines()
        if len(cells := line.split("│")) == 7 and cells[4].strip()
    }
    assert measures >= set(lexical) | set(semantic) | set(pragmatic)


def test_agreement_needs_two_files_and_known_layers(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    one = _cli(tmp_path, "agreement", "a.jsonl")
    assert one.returncode == 2 and "two or more files" in one.stderr
    bad = _cli(tmp_path, "agreement", "a.jsonl", "a.jsonl", "--layer", "nope")
    assert bad.returncode == 2 and "no layer 'nope'" in bad.stderr


def test_undefined_measures_are_said_and_written_as_json_null(tmp_path: Path) -> None:
    """Where every item has one value a chance-corrected measure is undefined: the table
    printed a bare ``nan``, and ``--json`` wrote ``NaN``, which is not JSON (jq refuses it)."""
    for name in ("anna.jsonl", "boris.jsonl"):
        (tmp_path / name).write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    done = _cli(tmp_path, "agreement", "anna.jsonl", "boris.jsonl", "--layer", "lexical", "--json")
    assert done.returncode == 0, done.stderr

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")

    metrics = json.loads(done.stdout, parse_constant=refuse)["layers"]["lexical"]["metrics"]
    assert metrics["morph.feats.Poss.alpha"] is None  # (one value in the sample: undefined)
    assert metrics["morph.upos.alpha"] == 1.0
    shown = _cli(tmp_path, "agreement", "anna.jsonl", "boris.jsonl", "--layer", "lexical")
    assert "undefined" in shown.stdout and "nan" not in shown.stdout.split()
