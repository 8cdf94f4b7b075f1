"""The fixed wording around every task: system message, headings, the order of the parts.

Kept in one place so the Russian and English curricula differ in words only, and so tests and
trainers can find the parts of a prompt (the context headings name the layer by its schema name).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

LANGUAGES = ("ru", "en")

SYSTEM = {
    "ru": (
        "Ты — лингвист. Ты размечаешь русские тексты по слоям смысла: лексическому, "
        "семантическому, логическому, эпистемическому и прагматическому. Отвечай строго в "
        "формате, который указан в задании."
    ),
    "en": (
        "You are a linguist. You annotate Russian texts layer by layer: lexical, semantic, "
        "logical, epistemic and pragmatic. Answer strictly in the format the task asks for."
    ),
}
PARAGRAPH = {"ru": "Абзац:", "en": "Paragraph:"}
CONTEXT = {
    "ru": "Эталонная разметка слоя {layer}:",
    "en": "Gold annotation of the {layer} layer:",
}
# The heading of a lower layer shown in its compact form (layerkit.curriculum.budget).
CONTEXT_COMPACT = {
    "ru": "Эталонная разметка слоя {layer} (кратко):",
    "en": "Gold annotation of the {layer} layer (compact):",
}
TASK = {"ru": "Задание:", "en": "Task:"}


# What separates the parts of a user message (and every part ends without it), so the parts
# of a prompt can be measured and encoded one by one (a paragraph's context parts once for all
# its records) and still add up to the message.
SEPARATOR = "\n\n"


class ContextPart(NamedTuple):
    """A lower layer shown in a prompt: its name, its answer (the gold one in a curriculum, a
    model's when asking) and the form the answer is in (``full`` or ``compact``)."""

    layer: str
    answer: str
    form: str = "full"


def context_heading(layer: str, lang: str, form: str = "full") -> str:
    return (CONTEXT_COMPACT if form == "compact" else CONTEXT)[lang].format(layer=layer)


def paragraph_part(text: str, lang: str) -> str:
    return f"{PARAGRAPH[lang]}\n{text}"


#: what a lower layer's block says where its answer is empty (a compact lexical layer of a
#: paragraph without content words): a heading followed by nothing read as a cut prompt
EMPTY_ANSWER = "—"


def has_answer(answer: str) -> bool:
    """Whether a lower layer's answer says anything (not empty, not only whitespace): asked
    once per paragraph and layer of an export, without copying the answer as ``strip`` does."""
    return bool(answer) and not answer.isspace()


def context_body(answer: str) -> str:
    """A lower layer's answer as its block shows it (:data:`EMPTY_ANSWER` for none)."""
    return answer if has_answer(answer) else EMPTY_ANSWER


def context_part(part: ContextPart, lang: str) -> str:
    return f"{context_heading(part.layer, lang, part.form)}\n{context_body(part.answer)}"


def question_part(instruction: str, lang: str) -> str:
    return f"{TASK[lang]} {instruction}"


def user_parts(
    text: str, context: Sequence[ContextPart], material: str, instruction: str, lang: str
) -> list[str]:
    """The parts of a user message, in order: paragraph, the gold answers of the lower layers,
    the task's material (if any) and the question, last, so the answer follows it directly."""
    parts = [paragraph_part(text, lang)]
    parts.extend(context_part(part, lang) for part in context)
    if material:
        parts.append(material)
    parts.append(question_part(instruction, lang))
    return parts


def user_prompt(
    text: str, context: Sequence[ContextPart], material: str, instruction: str, lang: str
) -> str:
    """The user message: :func:`user_parts` joined by :data:`SEPARATOR`."""
    return SEPARATOR.join(user_parts(text, context, material, instruction, lang))
