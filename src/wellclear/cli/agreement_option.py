"""``--agreement FILE``: every command's settings from the agreement, options overriding it.

A command declares ``agreement: AgreementOpt = None``, gives its own options the default
``None`` (so that an option left out can be told from one given), and calls
:func:`resolve_agreement` with the options it has: each option given on the command line
replaces the agreement's value, and is validated as the agreement's value is (an error names
the option). Without ``--agreement`` the built-in ``default`` agreement applies, whose values are
the commands' historical defaults. ``--agreement`` also takes the name of a built-in agreement
(``syria2015``) when no file of that name exists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:  # pydantic is loaded by the commands that run, not by --help
    from wellclear.agreement import Agreement

Loc = tuple[str | int, ...]

AGREEMENT_HELP = (
    "Agreement file (YAML, docs/agreement.md) or a built-in one (syria2015); "
    "options given on the command line override its values. Default: the built-in default."
)
AgreementOpt = Annotated[Path | None, typer.Option("--agreement", help=AGREEMENT_HELP)]


def from_agreement(default: str) -> str:
    """Help suffix of an option the agreement sets: ``default: the agreement's (5NM ...)``."""
    return f"Default: the agreement's ({default} without --agreement)."


def _opt(help_text: str, default: str) -> Any:
    return typer.Option(help=f"{help_text} {from_agreement(default)}")


# the options several commands share, each set by the agreement unless given
MaxAgeOpt = Annotated[str | None, _opt("States older than this are stale.", "20s")]
MaxGapOpt = Annotated[str | None, _opt("A longer gap between reports splits a track.", "60s")]
HorizontalOpt = Annotated[str | None, _opt("Horizontal minimum with its unit.", "5NM")]
VerticalOpt = Annotated[str | None, _opt("Vertical minimum with its unit.", "1000ft")]

# where each command-line option lands in the agreement
HORIZONTAL: Loc = ("conflicts", "horizontal")
VERTICAL: Loc = ("conflicts", "vertical")
LOOKAHEAD: Loc = ("conflicts", "lookahead")
BETWEEN_PARTIES: Loc = ("conflicts", "between_parties")
ALERTER: Loc = ("alerting", "alerter")
HYSTERESIS: Loc = ("alerting", "hysteresis")
MAX_AGE: Loc = ("staleness", "max_age")
MAX_GAP: Loc = ("staleness", "max_gap")
AIRSPACE_LOOKAHEAD: Loc = ("airspace", "lookahead")
BIND_UNKNOWN: Loc = ("airspace", "bind_unknown")
PROXIMITY: Loc = ("encounters", "proximity_horizontal")
PROXIMITY_VERTICAL: Loc = ("encounters", "proximity_vertical")
MERGE_GAP: Loc = ("encounters", "merge_gap")


def load_agreement(path: Path | None) -> Agreement:
    """The agreement of ``--agreement`` (a file, else a built-in name), or the default."""
    from wellclear.agreement import Agreement, builtin_names

    if path is None:
        return Agreement.default()
    if not path.exists() and str(path) in builtin_names():
        return Agreement.builtin(str(path))
    return Agreement.load(path)


def resolve_agreement(
    path: Path | None,
    options: Mapping[str, tuple[Loc, object | None]] | None = None,
    *,
    zones: Sequence[str] | None = None,
    party_state: str | None = None,
) -> Agreement:
    """The agreement of ``--agreement`` with the options given on the command line applied.

    ``options`` maps each option's name to (its place in the agreement, its value or ``None``
    when not given): ``{"--horizontal": (HORIZONTAL, "3NM")}``. ``zones`` (``--zones``, paths
    relative to the current directory) replaces the agreement's zones; ``party_state``
    (``--party-state russia=RUS``) sets those parties' states, adding the parties it names.
    Raises :class:`AgreementError` (a ``ValueError``) naming the option or the file and line.
    """
    from wellclear.agreement import AgreementError
    from wellclear.airspace.volume import parse_party_state

    agreement = load_agreement(path)
    values: dict[Loc, object] = {}
    names: dict[Loc, str] = {}
    for option, (loc, value) in (options or {}).items():
        if value is not None:
            values[loc] = _alerter(value) if loc == ALERTER else value
            names[loc] = option
    if zones:
        values[("airspace", "zones")] = [{"source": _spec(z)} for z in zones]
        names[("airspace", "zones")] = "--zones"
    if party_state:
        try:
            mapping = parse_party_state(party_state)
        except ValueError as err:
            raise AgreementError([str(err)]) from None
        parties = [p.model_dump(mode="json", exclude_none=True) for p in agreement.parties]
        for name, state in mapping.items():
            entry = next((p for p in parties if p["name"] == name), None)
            if entry is None:
                parties.append({"name": name, "state": state})
            else:
                entry["state"] = state
        values[("parties",)] = parties
        names[("parties",)] = "--party-state"
    return agreement.replaced(values, names) if values else agreement


def _alerter(value: object) -> object:
    """An ``--alerter`` preset file made absolute (relative to the current directory)."""
    if isinstance(value, str) and Path(value).suffix.lower() in (".toml", ".yaml", ".yml"):
        return str(Path(value).expanduser().absolute())
    return value


def _spec(zone: str) -> str:
    """A ``--zones`` value as an agreement zone source: files made absolute (they are relative
    to the current directory, the agreement's to its own)."""
    if zone.lower().startswith("sovereign:"):
        return zone
    return str(Path(zone).expanduser().absolute())
