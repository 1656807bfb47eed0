"""Maps of the report as inline SVG, drawn offline from the data the package ships.

Background: Natural Earth 1:50m land (``data/land_ne50m.npz``, built by
``scripts/build_land.py``; its edges are the coastlines) and, where a finding names one, the
sovereign airspace (land plus territorial sea, :mod:`wellclear.airspace.sovereign`). A view is
a local azimuthal equidistant projection (pyproj ``aeqd``) centred on what it shows (the centre
taken on the sphere, so that a view across the antimeridian is centred between both sides; a
centre within 0.1 deg of a pole is moved to 89.9 deg so that north is up at the centre), with a
scale bar (true along lines through the centre) and a north arrow.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from wellclear.units import NM_M

FloatArray = npt.NDArray[np.float64]
LAND_FILE = Path(__file__).resolve().parent.parent / "data" / "land_ne50m.npz"
LAND_EDITION = "Natural Earth 1:50m land, from the npm package world-atlas 2.0.2 (public domain)"
MIN_HALF_M = 3000.0
"""Smallest half-width of a view (a finding of one point still shows its surroundings)."""


@lru_cache(maxsize=1)
def land() -> BaseGeometry:
    """The land of the world (one MultiPolygon, lon/lat degrees)."""
    from wellclear.airspace.sovereign import read_geometries

    return read_geometries(LAND_FILE)["LAND"][2]


@dataclass(frozen=True)
class Layer:
    """Something drawn on a map: lines (``lat``/``lon`` arrays, one per line), points or an
    area (a shapely geometry in lon/lat), with a CSS class and a legend label."""

    css: str
    label: str = ""
    lines: Sequence[tuple[FloatArray, FloatArray]] = ()
    points: Sequence[tuple[float, float, str]] = ()  # lat, lon, title
    area: BaseGeometry | None = None
    radius: float = 4.0  # of the points, in pixels


@dataclass(frozen=True)
class View:
    """A local azimuthal equidistant view centred at (``lat0``, ``lon0``)."""

    lat0: float
    lon0: float
    half_w_m: float
    half_h_m: float
    fwd: Transformer = field(repr=False, compare=False, init=False)

    def __post_init__(self) -> None:
        lat0 = float(np.clip(self.lat0, -89.9, 89.9))
        proj = f"+proj=aeqd +lat_0={lat0} +lon_0={self.lon0} +ellps=WGS84 +units=m"
        object.__setattr__(self, "fwd", Transformer.from_crs("EPSG:4326", proj, always_xy=True))

    def xy(self, lat: FloatArray, lon: FloatArray) -> tuple[FloatArray, FloatArray]:
        x, y = self.fwd.transform(np.asarray(lon, np.float64), np.asarray(lat, np.float64))
        return np.asarray(x), np.asarray(y)


def centre(lat: FloatArray, lon: FloatArray) -> tuple[float, float]:
    """The mean direction of points on the sphere (lat, lon): across the antimeridian it lies
    between both sides, not on the other side of the Earth."""
    la, lo = np.radians(lat), np.radians(lon)
    v = np.array([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)]).sum(axis=1)
    norm = np.linalg.norm(v)
    if norm < 1e-9:
        return float(lat[0]), float(lon[0])
    return float(np.degrees(np.arcsin(v[2] / norm))), float(np.degrees(np.arctan2(v[1], v[0])))


def view_of(lat: FloatArray, lon: FloatArray, aspect: float = 1.3, pad: float = 0.15) -> View:
    """The view holding every point, with a margin of ``pad`` of its size."""
    lat0, lon0 = centre(lat, lon)
    probe = View(lat0, lon0, 1.0, 1.0)
    x, y = probe.xy(lat, lon)
    hw = max(float(np.abs(x).max()), MIN_HALF_M) * (1 + pad)
    hh = max(float(np.abs(y).max()), MIN_HALF_M) * (1 + pad)
    hw, hh = max(hw, hh * aspect), max(hh, hw / aspect)
    return View(lat0, lon0, hw, hh)


def _lonlat_boxes(view: View) -> list[tuple[float, float, float, float]]:
    """Longitude/latitude boxes that hold the view (two across the antimeridian, one of every
    longitude near a pole or for a view of more than a quarter of the Earth)."""
    r_deg = np.degrees(np.hypot(view.half_w_m, view.half_h_m) / 6.3e6) * 1.1 + 0.5
    lat_lo, lat_hi = view.lat0 - r_deg, view.lat0 + r_deg
    if lat_hi >= 89.0 or lat_lo <= -89.0 or r_deg > 45.0:
        return [(-180.0, max(lat_lo, -90.0), 180.0, min(lat_hi, 90.0))]
    d_lon = r_deg / np.cos(np.radians(max(abs(lat_lo), abs(lat_hi))))
    lo, hi = view.lon0 - d_lon, view.lon0 + d_lon
    if d_lon >= 180.0:
        return [(-180.0, lat_lo, 180.0, lat_hi)]
    boxes = [(max(lo, -180.0), lat_lo, min(hi, 180.0), lat_hi)]
    if lo < -180.0:
        boxes.append((lo + 360.0, lat_lo, 180.0, lat_hi))
    if hi > 180.0:
        boxes.append((-180.0, lat_lo, hi - 360.0, lat_hi))
    return boxes


def _path(geom: BaseGeometry, view: View, px: float) -> str:
    """An SVG path of the parts of ``geom`` (lon/lat; polygons closed, lines open) in the view,
    in pixels (``px`` m each)."""
    parts = []
    for box in _lonlat_boxes(view):
        piece = shapely.clip_by_rect(geom, *box)
        if piece.is_empty:
            continue
        piece = shapely.segmentize(piece, 0.25)  # curved edges stay curved when projected
        piece = shapely.transform(piece, lambda c: np.column_stack(view.xy(c[:, 1], c[:, 0])))
        piece = shapely.clip_by_rect(
            piece, -view.half_w_m, -view.half_h_m, view.half_w_m, view.half_h_m
        )
        piece = shapely.simplify(piece, px * 0.5)
        for part in shapely.get_parts(piece):
            if isinstance(part, shapely.Polygon):
                rings, close = [part.exterior, *part.interiors], "Z"
            elif isinstance(part, shapely.LineString):
                rings, close = [part], ""
            else:
                continue
            for ring in rings:
                c = np.asarray(ring.coords)
                if len(c) < 2:
                    continue
                sx, sy = _px(c[:, 0], c[:, 1], view, px)
                pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(sx, sy, strict=True))
                parts.append(f"M{pts}{close}")
    return "".join(parts)


def _px(x: FloatArray, y: FloatArray, view: View, px: float) -> tuple[FloatArray, FloatArray]:
    return (x + view.half_w_m) / px, (view.half_h_m - y) / px


def _scale_bar(view: View, px: float, width: int, height: int) -> str:
    """A bar of a round number of nautical miles, about a fifth of the width, with km."""
    target = view.half_w_m * 2 / 5 / NM_M
    nice = max(
        v
        for v in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000)
        if v <= max(target, 0.1)
    )
    length = nice * NM_M / px
    x, y = 10, height - 12
    km = nice * NM_M / 1000
    return (
        f"<g class='scale'><rect x='{x}' y='{y - 4}' width='{length:.1f}' height='4'/>"
        f"<text x='{x}' y='{y - 7}'>{nice:g} NM ({km:.3g} km)</text></g>"
    )


def _north(view: View, px: float, width: int) -> str:
    """An arrow along the meridian at the centre, drawn in the upper right corner."""
    d = 0.01 if view.lat0 < 89.9 else -0.01
    x, y = view.xy(np.array([view.lat0, min(view.lat0 + d, 90.0)]), np.array([view.lon0] * 2))
    angle = float(np.degrees(np.arctan2(x[1] - x[0], y[1] - y[0]))) * (1 if d > 0 else -1)
    cx, cy = width - 18, 26
    return (
        f"<g class='north' transform='rotate({angle:.1f} {cx} {cy})'>"
        f"<path d='M{cx},{cy - 14} L{cx + 6},{cy + 8} L{cx},{cy + 3} L{cx - 6},{cy + 8}Z'/>"
        f"<text x='{cx}' y='{cy + 20}' text-anchor='middle'>N</text></g>"
    )


def map_svg(layers: Sequence[Layer], view: View, width: int = 460, title: str = "") -> str:
    """An SVG map of ``layers`` over land in ``view``."""
    px = view.half_w_m * 2 / width
    height = round(view.half_h_m * 2 / px)
    body = [f"<path class='land' d='{_path(land(), view, px)}'/>"]
    for layer in layers:
        tip = f"<title>{html.escape(layer.label)}</title>" if layer.label else ""
        if layer.area is not None:  # filled, and its boundary drawn (not the view's edges)
            body.append(f"<path class='{layer.css}' d='{_path(layer.area, view, px)}'>{tip}</path>")
            edge = _path(shapely.boundary(layer.area), view, px)
            body.append(f"<path class='{layer.css}-edge' d='{edge}'/>")
        for lat, lon in layer.lines:
            sx, sy = _px(*view.xy(lat, lon), view, px)
            pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(sx, sy, strict=True))
            body.append(f"<polyline class='{layer.css}' points='{pts}'>{tip}</polyline>")
        for p_lat, p_lon, name in layer.points:
            sx, sy = _px(*view.xy(np.array([p_lat]), np.array([p_lon])), view, px)
            body.append(
                f"<circle class='{layer.css}' cx='{sx[0]:.1f}' cy='{sy[0]:.1f}' "
                f"r='{layer.radius:g}'>"
                f"<title>{html.escape(name)}</title></circle>"
            )
    label = f"<text x='8' y='14' class='title'>{html.escape(title)}</text>" if title else ""
    return (
        f"<svg class='map' viewBox='0 0 {width} {height}' width='{width}' height='{height}' "
        f"role='img' aria-label='{html.escape(title or 'map')}'>"
        f"<rect class='sea' width='{width}' height='{height}'/>{''.join(body)}"
        f"{_scale_bar(view, px, width, height)}{_north(view, px, width)}{label}</svg>"
    )
