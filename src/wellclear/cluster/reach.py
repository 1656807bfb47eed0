"""The distance within which the engine can report a pair, from its settings and a top speed.

The partition (:mod:`wellclear.cluster.cells`) needs a bound ``R`` on the distance between the
latest reports of two aircraft that the engine (:class:`wellclear.engine.engine.Engine`) may put
in its alerts table at a tick. Distances are between points on the WGS-84 ellipsoid's surface in
Earth-centred coordinates (chords), as in the candidate search (:mod:`wellclear.detect.candidates`).

The engine's alerts table holds (:meth:`wellclear.alerting.pairs.PairAlerter.step`):

1. candidates of the search: their straight paths come within the search's 3-D reach ``r_c``
   (:func:`wellclear.detect.candidates.grid_parameters` with the search cylinder of
   :func:`wellclear.alerting.pairs.search_cylinder` at a closing speed of at most ``2 V``) at some
   time in ``[0, L]``, ``L`` the alert horizon plus 1 s; each moves at most ``V L`` in that time,
   so the pair is now within ``r_c + 2 V L``;
2. pairs with a hysteresis history: they were candidates at a tick at most ``hysteresis_s`` ago
   (a history with no level in that window is forgotten), so they are now within
   ``r_c + 2 V L + 2 V hysteresis_s``.

The snapshot brings every latest report forward to the tick, at most ``max_age_s`` later, so the
latest reports are within ``R = r_c + 2 V (L + hysteresis_s + max_age_s)``, plus 1 m for
rounding. ``V`` is the top ground speed of the traffic: a report faster than it is refused by the
publisher (:func:`wellclear.cluster.cells.check_speeds`), never routed with a halo too small.
"""

from __future__ import annotations

import numpy as np

from wellclear.alerting.config import AlertingConfig
from wellclear.alerting.pairs import alert_horizon_s, search_cylinder
from wellclear.detect.candidates import grid_parameters


def pair_reach_m(config: AlertingConfig, max_speed_mps: float, max_age_s: float) -> float:
    """``R`` (m): the distance between the latest reports of any pair the engine with this
    alerter and ``max_age_s`` may report, for ground speeds up to ``max_speed_mps`` (see the
    module docstring)."""
    if not (max_speed_mps >= 0.0 and np.isfinite(max_speed_mps)):
        raise ValueError(f"max_speed_mps must be finite and >= 0, got {max_speed_mps}")
    if not (max_age_s >= 0.0 and np.isfinite(max_age_s)):
        raise ValueError(f"max_age_s must be finite and >= 0, got {max_age_s}")
    horizontal, _ = search_cylinder(config, 2.0 * max_speed_mps, 0.0)
    lookahead = alert_horizon_s(config) + 1.0
    travel = np.array([max_speed_mps * lookahead])
    search_reach, _, _ = grid_parameters(travel, horizontal, None)
    hold = max(config.hysteresis_s, 0.0) + max_age_s
    return float(search_reach + 2.0 * max_speed_mps * (lookahead + hold) + 1.0)


def view_reach_m(
    config: AlertingConfig, max_speed_mps: float, max_age_s: float, tick_s: float
) -> float:
    """The halo radius a worker is fed with: ``R`` (:func:`pair_reach_m`) grown by
    ``2 V (hysteresis_s + max_age_s + 2 tick_s)``.

    A pair a worker owns at a tick is within ``R`` there; its latest reports at any tick of the
    hysteresis window before (and the tick before that) are within that much more of where they
    are now, so the worker has held both latest reports at every tick whose raw levels the
    hysteresis still uses: its level after hysteresis is the single engine's, and so is the
    level it had at the tick before (which decides the kind of event)."""
    if not tick_s > 0.0:
        raise ValueError(f"tick_s must be positive, got {tick_s}")
    grow = 2.0 * max_speed_mps * (max(config.hysteresis_s, 0.0) + max_age_s + 2.0 * tick_s)
    return pair_reach_m(config, max_speed_mps, max_age_s) + grow
