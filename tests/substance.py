"""Helpers for the contract and golden tests: a written result table checked against its
contract cell by cell, and two result tables compared in substance."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from wellclear.schemas import Column, Schema, check

ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z")
NUMBER = re.compile(r"-?\d+(\.(?P<decimals>\d+))?([eE][-+]?\d+)?")


def _cell_problem(value: object, col: Column, json_cell: bool) -> str | None:
    """What is wrong with one written cell of ``col`` (None: nothing)."""
    if value is None or (not json_cell and value == ""):
        if col.dtype in ("int64", "bool"):
            return "empty, the contract says never missing"
        return None
    if col.dtype == "str":
        return None if isinstance(value, str) else f"{value!r} is not text"
    if col.dtype == "timestamp":
        ok = isinstance(value, str) and ISO.fullmatch(value)
        return None if ok else f"{value!r} is not ISO 8601 UTC"
    if col.dtype == "bool":
        ok = isinstance(value, bool) if json_cell else value in ("True", "False")
        return None if ok else f"{value!r} is not a boolean"
    if json_cell and (isinstance(value, bool) or not isinstance(value, (int, float))):
        return f"{value!r} is not a number"
    text = json.dumps(value) if json_cell else str(value)
    match = NUMBER.fullmatch(text)
    if match is None:
        return f"{value!r} is not a number"
    decimals = len(match.group("decimals") or "")
    if col.dtype == "int64" and decimals:
        return f"{value!r} is not an integer"
    if col.precision is not None and decimals > max(col.precision, 1):
        return f"{value!r} has {decimals} decimals, the contract writes {col.precision}"
    return None


def written_problems(path: Path, schema: Schema) -> list[str]:
    """What is wrong with the result file ``path`` (CSV, JSON lines or array, GeoJSON
    properties, Parquet) against
    ``schema``: columns not in the contract, contract columns missing, columns out of order,
    and each cell (CSV and JSON) or column dtype (Parquet) that is not as documented."""
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
        return check(frame, schema)
    if path.suffix == ".csv":
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        json_cells = False
    else:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".geojson":  # the columns as each feature's properties
            records = [f["properties"] for f in json.loads(text)["features"]]
        elif text.lstrip().startswith("["):
            records = json.loads(text)
        else:
            records = [json.loads(line) for line in text.splitlines() if line.strip()]
        assert records, f"{path}: no records to check"
        names = list(records[0])
        assert all(list(r) == names for r in records), f"{path}: records with other keys"
        frame = pd.DataFrame({n: pd.Series([r[n] for r in records], dtype=object) for n in names})
        json_cells = True
    present = [str(c) for c in frame.columns]
    problems = [p for p in check(frame.iloc[:0].astype(object), schema) if "dtype" not in p]
    if schema.order(present) != present and not problems:
        problems.append(f"columns out of the contract's order: {present}")
    for name in present:
        try:
            col = schema.column(name)
        except KeyError:
            continue
        for k, value in enumerate(frame[name]):
            problem = _cell_problem(value, col, json_cells)
            if problem:
                problems.append(f"{path.name} row {k + 1} column {name}: {problem}")
                break
    return problems


def tolerance(col: Column) -> float:
    """How far a number may move and be the same in substance: one unit of the last decimal
    the contract writes (CSV), else 1e-6."""
    return 10.0**-col.precision if col.precision is not None else 1e-6


def assert_same_substance(got: pd.DataFrame, want: pd.DataFrame, schema: Schema, what: str) -> None:
    """Two conformed tables of ``schema`` the same in substance: the same columns and rows in
    the same order, the same text, flags and integers, numbers within :func:`tolerance` (and
    1e-6 relative), times within 1 ms."""
    assert list(got.columns) == list(want.columns), what
    assert len(got) == len(want), f"{what}: {len(got)} rows, expected {len(want)}"
    for name in want.columns:
        col = schema.column(str(name))
        g, w = got[name].reset_index(drop=True), want[name].reset_index(drop=True)
        where = f"{what}: column {name}"
        if col.dtype == "timestamp":
            assert (g.isna() == w.isna()).all(), where
            gs = g.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]")
            ws = w.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]")
            delta = (gs - ws).dt.total_seconds().abs().fillna(0.0)
            assert (delta <= 1e-3).all(), f"{where}: up to {delta.max():.3g} s apart"
        elif col.dtype == "float64":
            np.testing.assert_allclose(
                g.to_numpy(float), w.to_numpy(float), rtol=1e-6, atol=tolerance(col), err_msg=where
            )
        else:
            gl = [None if pd.isna(v) or v == "" else v for v in g.astype(object)]
            wl = [None if pd.isna(v) or v == "" else v for v in w.astype(object)]
            assert gl == wl, where
