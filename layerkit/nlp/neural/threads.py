"""How many threads torch (training) or numpy's BLAS (tagging) should use: the cores nobody else
is using right now.

torch's OpenMP threads meet at a barrier after every parallel region, and the BiLSTM has
several per time step. When another process keeps a core busy, the thread that shares that
core is descheduled for whole time slices and the other one spins at the barrier meanwhile:
on a 2-core machine with one core taken, two threads tagged 10-15x slower (and burnt that
much more CPU) than one thread. So the tagger asks how many cores are free, and uses at most
that many threads. No torch import here: the sizing is plain /proc reading, testable alone.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

#: more threads than this gain nothing on the tagger's small batches
MAX_THREADS = 2


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def _running_total(loadavg: str) -> int:
    """Threads running or runnable machine-wide: the ``4/321`` field of /proc/loadavg."""
    return int(loadavg.split()[3].partition("/")[0])


def _own_running(task_dir: Path = Path("/proc/self/task")) -> int:
    """This process's threads that are running or runnable now (state R)."""
    n = 0
    for stat in task_dir.glob("*/stat"):
        try:
            # the state follows the command name, which is in parentheses and may hold spaces
            state = stat.read_text().rpartition(")")[2].split()[0]
        except (OSError, IndexError):
            continue
        n += state == "R"
    return n


def busy_elsewhere(samples: int = 3, interval: float = 0.002, ours: Sequence[int] = ()) -> float:
    """Threads of other processes that are running or waiting for a core, now; ``ours``:
    process ids that are not "other" either (this tagger's own worker processes, busy with
    the work the count is for: counted as busy, the tagger would leave their cores to them
    and tag alone, at half speed, while they sit idle).

    An instantaneous count (the median of a few samples a few milliseconds apart, so that a
    short-lived process does not count), not the load average: that trails by a minute, and
    would still count this program's own previous run. Without /proc, the one-minute load
    average is the best there is.
    """
    counts = []
    for i in range(samples):
        try:
            total = _running_total(Path("/proc/loadavg").read_text())
        except (OSError, ValueError, IndexError):
            try:
                return os.getloadavg()[0]
            except (AttributeError, OSError):
                return 0.0
        own = _own_running() + sum(_own_running(Path(f"/proc/{pid}/task")) for pid in ours)
        counts.append(max(0, total - own))
        if i + 1 < samples:
            time.sleep(interval)
    return float(statistics.median(counts))


def free_cores(
    cores: int | None = None, busy: float | None = None, ours: Sequence[int] = ()
) -> int:
    """Cores of :func:`usable_cores` that :func:`busy_elsewhere` leaves free (``ours``: see
    there); at least 1."""
    cores = usable_cores() if cores is None else cores
    busy = busy_elsewhere(ours=ours) if busy is None else busy
    return max(1, min(cores, cores - round(busy)))


def worker_processes(
    cores: int | None = None, busy: float | None = None, ours: Sequence[int] = ()
) -> int:
    """How many processes split a big tagging call: one per free core (:func:`free_cores`),
    and one more while others keep some core busy, at most one per usable core.

    Why one more: a process that shares a busy core still gets its fair share of it, and
    tagging processes never wait for each other (as BLAS threads do, which is why threads stay
    at the free cores). Measured on a 2-core machine with one core kept busy by another
    process, two processes tagged the four UD files in 6.0-6.25 s against 7.1-7.2 s for one
    (``preannotate`` 7.1-7.4 s against 8.5-8.8 s), 1.4x the idle time instead of 1.6x. The
    other program gives up a third of its core meanwhile; one more process, not one per
    core, keeps that bounded on a big machine that is mostly busy."""
    cores = usable_cores() if cores is None else cores
    free = free_cores(cores, busy, ours)
    return min(cores, free + 1) if free < cores else cores


def thread_count(requested: int | None = None) -> int:
    """The intra-op thread count to use: ``requested`` when given, else
    ``LAYERKIT_TORCH_THREADS`` when set, else the free cores, at most :data:`MAX_THREADS`."""
    if requested:
        return requested
    env = os.environ.get("LAYERKIT_TORCH_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    return min(MAX_THREADS, free_cores())


@lru_cache(maxsize=1)
def _openblas_setter() -> Any:
    """numpy's bundled OpenBLAS ``set_num_threads`` (what threadpoolctl calls), or None."""
    import ctypes
    import glob

    import numpy as np

    libs = Path(np.__file__).resolve().parent.parent / "numpy.libs"
    for lib in sorted(glob.glob(str(libs / "lib*openblas*.so*"))):
        try:
            handle = ctypes.CDLL(lib)  # already loaded by numpy: the same library, not a copy
        except OSError:
            continue
        for name in (
            "scipy_openblas_set_num_threads64_",
            "scipy_openblas_set_num_threads",
            "openblas_set_num_threads64_",
            "openblas_set_num_threads",
        ):
            fn = getattr(handle, name, None)
            if fn is not None:
                fn.argtypes = [ctypes.c_int]
                fn.restype = None
                return fn
    return None


_blas_threads: list[int] = []


def set_blas_threads(n: int) -> bool:
    """Let numpy's BLAS (OpenBLAS in numpy's wheels) use ``n`` threads; False when it cannot be
    told (another BLAS, another platform): then OPENBLAS_NUM_THREADS / OMP_NUM_THREADS rule.
    The same reasoning as for torch applies: OpenBLAS threads spin while they wait for work,
    so a thread on a busy core costs far more than it brings."""
    if _blas_threads and _blas_threads[0] == n:
        return True
    try:
        setter = _openblas_setter()
    except Exception:  # pragma: no cover - a numpy without the bundled library
        setter = None
    if setter is None:
        return False
    setter(n)
    _blas_threads[:] = [n]
    return True
