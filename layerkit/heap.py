"""Keeping freed memory in a process whose big temporary arrays come again and again.

Why: glibc's malloc gives each block from 128 KiB up its own ``mmap`` (the threshold grows with
use, to at most 32 MiB) and unmaps it when freed, so every length batch of the tagger (numpy
arrays of a few MiB: the windows of slovnet's convolutions, the BiLSTM's gates) faults in
fresh zeroed pages. One process tagging the four UD files (55.6k tokens) took 160k page faults,
about 0.3-0.6 s of its 7.5 s of CPU; with the thresholds below, 49k (those left are the
per-form caches growing) and the output is byte-identical.

The price is memory the process keeps after freeing it (up to ``TRIM_THRESHOLD`` at the top of
the heap) instead of giving it back, which only suits processes that do batch work and end:
tagging workers and the tagging calls that are big enough to be split over them. Elsewhere
(not glibc) nothing is changed.
"""

from __future__ import annotations

import ctypes
import sys
import threading

#: blocks from this size up still get their own mapping (a huge array is given back at once)
MMAP_THRESHOLD = 64 << 20
#: free memory at the top of the heap kept for reuse, up to this much
TRIM_THRESHOLD = 256 << 20

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

_lock = threading.Lock()
_done = False


def keep_freed_memory() -> bool:
    """Set glibc's thresholds (once per process; forked children inherit them). Returns
    whether they are set: False where malloc is not glibc's."""
    global _done
    with _lock:
        if _done:
            return True
        if not sys.platform.startswith("linux"):
            return False
        try:
            mallopt = ctypes.CDLL(None).mallopt
        except (OSError, AttributeError):  # musl and others have no mallopt
            return False
        mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        mallopt.restype = ctypes.c_int
        # the trim threshold first: setting the mmap threshold also fixes it (no more growth)
        _done = bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)) and bool(
            mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        )
        return _done
