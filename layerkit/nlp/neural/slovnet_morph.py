"""slovnet's pretrained Russian morphology tagger as a frozen feature extractor, in torch.

(See ``slovnet_weights`` for what slovnet is and where its weights come from.) slovnet's own
numpy runtime is replaced here by an equivalent torch module, so it runs inside our training
batches; ``numpy_model`` computes the same for tagging without torch. What our model sees is
its last hidden layer and its tag distribution folded into one probability per UPOS and per
feature value.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from layerkit.nlp.neural.slovnet_weights import (
    SLOVNET_FILE,
    SlovnetWeights,
    fold_matrix,
    load_slovnet_weights,
    marginal_labels,
    slovnet_path,
)

__all__ = [
    "SLOVNET_FILE",
    "SlovnetMorph",
    "SlovnetWeights",
    "load_slovnet_weights",
    "marginal_labels",
    "slovnet_path",
]


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
        fold = fold_matrix(w.tags, upos)
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
