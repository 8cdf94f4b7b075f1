"""Edit the text attributes of one annotation (a discourse relation's connective, ...)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from layerkit.schema.models import Attribute


class AttributesModal(ModalScreen[dict[str, str] | None]):
    """One input per attribute; enter saves them all (one edit), escape closes unchanged."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Close without saving"),
        Binding("down", "app.focus_next", "Next field", show=False),
        Binding("up", "app.focus_previous", "Previous field", show=False),
    ]

    def __init__(self, title: str, attributes: Sequence[Attribute], values: dict[str, str]):
        super().__init__()
        self.title_text = title
        self.attributes = list(attributes)
        self.values = dict(values)

    def compose(self) -> ComposeResult:
        with Vertical(id="attributes-box") as box:
            box.border_title = self.title_text
            box.border_subtitle = "⏎ save · esc cancel · ↑↓ field"
            for attribute in self.attributes:
                with Horizontal(classes="token-row"):
                    yield Label(attribute.name, classes="token-label")
                    yield Input(
                        self.values.get(attribute.name, ""),
                        id=f"attribute-{attribute.name}",
                        compact=True,
                        select_on_focus=True,
                    )
                if attribute.description:
                    yield Static(attribute.description, classes="attribute-help", markup=False)

    def entered(self) -> dict[str, str]:
        return {
            a.name: self.query_one(f"#attribute-{a.name}", Input).value.strip()
            for a in self.attributes
        }

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(self.entered())

    def action_cancel(self) -> None:
        self.dismiss(None)
