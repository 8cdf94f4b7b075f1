"""Built-in plugin: ``layerkit train``, ``merge``, ``ask`` and ``repoint``, and suggestions of
the higher layers from a training run (``layerkit preannotate --checkpoint RUN``).

The commands live in a plugin, registered through ``register_commands`` like any third-party
command, so the core CLI never imports torch: the training code in ``layerkit.train`` is loaded
only when one of these commands runs (and needs the ``train`` extra).
"""

from __future__ import annotations

from collections.abc import Callable

import click

from layerkit.plugin import Preannotator, hookimpl


@hookimpl
def register_commands(cli: click.Group) -> None:
    from layerkit_train.commands import ask, merge, repoint, train

    cli.add_command(train)
    cli.add_command(merge)
    cli.add_command(ask)
    cli.add_command(repoint)


@hookimpl
def register_preannotators(register: Callable[[Preannotator], None]) -> None:
    from layerkit_train.suggesting import HIGHER_LAYERS, RunSuggestions

    for layer in HIGHER_LAYERS:
        register(RunSuggestions(layer))
