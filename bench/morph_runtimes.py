"""Compare the two runtimes of the ru-morph tagger (numpy, the default, and torch).

``python bench/morph_runtimes.py [FILE.conllu ...]`` tags each gold file with both runtimes,
in the convention ``layerkit tag`` would use for it (from the file name), and prints: tokens
whose (lemma, UPOS, FEATS) differ between the runtimes, each runtime's accuracy against the
gold annotation, and the largest difference of the network's probabilities over one batch of
the file. Never run it on a *-ud-test* file: the test sets stay unseen. Needs torch.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from layerkit.nlp.conventions import treebank_convention
from layerkit.nlp.neural.features import read_conllu
from layerkit.nlp.neural.numpy_model import softmax
from layerkit.nlp.neural.tagger import collate, length_batches, load_neural_tagger
from layerkit.nlp.taggers import WindowedTagger

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "ud"
FILES = [
    "ru_gsd-ud-dev.conllu",
    "ru_taiga-ud-dev.conllu",
    "ru_poetry-ud-dev.conllu",
    "ru_taiga-extra-train.conllu",
]


def probabilities(out: dict) -> list[np.ndarray]:
    return [
        softmax(out["upos"]),
        *(softmax(x) for x in out["feats"]),
        softmax(out["case"]),
        softmax(out["script"]),
    ]


def main(paths: list[Path]) -> None:
    for path in paths:
        if "-ud-test" in path.name:
            raise SystemExit(f"{path.name}: test files are not to be looked at")
        convention = treebank_convention(path)
        gold = read_conllu(str(path), convention)
        forms = [s.forms for s in gold]
        row = {}
        taggers = {}
        for runtime in ("numpy", "torch"):
            tagger = load_neural_tagger(convention=convention, runtime=runtime)
            taggers[runtime] = tagger
            t0 = time.process_time()
            tagged = WindowedTagger(tagger).tag(forms)
            cpu = time.process_time() - t0
            labels = [(a.lemma, a.upos, a.feats) for s in tagged for a in s]
            gold_labels = [(t.lemma, t.upos, t.feats) for s in gold for t in s.tokens]
            n = len(gold_labels)
            acc = {
                "upos": sum(p[1] == g[1] for p, g in zip(labels, gold_labels, strict=True)) / n,
                "lemma": sum(p[0] == g[0] for p, g in zip(labels, gold_labels, strict=True)) / n,
                "feats": sum(p[2] == g[2] for p, g in zip(labels, gold_labels, strict=True)) / n,
            }
            row[runtime] = (labels, acc, cpu)
        a, b = row["numpy"][0], row["torch"][0]
        differ = sum(x != y for x, y in zip(a, b, strict=True))
        # the largest probability difference over the file's first (longest) batch
        tn = taggers["numpy"]
        batch_ix = length_batches([len(f) for f in forms], tn.max_batch_tokens)[0]
        batch = collate(
            [tn.encode(forms[i]) for i in batch_ix], tn.navec, shapes=tn.net.shape_index
        )
        mask = np.arange(batch["dense"].shape[1])[None, :] < batch["lengths"][:, None]
        pa = probabilities(tn.logits(batch))
        pb = probabilities(taggers["torch"].logits(batch))
        max_prob = max(float(np.abs(x - y)[mask].max()) for x, y in zip(pa, pb, strict=True))
        print(
            f"{path.name} ({convention}): {len(a)} tokens, {differ} differ; "
            f"max |prob diff| {max_prob:.2e} over a batch of {len(batch_ix)} sentences "
            f"x {batch['dense'].shape[1]} tokens"
        )
        for runtime in ("numpy", "torch"):
            _, acc, cpu = row[runtime]
            print(
                f"  {runtime:5}: UPOS {100 * acc['upos']:.2f}  lemma {100 * acc['lemma']:.2f}  "
                f"UFeats {100 * acc['feats']:.2f}  (tagging CPU {cpu:.1f} s)"
            )
        if differ:
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                if x != y:
                    print(f"    token {i}: numpy {x} torch {y}")


if __name__ == "__main__":
    main([Path(p) for p in sys.argv[1:]] or [DATA / f for f in FILES])
