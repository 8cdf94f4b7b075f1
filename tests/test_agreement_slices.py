"""`layerkit agreement --by label|pair|document --plot DIR`: where annotators disagree, on
which labels, between whom, in which documents, with figures counted here."""

from __future__ import annotations

import json
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


def _shared(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The sample's shared layers only (its private copies, if any, left out)."""
    out = []
    for line in json.loads(json.dumps(lines)):
        if line["type"] == "paragraph":
            line.pop("assignments", None)
            line["annotations"] = [a for a in line["annotations"] if "@" not in a["layer"]]
            line["status"] = {k: v for k, v in line.get("status", {}).items() if "@" not in k}
        out.append(line)
    return out


def _write(path: Path, lines: list[dict[str, Any]]) -> None:
    path.write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8"
    )


def test_agreement_by_label_pair_and_document_with_heatmaps(tmp_path: Path) -> None:
    anna = _shared([json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()])
    boris = json.loads(json.dumps(anna))
    paragraphs = [line for line in boris if line["type"] == "paragraph"]
    # boris: three NOUN tokens of the first paragraph tagged PROPN, its first speech act another
    nouns = [a for a in paragraphs[0]["annotations"] if a.get("label") == "NOUN"][:3]
    for a in nouns:
        a["label"] = "PROPN"
    act = next(a for a in paragraphs[0]["annotations"] if a["field"] == "speech_act")
    was = act["label"]
    act["label"] = "QUESTION" if was != "QUESTION" else "ASSERT"
    _write(tmp_path / "anna.jsonl", anna)
    _write(tmp_path / "boris.jsonl", boris)
    _write(tmp_path / "carl.jsonl", anna)  # carl agrees with anna on everything

    done = _cli(tmp_path, "agreement", "anna.jsonl", "boris.jsonl", "--json")
    assert done.returncode == 0, done.stderr
    lexical = json.loads(done.stdout)["layers"]["lexical"]
    confusion = lexical["confusion"]["morph"]
    assert confusion["NOUN"]["PROPN"] == confusion["PROPN"]["NOUN"] == 3
    nouns_total = sum(
        1
        for p in anna
        if p["type"] == "paragraph"
        for a in p["annotations"]
        if a.get("label") == "NOUN"
    )
    noun = lexical["by_label"]["morph"]["NOUN"]
    # NOUN used by anna nouns_total times and by boris 3 fewer; agreed on nouns_total - 3
    assert noun["support"] == 2 * nouns_total - 3
    assert noun["agreement"] == 2 * (nouns_total - 3) / (2 * nouns_total - 3)
    pragmatic = json.loads(done.stdout)["layers"]["pragmatic"]
    assert pragmatic["confusion"]["speech_act"][was][act["label"]] == 1

    pairs = _cli(
        tmp_path, "agreement", "anna.jsonl", "boris.jsonl", "carl.jsonl", "--by", "pair", "--json"
    )
    assert pairs.returncode == 0, pairs.stderr
    by_pair = json.loads(pairs.stdout)["by_pair"]
    assert set(by_pair) == {"anna–boris", "anna–carl", "boris–carl"}
    assert by_pair["anna–carl"]["lexical"]["metrics"]["morph.all_agree"] == 1.0
    assert by_pair["anna–boris"]["lexical"]["metrics"]["morph.all_agree"] < 1.0
    assert (
        by_pair["anna–boris"]["lexical"]["metrics"] == by_pair["boris–carl"]["lexical"]["metrics"]
    )

    documents = _cli(
        tmp_path, "agreement", "anna.jsonl", "boris.jsonl", "--by", "document", "--json"
    )
    by_document = json.loads(documents.stdout)["by_document"]
    names = {line["name"] for line in anna if line["type"] == "document"}
    assert set(by_document) == names
    first = next(line["name"] for line in anna if line["type"] == "document")
    for name, layers in by_document.items():
        agree = layers["lexical"]["metrics"]["morph.all_agree"]
        assert (agree < 1.0) == (name == first), name  # the changes are all in the first

    plotted = _cli(
        tmp_path, "agreement", "anna.jsonl", "boris.jsonl", "--layer", "lexical",
        "--by", "label", "--plot", "plots",
    )  # fmt: skip
    assert plotted.returncode == 0, plotted.stderr
    image = tmp_path / "plots" / "lexical.morph.png"
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and image.stat().st_size > 10_000
    assert "NOUN" in plotted.stdout and "agreement" in plotted.stdout  # the per-label table

    (tmp_path / "afile").write_text("not a folder")
    refused = _cli(
        tmp_path, "agreement", "anna.jsonl", "boris.jsonl", "--layer", "lexical",
        "--plot", "afile/sub",
    )  # fmt: skip
    assert refused.returncode == 2, refused.stderr  # (a NotADirectoryError traceback, exit 1)
    assert "cannot make that folder" in refused.stderr and "Traceback" not in refused.stderr
