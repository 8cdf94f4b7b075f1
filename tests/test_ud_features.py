"""The features UD Russian permits with each UPOS (layerkit/nlp/ud_features.py)."""

from __future__ import annotations

import json
from pathlib import Path

import conllu
import udtools
from conftest import SHARED

from layerkit.nlp.neural import load_neural_tagger
from layerkit.nlp.taggers import load_tagger
from layerkit.nlp.ud_features import feature_values, is_permitted, only_permitted


def test_the_packaged_table_is_the_ud_validators() -> None:
    """The table shipped with layerkit is the installed UD validator's for ``ru`` (a newer
    validator that permits more makes this fail: copy its table again)."""
    data = Path(udtools.__file__).with_name("data") / "feats.json"
    validator = json.loads(data.read_text(encoding="utf-8"))["features"]["ru"]
    expected = {
        name: {upos: set(values) for upos, values in info["byupos"].items() if values}
        for name, info in validator.items()
        if info.get("permitted")
    }
    packaged = json.loads(
        (Path(__file__).parents[1] / "layerkit" / "nlp" / "ud_features.json").read_text("utf-8")
    )["features"]
    assert {n: {u: set(v) for u, v in by.items()} for n, by in packaged.items()} == expected


def test_features_not_permitted_with_the_upos_are_left_out() -> None:
    assert only_permitted("PROPN", "Case=Gen|Degree=Pos|Number=Sing") == "Case=Gen|Number=Sing"
    assert only_permitted("ADJ", "Case=Gen|Degree=Pos") == "Case=Gen|Degree=Pos"
    assert only_permitted("INTJ", "Degree=Pos") == "_"
    assert only_permitted("NOUN", "_") == "_"
    assert not is_permitted("NOUN", "Case=Xyz") and not is_permitted("NOUN", "Xyz=Yes")
    assert "Dual" in feature_values()["Number"]  # UD Russian has it; the editor takes it


def _forms(name: str) -> list[list[str]]:
    with (SHARED / "data" / "ud" / name).open(encoding="utf-8") as handle:
        return [
            [token["form"] for token in sentence if isinstance(token["id"], int)]
            for sentence in conllu.parse_incr(handle)
        ]


def test_taggers_write_only_features_ud_permits_with_their_upos() -> None:
    """Over every sentence of UD GSD's dev file (where the trained model once left Degree on
    a PROPN, a surname read as the adjective it was made from), with both taggers."""
    sentences = _forms("ru_gsd-ud-dev.conllu")
    for tagger in (load_neural_tagger(processes=1), load_tagger("ud", "rules")):
        for analyses in tagger.tag(sentences):
            for a in analyses:
                assert all(
                    is_permitted(a.upos, item) for item in a.feats.split("|") if item != "_"
                ), a
