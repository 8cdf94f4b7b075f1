"""The planner behind ``bench/keystrokes.py``: the fewest keys the annotator's own commands
need to enter one annotation, from any state of the screen.

Nothing here is a key sequence written for a paragraph. What the keys do is read from the app:

* Moving the token cursor and the selection: every binding of ``ParagraphView`` whose action
  only moves the selection (found by running the view's own ``action_*`` methods on a stand-in
  without a screen, ``_ViewStub``), plus the jump hints (``;`` and ``,`` then the letters the
  view's own ``action_hints`` assigns). The cursor's move never depends on the anchor, so the
  cheapest way to any selection is a shortest path over cursor positions (``CursorModel``):
  the last move that collapses the selection fixes the anchor, then moves that keep the anchor
  extend it (``CursorModel.route``). The side panel (``tab``, ``↑↓``/``home``/``end``,
  ``enter``) is a second way to put the selection on an existing annotation.
* What a key writes: the app's own edit functions (``layerkit.tui.editing``: labels, relations
  with whatever they pre-fill, texts, token analyses, accepting) run against ``SimStore``, which
  stands in for the store, so the plan knows exactly what the replay will write.
* The dialogs: the relation picker's targets, hint keys and labels (``layerkit.tui.relations``
  and the picker's ``HINTS``), the token editor's fields (a shortest path over the Input's
  editing keys, with the editor's own completions, and its numbered readings), the free-text
  editor's slots (``editing.text_slots``).

A step is a list of ``Press`` (one key), ``Type`` (free text, counted apart) and ``Wait`` (no
key: what a person waits to see before the next key, e.g. a dialog or a completion).
"""

from __future__ import annotations

import ast
import heapq
import inspect
import itertools
import re
import types
import unicodedata
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from textual.keys import _character_to_key

from layerkit.model import Annotation
from layerkit.nlp.ud_map import STRESS
from layerkit.schema.models import LayerSchema, SchemaField
from layerkit.store import Annotation as StoreAnnotation
from layerkit.store import Paragraph
from layerkit.store.store import domain_annotation
from layerkit.tui import editing, relations
from layerkit.tui.keymap import KeyMap, LabelKey
from layerkit.tui.lexical import (
    TokenInputError,
    TokenValues,
    complete_feats,
    feature_inventory,
    normalise_feats,
    suggestions,
    token_field,
    token_rows,
)
from layerkit.tui.model import ParagraphData, Selection, exact, sentence_index, token_at
from layerkit.tui.screens.token import TokenEditor, complete_from
from layerkit.tui.widgets.paragraph_view import HINT_LETTERS, ParagraphView
from layerkit.tui.widgets.relation_picker import HINTS as PICK_HINTS
from layerkit.tui.widgets.relation_picker import RelationPicker

INF = float("inf")
#: cursor-moving view actions whose effect depends on the cursor alone (computed once per
#: paragraph); any other moving action is probed again whenever the annotations change
STATIC_MOVES = frozenset({"move", "extend", "sentence", "extend_sentence", "edge", "collapse"})
#: view actions that set a whole selection from the current one (the clause key): modelled as
#: chains of presses from a collapsed cursor, each followed by any anchor-keeping moves
SELECTORS = frozenset({"clause", "lower_span", "phrase"})
#: view actions that move the cursor or, by the layer's ``extent``, select a phrase or clause
#: (``space``): probed as moves where they collapse the selection, and as selectors too
DYNAMIC_SELECTORS = frozenset({"next_free"})
#: view keys that move and then open the token editor (one key for ``'`` then ``enter``)
OPENS_EDITOR = frozenset({"review_next"})


# --- steps -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Press:
    """One key: a Textual key name (``shift+left``, ``enter``) or one character (``p``, ``+``).
    ``only_if="picker"``: pressed only while the relation picker still asks (a picker that
    needs no label question closes by itself)."""

    key: str
    only_if: str | None = None


@dataclass(frozen=True)
class Type:
    """Free text typed character by character (counted apart from keys)."""

    text: str


@dataclass(frozen=True)
class Wait:
    """No key: wait until the screen shows what the next key needs (see the replayer)."""

    what: str
    arg: Any = None


Action = Press | Type | Wait


@dataclass
class Step:
    layer: str
    what: str
    actions: list[Action]
    selection: tuple[int, int]  # (anchor, cursor) of the text view after the step
    golds: tuple[int, ...] = ()  # indices of the gold items it enters
    cost: float = 0.0
    effect: Callable[[SimStore], None] | None = None
    #: the predicate arguments link to after the step (None: unchanged)
    anchor: int | None = None

    @property
    def keys(self) -> list[str]:
        return [a.key for a in self.actions if isinstance(a, Press)]

    @property
    def chars(self) -> int:
        return sum(len(a.text) for a in self.actions if isinstance(a, Type))


def step_cost(actions: Sequence[Action]) -> int:
    return sum(1 for a in actions if isinstance(a, Press))


# --- a stand-in store, so the app's own edit functions say what they would write ----------------


class SimStore:
    """Just enough of ``Store`` for ``layerkit.tui.editing``: annotations in memory."""

    def __init__(self, annotations: Sequence[Any], next_id: int) -> None:
        # the domain model, as the annotator reads it from Store.seen_by
        self.rows: dict[int, Annotation] = {
            a.id: domain_annotation(a) for a in annotations if a.id is not None
        }
        self.next_id = next_id

    def copy(self) -> SimStore:
        return SimStore(list(self.rows.values()), self.next_id)

    def annotations(self) -> tuple[Annotation, ...]:
        return tuple(self.rows[i] for i in sorted(self.rows))

    def create_annotation(self, **values: Any) -> Annotation:
        values["attrs"] = dict(values.get("attrs") or {})
        row = domain_annotation(StoreAnnotation(id=self.next_id, version=1, **values))
        self.rows[self.next_id] = row
        self.next_id += 1
        return row

    def update_annotation(
        self, annotation_id: int, *, annotator: str, expected_version: int | None = None, **changes
    ) -> Annotation:
        before = self.rows[annotation_id]
        if "origin" not in changes and not annotator.startswith("model:"):
            changes["origin"] = "human"  # as layerkit.store.edits.update does
        after = before._replace(
            **{k: v for k, v in changes.items() if k in Annotation._fields},
            annotator=annotator,
            version=before.version + 1,
        )
        self.rows[annotation_id] = after
        return after

    def delete_annotation(
        self, annotation_id: int, *, annotator: str, expected_version: int | None = None
    ) -> None:
        gone = {annotation_id}
        while True:
            more = {
                a.id
                for a in self.rows.values()
                if a.id not in gone and (a.source_id in gone or a.target_id in gone)
            }
            if not more:
                break
            gone |= more
        for i in gone:
            self.rows.pop(i, None)

    @contextmanager
    def batch(self, *, annotator: str, **_: Any) -> Iterator[Any]:
        store = self

        class _Batch:
            def create_annotation(self, **values: Any) -> Annotation:
                return store.create_annotation(annotator=annotator, **values)

            def update_annotation(self, annotation_id: int, **changes: Any) -> Annotation:
                changes.pop("expected_version", None)
                return store.update_annotation(annotation_id, annotator=annotator, **changes)

            def delete_annotation(self, annotation_id: int, **_: Any) -> None:
                store.delete_annotation(annotation_id, annotator=annotator)

        yield _Batch()


def paragraph_data(paragraph: Paragraph, annotations: Sequence[Annotation]) -> ParagraphData:
    return ParagraphData(
        paragraph=paragraph,
        row=None,  # type: ignore[arg-type]  # the edit functions never read it
        annotations=tuple(annotations),
        statuses={},
    )


# --- the text view's cursor -----------------------------------------------------------------


class _ViewStub:
    """Stands in for ``ParagraphView``: its action methods run here unchanged, with no screen."""

    def __init__(self, data: Any, schema: LayerSchema | None, selection: Selection) -> None:
        self.data = data
        self.schema = schema
        self.selection = selection
        self._hints: dict[str, int] = {}
        self._typed = ""
        self._extend = False
        self._edit_after_jump = False
        self._normal_bindings = None
        self._bindings = None
        self.effects: list[Any] = []
        # what the view posts to its screen (messages.tell_screen) lands in ``effects`` too
        self.screen = types.SimpleNamespace(
            refresh_bindings=lambda: None, post_message=self.post_message
        )

    def _select(self, selection: Selection) -> None:
        self.selection = selection

    def _restyle(self) -> None:
        return None

    def _scroll_to_cursor(self) -> None:
        return None

    def refresh(self, *_args: Any, **_kwargs: Any) -> None:
        return None

    def notify(self, *_args: Any, **_kwargs: Any) -> None:
        return None

    def post_message(self, message: Any) -> bool:
        self.effects.append(message)
        return True

    def __getattr__(self, name: str) -> Any:
        attr = inspect.getattr_static(ParagraphView, name)
        if isinstance(attr, property):
            return attr.fget(self)  # type: ignore[misc]
        if callable(attr):
            return types.MethodType(attr, self)
        return attr


def focused(
    data: ParagraphData, schema: LayerSchema, anchor: int, cursor: int
) -> Annotation | None:
    """What the view's edits act on with this selection (the view's own rule)."""
    stub = _ViewStub(data, schema, Selection(anchor, cursor))
    return ParagraphView.focused_annotation(stub)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Edge:
    keys: tuple[str, ...]
    target: int
    keeps_anchor: bool

    @property
    def cost(self) -> int:
        return len(self.keys)


@dataclass(frozen=True)
class Route:
    cost: float
    actions: tuple[Action, ...]
    selection: tuple[int, int]


def _parse_action(action: str) -> tuple[str, tuple[Any, ...]] | None:
    """``move(-1)`` → ("move", (-1,)); None for another namespace's action (``screen.link``)."""
    match = re.fullmatch(r"(\w+)(?:\((.*)\))?", action.strip())
    if match is None:
        return None
    args = ast.literal_eval(f"({match.group(2)},)") if match.group(2) else ()
    return match.group(1), tuple(args)


def _first_key(binding: Any) -> str:
    return str(binding.key).split(",")[0].strip()


class CursorModel:
    """How the text view's keys move the cursor over one paragraph's tokens."""

    def __init__(
        self,
        tokens: Sequence[tuple[int, int]],
        sentences: Sequence[tuple[int, int]],
        text: str = "",
    ):
        self.tokens = list(tokens)
        self.n = len(self.tokens)
        self.shape = types.SimpleNamespace(tokens=self.tokens, sentences=list(sentences), text=text)
        self.selectors: list[tuple[str, str, tuple[Any, ...]]] = []
        self._selected: dict[Any, list[tuple[str, tuple[int, int]]]] = {}
        #: the layers below the one being planned, nearest first (what the screen tells the
        #: view; ``>`` walks their spans)
        self.lower: tuple[str, ...] = ()
        self.notes: list[str] = []
        self.static: list[list[Edge]] = [[] for _ in range(self.n)]
        self.dynamic: list[tuple[str, str, tuple[Any, ...]]] = []  # (key, action, args)
        self._dynamic_cache: dict[Any, list[list[Edge]]] = {}
        self._paths: dict[Any, tuple[list[float], list[Any]]] = {}
        #: per layer, the view's keys its label and attribute keys take over (``.`` is PUNCT on
        #: the lexical layer, not "select the clause"): never planned there
        self.shadowed: dict[str, frozenset[str]] = {}
        for binding in ParagraphView.BINDINGS:
            parsed = _parse_action(binding.action)  # type: ignore[union-attr]
            if parsed is None:
                continue
            name, args = parsed
            key = _first_key(binding)
            if name == "hints":
                self._add_hints(key, args)
            elif name in SELECTORS and text:
                self.selectors.append((key, name, args))
            elif name in SELECTORS:
                continue
            elif name in STATIC_MOVES:
                for c in range(self.n):
                    edge = self._probe(self.shape, None, name, args, key, c)
                    if edge is not None:
                        self.static[c].append(edge)
            elif name in OPENS_EDITOR:
                continue  # not a move: it opens the token editor (see _with_review_key)
            elif hasattr(ParagraphView, f"action_{name}"):
                self.dynamic.append((key, name, args))
                if name in DYNAMIC_SELECTORS and text:
                    self.selectors.append((key, name, args))

    # -- probing the view's actions --

    def _probe(
        self,
        data: Any,
        schema: LayerSchema | None,
        name: str,
        args: tuple[Any, ...],
        key: str,
        cursor: int,
    ) -> Edge | None:
        """The edge a key makes from ``cursor``, or None if it does not just move the cursor."""
        method = getattr(ParagraphView, f"action_{name}")
        other = cursor + 1 if cursor + 1 < self.n else cursor - 1
        outcomes = []
        for anchor in (cursor, other) if other >= 0 else (cursor,):
            stub = _ViewStub(data, schema, Selection(anchor, cursor))
            try:
                method(stub, *args)
            except Exception:  # an action that needs more than a stand-in: not a cursor move
                return None
            if stub.effects or stub._hints:
                return None
            outcomes.append((anchor, stub.selection))
        (_, first), *rest = outcomes
        if any(s.cursor != first.cursor for _, s in rest):
            return None
        if all(s == Selection(a, cursor) for a, s in outcomes):
            return None  # no move from here
        if all(s.anchor == a for a, s in outcomes):
            return Edge((key,), first.cursor, True)
        if all(s.anchor == s.cursor for _, s in outcomes):
            return Edge((key,), first.cursor, False)
        return None

    def _add_hints(self, key: str, args: tuple[Any, ...]) -> None:
        """Jump hints: ``key`` then the letters the view assigns to the target token."""
        extend = bool(args[0]) if args else False
        checked = False
        for c in range(self.n):
            stub = _ViewStub(self.shape, None, Selection(c, c))
            try:
                ParagraphView.action_hints(stub, *args)  # type: ignore[arg-type]
            except Exception as exc:
                self.notes.append(f"jump hints ({key}) not modelled: {exc!r}")
                return
            hints = dict(stub._hints)
            if not checked and hints:
                # One real run through the view's own action_hint, to be sure what typing the
                # letters does.
                label, target = next(iter(hints.items()))
                anchor = (c + 1) % self.n if extend and self.n > 1 else c
                probe = _ViewStub(self.shape, None, Selection(anchor, c))
                ParagraphView.action_hints(probe, *args)  # type: ignore[arg-type]
                for letter in label:
                    ParagraphView.action_hint(probe, letter)  # type: ignore[arg-type]
                expected = Selection(anchor if extend else target, target)
                if probe.selection != expected:
                    self.notes.append(f"jump hints ({key}) behave unexpectedly; not used")
                    return
                checked = True
            for label, target in hints.items():
                if target != c or extend:
                    self.static[c].append(Edge((key, *label), target, extend))

    def _dynamic_edges(self, data: ParagraphData, schema: LayerSchema) -> list[list[Edge]]:
        """Edges of moves that depend on the annotations (e.g. the next doubtful token)."""
        if not self.dynamic:
            return [[] for _ in range(self.n)]
        # what such moves read: the layer's token analyses (the next doubtful one) and its
        # spans (the next word no span covers)
        signature = tuple(
            (a.id, a.version, a.origin, a.label, a.start, a.end)
            for a in data.of_layer(schema.layer)
            if a.kind in ("token", "span")
        )
        cache_key = (schema.layer, signature)
        found = self._dynamic_cache.get(cache_key)
        if found is None:
            found = [[] for _ in range(self.n)]
            for key, name, args in self.dynamic:
                for c in range(self.n):
                    edge = self._probe(data, schema, name, args, key, c)
                    if edge is not None:
                        found[c].append(edge)
            self._dynamic_cache = {cache_key: found}
            self._paths = {k: v for k, v in self._paths.items() if k[0] is None}
        return found

    def _selections(
        self, selection: tuple[int, int], data: ParagraphData, schema: LayerSchema
    ) -> list[tuple[str, tuple[int, int]]]:
        """(key, selection after it) for each selector key pressed with ``selection``."""
        below = tuple(
            sorted(
                (a.layer, a.start or 0, a.end or 0)
                for a in data.annotations
                if a.layer in self.lower and a.kind == "span"
            )
        )
        # what the selectors that read this layer see (``space``: its spans and the analyses)
        here = tuple(
            (a.kind, a.label, a.start, a.end)
            for a in data.annotations
            if a.kind == "token" or (a.layer == schema.layer and a.kind == "span")
        )
        cache_key = (self.lower, below, schema.layer, here, selection)
        found = self._selected.get(cache_key)
        if found is None:
            found = []
            blocked = self.shadowed.get(schema.layer, frozenset())
            for key, name, args in self.selectors:
                if key in blocked:
                    continue
                stub = _ViewStub(data, schema, Selection(*selection))
                stub.lower = self.lower
                try:
                    getattr(ParagraphView, f"action_{name}")(stub, *args)
                except Exception as exc:
                    self.notes.append(f"{key} not modelled: {exc!r}")
                    continue
                after = (stub.selection.anchor, stub.selection.cursor)
                if (
                    after != selection
                    and not stub.effects
                    and (name in SELECTORS or after[0] != after[1])
                ):
                    found.append((key, after))
            self._selected[cache_key] = found
        return found

    # -- shortest paths --

    def _dijkstra(
        self,
        start: int,
        dynamic: list[list[Edge]],
        keep_only: bool,
        dyn_key: Any,
        blocked: frozenset[str] = frozenset(),
    ) -> tuple[list[float], list[Any]]:
        cache_key = (dyn_key if any(dynamic) else None, start, keep_only, blocked)
        found = self._paths.get(cache_key)
        if found is not None:
            return found
        dist = [INF] * self.n
        prev: list[Any] = [None] * self.n
        dist[start] = 0
        heap = [(0, start)]
        while heap:
            d, c = heapq.heappop(heap)
            if d > dist[c]:
                continue
            for edge in itertools.chain(self.static[c], dynamic[c]):
                if (keep_only and not edge.keeps_anchor) or edge.keys[0] in blocked:
                    continue
                nd = d + edge.cost
                if nd < dist[edge.target]:
                    dist[edge.target] = nd
                    prev[edge.target] = (c, edge)
                    heapq.heappush(heap, (nd, edge.target))
        self._paths[cache_key] = (dist, prev)
        return dist, prev

    @staticmethod
    def _path(prev: list[Any], start: int, end: int) -> list[Edge]:
        edges: list[Edge] = []
        while end != start:
            c, edge = prev[end]
            edges.append(edge)
            end = c
        edges.reverse()
        return edges

    def route(
        self,
        data: ParagraphData,
        schema: LayerSchema,
        selection: tuple[int, int],
        goal: Callable[[int, int], bool],
        cursors: Sequence[int] | None = None,
    ) -> Route | None:
        """The fewest keys from ``selection`` to a selection (anchor, cursor) where ``goal``
        holds (``cursors``: the only cursor positions where it can hold)."""
        if self.n == 0:
            return None
        a0, c0 = selection
        if goal(a0, c0):
            return Route(0, (), selection)
        dynamic = self._dynamic_edges(data, schema)
        dyn_key = (schema.layer, len(self._dynamic_cache))
        wanted = list(range(self.n)) if cursors is None else list(cursors)
        blocked = self.shadowed.get(schema.layer, frozenset())
        dist, prev = self._dijkstra(c0, dynamic, False, dyn_key, blocked)
        # best cost to stand at x with the anchor on x (the last move collapsed the selection)
        collapsed = [INF] * self.n
        via: list[Any] = [None] * self.n
        if a0 == c0:
            collapsed[c0], via[c0] = 0, "start"
        for p in range(self.n):
            if dist[p] == INF:
                continue
            for edge in itertools.chain(self.static[p], dynamic[p]):
                if edge.keys[0] in blocked:
                    continue
                if not edge.keeps_anchor and dist[p] + edge.cost < collapsed[edge.target]:
                    collapsed[edge.target] = dist[p] + edge.cost
                    via[edge.target] = (p, edge)
        best: tuple[float, list[Edge], tuple[int, int]] | None = None
        keep0, keep_prev0 = self._dijkstra(c0, dynamic, True, dyn_key, blocked)
        for c in wanted:
            if keep0[c] < INF and goal(a0, c) and (best is None or keep0[c] < best[0]):
                best = (keep0[c], self._path(keep_prev0, c0, c), (a0, c))
        for x in sorted(range(self.n), key=lambda i: collapsed[i]):
            if collapsed[x] == INF or (best is not None and collapsed[x] >= best[0]):
                break
            keep, keep_prev = self._dijkstra(x, dynamic, True, dyn_key, blocked)
            for c in wanted:
                total = collapsed[x] + keep[c]
                if total < INF and (best is None or total < best[0]) and goal(x, c):
                    if via[x] == "start":
                        head: list[Edge] = []
                    else:
                        p, edge = via[x]
                        head = [*self._path(prev, c0, p), edge]
                    best = (total, head + self._path(keep_prev, x, c), (x, c))
        if self.selectors:
            best = self._via_selectors(
                best, collapsed, via, prev, selection, dynamic, dyn_key, goal, wanted, data, schema
            )
        if best is None:
            return None
        actions = tuple(Press(k) for edge in best[1] for k in edge.keys)
        return Route(best[0], actions, best[2])

    def _via_selectors(
        self,
        best: tuple[float, list[Edge], tuple[int, int]] | None,
        collapsed: list[float],
        via: list[Any],
        prev: list[Any],
        start: tuple[int, int],
        dynamic: list[list[Edge]],
        dyn_key: Any,
        goal: Callable[[int, int], bool],
        wanted: Sequence[int],
        data: ParagraphData,
        schema: LayerSchema,
    ) -> tuple[float, list[Edge], tuple[int, int]] | None:
        """Better routes that stand somewhere with the cursor collapsed (or press a selector
        key right away, from the selection there is), press selector keys (each press from the
        selection the last one made), then extend keeping the anchor."""
        blocked = self.shadowed.get(schema.layer, frozenset())
        c0 = start[1]
        seeds: list[tuple[float, list[Edge], tuple[int, int]]] = []
        if start[0] != start[1]:
            seeds.append((0, [], start))
        for x in sorted(range(self.n), key=lambda i: collapsed[i]):
            if collapsed[x] == INF or (best is not None and collapsed[x] + 1 >= best[0]):
                break
            if via[x] == "start":
                head: list[Edge] = []
            else:
                p, edge = via[x]
                head = [*self._path(prev, c0, p), edge]
            seeds.append((collapsed[x], head, (x, x)))
        for seed in seeds:
            if best is not None and seed[0] + 1 >= best[0]:
                continue
            chain: list[tuple[float, list[Edge], tuple[int, int]]] = [seed]
            seen = {seed[2]}
            while chain:
                cost, path, selection = chain.pop()
                for key, after in self._selections(selection, data, schema):
                    if after in seen or cost + 1 > 8:
                        continue
                    seen.add(after)
                    here = [*path, Edge((key,), after[1], False)]
                    if best is not None and cost + 1 >= best[0]:
                        continue
                    a, c = after
                    if goal(a, c):
                        best = (cost + 1, here, after)
                    keep, keep_prev = self._dijkstra(c, dynamic, True, dyn_key, blocked)
                    for w in wanted:
                        total = cost + 1 + keep[w]
                        if total < INF and (best is None or total < best[0]) and goal(a, w):
                            best = (total, here + self._path(keep_prev, c, w), (a, w))
                    chain.append((cost + 1, here, after))
        return best


# --- the side panel: a second way to select an existing annotation -----------------------------


def side_rows(data: ParagraphData, schema: LayerSchema) -> list[Annotation | None] | None:
    """The side panel's lines (their annotations) on a layer without a token table, in the
    panel's own order; None where it cannot be known."""
    try:
        from layerkit.tui.widgets.annotation_list import _layer_rows
    except ImportError:
        return None
    if token_field(schema) is not None:
        return None
    return [row.annotation for row in _layer_rows(data, schema, data.of_layer(schema.layer))]


def chosen_selection(data: ParagraphData, a: Annotation | None) -> tuple[int, int] | None:
    """Where ``enter`` on a side-panel line puts the text selection (the screen's own rule)."""
    if a is not None and a.start is None and a.source_id is not None:
        a = data.by_id(a.source_id)
    if a is None or a.start is None or a.end is None:
        return None
    tokens = data.tokens
    first = token_at(tokens, a.start)
    last = max(token_at(tokens, max(a.end - 1, a.start)), first)
    return first, last


def side_route(
    data: ParagraphData,
    schema: LayerSchema,
    highlighted: int | None,
    goal: Callable[[int, int], bool],
) -> Route | None:
    rows = side_rows(data, schema)
    if not rows:
        return None
    best: Route | None = None
    last = len(rows) - 1
    for r, a in enumerate(rows):
        sel = chosen_selection(data, a)
        if sel is None or not goal(*sel):
            continue
        options: list[list[str]] = [["home"] + ["down"] * r, ["end"] + ["up"] * (last - r)]
        if highlighted is None:
            options.append(["down"] * (r + 1))
        else:
            h = min(highlighted, last)
            options.append(["down"] * (r - h) if r >= h else ["up"] * (h - r))
        moves = min(options, key=len)
        actions = (
            Press("tab"),
            Wait("focus", "side"),
            *(Press(k) for k in moves),
            Press("enter"),
            Wait("focus", "text"),
        )
        route = Route(step_cost(actions), actions, sel)
        if best is None or route.cost < best.cost:
            best = route
    return best


# --- typing into one Input (the token editor's fields) -----------------------------------------

_WORD_START = re.compile(r"(?<=\W)\w")  # Textual's Input word boundary


def _input_keys(value: str, cursor: int, suggestion: str | None) -> list[tuple[str, str, int]]:
    """(key, value, cursor) after each editing key of Textual's Input (no selection)."""
    n = len(value)
    out: list[tuple[str, str, int]] = []
    if cursor > 0:
        hits = list(_WORD_START.finditer(value[:cursor]))
        word = hits[-1].start() if hits else 0
        out += [
            ("backspace", value[: cursor - 1] + value[cursor:], cursor - 1),
            ("ctrl+w", value[:word] + value[cursor:], word),
            ("ctrl+u", value[cursor:], 0),
            ("left", value, cursor - 1),
            ("home", value, 0),
            ("ctrl+left", value, word),
        ]
    if cursor < n:
        hit = _WORD_START.search(value[cursor:])
        word_end = n if hit is None else cursor + hit.start()
        out += [
            ("delete", value[:cursor] + value[cursor + 1 :], cursor),
            ("ctrl+backspace", value[:cursor] + value[word_end:], cursor),
            ("ctrl+k", value[:cursor], cursor),
            ("right", value, cursor + 1),
            ("end", value, n),
            ("ctrl+right", value, n if hit is None else cursor + hit.start()),
        ]
    elif suggestion:
        out.append(("right", suggestion, len(suggestion)))
    return out


def plan_input(
    initial: str,
    accept: Callable[[str], bool],
    guides: Sequence[str],
    complete: Callable[[str], str | None],
    field_id: str,
    forbid: Callable[[str], bool] | None = None,
    max_states: int = 20_000,
) -> list[Action] | None:
    """The fewest keys that turn an Input's ``initial`` value (cursor at its end, as when it
    gets the focus, completion not shown yet) into one ``accept`` takes, with the Input's own
    editing keys, its completion (→ at the end) and typing the characters of a ``guide`` (a
    spelling of the wanted value) where what is left of the cursor already matches it.

    Two searches give an upper bound: editing at the end only (deleting back, typing,
    completing) and editing left to right (moving to the first difference, then keeping,
    deleting and typing along the value, completing at the end); then a breadth-first search
    over every (value, cursor, completion shown) state looks for anything shorter, as long as
    it stays under ``max_states``. ``forbid``: values the Input must never hold (the token
    editor takes a reading when a digit is typed first)."""
    if accept(initial):
        return []
    completions: dict[str, str | None] = {}

    def suggestion_for(value: str) -> str | None:
        if value not in completions:
            got = complete(value) if value else None
            completions[value] = got if got and len(got) > len(value) else None
        return completions[value]

    ok = forbid or (lambda _v: False)
    append_cache: dict[tuple[str, bool], list[str] | None] = {}
    candidates: list[list[str]] = []
    found = _append_plan(initial, False, accept, guides, suggestion_for, ok, append_cache)
    if found is not None:
        candidates.append(found)
    for guide in guides:
        found = _left_to_right(initial, guide, accept, guides, suggestion_for, ok, append_cache)
        if found is not None:
            candidates.append(found)
    bound = min((len(c) for c in candidates), default=None)
    exact = _bfs(initial, accept, guides, suggestion_for, ok, bound, max_states)
    keys = exact if exact is not None else min(candidates, key=len) if candidates else None
    if keys is None:
        return None
    return _input_actions(initial, keys, suggestion_for, field_id, accept)


def _typed(value: str, cursor: int, guides: Sequence[str]) -> set[str]:
    return {g[cursor] for g in guides if cursor < len(g) and value[:cursor] == g[:cursor]}


def _append_plan(
    start: str,
    shown: bool,
    accept: Callable[[str], bool],
    guides: Sequence[str],
    suggestion_for: Callable[[str], str | None],
    forbid: Callable[[str], bool],
    cache: dict[tuple[str, bool], list[str] | None],
    max_states: int = 20_000,
) -> list[str] | None:
    """Editing at the end only: backspace, ctrl+w, ctrl+u, typing, completing."""
    if (start, shown) in cache:
        return cache[(start, shown)]
    first = (start, shown)
    parent: dict[tuple[str, bool], tuple[tuple[str, bool], str] | None] = {first: None}
    queue = deque([first])
    result: list[str] | None = [] if accept(start) else None
    while queue and result is None:
        state = queue.popleft()
        value, on = state
        n = len(value)
        moves = []
        if value:
            hits = list(_WORD_START.finditer(value))
            moves += [
                ("backspace", value[:-1]),
                ("ctrl+w", value[: hits[-1].start()] if hits else ""),
                ("ctrl+u", ""),
            ]
        moves += [(ch, value + ch) for ch in sorted(_typed(value, n, guides))]
        if on and suggestion_for(value):
            moves.append(("right", suggestion_for(value) or ""))
        for key, new in moves:
            nxt = (new, True)
            if nxt in parent or forbid(new):
                continue
            parent[nxt] = (state, key)
            if accept(new):
                result = _unwind(parent, nxt)
                break
            queue.append(nxt)
        if len(parent) > max_states:
            break
    cache[(start, shown)] = result
    return result


def _unwind(parent: dict[Any, Any], end: Any) -> list[str]:
    keys: list[str] = []
    while parent[end] is not None:
        end, key = parent[end]
        keys.append(key)
    keys.reverse()
    return keys


def _position_moves(value: str, cursor: int) -> list[tuple[str, int]]:
    """Where the cursor keys of Textual's Input take the cursor (value unchanged)."""
    n = len(value)
    hits = list(_WORD_START.finditer(value[:cursor]))
    hit = _WORD_START.search(value[cursor:])
    return [
        ("left", max(cursor - 1, 0)),
        ("right", min(cursor + 1, n)),
        ("home", 0),
        ("end", n),
        ("ctrl+left", hits[-1].start() if hits else 0),
        ("ctrl+right", n if hit is None else cursor + hit.start()),
    ]


def _left_to_right(
    initial: str,
    guide: str,
    accept: Callable[[str], bool],
    guides: Sequence[str],
    suggestion_for: Callable[[str], str | None],
    forbid: Callable[[str], bool],
    append_cache: dict[tuple[str, bool], list[str] | None],
) -> list[str] | None:
    """Move from the end to a point of the common beginning, then go right: keep what matches
    (→, ctrl+→, end), delete (delete, ctrl+k) and type; at the end, edit there."""
    n = len(initial)
    # cursor positions reachable from the end, the value unchanged
    reach: dict[int, list[str]] = {n: []}
    queue = deque([n])
    while queue:
        c = queue.popleft()
        for key, d in _position_moves(initial, c):
            if d not in reach:
                reach[d] = [*reach[c], key]
                queue.append(d)
    common = 0
    while common < min(n, len(guide)) and initial[common] == guide[common]:
        common += 1
    heap: list[tuple[int, int, int, int, bool]] = []
    how: dict[tuple[int, int, bool], tuple[Any, list[str]]] = {}
    counter = itertools.count()
    tentative: dict[tuple[int, int, bool], float] = {}
    for p in range(common + 1):
        if p in reach:
            state = (p, p, False)
            how[state] = (None, reach[p])
            tentative[state] = len(reach[p])
            heapq.heappush(heap, (len(reach[p]), next(counter), *state))  # type: ignore[arg-type]
    cost: dict[tuple[int, int, bool], int] = {}
    best: tuple[int, list[str]] | None = None

    def path(state: tuple[int, int, bool]) -> list[str]:
        keys: list[str] = []
        while state is not None:
            before, step = how[state]
            keys[:0] = step
            state = before
        return keys

    while heap:
        d, _, i, j, shown = heapq.heappop(heap)
        state = (i, j, shown)
        if state in cost:
            continue
        cost[state] = d
        if best is not None and d >= best[0]:
            break
        value = guide[:j] + initial[i:]
        if accept(value):
            best = (d, path(state))
            break
        if i == n:
            tail = _append_plan(value, shown, accept, guides, suggestion_for, forbid, append_cache)
            if tail is not None and (best is None or d + len(tail) < best[0]):
                best = (d + len(tail), path(state) + tail)
        nexts: list[tuple[str, tuple[int, int, bool]]] = []
        if i < n and j < len(guide) and initial[i] == guide[j]:
            nexts.append(("right", (i + 1, j + 1, shown)))
            hit = _WORD_START.search(initial[i:])
            k = n - i if hit is None else hit.start()
            if k > 1 and initial[i : i + k] == guide[j : j + k]:
                nexts.append(("ctrl+right", (i + k, j + k, shown)))
            if k != n - i and initial[i:] == guide[j : j + n - i]:
                nexts.append(("end", (n, j + n - i, shown)))
        if i < n:
            hit = _WORD_START.search(initial[i:])
            word_end = n if hit is None else i + hit.start()
            nexts += [
                ("delete", (i + 1, j, True)),
                ("ctrl+backspace", (word_end, j, True)),
                ("ctrl+k", (n, j, True)),
            ]
        if j < len(guide):
            nexts.append((guide[j], (i, j + 1, True)))
        for key, nxt in nexts:
            if nxt in cost or forbid(guide[: nxt[1]] + initial[nxt[0] :]):
                continue
            if d + 1 < tentative.get(nxt, INF):
                tentative[nxt] = d + 1
                how[nxt] = (state, [key])
                heapq.heappush(heap, (d + 1, next(counter), *nxt))  # type: ignore[arg-type]
    return best[1] if best is not None else None


def _bfs(
    initial: str,
    accept: Callable[[str], bool],
    guides: Sequence[str],
    suggestion_for: Callable[[str], str | None],
    forbid: Callable[[str], bool],
    bound: int | None,
    max_states: int,
) -> list[str] | None:
    """Every state, breadth first, shorter than ``bound``: the exact optimum when it ends."""
    start = (initial, len(initial), False)
    parent: dict[tuple[str, int, bool], Any] = {start: None}
    frontier = [start]
    depth = 0
    longest = max([len(initial), *(len(g) for g in guides)]) + 24
    while frontier:
        depth += 1
        if bound is not None and depth >= bound:
            return None
        following = []
        for state in frontier:
            value, cursor, shown = state
            suggestion = suggestion_for(value) if shown else None
            moves = [
                (k, v, c, shown or v != value) for k, v, c in _input_keys(value, cursor, suggestion)
            ]
            moves += [
                (ch, value[:cursor] + ch + value[cursor:], cursor + 1, True)
                for ch in sorted(_typed(value, cursor, guides))
            ]
            for key, new, where, now_shown in moves:
                nxt = (new, where, now_shown)
                if nxt in parent or len(new) > longest or forbid(new):
                    continue
                parent[nxt] = (state, key)
                if accept(new):
                    return _unwind(parent, nxt)
                following.append(nxt)
                if len(parent) > max_states:
                    return None
        frontier = following
    return None


def _input_actions(
    initial: str,
    keys: Sequence[str],
    suggestion_for: Callable[[str], str | None],
    field_id: str,
    accept: Callable[[str], bool],
) -> list[Action]:
    """The keys as actions, replayed on the Input's rules: a completion is waited for (it must
    be on screen before → takes it), and the result is checked."""
    value, cursor, shown = initial, len(initial), False
    actions: list[Action] = []
    for key in keys:
        suggestion = suggestion_for(value) if shown else None
        table = {k: (v, c) for k, v, c in _input_keys(value, cursor, suggestion)}
        if key in table:
            if key == "right" and suggestion and cursor == len(value):
                actions.append(Wait("suggestion", (field_id, suggestion)))
            new, cursor = table[key]
        else:  # a typed character
            new, cursor = value[:cursor] + key + value[cursor:], cursor + 1
        shown = shown or new != value
        value = new
        actions.append(Press(key))
    assert accept(value), (initial, keys, value)
    actions.append(Wait("value", (field_id, value)))
    return actions


# --- building steps ----------------------------------------------------------------------------


@dataclass
class Context:
    """What stays put while one paragraph's layer is planned."""

    paragraph: Paragraph
    schema: LayerSchema
    keymap: KeyMap
    cursor: CursorModel
    annotator: str
    label_keys: dict[tuple[str, str], LabelKey] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.label_keys = {(e.field.name, e.label.name): e for e in self.keymap.keys.values()}
        taken = (*self.keymap.keys, *self.keymap.attribute_keys)
        self.cursor.shadowed[self.schema.layer] = frozenset(map(_character_to_key, taken))


@dataclass
class State:
    """The screen as far as the next key matters: annotations, selection, side-panel line."""

    store: SimStore
    selection: tuple[int, int]
    highlighted: int | None
    #: the span arguments are linked to when labelled (``link_on_label``), as the screen keeps it
    anchor: int | None = None

    def data(self, ctx: Context) -> ParagraphData:
        return paragraph_data(ctx.paragraph, self.store.annotations())

    def copy(self) -> State:
        return State(self.store.copy(), self.selection, self.highlighted, self.anchor)


def follow(ctx: Context, state: State) -> None:
    """The side panel's highlight after the screen shows the state (``AnnotationList.follow``)."""
    data = state.data(ctx)
    rows = side_rows(data, ctx.schema)
    if rows is None:
        state.highlighted = state.selection[1] if token_field(ctx.schema) is not None else None
        return
    if not rows:
        state.highlighted = None
        return
    if state.highlighted is not None:
        state.highlighted = min(state.highlighted, len(rows) - 1)
    f = focused(data, ctx.schema, *state.selection)
    if f is not None:
        ids = [a.id if a is not None else None for a in rows]
        if f.id in ids:
            state.highlighted = ids.index(f.id)


def identity(a: Annotation, data: ParagraphData) -> tuple[Any, ...]:
    """An annotation without ids, attributes or values: what it is and where."""
    if a.kind == "relation":
        src, tgt = data.by_id(a.source_id or -1), data.by_id(a.target_id or -1)
        return (
            "relation",
            a.field,
            a.label,
            identity(src, data) if src else None,
            identity(tgt, data) if tgt else None,
        )
    if a.kind == "text":
        anchor = data.by_id(a.source_id or -1)
        return ("text", a.field, a.label, identity(anchor, data) if anchor else None)
    return (a.kind, a.field, a.start, a.end, a.label)


def find(data: ParagraphData, layer: str, ident: tuple[Any, ...]) -> Annotation | None:
    for a in data.of_layer(layer):
        if identity(a, data) == ident:
            return a
    return None


def _nav_focus(ctx: Context, state: State, target: Annotation) -> Route | None:
    """The cheapest way to make ``target`` the annotation the view acts on."""
    data = state.data(ctx)

    def goal(anchor: int, cursor: int) -> bool:
        f = focused(data, ctx.schema, anchor, cursor)
        return f is not None and f.id == target.id

    assert target.start is not None and target.end is not None
    inside = [
        i for i, (s, e) in enumerate(data.tokens) if s < target.end and e > target.start
    ] or list(range(len(data.tokens)))
    routes = [
        ctx.cursor.route(data, ctx.schema, state.selection, goal, inside),
        side_route(data, ctx.schema, state.highlighted, goal),
    ]
    found = [r for r in routes if r is not None]
    return min(found, key=lambda r: r.cost) if found else None


def _finish(ctx: Context, state: State, step: Step, route: Route | None) -> Step:
    if route is not None:
        step.actions[:0] = list(route.actions)
        step.selection = route.selection
    step.cost = step_cost(step.actions)
    return step


def apply(ctx: Context, state: State, step: Step) -> None:
    """Advance the simulated screen by one step."""
    state.selection = step.selection
    if step.effect is not None:
        step.effect(state.store)
    if step.anchor is not None:
        state.anchor = step.anchor
    follow(ctx, state)


def _add_key() -> str | None:
    """The key that makes the next label key add a span over words that have one (``+``)."""
    for binding in ParagraphView.BINDINGS:
        if getattr(binding, "action", "") == "add_next":
            return _first_key(binding)
    return None


def attribute_presses(
    ctx: Context, field_name: str, have: dict[str, Any], wanted: dict[str, Any]
) -> list[str] | None:
    """Attribute keys that turn ``have`` into ``wanted`` (each press: the next value), or None
    where an attribute differs and has no key."""
    keys: list[str] = []
    by_name = {
        k.attribute.name: k
        for k in ctx.keymap.attribute_keys.values()
        if k.field.name == field_name
    }
    for name, value in wanted.items():
        current = have.get(name)
        if current == value and type(current) is type(value):
            continue
        step = by_name.get(name)
        if step is None:
            return None
        presses = 0
        while not (current == value and type(current) is type(value)):
            current = step.attribute.next_value(current)
            presses += 1
            if presses > len(step.attribute.choices) + 2:
                return None  # a value the key never reaches
        keys += [step.key] * presses
    return keys


def span_step(
    ctx: Context,
    state: State,
    field_name: str,
    label: str,
    start: int,
    end: int,
    attrs: dict[str, Any] | None,
    gold: int,
) -> Step | None:
    entry = ctx.label_keys.get((field_name, label))
    data = state.data(ctx)
    tokens = data.tokens
    firsts = [i for i, (s, _) in enumerate(tokens) if s == start]
    lasts = [i for i, (_, e) in enumerate(tokens) if e == end]
    if entry is None or not firsts or not lasts:
        return None
    i, j = firsts[0], lasts[0]
    route = ctx.cursor.route(
        data, ctx.schema, state.selection, lambda a, c: {a, c} == {i, j}, [i, j]
    )
    if route is None:
        return None
    # words that carry a span of this field already: ``+`` first, or the key would relabel it
    add = exact(data.of_layer(ctx.schema.layer, "span"), start, end, field_name) is not None
    prefix: list[Action] = []
    if add:
        key = _add_key()
        if key is None:
            return None
        prefix = [Press(key)]
    # a new span gets the schema's defaults; attribute keys step the others to the gold
    presses = attribute_presses(ctx, field_name, editing.defaults(entry.field), dict(attrs or {}))
    if presses is None:
        presses = []  # written in the side panel afterwards
    anchor = state.anchor

    def effect(store: SimStore) -> None:
        editing.apply_label(
            store,  # type: ignore[arg-type]
            ctx.annotator,
            paragraph_data(ctx.paragraph, store.annotations()),
            ctx.schema.layer,
            entry,
            start,
            end,
            schema=ctx.schema,
            anchor_id=anchor,
            add=add,
        )
        now = paragraph_data(ctx.paragraph, store.annotations())
        for key in presses:
            step_key = ctx.keymap.attribute_keys[key]
            target = editing.attribute_target(
                now, ctx.schema.layer, step_key.field.name, (start, end), tokens[j]
            )
            assert target is not None
            editing.step_attribute(store, ctx.annotator, now, target, step_key)  # type: ignore[arg-type]
            now = paragraph_data(ctx.paragraph, store.annotations())

    actions: list[Action] = [*prefix, Press(entry.key), *(Press(k) for k in presses)]
    step = Step(ctx.schema.layer, f"{label} «{data.text[start:end]}»", actions, (0, 0))
    step.golds, step.effect = (gold,), effect
    if relations.is_link_target(ctx.schema, label):
        after = state.store.copy()
        effect(after)
        made_span = editing.new_anchor(
            ctx.schema, paragraph_data(ctx.paragraph, after.annotations()), entry, start, end
        )
        step.anchor = made_span.id if made_span is not None else None
    return _finish(ctx, state, step, route)


def _label_effect(
    ctx: Context, entry: LabelKey, start: int, end: int
) -> Callable[[SimStore], None]:
    """What a sentence's or the paragraph's label key writes (the app's own ``apply_label``)."""

    def effect(store: SimStore) -> None:
        editing.apply_label(
            store,  # type: ignore[arg-type]
            ctx.annotator,
            paragraph_data(ctx.paragraph, store.annotations()),
            ctx.schema.layer,
            entry,
            start,
            end,
        )

    return effect


def sentence_label_step(
    ctx: Context, state: State, field_name: str, label: str, sentence: int, gold: int
) -> Step | None:
    entry = ctx.label_keys.get((field_name, label))
    data = state.data(ctx)
    if entry is None:
        return None

    def goal(anchor: int, cursor: int) -> bool:
        first = min(anchor, cursor)
        return sentence_index(data.sentences, data.tokens[first][0]) == sentence

    route = ctx.cursor.route(data, ctx.schema, state.selection, goal)
    if route is None:
        return None
    a, c = route.selection
    start, end = data.tokens[min(a, c)][0], data.tokens[max(a, c)][1]

    effect = _label_effect(ctx, entry, start, end)

    s, e = data.sentences[sentence]
    step = Step(ctx.schema.layer, f"{label} «{data.text[s:e][:30]}…»", [Press(entry.key)], (0, 0))
    step.golds, step.effect = (gold,), effect
    step = _finish(ctx, state, step, route)
    # where the view leaves the cursor after a sentence's label (the next sentence): its own
    # action, run on a stand-in
    stub = _ViewStub(
        paragraph_data(ctx.paragraph, state.store.annotations()),
        ctx.schema,
        Selection(*step.selection),
    )
    stub.keymap = ctx.keymap
    stub._adding = False
    ParagraphView.action_label(stub, entry.key)  # type: ignore[arg-type]
    step.selection = (stub.selection.anchor, stub.selection.cursor)
    return step


def paragraph_label_step(
    ctx: Context, state: State, field_name: str, label: str, gold: int
) -> Step | None:
    entry = ctx.label_keys.get((field_name, label))
    data = state.data(ctx)
    if entry is None or not data.tokens:
        return None
    a, c = state.selection
    start, end = data.tokens[min(a, c)][0], data.tokens[max(a, c)][1]

    effect = _label_effect(ctx, entry, start, end)

    step = Step(ctx.schema.layer, f"{field_name} {label}", [Press(entry.key)], state.selection)
    step.golds, step.effect = (gold,), effect
    return _finish(ctx, state, step, None)


def _picker_skips_single_label() -> bool:
    """Whether the picker saves at once when a target leaves one possible label (read from its
    code; the replay checks it either way, since that key is pressed only if still asked)."""
    try:
        return "len(self.choices) == 1" in inspect.getsource(RelationPicker._ask_label)
    except (OSError, TypeError, AttributeError):
        return False


PICKER_SKIPS_SINGLE = _picker_skips_single_label()


def relation_step(
    ctx: Context,
    state: State,
    field_name: str,
    label: str,
    source_ident: tuple[Any, ...],
    target_ident: tuple[Any, ...],
    gold: int,
    attrs: dict[str, Any] | None = None,
) -> Step | None:
    """Link two spans: the target's hint, the label key; where the relation's attributes as
    pre-filled are not the gold ``attrs`` and the picker reads shift + label key as "then the
    attributes", that, and the attribute editor's keys (else they are written at the end of
    the layer, through the side panel)."""
    data = state.data(ctx)
    layer = ctx.schema.layer
    source, target = find(data, layer, source_ident), find(data, layer, target_ident)
    if source is None or target is None:
        return None
    fields = relations.fields_from(ctx.schema, source)
    targets = relations.targets(ctx.schema, data, source, fields)
    ids = [t.id for t in targets]
    if target.id not in ids:
        return None
    index = ids.index(target.id)
    made = [
        a
        for a in data.of_layer(layer, "relation")
        if a.field == field_name
        and a.label == label
        and (a.source_id, a.target_id) == (source.id, target.id)
    ]
    if made:  # linked when its span was labelled (``link_on_label``): no key
        step = Step(layer, f"{label}: linked when labelled", [], state.selection, (gold,))
        return step
    choices = relations.label_choices([f for f in fields if relations.accepts(f, target)])
    names = [(c.field.name, c.label.name) for c in choices]
    if (field_name, label) not in names:
        return None
    choice = choices[names.index((field_name, label))]
    route = _nav_focus(ctx, state, source)
    if route is None:
        return None
    actions: list[Action] = [Press("enter"), Wait("picker")]
    if index < len(PICK_HINTS):
        actions.append(Press(PICK_HINTS[index]))
    else:
        start = relations.nearest(targets, source)
        moves = ["down"] * (index - start) if index >= start else ["up"] * (start - index)
        actions += [*(Press(k) for k in moves), Press("enter")]
    field_ = next(f for f in fields if f.name == field_name)
    asks_label = len(choices) > 1 or not PICKER_SKIPS_SINGLE
    then = (
        _attributes_after_link(ctx, state, field_, label, source_ident, target_ident, attrs)
        if asks_label and choice.key
        else None
    )
    if then is not None:
        plans, n, _entered = then
        actions.append(Press(choice.key.upper(), only_if="picker"))
        actions += [Wait("screen", "AttributesModal"), *modal_keys(plans, n), Press("enter")]
    elif asks_label:
        if choice.key:
            actions.append(Press(choice.key, only_if="picker"))
        else:
            preferred = next((i for i, c in enumerate(choices) if c.label.name == source.label), 0)
            here = names.index((field_name, label))
            moves = (
                ["down"] * (here - preferred) if here >= preferred else ["up"] * (preferred - here)
            )
            actions += [*(Press(k, only_if="picker") for k in moves), Press("enter", "picker")]
    actions.append(Wait("screen", "AnnotateScreen"))

    def effect(store: SimStore) -> None:
        _link(ctx, store, field_, label, source_ident, target_ident)
        if then is not None:
            now = paragraph_data(ctx.paragraph, store.annotations())
            made = _linked(ctx, now, field_, source_ident, target_ident)
            editing.set_attributes(store, ctx.annotator, made, dict(then[2]))  # type: ignore[arg-type]

    what = f"{label}: «{_snippet(data, source)}» → «{_snippet(data, target)}»"
    step = Step(layer, what, actions, (0, 0), (gold,), effect=effect)
    return _finish(ctx, state, step, route)


def _link(
    ctx: Context,
    store: SimStore,
    field_: SchemaField,
    label: str,
    source_ident: tuple[Any, ...],
    target_ident: tuple[Any, ...],
) -> None:
    now = paragraph_data(ctx.paragraph, store.annotations())
    layer = ctx.schema.layer
    editing.create_relation(
        store,  # type: ignore[arg-type]
        ctx.annotator,
        now,
        field_,
        label,
        find(now, layer, source_ident),  # type: ignore[arg-type]
        find(now, layer, target_ident),  # type: ignore[arg-type]
    )


def _linked(
    ctx: Context,
    data: ParagraphData,
    field_: SchemaField,
    source_ident: tuple[Any, ...],
    target_ident: tuple[Any, ...],
) -> Annotation | None:
    layer = ctx.schema.layer
    source, target = find(data, layer, source_ident), find(data, layer, target_ident)
    if source is None or target is None:
        return None
    return relations.existing(data, layer, field_, source.id or 0, target.id or 0)


def _attributes_after_link(
    ctx: Context,
    state: State,
    field_: SchemaField,
    label: str,
    source_ident: tuple[Any, ...],
    target_ident: tuple[Any, ...],
    wanted: dict[str, Any] | None,
) -> tuple[dict[int, list[Action]], int, dict[str, Any]] | None:
    """Where the app's picker opens the attribute editor after shift + label key, and the
    relation as the app pre-fills it differs from the gold in attributes the editor writes:
    the editor's keys per field, its number of fields and what it saves. None otherwise."""
    from layerkit.tui.widgets import relation_picker as picker_module

    editor = attribute_editor()
    if editor is None or not wanted or not hasattr(picker_module, "_has_attributes"):
        return None
    if not picker_module._has_attributes(field_):
        return None
    scratch = state.store.copy()
    _link(ctx, scratch, field_, label, source_ident, target_ident)
    made = _linked(
        ctx,
        paragraph_data(ctx.paragraph, scratch.annotations()),
        field_,
        source_ident,
        target_ident,
    )
    if made is None:
        return None
    have = dict(made.attrs or {})
    if all(_same(have.get(k), v) for k, v in wanted.items()):
        return None
    attributes = editor[1](field_)
    if not set(wanted) <= {a.name for a in attributes}:
        return None
    planned = modal_plan(attributes, have, wanted)
    if planned is None:
        return None
    plans, entered = planned
    return plans, len(attributes), entered


def texts_step(
    ctx: Context,
    state: State,
    anchor_ident: tuple[Any, ...] | None,
    texts: Sequence[tuple[str, str | None, str, int]],
) -> Step | None:
    """Write free texts in one visit of the text editor: (field, label, value, gold) each, of
    the paragraph (``anchor_ident`` None) or of one span."""
    data = state.data(ctx)
    layer = ctx.schema.layer
    route: Route | None = None
    if anchor_ident is not None:
        anchor = find(data, layer, anchor_ident)
        if anchor is None:
            return None
        route = _nav_focus(ctx, state, anchor)
        if route is None:
            return None
        selection = route.selection
    else:
        selection = state.selection
    now_focused = focused(data, ctx.schema, *selection)
    slots = editing.text_slots(ctx.schema, data, now_focused)
    where = [(s.field.name, s.label, s.anchor.id if s.anchor else None) for s in slots]
    wanted_anchor = find(data, layer, anchor_ident).id if anchor_ident is not None else None  # type: ignore[union-attr]
    places = []
    for field_name, label, value, gold in texts:
        key = (field_name, label, wanted_anchor)
        if key not in where:
            return None
        places.append((where.index(key), value, gold))
    places.sort()
    actions: list[Action] = [
        Press("ctrl+e"),
        Wait("screen", "TextsModal"),
        Wait("focus", "text-0"),
    ]
    here = 0
    for index, value, _gold in places:
        for k in range(here, index):
            actions += [Press("tab"), Wait("focus", f"text-{k + 1}")]
        here = index
        actions.append(Type(value))
    actions += [Press("escape"), Wait("screen", "AnnotateScreen")]
    chosen = {i: v for i, v, _ in places}

    def effect(store: SimStore) -> None:
        now = paragraph_data(ctx.paragraph, store.annotations())
        f = focused(now, ctx.schema, *selection)
        for i, slot in enumerate(editing.text_slots(ctx.schema, now, f)):
            if i in chosen:
                editing.save_text(store, ctx.annotator, now, layer, slot, chosen[i])  # type: ignore[arg-type]

    what = "texts " + ", ".join(f"{f}{' ' + lab if lab else ''}" for f, lab, _, _ in texts)
    golds = tuple(g for _, _, _, g in texts)
    step = Step(layer, what, actions, selection, golds, effect=effect)
    return _finish(ctx, state, step, route)


def _attribute_rules() -> tuple[tuple[str, ...], Callable[..., Any], Callable[..., str]]:
    """The attribute editor's own rules: which types it shows, how it reads what was typed
    (``parse_value``) and how it shows a stored value (``shown_value``); text only before it
    had them."""
    try:
        from layerkit.tui.screens.attributes import EDITABLE_TYPES, parse_value, shown_value
    except ImportError:
        return (
            ("str",),
            lambda _a, text: text.strip(),
            lambda _a, v: "" if v is None else str(v),
        )
    return tuple(EDITABLE_TYPES), parse_value, shown_value


def attribute_editor() -> tuple[str, Callable[[SchemaField], list[Any]]] | None:
    """The side panel's key for the attribute editor and which attributes it writes, if the app
    has one (``a``: a discourse relation's connective, a factuality's evidential and
    negated)."""
    from layerkit.tui.screens.annotate import AnnotateScreen
    from layerkit.tui.widgets.annotation_list import AnnotationList

    if not hasattr(AnnotateScreen, "action_edit_attributes"):
        return None
    key = next(
        (
            _first_key(b)
            for b in AnnotationList.BINDINGS
            if getattr(b, "action", "") == "screen.edit_attributes"
        ),
        None,
    )
    if key is None:
        return None
    types_, _parse, _shown = _attribute_rules()
    return key, lambda f: [a for a in f.attributes if a.type in types_]


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same type (``True == 1`` is no match for a stored value)."""
    return type(a) is type(b) and a == b


def _attribute_completions(attribute: Any) -> list[str]:
    """What the editor's Input completes from (``SuggestFromList``, case-insensitive)."""
    if attribute.type == "choice":
        return list(attribute.choices)
    if attribute.type == "bool":
        return ["yes", "no"]
    return []


def _attribute_spellings(attribute: Any, wanted: Any) -> list[str]:
    """Texts the editor reads as ``wanted``, to type toward (every one is checked)."""
    if attribute.type == "bool":
        try:
            from layerkit.tui.screens.attributes import NO, YES
        except ImportError:
            return []
        words = YES if wanted is True else NO if wanted is False else ()
        return sorted(words, key=len)
    if attribute.type == "choice":
        return [str(wanted), str(wanted).lower()] if wanted else [""]
    return ["" if wanted is None else str(wanted)]


def attribute_keys(
    attribute: Any, current: str, wanted: Any, field_id: str
) -> tuple[list[Action], str] | None:
    """The fewest keys that make the editor's Input for ``attribute`` read as ``wanted``, and
    the text it then holds. The Input has just got the focus, so its whole text is selected
    (``select_on_focus``): a typed character replaces it, backspace empties it; or ``end``
    drops the selection and the text is edited (``plan_input``). A choice (and yes/no) Input
    completes case-insensitively from its list once something is typed, and → takes the
    completion, so a prefix whose completion is the wanted choice and → may beat typing it
    whole. Nothing is pressed where the text already reads as ``wanted``."""
    _types, parse, _shown = _attribute_rules()

    def reads(text: str) -> Any:
        try:
            return parse(attribute, text)
        except ValueError:
            return ValueError

    def accept(text: str) -> bool:
        return _same(reads(text), wanted)

    if accept(current):
        return [], current
    listed = _attribute_completions(attribute)

    def complete(text: str) -> str | None:
        folded = text.casefold()
        return next((c for c in listed if c.casefold().startswith(folded)), None) if text else None

    options: list[tuple[list[Action], str]] = []
    if accept(""):
        options.append(([Press("backspace"), Wait("value", (field_id, ""))], ""))
    for spelling in _attribute_spellings(attribute, wanted):
        for k in range(1, len(spelling) + 1):
            typed = spelling[:k]
            keys: list[Action] = [Press(ch) for ch in typed]
            if accept(typed):
                options.append(([*keys, Wait("value", (field_id, typed))], typed))
                break
            done = complete(typed)
            if done is not None and len(done) > len(typed) and accept(done):
                keys += [Wait("suggestion", (field_id, done)), Press("right")]
                options.append(([*keys, Wait("value", (field_id, done))], done))
                break
    guides = [g for g in _attribute_spellings(attribute, wanted) if g] or [""]
    edited = plan_input(current, accept, guides, complete, field_id)
    if edited is not None:
        last = edited[-1]
        assert isinstance(last, Wait) and last.what == "value"
        options.append(([Press("end"), *edited], last.arg[1]))
    if not options:
        return None
    return min(options, key=lambda o: step_cost(o[0]))


def modal_plan(
    attributes: Sequence[Any], have: dict[str, Any], values: dict[str, Any]
) -> tuple[dict[int, list[Action]], dict[str, Any]] | None:
    """For the attribute editor showing ``attributes`` of an annotation whose attributes are
    ``have``: the keys per field (by position) that make it read ``values``, and what it then
    saves; None where it cannot (a value it cannot write, or one it would refuse)."""
    _types, parse, shown = _attribute_rules()
    plans: dict[int, list[Action]] = {}
    entered: dict[str, Any] = {}
    for i, attr in enumerate(attributes):
        field_id = f"attribute-{attr.name}"
        current = shown(attr, have.get(attr.name))
        text = current
        if attr.name in values:
            found = attribute_keys(attr, current, values[attr.name], field_id)
            if found is None:
                return None
            keys, text = found
            if keys:
                plans[i] = [Wait("focus", field_id), *keys]
        try:
            entered[attr.name] = parse(attr, text)
        except ValueError:
            return None  # the editor would refuse to save
    return plans, entered


def modal_keys(plans: dict[int, list[Action]], n: int) -> list[Action]:
    """The planned fields' keys in the cheapest order: the first of the ``n`` fields has the
    focus, ↓/↑ go round them."""
    best: list[Action] | None = None
    for order in itertools.permutations(sorted(plans)):
        here, acts = 0, []
        for i in order:
            down, up = (i - here) % n, (here - i) % n
            acts += [Press("down")] * down if down <= up else [Press("up")] * up
            acts += plans[i]
            here = i
        if best is None or step_cost(acts) < step_cost(best):
            best = acts
    return best or []


def attributes_step(
    ctx: Context, state: State, fixes: Sequence[tuple[tuple[Any, ...], dict[str, Any], int]]
) -> Step | None:
    """One visit of the side panel writing attributes: for each (annotation, gold values), its
    line, the editor's key, the fields that need it (↑↓ between them, in the cheapest order),
    enter; then back to the text. The editor saves every field it shows, as it reads it."""
    editor = attribute_editor()
    if editor is None or not fixes:
        return None
    key, writable = editor
    data = state.data(ctx)
    rows = side_rows(data, ctx.schema)
    if not rows:
        return None
    ids = [a.id if a is not None else None for a in rows]
    targets = []
    for ident, values, _gold in fixes:
        a = find(data, ctx.schema.layer, ident)
        f = ctx.schema.field(a.field) if a is not None else None
        if a is None or f is None or a.id not in ids:
            return None
        attributes = writable(f)
        if not set(values) <= {attr.name for attr in attributes}:
            return None
        planned = modal_plan(attributes, dict(a.attrs or {}), values)
        if planned is None:
            return None
        plans, entered = planned
        targets.append((ids.index(a.id), ident, plans, len(attributes), entered))
    targets.sort(key=lambda t: t[0])
    view_row = None
    f = focused(data, ctx.schema, *state.selection)
    if f is not None and f.id in ids:
        view_row = ids.index(f.id)
    h = state.highlighted if view_row is None else view_row
    last = len(rows) - 1
    actions: list[Action] = [Press("tab"), Wait("focus", "side")]
    for r, _ident, plans, n, _entered in targets:
        options: list[list[str]] = [["home"] + ["down"] * r, ["end"] + ["up"] * (last - r)]
        if h is None:
            options.append(["down"] * (r + 1))
        else:
            h = min(h, last)
            options.append(["down"] * (r - h) if r >= h else ["up"] * (h - r))
        actions += [Press(k) for k in min(options, key=len)]
        actions += [Press(key), Wait("screen", "AttributesModal")]
        actions += [*modal_keys(plans, n), Press("enter"), Wait("focus", "side")]
        h = view_row if view_row is not None else r
    actions += [Press("shift+tab"), Wait("focus", "text")]
    layer = ctx.schema.layer
    writes = [(ident, entered) for _r, ident, _p, _n, entered in targets]

    def effect(store: SimStore) -> None:
        for ident, entered in writes:
            now = paragraph_data(ctx.paragraph, store.annotations())
            target = find(now, layer, ident)
            assert target is not None
            editing.set_attributes(store, ctx.annotator, target, dict(entered))  # type: ignore[arg-type]

    what = f"attributes of {len(fixes)} annotation(s)"
    step = Step(layer, what, actions, state.selection, tuple(g for _, _, g in fixes), effect=effect)
    step.cost = step_cost(actions)
    return step


# --- the lexical layer -------------------------------------------------------------------------


def _norm_lemma(value: str) -> str:
    return unicodedata.normalize("NFC", value.replace(STRESS, "").strip())


def _feats_ok(gold: str) -> Callable[[str], bool]:
    cache: dict[str, bool] = {}

    def accept(value: str) -> bool:
        if value not in cache:
            try:
                cache[value] = normalise_feats(value) == gold
            except TokenInputError:
                cache[value] = False
        return cache[value]

    return accept


def _feats_guides(old: str, gold: str) -> list[str]:
    """Spellings of ``gold`` worth typing toward: UD order, and the old features kept in their
    order with the new ones after them (the editor puts any order into UD order on saving)."""
    if gold == "_":
        return [""]
    items = gold.split("|")
    old_items = [] if old in ("", "_") else old.split("|")
    kept = [i for i in old_items if i in items]
    added = [i for i in items if i not in kept]
    # the old features' names in their order (with the gold's values), then the new names
    value_of = {i.partition("=")[0]: i for i in items}
    names = [i.partition("=")[0] for i in old_items if i.partition("=")[0] in value_of]
    renamed = [value_of[n] for n in names] + [i for i in items if i.partition("=")[0] not in names]
    return list(dict.fromkeys(["|".join(items), "|".join(kept + added), "|".join(renamed)]))


FIELD_IDS = ("token-lemma", "token-upos", "token-feats")


def _editor_reading_digits() -> bool:
    return hasattr(TokenEditor, "take_reading")


def token_step(
    ctx: Context, state: State, index: int, gold: TokenValues, gold_id: int
) -> Step | None:
    """Correct one token's analysis: the cheapest of its label key (UPOS only), the token
    editor (fields typed, completed, or a numbered reading taken), or both."""
    data = state.data(ctx)
    tf = token_field(ctx.schema)
    if tf is None:
        return None
    row = token_rows(data, ctx.schema, tf)[index]
    route = ctx.cursor.route(data, ctx.schema, state.selection, lambda a, c: c == index, [index])
    if route is None:
        return None
    form = row.form
    found = suggestions(form)
    lemmas, feats_readings = list(found.lemmas), list(found.feats)
    readings: list[tuple[str, str, str]] = []
    if _editor_reading_digits():
        from layerkit.tui.screens.token import _reading

        readings = [_reading(r) for r in found.readings][:9]
    upos_names = list(tf.label_names)
    have = (
        row.lemma,
        row.upos,
        row.feats if row.annotation is not None else "_",
    )
    wanted = (gold.lemma, gold.upos, gold.feats)

    def edits(start: tuple[str, str, str], inventory: Sequence[str]) -> list[Action] | None:
        """Enter, then the fields that need it in the cheapest order, then enter."""
        plans: dict[int, list[Action]] = {}
        specs = [
            (
                _norm_lemma(start[0]) == gold.lemma,
                lambda v: _norm_lemma(v) == gold.lemma,
                [gold.lemma],
                lambda v: complete_from(v, lemmas),
            ),
            (
                start[1].strip().upper() == gold.upos,
                lambda v: v.strip().upper() == gold.upos,
                [gold.upos],
                lambda v: complete_from(v, upos_names, keep_typed=False),
            ),
            (
                _feats_ok(gold.feats)(start[2]),
                _feats_ok(gold.feats),
                _feats_guides(start[2], gold.feats),
                lambda v: complete_feats(v, feats_readings, inventory),
            ),
        ]
        for i, (ok, accept, guides, complete) in enumerate(specs):
            if ok:
                continue
            plan = plan_input(start[i], accept, guides, complete, FIELD_IDS[i])
            if plan is None:
                return None
            plans[i] = plan
        best: list[Action] | None = None
        for order in itertools.permutations(sorted(plans)):
            here, acts = 0, []
            for i in order:
                d = (i - here) % 3
                moves = ["down"] * d if d <= 1 else ["up"] * (3 - d)
                for k in moves:
                    acts.append(Press(k))
                if moves:
                    acts.append(Wait("focus", FIELD_IDS[i]))
                acts += plans[i]
                here = i
            if best is None or step_cost(acts) < step_cost(best):
                best = acts
        return [
            Press("enter"),
            Wait("screen", "TokenEditor"),
            Wait("readings"),
            *(best or []),
            Press("enter"),
            Wait("screen", "AnnotateScreen"),
        ]

    inventory = feature_inventory(data, ctx.schema.layer)
    options: list[list[Action]] = []
    key = ctx.label_keys.get((tf.name, gold.upos))
    if have[1] != gold.upos and key is not None:
        after = (have[0], gold.upos, have[2])
        rest = edits(after, inventory) if after[0::2] != wanted[0::2] else []
        if rest is not None:
            options.append([Press(key.key), *rest])
    plain = edits(have, inventory)
    if plain is not None:
        options.append(plain)
    for number, reading in enumerate(readings, start=1):
        try:
            checked = (
                _norm_lemma(reading[0]),
                reading[1].strip().upper(),
                normalise_feats(reading[2]),
            )
        except TokenInputError:
            continue
        if checked == wanted:
            options.append(
                [
                    Press("enter"),
                    Wait("screen", "TokenEditor"),
                    Wait("readings"),
                    Press(str(number)),
                    Wait("screen", "AnnotateScreen"),
                ]
            )
            break
    if not options:
        return None
    actions = min(options, key=step_cost)
    span = (row.start, row.end)
    layer = ctx.schema.layer
    label_first = bool(actions) and isinstance(actions[0], Press) and actions[0].key != "enter"

    def effect(store: SimStore) -> None:
        now = paragraph_data(ctx.paragraph, store.annotations())
        if label_first:
            editing.apply_label(store, ctx.annotator, now, layer, key, *span)  # type: ignore[arg-type]
            now = paragraph_data(ctx.paragraph, store.annotations())
        if any(isinstance(a, Press) and a.key == "enter" for a in actions):
            existing = token_rows(now, ctx.schema, tf)[index].annotation
            editing.edit_token(store, ctx.annotator, now, layer, tf, span, existing, gold)  # type: ignore[arg-type]

    what = f"«{form}» {'/'.join(have)} → {'/'.join(wanted)}"
    step = Step(layer, what, list(actions), (0, 0), (gold_id,), effect=effect)
    route_keys = len(route.actions) if route is not None else 0
    return _with_review_key(_finish(ctx, state, step, route), route_keys)


def _view_key(action: str) -> str | None:
    for binding in ParagraphView.BINDINGS:
        if getattr(binding, "action", "") == action:
            return _first_key(binding)
    return None


def _with_review_key(step: Step, route_keys: int = 0) -> Step:
    """A route ending with the next-to-check key followed by ``enter`` (the token editor) is
    the one review key, if the view has it: the same move, the editor opened with it."""
    unsure, review = _view_key("next_unsure(1)"), _view_key("review_next")
    if unsure is None or review is None:
        return step
    acts = step.actions
    for i in range(len(acts) - 1):
        if acts[i] == Press(unsure) and acts[i + 1] == Press("enter"):
            step.actions = [*acts[:i], Press(review), *acts[i + 2 :]]
            step.cost = step_cost(step.actions)
            return step
    return _with_capital_hint(step, route_keys)


def _with_capital_hint(step: Step, route_keys: int) -> Step:
    """A route (the first ``route_keys`` actions) ending with a jump hint, followed by ``enter``
    (the token editor), types the hint's last letter as a capital instead: the jump and the
    editor in one key. Only the route's own keys can be hint letters (after it, a letter is a
    label key: ``a`` is ADJ on the lexical layer)."""
    hint_keys = {_view_key("hints(False)"), _view_key("hints(True)")} - {None}
    acts, last = step.actions, route_keys - 1
    if last < 1 or len(acts) <= route_keys or acts[route_keys] != Press("enter"):
        return step

    def letter(action: Action) -> bool:
        return isinstance(action, Press) and len(action.key) == 1 and action.key in HINT_LETTERS

    if not letter(acts[last]):
        return step
    j = last
    while j > 0 and letter(acts[j - 1]):
        j -= 1
    opener = acts[j - 1] if j > 0 else None
    if isinstance(opener, Press) and opener.key in hint_keys:
        capital = Press(acts[last].key.upper())  # type: ignore[union-attr]
        step.actions = [*acts[:last], capital, *acts[route_keys + 1 :]]
        step.cost = step_cost(step.actions)
    return step


def accept_step(ctx: Context, state: State) -> Step | None:
    """Accept the model's remaining analyses: ``A`` for the paragraph, or ``ctrl+a`` per sentence
    where that is cheaper (it never is while one key does the whole paragraph)."""
    data = state.data(ctx)
    tf = token_field(ctx.schema)
    if tf is None:
        return None
    pending = [a for a in data.of_layer(ctx.schema.layer, "token") if a.origin != "human"]
    if not pending:
        return None
    layer = ctx.schema.layer
    bindings = _screen_keys()
    paragraph_key, sentence_key = bindings.get("accept_paragraph"), bindings.get("accept")
    options: list[tuple[float, list[Action], tuple[int, int], Callable[[SimStore], None]]] = []
    if paragraph_key:

        def accept_all(store: SimStore) -> None:
            now = paragraph_data(ctx.paragraph, store.annotations())
            editing.accept_paragraph(store, ctx.annotator, now, layer, tf)  # type: ignore[arg-type]

        options.append((1, [Press(paragraph_key)], state.selection, accept_all))
    if sentence_key:
        sentences = sorted(
            {sentence_index(data.sentences, a.start or 0) for a in pending} - {None}  # type: ignore[arg-type]
        )
        sim = state.copy()
        acts: list[Action] = []
        for s in sentences:
            route = ctx.cursor.route(
                sim.data(ctx),
                ctx.schema,
                sim.selection,
                lambda a, c, s=s: sentence_index(data.sentences, data.tokens[c][0]) == s,
            )
            if route is None:
                break
            acts += [*route.actions, Press(sentence_key)]
            sim.selection = route.selection
        else:
            offsets = [data.sentences[s][0] for s in sentences]

            def accept_each(store: SimStore, offsets: list[int] = offsets) -> None:
                for offset in offsets:
                    now = paragraph_data(ctx.paragraph, store.annotations())
                    editing.accept_sentence(store, ctx.annotator, now, layer, tf, offset)  # type: ignore[arg-type]

            options.append((step_cost(acts), acts, sim.selection, accept_each))
    if not options:
        return None
    cost, actions, selection, effect = min(options, key=lambda o: o[0])
    step = Step(layer, f"accept {len(pending)} model analyses", actions, selection, effect=effect)
    step.cost = cost
    return step


def _screen_keys() -> dict[str, str]:
    """The annotation screen's keys by action name (``accept`` → ``ctrl+a``)."""
    from layerkit.tui.screens.annotate import AnnotateScreen

    found: dict[str, str] = {}
    for binding in AnnotateScreen.BINDINGS:
        parsed = _parse_action(binding.action)  # type: ignore[union-attr]
        if parsed is not None and not parsed[1]:
            found.setdefault(parsed[0], _first_key(binding))
    return found


def screen_key(action: str) -> str | None:
    return _screen_keys().get(action)


def binding_key(action: str, args: tuple[Any, ...]) -> str | None:
    """The annotation screen's key for ``action(args)``, e.g. ``layer(2)`` → ``2``."""
    from layerkit.tui.screens.annotate import AnnotateScreen

    for binding in AnnotateScreen.BINDINGS:
        parsed = _parse_action(binding.action)  # type: ignore[union-attr]
        if parsed is not None and parsed == (action, args):
            return _first_key(binding)
    return None


def layer_key(number: int) -> str | None:
    """The key that switches to layer ``number`` (1-based)."""
    return binding_key("layer", (number,))


def _snippet(data: ParagraphData, a: Annotation, limit: int = 24) -> str:
    piece = " ".join(data.text[a.start or 0 : a.end or 0].split())
    return piece if len(piece) <= limit else piece[: limit - 1] + "…"
