"""The spatial index of the accepted operations' volumes: a shapely STRtree over the bulk and
a short list of the volumes added since it was built (rebuilt once that list is long), with
the altitude bands and time windows as arrays, so that a filing looks only at volumes whose
bounding box, band and window all meet its own."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely

from wellclear.plans.volumes import Volume4D

REBUILD_AFTER = 1024


@dataclass
class VolumeIndex:
    """Volumes of operations by key (``add``, which replaces what the key had, and
    ``remove``), queried by :meth:`candidates`. Not thread-safe: its owner serialises calls."""

    rebuild_after: int = REBUILD_AFTER
    _keys: list[str] = field(default_factory=list)
    _volumes: list[Volume4D] = field(default_factory=list)
    _slots: dict[str, list[int]] = field(default_factory=dict)  # each key's live slots
    _dead: set[int] = field(default_factory=set)  # slots removed since the last rebuild
    _tree: shapely.STRtree | None = None
    _built: int = 0
    _bands: np.ndarray = field(default_factory=lambda: np.empty((0, 4)))
    _recent: tuple[np.ndarray, np.ndarray] | None = None  # bands, bounds of those after _built

    def add(self, key: str, volumes: list[Volume4D]) -> None:
        self.remove(key)
        self._slots[key] = list(range(len(self._keys), len(self._keys) + len(volumes)))
        for v in volumes:
            self._keys.append(key)
            self._volumes.append(v)
        self._recent = None
        if self._tree is not None and len(self._keys) - self._built > self.rebuild_after:
            self._rebuild()

    def build(self) -> None:
        """Build the tree over every volume now (after a bulk :meth:`add`)."""
        self._rebuild()

    def remove(self, key: str) -> None:
        """The operation's volumes leave the index (at once for queries; their slots at the
        next rebuild)."""
        self._dead.update(self._slots.pop(key, ()))

    def _rebuild(self) -> None:
        keep = [i for i in range(len(self._keys)) if i not in self._dead]
        self._keys = [self._keys[i] for i in keep]
        self._volumes = [self._volumes[i] for i in keep]
        self._dead.clear()
        self._slots = {}
        for i, k in enumerate(self._keys):
            self._slots.setdefault(k, []).append(i)
        self._tree = shapely.STRtree([v.footprint for v in self._volumes])
        self._built = len(self._volumes)
        self._bands = _bands(self._volumes)
        self._recent = None

    def candidates(self, volume: Volume4D) -> list[tuple[str, Volume4D]]:
        """Indexed volumes whose bounding box, altitude band and time window meet
        ``volume``'s (the exact test is :func:`wellclear.plans.volumes.overlap`)."""
        hits: list[int] = []
        if self._tree is not None and self._built:
            idx = self._tree.query(volume.footprint)
            hits.extend(idx[_meets(self._bands[idx], volume)].tolist())
        if len(self._volumes) > self._built:
            if self._recent is None:
                recent = self._volumes[self._built :]
                self._recent = _bands(recent), shapely.bounds([v.footprint for v in recent])
            bands, bounds = self._recent
            x0, y0, x1, y1 = volume.footprint.bounds
            box = (bounds[:, 0] <= x1) & (bounds[:, 2] >= x0)
            box &= (bounds[:, 1] <= y1) & (bounds[:, 3] >= y0)
            hits.extend((self._built + np.flatnonzero(box & _meets(bands, volume))).tolist())
        return [(self._keys[i], self._volumes[i]) for i in hits if i not in self._dead]


def _bands(volumes: list[Volume4D]) -> np.ndarray:
    return np.array([(v.alt_lo_m, v.alt_hi_m, v.t_start, v.t_end) for v in volumes]).reshape(-1, 4)


def _meets(bands: np.ndarray, v: Volume4D) -> np.ndarray:
    return (
        (bands[:, 0] <= v.alt_hi_m)
        & (bands[:, 1] >= v.alt_lo_m)
        & (bands[:, 2] < v.t_end)
        & (bands[:, 3] > v.t_start)
    )
