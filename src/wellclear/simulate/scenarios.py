"""Built-in scenarios for ``wellclear simulate``: October 2015 over Syria, and random traffic.

The Syria scenario (3 October 2015, 08:00-10:00 UTC) is illustrative, built from the public
accounts summarised in standards.md sections 3 and 5.2, not from recorded tracks:

* a US MQ-1 orbiting over Idlib at 15,000 ft; a Russian Su-24 pair from Hmeimim passes within a
  few miles of it on its way east and back: a loss of separation, *not* an intercept;
* a Russian Su-30 enters Turkish airspace south of Yayladagi (Hatay) around 09:08 UTC; two Turkish
  F-16s come up from astern and escort it out: an intercept (and an airspace incursion with
  ``--zones sovereign:TUR --party-state russia=RUS,turkey=TUR``);
* a US F-15E pair from Incirlik on a sortie towards Raqqa and back, a KC-135 tanker orbit, and a
  Russian Su-34 sortie: same-party formations (not intercepts) and chance close approaches.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wellclear.simulate.flights import Follow, Leg, Plan, fly, sample

SYRIA_T0 = 1443859200.0  # 2015-10-03T08:00:00Z
HMEIMIM = (35.401, 35.948)
INCIRLIK = (37.002, 35.426)
IDLIB_ORBIT = (35.93, 36.63)

Flight = Plan | Follow


def syria_2015_plans() -> list[Flight]:
    """The flights of the built-in October 2015 scenario (see the module docstring)."""
    t0 = SYRIA_T0
    plans: list[Flight] = [
        # US MQ-1: 50 m/s, 1 deg/s orbit (radius ~2.9 km) over Idlib, two hours
        Plan(
            "a4f001",
            "usa",
            t0,
            IDLIB_ORBIT[0],
            IDLIB_ORBIT[1] - 0.03,
            4572.0,
            50.0,
            0.0,
            (Leg(7200.0, turn_dps=1.0),),
            "REAPER21",
        ),
        # Russian Su-24 pair: Hmeimim to the east, passing the orbit, back
        Plan(
            "rus241",
            "russia",
            t0 + 1200,
            35.45,
            36.00,
            4800.0,
            200.0,
            46.0,
            (Leg(480.0), Leg(60.0, turn_dps=3.0), Leg(480.0)),
            "RSD241",
        ),
        Follow(
            "rus242",
            "russia",
            "rus241",
            ((t0 + 1200, 135.0, 600.0, 0.0), (t0 + 2220, 135.0, 600.0, 0.0)),
            "RSD242",
        ),
        # Russian Su-30 into Turkish airspace near Yayladagi (border at ~35.84 N, 36.10 E)
        Plan(
            "rus301",
            "russia",
            t0 + 3900,
            35.52,
            36.00,
            5000.0,
            220.0,
            15.0,
            (Leg(165.0), Leg(60.0, turn_dps=-3.0), Leg(420.0)),
            "RSD301",
        ),
        # Turkish F-16 pair from the north: up from astern, escort, break away
        Follow(
            "tur161",
            "turkey",
            "rus301",
            (
                (t0 + 3960, 180.0, 25_000.0, 600.0),
                (t0 + 4110, 170.0, 1000.0, 150.0),
                (t0 + 4380, 190.0, 900.0, 150.0),
                (t0 + 4440, 300.0, 15_000.0, 800.0),
            ),
            "TUAF161",
        ),
        Follow(
            "tur162",
            "turkey",
            "rus301",
            (
                (t0 + 3960, 185.0, 28_000.0, 900.0),
                (t0 + 4110, 200.0, 3000.0, 250.0),
                (t0 + 4380, 200.0, 3000.0, 250.0),
                (t0 + 4440, 300.0, 17_000.0, 1000.0),
            ),
            "TUAF162",
        ),
        # US F-15E pair: Incirlik towards Raqqa and back
        Plan(
            "ae0151",
            "usa",
            t0 + 600,
            INCIRLIK[0],
            INCIRLIK[1],
            7600.0,
            230.0,
            110.0,
            (Leg(1500.0), Leg(60.0, turn_dps=3.0), Leg(1500.0)),
            "DUDE51",
        ),
        Follow(
            "ae0152",
            "usa",
            "ae0151",
            ((t0 + 600, 225.0, 1500.0, 150.0), (t0 + 3660, 225.0, 1500.0, 150.0)),
            "DUDE52",
        ),
        # KC-135 racetrack over south-east Turkey
        Plan(
            "ae0135",
            "usa",
            t0,
            36.9,
            38.2,
            8500.0,
            210.0,
            90.0,
            tuple(leg for _ in range(6) for leg in (Leg(400.0), Leg(90.0, turn_dps=2.0))),
            "SHELL71",
        ),
        # Russian Su-34 towards Raqqa, crossing the coalition route
        Plan(
            "rus341",
            "russia",
            t0 + 1800,
            HMEIMIM[0],
            HMEIMIM[1],
            7400.0,
            240.0,
            75.0,
            (Leg(1100.0), Leg(60.0, turn_dps=3.0), Leg(1100.0)),
            "RSD341",
        ),
    ]
    return plans


def syria_2015(seed: int = 2015, min_dt: float = 1.0, max_dt: float = 15.0) -> pd.DataFrame:
    """The October 2015 scenario sampled irregularly, in the states contract."""
    return sample(fly(syria_2015_plans(), dt=1.0), seed=seed, min_dt=min_dt, max_dt=max_dt)


# the altitudes of the random scenario's flights
MIN_ALT_M, MAX_ALT_M = 300.0, 13_000.0


def random_plans(
    n: int,
    duration_s: float,
    seed: int = 0,
    lat: float = 48.0,
    lon: float = 2.5,
    radius_deg: float = 2.0,
    t0: float = 1_633_600_000.0,
) -> list[Flight]:
    """``n`` kinematic flights with turns and climbs around (lat, lon), starting in the first
    half of ``duration_s``; parties drawn from four."""
    rng = np.random.default_rng(seed)
    plans: list[Flight] = []
    for k in range(n):
        start = t0 + rng.uniform(0, duration_s / 2)
        left = t0 + duration_s - start
        legs = []
        # the draws in their order of old; a climb or descent that would leave 300 m - 13 km
        # is slowed to level off at the bound
        drawn = []
        while left > 0:
            d = float(min(rng.uniform(120, 900), left))
            turn = float(rng.choice([0.0, 0.0, -1.5, 1.5, 3.0])) if d < 300 else 0.0
            drawn.append((d, turn, float(rng.choice([0.0, 0.0, -8.0, 8.0]))))
            left -= d
        here = (
            lat + rng.uniform(-radius_deg, radius_deg),
            lon + rng.uniform(-radius_deg, radius_deg),
        )
        alt = float(rng.uniform(1500, 11000))
        level = alt
        for d, turn, vs in drawn:
            if not MIN_ALT_M <= level + vs * d <= MAX_ALT_M:  # level off at the bound
                vs = (min(max(level + vs * d, MIN_ALT_M), MAX_ALT_M) - level) / d
            level += vs * d
            legs.append(Leg(d, turn_dps=turn, vs_mps=vs))
        plans.append(
            Plan(
                f"{k:06x}",
                f"p{k % 4}",
                start,
                *here,
                alt,
                float(rng.uniform(110, 250)),
                float(rng.uniform(0, 360)),
                tuple(legs),
            )
        )
    return plans
