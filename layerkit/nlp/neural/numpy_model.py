"""The network's eval-mode forward pass in numpy (float32): what ``layerkit tag`` runs.

``import torch`` alone costs about 2.3 s of CPU, more than the whole start-up budget of
``layerkit tag``; slovnet and natasha tag with numpy for the same reason. This module computes
what ``model.MorphNet`` (with ``slovnet_morph.SlovnetMorph`` inside) computes in eval mode, from
the same ``model.safetensors`` and ``config.json``, without importing torch: dropout is off, the
BiLSTM runs over each sentence's real tokens only (as ``pack_padded_sequence`` makes torch do),
and padded positions of its output are zero (as ``pad_packed_sequence`` leaves them).

The results equal torch's up to float rounding (the sums run in another order); the test
``tests/test_neural_tagger.py`` compares the two runtimes' outputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from layerkit.nlp.neural.config import SLOVNET_PADDING, ModelConfig
from layerkit.nlp.neural.features import N_POSITIONAL
from layerkit.nlp.neural.navec_vectors import NavecVectors
from layerkit.nlp.neural.slovnet_weights import SlovnetWeights, fold_matrix

F32 = np.float32


def _f32(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=F32)


def _conv_matrix(weight: np.ndarray) -> np.ndarray:
    """A Conv1d weight (out, in, k) as one (k * in, out) matrix for the windows
    ``[x[t - p], ..., x[t - p + k - 1]]`` laid side by side (see ``_windows``)."""
    out, inp, k = weight.shape
    return _f32(weight.transpose(2, 1, 0).reshape(k * inp, out))


def _windows(x: np.ndarray, k: int) -> np.ndarray:
    """(B, T, C) → (B, T, k * C): each position's k neighbours from t - 1 on (zero outside
    the sequence), i.e. a Conv1d with padding 1 as one matrix product (k = 2 or 3)."""
    b, t, c = x.shape
    padded = np.zeros((b, t + 2, c), F32)
    padded[:, 1 : t + 1] = x
    return np.concatenate([padded[:, j : j + t] for j in range(k)], axis=-1)


def _mm(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``x @ w`` for ``x`` of shape (..., K) as one 2-D product: numpy runs a stacked product
    as one small GEMM per leading index, about 20% slower for a batch's (B, T, K)."""
    return (x.reshape(-1, x.shape[-1]) @ w).reshape(*x.shape[:-1], w.shape[-1])


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _activate(
    x: np.ndarray, bias: np.ndarray, scale: np.ndarray, shift: np.ndarray, keep: np.ndarray
) -> None:
    """In place, what follows each of slovnet's convolutions: the bias, ReLU, the folded
    normalisation, and padding positions set back to zero."""
    x += bias
    np.maximum(x, 0.0, out=x)
    x *= scale
    x += shift
    x *= keep


class NumpySlovnet:
    """``SlovnetMorph.forward`` in numpy: navec vectors + shape embedding → three
    convolution layers (ReLU, then slovnet's fixed normalisation, padding kept at zero) → the
    last hidden layer and the tag distribution folded into UPOS and FEATS values."""

    def __init__(self, w: SlovnetWeights, upos: list[str]) -> None:
        self.shape_emb = _f32(w.shape_emb)
        # slovnet's fixed normalisation after each ReLU, (x - mean) / std * weight + bias,
        # folded into one scale and one shift per channel (equal up to float rounding)
        self.layers = []
        for layer in w.layers:
            scale = _f32(layer["norm_weight"]) / _f32(layer["std"])
            shift = _f32(layer["norm_bias"]) - _f32(layer["mean"]) * scale
            self.layers.append(
                (_conv_matrix(layer["weight"]), _f32(layer["bias"]), _f32(scale), _f32(shift))
            )
        self.kernel = int(w.layers[0]["weight"].shape[2]) if w.layers else 3
        # The first convolution's weight split by window offset, side by side: (inputs,
        # kernel * channels). Its input at a position is the token's own (navec vector and
        # shape), so each form's product with it can be computed once and kept (see
        # ``input_rows``); per token only the window's rows are added up.
        if self.layers:
            first, channels = self.layers[0][0], self.layers[0][0].shape[1]
            n_in = first.shape[0] // self.kernel
            self.first_weight = _f32(
                np.concatenate(
                    [first[j * n_in : (j + 1) * n_in] for j in range(self.kernel)], axis=1
                )
            )
            self.first_channels = int(channels)
        self.proj_weight = _f32(w.proj_weight)
        self.proj_bias = _f32(w.proj_bias)
        self.fold = fold_matrix(w.tags, upos)
        self.hidden_dim = int(w.proj_weight.shape[0])
        self.out_dim = self.hidden_dim + self.fold.shape[1]
        self.shape_index = {s: i for i, s in enumerate(w.shapes)}

    def __call__(self, navec: np.ndarray, shapes: np.ndarray, mask: np.ndarray) -> np.ndarray:
        x = np.concatenate([navec, self.shape_emb[shapes]], axis=-1)
        keep = mask[..., None].astype(F32)
        for weight, bias, scale, shift in self.layers:
            x = _mm(_windows(x, self.kernel), weight)
            _activate(x, bias, scale, shift, keep)
        return self._output(x)

    def input_rows(self, navec: np.ndarray, shapes: np.ndarray) -> np.ndarray:
        """(N, kernel * channels): N tokens' shares of the first convolution, one block per
        window offset, from their navec vectors (N, dim) and shape ids (N,)."""
        x = np.concatenate([navec, self.shape_emb[shapes]], axis=-1)
        return _f32(x @ self.first_weight)

    def from_input_rows(self, rows: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """``__call__`` with the first convolution's products given per position
        (``input_rows`` of each position's token, (B, T, kernel * channels)): equal up to float
        rounding, without decoding navec vectors or multiplying them again for a form seen
        before."""
        c, t = self.first_channels, rows.shape[1]
        x = np.zeros((rows.shape[0], t, c), F32)
        for j in range(self.kernel):
            # window offset j reads position i - 1 + j (nothing outside the sequence), as in
            # _windows
            block, d = rows[:, :, j * c : (j + 1) * c], j - 1
            if d == 0:
                x += block
            elif d < 0:
                x[:, -d:] += block[:, : t + d]
            else:
                x[:, : t - d] += block[:, d:]
        keep = mask[..., None].astype(F32)
        _, bias, scale, shift = self.layers[0]
        _activate(x, bias, scale, shift, keep)
        for weight, bias, scale, shift in self.layers[1:]:
            x = _mm(_windows(x, self.kernel), weight)
            _activate(x, bias, scale, shift, keep)
        return self._output(x)

    def _output(self, x: np.ndarray) -> np.ndarray:
        """The last hidden layer and the tag distribution folded into UPOS and FEATS values.

        The softmax is normalised after folding (the fold is linear): its 753 tags are summed
        into 59 values first, so the division runs over those."""
        z = _mm(x, self.proj_weight)
        z += self.proj_bias
        z -= z.max(axis=-1, keepdims=True)
        np.exp(z, out=z)
        folded = _mm(z, self.fold)
        folded /= z.sum(axis=-1, keepdims=True)
        return np.concatenate([x, folded], axis=-1)


def decode_navec(navec: NavecVectors, ids: np.ndarray) -> np.ndarray:
    """navec's product-quantized vectors of ``ids`` (any shape) → (*ids.shape, dim)."""
    n_sub = navec.codes.shape[0]
    idx = np.asarray(navec.indexes[ids.reshape(-1)])  # (N, n_sub) uint8
    vec = navec.codes[np.arange(n_sub), idx]  # (N, n_sub, sub_dim)
    return _f32(vec.reshape(*ids.shape, n_sub * navec.codes.shape[2]))


class NumpyCharCNN:
    """``CharCNN.forward`` in numpy, computed over the real characters only: a token has a
    handful of characters in its row of ``MAX_CHARS``, and the padding positions are masked
    out of the max-pool anyway. Both convolutions are one matrix product over each
    character's window (the previous, the current and the next character)."""

    def __init__(
        self, emb: np.ndarray, w2: np.ndarray, b2: np.ndarray, w3: np.ndarray, b3: np.ndarray
    ):
        dim = emb.shape[1]
        # one row more, all zero: what the convolutions' zero padding reads before the first
        # character and after the last column
        self.emb = _f32(np.vstack([emb, np.zeros((1, dim), emb.dtype)]))
        self.edge = emb.shape[0]
        f3, f2 = w3.shape[0], w2.shape[0]
        # windows are [x[t-1], x[t], x[t+1]]; conv2 (k=2, padding 1, cut to L) sees x[t-1], x[t]
        weight = np.zeros((3 * dim, f3 + f2), F32)
        weight[:, :f3] = _conv_matrix(w3)
        weight[: 2 * dim, f3:] = _conv_matrix(w2)
        self.weight = weight
        self.bias = _f32(np.concatenate([b3, b2]))
        self.dim = dim
        self.out_dim = f3 + f2 + dim

    def __call__(self, chars: np.ndarray) -> np.ndarray:
        shape = chars.shape[:-1]
        flat = chars.reshape(-1, chars.shape[-1])
        n, width = flat.shape
        mask = flat > 0
        counts = mask.sum(axis=1)
        out = np.zeros((n, self.out_dim), F32)
        # the last character's embedding (index 0 for a token without characters, as in torch)
        last = np.maximum(counts, 1) - 1
        out[:, -self.dim :] = self.emb[flat[np.arange(n), last]]
        rows, cols = np.nonzero(mask)
        if len(rows):
            ids = np.full((n, width + 2), self.edge, np.int64)
            ids[:, 1 : width + 1] = flat
            x = np.concatenate(
                [
                    self.emb[ids[rows, cols]],
                    self.emb[ids[rows, cols + 1]],
                    self.emb[ids[rows, cols + 2]],
                ],
                axis=1,
            )
            y = x @ self.weight
            y += self.bias
            np.maximum(y, 0.0, out=y)
            # max over each token's characters (ReLU outputs are >= 0: the same as torch's
            # max over all positions with the padding set to 0)
            heads = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
            out[rows[heads], : -self.dim] = np.maximum.reduceat(y, heads, axis=0)
        return out.reshape(*shape, self.out_dim)


def lstm_direction_order(lengths: np.ndarray, t: int) -> np.ndarray:
    """(B, T) positions that read each sentence backwards over its real tokens: position
    ``i`` of row ``b`` is ``lengths[b] - 1 - i`` for real tokens, and padding stays where it
    is (after them). Its own inverse."""
    pos = np.arange(t)[None, :]
    n = lengths[:, None]
    return np.where(pos < n, n - 1 - pos, pos)


class NumpyLSTM:
    """A multi-layer bidirectional ``nn.LSTM`` (batch_first) in eval mode over padded
    sequences, as torch runs it on a ``PackedSequence``.

    Per layer, both directions' input projections are computed for every time step at once;
    the recurrence then runs both directions together, one (2, B, H) x (2, H, 4H) product per
    step, over the sentences still running at that step (longest first). The reverse
    direction reads each sentence from its own last real token. The gates are kept in the
    order (i, f, o, g) with the rows of i, f, o halved, so that one tanh gives all four:
    sigmoid(x) = (tanh(x / 2) + 1) / 2.
    """

    def __init__(self, state: Mapping[str, np.ndarray], layers: int, hidden: int) -> None:
        self.hidden = hidden
        h = hidden
        order = np.r_[0 : 2 * h, 3 * h : 4 * h, 2 * h : 3 * h]  # i, f, g, o → i, f, o, g
        scale = np.ones((4 * h, 1), F32)
        scale[: 3 * h] = 0.5
        self.layers: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for layer in range(layers):
            w_ih, w_hh, bias = [], [], []
            for suffix in (f"l{layer}", f"l{layer}_reverse"):
                wi = _f32(state[f"weight_ih_{suffix}"])[order] * scale
                wh = _f32(state[f"weight_hh_{suffix}"])[order] * scale
                b = (_f32(state[f"bias_ih_{suffix}"]) + _f32(state[f"bias_hh_{suffix}"]))[order]
                w_ih.append(_f32(wi.T))
                w_hh.append(_f32(wh.T))
                bias.append(b * scale[:, 0])
            # both directions' input weights side by side: one product for the two
            self.layers.append(
                (_f32(np.concatenate(w_ih, axis=1)), np.stack(w_hh), np.concatenate(bias))
            )

    def __call__(self, x: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        b, t, _ = x.shape
        h = self.hidden
        order = np.argsort(-lengths, kind="stable")  # longest first
        lengths_sorted = lengths[order]
        # active[s]: sentences (a prefix, longest first) that still have a token at step s
        active = (lengths_sorted[None, :] > np.arange(t)[:, None]).sum(axis=1)
        rev = lstm_direction_order(lengths_sorted, t)
        rows = np.arange(b)[:, None]
        seq = x[order]
        for w_ih, w_hh, bias in self.layers:
            n_in = seq.shape[-1]
            # every step's input projection, time-major: (T, 2, B, 4H), the reverse direction
            # reading each sentence backwards
            pre = np.empty((t, 2, b, 4 * h), F32)
            proj = seq.reshape(b * t, n_in) @ w_ih
            proj += bias
            proj = proj.reshape(b, t, 2, 4 * h)
            pre[:, 0] = proj[:, :, 0].transpose(1, 0, 2)
            pre[:, 1] = proj[rows, rev, 1].transpose(1, 0, 2)
            out = np.zeros((t, 2, b, h), F32)
            hs = np.zeros((2, b, h), F32)
            cs = np.zeros((2, b, h), F32)
            for step in range(t):
                k = int(active[step])
                if k == 0:
                    break
                z = pre[step, :, :k] + np.matmul(hs[:, :k], w_hh)
                np.tanh(z, out=z)
                ifo = z[..., : 3 * h]
                ifo *= 0.5
                ifo += 0.5
                c = ifo[..., h : 2 * h] * cs[:, :k]
                c += ifo[..., :h] * z[..., 3 * h :]
                cs[:, :k] = c
                np.tanh(c, out=c)
                c *= ifo[..., 2 * h : 3 * h]
                hs[:, :k] = c
                out[step, :, :k] = c
            fwd = out[:, 0].transpose(1, 0, 2)  # (B, T, H)
            bwd = out[:, 1].transpose(1, 0, 2)[rows, rev]
            seq = np.concatenate([fwd, bwd], axis=-1)
        result = np.empty_like(seq)
        result[order] = seq
        return result


class NumpyMorphNet:
    """``MorphNet`` in eval mode, in numpy: ``forward(batch)`` with the numpy arrays of
    ``tagger.collate`` → logits ``upos`` (B, T, 17), ``feats`` (one (B, T, values) per
    category), ``case`` and ``script``."""

    def __init__(
        self,
        cfg: ModelConfig,
        state: Mapping[str, np.ndarray],
        *,
        navec: NavecVectors | None = None,
        slovnet: NumpySlovnet | None = None,
    ) -> None:
        self.cfg = cfg
        if (cfg.use_navec or cfg.use_slovnet) and navec is None:
            raise ValueError("this model needs the navec vectors")
        if cfg.use_slovnet and slovnet is None:
            raise ValueError("this model needs the slovnet weights")
        self.navec = navec if cfg.use_navec or cfg.use_slovnet else None
        self.slovnet = slovnet if cfg.use_slovnet else None
        self.conv_emb = _f32(state["conv_emb.weight"])
        self.word_emb = _f32(state["word_emb.weight"]) if cfg.use_words else None
        self.chars = (
            NumpyCharCNN(
                state["chars.emb.weight"],
                state["chars.conv2.weight"],
                state["chars.conv2.bias"],
                state["chars.conv3.weight"],
                state["chars.conv3.bias"],
            )
            if cfg.use_chars
            else None
        )
        self.suffix_emb = _f32(state["suffix_emb.weight"]) if cfg.use_suffixes else None
        self.inp_weight = _f32(_f32(state["inp.1.weight"]).T)
        self.inp_bias = _f32(state["inp.1.bias"])
        self.lstm = NumpyLSTM(
            {k[len("lstm.") :]: v for k, v in state.items() if k.startswith("lstm.")},
            cfg.layers,
            cfg.hidden,
        )
        self.sizes = [cfg.n_upos, *cfg.feat_sizes, cfg.n_case_modes, cfg.n_scripts]
        total = sum(self.sizes)
        shared_w = _f32(state["heads.shared.weight"])
        shared_b = _f32(state["heads.shared.bias"])
        # the output matrix of each convention, its correction folded in (as torch does when
        # a batch has one convention)
        self.heads: list[tuple[np.ndarray, np.ndarray]] = []
        for c in range(cfg.n_conventions):
            if cfg.per_convention_heads:
                w = (
                    shared_w
                    + _f32(state["heads.delta.weight"]).reshape(cfg.n_conventions, total, -1)[c]
                )
                bias = (
                    shared_b + _f32(state["heads.delta.bias"]).reshape(cfg.n_conventions, total)[c]
                )
            else:
                w, bias = shared_w, shared_b
            self.heads.append((_f32(w.T), _f32(bias)))
        self.cand_bias = float(np.asarray(state["cand_bias"], F32))
        # The lemma-script head is most of the output matrix (hundreds of scripts against
        # about 130 UPOS, FEATS and case values), yet a tagger needs all of a token's script
        # scores only for the few tokens lemmatized by script; the others need the scores of
        # their readings' scripts. So the numpy tagger asks for the other heads
        # (``forward(..., scripts=False)``) and for script scores where it needs them.
        n_main = sum(self.sizes[:-1])
        self._heads_main = [(_f32(w[:, :n_main]), _f32(b[:n_main])) for w, b in self.heads]
        #: per convention: the script head's weights as one row per script, and its bias
        self._heads_script = [(_f32(w[:, n_main:].T), _f32(b[n_main:])) for w, b in self.heads]
        self._split_input_weight()

    def _split_input_weight(self) -> None:
        """The input layer's rows by what they read, in ``forward``'s concatenation order:
        most inputs depend on the form alone (``static_inputs``, computed once per form by
        the tagger); the positional features, the convention and slovnet's contextual
        features are added per token."""
        cfg = self.cfg
        w = self.inp_weight
        n_dense = cfg.n_dense
        rows: dict[str, slice] = {}
        at = 0
        for name, size in (
            ("dense", n_dense - N_POSITIONAL),
            ("positional", N_POSITIONAL),
            ("conv", cfg.conv_dim),
            ("word", cfg.word_dim if self.word_emb is not None else 0),
            ("navec", cfg.navec_dim if self.navec is not None and cfg.use_navec else 0),
            ("slovnet", self.slovnet.out_dim if self.slovnet is not None else 0),
            ("chars", self.chars.out_dim if self.chars is not None else 0),
            ("suffix", cfg.n_suffix_slots * cfg.suffix_dim if self.suffix_emb is not None else 0),
        ):
            rows[name] = slice(at, at + size)
            at += size
        if at != w.shape[0]:
            raise ValueError(f"input layer has {w.shape[0]} rows, the inputs {at}")
        static = ("dense", "word", "navec", "chars", "suffix")
        self._w_static = _f32(np.concatenate([w[rows[k]] for k in static]))
        self._w_positional = _f32(w[rows["positional"]])
        self._w_slovnet = _f32(w[rows["slovnet"]])
        # the convention's embedding through the input layer, with the layer's bias
        self._conv_bias = _f32(self.conv_emb @ w[rows["conv"]] + self.inp_bias)

    def static_inputs(
        self,
        dense: np.ndarray,
        word_ids: np.ndarray,
        navec_ids: np.ndarray,
        chars: np.ndarray,
        suffix_ids: np.ndarray,
    ) -> np.ndarray:
        """(N, input_dim): the input layer's pre-activation share of N forms' context-free
        inputs (``dense`` without its positional columns, word, navec, character and suffix
        ids), so that a form seen again costs a row lookup instead of the character CNN and
        most of the input layer's product."""
        n = len(dense)
        parts = [dense[:, : self.cfg.n_dense - N_POSITIONAL]]
        if self.word_emb is not None:
            parts.append(self.word_emb[word_ids])
        if self.navec is not None and self.cfg.use_navec:
            parts.append(decode_navec(self.navec, navec_ids))
        if self.chars is not None:
            parts.append(self.chars(chars))
        if self.suffix_emb is not None:
            parts.append(self.suffix_emb[suffix_ids].reshape(n, -1))
        return _f32(np.concatenate(parts, axis=-1, dtype=F32) @ self._w_static)

    @classmethod
    def from_state(
        cls,
        cfg: ModelConfig,
        state: Mapping[str, np.ndarray],
        *,
        navec: NavecVectors | None,
        slovnet_weights: SlovnetWeights | None,
        upos: list[str],
    ) -> NumpyMorphNet:
        slovnet = (
            NumpySlovnet(slovnet_weights, upos)
            if cfg.use_slovnet and slovnet_weights is not None
            else None
        )
        return cls(cfg, state, navec=navec, slovnet=slovnet)

    @property
    def shape_index(self) -> dict[str, int] | None:
        return self.slovnet.shape_index if self.slovnet is not None else None

    def __call__(self, batch: Mapping[str, np.ndarray]) -> dict[str, Any]:
        return self.forward(batch)

    def forward(
        self,
        batch: Mapping[str, np.ndarray],
        static: np.ndarray | None = None,
        *,
        scripts: bool = True,
        slovnet_rows: np.ndarray | None = None,
    ) -> dict[str, Any]:
        """Logits of a ``collate``d batch. ``static``: (B, T, input_dim), each token's
        ``static_inputs`` row, when the caller has them (the tagger caches them per form);
        the result is the same up to float rounding. ``scripts=False``: no ``script``
        logits; ``head_input`` (B, T, ...) instead, for ``script_logits`` and
        ``script_logits_at``. ``slovnet_rows``: (B, T + SLOVNET_PADDING, width), each
        position's ``slovnet_rows`` (with ``static`` only)."""
        cfg = self.cfg
        lengths = np.asarray(batch["lengths"], np.int64)
        conv_ids = np.asarray(batch["conv"], np.int64)
        dense = batch["dense"]
        b, t = dense.shape[:2]
        conv_t = np.broadcast_to(self.conv_emb[conv_ids][:, None, :], (b, t, cfg.conv_dim))
        if static is not None:
            x = self._input_from_static(batch, static, conv_ids, lengths, slovnet_rows)
        else:
            x = self._input(batch, conv_t, lengths)
        np.maximum(x, 0.0, out=x)
        return self._from_input(x, lengths, conv_ids, conv_t, batch, scripts)

    def _input_from_static(
        self,
        batch: Mapping[str, np.ndarray],
        static: np.ndarray,
        conv_ids: np.ndarray,
        lengths: np.ndarray,
        slovnet_rows: np.ndarray | None = None,
    ) -> np.ndarray:
        dense = batch["dense"]
        x = _mm(dense[..., -N_POSITIONAL:], self._w_positional)
        x += static
        x += self._conv_bias[conv_ids][:, None, :]
        if self.slovnet is not None:
            x += _mm(self._slovnet(batch, lengths, slovnet_rows), self._w_slovnet)
        return x

    def _slovnet(
        self,
        batch: Mapping[str, np.ndarray],
        lengths: np.ndarray,
        rows: np.ndarray | None = None,
    ) -> np.ndarray:
        """slovnet's features of a batch; ``rows``: the first convolution's products per
        position (``slovnet_rows``), when the caller has them."""
        assert self.navec is not None and self.slovnet is not None
        t = batch["navec_ids"].shape[1]
        # one padding position more than the batch needs (see SLOVNET_PADDING)
        mask = np.arange(t + SLOVNET_PADDING)[None, :] < lengths[:, None]
        if rows is not None:
            return self.slovnet.from_input_rows(rows, mask)[:, :t]
        pad = ((0, 0), (0, SLOVNET_PADDING))
        ids = np.pad(batch["navec_ids"], pad)
        out = self.slovnet(decode_navec(self.navec, ids), np.pad(batch["shape_ids"], pad), mask)
        return out[:, :t]

    def slovnet_rows(self, navec_ids: np.ndarray, shape_ids: np.ndarray) -> np.ndarray:
        """(N, width): the first convolution's products of N tokens (their navec and slovnet
        shape ids), for ``forward(..., slovnet_rows=...)``; width 0 without slovnet. The
        tagger keeps them per form: navec's vectors are decoded and multiplied once per form,
        not at every token (half of slovnet's time: 1.15 -> 0.55 s per 55k tokens)."""
        if self.slovnet is None or self.navec is None:
            return np.zeros((len(navec_ids), 0), F32)
        return self.slovnet.input_rows(decode_navec(self.navec, navec_ids), shape_ids)

    @property
    def slovnet_padding_row(self) -> np.ndarray:
        """``slovnet_rows`` of a padding position (navec id 0, shape id 0)."""
        return self.slovnet_rows(np.zeros(1, np.int64), np.zeros(1, np.int64))[0]

    def _input(
        self, batch: Mapping[str, np.ndarray], conv_t: np.ndarray, lengths: np.ndarray
    ) -> np.ndarray:
        cfg = self.cfg
        dense = batch["dense"]
        b, t = dense.shape[:2]
        parts = [dense, conv_t]
        if self.word_emb is not None:
            parts.append(self.word_emb[batch["word_ids"]])
        if self.navec is not None:
            if cfg.use_navec:
                parts.append(decode_navec(self.navec, batch["navec_ids"]))
            if self.slovnet is not None:
                parts.append(self._slovnet(batch, lengths))
        if self.chars is not None:
            parts.append(self.chars(batch["chars"]))
        if self.suffix_emb is not None:
            s = self.suffix_emb[batch["suffix_ids"]]
            parts.append(s.reshape(b, t, -1))
        x = _mm(np.concatenate(parts, axis=-1, dtype=F32), self.inp_weight)
        x += self.inp_bias
        return x

    def _from_input(
        self,
        x: np.ndarray,
        lengths: np.ndarray,
        conv_ids: np.ndarray,
        conv_t: np.ndarray,
        batch: Mapping[str, np.ndarray],
        scripts: bool = True,
    ) -> dict[str, Any]:
        cfg = self.cfg
        b, t = x.shape[:2]
        h = self.lstm(x, lengths)
        h[np.arange(t)[None, :] >= lengths[:, None]] = 0.0  # as pad_packed_sequence leaves it
        h = np.concatenate([h, x, conv_t], axis=-1)
        heads = self.heads if scripts else self._heads_main
        out = np.empty((b, t, heads[0][0].shape[1]), F32)
        for c in np.unique(conv_ids).tolist():
            w, bias = heads[c]
            rows = np.flatnonzero(conv_ids == c)
            if len(rows) == b:
                np.matmul(h.reshape(b * t, -1), w, out=out.reshape(b * t, -1))
            else:
                out[rows] = _mm(h[rows], w)
            out[rows] += bias
        sizes = self.sizes if scripts else self.sizes[:-1]
        upos, *rest = np.split(out, np.cumsum(sizes)[:-1], axis=-1)
        if not scripts:
            *feats, case = rest
            return {"upos": upos, "feats": feats, "case": case, "head_input": h}
        *feats, case, script = rest
        if cfg.use_cand_bias:
            script = script + np.asarray(batch["cand"], F32) * F32(self.cand_bias)
        return {"upos": upos, "feats": feats, "case": case, "script": script}

    def script_logits(self, h: np.ndarray, conv: np.ndarray, cand: np.ndarray) -> np.ndarray:
        """(N, n_scripts): every script's logit for N tokens, from their ``head_input`` rows,
        conventions and lemma-script candidates (as ``forward`` gives ``script``)."""
        out = np.empty((len(h), self.sizes[-1]), F32)
        for c in np.unique(conv).tolist():
            w, bias = self._heads_script[c]
            rows = np.flatnonzero(conv == c)
            out[rows] = h[rows] @ w.T + bias
        if self.cfg.use_cand_bias:
            out += cand * F32(self.cand_bias)
        return out

    def script_logits_at(
        self, h: np.ndarray, conv: np.ndarray, script_ids: np.ndarray, cand: np.ndarray
    ) -> np.ndarray:
        """(R,): the logit of one script each for R rows (``head_input`` rows, their
        conventions, the script ids and those scripts' candidate values)."""
        out = np.empty(len(h), F32)
        for c in np.unique(conv).tolist():
            w, bias = self._heads_script[c]
            rows = np.flatnonzero(conv == c)
            ids = script_ids[rows]
            out[rows] = np.einsum("rk,rk->r", h[rows], w[ids]) + bias[ids]
        if self.cfg.use_cand_bias:
            out += cand * F32(self.cand_bias)
        return out
