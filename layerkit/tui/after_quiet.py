"""Run something once things have been quiet for a moment: a timer that keys put off.

Why not a Textual timer stopped and set again on every key (the usual debounce): each
``set_timer`` makes an asyncio task, and each stopped one is cancelled on a later turn of the
loop, which a key that opens a paragraph paid twice (the position to save, the next paragraph
to read ahead). Here the first poke sets one timer; when it fires, it waits again for what is
left of the quiet time after the last poke, and only then runs the callback.
"""

from __future__ import annotations

from collections.abc import Callable
from time import monotonic

from textual.message_pump import MessagePump
from textual.timer import Timer


class AfterQuiet:
    """Calls ``callback`` once ``delay`` seconds have passed without a :meth:`poke`."""

    def __init__(self, owner: MessagePump, delay: float, callback: Callable[[], object]) -> None:
        self._owner = owner
        self._delay = delay
        self._callback = callback
        self._timer: Timer | None = None
        self._poked = 0.0  # (time.monotonic) of the last poke

    @property
    def pending(self) -> bool:
        return self._timer is not None

    def poke(self) -> None:
        """Something happened: run the callback ``delay`` seconds after the last of these."""
        self._poked = monotonic()
        if self._timer is None:
            self._timer = self._owner.set_timer(self._delay, self._fire)

    def stop(self) -> None:
        """Forget the pokes: the callback does not run (until the next poke)."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _fire(self) -> None:
        self._timer = None
        left = self._delay - (monotonic() - self._poked)
        if left > 0.001:
            self._timer = self._owner.set_timer(left, self._fire)
            return
        self._callback()
