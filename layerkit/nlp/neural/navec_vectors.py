"""Frozen Russian word vectors: navec's news embeddings (250k words, 300d, product-quantized),
read from the file that the ``natasha`` wheel ships. natasha itself is never imported: its
``__init__`` pulls in pymorphy2, which does not run on Python 3.11."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from layerkit.nlp.neural.features import clean_form

NAVEC_FILE = "navec_news_v1_1B_250K_300d_100q.tar"


def navec_path() -> Path | None:
    spec = importlib.util.find_spec("natasha")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "emb" / NAVEC_FILE
    return path if path.is_file() else None


@dataclass
class NavecVectors:
    word_ids: dict[str, int]
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
    from navec import Navec

    nv = Navec.load(str(path))
    vocab = nv.vocab
    return NavecVectors(
        word_ids=vocab.word_ids,
        unk_id=vocab.unk_id,
        indexes=np.array(nv.pq.indexes, dtype=np.uint8),
        codes=np.array(nv.pq.codes, dtype=np.float32),
    )
