"""Changing a scroll view's virtual size without laying out the whole screen.

Textual's ``virtual_size`` is a layout reactive: setting it lays out every widget on the screen,
and that layout then refreshes the scrollbars of every scroll view (the compositor hands them a
virtual size that never equals their own), which lands in a second frame. On the annotation
screen that made each paragraph change cost two frames (about 30 ms at 120 frames a second)
where one would do. A scroll view's own region does not depend on its virtual size, so when the
scrollbars stay as they are (shown or hidden) only the view and its scrollbar need repainting:
this module does that, and leaves the rare change of scrollbar visibility to a real layout.
"""

from __future__ import annotations

from collections import OrderedDict
from math import ceil
from typing import Any

from rich.color import Color
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.strip import Strip
from textual.widget import Widget

#: Textual's own bar layout, and the colours :meth:`SteadyScrollBar._thumb` lays it out in
_TEXTUALS_BAR = ScrollBarRender.render_bar
_KEY_BACK = Color.from_rgb(0, 0, 1)
_KEY_BAR = Color.from_rgb(0, 0, 2)


class SteadyScrollBar(ScrollBar):
    """A vertical scrollbar that hands back a drawing it made before when nothing it is drawn
    from differs.

    Textual redraws a scrollbar whole (some 60 µs a line here) whenever its view is refreshed
    or restyled: a focus change, a new paragraph whose text still fits the view. The drawing
    depends only on what :meth:`_drawn_from` collects (the bar's size and window, its colours
    and its background's, hover and grab, the app's line filters), so the same key means the
    same drawing (tests/test_tui.py compares it with Textual's own, state by state). The last
    ``DRAWINGS_KEPT`` are kept: going back and forth between paragraphs of a few lengths finds
    their bars drawn already.
    """

    #: the last few drawings (the whole bar's lines) by what they were made from, the newest
    #: last: paragraphs of a few different lengths come back again and again
    _drawn: OrderedDict[tuple[Any, ...], list[Strip]] | None = None
    DRAWINGS_KEPT = 16

    def _drawn_from(self) -> tuple[Any, ...]:
        parent = self.parent
        assert isinstance(parent, Widget)
        styles = parent.styles
        app = self.app
        return (
            self.size,
            self._thumb(),
            self.thickness,
            self.vertical,
            self.mouse_over,
            self.grabbed,
            self.renderer,
            styles.scrollbar_background,
            styles.scrollbar_background_hover,
            styles.scrollbar_background_active,
            styles.scrollbar_color,
            styles.scrollbar_color_hover,
            styles.scrollbar_color_active,
            self.screen.styles.scrollbar_color.a == 0,
            parent.background_colors,
            self.background_colors,
            self.styles._cache_key,
            self.opacity,
            id(app.ansi_theme),
            tuple(id(f) for f in app.get_line_filters()),
        )

    def _thumb(self) -> tuple[Any, ...]:
        """Where the thumb is: the bar's cells as Textual's renderer lays them out (in
        colours of this module's: the real ones are in the rest of the key). Paragraphs of
        different lengths mostly put the thumb on the same cells, so a new paragraph's bar is
        found drawn where a key of its virtual size and position would draw it again (some
        1.2 ms of a paragraph switch). A renderer other than Textual's own is keyed by the
        numbers it is drawn from."""
        window_size = self.window_size if self.window_size < self.window_virtual_size else 0
        numbers = (self.window_virtual_size, window_size, self.position)
        if getattr(self.renderer, "render_bar", None) != _TEXTUALS_BAR:
            return numbers
        width, height = self.size
        bar = ScrollBarRender.render_bar(
            size=height if self.vertical else width,
            virtual_size=ceil(self.window_virtual_size),
            window_size=ceil(window_size),
            position=self.position,
            thickness=width if self.vertical else height,
            vertical=self.vertical,
            back_color=_KEY_BACK,
            bar_color=_KEY_BAR,
        )
        return tuple(bar.segments)

    def render_lines(self, crop: Region) -> list[Strip]:
        """The lines of ``crop``, cut from the whole bar's drawing (made again only when what
        it is drawn from changed): repaints often ask for a few lines of it."""
        key = self._drawn_from()
        drawn = self._drawn
        if drawn is None:
            drawn = self._drawn = OrderedDict()
        lines = drawn.get(key)
        if lines is None:
            # drawn from the bar as it is now: a position set since its last refresh may not
            # have marked it for drawing yet, and the drawing is kept under the new key
            self._render_content()
            lines = drawn[key] = super().render_lines(self.size.region)
            if len(drawn) > self.DRAWINGS_KEPT:
                drawn.popitem(last=False)
        else:
            drawn.move_to_end(key)
        strips = lines[crop.y : crop.bottom]
        x1, x2 = crop.column_span
        if (x1, x2) != (0, self.size.width):
            strips = [strip.crop(x1, x2) for strip in strips]
        return strips


def _shows_vertical_bar(view: ScrollView, size: Size) -> bool:
    overflow = view.styles.overflow_y
    if overflow == "scroll":
        return True
    if overflow == "auto":
        return size.height > view.container_size.height
    return False


class SteadyScrollbars(ScrollView):
    """A scroll view whose scrollbars are repainted when its size or virtual size changes, not
    at every layout of the screen.

    Textual's ``ScrollView._size_updated`` compares the virtual size the compositor hands it (the
    content region) with its own, which never match, so every layout of the screen, even one
    caused by a focus change elsewhere, repaints the scrollbars of every scroll view, and that
    repaint lands in a second frame."""

    _scrollbars_sized_for: tuple[Size, Size, Size] | None = None

    @property
    def vertical_scrollbar(self) -> ScrollBar:
        """Textual's own property, making a :class:`SteadyScrollBar` instead of a ScrollBar."""
        if self._vertical_scrollbar is None:
            bar = self._vertical_scrollbar = SteadyScrollBar(
                vertical=True, name="vertical", thickness=self.scrollbar_size_vertical
            )
            bar.display = False
            self.app._start_widget(self, bar)
            # Styled now, as the screen is laid out: Textual styles a scrollbar only when its
            # view is restyled with the bar showing, so a bar that appeared later kept
            # Textual's default colours until the view's first focus change, which then laid
            # out the whole screen (15 ms of the first shift+tab to the navigator).
            self.app.stylesheet.apply(bar)
        return self._vertical_scrollbar

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        key = (size, container_size, self.virtual_size)
        if key == self._scrollbars_sized_for:
            return False
        changed = super()._size_updated(size, virtual_size, container_size, layout)
        self._scrollbars_sized_for = (size, container_size, self.virtual_size)
        return changed

    def set_virtual_size(self, size: Size) -> None:
        """Take the virtual size ``size``, with a repaint instead of a layout whenever the
        scrollbars stay as they are (same width, same vertical scrollbar visibility, no
        horizontal scrolling)."""
        if size == self.virtual_size:
            return
        quiet = (
            self.is_mounted
            and bool(self.container_size)
            and size.width == self.virtual_size.width
            and self.styles.overflow_x == "hidden"
            and not self.show_horizontal_scrollbar
            and _shows_vertical_bar(self, size) == self.show_vertical_scrollbar
        )
        if not quiet:
            self.virtual_size = size
            return
        self.set_reactive(Widget.virtual_size, size)
        if self.show_vertical_scrollbar:
            bar = self.vertical_scrollbar
            bar.window_virtual_size = size.height
            bar.window_size = self.container_size.height
        self.scroll_y = self.validate_scroll_y(self.scroll_y)
        self.refresh()
        if self._scrollbars_sized_for is not None:
            outer, container, _ = self._scrollbars_sized_for
            self._scrollbars_sized_for = (outer, container, size)
