"""Built-in plugin: the five layers of layerkit (schemas/*.toml), registered like any other."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import layerkit
from layerkit.plugin import hookimpl

BUILTIN_LAYERS = ("lexical", "semantic", "logical", "epistemic", "pragmatic")


def builtin_schema_dir() -> Path:
    """Where the shipped schema files are: inside the wheel, or at the top of a source checkout."""
    packaged = Path(layerkit.__file__).parent / "_builtin_schemas"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "schemas"


@hookimpl
def register_layers(register: Callable[[Path], None]) -> None:
    directory = builtin_schema_dir()
    for name in BUILTIN_LAYERS:
        register(directory / f"{name}.toml")
