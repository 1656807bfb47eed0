"""Build ``src/wellclear/data/land_ne50m.npz``: the land of the report's maps (coastlines).

Input: ``land-50m.json`` of the npm package ``world-atlas`` 2.0.2 (TopoJSON of Natural Earth
1:50m land, public domain; ``npm pack world-atlas@2.0.2`` and unpack it), decoded here (quantised
arcs, delta-encoded) into one MultiPolygon and written in the compact layout of the sovereign
polygons (:func:`wellclear.airspace.sovereign.encode_geometries`). Run once:

    python scripts/build_land.py package/land-50m.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon

from wellclear.airspace.sovereign import encode_geometries
from wellclear.report.maps import LAND_FILE


def _arcs(topo: dict[str, object]) -> list[np.ndarray]:
    transform = topo["transform"]
    assert isinstance(transform, dict)
    scale = np.array(transform["scale"], dtype=np.float64)
    shift = np.array(transform["translate"], dtype=np.float64)
    out = []
    for arc in topo["arcs"]:  # type: ignore[attr-defined]
        q = np.cumsum(np.array(arc, dtype=np.int64), axis=0)
        out.append(q * scale + shift)
    return out


def _ring(arcs: list[np.ndarray], refs: list[int]) -> np.ndarray:
    parts = []
    for k, ref in enumerate(refs):
        a = arcs[ref] if ref >= 0 else arcs[~ref][::-1]
        parts.append(a if k == 0 else a[1:])
    return np.concatenate(parts)


def land(path: Path) -> MultiPolygon:
    """The land of a world-atlas TopoJSON file as one MultiPolygon (lon, lat degrees)."""
    topo = json.loads(path.read_text(encoding="utf-8"))
    arcs = _arcs(topo)
    polys = []
    for geom in topo["objects"]["land"]["geometries"]:
        shapes = geom["arcs"] if geom["type"] == "MultiPolygon" else [geom["arcs"]]
        for rings in shapes:
            coords = [_ring(arcs, r) for r in rings]
            polys.append(Polygon(coords[0], coords[1:]))
    valid = shapely.make_valid(shapely.MultiPolygon(polys))
    parts = shapely.get_parts(valid)
    found = [g for p in parts for g in shapely.get_parts(p) if isinstance(g, Polygon)]
    return MultiPolygon(found)


def main(argv: list[str]) -> None:
    geom = land(Path(argv[1]))
    encode_geometries(LAND_FILE, ["LAND"], ["land"], [0.0], [geom])
    print(f"{LAND_FILE}: {len(geom.geoms)} polygons, {LAND_FILE.stat().st_size} bytes")


if __name__ == "__main__":
    main(sys.argv)
