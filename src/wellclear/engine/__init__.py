"""The live engine: one assessment for every command, alert and airspace episodes.

- :mod:`wellclear.engine.picture`: :class:`~wellclear.engine.picture.AirPicture`, reports in,
  the latest state of each aircraft, snapshots out (one writer, readers get new frames);
- :mod:`wellclear.engine.assess`: :func:`~wellclear.engine.assess.assess`, the pure function
  (conflicts, alert levels, airspace) and :class:`~wellclear.engine.assess.EngineSettings`;
- :mod:`wellclear.engine.episodes`: the lifecycle of alerts and airspace findings;
- :mod:`wellclear.engine.engine`: :class:`~wellclear.engine.engine.Engine`, ``ingest``,
  ``step``, ``save`` and ``restore``;
- :mod:`wellclear.engine.run`: runs over recorded reports (``wellclear alert``).

Nothing is imported here, so that importing one piece does not load the others; see
``docs/engine.md``.
"""
