"""The collector pause around bulk tagging: paused inside, restored after, whatever the nesting."""

from __future__ import annotations

import gc
import subprocess
import sys
import threading

from conftest import REPO

from layerkit.gc_pause import paused_gc


def test_pause_restores_the_collector_as_it_was() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()


def test_pauses_in_threads_end_with_the_last_one() -> None:
    inside = threading.Barrier(2)
    first_done = threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with paused_gc():
            inside.wait()
        first_done.set()

    def second() -> None:
        with paused_gc():
            inside.wait()
            first_done.wait(5)
            seen.append(gc.isenabled())  # the first thread's pause ended; this one holds

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen == [False]
    assert gc.isenabled()


def test_an_error_inside_ends_the_pause() -> None:
    try:
        with paused_gc():
            raise ValueError("boom")
    except ValueError:
        pass
    assert gc.isenabled()


def test_tagging_runs_no_collection_and_leaves_the_collector_on() -> None:
    """A tagging call of the shipped model: no collector pass during it, the collector on
    after it (in a fresh process, so that the count is this call's alone). The first
    allocation after the pause may start one young-generation pass (the count of new objects
    is over the threshold by then); without the pause there are dozens."""
    probe = """
import gc
from layerkit.nlp.neural import load_neural_tagger
tagger = load_neural_tagger(processes=1)
sentences = [["Мама", "мыла", "раму", "."], ["Он", "читал", "книгу", "вчера", "."]] * 3000
passes = []
gc.callbacks.append(lambda phase, info: phase == "start" and passes.append(info))
tagged = tagger.tag(sentences)
gc.callbacks.clear()
old = [p for p in passes if p["generation"] > 0]
print("PASSES", len(passes) <= 1, "OLD", len(old), "ENABLED", gc.isenabled(), "TAGGED", len(tagged))
"""
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, cwd=REPO
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "PASSES True OLD 0 ENABLED True TAGGED 6000" in result.stdout, result.stdout
