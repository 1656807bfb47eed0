"""The encounter scan: one frame, time windows streamed in order, or partitions on Dask.

Every path computes the same thing: time is cut into windows ``[t_lo, t_hi)``; a window is read
with :attr:`ScanConfig.overlap_s` of context on each side, and owns the intervals between merged
sample times that start inside it (:func:`wellclear.encounters.pieces.scan_pieces`), grouped per
pair into window groups. The window groups of all windows are merged again in :func:`finish`
(merging is transitive), so an encounter spanning window boundaries (an escort of hours) is
found exactly once, whatever the window length; its minimum, names and evidence are those of
the window group that holds its minimum.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from wellclear.encounters.classify import classify
from wellclear.encounters.config import ScanConfig
from wellclear.encounters.merge import (
    PAIR,
    check_names,
    episodes,
    merge_runs,
    window_evidence,
)
from wellclear.encounters.pieces import scan_pieces
from wellclear.encounters.plausibility import flagged_at_minimum
from wellclear.encounters.tracks import FLAGS, build_tracks
from wellclear.runtime.pool import usable_cpus
from wellclear.schemas import ENCOUNTERS, EVIDENCE, conform

# the scan's own names (pieces, merge, classify: aircraft i and j) and the result contract's
# (aircraft 1 and 2): renamed once, at the output (schemas.ENCOUNTERS documents every column)
_SCAN_NAMES = {
    **{
        f"{c}_{w}": f"{c}_{k}"
        for c in ("id", "callsign", "party", "lat", "lon")
        for w, k in (("i", "1"), ("j", "2"))
    },
    "alt_i_m": "alt_1_m",
    "alt_j_m": "alt_2_m",
}
ENCOUNTER_COLUMNS: list[str] = ENCOUNTERS.names
"""The columns of the encounters (the contract :data:`wellclear.schemas.ENCOUNTERS`)."""


def encounters_table(enc: pd.DataFrame) -> pd.DataFrame:
    """The scan's encounters as the contract :data:`wellclear.schemas.ENCOUNTERS`: aircraft
    i and j named 1 and 2, times as UTC timestamps, ``t_unix`` the start in unix seconds."""
    frame = enc.rename(columns=_SCAN_NAMES)
    return conform(frame[[c for c in ENCOUNTER_COLUMNS if c != "t_unix"]], ENCOUNTERS)


def no_flags() -> np.ndarray:
    """Zero samples of each flag (by the codes of :data:`~.tracks.FLAGS`)."""
    return np.zeros(len(FLAGS), dtype=np.int64)


@dataclass(frozen=True)
class WindowResult:
    """What one time window owns (see the module docstring): window groups, pieces and spans
    (:class:`~wellclear.encounters.pieces.Found`) and the evidence of each window group's
    minimum; pieces, spans and evidence name their window group by its row (``wg``).
    ``rows``: the input rows inside the window; ``flags``: its deduplicated samples by flag
    (code of :data:`~.tracks.FLAGS`)."""

    groups: pd.DataFrame
    pieces: pd.DataFrame
    spans: pd.DataFrame
    evidence: pd.DataFrame
    rows: int = 0
    flags: np.ndarray = field(default_factory=no_flags)


@dataclass(frozen=True)
class ScanResult:
    """Encounters (columns :data:`ENCOUNTER_COLUMNS`) and their evidence samples; ``rows``
    input rows were read and ``flags`` counts their deduplicated samples by flag (code of
    :data:`~.tracks.FLAGS`; :attr:`flagged` names them): nothing set aside is unaccounted."""

    encounters: pd.DataFrame
    evidence: pd.DataFrame
    rows: int = 0
    flags: np.ndarray = field(default_factory=no_flags)

    @property
    def flagged(self) -> dict[str, int]:
        """The samples not used for minima, by reason (``jump``, ``onground``, ``frozen`` ...)."""
        return {name: int(c) for name, c in zip(FLAGS[1:], self.flags[1:], strict=True)}


class Source(Protocol):
    """Anything that gives the states of a time range (picklable, for Dask workers).

    A source may also have ``windows(bounds, overlap_s)``, an iterator of the states of each
    window with its context (what :meth:`read` would give): :func:`scan_source` then streams
    it, e.g. reading each Parquet row group once (:meth:`.sources.DatasetSource.windows`).
    """

    def time_range(self) -> tuple[float, float]: ...

    def read(self, t_lo: float, t_hi: float) -> pd.DataFrame: ...

    def count(self) -> int: ...


@dataclass(frozen=True)
class FrameSource:
    """States held in memory."""

    frame: pd.DataFrame

    def time_range(self) -> tuple[float, float]:
        if self.frame.empty:
            return (0.0, 0.0)
        t = self.frame["t"]
        return float(t.min()), float(t.max())

    def read(self, t_lo: float, t_hi: float) -> pd.DataFrame:
        t = self.frame["t"]
        return self.frame[(t >= t_lo) & (t < t_hi)]

    def windows(
        self, bounds: list[tuple[float, float]], overlap_s: float
    ) -> Iterator[pd.DataFrame]:
        """What :meth:`read` gives for each window ``[lo - overlap, hi + overlap)`` of
        ``bounds`` (the rows in the frame's order), from one sort of the times instead of a
        pass over the whole frame per window (a frame in flight order holds every window's
        rows everywhere)."""
        t = self.frame["t"].to_numpy(np.float64)
        order = np.argsort(t, kind="stable")  # a missing time (NaN) last, in no window
        edges = np.searchsorted(t[order], [(lo - overlap_s, hi + overlap_s) for lo, hi in bounds])
        for a, b in edges:
            yield self.frame.take(np.sort(order[a:b]))

    def count(self) -> int:
        return len(self.frame)


# windows scanned at once while the previous one is merged, and the blocks each window's pair
# kernel is split into, so that together they fill the CPUs. More windows at once cost memory
# (each holds its states and tracks): on 16 cores the Paris copies took 3.1-3.3 s with 4
# windows where 2 took 3.4-3.7 s, but peaked at 1,778-1,873 MiB instead of 1,571-1,606 MiB (8
# windows without a memory budget: 2.8-2.9 s, 2,611-2,657 MiB), so two is the default, for the
# 2 GiB of the 100M-row archive, and ``--workers`` asks for more (benchmarks/results/scan.md).
SCAN_WORKERS = 2


def kernel_threads(workers: int) -> int:
    """The blocks of each window's compiled loops when ``workers`` windows are scanned at once:
    together they fill the CPUs (at least two, so that a window's records are computed while
    its ids are coded)."""
    return max(2, usable_cpus() // workers)


KERNEL_THREADS = kernel_threads(SCAN_WORKERS)


def auto_window(source: Source, rows_per_window: int = 2_000_000, least_s: float = 600.0) -> float:
    """A window length giving about ``rows_per_window`` rows (the memory bound), at least
    ``least_s``; the result does not depend on it."""
    t0, t1 = source.time_range()
    span = max(t1 - t0, 1.0)
    rows = max(source.count(), 1)
    return float(max(least_s, min(span + 1.0, span * rows_per_window / rows)))


def scan_window(
    states: pd.DataFrame,
    cfg: ScanConfig,
    t_lo: float = -math.inf,
    t_hi: float = math.inf,
    threads: int | None = None,
) -> WindowResult:
    """Window groups, pieces, spans and evidence owned by ``[t_lo, t_hi)``; ``states`` must
    hold the context. The compiled loops of the tracks and the pair kernel run in up to
    ``threads`` blocks (default :data:`KERNEL_THREADS`); the result does not depend on it."""
    threads = threads or KERNEL_THREADS
    tracks = build_tracks(states, cfg, threads=threads)
    found = scan_pieces(tracks, cfg, t_lo, t_hi, threads=threads)
    evidence = window_evidence(tracks, found.groups, cfg)
    rows = int(((states["t"] >= t_lo) & (states["t"] < t_hi)).sum())
    owned = (tracks.all_t >= t_lo) & (tracks.all_t < t_hi)
    flags = np.bincount(tracks.all_flag[owned], minlength=len(FLAGS)).astype(np.int64)
    return WindowResult(found.groups, found.pieces, found.spans, evidence, rows, flags)


def encounters_of(groups: pd.DataFrame, cfg: ScanConfig) -> tuple[pd.DataFrame, np.ndarray]:
    """Window groups merged into encounters: ``(pair, start, end)`` per encounter, by pair and
    start, and the encounter of each window group (merging is transitive: the same groups as
    merging all proximity spans at once)."""
    fg, rows, start, end = merge_runs(
        groups["pair"].to_numpy(np.int64),
        groups["start"].to_numpy(np.float64),
        groups["end"].to_numpy(np.float64),
        cfg.merge_gap_s,
    )
    final = pd.DataFrame(
        {"pair": groups["pair"].to_numpy(np.int64)[rows], "start": start, "end": end}
    )
    return final, fg


def finish(results: Iterable[WindowResult], cfg: ScanConfig) -> ScanResult:
    """Merge the windows: encounters (classified) and the evidence of each encounter's minimum."""
    merged = _concat(list(results))
    groups, pieces, spans = merged.groups, merged.pieces, merged.spans
    final, fg = encounters_of(groups, cfg)
    check_names(groups, fg)
    g_pieces = fg[pieces["wg"].to_numpy(np.int64)]
    g_spans = fg[spans["wg"].to_numpy(np.int64)]
    enc = episodes(pieces, spans, groups, final, g_pieces, g_spans)
    if enc.empty:
        ev_cols = ["encounter_id", *[c for c in merged.evidence.columns if c != "wg"]]
        return ScanResult(
            encounters_table(pd.DataFrame(columns=[c for c in ENCOUNTER_COLUMNS if c != "t_unix"])),
            conform(pd.DataFrame(columns=ev_cols), EVIDENCE),
            merged.rows,
            merged.flags,
        )
    is_close = (spans["kind"] == "close").to_numpy(dtype=bool)
    enc["flagged_at_min"] = flagged_at_minimum(enc, merged.evidence, cfg.flagged_bridge_s)
    enc = classify(enc, pieces, spans, g_pieces, g_spans[is_close], cfg)
    enc.insert(
        0,
        "encounter_id",
        [
            f"{i}-{j}-{math.floor(s)}"
            for i, j, s in zip(enc["id_i"], enc["id_j"], enc["start"], strict=True)
        ],
    )
    enc = enc.sort_values(["start", *PAIR], kind="stable").reset_index(drop=True)
    return ScanResult(
        encounters_table(enc),
        conform(evidence_of(enc, merged.evidence), EVIDENCE),
        merged.rows,
        merged.flags,
    )


def evidence_of(encounters: pd.DataFrame, evidence: pd.DataFrame) -> pd.DataFrame:
    """The evidence of each encounter's minimum (the rows of its window group ``wg``),
    encounters in their order, each with its rows in their order (aircraft i, the smaller id,
    then j, each by time), headed by ``encounter_id``."""
    wg = encounters["wg"].to_numpy(np.int64)
    ev_wg = evidence["wg"].to_numpy(np.int64)
    rank = np.full(max(int(ev_wg.max(initial=-1)), int(wg.max(initial=-1))) + 1, -1)
    rank[wg] = np.arange(wg.size)
    of_row = rank[ev_wg]
    take = np.flatnonzero(of_row >= 0)
    take = take[np.argsort(of_row[take], kind="stable")]
    ev = evidence[[c for c in evidence.columns if c != "wg"]].take(take).reset_index(drop=True)
    ids = pd.array(encounters["encounter_id"].to_numpy(object), dtype="str")
    ev.insert(0, "encounter_id", pd.Series(ids.take(of_row[take])))
    return ev


def _in_encounter_order(evidence: pd.DataFrame, encounters: pd.DataFrame) -> pd.DataFrame:
    """Evidence rows in the order of their encounters (a stable sort on the encounter's rank,
    so each encounter keeps its own row order)."""
    rank = pd.Index(encounters["encounter_id"]).get_indexer(evidence["encounter_id"])
    return evidence.iloc[np.argsort(rank, kind="stable")].reset_index(drop=True)


def scan(states: pd.DataFrame, cfg: ScanConfig | None = None) -> ScanResult:
    """Scan a whole states table in memory."""
    cfg = cfg or ScanConfig()
    return finish([scan_window(states, cfg)], cfg)


def window_bounds(t0: float, t1: float, window_s: float) -> list[tuple[float, float]]:
    """Windows ``[lo, hi)`` of ``window_s`` aligned on multiples of it, covering ``[t0, t1]``."""
    if window_s <= 0:
        raise ValueError("the window must be positive")
    first = math.floor(t0 / window_s)
    last = math.floor(t1 / window_s)
    return [(k * window_s, (k + 1) * window_s) for k in range(first, last + 1)]


def _read_context(source: Source, lo: float, hi: float, cfg: ScanConfig) -> pd.DataFrame:
    """The states of window ``[lo, hi)`` with :attr:`ScanConfig.overlap_s` of context."""
    return source.read(lo - cfg.overlap_s, hi + cfg.overlap_s)


def read_window(source: Source, lo: float, hi: float, cfg: ScanConfig) -> WindowResult:
    """Read one window with its context and scan it (what a Dask task runs)."""
    return scan_window(_read_context(source, lo, hi, cfg), cfg, lo, hi)


def split_closed(
    pending: WindowResult, before: float, cfg: ScanConfig
) -> tuple[WindowResult, WindowResult]:
    """``(closed, open)``: the encounters of ``pending`` that no later window can extend.

    A later window owns intervals starting at ``before`` or after, so an encounter whose last
    span ends more than ``merge_gap`` earlier is final.
    """
    final, fg = encounters_of(pending.groups, cfg)
    done = (final["end"] + cfg.merge_gap_s <= before).to_numpy(dtype=bool)[fg]
    if done.all():
        return pending, _select(pending, ~done)
    return _select(pending, done), _select(pending, ~done)


def _select(result: WindowResult, keep: np.ndarray) -> WindowResult:
    """The window groups ``keep`` of ``result`` with their pieces, spans and evidence,
    renumbered."""
    new = np.cumsum(keep) - 1
    parts = []
    for f in (result.pieces, result.spans, result.evidence):
        wg = f["wg"].to_numpy(np.int64)
        sel = f[keep[wg]]
        parts.append(sel.assign(wg=new[wg[keep[wg]]]))
    return WindowResult(result.groups[keep].reset_index(drop=True), parts[0], parts[1], parts[2])


def scan_source(
    source: Source,
    cfg: ScanConfig | None = None,
    window_s: float = 3600.0,
    progress: Callable[[int, int], None] | None = None,
    sink: Callable[[ScanResult], None] | None = None,
    parallel: Callable[[], int] | None = None,
    workers: int | None = None,
) -> ScanResult:
    """Stream ``source`` window by window in time order.

    Memory is bounded by one window plus the encounters still open: after each window the
    encounters that no later window can extend are finished and their pieces dropped. With a
    ``sink``, each batch of finished encounters goes to it with its evidence as it is finished
    (e.g. to a file) and nothing is kept: the result then holds the row count and empty tables
    with the columns, so that memory does not grow with the archive. ``parallel`` says how many
    windows to scan at once, asked before each window is started (e.g. fewer while memory is
    tight), at most ``workers`` (default :data:`SCAN_WORKERS`), each window's pair kernel then
    in as many blocks as fill the CPUs; the result depends on neither.
    """
    cfg = cfg or ScanConfig()
    workers = workers or SCAN_WORKERS
    threads = kernel_threads(workers)
    t0, t1 = source.time_range()
    bounds = window_bounds(t0, t1, window_s)
    n = len(bounds)
    stream = getattr(source, "windows", None)
    frames = (
        stream(bounds, cfg.overlap_s)
        if stream is not None
        else (_read_context(source, lo, hi, cfg) for lo, hi in bounds)
    )
    # pipelined: while window k is merged and delivered here, windows k + 1 ... k + w are
    # scanned by w workers (reading, tracks and the pair kernel release the GIL); the reader
    # reads the windows in order, each when its scan is submitted, and the merge takes the
    # results in order. Memory: w + 1 windows at once, plus what is still open.
    with ThreadPoolExecutor(1) as reader, ThreadPoolExecutor(workers) as pool:
        reads: dict[int, Future[pd.DataFrame]] = {}

        def submit(k: int) -> Future[WindowResult]:
            reads[k] = reader.submit(next, frames)  # the reader keeps the order of k
            return pool.submit(
                lambda: scan_window(reads.pop(k).result(), cfg, *bounds[k], threads=threads)
            )

        def at_once() -> int:
            return max(1, min(workers, parallel() if parallel is not None else workers))

        def in_order() -> Iterator[WindowResult]:
            ahead = deque(submit(k) for k in range(min(at_once(), n)))
            started = len(ahead)
            for _ in range(n):
                res = ahead.popleft().result()
                while started < n and len(ahead) < at_once():
                    ahead.append(submit(started))
                    started += 1
                yield res

        return merge_windows(in_order(), bounds, cfg, progress, sink)


def merge_windows(
    results: Iterable[WindowResult],
    bounds: list[tuple[float, float]],
    cfg: ScanConfig,
    progress: Callable[[int, int], None] | None = None,
    sink: Callable[[ScanResult], None] | None = None,
) -> ScanResult:
    """The results of the windows ``bounds``, given in their order, merged as they come: after
    each window the encounters that no later window can extend are finished (and handed to
    the ``sink``, as :func:`scan_source` says), the others kept open for the next."""
    done: list[ScanResult] = []
    pending: WindowResult | None = None
    rows = 0
    flags = no_flags()
    n = len(bounds)
    for k, res in enumerate(results):
        rows += res.rows
        flags = flags + res.flags
        pending = res if pending is None else _concat([pending, res])
        if k + 1 < n and len(pending.spans):
            closed, pending = split_closed(pending, bounds[k + 1][0], cfg)
            if len(closed.spans):
                _deliver(finish([closed], cfg), sink, done)
        if progress is not None:
            progress(k + 1, n)
    if pending is not None:
        _deliver(finish([pending], cfg), sink, done)
    enc = pd.concat([d.encounters for d in done if len(d.encounters)] or [done[0].encounters])
    ev = pd.concat([d.evidence for d in done if len(d.evidence)] or [done[0].evidence])
    enc = enc.sort_values(["start", "id_1", "id_2"], kind="stable").reset_index(drop=True)
    return ScanResult(enc, _in_encounter_order(ev, enc), rows, flags)


def _deliver(
    result: ScanResult, sink: Callable[[ScanResult], None] | None, done: list[ScanResult]
) -> None:
    """Keep ``result`` in ``done``; with a sink, hand it to the sink instead and keep the
    columns of the first result only (an empty table per batch took 10 ms)."""
    if sink is None:
        done.append(result)
        return
    sink(result)
    if not done:
        done.append(
            ScanResult(_empty_like(result.encounters), _empty_like(result.evidence), result.rows)
        )


def _empty_like(frame: pd.DataFrame) -> pd.DataFrame:
    """A new empty table with the columns and types of ``frame``: an empty slice (even a
    copied one: Arrow-backed strings share their buffers) would keep the whole batch alive."""
    return pd.DataFrame({c: pd.Series([], dtype=d) for c, d in frame.dtypes.items()})


def _concat(results: list[WindowResult]) -> WindowResult:
    """One result of several: window groups one after another, ``wg`` renumbered."""
    rows = sum(r.rows for r in results)
    flags = sum((r.flags for r in results), no_flags())
    results = [r for r in results if len(r.groups)] or results[:1]
    if len(results) == 1:
        r = results[0]
        return WindowResult(r.groups, r.pieces, r.spans, r.evidence, rows, flags)
    shift = np.cumsum([0, *(len(r.groups) for r in results)])
    parts = [
        pd.concat(
            [f.assign(wg=f["wg"].to_numpy(np.int64) + k) for f, k in zip(fs, shift, strict=False)],
            ignore_index=True,
        )
        for fs in zip(*((r.pieces, r.spans, r.evidence) for r in results), strict=True)
    ]
    groups = pd.concat([r.groups for r in results], ignore_index=True)
    return WindowResult(groups, parts[0], parts[1], parts[2], rows, flags)


def scan_dask(
    source: Source,
    cfg: ScanConfig | None = None,
    window_s: float = 3600.0,
    scheduler: str | None = None,
    client: object | None = None,
    sink: Callable[[ScanResult], None] | None = None,
    ahead: int | None = None,
) -> ScanResult:
    """Partition by time window on Dask (a local cluster unless ``scheduler`` or ``client``).

    Each task reads its window with the overlap and returns what it owns. The client takes the
    results in time order and merges them as :func:`scan_source` does (:func:`merge_windows`):
    an encounter still open at a window's end is merged with the next, and finished ones go to
    the ``sink`` as they are finished. At most ``ahead`` windows (default: twice the cluster's
    threads) are submitted and not yet merged, so that neither the cluster nor the client holds
    the whole archive's results.
    """
    from dask.distributed import Client, LocalCluster

    cfg = cfg or ScanConfig()
    t0, t1 = source.time_range()
    bounds = window_bounds(t0, t1, window_s)
    own_client = client is None
    cluster = None
    dask: Any = client  # a dask.distributed.Client
    if dask is None:
        if scheduler:
            dask = Client(scheduler)
        else:
            workers = max(1, min(4, usable_cpus()))
            cluster = LocalCluster(processes=False, n_workers=workers, threads_per_worker=1)
            dask = Client(cluster)
    try:
        # the source goes to the workers once (a frame in memory is not sent per task)
        shared = dask.scatter(source, broadcast=True)
        threads = sum(dask.nthreads().values())
        limit = max(1, ahead or 2 * threads)

        def in_order() -> Iterator[WindowResult]:
            pending: deque[Any] = deque()
            for lo, hi in bounds:
                pending.append(dask.submit(read_window, shared, lo, hi, cfg, pure=False))
                if len(pending) >= limit:
                    yield _taken(pending.popleft())
            while pending:
                yield _taken(pending.popleft())

        return merge_windows(in_order(), bounds, cfg, sink=sink)
    finally:
        if own_client:
            dask.close()
            if cluster is not None:
                cluster.close()


def _taken(future: Any) -> WindowResult:
    """The result of a Dask future, which is then released (the cluster forgets it)."""
    result: WindowResult = future.result()
    future.release()
    return result


def empty_frame_check(frame: pd.DataFrame) -> None:
    """Raise ``ValueError`` when a states table has no rows with a position."""
    if frame.dropna(subset=["t", "lat", "lon"]).empty:
        raise ValueError("no aircraft states with a time and a position in the input")


__all__ = [
    "ENCOUNTER_COLUMNS",
    "FrameSource",
    "ScanResult",
    "Source",
    "WindowResult",
    "finish",
    "scan",
    "scan_dask",
    "scan_source",
    "scan_window",
]
