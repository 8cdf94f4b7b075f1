"""Edit the attributes of one annotation: a discourse relation's connective (text), a
factuality's evidential (a choice, completed as typed: → takes it) and negated (yes/no), ...

Every value is typed in an input, so the same few keys work for every kind; what cannot be
stored (a choice not in the schema, a yes/no that is neither) is said under the inputs and
nothing is saved until it is fixed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.cells import cell_len
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label, Static

from layerkit.schema.models import Attribute
from layerkit.tui.screens.dimmed import DimmingModal

YES = ("yes", "y", "true", "да", "1")
NO = ("no", "n", "false", "нет", "0", "")
EDITABLE_TYPES = ("str", "choice", "bool", "int")


def shown_value(attribute: Attribute, value: object) -> str:
    """A stored value as the input shows it."""
    if attribute.type == "bool":
        return "yes" if value is True else "no"
    return "" if value is None else str(value)


def parse_value(attribute: Attribute, text: str) -> object:
    """What was typed, as the attribute stores it; ``ValueError`` saying why it cannot be."""
    text = text.strip()
    if attribute.type == "bool":
        if text.lower() in YES:
            return True
        if text.lower() in NO:
            return False
        raise ValueError(f"{attribute.name}: «{text}» is not yes or no.")
    if attribute.type == "choice":
        if text == "" and not attribute.required:
            return ""
        matches = [c for c in attribute.choices if c.lower() == text.lower()]
        if not matches:
            raise ValueError(f"{attribute.name}: one of {', '.join(attribute.choices)}.")
        return matches[0]
    if attribute.type == "int":
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{attribute.name}: «{text}» is not a whole number.") from None
    return text


class AttributesModal(DimmingModal[dict[str, object] | None]):
    """One input per attribute; enter saves them all (one edit), escape closes unchanged."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Close without saving"),
        Binding("down", "app.focus_next", "Next field", show=False),
        Binding("up", "app.focus_previous", "Previous field", show=False),
    ]

    def __init__(self, title: str, attributes: Sequence[Attribute], values: dict[str, object]):
        super().__init__()
        self.title_text = title
        self.attributes = list(attributes)
        self.values = {a.name: shown_value(a, values.get(a.name)) for a in self.attributes}

    def compose(self) -> ComposeResult:
        with Vertical(id="attributes-box") as box:
            box.border_title = self.title_text
            box.border_subtitle = "⏎ save · esc cancel · ↑↓ field"
            # the names' column as wide as the longest name and a space (the token editor's
            # 7 cells cut "connective" to "connect" and ran it into its value)
            names = max((cell_len(a.name) for a in self.attributes), default=0) + 1
            for attribute in self.attributes:
                with Horizontal(classes="token-row"):
                    label = Label(attribute.name, classes="token-label")
                    label.styles.width = max(names, 7)
                    yield label
                    choices = (
                        list(attribute.choices)
                        if attribute.type == "choice"
                        else ["yes", "no"]
                        if attribute.type == "bool"
                        else []
                    )
                    yield Input(
                        self.values.get(attribute.name, ""),
                        id=f"attribute-{attribute.name}",
                        compact=True,
                        select_on_focus=True,
                        suggester=SuggestFromList(choices, case_sensitive=False)
                        if choices
                        else None,
                    )
                help_text = attribute.description
                if attribute.type == "choice":
                    help_text = f"{help_text} ({' / '.join(attribute.choices)})".strip()
                elif attribute.type == "bool":
                    help_text = f"{help_text} (yes / no)".strip()
                if help_text:
                    yield Static(help_text, classes="attribute-help", markup=False)
            yield Static("", id="attributes-error", markup=False)

    def entered(self) -> dict[str, object]:
        """The typed values as stored; ``ValueError`` naming the first that cannot be."""
        return {
            a.name: parse_value(a, self.query_one(f"#attribute-{a.name}", Input).value)
            for a in self.attributes
        }

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            values = self.entered()
        except ValueError as exc:
            self.query_one("#attributes-error", Static).update(str(exc))
            return
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)
