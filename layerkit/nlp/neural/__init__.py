"""The trained contextual morphology tagger (UD lemma, UPOS, FEATS) for Russian.

Tagging runs on numpy (``numpy_model``) and needs the natasha package, whose wheel ships the
frozen navec word vectors and slovnet morphology model this tagger builds on. Training (and the
torch runtime that tests compare with) needs torch, the ``train`` extra: ``train`` is imported
from ``layerkit.nlp.neural.training`` only when asked for, so importing this package never
imports torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from layerkit.nlp.neural.tagger import NeuralTagger, default_model_dir, load_neural_tagger

if TYPE_CHECKING:
    from layerkit.nlp.neural.training import train

__all__ = ["NeuralTagger", "default_model_dir", "load_neural_tagger", "train"]


def __getattr__(name: str) -> Any:
    if name == "train":
        from layerkit.nlp.neural.training import train

        return train
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
