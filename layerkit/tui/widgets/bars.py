"""The bars around the text: layer tabs, label keys, the key hints and the notice line.

They change on almost every key (a paragraph's states, the layer, the focused widget), so they
render their own text and only repaint: ``Static.update()`` or Textual's ``Footer`` (which
recomposes itself whenever bindings are refreshed) would lay out the whole screen each time,
several times the 16 ms a keypress may take. Their heights are fixed, so a change never
moves anything else on the screen.
"""

from __future__ import annotations

from collections.abc import Iterable
from time import monotonic

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.notifications import Notification
from textual.screen import Screen
from textual.strip import Strip
from textual.timer import Timer
from textual.visual import Visual, visualize
from textual.widget import _RenderCache

from layerkit.schema.models import LayerSchema
from layerkit.tui.keymap import KeyMap
from layerkit.tui.rendering import RecentRenders, label_colour
from layerkit.tui.widgets.drawn_lines import line_segments
from layerkit.tui.widgets.frame_idle import RefreshAfterKey
from layerkit.tui.widgets.navigator import STATE_GLYPHS


class TextBar(RefreshAfterKey):
    """A widget showing one Rich ``Text``, repainted (not re-laid out) when it changes.

    The lines Textual renders for the last few texts are kept (:meth:`_render_content`): the
    bars switch between a handful of texts (one per layer, per focused widget), and turning a
    Text into lines is most of what repainting a bar costs.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = Text()
        self._recent: RecentRenders[list[Strip]] = RecentRenders()

    def set_text(self, text: Text) -> None:
        if text != self.text:
            self.text = text
            self.refresh()

    def render(self) -> Text:
        return self.text

    def _render_content(self) -> None:
        """Textual's own rendering of the text (so the bar looks exactly as before), taken
        from the texts seen lately when this one, at this size and style, is among them."""
        key = (self.size, self.visual_style)
        strips = self._recent.find(self.text, key)
        if strips is not None:
            self._render_cache = _RenderCache(self.size, strips)
            self._dirty_regions.clear()
            return
        super()._render_content()
        self._recent.remember(self.text, key, list(self._render_cache.lines))

    def prerender(self, texts: list[Text]) -> None:
        """Render ``texts`` into the kept lines now, at this size and style, without showing
        them: the first switch to one of them then costs a repaint only."""
        key = (self.size, self.visual_style)
        width, height = self.size
        for text in texts:
            if text != self.text and self._recent.find(text, key) is None:
                visual = visualize(self, text, markup=self._render_markup)
                strips = Visual.to_strips(self, visual, width, height, self.visual_style)
                self._recent.remember(text, key, list(strips))


class LayerTabs(TextBar):
    """``1 Lexical ●  2 Semantic ◐ …``: the digit switches layer; the glyph is its state here.

    Where the tabs do not fit the width, the work order is left out, then the layers' titles
    are shortened (``1 Lex ●``), then left out (``1 ●``): every layer's digit and state stays
    on screen (at 60 columns the fifth tab was cut off whole)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown_with: tuple[tuple[LayerSchema, ...], str, dict[str, str], str, str] | None
        self._shown_with = None

    def show(
        self,
        layers: tuple[LayerSchema, ...],
        current: str,
        states: dict[str, str],
        order: str = "",
        annotator: str = "",
    ) -> None:
        self._shown_with = (layers, current, states, order, annotator)
        width = self.size.width
        # whole titles, without the work order, the titles' first letters, no titles
        for title_cells, shown_order in ((None, order), (None, ""), (3, order), (0, order)):
            line = _tabs(layers, current, states, shown_order, annotator, title_cells)
            if not width or cell_len(line.plain) <= width:
                break
        self.set_text(_first_cells(line, width) if width else line)

    def on_resize(self) -> None:
        if self._shown_with is not None:
            self.show(*self._shown_with)


def _tabs(
    layers: tuple[LayerSchema, ...],
    current: str,
    states: dict[str, str],
    order: str,
    annotator: str,
    title_cells: int | None,
) -> Text:
    """The tabs' line, each layer's title cut to ``title_cells`` (None: whole; 0: no title)."""
    line = Text(no_wrap=True, overflow="ellipsis")
    if annotator:  # who is annotating: undo, conflicts and the place kept are theirs
        line.append(f" {annotator} ", Style(bold=True))
        line.append("│")
    for number, schema in enumerate(layers, start=1):
        glyph, glyph_style = STATE_GLYPHS.get(
            states.get(schema.layer, "todo"), STATE_GLYPHS["todo"]
        )
        active = schema.layer == current
        title = schema.title if title_cells is None else schema.title[:title_cells]
        name = f" {number} {title} " if title else f" {number} "
        tab = Text(name, Style(reverse=True, bold=True) if active else "")
        tab.append(glyph, glyph_style)
        tab.append(" ")
        line.append_text(tab)
    if order:  # the work order ctrl+t follows (ctrl+o switches it)
        line.append(f" {order}", "dim")
    return line


class LabelBar(TextBar):
    """The layer's label keys, field by field, coloured as in the text.

    Wrapped here, not by Rich, so a key is never separated from its label at a line end. Its
    height is that of the layer needing the most lines, so switching layers never moves the
    text (nor costs a layout).
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._chunks: dict[str, list[Text]] = {}
        self._layer = ""
        self._wrapped_at: tuple[int, dict[str, Text]] | None = None  # (width, layer → keys)

    def configure(self, layers: tuple[LayerSchema, ...], keymaps: dict[str, KeyMap]) -> None:
        self._chunks = {schema.layer: _chunks(schema, keymaps[schema.layer]) for schema in layers}
        self._wrapped_at = None
        self._fit()

    def show(self, layer: str) -> None:
        self._layer = layer
        found = self._wrapped().get(layer)
        self.set_text(found if found is not None else _wrap([], self._width()))

    def on_resize(self) -> None:
        self._fit()
        self.show(self._layer)
        # every layer's keys at the new width, once the screen is painted: a layer's first
        # switch then costs a repaint, not a render (1.5-3 ms)
        self.call_after_refresh(self._prerender_layers)

    def _prerender_layers(self) -> None:
        self.prerender(list(self._wrapped().values()))

    def _width(self) -> int:
        return max(self.content_region.width, 20)

    def _wrapped(self) -> dict[str, Text]:
        """Every layer's keys wrapped at the bar's width: what sizes the bar, what a layer
        switch shows and what is rendered ahead (wrapped again only when the width changes)."""
        width = self._width()
        if self._wrapped_at is None or self._wrapped_at[0] != width:
            wrapped = {layer: _wrap(chunks, width) for layer, chunks in self._chunks.items()}
            self._wrapped_at = (width, wrapped)
        return self._wrapped_at[1]

    def _fit(self) -> None:
        lines = max((t.plain.count("\n") + 1 for t in self._wrapped().values()), default=1)
        if self.styles.height is None or self.styles.height.value != lines:
            self.styles.height = lines


def _chunks(schema: LayerSchema, keymap: KeyMap) -> list[Text]:
    """``key LABEL`` pieces; a bar starts each field after the first (the help names them:
    names here would cost the pragmatic layer a fourth line at 80 columns)."""
    chunks: list[Text] = []
    for field_index, (field, entries) in enumerate(keymap.by_field().items()):
        for i, entry in enumerate(entries):
            chunk = Text("│ " if i == 0 and field_index else "", Style(dim=True))
            chunk.append(entry.key, Style(bold=True, color="bright_white"))
            chunk.append(" ")
            chunk.append(
                entry.label.name, Style(bgcolor=label_colour(schema, field, entry.label.name))
            )
            chunks.append(chunk)
    for i, step in enumerate(keymap.attribute_keys.values()):
        # attribute keys step the value of the span under the cursor (yes/no, next choice)
        chunk = Text("│ " if i == 0 and chunks else "", Style(dim=True))
        chunk.append(step.key, Style(bold=True, color="bright_white"))
        chunk.append(f" {step.attribute.name}", Style(italic=True))
        chunks.append(chunk)
    if not chunks:
        chunks.append(Text("No label keys on this layer (relations and texts come next)."))
    return chunks


def _wrap(chunks: list[Text], width: int) -> Text:
    out = Text(no_wrap=True, overflow="ellipsis")
    used = 0
    for chunk in chunks:
        cells = cell_len(chunk.plain)
        if used and used + 1 + cells > width:
            out.append("\n")
            used = 0
        elif used:
            out.append(" ")
            used += 1
        out.append_text(chunk)
        used += cells
    return out


_KEY_STYLE = Style(bold=True, color="yellow")
#: actions whose keys the key bar shows last: everyone knows them
_KNOWN = frozenset({"undo", "redo"})
_ENABLED = Style(dim=False)
_DISABLED = Style(dim=True)


class KeyBar(TextBar):
    """The bindings shown for the focused widget and the screen: ``^z Undo  ^y Redo …``.

    Textual announces a change of bindings several times in some keys (a layer's label keys,
    then the focus, then the action's end): while a key is handled the line is worked out once,
    as its frame is about to be painted (``KeyFrames.before_paint``), and a line whose shown
    bindings are those of the last one is not built again (working it out took 0.4-0.6 ms a
    time at 100k paragraphs)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        #: the shown bindings (binding, enabled) and the width the text was last built for
        self._shown: tuple[tuple[tuple[Binding, bool], ...], int] | None = None

    def on_mount(self) -> None:
        # immediate: redrawn as the bindings change, not a turn of this bar's queue later
        # (a callback posted to the bar would make it take that turn within each such key)
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed, immediate=True)
        self._show_bindings()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        frames = getattr(self.app, "key_frames", None)
        if frames is not None and frames.before_paint(self._show_bindings):
            return
        self._show_bindings()

    def _show_bindings(self) -> None:
        if not self.is_attached:
            return
        shown: list[tuple[Binding, bool]] = []
        seen: set[str] = set()
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.show or binding.description in seen:
                continue
            seen.add(binding.description)
            shown.append((binding, active.enabled))
        # Help first, as nano shows it, and undo/redo last (^z and ^y are what everyone
        # knows): where the line does not fit (the lexical layer's at 80 columns) its end is
        # left out, and the help lists every key
        shown.sort(key=lambda item: (item[0].action != "help", item[0].action in _KNOWN))
        width = self.size.width
        key = (tuple(shown), width)
        if key == self._shown:
            return
        self._shown = key
        chunks = []
        for binding, enabled in shown:
            chunk = Text(self.app.get_key_display(binding), _KEY_STYLE)
            chunk.append(f" {binding.description}", _ENABLED if enabled else _DISABLED)
            chunks.append(chunk)
        self.set_text(_whole_chunks(chunks, width))

    def on_resize(self) -> None:
        self._show_bindings()


def _whole_chunks(chunks: list[Text], width: int) -> Text:
    """``chunks`` joined by spaces, as many whole ones as fit in ``width`` cells (0: all),
    then a dim ``…`` where some were left out (a key is never shown without its name; the
    help, first, lists them all)."""
    line = Text(no_wrap=True, overflow="ellipsis")
    cells = [cell_len(chunk.plain) for chunk in chunks]
    fits = not width or sum(cells) + len(chunks) - 1 <= width
    room = width - (0 if fits else 2)  # (" …")
    used = 0
    for index, chunk in enumerate(chunks):
        needed = cells[index] + (1 if index else 0)
        if not fits and used + needed > room:
            line.append(" …", Style(dim=True))
            break
        if index:
            line.append(" ")
        line.append_text(chunk)
        used += needed
    return line


#: how each severity of notice is drawn (information in the bar's own colours)
_NOTICE_STYLES = {
    "information": Style(),
    "warning": Style(bold=True, color="yellow"),
    "error": Style(bold=True, color="red"),
}


class NoticeBar(TextBar):
    """The notice line at the foot of the screen: what the last actions said ("PREDICATE
    added: «…»", "Nothing to undo."), newest first, each gone when its time is up.

    Why a line of its own rather than Textual's toasts: a toast is a widget mounted for each
    notice (styled, laid out, and removed again by a timer), which cost 4-6 ms of every label
    or undo key here, and it covered the text and the side panel while it lasted. Here a
    notice repaints one line, and covers nothing; like vim's message line, it is always in
    the same place. The app keeps the notices themselves (Textual's ``notify`` and its list of
    notifications, so any code or plugin that calls ``notify`` shows here).
    """

    SEPARATOR = "  ·  "

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._expiry: Timer | None = None
        self._expiry_due = 0.0  # (time.monotonic) when the timer set fires
        self._shown: tuple[Notification, ...] = ()

    def show(self, notifications: Iterable[Notification]) -> None:
        """Show the notices that have not expired, newest first: where they do not all fit,
        the end of the line is cut, and with it the oldest."""
        live = tuple(n for n in notifications if not n.has_expired)
        self._shown = live
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        width = self.size.width
        for notification in reversed(live):
            if line:
                if width and cell_len(line.plain) > width:
                    break  # the older ones would not be seen (keys in a burst make dozens)
                line.append(self.SEPARATOR, Style(dim=True))
            # plain text (LayerkitApp.notify), on one line: a notice of several lines (the
            # label keys a schema could not have) made the bar two high and pushed the screen's
            # top line, the annotator's name and the layers, out of sight
            message = self.SEPARATOR.join(notification.message.split("\n"))
            if notification.title:
                message = f"{notification.title}: {message}"
            line.append(message, _NOTICE_STYLES.get(notification.severity, Style()))
        self.set_text(line)
        if not live:
            if self._expiry is not None:
                self._expiry.stop()
                self._expiry = None
            return
        # Shown again when the first of them expires. A timer already set for that moment or
        # before is kept (it shows the line again, and sets the next): a new notice expires
        # after the older ones, and a timer made per notice cost a label key 0.1 ms.
        delay = max(min(n.time_left for n in live), 0.0) + 0.01
        due = monotonic() + delay
        if self._expiry is not None and self._expiry_due <= due:
            return
        if self._expiry is not None:
            self._expiry.stop()
        self._expiry, self._expiry_due = self.set_timer(delay, self._expire), due

    def _expire(self) -> None:
        self._expiry = None
        self.show(self._shown)

    def _render_content(self) -> None:
        """The line drawn straight from its Rich text, in the bar's colours, cut at the width
        with an ellipsis. Textual's own path (made for wrapping, aligning and selecting text)
        took 0.7 ms of every label, link and undo key, whose notice is always a new text; this
        about 0.2 ms. (Textual also ignored the text's ``no_wrap``: a line too long was cut
        at its last whole word, without a mark that it goes on.)"""
        width, height = self.size
        line = _first_cells(self.text, width)
        segments = line_segments(line, self.app.console)
        strip = Strip(Segment.apply_style(segments, self.visual_style.rich_style))
        blank = Strip.blank(width, self.visual_style.rich_style)
        self._render_cache = _RenderCache(self.size, [strip, *[blank] * (height - 1)])
        self._dirty_regions.clear()


def _first_cells(text: Text, width: int) -> Text:
    """``text`` cut to ``width`` cells, with an ellipsis where it is longer. Cut roughly
    first: ``Text.truncate`` measures the whole text (0.3 ms for a long line of notices)."""
    end = min(len(text), 2 * width + 2)  # at least width + 1 cells, but for zero-width marks
    while end < len(text) and cell_len(text.plain[:end]) <= width:
        end = min(len(text), 2 * end)
    cut = text[:end] if end < len(text) else text.copy()
    cut.truncate(width, overflow="ellipsis")
    return cut
