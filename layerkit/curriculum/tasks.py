"""What a curriculum task is: the contract between the exporter and the plugins that add tasks.

A task turns the gold annotations of one layer of one paragraph into zero or more questions with
answers (:class:`Example`). The exporter adds everything around them: the system message, the
paragraph, the gold context of the layers below, the answer-format note, the meta data, the split.
Tasks see a paragraph through :class:`ParagraphView`, plain data read in bulk from the store, so
they never query anything themselves and the export streams at the speed of the batch reader.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from layerkit.store.store import AnnotationRow

# One stored annotation, as tasks see it: the store's bulk-read row, a named tuple of
# ``id, layer, kind, field, start, end, label, value, attrs, source_id, target_id, annotator,
# origin`` (a named tuple rather than a frozen dataclass: an export makes one per stored
# annotation, and a frozen dataclass costs several times as much to build).
Ann = AnnotationRow


@dataclass
class ParagraphView:
    """A paragraph with its annotations and layer states, as read for the export."""

    id: int
    document_id: int
    document: str
    position: int
    text: str
    sha256: str
    sentences: list[list[int]]
    tokens: list[list[int]]
    annotations: dict[str, list[Ann]] = field(default_factory=dict)
    states: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    _by_id: dict[int, Ann] | None = field(default=None, repr=False)

    def layer(self, layer: str, field_name: str | None = None) -> list[Ann]:
        """Annotations of ``layer`` (optionally of one field), in the order they were stored."""
        anns = self.annotations.get(layer, [])
        if field_name is None:
            return anns
        return [a for a in anns if a.field == field_name]

    def get(self, annotation_id: int | None) -> Ann | None:
        if annotation_id is None:
            return None
        if self._by_id is None:
            self._by_id = {a.id: a for anns in self.annotations.values() for a in anns}
        return self._by_id.get(annotation_id)

    def quote(self, ann: Ann) -> str:
        """The text an annotation covers ('' for annotations without offsets)."""
        if ann.start is None or ann.end is None:
            return ""
        return self.text[ann.start : ann.end]

    def sentence_index(self, offset: int) -> int:
        """0-based index of the sentence that contains ``offset`` (the nearest one before it)."""
        starts = [s[0] for s in self.sentences]
        return max(0, bisect.bisect_right(starts, offset) - 1)

    def state(self, layer: str) -> str:
        return self.states.get(layer, ("todo", None))[0]

    def annotators(self, layer: str) -> list[str]:
        """Who annotated ``layer`` (annotators of its annotations and of its status), sorted."""
        names = {a.annotator for a in self.layer(layer)}
        status_by = self.states.get(layer, ("todo", None))[1]
        if status_by:
            names.add(status_by)
        return sorted(names)

    def replace(self, layer: str, annotations: list[Ann]) -> ParagraphView:
        """A copy with ``layer``'s annotations replaced (used to rebuild a model's suggestion)."""
        changed = dict(self.annotations)
        changed[layer] = annotations
        return ParagraphView(
            id=self.id,
            document_id=self.document_id,
            document=self.document,
            position=self.position,
            text=self.text,
            sha256=self.sha256,
            sentences=self.sentences,
            tokens=self.tokens,
            annotations=changed,
            states=self.states,
        )


@dataclass(frozen=True)
class Example:
    """One question about a paragraph and its gold answer, as a task produces it.

    ``instruction`` is the question (in the requested language), ``answer`` the formatted
    answer (see :mod:`layerkit.curriculum.answers`), ``material`` optional extra text shown
    before the question (a claim to unfold, numbered sentences), ``labels`` what the answer
    contains, for the dataset card's label counts, ``meta`` values of the task's ``meta_keys``.
    """

    instruction: str
    answer: str
    material: str = ""
    labels: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PreferencePair:
    """A question with a better and a worse answer, for ``layerkit export dpo``."""

    instruction: str
    chosen: str
    rejected: str
    material: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class CurriculumTask(Protocol):
    """A task of the curriculum. Register instances through ``register_curriculum_tasks``.

    ``context`` tasks (one per layer at most) answer about the whole layer; their gold answer is
    shown as context in every prompt of the higher layers, so they yield at most one example per
    paragraph. Optional attributes: ``meta_keys``, the keys the task's examples and pairs put in
    ``meta`` (declared so every record of a stage has the same keys), and
    ``preference_pairs(paragraph, lang)`` yielding :class:`PreferencePair` for
    ``layerkit export dpo``, and on a context task ``compact(data, lang) -> str``, the layer's
    answer (as ``parse_answer`` reads it back) rendered short for the prompts of higher
    layers (``--context compact``; see :mod:`layerkit.curriculum.budget`).
    """

    name: str
    layer: str
    answer_format: str
    context: bool
    description: str

    def examples(self, paragraph: ParagraphView, lang: str) -> Iterable[Example]: ...


def label_counts(anns: Iterable[Ann]) -> tuple[str, ...]:
    """``field:LABEL`` of each labelled annotation: what the dataset card counts."""
    return tuple([f"{a.field}:{a.label}" for a in anns if a.label])
