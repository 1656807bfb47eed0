"""Frames and their contracts: conform a frame to a contract, check one read back."""

from __future__ import annotations

import numpy as np
import pandas as pd

from wellclear.schemas.records import TIMESTAMP, Column, Schema, SchemaError


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
        if isinstance(s.dtype, pd.StringDtype) and s.dtype != pd.Series([""]).dtype:
            return s.astype(str)  # one text dtype (pandas' default) whatever the reader gave
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
