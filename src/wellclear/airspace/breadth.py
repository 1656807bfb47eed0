"""Breadth of the territorial sea per state, used to prepare the built-in sovereign airspace.

National airspace is the airspace over the land and the territorial sea (Chicago Convention,
art. 1-2; UNCLOS art. 2). The breadth is at most 12 NM (UNCLOS art. 3); most states claim 12 NM.
This table lists the states (``adm0_a3`` codes of Natural Earth) that claim less, and regional
breadths where one state applies two (Turkey, Greece). Claims beyond 12 NM are not modelled.

Sources:

- UN DOALOS, *Table of claims to maritime jurisdiction* (as at 15 July 2011): Jordan 3 NM,
  Singapore 3 NM, Palau 3 NM, Greece 6 NM, Turkey 6 NM (Aegean) / 12 NM (Black Sea,
  Mediterranean).
- Turkey: Territorial Waters Law No. 2674 of 20 May 1982 (6 NM) and Council of Ministers
  Decree No. 8/4742 of 29 May 1982 (12 NM in the Black Sea and the Mediterranean).
- Greece: Law 230/1936 (6 NM); Law 4767/2021 extends the Ionian Sea coast, from the Albanian
  border to Cape Tainaron, to 12 NM. Greece's 10 NM *airspace* claim (Presidential Decree of
  6 September 1931) is not recognised by Turkey and is not modelled: the issue asks for 6 NM.
- Antarctica (``ATA``): no territorial sea (Antarctic Treaty, art. IV); land only.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_BREADTH_NM = 12.0


@dataclass(frozen=True)
class RegionalBreadth:
    """A breadth that applies to the coast of ``state`` inside a lon/lat box."""

    state: str
    box: tuple[float, float, float, float]  # lon_min, lat_min, lon_max, lat_max
    breadth_nm: float
    region: str


BREADTH_NM: dict[str, float] = {
    "JOR": 3.0,
    "SGP": 3.0,
    "PLW": 3.0,
    "GRC": 6.0,
    "TUR": 12.0,
    "ATA": 0.0,
}

REGIONAL_BREADTHS: tuple[RegionalBreadth, ...] = (
    # The Aegean coast of Turkey, Dardanelles to Marmaris.
    RegionalBreadth("TUR", (22.0, 35.8, 28.3, 40.95), 6.0, "Aegean Sea"),
    # The Ionian coast of Greece, Albanian border to Cape Tainaron.
    RegionalBreadth("GRC", (19.0, 36.3, 22.45, 39.95), 12.0, "Ionian Sea"),
)


def breadth_nm(state: str) -> float:
    """The default breadth of the territorial sea of ``state`` in NM."""
    return BREADTH_NM.get(state, DEFAULT_BREADTH_NM)
