"""A widget's refreshes during a key's handling, passed on when the key's frame is painted.

Textual passes a refresh on in two messages: ``refresh()`` posts a ``Prompt`` to the widget
itself, whose idle handler (``_check_refresh``) then posts an ``Update`` to the screen. Each is
a turn of a message queue, with an idle pass after it. A key that shows another paragraph or
layer refreshes four or five widgets here, so some ten such turns ran between the key's
handler and its paint (0.3-0.5 ms of a 5 ms key). While repaints are held for a key
(:class:`~layerkit.tui.frames.KeyFrames`), nothing is painted before the hold ends anyway:
``RefreshAfterKey`` hands its idle request to the key's frames instead of posting it, and the
frames run the widget's refresh check once, as they release the hold (the ``Update`` then goes
to the screen as before, and the screen paints the frame).

Only a plain idle request is handed over: a widget with a callback waiting for its idle pass
(``call_next``) or with messages still queued posts its ``Prompt`` as Textual does, and so does
any widget outside a key's hold (a timer, the mouse, a reload by the poll).

List it among the widget's bases after its Textual base class, like
:class:`.style_cache.CachedRichStyle`.
"""

from __future__ import annotations

from typing import Protocol

from textual.widget import Widget


class _Deferring(Protocol):
    def defer_idle(self, widget: Widget) -> bool: ...


class RefreshAfterKey(Widget):
    """``check_idle`` handed to the app's key frames while they hold repaints for a key."""

    def check_idle(self) -> None:
        if self._running and not self._next_callbacks and self._message_queue.empty():
            frames: _Deferring | None = getattr(self.app, "key_frames", None)
            if frames is not None and frames.defer_idle(self):
                return
        super().check_idle()
