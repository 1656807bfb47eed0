"""Every result contract in one place: the columns of each table wellclear writes, as data.

Each contract is a :class:`Schema`: its columns in order, each a :class:`Column` with its
dtype, unit and meaning. :func:`conform` turns a frame an algorithm made into the contract
(columns in order, dtypes, times as UTC timestamps with unix seconds beside them) and refuses
a column the contract does not document; the writers of :mod:`wellclear.formats.results`
write a conformed frame as CSV, JSON lines or Parquet. ``docs/schemas.md`` is generated from
these records (:func:`markdown`), and a test checks every command's output against them.

Decisions taken for every table:

- one pair naming: ``id_1``, ``id_2`` with ``callsign_1``, ``callsign_2``, ``party_1``,
  ``party_2`` beside them; for an ordered alert pair aircraft 1 is the ownship and 2 the
  intruder; for an unordered pair (conflicts, encounters) ``id_1`` is the smaller id;
- level numbers with ``level_name`` beside them;
- times are UTC timestamps (``timestamp``) in pandas and Parquet and ISO 8601 text
  (``2015-10-03T08:00:00Z``, fractional seconds only when present) in CSV and JSON, and the
  main time column (the schema's ``main_time``) is kept as unix seconds in ``t_unix`` too.
"""

from __future__ import annotations

from collections.abc import Iterable

from wellclear.schemas.contracts import (
    AIRSPACE_EVENTS,
    AIRSPACE_NOW,
    ALERT_EVENTS,
    ALERTS,
    CONFLICTS,
    ENCOUNTERS,
    EVIDENCE,
    INFRINGEMENTS,
    LEVEL_NAME,
    REJECTS,
    SCHEMAS,
)
from wellclear.schemas.frames import check, conform, empty, timestamps, unix_seconds
from wellclear.schemas.records import (
    DECIMALS,
    DTYPES,
    TIMESTAMP,
    Column,
    Schema,
    SchemaError,
    pair,
    t_columns,
)


def markdown(schemas: Iterable[Schema] | None = None) -> str:
    """``docs/schemas.md``: a section per contract, a table of its columns."""
    lines = [
        "# Result contracts",
        "",
        "Generated from `wellclear.schemas` by `tests/test_schemas_docs.py` (edit the schemas, "
        "not this file; the test rewrites it with `WELLCLEAR_WRITE_DOCS=1`).",
        "",
        "Every table that wellclear writes follows one of these contracts. One pair naming: "
        "`id_1`, `id_2` with `callsign_1`, `callsign_2`, `party_1`, `party_2` beside them "
        "(for an ordered alert pair aircraft 1 is the ownship, 2 the intruder). Times are UTC "
        "timestamps in pandas and Parquet and ISO 8601 text (`2015-10-03T08:00:00Z`, "
        "fractional seconds only when present) in CSV and JSON, to the microsecond (the "
        "resolution of a float64 unix time today); the *main* time column of a table is also "
        "given as unix seconds in `t_unix`, exactly as the algorithm had it. Floats in CSV "
        "and JSON are rounded by unit: "
        + ", ".join(f"{u}: {d} decimals" for u, d in DECIMALS.items())
        + " (Parquet "
        "keeps every bit). Optional columns are empty when the algorithm has no value.",
        "",
    ]
    for s in SCHEMAS.values() if schemas is None else schemas:
        lines += [f"## {s.name}", "", s.description, ""]
        if s.main_time:
            lines += [f"Main time: `{s.main_time}` (unix seconds in `t_unix`).", ""]
        lines += ["| column | dtype | unit | meaning |", "|---|---|---|---|"]
        for c in s.columns:
            name = c.name.replace("{k}", "1, ..") if c.family else c.name
            flag = " (optional)" if c.optional else ""
            meaning = c.meaning.replace("|", "\\|")
            lines.append(f"| `{name}` | {c.dtype} | {c.unit or '-'} | {meaning}{flag} |")
        lines.append("")
    return "\n".join(lines)


__all__ = [
    "AIRSPACE_EVENTS",
    "AIRSPACE_NOW",
    "ALERTS",
    "ALERT_EVENTS",
    "CONFLICTS",
    "DECIMALS",
    "DTYPES",
    "ENCOUNTERS",
    "EVIDENCE",
    "INFRINGEMENTS",
    "LEVEL_NAME",
    "REJECTS",
    "SCHEMAS",
    "TIMESTAMP",
    "Column",
    "Schema",
    "SchemaError",
    "check",
    "conform",
    "empty",
    "markdown",
    "pair",
    "t_columns",
    "timestamps",
    "unix_seconds",
]
