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

#: the commands and the first paragraph of their help, which ``layerkit --help`` shortens to a
#: line as it does the commands' own (a test checks that the two agree)
COMMANDS = {
    "train": "Fine-tune a causal LM with LoRA on CURRICULUM, one stage after another.",
    "merge": "Write base model + a stage's adapter as one ordinary Hugging Face model folder.",
    "ask": "Run a trained model on the paragraph TEXT ('-' reads stdin), layer by layer.",
    "repoint": "Point a run's adapters at its base model again, after the run folder or the "
    "base model moved: every stage folder then loads with peft's AutoPeftModelForCausalLM as "
    "it is.",
}


class LazyCommand(click.Command):
    """A command of ``layerkit_train.commands``, imported only when it runs or shows its help:
    its options are generated from the training configuration (pydantic models and the
    curriculum formats), 0.1 s of imports that every other command (``layerkit tag`` on a
    small file, say) would otherwise pay at start."""

    def __init__(self, name: str, summary: str) -> None:
        super().__init__(name, help=summary)

    def load(self) -> click.Command:
        from layerkit_train import commands

        command = getattr(commands, str(self.name))
        assert isinstance(command, click.Command)
        return command

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: object,
    ) -> click.Context:
        # the context is the real command's, so click parses, invokes and helps with it
        return self.load().make_context(info_name, args, parent=parent, **extra)  # type: ignore[arg-type]


@hookimpl
def register_commands(cli: click.Group) -> None:
    for name, summary in COMMANDS.items():
        cli.add_command(LazyCommand(name, summary))


@hookimpl
def register_preannotators(register: Callable[[Preannotator], None]) -> None:
    from layerkit_train.suggesting import HIGHER_LAYERS, RunSuggestions

    for layer in HIGHER_LAYERS:
        register(RunSuggestions(layer))
