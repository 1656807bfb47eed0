"""GeoJSON airspace volumes (RFC 7946): polygons and multipolygons with their limits.

Each Feature with a Polygon or MultiPolygon geometry is one volume. Edges are straight in
lon/lat (RFC 7946 section 3.1.1); a ring that crosses the antimeridian is unwrapped and split.
Properties (all optional):

============ ======================================================================
name         the volume's name (else ``adm0_a3``, else ``feature N``)
kind         sovereign, restricted, prohibited, danger, agreed, controlled, fir, adiz
             (default restricted)
floor        ``SFC``, ``GND``, ``FL95``, ``1500 ft AMSL``, ``300 m``, ``500 ft AGL``
ceiling      as floor, or ``UNL`` (default: surface to unlimited)
windows      ISO 8601 intervals in UTC (a list, or one string with commas)
binds        parties it binds (list or comma string); default everyone
exempt       parties it does not bind
owner        the owning state (ISO3) of a sovereign volume (default ``adm0_a3``)
margin       the area proximity margin, e.g. ``2 NM`` (default 2 NM)
============ ======================================================================

Positions must be finite, with longitude in [-180, 180] and latitude in [-90, 90]; an edge is
straight in lon/lat however long (see :func:`~wellclear.airspace.geometry.rfc7946_ring` for a
ring that was not split at the antimeridian). A hole must lie inside its shell, a floor below
its ceiling.

Property names are read case-insensitively; EUROCONTROL-style ``TYPE`` (when it names a
kind), ``LOWERLIMIT`` with ``LOWERUNIT`` and ``UPPERLIMIT`` with ``UPPERUNIT`` (``FL`` or
``FT``/``M``) are read as kind, floor and ceiling.

Errors (:class:`ZoneError`) name the file and the feature.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from shapely.geometry import MultiPolygon, Polygon

from wellclear.airspace.geometry import GeometryError, clean, rfc7946_ring
from wellclear.airspace.volume import (
    DEFAULT_MARGIN_M,
    KINDS,
    SFC,
    UNL,
    Limit,
    LimitError,
    Volume,
    check_limits,
    parse_limit,
    parse_window,
)
from wellclear.units import UnitError, parse_length

_KIND_ALIASES = {"r": "restricted", "p": "prohibited", "d": "danger", "q": "danger"}


class ZoneError(ValueError):
    """A zone file that cannot be read; the message names the file and the feature."""


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v).strip() for v in value]


def _ring(coords: Any, what: str, warnings: list[str]) -> np.ndarray:
    try:
        a = np.asarray(coords, dtype=np.float64)
    except (TypeError, ValueError):
        raise ZoneError(f"{what}: a ring is not a list of [lon, lat] numbers") from None
    if a.ndim != 2 or a.shape[1] < 2 or len(a) < 3:
        raise ZoneError(f"{what}: a ring needs at least 3 [lon, lat] positions")
    a = a[:, :2]
    bad = ~np.isfinite(a).all(axis=1) | (np.abs(a[:, 0]) > 180.0) | (np.abs(a[:, 1]) > 90.0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        more = f" (and {int(bad.sum()) - 1} more)" if bad.sum() > 1 else ""
        raise ZoneError(
            f"{what}: position {k} [{a[k, 0]:g}, {a[k, 1]:g}] is out of range{more}: longitude "
            "must be in [-180, 180], latitude in [-90, 90]"
        )
    if not np.array_equal(a[0], a[-1]):
        warnings.append(f"{what}: unclosed ring closed")
        a = np.vstack([a, a[:1]])
    lon, lat, notes = rfc7946_ring(a[:, 0], a[:, 1])
    warnings.extend(f"{what}: {n}" for n in notes)
    return np.column_stack([lon, lat])


def _polygon(rings: Any, what: str, warnings: list[str]) -> Polygon:
    if not rings:
        raise ZoneError(f"{what}: polygon without rings")
    shell = _ring(rings[0], what, warnings)
    outer = Polygon(shell)
    holes = []
    for number, r in enumerate(rings[1:], start=1):
        h = _ring(r, f"{what}: hole {number}", warnings)
        h[:, 0] += 360.0 * np.round((shell[0, 0] - h[0, 0]) / 360.0)
        if not outer.buffer(0).covers(Polygon(h).buffer(0)):
            raise ZoneError(f"{what}: hole {number} is not inside its shell")
        holes.append(h)
    return Polygon(shell, holes)


def _limit(props: dict[str, Any], keys: tuple[str, ...], default: Limit, what: str) -> Limit:
    for k in keys:
        if props.get(k) is not None:
            try:
                return parse_limit(props[k])
            except LimitError as e:
                raise ZoneError(f"{what}: {k}: {e}") from None
    return default


def feature_volume(feature: dict[str, Any], number: int, source: str) -> Volume:
    """One GeoJSON Feature as a :class:`Volume`."""
    props = {str(k).lower(): v for k, v in (feature.get("properties") or {}).items()}
    for side in ("lower", "upper"):  # EUROCONTROL style: LOWERLIMIT + LOWERUNIT
        value, unit = props.get(f"{side}limit"), props.get(f"{side}unit")
        if value is not None and unit is not None and props.get(side) is None:
            u = str(unit).strip().upper()
            props[side] = f"FL{value}" if u == "FL" else f"{value} {u}"
    name = str(props.get("name") or props.get("adm0_a3") or f"feature {number}")
    what = f"{source}: feature {number} ({name})"
    geom = feature.get("geometry") or {}
    warnings: list[str] = []
    if geom.get("type") == "Polygon":
        polys = [_polygon(geom.get("coordinates"), what, warnings)]
    elif geom.get("type") == "MultiPolygon":
        polys = [_polygon(p, what, warnings) for p in geom.get("coordinates") or []]
    else:
        raise ZoneError(f"{what}: geometry {geom.get('type')!r} is not a Polygon or MultiPolygon")
    try:
        multi, fixes = clean(MultiPolygon(polys), what)
    except (GeometryError, ValueError) as e:
        raise ZoneError(str(e)) from None
    warnings.extend(fixes)
    kind = str(props.get("kind") or "").strip().lower()
    if not kind:  # a TYPE that names a kind (EUROCONTROL FIR files); others are not kinds
        typ = str(props.get("type") or "").strip().lower()
        kind = typ if typ in KINDS else "restricted"
    kind = _KIND_ALIASES.get(kind, kind)
    if kind not in KINDS:
        raise ZoneError(f"{what}: unknown kind {kind!r}: expected one of {', '.join(KINDS)}")
    floor = _limit(props, ("floor", "lower"), SFC, what)
    ceiling = _limit(props, ("ceiling", "upper"), UNL, what)
    try:
        check_limits(floor, ceiling)
    except LimitError as e:
        raise ZoneError(f"{what}: {e}") from None
    for lim in (floor, ceiling):
        if lim.ref == "AGL":
            warnings.append(f"{what}: limit {lim.text!r} above ground treated as above sea level")
    try:
        wins = [parse_window(w) for w in _list(props.get("windows"))]
        margin = parse_length(str(props["margin"])) if props.get("margin") else DEFAULT_MARGIN_M
    except (ValueError, UnitError) as e:
        raise ZoneError(f"{what}: {e}") from None
    binds = _list(props.get("binds"))
    owner = props.get("owner") or (props.get("adm0_a3") if kind == "sovereign" else None)
    return Volume(
        name=name,
        kind=kind,
        geometry=multi,
        floor=floor,
        ceiling=ceiling,
        windows=tuple(wins) if wins else None,
        binds=frozenset(binds) if binds else None,
        exempt=frozenset(_list(props.get("exempt"))),
        owner=str(owner).upper() if owner else None,
        margin_m=margin,
        source=source,
        warnings=tuple(warnings),
    )


def read_geojson_zones(path: str | Path) -> list[Volume]:
    """Every Polygon/MultiPolygon feature of a GeoJSON file as a volume."""
    source = str(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise ZoneError(f"{source}: cannot read GeoJSON: {e}") from None
    if data.get("type") == "FeatureCollection":
        features = data.get("features") or []
    elif data.get("type") == "Feature":
        features = [data]
    else:
        features = [{"type": "Feature", "properties": {}, "geometry": data}]
    return [feature_volume(f, i, source) for i, f in enumerate(features)]
