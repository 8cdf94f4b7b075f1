"""Suggestions for the higher layers from a training run: ``layerkit preannotate --checkpoint``.

A stage of a run was trained on one layer's questions, each paragraph shown with the gold of
the layers below it. The same question is asked here about paragraphs not yet annotated: the
prompt is built as the curriculum builds it (the stage's own ``example.json`` says which lower
layers it showed and in which form, and words the instruction), the lower layers' annotations
are the store's, the answers are generated a batch at a time (left-padded, one forward pass per
step for the whole batch, with a KV cache), and the layer's curriculum task reads each answer
back into annotations (``read_answer``; quotes mapped onto the paragraph). The built-in tasks'
answers are generated under each paragraph's answer grammar (``layerkit.train.constrained``:
labels from the schema, quotes from the paragraph) unless ``constrained`` is off. An answer that
does not parse, quotes text the paragraph lacks or breaks the schema is counted and listed with
its reason, and nothing of it is stored.

Each suggestion's confidence is the geometric mean of the probabilities of the tokens of the
answer's line that stated it (:func:`unit_confidences`): low ones are drawn as doubtful in the
annotator.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from layerkit.curriculum import prompts
from layerkit.curriculum.answers import AnswerParseError, parse_answer
from layerkit.drafts import AnnotationDraft
from layerkit.errors import UsageError
from layerkit.model import Paragraph
from layerkit.plugin.types import InvalidSuggestion
from layerkit.schema import SchemaRegistry

HIGHER_LAYERS = ("semantic", "logical", "epistemic", "pragmatic")
# before_work's probe: a prompt of this many tokens, this many decoding steps after it
PROBE_PROMPT_TOKENS = 512
PROBE_STEPS = 4
SLOW_JOB_SECONDS = 3600.0


def adapter_hash(stage_dir: Path) -> str:
    """A short hash of a stage's adapter weights: the version in a suggestion's origin, so
    suggestions of a retrained stage tell themselves apart."""
    digest = hashlib.sha256()
    for name in ("adapter_model.safetensors", "adapter_model.bin", "adapter_config.json"):
        path = stage_dir / name
        if path.is_file():
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            break
    return digest.hexdigest()[:12]


def weights_hash(model_dir: Path) -> str:
    """A short hash that tells a model folder's weights apart without reading gigabytes: each
    weight file's name, size and first and last MiB, with config.json."""
    digest = hashlib.sha256()
    for path in sorted(model_dir.iterdir()):
        if path.suffix in (".safetensors", ".bin") or path.name == "config.json":
            size = path.stat().st_size
            digest.update(f"{path.name}:{size}".encode())
            with path.open("rb") as handle:
                digest.update(handle.read(1 << 20))
                if size > 2 << 20:
                    handle.seek(-(1 << 20), 2)
                    digest.update(handle.read())
    return digest.hexdigest()[:12]


def _check_chat_template(model_dir: Path) -> None:
    """Refuse, before any model is loaded, a folder whose tokenizer has no chat template."""
    config_path = model_dir / "tokenizer_config.json"
    config = json.loads(config_path.read_text(encoding="utf-8")) if config_path.is_file() else {}
    if not (model_dir / "chat_template.jinja").is_file() and not config.get("chat_template"):
        raise UsageError(
            f"the tokenizer of {model_dir} has no chat template.",
            hint="Suggestions are asked as chat messages: use a chat (instruct) model, or a "
            "folder written by `layerkit merge`.",
        )


@dataclass
class StagePrompt:
    """How a stage's questions are worded, read from its ``example.json``."""

    layer: str
    instruction: str
    lang: str
    system: list[dict[str, str]]
    context_layers: list[str]
    context_forms: list[str]


def stage_prompt(stage_dir: Path, layer: str) -> StagePrompt:
    from layerkit.train.inference import stage_example
    from layerkit_train.asking import instruction_of

    example = stage_example(stage_dir)
    if example is None:
        raise UsageError(
            f"{stage_dir} has no example.json to word the questions with.",
            hint="Train the run with `layerkit train` (it writes one per stage).",
        )
    meta = example.get("meta", {})
    if meta.get("layer", layer) != layer:
        raise UsageError(
            f"stage {stage_dir.name} was trained on the {meta.get('layer')} layer, not {layer}.",
            hint="Choose the stage with --stage, or leave it out to take the layer's own.",
        )
    instruction, lang = instruction_of(example)
    layers = list(meta.get("context_layers", []))
    return StagePrompt(
        layer=layer,
        instruction=instruction,
        lang=lang,
        system=[m for m in example["messages"] if m["role"] == "system"],
        context_layers=layers,
        context_forms=list(meta.get("context_forms") or ["full"] * len(layers)),
    )


def default_prompt(stage_dir: Path, layer: str, tasks: Mapping[str, Any]) -> StagePrompt:
    """The wording of a model folder that is not a run's stage: its ``example.json`` if it has
    one (``layerkit merge`` copies the stage's), else the curriculum's defaults: Russian
    instructions, every lower layer as compact context, as ``layerkit export sft`` writes."""
    if (stage_dir / "example.json").is_file():
        return stage_prompt(stage_dir, layer)
    from layerkit.curriculum.prompts import SYSTEM

    task = tasks[layer]
    instruction = getattr(task, "instructions", {}).get("ru")
    if not instruction:
        raise UsageError(
            f"the {layer} layer's task has no Russian instruction to ask {stage_dir} with.",
            hint="Give a run folder, or a folder written by `layerkit merge`.",
        )
    order = list(tasks)
    below = order[: order.index(layer)] if layer in order else []
    forms = ["compact" if hasattr(tasks[b], "compact") else "full" for b in below]
    return StagePrompt(
        layer=layer,
        instruction=instruction,
        lang="ru",
        system=[{"role": "system", "content": SYSTEM["ru"]}],
        context_layers=below,
        context_forms=forms,
    )


def build_messages(
    paragraph: Paragraph, wording: StagePrompt, tasks: Mapping[str, Any]
) -> list[dict[str, str]]:
    """The chat messages of the stage's question about ``paragraph``, as the curriculum writes
    them: the paragraph, each lower layer's answer from the store (full or compact, as the stage
    was trained), the task's own material (numbered sentences, say), the instruction."""
    from layerkit.curriculum.build import compact_answer

    context = []
    for layer, form in zip(wording.context_layers, wording.context_forms, strict=False):
        task = tasks.get(layer)
        if task is None:
            continue
        answer = task.answer(paragraph)
        if form == "compact":
            answer = compact_answer(task, answer, wording.lang)
            if answer is None:
                continue
        context.append(prompts.ContextPart(layer, answer, form))
    main = tasks[wording.layer]
    material = ""
    for example in main.examples(paragraph, wording.lang):
        material = example.material
        break
    user = prompts.user_prompt(paragraph.text, context, material, wording.instruction, wording.lang)
    return [*wording.system, {"role": "user", "content": user}]


@dataclass
class RunSuggester:
    """A pre-annotator of one layer from a stage of a training run (see the module)."""

    run_dir: Path
    layer: str
    schemas: SchemaRegistry
    tasks: Mapping[str, Any]
    stage: str | None = None
    batch_size: int = 8
    max_new_tokens: int | None = None
    on_batch: Callable[[int], None] | None = None
    # answers kept to each paragraph's answer grammar (layerkit.train.constrained): labels from
    # the schema, quotes from the paragraph; only for the built-in tasks' JSON answers
    constrained: bool = True
    description: str = "suggestions of a layerkit training run"
    name: str = field(init=False)
    version: str = field(init=False)
    _trained: Any = field(init=False, default=None, repr=False)
    _wording: StagePrompt | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        from layerkit.train.inference import pick_stage

        if self.layer not in HIGHER_LAYERS:
            raise UsageError(
                f"a training run suggests the higher layers ({', '.join(HIGHER_LAYERS)}), "
                f"not {self.layer!r}.",
                hint="The lexical layer has its own pre-annotator: leave out --checkpoint.",
            )
        task = self.tasks.get(self.layer)
        if task is None or not hasattr(task, "read_answer"):
            raise UsageError(
                f"the {self.layer} layer's curriculum task cannot read answers back "
                "into annotations (it has no read_answer).",
                hint="See docs/plugins.md, 'Curriculum tasks'.",
            )
        self.name = self.run_dir.resolve().name
        if not (self.run_dir / "run.json").is_file() and (self.run_dir / "config.json").is_file():
            # an ordinary model folder: merged from a run, or any local chat model
            _check_chat_template(self.run_dir)
            self._wording = default_prompt(self.run_dir, self.layer, self.tasks)
            self.version = weights_hash(self.run_dir)
            return
        name, folder, _ = pick_stage(self.run_dir, self.stage or self.layer)
        self.stage = name
        self._wording = stage_prompt(folder, self.layer)
        self.version = adapter_hash(folder)

    def load(self) -> None:
        """Load the base model and the stage's adapter (done once, before the first batch)."""
        if self._trained is None:
            from layerkit.train.inference import load_model_dir, load_trained

            self._trained = (
                load_model_dir(self.run_dir)
                if self.stage is None
                else load_trained(self.run_dir, self.stage)
            )

    def before_work(self, paragraphs: int) -> list[str]:
        """Load the model and time one batch's first steps, before anything is generated:
        a warning when the whole job would take longer than ``SLOW_JOB_SECONDS`` here (a big
        model on a CPU, say), with what to do about it."""
        import time

        import torch

        self.load()
        if paragraphs == 0:
            return []
        trained = self._trained
        batch = min(self.batch_size, paragraphs)
        budget = self.max_new_tokens or 512
        ids = torch.full((batch, PROBE_PROMPT_TOKENS), 1, device=trained.runtime.device)

        def timed(steps: int) -> float:
            started = time.perf_counter()
            with torch.inference_mode(), trained.runtime.autocast():
                trained.model.generate(
                    input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=False,
                    max_new_tokens=steps, min_new_tokens=steps, use_cache=True,
                    pad_token_id=0,
                )  # fmt: skip
            return time.perf_counter() - started

        prefill = timed(1)  # the prompt's pass and one token
        step = max(timed(1 + PROBE_STEPS) - prefill, 0.0) / PROBE_STEPS
        batches = -(-paragraphs // batch)
        estimate = batches * (prefill + budget * step)
        if estimate <= SLOW_JOB_SECONDS:
            return []
        return [
            f"{paragraphs} paragraph(s) at batch {batch} would take up to about "
            f"{estimate / 3600:.1f} h on {trained.runtime.device} ({step * 1000:.0f} ms a "
            f"generation step, {budget} steps a batch at most); --limit N does a part, a GPU "
            "or a larger --batch-size goes faster"
        ]

    def annotate(
        self, paragraphs: Sequence[Paragraph]
    ) -> list[list[AnnotationDraft] | InvalidSuggestion]:
        from layerkit.train.encoding import ChatEncoder
        from layerkit.train.inference import generate_scored
        from layerkit.train.modeling import pad_id

        self.load()
        trained, wording = self._trained, self._wording
        assert wording is not None
        budget = self.max_new_tokens or 512
        encoder = ChatEncoder(trained.tokenizer, 1 << 30, trained.stop_ids)
        task = self.tasks[self.layer]
        out: list[list[AnnotationDraft] | InvalidSuggestion] = []
        for start in range(0, len(paragraphs), self.batch_size):
            chunk = paragraphs[start : start + self.batch_size]
            prompts_ids = [
                encoder.prompt_ids(build_messages(p, wording, self.tasks)) for p in chunk
            ]
            generated = generate_scored(
                trained.model,
                prompts_ids,
                budget,
                trained.stop_ids,
                pad_id(trained.tokenizer),
                trained.runtime,
                self._constraint(task, chunk),
            )
            for paragraph, (ids, probabilities, stopped) in zip(chunk, generated, strict=True):
                text = str(trained.tokenizer.decode(ids, skip_special_tokens=True))
                ends = token_ends(trained.tokenizer, ids)
                out.append(
                    self._read(paragraph, task, text, (ends, probabilities), stopped, budget)
                )
            if self.on_batch is not None:
                self.on_batch(len(chunk))
        return out

    def _constraint(self, task: Any, chunk: Sequence[Paragraph]) -> Any:
        """The answer grammars of a batch as a logits processor, or None (unconstrained)."""
        from layerkit.train.constrained import TASK_LAYERS, ConstrainedLogits, grammar_for

        if not self.constrained or getattr(task, "name", None) not in TASK_LAYERS:
            return None
        grammars = [grammar_for(task.name, p.text, p.sentences, self.schemas) for p in chunk]
        return ConstrainedLogits(self._trained.tokenizer, grammars, stop_ids=self._trained.stop_ids)

    def _read(
        self,
        paragraph: Paragraph,
        task: Any,
        text: str,
        scored: tuple[list[int], list[float]],
        stopped: bool,
        budget: int,
    ) -> list[AnnotationDraft] | InvalidSuggestion:
        if not stopped:
            return InvalidSuggestion(f"the answer did not end within {budget} tokens", text)
        try:
            drafts: list[AnnotationDraft] = task.read_answer(
                parse_answer(task.answer_format, text), paragraph
            )
        except AnswerParseError as exc:
            return InvalidSuggestion(exc.message, text)
        local = {d.local_id: d.to_row() for d in drafts if d.local_id is not None}
        for draft in drafts:
            problem = self.schemas.check_annotation(
                draft.to_row(),
                text_length=len(paragraph.text),
                local_ids=local,
                text=paragraph.text,
            )
            if problem:
                return InvalidSuggestion(problem, text)
        unit_confidences(drafts, paragraph.text, text, *scored)
        return drafts


def token_ends(tokenizer: Any, ids: Sequence[int]) -> list[int]:
    """Where each generated token ends in the decoded answer (characters).

    Decoded incrementally, as streaming detokenizers do: each step decodes only the tokens
    since the last complete character plus the few before them (so a SentencePiece word keeps
    its leading space), and counts what that adds; byte-level tokens that end inside a
    character (a Cyrillic letter is two bytes) add nothing until it is complete. Linear in
    the answer's length, where decoding every prefix was quadratic."""
    ends: list[int] = []
    length = prefix = read = 0
    for i in range(len(ids)):
        before = tokenizer.decode(ids[prefix:read], skip_special_tokens=True)
        after = tokenizer.decode(ids[prefix : i + 1], skip_special_tokens=True)
        if len(after) > len(before) and not after.endswith("\ufffd"):
            length += len(after) - len(before)
            prefix, read = read, i + 1
        ends.append(length)
    return ends


def unit_confidences(
    drafts: Sequence[AnnotationDraft],
    paragraph_text: str,
    answer: str,
    ends: Sequence[int],
    probabilities: Sequence[float],
) -> None:
    """Give each draft the confidence of the part of the answer that stated it.

    Answers are laid out one object per line (``format_answer("json", ...)``), so a unit's
    words are on the line that holds its label and, for a span, its quoted text: the unit's
    confidence is the geometric mean of the probabilities of that line's tokens (the lowest
    such line when several hold the same words). A unit no line can be told for gets the
    whole answer's."""
    whole = _geometric_mean(probabilities)
    lines: list[tuple[str, float | None]] = []
    tokens = _token_spans(ends, probabilities)
    start = 0
    for line in answer.split("\n"):
        stop = start + len(line)
        inside = [p for p, end, begin in tokens if begin < stop and end > start]
        lines.append((line, _geometric_mean(inside)))
        start = stop + 1
    for draft in drafts:
        label = json.dumps(draft.label, ensure_ascii=False) if draft.label else None
        if draft.kind == "span" and draft.start is not None and draft.end is not None:
            # a span's quote is on its line; its label may be a key's value there, or not
            # written at all (a predicate is the value of "predicate")
            needed = json.dumps(paragraph_text[draft.start : draft.end], ensure_ascii=False)
        elif draft.kind == "text" and draft.value:
            needed = json.dumps(draft.value, ensure_ascii=False)[:40].rstrip('"')
        else:
            needed, label = label, None
        found = [(line, c) for line, c in lines if c is not None and needed and needed in line]
        narrowed = [c for line, c in found if label and label in line] or [c for _, c in found]
        draft.confidence = min(narrowed) if narrowed else whole


def _token_spans(
    ends: Sequence[int], probabilities: Sequence[float]
) -> list[tuple[float, int, int]]:
    """(probability, end, start) of each token in the answer's characters."""
    out, begin = [], 0
    for end, p in zip(ends, probabilities, strict=False):
        out.append((p, end, begin))
        begin = end
    return out


def _geometric_mean(values: Sequence[float]) -> float | None:
    if not values:
        return None
    return math.exp(sum(math.log(max(v, 1e-12)) for v in values) / len(values))


@dataclass
class RunSuggestions:
    """What ``register_preannotators`` registers for each higher layer: a pre-annotator that
    needs a training run to work from, given with ``layerkit preannotate --checkpoint RUN``
    (:meth:`from_checkpoint` makes the working :class:`RunSuggester`)."""

    layer: str
    name: str = ""
    version: str = "-"
    description: str = "suggestions of a layerkit training run (needs --checkpoint RUN)"

    def __post_init__(self) -> None:
        self.name = self.name or f"run-{self.layer}"  # names are unique across layers

    def from_checkpoint(
        self,
        checkpoint: Path,
        *,
        schemas: SchemaRegistry,
        tasks: Mapping[str, Any],
        **settings: Any,
    ) -> RunSuggester:
        from layerkit_train.commands import needs_torch

        with needs_torch():  # a clear error without the train extra; quiet model loading
            return RunSuggester(checkpoint, self.layer, schemas, tasks, **settings)

    def annotate(self, paragraphs: Sequence[Paragraph]) -> list[list[AnnotationDraft]]:
        raise UsageError(
            f"suggestions for the {self.layer} layer come from a training run.",
            hint="Give one: layerkit preannotate --layer "
            f"{self.layer} --checkpoint RUN (the -o folder of `layerkit train`).",
        )
