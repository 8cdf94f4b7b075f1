"""Building curriculum records from the store, one paragraph at a time.

The flow: resolve the options and the tasks (from plugins, falling back to schema-derived tasks),
plan the splits from document ids alone, then stream the store paragraph by paragraph and yield
``(stage, split, record)``. Each paragraph's context answers (its gold layers, formatted once)
are reused by every higher stage. Every record passes through the ``curriculum_record`` hook
chain and is checked before it is handed on. Memory holds one batch of paragraphs, the split
plan (a few bytes per document) and counters, whatever the size of the store.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pluggy

from layerkit.curriculum import prompts, reader
from layerkit.curriculum.answers import ANSWER_FORMATS
from layerkit.curriculum.generic import SchemaTask
from layerkit.curriculum.splits import SplitPlan, parse_split, parse_stages, plan_splits
from layerkit.curriculum.tasks import CurriculumTask, Example, ParagraphView, PreferencePair
from layerkit.errors import LayerkitError, PluginError, UsageError
from layerkit.plugins import chain_hook, collect, get_plugin_manager, has_implementations
from layerkit.schema import SchemaRegistry
from layerkit.store import Store

Kind = Literal["sft", "dpo"]
ROLES = ("system", "user", "assistant")
# Meta keys of the preference pairs the builder makes itself (a corrected model suggestion).
CORRECTION_META_KEYS = ("pair", "corrected", "deleted_suggestions", "models")


@dataclass(frozen=True)
class CurriculumOptions:
    """What ``layerkit export sft|dpo`` was asked for (see ``docs/curriculum.md``)."""

    stages: tuple[str, ...] | None = None
    seed: int = 0
    split: tuple[float, float, float] = (0.8, 0.1, 0.1)
    include_in_progress: bool = False
    instructions: str = "ru"
    license: str | None = None

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
        return cls(
            stages=tuple(stages.split(",")) if isinstance(stages, str) else stages,
            seed=0 if seed is None else int(seed),
            split=(0.8, 0.1, 0.1) if split is None else parse_split(split),
            include_in_progress=bool(options.get("include_in_progress", False)),
            instructions=lang,
            license=options.get("license"),
        )


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

    @property
    def name(self) -> str:
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

    @property
    def states(self) -> tuple[str, ...]:
        return ("done", "in_progress") if self.options.include_in_progress else ("done",)


def collect_tasks(
    pm: pluggy.PluginManager, schemas: SchemaRegistry
) -> tuple[dict[str, list[CurriculumTask]], dict[str, CurriculumTask]]:
    """Tasks per layer from ``register_curriculum_tasks``, and the context task of each layer.

    A layer without tasks gets a :class:`SchemaTask`; a layer whose tasks include no context
    task gets a schema task as its context only.
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
            raise PluginError(
                f"plugin {plugin!r} registered the curriculum task {task.name!r}, which plugin "
                f"{names[task.name]!r} registered already.",
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
                raise PluginError(
                    f"plugin {plugin!r}: layer {task.layer!r} has two context tasks "
                    f"({context[task.layer].name}, {task.name}).",
                    hint="Only one task per layer may be the context shown to higher layers.",
                )
            context[task.layer] = task
        names[task.name] = plugin
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
    tasks, context = collect_tasks(pm, schemas)
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
    return Setup(kind, parsed, schemas, pm, tasks, context, stages)


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
    "context_layers",
    "instructions",
)


class Builder:
    """Streams the records of one export; read its counters once the stream is exhausted."""

    def __init__(self, store: Store, setup: Setup) -> None:
        self.store = store
        self.setup = setup
        self.lang = setup.options.instructions
        self.stats = {stage.name: StageStats() for stage in setup.stages}
        self.dropped: Counter[str] = Counter()  # plugin → records dropped by curriculum_record
        self.plan: SplitPlan | None = None
        self.documents: dict[int, tuple[str, str, dict[str, Any]]] = {}
        self.duplicates_checked = 0
        self._hooked = has_implementations(setup.pm, "curriculum_record")
        self._suggestions: dict[int, dict[int, Any]] = {}

    # --- planning --------------------------------------------------------------------------

    def plan_splits(self) -> SplitPlan:
        layers = [s.layer for s in self.setup.stages]
        weights = reader.eligible_documents(self.store, layers, self.setup.states)
        self.documents = reader.document_names(self.store, list(weights))
        keys = {doc: info[1] for doc, info in self.documents.items()}
        self.plan = plan_splits(
            weights,
            keys,
            reader.duplicate_links(self.store),
            self.setup.options.split,
            self.setup.options.seed,
        )
        return self.plan

    def state_counts(self) -> dict[str, dict[str, int]]:
        """Per stage layer, how many paragraphs are in each state (for the skip report)."""
        summary = self.store.summary()
        return {s.layer: dict(summary.layers.get(s.layer, {})) for s in self.setup.stages}

    # --- streaming -------------------------------------------------------------------------

    def records(self) -> Iterator[tuple[Stage, str, dict[str, Any]]]:
        plan = self.plan or self.plan_splits()
        setup = self.setup
        if setup.kind == "dpo":
            self._suggestions = reader.model_suggestions(
                self.store, [s.layer for s in setup.stages]
            )
        top = max((setup.schemas.order.index(s.layer) for s in setup.stages), default=-1)
        read_layers = setup.schemas.order[: top + 1]
        duplicate_split: dict[str, str] = {}
        for view in reader.iter_views(
            self.store,
            ready_layers=[s.layer for s in setup.stages],
            read_layers=read_layers,
            states=setup.states,
        ):
            split = plan.split_of(view.document_id)
            contexts: dict[str, Example | None] = {}
            wrote = False
            for stage in setup.stages:
                if not self._ready(view, stage):
                    continue
                context = [
                    (layer, self._context(view, layer, contexts)) for layer in stage.context_layers
                ]
                produced = (
                    self._sft(view, stage, split, context, contexts)
                    if setup.kind == "sft"
                    else self._dpo(view, stage, split, context)
                )
                stats = self.stats[stage.name]
                stats.paragraphs += 1
                for made, labels in produced:
                    task = made["meta"]["task"]
                    record = self._hook(made, stage, task) if self._hooked else made
                    if record is None:
                        continue
                    stats.records[split] += 1
                    stats.tasks[task] += 1
                    stats.labels.update(labels)
                    stats.annotators.update(record["meta"].get("annotators", []))
                    wrote = True
                    yield stage, split, record
            if wrote and view.sha256 in plan.duplicate_texts:
                self.duplicates_checked += 1
                seen = duplicate_split.setdefault(view.sha256, split)
                if seen != split:
                    raise LayerkitError(
                        f"paragraph {view.id} ({view.document!r}) has the same text as a paragraph "
                        f"already written to the {seen} split, but belongs to {split}.",
                        hint="This is a bug in the split plan; nothing was written.",
                        title="Split leak",
                    )

    def _ready(self, view: ParagraphView, stage: Stage) -> bool:
        stats = self.stats[stage.name]
        states = self.setup.states
        if view.state(stage.layer) not in states:
            return False
        for layer in stage.context_layers:
            if view.state(layer) not in states:
                stats.skipped[f"{layer} layer not done"] += 1
                return False
        return True

    def _context(self, view: ParagraphView, layer: str, cache: dict[str, Example | None]) -> str:
        example = self._context_example(view, layer, cache)
        return example.answer if example is not None else ""

    def _context_example(
        self, view: ParagraphView, layer: str, cache: dict[str, Example | None]
    ) -> Example | None:
        """The context task's example of ``layer``, made once per paragraph: the same answer is
        the stage's own record and the context of every stage above it."""
        if layer not in cache:
            task = self.setup.context_tasks[layer]
            cache[layer] = next(iter(task.examples(view, self.lang)), None)
        return cache[layer]

    def _meta(
        self, view: ParagraphView, stage: Stage, split: str, task: CurriculumTask, extra: dict
    ) -> dict[str, Any]:
        undeclared = set(extra) - set(stage.meta_keys)
        if undeclared:
            raise PluginError(
                f"curriculum task {task.name!r} gave meta keys it does not declare: "
                f"{', '.join(sorted(undeclared))}.",
                hint="List every key a task's examples or pairs put in meta in its meta_keys.",
            )
        meta = {
            "kind": self.setup.kind,
            "stage": stage.name,
            "layer": stage.layer,
            "task": task.name,
            "answer_format": task.answer_format,
            "split": split,
            "paragraph_id": view.id,
            "document_id": view.document_id,
            "document": view.document,
            "position": view.position,
            "paragraph_sha256": view.sha256,
            "annotators": view.annotators(stage.layer),
            "state": view.state(stage.layer),
            "context_layers": list(stage.context_layers),
            "instructions": self.lang,
        }
        for key in stage.meta_keys:
            meta[key] = extra.get(key)
        return meta

    def _prompt(
        self, view: ParagraphView, context: list[tuple[str, str]], material: str, instruction: str
    ) -> list[dict[str, str]]:
        return [
            {"role": "system", "content": prompts.SYSTEM[self.lang]},
            {
                "role": "user",
                "content": prompts.user_prompt(
                    view.text, context, material, instruction, self.lang
                ),
            },
        ]

    def _sft(
        self,
        view: ParagraphView,
        stage: Stage,
        split: str,
        context: list[tuple[str, str]],
        cache: dict[str, Example | None],
    ) -> Iterator[tuple[dict[str, Any], tuple[str, ...]]]:
        for task in stage.tasks:
            if task is self.setup.context_tasks[stage.layer]:
                cached = self._context_example(view, stage.layer, cache)
                examples: Iterable[Example] = [cached] if cached is not None else []
            else:
                examples = task.examples(view, self.lang)
            for example in examples:
                messages = self._prompt(view, context, example.material, example.instruction)
                messages.append({"role": "assistant", "content": example.answer})
                meta = self._meta(view, stage, split, task, example.meta)
                yield {"messages": messages, "meta": meta}, example.labels

    def _dpo(
        self, view: ParagraphView, stage: Stage, split: str, context: list[tuple[str, str]]
    ) -> Iterator[tuple[dict[str, Any], tuple[str, ...]]]:
        pairs: list[tuple[CurriculumTask, PreferencePair]] = []
        for task in stage.tasks:
            make = getattr(task, "preference_pairs", None)
            if make is not None:
                pairs.extend((task, pair) for pair in make(view, self.lang))
        correction = self._correction(view, stage)
        if correction is not None:
            pairs.append(correction)
        for task, pair in pairs:
            yield (
                {
                    "prompt": self._prompt(view, context, pair.material, pair.instruction),
                    "chosen": [{"role": "assistant", "content": pair.chosen}],
                    "rejected": [{"role": "assistant", "content": pair.rejected}],
                    "meta": self._meta(view, stage, split, task, pair.meta),
                },
                (),
            )

    def _correction(
        self, view: ParagraphView, stage: Stage
    ) -> tuple[CurriculumTask, PreferencePair] | None:
        """The layer as people left it (chosen) against the model's suggestion (rejected)."""
        before = self._suggestions.get(view.id)
        if not before:
            return None
        current = view.layer(stage.layer)
        corrected = [a for a in current if a.id in before and not a.origin.startswith("model:")]
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

    def _hook(self, record: dict[str, Any], stage: Stage, task: str) -> dict[str, Any] | None:
        kind = self.setup.kind
        result, dropped_by = chain_hook(
            self.setup.pm,
            "curriculum_record",
            "record",
            record,
            check=lambda value: check_record(value, kind),
            stage=stage.name,
            task=task,
        )
        if result is None:
            self.dropped[dropped_by or "?"] += 1
        return result


def check_record(record: Any, kind: Kind) -> str | None:
    """What is wrong with a record (a sentence), or None: the shape trainers rely on."""
    if not isinstance(record, dict):
        return f"it is a {type(record).__name__}, not a dict"
    if not isinstance(record.get("meta"), dict):
        return "it has no 'meta' object"
    if kind == "sft":
        messages = record.get("messages")
        if not isinstance(messages, list) or not messages:
            return "'messages' is not a non-empty list"
        for m in messages:
            if not isinstance(m, dict) or m.get("role") not in ROLES:
                return f"a message has no role of {', '.join(ROLES)}"
            if not isinstance(m.get("content"), str):
                return "a message's content is not a string"
        if messages[-1]["role"] != "assistant":
            return "the last message is not the assistant's answer"
        return None
    for key in ("prompt", "chosen", "rejected"):
        value = record.get(key)
        if not isinstance(value, list) or not value:
            return f"{key!r} is not a non-empty list of messages"
        for m in value:
            if not isinstance(m, dict) or not isinstance(m.get("content"), str):
                return f"a message of {key!r} has no string content"
    return None
