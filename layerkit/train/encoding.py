"""Records → token ids with labels on the assistant's answer only, through the chat template.

The answer span is found by rendering the conversation twice, once up to the generation prompt
and once with the answer, and mapping the characters the answer adds onto tokens through the
tokenizer's offsets: this works with any template (no ``{% generation %}`` markers needed) and
with tokenizers that merge characters across the boundary. Supervised are the answer's tokens
and the end-of-turn token after them, so the model learns to stop; whatever the template writes
after the end-of-turn token (a newline) is not.

Checks made here, each failing loudly rather than training on silence: the template must render
the prompt as a prefix of the full conversation and keep the answer's text; the token that ends
the answer must be one the model stops generating at (the tokenizer's EOS or the generation
config's); a record must keep at least one supervised token and must not lose its answer to
truncation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from layerkit.train.errors import ConfigError, TemplateError, TrainError

IGNORE = -100

# Used for tokenizers that have no chat template: plain-text role markers (no new tokens, so no
# embedding to train) and the tokenizer's own EOS as the end of every turn.
BUILTIN_TEMPLATE = (
    "{%- for message in messages %}"
    "{{ '<|' + message['role'] + '|>\\n' + message['content'] + eos_token + '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{ '<|assistant|>\\n' }}{%- endif %}"
)
_PROBE = [
    {"role": "system", "content": "Ты — лингвист."},
    {"role": "user", "content": "Абзац:\nМама мыла раму.\n\nЗадание: назови глагол."},
    {"role": "assistant", "content": "мыла"},
]


@dataclass(frozen=True)
class Encoded:
    """One record as the model sees it; ``labels`` hold -100 wherever there is no supervision."""

    input_ids: list[int]
    labels: list[int]
    prompt_length: int
    meta: dict[str, Any]

    @property
    def supervised(self) -> int:
        return sum(1 for label in self.labels if label != IGNORE)

    def __len__(self) -> int:
        return len(self.input_ids)


@dataclass
class EncodeReport:
    """What encoding a split kept and dropped, for the log and the stage metrics."""

    records: int = 0
    skipped_long: int = 0
    longest: int = 0


def setup_chat_template(tokenizer: Any, template_file: str = "") -> str:
    """Give ``tokenizer`` a chat template: the file given, its own, or the built-in one.

    Returns where the template came from, for run.json.
    """
    if template_file:
        path = Path(template_file)
        if not path.is_file():
            raise ConfigError(
                f"chat template file {path} does not exist.", hint="Check --chat-template."
            )
        tokenizer.chat_template = path.read_text(encoding="utf-8")
        return f"file:{path}"
    if getattr(tokenizer, "chat_template", None):
        return "tokenizer"
    if not tokenizer.eos_token:
        raise TemplateError(
            "the tokenizer has no chat template and no EOS token to end turns with.",
            hint="Give a template with --chat-template FILE.",
        )
    tokenizer.chat_template = BUILTIN_TEMPLATE
    return "builtin"


def stop_token_ids(tokenizer: Any, generation_eos: int | Sequence[int] | None = None) -> set[int]:
    """Token ids generation stops at: the tokenizer's EOS and the generation config's."""
    ids: set[int] = set()
    if tokenizer.eos_token_id is not None:
        ids.add(int(tokenizer.eos_token_id))
    if isinstance(generation_eos, int):
        ids.add(generation_eos)
    elif generation_eos is not None:
        ids.update(int(i) for i in generation_eos)
    return ids


class ChatEncoder:
    """Encodes chat records for one tokenizer; checks the template once, on construction."""

    def __init__(self, tokenizer: Any, max_seq_length: int, stop_ids: Iterable[int]) -> None:
        if not getattr(tokenizer, "is_fast", False):
            raise _slow_tokenizer(tokenizer)
        self.tokenizer = tokenizer
        self.max_seq_length = max_seq_length
        self.stop_ids = set(stop_ids)
        if not self.stop_ids:
            raise TemplateError(
                "the tokenizer has no EOS token and the model's generation config names none, "
                "so a trained model would never stop.",
                hint="Set eos_token in the tokenizer or eos_token_id in generation_config.json.",
            )
        probe = self._encode_full(_PROBE)
        self.end_of_turn = self.tokenizer.convert_ids_to_tokens(probe[0][probe[2] - 1])

    def _render(self, messages: Sequence[dict[str, str]], *, generation: bool) -> str:
        text = self.tokenizer.apply_chat_template(
            list(messages), tokenize=False, add_generation_prompt=generation
        )
        if not isinstance(text, str):
            raise TemplateError("the chat template did not render to text.")
        return text

    def prompt_ids(self, messages: Sequence[dict[str, str]]) -> list[int]:
        """The prompt as generation sees it: everything before the answer, generation prompt on."""
        text = self._render(messages, generation=True)
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _encode_full(self, messages: Sequence[dict[str, str]]) -> tuple[list[int], int, int]:
        """Token ids of the whole conversation, and the token range [start, end) to supervise."""
        prompt = self._render(messages[:-1], generation=True)
        full = self._render(messages, generation=False)
        if not full.startswith(prompt):
            raise TemplateError(
                "the chat template renders the prompt differently once the answer is added "
                f"(prompt ends {prompt[-40:]!r}, full text has {full[len(prompt) - 40 : len(prompt)]!r}).",
                hint="Use a template that only appends the answer turn (see --chat-template).",
            )
        answer = messages[-1]["content"].strip()
        tail = full[len(prompt) :]
        at = tail.find(answer)
        if at < 0 or (answer and tail[:at].strip()):
            raise TemplateError(
                "the chat template does not keep the assistant's answer as it is, so the answer "
                "tokens cannot be found.",
                hint="Use a template that writes message content unchanged (see --chat-template).",
            )
        answer_start = len(prompt) + at
        answer_end = answer_start + len(answer)
        encoding = self.tokenizer(full, add_special_tokens=False, return_offsets_mapping=True)
        ids = list(encoding["input_ids"])
        offsets = encoding["offset_mapping"]
        start = next((i for i, (_, e) in enumerate(offsets) if e > answer_start), len(ids))
        if not answer:
            start = next((i for i, (s, _) in enumerate(offsets) if s >= answer_start), len(ids))
        after = next((i for i, (s, e) in enumerate(offsets) if s >= answer_end and e > s), len(ids))
        stop = next((i for i in range(after, len(ids)) if ids[i] in self.stop_ids), None)
        if stop is None or full[answer_end : offsets[stop][0]].strip():
            ended = full[answer_end : answer_end + 20]
            stops = ", ".join(
                repr(self.tokenizer.convert_ids_to_tokens(i)) for i in sorted(self.stop_ids)
            )
            raise TemplateError(
                f"the chat template ends the answer with {ended!r}, but generation stops at "
                f"{stops}; a model trained on it would not stop after its answer.",
                hint="Make the template's end-of-turn token the tokenizer's eos_token (or add it "
                "to eos_token_id in generation_config.json), or pass --chat-template.",
            )
        return ids, start, stop + 1

    def encode(self, record: dict[str, Any]) -> Encoded:
        """The record with labels on its answer and end-of-turn token only."""
        messages = record["messages"]
        ids, start, end = self._encode_full(messages)
        if end <= start:
            raise TrainError(
                f"record {_where(record)} has no supervised token: its answer is empty after "
                "the chat template.",
                hint="Check the curriculum's answers (an empty answer teaches nothing).",
            )
        labels = [IGNORE] * start + ids[start:end] + [IGNORE] * (len(ids) - end)
        return Encoded(
            input_ids=ids, labels=labels, prompt_length=start, meta=dict(record.get("meta", {}))
        )

    def encode_all(
        self, records: Iterable[dict[str, Any]], *, skip_long: bool, what: str
    ) -> tuple[list[Encoded], EncodeReport]:
        """Encode a split; records longer than ``max_seq_length`` stop the run or are skipped.

        A record cut at ``max_seq_length`` would lose its answer's end (or all of it) and the
        model would learn answers that never stop; so records are never truncated.
        """
        out: list[Encoded] = []
        report = EncodeReport()
        too_long: list[tuple[int, str]] = []
        for record in records:
            encoded = self.encode(record)
            report.records += 1
            report.longest = max(report.longest, len(encoded))
            if len(encoded) > self.max_seq_length:
                too_long.append((len(encoded), _where(record)))
                continue
            out.append(encoded)
        if too_long and not skip_long:
            too_long.sort(reverse=True)
            shown = ", ".join(f"{where} ({n} tokens)" for n, where in too_long[:3])
            raise TrainError(
                f"{len(too_long)} record(s) of {what} are longer than max_seq_length = "
                f"{self.max_seq_length} tokens, so their answers would be cut off: {shown}.",
                hint=f"Raise --max-seq-length to {too_long[0][0]} or more, or pass "
                "--skip-long-records to leave them out.",
            )
        report.skipped_long = len(too_long)
        return out, report


def _slow_tokenizer(tokenizer: Any) -> TemplateError:
    return TemplateError(
        f"{type(tokenizer).__name__} is a slow tokenizer; layerkit needs a fast one (with "
        "tokenizer.json) to map the answer onto tokens.",
        hint="Convert it with transformers (AutoTokenizer.from_pretrained(..., use_fast=True)) "
        "and save it beside the model.",
    )


def _where(record: dict[str, Any]) -> str:
    meta = record.get("meta", {})
    parts = [str(meta[k]) for k in ("stage", "task") if meta.get(k)]
    if meta.get("paragraph_id") is not None:
        parts.append(f"paragraph {meta['paragraph_id']}")
    return " ".join(parts) or "(no meta)"
