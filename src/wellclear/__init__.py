"""wellclear: keep aircraft of different operators well clear of each other."""

from __future__ import annotations

__version__ = "0.1.0"

from wellclear.api import detect_conflicts, read_states

__all__ = ["__version__", "detect_conflicts", "read_states"]
