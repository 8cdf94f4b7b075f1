"""Frozen Russian word vectors: navec's news embeddings (250k words, 300d, product-quantized),
read from the file that the ``natasha`` wheel ships. natasha itself is never imported: its
``__init__`` pulls in pymorphy2, which does not run on Python 3.11."""

from __future__ import annotations

import gzip
import importlib.util
import operator
import tarfile
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from pathlib import Path

import numpy as np

from layerkit.nlp.neural.features import clean_form

NAVEC_FILE = "navec_news_v1_1B_250K_300d_100q.tar"


def natasha_data_file(folder: str, name: str) -> Path | None:
    """A data file shipped in the natasha wheel (``data/<folder>/<name>``), if installed."""
    spec = importlib.util.find_spec("natasha")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / folder / name
    return path if path.is_file() else None


def navec_path() -> Path | None:
    return natasha_data_file("emb", NAVEC_FILE)


class VocabIndex:
    """A word's id in navec's vocabulary, without a dict of its 250k words (building one took
    a tenth of a second of every start-up). navec's words are sorted, but for ``<unk>`` and
    ``<pad>`` at the end: a binary search finds a word in the sorted part, a small dict holds
    the rest (all of it for a vocabulary that is not sorted)."""

    def __init__(self, words: list[str]) -> None:
        in_order = list(map(operator.lt, words, islice(words, 1, None)))
        try:
            end = in_order.index(False) + 1
        except ValueError:
            end = len(words)
        self._sorted = words[:end]
        self._rest = {w: i for i, w in enumerate(words[end:], start=end)}
        self._n = len(words)

    def __len__(self) -> int:
        return self._n

    def get(self, word: str, default: int | None = None) -> int | None:
        hit = self._rest.get(word)
        if hit is not None:
            return hit
        i = bisect_left(self._sorted, word)
        if i < len(self._sorted) and self._sorted[i] == word:
            return i
        return default


@dataclass
class NavecVectors:
    word_ids: VocabIndex
    unk_id: int
    indexes: np.ndarray  # (n_words, n_sub) uint8
    codes: np.ndarray  # (n_sub, 256, sub_dim) float32

    def __post_init__(self) -> None:
        self._cache: dict[str, int] = {}

    def clear_cache(self) -> None:
        self._cache.clear()

    def lookup(self, form: str) -> int:
        hit = self._cache.get(form)
        if hit is not None:
            return hit
        low = form.replace("\u0301", "").replace("\u0300", "").lower()
        i = self.word_ids.get(low)
        if i is None:
            i = self.word_ids.get(clean_form(low), self.unk_id)
        assert i is not None
        if len(self._cache) < 500_000:
            self._cache[form] = i
        return i


@lru_cache(maxsize=1)
def load_navec() -> NavecVectors:
    path = navec_path()
    if path is None:
        raise FileNotFoundError(
            f"navec vectors ({NAVEC_FILE}) not found: install natasha (pip install natasha)"
        )
    return read_navec(path)


def read_navec(path: Path) -> NavecVectors:
    """The vocabulary and product-quantized vectors of a navec tar file.

    Read here rather than with ``navec.Navec.load``, which also precomputes every vector's norm
    and all centroid products for its similarity queries (a third of a second of start-up the
    tagger never uses). The 25 MB of vector indexes are mapped copy-on-write rather than read:
    only the pages of words actually seen are loaded. The layout is navec's: ``vocab.bin`` is
    gzip'd (word count, uint32 counts, the words one a line), ``pq.bin`` four uint32 (vectors,
    dim, sub-vectors, centroids), uint8 indexes (vectors x sub-vectors), float32 codes.
    """
    with tarfile.open(path) as tar:
        vocab_member = tar.getmember("vocab.bin")
        pq_member = tar.getmember("pq.bin")
        vocab_file = tar.extractfile(vocab_member)
        if vocab_file is None:
            raise FileNotFoundError(f"{path}: no vocab.bin")
        raw = gzip.decompress(vocab_file.read())
    (n_words,) = np.frombuffer(raw[:4], np.uint32)
    words = raw[4 + 4 * int(n_words) :].decode("utf-8").splitlines()
    word_ids = VocabIndex(words)
    offset = pq_member.offset_data
    vectors, _dim, n_sub, centroids = (
        int(x) for x in np.fromfile(path, np.uint32, count=4, offset=offset)
    )
    indexes = np.memmap(path, np.uint8, "c", offset + 16, (vectors, n_sub))
    n_codes = (pq_member.size - 16 - vectors * n_sub) // 4
    codes = np.fromfile(path, np.float32, count=n_codes, offset=offset + 16 + vectors * n_sub)
    return NavecVectors(
        word_ids=word_ids,
        unk_id=word_ids.get("<unk>", 0) or 0,
        indexes=indexes,
        codes=codes.reshape(n_sub, centroids, -1),
    )
