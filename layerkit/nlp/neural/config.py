"""``ModelConfig``: the network's sizes and switches, as saved in a model's ``config.json``.

Kept apart from the torch module (``model.py``) so that the numpy runtime reads it without
importing torch."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

#: Padding positions appended to the frozen slovnet tagger's input. Its first convolution reads
#: each token's right neighbour, and after a sentence's last token that is a padding position
#: (navec id 0 and shape id 0, which are real vectors, not zeros) in every sentence but the
#: longest of its batch, which reads the convolution's zero padding instead. The weights were
#: trained with most sentences seeing the padding ids, so one padding position is always
#: appended: every sentence then reads the same neighbour, and a sentence is tagged the same
#: whatever else is in its batch (or in which process it is tagged).
SLOVNET_PADDING = 1


@dataclass
class ModelConfig:
    """Sizes (from the ``FeatureSpace``), which inputs to use, and layer dimensions."""

    n_chars: int
    n_words: int
    n_suffixes: int
    n_suffix_slots: int
    n_dense: int
    n_conventions: int
    n_upos: int
    feat_sizes: list[int]
    n_case_modes: int
    n_scripts: int
    use_navec: bool = False
    use_words: bool = True
    use_chars: bool = True
    use_suffixes: bool = True
    use_cand_bias: bool = True
    use_slovnet: bool = True
    per_convention_heads: bool = True
    word_dim: int = 64
    char_dim: int = 32
    char_filters: int = 128
    suffix_dim: int = 32
    conv_dim: int = 16
    navec_dim: int = 300
    input_dim: int = 320
    # One BiLSTM layer of 128 since ru-morph 1.2: 3-fold cross-validation gave the same
    # accuracy as two layers of 192 (within 0.1 on UPOS, lemma and UFeats) for about 3.6x
    # less recurrent arithmetic, the largest single cost of tagging (see MODEL_CARD.md).
    hidden: int = 128
    layers: int = 1
    dropout: float = 0.3

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
