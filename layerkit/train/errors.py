"""Errors of ``layerkit train``: each names what went wrong and the knob that fixes it."""

from __future__ import annotations

from layerkit.errors import InputError, LayerkitError, UsageError


class TrainError(LayerkitError):
    """Training cannot go on (bad data for this model, out of memory, a run that cannot resume)."""

    title = "Training failed"


class CurriculumError(InputError):
    """The curriculum directory is missing, damaged, or written by an incompatible layerkit."""

    title = "Cannot read the curriculum"

    def __init__(
        self, message: str, *, path: object | None = None, line: int | None = None, hint: str = ""
    ) -> None:
        super().__init__(
            message,
            path=path,
            line=line,
            hint=hint or "Export the curriculum again with `layerkit export sft -o DIR`.",
        )


class ModelError(LayerkitError):
    """The base model or its tokenizer cannot be used as asked."""

    title = "Cannot use the base model"


class ConfigError(UsageError):
    """A training setting has an impossible value."""

    title = "Invalid training setting"

    def __init__(self, message: str, *, hint: str = "", title: str | None = None) -> None:
        super().__init__(
            message,
            hint=hint
            or "Fix the value in the --config file or its flag (`layerkit train --help` lists "
            "every setting and what it takes).",
            title=title,
        )


class TemplateError(ModelError):
    """The chat template does not produce what assistant-only training needs."""

    title = "Unusable chat template"


class OutOfMemory(TrainError):
    """The accelerator ran out of memory; the message says where and what to turn down."""

    title = "Out of memory"


__all__ = [
    "ConfigError",
    "CurriculumError",
    "ModelError",
    "OutOfMemory",
    "TemplateError",
    "TrainError",
]
