"""Built-in plugin: the curriculum exporters (``sft``, ``dpo``) and the tasks of the five layers.

Registered through the ``layerkit`` entry-point group like any third-party plugin, so the task
contract (``register_curriculum_tasks``) is exercised by layerkit's own curriculum every day.
"""

from __future__ import annotations

from collections.abc import Callable

from layerkit.curriculum import CurriculumTask
from layerkit.plugin import hookimpl
from layerkit.plugin.types import Exporter

from .exporters import DpoExporter, SftExporter
from .tasks import builtin_tasks

__all__ = ["DpoExporter", "SftExporter", "register_curriculum_tasks", "register_exporters"]


@hookimpl
def register_exporters(register: Callable[[Exporter], None]) -> None:
    """``layerkit export sft`` and ``layerkit export dpo``."""
    register(SftExporter())
    register(DpoExporter())


@hookimpl
def register_curriculum_tasks(register: Callable[[CurriculumTask], None]) -> None:
    """The tasks of LAYERS.md: one context task per built-in layer, plus the four unfoldings."""
    for task in builtin_tasks():
        register(task)
