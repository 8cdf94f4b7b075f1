"""Freed memory kept for reuse in batch processes (layerkit.heap)."""

from __future__ import annotations

import subprocess
import sys

import pytest

#: arrays of growing sizes (1 to 13 MiB, as a tagger's length batches make them) made and freed
#: ten times over, counting the process's minor page faults
_SCRIPT = """
import resource, sys
import numpy as np
if sys.argv[1] == "tuned":
    from layerkit.heap import keep_freed_memory
    assert keep_freed_memory() and keep_freed_memory()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    for mib in (1, 2, 3, 5, 8, 13):
        a = np.ones((mib << 20) // 4, np.float32)
        b = a * 2
        del a, b
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc only")
def test_big_arrays_freed_and_made_again_reuse_memory() -> None:
    def faults(mode: str) -> int:
        done = subprocess.run(
            [sys.executable, "-c", _SCRIPT, mode], capture_output=True, text=True, check=True
        )
        return int(done.stdout)

    untuned, tuned = faults("plain"), faults("tuned")
    # untuned, glibc maps most of them afresh and every page faults in again (33k faults
    # here); tuned, the first round's memory is reused (3k)
    assert tuned * 4 < untuned, (tuned, untuned)
