"""What a curriculum task is: the contract between the exporter and the plugins that add tasks.

A task turns the gold annotations of one layer of one paragraph into zero or more questions with
answers (:class:`Example`). The exporter adds everything around them: the system message, the
paragraph, the gold context of the layers below, the answer-format note, the meta data, the split.
Tasks see a paragraph through :class:`~layerkit.plugin.model.Paragraph`, plain data read in bulk from the store, so
they never query anything themselves and the export streams at the speed of the batch reader.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from layerkit.model import Annotation, Paragraph

# The paragraph and annotation a task reads: the domain model (layerkit.model), which plugins
# import from layerkit.plugin. ``ParagraphView`` is its name in the first plugin contract.
ParagraphView = Paragraph
Ann = Annotation


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

    def examples(self, paragraph: Paragraph, lang: str) -> Iterable[Example]: ...


def label_counts(anns: Iterable[Ann]) -> tuple[str, ...]:
    """``field:LABEL`` of each labelled annotation: what the dataset card counts."""
    return tuple([f"{a.field}:{a.label}" for a in anns if a.label])
