"""Partial repaints that render only the screen lines that changed.

Textual's compositor repaints a partial update in three steps: it takes the rectangle around
every region marked dirty, asks *each widget overlapping that rectangle* for all of its lines
inside it, and then keeps only the lines that were dirty. A key here typically dirties a border
line at the top, a few lines of the text view and the key bar at the bottom; the rectangle is
then the whole screen, and every widget on it hands over every line (cached, but each still
passes through the line filters, cropping and copying: some 30 µs a line, 150-200 lines a key),
to keep a dozen of them.

``LineCompositor`` asks each widget only for the lines, within its visible region, where a
dirty region meets it (columns included; each run of consecutive lines in one request), and
skips widgets that no dirty region meets: a scrollbar or a panel beside the text that changed is not
rendered again. Nor are the parts that widgets in front of it hide: Textual's compositor does
not blend, the front widget's line wins every cell of its region (``_render_chops``), so a
container behind its children, or the text below an open dialog, is asked only for lines where
some dirty cell is left uncovered. What ends up on screen is the same: the kept lines come
from the same widgets, in the same front-to-back order (tests/test_tui.py,
``test_partial_repaints_render_only_dirty_lines_and_paint_the_same``, renders every partial
update both ways and compares).

It relies on two private methods of Textual's ``Compositor`` (``render_partial_update`` and
``_get_renders``); :func:`use_line_compositor` installs it only where they exist with the
shape it expects, and leaves Textual's own otherwise.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Any

from textual._compositor import ChopsUpdate, Compositor
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip


class LineCompositor(Compositor):
    """Textual's compositor, rendering only the dirty lines of a partial update."""

    def __init__(self) -> None:
        super().__init__()
        #: screen line -> the column ranges ``(x1, x2)`` being repainted on it, for the partial
        #: update in progress (None: all)
        self._rendered_lines: dict[int, list[tuple[int, int]]] | None = None

    def render_partial_update(self) -> ChopsUpdate | None:
        spans: dict[int, list[tuple[int, int]]] = {}
        for x, y, width, height in self._dirty_regions:
            for line in range(y, y + height):
                spans.setdefault(line, []).append((x, x + width))
        self._rendered_lines = spans
        try:
            return super().render_partial_update()
        finally:
            self._rendered_lines = None

    def _get_renders(
        self, crop: Region | None = None
    ) -> Iterable[tuple[Region, Region, list[Strip]]]:
        lines = self._rendered_lines
        if lines is None:
            yield from super()._get_renders(crop)
            return
        # screen line -> the column ranges that widgets already rendered (in front) cover
        covered: dict[int, list[tuple[int, int]]] = {}
        for widget, (region, clip) in self.visible_widgets.items():
            if crop is not None and not crop.overlaps(clip):
                continue
            visible = region.intersection(clip)
            if not visible.height or not visible.width:
                continue
            top, bottom = visible.y, visible.bottom
            left, right = visible.x, visible.right
            # the lines where a repainted column range meets the widget and is not hidden by a
            # widget in front: a widget beside the changed ones (a scrollbar, a panel) or
            # behind them (their containers, the text below a dialog) is not asked
            wanted = [
                y
                for y, ranges in lines.items()
                if top <= y < bottom
                and any(
                    x1 < right
                    and x2 > left
                    and not _covers(covered.get(y), max(x1, left), min(x2, right))
                    for x1, x2 in ranges
                )
            ]
            if not wanted:
                continue
            for y in wanted:
                covered.setdefault(y, []).append((left, right))
            # each run of consecutive wanted lines on its own: a key that repaints a view's
            # first line and its bottom border (a label that changes the layer's state) asks
            # for two lines, not the fourteen between them
            for first, last in _runs(sorted(wanted)):
                # the widget's region clipped to those lines: ``_render_chops`` pairs strips
                # with the lines of region ∩ clip, so the clip says where the strips start
                part = Region(visible.x, first, visible.width, last - first + 1)
                yield (
                    region,
                    part,
                    widget.render_lines(
                        Region(part.x - region.x, part.y - region.y, part.width, part.height)
                    ),
                )


def _runs(lines: list[int]) -> Iterable[tuple[int, int]]:
    """``(first, last)`` of each run of consecutive numbers in sorted ``lines``."""
    start = previous = lines[0]
    for line in lines[1:]:
        if line != previous + 1:
            yield start, previous
            start = line
        previous = line
    yield start, previous


def _covers(ranges: list[tuple[int, int]] | None, x1: int, x2: int) -> bool:
    """Whether the column ranges ``ranges`` (in any order, overlapping or not) cover every
    column from ``x1`` to ``x2`` (excluded)."""
    if not ranges:
        return False
    reached = x1
    for start, end in sorted(ranges):
        if start > reached:
            return False
        if end > reached:
            reached = end
            if reached >= x2:
                return True
    return reached >= x2


def _fits() -> bool:
    """Whether this Textual's compositor has the private methods this one overrides, in the
    shape it overrides them."""
    partial = getattr(Compositor, "render_partial_update", None)
    renders = getattr(Compositor, "_get_renders", None)
    if partial is None or renders is None:
        return False
    return list(inspect.signature(partial).parameters) == ["self"] and list(
        inspect.signature(renders).parameters
    ) == ["self", "crop"]


FITS = _fits()


def use_line_compositor(screen: Screen[Any]) -> None:
    """Give a new screen (from its ``__init__``) the line compositor, where Textual allows."""
    if FITS and type(screen._compositor) is Compositor:
        screen._compositor = LineCompositor()
