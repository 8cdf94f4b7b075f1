"""The tiny base model and the assistant-only labels: what the model is trained to say."""

from __future__ import annotations

from pathlib import Path

import pytest
import transformers
from test_train_support import STAGES, one_thread, record  # noqa: F401

from layerkit.train.encoding import IGNORE, ChatEncoder, setup_chat_template, stop_token_ids
from layerkit.train.errors import TemplateError, TrainError
from layerkit.train.tiny import build_tiny_base


def _records() -> list[dict]:
    out = []
    for position, (layer, task, fmt) in enumerate(STAGES):
        for i in range(4):
            out.append(record(layer, task, fmt, i, [("lexical", "слово")] if position else []))
    return out


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    texts = [m["content"] for r in _records() for m in r["messages"]]
    out = tmp_path_factory.mktemp("tiny") / "base"
    return build_tiny_base(
        texts, out, vocab_size=400, hidden_size=32, layers=1, heads=2, max_positions=512, seed=0
    )


def _tokenizer(base: Path):
    return transformers.AutoTokenizer.from_pretrained(base)


def test_tiny_base_is_an_ordinary_offline_checkpoint(base: Path, tmp_path: Path) -> None:
    tokenizer = _tokenizer(base)
    model = transformers.AutoModelForCausalLM.from_pretrained(base)
    assert model.config.model_type == "llama"
    text = "Съешь же ещё этих мягких французских булок, да выпей чаю. Ёжик — «ёлка»!"
    assert tokenizer.decode(tokenizer(text)["input_ids"]) == text
    # Frequent Russian words are whole tokens, not bytes.
    assert len(tokenizer("Абзац:")["input_ids"]) <= 3
    assert tokenizer.eos_token == "<|im_end|>" and tokenizer.chat_template
    assert (
        transformers.GenerationConfig.from_pretrained(base).eos_token_id == tokenizer.eos_token_id
    )
    # Deterministic: the same texts and seed give the same tokenizer and weights.
    again = build_tiny_base(
        [m["content"] for r in _records() for m in r["messages"]],
        tmp_path / "again",
        vocab_size=400,
        hidden_size=32,
        layers=1,
        heads=2,
        max_positions=512,
        seed=0,
    )
    assert (again / "tokenizer.json").read_bytes() == (base / "tokenizer.json").read_bytes()
    other = transformers.AutoModelForCausalLM.from_pretrained(again)
    for (name, a), (_, b) in zip(
        model.state_dict().items(), other.state_dict().items(), strict=True
    ):
        assert bool((a == b).all()), name


def test_only_the_answer_and_end_of_turn_are_supervised(base: Path) -> None:
    tokenizer = _tokenizer(base)
    encoder = ChatEncoder(tokenizer, 512, stop_token_ids(tokenizer))
    assert encoder.end_of_turn == "<|im_end|>"
    for r in _records():
        encoded = encoder.encode(r)
        supervised = [t for t in encoded.labels if t != IGNORE]
        assert tokenizer.decode(supervised) == r["messages"][-1]["content"] + "<|im_end|>"
        start = encoded.prompt_length
        assert all(label == IGNORE for label in encoded.labels[:start])
        assert (
            encoded.labels[start : start + len(supervised)]
            == encoded.input_ids[start : start + len(supervised)]
        )
        # The trailing newline the template writes after <|im_end|> is not learnt.
        assert encoded.labels[-1] == IGNORE and tokenizer.decode(encoded.input_ids[-1:]) == "\n"
        # Training sees the prompt exactly as generation does.
        assert encoded.input_ids[:start] == encoder.prompt_ids(r["messages"][:-1])


def test_builtin_template_for_a_tokenizer_without_one(base: Path) -> None:
    tokenizer = _tokenizer(base)
    tokenizer.chat_template = None
    assert setup_chat_template(tokenizer) == "builtin"
    encoder = ChatEncoder(tokenizer, 512, stop_token_ids(tokenizer))
    r = _records()[0]
    encoded = encoder.encode(r)
    supervised = [t for t in encoded.labels if t != IGNORE]
    assert tokenizer.decode(supervised) == r["messages"][-1]["content"] + tokenizer.eos_token
    assert "<|assistant|>" in tokenizer.decode(encoded.input_ids[: encoded.prompt_length])


def test_a_template_file_replaces_the_tokenizers(base: Path, tmp_path: Path) -> None:
    tokenizer = _tokenizer(base)
    path = tmp_path / "template.jinja"
    path.write_text(
        "{% for m in messages %}### {{ m['role'] }}: {{ m['content'] }}<|im_end|>{% endfor %}"
        "{% if add_generation_prompt %}### assistant: {% endif %}",
        encoding="utf-8",
    )
    assert setup_chat_template(tokenizer, str(path)).startswith("file:")
    encoded = ChatEncoder(tokenizer, 512, stop_token_ids(tokenizer)).encode(_records()[1])
    assert tokenizer.decode([t for t in encoded.labels if t != IGNORE]).endswith("<|im_end|>")
    assert encoded.labels[-1] != IGNORE  # nothing after the end-of-turn token here


def test_end_of_turn_that_generation_does_not_stop_at_is_refused(base: Path) -> None:
    tokenizer = _tokenizer(base)
    tokenizer.eos_token = "<|pad|>"  # the template still ends turns with <|im_end|>
    with pytest.raises(TemplateError, match="would not stop") as info:
        ChatEncoder(tokenizer, 512, stop_token_ids(tokenizer))
    assert "eos_token" in info.value.hint
    # The generation config may name the template's token instead: then it is fine.
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert (
        ChatEncoder(tokenizer, 512, stop_token_ids(tokenizer, [im_end])).end_of_turn == "<|im_end|>"
    )


@pytest.mark.parametrize(
    ("template", "needle"),
    [
        # hides the answer: nothing of it could be supervised
        (
            "{% for m in messages %}<|im_start|>{{ m['role'] }}\n"
            "{{ '[скрыто]' if m['role'] == 'assistant' else m['content'] }}<|im_end|>\n"
            "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}",
            "does not keep the assistant's answer",
        ),
        # renders the generation prompt differently from the answer turn
        (
            "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
            "{% endfor %}{% if add_generation_prompt %}<|im_start|>bot\n{% endif %}",
            "renders the prompt differently",
        ),
    ],
)
def test_templates_that_hide_the_answer_are_refused(base: Path, template: str, needle: str) -> None:
    tokenizer = _tokenizer(base)
    tokenizer.chat_template = template
    with pytest.raises(TemplateError, match=needle):
        ChatEncoder(tokenizer, 512, stop_token_ids(tokenizer))


def test_records_longer_than_the_limit_stop_the_run_or_are_skipped(base: Path) -> None:
    tokenizer = _tokenizer(base)
    records = _records()[8:]  # pragmatic: the longest prompts (they carry lexical context)
    lengths = sorted(
        len(ChatEncoder(tokenizer, 512, stop_token_ids(tokenizer)).encode(r)) for r in records
    )
    limit = lengths[1]
    fit = sum(1 for n in lengths if n <= limit)
    assert 0 < fit < len(records)
    encoder = ChatEncoder(tokenizer, limit, stop_token_ids(tokenizer))
    with pytest.raises(TrainError) as info:
        encoder.encode_all(records, skip_long=False, what="03-pragmatic train")
    assert f"{len(records) - fit} record(s)" in info.value.message
    assert f"--max-seq-length to {lengths[-1]}" in info.value.hint
    assert "--skip-long-records" in info.value.hint
    kept, report = encoder.encode_all(records, skip_long=True, what="03-pragmatic train")
    assert len(kept) == fit and report.skipped_long == len(records) - fit
    assert report.longest == lengths[-1]
