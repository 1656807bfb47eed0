"""The random scenario stays in the sky: its states pass the readers' physical limits."""

from __future__ import annotations

from wellclear.simulate.flights import fly, sample
from wellclear.simulate.scenarios import MAX_ALT_M, MIN_ALT_M, random_plans


def test_random_flights_level_off_between_300_m_and_13_km() -> None:
    plans = random_plans(300, 7200.0, seed=3)
    states = sample(fly(plans, dt=1.0), seed=3)
    # seed 3 used to descend to -1.1 km and climb to 14 km
    assert states["alt_m"].min() > MIN_ALT_M - 50.0
    assert states["alt_m"].max() < MAX_ALT_M + 50.0
    climbs = {leg.vs_mps for p in plans for leg in p.legs}
    assert {-8.0, 0.0, 8.0} <= climbs  # the drawn rates, where they stay inside
