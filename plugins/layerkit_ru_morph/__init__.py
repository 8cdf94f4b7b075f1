"""Built-in plugin: Russian morphology for the lexical layer.

Registers the lexical pre-annotator (``layerkit preannotate``) and the commands
``layerkit tag`` and ``layerkit morph train``. The spaCy component itself lives in
``layerkit.nlp.pipeline`` (factory ``layerkit_morph``); the trained weights ship in ``model/``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from layerkit.plugin import hookimpl
from layerkit.plugin.types import Preannotator

MODEL_DIR = Path(__file__).parent / "model"


@hookimpl
def register_preannotators(register: Callable[[Preannotator], None]) -> None:
    from layerkit_ru_morph.preannotator import LexicalPreannotator

    register(LexicalPreannotator())


@hookimpl
def register_commands(cli: click.Group) -> None:
    from layerkit_ru_morph.commands import morph, tag

    cli.add_command(tag)
    cli.add_command(morph)
