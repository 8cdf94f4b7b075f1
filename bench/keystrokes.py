"""Keys per annotation: the gold annotations of the sample corpus, replayed through the annotator.

    .venv/bin/python bench/keystrokes.py                      # every annotated paragraph
    .venv/bin/python bench/keystrokes.py --paragraphs 2 --layers semantic,logical --verbose
    .venv/bin/python bench/keystrokes.py --pick 2,11          # paragraphs by their 0-based index

The paragraphs of ``sample_corpus/annotated.jsonl`` are imported into a temporary store without
their annotations and layer states (the same records, so the same tokens and sentences), and
the lexical layer is pre-annotated by the built-in model (``ru-morph``, as ``make run`` does).
Then ``layerkit annotate`` runs headless (Textual's ``run_test``; key events sent as a terminal
sends them, each handled to the end before the next) and the gold is entered key by key,
paragraph after paragraph, every layer in order, each finished with ``ctrl+d`` (done). Between
paragraphs: depth-first order (``ctrl+o``, once) and ``ctrl+t`` (next to do), or ``ctrl+n``.

The keys are planned, not written down. For each annotation the planner
(``bench/keystroke_planner.py``) finds the fewest keys from the screen as it is: the text
view's bindings (arrows, sentence jumps, jump hints ``;``/``,``, the next doubtful token
``'``), probed by running the view's own actions, give a shortest path to the selection an edit
needs; the side panel (``tab``, ``↑↓``, ``enter``) is the other way to an existing annotation;
label keys come from the schemas, the relation picker's hints and labels from the picker, the
free-text editor's slots from ``editing.text_slots``. Lexical corrections: a label key (UPOS
only), the token editor (a numbered reading, or the fields typed with their completions:
a breadth-first search over the Input's editing keys, bounded by two structured searches), or
both, whichever is cheapest; the rest accepted with ``A`` (or ``ctrl+a`` per sentence, if that
were cheaper). A layer's annotations go in the cheapest of a few orders (text order either way,
outer or inner spans first, relation targets first), each simulated with the app's own edit
functions (``layerkit.tui.editing``) on a stand-in store, so the plan knows what the app
pre-fills (a relation's connective); what then differs and the side panel's attribute editor
(``a``: texts, choices, yes/no, numbers) can write is written there in one pass at the end of
the layer: per field the fewest keys (a prefix whose completion is the choice and →, ``y``/``n``,
nothing where the field already reads right; ↑↓ between fields). After each step the
replay checks that the screen shows exactly what the plan expected.

At the end the store is compared with the gold per layer, in a form without ids: token
analyses (lemma, UPOS, FEATS), spans, labels, relations (by the spans they link), free texts,
attributes, and that a person made it (origin ``human``, or ``adjudicated`` in the gold). An attribute left empty (``""``, ``None``) counts as not
given (the schema: "empty when implicit"), while ``false`` and ``0`` are values (``_attrs``);
annotator names and model confidences are not compared. What the
annotator has no command for is not written by other means: it is entered as far as the
commands go, counted as not reproduced, and the reasons are printed, grouped.

Printed: per layer, the gold annotations, how many were reproduced, the keys (its layer key,
the annotations' keys, ``A``, ``ctrl+d``; characters typed into free texts counted apart in
``chars``; characters typed into the token editor and the attribute editor are keys), keys per
gold annotation and per paragraph; the keys between paragraphs; the reasons. The last line:
``reproduced=<r>/<n> keys_per_annotation=<f> keys_per_paragraph=<f>``, over all gold
annotations of the layers replayed and all the paragraphs, keys between paragraphs included.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import keystroke_planner as kp  # noqa: E402
from textual import events  # noqa: E402
from textual.keys import _character_to_key, _get_unicode_name_from_key  # noqa: E402

from layerkit.errors import LayerkitError  # noqa: E402
from layerkit.ingest import import_paths  # noqa: E402
from layerkit.model import is_suggestion  # noqa: E402
from layerkit.preannotate import choose_preannotator, preannotate  # noqa: E402
from layerkit.project import Project  # noqa: E402
from layerkit.schema.models import LayerSchema  # noqa: E402
from layerkit.store import Annotation, Paragraph, Store  # noqa: E402
from layerkit.tui import LayerkitApp, create_app, workflow  # noqa: E402
from layerkit.tui.lexical import (  # noqa: E402
    TokenInputError,
    check_token_values,
    token_field,
)
from layerkit.tui.model import ParagraphData  # noqa: E402

CORPUS = REPO / "sample_corpus" / "annotated.jsonl"
ANNOTATOR = "keystrokes"
TIMEOUT = 10.0


# --- gold ---------------------------------------------------------------------------------------


#: keys that open the token editor on the token (enter), on the next one to check (review), or
#: on a jump hint's token (its last letter typed as a capital)
EDITOR_KEYS = frozenset({"enter", "quotation_mark", '"', *"ASDFGHJKLQWERTYUIOPZXCVBNM"})


@dataclass
class Gold:
    """One gold annotation and what became of it."""

    index: int
    paragraph: int  # position in the replay
    layer: str
    kind: str
    annotation: Annotation
    data: ParagraphData  # the gold paragraph (for relation ends)
    reason: str | None = None  # why it cannot be entered; None: planned
    steps: list[kp.Step] = field(default_factory=list)

    @property
    def normal(self) -> tuple[Any, ...]:
        return normal(self.annotation, self.data)

    @property
    def ident(self) -> tuple[Any, ...]:
        return kp.identity(self.annotation, self.data)


def _attrs(attrs: dict[str, Any] | None) -> tuple[tuple[str, str], ...]:
    """Attributes as compared: each value as JSON (so ``false`` is not ``0`` nor ``"no"``),
    without the empty ones, ``""`` and ``None``: an empty connective means an implicit
    relation, an empty choice is no choice. ``false`` and ``0`` are values and are kept: a
    yes/no the gold leaves out is not the same as one stored ``false`` (the sample's gold states
    every factuality's ``negated``; the attribute editor saves every field it shows, a yes/no
    never set as ``false``)."""
    return tuple(
        sorted(
            (k, json.dumps(v, ensure_ascii=False))
            for k, v in (attrs or {}).items()
            if v not in ("", None)
        )
    )


def normal(a: Annotation, data: ParagraphData) -> tuple[Any, ...]:
    """An annotation in a form without ids: what it is, where, and everything it says."""
    # whose: a person's (an annotator's "human", an adjudicator's "adjudicated") or a model's
    whose = "model" if is_suggestion(a.origin) else "person"
    return (*kp.identity(a, data), _attrs(a.attrs), a.value, whose)


def describe(g: Gold) -> str:
    a, text = g.annotation, g.data.text
    if a.kind == "relation":
        src, tgt = g.data.by_id(a.source_id or -1), g.data.by_id(a.target_id or -1)
        ends = [f"«{_cut(text[e.start or 0 : e.end or 0])}»" if e else "?" for e in (src, tgt)]
        return f"{a.field} {a.label} {ends[0]} → {ends[1]}"
    if a.kind == "text":
        return f"{a.field}{' ' + a.label if a.label else ''}: {_cut(a.value or '', 40)}"
    if a.start is None:
        return f"{a.field} {a.label}"
    return f"{a.field} {a.label} «{_cut(text[a.start : a.end or a.start])}»"


def _cut(text: str, limit: int = 28) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def load_corpus(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def gold_annotations(record: dict[str, Any], paragraph: Paragraph) -> list[Annotation]:
    out = []
    for a in record.get("annotations", []):
        if "@" in a["layer"]:
            continue  # an annotator's private copy (double annotation): the gold is the layer
        out.append(
            Annotation(
                id=a["id"],
                paragraph_id=paragraph.id,
                layer=a["layer"],
                kind=a["kind"],
                field=a["field"],
                start=a.get("start"),
                end=a.get("end"),
                label=a.get("label"),
                value=a.get("value"),
                attrs=dict(a.get("attrs") or {}),
                source_id=a.get("source"),
                target_id=a.get("target"),
                annotator=a.get("annotator", "import"),
                origin=a.get("origin", "human"),
                version=1,
            )
        )
    return out


# --- the store to annotate ----------------------------------------------------------------------


def build_store(workdir: Path, corpus: Path, picks: Sequence[int]) -> tuple[Path, str]:
    """The picked paragraphs' records, without annotations and states, imported into a new store
    and pre-annotated on the lexical layer by the built-in model. Returns the store and the
    model's name."""
    records = load_corpus(corpus)
    paragraphs = [r for r in records if r.get("type") == "paragraph"]
    keep = {id(paragraphs[i]) for i in picks}
    used_documents = {paragraphs[i].get("document") for i in picks}
    lines = []
    for r in records:
        if r.get("type") == "paragraph":
            if id(r) not in keep:
                continue
            r = {k: v for k, v in r.items() if k not in ("annotations", "status")}
        elif r.get("type") == "document" and r.get("key") not in used_documents:
            continue
        lines.append(json.dumps(r, ensure_ascii=False))
    source = workdir / "texts" / corpus.name
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = workdir / "keystrokes.db"
    for old in workdir.glob("keystrokes.db*"):
        old.unlink()
    project = Project.load(str(db))
    with project.open_store(create=True) as store:
        import_paths(project, store, [source])
        preannotator = choose_preannotator(project, "lexical", None)
        report = preannotate(project, store, preannotator)
    return db, report.model


# --- planning a layer ---------------------------------------------------------------------------


@dataclass
class Task:
    """Something to enter: one step's worth, before it is planned from the screen's state."""

    kind: str  # span, relation, texts, sentence_label, paragraph_label, token
    golds: list[Gold]
    args: tuple[Any, ...]
    position: tuple[int, int] = (0, 0)


def _aligned(data: ParagraphData, start: int | None, end: int | None) -> bool:
    starts = {s for s, _ in data.tokens}
    ends = {e for _, e in data.tokens}
    return start in starts and end in ends


def layer_tasks(
    golds: list[Gold], schema: LayerSchema, keys: dict[tuple[str, str], Any]
) -> list[Task]:
    """Tasks for one paragraph's layer; golds that no command can enter get their reason."""
    tasks: list[Task] = []
    spans: dict[int, Gold] = {}
    seen: dict[tuple[Any, ...], Gold] = {}
    for g in golds:
        a = g.annotation
        if g.kind == "span":
            where = (a.field, a.start, a.end)
            if not _aligned(g.data, a.start, a.end):
                g.reason = "span ends inside a token (selections are whole tokens)"
            elif where in seen and (
                kp._add_key() is None or seen[where].annotation.label == a.label
            ):
                g.reason = (
                    "a second span of the same field over the same tokens (its label key "
                    "relabels the first one instead)"
                )
            elif (a.field, a.label) not in keys:
                g.reason = "its label has no key"
            else:
                seen[where] = g
                spans[a.id] = g  # type: ignore[index]
                tasks.append(
                    Task(
                        "span",
                        [g],
                        (a.field, a.label, a.start, a.end, dict(a.attrs or {})),
                        (a.start or 0, a.end or 0),
                    )
                )
    by_id = {g.annotation.id: g for g in golds}
    anchored: dict[int, list[Gold]] = defaultdict(list)
    paragraph_texts: list[Gold] = []
    pairs: set[tuple[Any, ...]] = set()
    for g in golds:
        a = g.annotation
        if g.kind == "relation":
            src, tgt = by_id.get(a.source_id), by_id.get(a.target_id)
            pair = (a.field, a.source_id, a.target_id)
            if src is None or tgt is None or src.reason or tgt.reason:
                g.reason = "one of the spans it links cannot be entered"
            elif pair in pairs:
                g.reason = "a second relation between the same spans (linking again relabels)"
            else:
                pairs.add(pair)
                tasks.append(
                    Task(
                        "relation",
                        [g],
                        (
                            a.field,
                            a.label,
                            src.ident,
                            tgt.ident,
                            src.annotation.id,
                            tgt.annotation.id,
                        ),
                    )
                )
        elif g.kind == "text":
            if a.source_id is None:
                paragraph_texts.append(g)
            else:
                anchor = by_id.get(a.source_id)
                if anchor is None or anchor.reason:
                    g.reason = "the span it belongs to cannot be entered"
                else:
                    anchored[a.source_id].append(g)
        elif g.kind == "label":
            if (a.field, a.label) not in keys:
                g.reason = "its label has no key"
            elif a.start is None:
                tasks.append(Task("paragraph_label", [g], (a.field, a.label)))
            elif (a.start, a.end) in [tuple(s) for s in g.data.sentences]:
                index = [tuple(s) for s in g.data.sentences].index((a.start, a.end))
                tasks.append(
                    Task("sentence_label", [g], (a.field, a.label, index), (a.start, a.end))
                )
            else:
                g.reason = "a sentence label whose extent is not a sentence"
        elif g.kind not in ("span", "token"):
            g.reason = f"no command enters a {g.kind} annotation"
    for anchor_id, group in anchored.items():
        anchor = by_id[anchor_id]
        texts = [
            (g.annotation.field, g.annotation.label, g.annotation.value or "", g) for g in group
        ]
        tasks.append(Task("texts", group, (anchor.ident, texts, anchor_id)))
    if paragraph_texts:
        texts = [
            (g.annotation.field, g.annotation.label, g.annotation.value or "", g)
            for g in paragraph_texts
        ]
        tasks.append(Task("texts", paragraph_texts, (None, texts, None)))
    return tasks


def build_step(ctx: kp.Context, state: kp.State, task: Task) -> kp.Step | None:
    gold = task.golds[0].index
    if task.kind == "span":
        return kp.span_step(ctx, state, *task.args, gold)
    if task.kind == "relation":
        field_name, label, src, tgt, _sid, _tid = task.args
        attrs = dict(task.golds[0].annotation.attrs or {})
        return kp.relation_step(ctx, state, field_name, label, src, tgt, gold, attrs)
    if task.kind == "texts":
        anchor, texts, _aid = task.args
        return kp.texts_step(ctx, state, anchor, [(f, lab, v, g.index) for f, lab, v, g in texts])
    if task.kind == "sentence_label":
        return kp.sentence_label_step(ctx, state, *task.args, gold)
    if task.kind == "paragraph_label":
        return kp.paragraph_label_step(ctx, state, *task.args, gold)
    if task.kind == "token":
        index, values = task.args
        return kp.token_step(ctx, state, index, values, gold)
    if task.kind == "attributes":
        return kp.attributes_step(ctx, state, task.args[0])
    raise ValueError(task.kind)


def schedules(tasks: list[Task]) -> list[list[Task]]:
    """Orders worth comparing: text order either way, outer or inner spans first, each as it
    is and with the spans that relations end at first."""
    free = [t for t in tasks if t.kind in ("paragraph_label",)] + [
        t for t in tasks if t.kind == "texts" and t.args[0] is None
    ]
    placed = [t for t in tasks if t.kind in ("span", "sentence_label", "token")]
    targets = {t.args[5] for t in tasks if t.kind == "relation"}
    orders = []
    for key in (
        lambda t: (t.position[0], t.position[1]),
        lambda t: (t.position[0], -t.position[1]),
    ):
        for reverse in (False, True):
            base = sorted(placed, key=key, reverse=reverse)
            orders.append(free + base)
            if targets:
                first = [
                    t for t in base if t.kind == "span" and t.golds[0].annotation.id in targets
                ]
                orders.append(free + first + [t for t in base if t not in first])
    groups = _argument_groups(tasks)
    if groups:
        orders.append(free + groups + [t for t in placed if t not in groups])
    unique, seen = [], set()
    for order in orders:
        signature = tuple(id(t) for t in order)
        if signature not in seen:
            seen.add(signature)
            unique.append(order)
    return unique


def _argument_groups(tasks: list[Task]) -> list[Task]:
    """Predicate-first order, as PropBank annotators work and as linking on labelling expects:
    each relation target (a PREDICATE) in text order, then the spans whose first relation
    ends at it, so that each argument is linked as it is labelled."""
    spans = {t.golds[0].annotation.id: t for t in tasks if t.kind == "span"}
    relation_tasks = sorted(
        (t for t in tasks if t.kind == "relation"), key=lambda t: t.golds[0].annotation.id or 0
    )
    first_target: dict[int, int] = {}
    for t in relation_tasks:
        first_target.setdefault(t.args[4], t.args[5])
    targets = sorted(
        {tid for tid in first_target.values() if tid in spans},
        key=lambda tid: spans[tid].position,
    )
    order: list[Task] = []
    for tid in targets:
        if spans[tid] not in order:
            order.append(spans[tid])
        members = sorted(
            (spans[sid] for sid, target in first_target.items() if target == tid and sid in spans),
            key=lambda t: t.position,
        )
        order += [m for m in members if m not in order]
    return order


def _extras(ctx: kp.Context, state: kp.State, tasks: list[Task]) -> int:
    """Annotations the run made that no gold asks for (a link made on labelling to the wrong
    predicate, say): each is a wrong result, counted like a failure."""
    wanted = Counter(g.ident for t in tasks for g in t.golds)
    data = state.data(ctx)
    made = Counter(
        kp.identity(a, data) for a in data.of_layer(ctx.schema.layer) if a.kind != "token"
    )
    return sum((made - wanted).values())


def run_order(
    ctx: kp.Context, start: kp.State, tasks: list[Task], order: list[Task]
) -> tuple[int, float, list[Task]]:
    """Simulate one schedule: (tasks that failed, keys, the tasks in the order they run).
    Relations and texts go as soon as what they need is there."""
    state = start.copy()
    dependants = [
        t for t in tasks if t.kind in ("relation",) or (t.kind == "texts" and t.args[0] is not None)
    ]
    created: set[int] = set()
    done: set[int] = set()
    sequence: list[Task] = []
    failed = 0
    cost = 0.0

    def run(task: Task) -> bool:
        nonlocal cost
        step = build_step(ctx, state, task)
        if step is None:
            return False
        kp.apply(ctx, state, step)
        cost += step.cost
        sequence.append(task)
        return True

    for task in order:
        if not run(task):
            failed += 1
            continue
        if task.kind != "span":
            continue
        created.add(task.golds[0].annotation.id)  # type: ignore[arg-type]
        here = task.golds[0].annotation.id
        ready = [
            t
            for t in dependants
            if id(t) not in done
            and (
                (t.kind == "texts" and t.args[2] in created)
                or (t.kind == "relation" and t.args[4] in created and t.args[5] in created)
            )
        ]
        # what starts at the span just made first (no move needed), then the rest
        ready.sort(
            key=lambda t: 0 if (t.args[2] if t.kind == "texts" else t.args[4]) == here else 1
        )
        for t in ready:
            done.add(id(t))
            if not run(t):
                failed += 1
    failed += sum(1 for t in dependants if id(t) not in done)
    failed += _extras(ctx, state, tasks)
    return failed, cost, sequence


def choose_schedule(ctx: kp.Context, start: kp.State, tasks: list[Task]) -> list[Task]:
    best: tuple[int, float, list[Task]] | None = None
    for order in schedules(tasks):
        result = run_order(ctx, start, tasks, order)
        if best is None or result[:2] < best[:2]:
            best = result
    return best[2] if best is not None else []


def lexical_tasks(golds: list[Gold], data: ParagraphData, schema: LayerSchema) -> list[Task]:
    tf = token_field(schema)
    assert tf is not None
    current = {(a.start, a.end): a for a in data.of_layer(schema.layer, "token")}
    index_of = {tuple(t): i for i, t in enumerate(data.tokens)}
    tasks = []
    for g in golds:
        a = g.annotation
        if g.kind != "token":
            g.reason = f"no command enters a {g.kind} annotation on the lexical layer"
            continue
        if (a.start, a.end) not in index_of:
            g.reason = "not a token of the paragraph"
            continue
        try:
            values = check_token_values(
                tf, str(a.attrs.get("lemma", "")), a.label or "", str(a.attrs.get("feats") or "_")
            )
        except TokenInputError as exc:
            g.reason = f"the token editor refuses it: {exc.message}"
            continue
        if (values.lemma, values.upos, values.feats) != (
            a.attrs.get("lemma"),
            a.label,
            a.attrs.get("feats") or "_",
        ):
            g.reason = "the token editor would store it normalised differently"
            continue
        model = current.get((a.start, a.end))
        if model is not None and (
            model.label,
            model.attrs.get("lemma"),
            model.attrs.get("feats") or "_",
        ) == (
            values.upos,
            values.lemma,
            values.feats,
        ):
            continue  # right already: accepted with the rest
        index = index_of[(a.start, a.end)]
        tasks.append(Task("token", [g], (index, values), (a.start or 0, a.end or 0)))
    return tasks


# --- replaying ----------------------------------------------------------------------------------


class ReplayError(Exception):
    pass


def key_event(key: str) -> events.Key:
    """The key event a terminal sends (Textual's pilot leaves the character off some keys)."""
    if len(key) == 1:
        return events.Key(key if key.isalnum() else _character_to_key(key), key)
    try:
        character: str | None = unicodedata.lookup(_get_unicode_name_from_key(key))
    except KeyError:
        character = None
    return events.Key(key, character)


def show_key(key: str) -> str:
    """A key as printed: its character where it has one (``semicolon`` → ``;``)."""
    character = key_event(key).character
    if len(key) > 1 and character and character.isprintable() and not character.isspace():
        return character
    return key


@dataclass
class LayerStats:
    golds: int = 0
    reproduced: int = 0
    keys: int = 0
    chars: int = 0
    #: where the keys go: what (span, relation, ...) → [steps, annotations, keys, characters]
    parts: dict[str, list[int]] = field(default_factory=dict)

    def add(self, what: str, keys: int, chars: int = 0, annotations: int = 0) -> None:
        self.keys += keys
        self.chars += chars
        part = self.parts.setdefault(what, [0, 0, 0, 0])
        part[0] += 1
        part[1] += annotations
        part[2] += keys
        part[3] += chars


@dataclass
class Report:
    model: str
    paragraphs: int
    layers: list[str]
    stats: dict[str, LayerStats]
    moves: int  # keys between paragraphs
    not_reproduced: list[tuple[Gold, str]]
    unexpected: list[str]
    problems: list[str]
    status_done: int
    status_wanted: int
    seconds: float
    golds: list[Gold]

    @property
    def keys(self) -> int:
        return sum(s.keys for s in self.stats.values()) + self.moves

    @property
    def chars(self) -> int:
        return sum(s.chars for s in self.stats.values())

    @property
    def n(self) -> int:
        return sum(s.golds for s in self.stats.values())

    @property
    def reproduced(self) -> int:
        return sum(s.reproduced for s in self.stats.values())


class Replay:
    def __init__(self, app: LayerkitApp, pilot: Any, verbose: bool) -> None:
        self.app = app
        self.pilot = pilot
        self.verbose = verbose
        self.pending_attributes: list[Gold] = []

    @staticmethod
    def writable(schema: LayerSchema, g: Gold, entered: Annotation) -> bool:
        """Whether the attribute editor can make ``entered`` the gold (only attributes differ,
        and it writes each of them)."""
        editor = kp.attribute_editor()
        schema_field = schema.field(g.annotation.field)
        names = attribute_differences(g, entered)
        if (
            editor is None
            or schema_field is None
            or not names
            or entered.value != g.annotation.value
        ):
            return False
        return set(names) <= {a.name for a in editor[1](schema_field)}

    # -- driving the app --

    @property
    def screen(self) -> Any:
        from layerkit.tui.screens.annotate import AnnotateScreen

        found = self.app.screen_stack[1] if len(self.app.screen_stack) > 1 else None
        assert isinstance(found, AnnotateScreen), self.app.screen_stack
        return found

    @property
    def view(self) -> Any:
        from layerkit.tui.widgets.paragraph_view import ParagraphView

        return self.screen.query_one(ParagraphView)

    @property
    def picker(self) -> Any:
        return self.screen.picker

    @property
    def side(self) -> Any:
        from layerkit.tui.widgets.annotation_list import AnnotationList

        return self.screen.query_one(AnnotationList)

    async def send(self, key: str) -> None:
        """One key, handled to the end before the next: a key that bubbles up to a binding
        could otherwise be overtaken by a character typed after it."""
        from layerkit.tui.frames import _busy

        event = key_event(key)
        event.set_sender(self.app)
        self.app._driver.send_message(event)  # type: ignore[union-attr]
        await self.pilot._wait_for_screen()
        while _busy(self.app):
            await self.pilot._wait_for_screen()
            await asyncio.sleep(0)

    async def until(self, check: Any, what: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                if check():
                    return
            except Exception:  # the screen is changing under the check
                pass
            if time.monotonic() > deadline:
                raise ReplayError(f"waited in vain for {what} (screen {self.app.screen})")
            await self.pilot._wait_for_screen()
            await asyncio.sleep(0.002)

    async def settle(self) -> None:
        from layerkit.tui.frames import _busy

        await self.until(lambda: not _busy(self.app), "the app to go quiet")

    async def wait(self, w: kp.Wait) -> None:
        app = self.app
        if w.what == "screen":

            def on_screen() -> bool:
                if type(app.screen).__name__ != w.arg:
                    return False
                if w.arg == "AnnotateScreen":
                    return app.focused is self.view
                return app.focused is not None

            await self.until(on_screen, f"the {w.arg}")
        elif w.what == "picker":  # the relation dialog, drawn over the annotator's screen
            await self.until(
                lambda: self.picker.is_open and app.focused is self.picker,
                "the relation dialog",
            )
        elif w.what == "focus":
            await self.until(
                lambda: app.focused is not None and app.focused.id == w.arg, f"focus on {w.arg}"
            )
        elif w.what == "readings":
            await self.until(
                lambda: bool(str(app.screen.query_one("#token-readings").content)), "the readings"
            )
        elif w.what == "suggestion":
            field_id, expected = w.arg
            await self.until(
                lambda: app.screen.query_one(f"#{field_id}")._suggestion == expected,
                f"the completion {expected!r} in {field_id}",
            )
        elif w.what == "value":
            field_id, expected = w.arg
            await self.until(
                lambda: app.screen.query_one(f"#{field_id}").value == expected,
                f"{expected!r} in {field_id}",
            )
        else:
            raise ValueError(w.what)

    async def run(self, actions: Sequence[kp.Action]) -> tuple[list[str], int]:
        """Press, type and wait as planned; the keys actually pressed, the characters typed."""
        pressed: list[str] = []
        chars = 0
        for action in actions:
            if isinstance(action, kp.Wait):
                await self.wait(action)
            elif isinstance(action, kp.Type):
                for ch in action.text:
                    await self.send(ch)
                chars += len(action.text)
                await self.until(
                    lambda text=action.text: self.app.focused.text.endswith(text),  # type: ignore[union-attr]
                    "the typed text",
                )
            elif action.only_if == "picker":

                def settled() -> bool:
                    return not self.picker.is_open or self.picker.phase == "label"

                await self.until(settled, "the picker to ask for a label or close")
                if self.picker.is_open:
                    await self.send(action.key)
                    pressed.append(action.key)
            else:
                await self.send(action.key)
                pressed.append(action.key)
        await self.settle()
        return pressed, chars

    # -- one layer of one paragraph --

    def state(self) -> kp.State:
        data = self.screen.data
        next_id = max((a.id or 0 for a in data.annotations), default=0) + 1
        selection = self.view.selection
        return kp.State(
            kp.SimStore(list(data.annotations), next_id),
            (selection.anchor, selection.cursor),
            self.side.highlighted,
            # the predicate the screen links arguments to (what the view double-underlines)
            getattr(self.view, "anchor_id", None),
        )

    def layer_normals(self, layer: str) -> Counter[tuple[Any, ...]]:
        data = self.screen.data
        return Counter(normal(a, data) for a in data.of_layer(layer))

    async def do_step(self, ctx: kp.Context, task: Task, stats: LayerStats, label: str) -> bool:
        state = self.state()
        step = build_step(ctx, state, task)
        if step is None:
            for g in task.golds:
                g.reason = g.reason or "the planner found no keys for it from the screen as it was"
            return False
        expected = state.copy()
        kp.apply(ctx, expected, step)
        exp_data = expected.data(ctx)
        want = Counter(normal(a, exp_data) for a in exp_data.of_layer(ctx.schema.layer))
        for g in task.golds:
            # what the app's own edit functions will write, against the gold
            if want[g.normal] == 0 and g.reason is None:
                entered = [
                    a
                    for a in exp_data.of_layer(ctx.schema.layer)
                    if kp.identity(a, exp_data) == g.ident
                ]
                if not entered:
                    g.reason = "the plan does not enter it"
                elif task.kind != "attributes" and self.writable(ctx.schema, g, entered[0]):
                    self.pending_attributes.append(g)  # written in the side panel at the end
                else:
                    g.reason = _difference(g, exp_data, ctx.schema)
        try:
            pressed, chars = await self.run(step.actions)
            await self.until(
                lambda: self.layer_normals(ctx.schema.layer) == want, "the planned result"
            )
            sel = self.view.selection
            if (sel.anchor, sel.cursor) != step.selection:
                raise ReplayError(f"selection {sel} where the plan has {step.selection}")
        except ReplayError as exc:
            raise ReplayError(f"{label} {step.what}: {exc}") from exc
        what = {"token": "token fix", "paragraph_label": "¶ label"}.get(task.kind, task.kind)
        if task.kind == "token":
            # the goal counts corrections whose right reading is among the candidates apart
            keys = step.keys
            # the editor opened (enter, or the review key that also moves), then a digit
            by_reading = len(keys) >= 2 and keys[-2] in EDITOR_KEYS and keys[-1].isdigit()
            what = "token fix by reading" if by_reading else "token fix typed"
        what = what.replace("_", " ")
        if task.kind == "texts":
            what = "¶ texts" if task.args[0] is None else "span texts"
        stats.add(what, len(pressed), chars, len(task.golds))
        for g in task.golds:
            g.steps.append(step)
        if self.verbose:
            typed = f" + {chars} characters typed" if chars else ""
            print(f"  {label} {step.what}: {' '.join(map(show_key, pressed)) or '(no key)'}{typed}")
        return True

    async def keys(self, keys: Sequence[str], stats: LayerStats | None, what: str = "") -> None:
        pressed, _ = await self.run([kp.Press(k) for k in keys])
        if stats is not None:
            stats.add(what, len(pressed))

    async def layer(
        self,
        paragraph: Paragraph,
        schema: LayerSchema,
        golds: list[Gold],
        stats: LayerStats,
        label: str,
        cursor: kp.CursorModel,
        problems: list[str],
    ) -> bool:
        app = self.app
        ctx = kp.Context(paragraph, schema, app.keymaps[schema.layer], cursor, app.annotator)
        cursor.lower = tuple(getattr(self.view, "lower", ()))
        data = self.screen.data
        if schema.layer == "lexical" and token_field(schema) is not None:
            tasks = lexical_tasks(golds, data, schema)
            start = self.state()
            forward = run_order(ctx, start, tasks, sorted(tasks, key=lambda t: t.position))
            backward = run_order(
                ctx, start, tasks, sorted(tasks, key=lambda t: t.position, reverse=True)
            )
            sequence = min((forward, backward), key=lambda r: r[:2])[2]
            for t in tasks:
                if t not in sequence:
                    t.golds[0].reason = "the planner found no keys for it"
        else:
            tasks = layer_tasks(golds, schema, ctx.label_keys)
            sequence = choose_schedule(ctx, self.state(), tasks)
            missing = [t for t in tasks if t not in sequence]
            for t in missing:
                for g in t.golds:
                    g.reason = g.reason or "the planner found no keys for it"
        self.pending_attributes = []
        for task in sequence:
            await self.do_step(ctx, task, stats, label)
        if self.pending_attributes:
            fixes = [
                (g.ident, dict(g.annotation.attrs or {}), g.index) for g in self.pending_attributes
            ]
            task = Task("attributes", list(self.pending_attributes), (fixes,))
            self.pending_attributes = []
            if not await self.do_step(ctx, task, stats, label):
                for g in task.golds:
                    g.reason = _difference(g, self.screen.data, schema)
        if schema.layer == "lexical":
            step = kp.accept_step(ctx, self.state())
            if step is not None:
                pressed, _ = await self.run(step.actions)
                stats.add("accept", len(pressed))
                if self.verbose:
                    print(f"  {label} {step.what}: {' '.join(map(show_key, pressed))}")
        done = kp.screen_key("done")
        if done is None:
            problems.append("no key marks a layer done")
            return False
        await self.keys([done], stats, "done")
        from layerkit.tui.screens.error import ErrorModal

        if isinstance(app.screen, ErrorModal):
            problems.append(f"{label}: marking done was refused: {app.screen.error}")  # type: ignore[attr-defined]
            await self.keys(["escape"], None)
            return False
        # (the screen may have moved on to the next layer or paragraph to do: read the store)
        await self.until(lambda: _state(app, paragraph, schema.layer) == "done", f"{label} done")
        if self.verbose:
            print(f"  {label} done: {done}")
        return True


def _state(app: LayerkitApp, paragraph: Paragraph, layer: str) -> str:
    status = app.store.statuses(paragraph.id or 0).get(layer)
    return status.state if status is not None else "todo"


async def replay(
    db: Path,
    plan: list[tuple[Paragraph, dict[str, list[Gold]]]],
    layers: list[str],
    stats: dict[str, LayerStats],
    problems: list[str],
    verbose: bool,
) -> tuple[int, int]:
    """Drive the app through every paragraph and layer; (keys between paragraphs, layers done)."""
    app = create_app(str(db), ANNOTATOR, poll_seconds=None)
    moves = 0
    done = 0
    async with app.run_test(size=(120, 36)) as pilot:
        r = Replay(app, pilot, verbose)
        await r.until(lambda: r.screen.data is not None, "the first paragraph")
        await r.settle()
        order = list(app.schemas.order)
        next_paragraph = kp.binding_key("step_paragraph", (1,))
        next_work, toggle = kp.screen_key("next_work"), kp.screen_key("toggle_order")
        if toggle and len(layers) > 1 and app.order != "depth":
            # Depth-first: marking a layer done opens the paragraph's next layer (breadth-first
            # it would open the next paragraph), and the last one's opens the next paragraph.
            await r.keys([toggle], None)
            await r.until(lambda: app.order == "depth", "depth-first order")
            moves += 1
            if verbose:
                print(f"  depth-first: {show_key(toggle)}")
        for number, (paragraph, golds) in enumerate(plan):
            if number and r.screen.data.id != paragraph.id:  # marking done may have moved on
                here = r.screen.data.id
                there = workflow.next_work(app.store, app.order, order, here, app.layer)
                if next_work and there == (paragraph.id, layers[0]):
                    key = next_work
                elif next_paragraph is not None:
                    key = next_paragraph
                else:
                    raise ReplayError("no key opens the next paragraph")
                await r.keys([key], None)
                moves += 1
                if verbose:
                    print(f"  next paragraph: {show_key(key)}")
            await r.until(lambda p=paragraph: r.screen.data.id == p.id, f"paragraph {paragraph.id}")
            data = r.screen.data
            cursor = kp.CursorModel(data.tokens, data.sentences, data.text)
            for note in cursor.notes:
                if note not in problems:
                    problems.append(note)
            for layer in layers:
                label = f"¶{number + 1} {layer}"
                if app.layer != layer:
                    key = kp.layer_key(order.index(layer) + 1)
                    if key is None:
                        problems.append(f"no key switches to {layer}")
                        continue
                    await r.keys([key], stats[layer], "layer key")
                    await r.until(lambda layer=layer: app.layer == layer, f"layer {layer}")
                schema = app.schemas.get(layer)
                try:
                    if await r.layer(
                        paragraph,
                        schema,
                        golds.get(layer, []),
                        stats[layer],
                        label,
                        cursor,
                        problems,
                    ):
                        done += 1
                except ReplayError as exc:
                    problems.append(str(exc))
                    # back to a known state: close any dialog
                    for _ in range(3):
                        if type(app.screen).__name__ == "AnnotateScreen":
                            break
                        await r.send("escape")
                    await r.settle()
    return moves, done


# --- running and reporting ----------------------------------------------------------------------


def run(
    corpus: Path = CORPUS,
    picks: Sequence[int] | None = None,
    layers: Sequence[str] | None = None,
    verbose: bool = False,
    workdir: Path | None = None,
) -> Report:
    started = time.perf_counter()
    records = [r for r in load_corpus(corpus) if r.get("type") == "paragraph"]
    picks = list(range(len(records))) if picks is None else list(picks)
    with tempfile.TemporaryDirectory(prefix="keystrokes-") as tmp:
        work = Path(workdir or tmp)
        db, model = build_store(work, corpus, picks)
        project = Project.load(str(db))
        order = list(project.schemas.order)
        layers = list(layers or order)
        unknown = [layer for layer in layers if layer not in order]
        if unknown:
            raise SystemExit(
                f"unknown layer(s): {', '.join(unknown)}; the layers: {', '.join(order)}"
            )
        layers = [layer for layer in order if layer in layers]
        with Store.open(db, layer_order=tuple(order), create=False) as store:
            stored = list(store.iter_paragraphs())
        plan: list[tuple[Paragraph, dict[str, list[Gold]]]] = []
        golds: list[Gold] = []
        stats = {layer: LayerStats() for layer in layers}
        for number, (pick, paragraph) in enumerate(zip(picks, stored, strict=True)):
            record = records[pick]
            assert paragraph.text == record["text"], (paragraph.text[:40], record["text"][:40])
            annotations = gold_annotations(record, paragraph)
            data = kp.paragraph_data(paragraph, annotations)
            per_layer: dict[str, list[Gold]] = defaultdict(list)
            for a in annotations:
                if a.layer in layers:
                    g = Gold(len(golds), number, a.layer, a.kind, a, data)
                    golds.append(g)
                    per_layer[a.layer].append(g)
                    stats[a.layer].golds += 1
            plan.append((paragraph, per_layer))
        problems: list[str] = []
        moves, _layers_done = asyncio.run(replay(db, plan, layers, stats, problems, verbose))
        not_reproduced, unexpected, status_done = compare(db, order, plan, layers, stats, problems)
    return Report(
        model=model,
        paragraphs=len(plan),
        layers=layers,
        stats=stats,
        moves=moves,
        not_reproduced=not_reproduced,
        unexpected=unexpected,
        problems=problems,
        status_done=status_done,
        status_wanted=len(plan) * len(layers),
        seconds=time.perf_counter() - started,
        golds=golds,
    )


def compare(
    db: Path,
    order: list[str],
    plan: list[tuple[Paragraph, dict[str, list[Gold]]]],
    layers: list[str],
    stats: dict[str, LayerStats],
    problems: list[str],
) -> tuple[list[tuple[Gold, str]], list[str], int]:
    """The store against the gold, per paragraph and layer, without ids."""
    not_reproduced: list[tuple[Gold, str]] = []
    unexpected: list[str] = []
    status_done = 0
    schemas = Project.load(str(db)).schemas
    with Store.open(db, layer_order=tuple(order), create=False) as store:
        for number, (paragraph, per_layer) in enumerate(plan):
            assert paragraph.id is not None
            rows = store.annotations(paragraph.id)
            data = kp.paragraph_data(paragraph, rows)
            statuses = store.statuses(paragraph.id)
            for layer in layers:
                status_done += statuses[layer].state == "done"
                have = Counter(normal(a, data) for a in data.of_layer(layer))
                identities = Counter(kp.identity(a, data) for a in data.of_layer(layer))
                for g in per_layer.get(layer, []):
                    if have[g.normal] > 0:
                        have[g.normal] -= 1
                        identities[g.ident] -= 1
                        stats[layer].reproduced += 1
                        if g.reason:
                            problems.append(
                                f"¶{number + 1} {layer} {describe(g)}: said not reproducible, but is"
                            )
                        continue
                    if g.reason is None:
                        if identities[g.ident] > 0:
                            identities[g.ident] -= 1
                            g.reason = _difference(g, data, schemas.get(layer))
                        else:
                            g.reason = "planned, but not in the store after the replay"
                            problems.append(f"¶{number + 1} {layer} {describe(g)}: {g.reason}")
                    elif identities[g.ident] > 0:
                        identities[g.ident] -= 1  # entered as far as the commands go
                    not_reproduced.append((g, g.reason))
                for ident, count in identities.items():
                    if count > 0:
                        unexpected.append(f"¶{number + 1} {layer} {ident} ×{count}")
    return not_reproduced, unexpected, status_done


def attribute_differences(g: Gold, entered: Annotation) -> list[str]:
    want, got = dict(_attrs(g.annotation.attrs)), dict(_attrs(entered.attrs))
    return sorted({k for k in set(want) | set(got) if want.get(k) != got.get(k)})


def _difference(g: Gold, data: ParagraphData, schema: LayerSchema) -> str:
    """Why what was entered differs from the gold: which attributes or values."""
    entered = next(a for a in data.of_layer(schema.layer) if kp.identity(a, data) == g.ident)
    if g.kind == "token":
        return "the token's analysis came out different from the gold"
    names = attribute_differences(g, entered)
    if names:
        editor = kp.attribute_editor()
        schema_field = schema.field(g.annotation.field)
        kinds = {a.name: a.type for a in schema_field.attributes} if schema_field else {}
        described = ", ".join(f"{n} ({kinds.get(n, '?')})" for n in names)
        if editor is not None:
            shown = {a.name for a in editor[1](schema_field)} if schema_field else set()
            if not set(names) <= shown:
                return (
                    f"{g.annotation.field} {described}: no command sets it (the side panel's "
                    "attribute editor does not show it)"
                )
            return (
                f"{g.annotation.field} {described}: the side panel's attribute editor could not "
                "write it as the gold has it"
            )
        return (
            f"{g.annotation.field} {described}: the annotator has no command that sets attributes"
        )
    if g.annotation.value != entered.value:
        return "its text came out different"
    return "entered differently (origin)"


def print_report(report: Report, out: Any = sys.stdout) -> None:
    p = report.paragraphs
    print(
        f"keystrokes: {p} paragraph(s), layers {', '.join(report.layers)}; lexical pre-annotated "
        f"by {report.model}; {report.seconds:.0f} s",
        file=out,
    )
    print(
        f"{'layer':<12}{'gold':>6}{'reproduced':>12}{'not':>6}{'keys':>8}{'keys/ann':>10}"
        f"{'keys/¶':>9}{'chars':>8}",
        file=out,
    )
    for layer, s in report.stats.items():
        per_ann = s.keys / s.golds if s.golds else 0.0
        print(
            f"{layer:<12}{s.golds:>6}{s.reproduced:>12}{s.golds - s.reproduced:>6}{s.keys:>8}"
            f"{per_ann:>10.2f}{s.keys / p if p else 0:>9.1f}{s.chars:>8}",
            file=out,
        )
    print(f"{'between ¶s':<12}{'':>6}{'':>12}{'':>6}{report.moves:>8}", file=out)
    n, keys = report.n, report.keys
    print(
        f"{'all':<12}{n:>6}{report.reproduced:>12}{n - report.reproduced:>6}{keys:>8}"
        f"{keys / n if n else 0:>10.2f}{keys / p if p else 0:>9.1f}{report.chars:>8}",
        file=out,
    )
    print(f"layers marked done: {report.status_done}/{report.status_wanted}", file=out)
    print("where the keys go (steps, annotations entered, keys, keys per step):", file=out)
    for layer, s in report.stats.items():
        parts = [
            f"{what} {steps}/{entered}/{keys}/{keys / steps:.1f}"
            + (f" +{chars} chars" if chars else "")
            for what, (steps, entered, keys, chars) in s.parts.items()
        ]
        print(f"  {layer}: {'; '.join(parts)}", file=out)
    grouped: dict[tuple[str, str], list[Gold]] = defaultdict(list)
    for g, reason in report.not_reproduced:
        grouped[(g.layer, reason)].append(g)
    if grouped:
        print("not reproduced:", file=out)
        for (layer, reason), items in sorted(
            grouped.items(), key=lambda kv: (report.layers.index(kv[0][0]), -len(kv[1]))
        ):
            print(f"  {layer}: {len(items)} × {reason}", file=out)
            for g in items[:3]:
                print(f"      e.g. ¶{g.paragraph + 1} {describe(g)}", file=out)
    for problem in report.problems:
        print(f"problem: {problem}", file=out)
    for extra in report.unexpected:
        print(f"unexpected in the store: {extra}", file=out)
    print(
        f"reproduced={report.reproduced}/{n} keys_per_annotation={keys / n if n else 0:.3f} "
        f"keys_per_paragraph={keys / p if p else 0:.2f}",
        file=out,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--paragraphs", type=int, help="only the first N annotated paragraphs")
    parser.add_argument("--pick", help="paragraphs by 0-based index, e.g. 1,11")
    parser.add_argument("--layers", help="comma-separated layers (default: all)")
    parser.add_argument("--verbose", action="store_true", help="print the keys of every step")
    parser.add_argument("--keep", type=Path, help="build the store in this folder and keep it")
    args = parser.parse_args(argv)
    total = sum(1 for r in load_corpus(args.corpus) if r.get("type") == "paragraph")
    picks = list(range(total))
    if args.pick:
        picks = [int(x) for x in args.pick.split(",")]
    if args.paragraphs is not None:
        picks = picks[: args.paragraphs]
    layers = args.layers.split(",") if args.layers else None
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    try:
        report = run(args.corpus, picks, layers, args.verbose, args.keep)
    except LayerkitError as exc:
        print(f"{exc.title}: {exc}", file=sys.stderr)
        return 2
    print_report(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
