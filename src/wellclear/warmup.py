"""Compile wellclear's numba kernels for this machine once, saying so, and cache them.

The conflict search and the encounter scan run compiled loops (numba, ``cache=True``). The
first run on a machine compiles them (tens of seconds); later runs load them from numba's
cache. ``python -m wellclear.warmup`` (which ``make install`` runs) does that compilation up
front, on a few simulated aircraft, with a message and the time it took, so that the first
real command (``make demo``) does not pay it silently.
"""

from __future__ import annotations

import sys
import time


def warm_up() -> float:
    """Run each compiled path once on a small simulated scenario; returns the seconds taken."""
    from wellclear.detect.conflicts import detect_conflicts
    from wellclear.encounters.scan import FrameSource, scan_source
    from wellclear.simulate.flights import fly, sample
    from wellclear.simulate.scenarios import random_plans

    started = time.perf_counter()
    frame = sample(fly(random_plans(12, 600.0, seed=1), dt=1.0), seed=1, min_dt=1.0, max_dt=5.0)
    scan_source(FrameSource(frame), window_s=300.0)
    detect_conflicts(frame.groupby("id").tail(1).reset_index(drop=True))
    _warm_airspace()
    return time.perf_counter() - started


def _warm_airspace() -> None:
    """The nearest-boundary kernels (:mod:`wellclear.airspace.nearest`) on one small square."""
    import numpy as np
    import shapely

    from wellclear.airspace.geometry import boundary_segments
    from wellclear.airspace.nearest import BoundaryClearance, NearestBoundary

    segs = boundary_segments(shapely.MultiPolygon([shapely.box(0.0, 0.0, 1.0, 1.0)]))
    NearestBoundary(segs).nearest(np.array([0.5]), np.array([0.5]))
    BoundaryClearance(segs).clearance(np.array([0.5]), np.array([0.5]))


def _compiled() -> tuple[int, int]:
    """``(compiled, loaded)``: the kernels of wellclear's loaded modules compiled in this
    process, and those loaded from numba's cache."""
    from numba.core.registry import CPUDispatcher

    misses = hits = 0
    for name, module in list(sys.modules.items()):
        if not name.startswith("wellclear."):
            continue
        for obj in vars(module).values():
            if isinstance(obj, CPUDispatcher):
                misses += sum(obj.stats.cache_misses.values())
                hits += sum(obj.stats.cache_hits.values())
    return misses, hits


def main() -> None:
    print(
        "wellclear: preparing the numba kernels for this machine (compiled once, up to a "
        "minute, then loaded from the cache)...",
        file=sys.stderr,
        flush=True,
    )
    seconds = warm_up()
    compiled, loaded = _compiled()
    print(
        f"wellclear: {compiled} kernels compiled and cached, {loaded} loaded from the cache, "
        f"in {seconds:.0f} s",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
