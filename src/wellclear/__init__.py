"""wellclear: keep aircraft of different operators well clear of each other."""

from __future__ import annotations

__version__ = "0.1.0"
