"""Tracks: the states of each aircraft, time-ordered, cleaned, as arrays for the kernels.

Cleaning, in order, each step local in time so that a time window with :attr:`ScanConfig.overlap_s`
of context gives the same flags as the whole data:

1. rows without an id, a time or a position are left out; the others are sorted by (``id``,
   ``t``) (stable, ids compared as strings), repeated (``id``, ``t``) removed (first kept);
2. rows without altitude flagged ``no_altitude``, rows reported on the ground ``onground``
   (encounters are between airborne aircraft);
3. the plausibility stage (:mod:`wellclear.encounters.plausibility`, ``docs/plausibility.md``)
   flags the airborne samples with an altitude that are ``frozen`` (a repeated position while
   the speed says it moved), a ``jump`` (every leg to its neighbours within ``max_gap`` needs a
   horizontal speed above ``max_speed_mps`` or a climb above ``max_climb_mps``, or a short
   island between two such legs), a ``duplicate_transponder`` (one address at two places at
   once) or ``surface`` movement near an aerodrome; flagged samples are kept in the evidence
   and not used for minima (their counts are in the scan's result);
4. the remaining (clean) samples form segments; consecutive clean samples further apart than
   ``max_gap``, or whose leg is still impossible (a lasting step), are not bridged.

Velocities: ground speed and track give an ECEF velocity at each sample; where they are missing
the chord to the neighbouring sample of the segment is used, so the path falls back to the great
circle (a straight line in the local frame). The same for altitude and vertical rate.

The input table is not reordered: integer codes of the ids (in the order of the names) and the
times are sorted, and the compiled loops of :mod:`wellclear.encounters._tracks` read the columns
through that order.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from wellclear.encounters import _tracks, plausibility
from wellclear.encounters.config import ScanConfig
from wellclear.runtime.pool import helper
from wellclear.states import check_states

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FlagArray = npt.NDArray[np.int8]

QUALITY_COLUMNS = ("nacp", "nic", "nucp", "source_type")
# the states columns a scan reads (alt_geo_m and alt_src are already folded into alt_m)
SCAN_COLUMNS = (
    "id",
    "party",
    "callsign",
    "t",
    "lat",
    "lon",
    "alt_m",
    "alt_baro_m",
    "gs_mps",
    "trk_deg",
    "vs_mps",
    "onground",
)
SOURCE_COLUMNS = ("source", "line")
# the flag of a sample, by its code in Tracks.all_flag (codes 4-6: plausibility.FROZEN, ...)
FLAGS = ("", "jump", "no_altitude", "onground", "frozen", "surface", "duplicate_transponder")


def _empty_int() -> IntArray:
    return np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class Tracks:
    """Clean samples of every aircraft, sorted by (aircraft, time).

    ``ids`` are the names of the aircraft with clean samples (sorted), ``code`` the index in
    ``ids`` of each sample's aircraft. ``frame`` is the input table as given (not reordered, not
    copied); ``row[k]`` is the position (``iloc``) in ``frame`` of clean sample ``k``, so that
    ``frame["party"].to_numpy()[row]`` are the parties of the samples (on a large table of
    Arrow-backed strings, ``frame["party"].array.take(row)`` converts only those rows).
    ``seg_next[k]`` is true when sample ``k`` and ``k + 1`` belong to one segment.

    Every deduplicated sample (clean or flagged), sorted by (aircraft, time), for the evidence:
    ``all_row`` (positions in ``frame``), ``all_t`` and ``all_flag`` (indices into
    :data:`FLAGS`); aircraft ``a`` (named ``all_ids[a]``, names sorted) owns
    ``all_row[all_start[a]:all_start[a + 1]]``.
    """

    frame: pd.DataFrame
    ids: npt.NDArray[np.object_]  # aircraft names by code
    code: IntArray
    t: FloatArray
    pos: FloatArray  # (N, 3) ECEF on the ellipsoid surface
    vel_out: FloatArray  # (N, 3) velocity leaving the sample (m/s)
    vel_in: FloatArray  # (N, 3) velocity arriving at the sample
    alt: FloatArray
    alt_baro: FloatArray
    vz_out: FloatArray
    vz_in: FloatArray
    seg_next: BoolArray
    row: IntArray
    all_ids: npt.NDArray[np.object_] = field(default_factory=lambda: np.zeros(0, dtype=object))
    all_start: IntArray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    all_row: IntArray = field(default_factory=_empty_int)
    all_t: FloatArray = field(default_factory=lambda: np.zeros(0, dtype=np.float64))
    all_flag: FlagArray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))

    @property
    def size(self) -> int:
        return int(self.t.size)


def _floats(frame: pd.DataFrame, column: str) -> FloatArray:
    """A column as float64 (no copy for a float64 column), missing values NaN."""
    col = frame[column]
    if col.dtype == np.float64:
        return np.asarray(col.to_numpy(), dtype=np.float64)
    return np.asarray(col.to_numpy(np.float64, na_value=np.nan), dtype=np.float64)


def _ground(frame: pd.DataFrame) -> BoolArray:
    col = frame["onground"]
    if col.dtype == np.bool_:
        return np.asarray(col.to_numpy(), dtype=np.bool_)
    return np.asarray(col.astype("boolean").fillna(False).to_numpy(dtype=bool), dtype=np.bool_)


_scratch = threading.local()
# the largest records buffer a thread keeps (96 B a row: 96 MB); larger tables (a whole frame
# scanned at once) get an array of their own, freed with it
_KEEP_ROWS = 1_000_000
# the fewest rows worth a block of records of their own (a block costs a task)
RECORD_BLOCK = 50_000


def _records_buffer(n_rows: int) -> FloatArray:
    """Room for the row records of ``n_rows`` rows (:func:`_tracks.records`), kept by the
    thread for its next window: a window's records (~50 MB) are read only while its tracks are
    built, and a fresh array that large would be a fresh mapping, faulted in page by page
    (with huge pages, compacted first) at every window."""
    if n_rows > _KEEP_ROWS:
        return np.empty((n_rows, _tracks.RECORD))
    buf: FloatArray | None = getattr(_scratch, "records", None)
    if buf is None or buf.shape[0] < n_rows:
        buf = np.empty((min(n_rows + n_rows // 4, _KEEP_ROWS), _tracks.RECORD))
        _scratch.records = buf
    return buf[:n_rows]


def id_codes(ids: pd.Series) -> tuple[IntArray, npt.NDArray[np.object_]]:
    """Integer codes of the ids and the names they stand for, in the order of the names (as
    ``pd.factorize(ids.astype(str), sort=True)``): from the codes of a categorical column
    (ids read as a dictionary) with the names present only, else by factorizing the text
    (fast on Arrow strings)."""
    if isinstance(ids.dtype, pd.CategoricalDtype) and not ids.hasnans:
        raw = ids.cat.codes.to_numpy().astype(np.int64)
        cats = np.asarray(ids.cat.categories.astype(str).to_numpy(dtype=object), dtype=object)
        used = np.flatnonzero(np.bincount(raw, minlength=cats.size))
        order = used[np.argsort(cats[used], kind="stable")]
        rank = np.full(cats.size, -1, dtype=np.int64)
        rank[order] = np.arange(order.size)
        return rank[raw], cats[order]
    found, uniques = pd.factorize(ids.astype(str), sort=True)
    codes = np.asarray(found, dtype=np.int64)
    if not codes.flags.writeable:
        codes = codes.copy()
    return codes, np.asarray(uniques.to_numpy(dtype=object), dtype=object)


def build_tracks(states: pd.DataFrame, cfg: ScanConfig, threads: int = 2) -> Tracks:
    """Clean ``states`` and build the arrays of the Hermite paths (see the module docstring).

    ``states`` is not reordered nor copied (it is :attr:`Tracks.frame`). With ``threads`` > 1
    the ECEF positions and velocities of the rows are computed on helper threads, in up to
    ``threads`` blocks of rows, while the ids are coded and sorted (the compiled loop releases
    the GIL); the result does not depend on it.
    """
    check_states(states, SCAN_COLUMNS)
    t = _floats(states, "t")
    lat = _floats(states, "lat")
    lon = _floats(states, "lon")
    n_rows = t.size
    rec = _records_buffer(n_rows)
    columns = (
        t,
        lat,
        lon,
        _floats(states, "alt_m"),
        _floats(states, "alt_baro_m"),
        _ground(states),
        _floats(states, "gs_mps"),
        _floats(states, "trk_deg"),
        _floats(states, "vs_mps"),
    )
    # the records in up to ``threads`` blocks of rows (at least RECORD_BLOCK each) on the helpers
    blocks = max(1, min(threads, n_rows // RECORD_BLOCK)) if threads > 1 else 0
    cuts = np.linspace(0, n_rows, blocks + 1).astype(np.int64)
    done = [
        helper().submit(_tracks.records, int(cuts[k]), int(cuts[k + 1]), *columns, rec)
        for k in range(blocks)
    ]
    if not done:
        _tracks.records(0, n_rows, *columns, rec)
    codes, names = id_codes(states["id"])
    order = np.empty(n_rows, dtype=np.int64)
    start = _tracks.bucket_rows(codes, t, lat, lon, int(names.size), order)
    for block in done:
        block.result()
    surface = plausibility.surface_rows(
        lat,
        lon,
        columns[3],
        columns[6],
        columns[5],
        float(cfg.surface_speed_mps),
        float(cfg.surface_height_m),
        float(cfg.surface_radius_m),
    )
    rec[surface, _tracks.R_SURFACE] = 1.0
    m = int(start[-1])
    all_t = np.empty(m)
    all_flag = np.empty(m, dtype=np.int8)
    code = np.empty(m, dtype=np.int64)
    row = np.empty(m, dtype=np.int64)
    t_out = np.empty(m)
    pos = np.empty((m, 3))
    vel_out = np.empty((m, 3))
    vel_in = np.empty((m, 3))
    alt = np.empty(m)
    alt_baro = np.empty(m)
    vz_out = np.empty(m)
    vz_in = np.empty(m)
    seg_next = np.empty(m, dtype=np.bool_)
    all_start, aircraft, n = _tracks.clean_paths(
        start,
        order,
        rec,
        float(cfg.max_gap_s),
        float(cfg.max_speed_mps),
        float(cfg.max_climb_mps),
        float(cfg.frozen_tolerance_m),
        float(cfg.frozen_min_m),
        all_t,
        all_flag,
        code,
        row,
        t_out,
        pos,
        vel_out,
        vel_in,
        alt,
        alt_baro,
        vz_out,
        vz_in,
        seg_next,
    )
    # aircraft with at least one deduplicated sample
    present = np.flatnonzero(np.diff(all_start) > 0)
    k = int(all_start[-1])
    return Tracks(
        frame=states,
        ids=names[aircraft],
        code=code[:n],
        t=t_out[:n],
        pos=pos[:n],
        vel_out=vel_out[:n],
        vel_in=vel_in[:n],
        alt=alt[:n],
        alt_baro=alt_baro[:n],
        vz_out=vz_out[:n],
        vz_in=vz_in[:n],
        seg_next=seg_next[:n],
        row=row[:n],
        all_ids=names[present],
        all_start=np.append(all_start[present], k),
        all_row=order[:k],
        all_t=all_t[:k],
        all_flag=all_flag[:k],
    )


def clean(states: pd.DataFrame, cfg: ScanConfig) -> pd.DataFrame:
    """The deduplicated states sorted by (``id``, ``t``), ids as strings, with a ``flag`` column
    (one of :data:`FLAGS`, ``""`` when clean): steps 1-3 of the module docstring as a table
    (the scan uses the arrays of :func:`build_tracks`)."""
    tracks = build_tracks(states, cfg)
    frame = states.iloc[tracks.all_row].reset_index(drop=True)
    frame = frame.assign(id=frame["id"].astype(str))
    frame["flag"] = np.asarray(FLAGS, dtype=object)[tracks.all_flag]
    return frame
