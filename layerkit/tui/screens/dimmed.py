"""The screen under a dialog, dimmed with each style's tint worked out once.

A dialog (a Textual ``ModalScreen``) draws the screen below it through Textual's
``BackgroundScreen``, which tints every segment of every line: a new style (``style +
Style.from_color(...)``, colours blended) per segment, several thousand per drawing. The
drawing is made again whenever the dialog's own layout changes, and it was most of what
opening a dialog cost. The tint of a style depends only on the style and the dialog's
background colour: :class:`DimmedBackground` keeps it, and gives exactly Textual's segments
(tests/test_tui_units.py compares both). The annotator's dialogs (token editor, attributes,
texts, confirmations, errors, help) use it; the relation dialog, opened on every link, is not
a screen at all (:mod:`layerkit.tui.widgets.relation_picker`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar, TypeVar

from rich.console import RenderableType
from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.renderables.background_screen import BackgroundScreen
from textual.screen import ModalScreen

ResultType = TypeVar("ResultType")
_MISSING = Style()

#: tinted styles kept (a screen uses a few hundred; the cache is emptied when full)
TINTS_KEPT = 4096


class DimmedBackground(BackgroundScreen):
    """Textual's ``BackgroundScreen`` with each style's tint kept."""

    _tints: ClassVar[dict[tuple[Style | None, Color], Style | None]] = {}

    @classmethod
    def process_segments(cls, segments: Iterable[Segment], color: Color) -> Iterable[Segment]:
        tints = cls._tints
        process = super().process_segments
        for segment in segments:
            text, style, control = segment
            if control:
                yield segment
                continue
            key = (style, color)
            tinted = tints.get(key, _MISSING)
            if tinted is _MISSING:
                if len(tints) >= TINTS_KEPT:
                    tints.clear()
                # Textual's own tint of this one style, kept for the next segment that has it
                tinted = tints[key] = next(iter(process([Segment(" ", style)], color))).style
            yield Segment(text, tinted)


class DimmingModal(ModalScreen[ResultType]):
    """A dialog whose background is drawn by :class:`DimmedBackground`: subclass it where a
    dialog would subclass ``ModalScreen``."""

    def render(self) -> RenderableType:
        drawn = super().render()
        if type(drawn) is BackgroundScreen:
            return DimmedBackground(drawn.screen, drawn.color)
        return drawn
