"""Brute-force reference: every pair, solved by the same exact kernel, in bounded chunks.

The slow, obviously correct twin of :func:`wellclear.detect.conflicts.detect` (O(N^2) pairs,
no pruning): tests hold the fast path against it, and benchmarks report the ratio.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from wellclear.detect.conflicts import (
    Minima,
    PairResult,
    Traffic,
    conflicts_table,
    evaluate_pairs,
    select_pairs,
)
from wellclear.states import bring_to_common_time, complete_states


def detect_bruteforce(
    states: pd.DataFrame,
    minima: Minima,
    *,
    between_parties: bool = False,
    ownship: Sequence[str] | None = None,
    chunk_pairs: int = 2_000_000,
) -> pd.DataFrame:
    """Conflicts from all ``N (N - 1) / 2`` pairs; same table as the pruned detector."""
    states = bring_to_common_time(complete_states(states))
    traffic = Traffic.from_states(states)
    n = len(states)
    rows = max(1, chunk_pairs // max(n, 1))
    parts: list[pd.DataFrame] = []
    for start in range(0, n, rows):
        ii, jj = [], []
        for a in range(start, min(n, start + rows)):
            b = np.arange(a + 1, n, dtype=np.int64)
            ii.append(np.full(len(b), a, dtype=np.int64))
            jj.append(b)
        if not ii:
            continue
        i, j = select_pairs(
            states,
            np.concatenate(ii),
            np.concatenate(jj),
            between_parties=between_parties,
            ownship=ownship,
        )
        result: PairResult = evaluate_pairs(traffic, i, j, minima)
        parts.append(conflicts_table(states, result))
    if not parts:
        return conflicts_table(
            states, evaluate_pairs(traffic, np.empty(0, np.int64), np.empty(0, np.int64), minima)
        )
    frame = pd.concat(parts, ignore_index=True)
    return frame.sort_values(["t_in_s", "id_1", "id_2"], kind="stable").reset_index(drop=True)
