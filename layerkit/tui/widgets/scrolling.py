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

from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.widget import Widget


def _shows_vertical_bar(view: ScrollView, size: Size) -> bool:
    overflow = view.styles.overflow_y
    if overflow == "scroll":
        return True
    if overflow == "auto":
        return size.height > view.container_size.height
    return False


def set_virtual_size(view: ScrollView, size: Size) -> None:
    """Give ``view`` the virtual size ``size``, with a repaint instead of a layout whenever the
    view's scrollbars stay as they are (same width, same vertical scrollbar visibility, no
    horizontal scrolling)."""
    if size == view.virtual_size:
        return
    quiet = (
        view.is_mounted
        and bool(view.container_size)
        and size.width == view.virtual_size.width
        and view.styles.overflow_x == "hidden"
        and not view.show_horizontal_scrollbar
        and _shows_vertical_bar(view, size) == view.show_vertical_scrollbar
    )
    if not quiet:
        view.virtual_size = size
        return
    view.set_reactive(Widget.virtual_size, size)
    if view.show_vertical_scrollbar:
        bar = view.vertical_scrollbar
        bar.window_virtual_size = size.height
        bar.window_size = view.container_size.height
    view.scroll_y = view.validate_scroll_y(view.scroll_y)
    view.refresh()
    if isinstance(view, SteadyScrollbars) and view._scrollbars_sized_for is not None:
        outer, container, _ = view._scrollbars_sized_for
        view._scrollbars_sized_for = (outer, container, size)


class SteadyScrollbars(ScrollView):
    """A scroll view whose scrollbars are repainted when its size or virtual size changes, not
    at every layout of the screen.

    Textual's ``ScrollView._size_updated`` compares the virtual size the compositor hands it (the
    content region) with its own, which never match, so every layout of the screen, even one
    caused by a focus change elsewhere, repaints the scrollbars of every scroll view, and that
    repaint lands in a second frame."""

    _scrollbars_sized_for: tuple[Size, Size, Size] | None = None

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        key = (size, container_size, self.virtual_size)
        if key == self._scrollbars_sized_for:
            return False
        changed = super()._size_updated(size, virtual_size, container_size, layout)
        self._scrollbars_sized_for = (size, container_size, self.virtual_size)
        return changed
