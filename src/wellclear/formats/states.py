"""Readers of aircraft state tables: OpenSky state vectors and the ``traffic`` library's columns.

Files are CSV or Parquet by extension (``-`` reads CSV from standard input), or the ``traffic``
library's JSON collections (pandas records, optionally gzip; ``.json``, ``.json.gz``, ``.jsonl``).
Three column sets are recognised by name:

* OpenSky historical database: ``time`` (unix s), ``icao24``, ``lat``, ``lon``, ``velocity``
  (m/s), ``heading`` (deg, true track), ``vertrate`` (m/s), ``baroaltitude``, ``geoaltitude`` (m),
  optional ``callsign``, ``onground``, ``lastposupdate`` (time of the position);
* OpenSky REST API: ``time_position``/``time``/``last_contact``, ``icao24``, ``latitude``,
  ``longitude``, ``velocity``, ``true_track``, ``vertical_rate`` (m/s), ``baro_altitude``,
  ``geo_altitude`` (m), optional ``callsign``, ``on_ground``;
* ``traffic`` canonical: ``timestamp`` (ISO 8601, unix s or ms), ``icao24``, ``latitude``,
  ``longitude``, ``altitude`` (ft, barometric), ``groundspeed`` (kt), ``track`` (deg),
  ``vertical_rate`` (ft/min), optional ``geoaltitude`` (ft), ``callsign``, ``onground``.

The states contract of :mod:`wellclear.states` itself (``id, t, lat, lon, alt_baro_m,
alt_geo_m, gs_mps, trk_deg, vs_mps``, SI units; what ``wellclear simulate`` writes) is read too.
Any of them may carry ``party``. Units are converted here, once, into the states contract of
:mod:`wellclear.states`.

Missing is not invalid: an empty field is missing (filled later from the same aircraft's earlier
reports). Invalid is text where a number belongs (a boolean, an object), an explicit NaN or
infinity, a row without time or aircraft id, a value beyond the physical limits of
:mod:`wellclear.formats.validate` (position, altitude, speed, vertical rate, a time far from
the data's own), or a second position of one aircraft at one time. Invalid rows raise
:class:`~wellclear.formats.errors.StatesInputError` naming file, line (the header is line 1;
for Parquet and JSON, the record's number counted from 1) and column, or with
``invalid="skip"`` are returned as rejects with their reason. Nothing is dropped silently.
Files are loaded by :mod:`wellclear.formats.load` (gzip, byte-order marks, line ends, quoted
newlines, ragged rows, OpenSky ``states/all`` and readsb ``aircraft.json``).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pandas.api.types import union_categoricals

from wellclear.formats.columns import convert
from wellclear.formats.errors import DecodeError, StatesInputError
from wellclear.formats.load import (
    JSON_SUFFIXES,
    PARQUET_SUFFIXES,
    Loaded,
    load,
    load_parquet_files,
)
from wellclear.formats.result import (
    REJECT_COLUMNS,
    ReadResult,
    concat_rejects,
    make_rejects,
    raise_first,
)
from wellclear.formats.validate import (
    RowChecker,
    check_states,
    check_times,
    normalise_ids,
    time_reference,
)
from wellclear.states import UNKNOWN_PARTY

InvalidPolicy = Literal["error", "skip"]

Reports = ReadResult
"""What :func:`read_reports` returns: ``frame`` (the states columns plus ``t_row``, the time
of the row, ``source`` and ``line``), ``rejects``, ``counts`` and ``warnings`` (notes)."""

__all__ = [
    "REJECT_COLUMNS",
    "InvalidPolicy",
    "Reports",
    "convert",
    "read_reports",
    "write_rejects",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


TABLE_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".pq", *JSON_SUFFIXES)


def input_kind(path: str) -> str:
    """``table`` for CSV, Parquet and JSON states; else the feed reader's name (SBS, raw
    frames, Beast) as :func:`wellclear.formats.feeds.detect_kind` tells it."""
    from wellclear.formats.feeds import detect_kind

    if path == "-" or path.lower().endswith(TABLE_SUFFIXES):
        if path.lower().endswith(".csv"):
            try:  # a CSV of raw frames (a frame or rawmsg column) is a feed
                kind = detect_kind(path)
            except (DecodeError, OSError):
                return "table"
            return kind if kind == "frames" else "table"
        return "table"
    try:
        return detect_kind(path)
    except DecodeError:
        return "table"


def _feed_reports(states: pd.DataFrame) -> pd.DataFrame:
    """A feed reader's states as reports (``t_row`` is the time of the position)."""
    out = states.drop(columns=["alt_m", "alt_src"], errors="ignore").copy()
    out["id"] = normalise_ids(out["id"].to_numpy(dtype=object))
    out.insert(list(out.columns).index("t") + 1, "t_row", out["t"].to_numpy(np.float64))
    return out


def _check_feed(states: pd.DataFrame, source: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The physical limits of :mod:`~wellclear.formats.validate` on a feed's states."""
    check = RowChecker(len(states))
    check_states(check, {r: states[r].to_numpy(np.float64) for r in ROLES_OF_FEEDS})
    line_no = states["line"].to_numpy(np.int64)
    raws = [f"state at t={t:.3f}" for t in states["t"].to_numpy(np.float64)[check.bad]]
    rejects = make_rejects(
        source, line_no[check.bad], check.column[check.bad], check.reason[check.bad], raws
    )
    return states.loc[~check.bad].reset_index(drop=True), rejects


ROLES_OF_FEEDS = ("lat", "lon", "alt_baro_m", "alt_geo_m", "gs_mps", "vs_mps")


def read_reports(
    sources: list[str | Path | pd.DataFrame] | str | Path | pd.DataFrame,
    *,
    invalid: InvalidPolicy = "error",
    stdin: io.TextIOBase | None = None,
    tz: str = "UTC",
    t0: float | None = None,
    reference: tuple[float, float] | None = None,
    categorical: bool = False,
) -> ReadResult:
    """Read one or more inputs of any format into SI reports (unfilled), with every rejected
    row: the one road every command takes.

    Tables (CSV, Parquet, JSON: OpenSky, ``traffic``, the states contract, OpenSky
    ``states/all``, readsb ``aircraft.json``) are read here; SBS, raw Mode S frames and Beast
    captures by :func:`wellclear.formats.feeds.read_feed` (``tz``, ``t0``, ``reference`` are
    theirs). Every row is validated by :mod:`wellclear.formats.validate`, times against the
    median time of all the inputs. With ``invalid="error"`` the first invalid row raises
    :class:`StatesInputError` (or the feed reader's own :class:`DecodeError`), naming file,
    line and field. ``counts`` has ``rows`` (data rows or messages read), ``states``,
    ``rejected`` and, by reason, the rows that gave no state and are not errors. With
    ``categorical`` the text columns of Parquet inputs (read as dictionaries) stay categorical.
    """
    if isinstance(sources, (str, Path, pd.DataFrame)):
        sources = [sources]
    frames, rejects, notes = [], [], []
    counts: dict[str, int] = {"rows": 0}
    for reports, rej, more, said in _parts(sources, invalid, stdin, tz, t0, reference):
        if invalid == "error":
            raise_first(rej, StatesInputError)
        _add(counts, more)
        notes.extend(said)
        frames.append(reports)
        rejects.append(rej)
    frames, late = _check_times(frames)
    rejects.extend(late)
    rejected = concat_rejects(rejects)
    if invalid == "error":
        raise_first(rejected, StatesInputError)
    frame = _concat(frames, categorical)
    counts["states"] = len(frame)
    counts["rejected"] = len(rejected)
    return ReadResult(frame, rejected, notes + _party_warnings(frame), counts)


Part = tuple[pd.DataFrame, pd.DataFrame, dict[str, int], list[str]]
"""One input's (or one group of Parquet files') reports, rejects, counts and notes."""


def _parts(
    sources: list[str | Path | pd.DataFrame],
    invalid: InvalidPolicy,
    stdin: io.TextIOBase | None,
    tz: str,
    t0: float | None,
    reference: tuple[float, float] | None,
) -> Iterator[Part]:
    """Each input read and converted, one at a time (an error is raised in the inputs' order),
    except that consecutive Parquet files of one schema (an archive's partitions) are
    converted as one table (:func:`~wellclear.formats.load.load_parquet_files`), with the
    rejects, lines and counts each file alone gives; when one of them cannot be read they are
    read one by one, so that the first error in their order is the one raised."""
    from wellclear.formats.feeds import read_feed

    for group in _parquet_groups(sources):
        if len(group) > 1:
            names = [str(sources[k]) for k in group]
            try:
                loaded = load_parquet_files(names)
            except StatesInputError:
                pass
            else:
                reports, rej = convert(loaded.frame, loaded.lines, names[0], loaded.files)
                yield reports, rej, _table_counts(loaded, reports), []
                continue
        for number in group:
            src = sources[number]
            if isinstance(src, pd.DataFrame):
                name = f"<dataframe {number}>" if len(sources) > 1 else "<dataframe>"
                raw = src.reset_index(drop=True)
                lines = pd.Series(np.arange(1, len(raw) + 1, dtype=np.int64), copy=False)
                reports, rej = convert(raw, lines, name)
                yield reports, rej, {"rows": len(raw), "repeats": reports.attrs["repeats"]}, []
            elif (kind := input_kind(str(src))) == "table":
                name = "<stdin>" if str(src) == "-" else str(src)
                loaded = load(str(src), stdin)
                reports, rej = convert(loaded.frame, loaded.lines, name)
                rej = concat_rejects([loaded.rejects, rej])
                yield reports, rej, _table_counts(loaded, reports), []
            else:
                feed = read_feed(src, kind=kind, tz=tz, t0=t0, reference=reference, invalid=invalid)
                states, bad = _check_feed(feed.states, str(src))
                counts = _feed_counts(feed.counts, len(feed.states), len(feed.rejects))
                rej = concat_rejects([feed.rejects, bad])
                yield _feed_reports(states), rej, counts, list(feed.notes)


def _table_counts(loaded: Loaded, reports: pd.DataFrame) -> dict[str, int]:
    """A loaded table's rows (data rows, the rows it could not split, blank lines)."""
    blank = loaded.counts.get("blank", 0)
    rows = len(loaded.frame) + len(loaded.rejects) + blank
    return {"rows": rows, "blank": blank, "repeats": reports.attrs.get("repeats", 0)}


def _parquet_groups(sources: list[str | Path | pd.DataFrame]) -> list[list[int]]:
    """The inputs' positions in order, consecutive Parquet files of one Arrow schema together
    (a file whose schema cannot be read stands alone: its reading says why)."""
    groups: list[list[int]] = []
    last: pa.Schema | None = None
    for k, src in enumerate(sources):
        schema = None
        if isinstance(src, (str, Path)) and str(src).lower().endswith(PARQUET_SUFFIXES):
            try:
                schema = pq.read_schema(str(src)).remove_metadata()
            except (pa.ArrowException, OSError):
                schema = None
        if schema is not None and last is not None and schema.equals(last):
            groups[-1].append(k)
        else:
            groups.append([k])
        last = schema
    return groups


def _concat(frames: list[pd.DataFrame], categorical: bool) -> pd.DataFrame:
    """The reports of every input in one frame. Text read as dictionaries (Parquet) is joined
    category by category; it stays categorical when asked (the scan codes its ids), else it
    becomes text as every other reader gives it."""
    if not frames:
        return pd.DataFrame()
    if len(frames) > 1:
        frames = [f.copy(deep=False) for f in frames]
        for c in frames[0].columns:
            if all(c in f and isinstance(f[c].dtype, pd.CategoricalDtype) for f in frames):
                joined = union_categoricals([f[c].array for f in frames])
                at = 0
                for f in frames:
                    f[c] = joined[at : at + len(f)]
                    at += len(f)
    frame = pd.concat(frames, ignore_index=True)
    if not categorical:
        for c in frame.columns:
            if isinstance(frame[c].dtype, pd.CategoricalDtype):
                frame[c] = frame[c].astype("str")
    return frame


def _add(counts: dict[str, int], more: dict[str, int]) -> None:
    for k, v in more.items():
        if v:
            counts[k] = counts.get(k, 0) + int(v)


def _feed_counts(counts: dict[str, int], states: int, rejected: int) -> dict[str, int]:
    """A feed's counts as rows read and, for those that gave no state, why."""
    if "frames" in counts:  # raw frames: a CSV's header is not a row
        rows = counts["frames"] + counts.get("rejected", 0) + counts.get("skipped_lines", 0)
    else:
        rows = counts.get("lines", counts.get("messages", 0))
    reasons = {
        k: v
        for k, v in counts.items()
        if k in ("blank", "skipped_lines", "other_messages", "mode_ac", "no_position")
        or k in ("not_decoded", "position_unresolved")
    }
    no_state = rows - states - rejected - sum(reasons.values())
    return {"rows": rows, **reasons, "without_position": max(no_state, 0)}


def _sample(t: FloatArray, most: int = 200_000) -> FloatArray:
    """At most about ``most`` of ``t``, evenly spread (all of them when fewer)."""
    return t if t.size <= most else t[:: t.size // most]


def _check_times(frames: list[pd.DataFrame]) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
    """The rows of every input whose time is far from the median time of all of them, as
    rejects (:func:`wellclear.formats.validate.check_times`)."""
    if not frames:
        return frames, []
    # the median of a sample of every input's times: the rule allows a year either side
    every = np.concatenate([_sample(f["t_row"].to_numpy(np.float64)) for f in frames])
    centre = time_reference(every)
    kept, late = [], []
    for f in frames:
        check = RowChecker(len(f))
        name = str(f.attrs.get("time_column", "t"))
        check_times(check, f["t_row"].to_numpy(np.float64), name, centre)
        if check.bad.any():
            bad = check.bad
            raws = [f"time {t!r}" for t in f["t_row"].to_numpy()[bad]]
            # one input, or several files of one schema, file by file (each by line)
            files = f["source"].array
            one = not isinstance(files, pd.Categorical) or len(files.categories) == 1
            source = str(f["source"].iloc[0]) if one else np.asarray(files[bad], dtype=object)
            late.append(
                make_rejects(
                    source,
                    f["line"].to_numpy()[bad],
                    check.column[bad],
                    check.reason[bad],
                    raws,
                    by_line=one,
                )
            )
            f = f.loc[~bad].reset_index(drop=True)
        kept.append(f)
    return kept, late


def _party_warnings(frame: pd.DataFrame) -> list[str]:
    """One warning per aircraft key that carries more than one party label."""
    if frame.empty:
        return []
    if frame["party"].nunique() < 2:  # one label (a party's batch): nothing to say
        return []
    labelled = frame.loc[frame["party"] != UNKNOWN_PARTY, ["id", "party"]].drop_duplicates()
    several = labelled["id"].duplicated(keep=False).to_numpy()
    if not several.any():  # the usual case, without a Python call per aircraft
        return []
    counts = labelled[several].groupby("id", observed=True)["party"].agg(lambda s: sorted(set(s)))
    return [
        f"aircraft {key} carries several party labels: {', '.join(parties)} (the latest is used)"
        for key, parties in counts.items()
    ]


def write_rejects(rejects: pd.DataFrame, path: str | Path) -> None:
    """Write rejected rows (source, line, column, reason and the raw fields) as CSV."""
    rejects.reindex(columns=REJECT_COLUMNS).to_csv(path, index=False)
