"""Border titles set only when they change.

Textual repaints a whole widget each time its ``border_title`` or ``border_subtitle`` is
assigned, even to the text it already shows. The annotator sets them after every key (the
paragraph's state, the side panel's count), so a key that changes one line of the text would
repaint every line of both panels: these helpers assign only what differs.
"""

from __future__ import annotations

from textual.widget import Widget


def set_border_title(widget: Widget, title: str | None) -> None:
    """Assign ``title`` unless the widget shows it already."""
    if getattr(widget, "_shown_border_title", object()) != title:
        widget.border_title = title
        widget._shown_border_title = title  # type: ignore[attr-defined]


def set_border_subtitle(widget: Widget, subtitle: str | None) -> None:
    """Assign ``subtitle`` unless the widget shows it already."""
    if getattr(widget, "_shown_border_subtitle", object()) != subtitle:
        widget.border_subtitle = subtitle
        widget._shown_border_subtitle = subtitle  # type: ignore[attr-defined]
