"""Answers valid by construction: constrained decoding against each task's answer format.

A model asked for a higher layer answers in JSON (``layerkit.curriculum.answers``); a small or
half-trained model often writes JSON that does not parse, a label the schema lacks, or a quote
the paragraph does not contain, and the whole answer is then thrown away. Here each paragraph's
answer format is written as a grammar, and generation may only choose tokens the grammar allows,
so what comes out is read back by ``parse_answer`` and the task's ``read_answer``:

- the JSON shape of the task, keys in the order the curriculum writes them; blanks (spaces
  and line breaks, at most two) only after ``{ [ , :`` and before ``] }``, so the curriculum's
  layout (one object per line), compact JSON and the usual spacings are all accepted, and a model
  cannot spend its budget on blanks;
- every label from the layer's schema: semantic roles (``frame`` arguments that are also
  ``role`` labels), logical unit and relation types, epistemic factualities, evidentials (the
  ``evidential`` attribute's choices) and cues, pragmatic speech acts, intents, tones and
  registers; a project's extended schema is followed;
- every quote (a predicate, an argument, a unit, a statement, a cue, a source) is a run of whole
  words and punctuation of one sentence of the paragraph, verbatim (JSON escapes included), not
  empty, not beginning or ending with a blank, not beginning with closing punctuation (``, . ;
  : ! ? ) »``) nor ending with opening punctuation (``( «``), so ``Quotes`` always finds it; an
  epistemic source is ``"AUTHOR"`` or up to three quotes joined by ``"; "``;
- logical units are numbered 1, 2, 3 … and relations may only name those numbers;
- pragmatic ``speech_acts`` lists exactly one act (or null) per sentence;
- lists hold at most ``max_items`` entries, free texts (pragmatic notes) at most
  ``max_text_chars`` characters and a logical connective at most 40, so an answer always ends.

What the grammar cannot say: whether a quote is the *right* span, whether an argument lies near
its predicate, whether a relation makes sense; the connective is free text (annotators write
the marker as a word, «но» for «Но», so it is not always a quote) and so are the pragmatic
notes; a quote that runs across two sentences is refused (none of the sample's gold does). An
answer may still be cut by the token budget (``generate_scored`` then says it did not stop).

Library: llguidance (https://github.com/guidance-ai/llguidance). Measured on this project's tiny
model and byte-level BPE tokenizer (``layerkit.train.tiny``), 2 shared CPU cores, 16 sample
paragraphs each with its own grammar, against xgrammar 0.2.8 and outlines-core 0.2.14:

- llguidance reads a fast Hugging Face tokenizer as it is (0.01 s); a paragraph's matcher is
  ready in 2-4 ms (8 ms for the logical grammar), lexers being built lazily; the masks of the
  batch take about 0.6 ms a step (rows in parallel, in Rust, outside the GIL); and its Lark
  grammars have what quotes need: ``%regex {"substring_chunks": [...]}`` (a suffix automaton:
  any contiguous run of the chunks) intersected and negated with ordinary regexes (``&``, ``~``),
  and context-free rules around them (the logical ids).
- xgrammar reads the tokenizer too and its masks are faster (0.03 ms a step), but it has no
  substring construct: quotes become an alternation of every n-gram of the sentence (quadratic),
  and compiling one paragraph's grammar took 0.07-3.5 s (9-14 s for the 16).
- outlines-core compiles regexes only, into a token index per grammar: the same n-gram
  alternation took 1-2.4 s a paragraph, and its ``Vocabulary`` had to be rebuilt by hand from the
  byte-level tokens (``from_pretrained`` wants the Hub).
- lm-format-enforcer (not measured) walks characters in Python and has no grammar beyond JSON
  schemas and regexes.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Sequence
from typing import Any

# Whitespace a grammar allows around each bracket, comma and colon: enough for the curriculum's
# layout (", ", ",\n", "[\n") and for ordinary pretty-printing, bounded so that a model cannot
# spend its budget on blanks.
_WS = r"[ \n]{0,2}"
# A quote's words: letters and digits together (with inner hyphens and apostrophes: «всё-таки»),
# every other character on its own; whitespace runs are chunks too (a quote may span them, never
# begin or end with one).
_CHUNK = re.compile(r"\w+(?:[-'’]\w+)*|\s+|[^\w\s]")
# What a quote never begins or ends with (as it stands in JSON): whitespace (escaped or not), and
# punctuation that only closes a phrase (at its start) or opens one (at its end).
_BAD_START = r"(\s|\\[ntr]|[,.;:!?)»\]}])"
_BAD_END = r"(\s|\\[ntr]|[,;:(«\[{])"
# A JSON string's characters: no raw control characters, the common escapes only (no \u: a
# lone surrogate would parse and then break on storing).
_TEXT_CHAR = r'([^"\\\x00-\x1F\x7F]|\\["\\\/nt])'

_CONNECTIVE_CHARS = 40

TASK_LAYERS = {
    "semantic.frames": "semantic",
    "logical.structure": "logical",
    "epistemic.factuality": "epistemic",
    "pragmatic.analysis": "pragmatic",
}
"""The built-in tasks that answer a higher layer in JSON, and their layers."""


def grammar_for(
    task: str,
    text: str,
    sentences: Sequence[Sequence[int]],
    schemas: Any,
    *,
    max_items: int = 32,
    max_text_chars: int = 400,
) -> str:
    """The llguidance (Lark) grammar of the answers to ``task`` (a task name such as
    ``semantic.frames``, or a layer name) about one paragraph: ``text`` with its ``sentences``
    as ``[start, end]`` offsets (``Paragraph.sentences``); labels come from ``schemas``
    (a :class:`~layerkit.schema.SchemaRegistry`). See the module for what it restricts."""
    layer = TASK_LAYERS.get(task, task.split(".", 1)[0])
    if layer not in TASK_LAYERS.values():
        known = ", ".join([*TASK_LAYERS, *TASK_LAYERS.values()])
        raise ValueError(f"no answer grammar for {task!r} (known: {known})")
    if max_items < 1 or max_text_chars < 1:
        raise ValueError("max_items and max_text_chars must be at least 1")
    schema = schemas.get(layer)
    rules = _Rules(max_items)
    if layer == "pragmatic":
        _pragmatic(rules, schema, len(sentences), max_text_chars)
    else:
        rules.quotes(text, sentences)
        {"semantic": _semantic, "logical": _logical, "epistemic": _epistemic}[layer](rules, schema)
    return rules.text()


class _Rules:
    """A Lark grammar being written: rules, terminals, and the JSON punctuation between them."""

    def __init__(self, max_items: int) -> None:
        self.max_items = max_items
        self.lines = ["%llguidance {}"]
        # whitespace after an opening bracket, a comma or a colon and before a closing one
        for name, char in (("LB", "{"), ("LS", "["), ("CM", ","), ("CL", ":")):
            self.lines.append(f"{name}: /\\{char}{_WS}/")
        for name, char in (("RB", "}"), ("RS", "]")):
            self.lines.append(f"{name}: /{_WS}\\{char}/")
        self.lines.append('NULL: "null"')
        self._keys: set[str] = set()

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    def key(self, name: str) -> str:
        """``"name":`` as a grammar fragment (the key's terminal, then the colon)."""
        terminal = "K_" + re.sub(r"\W", "_", name).upper()
        if terminal not in self._keys:
            self._keys.add(terminal)
            self.lines.append(f"{terminal}: {_lark_string(json.dumps(name, ensure_ascii=False))}")
        return f"{terminal} CL"

    def labels(self, terminal: str, names: Iterable[str]) -> str:
        """A terminal for one of ``names`` as JSON strings (or for nothing: never matched)."""
        names = list(dict.fromkeys(names))
        if names:
            body = " | ".join(_lark_string(json.dumps(n, ensure_ascii=False)) for n in names)
        else:
            body = "/[^\\s\\S]/"  # an empty set: the field can only be null, or has no item
        self.lines.append(f"{terminal}: {body}")
        return terminal

    def rule(self, name: str, body: str) -> str:
        self.lines.append(f"{name}: {body}")
        return name

    def listing(self, item: str, most: int | None = None) -> str:
        """``[item, item, …]`` with at most ``most`` (default ``max_items``) items."""
        most = self.max_items if most is None else most
        more = f" (CM {item}){{0,{most - 1}}}" if most > 1 else ""
        return f"LS ({item}{more})? RS"

    def quotes(self, text: str, sentences: Sequence[Sequence[int]]) -> None:
        """``QUOTE``: a JSON string of consecutive chunks of one sentence (see the module)."""
        spans = [(int(s[0]), int(s[1])) for s in sentences if int(s[1]) > int(s[0])]
        if not spans:
            spans = [(0, len(text))]
        names = []
        for i, (start, end) in enumerate(spans):
            chunks = [_escape(m.group()) for m in _CHUNK.finditer(text[start:end])]
            if not chunks:
                continue
            names.append(f"S{i}")
            spec = json.dumps({"substring_chunks": chunks}, ensure_ascii=False)
            self.lines.append(f"S{i}: %regex {spec}")
        if names:
            self.lines.append(
                f"QUOTE_BODY: ({' | '.join(names)}) & /[\\s\\S]+/ "
                f"& ~/{_BAD_START}[\\s\\S]*/ & ~/[\\s\\S]*{_BAD_END}/"
            )
        else:  # a paragraph of nothing but whitespace: nothing can be quoted
            self.lines.append("QUOTE_BODY: /[^\\s\\S]/")
        self.lines.append('QUOTE: "\\"" QUOTE_BODY "\\""')


def _lark_string(json_string: str) -> str:
    """A Lark string literal matching exactly ``json_string`` (the JSON text of a string)."""
    return json.dumps(json_string, ensure_ascii=False)


def _escape(chunk: str) -> str:
    """The chunk as it stands inside a JSON string."""
    return json.dumps(chunk, ensure_ascii=False)[1:-1]


def _label_names(schema: Any, field: str) -> list[str]:
    found = schema.field(field)
    return list(found.label_names) if found is not None else []


def _semantic(rules: _Rules, schema: Any) -> None:
    """``{"predicates": [{"predicate": Q, "roles": [{"role": R, "text": Q}]}],
    "unattached": [{"role": R, "text": Q}]}`` (``unattached`` optional)."""
    frame = [n for n in _label_names(schema, "frame") if n != "PREDICATE"]
    role_field = schema.field("role")
    roles = [n for n in _label_names(schema, "role") if n in frame] if role_field else frame
    rules.labels("ROLE", roles)
    rules.labels("ARGUMENT", frame)
    rules.rule("role", f"LB {rules.key('role')} ROLE CM {rules.key('text')} QUOTE RB")
    rules.rule("loose", f"LB {rules.key('role')} ARGUMENT CM {rules.key('text')} QUOTE RB")
    rules.rule(
        "frame",
        f"LB {rules.key('predicate')} QUOTE CM {rules.key('roles')} {rules.listing('role')} RB",
    )
    rules.rule(
        "start",
        f"LB {rules.key('predicates')} {rules.listing('frame')} "
        f"(CM {rules.key('unattached')} {rules.listing('loose')})? RB",
    )


def _logical(rules: _Rules, schema: Any) -> None:
    """``{"units": [{"id": N, "type": T, "text": Q}], "relations": [{"type": R, "from": N,
    "to": N, "connective": Q or null}]}``: units numbered from 1, relations between them."""
    rules.labels("UNIT", _label_names(schema, "unit"))
    rules.labels("RELATION", _label_names(schema, "discourse"))
    # the annotator's marker, written as a word ("но" for «Но», "при этом" for «При этом»):
    # not always a quote, so any short text
    rules.lines.append(f'CONNECTIVE: /"{_TEXT_CHAR}{{1,{_CONNECTIVE_CHARS}}}"/')
    unit_head = f"LB {rules.key('id')}"
    unit_tail = f"CM {rules.key('type')} UNIT CM {rules.key('text')} QUOTE RB"
    relations = rules.key("relations")
    branches = [f"LS RS CM {relations} LS RS"]
    for k in range(1, rules.max_items + 1):
        rules.rule(f"unit{k}", f'{unit_head} "{k}" {unit_tail}')
        rules.rule(f"units{k}", f"unit{k}" if k == 1 else f"units{k - 1} CM unit{k}")
        ids = " | ".join(f'"{i}"' for i in range(1, k + 1))
        rules.lines.append(f"ID{k}: {ids}")
        rules.rule(
            f"relation{k}",
            f"LB {rules.key('type')} RELATION CM {rules.key('from')} ID{k} CM "
            f"{rules.key('to')} ID{k} CM {rules.key('connective')} (CONNECTIVE | NULL) RB",
        )
        branches.append(f"LS units{k} RS CM {relations} {rules.listing(f'relation{k}')}")
    rules.rule("start", f"LB {rules.key('units')} ({' | '.join(branches)}) RB")


def _epistemic(rules: _Rules, schema: Any) -> None:
    """``{"statements": [{"text": Q, "factuality": F, "negated": bool, "evidential": E or
    null, "source": "AUTHOR" or Q}], "cues": [{"type": C, "text": Q}]}``."""
    rules.labels("FACTUALITY", _label_names(schema, "factuality"))
    rules.labels("CUE", _label_names(schema, "cue"))
    field = schema.field("factuality")
    choices: list[str] = []
    for attribute in getattr(field, "attributes", ()) or ():
        if attribute.name == "evidential":
            choices = list(attribute.choices)
    rules.labels("EVIDENTIAL", choices)
    rules.lines.append('BOOL: "true" | "false"')
    rules.lines.append('AUTHOR: "\\"AUTHOR\\""')
    # several sources are joined by "; " (EpistemicTask.data); each is a quote of its own
    rules.lines.append('SOURCES: "\\"" QUOTE_BODY ("; " QUOTE_BODY){0,2} "\\""')
    rules.rule(
        "statement",
        f"LB {rules.key('text')} QUOTE CM {rules.key('factuality')} FACTUALITY CM "
        f"{rules.key('negated')} BOOL CM {rules.key('evidential')} (EVIDENTIAL | NULL) CM "
        f"{rules.key('source')} (AUTHOR | SOURCES) RB",
    )
    rules.rule("cue", f"LB {rules.key('type')} CUE CM {rules.key('text')} QUOTE RB")
    rules.rule(
        "start",
        f"LB {rules.key('statements')} {rules.listing('statement')} CM "
        f"{rules.key('cues')} {rules.listing('cue')} RB",
    )


_PRAGMATIC_LABELS = ("intent", "tone", "register")
_PRAGMATIC_TEXTS = ("implicature", "presupposition", "audience", "metacognitive")


def _pragmatic(rules: _Rules, schema: Any, sentences: int, max_text_chars: int) -> None:
    """``{"speech_acts": [ACT or null per sentence], "intent": …, "tone": …, "register": …,
    "implicature": text or null, "presupposition": …, "audience": …, "metacognitive": …}``."""
    rules.labels("ACT", _label_names(schema, "speech_act"))
    rules.lines.append(f'TEXT: /"{_TEXT_CHAR}{{1,{max_text_chars}}}"/')
    act = "(ACT | NULL)"
    acts = (
        "LS RS"
        if sentences == 0
        else f"LS {act}" + (f" (CM {act}){{{sentences - 1}}} RS" if sentences > 1 else " RS")
    )
    parts = [f"{rules.key('speech_acts')} {acts}"]
    for field in _PRAGMATIC_LABELS:
        terminal = rules.labels(field.upper(), _label_names(schema, field))
        parts.append(f"{rules.key(field)} ({terminal} | NULL)")
    parts.extend(f"{rules.key(field)} (TEXT | NULL)" for field in _PRAGMATIC_TEXTS)
    rules.rule("start", "LB " + " CM ".join(parts) + " RB")


class ConstrainedLogits:
    """A ``transformers`` logits processor that keeps each row of a batch inside its own
    grammar (``grammars[i]`` for row ``i``; see :func:`grammar_for`).

    Rows may be left-padded: only the tokens generated after the prompt are read (the first
    call sees the prompt's width). Once a row's grammar is complete, or its matcher failed, the
    row may only stop (its logits allow nothing but ``stop_ids``, the tokenizer's EOS by
    default), so ``generate`` ends it there. One instance serves one ``generate`` call.
    """

    def __init__(
        self,
        tokenizer: Any,
        grammars: Sequence[str],
        *,
        stop_ids: Iterable[int] | None = None,
        threads: int | None = None,
    ) -> None:
        import torch

        stops = sorted(
            {int(i) for i in stop_ids}
            if stop_ids is not None
            else ({int(tokenizer.eos_token_id)} if tokenizer.eos_token_id is not None else set())
        )
        if not stops:
            raise ValueError("constrained generation needs a stop token (the tokenizer has none)")
        self.stop_ids = stops
        self._tokenizer = _ll_tokenizer(tokenizer, tuple(stops))
        self._grammars = list(grammars)
        self.matchers: list[Any] = []
        # The matchers (a few ms each) are built in a thread while the model reads the
        # prompts: the first call, after the prompts' forward pass, waits for them.
        self._failure: BaseException | None = None
        self._building = threading.Thread(target=self._build, daemon=True)
        self._building.start()
        self._executor = _executor(threads)
        vocab = self._tokenizer.vocab_size
        self._words = (vocab + 31) // 32
        self._bitmask = torch.zeros((len(self._grammars), self._words), dtype=torch.int32)
        self._bits = torch.arange(32, dtype=torch.int32)
        self._prompt_width: int | None = None
        self.done = [False] * len(self._grammars)

    def _build(self) -> None:
        import llguidance

        try:
            for grammar in self._grammars:
                matcher = llguidance.LLMatcher(self._tokenizer, grammar, log_level=0)
                if matcher.is_error():
                    raise ValueError(f"invalid answer grammar: {matcher.get_error()}")
                self.matchers.append(matcher)
        except BaseException as exc:  # raised in the caller's thread by ready()
            self._failure = exc

    def ready(self) -> None:
        """Wait for the matchers; a grammar that did not compile raises here."""
        self._building.join()
        if self._failure is not None:
            raise self._failure

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        self.ready()
        rows, width = input_ids.shape
        if rows != len(self.matchers):
            raise ValueError(f"{len(self.matchers)} grammars for a batch of {rows} rows")
        if self._prompt_width is None:
            self._prompt_width = width
        elif width > self._prompt_width:
            last = input_ids[:, -1].tolist()
            for row, token in enumerate(last):
                if self.done[row]:
                    continue
                if token in self.stop_ids:
                    self.done[row] = True
                else:
                    self.matchers[row].consume_token(int(token))
        live = [
            (m, row)
            for row, m in enumerate(self.matchers)
            if not self.done[row] and not m.is_stopped() and not m.is_error()
        ]
        self._bitmask.zero_()
        if live:
            self._executor.unsafe_compute_mask_ptr(
                live, self._bitmask.data_ptr(), self._words * 4, rows
            )
        allowed = ((self._bitmask.unsqueeze(-1) >> self._bits) & 1).bool().view(rows, -1)
        vocab = scores.shape[-1]
        if allowed.shape[1] < vocab:
            allowed = torch.nn.functional.pad(allowed, (0, vocab - allowed.shape[1]))
        allowed = allowed[:, :vocab].to(scores.device)
        # a finished row (grammar complete, or the matcher failed): nothing but stopping
        live_rows = {row for _, row in live}
        for row in range(rows):
            if row not in live_rows:
                allowed[row].zero_()
                allowed[row, [s for s in self.stop_ids if s < vocab]] = True
        return scores.masked_fill(~allowed, float("-inf"))

    def errors(self) -> list[str]:
        """Each row's matcher error ('' where there is none): a token outside the grammar,
        which only a processor before this one could have chosen."""
        self.ready()
        return [m.get_error() for m in self.matchers]


_EXECUTORS: dict[int | None, Any] = {}


def _executor(threads: int | None) -> Any:
    """llguidance's mask-computing thread pool, made once per size (not per batch)."""
    import llguidance

    found = _EXECUTORS.get(threads)
    if found is None:
        found = _EXECUTORS[threads] = llguidance.LLExecutor(threads)
    return found


_TOKENIZERS: dict[tuple[int, tuple[int, ...]], tuple[Any, Any]] = {}


def _ll_tokenizer(tokenizer: Any, stops: tuple[int, ...]) -> Any:
    """llguidance's view of a fast Hugging Face tokenizer, built once per tokenizer (it reads
    the whole vocabulary)."""
    import llguidance.hf

    key = (id(tokenizer), stops)
    found = _TOKENIZERS.get(key)
    if found is None or found[0] is not tokenizer:
        if len(_TOKENIZERS) >= 4:
            _TOKENIZERS.clear()
        found = _TOKENIZERS[key] = (
            tokenizer,
            llguidance.hf.from_tokenizer(tokenizer, eos_token=list(stops)),
        )
    return found[1]
