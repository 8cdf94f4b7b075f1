"""Full garbage collections only while the annotator is not typing.

CPython's automatic collector now and then walks the whole heap (generation 2); with Textual's
render caches that takes 70-130 ms on a 2-core machine, and it lands on whatever key happens to
be pressed: measured in bench/tui_latency.py, it alone lifted the 95th-percentile keypress
latency from about 30 ms to over 100 ms. Here the young generations are still collected
automatically (a millisecond or so), the startup heap is frozen out of collection, and full
collections wait for a pause between keys, when nobody is looking.
"""

from __future__ import annotations

import gc
import time

#: a pause this long (seconds) without a key is when a full collection may run
IDLE_SECONDS = 0.8
#: young-generation collections since the last full one before a full one is worth doing
MIN_PENDING = 3
#: gen-2 threshold while the app runs: high enough that CPython never starts one on its own
NO_AUTOMATIC_FULL = 1_000_000


class IdleCollector:
    """Holds back automatic full collections and runs them when the keyboard is idle."""

    def __init__(self) -> None:
        self._saved: tuple[int, int, int] | None = None
        self.last_key = time.monotonic()
        self.collections = 0

    def start(self) -> None:
        if self._saved is not None:
            return
        self._saved = gc.get_threshold()
        gen0, gen1, _ = self._saved
        gc.collect()
        gc.freeze()  # modules, schemas, widgets built at startup: never garbage, never walked
        gc.set_threshold(gen0, gen1, NO_AUTOMATIC_FULL)

    def key_pressed(self) -> None:
        self.last_key = time.monotonic()

    def tick(self) -> None:
        """Called on a timer: collect if the keyboard has rested and there is work pending."""
        if self._saved is None or time.monotonic() - self.last_key < IDLE_SECONDS:
            return
        if gc.get_count()[2] < MIN_PENDING:
            return
        gc.collect()
        self.collections += 1

    def stop(self) -> None:
        """Give the process its collector back as it was."""
        if self._saved is None:
            return
        gc.set_threshold(*self._saved)
        gc.unfreeze()
        self._saved = None
