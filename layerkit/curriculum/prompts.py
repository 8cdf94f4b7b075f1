"""The fixed wording around every task: system message, headings, the order of the parts.

Kept in one place so the Russian and English curricula differ in words only, and so tests and
trainers can find the parts of a prompt (the context headings name the layer by its schema name).
"""

from __future__ import annotations

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
TASK = {"ru": "Задание:", "en": "Task:"}


def context_heading(layer: str, lang: str) -> str:
    return CONTEXT[lang].format(layer=layer)


def user_prompt(
    text: str, context: list[tuple[str, str]], material: str, instruction: str, lang: str
) -> str:
    """Paragraph, then the gold answers of the lower layers, then the task's own material and
    question: the question comes last so the answer follows it directly."""
    parts = [f"{PARAGRAPH[lang]}\n{text}"]
    parts.extend(f"{context_heading(layer, lang)}\n{answer}" for layer, answer in context)
    if material:
        parts.append(material)
    parts.append(f"{TASK[lang]} {instruction}")
    return "\n\n".join(parts)
