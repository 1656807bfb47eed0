"""Volumes by name: a GeoJSON or OpenAir file, or built-in sovereign airspace."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from wellclear.airspace.sovereign import all_sovereign_volumes, sovereign_volume
from wellclear.airspace.volume import Volume
from wellclear.states import UNKNOWN_PARTY

SOVEREIGN_PREFIX = "sovereign:"
GEOJSON_SUFFIXES = (".geojson", ".json")
OPENAIR_SUFFIXES = (".txt", ".air", ".openair", ".oa")


class ZoneSpecError(ValueError):
    """A ``--zones`` value that names no volume: ``sovereign:`` without a code, an empty file."""


def load_zones(spec: str) -> list[Volume]:
    """The volumes named by ``spec``.

    ``sovereign:TUR`` (an adm0_a3 code; ``sovereign:ALL`` for every state), or a file: GeoJSON by
    the suffixes ``.geojson``/``.json``, OpenAir by ``.txt``/``.air``/``.openair``, else by its
    first character (``{`` is GeoJSON). A spec that names no volume raises
    :class:`ZoneSpecError`.
    """
    if spec.lower().startswith(SOVEREIGN_PREFIX):
        code = spec[len(SOVEREIGN_PREFIX) :].strip()
        if code.upper() in ("ALL", "*"):
            return all_sovereign_volumes()
        codes = [c.strip() for c in code.split(",") if c.strip()]
        if not codes:
            raise ZoneSpecError(
                f"--zones {spec!r}: no state code: write e.g. sovereign:TUR or sovereign:ALL"
            )
        return [sovereign_volume(c) for c in codes]
    path = Path(spec)
    suffix = path.suffix.lower()
    if suffix in GEOJSON_SUFFIXES:
        volumes = _geojson(path)
    elif suffix in OPENAIR_SUFFIXES:
        volumes = _openair(path)
    else:
        head = path.read_text(encoding="utf-8", errors="replace").lstrip()[:1]
        volumes = _geojson(path) if head == "{" else _openair(path)
    if not volumes:
        raise ZoneSpecError(f"{spec}: no airspace volume in the file")
    return volumes


def load_all(specs: Iterable[str]) -> list[Volume]:
    """The volumes of every spec, in order."""
    out: list[Volume] = []
    for s in specs:
        out.extend(load_zones(s))
    return out


def unmapped_parties(
    volumes: Iterable[Volume], parties: Iterable[str], party_state: Mapping[str, str]
) -> list[str]:
    """Warnings for the parties that map to no state while a sovereign volume is checked.

    A party maps to a state through ``party_state`` (keys lower case) or by being a three-letter
    code itself; ``unknown`` traffic is bound by ``--bind-unknown``, not by a state.
    """
    if not any(v.kind == "sovereign" for v in volumes):
        return []
    return [
        f"party {p!r} is not mapped to a state (--party-state {p}=ISO3)"
        for p in sorted({str(p) for p in parties})
        if p != UNKNOWN_PARTY and p.lower() not in party_state and len(p) != 3
    ]


def _geojson(path: Path) -> list[Volume]:
    from wellclear.airspace.geojson import read_geojson_zones

    return read_geojson_zones(path)


def _openair(path: Path) -> list[Volume]:
    from wellclear.airspace.openair import read_openair

    return read_openair(path)
