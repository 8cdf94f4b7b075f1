"""One frame per key: repaints wait until what a key set off has been handled.

Textual paints on a frame timer. A key that opens a dialog, moves the focus or changes what a
screen shows sets off a chain of messages (mount, focus, blur, resize, style updates), and the
timer often fires in the middle of that chain: the screen is then painted two or three times,
each time a frame later, and the key's result is on screen only after the last one (30-45 ms
here where one frame would take 10). ``KeyFrames`` holds repaints (Textual's ``batch_update``)
from a key's arrival until every message queue of the app has been empty for ``QUIET_TURNS``
turns of the event loop, or ``MAX_HOLD`` seconds have passed, so the result is painted once.

While repaints are held Textual runs ``call_after_refresh`` callbacks at once, before any
paint: code that must run after a layout should not rely on them during a key's handling
(tests/test_tui.py checks the navigator's scroll-to-cursor, the one such use here).

Widgets that refresh during the hold hand their idle pass to it (``defer_idle``,
widgets/frame_idle.py): it runs their refresh checks as the hold ends, one call each instead of
a turn of each one's message queue. Work that only decides what is painted, and would be done
again each time something changes during a key (the key bar's line, redone on each change of
the bindings: two or three a key), is put off to the end of the hold too (``before_paint``)
and done once.

Once the key's frame is painted, ``after_frame`` runs (the app's young garbage collections, see
``idle_gc.py``): work that must not delay the key, done before the next one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from textual.app import App, ScreenStackError
from textual.message_pump import MessagePump
from textual.widget import Widget

#: never hold repaints longer than this, whatever keeps the queues busy (a timer, a stream)
MAX_HOLD = 0.04
#: turns of the event loop with every queue empty before the hold ends
QUIET_TURNS = 5


def _busy(app: App[Any]) -> bool:
    try:
        screen = app.screen
    except ScreenStackError:  # closing: nothing left to wait for
        return False
    pumps = [app, *app.screen_stack, *screen.walk_children()]
    # ``_message_queue`` is Textual's own; a pump without one counts as quiet (the hold ends)
    queues = (getattr(pump, "_message_queue", None) for pump in pumps)
    return any(queue is not None and not queue.empty() for queue in queues)


class KeyFrames:
    """Holds an app's repaints while a key's consequences are being handled."""

    def __init__(self, app: App[Any], after_frame: Callable[[], None] | None = None) -> None:
        self.app = app
        self.after_frame = after_frame
        self._hold: AbstractContextManager[None] | None = None
        self._task: asyncio.Task[None] | None = None
        #: widgets whose idle pass waits for the end of the hold (in the order they asked)
        self._idle: dict[Widget, None] = {}
        #: callbacks to run once as the hold ends, before the idle passes (in the order asked)
        self._before_paint: dict[Callable[[], None], None] = {}

    @property
    def holding(self) -> bool:
        return self._hold is not None

    def key_arrived(self) -> None:
        """Call as a key event arrives, before it is dispatched."""
        if self._hold is not None:
            return  # the hold under way covers this key too
        self._hold = self.app.batch_update()
        self._hold.__enter__()
        self._task = asyncio.get_running_loop().create_task(self._release_when_quiet())

    async def _release_when_quiet(self) -> None:
        started = time.perf_counter()
        try:
            quiet = 0
            while quiet < QUIET_TURNS and time.perf_counter() - started < MAX_HOLD:
                await asyncio.sleep(0)
                quiet = 0 if _busy(self.app) else quiet + 1
        finally:
            self.release()

    def defer_idle(self, widget: Widget) -> bool:
        """Take ``widget``'s idle pass (its refresh check) until the hold ends; False when no
        key is being held (the widget then posts its own)."""
        if self._hold is None:
            return False
        self._idle[widget] = None
        return True

    def before_paint(self, callback: Callable[[], None]) -> bool:
        """Run ``callback`` once as the hold ends, however often it is asked for during the
        hold (an equal bound method counts as the same); False when no key is being held
        (the caller then does its work at once)."""
        if self._hold is None:
            return False
        self._before_paint[callback] = None
        return True

    def _run_before_paint(self) -> None:
        """The callbacks asked for during the hold. One that fails is reported as Textual
        reports any callback's error; the hold ends all the same (a hold left on would
        freeze the screen)."""
        while self._before_paint:  # a callback may ask for another
            callbacks, self._before_paint = self._before_paint, {}
            for callback in callbacks:
                try:
                    callback()
                except Exception as error:  # handed to Textual, which reports it as its own
                    self.app._handle_exception(error)

    def _run_deferred_idle(self) -> None:
        """The idle pass of each widget that deferred it: what Textual's ``Widget._on_idle``
        does (``_check_refresh``: post an ``Update`` to the screen for a repaint, a ``Layout``
        for a new layout), or, should a version of Textual lack it, the widget's own prompt."""
        widgets, self._idle = self._idle, {}
        for widget in widgets:
            if widget._closing or widget._closed:
                continue
            check = getattr(widget, "_check_refresh", None)
            if callable(check):
                check()
            else:
                MessagePump.check_idle(widget)

    def release(self) -> None:
        if self._hold is None:
            return
        # still holding: what these callbacks refresh hands its idle pass to the hold
        self._run_before_paint()
        hold, self._hold = self._hold, None
        assert hold is not None
        self._run_deferred_idle()
        hold.__exit__(None, None, None)
        # Ending a batch wakes the app, not the screen: a screen that went idle during the hold
        # (and so left its repaint for later) must be woken, or nothing is painted until the
        # next key, whose own hold would put it off again.
        try:
            screen = self.app.screen
        except ScreenStackError:  # no screen yet, or the app is closing
            return
        screen.check_idle()
        if self.after_frame is not None:
            self.app.call_after_refresh(self._after_paint)

    def _after_paint(self) -> None:
        """Run ``after_frame`` on the loop's next turn: the frame is painted by now, and every
        other callback waiting for it (a test's, a bench's) runs first."""
        if self.after_frame is not None:
            asyncio.get_running_loop().call_soon(self.after_frame)
