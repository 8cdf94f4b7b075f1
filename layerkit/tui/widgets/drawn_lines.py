"""Lines of Rich text drawn once and kept by what they show.

Drawing a line (styling a copy of the text, cutting it to the width, rendering it to
segments) costs some 50 µs; panels show the same lines again and again (after an edit most
rows of the side panel move by a line, a dialog opened again shows its lines again), so each
drawing is kept under a key of everything it depends on.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip


class DrawnLines:
    """Drawings by key, emptied whenever ``kept`` of them have piled up."""

    def __init__(self, kept: int) -> None:
        self.kept = kept
        self._strips: dict[Hashable, Strip] = {}

    def draw(
        self,
        key: Hashable,
        text: Text,
        over: Iterable[Style],
        width: int,
        style: Style,
        console: Console,
    ) -> Strip:
        """``text`` with the styles ``over`` laid on it, cut or padded to ``width`` cells, in
        the widget's ``style``; as drawn before under ``key`` when it was."""
        strip = self._strips.get(key)
        if strip is None:
            line = text.copy()
            for layer in over:
                line.stylize(layer)
            line.truncate(width, overflow="ellipsis", pad=True)
            strip = Strip(line_segments(line, console)).apply_style(style)
            if len(self._strips) >= self.kept:
                self._strips.clear()
            self._strips[key] = strip
        return strip

    def clear(self) -> None:
        self._strips.clear()


def line_segments(line: Text, console: Console) -> list[Segment]:
    """A one-line text's segments, in its own style too: Rich's ``Text.render`` applies the
    text's base style only along with spans, so a text styled as a whole (the token table's
    dim header) would be drawn plain."""
    if line.spans:
        return list(line.render(console))
    return [Segment(line.plain, console.get_style(line.style))] if line.plain else []
