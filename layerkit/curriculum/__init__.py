"""Hierarchical curricula from the store: stages, splits, records, manifest and dataset card.

``export_curriculum`` writes a curriculum directory (what ``layerkit export sft|dpo`` runs);
``iter_records`` streams the same records for exporters of other formats; tasks are plugins
(``register_curriculum_tasks``, contract in ``tasks``); answers are written and read back by
``answers``. See docs/curriculum.md.
"""

from layerkit.curriculum.answers import AnswerParseError, format_answer, locate, parse_answer
from layerkit.curriculum.build import CurriculumOptions, collect_tasks
from layerkit.curriculum.export import export_curriculum, iter_records
from layerkit.curriculum.tasks import (
    Ann,
    CurriculumTask,
    Example,
    ParagraphView,
    PreferencePair,
)

__all__ = [
    "Ann",
    "AnswerParseError",
    "CurriculumOptions",
    "CurriculumTask",
    "Example",
    "ParagraphView",
    "PreferencePair",
    "collect_tasks",
    "export_curriculum",
    "format_answer",
    "iter_records",
    "locate",
    "parse_answer",
]
