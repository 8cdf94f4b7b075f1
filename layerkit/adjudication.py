"""Adjudication: the annotators' private copies of a layer made into its gold, unit by unit.

When every copy of a paragraph's assigned layer is done (``layerkit assign``), the copies are
aligned into *units*: the annotations of one copy at one place, keyed by what they annotate
(a token or span by its field and offsets, a sentence or paragraph label by its scope, a
relation by its field and the units it joins, a free text by its field, label and anchor).
Each unit has one version per annotator (``None`` where they annotated nothing there).

A unit on which every copy agrees (or, with ``majority=N``, at least N of them) is merged into
the shared layer automatically; every other one is a disagreement the adjudicator decides by
taking one annotator's version (taking an empty version drops the unit) and then editing the
gold like any layer. Each step is one batch of edits by the adjudicator (undoable as one step);
what it writes carries origin ``adjudicated`` and the adjudicator's name, and the assignments
still say whose copies it came from. The gold is changed in place, unit by unit, so that
annotations of higher layers pointing at a unit that did not change keep pointing at it.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from layerkit.errors import ConflictError, UsageError
from layerkit.model import ADJUDICATED_ORIGIN, Annotation
from layerkit.store import Batch, Store
from layerkit.store.copies import is_copy
from layerkit.store.models import Annotation as StoredAnnotation
from layerkit.store.store import domain_annotation

ORIGIN = ADJUDICATED_ORIGIN

# What an annotator put at a unit: (label, value, attrs as JSON) of each annotation there.
Content = tuple[tuple[str | None, str | None, str], ...]
UnitKey = tuple[Any, ...]


def content_of(annotations: Iterable[Any]) -> Content:
    """What annotations say at a unit, comparable across copies (their ids and ends aside)."""
    return tuple(
        sorted(
            (a.label, a.value, json.dumps(a.attrs or {}, sort_keys=True, ensure_ascii=False))
            for a in annotations
        )
    )


def unit_key(annotation: Any, by_id: Mapping[int, Any]) -> UnitKey:
    """Where an annotation is, independent of its copy: what two copies share when they
    annotate the same thing (relations and anchored texts by the units they point at). Any
    annotation with the store's field names will do (a store row, a ``layerkit.model``
    annotation)."""
    if annotation.kind == "relation":
        source = by_id.get(annotation.source_id or -1)
        target = by_id.get(annotation.target_id or -1)
        return (
            "relation",
            annotation.field,
            unit_key(source, by_id) if source is not None else None,
            unit_key(target, by_id) if target is not None else None,
        )
    if annotation.kind == "text":
        anchor = by_id.get(annotation.source_id or -1)
        return (
            "text",
            annotation.field,
            annotation.label,
            annotation.start,
            annotation.end,
            unit_key(anchor, by_id) if anchor is not None else None,
        )
    return (annotation.kind, annotation.field, annotation.start, annotation.end)


@dataclass
class Unit:
    """One place of a layer and what each annotator and the gold have there."""

    key: UnitKey
    versions: dict[str, Content]  # annotator -> their content (() where they have nothing)
    rows: dict[str, list[Annotation]]  # annotator -> their copy's annotations here
    gold: Content = ()
    gold_rows: list[Annotation] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return str(self.key[0])

    def winner(self, majority: int | None = None) -> Content | None:
        """The content enough annotators gave (all of them, or ``majority``), else None."""
        need = len(self.versions) if majority is None else majority
        counts: dict[Content, int] = {}
        for content in self.versions.values():
            counts[content] = counts.get(content, 0) + 1
        best = max(counts.items(), key=lambda item: item[1])
        return best[0] if best[1] >= need else None

    def decided(self) -> bool:
        """Whether an adjudicator put one annotator's version into the gold here (gold that
        was there before, e.g. the pre-annotation the copies started from, does not count). A
        unit dropped has no gold to tell it by: it is decided once the gold layer is done
        (:meth:`Comparison.open_disagreements`)."""
        return (
            bool(self.gold_rows)
            and all(a.origin == ORIGIN for a in self.gold_rows)
            and self.gold in self.versions.values()
        )

    def describe(self, text: str) -> str:
        """The unit as an adjudicator reads it: its field and the text it covers."""
        kind, name = self.key[0], self.key[1]
        if kind == "relation":
            return f"{name}: {_place(self.key[2], text)} → {_place(self.key[3], text)}"
        if kind == "text":
            anchor = f" of {_place(self.key[5], text)}" if self.key[5] else ""
            return f"{name}{' ' + self.key[2] if self.key[2] else ''}{anchor}"
        return f"{name}: {_place(self.key, text)}"


def _place(key: UnitKey | None, text: str) -> str:
    if key is None:
        return "?"
    if key[0] in ("relation", "text"):
        return f"({key[1]})"
    start, end = key[2], key[3]
    if start is None or end is None:
        return "the paragraph"
    return f"«{text[start:end]}»"


def show(content: Content) -> str:
    """A version in a few words: its labels, texts and attributes."""
    if not content:
        return "—"
    parts = []
    for label, value, attrs in content:
        piece = label or ""
        if value:
            piece += (": " if piece else "") + value
        if attrs != "{}":
            shown = " ".join(f"{k}={v}" for k, v in json.loads(attrs).items())
            piece += f" [{shown}]"
        parts.append(piece or "(no label)")
    return "; ".join(parts)


@dataclass
class Comparison:
    """A paragraph's layer as its copies and its gold have it."""

    paragraph_id: int
    layer: str
    text: str
    annotators: list[str]
    units: list[Unit]
    copies_done: bool
    #: the gold layer is done: the adjudicator's word that every unit is decided (a unit
    #: dropped, ``x``, leaves nothing in the gold to tell it by)
    gold_done: bool = False

    def disagreements(self, majority: int | None = None) -> list[Unit]:
        return [u for u in self.units if u.winner(majority) is None]

    def open_disagreements(self, majority: int | None = None) -> list[Unit]:
        if self.gold_done:
            return []
        return [u for u in self.disagreements(majority) if not u.decided()]


def compare_copies(store: Store, paragraph_id: int, layer: str) -> Comparison:
    """The copies of ``layer`` of a paragraph aligned into units, with the gold at each."""
    annotators = sorted(
        row.annotator
        for row in store.assignments(paragraph_ids=[paragraph_id])
        if row.layer == layer
    )
    if len(annotators) < 2:
        raise UsageError(
            f"paragraph {paragraph_id}'s {layer} layer is not assigned to two annotators.",
            hint="Assign it with `layerkit assign`; adjudication compares private copies.",
        )
    text = store.paragraph(paragraph_id).text
    units: dict[UnitKey, Unit] = {}
    done = True
    for annotator in annotators:
        seen = store.seen_by(paragraph_id, annotator)
        done = done and seen.statuses[layer].state == "done"
        by_id = {a.id: a for a in seen.annotations if a.id is not None}
        for a in seen.annotations:
            if a.layer != layer:
                continue
            key = unit_key(a, by_id)
            unit = units.setdefault(key, Unit(key, {}, {}))
            unit.rows.setdefault(annotator, []).append(a)
    gold_all = [
        domain_annotation(a) for a in store.annotations(paragraph_id) if not is_copy(a.layer)
    ]
    gold_by_id = {a.id: a for a in gold_all if a.id is not None}
    for a in gold_all:
        if a.layer == layer:
            key = unit_key(a, gold_by_id)
            units.setdefault(key, Unit(key, {}, {})).gold_rows.append(a)
    for unit in units.values():
        unit.versions = {who: content_of(unit.rows.get(who, [])) for who in annotators}
        unit.gold = content_of(unit.gold_rows)
    ordered = sorted(units.values(), key=_order)
    gold = store.statuses(paragraph_id).get(layer)
    gold_done = gold is not None and gold.state == "done"
    return Comparison(paragraph_id, layer, text, annotators, ordered, done, gold_done)


def require_done(comparison: Comparison) -> None:
    """Refuse to show copies before every assigned annotator has marked theirs done: until
    then each works blind to the others (and their work is not final)."""
    if not comparison.copies_done:
        raise UsageError(
            f"not every copy of paragraph {comparison.paragraph_id}'s {comparison.layer} layer "
            f"is done yet ({', '.join(comparison.annotators)} are assigned).",
            hint="The copies stay private until all of them are marked done (ctrl+d); "
            "`layerkit status` shows how far each is.",
            title="Copies not done yet",
        )


def _order(unit: Unit) -> tuple[Any, ...]:
    """Units in reading order, relations and texts after what they point at."""
    rank = {"token": 0, "span": 1, "label": 2, "relation": 3, "text": 4}
    key = unit.key
    if key[0] in ("relation", "text"):
        return (rank.get(key[0], 5), json.dumps(key, default=str))
    return (rank.get(key[0], 5), key[2] if key[2] is not None else -1, key[3] or 0, key[1])


def set_unit(
    batch: Batch,
    store: Store,
    comparison: Comparison,
    unit: Unit,
    content: Content,
    *,
    source: str | None,
    checked: bool = False,
) -> bool:
    """Make the gold at ``unit`` hold ``content`` (one annotator's version, the annotations of
    ``source`` copied), inside an open batch; False when it already does. ``checked``: the
    caller has made sure, in this batch, that nobody changed the unit's gold meanwhile."""
    gold = unit.gold_rows
    gone = batch.deleted_ids  # a span deleted earlier in this batch took its relations along
    if not checked:
        _check_unchanged(store, comparison, unit, gone)
    if unit.gold == content:
        decided = []
        for old in gold:  # the same content, now decided by the adjudicator
            if old.origin == ORIGIN:
                decided.append(old)
                continue
            assert old.id is not None
            updated = batch.update_annotation(old.id, expected_version=old.version, origin=ORIGIN)
            decided.append(domain_annotation(updated))
        changed = decided != gold
        unit.gold_rows = decided
        return changed
    rows = unit.rows.get(source, []) if source is not None else []
    if content_of(rows) != content:  # the merged content of several: any copy that has it
        rows = next((r for r in unit.rows.values() if content_of(r) == content), [])
    if len(gold) == 1 and len(rows) == 1:
        mine = rows[0]
        assert gold[0].id is not None
        # at the version this comparison saw: a second adjudicator who decided the unit
        # meanwhile gets the usual conflict, not an overwrite
        updated = batch.update_annotation(
            gold[0].id,
            expected_version=gold[0].version,
            label=mine.label,
            value=mine.value,
            attrs=dict(mine.attrs or {}),
            origin=ORIGIN,
        )
        unit.gold_rows = [domain_annotation(updated)]
        unit.gold = content_of(unit.gold_rows)
        return True
    for old in gold:
        assert old.id is not None
        if old.id not in gone:
            batch.delete_annotation(old.id, expected_version=old.version)
    created = []
    for mine in rows:
        source_id = target_id = None
        if mine.kind == "relation":
            source_id = _gold_id(store, comparison, unit.key[2])
            target_id = _gold_id(store, comparison, unit.key[3])
        elif mine.kind == "text" and unit.key[5] is not None:
            source_id = _gold_id(store, comparison, unit.key[5])
        created.append(
            domain_annotation(
                batch.create_annotation(
                    paragraph_id=comparison.paragraph_id,
                    layer=comparison.layer,
                    kind=mine.kind,
                    field=mine.field,
                    label=mine.label,
                    start=mine.start,
                    end=mine.end,
                    value=mine.value,
                    attrs=dict(mine.attrs or {}),
                    source_id=source_id,
                    target_id=target_id,
                    origin=ORIGIN,
                    shared=True,
                )
            )
        )
    unit.gold_rows = created
    unit.gold = content_of(created)
    return True


def _check_unchanged(
    store: Store,
    comparison: Comparison,
    unit: Unit,
    gone: Collection[int] = (),
    gold: list[StoredAnnotation] | None = None,
) -> None:
    """Refuse to decide a unit whose gold someone changed since the comparison was made
    (another adjudicator): versions catch a changed annotation, this a new one. Rows this
    adjudication's own batch deleted (``gone``) are not someone else's change. ``gold``: the
    paragraph's shared annotations as read now (read here when not given)."""
    if gold is None:
        gold = _shared_now(store, comparison)
    by_id = {a.id: a for a in gold if a.id is not None}
    now = {
        (a.id, a.version)
        for a in gold
        if a.layer == comparison.layer and unit_key(a, by_id) == unit.key and a.id not in gone
    }
    if now != {(a.id, a.version) for a in unit.gold_rows if a.id not in gone}:
        raise ConflictError(
            f"the gold of {unit.describe(comparison.text)} changed since it was shown "
            "(another adjudicator?).",
            hint="Refresh to see the current state.",
        )


def _shared_now(store: Store, comparison: Comparison) -> list[StoredAnnotation]:
    """The paragraph's shared (gold) annotations as stored now."""
    return [a for a in store.annotations(comparison.paragraph_id) if not is_copy(a.layer)]


def _gold_id(store: Store, comparison: Comparison, key: UnitKey | None) -> int:
    """The gold annotation at a unit a relation or text points at (this layer's or a lower
    one's), which must be decided first."""
    if key is not None:
        for unit in comparison.units:
            if unit.key == key and len(unit.gold_rows) == 1:
                found = unit.gold_rows[0].id
                assert found is not None
                return found
        gold = _shared_now(store, comparison)
        by_id = {a.id: a for a in gold if a.id is not None}
        for a in gold:
            if a.id is not None and unit_key(a, by_id) == key:
                return a.id
    raise ConflictError(
        "this version points at a unit the gold does not have yet.",
        hint="Decide the span it points at first (take a version that has it), then this one.",
    )


def take(
    store: Store,
    comparison: Comparison,
    unit: Unit,
    annotator: str,
    *,
    adjudicator: str,
) -> bool:
    """The gold at ``unit`` becomes ``annotator``'s version (nothing, if they have none)."""
    with store.batch(
        annotator=adjudicator,
        label=f"take {annotator}'s version",
        paragraph_id=comparison.paragraph_id,
        layer=comparison.layer,
    ) as batch:
        return set_unit(batch, store, comparison, unit, unit.versions[annotator], source=annotator)


def drop(store: Store, comparison: Comparison, unit: Unit, *, adjudicator: str) -> bool:
    """The gold has nothing at ``unit``."""
    with store.batch(
        annotator=adjudicator,
        label="drop",
        paragraph_id=comparison.paragraph_id,
        layer=comparison.layer,
    ) as batch:
        return set_unit(batch, store, comparison, unit, (), source=None)


@dataclass
class MergeResult:
    paragraph_id: int
    layer: str
    agreed: int  # units merged (or already in the gold)
    written: int  # of those, units the gold did not hold yet
    disagreements: int  # units left for the adjudicator
    done: bool  # the gold layer was marked done (nothing left to decide)


def merge_agreed(
    store: Store,
    comparison: Comparison,
    *,
    adjudicator: str,
    majority: int | None = None,
    finish: bool = True,
) -> MergeResult:
    """Write every unit enough copies agree on into the gold, in one batch (an undoable step);
    with ``finish``, mark the gold layer done when no disagreement is left open."""
    if majority is not None and not 1 <= majority <= len(comparison.annotators):
        raise UsageError(
            f"--majority {majority} is not a number of the {len(comparison.annotators)} "
            "annotators.",
            hint="Leave it out to merge only what all of them agree on.",
        )
    agreed = written = 0
    with store.batch(
        annotator=adjudicator,
        label="merge what the copies agree on",
        paragraph_id=comparison.paragraph_id,
        layer=comparison.layer,
    ) as batch:
        winners = [(unit, unit.winner(majority)) for unit in comparison.units]
        # Nobody changed these units' gold since the comparison: checked against one read of
        # the gold, before this batch writes (per unit, the paragraph was read again for each:
        # 0.6-2 s for the dialog's `n` on a sample paragraph)
        gold = _shared_now(store, comparison)
        for unit, content in winners:
            if content is not None:
                _check_unchanged(store, comparison, unit, gold=gold)
        for unit, content in winners:
            if content is None:
                continue
            agreed += 1
            if unit.kind in ("relation", "text") and not _endpoints_ready(store, comparison, unit):
                continue
            written += set_unit(batch, store, comparison, unit, content, source=None, checked=True)
        if written:  # (a change reopens a done gold: what is open is read without its word)
            comparison.gold_done = False
        left = comparison.open_disagreements(majority)
        done = finish and not left
        if done and not comparison.gold_done:
            batch.set_status(comparison.paragraph_id, comparison.layer, "done", shared=True)
    return MergeResult(comparison.paragraph_id, comparison.layer, agreed, written, len(left), done)


def _endpoints_ready(store: Store, comparison: Comparison, unit: Unit) -> bool:
    keys = [unit.key[2], unit.key[3]] if unit.kind == "relation" else [unit.key[5]]
    try:
        for key in keys:
            if key is not None:
                _gold_id(store, comparison, key)
    except ConflictError:
        return False
    return True


def ready_to_adjudicate(store: Store, layers: Sequence[str] | None = None) -> list[tuple[int, str]]:
    """``(paragraph, layer)`` whose copies are all done, in paragraph order, each paragraph's
    layers bottom-up (lexical first: the higher layers' units rest on it)."""
    by_unit: dict[tuple[int, str], list[str]] = {}
    for row in store.assignments():
        if layers is None or row.layer in layers:
            by_unit.setdefault((row.paragraph_id, row.layer), []).append(row.annotator)
    out = []
    bottom_up = sorted(by_unit.items(), key=lambda item: (item[0][0], store.layer_rank(item[0][1])))
    for (pid, layer), annotators in bottom_up:
        if len(annotators) < 2:
            continue
        statuses = store.statuses(pid)
        if all(
            (s := statuses.get(f"{layer}@{who}")) is not None and s.state == "done"
            for who in annotators
        ):
            out.append((pid, layer))
    return out


def to_decide(store: Store, ready: Sequence[tuple[int, str]]) -> list[tuple[int, str]]:
    """Of ``ready`` (:func:`ready_to_adjudicate`), those whose gold (the shared layer) is not
    done yet: what is left to adjudicate, in the same order. All of ``ready`` where every one
    is done, to go through again. (Opening at, and moving on to, paragraphs adjudicated
    already had an adjudicator press ``n`` 24 times to reach the one left.)"""
    left = []
    for pid, layer in ready:
        status = store.statuses(pid).get(layer)
        if status is None or status.state != "done":
            left.append((pid, layer))
    return left or list(ready)
