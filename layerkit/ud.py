"""Universal Dependencies constants shared by the CoNLL-U reader and the morphology code."""

#: The 17 universal part-of-speech tags (https://universaldependencies.org/u/pos/).
UPOS_TAGS: tuple[str, ...] = (
    "ADJ",
    "ADP",
    "ADV",
    "AUX",
    "CCONJ",
    "DET",
    "INTJ",
    "NOUN",
    "NUM",
    "PART",
    "PRON",
    "PROPN",
    "PUNCT",
    "SCONJ",
    "SYM",
    "VERB",
    "X",
)
