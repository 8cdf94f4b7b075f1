"""A curriculum task derived from a layer's schema alone.

Used for every layer that no plugin gives a task of its own (``register_curriculum_tasks``), so a
layer added with nothing but a TOML schema (``register_layers`` or ``layerkit.toml``) is part of
the curriculum at once. Its answer is a JSON object with whatever the layer holds:

- ``spans``: ``[{"field", "label", "text"}]`` for span and token annotations, in text order;
- ``relations``: ``[{"field", "label", "from", "to"}]``, the quoted texts of the two spans;
- ``labels``: ``{field: LABEL}`` for paragraph labels, ``{field: [LABEL or null per sentence]}``
  for sentence labels;
- ``texts``: ``{field: text}`` for paragraph texts, and ``{"field", "label", "anchor", "text"}``
  items under ``anchored`` for texts tied to a span.

Keys with nothing in them are left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from layerkit.curriculum.answers import format_answer
from layerkit.curriculum.tasks import Example, Paragraph, label_counts
from layerkit.schema import LayerSchema

_INSTRUCTION = {
    "ru": (
        "Разметьте абзац на слое «{title}» ({description}). Поля: {fields}. Ответ — JSON-объект "
        "с ключами spans, relations, labels, texts, anchored (пустые не пишите); фрагменты "
        "текста приводите дословно."
    ),
    "en": (
        "Annotate the paragraph on the {title} layer ({description}). Fields: {fields}. Answer "
        "with a JSON object with the keys spans, relations, labels, texts, anchored (leave out "
        "empty ones); quote text fragments verbatim."
    ),
}


class SchemaTask:
    """The whole layer as one JSON answer; a context task, so higher layers see it."""

    answer_format = "json"
    context = True

    def __init__(self, schema: LayerSchema) -> None:
        self.schema = schema
        self.layer = schema.layer
        self.name = f"{schema.layer}.annotation"
        self.description = f"every annotation of the {schema.layer} layer (derived from its schema)"

    def examples(self, paragraph: Paragraph, lang: str) -> Iterator[Example]:
        data = self.data(paragraph)
        fields = "; ".join(
            f"{f.name} ({f.kind}" + (": " + ", ".join(f.label_names) if f.labels else "") + ")"
            for f in self.schema.fields
        )
        instruction = _INSTRUCTION[lang].format(
            title=self.schema.title, description=self.schema.description.strip(), fields=fields
        )
        yield Example(
            instruction=instruction,
            answer=format_answer("json", data),
            labels=label_counts(paragraph.layer(self.layer)),
        )

    def data(self, paragraph: Paragraph) -> dict[str, Any]:
        anns = paragraph.layer(self.layer)
        kinds = {f.name: (f.kind, f.scope) for f in self.schema.fields}
        spans = sorted(
            (a for a in anns if a.kind in ("span", "token") and a.start is not None),
            key=lambda a: (a.start, a.end, a.id),
        )
        out: dict[str, Any] = {}
        if spans:
            out["spans"] = [
                {"field": a.field, "label": a.label, "text": paragraph.quote(a)} for a in spans
            ]
        relations = []
        for a in anns:
            if a.kind != "relation":
                continue
            source, target = paragraph.get(a.source_id), paragraph.get(a.target_id)
            if source is None or target is None:
                continue
            relations.append(
                {
                    "field": a.field,
                    "label": a.label,
                    "from": paragraph.quote(source),
                    "to": paragraph.quote(target),
                }
            )
        if relations:
            out["relations"] = relations
        labels: dict[str, Any] = {}
        for a in anns:
            if a.kind != "label":
                continue
            if kinds.get(a.field, ("", ""))[1] == "sentence" and a.start is not None:
                seq = labels.setdefault(a.field, [None] * len(paragraph.sentences))
                index = paragraph.sentence_index(a.start)
                if index < len(seq):
                    seq[index] = a.label
            else:
                labels[a.field] = a.label
        if labels:
            out["labels"] = labels
        texts: dict[str, str] = {}
        anchored = []
        for a in anns:
            if a.kind != "text" or not a.value:
                continue
            anchor = paragraph.get(a.source_id)
            if anchor is None:
                texts[a.field] = a.value.strip()
            else:
                anchored.append(
                    {
                        "field": a.field,
                        "label": a.label,
                        "anchor": paragraph.quote(anchor),
                        "text": a.value.strip(),
                    }
                )
        if texts:
            out["texts"] = texts
        if anchored:
            out["anchored"] = anchored
        return out
