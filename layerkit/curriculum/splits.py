"""Assigning documents to train / validation / test, so no text is in two splits.

Splits are by document, never by paragraph: paragraphs of one document share a topic, names and
phrasing, and a model tested on a paragraph whose neighbours it trained on looks better than it
is. Documents that share a paragraph text (a recorded duplicate, or the same text hash) form one
group and go to one split together.

Groups are ranked by ``sha256(seed:key)``, where ``key`` is the content hash of the group's first
document, then cut: test first, then validation, each taking groups until its share of the
paragraphs is reached (at least one group when its share is not zero and enough groups remain),
and train takes the rest. The plan needs only document ids, hashes and paragraph counts; the
same store and seed give the same plan, and a document keeps its rank when others are added.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from layerkit.errors import UsageError

SPLITS = ("train", "validation", "test")


def parse_split(text: str | Sequence[float]) -> tuple[float, float, float]:
    """``"0.8,0.1,0.1"`` → shares of train, validation, test (non-negative, summing to 1)."""
    try:
        values = (
            [float(v) for v in text.split(",")]
            if isinstance(text, str)
            else [float(v) for v in text]
        )
    except ValueError:
        values = []
    if len(values) != 3 or any(v < 0 for v in values) or abs(sum(values) - 1) > 1e-6:
        raise UsageError(
            f"--split {text!r} is not three shares that add up to 1.",
            hint="Give train,validation,test shares, e.g. --split 0.8,0.1,0.1.",
        )
    if values[0] == 0:
        raise UsageError(
            f"--split {text!r} leaves nothing for training.",
            hint="The train share must be above 0, e.g. --split 0.8,0.1,0.1.",
        )
    return values[0], values[1], values[2]


def parse_stages(text: str | Sequence[str] | None, order: Sequence[str]) -> tuple[str, ...]:
    """``"semantic,lexical"`` → the named layers in layer order; None → every layer."""
    if text is None:
        return tuple(order)
    names = [n.strip() for n in text.split(",")] if isinstance(text, str) else list(text)
    names = [n for n in names if n]
    unknown = [n for n in names if n not in order]
    if unknown or not names:
        raise UsageError(
            f"--stages names unknown layers: {', '.join(unknown) or '(none given)'}.",
            hint=f"Layers in force: {', '.join(order)}.",
        )
    return tuple(layer for layer in order if layer in names)


@dataclass
class SplitPlan:
    """Which split each document belongs to, and what the grouping joined."""

    by_document: dict[int, str]
    groups: int
    joined_documents: int
    duplicate_texts: set[str] = field(default_factory=set)

    def split_of(self, document_id: int) -> str:
        return self.by_document[document_id]

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(SPLITS, 0)
        for split in self.by_document.values():
            out[split] += 1
        return out


class _Groups:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, item: int) -> int:
        root = self.parent.setdefault(item, item)
        while root != self.parent[root]:
            root = self.parent[root]
        while item != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def plan_splits(
    weights: dict[int, int],
    keys: dict[int, str],
    links: Iterable[tuple[int, int, str]],
    shares: tuple[float, float, float],
    seed: int,
) -> SplitPlan:
    """Assign every document of ``weights`` (id → paragraphs to export) to a split.

    ``keys`` gives each document's content hash; ``links`` are ``(document, document, text
    hash)`` pairs sharing a paragraph text.
    """
    groups = _Groups()
    for doc in weights:
        groups.find(doc)
    duplicate_texts = set()
    for a, b, sha in links:
        groups.union(a, b)
        duplicate_texts.add(sha)
    members: dict[int, list[int]] = {}
    for doc in sorted(weights):
        members.setdefault(groups.find(doc), []).append(doc)

    def rank(root: int) -> str:
        key = keys[members[root][0]]
        return hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()

    order = sorted(members, key=lambda root: (rank(root), root))
    weight = {root: sum(weights[d] for d in docs) for root, docs in members.items()}
    total = sum(weight.values())
    share = dict(zip(SPLITS, shares, strict=True))
    fill = [s for s in ("test", "validation", "train") if share[s] > 0]
    assigned: dict[int, str] = {}
    i = 0
    for position, split in enumerate(fill):
        if position == len(fill) - 1:
            for root in order[i:]:
                assigned[root] = split
            break
        reserve = len(fill) - position - 1
        target = share[split] * total
        taken = 0
        while i < len(order) - reserve:
            w = weight[order[i]]
            if taken > 0 and taken + w / 2 > target:
                break
            assigned[order[i]] = split
            taken += w
            i += 1
    by_document = {doc: assigned[root] for root, docs in members.items() for doc in docs}
    joined = sum(len(docs) for docs in members.values() if len(docs) > 1)
    return SplitPlan(
        by_document=by_document,
        groups=len(members),
        joined_documents=joined,
        duplicate_texts=duplicate_texts,
    )
