"""Building curriculum records from the store, one paragraph at a time.

The flow: resolve the options and the tasks (from plugins, falling back to schema-derived tasks),
plan the splits from document ids alone, then stream the store paragraph by paragraph and yield
``(stage, split, record)``. One builder makes every record (:meth:`Builder._made`): each
paragraph's gold answers and context parts are made, escaped, encoded and measured once
(:class:`_Paragraph`), since the lower layers' answers are the context of every higher stage; a
record (:class:`_Made`) is those parts with its prompt fitted to the token budget
(:mod:`.budget`), and its JSON line is spliced from them. A record that ``curriculum_record``
hooks may change is handed to them as a dict (the same parts decoded), then encoded whole and
checked. Without hooks, worker processes can read and encode batches side by side while this
process writes them in order (:meth:`Builder.batches`). Memory holds a batch of paragraphs per
process, the split plan (a few bytes per document) and counters, whatever the size of the store.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, NamedTuple

import pluggy

from layerkit.curriculum import formats, prompts, reader
from layerkit.curriculum.answers import ANSWER_FORMATS, AnswerParseError, parse_answer
from layerkit.curriculum.budget import (
    DEFAULT_CONTEXT,
    DEFAULT_MAX_TOKENS,
    Context,
    ContextMode,
    TokenCounter,
    initial_context,
    parse_context,
    parse_max_tokens,
    shorter,
    token_counter,
)
from layerkit.curriculum.copies import CopiesReader, LayerCopies, adjudicated
from layerkit.curriculum.generic import SchemaTask
from layerkit.curriculum.output import (
    Chunk,
    PartLength,
    Text,
    chat_line,
    dump_line,
    join_texts,
    text,
)
from layerkit.curriculum.splits import SplitPlan, parse_split, parse_stages, plan_splits
from layerkit.curriculum.tasks import CurriculumTask, Example, Paragraph, PreferencePair
from layerkit.errors import LayerkitError, PluginError, UsageError
from layerkit.model import is_suggestion
from layerkit.plugin.manager import (
    chain_hook,
    collect,
    fix_or_disable,
    get_plugin_manager,
    has_implementations,
)
from layerkit.schema import SchemaRegistry
from layerkit.store import Store, corpus
from layerkit.store.models import LAYER_STATES
from layerkit.worker_life import die_with_parent

Kind = Literal["sft", "dpo"]
# Meta keys of the preference pairs the builder makes itself (a corrected model suggestion).
CORRECTION_META_KEYS = ("pair", "corrected", "deleted_suggestions", "models", "losing_annotator")


@dataclass(frozen=True)
class CurriculumOptions:
    """What ``layerkit export sft|dpo`` was asked for (see ``docs/curriculum.md``)."""

    stages: tuple[str, ...] | None = None
    seed: int = 0
    split: tuple[float, float, float] = (0.8, 0.1, 0.1)
    include_in_progress: bool = False
    instructions: str = "ru"
    license: str | None = None
    jobs: int = 1  # processes that encode SFT records side by side (the files do not change)
    context: ContextMode = DEFAULT_CONTEXT  # how the lower layers are shown (budget.py)
    max_tokens: int | None = DEFAULT_MAX_TOKENS  # a record's budget in tokens; None: no budget
    tokenizer: str | None = None  # a local Hugging Face tokenizer's folder; None: estimate

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any]) -> CurriculumOptions:
        """From an exporter's ``options`` (CLI strings or Python values; missing → defaults)."""
        stages = options.get("stages")
        split = options.get("split")
        lang = options.get("instructions") or "ru"
        if lang not in prompts.LANGUAGES:
            raise UsageError(
                f"--instructions {lang!r} is not supported.",
                hint=f"Choose one of {', '.join(prompts.LANGUAGES)}.",
            )
        seed = options.get("seed")
        jobs = options.get("jobs")
        if jobs is not None and (not str(jobs).isdigit() or int(jobs) < 1):
            raise UsageError(
                f"--jobs {jobs!r} is not a number of processes.",
                hint="Give 1 or more, e.g. --jobs 2 (default: the CPU count, at most 4).",
            )
        return cls(
            stages=tuple(stages.split(",")) if isinstance(stages, str) else stages,
            seed=0 if seed is None else int(seed),
            split=(0.8, 0.1, 0.1) if split is None else parse_split(split),
            include_in_progress=bool(options.get("include_in_progress", False)),
            instructions=lang,
            license=options.get("license"),
            jobs=default_jobs() if jobs is None else int(jobs),
            context=parse_context(options.get("context")),
            max_tokens=parse_max_tokens(options.get("max_tokens")),
            tokenizer=None if options.get("tokenizer") is None else str(options["tokenizer"]),
        )


def default_jobs() -> int:
    """Processes for an export when none are asked for: one per CPU, at most 4."""
    return max(1, min(4, os.cpu_count() or 1))


@dataclass
class Stage:
    """One stage: a layer, its tasks, the lower layers shown as context.

    ``meta_keys`` are the task-specific meta keys (the union of the tasks' ``meta_keys``): every
    record of the stage carries all of them, ``null`` where a task has no value, so each stage
    file has one schema (``datasets`` refuses files whose records differ in shape).
    """

    index: int
    layer: str
    tasks: list[CurriculumTask]
    context_layers: tuple[str, ...]
    meta_keys: tuple[str, ...] = ()

    @cached_property
    def name(self) -> str:  # (asked per record: made once)
        return f"{self.index:02d}-{self.layer}"


@dataclass
class StageStats:
    """What one stage exported and skipped, for the report, manifest and dataset card."""

    paragraphs: int = 0
    records: Counter[str] = field(default_factory=Counter)  # per split
    tasks: Counter[str] = field(default_factory=Counter)
    labels: Counter[str] = field(default_factory=Counter)
    annotators: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)  # reason → paragraphs
    shortened: int = 0  # records whose context was shortened to fit the budget
    over_budget: int = 0  # records left out: over the budget even without context
    over_budget_paragraphs: list[int] = field(default_factory=list)  # the first few, by id
    dropped: int = 0  # records a curriculum_record hook dropped

    SHOWN = 10  # paragraph ids of records left out that the manifest lists

    def left_out(self, paragraph_id: int) -> None:
        """A record over the budget, left out (the first few paragraphs are named)."""
        self.over_budget += 1
        shown = self.over_budget_paragraphs
        # each paragraph once (its records come one after another: "1, 1, 1, 2" named it thrice)
        if len(shown) < self.SHOWN and (not shown or shown[-1] != paragraph_id):
            shown.append(paragraph_id)

    def add(self, other: StageStats) -> None:
        self.paragraphs += other.paragraphs
        self.shortened += other.shortened
        self.over_budget += other.over_budget
        self.dropped += other.dropped
        known = set(self.over_budget_paragraphs)
        more = [p for p in other.over_budget_paragraphs if p not in known]
        room = self.SHOWN - len(self.over_budget_paragraphs)
        self.over_budget_paragraphs.extend(more[:room])
        for mine, theirs in (
            (self.records, other.records),
            (self.tasks, other.tasks),
            (self.labels, other.labels),
            (self.annotators, other.annotators),
            (self.skipped, other.skipped),
        ):
            mine.update(theirs)


@dataclass
class Setup:
    """Everything resolved before the store is read."""

    kind: Kind
    options: CurriculumOptions
    schemas: SchemaRegistry
    pm: pluggy.PluginManager
    tasks: dict[str, list[CurriculumTask]]
    context_tasks: dict[str, CurriculumTask]
    stages: list[Stage]
    counter: TokenCounter
    #: the plugin that registered each task, by the module of the task's class (a failure in
    #: a task's code is blamed on its plugin, not on the exporter that ran it)
    task_plugins: dict[str, str] = field(default_factory=dict)

    @property
    def states(self) -> tuple[str, ...]:
        return ("done", "in_progress") if self.options.include_in_progress else ("done",)


def collect_tasks(
    pm: pluggy.PluginManager, schemas: SchemaRegistry, owners: dict[str, str] | None = None
) -> tuple[dict[str, list[CurriculumTask]], dict[str, CurriculumTask]]:
    """Tasks per layer from ``register_curriculum_tasks``, and the context task of each layer.

    A layer without tasks gets a :class:`SchemaTask`; a layer whose tasks include no context
    task gets a schema task as its context only. ``owners``, if given, gets the plugin that
    registered each task, by the module of the task's class.
    """
    tasks: dict[str, list[CurriculumTask]] = {layer: [] for layer in schemas.order}
    context: dict[str, CurriculumTask] = {}
    names: dict[str, str] = {}
    for plugin, task in collect(pm, "register_curriculum_tasks"):
        missing = [
            a
            for a in ("name", "layer", "answer_format", "context", "examples")
            if not hasattr(task, a)
        ]
        if missing:
            raise PluginError(
                f"plugin {plugin!r} registered a curriculum task without {', '.join(missing)}.",
                hint="See CurriculumTask in layerkit/curriculum/tasks.py.",
            )
        if task.name in names:
            # pluggy calls the plugin registered last first: name both, blame neither
            raise PluginError(
                f"plugins {names[task.name]!r} and {plugin!r} both register the curriculum "
                f"task {task.name!r}.",
                hint="Task names are unique; prefix them with the layer name.",
            )
        if task.layer not in tasks:
            raise PluginError(
                f"plugin {plugin!r} registered the task {task.name!r} for layer {task.layer!r}, "
                "which no schema defines.",
                hint=f"Layers in force: {', '.join(schemas.order)}; add the layer's schema "
                "through register_layers.",
            )
        if task.answer_format not in ANSWER_FORMATS:
            raise PluginError(
                f"plugin {plugin!r}: task {task.name!r} has answer format {task.answer_format!r}.",
                hint=f"Use one of {', '.join(ANSWER_FORMATS)}.",
            )
        if task.context:
            if task.layer in context:
                first = context[task.layer].name
                raise PluginError(
                    f"layer {task.layer!r} has two context tasks: {first!r} (plugin "
                    f"{names[first]!r}) and {task.name!r} (plugin {plugin!r}).",
                    hint="Only one task per layer may be the context shown to higher layers: "
                    "give the other context = False.",
                )
            context[task.layer] = task
        names[task.name] = plugin
        if owners is not None:
            owners[type(task).__module__] = plugin
        tasks[task.layer].append(task)
    for layer in schemas.order:
        if not tasks[layer]:
            tasks[layer].append(SchemaTask(schemas.get(layer)))
        if layer not in context:
            context[layer] = next(
                (t for t in tasks[layer] if t.context), SchemaTask(schemas.get(layer))
            )
    return tasks, context


def resolve(kind: Kind, options: Mapping[str, Any]) -> Setup:
    """Options, schemas, plugins, tasks and stages, validated before anything is read."""
    parsed = CurriculumOptions.from_mapping(options)
    pm = options.get("plugin_manager") or get_plugin_manager()
    schemas = options.get("schemas")
    if schemas is None:
        schemas = SchemaRegistry.from_paths([p for _, p in collect(pm, "register_layers")])
    owners: dict[str, str] = {}
    tasks, context = collect_tasks(pm, schemas, owners)
    order = schemas.order
    stages = []
    for layer in parse_stages(parsed.stages, order):
        keys: set[str] = set()
        for task in tasks[layer]:
            keys.update(getattr(task, "meta_keys", ()))
        if kind == "dpo":
            keys.update(CORRECTION_META_KEYS)
        stages.append(
            Stage(
                index=order.index(layer) + 1,
                layer=layer,
                tasks=tasks[layer],
                context_layers=order[: order.index(layer)],
                meta_keys=tuple(sorted(keys - set(CORE_META_KEYS))),
            )
        )
    counter = token_counter(parsed.tokenizer)
    if parsed.tokenizer is not None:
        # HF tokenizers' Rust threads do not survive the fork of --jobs workers; one thread
        # each is what the workers need anyway.
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    return Setup(kind, parsed, schemas, pm, tasks, context, stages, counter, owners)


CORE_META_KEYS = (
    "kind",
    "stage",
    "layer",
    "task",
    "answer_format",
    "split",
    "paragraph_id",
    "document_id",
    "document",
    "position",
    "paragraph_sha256",
    "annotators",
    "state",
    "adjudicated",
    "agreement",
    "context_layers",
    "context_forms",
    "instructions",
)


# ``(part, chars, words, tokens)`` of each part of a record (prompt, answer; chosen, rejected)
# and of the whole record (``record``).
Lengths = Sequence[PartLength]


def record_parts(record: dict[str, Any], kind: Kind) -> dict[str, str]:
    """The texts whose lengths the manifest reports: the prompt (system and user messages,
    joined by a line break) and the answer, or for preference pairs chosen and rejected."""
    if kind == "sft":
        messages = record["messages"]
        return {
            "prompt": "\n".join(m["content"] for m in messages[:-1]),
            "answer": messages[-1]["content"],
        }
    return {
        "prompt": "\n".join(m["content"] for m in record["prompt"]),
        "chosen": "\n".join(m["content"] for m in record["chosen"]),
        "rejected": "\n".join(m["content"] for m in record["rejected"]),
    }


class _Texts:
    """Encoded strings that recur in every paragraph (system message, headings, questions),
    kept while there are few of them (a task may word its questions per example)."""

    LIMIT = 4096

    def __init__(self) -> None:
        self._known: dict[str, Text] = {}
        self._questions: dict[tuple[str, str], Text] = {}

    def __call__(self, value: str) -> Text:
        found = self._known.get(value)
        if found is None:
            if len(self._known) >= self.LIMIT:
                self._known.clear()
            found = self._known[value] = text(value)
        return found

    def question(self, instruction: str, lang: str) -> Text:
        """The question part of a prompt (:func:`prompts.question_part`), looked up by the
        instruction: a task's instruction is one string, whose hash Python keeps."""
        key = (instruction, lang)
        found = self._questions.get(key)
        if found is None:
            if len(self._questions) >= self.LIMIT:
                self._questions.clear()
            found = self._questions[key] = self(prompts.question_part(instruction, lang))
        return found


_SEPARATOR = text(prompts.SEPARATOR)
_LINE_BREAK = text("\n")


class _Paragraph:
    """One paragraph's gold answers and encoded prompt parts, made once and shared by its
    stages: a layer's answer is its own stage's answer and the context of every stage above."""

    def __init__(
        self,
        view: Paragraph,
        context_tasks: Mapping[str, CurriculumTask],
        lang: str,
        texts: _Texts,
    ) -> None:
        self.view = view
        self.context_tasks = context_tasks
        self.lang = lang
        self.texts = texts
        self.system = texts(prompts.SYSTEM[lang])
        self._examples: dict[str, Example | None] = {}
        self._answers: dict[str, Text] = {}
        self._compact: dict[str, str | None] = {}
        self._context: dict[tuple[str, str], Text] = {}
        self._prefixes: dict[Context, Text] = {}
        self._settled: dict[tuple[tuple[str, ...], str], Context] = {}
        self._head: Text | None = None
        self._materials: dict[str, Text] = {}

    def example(self, layer: str) -> Example | None:
        """The context task's example of ``layer`` (made on first use)."""
        if layer not in self._examples:
            task = self.context_tasks[layer]
            self._examples[layer] = next(iter(task.examples(self.view, self.lang)), None)
        return self._examples[layer]

    def answer(self, layer: str) -> str:
        """The gold answer of ``layer`` as a context ('' when its task has nothing to say)."""
        example = self.example(layer)
        return example.answer if example is not None else ""

    def answer_text(self, layer: str) -> Text:
        found = self._answers.get(layer)
        if found is None:
            found = self._answers[layer] = text(self.answer(layer))
        return found

    def compact(self, layer: str) -> str | None:
        """The compact form of ``layer``'s gold answer, or None where its task has none."""
        if layer not in self._compact:
            task = self.context_tasks[layer]
            render = getattr(task, "compact", None)
            direct = getattr(task, "compact_paragraph", None)
            data = getattr(task, "cached_data", None) or getattr(task, "data", None)
            if direct is not None and self.example(layer) is not None:
                # the same text, made from the paragraph without the data in between
                self._compact[layer] = str(direct(self.view, self.lang))
            elif render is not None and data is not None and self.example(layer) is not None:
                # A task with ``data(view)`` answers ``format_answer(data)``: its data is what
                # the answer parses back to, without parsing (a fifth of an export's time).
                self._compact[layer] = str(render(data(self.view), self.lang))
            else:
                self._compact[layer] = compact_answer(task, self.answer(layer), self.lang)
        return self._compact[layer]

    def can_compact(self, layer: str) -> bool:
        return self.compact(layer) is not None

    def settled(self, layers: tuple[str, ...], mode: ContextMode) -> Context:
        """The context a stage asks for (:func:`initial_context`), settled (:meth:`settle`);
        made once per stage of the paragraph."""
        key = (layers, mode)
        found = self._settled.get(key)
        if found is None:
            found = self._settled[key] = self.settle(initial_context(layers, mode))
        return found

    def settle(self, context: Context) -> Context:
        """``context`` with each compact layer whose task has no compact form shown in full."""
        return tuple(
            (layer, "compact" if form == "compact" and self.can_compact(layer) else "full")
            for layer, form in context
        )

    def prefix(self, context: Context) -> Text:
        """The user message up to the task's own parts: the paragraph and the lower layers'
        gold answers under their headings (:func:`prompts.user_parts`)."""
        made = self._prefixes.get(context)
        if made is not None:
            return made
        if self._head is None:
            self._head = text(prompts.paragraph_part(self.view.text, self.lang))
        parts = [self._head]
        for layer, form in context:
            found = self._context.get((layer, form))
            if found is None:
                heading = self.texts(prompts.context_heading(layer, self.lang, form))
                shown = self.answer(layer) if form == "full" else self.compact(layer) or ""
                body = (
                    self.answer_text(layer)
                    if form == "full" and prompts.has_answer(shown)
                    else text(prompts.context_body(shown))
                )
                found = self._context[layer, form] = join_texts([heading, body], _LINE_BREAK)
            parts.append(found)
        made = self._prefixes[context] = join_texts(parts, _SEPARATOR)
        return made

    def material(self, material: str) -> Text:
        """A task's material (the text its question is about), encoded once per paragraph: a
        record's context is shortened by trying it again with the same material."""
        found = self._materials.get(material)
        if found is None:
            found = self._materials[material] = text(material)
        return found

    def user(self, context: Context, material: str, instruction: str) -> Text:
        """The whole user message (what :func:`prompts.user_prompt` gives, encoded)."""
        question = self.texts.question(instruction, self.lang)
        prefix = self.prefix(context)
        parts = [prefix, self.material(material), question] if material else [prefix, question]
        return join_texts(parts, _SEPARATOR)


def _without_suggestions(view: Paragraph) -> Paragraph:
    """``view`` without the model suggestions nobody has reviewed (origin ``model:...``): a
    layer in progress (``--include-in-progress``) may still hold some, and its records gave
    them as the gold answer. A done layer has none (marking it done is refused while any is
    left)."""
    for layer, anns in view.annotations.items():
        if any(is_suggestion(a.origin) for a in anns):
            view = view.replace(layer, [a for a in anns if not is_suggestion(a.origin)])
    return view


def compact_answer(task: CurriculumTask, answer: str, lang: str) -> str | None:
    """The compact form of a context task's answer (its optional ``compact(data, lang)`` given
    the answer's data), or None: the task has none, or the answer does not parse."""
    render = getattr(task, "compact", None)
    if render is None:
        return None
    try:
        return str(render(parse_answer(task.answer_format, answer), lang))
    except AnswerParseError:
        return None


class _Fitted(NamedTuple):
    """A record's prompt as it fits the budget: the context shown, the user message, and the
    token counts of prompt and answer (a named tuple: one is made per record)."""

    context: Context
    user: Text
    prompt_tokens: int
    answer_tokens: int
    shortened: bool


@dataclass
class _Made:
    """One record as the builder made it: its parts, encoded once. The JSON line spliced from
    them, the dict a hook or :func:`iter_records` gets, and the lengths are views of it."""

    kind: Kind
    task: CurriculumTask
    labels: tuple[str, ...]
    system: Text
    answers: tuple[Text, ...]  # (answer,) of an SFT record; (chosen, rejected) of a pair
    meta: dict[str, Any]
    fitted: _Fitted | None
    setup: Setup

    def record(self) -> dict[str, Any]:
        assert self.fitted is not None
        prompt = [
            {"role": "system", "content": self.system.decoded()},
            {"role": "user", "content": self.fitted.user.decoded()},
        ]
        if self.kind == "sft":
            answer = {"role": "assistant", "content": self.answers[0].decoded()}
            return {"messages": [*prompt, answer], "meta": self.meta}
        chosen, rejected = ([{"role": "assistant", "content": t.decoded()}] for t in self.answers)
        return {"prompt": prompt, "chosen": chosen, "rejected": rejected, "meta": self.meta}

    def line(self) -> bytes:
        assert self.fitted is not None
        if self.kind == "sft":
            return chat_line(
                self.system.json, self.fitted.user.json, self.answers[0].json, self.meta
            )
        return dump_line(self.record())

    def lengths(self) -> list[PartLength]:
        """``(part, chars, words, tokens)`` of the prompt, the answer(s) and the record."""
        fitted = self.fitted
        assert fitted is not None
        # the prompt is the system and user messages joined by a line break (record_parts)
        system, user = self.system, fitted.user
        prompt_chars = system.chars + _LINE_BREAK.chars + user.chars
        prompt_words = system.words + user.words
        out: list[PartLength] = [("prompt", prompt_chars, prompt_words, fitted.prompt_tokens)]
        if self.kind == "sft":
            answer = self.answers[0]
            out.append(("answer", answer.chars, answer.words, fitted.answer_tokens))
            chars, words, tokens = answer.chars, answer.words, fitted.answer_tokens
        else:
            count = self.setup.counter.count
            tokens = 0
            for name, answer in zip(("chosen", "rejected"), self.answers, strict=True):
                n = count((self.system, fitted.user), answer)[1]
                out.append((name, answer.chars, answer.words, n))
                tokens = max(tokens, n)
            chars = sum(a.chars for a in self.answers)
            words = sum(a.words for a in self.answers)
        out.append(
            ("record", prompt_chars + chars, prompt_words + words, fitted.prompt_tokens + tokens)
        )
        return out


class Builder:
    """Streams the records of one export; read its counters once the stream is exhausted."""

    batch_size = reader.BATCH  # paragraphs a worker process reads and encodes at a time

    def __init__(self, store: Store, setup: Setup) -> None:
        self.store = store
        self.setup = setup
        self.lang = setup.options.instructions
        self.stats = {stage.name: StageStats() for stage in setup.stages}
        self.dropped: Counter[str] = Counter()  # plugin → records dropped by curriculum_record
        self.plan: SplitPlan | None = None
        self.documents: dict[int, tuple[str, str, dict[str, Any]]] = {}
        self.duplicates_checked = 0
        self.eligible = 0  # paragraphs that may yield a record (known once the plan is made)
        self._hooked = has_implementations(setup.pm, "curriculum_record")
        self._suggestions: dict[int, dict[int, Any]] = {}
        # the private copies of double-annotated paragraphs (meta, adjudication pairs)
        self._copies = CopiesReader(store)
        self._parts: Path | None = None  # where workers write their batches (batches())
        self._spilled = 0  # part files this worker wrote
        self._aside: Aside | None = None  # what a worker runs beside the batches (batches())
        self._texts = _Texts()
        self._format_checked: set[str] = set()  # tasks whose first answer was parsed back
        self._hooked_meta_keys: dict[str, frozenset[str]] = {}  # stage → its records' meta keys
        self._duplicate_split: dict[str, str] = {}
        # In a worker process: the duplicated texts it wrote, checked by the parent.
        self._duplicates_written: list[tuple[int, str, str, str]] | None = None

    # --- planning --------------------------------------------------------------------------

    def plan_splits(self) -> SplitPlan:
        layers = [s.layer for s in self.setup.stages]
        weights = corpus.eligible_documents(self.store, layers, self.setup.states)
        self.eligible = sum(weights.values())
        self.documents = corpus.document_names(self.store, list(weights))
        keys = {doc: info[1] for doc, info in self.documents.items()}
        self.plan = plan_splits(
            weights,
            keys,
            corpus.duplicate_links(self.store),
            self.setup.options.split,
            self.setup.options.seed,
        )
        return self.plan

    def state_counts(self, snapshot: Mapping[str, Any]) -> dict[str, dict[str, int]]:
        """Per stage layer, how many paragraphs are in each state (for the skip report), from
        the counts :func:`corpus.snapshot` took (paragraphs without a status row are todo)."""
        counts: dict[str, dict[str, int]] = {}
        for stage in self.setup.stages:
            counts[stage.layer] = dict.fromkeys(LAYER_STATES, 0)
        for layer, state, n in snapshot["layer_states"]:
            if layer in counts:
                counts[layer][state] = counts[layer].get(state, 0) + n
        for per_state in counts.values():
            per_state["todo"] += snapshot["paragraphs"] - sum(per_state.values())
        return counts

    # --- streaming -------------------------------------------------------------------------

    def records(self) -> Iterator[tuple[Stage, str, dict[str, Any]]]:
        """Every record as a dict, in file order, after the ``curriculum_record`` hooks."""
        for stage, split, record, _, _ in self._stream(as_dicts=True):
            assert record is not None
            yield stage, split, record

    def lines(self) -> Iterator[tuple[Stage, str, bytes, Lengths]]:
        """Every record as the JSON line it is written as, with the ``(part, chars, words,
        tokens)`` lengths of its parts (see :func:`record_parts`), in file order.

        Both come from one builder (:meth:`_made`): a record's parts are encoded once (the
        lower layers' context once per paragraph) and its line spliced from them, byte for byte
        what encoding the record whole gives (tested); a record a ``curriculum_record`` hook
        may have changed is encoded whole.
        """
        for stage, split, _, line, lengths in self._stream(as_dicts=False):
            yield stage, split, line, lengths

    def _measure(self, record: dict[str, Any]) -> list[PartLength]:
        """The lengths of a record's parts (:func:`record_parts`) and of the whole record."""
        kind = self.setup.kind
        parts = record_parts(record, kind)
        count = self.setup.counter.count
        if kind == "sft":
            system, user = (text(m["content"]) for m in record["messages"][:2])
            prompt_tokens, answer_tokens = count((system, user), text(parts["answer"]))
            tokens = {"prompt": prompt_tokens, "answer": answer_tokens}
            total = prompt_tokens + answer_tokens
        else:
            prompt = [text(m["content"]) for m in record["prompt"]]
            prompt_tokens, chosen = count(prompt, text(parts["chosen"]))
            _, rejected = count(prompt, text(parts["rejected"]))
            tokens = {"prompt": prompt_tokens, "chosen": chosen, "rejected": rejected}
            total = prompt_tokens + max(chosen, rejected)
        lengths = [(name, len(t), len(t.split()), tokens[name]) for name, t in parts.items()]
        lengths.append(("record", sum(n[1] for n in lengths), sum(n[2] for n in lengths), total))
        return lengths

    def _views(self, **batch: Any) -> Iterator[Paragraph]:
        """The paragraphs that may yield a record, with the layers the stages read."""
        setup = self.setup
        top = max((setup.schemas.order.index(s.layer) for s in setup.stages), default=-1)
        return reader.iter_views(
            self.store,
            ready_layers=[s.layer for s in setup.stages],
            read_layers=setup.schemas.order[: top + 1],
            states=setup.states,
            **batch,
        )

    def _stream(
        self, *, as_dicts: bool, views: Iterable[Paragraph] | None = None
    ) -> Iterator[tuple[Stage, str, dict[str, Any] | None, bytes, Lengths]]:
        """``(stage, split, record or None, line, lengths)`` of every record kept, in file
        order: the record as a dict only when asked for (or hooked), the line always. A
        curriculum task's code that raises is blamed on its plugin (:meth:`_blame_task`)."""
        try:
            yield from self._records(as_dicts=as_dicts, views=views)
        except Exception as exc:  # (no cost while nothing is raised)
            self._blame_task(exc)
            raise

    def _records(
        self, *, as_dicts: bool, views: Iterable[Paragraph] | None
    ) -> Iterator[tuple[Stage, str, dict[str, Any] | None, bytes, Lengths]]:
        """What :meth:`_stream` gives, made."""
        plan = self.plan or self.plan_splits()
        setup = self.setup
        budget = setup.options.max_tokens
        if setup.kind == "dpo":
            self._suggestions = corpus.model_suggestions(
                self.store, [s.layer for s in setup.stages]
            )
        pending_out = setup.options.include_in_progress
        for view in self._views() if views is None else views:
            if pending_out:
                view = _without_suggestions(view)
            split = plan.split_of(view.document_id)
            parts = _Paragraph(view, setup.context_tasks, self.lang, self._texts)
            wrote = False
            for stage in setup.stages:
                if not self._ready(view, stage):
                    continue
                stats = self.stats[stage.name]
                stats.paragraphs += 1
                annotators = view.annotators(stage.layer)
                # counted once per paragraph and stage, not per record (Counter.update's checks
                # cost more than its counting)
                labels: list[str] = []
                unhooked = 0  # records by ``annotators`` (a hook may name others)
                for made in self._made(view, stage, split, parts, annotators):
                    if made.fitted is None:  # over budget whatever the context: left out
                        stats.left_out(view.id)
                        continue
                    stats.shortened += made.fitted.shortened
                    record = made.record() if as_dicts or self._hooked else None
                    if self._hooked:
                        assert record is not None
                        record = self._hook(record, stage, made.task.name, view)
                        if record is None:  # dropped by a plugin
                            stats.dropped += 1
                            continue
                        self._same_meta_keys(stage, record)
                        line, lengths = dump_line(record), list(self._measure(record))
                        if budget is not None and lengths[-1][3] > budget:
                            stats.left_out(view.id)  # a hook made it too long
                            continue
                        stats.annotators.update(record["meta"].get("annotators", annotators))
                    else:
                        line, lengths = made.line(), made.lengths()
                        unhooked += 1
                    stats.records[split] += 1
                    stats.tasks[made.task.name] += 1
                    labels.extend(made.labels)
                    wrote = True
                    yield stage, split, record, line, lengths
                if labels:
                    stats.labels.update(labels)
                if unhooked:
                    for name in annotators:
                        stats.annotators[name] += unhooked
            if wrote and view.sha256 in plan.duplicate_texts:
                written = (view.id, view.document, view.sha256, split)
                if self._duplicates_written is not None:
                    self._duplicates_written.append(written)
                else:
                    self._check_duplicate(*written)

    def _blame_task(self, exc: Exception) -> None:
        """Raise a :class:`PluginError` naming the plugin whose curriculum task's code raised
        ``exc`` (the deepest frame in the module of a task's class): a third-party task that
        fails is named, not the exporter that ran it. Nothing where no task's code was running
        (or where ``exc`` is already a LayerkitError: it says what went wrong)."""
        owners = self.setup.task_plugins
        if isinstance(exc, LayerkitError) or not owners:
            return
        plugin = task = None
        trace = exc.__traceback__
        while trace is not None:
            frame = trace.tb_frame
            owner = owners.get(frame.f_globals.get("__name__", ""))
            if owner is not None:
                plugin = owner
                name = getattr(frame.f_locals.get("self"), "name", None)
                task = name if isinstance(name, str) else task
            trace = trace.tb_next
        if plugin is None:
            return
        what = f"the curriculum task {task!r}" if task else "a curriculum task"
        raise PluginError(
            f"plugin {plugin!r} failed in {what}: {type(exc).__name__}: {exc}",
            hint=fix_or_disable(plugin) + "; nothing was written.",
        ) from exc

    def _check_duplicate(self, paragraph_id: int, document: str, sha256: str, split: str) -> None:
        """A paragraph whose text is in other documents too was written to ``split``: every
        copy must be in the same split (the leak check)."""
        self.duplicates_checked += 1
        seen = self._duplicate_split.setdefault(sha256, split)
        if seen != split:
            raise LayerkitError(
                f"paragraph {paragraph_id} ({document!r}) has the same text as a paragraph "
                f"already written to the {seen} split, but belongs to {split}.",
                hint="This is a bug in the split plan; nothing was written.",
                title="Split leak",
            )

    # --- side by side: worker processes encode batches, the parent writes them in order -------

    def parallel(self) -> bool:
        """Whether :meth:`batches` applies: SFT records that no hook sees (hooks may keep state,
        so they run in this process), more than one job and batch, and ``fork`` to start
        workers that share the plan and the plugins."""
        if self.plan is None:
            self.plan_splits()
        setup = self.setup
        return (
            setup.kind == "sft"
            and not self._hooked
            and setup.options.jobs > 1
            and self.eligible > self.batch_size
            and "fork" in multiprocessing.get_all_start_methods()
            and self.store.url not in ("sqlite://", "sqlite:///:memory:")
        )

    def batches(
        self, aside: Aside | None = None, parts: Path | None = None
    ) -> Iterator[dict[tuple[str, str], Chunk]]:
        """The encoded lines of each file, batch by batch in file order, made by
        ``options.jobs`` worker processes (byte for byte what :meth:`lines` gives; tested).

        Each worker reads and encodes whole batches of paragraphs; this process only writes
        the chunks in order, merges the counters and runs the leak check. At most one batch per
        worker waits here, so memory stays flat. ``aside``: a job of the caller's own (the
        store's snapshot) that a worker runs first, beside the batches; its result is in
        ``aside.result`` once the batches are all handed on. (Run here between batches, a
        3-second scan at 100k paragraphs left both workers idle, their next batches waiting
        for this process to take the last ones: 6% of the export's time.)

        ``parts``: a folder (beside the output, on its file system) where each worker writes
        a batch's lines as one part file; the chunks then say where their lines are in it
        (:meth:`Chunk.spill`) and each part file is removed once its chunks are handed on.
        Without it the lines come back through the executor's pipe: pickled, sent 64 KiB at a
        time and unpickled (moving 3.2 GB, as 100k paragraphs make, that way cost 17.5 s of CPU
        in a bench of just that, against 4.7 s through files the writer has the kernel copy;
        docs/curriculum.md).
        """
        self._parts = parts
        self._aside = aside  # (workers get it by fork: any callable will do)
        setup = self.setup
        bounds = corpus.batch_bounds(
            self.store, [s.layer for s in setup.stages], setup.states, self.batch_size
        )
        jobs = setup.options.jobs
        context = multiprocessing.get_context("fork")
        # concurrent.futures rather than multiprocessing.Pool: when a worker fails, leaving the
        # block waits for the batches under way and returns, where Pool.terminate() can hang
        # for good on a queue lock a killed worker held (seen under load).
        with ProcessPoolExecutor(
            jobs, mp_context=context, initializer=_start_worker, initargs=(self, os.getpid())
        ) as pool:
            pending: deque[Any] = deque()
            aside_done = None if aside is None else pool.submit(_run_aside)
            try:
                for batch in bounds:
                    pending.append(pool.submit(_encode_batch, batch))
                    if len(pending) > jobs:
                        yield from self._handed(pending.popleft().result())
                while pending:
                    yield from self._handed(pending.popleft().result())
                if aside is not None and aside_done is not None:
                    aside.result = aside_done.result()
            finally:
                for future in pending:
                    future.cancel()

    def _handed(self, batch: _Batch) -> Iterator[dict[tuple[str, str], Chunk]]:
        """A batch's chunks, merged; its part file removed once they are written."""
        try:
            yield self._merge(batch)
        finally:
            if batch.part is not None:
                Path(batch.part).unlink(missing_ok=True)

    def _encode(self, bounds: corpus.Bounds) -> _Batch:
        """In a worker: the batch of paragraphs within ``bounds``, encoded."""
        self.stats = {stage.name: StageStats() for stage in self.setup.stages}
        self._duplicates_written = []
        chunks: dict[tuple[str, str], Chunk] = {}
        after, until = bounds
        views = self._views(after=after, until=until, batch_size=self.batch_size)
        for stage, split, _, line, lengths in self._stream(as_dicts=False, views=views):
            chunk = chunks.get((stage.name, split))
            if chunk is None:
                chunk = chunks[stage.name, split] = Chunk()
            chunk.add(line, lengths)
        part = None
        if self._parts is not None and chunks:
            self._spilled += 1
            part = str(self._parts / f"{os.getpid()}-{self._spilled}.part")
            with open(part, "wb") as handle:
                for chunk in chunks.values():
                    chunk.spill(handle, part)
        return _Batch(chunks, self.stats, self._duplicates_written, part)

    def _merge(self, batch: _Batch) -> dict[tuple[str, str], Chunk]:
        for name, stats in batch.stats.items():
            self.stats[name].add(stats)
        for written in batch.duplicates:
            self._check_duplicate(*written)
        return batch.chunks

    def _ready(self, view: Paragraph, stage: Stage) -> bool:
        stats = self.stats[stage.name]
        states = self.setup.states
        if view.state(stage.layer) not in states:
            return False
        for layer in stage.context_layers:
            if view.state(layer) not in states:
                stats.skipped[f"{layer} layer not done"] += 1
                return False
        return True

    def _fit(
        self, parts: _Paragraph, stage: Stage, material: str, instruction: str, answer: Text
    ) -> _Fitted | None:
        """The longest context of the stage whose record fits the budget (tried in the order
        of :func:`budget.shorter`), or None when none does."""
        budget = self.setup.options.max_tokens
        count = self.setup.counter.count
        context = parts.settled(stage.context_layers, self.setup.options.context)
        user = parts.user(context, material, instruction)
        prompt_tokens, answer_tokens = count((parts.system, user), answer)
        if budget is None or prompt_tokens + answer_tokens <= budget:
            return _Fitted(context, user, prompt_tokens, answer_tokens, False)
        # over the budget: shorter contexts, made only while the one before is over it
        for candidate in shorter(context, parts.can_compact):
            user = parts.user(candidate, material, instruction)
            prompt_tokens, answer_tokens = count((parts.system, user), answer)
            if prompt_tokens + answer_tokens <= budget:
                return _Fitted(candidate, user, prompt_tokens, answer_tokens, True)
        return None

    def _meta_template(
        self,
        view: Paragraph,
        stage: Stage,
        split: str,
        annotators: list[str],
        double: tuple[bool, float | None],
    ) -> dict[str, Any]:
        """The meta of a stage's records of one paragraph, the keys in their order, without
        the values that differ from record to record (:meth:`_meta` fills them in); ``double``:
        whether the layer's gold was adjudicated, and the copies' agreement (:mod:`.copies`)."""
        meta: dict[str, Any] = {
            "kind": self.setup.kind,
            "stage": stage.name,
            "layer": stage.layer,
            "task": None,
            "answer_format": None,
            "split": split,
            "paragraph_id": view.id,
            "document_id": view.document_id,
            "document": view.document,
            "position": view.position,
            "paragraph_sha256": view.sha256,
            "annotators": annotators,
            "state": view.state(stage.layer),
            "adjudicated": double[0],
            "agreement": double[1],
            "context_layers": None,
            "context_forms": None,
            "instructions": self.lang,
        }
        meta.update(dict.fromkeys(stage.meta_keys))
        return meta

    def _meta(
        self,
        template: dict[str, Any],
        stage: Stage,
        task: CurriculumTask,
        extra: dict,
        context: Context,
    ) -> dict[str, Any]:
        """One record's meta: the stage's ``template`` with the record's own values (a copy
        keeps the keys' order, and every record has lists of its own)."""
        if extra:
            undeclared = set(extra) - set(stage.meta_keys)
            if undeclared:
                raise PluginError(
                    f"curriculum task {task.name!r} gave meta keys it does not declare: "
                    f"{', '.join(sorted(undeclared))}.",
                    hint="List every key a task's examples or pairs put in meta in its meta_keys.",
                )
        meta = template.copy()
        meta["task"] = task.name
        meta["answer_format"] = task.answer_format
        meta["annotators"] = list(template["annotators"])
        meta["context_layers"] = [layer for layer, _ in context]
        meta["context_forms"] = [form for _, form in context]
        if extra:
            for key in stage.meta_keys:
                meta[key] = extra.get(key)
        return meta

    def _examples(
        self, view: Paragraph, stage: Stage, parts: _Paragraph
    ) -> Iterator[tuple[CurriculumTask, Example]]:
        """The examples of a stage's tasks; the context task's is the one made for the context
        of the stages above."""
        for task in stage.tasks:
            if task is self.setup.context_tasks[stage.layer]:
                cached = parts.example(stage.layer)
                if cached is not None:
                    yield task, cached
            else:
                for example in task.examples(view, self.lang):
                    yield task, example

    def _made(
        self,
        view: Paragraph,
        stage: Stage,
        split: str,
        parts: _Paragraph,
        annotators: list[str],
    ) -> Iterator[_Made]:
        """The one record builder: each of a stage's records of a paragraph, its prompt fitted
        to the budget (:meth:`_fit`; ``fitted`` None when it cannot fit)."""
        kind = self.setup.kind
        copies = self._copies.of(view, stage.layer)
        double = (
            copies is not None and adjudicated(view, stage.layer),
            copies.agreement if copies is not None else None,
        )
        items: list[tuple[CurriculumTask, Example | PreferencePair]] = []
        if kind == "sft":
            items.extend(self._examples(view, stage, parts))
        else:
            for task in stage.tasks:
                make = getattr(task, "preference_pairs", None)
                if make is not None:
                    items.extend((task, pair) for pair in make(view, self.lang))
            correction = self._correction(view, stage)
            if correction is not None:
                items.append(correction)
            items.extend(self._adjudication_pairs(view, stage, copies))
        context_task = self.setup.context_tasks[stage.layer]
        template: dict[str, Any] | None = None  # (made for the first record that fits)
        for task, item in items:
            self._check_item(task, item)
            answers: tuple[Text, ...]
            if isinstance(item, Example):
                answers = (
                    parts.answer_text(stage.layer) if task is context_task else text(item.answer),
                )
                labels = item.labels
            else:
                answers = (text(item.chosen), text(item.rejected))
                labels = ()
            longest = answers[0] if len(answers) == 1 else max(answers, key=lambda t: t.utf8)
            fitted = self._fit(parts, stage, item.material, item.instruction, longest)
            if fitted is None:
                meta = {}
            else:
                if template is None:
                    template = self._meta_template(view, stage, split, annotators, double)
                meta = self._meta(template, stage, task, item.meta, fitted.context)
            yield _Made(kind, task, labels, parts.system, answers, meta, fitted, self.setup)

    def _check_item(self, task: CurriculumTask, item: Example | PreferencePair) -> None:
        """A task's example or pair as docs/plugins.md gives them: texts that are strings,
        labels a tuple of strings (a string was counted letter by letter), and, for the first
        of each task in this process, an answer that its answer format reads back (an answer
        that was no JSON was written as a json task's gold, and shown to every higher layer).
        A task that breaks it is named, not the exporter that ran it."""
        if (
            type(item) is Example
            and type(item.answer) is str
            and type(item.instruction) is str
            and task.name in self._format_checked
        ):
            return  # (once per record: the rest is checked on a task's first example)
        if isinstance(item, Example):
            texts = {"instruction": item.instruction, "answer": item.answer}
            labels: Any = item.labels
        else:
            texts = {
                "instruction": item.instruction,
                "chosen": item.chosen,
                "rejected": item.rejected,
            }
            labels = ()
        problem = next(
            (
                f"its {name} is a {type(value).__name__}, not a string"
                for name, value in texts.items()
                if type(value) is not str
            ),
            None,
        )
        if problem is None and (
            isinstance(labels, str) or not all(type(label) is str for label in labels)
        ):
            problem = f"its labels are {labels!r}, not a tuple of strings such as ('field:LABEL',)"
        if problem is None and task.name not in self._format_checked:
            self._format_checked.add(task.name)
            for name, value in texts.items():
                if name == "instruction":
                    continue
                try:
                    parse_answer(task.answer_format, value)
                except AnswerParseError as exc:
                    problem = (
                        f"its {name} is not a {task.answer_format} answer ({exc.message.rstrip('.')}): "
                        f"{value[:60]!r}"
                    )
                    break
        if problem is not None:
            plugin = self.setup.task_plugins.get(type(task).__module__, "layerkit")
            raise PluginError(
                f"plugin {plugin!r}: the curriculum task {task.name!r} gave an example where "
                f"{problem}.",
                hint=fix_or_disable(plugin) + " (docs/plugins.md, register_curriculum_tasks); "
                "nothing was written.",
            )

    def _correction(
        self, view: Paragraph, stage: Stage
    ) -> tuple[CurriculumTask, PreferencePair] | None:
        """The layer as people left it (chosen) against the model's suggestion (rejected)."""
        before = self._suggestions.get(view.id)
        if not before:
            return None
        current = view.layer(stage.layer)
        # a suggestion a person made theirs: changed (relabelled, moved...) or accepted as it
        # was, which is no correction (meta.corrected counted it)
        reviewed = [a for a in current if a.id in before and not a.origin.startswith("model:")]
        corrected = [a for a in reviewed if _content(a) != _content(before[a.id])]
        present = {a.id for a in current}
        deleted = [a for i, a in before.items() if i not in present and a.layer == stage.layer]
        if not corrected and not deleted:
            return None
        rejected_anns = [
            before[a.id] if a.id in before and not a.origin.startswith("model:") else a
            for a in current
        ] + deleted
        rejected_anns.sort(key=lambda a: a.id)
        task = self.setup.context_tasks[stage.layer]
        chosen = next(iter(task.examples(view, self.lang)), None)
        rejected = next(
            iter(task.examples(view.replace(stage.layer, rejected_anns), self.lang)), None
        )
        if chosen is None or rejected is None or chosen.answer == rejected.answer:
            return None
        models = sorted({before[a.id].origin for a in corrected} | {a.origin for a in deleted})
        return task, PreferencePair(
            instruction=chosen.instruction,
            chosen=chosen.answer,
            rejected=rejected.answer,
            material=chosen.material,
            meta={
                "pair": "correction",
                "corrected": len(corrected),
                "deleted_suggestions": len(deleted),
                "models": models,
            },
        )

    def _adjudication_pairs(
        self, view: Paragraph, stage: Stage, copies: LayerCopies | None
    ) -> list[tuple[CurriculumTask, PreferencePair]]:
        """The adjudicated gold (chosen) against each annotator's version that lost it
        (rejected), under the same layered prompt."""
        if copies is None or not adjudicated(view, stage.layer):
            return []
        task = self.setup.context_tasks[stage.layer]
        chosen = next(iter(task.examples(view, self.lang)), None)
        if chosen is None:
            return []
        pairs = []
        for who, anns in sorted(copies.copies.items()):
            rejected = next(iter(task.examples(view.replace(stage.layer, anns), self.lang)), None)
            if rejected is None or rejected.answer == chosen.answer:
                continue
            pairs.append(
                (
                    task,
                    PreferencePair(
                        instruction=chosen.instruction,
                        chosen=chosen.answer,
                        rejected=rejected.answer,
                        material=chosen.material,
                        meta={"pair": "adjudication", "losing_annotator": who},
                    ),
                )
            )
        return pairs

    def _same_meta_keys(self, stage: Stage, record: dict[str, Any]) -> None:
        """Every record of a stage file has the same meta keys (``datasets`` refuses a file
        whose records differ in shape): a ``curriculum_record`` hook that adds a key to some
        records only is named (it was written as it came)."""
        keys = frozenset(record["meta"])
        first = self._hooked_meta_keys.setdefault(stage.name, keys)
        if keys == first:
            return
        plugins = sorted(
            {i.plugin_name for i in self.setup.pm.hook.curriculum_record.get_hookimpls()}
        )
        extra, missing = sorted(keys - first), sorted(first - keys)
        differs = "; ".join(
            part
            for part in (
                f"it has {', '.join(extra)}" if extra else "",
                f"it lacks {', '.join(missing)}" if missing else "",
            )
            if part
        )
        raise PluginError(
            f"a curriculum_record hook (plugin {', '.join(map(repr, plugins))}) gave a record "
            f"of stage {stage.name} other meta keys than the stage's first record: {differs}.",
            hint="Every record of a stage has the same meta keys: set a key on every record "
            "(None where it has no value); nothing was written.",
        )

    def _hook(
        self, record: dict[str, Any], stage: Stage, task: str, view: Paragraph
    ) -> dict[str, Any] | None:
        kind = self.setup.kind
        result, dropped_by = chain_hook(
            self.setup.pm,
            "curriculum_record",
            "record",
            record,
            check=lambda value: check_record(value, kind),
            stage=stage.name,
            task=task,
            paragraph=view,
        )
        if result is None:
            self.dropped[dropped_by or "?"] += 1
        return result


def _content(ann: Any) -> tuple[Any, ...]:
    """What an annotation says (not who said it): its offsets, label, text, attributes, ends."""
    return (ann.start, ann.end, ann.label, ann.value, ann.attrs, ann.source_id, ann.target_id)


def check_record(record: Any, kind: Kind) -> str | None:
    """What is wrong with a record (a sentence), or None: the shape trainers rely on
    (:class:`formats.SftRecord`, :class:`formats.PreferenceRecord`, which ``layerkit train``
    reads the files with)."""
    if not isinstance(record, dict):
        return f"it is a {type(record).__name__}, not a dict"
    if not isinstance(record.get("meta"), dict):
        return "it has no 'meta' object"
    model = formats.SftRecord if kind == "sft" else formats.PreferenceRecord
    try:
        model.model_validate(record)
    except formats.ValidationError as exc:
        return formats.problem(exc)
    return None


@dataclass
class _Batch:
    """What a worker sends back for one batch: the lines of each file, the stages' counters
    and the duplicated texts it wrote (for the parent's leak check)."""

    chunks: dict[tuple[str, str], Chunk]
    stats: dict[str, StageStats]
    duplicates: list[tuple[int, str, str, str]]
    part: str | None = None  # the part file the chunks' lines are in (Builder.batches)


_worker: Builder | None = None


def _start_worker(builder: Builder, parent: int) -> None:
    """In a forked worker: die with the exporting process (killed with kill -9, it left its
    workers waiting for work for good, holding its part files), keep the parent's builder
    (plan, tasks, plugins), but never touch the database connections it inherited; it opens
    its own."""
    global _worker
    die_with_parent(parent)
    builder.store.engine.dispose(close=False)
    _worker = builder


def _encode_batch(bounds: corpus.Bounds) -> _Batch:
    assert _worker is not None
    return _worker._encode(bounds)


def _run_aside() -> Any:
    assert _worker is not None and _worker._aside is not None
    return _worker._aside.job(_worker.store)


@dataclass
class Aside:
    """A job of an export's own for :meth:`Builder.batches` to run in a worker process beside
    the batches: ``job(store)``, whose result is put in ``result``."""

    job: Callable[[Store], Any]
    result: Any = None
