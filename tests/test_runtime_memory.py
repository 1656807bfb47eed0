"""The memory governor of long scans: trims above its budget, never below it."""

from __future__ import annotations

import time

import numpy as np
import pyarrow as pa
import pytest

from wellclear.runtime.memory import MemoryGovernor, _malloc_trim, resident_bytes

glibc = pytest.mark.skipif(
    _malloc_trim() is None or resident_bytes() is None, reason="needs Linux with glibc"
)


@glibc
def test_trims_only_above_the_budget() -> None:
    rss = resident_bytes()
    assert rss is not None and rss > 0
    with MemoryGovernor(rss * 100, interval_s=0.01) as calm:
        time.sleep(0.1)
    assert calm.trims == 0 and not calm.tight
    with MemoryGovernor(1, interval_s=0.01) as busy:
        time.sleep(0.1)
    assert busy.trims >= 1 and busy.tight


@glibc
def test_waits_for_growth_when_the_live_data_exceed_the_budget() -> None:
    with MemoryGovernor(1, interval_s=0.01, regrow=10.0) as gov:
        time.sleep(0.1)
        once = gov.trims
        blob = np.ones(64 << 20, dtype=np.uint8)  # 64 MiB live: not 10x growth
        time.sleep(0.1)
        assert blob.sum() > 0
    assert once == 1 and gov.trims == 1


def test_arrow_allocates_from_the_system_pool_meanwhile() -> None:
    before = pa.default_memory_pool().backend_name
    with MemoryGovernor(1 << 40):
        assert pa.default_memory_pool().backend_name == "system"
    assert pa.default_memory_pool().backend_name == before


@glibc
def test_glibc_trimming_is_off_while_governed_and_back_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from wellclear.runtime import memory

    calls: list[dict[int, int]] = []
    monkeypatch.setattr(memory, "_mallopt", calls.append)
    arenas = {memory.M_ARENA_MAX: memory.ARENAS}
    with MemoryGovernor(1 << 40, interval_s=0.01):
        assert calls == [memory._GOVERNED, arenas]
    assert calls == [memory._GOVERNED, arenas, memory._DEFAULTS]


_ARENAS_SEEN = """
import ctypes, sys, threading
import numpy as np
from wellclear.runtime.memory import MemoryGovernor

def heaps() -> int:
    libc = ctypes.CDLL("libc.so.6")
    libc.open_memstream.restype = ctypes.c_void_p
    buf, size = ctypes.c_char_p(), ctypes.c_size_t()
    stream = libc.open_memstream(ctypes.byref(buf), ctypes.byref(size))
    libc.malloc_info(0, ctypes.c_void_p(stream))
    libc.fclose(ctypes.c_void_p(stream))
    return buf.value.decode().count("<heap nr=")

def busy(n: int) -> None:
    start = threading.Barrier(n)
    held = []
    def work() -> None:
        start.wait()  # all at once: each would get an arena of its own
        held.append([np.ones(20_000 + k) for k in range(50)])
    threads = [threading.Thread(target=work) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

before = heaps()
if sys.argv[1] == "governed":
    with MemoryGovernor(1 << 40):
        busy(12)
else:
    busy(12)
print(before, heaps())
"""


@glibc
def test_threads_started_while_governed_share_few_arenas() -> None:
    """glibc's own count of malloc arenas (``malloc_info``) after 12 threads allocate at once:
    at most :data:`ARENAS` besides those already there while governed, more without."""
    import subprocess
    import sys

    from wellclear.runtime import memory

    counts = {}
    for how in ("governed", "free"):
        done = subprocess.run(
            [sys.executable, "-c", _ARENAS_SEEN, how], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        counts[how] = [int(x) for x in done.stdout.split()]
    before, after = counts["governed"]
    assert after <= max(before, memory.ARENAS)
    assert counts["free"][1] > memory.ARENAS
