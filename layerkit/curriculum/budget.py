"""How long a record is in tokens, and which lower layers its prompt can show within a budget.

Every stage's prompt shows the gold annotations of the layers below (the context). Shown in
full they run long: the lexical token table alone is most of a pragmatic prompt, and trainers
cut or drop what exceeds their ``max_length`` (TRL's default is 1024). So the context comes in
three forms (``--context``): ``full`` (each lower layer's gold answer as its own stage asks for
it), ``compact`` (each lower layer rendered as far as higher layers use it: lemma and UPOS of
the content words, predicates with their roles on one line, units and relations as short
lines; a context task that has no compact form is shown in full) and ``none``.

With ``--max-tokens N`` a record over budget is shortened by one documented rule (:func:`shorter`):
lower layers shown in full become compact, farthest below first; then lower layers are left
out, farthest below first; a record still over budget (the paragraph, the question and the
answer alone) is left out and counted, never cut inside its answer.

Tokens are counted with a local Hugging Face tokenizer (``--tokenizer PATH``: its chat template
applied to the messages, as TRL's SFTTrainer does) or, without one, estimated
(:class:`EstimatedTokens`): one token per 2.8 UTF-8 bytes (a Cyrillic letter is two bytes) plus 8
per message. The estimate errs long: the bundled tiny tokenizer (a 2k byte-level BPE trained on
the curriculum, a worse case than any tokenizer a Russian model would use) averages 2.9-4.5 bytes
a token on the sample corpus's records, full or compact; a large vocabulary does better still.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

from layerkit.curriculum.output import Text
from layerkit.errors import UsageError

ContextForm = Literal["full", "compact"]
ContextMode = Literal["full", "compact", "none"]
CONTEXT_MODES: tuple[ContextMode, ...] = ("full", "compact", "none")
DEFAULT_CONTEXT: ContextMode = "compact"
#: the default budget: TRL's SFTTrainer at max_length=2048 keeps every record whole
DEFAULT_MAX_TOKENS = 2048
BYTES_PER_TOKEN = 2.8
TOKENS_PER_MESSAGE = 8

# A prompt's context: (layer, form) of each lower layer shown, lowest layer first.
Context = tuple[tuple[str, ContextForm], ...]


def initial_context(layers: Sequence[str], mode: ContextMode) -> Context:
    """The context a stage asks for before any budget applies."""
    if mode == "none":
        return ()
    return tuple((layer, mode) for layer in layers)


def shorter(context: Context, can_compact: Callable[[str], bool]) -> Iterator[Context]:
    """Ever shorter contexts, in the order tried when a record is over budget: each full layer
    that has a compact form made compact (farthest below first), then each layer left out
    (farthest below first)."""
    current = list(context)
    for i, (layer, form) in enumerate(current):
        if form == "full" and can_compact(layer):
            current[i] = (layer, "compact")
            yield tuple(current)
    while current:
        current.pop(0)
        yield tuple(current)


class TokenCounter(Protocol):
    """Counts a record's tokens: ``(prompt, answer)`` of a prompt's messages (system, user)
    and its answer (the assistant message), as the trainer will see them."""

    description: str

    def count(self, prompt: Sequence[Text], answer: Text) -> tuple[int, int]: ...


class EstimatedTokens:
    """The estimate used without a tokenizer (see the module's docstring)."""

    description = (
        f"estimated: one token per {BYTES_PER_TOKEN} UTF-8 bytes of each message, plus "
        f"{TOKENS_PER_MESSAGE} per message for the chat template (pass --tokenizer for exact "
        "counts)"
    )

    def count(self, prompt: Sequence[Text], answer: Text) -> tuple[int, int]:
        return sum(map(_estimate, prompt)), _estimate(answer)


def _estimate(part: Text) -> int:
    return math.ceil(part.utf8 / BYTES_PER_TOKEN) + TOKENS_PER_MESSAGE


class TokenizerTokens:
    """Exact counts with a local Hugging Face tokenizer: its chat template applied to the
    messages (the prompt with the generation prompt; the answer is the rest), or, for a
    tokenizer without a template, the messages' texts joined by line breaks."""

    ROLES = ("system", "user")

    def __init__(self, path: str | Path) -> None:
        try:
            from transformers import AutoTokenizer
        except ImportError as error:  # the train extra
            raise UsageError(
                "--tokenizer needs the transformers package.",
                hint="pip install 'layerkit[train]', or leave out --tokenizer for an estimate.",
            ) from error
        folder = Path(path)
        if not folder.is_dir():
            raise UsageError(
                f"--tokenizer {path}: no such folder.",
                hint="Give the local folder of a Hugging Face tokenizer or model "
                "(tokenizer.json or tokenizer_config.json); nothing is downloaded.",
            )
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        except (OSError, ValueError) as error:
            raise UsageError(
                f"--tokenizer {path}: not a tokenizer Hugging Face can load ({error}).",
                hint="Give the folder of a Hugging Face tokenizer or model.",
            ) from error
        self.templated = bool(getattr(self.tokenizer, "chat_template", None))
        how = "its chat template applied" if self.templated else "no chat template: plain text"
        self.description = f"tokenizer {folder.resolve().name} ({how})"

    def count(self, prompt: Sequence[Text], answer: Text) -> tuple[int, int]:
        texts = [t.decoded() for t in prompt]
        reply = answer.decoded()
        if not self.templated:
            before = len(self.tokenizer("\n".join(texts))["input_ids"])
            whole = len(self.tokenizer("\n".join([*texts, reply]))["input_ids"])
            return before, whole - before
        messages = [{"role": role, "content": t} for role, t in zip(self.ROLES, texts, strict=True)]
        before = _length(
            self.tokenizer.apply_chat_template(messages, tokenize=True, add_generation_prompt=True)
        )
        whole = _length(
            self.tokenizer.apply_chat_template(
                [*messages, {"role": "assistant", "content": reply}], tokenize=True
            )
        )
        return before, whole - before


def _length(encoded: Any) -> int:
    """Token count of what ``apply_chat_template(tokenize=True)`` returned (a list of ids, or
    a mapping with ``input_ids`` in recent transformers)."""
    if hasattr(encoded, "keys"):
        encoded = encoded["input_ids"]
    return len(encoded)


def token_counter(tokenizer: str | Path | None) -> TokenCounter:
    return EstimatedTokens() if tokenizer is None else TokenizerTokens(tokenizer)


def parse_context(value: Any) -> ContextMode:
    mode = DEFAULT_CONTEXT if value is None else str(value)
    if mode not in CONTEXT_MODES:
        raise UsageError(
            f"--context {value!r} is not a context form.",
            hint="Choose full (every lower layer's gold answer), compact (the default) or none.",
        )
    return mode


def parse_max_tokens(value: Any) -> int | None:
    """``--max-tokens``: None (no budget) for 0, the default when not given."""
    if value is None:
        return DEFAULT_MAX_TOKENS
    if not str(value).isdigit():
        raise UsageError(
            f"--max-tokens {value!r} is not a number of tokens.",
            hint="Give e.g. 2048 (the default), or 0 for no budget.",
        )
    return int(value) or None
