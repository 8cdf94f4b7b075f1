"""Built-in plugin: ``layerkit train``, ``merge``, ``ask`` and ``repoint``.

The commands live in a plugin, registered through ``register_commands`` like any third-party
command, so the core CLI never imports torch: the training code in ``layerkit.train`` is loaded
only when one of these commands runs (and needs the ``train`` extra).
"""

from __future__ import annotations

import click

from layerkit.plugin import hookimpl


@hookimpl
def register_commands(cli: click.Group) -> None:
    from layerkit_train.commands import ask, merge, repoint, train

    cli.add_command(train)
    cli.add_command(merge)
    cli.add_command(ask)
    cli.add_command(repoint)
