"""Airspace volumes: who is inside, who will enter, and every infringement in recorded tracks.

- :mod:`~wellclear.airspace.volume`: the volume model (limits, windows, binding);
- :mod:`~wellclear.airspace.load`: volumes from GeoJSON, OpenAir or ``sovereign:ISO3``;
- :mod:`~wellclear.airspace.index`: prepared volumes (inside, boundary distance, crossings);
- :mod:`~wellclear.airspace.now`: a snapshot against volumes (inside, entry, proximity);
- :mod:`~wellclear.airspace.events`: recorded tracks against volumes (infringements, crossings);
- :mod:`~wellclear.airspace.sovereign`: built-in sovereign airspace (Natural Earth 1:10m).

See ``docs/airspace.md``.
"""
