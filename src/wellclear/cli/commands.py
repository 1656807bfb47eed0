"""Import every command module so that each registers itself on the app."""

from __future__ import annotations

from wellclear.cli import (
    alert,  # noqa: F401
    detect,  # noqa: F401
)
