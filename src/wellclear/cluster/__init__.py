"""The live engine partitioned over space: Earth-centred cells, each owned by one worker.

- :mod:`wellclear.cluster.cells`: the cells, the halo a report is published to, the owner rule
  of a pair (with the proof that every pair is reported once), cells assigned to workers;
- :mod:`wellclear.cluster.reach`: the distance within which the engine can report a pair.

Nothing is imported here; see ``docs/cluster.md``.
"""
