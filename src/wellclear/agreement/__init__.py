"""The agreed technical safety procedures, as one typed, validated configuration.

>>> from wellclear.agreement import Agreement
>>> a = Agreement.builtin("syria2015")
>>> a.party_state()["turkey"]
'TUR'

See :mod:`wellclear.agreement.model` and ``docs/agreement.md``.
"""

from __future__ import annotations

from wellclear.agreement.model import Agreement, builtin_names, json_schema
from wellclear.agreement.quantity import Angle, Duration, Frequency, Length
from wellclear.agreement.sections import (
    Airspace,
    Alerting,
    Conflicts,
    Encounters,
    Frequencies,
    Party,
    Quantise,
    Reporting,
    Sharing,
    Staleness,
    Zone,
)
from wellclear.agreement.source import AgreementError

__all__ = [
    "Agreement",
    "AgreementError",
    "Airspace",
    "Alerting",
    "Angle",
    "Conflicts",
    "Duration",
    "Encounters",
    "Frequencies",
    "Frequency",
    "Length",
    "Party",
    "Quantise",
    "Reporting",
    "Sharing",
    "Staleness",
    "Zone",
    "builtin_names",
    "json_schema",
]
