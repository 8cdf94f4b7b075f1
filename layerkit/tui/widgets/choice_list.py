"""A list of one-line choices with a highlight: the relation dialog's targets and labels.

Textual's ``OptionList`` did this before, one per question. Switching questions then showed one
list and hid the other, and a widget shown or hidden lays out the whole screen (1–2 ms with
the annotator's panels, then a second frame for the scrollbars); the list also rendered its
lines anew each time its options were set. Here one list shows either question: it is given
its height when the dialog opens (the longer question's, see :meth:`RelationPicker.open`), so
a new question changes only its lines and virtual size (:mod:`.scrolling`: a repaint, not a
layout), and each line is drawn once per text, highlight and width.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip

from layerkit.tui.widgets.drawn_lines import DrawnLines
from layerkit.tui.widgets.frame_idle import RefreshAfterKey
from layerkit.tui.widgets.lean_lines import LeanLines
from layerkit.tui.widgets.scrolling import SteadyScrollbars
from layerkit.tui.widgets.style_cache import CachedRichStyle


class ChoiceList(SteadyScrollbars, CachedRichStyle, LeanLines, RefreshAfterKey, can_focus=False):
    """Lines of choices, one highlighted; keys come from its owner (``action_*``), clicks
    post :class:`ChoiceList.Selected`."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"choice-list--highlighted"}

    class Selected(Message):
        """A line was clicked."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.prompts: list[Text] = []
        self.highlighted: int | None = None
        # drawn lines by what they show; a dialog shows a few dozen different ones
        self._drawn = DrawnLines(kept=512)

    def set_prompts(self, prompts: Sequence[Text], highlight: int | None) -> None:
        """Show ``prompts`` with ``highlight`` highlighted and in view."""
        self.prompts = list(prompts)
        self.highlighted = None
        self.scroll_to(y=0, animate=False, immediate=True)
        self._resize_virtual()
        self.refresh()
        self.set_highlighted(highlight)

    @property
    def option_count(self) -> int:
        return len(self.prompts)

    def set_highlighted(self, index: int | None) -> None:
        """Highlight line ``index`` (kept within the list) and scroll it into view."""
        if index is not None:
            index = max(0, min(index, len(self.prompts) - 1)) if self.prompts else None
        if index is not None:
            top = round(self.scroll_y)
            height = max(self.scrollable_content_region.height, 1)
            if index < top:
                self.scroll_to(y=index, animate=False, immediate=True)
                self.refresh()
            elif index >= top + height:
                self.scroll_to(y=index - height + 1, animate=False, immediate=True)
                self.refresh()
        if index != self.highlighted:
            before, self.highlighted = self.highlighted, index
            for line in (before, index):  # the line losing the highlight, the one getting it
                if line is not None:
                    self.refresh_line(line)

    # --- moves (the dialog's keys) -------------------------------------------------------------

    def action_cursor_up(self) -> None:
        self._step(-1)

    def action_cursor_down(self) -> None:
        self._step(1)

    def action_first(self) -> None:
        self.set_highlighted(0)

    def action_last(self) -> None:
        self.set_highlighted(len(self.prompts) - 1)

    def action_page_up(self) -> None:
        self._step(-self._page)

    def action_page_down(self) -> None:
        self._step(self._page)

    @property
    def _page(self) -> int:
        return max(self.scrollable_content_region.height - 1, 1)

    def _step(self, step: int) -> None:
        if self.highlighted is None:
            self.set_highlighted(0 if step > 0 else len(self.prompts) - 1)
        else:
            self.set_highlighted(self.highlighted + step)

    def on_click(self, event: events.Click) -> None:
        index = round(self.scroll_y) + event.y
        if 0 <= index < len(self.prompts):
            event.stop()
            self.set_highlighted(index)
            self.post_message(self.Selected(index))

    # --- drawing ---------------------------------------------------------------------------------

    def _resize_virtual(self) -> None:
        region = self.scrollable_content_region
        if not region.width:
            # hidden (the dialog closed) or not laid out yet: sized when it is (on_resize);
            # the size it kept from the last time it was shown then changes only where the
            # question does, so opening the dialog again is one layout, not two
            return
        self.set_virtual_size(Size(region.width, max(len(self.prompts), region.height)))

    def on_resize(self, _event: events.Resize) -> None:
        # (the drawn lines are kept: their key has the width, and a dialog opened again
        # shows the same lines; hidden, the list has no size, so each opening resizes it)
        self._resize_virtual()

    def render_line(self, y: int) -> Strip:
        width = self.line_width
        index = round(self.scroll_y) + y
        style = self.rich_style
        if not 0 <= index < len(self.prompts):
            return Strip.blank(width, style)
        text = self.prompts[index]
        highlighted = index == self.highlighted
        key = (text.plain, tuple(text.spans), text.style, highlighted, width, style)
        over = [self.get_component_rich_style("choice-list--highlighted")] if highlighted else []
        return self._drawn.draw(key, text, over, width, style, self.app.console)
