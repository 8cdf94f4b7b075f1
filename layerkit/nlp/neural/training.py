"""Training: ``fit`` builds and trains a model in memory; ``train`` also writes the model dir."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from layerkit.nlp.conventions import CONVENTIONS, treebank_convention
from layerkit.nlp.neural.features import (
    Analyze,
    EncodedSentence,
    FeatureSpace,
    GoldSentence,
    read_conllu,
)
from layerkit.nlp.neural.model import ModelConfig, MorphNet, build_net, save_model, to_tensors
from layerkit.nlp.neural.navec_vectors import NavecVectors, load_navec
from layerkit.nlp.neural.tagger import NeuralTagger, collate, default_analyze, set_threads


@dataclass
class TrainConfig:
    """Optimisation settings; ``model`` overrides ``ModelConfig`` fields (ablations)."""

    epochs: int = field(default=30, metadata={"help": "passes over the training sentences"})
    seed: int = field(default=1, metadata={"help": "seeds python, numpy and torch"})
    lr: float = field(default=2e-3, metadata={"help": "AdamW peak learning rate"})
    batch_size: int = field(default=32, metadata={"help": "sentences per batch"})
    word_dropout: float = field(
        default=0.1, metadata={"help": "share of known words replaced by <unk> in training"}
    )
    weight_decay: float = 1e-5
    model: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or self.lr <= 0:
            raise ValueError("epochs, batch_size and lr must be positive")


def allowed_matrix(sents: Sequence[GoldSentence], space: FeatureSpace) -> np.ndarray:
    """Which FEATS categories each UPOS ever carries in the training data."""
    allowed = np.zeros((len(space.upos), len(space.cats)), dtype=bool)
    cat_ix = {c: i for i, c in enumerate(space.cats)}
    upos_ix = {u: i for i, u in enumerate(space.upos)}
    for s in sents:
        for t in s.tokens:
            if t.feats == "_":
                continue
            for item in t.feats.split("|"):
                c = item.partition("=")[0]
                if c in cat_ix and t.upos in upos_ix:
                    allowed[upos_ix[t.upos], cat_ix[c]] = True
    return allowed


def encode_gold(
    sents: Sequence[GoldSentence], space: FeatureSpace, analyze: Analyze
) -> list[EncodedSentence]:
    out = []
    for s in sents:
        e = space.encode_sentence(s.forms, analyze, s.convention)
        e.targets = space.encode_targets(s)
        out.append(e)
    return out


def fit(
    train_sents: Sequence[GoldSentence],
    cfg: TrainConfig,
    *,
    analyze: Analyze | None = None,
    navec: NavecVectors | None = None,
    log: Callable[[str], None] | None = None,
) -> tuple[MorphNet, FeatureSpace, np.ndarray]:
    """Build the vocabularies from ``train_sents`` and train a network on them; returns the
    network (in eval mode), its ``FeatureSpace`` and the UPOS x FEATS-category mask."""
    analyze = analyze or default_analyze()
    set_threads()
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    space = FeatureSpace.build(train_sents, analyze, CONVENTIONS)
    allowed = allowed_matrix(train_sents, space)
    mcfg = ModelConfig(
        n_chars=len(space.chars),
        n_words=len(space.words),
        n_suffixes=len(space.suffixes),
        n_suffix_slots=3,
        n_dense=space.n_dense,
        n_conventions=len(space.conventions),
        n_upos=len(space.upos),
        feat_sizes=[len(space.feat_cats[c]) for c in space.cats],
        n_case_modes=len(space.case_modes),
        n_scripts=len(space.scripts),
        **cfg.model,
    )
    if (mcfg.use_navec or mcfg.use_slovnet) and navec is None:
        navec = load_navec()
    net = build_net(mcfg, navec)
    data = encode_gold(train_sents, space, analyze)
    params = [p for p in net.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps_per_epoch = (len(data) + cfg.batch_size - 1) // cfg.batch_size
    total = max(1, steps_per_epoch * cfg.epochs)
    warmup = min(200, total // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt,
        lambda step: min(1.0, (step + 1) / max(1, warmup)) * max(0.02, 1.0 - step / total),
    )
    ce = nn.CrossEntropyLoss(reduction="sum")
    rng = random.Random(cfg.seed)
    for epoch in range(cfg.epochs):
        net.train()
        t0 = time.time()
        # batches of similar length, in random order
        order = sorted(range(len(data)), key=lambda i: (len(data[i]), rng.random()))
        batches = [order[i : i + cfg.batch_size] for i in range(0, len(order), cfg.batch_size)]
        rng.shuffle(batches)
        total_loss = 0.0
        n_tok = 0
        for ix in batches:
            batch = to_tensors(
                collate([data[i] for i in ix], navec, shapes=net.shape_index, targets=True)
            )
            if cfg.word_dropout > 0:
                w = batch["word_ids"]
                drop = (torch.rand(w.shape) < cfg.word_dropout) & (w > 1)
                batch["word_ids"] = w.masked_fill(drop, 1)
            out = net(batch)
            lengths = batch["lengths"]
            mask = torch.arange(batch["upos"].shape[1])[None, :] < lengths[:, None]
            ntok = int(mask.sum())
            loss = ce(out["upos"][mask], batch["upos"][mask])
            for c, logits in enumerate(out["feats"]):
                loss = loss + ce(logits[mask], batch["feats"][..., c][mask])
            loss = loss + ce(out["case"][mask], batch["case"][mask])
            loss = loss + ce(out["script"][mask], batch["script"][mask])
            opt.zero_grad()
            (loss / ntok).backward()
            nn.utils.clip_grad_norm_(params, 5.0)
            opt.step()
            sched.step()
            total_loss += float(loss.detach())
            n_tok += ntok
        if log:
            log(
                f"epoch {epoch + 1}/{cfg.epochs} loss {total_loss / n_tok:.4f} {time.time() - t0:.1f}s"
            )
    net.eval()
    return net, space, allowed


def train(
    conllu_paths: Sequence[str | Path],
    out_dir: str | Path,
    *,
    epochs: int = 30,
    seed: int = 1,
    version: str = "dev",
    analyze: Analyze | None = None,
    log: Callable[[str], None] | None = None,
    **options: Any,
) -> Path:
    """Train on the gold CoNLL-U files (each tagged with its treebank convention) and write
    the model dir (``model.safetensors`` + ``config.json``); returns its path."""
    t0 = time.time()
    sents: list[GoldSentence] = []
    for p in conllu_paths:
        sents.extend(read_conllu(str(p), treebank_convention(p)))
    model_opts = options.pop("model", {})
    cfg = TrainConfig(epochs=epochs, seed=seed, model=model_opts, **options)
    net, space, allowed = fit(sents, cfg, analyze=analyze, log=log)
    out = Path(out_dir)
    meta = {
        "trained_on": [Path(p).name for p in conllu_paths],
        "sentences": len(sents),
        "tokens": sum(len(s.tokens) for s in sents),
        "epochs": epochs,
        "seed": seed,
        "train_config": {k: v for k, v in cfg.__dict__.items()},
        "train_seconds": round(time.time() - t0, 1),
        "torch": torch.__version__,
    }
    save_model(out, net, space, allowed, version=version, meta=meta)
    return out


def tagger_from(
    net: MorphNet,
    space: FeatureSpace,
    allowed: np.ndarray,
    convention: str,
    *,
    analyze: Analyze | None = None,
    navec: NavecVectors | None = None,
) -> NeuralTagger:
    if (net.cfg.use_navec or net.cfg.use_slovnet) and navec is None:
        navec = load_navec()
    return NeuralTagger(net, space, allowed, navec=navec, convention=convention, analyze=analyze)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m layerkit.nlp.neural.training OUT_DIR FILE.conllu... [--epochs N] [--seed S]
    [--version V]``: train on gold CoNLL-U files and write the model dir."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m layerkit.nlp.neural.training")
    ap.add_argument("out_dir")
    ap.add_argument("files", nargs="+")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--version", default="dev")
    args = ap.parse_args(argv)
    train(
        args.files,
        args.out_dir,
        epochs=args.epochs,
        seed=args.seed,
        version=args.version,
        log=lambda msg: print(msg, flush=True),
    )


if __name__ == "__main__":
    main()
