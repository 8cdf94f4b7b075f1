"""The built-in curriculum tasks of the five layers (LAYERS.md, "Curriculum tasks").

Each task reads one layer of a :class:`Paragraph` and answers in a format of
``layerkit.curriculum.answers``; docs/curriculum.md shows every answer shape. Spans are quoted by
their text, never by offsets: a model can copy words but cannot count code points, and
``answers.locate`` maps a quote back onto the paragraph.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar

from layerkit.curriculum.answers import (
    TOKEN_COLUMNS,
    AnswerParseError,
    Quotes,
    format_answer,
    format_token_table,
)
from layerkit.curriculum.tasks import Ann, Example, Paragraph, PreferencePair, label_counts
from layerkit.drafts import AnnotationDraft

# The parts of speech a compact lexical context keeps (content words): function words and
# punctuation add tokens, not meaning a higher layer needs from the lexical layer.
CONTENT_UPOS = frozenset({"NOUN", "PROPN", "VERB", "ADJ", "ADV", "NUM"})

SEMANTIC_ROLES = "AGENT, PATIENT, THEME, EXPERIENCER, RECIPIENT, ATTRIBUTE, INSTRUMENT, TIME, PLACE, CAUSE, MANNER"


_OFFSETS = operator.attrgetter("start", "end")


def _by_start(anns: list[Ann]) -> list[Ann]:
    return sorted(anns, key=lambda a: (a.start if a.start is not None else -1, a.end or 0, a.id))


def _for_last_paragraph(
    owner: object, slot: str, view: Paragraph, make: Callable[[Paragraph], Any]
) -> Any:
    """``make(view)``, kept in ``owner``'s ``slot`` for the last paragraph asked about (held by
    identity, so a paragraph read again is made again)."""
    last = owner.__dict__.get(slot)
    if last is not None and last[0] is view:
        return last[1]
    made = make(view)
    owner.__dict__[slot] = (view, made)
    return made


def _items(data: Any, key: str) -> list[Mapping[str, Any]]:
    """``data[key]`` as a list of objects, or an :class:`AnswerParseError` saying what is wrong
    (a model's answer may have any shape)."""
    if not isinstance(data, Mapping):
        raise AnswerParseError(f"the answer is not a JSON object but {type(data).__name__}.")
    items = data.get(key) or []
    if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
        raise AnswerParseError(f"{key!r} is not a list of objects.")
    return items


def _label(item: Mapping[str, Any], key: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise AnswerParseError(f"{key!r} of {dict(item)} is not a label.")
    return value


class _Drafts:
    """The annotations an answer stands for, with draft-local ids for relation ends; spans
    with the same field, offsets and label are one span (an argument of two predicates)."""

    def __init__(self, layer: str) -> None:
        self.layer = layer
        self.out: list[AnnotationDraft] = []
        self._ids = itertools.count(1)
        self._spans: dict[tuple[str, int, int, str], int] = {}

    def span(
        self, field: str, where: tuple[int, int], label: str, attrs: dict[str, Any] | None = None
    ) -> int:
        key = (field, *where, label)
        if key not in self._spans:
            local = self._spans[key] = next(self._ids)
            self.out.append(
                AnnotationDraft(
                    layer=self.layer, kind="span", field=field, label=label, start=where[0],
                    end=where[1], attrs=dict(attrs or {}), local_id=local,
                )
            )  # fmt: skip
        return self._spans[key]

    def relation(
        self, field: str, label: str, source: int, target: int, attrs: dict[str, Any] | None = None
    ) -> None:
        self.out.append(
            AnnotationDraft(
                layer=self.layer, kind="relation", field=field, label=label, source=source,
                target=target, attrs=dict(attrs or {}), local_id=next(self._ids),
            )
        )  # fmt: skip


class _Task:
    name = ""
    layer = ""
    answer_format = "json"
    context = True
    description = ""
    instructions: ClassVar[dict[str, str]] = {}
    # Fields whose labels the answer contains (for the dataset card); None: every field.
    label_fields: tuple[str, ...] | None = None

    def data(self, view: Paragraph) -> Any:
        raise NotImplementedError

    def cached_data(self, view: Paragraph) -> Any:
        """``data(view)``, kept for the last paragraph: its answer and its compact context are
        made from the same data, one after the other."""
        return _for_last_paragraph(self, "_last_data", view, self.data)

    def answer(self, view: Paragraph) -> str:
        return format_answer(self.answer_format, self.cached_data(view))

    def examples(self, view: Paragraph, lang: str) -> Iterator[Example]:
        anns = view.layer(self.layer)
        if self.label_fields is not None:
            anns = [a for a in anns if a.field in self.label_fields]
        yield Example(
            instruction=self.instructions[lang], answer=self.answer(view), labels=label_counts(anns)
        )


class LexicalTask(_Task):
    name = "lexical.morphology"
    layer = "lexical"
    answer_format = "token_table"
    description = "lemma, UPOS and UD features of every word, as a token table"
    instructions: ClassVar[dict[str, str]] = {
        "ru": (
            "Укажите лемму, часть речи (UPOS) и морфологические признаки (UD FEATS) каждого "
            "слова абзаца. Ответ — таблица через табуляцию: первая строка word, lemma, upos, "
            "feats; затем по строке на слово в порядке текста; «_», если признаков нет."
        ),
        "en": (
            "Give the lemma, part of speech (UPOS) and morphological features (UD FEATS) of every "
            "word of the paragraph. Answer with a tab-separated table: a header line word, lemma, "
            "upos, feats, then one line per word in text order; '_' where there are no features."
        ),
    }

    def data(self, view: Paragraph) -> list[dict[str, str]]:
        return [dict(zip(TOKEN_COLUMNS, row, strict=True)) for row in self.cached_rows(view)]

    def cached_rows(self, view: Paragraph) -> list[tuple[str, str, str, str]]:
        """``rows(view)`` kept for the last paragraph (its answer and compact context)."""
        return _for_last_paragraph(self, "_last_rows", view, self.rows)  # type: ignore[no-any-return]

    def compact(self, data: list[dict[str, str]], lang: str) -> str:
        """``lemma/UPOS`` of each content word, in text order: what higher layers use of the
        lexical layer (which word is the verb, what it is in the dictionary)."""
        return " ".join(
            f"{row.get('lemma', '_')}/{row.get('upos')}"
            for row in data
            if row.get("upos") in CONTENT_UPOS
        )

    def compact_paragraph(self, view: Paragraph, lang: str) -> str:
        """``compact(data(view), lang)`` from the rows themselves (an export makes one per
        paragraph: building a dict per token for it cost a twelfth of the export)."""
        return " ".join(
            [
                f"{lemma}/{upos}"
                for _, lemma, upos, _ in self.cached_rows(view)
                if upos in CONTENT_UPOS
            ]
        )

    def answer(self, view: Paragraph) -> str:
        return format_token_table(self.cached_rows(view))

    def rows(self, view: Paragraph) -> list[tuple[str, str, str, str]]:
        """``(word, lemma, upos, feats)`` of every token, in text order (a word may have several
        rows when it is split into several syntactic words, each with its ``word`` attribute)."""
        text = view.text
        morph = [a for a in view.layer("lexical") if a.field == "morph"]
        # Usually each token has one analysis, stored in text order: pair them up directly.
        if len(morph) == len(view.tokens) and list(map(_OFFSETS, morph)) == list(
            map(tuple, view.tokens)
        ):
            return [
                (
                    text[start:end],
                    a.attrs.get("lemma") or "_",
                    a.label or "_",
                    a.attrs.get("feats") or "_",
                )
                for a, (start, end) in zip(morph, view.tokens, strict=True)
            ]
        by_span: dict[tuple[int, int], list[Ann]] = {}
        for ann in morph:
            if ann.start is not None and ann.end is not None:
                key = (ann.start, ann.end)
                found = by_span.get(key)
                if found is None:
                    by_span[key] = [ann]
                else:
                    found.append(ann)
        rows = []
        for start, end in view.tokens:
            form = text[start:end]
            anns = by_span.get((start, end))
            if anns is None:
                rows.append((form, "_", "_", "_"))
                continue
            for ann in anns:
                attrs = ann.attrs
                rows.append(
                    (
                        (attrs.get("word") or form) if len(anns) > 1 else form,
                        attrs.get("lemma") or "_",
                        ann.label or "_",
                        attrs.get("feats") or "_",
                    )
                )
        return rows


class SemanticTask(_Task):
    name = "semantic.frames"
    layer = "semantic"
    description = "predicates and their arguments with semantic roles"
    instructions: ClassVar[dict[str, str]] = {
        "ru": (
            "Кто что сделал, с кем и при каких обстоятельствах? Найдите все предикаты абзаца "
            f"(действия, процессы, состояния) и их участников с ролями ({SEMANTIC_ROLES}). "
            'Ответ — JSON: {"predicates": [{"predicate": текст, "roles": [{"role": РОЛЬ, '
            '"text": текст}]}]}; фрагменты текста приводите дословно, в порядке текста.'
        ),
        "en": (
            "Who did what to whom, and under which circumstances? Find every predicate of the "
            "paragraph (actions, processes, states) and its arguments with their roles "
            f'({SEMANTIC_ROLES}). Answer with JSON: {{"predicates": [{{"predicate": text, '
            '"roles": [{"role": ROLE, "text": text}]}]}; quote the text verbatim, in text order.'
        ),
    }

    def data(self, view: Paragraph) -> dict[str, Any]:
        anns = view.layer("semantic")
        predicates = _by_start([a for a in anns if a.field == "frame" and a.label == "PREDICATE"])
        roles: dict[int, list[tuple[Ann, Ann]]] = {}
        linked: set[int] = set()
        for rel in anns:
            if rel.kind != "relation":
                continue
            arg, pred = view.get(rel.source_id), view.get(rel.target_id)
            if arg is None or pred is None:
                continue
            roles.setdefault(pred.id, []).append((arg, rel))
            linked.add(arg.id)
        out: dict[str, Any] = {
            "predicates": [
                {
                    "predicate": view.quote(p),
                    "roles": [
                        {"role": rel.label, "text": view.quote(arg)}
                        for arg, rel in sorted(
                            roles.get(p.id, []), key=lambda x: (x[0].start or 0, x[0].id)
                        )
                    ],
                }
                for p in predicates
            ]
        }
        unlinked = [
            {"role": a.label, "text": view.quote(a)}
            for a in _by_start(anns)
            if a.kind == "span" and a.label != "PREDICATE" and a.id not in linked
        ]
        if unlinked:
            out["unattached"] = unlinked
        return out

    def compact(self, data: dict[str, Any], lang: str) -> str:
        """One line per predicate: ``predicate: ROLE=text; ROLE=text``."""
        lines = []
        for frame in data.get("predicates") or []:
            roles = "; ".join(f"{r.get('role')}={r.get('text')}" for r in frame.get("roles") or [])
            lines.append(f"{frame.get('predicate')}: {roles}" if roles else frame.get("predicate"))
        loose = data.get("unattached") or []
        if loose:
            lines.append("—: " + "; ".join(f"{r.get('role')}={r.get('text')}" for r in loose))
        return "\n".join(str(line) for line in lines)

    def read_answer(self, data: Any, view: Paragraph) -> list[AnnotationDraft]:
        """The annotations an answer of :meth:`data`'s shape stands for: a PREDICATE span per
        predicate (in text order), each role's argument span (the occurrence nearest its
        predicate) with a ``role`` relation to it; ``unattached`` arguments as spans alone."""
        quotes, drafts = Quotes(view.text), _Drafts("semantic")
        for frame in _items(data, "predicates"):
            where = quotes.next(frame.get("predicate"), "predicate")
            predicate = drafts.span("frame", where, "PREDICATE")
            for role in _items(frame, "roles"):
                label = _label(role, "role")
                argument = drafts.span("frame", quotes.near(role.get("text"), where[0]), label)
                drafts.relation("role", label, argument, predicate)
        for role in _items(data, "unattached"):
            drafts.span("frame", quotes.next(role.get("text"), "unattached"), _label(role, "role"))
        return drafts.out


class LogicalTask(_Task):
    name = "logical.structure"
    layer = "logical"
    description = "argumentative units and the relations between them"
    label_fields = ("unit", "discourse")
    instructions: ClassVar[dict[str, str]] = {
        "ru": (
            "Что утверждается и на каком основании; как связаны высказывания? Выделите "
            "аргументативные единицы (MAJOR_CLAIM, CLAIM, PREMISE) и связи между ними (SUPPORT, "
            "ATTACK, CAUSE, CONDITION, PURPOSE, CONCESSION, CONTRAST, SEQUENCE, ELABORATION) с "
            'маркером связи, если он есть. Ответ — JSON: {"units": [{"id": номер, "type": ТИП, '
            '"text": текст}], "relations": [{"type": СВЯЗЬ, "from": номер, "to": номер, '
            '"connective": маркер или null}]}.'
        ),
        "en": (
            "What is claimed and on what grounds; how are the statements linked? Mark the "
            "argumentative units (MAJOR_CLAIM, CLAIM, PREMISE) and the relations between them "
            "(SUPPORT, ATTACK, CAUSE, CONDITION, PURPOSE, CONCESSION, CONTRAST, SEQUENCE, "
            'ELABORATION) with their connective if there is one. Answer with JSON: {"units": '
            '[{"id": number, "type": TYPE, "text": text}], "relations": [{"type": RELATION, '
            '"from": number, "to": number, "connective": marker or null}]}.'
        ),
    }

    def data(self, view: Paragraph) -> dict[str, Any]:
        anns = view.layer("logical")
        units = _by_start([a for a in anns if a.field == "unit" and a.kind == "span"])
        number = {u.id: i for i, u in enumerate(units, start=1)}
        relations = []
        for rel in anns:
            if rel.kind != "relation" or rel.source_id not in number or rel.target_id not in number:
                continue
            assert rel.source_id is not None and rel.target_id is not None
            relations.append(
                {
                    "type": rel.label,
                    "from": number[rel.source_id],
                    "to": number[rel.target_id],
                    "connective": rel.attrs.get("connective") or None,
                }
            )
        relations.sort(key=lambda r: (r["from"], r["to"], r["type"] or ""))
        return {
            "units": [{"id": number[u.id], "type": u.label, "text": view.quote(u)} for u in units],
            "relations": relations,
        }

    def compact(self, data: dict[str, Any], lang: str) -> str:
        """``id TYPE: text`` per unit, then one line of ``RELATION from→to «connective»``."""
        lines = [f"{u.get('id')} {u.get('type')}: {u.get('text')}" for u in data.get("units") or []]
        relations = [
            f"{r.get('type')} {r.get('from')}→{r.get('to')}"
            + (f" «{r['connective']}»" if r.get("connective") else "")
            for r in data.get("relations") or []
        ]
        if relations:
            lines.append("; ".join(relations))
        return "\n".join(lines)

    def read_answer(self, data: Any, view: Paragraph) -> list[AnnotationDraft]:
        """Units as ``unit`` spans (in text order), relations between their numbers as
        ``discourse`` relations with their connective."""
        quotes, drafts = Quotes(view.text), _Drafts("logical")
        numbered: dict[Any, int] = {}
        for unit in _items(data, "units"):
            where = quotes.next(unit.get("text"), "unit")
            numbered[unit.get("id")] = drafts.span("unit", where, _label(unit, "type"))
        for rel in _items(data, "relations"):
            ends = [numbered.get(rel.get(end)) for end in ("from", "to")]
            if ends[0] is None or ends[1] is None:
                raise AnswerParseError(f"relation {dict(rel)} names a unit the answer lacks.")
            connective = rel.get("connective")
            attrs = {"connective": connective} if isinstance(connective, str) and connective else {}
            drafts.relation("discourse", _label(rel, "type"), ends[0], ends[1], attrs)
        return drafts.out


_UNFOLDING = {
    "EXAMPLE": (
        "example",
        "Приведите пример, который подтверждает это утверждение.",
        "Give an example that bears this statement out.",
    ),
    "COUNTEREXAMPLE": (
        "counterexample",
        "Приведите контрпример, который опровергает или ограничивает это утверждение.",
        "Give a counterexample that refutes or limits this statement.",
    ),
    "ANALOGY": (
        "analogy",
        "Предложите аналогию из другой области для этого утверждения.",
        "Offer an analogy from another field for this statement.",
    ),
    "APPLICATION": (
        "application",
        "Покажите, как это утверждение применяется на практике.",
        "Show how this statement applies in practice.",
    ),
}
_STATEMENT = {"ru": "Утверждение: «{}»", "en": "Statement: “{}”"}


class UnfoldingTask:
    """An annotator's example, counterexample, analogy or application of one unit: a task of its
    own per text, and (example against counterexample) preference pairs."""

    layer = "logical"
    answer_format = "text"
    context = False
    meta_keys = ("unfolding", "claim", "annotation_id", "pair", "chosen_id", "rejected_id")

    def __init__(self, label: str) -> None:
        self.label = label
        what, self._ru, self._en = _UNFOLDING[label]
        self.name = f"logical.{what}"
        self.description = f"the annotator's {what} of a claim, as free text"

    def _texts(self, view: Paragraph, label: str) -> Iterator[tuple[Ann, Ann]]:
        for ann in view.layer("logical", "unfolding"):
            unit = view.get(ann.source_id)
            if ann.label == label and ann.value and ann.value.strip() and unit is not None:
                yield unit, ann

    def _instruction(self, lang: str) -> str:
        return self._ru if lang == "ru" else self._en

    def examples(self, view: Paragraph, lang: str) -> Iterator[Example]:
        for unit, ann in self._texts(view, self.label):
            claim = view.quote(unit)
            yield Example(
                instruction=self._instruction(lang),
                answer=format_answer("text", ann.value or ""),
                material=_STATEMENT[lang].format(claim),
                labels=(f"unfolding:{self.label}",),
                meta={"unfolding": self.label, "claim": claim, "annotation_id": ann.id},
            )

    def preference_pairs(self, view: Paragraph, lang: str) -> Iterator[PreferencePair]:
        """An example is the better answer to "give an example" than a counterexample of the same
        claim, and the other way round."""
        opposite = {"EXAMPLE": "COUNTEREXAMPLE", "COUNTEREXAMPLE": "EXAMPLE"}.get(self.label)
        if opposite is None:
            return
        others: dict[int, list[Ann]] = {}
        for unit, ann in self._texts(view, opposite):
            others.setdefault(unit.id, []).append(ann)
        for unit, ann in self._texts(view, self.label):
            for other in others.get(unit.id, []):
                claim = view.quote(unit)
                yield PreferencePair(
                    instruction=self._instruction(lang),
                    chosen=format_answer("text", ann.value or ""),
                    rejected=format_answer("text", other.value or ""),
                    material=_STATEMENT[lang].format(claim),
                    meta={
                        "pair": "example_vs_counterexample",
                        "unfolding": self.label,
                        "claim": claim,
                        "chosen_id": ann.id,
                        "rejected_id": other.id,
                    },
                )


class EpistemicTask(_Task):
    name = "epistemic.factuality"
    layer = "epistemic"
    description = "factuality, evidentiality and source of each statement; hedges and boosters"
    instructions: ClassVar[dict[str, str]] = {
        "ru": (
            "Насколько автор уверен в каждом утверждении и с чьих слов оно сказано? Для каждого "
            "утверждения укажите фактуальность (FACT, PROBABLE, POSSIBLE, NON_FACT, UNCOMMITTED), "
            "есть ли отрицание, тип знания (DIRECT, REPORTED, INFERRED или null) и источник "
            "(AUTHOR, если это сам автор); отдельно — слова-смягчители (HEDGE) и усилители "
            '(BOOSTER). Ответ — JSON: {"statements": [{"text": текст, "factuality": МЕТКА, '
            '"negated": true/false, "evidential": МЕТКА или null, "source": текст}], "cues": '
            '[{"type": HEDGE/BOOSTER, "text": текст}]}.'
        ),
        "en": (
            "How certain is the author of each statement, and on whose word? For every statement "
            "give its factuality (FACT, PROBABLE, POSSIBLE, NON_FACT, UNCOMMITTED), whether it is "
            "negated, the kind of evidence (DIRECT, REPORTED, INFERRED or null) and the source "
            "(AUTHOR when it is the author); separately, hedges (HEDGE) and boosters (BOOSTER). "
            'Answer with JSON: {"statements": [{"text": text, "factuality": LABEL, "negated": '
            'true/false, "evidential": LABEL or null, "source": text}], "cues": [{"type": '
            'HEDGE/BOOSTER, "text": text}]}.'
        ),
    }

    def data(self, view: Paragraph) -> dict[str, Any]:
        anns = view.layer("epistemic")
        sources: dict[int, list[Ann]] = {}
        for rel in anns:
            if rel.kind == "relation" and rel.field == "source":
                target = view.get(rel.target_id)
                if target is not None and rel.source_id is not None:
                    sources.setdefault(rel.source_id, []).append(target)
        statements = []
        for span in _by_start([a for a in anns if a.field == "factuality" and a.kind == "span"]):
            named = [view.quote(t) for t in _by_start(sources.get(span.id, []))]
            statements.append(
                {
                    "text": view.quote(span),
                    "factuality": span.label,
                    "negated": bool(span.attrs.get("negated", False)),
                    "evidential": span.attrs.get("evidential") or None,
                    "source": "; ".join(named) if named else "AUTHOR",
                }
            )
        cues = [
            {"type": a.label, "text": view.quote(a)}
            for a in _by_start([a for a in anns if a.field == "cue" and a.kind == "span"])
        ]
        return {"statements": statements, "cues": cues}

    def compact(self, data: dict[str, Any], lang: str) -> str:
        """``FACTUALITY: text`` per statement, with what departs from the common case (negated,
        evidence other than direct, a source other than the author) in brackets; cues last."""
        lines = []
        for s in data.get("statements") or []:
            notes = []
            if s.get("negated"):
                notes.append("NEG")
            if s.get("evidential") not in (None, "DIRECT"):
                notes.append(str(s["evidential"]))
            if s.get("source") not in (None, "AUTHOR"):
                notes.append(f"← {s['source']}")
            extra = f" ({', '.join(notes)})" if notes else ""
            lines.append(f"{s.get('factuality')}{extra}: {s.get('text')}")
        cues = [f"{c.get('type')}={c.get('text')}" for c in data.get("cues") or []]
        if cues:
            lines.append("; ".join(cues))
        return "\n".join(lines)

    def read_answer(self, data: Any, view: Paragraph) -> list[AnnotationDraft]:
        """Statements as ``factuality`` spans (negation and evidence as attributes), a source
        other than AUTHOR as a ``source_mention`` span with a ``source`` relation (several
        sources are joined by "; "), cues as ``cue`` spans."""
        quotes, drafts = Quotes(view.text), _Drafts("epistemic")
        for statement in _items(data, "statements"):
            where = quotes.next(statement.get("text"), "statement")
            attrs: dict[str, Any] = {}
            negated = statement.get("negated")
            if not isinstance(negated, bool | None):
                raise AnswerParseError(f"'negated' of {dict(statement)} is not true or false.")
            if negated:
                attrs["negated"] = True
            if statement.get("evidential") is not None:
                attrs["evidential"] = _label(statement, "evidential")
            span = drafts.span("factuality", where, _label(statement, "factuality"), attrs)
            source = statement.get("source")
            if source in (None, "", "AUTHOR"):
                continue
            if not isinstance(source, str):
                raise AnswerParseError(f"'source' of {dict(statement)} is not a text.")
            named = [source] if source in view.text else source.split("; ")
            for name in named:
                mention = drafts.span("source_mention", quotes.near(name, where[0]), "SOURCE")
                drafts.relation("source", "SOURCE", span, mention)
        for cue in _items(data, "cues"):
            drafts.span("cue", quotes.next(cue.get("text"), "cue"), _label(cue, "type"))
        return drafts.out


_SENTENCES = {"ru": "Предложения:", "en": "Sentences:"}
_PRAGMATIC_TEXTS = ("implicature", "presupposition", "audience", "metacognitive")


class PragmaticTask(_Task):
    name = "pragmatic.analysis"
    layer = "pragmatic"
    description = "speech act of each sentence; intent, tone, register; implicature and notes"
    instructions: ClassVar[dict[str, str]] = {
        "ru": (
            "Что автор делает этим абзацем и что подразумевает? Укажите речевой акт каждого "
            "предложения по номеру (ASSERT, QUESTION, DIRECT, COMMIT, EXPRESS, DECLARE), "
            "намерение абзаца (INFORM, EXPLAIN, PERSUADE, INSTRUCT, EVALUATE, ENTERTAIN), тон "
            "(NEUTRAL, POSITIVE, NEGATIVE, IRONIC), стиль (ACADEMIC, NEWS, CONVERSATIONAL, "
            "OFFICIAL, LITERARY), импликатуру (что подразумевается, но не сказано), "
            "пресуппозицию, адресата и метакогнитивный комментарий (почему автор подаёт мысль "
            'именно так). Ответ — JSON: {"speech_acts": [АКТ для каждого предложения], "intent": '
            '…, "tone": …, "register": …, "implicature": текст, "presupposition": текст или null, '
            '"audience": текст или null, "metacognitive": текст или null}.'
        ),
        "en": (
            "What does the author do with this paragraph, and what is implied? Give the speech "
            "act of each numbered sentence (ASSERT, QUESTION, DIRECT, COMMIT, EXPRESS, DECLARE), "
            "the paragraph's intent (INFORM, EXPLAIN, PERSUADE, INSTRUCT, EVALUATE, ENTERTAIN), "
            "tone (NEUTRAL, POSITIVE, NEGATIVE, IRONIC), register (ACADEMIC, NEWS, "
            "CONVERSATIONAL, OFFICIAL, LITERARY), the implicature (what is meant but not said), "
            "the presupposition, the intended audience and a metacognitive note (why the author "
            'frames it this way). Answer with JSON: {"speech_acts": [ACT per sentence], '
            '"intent": …, "tone": …, "register": …, "implicature": text, "presupposition": text '
            'or null, "audience": text or null, "metacognitive": text or null}.'
        ),
    }

    def examples(self, view: Paragraph, lang: str) -> Iterator[Example]:
        numbered = "\n".join(
            f"{i}. {view.text[s:e]}" for i, (s, e) in enumerate(view.sentences, start=1)
        )
        for example in super().examples(view, lang):
            yield Example(
                instruction=example.instruction,
                answer=example.answer,
                material=f"{_SENTENCES[lang]}\n{numbered}",
                labels=example.labels,
            )

    def data(self, view: Paragraph) -> dict[str, Any]:
        anns = view.layer("pragmatic")
        acts: list[str | None] = [None] * len(view.sentences)
        out: dict[str, Any] = {"speech_acts": acts}
        for field in ("intent", "tone", "register"):
            out[field] = None
        for field in _PRAGMATIC_TEXTS:
            out[field] = None
        for ann in anns:
            if ann.field == "speech_act" and ann.start is not None:
                index = view.sentence_index(ann.start)
                if index < len(acts):
                    acts[index] = ann.label
            elif ann.field in ("intent", "tone", "register"):
                out[ann.field] = ann.label
            elif ann.field in _PRAGMATIC_TEXTS and ann.value:
                out[ann.field] = ann.value.strip()
        return out

    def read_answer(self, data: Any, view: Paragraph) -> list[AnnotationDraft]:
        """A ``speech_act`` label per sentence (in order; null leaves one out), the paragraph's
        ``intent``, ``tone`` and ``register`` labels and its free texts."""
        if not isinstance(data, Mapping):
            raise AnswerParseError(f"the answer is not a JSON object but {type(data).__name__}.")
        acts = data.get("speech_acts") or []
        if not isinstance(acts, list) or len(acts) > len(view.sentences):
            raise AnswerParseError(
                f"'speech_acts' must list at most one act for each of the "
                f"{len(view.sentences)} sentence(s)."
            )
        out = []
        for (start, end), act in zip(view.sentences, acts, strict=False):
            if act is None:
                continue
            if not isinstance(act, str) or not act:
                raise AnswerParseError(f"speech act {act!r} is not a label.")
            out.append(
                AnnotationDraft(
                    layer="pragmatic", kind="label", field="speech_act", label=act, start=start,
                    end=end,
                )
            )  # fmt: skip
        for field in ("intent", "tone", "register"):
            if data.get(field) is not None:
                label = _label(data, field)
                out.append(
                    AnnotationDraft(layer="pragmatic", kind="label", field=field, label=label)
                )
        for field in _PRAGMATIC_TEXTS:
            value = data.get(field)
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            if not isinstance(value, str):
                raise AnswerParseError(f"{field!r} is not a text.")
            out.append(
                AnnotationDraft(layer="pragmatic", kind="text", field=field, value=value.strip())
            )
        return out


def builtin_tasks() -> list[Any]:
    return [
        LexicalTask(),
        SemanticTask(),
        LogicalTask(),
        *(UnfoldingTask(label) for label in _UNFOLDING),
        EpistemicTask(),
        PragmaticTask(),
    ]
