"""Cost of the TCAS II detector, whose level follows the ownship along the lookahead.

Random pairs (ownship 0-45,000 ft, vertical rates up to 6,000 fpm, so that a share of them
cross one or more sensitivity-level boundaries within the lookahead; intruders within 10 NM),
timed for ``TCAS3D(ra=False)``, ``TCAS3D(ra=True)`` and, as the baseline in the same process,
the DO-365 Phase I corrective detector ``WCV_TAUMOD`` on the same pairs. Median of
``--repeat`` runs each; prints a table with the ratio to the baseline.

Usage: ``python benchmarks/tcas.py [--pairs 10000,100000] [--repeat 5] [--lookahead 60]``
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from wellclear.alerting import TCAS3D, WCV_TAUMOD, PairGeometry
from wellclear.alerting.detectors import tcas_sensitivity_level
from wellclear.units import FPM_MPS, FT_M, KT_MPS, NM_M


def random_pairs(n: int, seed: int = 7) -> PairGeometry:
    """N ownship/intruder pairs in the ownship's frame."""
    rng = np.random.default_rng(seed)

    def velocity() -> np.ndarray:
        trk = rng.uniform(0, 2 * np.pi, n)
        gs = rng.uniform(100, 500, n) * KT_MPS
        vz = rng.choice([0.0, 1.0], n) * rng.uniform(-6000, 6000, n) * FPM_MPS
        return np.column_stack([gs * np.sin(trk), gs * np.cos(trk), vz])

    alt = rng.uniform(0, 45000, n) * FT_M
    so = np.column_stack([np.zeros(n), np.zeros(n), alt])
    r, bearing = rng.uniform(0, 10, n) * NM_M, rng.uniform(0, 2 * np.pi, n)
    dz = rng.uniform(-3000, 3000, n) * FT_M
    si = np.column_stack([r * np.sin(bearing), r * np.cos(bearing), alt + dz])
    return PairGeometry(so, velocity(), si, velocity())


def median_s(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--lookahead", type=float, default=60.0)
    args = parser.parse_args()
    T = args.lookahead
    wcv = WCV_TAUMOD(0.66 * NM_M, 450 * FT_M, 35.0)
    print(
        "| pairs | crossing a level | TCAS TA s | TCAS RA s | WCV_TAUMOD s | TA / WCV | RA / WCV |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n in (int(x) for x in args.pairs.split(",")):
        geo = random_pairs(n)
        z, vz = geo.so[:, 2], geo.vo[:, 2]
        crossing = float(np.mean(tcas_sensitivity_level(z) != tcas_sensitivity_level(z + T * vz)))
        ta = median_s(lambda g=geo: TCAS3D(ra=False).intervals(g, 0.0, T), args.repeat)
        ra = median_s(lambda g=geo: TCAS3D(ra=True).intervals(g, 0.0, T), args.repeat)
        base = median_s(lambda g=geo: wcv.intervals(g, 0.0, T), args.repeat)
        print(
            f"| {n:,} | {crossing:.1%} | {ta:.4f} | {ra:.4f} | {base:.4f} |"
            f" {ta / base:.2f} | {ra / base:.2f} |"
        )


if __name__ == "__main__":
    main()
