"""Scenario and traffic generators, in one place (seeded, reproducible).

:mod:`~wellclear.simulate.flights` (flight plans flown densely, then sampled as a receiver
would), :mod:`~wellclear.simulate.scenarios` (the built-in scenarios of ``wellclear simulate``),
:mod:`~wellclear.simulate.snapshots` (random snapshots of many aircraft, for detection) and
:mod:`~wellclear.simulate.tracks` (straight great-circle tracks, for airspace).
"""
