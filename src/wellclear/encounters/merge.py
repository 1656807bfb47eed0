"""From pieces to encounters: spans merged per pair, minima and evidence gathered.

The same merge rule (:func:`merge_runs`) serves a time window and the final pass: proximity
spans of one pair closer than ``merge_gap`` are one window group, and window groups of one pair
closer than ``merge_gap`` are one encounter. A window group lies inside one encounter, so the
minimum of an encounter is the minimum of its window groups, and the evidence kept around that
group's minimum is exactly the evidence around the encounter's minimum.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from wellclear.encounters.config import ScanConfig
from wellclear.encounters.tracks import FLAGS, QUALITY_COLUMNS, SOURCE_COLUMNS, Tracks

PAIR = ["id_i", "id_j"]
# the nested volumes of a span, widest first (categories of the spans' ``kind``)
SPAN_KINDS = ("prox", "los", "close", "nmac")
SPAN_KIND = pd.CategoricalDtype(list(SPAN_KINDS))
SPAN_CODES = {k: i for i, k in enumerate(SPAN_KINDS)}
EVIDENCE_COLUMNS = [
    "id",
    "callsign",
    "party",
    "t",
    "lat",
    "lon",
    "alt_m",
    "gs_mps",
    "trk_deg",
    "vs_mps",
    "flag",
    *SOURCE_COLUMNS,
    *QUALITY_COLUMNS,
]


def name_hashes(names: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each aircraft name (BLAKE2b of its UTF-8 text): the same in every
    window, process and Dask worker."""
    return np.array(
        [
            int.from_bytes(hashlib.blake2b(str(n).encode(), digest_size=8).digest(), "little")
            for n in names
        ],
        dtype=np.uint64,
    )


def pair_hash(h_i: np.ndarray, h_j: np.ndarray) -> np.ndarray:
    """The key of each ordered pair from the :func:`name_hashes` of its two aircraft (int64).

    Two different pairs sharing a key (about one chance in 2^64 per pair of pairs) is detected
    by :func:`check_names`, which compares the names of the window groups of each encounter.
    """
    with np.errstate(over="ignore"):
        k = h_i * np.uint64(0x9E3779B97F4A7C15) + (h_j ^ np.uint64(0xC2B2AE3D27D4EB4F))
    return k.view(np.int64)


def merge_runs(
    key: np.ndarray, s: np.ndarray, e: np.ndarray, merge_gap_s: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Intervals ``[s, e]`` of each key merged where they are closer than ``merge_gap_s``.

    Returns ``(group of each row, a row of each group, start, end)``, groups ordered by key
    and start. Merging is transitive, so merging already merged groups again gives the same
    groups: that is how window groups become encounters.
    """
    if key.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0), np.zeros(0)
    order = np.lexsort((e, s, key))
    ks, ss, es = key[order], s[order], e[order]
    same = np.r_[False, ks[1:] == ks[:-1]]
    # rows are sorted by key: each key is one run (integer run codes)
    run = np.cumsum(~same)
    end_so_far = pd.Series(es).groupby(run, sort=False).cummax().to_numpy()
    prev_end = np.r_[-np.inf, end_so_far[:-1]]
    new = ~same | (ss - prev_end >= merge_gap_s)
    first = np.flatnonzero(new)
    group = np.empty(key.size, dtype=np.int64)
    group[order] = np.cumsum(new) - 1
    return group, order[first], np.minimum.reduceat(ss, first), np.maximum.reduceat(es, first)


def check_names(best: pd.DataFrame, gidx: np.ndarray) -> None:
    """Raise ``ValueError`` when rows of one group (``gidx``) name different pairs: two pairs
    sharing a hashed key (about one chance in 2^64 per pair of pairs) are detected, not
    merged."""
    if len(best) < 2:
        return
    order = np.argsort(gidx, kind="stable")
    g = gidx[order]
    same = g[1:] == g[:-1]
    for c in PAIR:
        v = best[c].array.take(order)
        agree = np.asarray(v[1:] == v[:-1], dtype=bool)
        if np.any(same & ~agree):
            raise ValueError("two pairs of aircraft share a hashed pair key")


def _first_at_or_after(x: np.ndarray, lo: np.ndarray, hi: np.ndarray, q: np.ndarray) -> np.ndarray:
    """The first index in ``[lo, hi)`` with ``x >= q`` (``hi`` if none), ``x`` sorted there."""
    return _last_at_or_before(x, lo, hi, q, strict=True) + 1


def _last_at_or_before(
    x: np.ndarray, lo: np.ndarray, hi: np.ndarray, q: np.ndarray, strict: bool = False
) -> np.ndarray:
    """Vectorised bisection: the last index in ``[lo, hi)`` with ``x <= q`` (``x < q`` when
    ``strict``; ``lo - 1`` if none); ``x`` is sorted within each ``[lo, hi)``."""
    lo = lo.copy()
    hi = hi.copy()
    while True:
        active = lo < hi
        if not active.any():
            return lo - 1
        mid = (lo + hi) // 2
        xm = x[np.minimum(mid, max(x.size - 1, 0))]
        go_right = xm < q if strict else xm <= q
        lo = np.where(active & go_right, mid + 1, lo)
        hi = np.where(active & ~go_right, mid, hi)


def ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The indices ``starts[k] .. starts[k] + counts[k] - 1`` of every k, one after another."""
    counts = np.asarray(counts, dtype=np.int64)
    ends = np.cumsum(counts)
    return np.repeat(np.asarray(starts, dtype=np.int64) - (ends - counts), counts) + np.arange(
        int(ends[-1]) if ends.size else 0
    )


def first_of_groups(gidx: np.ndarray, *keys: np.ndarray) -> np.ndarray:
    """Row of each group (in group order) that comes first by ``keys`` (ties: row order).

    Linear, not a sort: the smallest value of the first key per group (``ufunc.at``), then
    among the rows holding it the smallest of the next key, and so on; the first row last.
    """
    if gidx.size == 0:
        return np.zeros(0, dtype=np.int64)
    n_g = int(gidx.max()) + 1
    cand = np.arange(gidx.size)
    for key in keys:
        best = np.full(n_g, np.inf)
        np.minimum.at(best, gidx[cand], key[cand])
        cand = cand[key[cand] == best[gidx[cand]]]
    first = np.full(n_g, gidx.size, dtype=np.int64)
    np.minimum.at(first, gidx[cand], cand)
    return first[first < gidx.size]


def min_rows(pieces: pd.DataFrame, gidx: np.ndarray) -> np.ndarray:
    """Row of the piece of smallest horizontal distance in each group (ties: earliest, then
    first), in group order. Window groups and encounters use this one rule, so that the
    minimum of an encounter is the minimum of one of its window groups."""
    h = pieces["h_min_m"].to_numpy(np.float64)
    return first_of_groups(gidx, h, pieces["t_min"].to_numpy(np.float64))


def min_pieces(pieces: pd.DataFrame, gidx: np.ndarray) -> pd.DataFrame:
    """The pieces of :func:`min_rows`, with ``gidx``."""
    rows = min_rows(pieces, gidx)
    return pieces.iloc[rows].assign(gidx=gidx[rows])


def window_evidence(tracks: Tracks, groups: pd.DataFrame, cfg: ScanConfig) -> pd.DataFrame:
    """Raw samples of both aircraft within ``evidence_s`` of each window group's minimum
    (``groups``: ``t_min, id_i, id_j``, :class:`~wellclear.encounters.pieces.Found`).

    The samples are every deduplicated row of the window, clean or flagged, found through the
    (aircraft, time) order of ``tracks`` (:attr:`~.tracks.Tracks.all_row`) and read from
    ``tracks.frame`` (with the ``flag`` of each sample). Rows are tagged with ``wg``, the row of
    their window group in ``groups``, so that the final pass keeps those of each encounter's
    minimum; per group, aircraft i then j, each by time.
    """
    frame = tracks.frame
    cols = [c for c in EVIDENCE_COLUMNS if c in frame.columns or c == "flag"]
    if groups.empty:
        return pd.DataFrame({"wg": np.zeros(0, np.int64), **{c: [] for c in cols}})
    # both aircraft of every group minimum, i then j; each aircraft is one run of the order
    names = np.stack([groups["id_i"].to_numpy(object), groups["id_j"].to_numpy(object)], axis=1)
    k = pd.Index(tracks.all_ids).get_indexer(pd.Index(names.ravel()))
    if (k < 0).any():
        raise KeyError("an aircraft of a piece is not in the window")
    first, last = tracks.all_start[k], tracks.all_start[k + 1]
    t = tracks.all_t
    t_min = np.repeat(groups["t_min"].to_numpy(np.float64), 2)
    s = _first_at_or_after(t, first, last, t_min - cfg.evidence_s)
    e = _last_at_or_before(t, first, last, t_min + cfg.evidence_s) + 1
    e = np.maximum(e, s)
    cnt = e - s
    idx = ranges(s, cnt)
    # column by column (selecting several columns of the window's frame at once would first
    # consolidate its columns into blocks, copying them whole: 25 ms a window), in the order
    # of the rows (a cache-friendly pass over each column), then put in evidence order
    rows = tracks.all_row[idx]
    by_row = np.argsort(rows, kind="stable")
    inverse = np.empty_like(by_row)
    inverse[by_row] = np.arange(by_row.size)
    ordered = rows[by_row]
    taken = {c: frame[c].array.take(ordered) for c in cols if c not in ("id", "flag")}
    out = pd.DataFrame({c: v.take(inverse) for c, v in taken.items()})
    # each run of rows is one aircraft's: its name repeated (not the window's ids taken)
    runs = pd.array(tracks.all_ids[k], dtype="str").take(np.repeat(np.arange(k.size), cnt))
    out.insert(cols.index("id"), "id", pd.Series(runs))
    flags = pd.array(np.asarray(FLAGS, dtype=object), dtype="str")
    out.insert(cols.index("flag"), "flag", pd.Series(flags.take(tracks.all_flag[idx])))
    out.insert(0, "wg", np.repeat(np.repeat(np.arange(len(groups), dtype=np.int64), 2), cnt))
    return out


NAMES = ["id_i", "id_j", "party_i", "party_j", "callsign_i", "callsign_j"]


def episodes(
    pieces: pd.DataFrame,
    spans: pd.DataFrame,
    groups: pd.DataFrame,
    final: pd.DataFrame,
    gidx: np.ndarray,
    g_all: np.ndarray,
) -> pd.DataFrame:
    """One row per encounter (row of ``final``): pair, start, end and the measured
    quantities, no classes yet, and ``wg``: the window group holding its minimum.

    ``gidx``, ``g_all``: the encounter of each piece and span. Pieces and spans name their
    window group (``wg``, a row of ``groups``); the names of an encounter are those of the
    window group of its minimum (that group's own minimum is the same piece).
    """
    if final.empty:
        return final.assign(
            wg=np.zeros(0, np.int64), **{c: pd.Series([], dtype="str") for c in NAMES}
        )
    low = min_pieces(pieces, gidx)
    if not np.array_equal(low["gidx"].to_numpy(), np.arange(len(final))):
        raise AssertionError("a proximity group without pieces")
    wg = low["wg"].to_numpy(np.int64)
    first = first_of_groups(gidx, pieces["a"].to_numpy(np.float64))
    slant = np.full(len(final), np.inf)
    np.minimum.at(slant, gidx, pieces["slant_min_m"].to_numpy(np.float64))
    out: dict[str, object] = {c: final[c].to_numpy() for c in final.columns}
    out["wg"] = wg
    for c in NAMES:
        out[c] = groups[c].array.take(wg)
    start = final["start"].to_numpy(np.float64)
    out["duration_s"] = final["end"].to_numpy(np.float64) - start
    keep_low = ["t_min", "h_min_m", "dz_min_m", "lat_i", "lon_i", "alt_i_m"]
    for c in [*keep_low, "lat_j", "lon_j", "alt_j_m"]:
        out[c] = low[c].to_numpy()
    out["slant_min_m"] = slant
    out["rel_speed_start_mps"] = pieces["rel_speed_a_mps"].to_numpy()[first]
    out["range_rate_start_mps"] = pieces["range_rate_a_mps"].to_numpy()[first]
    out["min_interval_s"] = (low["b"] - low["a"]).to_numpy()
    out["alt_baro"] = low["alt_baro"].to_numpy()
    out["position_uncertainty_m"] = low["epu_m"].to_numpy()
    kind = spans["kind"].cat.codes.to_numpy()
    s_all = spans["s"].to_numpy(np.float64)
    e_all = spans["e"].to_numpy(np.float64)
    n = len(final)
    for name in ("los", "nmac", "close"):
        use = kind == SPAN_CODES[name]
        s, e, gk = s_all[use], e_all[use], g_all[use]
        out[f"{name}_s"] = np.bincount(gk, weights=e - s, minlength=n).astype(np.float64)
        if name == "los":
            lo = np.full(n, np.inf)
            hi = np.full(n, -np.inf)
            np.minimum.at(lo, gk, s)
            np.maximum.at(hi, gk, e)
            out["los_start"] = np.where(np.isfinite(lo), lo, np.nan)
            out["los_end"] = np.where(np.isfinite(hi), hi, np.nan)
    return pd.DataFrame(out)
