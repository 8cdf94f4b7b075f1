"""Tagging a big input on several cores: forked worker processes, each with the loaded tagger.

Why processes and not BLAS threads: the BiLSTM's time steps are many small matrix products,
and BLAS threads meet at a barrier after each one. Two threads on two idle cores gained
little, and with one core busy elsewhere they tagged 10-15x slower (see ``threads``). Whole
sentences, on the other hand, are independent: split a call's sentences into one shard per
process (one per free core, one more while another program keeps a core busy: see
``threads.worker_processes``), tag each shard start to end in its own process, one BLAS
thread each, and nothing is shared while they run.

Why fork: a worker must hold the model (about 300 MB with the navec vectors and the analyzer's
dictionary). Forked after loading, the workers share those pages with the parent instead of
loading them again (which would cost more CPU than a small input takes to tag). So processes
are used only where fork is safe: Linux, the numpy runtime (torch's thread pools do not
survive a fork), and inputs big enough to repay the pickling of sentences and results.

The pool is started on the first call that needs it and lives as long as the tagger (its
workers keep their per-form caches between calls); the parent tags one shard itself while
the workers tag the others, so no core waits. Two other uses: ``submit_shards`` puts every
shard on a worker and returns at once (``NeuralTagger.tag_later``: pre-annotation stores one
batch while the next is tagged), and ``ForkedJob`` runs work split one level up (``layerkit
tag`` cuts a file into parts, each read, tagged and written by one process).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import threading
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from itertools import accumulate, pairwise
from typing import Any, Generic, TypeVar

from layerkit.heap import keep_freed_memory
from layerkit.worker_life import die_with_parent

#: the environment variable that fixes the number of processes (1: never fork)
PROCESSES_ENV = "LAYERKIT_TAG_PROCESSES"
#: a call with fewer tokens than this is tagged in the calling process: below it, forking and
#: pickling cost about as much as the second core gains
MIN_PARALLEL_TOKENS = 2_000

Shard = list[list[str]]
TagSerial = Callable[[Sequence[Sequence[str]]], list[list[Any]]]

#: the tagging function a forked worker calls; set in the parent just before the fork
_worker_tag: TagSerial | None = None
#: the function a ``ForkedJob`` worker calls; set in the parent just before the fork
_forked_job: Callable[[Any], Any] | None = None
#: set while this process must tag in one process: it is a worker, or splits the work itself
_one_process = False

Arg = TypeVar("Arg")
Result = TypeVar("Result")


@contextmanager
def one_process() -> Iterator[None]:
    """Within it a tagger tags every call in this process (no pool of its own): for work that
    is already split over processes one level up (``ForkedJob``)."""
    global _one_process
    before, _one_process = _one_process, True
    try:
        yield
    finally:
        _one_process = before


def in_one_process() -> bool:
    """Whether taggers must tag in this process now (see ``one_process``)."""
    return _one_process


def _start_worker(parent: int) -> None:
    global _one_process
    die_with_parent(parent)
    _one_process = True  # a worker never forks workers of its own
    keep_freed_memory()  # a worker only tags, in big calls (see layerkit.heap)
    # A worker only tags, which makes no reference cycles (see layerkit.gc_pause): no
    # collector passes over the objects it was forked with, nor over those it makes.
    gc.freeze()
    gc.disable()


def _tag_in_worker(sentences: Shard) -> list[list[Any]]:
    assert _worker_tag is not None, "the worker was not forked from a tagger"
    return _worker_tag(sentences)


def fork_is_safe() -> bool:
    """Whether worker processes may be forked here: on Linux, from the main thread. A fork
    copies only the calling thread, so one made from a background thread (a server or an app
    that tags off its main thread) could copy a lock another thread holds, and the worker
    would hang on it. Elsewhere a big call is tagged in the calling process."""
    return (
        sys.platform == "linux"
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.current_thread() is threading.main_thread()
    )


def requested_processes(processes: int | None) -> int | None:
    """``processes`` when given, else ``LAYERKIT_TAG_PROCESSES`` when it is a positive
    number, else None (``threads.worker_processes``: the free cores, one more under load)."""
    if processes:
        return processes
    env = os.environ.get(PROCESSES_ENV, "").strip()
    return int(env) if env.isdigit() and int(env) > 0 else None


def split_by_tokens(lengths: Sequence[int], parts: int) -> list[range]:
    """Consecutive index ranges of ``lengths`` with about the same number of tokens each;
    never an empty one, so fewer than ``parts`` when there are fewer items."""
    n = len(lengths)
    parts = max(1, min(parts, n))
    cum = list(accumulate(lengths, initial=0))  # cum[i]: tokens before item i
    bounds = [0]
    for j in range(1, parts):
        target = cum[n] * j / parts
        # the cut nearest the target that leaves every range at least one item
        lo, hi = bounds[-1] + 1, n - (parts - j)
        i = min(max(bisect_left(cum, target), lo), hi)
        if i > lo and target - cum[i - 1] <= cum[i] - target:
            i -= 1
        bounds.append(i)
    bounds.append(n)
    return [range(a, b) for a, b in pairwise(bounds) if b > a]


class ProcessPool:
    """Worker processes forked from a loaded tagger; ``map_shards`` tags shards on them."""

    def __init__(self, tag_serial: TagSerial) -> None:
        self.tag_serial = tag_serial
        self._executor: ProcessPoolExecutor | None = None
        self._workers = 0

    def _pool(self, workers: int) -> ProcessPoolExecutor:
        if self._executor is None or self._workers < workers:
            self.close()
            global _worker_tag
            _worker_tag = self.tag_serial
            self._executor = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_start_worker,
                initargs=(os.getpid(),),
            )
            self._workers = workers
        return self._executor

    def map_shards(self, shards: list[Shard]) -> list[list[list[Any]]]:
        """Tag ``shards[0]`` here and the others in worker processes, at the same time."""
        if len(shards) < 2:
            return [self.tag_serial(shard) for shard in shards]
        pool = self._pool(len(shards) - 1)
        try:
            futures: list[Future[list[list[Any]]]] = [
                pool.submit(_tag_in_worker, shard) for shard in shards[1:]
            ]
        except BrokenProcessPool:
            futures = []
        here = self.tag_serial(shards[0])
        try:
            if futures:
                return [here, *(f.result() for f in futures)]
        except BrokenProcessPool:
            pass
        # no worker could take a shard (one died: killed, or out of memory): this call is
        # tagged here, and the next big one starts new workers
        return self._serial(shards, here)

    def submit_shards(self, shards: list[Shard]) -> Callable[[], list[list[list[Any]]]]:
        """Every shard on a worker process, this one left free for other work (storing what
        was tagged before, say); returns the function that waits for the results. A shard
        whose worker died is tagged here when the results are asked for."""
        futures: list[Future[list[list[Any]]]] | None
        try:
            pool = self._pool(len(shards))
            futures = [pool.submit(_tag_in_worker, shard) for shard in shards]
        except BrokenProcessPool:
            futures = None

        def results() -> list[list[list[Any]]]:
            if futures is None:
                self.close()
                return [self.tag_serial(shard) for shard in shards]
            out = []
            for shard, future in zip(shards, futures, strict=True):
                try:
                    out.append(future.result())
                except BrokenProcessPool:
                    self.close()  # the next call starts new workers
                    out.append(self.tag_serial(shard))
            return out

        return results

    def _serial(self, shards: list[Shard], first: list[list[Any]]) -> list[list[list[Any]]]:
        self.close()
        return [first, *(self.tag_serial(shard) for shard in shards[1:])]

    def worker_pids(self) -> list[int]:
        """Process ids of the running workers (none before the first split call)."""
        if self._executor is None:
            return []
        return sorted(self._executor._processes or {})

    def close(self) -> None:
        """Stop the workers (they also stop when this process exits, or is killed)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
            self._workers = 0


def _run_forked_job(arg: Any) -> Any:
    assert _forked_job is not None, "the worker was not forked from a ForkedJob"
    return _forked_job(arg)


class ForkedJob(Generic[Arg, Result]):
    """``job(arg)`` run in worker processes forked now, and in this one: for work split one
    level above a tagging call (``layerkit tag`` splits a file into parts, each read, tagged and
    written by one process, so that reading and writing are shared out too).

    The workers are forked at the first round, from this process as it is then, so ``job``
    and everything it reaches (a loaded tagger) are theirs without pickling; only ``arg`` and
    the result travel. Taggers tag in one process inside the job, here (``run_here``) and in
    the workers. One job at a time; use only where ``fork_is_safe()``.
    """

    def __init__(self, job: Callable[[Arg], Result], workers: int) -> None:
        global _forked_job
        self.job = job
        _forked_job = job
        self._executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_start_worker,
            initargs=(os.getpid(),),
        )

    def run_round(self, args: Sequence[Arg]) -> list[Result]:
        """``job(arg)`` for each of ``args`` at the same time: the first here, the others in
        the workers (no more of them than workers). The result of one whose worker died
        (killed, out of memory) is computed here instead; an error ``job`` raised in a worker
        is raised here."""
        futures: list[Future[Result] | None] = []
        for arg in args[1:]:
            try:
                futures.append(self._executor.submit(_run_forked_job, arg))
            except BrokenProcessPool:
                futures.append(None)
        results = [self.run_here(args[0])]
        for arg, future in zip(args[1:], futures, strict=True):
            try:
                results.append(future.result() if future is not None else self.run_here(arg))
            except BrokenProcessPool:
                results.append(self.run_here(arg))
        return results

    def run_here(self, arg: Arg) -> Result:
        """``job(arg)`` in this process (its taggers in one process meanwhile)."""
        with one_process():
            return self.job(arg)

    def close(self, *, kill: bool = False) -> None:
        """Stop the workers; ``kill``: at once, abandoning what they are doing (after an error,
        whose report should not wait for the other parts)."""
        if kill:
            for process in list((self._executor._processes or {}).values()):
                process.kill()
        self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ForkedJob[Arg, Result]:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.close(kill=exc_type is not None)
