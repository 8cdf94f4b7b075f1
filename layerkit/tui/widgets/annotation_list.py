"""Side panel: every annotation of the current layer, one line each, in text order.

Spans, sentence labels and tokens show their text; relations show both ends; paragraph labels
and free texts show their value. The entry under the text cursor is highlighted, so when spans
overlap it is clear which one ``delete`` acts on; focused, the panel is a second way to pick
one (enter selects it in the text, delete deletes it).

A line-API widget rather than an ``OptionList``: its virtual height never drops below the
panel's height, so showing another paragraph (another number of entries) repaints the panel
instead of laying out the whole screen, which would cost more than a frame.
"""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from layerkit.schema.models import LayerSchema
from layerkit.store import Annotation
from layerkit.tui.messages import AnnotationChosen, DeleteRequested
from layerkit.tui.model import ParagraphData
from layerkit.tui.rendering import LOW_CONFIDENCE, label_colour

SNIPPET = 40
_KIND_ORDER = {"token": 0, "span": 0, "label": 1, "relation": 2, "text": 3}


class AnnotationList(ScrollView, can_focus=True):
    """The current layer's annotations of the open paragraph."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
        Binding("enter", "choose", "Select in text", show=False),
        Binding(
            "delete,backspace",
            "delete",
            "Delete",
            key_display="del",
            tooltip="Delete the highlighted annotation",
        ),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._ids: list[int] = []
        self._versions: list[int] = []
        self._lines: list[Text] = []
        self._strips: dict[tuple[int, bool, bool, int], Strip] = {}
        self.highlighted: int | None = None

    def show(self, data: ParagraphData | None, schema: LayerSchema) -> None:
        """Fill the list with the layer's annotations of ``data``."""
        mine = (
            sorted(
                data.of_layer(schema.layer),
                key=lambda a: (_KIND_ORDER.get(a.kind, 9), a.start or 0, a.end or 0, a.id or 0),
            )
            if data is not None
            else []
        )
        self._ids = [a.id for a in mine if a.id is not None]
        self._versions = [a.version for a in mine if a.id is not None]
        self._lines = [_describe(a, data, schema) for a in mine if data is not None]
        self._strips.clear()
        self.border_title = f"{schema.title}: {len(self._ids)}"
        if not self._ids:
            self.highlighted = None
        elif self.highlighted is not None:
            self.highlighted = min(self.highlighted, len(self._ids) - 1)
        self._resize_virtual()
        self.refresh()

    @property
    def option_count(self) -> int:
        return len(self._ids)

    def highlight_annotation(self, annotation_id: int | None) -> None:
        """Highlight an annotation's line (the one under the text cursor)."""
        if annotation_id in self._ids:
            self.set_highlighted(self._ids.index(annotation_id))

    def set_highlighted(self, index: int | None) -> None:
        if index is not None and self._ids:
            index = max(0, min(index, len(self._ids) - 1))
            height = max(self.scrollable_content_region.height, 1)
            top = round(self.scroll_y)
            if index < top:
                self.scroll_to(y=index, animate=False, immediate=True)
            elif index >= top + height:
                self.scroll_to(y=index - height + 1, animate=False, immediate=True)
        if index != self.highlighted:
            self.highlighted = index
            self.refresh()

    @property
    def current_id(self) -> int | None:
        index = self.highlighted
        return self._ids[index] if index is not None and index < len(self._ids) else None

    # --- actions -----------------------------------------------------------------------------

    def action_cursor(self, step: int) -> None:
        self.set_highlighted((self.highlighted if self.highlighted is not None else -step) + step)

    def action_page(self, step: int) -> None:
        page = max(self.scrollable_content_region.height - 1, 1)
        self.set_highlighted((self.highlighted or 0) + step * page)

    def action_jump(self, where: int) -> None:
        self.set_highlighted(0 if where == 0 else len(self._ids) - 1)

    def action_choose(self) -> None:
        if self.current_id is not None:
            self.post_message(AnnotationChosen(self.current_id))

    def action_delete(self) -> None:
        index = self.highlighted
        if index is not None and index < len(self._versions):
            self.post_message(DeleteRequested(self._ids[index], self._versions[index]))

    # --- rendering -----------------------------------------------------------------------------

    def _resize_virtual(self) -> None:
        height = max(len(self._lines), self.scrollable_content_region.height)
        size = Size(self.scrollable_content_region.width, height)
        if size != self.virtual_size:
            self.virtual_size = size

    def on_resize(self, _event: events.Resize) -> None:
        self._strips.clear()
        self._resize_virtual()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def render_line(self, y: int) -> Strip:
        index = round(self.scroll_y) + y
        width = self.scrollable_content_region.width
        if index >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        key = (index, index == self.highlighted, self.has_focus, width)
        strip = self._strips.get(key)
        if strip is None:
            line = self._lines[index].copy()
            if index == self.highlighted:
                line.stylize(Style(reverse=True) if self.has_focus else Style(bold=True))
            line.truncate(width, overflow="ellipsis", pad=True)
            strip = Strip(line.render(self.app.console)).apply_style(self.rich_style)
            self._strips[key] = strip
        return strip


def _describe(a: Annotation, data: ParagraphData | None, schema: LayerSchema) -> Text:
    assert data is not None
    line = Text(no_wrap=True, overflow="ellipsis", end="")
    line.append("  ", Style(bgcolor=label_colour(schema, a.field, a.label)))
    # ✓: a person's; ·: a model's suggestion, not yet confirmed.
    line.append(" ✓ " if a.origin == "human" else " · ", Style(dim=a.origin != "human"))
    if a.kind == "token":
        form = data.text[a.start or 0 : a.end or 0]
        low = a.confidence is not None and a.confidence < LOW_CONFIDENCE
        line.append(_pad(form, 12), Style(color="yellow") if low else Style())
        line.append(_pad(str((a.attrs or {}).get("lemma", "")), 12))
        line.append(_pad(a.label or "?", 5), Style(bold=True))
        feats = (a.attrs or {}).get("feats") or "_"
        line.append(str(feats), Style(dim=True))
        return line
    line.append(a.label or a.field, Style(bold=True))
    if a.kind in ("span", "label") and a.start is not None:
        line.append(f" «{_snippet(data.text[a.start : a.end or a.start])}»")
    elif a.kind == "label":
        line.append(f" ({a.field})", Style(dim=True))
    elif a.kind == "relation":
        source = data.by_id(a.source_id or -1)
        target = data.by_id(a.target_id or -1)
        line.append(f" {_end(source, data)} → {_end(target, data)}")
    elif a.kind == "text":
        anchor = data.by_id(a.source_id or -1)
        if a.label:
            line.append(f" ({a.field})", Style(dim=True))
        if anchor is not None:
            line.append(f" on {_end(anchor, data)}", Style(dim=True))
        line.append(f": {_snippet(a.value or '')}")
    return line


def _end(a: Annotation | None, data: ParagraphData) -> str:
    if a is None or a.start is None:
        return "?"
    return f"{a.label} «{_snippet(data.text[a.start : a.end or a.start], 16)}»"


def _pad(text: str, cells: int) -> str:
    """Left-align in terminal cells: a stress mark takes none, so ``len`` would misalign."""
    return text + " " * max(1, cells - cell_len(text) + 1)


def _snippet(text: str, limit: int = SNIPPET) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
