"""What a curriculum says about double annotation: adjudicated gold, agreement, losing versions.

Exports read the gold (the shared layers). Where a paragraph's layer was annotated
independently (``layerkit assign``), each record's ``meta`` says whether its gold was
adjudicated (``adjudicated``: an annotation of the layer has origin ``adjudicated``) and how far
the copies agreed (``agreement``: the share of units, over every place any copy annotated, on
which all done copies hold the same content; observed agreement, not chance-corrected:
``layerkit agreement`` gives the chance-corrected figures over the corpus). ``export dpo``
pairs the adjudicated gold (chosen) with each annotator's version that lost (rejected).

Copies are read for the assigned paragraphs only, one paragraph at a time as the export
reaches it, so an export of a store without assignments reads nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass

from layerkit.adjudication import ORIGIN, Content, UnitKey, content_of, unit_key
from layerkit.model import Annotation, Paragraph
from layerkit.store import Store
from layerkit.store.copies import copy_key


@dataclass(frozen=True)
class LayerCopies:
    """The done copies of one paragraph's layer, each under the layer's own name."""

    layer: str
    copies: dict[str, list[Annotation]]  # annotator -> their copy's annotations
    agreement: float | None  # None with fewer than two done copies


class CopiesReader:
    """The copies of the assigned paragraphs, read as an export reaches them."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.assigned: dict[int, dict[str, list[str]]] = {}
        for row in store.assignments():
            self.assigned.setdefault(row.paragraph_id, {}).setdefault(row.layer, []).append(
                row.annotator
            )
        self._last: tuple[int, dict[str, LayerCopies]] | None = None

    def of(self, view: Paragraph, layer: str) -> LayerCopies | None:
        layers = self.assigned.get(view.id)
        if not layers or layer not in layers:
            return None
        if self._last is None or self._last[0] != view.id:
            self._last = (view.id, self._read(view, layers))
        return self._last[1].get(layer)

    def _read(self, view: Paragraph, layers: dict[str, list[str]]) -> dict[str, LayerCopies]:
        keys = [copy_key(layer, who) for layer, people in layers.items() for who in people]
        found = self.store.read_paragraphs([view.id], layers=keys)
        if not found:
            return {}
        bundle = found[0]
        shared = {a.id: a for anns in view.annotations.values() for a in anns}
        out = {}
        for layer, people in layers.items():
            copies: dict[str, list[Annotation]] = {}
            for who in people:
                key = copy_key(layer, who)
                if bundle.states.get(key, ("todo", None))[0] != "done":
                    continue
                copies[who] = [a._replace(layer=layer) for a in bundle.annotations.get(key, [])]
            # relation ends may lie in the annotator's copies of lower layers or in the shared
            # ones: look them up among everything this paragraph's copies and gold hold
            by_id = dict(shared)
            for anns in bundle.annotations.values():
                by_id.update((a.id, a) for a in anns)
            out[layer] = LayerCopies(layer, copies, _agreement(copies, by_id))
        return out


def _agreement(copies: dict[str, list[Annotation]], by_id: dict[int, Annotation]) -> float | None:
    if len(copies) < 2:
        return None
    versions: dict[UnitKey, dict[str, list[Annotation]]] = {}
    for who, anns in copies.items():
        for a in anns:
            versions.setdefault(unit_key(a, by_id), {}).setdefault(who, []).append(a)
    if not versions:
        return 1.0
    agreed = 0
    for per_annotator in versions.values():
        contents: set[Content] = {content_of(per_annotator.get(who, [])) for who in copies}
        agreed += len(contents) == 1
    return round(agreed / len(versions), 4)


def adjudicated(view: Paragraph, layer: str) -> bool:
    return any(a.origin == ORIGIN for a in view.layer(layer))
