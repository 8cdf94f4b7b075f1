"""``layerkit ask``: the curriculum's questions about a new paragraph, asked of a trained model.

Every stage folder keeps an example record of its main task (``example.json``). The question is
rebuilt from it with the curriculum's own prompt layout (:mod:`layerkit.curriculum.prompts`):
the new paragraph, the model's answers for the lower layers as context (in training these were
the gold annotations) and the task's instruction. Task-specific material (such as numbered
sentences) is not rebuilt, so this is a quick look, not an evaluation: ``layerkit train`` scores
the test splits for that.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from layerkit.curriculum import prompts
from layerkit.errors import UsageError


def instruction_of(example: dict) -> tuple[str, str]:
    """The task instruction of an example record, and the language of its wording."""
    lang = example.get("meta", {}).get("instructions", "ru")
    if lang not in prompts.TASK:
        lang = "ru"
    user = next(m["content"] for m in example["messages"] if m["role"] == "user")
    heading = f"{prompts.TASK[lang]} "
    at = user.rfind(heading)
    if at < 0:
        raise UsageError(
            f"the example question has no {prompts.TASK[lang]!r} part to take the task from.",
            hint="Train on a curriculum written by `layerkit export sft`.",
        )
    return user[at + len(heading) :], lang


def _context_tasks() -> Mapping[str, Any]:
    """Each layer's context task, from the plugins in force (what renders a compact form)."""
    from layerkit.curriculum.build import collect_tasks
    from layerkit.plugin.manager import collect, get_plugin_manager
    from layerkit.schema import SchemaRegistry

    pm = get_plugin_manager()
    schemas = SchemaRegistry.from_paths([p for _, p in collect(pm, "register_layers")])
    return collect_tasks(pm, schemas)[1]


def _context_answer(
    layer: str,
    form: str,
    answers: dict[str, str],
    lang: str,
    tasks: Mapping[str, Any] | None = None,
) -> str | None:
    """The model's answer for a lower layer in the form the stage was trained with: as it is,
    or rendered compact by the layer's context task (``tasks``: :func:`_context_tasks`, read
    here if not given; None: not asked, or not compactable)."""
    answer = answers.get(layer)
    if answer is None or form != "compact":
        return answer
    from layerkit.curriculum.build import compact_answer

    task = (tasks if tasks is not None else _context_tasks()).get(layer)
    return None if task is None else compact_answer(task, answer, lang)


def ask_layers(
    run_dir: Path, text: str, stage: str | None, max_new_tokens: int | None
) -> Iterator[tuple[str, str]]:
    """``(stage, answer)`` for every finished stage up to ``stage``, lowest layer first."""
    from layerkit.train.inference import (
        answer,
        load_trained,
        pick_stage,
        stage_example,
        trained_stages,
    )

    chosen, _, run = pick_stage(run_dir, stage)
    names = [name for name, _ in trained_stages(run_dir, run)]
    asked = names[: names.index(chosen) + 1]
    trained = load_trained(run_dir, chosen)
    budget = max_new_tokens or int(run["config"]["max_new_tokens"])
    answers: dict[str, str] = {}
    tasks: Mapping[str, Any] | None = None
    for name, folder in trained_stages(run_dir, run):
        if name not in asked:
            continue
        example = stage_example(folder)
        if example is None:
            raise UsageError(
                f"{folder} has no example.json to word the question with.",
                hint="Train the stage again with this layerkit (it writes one), or ask another "
                "stage (--stage).",
            )
        instruction, lang = instruction_of(example)
        meta = example.get("meta", {})
        layers = meta.get("context_layers", [])
        forms = meta.get("context_forms") or ["full"] * len(layers)
        if tasks is None and "compact" in forms:
            tasks = _context_tasks()  # once per question, whatever the stages ask
        context = [
            prompts.ContextPart(layer, shown, form)
            for layer, form in zip(layers, forms, strict=False)
            if (shown := _context_answer(layer, form, answers, lang, tasks)) is not None
        ]
        system = [m for m in example["messages"] if m["role"] == "system"]
        messages = [
            *system,
            {"role": "user", "content": prompts.user_prompt(text, context, "", instruction, lang)},
        ]
        reply = answer(trained, messages, budget)
        answers[example.get("meta", {}).get("layer", name)] = reply
        yield name, reply
