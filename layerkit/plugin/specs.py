"""The hooks: every hook layerkit calls, typed and documented.

Plugins implement these with ``@hookimpl`` (``from layerkit.plugin import hookimpl``).
Registration hooks receive a ``register`` callback (the pattern of simonw/llm): a plugin calls
``register(thing)`` once per thing it provides, and the host collects them. Built-in plugins under ``plugins/`` use exactly this
contract, registered through the same ``layerkit`` entry-point group as third-party ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from pathlib import Path

    import click

    from layerkit.curriculum.tasks import CurriculumTask
    from layerkit.model import Paragraph
    from layerkit.plugin.types import Exporter, Importer, Preannotator

hookspec = pluggy.HookspecMarker("layerkit")
hookimpl = pluggy.HookimplMarker("layerkit")


@hookspec
def register_importers(register: Callable[[Importer], None]) -> None:
    """Register file importers.

    :param register: call ``register(importer)`` for each importer. An importer has a unique
        ``name``, the file ``extensions`` it reads (``(".txt", ".md")``) and a
        ``read(path, options)`` method yielding :class:`layerkit.drafts.DocumentDraft`.
        It must not touch the store: the host validates and writes the drafts in one transaction.
    """


@hookspec
def register_exporters(register: Callable[[Exporter], None]) -> None:
    """Register exporters, each callable as ``layerkit export NAME -o OUT``.

    :param register: call ``register(exporter)``; an exporter has a unique ``name``, a
        ``description`` and ``export(reader, out, context) -> ExportReport``: ``reader`` is a
        read-only :class:`~layerkit.plugin.StoreReader`, ``context`` an
        :class:`~layerkit.plugin.ExportContext` (its own options, the schemas, the plugin
        manager). It writes ``out`` whole or not at all (``atomic_output``, ``atomic_folder``)
        and reports a user's problem with :class:`~layerkit.plugin.ExportError`.

    An exporter may also have ``options``: a sequence of ``click.Option`` objects that
    ``layerkit export NAME`` accepts; their values arrive in ``context.options`` by name.
    """


@hookspec
def register_preannotators(register: Callable[[Preannotator], None]) -> None:
    """Register pre-annotators, which fill a layer with model suggestions for people to correct.

    :param register: call ``register(preannotator)``; a pre-annotator has a ``name``, a
        ``version`` and the ``layer`` it fills, and ``annotate(paragraphs)`` returning, for each
        :class:`layerkit.plugin.Paragraph` (with the annotations of the layers below the one it
        fills), a list of :class:`layerkit.plugin.AnnotationDraft`. ``layerkit preannotate`` stores them with
        origin ``model:<name>@<version>`` and never touches a paragraph whose layer has human
        annotations.
    """


@hookspec
def register_layers(register: Callable[[Path], None]) -> None:
    """Register layer schema files (TOML), adding layers or extending existing ones.

    :param register: call ``register(path_to_toml)``. A file with ``layer = "name"`` defines a
        layer; one with ``extends = "name"`` adds fields or labels to an existing layer.

    A new layer is a curriculum stage of its own; give it tasks with
    ``register_curriculum_tasks`` (else one is derived from its schema).
    """


@hookspec
def register_curriculum_tasks(register: Callable[[CurriculumTask], None]) -> None:
    """Register curriculum tasks: what ``layerkit export sft`` asks about a layer.

    :param register: call ``register(task)``; a task (see
        :class:`layerkit.curriculum.tasks.CurriculumTask`) has a unique ``name``
        (``"<layer>.<what>"``), the ``layer`` whose gold annotations it turns into answers, an
        ``answer_format`` (``token_table``, ``json`` or ``text``: see
        :mod:`layerkit.curriculum.answers`), a ``context`` flag (its answer is shown as gold
        context in the prompts of higher layers; at most one such task per layer) and
        ``examples(paragraph, lang)`` yielding :class:`layerkit.curriculum.tasks.Example`;
        optionally ``meta_keys`` (the meta keys its examples set) and
        ``preference_pairs(paragraph, lang)`` for ``layerkit export dpo``.

    A layer that no plugin gives a task gets a generic one derived from its schema, so a layer
    added through ``register_layers`` alone is already part of the curriculum.
    """


@hookspec
def curriculum_record(
    record: dict[str, Any], stage: str, task: str, paragraph: Paragraph
) -> dict[str, Any] | None:
    """Change or drop one curriculum record before it is written.

    Implementations are chained, in pluggy's call order (``tryfirst``/``trylast`` apply): each
    receives the record as the one before returned it. Return the record (changed or not) to keep
    it; return ``None`` to drop it, and the implementations after yours are not called. A record
    is an SFT record (``{"messages": [...], "meta": {...}}``) or, from ``layerkit export dpo``, a
    preference record (``{"prompt": [...], "chosen": [...], "rejected": [...], "meta": {...}}``);
    ``record["meta"]["kind"]`` says which. The result is checked: a plugin that returns something
    else is named in the error and nothing is written.

    :param record: the record, a fresh dict you may change in place.
    :param stage: the stage it belongs to, e.g. ``"02-semantic"``.
    :param task: the task that produced it, e.g. ``"semantic.frames"``.
    :param paragraph: the paragraph the record is about (:class:`~layerkit.plugin.Paragraph`:
        its text, sentences, tokens and every layer read for the export), so a hook need not
        parse the prompt back. Take only the arguments you use: ``def curriculum_record(record,
        paragraph)`` is a valid implementation.
    :return: the record to write, or ``None`` to drop it.
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add commands to the ``layerkit`` command line.

    :param cli: the root ``click`` group; decorate new commands with ``@cli.command()``.
    """


@hookspec
def annotation_saved(annotation: dict[str, Any], action: str) -> None:
    """Called after an annotation edit has been committed to the store.

    :param annotation: the annotation row as a plain dict (after the change; before it for
        ``delete``).
    :param action: ``create``, ``update`` or ``delete``.
    """
