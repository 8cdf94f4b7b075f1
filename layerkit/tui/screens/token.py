"""Edit one token's analysis: lemma, UPOS and FEATS, each an input that completes as you type.

The completion shows greyed after the cursor and → takes it: UPOS from the schema's labels,
FEATS a whole reading's or the next ``Name=Value``, lemmas from pymorphy3's readings of the
form (read in a thread: the first one loads the dictionaries). Enter saves all three as one
edit, so one ctrl+z takes it back; what cannot be stored (an unknown UPOS, a malformed FEATS)
is said under the inputs and nothing is saved until it is fixed. Escape closes without saving.
While the editor is open, what is typed is handed to ``keep_draft`` a moment after each change
(the annotator keeps it in the store, as the free-text editor's), so a crash or a killed
terminal loses no more than the last fraction of a second of it.

The readings are numbered: before anything is typed, a digit takes that reading whole and
saves it, so correcting a token to another of its readings is two keys (enter, digit).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.suggester import Suggester
from textual.timer import Timer
from textual.widgets import Input, Label, Static

from layerkit.model import is_suggestion
from layerkit.schema.models import SchemaField
from layerkit.tui.lexical import (
    TokenInputError,
    TokenRow,
    TokenValues,
    check_token_values,
    complete_feats,
    suggestions,
)
from layerkit.tui.screens.dimmed import DimmingModal


class Completer(Suggester):
    """A suggester over a function, so its candidates can arrive after the input is shown."""

    def __init__(self, complete: Callable[[str], str | None]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.complete = complete

    async def get_suggestion(self, value: str) -> str | None:
        return self.complete(value)


def complete_from(value: str, candidates: Sequence[str], *, keep_typed: bool = True) -> str | None:
    """The first candidate that extends ``value`` (case ignored): with what was typed kept (a
    lemma's case is the annotator's), or as the candidate spells it (UPOS is upper case)."""
    if not value:
        return None
    folded = value.casefold()
    for candidate in candidates:
        if candidate.casefold().startswith(folded) and len(candidate) > len(value):
            return value + candidate[len(value) :] if keep_typed else candidate
    return None


class TokenEditor(DimmingModal[TokenValues | None]):
    """Lemma, UPOS and FEATS of one token; dismissed with the checked values, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Close without saving"),
        Binding("down", "app.focus_next", "Next field", show=False),
        Binding("up", "app.focus_previous", "Previous field", show=False),
    ]

    # How long after a change the draft is written (as the free-text editor's).
    DRAFT_DELAY = 0.25

    def __init__(
        self,
        field: SchemaField,
        token: TokenRow,
        where: str,
        inventory: Sequence[str],
        typed: TokenValues | None = None,
        keep_draft: Callable[[tuple[str, str, str]], None] | None = None,
    ) -> None:
        """``typed``: the values to show instead of the token's (what was typed before a save
        the server could not take, or a draft a crash left). ``keep_draft(values)``: called
        with the three fields as typed, a moment after a change."""
        super().__init__()
        self.keep_draft = keep_draft
        self._draft_timer: Timer | None = None
        self.field = field
        self.token = token
        self.typed = typed
        self.where = where
        self.inventory = list(inventory)
        self.lemmas: list[str] = []
        self.readings_feats: list[str] = []
        self.readings: list[tuple[str, str, str]] = []  # (lemma, UPOS, FEATS), numbered 1..
        self.initial: tuple[str, str, str] | None = None

    def compose(self) -> ComposeResult:
        token = self.token
        upos = list(self.field.label_names)
        with Vertical(id="token-box") as box:
            box.border_title = f"«{token.form}» · {self.where}"
            box.border_subtitle = "⏎ save · esc cancel · → completes · ↑↓ field"
            typed = self.typed
            for name, value, complete in (
                (
                    "lemma",
                    typed.lemma if typed else token.lemma,
                    lambda v: complete_from(v, self.lemmas),
                ),
                (
                    "UPOS",
                    typed.upos if typed else token.upos,
                    lambda v: complete_from(v, upos, keep_typed=False),
                ),
                (
                    "FEATS",
                    typed.feats if typed else token.feats if token.annotation is not None else "_",
                    lambda v: complete_feats(v, self.readings_feats, self.inventory),
                ),
            ):
                with Horizontal(classes="token-row"):
                    yield Label(name, classes="token-label")
                    yield Input(
                        value,
                        id=f"token-{name.lower()}",
                        suggester=Completer(complete),
                        compact=True,
                        select_on_focus=False,
                    )
            yield Static(self._origin(), id="token-origin", markup=False)
            yield Static("", id="token-readings", markup=False)
            yield Static("", id="token-error", markup=False)

    def _origin(self) -> str:
        a = self.token.annotation
        if a is None:
            return "No analysis yet: saving adds one."
        if a.origin == "adjudicated":
            return f"Adjudicated by {a.annotator}."
        if not is_suggestion(a.origin):
            return f"Confirmed by {a.annotator}."
        confidence = f", confidence {a.confidence:.2f}" if a.confidence is not None else ""
        return f"Suggested by {a.origin}{confidence}; saving makes it yours."

    def on_mount(self) -> None:
        self.initial = self.values()
        # The lemma input has the focus as the first one (auto focus): focusing it here could
        # take it back from a field a fast ↓ already moved to.
        self._suggest(self.token.form)

    @work(thread=True, exclusive=True)
    def _suggest(self, form: str) -> None:
        try:
            found = suggestions(form)
        except (ImportError, OSError) as exc:
            self.app.call_from_thread(self._show_readings, [], [], [], f"no suggestions: {exc}")
            return
        self.app.call_from_thread(
            self._show_readings, list(found.lemmas), list(found.feats), list(found.readings), ""
        )

    def _show_readings(
        self, lemmas: list[str], feats: list[str], readings: list[str], note: str
    ) -> None:
        self.lemmas, self.readings_feats = lemmas, feats
        self.readings = [_reading(r) for r in readings][:9]
        shown = (
            "\n".join(f"{i} {' '.join(r)}" for i, r in enumerate(self.readings, start=1))
            if self.readings
            else f"· {note}"
        )
        title = "pymorphy3 readings (a digit takes one and saves):"
        try:
            self.query_one("#token-readings", Static).update(f"{title}\n{shown}")
        except NoMatches:
            return  # closed before the readings came: nothing to show them in

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        """A digit typed first, into a field nobody has touched, takes that reading instead
        (and saves it); anything else is just typing (digits too: ``Person=1``)."""
        if self.initial is None:
            return
        if (
            self.keep_draft is not None
            and self._draft_timer is None
            and self.values() != self.initial  # (the inputs say Changed as they are shown)
        ):
            # written DRAFT_DELAY after the first change not yet written, whatever comes next
            self._draft_timer = self.set_timer(self.DRAFT_DELAY, self._keep_draft)
        if not self.readings:
            return
        values = self.values()
        changed = [(now, was) for now, was in zip(values, self.initial, strict=True) if now != was]
        if len(changed) != 1:
            return
        now, was = changed[0]
        if len(now) == len(was) + 1 and now.startswith(was) and now[-1] in "123456789":
            number = int(now[-1])
            if number <= len(self.readings):
                event.stop()
                self.take_reading(number - 1)

    def take_reading(self, index: int) -> None:
        """Fill the fields with reading ``index`` and save it (or say why it cannot be)."""
        lemma, upos, feats = self.readings[index]
        for name, value in (("lemma", lemma), ("upos", upos), ("feats", feats)):
            self.query_one(f"#token-{name}", Input).value = value
        self._save()

    def values(self) -> tuple[str, str, str]:
        return (
            self.query_one("#token-lemma", Input).value,
            self.query_one("#token-upos", Input).value,
            self.query_one("#token-feats", Input).value,
        )

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._save()

    def _keep_draft(self) -> None:
        self._draft_timer = None
        if self.keep_draft is not None and self.is_attached:
            self.keep_draft(self.values())

    def _stop_drafting(self) -> None:
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None

    def _save(self) -> None:
        try:
            checked = check_token_values(self.field, *self.values())
        except TokenInputError as exc:
            self.query_one("#token-error", Static).update(f"{exc.message} {exc.hint}")
            return
        self._stop_drafting()
        self.dismiss(checked)

    def action_cancel(self) -> None:
        self._stop_drafting()
        self.dismiss(None)


def _reading(text: str) -> tuple[str, str, str]:
    """``"lemma UPOS FEATS"`` (as :func:`suggestions` spells a reading) as its three parts."""
    lemma, _, rest = text.partition(" ")
    upos, _, feats = rest.partition(" ")
    return lemma, upos, feats or "_"
