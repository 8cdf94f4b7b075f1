"""Built-in plugin: the curriculum exporters (``sft``, ``dpo``) and the tasks of the five layers.

Registered through the ``layerkit`` entry-point group like any third-party plugin, so the task
contract (``register_curriculum_tasks``) is exercised by layerkit's own curriculum every day.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from layerkit.plugin import hookimpl
from layerkit.plugin.types import Exporter

if TYPE_CHECKING:
    from layerkit.curriculum import CurriculumTask

__all__ = ["DpoExporter", "SftExporter", "register_curriculum_tasks", "register_exporters"]


def __getattr__(name: str) -> Any:
    # the exporters are imported on first use: every command loads every plugin, and these
    # bring in the curriculum and the store
    if name in ("DpoExporter", "SftExporter"):
        from . import exporters

        return getattr(exporters, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@hookimpl
def register_exporters(register: Callable[[Exporter], None]) -> None:
    """``layerkit export sft`` and ``layerkit export dpo``."""
    from .exporters import DpoExporter, SftExporter

    register(SftExporter())
    register(DpoExporter())


@hookimpl
def register_curriculum_tasks(register: Callable[[CurriculumTask], None]) -> None:
    """The tasks of LAYERS.md: one context task per built-in layer, plus the four unfoldings."""
    from .tasks import builtin_tasks

    for task in builtin_tasks():
        register(task)
