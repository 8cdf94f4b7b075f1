"""Torch thread sizing: as many intra-op threads as cores are free, at most two.

Two threads on a 2-core machine whose other core is busy tagged 10-15x slower than one
(layerkit/nlp/neural/threads.py says why), so the count must follow the free cores.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from layerkit.nlp.neural import threads
from layerkit.nlp.neural.threads import free_cores, thread_count, worker_processes


def test_worker_processes_share_a_busy_core_but_not_more() -> None:
    """Processes: one per free core, plus one while another program keeps a core busy (it
    still gets its share of that core), never more than the cores."""
    assert worker_processes(cores=2, busy=0) == 2
    assert worker_processes(cores=2, busy=1) == 2  # one free core, one shared
    assert worker_processes(cores=2, busy=2) == 2
    assert worker_processes(cores=1, busy=1) == 1
    assert worker_processes(cores=8, busy=6) == 3
    assert worker_processes(cores=64, busy=60) == 5
    assert worker_processes(cores=8, busy=0.3) == 8


def test_free_cores_leave_out_busy_ones() -> None:
    assert free_cores(cores=2, busy=0) == 2
    assert free_cores(cores=2, busy=1) == 1
    assert free_cores(cores=2, busy=0.4) == 2
    assert free_cores(cores=8, busy=2.6) == 5
    # never fewer than one, never more than the cores
    assert free_cores(cores=2, busy=5) == 1
    assert free_cores(cores=1, busy=0) == 1


def test_thread_count_asked_for_or_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threads, "free_cores", lambda: 16)
    monkeypatch.delenv("LAYERKIT_TORCH_THREADS", raising=False)
    assert thread_count() == threads.MAX_THREADS
    assert thread_count(3) == 3
    monkeypatch.setenv("LAYERKIT_TORCH_THREADS", "4")
    assert thread_count() == 4
    monkeypatch.setenv("LAYERKIT_TORCH_THREADS", "many")
    assert thread_count() == threads.MAX_THREADS
    monkeypatch.setattr(threads, "free_cores", lambda: 1)
    monkeypatch.delenv("LAYERKIT_TORCH_THREADS")
    assert thread_count() == 1


def test_proc_fields_are_read(tmp_path: Path) -> None:
    assert threads._running_total("0.52 0.58 0.59 3/467 12345\n") == 3
    for tid, state in (("1", "R"), ("2", "S"), ("3", "R")):
        (tmp_path / tid).mkdir()
        # a command name with a space and a parenthesis must not shift the fields
        (tmp_path / tid / "stat").write_text(f"{tid} (py thon) x) {state} 1 2 3\n")
    assert threads._own_running(tmp_path) == 2


def test_busy_elsewhere_on_this_machine() -> None:
    busy = threads.busy_elsewhere(samples=2, interval=0.0)
    assert busy >= 0
    assert 1 <= free_cores() <= threads.usable_cores()


def test_our_own_worker_processes_are_not_busy_elsewhere() -> None:
    """A tagger's own workers, busy with its work, must not count as other processes'
    load, or it would leave their cores to them and tag the next batch alone."""
    import subprocess
    import sys
    import time

    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        assert threads._own_running(Path(f"/proc/{spinner.pid}/task")) == 1
        differences = []
        for _ in range(5):
            counted = threads.busy_elsewhere(samples=1)
            ours = threads.busy_elsewhere(samples=1, ours=[spinner.pid])
            differences.append(counted - ours)
        assert max(differences) >= 1  # the spinner counts, unless it is ours
    finally:
        spinner.kill()
        spinner.wait()
