"""Border titles that repaint only their border line, and only when they change.

Textual repaints a whole widget each time its ``border_title`` or ``border_subtitle`` is
assigned, even to the text it already shows. The annotator sets them after every key (the
paragraph's state, the side panel's count), so a key that changes one line of the text would
repaint every line of both panels. These helpers assign only what differs, and then repaint
only the border line that shows it (the top one for a title, the bottom one for a subtitle):
``tests/test_tui.py`` checks that every line left on screen is what a fresh drawing gives.
"""

from __future__ import annotations

from textual.geometry import Region
from textual.widget import Widget

_UNSET = object()


def set_border_title(widget: Widget, title: str | None) -> None:
    """Assign ``title`` unless the widget shows it already."""
    _set(widget, "border_title", title, bottom=False)


def set_border_subtitle(widget: Widget, subtitle: str | None) -> None:
    """Assign ``subtitle`` unless the widget shows it already."""
    _set(widget, "border_subtitle", subtitle, bottom=True)


def _set(widget: Widget, name: str, value: str | None, *, bottom: bool) -> None:
    shown = f"_shown_{name}"
    before = getattr(widget, shown, _UNSET)
    if before == value:
        return
    setattr(widget, shown, value)
    if before is _UNSET or not widget.is_mounted or not widget.styles.border.top[0]:
        setattr(widget, name, value)  # the first time, or no border: as Textual does it
        return
    # Textual's setter calls refresh() with no region (the whole widget): let it store the
    # title, then repaint the one border line that shows it.
    widget.refresh = _no_refresh  # type: ignore[method-assign,assignment]
    try:
        setattr(widget, name, value)
    finally:
        del widget.refresh
    x, y = widget.content_offset
    width, height = widget.outer_size
    line = height - 1 if bottom else 0
    widget.refresh(Region(-x, line - y, width, 1))


def _no_refresh(*_regions: Region, **_options: object) -> Widget | None:
    return None
