"""The spaCy side of the lexical layer: a registered ``layerkit_morph`` component.

``build_pipeline()`` gives a Russian pipeline (UD-style tokenizer, sentencizer, this component)
that sets ``token.lemma_``, ``token.pos_`` (UD UPOS) and ``token.morph`` (UD FEATS) for every
token, plus ``token._.morph_confidence``. The component is also available to any spaCy user as
``nlp.add_pipe("layerkit_morph")`` once layerkit is installed (``spacy_factories`` entry point).
Documents are tagged in batches through ``nlp.pipe``: the model's cost is per batch, not per token.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from spacy.language import Language
from spacy.tokens import Doc, Token
from spacy.util import minibatch

from layerkit.nlp.segment import blank_russian
from layerkit.nlp.taggers import TaggerKind, load_tagger
from layerkit.nlp.types import MorphTagger

if not Token.has_extension("morph_confidence"):
    Token.set_extension("morph_confidence", default=None)


class MorphComponent:
    """Sets lemma, UPOS and FEATS from a :class:`MorphTagger`, sentence by sentence."""

    def __init__(self, tagger: MorphTagger, batch_size: int = 64) -> None:
        self.tagger = tagger
        self.batch_size = batch_size

    def __call__(self, doc: Doc) -> Doc:
        return next(self.pipe([doc]))

    def pipe(self, docs: Iterable[Doc], batch_size: int | None = None) -> Iterator[Doc]:
        for batch in minibatch(docs, size=batch_size or self.batch_size):
            sentences = []
            for doc in batch:
                spans = list(doc.sents) if doc.has_annotation("SENT_START") else [doc[:]]
                sentences.extend([[t for t in span if not t.is_space] for span in spans])
            tagged = self.tagger.tag([[t.text for t in sent] for sent in sentences])
            for sent, analyses in zip(sentences, tagged, strict=True):
                for token, analysis in zip(sent, analyses, strict=True):
                    token.lemma_ = analysis.lemma
                    token.pos_ = analysis.upos
                    token.set_morph(None if analysis.feats == "_" else analysis.feats)
                    token._.morph_confidence = analysis.confidence
            yield from batch


@Language.factory(
    "layerkit_morph",
    default_config={"convention": "ud", "tagger": "auto"},
)
def create_morph_component(
    nlp: Language, name: str, convention: str, tagger: TaggerKind
) -> MorphComponent:
    """spaCy factory: ``nlp.add_pipe("layerkit_morph", config={"convention": "gsd"})``."""
    return MorphComponent(load_tagger(convention, tagger))


def build_pipeline(convention: str = "ud", tagger: TaggerKind = "auto") -> Language:
    nlp = blank_russian()
    nlp.add_pipe("layerkit_morph", config={"convention": convention, "tagger": tagger})
    return nlp
