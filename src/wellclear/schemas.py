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


CONFLICTS = Schema(
    "conflicts",
    "``wellclear detect``, ``wellclear.detect_conflicts``: one row per pair predicted to lose "
    "separation within the lookahead at the snapshot time, sorted by ``t_in_s`` then ids "
    "(``id_1`` < ``id_2``). Each pair is solved in the plane tangent to the WGS-84 ellipsoid "
    "at its midpoint.",
    (
        *t_columns("snapshot time: every state brought to it"),
        *pair("the smaller id", "the larger id"),
        Column("age_1_s", "float64", "s", "time by which aircraft 1's state was extrapolated"),
        Column("age_2_s", "float64", "s", "time by which aircraft 2's state was extrapolated"),
        Column("t_in_s", "float64", "s", "time from ``t`` to the loss of separation (0: now)"),
        Column(
            "t_out_s",
            "float64",
            "s",
            "time from ``t`` to its end (NaN: never ends; may exceed the lookahead)",
        ),
        Column(
            "tcpa_s",
            "float64",
            "s",
            "time from ``t`` to the horizontal closest point of approach (>= 0, not clamped)",
        ),
        Column("dcpa_m", "float64", "m", "horizontal distance at the closest point of approach"),
        Column("dalt_cpa_m", "float64", "m", "altitude of 2 minus 1 at the closest point"),
        Column("distance_m", "float64", "m", "horizontal distance now (geodesic)"),
        Column("dalt_m", "float64", "m", "altitude of 2 minus 1 now"),
        Column("los", "bool", "", "separation is lost now"),
        Column(
            "alt_src",
            "str",
            "",
            "``baro``: both altitudes barometric; ``geo``: both geometric",
        ),
    ),
    main_time="t",
)

_POS = "at the minimum (WGS-84)"

ENCOUNTERS = Schema(
    "encounters",
    "``wellclear scan``, ``wellclear.scan``: every encounter in recorded tracks (loss of "
    "separation, or a close approach within the proximity range), classified, sorted by "
    "``start`` then ids (``id_1`` < ``id_2``).",
    (
        Column(
            "encounter_id",
            "str",
            "",
            "``id_1-id_2-S``: the pair and the whole unix second of the start",
        ),
        Column("start", "timestamp", "UTC", "entry into the proximity range"),
        Column("t_unix", "float64", "s", "``start`` in unix seconds (UTC)", decimals=6),
        Column("end", "timestamp", "UTC", "exit from the proximity range"),
        Column("duration_s", "float64", "s", "``end`` - ``start``"),
        *pair("the smaller id", "the larger id"),
        Column("t_min", "timestamp", "UTC", "time of the minimum horizontal distance"),
        Column("h_min_m", "float64", "m", "minimum horizontal distance"),
        Column("dz_min_m", "float64", "m", "vertical distance at ``t_min``, altitude of 2 minus 1"),
        Column("slant_min_m", "float64", "m", "minimum slant range"),
        Column(
            "rel_speed_start_mps",
            "float64",
            "m/s",
            "magnitude of the relative velocity at the start (3-D)",
        ),
        Column(
            "range_rate_start_mps",
            "float64",
            "m/s",
            "horizontal range rate at the start (negative: closing)",
        ),
        Column("lat_1", "float64", "deg", f"latitude of aircraft 1 {_POS}"),
        Column("lon_1", "float64", "deg", f"longitude of aircraft 1 {_POS}"),
        Column("alt_1_m", "float64", "m", f"altitude of aircraft 1 {_POS}"),
        Column("lat_2", "float64", "deg", f"latitude of aircraft 2 {_POS}"),
        Column("lon_2", "float64", "deg", f"longitude of aircraft 2 {_POS}"),
        Column("alt_2_m", "float64", "m", f"altitude of aircraft 2 {_POS}"),
        Column("los_s", "float64", "s", "time below the scan minima"),
        Column("los_start", "timestamp", "UTC", "first entry below the scan minima (NaT: none)"),
        Column("los_end", "timestamp", "UTC", "last exit from below the scan minima"),
        Column("nmac_s", "float64", "s", "time inside the NMAC volume (500 ft / 100 ft)"),
        Column("close_s", "float64", "s", "time within the intercept station-keeping volume"),
        Column(
            "min_interval_s",
            "float64",
            "s",
            "length of the interpolated interval holding the minimum",
        ),
        Column("alt_baro", "bool", "", "both altitudes barometric at the minimum"),
        Column(
            "position_uncertainty_m",
            "float64",
            "m",
            "sum of both position accuracies (NACp) at the minimum; NaN unknown",
        ),
        Column("classes", "str", "", "all classes, by precedence, comma-separated"),
        Column("primary", "str", "", "the first of them (NMAC > intercept > LoS > close)"),
        Column(
            "airprox", "str", "", "provisional airprox category A-D (empty for close approaches)"
        ),
        Column("rules", "str", "", "the rules that fired, with their numbers"),
    ),
    main_time="start",
)

EVIDENCE = Schema(
    "evidence",
    "``wellclear scan``: the raw samples of both aircraft around each encounter's minimum, "
    "encounters in their order, aircraft 1 then 2, each by time.",
    (
        Column("encounter_id", "str", "", "the encounter (``encounters.encounter_id``)"),
        Column("id", "str", "", "the aircraft of the sample"),
        *t_columns("time of the sample"),
        Column("lat", "float64", "deg", "latitude (WGS-84)"),
        Column("lon", "float64", "deg", "longitude (WGS-84)"),
        Column("alt_m", "float64", "m", "altitude (barometric where known, else geometric)"),
        Column("gs_mps", "float64", "m/s", "ground speed"),
        Column("trk_deg", "float64", "deg", "true track"),
        Column("vs_mps", "float64", "m/s", "vertical rate"),
        Column(
            "flag",
            "str",
            "",
            "why the sample was left out of the minima (empty: used; docs/plausibility.md)",
        ),
        Column("source", "str", "", "input file of the sample", optional=True),
        Column(
            "line", "float64", "1", "line or record number in that file", optional=True, decimals=0
        ),
        Column("nacp", "float64", "1", "navigation accuracy category for position", optional=True),
        Column("nic", "float64", "1", "navigation integrity category", optional=True),
        Column(
            "nucp", "float64", "1", "navigation uncertainty category for position", optional=True
        ),
        Column("source_type", "str", "", "surveillance source (ADS-B, MLAT, ...)", optional=True),
    ),
    main_time="t",
)

_AIRCRAFT = (
    Column("id", "str", "", "the aircraft"),
    Column("callsign", "str", "", "its callsign (empty if unknown)"),
    Column("party", "str", "", "its party (``unknown`` if none)"),
    Column("volume", "str", "", "the volume's name"),
    Column("kind", "str", "", "the volume's kind (sovereign, restricted, FIR, ADIZ, ...)"),
)

AIRSPACE_NOW = Schema(
    "airspace_now",
    "``wellclear airspace check``: the air picture against volumes at one instant, one row "
    "per (aircraft, volume) finding.",
    (
        *_AIRCRAFT,
        Column(
            "status",
            "str",
            "",
            "``inside`` (bound and inside now), ``entry`` (will enter within the lookahead) or "
            "``proximity`` (outside, within the margin and closing)",
        ),
        Column("event", "str", "", "``infringement``, or ``crossing`` (FIR, ADIZ, controlled)"),
        *t_columns("time of the state (the check's time)"),
        Column("lat", "float64", "deg", "latitude now (WGS-84)"),
        Column("lon", "float64", "deg", "longitude now (WGS-84)"),
        Column("alt_m", "float64", "m", "altitude now"),
        Column(
            "distance_m",
            "float64",
            "m",
            "geodesic distance to the boundary: depth when inside, else gap (NaN for entries "
            "further than the margin)",
        ),
        Column("entry_time", "timestamp", "UTC", "predicted entry (NaT unless ``entry``)"),
        Column("time_to_entry_s", "float64", "s", "``entry_time`` - ``t``"),
        Column("entry_lat", "float64", "deg", "latitude of the predicted entry"),
        Column("entry_lon", "float64", "deg", "longitude of the predicted entry"),
        Column("entry_alt_m", "float64", "m", "altitude of the predicted entry"),
        Column("closing_mps", "float64", "m/s", "rate at which the gap closes (proximity)"),
        Column("no_qnh", "bool", "", "an AMSL limit was compared with barometric altitude"),
    ),
    main_time="t",
)

INFRINGEMENTS = Schema(
    "infringements",
    "``wellclear airspace check --tracks``, ``wellclear scan --zones``: every stay of a bound "
    "aircraft inside an active volume in recorded tracks, with entry and exit.",
    (
        *_AIRCRAFT,
        Column("event", "str", "", "``infringement``, or ``crossing`` (FIR, ADIZ, controlled)"),
        Column("entry_time", "timestamp", "UTC", "boundary crossing into the volume"),
        Column("t_unix", "float64", "s", "``entry_time`` in unix seconds (UTC)", decimals=6),
        Column("exit_time", "timestamp", "UTC", "boundary crossing out of the volume"),
        Column("dwell_s", "float64", "s", "``exit_time`` - ``entry_time``"),
        Column("max_depth_m", "float64", "m", "greatest horizontal distance inside (geodesic)"),
        Column("entry_lat", "float64", "deg", "latitude of the entry"),
        Column("entry_lon", "float64", "deg", "longitude of the entry"),
        Column("exit_lat", "float64", "deg", "latitude of the exit"),
        Column("exit_lon", "float64", "deg", "longitude of the exit"),
        Column("max_alt_m", "float64", "m", "highest altitude inside"),
        Column("open", "bool", "", "the track starts or ends inside (no crossing seen)"),
    ),
    main_time="entry_time",
)

REJECTS = Schema(
    "rejects",
    "``--invalid skip``: every input row rejected, with where it was and why.",
    (
        Column("source", "str", "", "input file (``-``: standard input)"),
        Column("line", "int64", "1", "line (the header is line 1) or record number"),
        Column("column", "str", "", "the field at fault (empty: the whole row)"),
        Column("reason", "str", "", "why it was rejected"),
        Column("raw", "str", "", "the raw text of the row (cut at 200 characters)"),
    ),
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
        if isinstance(s.dtype, pd.CategoricalDtype | pd.StringDtype) or s.dtype == object:
            return s  # text as it is: categories are kept (no Python string per row)
        if s.isna().all():
            return pd.Series([None] * len(s), dtype=object)
        raise SchemaError(f"{where}: expected text, got {s.dtype}")
    if col.dtype == "float64":
        try:
            return s.astype(np.float64)
        except (TypeError, ValueError) as err:
            raise SchemaError(f"{where}: not a number ({err})") from None
    if s.isna().any():
        raise SchemaError(f"{where}: {int(s.isna().sum())} missing value(s) in a {col.dtype}")
    if col.dtype == "bool":
        if not pd.api.types.is_bool_dtype(s) and pd.api.types.infer_dtype(s) not in (
            "boolean",
            "empty",
        ):
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
            "str": str(kind) in ("object", "str")
            or isinstance(kind, pd.StringDtype)
            or (isinstance(kind, pd.CategoricalDtype) and kind.categories.dtype != float),
            "float64": str(kind) == "float64",
            "int64": str(kind) == "int64",
            "bool": str(kind) == "bool",
            "timestamp": isinstance(kind, pd.DatetimeTZDtype) and str(kind.tz) == "UTC",
        }[col.dtype]
        if col.dtype == "str" and ok and str(kind) == "object":
            bad = [v for v in frame[name] if not isinstance(v, str) and not pd.isna(v)]
            ok = not bad
        if not ok:
            problems.append(f"{name}: dtype {kind}, the contract says {col.dtype}")
    return problems


SCHEMAS: dict[str, Schema] = {
    s.name: s
    for s in (
        CONFLICTS,
        ALERTS,
        ALERT_EVENTS,
        AIRSPACE_NOW,
        INFRINGEMENTS,
        ENCOUNTERS,
        EVIDENCE,
        REJECTS,
    )
}
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
