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

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

DTYPES = ("str", "float64", "int64", "bool", "timestamp")
"""Column dtypes: text (pandas object, missing as None), 64-bit float (missing as NaN), 64-bit
integer (never missing), boolean (never missing), UTC timestamp (missing as NaT)."""

TIMESTAMP = "datetime64[ns, UTC]"

# decimals written in CSV and JSON by unit: positions to 1 cm, metres to 1 cm, seconds to 1 ms
DECIMALS = {"deg": 7, "m": 2, "s": 3, "m/s": 3, "1": 6}


class SchemaError(ValueError):
    """A frame that does not match its result contract: the column and what is wrong."""


@dataclass(frozen=True)
class Column:
    """One column of a result contract.

    ``name`` may end in ``{k}`` for a numbered family (``ttv_{k}``: ``ttv_1``, ``ttv_2``, ...,
    as many as the alerter has levels). ``unit`` is an SI unit (``m``, ``s``, ``m/s``, ``deg``),
    ``1`` for a dimensionless number, ``UTC`` for a timestamp, or empty for text and flags.
    An ``optional`` column is written empty when the algorithm has no value for it (so that
    every column of the contract is always there). ``decimals`` overrides the CSV precision
    of the unit (:data:`DECIMALS`).
    """

    name: str
    dtype: str
    unit: str
    meaning: str
    optional: bool = False
    decimals: int | None = None

    def __post_init__(self) -> None:
        if self.dtype not in DTYPES:
            raise ValueError(f"column {self.name}: dtype {self.dtype!r} is not one of {DTYPES}")

    @property
    def family(self) -> bool:
        """Whether this is a numbered family of columns (``name`` ends in ``{k}``)."""
        return self.name.endswith("{k}")

    def matches(self, name: str) -> bool:
        """Whether the column ``name`` belongs to this record."""
        if self.family:
            return re.fullmatch(re.escape(self.name[:-3]) + r"[1-9][0-9]*", name) is not None
        return name == self.name

    @property
    def precision(self) -> int | None:
        """Decimals of this column in CSV and JSON (None: written as is)."""
        if self.dtype != "float64":
            return None
        return self.decimals if self.decimals is not None else DECIMALS.get(self.unit)


@dataclass(frozen=True)
class Schema:
    """A result contract: a name, a description, ordered columns, and the main time column
    (kept as unix seconds in ``t_unix``; empty when the table has no time)."""

    name: str
    description: str
    columns: tuple[Column, ...]
    main_time: str = ""

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"schema {self.name}: a column is listed twice: {names}")
        if self.main_time and "t_unix" not in names:
            raise ValueError(f"schema {self.name}: main time {self.main_time} without t_unix")

    @property
    def names(self) -> list[str]:
        """The column names (families as ``name{k}``)."""
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        """The record of the output column ``name`` (a family member finds its family)."""
        for c in self.columns:
            if c.matches(name):
                return c
        raise KeyError(f"{self.name}: no column {name!r}")

    def order(self, present: Iterable[str]) -> list[str]:
        """The output columns for the columns ``present``: the contract's order, each family
        expanded to the members present, by number."""
        present = list(present)
        out: list[str] = []
        for c in self.columns:
            if c.family:
                members = [n for n in present if c.matches(n)]
                out.extend(sorted(members, key=lambda n: int(n[len(c.name) - 3 :])))
            else:
                out.append(c.name)
        return out


def pair(role_1: str, role_2: str) -> tuple[Column, ...]:
    """The six columns naming a pair: id, callsign and party of aircraft 1, then of 2."""
    cols = []
    for k, role in (("1", role_1), ("2", role_2)):
        cols += [
            Column(f"id_{k}", "str", "", f"aircraft {k}: {role} (ICAO 24-bit address or id)"),
            Column(f"callsign_{k}", "str", "", f"callsign of aircraft {k} (empty if unknown)"),
            Column(f"party_{k}", "str", "", f"party of aircraft {k} (``unknown`` if none)"),
        ]
    return tuple(cols)


def t_columns(meaning: str) -> tuple[Column, ...]:
    """The main time ``t`` (a timestamp) and ``t_unix`` (the same in unix seconds)."""
    return (
        Column("t", "timestamp", "UTC", meaning),
        Column("t_unix", "float64", "s", "``t`` in unix seconds (UTC)", decimals=6),
    )


LEVEL_NAME = (
    "name of the level in the alerter's terms: ``none``, ``preventive``, ``corrective``, "
    "``warning`` for a DO-365 alerter (RTCA DO-365B), ``none``, ``TA``, ``RA`` for TCAS II, "
    "``none``, ``conflict`` for a single-level alerter"
)

ALERTS = Schema(
    "alerts",
    "``wellclear alert``: the alert level of every ordered pair (ownship, intruder) at each "
    "step, level >= 1, sorted by ``t`` then ids; DAIDALUS's alerting quantities beside it.",
    (
        *t_columns("time of the step"),
        *pair("the ownship", "the intruder"),
        Column("level", "int64", "1", "alert level after hysteresis (0 none, 1 least severe)"),
        Column("level_name", "str", "", LEVEL_NAME),
        Column(
            "ttv_{k}",
            "float64",
            "s",
            "time to violation of the volume of level k (NaN if none within the lookahead; "
            "DAIDALUS ``timeToCorrectiveVolume`` for the corrective level)",
        ),
        Column("hmd_m", "float64", "m", "horizontal miss distance within the lookahead (DO-365)"),
        Column(
            "taumod_s",
            "float64",
            "s",
            "modified tau (DO-365), NaN when diverging or the alerter has no modified tau",
        ),
    ),
    main_time="t",
)

ALERT_EVENTS = Schema(
    "alert_events",
    "``wellclear alert --events``: the lifecycle of each alert episode of an ordered pair "
    "(raised, upgraded, downgraded, cleared), sorted by ``t`` then ids.",
    (
        Column(
            "alert_id",
            "str",
            "",
            "the episode: stable from raised to cleared, the same in every event of it",
        ),
        *t_columns("time of the step at which the level changed"),
        Column("event", "str", "", "``raised``, ``upgraded``, ``downgraded`` or ``cleared``"),
        *pair("the ownship", "the intruder"),
        Column("from_level", "int64", "1", "level before the event (0 when raised)"),
        Column("to_level", "int64", "1", "level after the event (0 when cleared)"),
        Column("level_name", "str", "", "name of ``to_level``: " + LEVEL_NAME),
        Column(
            "hmd_m",
            "float64",
            "m",
            "horizontal miss distance at the event (DO-365); NaN when not computed",
            optional=True,
        ),
        Column(
            "taumod_s",
            "float64",
            "s",
            "modified tau at the event (DO-365); NaN when diverging or not computed",
            optional=True,
        ),
        Column(
            "min_distance_m",
            "float64",
            "m",
            "smallest horizontal distance of the pair in the episode so far; NaN unknown",
            optional=True,
        ),
    ),
    main_time="t",
)


def empty(schema: Schema) -> pd.DataFrame:
    """An empty frame of the contract (families left out)."""
    return pd.DataFrame(
        {c.name: pd.Series(dtype=_pandas_dtype(c.dtype)) for c in schema.columns if not c.family}
    )


def _pandas_dtype(dtype: str) -> str:
    return {"str": "object", "timestamp": TIMESTAMP}.get(dtype, dtype)


def timestamps(seconds: object) -> pd.Series:
    """UTC timestamps of unix seconds, to the microsecond (the resolution of a float64 time in
    this century); NaN gives NaT."""
    values = np.asarray(seconds, dtype=np.float64)
    micro = np.round(values * 1e6)
    ok = np.isfinite(micro)
    ns = (np.where(ok, micro, 0).astype(np.int64) * 1000).astype("datetime64[ns]")
    ns[~ok] = np.datetime64("NaT")
    return pd.Series(pd.DatetimeIndex(ns).tz_localize("UTC"))


def unix_seconds(stamps: pd.Series) -> np.ndarray:
    """Unix seconds of UTC timestamps (NaT gives NaN)."""
    values = pd.to_datetime(stamps, utc=True)
    ns = values.to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(np.float64)
    return np.where(values.isna().to_numpy(), np.nan, ns / 1e9)


def _conform_column(frame: pd.DataFrame, name: str, col: Column, schema: Schema) -> pd.Series:
    s = frame[name].reset_index(drop=True)
    where = f"{schema.name}: column {name}"
    if col.dtype == "timestamp":
        if pd.api.types.is_datetime64_any_dtype(s):
            if getattr(s.dt, "tz", None) is None:
                return s.dt.tz_localize("UTC")
            return s.dt.tz_convert("UTC")
        if pd.api.types.is_numeric_dtype(s) or s.isna().all():
            return timestamps(s.to_numpy(np.float64, na_value=np.nan))
        raise SchemaError(f"{where}: expected unix seconds or timestamps, got {s.dtype}")
    if col.dtype == "str":
        if isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype(object)
        return s.astype(object).where(s.notna(), None)
    if col.dtype == "float64":
        try:
            return s.astype(np.float64)
        except (TypeError, ValueError) as err:
            raise SchemaError(f"{where}: not a number ({err})") from None
    if s.isna().any():
        raise SchemaError(f"{where}: {int(s.isna().sum())} missing value(s) in a {col.dtype}")
    if col.dtype == "bool":
        if not pd.api.types.is_bool_dtype(s):
            raise SchemaError(f"{where}: expected booleans, got {s.dtype}")
        return s.astype(bool)
    as_float = s.to_numpy(np.float64)
    if not np.array_equal(as_float, np.round(as_float)):
        raise SchemaError(f"{where}: expected integers")
    return s.astype(np.int64)


def conform(frame: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    """``frame`` as the contract ``schema``: its columns in order with their dtypes.

    Time columns given as unix seconds become UTC timestamps; ``t_unix`` is made from the main
    time column when absent. An optional column that is absent is added empty. A column that
    the contract does not document, or a required one that is missing, is a
    :class:`SchemaError` naming it.
    """
    undocumented = [n for n in frame.columns if not any(c.matches(str(n)) for c in schema.columns)]
    if undocumented:
        raise SchemaError(
            f"{schema.name}: column(s) {', '.join(map(str, undocumented))} not in the contract "
            f"({', '.join(schema.names)})"
        )
    n = len(frame)
    out: dict[str, pd.Series] = {}
    for name in schema.order(map(str, frame.columns)):
        col = schema.column(name)
        if name in frame.columns:
            out[name] = _conform_column(frame, name, col, schema)
        elif name == "t_unix" and schema.main_time in frame.columns:
            main = frame[schema.main_time].reset_index(drop=True)
            if pd.api.types.is_datetime64_any_dtype(main):
                out[name] = pd.Series(unix_seconds(main))
            else:
                out[name] = main.astype(np.float64)
        elif col.optional:
            fill = {"str": None, "float64": np.nan, "timestamp": pd.NaT}
            if col.dtype not in fill:
                raise SchemaError(f"{schema.name}: optional column {name} must be nullable")
            out[name] = pd.Series([fill[col.dtype]] * n, dtype=_pandas_dtype(col.dtype))
        else:
            raise SchemaError(
                f"{schema.name}: column {name} is missing (has {', '.join(map(str, frame))})"
            )
    return pd.DataFrame(out, index=pd.RangeIndex(n))


def check(frame: pd.DataFrame, schema: Schema) -> list[str]:
    """What is wrong with ``frame`` (as read back or conformed) against ``schema``: each
    column not in the contract, each contract column missing, each dtype that differs."""
    problems = []
    present = [str(c) for c in frame.columns]
    for name in present:
        if not any(c.matches(name) for c in schema.columns):
            problems.append(f"{name}: not in the contract")
    for c in schema.columns:
        if c.family:
            if not any(c.matches(n) for n in present):
                problems.append(f"{c.name}: no column of this family")
        elif c.name not in present:
            problems.append(f"{c.name}: missing")
    for name in present:
        try:
            col = schema.column(name)
        except KeyError:
            continue
        kind = frame[name].dtype
        ok = {
            "str": str(kind) in ("object", "str") or isinstance(kind, pd.StringDtype),
            "float64": str(kind) == "float64",
            "int64": str(kind) == "int64",
            "bool": str(kind) == "bool",
            "timestamp": isinstance(kind, pd.DatetimeTZDtype) and str(kind.tz) == "UTC",
        }[col.dtype]
        if col.dtype == "str" and ok:
            bad = [v for v in frame[name] if not isinstance(v, str) and not pd.isna(v)]
            ok = not bad
        if not ok:
            problems.append(f"{name}: dtype {kind}, the contract says {col.dtype}")
    return problems


SCHEMAS: dict[str, Schema] = {s.name: s for s in (ALERTS, ALERT_EVENTS)}
"""Every result contract by name."""


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
        "fractional seconds only when present) in CSV and JSON; the *main* time column of a "
        "table is also given as unix seconds in `t_unix`. Floats in CSV and JSON are rounded "
        "by unit: " + ", ".join(f"{u}: {d} decimals" for u, d in DECIMALS.items()) + " (Parquet "
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
