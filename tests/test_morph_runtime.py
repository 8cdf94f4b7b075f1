"""The numpy runtime of the ru-morph tagger (what ``layerkit tag`` runs) against the torch network
it re-implements: the same probabilities on the shipped weights, padding included.

The torch side needs the ``train`` extra; without torch these tests skip (the numpy runtime's own
behaviour is covered by tests/test_neural_tagger.py, which runs on it by default).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from layerkit.nlp.neural.features import read_conllu
from layerkit.nlp.neural.numpy_model import NumpyMorphNet, softmax
from layerkit.nlp.neural.tagger import NeuralTagger, collate, load_neural_tagger

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "ud"
HOUSE = DATA / "ru_taiga-ud-dev.conllu"
#: probabilities of the two runtimes may differ by float rounding only (measured: < 3e-6)
TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def runtimes() -> tuple[NeuralTagger, NeuralTagger]:
    pytest.importorskip("torch")
    return load_neural_tagger(runtime="numpy"), load_neural_tagger(runtime="torch")


def _sentences(lengths: list[int]) -> list[list[str]]:
    """Real sentences of the house dev file, one of each length asked for."""
    assert HOUSE.is_file(), f"gold data missing: {HOUSE}"
    by_length: dict[int, list[str]] = {}
    for s in read_conllu(str(HOUSE), "ud"):
        by_length.setdefault(len(s.forms), s.forms)
    return [by_length[n] for n in lengths]


def _probabilities(out: dict) -> list[np.ndarray]:
    heads = [out["upos"], *out["feats"], out["case"], out["script"]]
    return [softmax(np.asarray(x, np.float32)) for x in heads]


def _assert_same(tagger: NeuralTagger, other: NeuralTagger, batch: dict[str, np.ndarray]) -> None:
    real = np.arange(batch["dense"].shape[1])[None, :] < batch["lengths"][:, None]
    a, b = _probabilities(tagger.logits(batch)), _probabilities(other.logits(batch))
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert x.shape == y.shape
        np.testing.assert_allclose(x[real], y[real], rtol=0, atol=TOLERANCE)


def test_runtimes_are_what_was_asked_for(runtimes: tuple[NeuralTagger, NeuralTagger]) -> None:
    numpy_tagger, torch_tagger = runtimes
    assert numpy_tagger.runtime == "numpy" and isinstance(numpy_tagger.net, NumpyMorphNet)
    assert torch_tagger.runtime == "torch"
    assert load_neural_tagger().runtime == "numpy"


def test_default_runtime_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("torch")
    monkeypatch.setenv("LAYERKIT_MORPH_RUNTIME", "torch")
    assert load_neural_tagger().runtime == "torch"
    monkeypatch.setenv("LAYERKIT_MORPH_RUNTIME", "tensorflow")
    with pytest.raises(ValueError, match="LAYERKIT_MORPH_RUNTIME"):
        load_neural_tagger()


def test_same_probabilities_in_one_padded_batch(
    runtimes: tuple[NeuralTagger, NeuralTagger],
) -> None:
    """Sentences of 1 to 92 tokens in one batch, unsorted: the short ones are mostly padding,
    which must not reach their real tokens (the reverse LSTM starts at each one's last token)."""
    numpy_tagger, torch_tagger = runtimes
    sents = _sentences([7, 1, 92, 3, 25, 2, 61, 13])
    batch = collate(
        [numpy_tagger.encode(s) for s in sents],
        numpy_tagger.navec,
        shapes=numpy_tagger.net.shape_index,
    )
    _assert_same(numpy_tagger, torch_tagger, batch)
    # and a sentence alone equals itself in the batch, up to rounding
    alone = collate(
        [numpy_tagger.encode(sents[0])], numpy_tagger.navec, shapes=numpy_tagger.net.shape_index
    )
    _assert_same(numpy_tagger, torch_tagger, alone)


def test_same_probabilities_with_mixed_conventions(
    runtimes: tuple[NeuralTagger, NeuralTagger],
) -> None:
    """A batch whose sentences are in different conventions (training batches are): each row
    gets its own convention's output correction."""
    numpy_tagger, torch_tagger = runtimes
    space, analyze = numpy_tagger.space, numpy_tagger.analyze
    sents = _sentences([9, 4, 16])
    encoded = [
        space.encode_sentence(s, analyze, conv)
        for s, conv in zip(sents, ("ud", "gsd", "taiga-old"), strict=True)
    ]
    assert len({e.conv for e in encoded}) == 3
    batch = collate(encoded, numpy_tagger.navec, shapes=numpy_tagger.net.shape_index)
    _assert_same(numpy_tagger, torch_tagger, batch)


def test_same_annotations(runtimes: tuple[NeuralTagger, NeuralTagger]) -> None:
    numpy_tagger, torch_tagger = runtimes
    sents = [s.forms for s in read_conllu(str(HOUSE), "ud")[:150]]
    sents.append(["Ура", "(", "наконец", ")", "пришла", "зима", ")"])
    sents.append(["🤘", "", "x" * 300, "iPhone", "@user", "\u200b"])
    a, b = numpy_tagger.tag(sents), torch_tagger.tag(sents)
    assert [[(t.lemma, t.upos, t.feats) for t in s] for s in a] == [
        [(t.lemma, t.upos, t.feats) for t in s] for s in b
    ]
    for x, y in zip(a, b, strict=True):
        assert all(abs(s.confidence - t.confidence) < 1e-3 for s, t in zip(x, y, strict=True))
