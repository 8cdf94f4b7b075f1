"""Focus changes that restyle and repaint a widget only when its look changes.

Textual restyles a widget and its children (``watch_has_focus``) and repaints it whole
(``_on_focus``, ``_on_blur``) every time it gains or loses the focus, whatever its CSS says.
On the annotator's screen most focus changes change nothing on screen:

* The relation dialog is a box on the screen, not a screen of its own
  (:mod:`layerkit.tui.widgets.relation_picker`), so opening it takes the focus from the panel
  it was opened from. That panel should keep its focused look (its border, its cursor line)
  while the dialog is open: the dialog *holds* it (:meth:`FocusLook.hold`), and a held panel
  counts as focused for its CSS (``:focus``) and its drawing (:attr:`FocusLook.looks_focused`).
* The dialog itself looks the same with and without the focus.

Restyling and repainting them anyway cost several ms a dialog (bench/tui_latency.py, the
relation keys). :class:`FocusLook` restyles and repaints only when the look changes.

List it after the widget's Textual base class, like :class:`.style_cache.CachedRichStyle`
(Textual collects a widget's default CSS along the first base of each class only).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import events
from textual.css.stylesheet import Stylesheet
from textual.dom import DOMNode
from textual.widget import PseudoClasses, Widget


class FocusLook(Widget):
    """A widget whose focused look is redrawn only when it changes; a dialog over it may
    :meth:`hold` it focused-looking while the dialog has the focus."""

    #: False: nothing this widget draws depends on focus (no restyle, no repaint at all)
    FOCUS_STYLED: ClassVar[bool] = True

    _PSEUDO_CLASSES: ClassVar[dict[str, Callable[[Widget], bool]]] = {
        **Widget._PSEUDO_CLASSES,
        "focus": lambda widget: getattr(widget, "looks_focused", widget.has_focus),
        "blur": lambda widget: not getattr(widget, "looks_focused", widget.has_focus),
    }

    _held = False
    _release_on_focus = False
    _styled_focused = False

    @property
    def looks_focused(self) -> bool:
        """Focused, or held by a dialog opened from it: what its CSS and drawing show."""
        return self.has_focus or self._held

    def hold(self) -> None:
        """Keep the focused look while the focus is elsewhere (a dialog opened from here)."""
        self._held = True
        self._look_changed()

    def release(self) -> None:
        """End :meth:`hold`. Where the focus is on its way back here (its Focus event not yet
        handled), the hold ends when it arrives, so the look never flickers off and on."""
        if not self.has_focus and self.screen.focused is self:
            self._release_on_focus = True
            return
        self._held = False
        self._look_changed()

    def get_pseudo_class_state(self) -> PseudoClasses:
        state = super().get_pseudo_class_state()
        return PseudoClasses(enabled=state.enabled, hover=state.hover, focus=self.looks_focused)

    @property
    def _pseudo_classes_cache_key(self) -> tuple[int, ...]:
        return (self.mouse_hover, self.looks_focused, self.is_disabled)

    def watch_has_focus(self, has_focus: bool) -> None:
        if has_focus and self._release_on_focus:
            self._release_on_focus = False
            self._held = False
        self._look_changed()

    def _look_changed(self) -> None:
        look = self.looks_focused
        if look == self._styled_focused or not self.FOCUS_STYLED:
            return
        self._styled_focused = look
        self._restyle_look()
        self.refresh()

    def _restyle_look(self) -> None:
        """What ``update_node_styles()`` does, less what a focus change cannot alter: no
        animation pass (these panels have no transitions; comparing every rule for one cost
        ~0.1 ms), and a scrollbar restyled only if a rule that may style it names a focus
        pseudo-class (none does here: 0.12 ms a panel)."""
        sheet = self.app.stylesheet
        for node in self.walk_children(with_self=True):
            sheet.apply(node, animate=False)
            for bar in _shown_bars(node):
                if _focus_may_style(sheet, bar):
                    sheet.apply(bar, animate=False)

    def _on_focus(self, event: events.Focus) -> None:
        # Textual's own handler (skipped) would restyle and repaint whatever the look.
        event.prevent_default()
        self.has_focus = True
        if self.parent is not None:
            self.parent.post_message(events.DescendantFocus(self))

    def _on_blur(self, event: events.Blur) -> None:
        event.prevent_default()
        self.has_focus = False
        if self.parent is not None:
            self.parent.post_message(events.DescendantBlur(self))


_FOCUS_CLASSES = frozenset({"focus", "blur", "focus-within"})


def _shown_bars(node: DOMNode) -> list[Widget]:
    """The scrollbars (and their corner) Textual's ``update_nodes`` restyles with ``node``."""
    if not isinstance(node, Widget) or not node.is_scrollable:
        return []
    vertical = node.show_vertical_scrollbar and node.scrollbar_size_vertical
    horizontal = node.show_horizontal_scrollbar and node.scrollbar_size_horizontal
    bars: list[Widget] = [node.vertical_scrollbar] if vertical else []
    if horizontal:
        bars.append(node.horizontal_scrollbar)
        if vertical:
            bars.append(node.scrollbar_corner)
    return bars


def _focus_may_style(sheet: Stylesheet, node: DOMNode) -> bool:
    """Whether a rule of ``sheet`` that may apply to ``node`` (as Textual picks them: by its
    type, id and classes) names a focus pseudo-class, on ``node`` or on any node in its
    selector."""
    rules_map = sheet.rules_map
    return any(
        not rule.pseudo_classes.isdisjoint(_FOCUS_CLASSES)
        for name in rules_map.keys() & node._selector_names
        for rule in rules_map[name]
    )
