"""The lexical pre-annotator: a morphological tagger over each paragraph's stored tokens."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from layerkit.drafts import AnnotationDraft
from layerkit.nlp.taggers import TaggerKind, load_tagger, tag_later
from layerkit.nlp.types import MorphTagger, TokenAnalysis
from layerkit.plugin.types import ParagraphInput
from layerkit_ru_morph.tree_rules import follow_the_tree

#: tokens each of the tagger's processes gets per call in pre-annotation (see ``batch_tokens``)
TOKENS_PER_PROCESS = 12_000
#: ... but no more than this per call on a machine of many cores: two calls are in memory at
#: once (one tagged, one stored), with their suggestions
MAX_BATCH_TOKENS = 48_000


class LexicalPreannotator:
    """Fills the lexical layer (one ``token`` annotation per token) with a tagger's analyses.

    The tagger is loaded on first use, so listing plugins or importing files never pays for it.
    """

    name = "ru-morph"
    layer = "lexical"
    description = "lemma, UPOS and FEATS of every token (trained model, or rules without natasha)"

    def __init__(self, convention: str = "ud", kind: TaggerKind = "auto") -> None:
        self.convention = convention
        self.kind = kind
        self._tagger: MorphTagger | None = None

    @property
    def tagger(self) -> MorphTagger:
        if self._tagger is None:
            self._tagger = load_tagger(self.convention, self.kind)
        return self._tagger

    @property
    def batch_tokens(self) -> int:
        """Tokens per ``annotate_later`` call (``layerkit preannotate`` gathers paragraphs up to
        this): enough for every worker process of the tagger to get a big share, since
        tagging a few thousand tokens per call cost a fifth more CPU per token than tens of
        thousands (measured on the UD files: each call ends with a small length batch, and a
        batch costs the network's per-step overhead whatever its size)."""
        processes_for = getattr(self.tagger, "processes_for", None)
        processes = processes_for(TOKENS_PER_PROCESS * 64) if processes_for is not None else 1
        return min(MAX_BATCH_TOKENS, TOKENS_PER_PROCESS * max(1, processes))

    @property
    def version(self) -> str:
        """The tagger's version; names the rule-based fallback, so origins tell them apart."""
        tagger = self.tagger
        return tagger.version if tagger.name == self.name else f"{tagger.name}-{tagger.version}"

    def annotate(self, paragraphs: Sequence[ParagraphInput]) -> list[list[AnnotationDraft]]:
        return self.annotate_later(paragraphs)()

    def annotate_later(
        self, paragraphs: Sequence[ParagraphInput]
    ) -> Callable[[], list[list[AnnotationDraft]]]:
        """``annotate``, started now: the trained model tags on its worker processes while
        ``layerkit preannotate`` stores the batch before (see ``Preannotator``)."""
        groups = [p.sentence_tokens() for p in paragraphs]
        sentences = [
            [p.text[a:b] for a, b in sentence]
            for p, group in zip(paragraphs, groups, strict=True)
            for sentence in group
        ]
        tagged_later = tag_later(self.tagger, sentences)

        def drafts() -> list[list[AnnotationDraft]]:
            tagged = iter(tagged_later())
            out: list[list[AnnotationDraft]] = []
            for paragraph, group in zip(paragraphs, groups, strict=True):
                made = []
                trees = _trees(paragraph, len(group))
                for sentence, tree in zip(group, trees, strict=True):
                    analyses = next(tagged)
                    if tree is not None:
                        analyses = _following(tree, paragraph.text, sentence, analyses, self)
                    for (start, end), analysis in zip(sentence, analyses, strict=True):
                        made.append(
                            AnnotationDraft(
                                layer="lexical",
                                kind="token",
                                field="morph",
                                start=start,
                                end=end,
                                label=analysis.upos,
                                attrs={"lemma": analysis.lemma, "feats": analysis.feats},
                                confidence=round(analysis.confidence, 4),
                            )
                        )
                out.append(made)
            return out

        return drafts


def _trees(paragraph: ParagraphInput, sentences: int) -> list[list[dict[str, Any]] | None]:
    """Per sentence, the words a treebank gave its tokens, one word a token, where the
    CoNLL-U importer kept them (``meta["conllu"]``: a treebank without morphology keeps its
    HEAD and DEPREL there until its tokens have analyses), else None."""
    kept = paragraph.meta.get("conllu") if isinstance(paragraph.meta, dict) else None
    if not isinstance(kept, list) or len(kept) != sentences:
        return [None] * sentences
    trees: list[list[dict[str, Any]] | None] = []
    for sentence_meta in kept:
        untagged = sentence_meta.get("untagged") if isinstance(sentence_meta, dict) else None
        words = [untagged.get(str(i)) for i in range(len(untagged))] if untagged else []
        whole = bool(words) and all(
            isinstance(w, list) and len(w) == 1 and "mwt" not in w[0] for w in words
        )
        trees.append([w[0] for w in words] if whole else None)  # type: ignore[index]
    return trees


def _following(
    tree: list[dict[str, Any]],
    text: str,
    sentence: list[tuple[int, int]],
    analyses: list[TokenAnalysis],
    preannotator: LexicalPreannotator,
) -> list[TokenAnalysis]:
    """The analyses of a sentence made to agree with the tree its treebank gave it, as
    ``layerkit tag`` makes them (:mod:`.tree_rules`)."""
    if len(tree) != len(sentence):
        return analyses
    rows = []
    for word, (start, end), analysis in zip(tree, sentence, analyses, strict=True):
        columns = word.get("conllu") or {}
        rows.append(
            [
                str(columns.get("id", "_")),
                text[start:end],
                analysis.lemma or "_",
                analysis.upos,
                "_",
                analysis.feats or "_",
                str(columns.get("head", "_")),
                str(columns.get("deprel", "_")),
                "_",
                "_",
            ]
        )
    follow_the_tree(rows, preannotator.convention)
    return [
        replace(analysis, lemma=row[2] if row[2] != "_" else "", upos=row[3], feats=row[5])
        if (row[2], row[3], row[5]) != (analysis.lemma or "_", analysis.upos, analysis.feats or "_")
        else analysis
        for row, analysis in zip(rows, analyses, strict=True)
    ]
