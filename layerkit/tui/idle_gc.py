"""Garbage collection between keys, never while one is being handled.

CPython's automatic collector runs by allocation counts, so it lands on whatever key happens to
be allocating. Two kinds of collection matter here:

- Full collections (generation 2) walk the whole heap: with Textual's render caches that takes
  70-130 ms on a 2-core machine; measured in bench/tui_latency.py, they alone lifted the
  95th-percentile keypress latency from about 30 ms to over 100 ms. The startup heap is frozen
  out of collection, and full collections wait for a pause between keys, when nobody is looking.
- Young collections (generations 0 and 1) are short, but not free: a key that shows another
  paragraph makes up to 7,000 new objects, so the default threshold (700) ran a few
  generation-0 passes inside each such key and a generation-1 pass (1.3-1.9 ms) every two or
  three keys. They now run once the key's frame is painted (:meth:`IdleCollector.after_frame`,
  called by ``frames.KeyFrames``), with the same thresholds as CPython's own, counted between
  keys instead of inside them. At 100k paragraphs that took the annotator's p95 from 6.4-7.2
  ms to 5.8-6.0 ms (bench/tui_latency.py, this 2-core machine, same sitting). A key that makes
  more than :data:`AUTOMATIC_YOUNG` objects still gets an automatic collection, so memory is
  bounded however fast keys come.
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
#: gen-0 threshold while the app runs: young collections run after each key's frame; CPython
#: starts one itself only when a single key makes more new objects than this
AUTOMATIC_YOUNG = 20_000


class IdleCollector:
    """Holds back automatic collections: young ones run after a key's frame, full ones when the
    keyboard is idle."""

    def __init__(self) -> None:
        self._saved: tuple[int, int, int] | None = None
        self.last_key = time.monotonic()
        self.collections = 0  # full collections run
        self.young_collections = 0  # young collections run between keys

    def start(self) -> None:
        if self._saved is not None:
            return
        self._saved = gc.get_threshold()
        _, gen1, _ = self._saved
        gc.collect()
        gc.freeze()  # modules, schemas, widgets built at startup: never garbage, never walked
        gc.set_threshold(AUTOMATIC_YOUNG, gen1, NO_AUTOMATIC_FULL)

    def key_pressed(self) -> None:
        self.last_key = time.monotonic()

    def after_frame(self) -> None:
        """Run the young collection CPython would have run during the key, now that its frame
        is on screen: generation 0 once as many objects as its threshold have been made since
        the last one, generation 1 instead on every ``gen1``-th time (CPython's own rule)."""
        if self._saved is None:
            return
        gen0, gen1, _ = self._saved
        made, young_passes, _ = gc.get_count()
        if made < gen0:
            return
        gc.collect(1 if young_passes + 1 >= gen1 else 0)
        self.young_collections += 1

    def tick(self) -> None:
        """Called on a timer: a young collection if one is due (objects made by timers, the
        mouse, a reload), and a full one if the keyboard has rested and there is work pending."""
        if self._saved is None or time.monotonic() - self.last_key < IDLE_SECONDS:
            return
        self.after_frame()
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
