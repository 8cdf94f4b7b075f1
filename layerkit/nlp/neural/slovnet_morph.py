"""slovnet's pretrained Russian morphology tagger as a frozen feature extractor.

The natasha wheel ships ``slovnet_morph_news_v1`` (MIT): navec vectors + a word-shape embedding
→ three convolution layers → one softmax over 753 joint "UPOS|FEATS" tags, trained on the
Nerus news corpus. Its numpy runtime is replaced here by an equivalent torch module, so it runs
inside our batches; what our model sees is its last hidden layer and its tag distribution
folded into one probability per UPOS and per feature value.
"""

from __future__ import annotations

import importlib.util
import json
import tarfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

SLOVNET_FILE = "slovnet_morph_news_v1.tar"


def slovnet_path() -> Path | None:
    spec = importlib.util.find_spec("natasha")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "model" / SLOVNET_FILE
    return path if path.is_file() else None


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
    import gzip

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


class SlovnetMorph(nn.Module):
    """Frozen; ``forward(navec_vectors, shape_ids, mask)`` → hidden state (64d) and folded
    probabilities. Every tensor is a non-persistent buffer: nothing of slovnet is saved with
    our weights, it is read from the natasha package at load time."""

    def __init__(self, w: SlovnetWeights, upos: list[str]) -> None:
        super().__init__()
        self.n_layers = len(w.layers)

        def buf(name: str, array: np.ndarray) -> None:
            self.register_buffer(name, torch.from_numpy(array), persistent=False)

        buf("shape_emb", w.shape_emb)
        for i, layer in enumerate(w.layers):
            for key, array in layer.items():
                buf(f"{key}_{i}", array)
        buf("proj_weight", w.proj_weight)
        buf("proj_bias", w.proj_bias)
        labels = marginal_labels(w.tags, upos)
        ix = {label: i for i, label in enumerate(labels)}
        fold = np.zeros((len(w.tags), len(labels)), np.float32)
        for t, tag in enumerate(w.tags):
            pos, _, feats = tag.partition("|")
            if pos in ix:
                fold[t, ix[pos]] = 1.0
            for kv in feats.split("|"):
                if kv in ix:
                    fold[t, ix[kv]] = 1.0
        buf("fold", fold)
        self.hidden_dim = int(w.proj_weight.shape[0])
        self.out_dim = self.hidden_dim + len(labels)
        self.shape_index = {s: i for i, s in enumerate(w.shapes)}

    def _get(self, name: str) -> torch.Tensor:
        t = getattr(self, name)
        assert isinstance(t, torch.Tensor)
        return t

    def forward(
        self, navec: torch.Tensor, shapes: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        x = torch.cat([navec, F.embedding(shapes, self._get("shape_emb"))], dim=-1)
        x = x.transpose(1, 2)
        keep = mask.unsqueeze(1)
        for i in range(self.n_layers):
            x = F.relu(F.conv1d(x, self._get(f"weight_{i}"), self._get(f"bias_{i}"), padding=1))
            mean, std = self._get(f"mean_{i}"), self._get(f"std_{i}")
            scale, shift = self._get(f"norm_weight_{i}"), self._get(f"norm_bias_{i}")
            x = (x - mean[:, None]) / std[:, None] * scale[:, None] + shift[:, None]
            x = x * keep  # padding stays zero, as in slovnet: the output never depends on batching
        h = x.transpose(1, 2)
        probs = torch.softmax(h @ self._get("proj_weight") + self._get("proj_bias"), dim=-1)
        return torch.cat([h, probs @ self._get("fold")], dim=-1)
