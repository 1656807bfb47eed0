"""``--zones A B C``: several zone files (or ``sovereign:`` codes) after one flag.

Click options take one value each; :class:`ZonesCommand` spreads the values that follow
``--zones`` (up to the next option, or ``--``) into one ``--zones`` each before click parses
them, so ``--zones a.geojson b.txt sovereign:TUR`` reads as three ``--zones`` and
``--zones a --zones b`` still works. Positional arguments (the STATES paths) therefore come
before ``--zones``, or after another option.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from typer.core import TyperCommand

ZONES = "--zones"
ZONES_HELP = "GeoJSON or OpenAir files, or sovereign:ISO3 codes: one or more after one --zones."


def spread_zones(args: Sequence[str]) -> list[str]:
    """``[..., '--zones', 'a', 'b', '--x']`` -> ``[..., '--zones', 'a', '--zones', 'b', '--x']``."""
    out: list[str] = []
    greedy = False
    it = iter(args)
    for a in it:
        if a == "--":  # the rest is positional
            out.append(a)
            out.extend(it)
            break
        if greedy and not a.startswith("-"):
            out.extend([ZONES, a])
            continue
        greedy = False
        out.append(a)
        if a == ZONES:
            value = next(it, None)
            if value is not None:
                out.append(value)
                greedy = True
        elif a.startswith(ZONES + "="):
            greedy = True
    return out


class ZonesCommand(TyperCommand):
    """A typer command whose ``--zones`` takes every value that follows it."""

    # ctx is the click Context that typer vendors (typer._click, a private module)
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, spread_zones(args))
