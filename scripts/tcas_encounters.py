"""Generate the TCAS II encounters of ``tests/data/daidalus_tcas`` (deterministic seeds).

Each file is one ownship that climbs or descends through one TCAS II sensitivity-level boundary
(RTCA DO-185B: 1000, 2350, 5000, 10000, 20000 and 42000 ft; DAIDALUS ``TCASTable`` takes them
as altitudes, the ownship's ``alt`` of the file) and six intruders, in straight flight:
head-on, crossing, overtaking and overtaken, level or climbing or descending, some co-altitude
at the closest approach, and one climbing or descending with the ownship 650-1150 ft above or
below it. Two more files keep the ownship level, exactly on a boundary (the upper
bound of a level belongs to it) and just above it, with intruders that climb and descend. The
closest approach and the crossing of the boundary are a few seconds to a minute apart, so that
the boundary falls inside the lookahead while the pair closes.

Usage: ``python scripts/tcas_encounters.py [OUT_DIR]`` (default ``tests/data/daidalus_tcas``).
Positions are written as latitude/longitude (a sphere of one nautical mile per arc-minute about
a reference point), velocities as track, ground speed and vertical speed, one row per aircraft
and second, as DAIDALUS's ``.daa`` files are.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FT = 0.3048
KT = 1852.0 / 3600.0
FPM = FT / 60.0
R_EARTH = 6366707.0195  # m: one nautical mile per arc-minute (DAIDALUS's spherical earth)

BOUNDARIES_FT = (1000.0, 2350.0, 5000.0, 10000.0, 20000.0, 42000.0)
GEOMETRIES = ("head-on", "crossing", "overtaking", "overtaken", "oblique")  # and same rate
DURATION_S = 150
FLOOR_FT = 100.0  # no aircraft of the files below this altitude
HEADER = "NAME lat lon alt trk gs vs time"
UNITS = "[none] [deg] [deg] [ft] [deg] [knot] [fpm] [s]"


@dataclass(frozen=True)
class Track:
    """A straight track: position (m, local east/north), altitude (ft) at t = 0, velocity."""

    name: str
    x_m: float
    y_m: float
    alt_ft: float
    trk_deg: float
    gs_kt: float
    vs_fpm: float

    def at(self, t: float) -> tuple[float, float, float]:
        vx = self.gs_kt * KT * math.sin(math.radians(self.trk_deg))
        vy = self.gs_kt * KT * math.cos(math.radians(self.trk_deg))
        return self.x_m + vx * t, self.y_m + vy * t, self.alt_ft + self.vs_fpm / 60.0 * t


def _speed_kt(rng: np.random.Generator, alt_ft: float) -> float:
    lo, hi = (110.0, 190.0) if alt_ft < 6000 else (220.0, 320.0) if alt_ft < 15000 else (380, 480)
    return float(rng.uniform(lo, hi))


def _intruder(
    rng: np.random.Generator, own: Track, geometry: str, name: str, t_cpa: float
) -> Track:
    """An intruder that meets the ownship at ``t_cpa`` with a random miss distance."""
    ox, oy, oalt = own.at(t_cpa)
    turn = {"head-on": 180.0, "crossing": 90.0, "overtaking": 0.0, "overtaken": 0.0}
    off = turn.get(geometry, float(rng.uniform(120.0, 160.0)))
    trk = (own.trk_deg + float(rng.choice([-1.0, 1.0])) * off + rng.uniform(-5, 5)) % 360.0
    gs = _speed_kt(rng, oalt)
    if geometry == "overtaking":  # the intruder catches the ownship up from behind
        gs = own.gs_kt + float(rng.uniform(60.0, 120.0))
    elif geometry == "overtaken":  # the ownship catches a slower intruder up
        gs = max(60.0, own.gs_kt - float(rng.uniform(60.0, 100.0)))
    miss_m = float(rng.uniform(0.0, 0.9)) * 1852.0
    side = math.radians(own.trk_deg + 90.0)
    cx, cy = ox + miss_m * math.sin(side), oy + miss_m * math.cos(side)
    dz = float(rng.choice([0.0, rng.uniform(-700.0, 700.0)]))  # co-altitude or offset at CPA
    vs = float(rng.choice([0.0, rng.uniform(-3000.0, 3000.0)]))
    alt0 = oalt + dz - vs / 60.0 * t_cpa
    if min(alt0, alt0 + vs / 60.0 * DURATION_S) < FLOOR_FT:  # level, at or above the ownship
        vs, alt0 = 0.0, oalt + abs(dz)
    vx = gs * KT * math.sin(math.radians(trk))
    vy = gs * KT * math.cos(math.radians(trk))
    return Track(name, cx - vx * t_cpa, cy - vy * t_cpa, alt0, trk, gs, vs)


def crossing_encounter(boundary_ft: float, climbing: bool, seed: int) -> list[Track]:
    """An ownship through ``boundary_ft`` and one intruder per geometry."""
    rng = np.random.default_rng(seed)
    rate = float(rng.uniform(1500.0, 6000.0))
    # cross between lo and hi seconds, never under FLOOR_FT: slower near the ground
    if climbing:
        lo, hi = 10.0, 90.0
        rate = min(rate, (boundary_ft - FLOOR_FT) * 60.0 / lo)
        hi = min(hi, (boundary_ft - FLOOR_FT) * 60.0 / rate)
    else:
        lo, hi = 30.0, 120.0
        rate = min(rate, (boundary_ft - FLOOR_FT) * 60.0 / (DURATION_S - hi))
        lo = max(lo, DURATION_S - (boundary_ft - FLOOR_FT) * 60.0 / rate)
    t_cross = float(rng.uniform(lo, hi))
    vs = rate if climbing else -rate
    alt0 = boundary_ft - vs / 60.0 * t_cross
    trk = float(rng.uniform(0, 360))
    own = Track("Ownship", 0.0, 0.0, alt0, trk, _speed_kt(rng, boundary_ft), vs)
    tracks = [own]
    for k, geometry in enumerate(GEOMETRIES, start=1):
        t_cpa = min(max(t_cross + float(rng.uniform(-15.0, 60.0)), 60.5), 144.5)
        tracks.append(_intruder(rng, own, geometry, f"I{k}_{geometry}", t_cpa))
    tracks.append(_same_rate(rng, own, t_cross + float(rng.uniform(0.0, 50.0))))
    return tracks


def _same_rate(rng: np.random.Generator, own: Track, t_cpa: float) -> Track:
    """An intruder that climbs or descends with the ownship, 650-1150 ft above or below it
    (vertical distance constant: the level's ZTHR alone decides, 850 ft below 42000 ft and
    1200 ft above for the TA)."""
    intr = _intruder(rng, own, "oblique", "I6_same_rate", min(t_cpa, 144.5))
    lowest = min(own.alt_ft, own.at(DURATION_S)[2])
    dz = float(rng.uniform(650.0, 1150.0)) * float(rng.choice([-1.0, 1.0]))
    if lowest - abs(dz) < FLOOR_FT:
        dz = abs(dz)
    return Track(
        intr.name, intr.x_m, intr.y_m, own.alt_ft + dz, intr.trk_deg, intr.gs_kt, own.vs_fpm
    )


def level_encounter(alt_ft: float, seed: int) -> list[Track]:
    """A level ownship at ``alt_ft``; intruders climbing and descending through its level."""
    rng = np.random.default_rng(seed)
    own = Track("Ownship", 0.0, 0.0, alt_ft, float(rng.uniform(0, 360)), _speed_kt(rng, alt_ft), 0)
    tracks = [own]
    for k, geometry in enumerate(GEOMETRIES, start=1):
        t_cpa = float(rng.uniform(60.0, 140.0))
        intr = _intruder(rng, own, geometry, f"I{k}_{geometry}", t_cpa)
        rate = min(float(rng.uniform(1000.0, 4000.0)), (alt_ft - FLOOR_FT) * 60.0 / DURATION_S)
        vs = float(rng.choice([-1.0, 1.0])) * rate
        tracks.append(
            Track(intr.name, intr.x_m, intr.y_m, alt_ft - vs / 60.0 * t_cpa, intr.trk_deg,
                  intr.gs_kt, vs)
        )  # fmt: skip
    tracks.append(_same_rate(rng, own, float(rng.uniform(60.0, 140.0))))
    return tracks


def write_daa(path: Path, tracks: list[Track], comment: str, lat0: float, lon0: float) -> int:
    """Write one ``.daa`` file, one row per aircraft and second; returns the number of rows."""
    lines = [f"# {comment}", HEADER, UNITS]
    coslat = math.cos(math.radians(lat0))
    for t in range(DURATION_S + 1):
        for tr in tracks:
            x, y, alt = tr.at(float(t))
            lat = lat0 + math.degrees(y / R_EARTH)
            lon = lon0 + math.degrees(x / (R_EARTH * coslat))
            lines.append(
                f"{tr.name}, {lat:.10f}, {lon:.10f}, {alt:.4f}, {tr.trk_deg:.4f}, "
                f"{tr.gs_kt:.4f}, {tr.vs_fpm:.4f}, {t:.0f}"
            )
    path.write_text("\n".join(lines) + "\n")
    return (DURATION_S + 1) * (len(tracks) - 1)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    rows = 0
    seed = 1300
    for b in BOUNDARIES_FT:
        for climbing in (True, False):
            seed += 1
            name = f"sl_{int(b)}ft_{'climb' if climbing else 'descend'}"
            tracks = crossing_encounter(b, climbing, seed)
            note = f"ownship {'climbs' if climbing else 'descends'} through {b:.0f} ft; seed {seed}"
            rows += write_daa(out / f"{name}.daa", tracks, note, 33.9 + b / 1e5, -117.0)
    for alt in (10000.0, 2350.0, 5000.5):
        seed += 1
        tracks = level_encounter(alt, seed)
        note = f"level ownship at {alt:g} ft, intruders through its level; seed {seed}"
        rows += write_daa(out / f"level_{alt:g}ft.daa", tracks, note, 48.9, 2.4)
    print(f"wrote {rows} traffic rows to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("tests/data/daidalus_tcas"))
