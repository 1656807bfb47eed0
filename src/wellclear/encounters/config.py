"""The one configuration object of an encounter scan: every threshold, in SI units, named.

Defaults follow issue 5 and ``standards.md``: scan minima 5 NM / 1000 ft (section 1.1), a
proximity range of 10 NM / 2000 ft for close approaches, NMAC 500 ft / 100 ft (section 1.1), and
the proposed intercept classifier of section 3 (approach from outside 5 NM into the target's rear
half, then within 2 NM / 1000 ft for at least 30 s, at least 75 % of any 40 s window).
"""

from __future__ import annotations

from dataclasses import dataclass

from wellclear.units import FT_M, KT_MPS, NM_M


@dataclass(frozen=True)
class ScanConfig:
    """Thresholds of an encounter scan (metres, seconds, metres per second)."""

    horizontal_m: float = 5.0 * NM_M
    vertical_m: float = 1000.0 * FT_M
    proximity_horizontal_m: float = 10.0 * NM_M
    proximity_vertical_m: float = 2000.0 * FT_M
    merge_gap_s: float = 10.0
    max_gap_s: float = 60.0
    # impossible jumps between consecutive samples of one aircraft
    max_speed_mps: float = 800.0
    max_climb_mps: float = 250.0
    # plausibility (encounters/plausibility.py, docs/plausibility.md): a repeated position while
    # the ground speed says the aircraft moved; surface movement near an aerodrome
    frozen_tolerance_m: float = 1.0
    frozen_min_m: float = 25.0
    surface_speed_mps: float = 30.0 * KT_MPS
    surface_height_m: float = 500.0 * FT_M
    surface_radius_m: float = 3.0 * NM_M
    # no NMAC nor airprox A/B on a minimum interpolated over longer across flagged samples
    flagged_bridge_s: float = 5.0
    # NMAC (standards.md 1.1)
    nmac_horizontal_m: float = 500.0 * FT_M
    nmac_vertical_m: float = 100.0 * FT_M
    # intercept (standards.md 3, proposed classifier)
    intercept_approach_m: float = 5.0 * NM_M
    intercept_horizontal_m: float = 2.0 * NM_M
    intercept_vertical_m: float = 1000.0 * FT_M
    intercept_min_s: float = 30.0
    intercept_window_s: float = 40.0
    intercept_fraction: float = 0.75
    intercept_comoving: float = 0.3
    intercept_orbit_deg: float = 270.0
    # same aircraft under two ids
    duplicate_horizontal_m: float = 100.0
    duplicate_vertical_m: float = 50.0 * FT_M
    duplicate_min_s: float = 120.0
    duplicate_fraction: float = 0.9
    # data quality: a minimum interpolated over a longer interval cannot decide (airprox D)
    max_interpolation_s: float = 30.0
    # evidence: raw samples of both aircraft within this time of the minimum
    evidence_s: float = 30.0
    # candidate grid: time bucket length
    bucket_s: float = 60.0

    def __post_init__(self) -> None:
        for name, value in self.__dict__.items():
            if not (value > 0 and value < float("inf")):
                raise ValueError(f"{name} must be positive and finite, got {value}")
        if self.proximity_horizontal_m < self.horizontal_m:
            raise ValueError("the proximity range must not be smaller than the scan minima")
        if self.proximity_vertical_m < self.vertical_m:
            raise ValueError("the proximity range must not be smaller than the scan minima")
        if self.intercept_fraction > 1:
            raise ValueError("intercept_fraction must be at most 1")

    @property
    def overlap_s(self) -> float:
        """Context a time window needs on each side to give the same result as the whole data.

        A sample's jump flag depends on its neighbours (up to ``max_gap`` away) and an interval
        owned by the window is bounded by samples up to ``max_gap`` outside it.
        """
        return 2.0 * self.max_gap_s + max(self.evidence_s, 1.0)
