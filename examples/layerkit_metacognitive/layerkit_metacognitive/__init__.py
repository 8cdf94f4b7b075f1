"""layerkit-metacognitive: a sixth layer with its own schema, curriculum task and record hook.

It shows the three hooks a new layer needs: ``register_layers`` (the schema),
``register_curriculum_tasks`` (what the curriculum asks about it) and ``curriculum_record``
(here: the stage's records get a system message of their own).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from layerkit import hookimpl
from layerkit.plugin import Example, Paragraph, format_answer

SCHEMA = Path(__file__).with_name("metacognitive.toml")
INSTRUCTIONS = {
    "ru": "Каким приёмом абзац строит мысль (DEFINE, COMPARE, ILLUSTRATE, ARGUE, NARRATE) и почему "
    'автор выбрал его? Ответ — JSON: {"strategy": ПРИЁМ, "reflection": текст}.',
    "en": "Which strategy does the paragraph use (DEFINE, COMPARE, ILLUSTRATE, ARGUE, NARRATE), "
    'and why? Answer with JSON: {"strategy": STRATEGY, "reflection": text}.',
}
SYSTEM = {
    "ru": "Ты — лингвист. Ты объясняешь, как абзац строит свою мысль и почему.",
    "en": "You are a linguist. You explain how a paragraph builds its thought, and why.",
}


class StrategyTask:
    """ "Which strategy does the paragraph use, and why?" → {"strategy", "reflection"}."""

    name = "metacognitive.strategy"
    layer = "metacognitive"
    answer_format = "json"
    context = True
    description = "the paragraph's strategy of exposition and a reflection on it"

    def examples(self, paragraph: Paragraph, lang: str) -> Iterator[Example]:
        data: dict[str, Any] = {"strategy": None, "reflection": None}
        for ann in paragraph.layer("metacognitive"):
            data[ann.field] = ann.label if ann.kind == "label" else ann.value
        yield Example(
            instruction=INSTRUCTIONS[lang],
            answer=format_answer("json", data),
            labels=(f"strategy:{data['strategy']}",),
        )


@hookimpl
def register_layers(register: Callable[[Path], None]) -> None:
    register(SCHEMA)


@hookimpl
def register_curriculum_tasks(register: Callable[[Any], None]) -> None:
    register(StrategyTask())


@hookimpl
def curriculum_record(record: dict[str, Any], stage: str, task: str) -> dict[str, Any] | None:
    if task == StrategyTask.name:
        record["messages"][0]["content"] = SYSTEM[record["meta"]["instructions"]]
    return record
