"""Constrained decoding (layerkit.train.constrained): answers valid by construction.

Each higher layer's answer grammar must accept the gold answers of the sample corpus (what a
well-trained model says) and refuse labels, quotes and shapes a task cannot read back; and an
untrained tiny model, sampled under the grammars of a batch of paragraphs (left-padded, each
row with its own grammar), must answer every paragraph in a form ``parse_answer`` and the task's
``read_answer`` accept and the schema allows, where the same model sampled without them answers
none.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from test_curriculum import SAMPLE, load
from test_train_support import one_thread  # noqa: F401

from layerkit.curriculum import AnswerParseError, format_answer, parse_answer, reader
from layerkit.curriculum.build import collect_tasks
from layerkit.model import Paragraph
from layerkit.train.constrained import TASK_LAYERS, ConstrainedLogits, grammar_for

LAYERS = ("semantic", "logical", "epistemic", "pragmatic")
BUILTIN = ("lexical", *LAYERS)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[str, Any], list[Paragraph]]:
    """The sample's gold paragraphs: (schemas, tasks by layer, paragraphs)."""
    project = load(tmp_path_factory.mktemp("constrained"), SAMPLE / "annotated.jsonl")
    _, tasks = collect_tasks(project.pm, project.schemas)
    with project.open_store() as store:
        views = list(
            reader.iter_views(store, ready_layers=BUILTIN, read_layers=BUILTIN, states=("done",))
        )
    assert len(views) >= 5
    return project.schemas, tasks, views


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    """An untrained tiny model and its byte-level BPE tokenizer, trained on the sample texts."""
    import transformers

    from layerkit.train.tiny import build_tiny_base

    texts = [
        line
        for path in sorted(SAMPLE.glob("*.txt"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    base = build_tiny_base(
        texts, tmp_path_factory.mktemp("tiny") / "base", vocab_size=1024, hidden_size=32,
        layers=1, heads=2, max_positions=4096, seed=0,
    )  # fmt: skip
    tokenizer = transformers.AutoTokenizer.from_pretrained(base)
    model = transformers.AutoModelForCausalLM.from_pretrained(base).eval()
    return model, tokenizer


def _matcher(tokenizer: Any, grammar: str) -> Any:
    import llguidance

    from layerkit.train.constrained import _ll_tokenizer

    matcher = llguidance.LLMatcher(
        _ll_tokenizer(tokenizer, (tokenizer.eos_token_id,)), grammar, log_level=0
    )
    assert not matcher.is_error(), matcher.get_error()
    return matcher


def _accepts(tokenizer: Any, grammar: str, answer: str) -> bool:
    """Whether the grammar takes the whole answer and then allows nothing but stopping."""
    matcher = _matcher(tokenizer, grammar)
    return bool(
        matcher.consume_tokens(tokenizer.encode(answer, add_special_tokens=False))
        and matcher.is_stopped()
        and not matcher.is_error()
    )


def test_the_gold_answers_are_inside_their_grammars_and_mistakes_are_not(
    sample: tuple[Any, dict[str, Any], list[Paragraph]], tiny: tuple[Any, Any]
) -> None:
    schemas, tasks, views = sample
    _, tokenizer = tiny
    checked = 0
    for view in views:
        for layer in LAYERS:
            task = tasks[layer]
            assert TASK_LAYERS[task.name] == layer
            grammar = grammar_for(task.name, view.text, view.sentences, schemas)
            data = task.data(view)
            answer = format_answer("json", data)
            assert _accepts(tokenizer, grammar, answer), (view.id, layer, answer)
            # other spacings json.loads reads (up to two blanks around the punctuation)
            assert _accepts(tokenizer, grammar, answer.replace("\n", " "))
            compact = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
            assert _accepts(tokenizer, grammar, compact)
            checked += 1
    assert checked == len(views) * len(LAYERS)

    view = views[0]
    semantic = format_answer("json", tasks["semantic"].data(view))
    grammar = grammar_for("semantic", view.text, view.sentences, schemas)
    assert '"AGENT"' in semantic
    assert not _accepts(tokenizer, grammar, semantic.replace('"AGENT"', '"HERO"', 1))
    # a quote the paragraph lacks, a quote that runs past its sentence, a word cut in half
    first, second = (view.text[s:e] for s, e in view.sentences[:2])
    word = re.match(r"\w+", view.text).group()  # type: ignore[union-attr]
    bad = {"predicates": [{"predicate": "мурлыкать", "roles": []}]}
    assert not _accepts(tokenizer, grammar, format_answer("json", bad))
    good = {"predicates": [{"predicate": word, "roles": []}]}
    assert _accepts(tokenizer, grammar, format_answer("json", good))
    across = {"predicates": [{"predicate": f"{first} {second}", "roles": []}]}
    assert f"{first} {second}" in view.text
    assert not _accepts(tokenizer, grammar, format_answer("json", across))
    half = {"predicates": [{"predicate": word[:-1], "roles": []}]}
    assert not _accepts(tokenizer, grammar, format_answer("json", half))
    space = {"predicates": [{"predicate": word + " ", "roles": []}]}
    assert not _accepts(tokenizer, grammar, format_answer("json", space))

    logical = tasks["logical"].data(view)
    grammar = grammar_for("logical", view.text, view.sentences, schemas)
    assert logical["units"] and logical["relations"]
    logical["relations"][0]["to"] = len(logical["units"]) + 1  # a unit that is not there
    assert not _accepts(tokenizer, grammar, format_answer("json", logical))

    pragmatic = tasks["pragmatic"].data(view)
    grammar = grammar_for("pragmatic", view.text, view.sentences, schemas)
    assert len(pragmatic["speech_acts"]) == len(view.sentences)
    pragmatic["speech_acts"].append("ASSERT")  # one act more than there are sentences
    assert not _accepts(tokenizer, grammar, format_answer("json", pragmatic))
    with pytest.raises(ValueError, match="no answer grammar"):
        grammar_for("lexical.morphology", view.text, view.sentences, schemas)


class Sample:
    """Sampling from the model by the Gumbel-max trick (noise added to the logits, seeded):
    ``generate_scored``'s greedy choice becomes a draw at temperature 1. ``favour`` makes some
    tokens likelier (``{``: a model that likes to open objects, so that lists are not all
    empty), as training would make some tokens likelier."""

    def __init__(self, seed: int, favour: Sequence[int] = ()) -> None:
        import torch

        self.generator = torch.Generator().manual_seed(seed)
        self.favour = list(favour)

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        uniform = torch.rand(scores.shape, generator=self.generator).clamp_(1e-9, 1 - 1e-9)
        scores = scores - torch.log(-torch.log(uniform))
        scores[:, self.favour] += 4.0
        return scores


def _answers(
    tiny: tuple[Any, Any], views: list[Paragraph], task: Any, processors: list[Any], budget: int
) -> Iterator[tuple[Paragraph, str, bool]]:
    from layerkit.train.config import build_config
    from layerkit.train.encoding import ChatEncoder
    from layerkit.train.inference import generate_scored
    from layerkit.train.modeling import make_runtime

    model, tokenizer = tiny
    stops = {tokenizer.eos_token_id}
    encoder = ChatEncoder(tokenizer, 1 << 30, stops)
    prompts = [
        encoder.prompt_ids([{"role": "user", "content": f"{v.text}\n{task.instructions['ru']}"}])
        for v in views
    ]
    assert len({len(p) for p in prompts}) > 1  # rows of different lengths: left padding
    runtime = make_runtime(build_config({}).replace(gradient_checkpointing=False))
    results = generate_scored(
        model, prompts, budget, stops, tokenizer.pad_token_id, runtime, processors
    )
    for view, (ids, probabilities, stopped) in zip(views, results, strict=True):
        assert len(probabilities) == len(ids)
        yield view, tokenizer.decode(ids, skip_special_tokens=True), stopped


@pytest.mark.parametrize("layer", LAYERS)
def test_sampled_answers_under_the_grammars_are_all_valid_and_free_ones_are_not(
    layer: str, sample: tuple[Any, dict[str, Any], list[Paragraph]], tiny: tuple[Any, Any]
) -> None:
    schemas, tasks, views = sample
    _, tokenizer = tiny
    task = tasks[layer]
    # five paragraphs of different lengths, not all with as many sentences
    chosen = sorted(views, key=lambda v: (-len(v.sentences), v.id))[:5]
    assert len(chosen) == 5 and len({len(v.sentences) for v in chosen}) > 1
    budget = 768

    def valid(view: Paragraph, text: str, stopped: bool) -> list[Any] | None:
        if not stopped:
            return None
        try:
            drafts = task.read_answer(parse_answer("json", text), view)
        except AnswerParseError:
            return None
        local = {d.local_id: d.to_row() for d in drafts if d.local_id is not None}
        for draft in drafts:
            problem = schemas.check_annotation(
                draft.to_row(), text_length=len(view.text), local_ids=local
            )
            assert problem is None, (problem, text)
        return list(drafts)

    opening = [i for t, i in tokenizer.get_vocab().items() if "{" in tokenizer.decode([i])]
    assert opening
    free = list(_answers(tiny, chosen, task, [Sample(1, opening)], budget))
    assert [valid(*answer) for answer in free] == [None] * len(chosen)

    grammars = [
        grammar_for(task.name, v.text, v.sentences, schemas, max_items=3, max_text_chars=60)
        for v in chosen
    ]
    constraint = ConstrainedLogits(tokenizer, grammars)
    drafts = 0
    for view, text, stopped in _answers(
        tiny, chosen, task, [Sample(1, opening), constraint], budget
    ):
        assert stopped, text
        read = valid(view, text, stopped)
        assert read is not None, text
        drafts += len(read)
        for draft in read:
            if draft.start is not None:  # every quote is the paragraph's own words
                quoted = view.text[draft.start : draft.end]
                assert quoted.strip() == quoted and quoted
        if layer == "pragmatic":  # each row kept to its own paragraph's sentence count
            assert len(parse_answer("json", text)["speech_acts"]) == len(view.sentences)
    assert drafts >= len(chosen)  # answers with annotations in them, not only empty lists
    assert constraint.errors() == [""] * len(chosen)


def test_token_ends_decode_incrementally_as_a_whole_decode_would(tiny: tuple[Any, Any]) -> None:
    """``token_ends`` (where each generated token ends in the answer, for per-unit confidence)
    is linear now: it must still agree with decoding every prefix wherever a prefix ends on a
    whole character, and never count half a Cyrillic letter or emoji."""
    import random

    from layerkit_train.suggesting import token_ends

    _, tokenizer = tiny
    text = '[{"span": "Ёжик\u0301 в тумане 😍", "label": "AGENT"}]\nПри\u00adвет — «ёлка»'
    rng = random.Random(0)
    cases = [tokenizer.encode(text, add_special_tokens=False)]
    cases += [[rng.randrange(len(tokenizer)) for _ in range(60)] for _ in range(5)]
    for ids in cases:
        ends = token_ends(tokenizer, ids)
        assert len(ends) == len(ids)
        assert ends == sorted(ends)
        for i in range(len(ids)):
            prefix = tokenizer.decode(ids[: i + 1], skip_special_tokens=True)
            if not prefix.endswith("\ufffd"):
                assert ends[i] == len(prefix), (i, prefix)
