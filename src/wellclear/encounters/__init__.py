"""Recorded-traffic analysis: every encounter of every pair, its exact minima and its classes.

Entry points: :func:`~wellclear.encounters.scan.scan` (a states table in memory),
:func:`~wellclear.encounters.scan.scan_source` (time windows streamed in order) and
:func:`~wellclear.encounters.scan.scan_dask` (windows as Dask tasks); all give the same
:class:`~wellclear.encounters.scan.ScanResult`, whose encounters have the columns of
:data:`~wellclear.encounters.scan.ENCOUNTER_COLUMNS`. Thresholds: :class:`ScanConfig`.
"""

from __future__ import annotations

from wellclear.encounters.config import ScanConfig
from wellclear.encounters.scan import (
    ENCOUNTER_COLUMNS,
    FrameSource,
    ScanResult,
    scan,
    scan_dask,
    scan_source,
)

__all__ = [
    "ENCOUNTER_COLUMNS",
    "FrameSource",
    "ScanConfig",
    "ScanResult",
    "scan",
    "scan_dask",
    "scan_source",
]
