"""Built-in sovereign airspace: land plus territorial sea, from Natural Earth 1:10m.

The data file is prepared ahead by ``scripts/build_sovereign.py`` and shipped with the package;
nothing is downloaded at run time. See ``docs/airspace.md`` for the edition and approximations.

File layout (``numpy.savez_compressed``): ``iso`` (adm0_a3 codes), ``name``, ``breadth_nm``,
``coords`` (int32 micro-degrees, delta-encoded per column), and the ragged-array offsets of one
MultiPolygon per state (``ring_offsets``, ``poly_offsets``, ``multi_offsets``).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import MultiPolygon

from wellclear.airspace.volume import SFC, UNL, Volume

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "sovereign_ne10m.npz"
EDITION = "Natural Earth 1:10m admin-0 countries, German point of view, v5.1.1"


def encode_geometries(
    path: Path,
    isos: Sequence[str],
    names: Sequence[str],
    breadths: Sequence[float],
    geoms: Sequence[MultiPolygon],
) -> None:
    """Write the states' MultiPolygons compactly (int32 micro-degrees, delta-encoded)."""
    kind, coords, offsets = shapely.to_ragged_array(np.array(geoms, dtype=object))
    assert kind == shapely.GeometryType.MULTIPOLYGON
    micro = np.round(coords * 1e6).astype(np.int64)
    delta = np.diff(micro, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).astype(np.int32)
    np.savez_compressed(
        path,
        iso=np.array(isos),
        name=np.array(names),
        breadth_nm=np.array(breadths, dtype=np.float64),
        coords=delta,
        ring_offsets=offsets[0],
        poly_offsets=offsets[1],
        multi_offsets=offsets[2],
    )


@lru_cache(maxsize=2)
def read_geometries(path: Path = DATA_FILE) -> dict[str, tuple[str, float, MultiPolygon]]:
    """The geometries of a file written by :func:`encode_geometries`, by code: (name, breadth
    NM, MultiPolygon); kept, so that the sovereign states and the report's land (two files)
    are each read once."""
    with np.load(path) as z:
        coords = np.cumsum(z["coords"].astype(np.int64), axis=0) / 1e6
        offsets = (z["ring_offsets"], z["poly_offsets"], z["multi_offsets"])
        geoms = shapely.from_ragged_array(shapely.GeometryType.MULTIPOLYGON, coords, offsets)
        return {
            str(iso): (str(name), float(b), g)
            for iso, name, b, g in zip(z["iso"], z["name"], z["breadth_nm"], geoms, strict=True)
        }


def sovereign_codes() -> list[str]:
    """The adm0_a3 codes of the states in the built-in data."""
    return sorted(read_geometries())


def sovereign_volume(iso: str) -> Volume:
    """The sovereign airspace of ``iso`` (adm0_a3), surface to unlimited.

    It binds every party except the state's own aircraft and ``unknown`` traffic.
    """
    data = read_geometries()
    code = iso.strip().upper()
    if code not in data:
        hint = suggest_codes(code)
        tip = f"; did you mean {' or '.join(hint)}?" if hint else ""
        raise KeyError(
            f"no sovereign airspace for {iso!r}: not an adm0_a3 code (three letters) of "
            f"{EDITION}{tip}"
        )
    name, breadth, geom = data[code]
    return Volume(
        name=f"sovereign:{code}",
        kind="sovereign",
        geometry=geom,
        floor=SFC,
        ceiling=UNL,
        owner=code,
        source=f"{EDITION}; {name}; territorial sea {breadth:g} NM",
    )


def suggest_codes(text: str, most: int = 3) -> list[str]:
    """adm0_a3 codes close to ``text``: ``FR`` -> ``FRA``, ``france`` -> ``FRA``, ``TR`` -> ``TUR``.

    Codes that start with it first, then codes whose state name starts with it, then codes that
    look alike (difflib).
    """
    import difflib

    data = read_geometries()
    t = text.strip().upper()
    if not t:
        return []
    out = [c for c in sorted(data) if c.startswith(t)]
    out += [c for c, (name, _, _) in sorted(data.items()) if name.upper().startswith(t)]
    out += difflib.get_close_matches(t, sorted(data), n=most, cutoff=0.6)
    return list(dict.fromkeys(out))[:most]


def all_sovereign_volumes() -> list[Volume]:
    """The sovereign airspace of every state in the built-in data."""
    return [sovereign_volume(iso) for iso in sovereign_codes()]
