"""Hierarchical curricula from the store: stages, splits, records, manifest and dataset card.

``export_curriculum`` writes a curriculum directory (what ``layerkit export sft|dpo`` runs);
``iter_records`` streams the same records for exporters of other formats; tasks are plugins
(``register_curriculum_tasks``, contract in ``tasks``); answers are written and read back by
``answers``. See docs/curriculum.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

# Names resolved on first use (PEP 562): the trainer imports ``layerkit.curriculum.answers``
# (the answer formats are the contract between exporter and trainer) and must not drag the
# store and the exporter in with it.
_WHERE = {
    "AnswerParseError": "answers",
    "format_answer": "answers",
    "locate": "answers",
    "parse_answer": "answers",
    "CurriculumOptions": "build",
    "collect_tasks": "build",
    "export_curriculum": "export",
    "iter_records": "export",
    "Ann": "tasks",
    "CurriculumTask": "tasks",
    "Example": "tasks",
    "ParagraphView": "tasks",
    "PreferencePair": "tasks",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


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
