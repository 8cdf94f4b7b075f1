"""A key taken by a binding at once, where Textual would walk it through the widget tree first.

Textual hands a key to the focused widget, which passes it to its parent, and so on up to the
app (one trip through each one's message queue), and only then looks for a binding from the
focused widget up. Before the screen's or the text view's action starts, a key here has made
five such trips, and a label key, whose binding posts a message that climbs back to the
screen, nine: 0.6 and 1.2 ms of a key's 4-7 ms at 100k paragraphs (bench/tui_latency.py).

The trips only matter to a widget on the way that handles keys itself (``on_key``, a
``key_<name>`` method: a text input does). Where none does, the binding found at the end is
the one found at the start, so :func:`bound_at_once` runs it at once and the key goes no
further. Anywhere else (an input focused, a dialog reading keys) it does nothing, and the key
takes Textual's road.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.app import App
from textual.dom import DOMNode
from textual.events import Key
from textual.widget import Widget

_HANDLERS: dict[type, bool] = {}


def handles_keys_itself(node: DOMNode, names: Sequence[str]) -> bool:
    """Whether ``node`` does anything with a key called ``names`` (the key's name and its
    aliases, ``Key.name_aliases``) but run bindings: a handler of every key (``on_key``, or
    its own ``_on_key``), or a ``key_<name>`` method (Textual's screen clears a text
    selection on escape so)."""
    cls = type(node)
    every = _HANDLERS.get(cls)
    if every is None:
        base = App if issubclass(cls, App) else Widget
        own = getattr(cls, "_on_key", None)
        every = _HANDLERS[cls] = hasattr(cls, "on_key") or own is not base._on_key
    return every or any(
        hasattr(cls, f"key_{name}") or hasattr(cls, f"_key_{name}") for name in names
    )


async def bound_at_once(app: App[Any], event: Key) -> bool:
    """Run the binding of ``event``'s key now, if nothing between the focused widget and the
    screen would handle the key before bindings are looked for; whether a binding took it."""
    focused = app.focused
    if focused is None:
        return False
    names = event.name_aliases
    node: DOMNode | None = focused
    while node is not None and node is not app:
        if handles_keys_itself(node, names):
            return False
        node = node.parent
    # The app's bindings are looked for before its own handlers (App._on_key) in Textual too.
    key = event.key
    return await app._check_bindings(key, priority=True) or await app._check_bindings(key)
