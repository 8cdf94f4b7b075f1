"""The free-text editor: implicature and other paragraph notes, unfolding texts of a unit.

Closing it, by ctrl+s or escape, saves: typed text is never thrown away by a wrong key, and a
text saved by mistake is one ctrl+z away. An emptied text is deleted. While the dialog is open,
what is typed is handed to ``keep_draft`` a moment after each change (the annotator keeps it in
the store), so a crash or a killed terminal loses no more than the last fraction of a second.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.timer import Timer
from textual.widgets import Label, TextArea

from layerkit.tui.editing import TextSlot
from layerkit.tui.screens.dimmed import DimmingModal


class TextsModal(DimmingModal[list[str]]):
    """One multi-line editor per text slot; dismissed with the texts, in slot order."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s,escape", "save", "Save and close"),
    ]

    # How long after a change the draft is written: at most this much typing is lost to a kill
    # (a write per key is not needed).
    DRAFT_DELAY = 0.25

    def __init__(
        self,
        title: str,
        slots: Sequence[TextSlot],
        *,
        values: Sequence[str] | None = None,
        keep_draft: Callable[[list[str]], None] | None = None,
        notes: Sequence[str | None] | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.slots = list(slots)
        #: per slot, a line shown above its editor (the text saved meanwhile by someone else)
        self.notes = list(notes) if notes is not None else [None] * len(self.slots)
        self.values = list(values) if values is not None else [s.value for s in self.slots]
        self.keep_draft = keep_draft
        self._draft_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="texts-box") as box:
            box.border_title = self.title_text
            box.border_subtitle = "ctrl+s / escape: save and close"
            for i, slot in enumerate(self.slots):
                yield Label(slot.title, classes="text-title")
                note = self.notes[i] if i < len(self.notes) else None
                if note:
                    yield Label(note, classes="text-note", markup=False)
                yield TextArea(self.values[i], id=f"text-{i}", soft_wrap=True, classes="text-edit")

    def on_mount(self) -> None:
        self.query(TextArea).first().focus()

    def texts(self) -> list[str]:
        return [self.query_one(f"#text-{i}", TextArea).text for i in range(len(self.slots))]

    def on_text_area_changed(self, _event: TextArea.Changed) -> None:
        # Written DRAFT_DELAY after the first change not yet written, whatever comes next: a
        # timer restarted by every key waited for a pause in the typing, and a steady typist
        # (a key every 0.2 s) lost everything typed to a kill, seconds of it.
        if self.keep_draft is None or self._draft_timer is not None:
            return
        self._draft_timer = self.set_timer(self.DRAFT_DELAY, self._keep_draft)

    def _keep_draft(self) -> None:
        self._draft_timer = None
        if self.keep_draft is not None and self.is_attached:
            self.keep_draft(self.texts())

    def action_save(self) -> None:
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None
        self.dismiss(self.texts())
