"""Strategic deconfliction of planned operations (ASTM F3548-21 operational intents).

:mod:`~wellclear.plans.volumes`: 4D volumes (polygon or geodesic circle, altitude band, time
window) whose footprints are split at the antimeridian; :mod:`~wellclear.plans.index`: the
spatial index of the accepted operations' volumes; :mod:`~wellclear.plans.operations`:
operations, their F3548 states, filing against the others under the agreement's priority
rules, and what each party is told; :mod:`~wellclear.plans.conformance`: live tracks against
their activated operation. See ``docs/plans.md``.
"""
