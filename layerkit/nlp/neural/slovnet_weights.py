"""slovnet's pretrained Russian morphology tagger: its weights and vocabularies, read from the
natasha wheel, and the matrix that folds its tag distribution into UPOS and FEATS values.

The natasha wheel ships ``slovnet_morph_news_v1`` (MIT): navec vectors + a word-shape embedding
→ three convolution layers → one softmax over 753 joint "UPOS|FEATS" tags, trained on the
Nerus news corpus. No torch here: both runtimes (``slovnet_morph`` for torch, ``numpy_model``)
read the weights through this module.
"""

from __future__ import annotations

import gzip
import json
import tarfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from layerkit.nlp.neural.navec_vectors import natasha_data_file

SLOVNET_FILE = "slovnet_morph_news_v1.tar"


def slovnet_path() -> Path | None:
    return natasha_data_file("model", SLOVNET_FILE)


@dataclass
class SlovnetWeights:
    shape_emb: np.ndarray
    layers: list[dict[str, np.ndarray]]
    proj_weight: np.ndarray  # (in, out)
    proj_bias: np.ndarray
    shapes: list[str]
    tags: list[str]


@lru_cache(maxsize=1)
def load_slovnet_weights() -> SlovnetWeights:
    path = slovnet_path()
    if path is None:
        raise FileNotFoundError(f"{SLOVNET_FILE} not found: install natasha (pip install natasha)")

    with tarfile.open(path) as tar:

        def read(name: str) -> bytes:
            member = tar.extractfile(name)
            if member is None:
                raise FileNotFoundError(name)
            return member.read()

        spec = json.loads(read("model.json"))

        def array(w: dict[str, Any]) -> np.ndarray:
            shape = tuple(int(x) for x in w["shape"])
            data = np.frombuffer(read(f"arrays/{w['array']}.bin"), dtype=str(w["dtype"]))
            return data.reshape(shape).copy()

        def vocab(name: str) -> list[str]:
            return gzip.decompress(read(f"vocabs/{name}.gz")).decode("utf-8").splitlines()

        layers = []
        for layer in spec["encoder"]["layers"]:
            conv, norm = layer["conv"], layer["norm"]
            layers.append(
                {
                    "weight": array(conv["weight"]),
                    "bias": array(conv["bias"]),
                    "norm_weight": array(norm["weight"]),
                    "norm_bias": array(norm["bias"]),
                    "mean": array(norm["mean"]),
                    "std": array(norm["std"]),
                }
            )
        return SlovnetWeights(
            shape_emb=array(spec["emb"]["shape"]["weight"]),
            layers=layers,
            proj_weight=array(spec["head"]["proj"]["weight"]),
            proj_bias=array(spec["head"]["proj"]["bias"]),
            shapes=vocab("shape"),
            tags=vocab("tag"),
        )


def marginal_labels(tags: list[str], upos: list[str]) -> list[str]:
    """The columns of the folded distribution: every UPOS, then every FEATS value slovnet uses."""
    values = sorted(
        {kv for tag in tags for kv in tag.partition("|")[2].split("|") if "=" in kv},
        key=str.lower,
    )
    return [*upos, *values]


def fold_matrix(tags: list[str], upos: list[str]) -> np.ndarray:
    """(tags, labels) 0/1: which UPOS and FEATS values (``marginal_labels``) each tag has, so
    that ``probs @ fold`` is the probability of every UPOS and every feature value."""
    labels = marginal_labels(tags, upos)
    ix = {label: i for i, label in enumerate(labels)}
    fold = np.zeros((len(tags), len(labels)), np.float32)
    for t, tag in enumerate(tags):
        pos, _, feats = tag.partition("|")
        if pos in ix:
            fold[t, ix[pos]] = 1.0
        for kv in feats.split("|"):
            if kv in ix:
                fold[t, ix[kv]] = 1.0
    return fold
