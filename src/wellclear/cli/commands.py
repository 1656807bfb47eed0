"""Import every command module so that each registers itself on the app."""

from __future__ import annotations

from wellclear.cli import (
    agreement,  # noqa: F401
    agreement_workflow,  # noqa: F401
    airspace,  # noqa: F401
    alert,  # noqa: F401
    cluster,  # noqa: F401
    detect,  # noqa: F401
    feed,  # noqa: F401
    party,  # noqa: F401
    replay,  # noqa: F401
    report,  # noqa: F401
    scan,  # noqa: F401
    serve,  # noqa: F401
)
