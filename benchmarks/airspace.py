"""Benchmark of wellclear.airspace: prints a table.

    .venv/bin/python benchmarks/airspace.py [--aircraft 100000] [--rows 1000000]

1. 100k aircraft spread over the world against the sovereign airspace of every state in the
   built-in data: the "now" query (inside + distance to the boundary), then with prediction
   (predicted entry within 120 s and area proximity warnings).
2. Recorded-track events on 1M rows of generated traffic flying straight across the borders of
   the Levant (TUR, SYR, LBN, ISR, PSX, JOR, IRQ, CYP sovereign airspace), 4 s samples.

Loading the data and preparing the volumes (trees, boundary segments) are timed separately.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import pandas as pd

from wellclear.airspace.events import EventsConfig, track_events
from wellclear.airspace.geometry import GEOD
from wellclear.airspace.index import VolumeIndex
from wellclear.airspace.now import NowConfig, check_now
from wellclear.airspace.sovereign import all_sovereign_volumes, sovereign_volume

PARTIES = ["unknown", "russia", "turkey", "usa", "syria", "israel", "nato"]
MAPPING = {"russia": "RUS", "turkey": "TUR", "usa": "USA", "syria": "SYR", "israel": "ISR"}
LEVANT = ["TUR", "SYR", "LBN", "ISR", "PSX", "JOR", "IRQ", "CYP"]


def world_states(n: int, rng: np.random.Generator, t: float) -> pd.DataFrame:
    lon = rng.uniform(-180.0, 180.0, n)
    lat = np.degrees(np.arcsin(rng.uniform(np.sin(np.radians(-60)), np.sin(np.radians(75)), n)))
    alt = rng.uniform(300.0, 12_000.0, n)
    return pd.DataFrame(
        {
            "id": [f"{i:06x}" for i in range(n)],
            "party": rng.choice(PARTIES, n),
            "callsign": "",
            "t": t,
            "lat": lat,
            "lon": lon,
            "alt_m": alt,
            "alt_baro_m": alt,
            "alt_geo_m": np.nan,
            "alt_src": "baro",
            "gs_mps": rng.uniform(60.0, 260.0, n),
            "trk_deg": rng.uniform(0.0, 360.0, n),
            "vs_mps": rng.normal(0.0, 3.0, n),
            "onground": False,
        }
    )


def levant_tracks(rows: int, rng: np.random.Generator, per_track: int = 1000) -> pd.DataFrame:
    n_tr = rows // per_track
    lon0 = rng.uniform(34.5, 41.5, n_tr)
    lat0 = rng.uniform(32.0, 38.5, n_tr)
    az = rng.uniform(0.0, 360.0, n_tr)
    gs = rng.uniform(120.0, 250.0, n_tr)
    tt = np.arange(per_track) * 4.0
    x, y, _ = GEOD.fwd(
        np.repeat(lon0, per_track),
        np.repeat(lat0, per_track),
        np.repeat(az, per_track),
        (gs[:, None] * tt[None, :]).ravel(),
    )
    alt = np.repeat(rng.uniform(1000.0, 11_000.0, n_tr), per_track)
    return pd.DataFrame(
        {
            "id": np.repeat([f"t{i:05d}" for i in range(n_tr)], per_track),
            "party": np.repeat(rng.choice(PARTIES, n_tr), per_track),
            "callsign": "",
            "t": np.tile(1.448e9 + tt, n_tr),
            "lat": np.asarray(y),
            "lon": np.asarray(x),
            "alt_m": alt,
            "alt_baro_m": alt,
            "alt_geo_m": np.nan,
            "alt_src": "baro",
            "gs_mps": np.repeat(gs, per_track),
            "trk_deg": np.repeat(az, per_track),
            "vs_mps": 0.0,
            "onground": False,
        }
    )


def timed(fn, repeat: int = 3):  # type: ignore[no-untyped-def]
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--aircraft", type=int, default=100_000)
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    rng = np.random.default_rng(2015)
    rows: list[tuple[str, str, str]] = []

    t_load, vols = timed(all_sovereign_volumes, 1)
    rows.append(("load sovereign data", f"{len(vols)} states", f"{t_load:.2f} s"))
    t0 = time.perf_counter()
    index = VolumeIndex(vols)
    index.prepare_all()
    t_prep = time.perf_counter() - t0
    rows.append(
        ("prepare volumes (trees, segments)", f"{len(index.parts)} parts", f"{t_prep:.2f} s")
    )

    at = 1.448e9
    st = world_states(args.aircraft, rng, at)
    now_cfg = NowConfig(predict=False, proximity=False, party_state=MAPPING)
    t_now, res = timed(lambda: check_now(st, index, at, now_cfg))
    rows.append(
        (
            f"now: {args.aircraft:,} aircraft, inside + distance",
            f"{len(res):,} inside",
            f"{t_now:.3f} s",
        )
    )
    full = NowConfig(lookahead_s=120.0, party_state=MAPPING)
    t_full, res = timed(lambda: check_now(st, index, at, full))
    counts = res["status"].value_counts().to_dict()
    summary = ", ".join(f"{counts.get(k, 0):,} {k}" for k in ("inside", "entry", "proximity"))
    rows.append(("now + prediction (120 s) + proximity", summary, f"{t_full:.3f} s"))

    levant = [sovereign_volume(c) for c in LEVANT]
    t0 = time.perf_counter()
    lidx = VolumeIndex(levant)
    lidx.prepare_all()
    rows.append(
        ("prepare Levant volumes", f"{len(levant)} states", f"{time.perf_counter() - t0:.2f} s")
    )
    tracks = levant_tracks(args.rows, rng)
    ev_cfg = EventsConfig(party_state=MAPPING)
    t_ev, ev = timed(lambda: track_events(tracks, lidx, ev_cfg))
    rate = len(tracks) / t_ev
    rows.append(
        (
            f"events: {len(tracks):,} track rows, Levant",
            f"{len(ev):,} events",
            f"{t_ev:.3f} s ({rate / 1e6:.2f} M rows/s)",
        )
    )

    print(
        f"wellclear airspace benchmark - {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()} (best of 3)"
    )
    w = [max(len(r[i]) for r in rows) for i in range(3)]
    print(f"| {'case':<{w[0]}} | {'result':<{w[1]}} | {'time':<{w[2]}} |")
    print(f"|{'-' * (w[0] + 2)}|{'-' * (w[1] + 2)}|{'-' * (w[2] + 2)}|")
    for r in rows:
        print(f"| {r[0]:<{w[0]}} | {r[1]:<{w[1]}} | {r[2]:<{w[2]}} |")


if __name__ == "__main__":
    main()
