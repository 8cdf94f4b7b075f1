"""Adjudication: the annotators' disagreements on a paragraph's layer, side by side.

Opening it merges what every copy agrees on into the gold (one undoable step; see
:mod:`layerkit.adjudication`), then lists each disagreement with every annotator's version,
named, and the gold's. One key takes a version (1 for the first annotator, 2 for the second,
...), ``x`` drops the unit, enter closes the dialog to edit the gold in the annotator as any
layer, ``n`` goes on to the next paragraph whose copies are all done. Every take and drop is one
edit of the adjudicator's, undone by ctrl+z like any other.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import events
from textual._time import get_time  # (the clock of events' ``time``)
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from layerkit import adjudication
from layerkit.errors import DatabaseUnreachable, LayerkitError
from layerkit.store import Store, queries
from layerkit.tui.screens.dimmed import DimmingModal


class UnitList(OptionList):
    """The units of the dialog: ``↑``/``↓`` stop at the first and the last, as every other list
    of the annotator does (Textual's OptionList goes round from the last to the first, and a
    long list read from the top then seemed to start over)."""

    def action_cursor_up(self) -> None:
        self._stop_at_end(-1)

    def action_cursor_down(self) -> None:
        self._stop_at_end(1)

    def _stop_at_end(self, step: int) -> None:
        if self.option_count == 0:
            return
        if self.highlighted is None:
            self.highlighted = 0 if step > 0 else self.option_count - 1
        else:
            self.highlighted = min(max(self.highlighted + step, 0), self.option_count - 1)


# What the dialog asks the screen below to do when it closes.
EDIT, NEXT, CLOSE = "edit", "next", "close"


class AdjudicationModal(DimmingModal[str]):
    """The open disagreements of one paragraph's layer; dismissed with EDIT, NEXT or CLOSE."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("enter", "edit", "Edit the gold here", show=False),
        Binding("x", "drop", "Drop"),
        Binding("n", "next", "Next ¶"),
        *(Binding(str(n), f"take({n})", f"Take {n}", show=False) for n in range(1, 10)),
    ]

    def __init__(
        self,
        store: Store,
        paragraph_id: int,
        layer: str,
        adjudicator: str,
        *,
        on_error: Callable[[LayerkitError], None],
        majority: int | None = None,
    ) -> None:
        super().__init__()
        self.majority = majority
        self.store = store
        self.paragraph_id = paragraph_id
        self.layer_name = layer
        self.adjudicator = adjudicator
        self.on_error = on_error
        self.merged: adjudication.MergeResult | None = None
        self.comparison: adjudication.Comparison | None = None
        self.units: list[adjudication.Unit] = []
        # units decided in this sitting (a drop leaves no gold to tell it by)
        self.visited: set[adjudication.UnitKey] = set()
        self._seen_event: int | None = None  # the newest event when the units were listed
        # When this paragraph's units were first on screen, and when the key being handled was
        # pressed (on Textual's clock): a take typed ahead while `n` was still opening this
        # dialog (it reads and merges the next paragraph) was meant for the one before, and
        # changed a gold nobody was looking at.
        self._shown_at = math.inf
        self._key_pressed_at = -math.inf

    def compose(self) -> ComposeResult:
        with Vertical(id="adjudicate-box") as box:
            box.border_title = f"Adjudicate {self.layer_name} · ¶ #{self.paragraph_id}"
            yield Static(id="adjudicate-summary")
            yield UnitList(id="adjudicate-list")
            yield Static(id="adjudicate-keys")

    def on_mount(self) -> None:
        try:
            comparison = adjudication.compare_copies(self.store, self.paragraph_id, self.layer_name)
            adjudication.require_done(comparison)
            self.merged = adjudication.merge_agreed(
                self.store,
                comparison,
                adjudicator=self.adjudicator,
                majority=self.majority,
                finish=False,
            )
        except LayerkitError as error:
            self.dismiss(CLOSE)
            self.on_error(error)
            return
        self.refresh_units()
        self.query_one(OptionList).focus()
        self.call_after_refresh(self._now_shown)
        poll = getattr(self.app, "poll_seconds", None)
        if poll:
            self.set_interval(poll, self._poll)

    def _now_shown(self) -> None:
        self._shown_at = get_time()

    def on_key(self, event: events.Key) -> None:
        # (keys reach the screen on their way to its bindings: the time they were pressed)
        self._key_pressed_at = event.time

    def _typed_ahead(self) -> bool:
        """Whether the key being handled was pressed before this paragraph was on screen
        (said, and not taken)."""
        if self._key_pressed_at >= self._shown_at:
            return False
        self.notify(
            "A key pressed before this paragraph was on screen was not taken: look, then "
            "press it again.",
            timeout=4,
        )
        return True

    def _poll(self) -> None:
        """Another adjudicator saved something: list the units as they are now (as the
        annotator's screen does; a decision on what they changed was refused as a conflict,
        but the dialog went on showing the unit open). A server that does not answer is said
        by the screen below."""
        try:
            latest = queries.last_event_id(self.store)
        except DatabaseUnreachable:
            return
        if self._seen_event is not None and latest != self._seen_event:
            highlighted = self.query_one("#adjudicate-list", OptionList).highlighted
            self.refresh_units(keep=highlighted or 0)
        self._seen_event = latest

    def refresh_units(self, keep: int = 0) -> None:
        """Compare again (the gold changed) and list the disagreements."""
        self._seen_event = queries.last_event_id(self.store)
        self.comparison = comparison = adjudication.compare_copies(
            self.store, self.paragraph_id, self.layer_name
        )
        self.units = comparison.disagreements(self.majority)
        names = comparison.annotators
        listing = self.query_one("#adjudicate-list", OptionList)
        listing.clear_options()
        for unit in self.units:
            listing.add_option(Option(self._line(unit, names, comparison.text)))
        if self.units:
            listing.highlighted = min(keep, len(self.units) - 1)
        open_units = [u for u in self.units if not self._done(u)]
        merged = self.merged
        summary = (
            f"{', '.join(names)}: {len(self.units)} disagreement(s), {len(open_units)} open"
            + (f"; {merged.agreed} agreed unit(s) merged" if merged is not None else "")
        )
        if comparison.gold_done:
            summary += ". The gold is done (ctrl+d in the annotator reopens it)."
        elif not self.units:
            summary += ". Nothing to decide: ctrl+d in the annotator marks the gold done."
        elif not open_units:
            # (a drop leaves nothing in the gold: the gold done is what says it was decided)
            summary += ". All decided: esc, then ctrl+d marks the gold done."
        self.query_one("#adjudicate-summary", Static).update(summary)
        keys = "  ".join(f"{i} {name}" for i, name in enumerate(names, start=1))
        self.query_one("#adjudicate-keys", Static).update(
            f"take: {keys}   x drop   enter edit the gold   n next ¶   esc close"
        )

    def _done(self, unit: adjudication.Unit) -> bool:
        gold_done = self.comparison is not None and self.comparison.gold_done
        return gold_done or unit.decided() or unit.key in self.visited

    def _line(self, unit: adjudication.Unit, names: list[str], text: str) -> Text:
        line = Text("✓ " if self._done(unit) else "• ", style="green" if self._done(unit) else "")
        line.append(unit.describe(text), style="bold")
        for i, name in enumerate(names, start=1):
            line.append(f"\n   {i} {name}: ", style="dim")
            version = unit.versions[name]
            line.append(
                adjudication.show(version),
                style="green" if version == unit.gold and self._done(unit) else "",
            )
        line.append("\n   gold: ", style="dim")
        line.append(adjudication.show(unit.gold))
        return line

    def _current(self) -> adjudication.Unit | None:
        listing = self.query_one("#adjudicate-list", OptionList)
        index = listing.highlighted
        if index is None or not 0 <= index < len(self.units):
            return None
        return self.units[index]

    def _decide(self, decide: Callable[[adjudication.Unit], object]) -> None:
        unit = self._current()
        if unit is None or self._typed_ahead():
            return
        index = self.units.index(unit)
        try:
            decide(unit)
        except LayerkitError as error:
            self.on_error(error)
            return
        self.visited.add(unit.key)
        self.refresh_units(keep=self._next_open(index))

    def _next_open(self, index: int) -> int:
        """The first open disagreement after ``index`` (else ``index``): keys move on."""
        for later in range(index + 1, len(self.units)):
            if not self._done(self.units[later]):
                return later
        return index

    def action_take(self, number: int) -> None:
        comparison = self.comparison
        if comparison is None or not 1 <= number <= len(comparison.annotators):
            return
        name = comparison.annotators[number - 1]
        self._decide(
            lambda unit: adjudication.take(
                self.store, comparison, unit, name, adjudicator=self.adjudicator
            )
        )

    def action_drop(self) -> None:
        comparison = self.comparison
        if comparison is None:
            return
        self._decide(
            lambda unit: adjudication.drop(
                self.store, comparison, unit, adjudicator=self.adjudicator
            )
        )

    def action_edit(self) -> None:
        self.dismiss(EDIT)

    def action_next(self) -> None:
        self.dismiss(NEXT)

    def action_close(self) -> None:
        self.dismiss(CLOSE)
