"""Mode S decoding spread over processes, each aircraft always on the same one.

rs1090's decoding alone runs at about the rate a busy feed sends (``benchmarks/feeds.py``
measures both), so ``wellclear feed --decoders N`` decodes in ``N`` worker processes. A frame
goes to the worker of its ICAO address (``address % N``, the address read by
:func:`wellclear.feeds.bits.addresses`; frames that carry none go to worker 0), and each worker
keeps its own :class:`~wellclear.feeds.merge.ModeSMerger`, so an aircraft's CPR pairs, carried
messages and callsign stay together: the states are those of one merger over the whole feed,
in the same order (by time, then message number). Workers are started with ``spawn`` (the feed
runs threads) and each is a one-process pool, so that a shard's state never moves.

A pool belongs to one feed task; :meth:`DecoderPool.decode` is called from one thread at a
time.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from wellclear.feeds.bits import addresses
from wellclear.feeds.merge import ModeSMerger
from wellclear.formats.feeds import FeedResult

_MERGER: list[ModeSMerger] = []  # the worker process's own merger, set by _start


def _start(source: str, reference: tuple[float, float] | None, max_age_s: float) -> None:
    _MERGER.append(ModeSMerger(source, reference, max_age_s))


def _decode(t: np.ndarray, hexes: list[str], line: np.ndarray) -> FeedResult:
    return _MERGER[0].decode(t, hexes, line)


def shard_of(hexes: list[str], shards: int) -> np.ndarray:
    """The worker of each frame: its ICAO address modulo ``shards`` (0 for no address)."""
    address = addresses(hexes)
    return np.where(address >= 0, address % shards, 0)


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The rows of ``frames``, the empty ones left out (their columns' types would win)."""
    full = [f for f in frames if len(f)] or frames[:1]
    return pd.concat(full, ignore_index=True)


@dataclass
class DecoderPool:
    """``workers`` processes, each a :class:`ModeSMerger` of the frames of its addresses."""

    source: str
    workers: int = 2
    reference: tuple[float, float] | None = None
    max_age_s: float = 10.0
    _pools: list[ProcessPoolExecutor] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError(f"--decoders {self.workers}: expected at least 1")
        context = multiprocessing.get_context("spawn")
        args = (self.source, self.reference, self.max_age_s)
        self._pools = [
            ProcessPoolExecutor(1, mp_context=context, initializer=_start, initargs=args)
            for _ in range(self.workers)
        ]

    def decode(self, t: np.ndarray, hexes: list[str], line: np.ndarray) -> FeedResult:
        """The states of the frames, as :meth:`ModeSMerger.decode` gives them."""
        shard = shard_of(hexes, self.workers)
        futures = []
        for k, pool in enumerate(self._pools):
            rows = np.flatnonzero(shard == k)
            futures.append(pool.submit(_decode, t[rows], [hexes[i] for i in rows], line[rows]))
        parts = [f.result() for f in futures]
        states = _concat([p.states for p in parts])
        states = states.sort_values(["t", "line"], kind="stable").reset_index(drop=True)
        rejects = _concat([p.rejects for p in parts])
        counts: dict[str, int] = {}
        for p in parts:
            for key, value in p.counts.items():
                counts[key] = counts.get(key, 0) + int(value)
        return FeedResult(states, rejects, [], counts)

    def close(self) -> None:
        for pool in self._pools:
            pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> DecoderPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
