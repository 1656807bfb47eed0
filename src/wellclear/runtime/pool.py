"""Helper threads for the compiled kernels, kept for the life of the process.

The kernels release the GIL, so a window's work is split between the calling thread and the
helpers (one fewer than the CPUs, at least one); a pool made per window would start and stop
threads for every window (and glibc would give each new thread's allocations to another arena).
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity where the system says it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def helper() -> ThreadPoolExecutor:
    """The shared helpers (made on first use)."""
    global _pool
    with _lock:
        if _pool is None:
            n = max(1, usable_cpus() - 1)
            _pool = ThreadPoolExecutor(n, thread_name_prefix="wellclear-kernel")
        return _pool
