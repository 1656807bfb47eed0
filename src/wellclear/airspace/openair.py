"""OpenAir airspace files (the text format of gliding and paragliding airspace).

One airspace starts at each ``AC`` line. Records read:

==== ===========================================================================================
AC   class: R restricted, P prohibited, Q danger, anything else controlled
AN   name
AL   floor, AH ceiling: ``SFC``, ``GND``, ``UNL``, ``FL95``, ``1500ft AMSL``/``MSL``/``AGL``, m
AY   type, AF frequency, AG ground station: kept in the source note when present
DP   a polygon point ``39:29.9 N 119:46.1 W`` (D:M.m, D:M:S or decimal degrees); the edge to the
     next point is a great circle
V    ``X=<point>`` centre of arcs and circles; ``D=+`` or ``D=-`` arc direction (clockwise by
     default); ``W=<NM>`` airway width
DA   ``radius_NM, start_deg, end_deg``: an arc about X, geodesic
DB   ``<point>, <point>``: an arc about X from the first point to the second, geodesic
DC   ``radius_NM``: a circle about X, geodesic
DY   a point of an airway (a line of width W about the points)
==== ===========================================================================================

``SP``, ``SB``, ``AT`` and comments (``*``) are ignored. Anything else, or a record that cannot be
read, raises :class:`OpenAirError` with the file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pyproj import CRS, Transformer
from shapely.geometry import LineString, Polygon

from wellclear.airspace.geometry import (
    GEOD,
    GeometryError,
    clean,
    densify_great_circle,
    geodesic_circle,
    polygon_from_ring,
)
from wellclear.airspace.volume import LimitError, Volume, check_limits, parse_limit
from wellclear.units import NM_M

CLASS_KIND = {"R": "restricted", "P": "prohibited", "Q": "danger"}
ARC_STEP_DEG = 2.0

_COORD = re.compile(
    r"^\s*([\d.:]+)\s*([NS])\s*,?\s*([\d.:]+)\s*([EW])\s*$",
    re.IGNORECASE,
)


class OpenAirError(ValueError):
    """A malformed OpenAir file: ``file:line: message``."""

    def __init__(self, message: str, file: str, line: int) -> None:
        super().__init__(f"{file}:{line}: {message}")
        self.file = file
        self.line = line


def _angle(text: str) -> float:
    parts = [float(p) for p in text.split(":")]
    if len(parts) > 3 or any(p < 0 for p in parts) or any(p >= 60 for p in parts[1:]):
        raise ValueError(f"bad angle {text!r}")
    return sum(p / 60.0**i for i, p in enumerate(parts))


def parse_point(text: str) -> tuple[float, float]:
    """``39:29.9 N 119:46.1 W`` -> (lon, lat) in degrees."""
    m = _COORD.match(text)
    if m is None:
        raise ValueError(f"cannot read coordinate {text.strip()!r}")
    lat = _angle(m.group(1)) * (1 if m.group(2).upper() == "N" else -1)
    lon = _angle(m.group(3)) * (1 if m.group(4).upper() == "E" else -1)
    if abs(lat) > 90 or abs(lon) > 180:
        raise ValueError(f"coordinate out of range {text.strip()!r}")
    return lon, lat


def _arc(
    center: tuple[float, float], radius_m: float, a0: float, a1: float, clockwise: bool
) -> list[tuple[float, float]]:
    sweep = (a1 - a0) % 360.0 if clockwise else -((a0 - a1) % 360.0)
    if sweep == 0:
        sweep = 360.0 if clockwise else -360.0
    n = max(2, int(np.ceil(abs(sweep) / ARC_STEP_DEG)) + 1)
    az = a0 + np.linspace(0.0, sweep, n)
    x, y, _ = GEOD.fwd(np.full(n, center[0]), np.full(n, center[1]), az, np.full(n, radius_m))
    return list(zip(np.asarray(x).tolist(), np.asarray(y).tolist(), strict=True))


@dataclass
class _Space:
    line: int
    cls: str
    name: str = ""
    floor: str | None = None
    ceiling: str | None = None
    points: list[tuple[float, float]] = field(default_factory=list)
    circle: tuple[float, float, float] | None = None
    airway: list[tuple[float, float]] = field(default_factory=list)
    width_nm: float = 0.0
    notes: list[str] = field(default_factory=list)


def _airway(points: list[tuple[float, float]], width_m: float, what: str) -> Polygon:
    """The points of an airway buffered by half its width in a local AEQD frame."""
    lon0, lat0 = points[0]
    crs = CRS.from_proj4(f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m")
    fwd = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    inv = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    x, y = fwd.transform([p[0] for p in points], [p[1] for p in points])
    if width_m <= 0:
        raise GeometryError(f"{what}: airway without a width (V W=)")
    ring = LineString(np.column_stack([x, y])).buffer(width_m / 2.0).exterior
    lon, lat = inv.transform(*np.asarray(ring.coords).T)
    return polygon_from_ring(np.asarray(lon), np.asarray(lat), what)


def _finish(s: _Space, source: str) -> Volume:
    what = f"{source}:{s.line}: airspace {s.name or '(no name)'}"
    if s.floor is None or s.ceiling is None:
        raise OpenAirError(f"airspace {s.name!r} lacks AL or AH", source, s.line)
    try:
        floor, ceiling = parse_limit(s.floor), parse_limit(s.ceiling)
        check_limits(floor, ceiling)
    except LimitError as e:
        raise OpenAirError(str(e), source, s.line) from None
    shapes = [
        name
        for name, given in (
            ("a DC circle", s.circle),
            ("DP/DA/DB points", s.points),
            ("DY airway", s.airway),
        )
        if given
    ]
    if len(shapes) > 1:
        raise OpenAirError(
            f"airspace {s.name!r} has both {' and '.join(shapes)}: one shape per airspace",
            source,
            s.line,
        )
    try:
        if s.circle is not None:
            lon, lat = geodesic_circle(s.circle[0], s.circle[1], s.circle[2], n=180)
            raw = polygon_from_ring(lon, lat, what)
        elif s.points:
            pts = [*s.points, s.points[0]]
            lon, lat = densify_great_circle(
                np.array([p[0] for p in pts]), np.array([p[1] for p in pts])
            )
            raw = polygon_from_ring(lon, lat, what)
        elif len(s.airway) >= 2:
            raw = _airway(s.airway, s.width_nm * NM_M, what)
        else:
            raise GeometryError(f"{what}: no DP, DA, DB, DC or DY geometry")
        geom, fixes = clean(raw, what)
    except GeometryError as e:
        raise OpenAirError(str(e), source, s.line) from None
    warnings = list(fixes)
    for lim in (floor, ceiling):
        if lim.ref == "AGL":
            warnings.append(f"{what}: limit {lim.text!r} above ground treated as above sea level")
    return Volume(
        name=s.name or f"airspace at line {s.line}",
        kind=CLASS_KIND.get(s.cls.upper(), "controlled"),
        geometry=geom,
        floor=floor,
        ceiling=ceiling,
        source="; ".join([f"{source}:{s.line} AC {s.cls}", *s.notes]),
        warnings=tuple(warnings),
    )


def parse_openair(text: str, source: str = "<openair>") -> list[Volume]:
    """Every airspace of an OpenAir text as a :class:`Volume`."""
    out: list[Volume] = []
    cur: _Space | None = None
    center: tuple[float, float] | None = None
    clockwise = True
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("*", 1)[0].strip() if not raw.lstrip().startswith("*") else ""
        if not line:
            continue
        rec, _, arg = line.partition(" ")
        rec = rec.upper()
        arg = arg.strip()
        try:
            if rec == "AC":
                if cur is not None:
                    out.append(_finish(cur, source))
                cur, center, clockwise = _Space(number, arg), None, True
                continue
            if rec in ("SP", "SB", "AT"):
                continue
            if cur is None:
                raise ValueError(f"record {rec} before the first AC")
            if rec == "AN":
                cur.name = arg
            elif rec == "AL":
                cur.floor = arg
            elif rec == "AH":
                cur.ceiling = arg
            elif rec in ("AY", "AF", "AG"):
                cur.notes.append(f"{rec} {arg}")
            elif rec == "DP":
                cur.points.append(parse_point(arg))
            elif rec == "V":
                key, _, val = arg.partition("=")
                key = key.strip().upper()
                if key == "X":
                    center = parse_point(val)
                elif key == "D":
                    if val.strip() not in ("+", "-"):
                        raise ValueError(f"V D= must be + or -, got {val.strip()!r}")
                    clockwise = val.strip() == "+"
                elif key == "W":
                    cur.width_nm = float(val)
                    if not cur.width_nm > 0:
                        raise ValueError(f"V W= airway width must be positive, got {val.strip()!r}")
                else:
                    raise ValueError(f"unknown variable V {key}")
            elif rec in ("DA", "DB", "DC"):
                if center is None:
                    raise ValueError(f"{rec} without a centre (V X=)")
                if rec == "DA":
                    r, a0, a1 = (float(v) for v in arg.split(","))
                    if not r > 0:
                        raise ValueError(f"DA radius must be positive, got {r:g}")
                    cur.points.extend(_arc(center, r * NM_M, a0, a1, clockwise))
                elif rec == "DB":
                    p0_txt, p1_txt = arg.split(",")
                    p0, p1 = parse_point(p0_txt), parse_point(p1_txt)
                    a0, _, r = GEOD.inv(center[0], center[1], p0[0], p0[1])
                    a1, _, _ = GEOD.inv(center[0], center[1], p1[0], p1[1])
                    arc = _arc(center, r, a0, a1, clockwise)
                    cur.points.extend([p0, *arc[1:-1], p1])
                else:
                    radius = float(arg) * NM_M
                    if not radius > 0:
                        raise ValueError(f"DC radius must be positive, got {arg!r}")
                    if cur.circle is not None:
                        raise ValueError("a second DC in one airspace")
                    cur.circle = (center[0], center[1], radius)
            elif rec == "DY":
                cur.airway.append(parse_point(arg))
            else:
                raise ValueError(f"unknown record {rec!r}")
        except OpenAirError:
            raise
        except ValueError as e:
            raise OpenAirError(f"{e} in {raw.strip()!r}", source, number) from None
    if cur is not None:
        out.append(_finish(cur, source))
    return out


def read_openair(path: str | Path) -> list[Volume]:
    """Read an OpenAir file (UTF-8, or Latin-1 when it is not UTF-8)."""
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return parse_openair(text, str(path))
