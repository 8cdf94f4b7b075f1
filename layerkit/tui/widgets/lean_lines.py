"""A widget's lines framed (padding, side borders, line filters) without Textual's per-line pass.

For every line it paints, Textual's ``StylesCache.render_line`` reads the widget's border,
outline, padding, hatch, tint and opacity rules afresh, builds the border's box segments and
styles, pads the content, wraps the result in a new ``Strip`` and then runs the app's line
filters over it: 70-100 µs a line here, most of a key's painting when a key changes a panel's
thirty lines (a new paragraph, another layer, a jump in the navigator).

``LeanLines`` works that frame out once per change of style, size or titles and applies it to
each content line with a few list operations; a line whose content strip it framed before (in
the same row, or in another: the navigator's rows after a jump to the end of the list and
back) is handed back as it was framed. Only what it can frame exactly is taken over: the content
rows of a widget with plain side borders and padding, and no tint, opacity, text opacity,
hatch or outline. The border rows (titles) and padding rows, and every row of a widget styled
otherwise, still go through Textual's own path, so what reaches the screen is the same
(tests/test_tui.py, ``test_lean_lines_are_textuals_own_drawing``, compares both ways, line by
line, in every state a run of keys leads to).

List it after the widget's Textual base class, like :class:`.style_cache.CachedRichStyle`.
"""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from rich.style import Style as RichStyle
from textual._border import get_box
from textual.filter import LineFilter
from textual.geometry import Region
from textual.strip import Strip
from textual.style import Style
from textual.widget import Widget

from layerkit.tui.widgets.style_cache import ancestry_style_key


class _Frame:
    """What surrounds each content row of a widget in one styling: worked out once."""

    __slots__ = (
        "background",
        "content_bottom",
        "content_height",
        "content_top",
        "content_width",
        "filters",
        "inner",
        "key",
        "left",
        "right",
        "width",
    )

    def __init__(self, widget: Widget, key: tuple[Any, ...]) -> None:
        styles = widget.styles
        self.key = key
        self.width, height = widget.region.size
        gutter = styles.gutter
        self.content_top = gutter.top
        self.content_bottom = height - gutter.bottom
        self.content_width, self.content_height = widget.content_region.size
        base_background, background = widget.background_colors
        self.background = background
        inner_style = Style(background=base_background + background)
        outer_style = Style(background=base_background)
        self.inner: RichStyle = inner_style.rich_style
        _pad_top, pad_right, _pad_bottom, pad_left = styles.padding
        (_, (border_right, right_color), _, (border_left, left_color)) = styles.border
        left: list[Segment] = []
        right: list[Segment] = []
        if border_left:
            left_style = Style(foreground=base_background + left_color)
            left.append(get_box(border_left, inner_style, outer_style, left_style)[1][0])
        if pad_left:
            left.append(Segment(" " * pad_left, self.inner))
        if pad_right:
            right.append(Segment(" " * pad_right, self.inner))
        if border_right:
            right_style = Style(foreground=base_background + right_color)
            right.append(get_box(border_right, inner_style, outer_style, right_style)[1][2])
        self.left = left
        self.right = right
        self.filters: list[LineFilter] = list(widget.get_line_filters())

    def look(self, widget: Widget) -> tuple[Any, ...]:
        """Everything this frame puts around a content row, and what Textual draws the
        border rows from, by value: two stylings with the same look frame and edge every row
        alike (a panel losing the focus and getting it back: see :class:`LeanLines`)."""
        styles = widget.styles
        return (
            self.width,
            self.content_top,
            self.content_bottom,
            self.content_width,
            self.content_height,
            self.background,
            self.inner,
            tuple(self.left),
            tuple(self.right),
            tuple(id(f) for f in self.filters),
            widget.background_colors,
            widget.rich_style,
            tuple(styles.border),
            styles.border_title_color,
            styles.border_title_background,
            styles.border_title_style,
            styles.border_title_align,
            styles.border_subtitle_color,
            styles.border_subtitle_background,
            styles.border_subtitle_style,
            styles.border_subtitle_align,
        )


def _frameable(widget: Widget) -> bool:
    """Whether :class:`_Frame` gives exactly what Textual's path would for the content rows:
    nothing but side borders, padding and background around them."""
    styles = widget.styles
    if styles.tint.a or styles.text_opacity != 1.0 or widget.opacity != 1.0:
        return False
    if styles.has_rule("hatch") and styles.hatch != "none":
        return False
    return not any(edge for edge, _ in styles.outline)


class LeanLines(Widget):
    """``render_lines`` with content rows framed by :class:`_Frame`, the rest by Textual."""

    _lean_frame: _Frame | None = None
    #: y -> (the content strip framed, the framed and filtered line, None), or for a border
    #: or padding row (None, Textual's drawing of it, the title of its edge when drawn)
    _lean_rows: dict[int, tuple[Strip | None, Strip, object]]
    #: id(content strip) -> (that strip, its framed line), whatever row it was in (the strip
    #: is held, so its id is not reused while it is kept); emptied when it reaches
    #: FRAMED_KEPT; one per look (below)
    _lean_framed: dict[int, tuple[Strip, Strip]]
    FRAMED_KEPT = 512
    #: (y, the title's text and spans) -> Textual's drawing of that border row: a title that
    #: comes back (the paragraph jumped back to, a count back after an undo) is not drawn
    #: again (some 120-200 µs a row); emptied at EDGES_KEPT; one per look (below)
    _lean_edges: dict[tuple[int, object], Strip]
    EDGES_KEPT = 64
    #: look (:meth:`_Frame.look`) -> the frame and the three drawings above made in it. A
    #: style change gives a new frame key (Textual's style counters never repeat), but a
    #: panel that gets its focus back (tab, shift+tab) has its old look again, and finds its
    #: rows framed as they were instead of framing every row and drawing both border rows
    #: again (about 1 ms of each focus key). Emptied at LOOKS_KEPT.
    _lean_looks: dict[tuple[Any, ...], tuple[_Frame, dict, dict, dict]]
    LOOKS_KEPT = 4

    def _lean_frame_now(self) -> _Frame | None:
        """The frame for the widget's current styles, or None where Textual must draw."""
        app = self.app
        key = (
            ancestry_style_key(self),
            self.region.size,
            self.content_region.size,
            id(app.ansi_theme),
            tuple(id(f) for f in app.get_line_filters()),
        )
        frame = self._lean_frame
        if frame is not None and frame.key == key:
            return frame
        if not _frameable(self):
            self._lean_rows, self._lean_framed, self._lean_edges = {}, {}, {}
            self._lean_frame = None
            return None
        frame = _Frame(self, key)
        look = frame.look(self)
        looks = self.__dict__.setdefault("_lean_looks", {})
        kept = looks.get(look)
        if kept is None:
            if len(looks) >= self.LOOKS_KEPT:
                looks.clear()
            kept = looks[look] = (frame, {}, {}, {})
        else:
            kept[0].key = key
        self._lean_frame, self._lean_rows, self._lean_framed, self._lean_edges = kept
        return self._lean_frame

    @property
    def line_width(self) -> int:
        """The width of a content line (``scrollable_content_region.width``), worked out once
        per :meth:`render_lines` call rather than once per line (some 25 µs each time)."""
        width = self._lean_line_width
        return self.scrollable_content_region.width if width is None else width

    _lean_line_width: int | None = None

    def render_lines(self, crop: Region) -> list[Strip]:
        frame = self._lean_frame_now()
        if frame is None or (self.auto_links and self.hover_style._link_id):
            # Textual's path: it also styles the link under the mouse
            return super().render_lines(crop)
        self._lean_line_width = self.scrollable_content_region.width
        try:
            strips = [self._lean_row(frame, y) for y in crop.line_range]
        finally:
            self._lean_line_width = None
        x1, x2 = crop.column_span
        if (x1, x2) != (0, frame.width):
            strips = [strip.crop(x1, x2) for strip in strips]
        return strips

    def _lean_row(self, frame: _Frame, y: int) -> Strip:
        rows = self._lean_rows
        seen = rows.get(y)
        if not frame.content_top <= y < frame.content_bottom:
            # A border or padding row: Textual's own drawing, kept while the title of its edge
            # (the border title above the content, the subtitle below) is the same object
            # (titles are assigned only when they change: titles.py).
            title = self._border_title if y < frame.content_top else self._border_subtitle
            if seen is not None and seen[0] is None and seen[2] is title:
                return seen[1]
            edge = (y, None if title is None else (title.plain, tuple(title.spans)))
            strip = self._lean_edges.get(edge)
            if strip is None:
                strip = super().render_lines(Region(0, y, frame.width, 1))[0]
                if len(self._lean_edges) >= self.EDGES_KEPT:
                    self._lean_edges.clear()
                self._lean_edges[edge] = strip
            rows[y] = (None, strip, title)
            return strip
        content_y = y - frame.content_top
        if content_y < frame.content_height:
            content = self.render_line(content_y)
        else:
            content = Strip.blank(frame.content_width, frame.inner)
        if seen is not None and seen[0] is content:
            return seen[1]
        strip = self._lean_framed_line(frame, content)
        rows[y] = (content, strip, None)
        return strip

    def _lean_framed_line(self, frame: _Frame, content: Strip) -> Strip:
        """A content line framed, or as framed before (whatever row it was in)."""
        framed = self._lean_framed
        known = framed.get(id(content))
        if known is not None and known[0] is content:
            return known[1]
        line = content.adjust_cell_length(frame.content_width, frame.inner)
        segments: list[Segment] = [*frame.left, *line, *frame.right]
        for line_filter in frame.filters:  # what Strip.apply_filter does, without its copy
            segments = line_filter.apply(segments, frame.background)
        strip = Strip(segments, frame.width)
        if len(framed) >= self.FRAMED_KEPT:
            framed.clear()
        framed[id(content)] = (content, strip)
        return strip

    def edges_ahead(self, title: str | None, subtitle: str | None) -> None:
        """Draw the top border row with ``title`` and the bottom one with ``subtitle`` (as
        ``set_border_title`` / ``set_border_subtitle`` will set them for a paragraph about to
        be shown), through Textual's own drawing, and keep them (``_lean_edges``): a title row
        is some 150 µs of a key that shows a new paragraph. The widget's own titles are put
        back, and Textual's cache of the rows drawn is emptied, so nothing shown changes."""
        if not self.is_mounted or not self.region:
            return
        frame = self._lean_frame_now()
        if frame is None:
            return
        shown = (self._border_title, self._border_subtitle)
        rows = ((0, "_border_title", title), (self.region.height - 1, "_border_subtitle", subtitle))
        try:
            for y, name, value in rows:
                content = None if value is None else self.render_str(value).expand_tabs(4)
                if content is not None:
                    content = content.split()[0]  # as Textual's title setter stores it
                edge = (y, None if content is None else (content.plain, tuple(content.spans)))
                if edge in self._lean_edges:
                    continue
                setattr(self, name, content)
                self._styles_cache.clear()  # it keeps rows drawn with the titles shown
                if len(self._lean_edges) >= self.EDGES_KEPT:
                    self._lean_edges.clear()
                self._lean_edges[edge] = super().render_lines(Region(0, y, frame.width, 1))[0]
        finally:
            self._border_title, self._border_subtitle = shown
            self._styles_cache.clear()  # and now the rows drawn with the titles ahead

    def frame_ahead(self, content: Strip) -> None:
        """Frame a content line that :meth:`render_line` is about to hand over (a drawing
        made ahead, while the annotator reads), so that painting it later finds it framed.
        Framed for the widget's styles now: if they change first, it is framed again."""
        if not self.is_mounted or not self.region:
            return
        frame = self._lean_frame_now()
        if frame is not None:
            self._lean_framed_line(frame, content)
