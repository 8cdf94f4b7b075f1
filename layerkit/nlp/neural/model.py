"""The network: token encoder (analyzer features and word shape, the frozen slovnet tagger,
characters, suffixes, a small word embedding, optionally navec vectors, treebank convention)
→ BiLSTM over the sentence → heads for UPOS, each FEATS category, lemma letter case and lemma
edit script."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from layerkit.nlp.neural.config import SLOVNET_PADDING, ModelConfig
from layerkit.nlp.neural.features import UPOS, FeatureSpace
from layerkit.nlp.neural.navec_vectors import NavecVectors
from layerkit.nlp.neural.slovnet_morph import SlovnetMorph, load_slovnet_weights

__all__ = [
    "ModelConfig",
    "MorphNet",
    "NavecTable",
    "build_net",
    "forward_numpy",
    "load_net",
    "save_model",
    "to_tensors",
]


class NavecTable(nn.Module):
    """navec's product-quantized vectors, decoded on the fly; frozen and never saved with
    the weights (read from the natasha package at load time)."""

    indexes: torch.Tensor
    codes: torch.Tensor
    _sub: torch.Tensor

    def __init__(self, indexes: torch.Tensor, codes: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("indexes", indexes, persistent=False)
        self.register_buffer("codes", codes, persistent=False)
        self.n_sub = codes.shape[0]
        self.dim = codes.shape[0] * codes.shape[2]
        self.register_buffer("_sub", torch.arange(self.n_sub), persistent=False)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        idx = self.indexes[ids.reshape(-1)].long()  # (N, n_sub)
        vec = self.codes[self._sub, idx]  # (N, n_sub, sub_dim)
        return vec.reshape(*ids.shape, self.dim)


class CharCNN(nn.Module):
    def __init__(self, n_chars: int, dim: int, filters: int) -> None:
        super().__init__()
        self.emb = nn.Embedding(n_chars, dim, padding_idx=0)
        self.conv2 = nn.Conv1d(dim, filters // 2, kernel_size=2, padding=1)
        self.conv3 = nn.Conv1d(dim, filters, kernel_size=3, padding=1)
        self.out_dim = filters + filters // 2 + dim

    def forward(self, chars: torch.Tensor) -> torch.Tensor:
        shape = chars.shape[:-1]
        flat = chars.reshape(-1, chars.shape[-1])
        mask = (flat > 0).unsqueeze(1)
        x = self.emb(flat).transpose(1, 2)  # (N, dim, L)
        # ReLU outputs are >= 0, so zeroing the padding leaves the max-pool unchanged
        a = torch.relu(self.conv3(x)).masked_fill(~mask, 0.0).amax(dim=2)
        b = torch.relu(self.conv2(x))[:, :, : flat.shape[1]].masked_fill(~mask, 0.0).amax(dim=2)
        # the last character's embedding: Russian inflection lives at the end of the word
        last = (flat > 0).sum(dim=1).clamp(min=1) - 1
        tail = x[torch.arange(flat.shape[0]), :, last]
        out = torch.cat([a, b, tail], dim=1)
        return out.reshape(*shape, self.out_dim)


class Heads(nn.Module):
    """All output layers as one matrix product (UPOS, every FEATS category, lemma case, lemma
    script), shared by the conventions, plus a per-convention correction that starts at 0."""

    def __init__(
        self, in_dim: int, sizes: list[int], n_conventions: int, per_convention: bool
    ) -> None:
        super().__init__()
        self.sizes = sizes
        self.total = sum(sizes)
        self.n_conv = n_conventions
        self.shared = nn.Linear(in_dim, self.total)
        self.delta = nn.Linear(in_dim, self.total * n_conventions) if per_convention else None
        if self.delta is not None:
            nn.init.zeros_(self.delta.weight)
            nn.init.zeros_(self.delta.bias)

    def forward(self, h: torch.Tensor, conv: torch.Tensor) -> list[torch.Tensor]:
        if self.delta is None:
            out = self.shared(h)
        elif not self.training and bool((conv == conv[0]).all()):
            # one convention in the batch (always so when tagging): fold its correction into
            # the shared matrix and skip the other conventions' products
            c = int(conv[0])
            w = self.delta.weight.view(self.n_conv, self.total, -1)[c]
            bias = self.delta.bias.view(self.n_conv, self.total)[c]
            out = F.linear(h, self.shared.weight + w, self.shared.bias + bias)
        else:
            d = self.delta(h).view(*h.shape[:-1], self.n_conv, self.total)
            ix = conv.view(-1, 1, 1, 1).expand(-1, h.shape[1], 1, self.total)
            out = self.shared(h) + d.gather(2, ix).squeeze(2)
        return list(out.split(self.sizes, dim=-1))


class MorphNet(nn.Module):
    """``forward(batch)`` → logits: ``upos`` (B, T, 17), ``feats`` (one (B, T, values) per
    category), ``case`` and ``script`` (the lemma's)."""

    def __init__(
        self,
        cfg: ModelConfig,
        navec: NavecTable | None = None,
        slovnet: SlovnetMorph | None = None,
    ) -> None:
        super().__init__()
        self.cfg = cfg
        self.navec = navec if cfg.use_navec or cfg.use_slovnet else None
        self.slovnet = slovnet if cfg.use_slovnet else None
        in_dim = cfg.n_dense + cfg.conv_dim
        self.conv_emb = nn.Embedding(cfg.n_conventions, cfg.conv_dim)
        if cfg.use_words:
            self.word_emb = nn.Embedding(cfg.n_words, cfg.word_dim, padding_idx=0)
            in_dim += cfg.word_dim
        if cfg.use_navec:
            in_dim += cfg.navec_dim
        if self.slovnet is not None:
            in_dim += self.slovnet.out_dim
        if cfg.use_chars:
            self.chars = CharCNN(cfg.n_chars, cfg.char_dim, cfg.char_filters)
            in_dim += self.chars.out_dim
        if cfg.use_suffixes:
            self.suffix_emb = nn.Embedding(cfg.n_suffixes, cfg.suffix_dim, padding_idx=0)
            in_dim += cfg.suffix_dim * cfg.n_suffix_slots
        self.inp = nn.Sequential(
            nn.Dropout(cfg.dropout / 2), nn.Linear(in_dim, cfg.input_dim), nn.ReLU()
        )
        self.drop = nn.Dropout(cfg.dropout)
        self.lstm = nn.LSTM(
            cfg.input_dim,
            cfg.hidden,
            num_layers=cfg.layers,
            bidirectional=True,
            batch_first=True,
            dropout=cfg.dropout if cfg.layers > 1 else 0.0,
        )
        out_dim = 2 * cfg.hidden + cfg.input_dim + cfg.conv_dim
        sizes = [cfg.n_upos, *cfg.feat_sizes, cfg.n_case_modes, cfg.n_scripts]
        self.heads = Heads(out_dim, sizes, cfg.n_conventions, cfg.per_convention_heads)
        self.cand_bias = nn.Parameter(torch.tensor(2.0))

    @property
    def shape_index(self) -> dict[str, int] | None:
        return self.slovnet.shape_index if self.slovnet is not None else None

    def forward(self, batch: dict[str, torch.Tensor]) -> dict[str, Any]:
        lengths = batch["lengths"]
        conv = self.conv_emb(batch["conv"])  # (B, conv_dim)
        t = batch["dense"].shape[1]
        conv_t = conv.unsqueeze(1).expand(-1, t, -1)
        parts = [batch["dense"], conv_t]
        if self.cfg.use_words:
            parts.append(self.word_emb(batch["word_ids"]))
        if self.navec is not None:
            if self.cfg.use_navec:
                parts.append(self.navec(batch["navec_ids"]))
            if self.slovnet is not None:
                # one padding position more than the batch needs (see SLOVNET_PADDING)
                ids = F.pad(batch["navec_ids"], (0, SLOVNET_PADDING))
                shapes = F.pad(batch["shape_ids"], (0, SLOVNET_PADDING))
                mask = torch.arange(t + SLOVNET_PADDING)[None, :] < lengths[:, None]
                parts.append(self.slovnet(self.navec(ids), shapes, mask.float())[:, :t])
        if self.cfg.use_chars:
            parts.append(self.chars(batch["chars"]))
        if self.cfg.use_suffixes:
            s = self.suffix_emb(batch["suffix_ids"])
            parts.append(s.reshape(*s.shape[:2], -1))
        x = self.inp(torch.cat(parts, dim=-1))
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        h, _ = self.lstm(packed)
        h, _ = pad_packed_sequence(h, batch_first=True, total_length=t)
        h = self.drop(torch.cat([h, x, conv_t], dim=-1))
        upos, *rest = self.heads(h, batch["conv"])
        *feats, case, script = rest
        if self.cfg.use_cand_bias:
            script = script + self.cand_bias * batch["cand"]
        return {"upos": upos, "feats": feats, "case": case, "script": script}


def to_tensors(batch: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """``tagger.collate``'s numpy arrays as torch tensors (sharing their memory)."""
    return {k: torch.from_numpy(v) for k, v in batch.items()}


def forward_numpy(net: MorphNet, batch: dict[str, np.ndarray]) -> dict[str, Any]:
    """``net`` in eval mode on a ``collate``d batch, its logits as float32 numpy arrays (the
    shape of ``NumpyMorphNet.forward``'s output)."""
    with torch.inference_mode():
        out = net.eval()(to_tensors(batch))
        return {
            "upos": out["upos"].numpy(),
            "feats": [x.numpy() for x in out["feats"]],
            "case": out["case"].numpy(),
            "script": out["script"].numpy(),
        }


def build_net(cfg: ModelConfig, navec: NavecVectors | None) -> MorphNet:
    table = None
    slovnet = None
    if cfg.use_navec or cfg.use_slovnet:
        if navec is None:
            raise ValueError("this model needs the navec vectors")
        table = NavecTable(torch.from_numpy(navec.indexes), torch.from_numpy(navec.codes))
    if cfg.use_slovnet:
        slovnet = SlovnetMorph(load_slovnet_weights(), list(UPOS))
    return MorphNet(cfg, table, slovnet)


def load_net(cfg: ModelConfig, navec: NavecVectors | None, weights: Path) -> MorphNet:
    """The torch network with the weights of a ``model.safetensors`` (float16 on disk, used
    as float32), in eval mode."""
    from safetensors.torch import load_file

    net = build_net(cfg, navec)
    state = {
        k: v.float() if v.is_floating_point() else v for k, v in load_file(str(weights)).items()
    }
    net.load_state_dict(state, strict=True)
    return net.eval()


def save_model(
    out_dir: Path,
    net: MorphNet,
    space: FeatureSpace,
    allowed: np.ndarray,
    *,
    version: str,
    meta: dict[str, Any],
) -> None:
    from safetensors.torch import save_file

    from layerkit.atomic import umasked
    from layerkit.nlp.neural.tagger import CONFIG, NAME, WEIGHTS

    out_dir.mkdir(parents=True, exist_ok=True)
    # float16 on disk halves the download; the weights are used as float32
    state = {
        k: (v.detach().half() if v.is_floating_point() else v.detach()).contiguous()
        for k, v in net.state_dict().items()
    }
    save_file(state, str(out_dir / WEIGHTS), metadata={"name": NAME, "version": version})
    # safetensors creates the file private (0600); a model folder is an output to share
    (out_dir / WEIGHTS).chmod(umasked(0o666))
    config = {
        "name": NAME,
        "version": version,
        "model": net.cfg.to_json(),
        "space": space.to_json(),
        "allowed": allowed.astype(int).tolist(),
        "meta": meta,
    }
    (out_dir / CONFIG).write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
