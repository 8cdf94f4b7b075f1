"""The paragraph list: virtual, so 100k paragraphs open as fast as 10.

Only the count of the filtered list is known up front; rows are read a page at a time when a
line that shows them is drawn, and at most ``MAX_PAGES`` pages are kept. Unfiltered pages come
straight from the ordering index (a few milliseconds), so they are read in place; a filtered
page may need a scan, so it is read in a worker thread and its lines show a placeholder for the
frame or two that takes. Memory stays flat whatever the size of the store.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.strip import Strip

from layerkit.errors import DatabaseUnreachable, LayerkitError
from layerkit.store import Store, queries
from layerkit.store.queries import ParagraphFilter, ParagraphRow
from layerkit.tui.messages import ParagraphChosen, ParagraphHighlighted, tell_screen
from layerkit.tui.widgets.focus_look import FocusLook
from layerkit.tui.widgets.frame_idle import RefreshAfterKey
from layerkit.tui.widgets.lean_lines import LeanLines
from layerkit.tui.widgets.scrolling import SteadyScrollbars
from layerkit.tui.widgets.style_cache import CachedRichStyle
from layerkit.tui.widgets.titles import set_border_title

PAGE = 100
MAX_PAGES = 16
STATE_GLYPHS = {
    "todo": ("·", Style(dim=True)),
    "in_progress": ("◐", Style(color="yellow")),
    "done": ("●", Style(color="green")),
    "stale": ("!", Style(color="red", bold=True)),
}
STATE_NAMES = {"todo": "todo", "in_progress": "in progress", "done": "done", "stale": "stale"}


class Navigator(
    SteadyScrollbars, CachedRichStyle, LeanLines, FocusLook, RefreshAfterKey, can_focus=True
):
    """Paragraphs in reading order, one line each: layer states, then the start of the text."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
        Binding("enter", "choose", "Open", show=False),
        Binding("f", "screen.cycle_state_filter", "Filter"),
        Binding("slash", "screen.search", "Search", key_display="/"),
    ]

    def __init__(self, store: Store, layers: tuple[str, ...], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.store = store
        self.layer_names = layers
        self.filter = ParagraphFilter()
        self.total = 0
        self.cursor = 0
        self._pages: OrderedDict[int, list[ParagraphRow]] = OrderedDict()
        self._pending: set[int] = set()
        self._generation = 0
        #: the last count failed: (select_id, follow) to count again with
        self._recount: tuple[int | None, bool] | None = None
        self._announce_pending = False
        # Called with the highlighted paragraph's id instead of posting ParagraphHighlighted,
        # when the screen sets it: a message is handled after the frame that shows the moved
        # cursor, so the paragraph would follow one frame (8-16 ms) later.
        self.on_highlight: Callable[[int], None] | None = None
        # Rendered lines by (row, is cursor, focused, width): moving the cursor or scrolling
        # repaints from here instead of building Rich text for every visible row again.
        self._lines: dict[tuple[int, bool, bool, int], Strip] = {}

    # --- loading -------------------------------------------------------------------------------

    def reload(self, filt: ParagraphFilter, select_id: int | None, *, follow: bool) -> None:
        """Show the list under a (new) filter, with the cursor on ``select_id`` if the filter
        keeps it; otherwise on the first row, opened too, if ``follow``; else where it was."""
        self.filter = filt
        self._recount = None
        self._generation += 1
        self._pages.clear()
        self._pending.clear()
        self._lines.clear()
        self._count(self._generation, filt, select_id, follow)

    def refresh_rows(self) -> None:
        """Re-read the visible rows (states change as people annotate); keep count and cursor
        (unless the last count could not be read: then count again)."""
        if self._recount is not None:
            select_id, follow = self._recount
            self.reload(self.filter, select_id, follow=follow)
            return
        self._generation += 1
        self._pages.clear()
        self._pending.clear()
        self._lines.clear()
        self.refresh()

    def replace_row(self, row: ParagraphRow) -> None:
        """Show a paragraph's new states after an edit: one line repainted, nothing re-read."""
        for page, rows in self._pages.items():
            for offset, old in enumerate(rows):
                if old.id == row.id:
                    if old != row:
                        rows[offset] = row
                        index = page * PAGE + offset
                        self._lines = {k: v for k, v in self._lines.items() if k[0] != index}
                        top = round(self.scroll_y)
                        width = self.scrollable_content_region.width
                        self.refresh(Region(0, index - top, width, 1))
                    return

    @work(thread=True, exclusive=True, group="navigator-count")
    def _count(
        self, generation: int, filt: ParagraphFilter, select_id: int | None, follow: bool
    ) -> None:
        try:
            total = queries.count(self.store, filt)
            position = (
                queries.position_of(self.store, select_id, filt) if select_id is not None else None
            )
        except LayerkitError as exc:  # (a server gone: said in a dialog, the list kept as it was)
            self.app.call_from_thread(self._not_counted, generation, select_id, follow, exc)
            return
        self.app.call_from_thread(self._counted, generation, total, position, follow)

    def _not_counted(
        self, generation: int, select_id: int | None, follow: bool, error: LayerkitError
    ) -> None:
        """The count could not be read (the server gone): said, and counted again at the next
        :meth:`refresh_rows` (the poll's, once the server answers), not left at the count of
        the list before."""
        if generation == self._generation:
            self._recount = (select_id, follow)
        self.app.show_error(error)  # type: ignore[attr-defined]

    def _counted(self, generation: int, total: int, position: int | None, follow: bool) -> None:
        if generation != self._generation:
            return
        self.total = total
        self.virtual_size = Size(self.size.width, total)
        self._update_title()
        if position is None and not follow:
            # The open paragraph left the list: keep the cursor where it was, which now shows
            # the paragraph that came after it.
            position = min(self.cursor, max(total - 1, 0))
            self.set_cursor(position, announce=False)
        else:
            self.set_cursor(position if position is not None else 0, announce=position is None)
        # The new virtual size takes effect at the next layout; scroll to the cursor after it.
        self.call_after_refresh(self._scroll_to_cursor)
        self.refresh()
        last = (total - 1) // PAGE
        if total > PAGE and last not in self._pages:
            # The end of the list is where people jump (End: where work stopped); its page,
            # read here in a thread, makes that jump a repaint instead of a query walking the
            # whole ordering index (OFFSET: ~10 ms at 100k paragraphs).
            self._fetch(generation, last, self.filter, ahead=True)

    def _update_title(self) -> None:
        what = []
        if self.filter.states:
            what.append(
                f"{self.filter.layer} {'/'.join(STATE_NAMES[s] for s in self.filter.states)}"
            )
        if self.filter.text:
            what.append(f"«{self.filter.text}»")
        set_border_title(self, f"{self.total} ¶" + (f" · {', '.join(what)}" if what else ""))

    def row(self, index: int) -> ParagraphRow | None:
        """The row at ``index`` if its page is loaded; otherwise start loading it."""
        if not 0 <= index < self.total:
            return None
        page = index // PAGE
        rows = self._pages.get(page)
        if rows is None:
            if self.filter.is_empty:
                try:
                    rows = queries.paragraph_page(self.store, page * PAGE, PAGE, self.filter)
                except DatabaseUnreachable:
                    # (read while the list is drawn: raised, it ended the app; the row stays
                    # blank, and the poll re-reads the rows once the server answers again)
                    return None
                self._store_page(page, rows)
            else:
                if page not in self._pending:
                    self._pending.add(page)
                    self._fetch(self._generation, page, self.filter)
                return None
        else:
            self._pages.move_to_end(page)
        offset = index - page * PAGE
        return rows[offset] if offset < len(rows) else None

    def _store_page(self, page: int, rows: list[ParagraphRow]) -> None:
        self._pages[page] = rows
        self._lines.clear()
        self._drop_old_pages()

    def _drop_old_pages(self) -> None:
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)

    @work(thread=True, group="navigator-page")
    def _fetch(
        self, generation: int, page: int, filt: ParagraphFilter, *, ahead: bool = False
    ) -> None:
        """Read a page in a thread: one the screen waits for, or (``ahead``) one read ahead."""
        try:
            rows = queries.paragraph_page(self.store, page * PAGE, PAGE, filt)
        except LayerkitError:
            self.app.call_from_thread(self._not_fetched, generation, page)
            return
        done = self._fetched_ahead if ahead else self._fetched
        self.app.call_from_thread(done, generation, page, rows)

    def _not_fetched(self, generation: int, page: int) -> None:
        """A page that could not be read (the server gone): its rows stay blank until drawn
        again. Not said: the notice line says the server does not answer, and a dialog here
        came back each time it was closed (closing it redraws the list, which reads again)."""
        if generation == self._generation:
            self._pending.discard(page)

    def _fetched_ahead(self, generation: int, page: int, rows: list[ParagraphRow]) -> None:
        """Keep a page read ahead, first in line to be dropped; nothing on screen changes."""
        if generation != self._generation or page in self._pages:
            return
        self._pages[page] = rows
        self._pages.move_to_end(page, last=False)
        self._drop_old_pages()

    def _fetched(self, generation: int, page: int, rows: list[ParagraphRow]) -> None:
        if generation != self._generation:
            return
        self._pending.discard(page)
        self._store_page(page, rows)
        if self._announce_pending and self.cursor // PAGE == page:
            self._announce()
        self.refresh()

    # --- cursor --------------------------------------------------------------------------------

    def set_cursor(self, index: int, *, announce: bool = True) -> None:
        """Move the cursor to a row, scroll it into view, and (optionally) open its paragraph."""
        if self.total == 0:
            self.cursor = 0
            if announce:
                self._announce()
            return
        before, top = self.cursor, round(self.scroll_y)
        self.cursor = max(0, min(index, self.total - 1))
        self._scroll_to_cursor()
        if announce:
            self._announce()
        if round(self.scroll_y) == top:
            # Not scrolled: only the two rows whose cursor mark changed need repainting.
            width = self.scrollable_content_region.width
            for row in (before, self.cursor):
                self.refresh(Region(0, row - top, width, 1))
        else:
            self.refresh()

    def _scroll_to_cursor(self) -> None:
        height = max(self.scrollable_content_region.height, 1)
        top = round(self.scroll_y)
        if self.cursor < top:
            target = self.cursor
        elif self.cursor >= top + height:
            target = self.cursor - height + 1
        else:
            return
        self.scroll_to(y=target, animate=False, immediate=True)
        # Textual scrolls no view whose scrollbar is not shown yet, and after a reload it
        # appears only at the next layout, which may come after this: the list would stay at
        # its top with the cursor below it. Scroll again once the bar is there.
        self._scroll_pending = round(self.scroll_y) == top

    _scroll_pending = False

    def watch_show_vertical_scrollbar(self, shown: bool) -> None:
        if shown and self._scroll_pending:
            self._scroll_pending = False
            self.call_later(self._scroll_to_cursor)

    def _announce(self) -> None:
        """Tell the screen which paragraph the cursor is on (once its page is loaded)."""
        row = self.row(self.cursor)
        self._announce_pending = row is None and self.total > 0
        paragraph_id = row.id if row is not None else -1 if self.total == 0 else None
        if paragraph_id is None:
            return
        if self.on_highlight is not None:
            self.on_highlight(paragraph_id)
        else:
            tell_screen(self, ParagraphHighlighted(paragraph_id))

    def action_cursor(self, step: int) -> None:
        self.set_cursor(self.cursor + step)

    def action_page(self, step: int) -> None:
        self.set_cursor(self.cursor + step * max(self.scrollable_content_region.height - 1, 1))

    def action_jump(self, where: int) -> None:
        self.set_cursor(0 if where == 0 else self.total - 1)

    def action_choose(self) -> None:
        row = self.row(self.cursor)
        if row is not None:
            tell_screen(self, ParagraphChosen(row.id))

    # --- rendering -----------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        index = round(self.scroll_y) + y
        width = self.line_width
        if index >= self.total:
            return Strip.blank(width, self.rich_style)
        key = (index, index == self.cursor, self.looks_focused, width)
        strip = self._lines.get(key)
        if strip is None:
            strip = self._render_row(index, width)
            if self.row(index) is not None:
                if len(self._lines) > 4 * MAX_PAGES * PAGE:
                    self._lines.clear()
                self._lines[key] = strip
        return strip

    def _render_row(self, index: int, width: int) -> Strip:
        row = self.row(index)
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        if row is None:
            line.append("  …", Style(dim=True))
        else:
            for layer in self.layer_names:
                glyph, glyph_style = STATE_GLYPHS.get(row.state(layer), STATE_GLYPHS["todo"])
                line.append(glyph, glyph_style)
            line.append(" ")
            line.append(row.preview.replace("\n", " "))
        if index == self.cursor:
            cursor_style = (
                Style(reverse=True) if self.looks_focused else Style(bold=True, dim=False)
            )
            line.stylize(cursor_style)
        line.truncate(width, overflow="ellipsis", pad=True)
        return Strip(line.render(self.app.console)).apply_style(self.rich_style)
