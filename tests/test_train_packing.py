"""Padding-free packing: a record packed with others computes exactly what it computes alone."""

from __future__ import annotations

import pytest
import torch
from test_train_support import STAGES, one_thread, record  # noqa: F401
from transformers import AutoModelForCausalLM, AutoTokenizer

from layerkit.train.batching import collate
from layerkit.train.encoding import ChatEncoder, stop_token_ids
from layerkit.train.modeling import answer_loss
from layerkit.train.tiny import build_tiny_base


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory):
    records = [record(layer, task, fmt, i, []) for layer, task, fmt in STAGES for i in range(3)]
    base = build_tiny_base(
        [m["content"] for r in records for m in r["messages"]],
        tmp_path_factory.mktemp("pack") / "base",
        vocab_size=400,
        hidden_size=32,
        layers=2,
        heads=2,
        max_positions=1024,
        seed=1,
    )
    tokenizer = AutoTokenizer.from_pretrained(base)
    encoder = ChatEncoder(tokenizer, 1024, stop_token_ids(tokenizer))
    return base, [encoder.encode(r) for r in records[:4]], tokenizer.pad_token_id


def _alone(model, example) -> torch.Tensor:
    ids = torch.tensor([example.input_ids])
    return model(
        input_ids=ids, position_ids=torch.arange(len(example))[None], use_cache=False
    ).logits[0]


@pytest.mark.parametrize("attention", ["sdpa", "eager"])
@torch.no_grad()
def test_packed_records_do_not_see_each_other(setup, attention: str) -> None:
    base, examples, pad = setup
    model = AutoModelForCausalLM.from_pretrained(base, attn_implementation=attention).eval()
    # Row 0 packs three records; row 1 holds one record and padding up to row 0's width.
    batch = collate(examples, [[0, 1, 2], [3]], pad)
    assert batch.padding > 0 and batch.tokens == sum(len(e) for e in examples)
    # use_cache=False as in training: with a cache transformers does not look for packed rows.
    logits = model(
        input_ids=batch.input_ids, position_ids=batch.position_ids, use_cache=False
    ).logits
    at = 0
    for i in (0, 1, 2):
        n = len(examples[i])
        torch.testing.assert_close(
            logits[0, at : at + n], _alone(model, examples[i]), atol=2e-5, rtol=1e-4
        )
        at += n
    n = len(examples[3])
    torch.testing.assert_close(logits[1, :n], _alone(model, examples[3]), atol=2e-5, rtol=1e-4)
    # The control: positions that run on across records let the second record see the first.
    continuous = torch.arange(batch.input_ids.shape[1])[None].expand(2, -1)
    leaked = model(input_ids=batch.input_ids, position_ids=continuous, use_cache=False).logits
    start = len(examples[0])
    assert not torch.allclose(
        leaked[0, start : start + len(examples[1])], _alone(model, examples[1]), atol=1e-3
    )


@torch.no_grad()
def test_rows_of_one_record_run_as_plain_causal_sequences(setup, monkeypatch) -> None:
    """Scoring batches one record a row: its padding continues the positions, so attention
    gets no mask and takes the fused causal kernel, and each record's logits are its own."""
    base, examples, pad = setup
    model = AutoModelForCausalLM.from_pretrained(base, attn_implementation="sdpa").eval()
    batch = collate(examples, [[0], [3]], pad)
    assert batch.padding > 0
    width = batch.position_ids.shape[1]
    assert batch.position_ids.tolist() == [list(range(width))] * 2, "positions run on"
    masks = []
    real_sdpa = torch.nn.functional.scaled_dot_product_attention

    def spy(*args, **kwargs):
        masks.append((kwargs.get("attn_mask"), kwargs.get("is_causal")))
        return real_sdpa(*args, **kwargs)

    monkeypatch.setattr(torch.nn.functional, "scaled_dot_product_attention", spy)
    logits = model(
        input_ids=batch.input_ids, position_ids=batch.position_ids, use_cache=False
    ).logits
    monkeypatch.undo()
    assert masks and all(mask is None and causal for mask, causal in masks)
    for r, i in enumerate((0, 3)):
        n = len(examples[i])
        torch.testing.assert_close(logits[r, :n], _alone(model, examples[i]), atol=2e-5, rtol=1e-4)


@torch.no_grad()
def test_packed_loss_equals_the_sum_of_single_losses(setup) -> None:
    base, examples, pad = setup
    model = AutoModelForCausalLM.from_pretrained(base).eval()
    packed, losses = answer_loss(model, collate(examples, [[0, 1, 2, 3]], pad), keep_logits=True)
    single = sum(
        float(answer_loss(model, collate(examples, [[i]], pad), keep_logits=False)[0])
        for i in range(4)
    )
    assert float(packed) == pytest.approx(single, rel=1e-5)
    assert losses.numel() == sum(e.supervised for e in examples)


def _reference_loss(model, batch) -> torch.Tensor:
    """The loss the plain way: every position's logits, then the supervised ones."""
    logits = model(
        input_ids=batch.input_ids, position_ids=batch.position_ids, use_cache=False
    ).logits[:, :-1]
    labels = batch.labels[:, 1:]
    keep = labels != -100
    return torch.nn.functional.cross_entropy(logits[keep].float(), labels[keep], reduction="sum")


@pytest.mark.parametrize("chunk", [7, 2048])
def test_chunked_loss_and_gradients_equal_the_plain_loss(setup, monkeypatch, chunk: int) -> None:
    """The output projection swapped out for the forward and applied in checkpointed chunks
    gives the same loss and the same LoRA gradients, and the model gets its head back."""
    from peft import LoraConfig, get_peft_model

    import layerkit.train.modeling as modeling

    base, examples, pad = setup
    torch.manual_seed(0)
    model = get_peft_model(
        AutoModelForCausalLM.from_pretrained(base),
        LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", init_lora_weights=False),
    )
    batch = collate(examples, [[0, 1], [2, 3]], pad)
    head = model.get_base_model().get_output_embeddings()

    expected = _reference_loss(model, batch)
    expected.backward()
    want = {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}
    model.zero_grad(set_to_none=True)

    monkeypatch.setattr(modeling, "LOSS_CHUNK", chunk)
    monkeypatch.setattr(modeling.chunked_cross_entropy, "__defaults__", (chunk,))
    loss, losses = answer_loss(model, batch, keep_logits=True)
    loss.backward()
    assert model.get_base_model().get_output_embeddings() is head
    assert losses.numel() == int((batch.labels[:, 1:] != -100).sum())
    assert float(loss) == pytest.approx(float(expected), rel=1e-5)
    got = {n: p.grad for n, p in model.named_parameters() if p.requires_grad}
    assert got.keys() == want.keys() and len(got) > 0
    for name, grad in want.items():
        torch.testing.assert_close(got[name], grad, atol=1e-6, rtol=1e-4, msg=name)


def test_models_that_transform_logits_keep_the_plain_path(setup) -> None:
    base = setup[0]
    model = AutoModelForCausalLM.from_pretrained(base).eval()
    model.config.final_logit_softcapping = 30.0  # as Gemma 2: the head's output is transformed
    from layerkit.train.modeling import _plain_head

    assert not _plain_head(model)
    model.config.final_logit_softcapping = None
    assert _plain_head(model)
