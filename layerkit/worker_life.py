"""Worker processes that die with the process that forked them.

A parent killed with kill -9 cannot stop its workers: a worker waiting for its next task (on
a pipe, or on a lock of the pool's queue) would wait for good, holding the files it had open
(an export's half-written part files, the store's), their disk space not freed even once the
next run deleted them. Every worker layerkit forks calls :func:`die_with_parent` first.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal

PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies


def die_with_parent(parent: int) -> None:
    """Worker start-up: ask Linux to kill this worker when the process that forked it dies,
    and exit at once if it is already gone (it died before the request was made)."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to ask
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(0)
