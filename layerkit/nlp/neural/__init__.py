"""The trained contextual morphology tagger (UD lemma, UPOS, FEATS) for Russian.

Needs torch (the ``train`` extra) and the natasha package, whose wheel ships the frozen navec
word vectors and slovnet morphology model this tagger builds on. torch is imported only here.
"""

from layerkit.nlp.neural.tagger import NeuralTagger, default_model_dir, load_neural_tagger
from layerkit.nlp.neural.training import train

__all__ = ["NeuralTagger", "default_model_dir", "load_neural_tagger", "train"]
