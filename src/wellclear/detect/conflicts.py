"""Predicted losses of separation for every pair of aircraft in a snapshot.

:func:`detect_conflicts` takes a states table (the snapshot, all states at one time) and
returns one row per conflicting pair, sorted by ``t_in`` then ids. Candidate pairs come from
:mod:`wellclear.detect.candidates`; each is then solved exactly by :mod:`wellclear.detect.cpa`.
:func:`evaluate_pairs` is the one exact path; the brute-force reference feeds it every pair.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from wellclear.detect import cpa
from wellclear.detect.candidates import candidate_pairs
from wellclear.geo import ecef, enu_basis, velocity_ecef
from wellclear.schemas import CONFLICTS, conform
from wellclear.states import (
    UNKNOWN_PARTY,
    bring_to_common_time,
    common_altitudes,
    complete_states,
    normalise_id,
)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

CONFLICT_COLUMNS: list[str] = CONFLICTS.names
"""The columns of the conflicts table (the contract :data:`wellclear.schemas.CONFLICTS`)."""


@dataclass(frozen=True)
class Minima:
    """Separation minima and lookahead, SI: each positive, finite and at most its limit.

    The limits are far above any separation standard (the largest procedural minima are tens of
    NM) and any state-based lookahead (DO-365 alerting looks ahead under 2 min; straight-line
    extrapolation over an hour says nothing): a value past them is a mistake in the input, and
    would make the candidate grid as coarse as the Earth and the search quadratic.
    """

    horizontal_m: float = 9260.0
    vertical_m: float = 1000 * 0.3048
    lookahead_s: float = 300.0

    LIMITS: ClassVar[dict[str, tuple[float, str]]] = {
        "horizontal_m": (200 * 1852.0, "200 NM"),
        "vertical_m": (10_000 * 0.3048, "10000 ft"),
        "lookahead_s": (3600.0, "1 h"),
    }

    def __post_init__(self) -> None:
        for name, (limit, text) in self.LIMITS.items():
            value = getattr(self, name)
            if not (0.0 < value <= limit):  # False for NaN
                raise ValueError(f"{name} must be positive and at most {text}, got {value}")


@dataclass(frozen=True)
class Traffic:
    """Per-aircraft arrays the pair kernels need, computed once per snapshot."""

    ids: npt.NDArray[np.object_]
    pos: FloatArray
    vel: FloatArray
    up: FloatArray
    baro: FloatArray
    geo: FloatArray
    vs: FloatArray

    @classmethod
    def from_states(cls, states: pd.DataFrame) -> Traffic:
        lat = states["lat"].to_numpy(np.float64)
        lon = states["lon"].to_numpy(np.float64)
        return cls(
            ids=states["id"].to_numpy(object),
            pos=ecef(lat, lon),
            vel=velocity_ecef(
                lat,
                lon,
                states["gs_mps"].to_numpy(np.float64),
                states["trk_deg"].to_numpy(np.float64),
            ),
            up=enu_basis(lat, lon)[2],
            baro=states["alt_baro_m"].to_numpy(np.float64),
            geo=states["alt_geo_m"].to_numpy(np.float64),
            vs=states["vs_mps"].to_numpy(np.float64),
        )

    def altitude_band(self, lookahead_s: float) -> tuple[FloatArray, FloatArray]:
        """Lowest and highest altitude over the lookahead, on every reference reported."""
        end_b = self.baro + self.vs * lookahead_s
        end_g = self.geo + self.vs * lookahead_s
        stack = np.stack([self.baro, end_b, self.geo, end_g])
        return np.nanmin(stack, axis=0), np.nanmax(stack, axis=0)


@dataclass(frozen=True)
class PairResult:
    """Exact results for an array of pairs; ``conflict`` selects the conflicting ones."""

    i: IntArray
    j: IntArray
    conflict: npt.NDArray[np.bool_]
    comparable: npt.NDArray[np.bool_]
    t_in: FloatArray
    t_out: FloatArray
    tcpa: FloatArray
    dcpa: FloatArray
    dalt_cpa: FloatArray
    distance: FloatArray
    dalt: FloatArray
    los: npt.NDArray[np.bool_]
    baro: npt.NDArray[np.bool_]


def evaluate_pairs(traffic: Traffic, i: IntArray, j: IntArray, minima: Minima) -> PairResult:
    """Solve pairs ``(i, j)`` exactly: conflict interval, CPA, current separation."""
    geom = cpa.project_pairs(traffic.pos, traffic.vel, traffic.up, i, j)
    _, tcpa, dcpa = cpa.horizontal_cpa(geom)
    radius = cpa.inner_radius(minima.horizontal_m)
    band = cpa.inner_band(minima.vertical_m)
    h_in, h_out = cpa.horizontal_interval(geom, radius)
    alt_i, alt_j, baro = common_altitudes(
        traffic.baro[i], traffic.geo[i], traffic.baro[j], traffic.geo[j]
    )
    comparable = ~np.isnan(alt_i)
    dz = alt_j - alt_i
    dvz = traffic.vs[j] - traffic.vs[i]
    v_in, v_out = cpa.vertical_interval(np.where(comparable, dz, np.inf), dvz, band)
    conflict, t_in, t_out = cpa.conflict_interval(h_in, h_out, v_in, v_out, minima.lookahead_s)
    chord = np.sqrt(geom.range_sq)
    los = (chord < radius) & (np.abs(dz) < band)
    distance = cpa.chord_to_arc(chord)
    dcpa = cpa.chord_to_arc(dcpa)
    return PairResult(
        i,
        j,
        conflict & comparable,
        comparable,
        t_in,
        t_out,
        tcpa,
        dcpa,
        dz + dvz * tcpa,
        distance,
        dz,
        los & comparable,
        baro,
    )


def _party_filter(
    parties: npt.NDArray[np.object_], i: IntArray, j: IntArray
) -> npt.NDArray[np.bool_]:
    """Pairs of different parties; ``unknown`` is never equal to anything."""
    pi, pj = parties[i], parties[j]
    return (pi != pj) | (pi == UNKNOWN_PARTY)


def select_pairs(
    states: pd.DataFrame,
    i: IntArray,
    j: IntArray,
    *,
    between_parties: bool = False,
    ownship: Sequence[str] | None = None,
) -> tuple[IntArray, IntArray]:
    """Keep the pairs asked for: between parties only, and/or involving the ownships."""
    keep = np.ones(len(i), dtype=bool)
    if between_parties:
        keep &= _party_filter(states["party"].to_numpy(object), i, j)
    if ownship:
        wanted = {o.strip().lower() for o in ownship}
        own = states["id"].isin(wanted).to_numpy()
        keep &= own[i] | own[j]
    return i[keep], j[keep]


def conflicts_table(states: pd.DataFrame, result: PairResult) -> pd.DataFrame:
    """The conflicts table (the contract :data:`wellclear.schemas.CONFLICTS`: ``t`` the
    snapshot time as a UTC timestamp, ``t_unix`` the same in unix seconds), sorted by
    ``t_in_s`` then ids."""
    sel = np.flatnonzero(result.conflict)
    ids = states["id"].to_numpy(object)
    rank = np.empty(len(ids), dtype=np.int64)
    rank[np.argsort(ids, kind="stable")] = np.arange(len(ids))
    i, j = result.i[sel], result.j[sel]
    swap = rank[i] > rank[j]
    a = np.where(swap, j, i)
    b = np.where(swap, i, j)
    order = np.lexsort((rank[b], rank[a], result.t_in[sel]))
    sel, a, b, swap = sel[order], a[order], b[order], swap[order]
    sign = np.where(swap, -1.0, 1.0)

    def col(name: str, idx: IntArray) -> pd.Series:
        return states[name].take(idx).reset_index(drop=True)

    ages = states["age_s"].to_numpy(np.float64) if "age_s" in states else np.zeros(len(states))
    t_out = result.t_out[sel]
    now = states["t"].to_numpy(np.float64) if "t" in states else np.full(len(states), np.nan)
    frame = pd.DataFrame(
        {
            "t": now[a],
            "id_1": col("id", a),
            "callsign_1": col("callsign", a),
            "party_1": col("party", a),
            "id_2": col("id", b),
            "callsign_2": col("callsign", b),
            "party_2": col("party", b),
            "age_1_s": ages[a],
            "age_2_s": ages[b],
            "t_in_s": result.t_in[sel],
            "t_out_s": np.where(np.isinf(t_out), np.nan, t_out),
            "tcpa_s": result.tcpa[sel],
            "dcpa_m": result.dcpa[sel],
            "dalt_cpa_m": sign * result.dalt_cpa[sel],
            "distance_m": result.distance[sel],
            "dalt_m": sign * result.dalt[sel],
            "los": result.los[sel],
            "alt_src": pd.Series(np.where(result.baro[sel], "baro", "geo"), dtype=object),
        }
    )
    return conform(frame, CONFLICTS)


@dataclass
class Detection:
    """Conflicts and the work done to find them: ``pairs_screened`` cell-sharing pairs were
    screened cheaply, ``pairs_examined`` distinct pairs were solved exactly."""

    conflicts: pd.DataFrame
    pairs_examined: int
    pairs_without_common_altitude: int
    pairs_screened: int = 0


def detect(
    states: pd.DataFrame,
    minima: Minima,
    *,
    between_parties: bool = False,
    ownship: Sequence[str] | None = None,
    cell_m: float | None = None,
) -> Detection:
    """Candidate search then exact test: every predicted loss of separation in the snapshot."""
    states = bring_to_common_time(complete_states(states))
    traffic = Traffic.from_states(states)
    alt_lo, alt_hi = traffic.altitude_band(minima.lookahead_s)
    party = None
    if between_parties:
        codes, _ = pd.factorize(states["party"].to_numpy(object))
        party = np.where(states["party"].to_numpy(object) == UNKNOWN_PARTY, -1, codes)
    own = None
    if ownship:
        wanted = {normalise_id(o) for o in ownship}
        own = states["id"].map(normalise_id).isin(wanted).to_numpy()
        missing = wanted - set(states["id"].map(normalise_id))
        if missing:
            raise ValueError(
                f"ownship {', '.join(sorted(missing))} not in the picture "
                f"({len(states)} aircraft usable at this time)"
            )
    i, j, screened = candidate_pairs(
        traffic.pos,
        traffic.vel,
        alt_lo,
        alt_hi,
        horizontal_m=minima.horizontal_m,
        vertical_m=minima.vertical_m,
        lookahead_s=minima.lookahead_s,
        baro=traffic.baro,
        geo=traffic.geo,
        vs=traffic.vs,
        party=None if party is None else party.astype(np.int64),
        own=own,
        cell_m=cell_m,
    )
    result = evaluate_pairs(traffic, i, j, minima)
    return Detection(
        conflicts_table(states, result), len(i), int((~result.comparable).sum()), screened
    )


def detect_conflicts(
    states: pd.DataFrame,
    *,
    horizontal_m: float = 9260.0,
    vertical_m: float = 304.8,
    lookahead_s: float = 300.0,
    between_parties: bool = False,
    ownship: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Every pair predicted to lose separation within the lookahead: the columns of
    :data:`wellclear.schemas.CONFLICTS` (``docs/schemas.md``).

    ``states`` is a snapshot, e.g. from :func:`wellclear.read_states`; states of different times
    ``t`` are first brought to the latest of them (``age_s`` says by how much).
    """
    minima = Minima(horizontal_m, vertical_m, lookahead_s)
    return detect(states, minima, between_parties=between_parties, ownship=ownship).conflicts
