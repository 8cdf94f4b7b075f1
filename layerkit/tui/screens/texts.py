"""The free-text editor: implicature and other paragraph notes, unfolding texts of a unit.

Closing it, by ctrl+s or escape, saves: typed text is never thrown away by a wrong key, and a
text saved by mistake is one ctrl+z away. An emptied text is deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, TextArea

from layerkit.tui.editing import TextSlot


class TextsModal(ModalScreen[list[str]]):
    """One multi-line editor per text slot; dismissed with the texts, in slot order."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s,escape", "save", "Save and close"),
    ]

    def __init__(self, title: str, slots: Sequence[TextSlot]) -> None:
        super().__init__()
        self.title_text = title
        self.slots = list(slots)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="texts-box") as box:
            box.border_title = self.title_text
            box.border_subtitle = "ctrl+s / escape: save and close"
            for i, slot in enumerate(self.slots):
                yield Label(slot.title, classes="text-title")
                yield TextArea(slot.value, id=f"text-{i}", soft_wrap=True, classes="text-edit")

    def on_mount(self) -> None:
        self.query(TextArea).first().focus()

    def action_save(self) -> None:
        self.dismiss([self.query_one(f"#text-{i}", TextArea).text for i in range(len(self.slots))])
