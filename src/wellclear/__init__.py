"""wellclear: keep aircraft of different operators well clear of each other."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from wellclear.agreement import Agreement
    from wellclear.api import (
        alert,
        assess,
        check_airspace,
        detect_conflicts,
        read_states,
        read_zones,
        scan,
    )
    from wellclear.engine.assess import EngineSettings
    from wellclear.engine.engine import Engine

_API = (
    "alert",
    "assess",
    "check_airspace",
    "detect_conflicts",
    "read_states",
    "read_zones",
    "scan",
)
_ENGINE = {
    "Agreement": "wellclear.agreement",
    "Engine": "wellclear.engine.engine",
    "EngineSettings": "wellclear.engine.assess",
}

__all__ = [
    "Agreement",
    "Engine",
    "EngineSettings",
    "__version__",
    "alert",
    "assess",
    "check_airspace",
    "detect_conflicts",
    "read_states",
    "read_zones",
    "scan",
]


def __getattr__(name: str) -> Any:
    """The API is imported on first use, so that a command that needs none of it (a scan)
    does not load the conflict detector, the alerter or the airspace index."""
    if name in _API:
        from wellclear import api

        return getattr(api, name)
    if name in _ENGINE:
        import importlib

        return getattr(importlib.import_module(_ENGINE[name]), name)
    raise AttributeError(f"module 'wellclear' has no attribute {name!r}")
