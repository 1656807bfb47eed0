"""Airspace infringements and crossings in the same run as the encounter scan.

The recorded-track events of :mod:`wellclear.airspace.events`, window by window like the scan:
each window is read with its context and owns the events that enter inside it. An event longer
than the window's context is reported with ``open`` set where the window cut it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from wellclear.encounters.config import ScanConfig
from wellclear.encounters.scan import FrameSource, Source, window_bounds

if TYPE_CHECKING:
    from wellclear.airspace.volume import Volume


def infringements(
    source: Source,
    zones: list[str],
    cfg: ScanConfig,
    window_s: float,
    party_state: str | Mapping[str, str] | None = None,
    warn: Callable[[str], None] | None = None,
    volumes: Sequence[Volume] | None = None,
    bind_unknown: bool = False,
) -> pd.DataFrame:
    """Every infringement or crossing of the volumes named by ``zones`` (see load_zones).

    ``warn`` is told what ``airspace check`` warns about: the volumes' own warnings (repairs,
    unsplit rings) and the parties that map to no state while sovereign airspace is checked.
    ``volumes`` (an agreement's, binding whom it says) are checked instead of ``zones``.
    """
    from wellclear.airspace.events import EventsConfig, as_tracks, empty_events, track_events
    from wellclear.airspace.index import VolumeIndex
    from wellclear.airspace.load import load_all, unmapped_parties
    from wellclear.airspace.volume import parse_party_state

    volumes = load_all(zones) if volumes is None else list(volumes)
    mapping = (
        dict(party_state) if isinstance(party_state, Mapping) else parse_party_state(party_state)
    )
    tell = warn or (lambda _: None)
    for v in volumes:
        for w in v.warnings:
            tell(w)
    index = VolumeIndex(volumes)
    ecfg = EventsConfig(max_gap_s=cfg.max_gap_s, party_state=mapping, bind_unknown=bind_unknown)
    parties: set[str] = set()
    if isinstance(source, FrameSource):
        frame = source.frame.dropna(subset=["t", "lat", "lon"])
        parties.update(frame["party"].astype(str).unique())
        out = track_events(as_tracks(frame), index, ecfg) if len(frame) else empty_events()
    else:
        t0, t1 = source.time_range()
        parts = []
        for lo, hi in window_bounds(t0, t1, window_s):
            frame = source.read(lo - cfg.overlap_s, hi + cfg.overlap_s).dropna(
                subset=["t", "lat", "lon"]
            )
            if frame.empty:
                continue
            parties.update(frame["party"].astype(str).unique())
            ev = track_events(as_tracks(frame), index, ecfg)
            owned = ev[(ev["entry_time"] >= lo) & (ev["entry_time"] < hi)]
            if len(owned):  # (an empty window's table has text columns: it would turn the
                parts.append(owned)  # concatenated times into objects)
        out = pd.concat(parts, ignore_index=True) if parts else empty_events()
    for w in unmapped_parties(volumes, parties, mapping):
        tell(w)
    return out
