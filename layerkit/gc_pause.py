"""Pausing Python's cyclic garbage collector during bulk work that makes no cycles.

Why: the collector runs by allocation counts, and each of its full passes walks every object
alive. Once the tagger is loaded that is millions of them (pymorphy3's dictionary wrappers,
navec's vocabulary, the per-form caches that grow as a file is tagged), so tagging the four UD
files (55.6k words) in one process ran five full passes, 0.5 s of its 10 s, and pausing the
collector for the call made the run 0.65-0.9 s faster. Objects are still freed by reference
counting as soon as they are unused; only reference cycles wait for the collector, and tagging
makes almost none (about 300 objects over those files, measured with ``gc.collect()``), so
memory stays where it was (peak RSS 356 MB either way).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def paused_gc() -> Iterator[None]:
    """The collector paused inside, as it was after (nested and concurrent pauses end when
    the outermost one does)."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()


@contextmanager
def relaxed_gc() -> Iterator[None]:
    """Run the collector's young-generation pass every million allocations instead of every
    700 inside (its older passes follow from it, so they all but stop).

    For bulk work that keeps a batch of small objects alive and makes few reference cycles, but
    may make some (SQLAlchemy's), so the collector must still run. An export reads a few
    thousand objects a paragraph: with the default thresholds the collector rescanned them
    thousands of times (a third of the export's time; with a threshold of 100k still a tenth).
    ``layerkit preannotate`` stores tens of thousands of suggestions with the tagger loaded:
    740 passes, 6 of them full ones over every object alive, cost its process about 0.6 s of
    its 3 s of CPU (four runs each way).
    """
    old = gc.get_threshold()
    gc.set_threshold(1_000_000, old[1], old[2])
    try:
        yield
    finally:
        gc.set_threshold(*old)
