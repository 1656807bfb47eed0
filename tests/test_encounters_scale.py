"""Chunked == unchunked == Dask, including an encounter longer than a window (issue 5)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wellclear.encounters.config import ScanConfig
from wellclear.encounters.partition import partition_by_window
from wellclear.encounters.scan import (
    FrameSource,
    ScanResult,
    _in_encounter_order,
    scan,
    scan_dask,
    scan_source,
    window_bounds,
)
from wellclear.encounters.sources import DatasetSource, time_clustered
from wellclear.simulate.flights import Follow, Leg, Plan, fly, sample

T0 = 1_444_000_000.0


@pytest.fixture(scope="module")
def traffic() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    plans: list[Plan | Follow] = []
    for k in range(24):
        lat = 36.0 + rng.uniform(-0.3, 0.3)
        lon = 38.0 + rng.uniform(-0.3, 0.3)
        legs = (
            Leg(rng.uniform(200, 900)),
            Leg(rng.uniform(20, 120), turn_dps=rng.choice([-3.0, 3.0])),
            Leg(rng.uniform(200, 900), vs_mps=rng.uniform(-10, 10)),
        )
        plans.append(
            Plan(
                f"ac{k:02d}",
                f"p{k % 3}",
                T0 + rng.uniform(0, 600),
                lat,
                lon,
                rng.uniform(3000, 4500),
                rng.uniform(120, 250),
                rng.uniform(0, 360),
                legs,
            )
        )
    # an escort of 40 min: longer than the 10 min windows below
    plans.append(Plan("tgt", "blue", T0, 35.5, 37.0, 7000.0, 180.0, 60.0, (Leg(2700.0),)))
    plans.append(
        Follow(
            "esc",
            "red",
            "tgt",
            (
                (T0, 180.0, 20_000.0, 0.0),
                (T0 + 200, 180.0, 1000.0, 50.0),
                (T0 + 2600, 190.0, 1000.0, 50.0),
                (T0 + 2700, 120.0, 15_000.0, 0.0),
            ),
        )
    )
    return sample(fly(plans, dt=1.0), seed=9)


def same(a: ScanResult, b: ScanResult, extra: tuple[str, ...] = ()) -> None:
    """Equal encounters and evidence; ``extra`` evidence columns are not compared (the
    contract's optional columns, empty in ``a``)."""
    ea, eb = a.encounters, b.encounters
    assert list(ea["encounter_id"]) == list(eb["encounter_id"])
    for col in ea.columns:
        if pd.api.types.is_float_dtype(ea[col]):
            np.testing.assert_allclose(
                ea[col].to_numpy(float), eb[col].to_numpy(float), rtol=1e-9, atol=1e-6, err_msg=col
            )
        else:
            assert list(ea[col]) == list(eb[col]), col
    ev_a, ev_b = (
        _text(r.evidence.drop(columns=list(extra))) for r in (a, b)
    )  # text compared as text: streamed Parquet keeps callsign and party as categories
    pd.testing.assert_frame_equal(ev_a, ev_b, check_exact=False, rtol=1e-9)


def _text(frame: pd.DataFrame) -> pd.DataFrame:
    cats = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)]
    return frame.astype(dict.fromkeys(cats, "str"))


def test_kernel_blocks_do_not_change_the_result(
    traffic: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """However many blocks a window's pair kernel is split into (one per CPU the scan gives
    it), its window groups, pieces and spans are the same, in the same order."""
    from wellclear.encounters import pieces as pieces_module
    from wellclear.encounters.tracks import build_tracks

    cfg = ScanConfig()
    tracks = build_tracks(traffic, cfg)
    one = pieces_module.scan_pieces(tracks, cfg, threads=1)
    monkeypatch.setattr(pieces_module, "MIN_BLOCK", 1)  # the fixture has a few hundred pairs
    for threads in (2, 5, 16):
        split = pieces_module.scan_pieces(tracks, cfg, threads=threads)
        for a, b in zip(
            (one.groups, one.pieces, one.spans),
            (split.groups, split.pieces, split.spans),
            strict=True,
        ):
            pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert len(one.groups) > 3 and len(one.spans) > len(one.groups)


def test_chunked_equals_unchunked(traffic: pd.DataFrame) -> None:
    cfg = ScanConfig()
    whole = scan(traffic, cfg)
    assert len(whole.encounters) >= 3
    esc = whole.encounters[whole.encounters["id_1"] == "esc"]
    assert len(esc) == 1 and esc.iloc[0]["duration_s"] > 1800
    assert esc.iloc[0]["primary"] == "intercept"
    assert not whole.evidence.empty
    # evidence in encounter order, then by aircraft and time
    ev = whole.evidence
    rank = pd.Index(whole.encounters["encounter_id"]).get_indexer(ev["encounter_id"])
    assert (rank >= 0).all()
    expect = ev.assign(_r=rank).sort_values(["_r", "id", "t"], kind="stable")
    pd.testing.assert_frame_equal(ev, expect.drop(columns="_r").reset_index(drop=True))
    for window in (600.0, 1000.0):
        same(whole, scan_source(FrameSource(traffic), cfg, window_s=window))
    shuffled = traffic.sample(frac=1.0, random_state=1)
    same(whole, scan_source(FrameSource(shuffled), cfg, window_s=777.0))
    # Arrow-backed strings, as Parquet reads give them
    strings = traffic.astype({"id": "string[pyarrow]", "callsign": "string[pyarrow]"})
    same(whole, scan_source(FrameSource(strings), cfg, window_s=600.0))


def test_dask_equals_one_machine(traffic: pd.DataFrame) -> None:
    cfg = ScanConfig()
    same(scan(traffic, cfg), scan_dask(FrameSource(traffic), cfg, window_s=600.0))


def test_dask_streams_finished_encounters_with_few_windows_ahead(traffic: pd.DataFrame) -> None:
    """With one window ahead, the client merges each window as it comes: finished encounters
    reach the sink batch by batch (the 40-minute escort, longer than a window, in one piece),
    and together they are the one-machine result."""
    cfg = ScanConfig()
    whole = scan(traffic, cfg)
    batches: list[ScanResult] = []
    kept = scan_dask(FrameSource(traffic), cfg, window_s=300.0, sink=batches.append, ahead=1)
    assert kept.encounters.empty and kept.rows == len(traffic)
    assert len(batches) > 2
    merged = ScanResult(
        pd.concat([b.encounters for b in batches]).sort_values(["start", "id_1", "id_2"]),
        pd.concat([b.evidence for b in batches]),
        kept.rows,
    )
    merged = ScanResult(merged.encounters.reset_index(drop=True), merged.evidence, merged.rows)
    enc = merged.encounters
    escort = enc[(enc["id_1"] == "esc") & (enc["id_2"] == "tgt")]
    assert len(escort) == 1 and escort["duration_s"].iloc[0] > 2 * 300.0
    evidence = _in_encounter_order(merged.evidence, merged.encounters)  # as a scan orders it
    same(whole, ScanResult(merged.encounters, evidence, merged.rows))


def test_grid_candidates_lose_nothing(
    traffic: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The brute-force twin: every pair in every bucket gives the same encounters."""
    from wellclear.encounters import pieces

    cfg = ScanConfig()
    fast = scan(traffic, cfg)

    def all_pairs(tracks, cfg):  # type: ignore[no-untyped-def]
        n = tracks.ids.size
        buckets = np.arange(
            np.floor((tracks.t.min() - cfg.max_gap_s) / cfg.bucket_s),
            np.floor((tracks.t.max() + cfg.max_gap_s) / cfg.bucket_s) + 1,
        ).astype(np.int64)
        i, j = np.triu_indices(n, k=1)
        bk = np.repeat(buckets, i.size)
        return (
            bk,
            np.tile(i, buckets.size).astype(np.int64),
            np.tile(j, buckets.size).astype(np.int64),
        )

    monkeypatch.setattr(pieces, "candidate_pairs", all_pairs)
    same(fast, scan(traffic, cfg))


def test_parquet_streamed_once_equals_memory(traffic: pd.DataFrame, tmp_path: Path) -> None:
    """A time-ordered Parquet file is streamed row group by row group (each read once); the
    windows hold the same rows as filtered reads, and the scan equals the one in memory.
    Shuffled row groups are held longer (same rows); CSV falls back to filtered reads."""
    cfg = ScanConfig()
    whole = scan(traffic, cfg)
    ordered = tmp_path / "ordered.parquet"
    traffic.sort_values("t").to_parquet(ordered, index=False, row_group_size=3000)
    mixed = tmp_path / "mixed.parquet"
    traffic.sample(frac=1.0, random_state=3).to_parquet(mixed, index=False, row_group_size=3000)
    text = tmp_path / "states.csv"
    traffic.to_csv(text, index=False)
    assert time_clustered((str(ordered),)) and not time_clustered((str(text),))
    for path in (ordered, mixed, text):
        source = DatasetSource((str(path),))
        t0, t1 = source.time_range()
        assert (t0, t1) == (traffic["t"].min(), traffic["t"].max())
        bounds = window_bounds(t0, t1, 600.0)
        streamed = list(source.windows(bounds, cfg.overlap_s))
        assert len(streamed) == len(bounds)
        for (lo, hi), got in zip(bounds, streamed, strict=True):
            ref = source.read(lo - cfg.overlap_s, hi + cfg.overlap_s)
            # the columns a scan reads, every one (streaming leaves out those folded in alt_m)
            assert set(ref.columns) - set(got.columns) <= {"alt_geo_m", "alt_src"}
            ref = ref[[c for c in ref.columns if c in got.columns]]
            # text read as dictionaries where row groups are streamed: the same strings
            text = ["id", "callsign", "party"]
            coded = [isinstance(got[c].dtype, pd.CategoricalDtype) for c in text]
            assert all(coded) if path.suffix == ".parquet" else not any(coded)
            got = got.astype(dict.fromkeys(text, "str"))
            key = ["id", "t"]
            pd.testing.assert_frame_equal(
                got[list(ref.columns)].sort_values(key).reset_index(drop=True),
                ref.sort_values(key).reset_index(drop=True),
            )
        got = scan_source(source, cfg, window_s=600.0)
        origin = ("source", "line") if path.suffix == ".parquet" else ()
        same(whole, got, extra=origin)


def test_parquet_evidence_names_file_and_record(traffic: pd.DataFrame, tmp_path: Path) -> None:
    """Evidence read from Parquet names its file and record (line = record number + 1), also
    after an unordered archive is copied window by window."""
    cfg = ScanConfig()
    path = tmp_path / "states.parquet"
    shuffled = traffic.sample(frac=1.0, random_state=4).reset_index(drop=True)
    shuffled.to_parquet(path, index=False, row_group_size=5000)
    by_time = tmp_path / "by_time.parquet"
    traffic.sort_values("t").to_parquet(by_time, index=False, row_group_size=5000)
    sorted_copy = partition_by_window(DatasetSource((str(path),)), tmp_path / "sort", 600.0)
    for source, original in ((DatasetSource((str(by_time),)), by_time), (sorted_copy, path)):
        ev = scan_source(source, cfg, window_s=600.0).evidence
        assert len(ev) > 100
        assert set(ev["source"].astype(str)) == {str(original)}
        raw = pd.read_parquet(original)
        rec = raw.iloc[ev["line"].to_numpy(np.int64) - 1]
        assert list(rec["id"].astype(str)) == list(ev["id"].astype(str))
        np.testing.assert_array_equal(rec["t"].to_numpy(), ev["t_unix"].to_numpy())


def test_windows_at_once_do_not_change_the_result(traffic: pd.DataFrame) -> None:
    """However many windows are scanned at once (and that number may change as memory gets
    tight), the result is the same."""
    cfg = ScanConfig()
    source = FrameSource(traffic)
    one = scan_source(source, cfg, window_s=900.0, parallel=lambda: 1)
    flip = iter([2, 1] * 1000)
    varying = scan_source(source, cfg, window_s=900.0, parallel=lambda: next(flip))
    two = scan_source(source, cfg, window_s=900.0)
    assert len(one.encounters) > 3
    for other in (varying, two):
        same(one, other)


def test_missing_text_read_as_dictionaries_is_filled(traffic: pd.DataFrame, tmp_path: Path) -> None:
    """Callsigns and parties missing in a streamed Parquet file (read as dictionaries) are
    filled as every reader fills them (empty, ``unknown``), and the scan equals the one of the
    filled table in memory."""
    holes = traffic.assign(
        callsign=traffic["callsign"].astype(object).where(traffic.index % 3 != 0, None),
        party=traffic["party"].astype(object).where(traffic.index % 5 != 0, None),
    )
    path = tmp_path / "holes.parquet"
    holes.sort_values("t").to_parquet(path, index=False, row_group_size=3000)
    source = DatasetSource((str(path),))
    t0, t1 = source.time_range()
    cfg = ScanConfig()
    (window,) = source.windows([(t0, t1 + 1.0)], cfg.overlap_s)
    for c, fill in (("callsign", ""), ("party", "unknown")):
        assert isinstance(window[c].dtype, pd.CategoricalDtype) and not window[c].hasnans
        assert (window[c] == fill).sum() >= (holes[c].isna()).sum()
    filled = holes.assign(
        callsign=holes["callsign"].fillna(""), party=holes["party"].fillna("unknown")
    )
    same(scan(filled, cfg), scan_source(source, cfg, window_s=600.0), extra=("source", "line"))
