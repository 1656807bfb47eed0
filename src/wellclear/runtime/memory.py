"""Keeping a long scan's resident memory near a budget.

A scan allocates and frees window-sized arrays for hours. glibc's heap keeps freed memory for
reuse, and as the arrays of successive windows interleave the heap fragments: the resident size
grows with the archive although the live data do not (1.3 GB after 10M rows, 2.2 GB after 100M,
for the same window). :class:`MemoryGovernor` watches the resident size from a background
thread and, when it is above the budget, asks glibc to give its free pages back
(``malloc_trim``). Below the budget it does nothing, so a small scan pays nothing; a trim costs
the page faults of reusing that memory later. Since it trims, glibc need not: while it runs,
glibc's own trimming is off, the heap grows 256 MiB at a time and blocks up to 32 MiB come from
the heap instead of fresh mappings (``mallopt``), so that a window reuses the pages of the one
before instead of faulting in new ones (on the 10M-row Paris copies: 330k page faults instead of
520k, 0.7 s of CPU less); glibc's defaults are set back on exit. The threads started meanwhile
share :data:`ARENAS` malloc arenas instead of one each (less memory held apart, and faster on
many cores). Elsewhere than Linux with glibc it does nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import threading
from collections.abc import Callable
from types import TracebackType

import pyarrow as pa

_PAGE = 4096


def resident_bytes() -> int | None:
    """The resident size of this process (Linux ``/proc/self/statm``), or None elsewhere."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


# glibc's mallopt parameters and their defaults (malloc.h)
M_TRIM_THRESHOLD = -1
M_TOP_PAD = -2
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
# the malloc arenas of the threads started while governed: glibc gives each thread an arena of
# its own, up to 8 per core, and each keeps its own freed memory. On 16 cores, 4 arenas took
# the Paris copies from 4.6-4.7 s and 1,587-1,634 MiB to 3.8-4.0 s and 1,289-1,308 MiB (2
# arenas: 4.1 s, 1,179-1,235 MiB); on 2 cores, from 1,260 to 1,167-1,176 MiB at the same time.
# glibc cannot undo it (there is no "no limit" to set back): it stays for later threads
ARENAS = 4
_DEFAULTS = {M_TRIM_THRESHOLD: 128 << 10, M_TOP_PAD: 128 << 10, M_MMAP_THRESHOLD: 128 << 10}
# while governed: the heap is never shrunk by glibc itself (the governor trims), grows by
# 256 MiB at a time, and serves blocks up to 32 MiB (glibc's largest threshold) from the heap
_GOVERNED = {M_TRIM_THRESHOLD: 2**31 - 1, M_TOP_PAD: 256 << 20, M_MMAP_THRESHOLD: 32 << 20}


def _libc(name: str) -> Callable[..., int] | None:
    """A function of glibc, or None where there is none."""
    with contextlib.suppress(OSError, AttributeError):
        fn: Callable[..., int] = getattr(ctypes.CDLL("libc.so.6"), name)
        return fn
    return None


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where there is none."""
    return _libc("malloc_trim")


def _mallopt(settings: dict[int, int]) -> None:
    """Set glibc's malloc parameters (nothing where there is no glibc)."""
    mallopt = _libc("mallopt")
    if mallopt is None:
        return
    for param, value in settings.items():
        mallopt(ctypes.c_int(param), ctypes.c_int(value))


class MemoryGovernor:
    """While in its ``with`` block, trims the heap whenever the resident size exceeds
    ``budget_bytes`` (checked every ``interval_s``).

    Arrow allocates from the system allocator meanwhile (its default pool keeps freed pages to
    itself), so that its memory is trimmed too; its pool is restored on exit. When the live
    data alone exceed the budget, a trim cannot help: the next one waits until the resident
    size has grown by ``regrow`` over what the last one left. :attr:`tight` tells whether the
    last look found the resident size over the budget (a scan then holds fewer windows at
    once). ``trims`` counts the trims.
    """

    def __init__(self, budget_bytes: int, interval_s: float = 0.05, regrow: float = 0.1) -> None:
        self.budget = budget_bytes
        self.interval_s = interval_s
        self.regrow = regrow
        self.trims = 0
        self.tight = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._trim = _malloc_trim()
        self._pool: pa.MemoryPool | None = None

    def __enter__(self) -> MemoryGovernor:
        self._pool = pa.default_memory_pool()
        pa.set_memory_pool(pa.system_memory_pool())
        if self._trim is not None and resident_bytes() is not None:
            _mallopt(_GOVERNED)
            _mallopt({M_ARENA_MAX: ARENAS})
            self._thread = threading.Thread(target=self._watch, name="memory", daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            _mallopt(_DEFAULTS)
        if self._pool is not None:
            pa.set_memory_pool(self._pool)

    def _watch(self) -> None:
        threshold = self.budget
        while not self._stop.wait(self.interval_s):
            rss = resident_bytes() or 0
            self.tight = rss > self.budget
            if rss > threshold and self._trim is not None:
                self._trim(0)
                self.trims += 1
                left = resident_bytes() or 0
                threshold = max(self.budget, int(left * (1.0 + self.regrow)))
            elif not self.tight:
                threshold = self.budget
