"""wellclear: keep aircraft of different operators well clear of each other."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from wellclear.api import detect_conflicts, read_states

__all__ = ["__version__", "detect_conflicts", "read_states"]


def __getattr__(name: str) -> Any:
    """``detect_conflicts`` and ``read_states`` are imported on first use, so that a command
    that needs neither (a scan) does not load the conflict detector."""
    if name in ("detect_conflicts", "read_states"):
        from wellclear import api

        return getattr(api, name)
    raise AttributeError(f"module 'wellclear' has no attribute {name!r}")
