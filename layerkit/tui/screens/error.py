"""The error dialog: a LayerkitError's title, message and hint, never a traceback."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Button, Static

from layerkit.errors import LayerkitError
from layerkit.tui.screens.dimmed import DimmingModal


class ErrorModal(DimmingModal[None]):
    """Shows one error until dismissed (enter or escape); nothing was changed by the failed edit."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,space", "dismiss", "Close"),
    ]
    AUTO_FOCUS = "#error-ok"  # (Textual's: focused when shown, not looked up by us)

    def __init__(self, error: LayerkitError) -> None:
        super().__init__()
        self.error = error

    def compose(self) -> ComposeResult:
        with Vertical(id="error-box") as box:
            box.border_subtitle = "enter / esc: close"
            yield Static(self.error.title, id="error-title", markup=False)
            yield Static(self.error.message, id="error-message", markup=False)
            if self.error.hint:
                yield Static(self.error.hint, id="error-hint", markup=False)
            yield Button("OK", id="error-ok", variant="error")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
