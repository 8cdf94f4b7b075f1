"""A widget's text style, worked out once per style change instead of once per line.

Textual's ``rich_style`` (the colours and text style a widget's content is drawn with) combines
every ancestor's styles on each read: some 60-100 µs here. The text view, the side panel and
the navigator read it for each line they draw, twice in the text view, so a key that redraws
thirty lines spent a few milliseconds on a value that changes only when some style does.

The cached value is kept with a key made of each ancestor's style counter (Textual's
``RenderStyles._cache_key``, which changes whenever a rule of that node's styles changes: CSS
applied, a class or pseudo-class such as focus, an inline style). Textual's own notice
(``notify_style_update``) is not enough: it reaches the node whose rules were applied, not its
descendants, whose colours depend on the ancestors' backgrounds.

List it after the widget's Textual base class (``class View(ScrollView, CachedRichStyle)``):
Textual collects a widget's default CSS along the first base of each class only.
"""

from __future__ import annotations

from rich.style import Style
from textual.widget import Widget


def ancestry_style_key(widget: Widget) -> tuple[tuple[int, int], ...]:
    """A key that changes whenever a style of ``widget`` or of an ancestor does (each node's
    style counter, see the module's docstring): what a widget's drawing caches are keyed on."""
    return tuple((id(node), node.styles._cache_key) for node in widget.ancestors_with_self)


class CachedRichStyle(Widget):
    """``rich_style`` cached until a style of the widget or of an ancestor changes."""

    _rich_style_of: tuple[tuple[int, int], ...] | None = None
    _cached_rich_style: Style | None = None

    @property
    def rich_style(self) -> Style:
        key = ancestry_style_key(self)
        style = self._cached_rich_style
        if style is None or key != self._rich_style_of:
            style = self._cached_rich_style = super().rich_style
            self._rich_style_of = key
        return style
