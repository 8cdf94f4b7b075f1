"""``--base-model tiny``: a small Llama-style model and a tokenizer built from the curriculum.

It exists so that the whole pipeline (template, masking, LoRA, stages, scoring, resume, merge)
runs offline on a laptop CPU in seconds: the README's demo and the test suite use it. The
tokenizer is a byte-level BPE trained on the curriculum's training texts, so Cyrillic costs a few
tokens per word rather than two bytes a letter; its chat template is ChatML, whose end-of-turn
token ``<|im_end|>`` is also the tokenizer's EOS, so generation stops where training taught it to.
The weights are drawn with std 0.1 instead of Llama's 0.02: they stay frozen under LoRA, and
with the tied embeddings that small the logits could not move far from uniform.
Both are saved in the run's ``base/`` folder as an ordinary Hugging Face checkpoint, so every
stage adapter also loads with plain ``PeftModel.from_pretrained`` outside layerkit.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

PAD = "<|pad|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
#: ChatML; the assistant's answers inside ``{% generation %}`` markers, so that trainers that
#: ask the template which tokens are the answer (TRL's ``assistant_only_loss``, transformers'
#: ``return_assistant_tokens_mask``) can train the tiny model too: the text is the same
CHATML_TEMPLATE = (
    "{%- for message in messages %}"
    "{%- if message['role'] == 'assistant' %}"
    "{{ '<|im_start|>assistant\\n' }}{% generation %}{{ message['content'] + '<|im_end|>' }}"
    "{% endgeneration %}{{ '\\n' }}"
    "{%- else %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{%- endif %}"
)


def build_tokenizer(texts: Iterable[str], vocab_size: int) -> Any:
    """A byte-level BPE tokenizer trained on ``texts``, with ChatML special tokens and template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[PAD, IM_START, IM_END],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        min_frequency=2,
        show_progress=False,
    )
    core.train_from_iterator(texts, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=core, eos_token=IM_END, pad_token=PAD, chat_template=CHATML_TEMPLATE
    )


def build_tiny_base(
    texts: Iterable[str],
    out: Path,
    *,
    vocab_size: int,
    hidden_size: int,
    layers: int,
    heads: int,
    max_positions: int,
    seed: int,
    initializer_range: float = 0.1,
) -> Path:
    """Train the tokenizer on ``texts``, initialise the model from ``seed``, save both to ``out``.

    Deterministic: the same texts and settings give the same files (the tests rely on it, and a
    resumed run rebuilds nothing: it finds ``out`` complete).
    """
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM
    from transformers.utils import logging

    logging.disable_progress_bar()
    tokenizer = build_tokenizer(texts, vocab_size)
    eos = int(tokenizer.convert_tokens_to_ids(IM_END))
    pad = int(tokenizer.convert_tokens_to_ids(PAD))
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=max(1, heads // 2),
        max_position_embeddings=max_positions,
        tie_word_embeddings=True,
        initializer_range=initializer_range,
        bos_token_id=None,
        eos_token_id=eos,
        pad_token_id=pad,
    )
    generator = torch.random.fork_rng(devices=[])
    with generator:
        torch.manual_seed(seed)
        model = LlamaForCausalLM(config)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    GenerationConfig(eos_token_id=eos, pad_token_id=pad, bos_token_id=None).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
