"""The live SBS parser (:class:`SbsStream`, a line at a time) held against the file reader
(:func:`parse_sbs`, the whole stream at once) on random time-ordered streams: several
aircraft, every transmission type, empty fields, stale velocities and altitudes, names that
come late, updates at the same time as a position arriving after it, bad lines; fed in chunks
of any size, taken as one batch or at random points."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from wellclear.feeds.sbsstream import SbsStream
from wellclear.formats.sbs import parse_sbs

BAD = [
    "MSG,3,1,1,4CA2D6,1,2024/07/06,08:00:01.000,2024/07/06",
    "MSG,3,1,1,4CA2D6,1,2024/07/06,08:00:01.000,2024/07/06,08:00:01.010,,3x000,,,49,2,,,0,0,0,0",
    "MSG,3,1,1,4CA2Z6,1,2024/07/06,08:00:01.000,2024/07/06,08:00:01.010,,30000,,,49,2,,,0,0,0,0",
    "MSG,3,1,1,4CA2D6,1,2024-07-06,08:00:01.000,2024/07/06,08:00:01.010,,30000,,,49,2,,,0,0,0,0",
    "MSG,3,1,1,4CA2D6,1,2024/07/06,25:00:01.000,2024/07/06,08:00:01.010,,30000,,,49,2,,,0,0,0,0",
    "MSG,3,1,1,4CA2D6,1,2024/07/06,08:00:01.000,2024/07/06,08:00:01.010,,30000,,,95,2,,,0,0,0,0",
    "MSG,9,1,1,4CA2D6,1,2024/07/06,08:00:01.000,2024/07/06,08:00:01.010,,30000,,,49,2,,,0,0,0,0",
    "MSG,3,1,1,4CA2D6,1,2024/02/30,08:00:01.000,2024/07/06,08:00:01.010,,30000,,,49,2,,,0,0,0,0",
    "MSG,4,1,1,4CA2D6,1,2024/07/06,08:00:01.000,2024/07/06,08:00:01.010,,,-5,90,,,0,,,,,0",
    "MSG,3,1,1,4CA2D6,1,2024/07/06,08:00:01.000,2024/07/06,08:00:01.010,,100,,,49,2,,,0,0,0,7",
    "MSG,3,1,1,4CA2D6,1,2024/07/06,08:00:01.000,2024/07/06,08:00:01.010,,1e999,,,49,2,,,0,0,0,0",
    "HELLO",
]


def _stream(rng: random.Random, n: int, names_first: bool) -> list[str]:
    planes = [f"{rng.randrange(1 << 24):06X}" for _ in range(6)]
    t = 8 * 3600.0
    lines: list[str] = []
    if names_first:
        lines += [_line(1, p, t, callsign=f"N{k}") for k, p in enumerate(planes)]
    for _ in range(n):
        t += rng.choice([0.0, 0.0, 0.25, 1.0, 7.5])  # same times, and ages past 10 s
        p, tt = rng.choice(planes), rng.choice([1, 2, 3, 3, 3, 4, 4, 5, 6, 7, 8])

        def maybe(v: str) -> str:
            return v if rng.random() < 0.8 else ""

        lines.append(
            _line(
                tt, p, t,
                callsign=maybe(f"C{rng.randrange(3)}") if tt == 1 else "",
                alt=maybe(str(rng.randrange(0, 40000, 25))) if tt in (2, 3, 5, 6, 7) else "",
                gs=maybe(f"{rng.uniform(0, 500):.1f}") if tt in (2, 4) else "",
                trk=maybe(f"{rng.uniform(-10, 370):.1f}") if tt in (2, 4) else "",
                lat=maybe(f"{rng.uniform(-90, 90):.5f}") if tt in (2, 3) else "",
                lon=maybe(f"{rng.uniform(-180, 180):.5f}") if tt in (2, 3) else "",
                vs=maybe(str(rng.randrange(-3000, 3000, 64))) if tt == 4 else "",
                ground=rng.choice(["", "0", "-1", "1"]),
            )
        )  # fmt: skip
        if rng.random() < 0.03:
            lines.append(rng.choice([*BAD, "", "STA,,5,179,400AE7,10103,2008/11/28,14:58:51"]))
    return lines


def _line(tt: int, plane: str, t: float, **f: str) -> str:
    day = t // 86400
    clock = f"{int(t % 86400 // 3600):02d}:{int(t % 3600 // 60):02d}:{t % 60:06.3f}"
    date = f"2024/07/{6 + int(day):02d}"
    return (
        f"MSG,{tt},1,1,{plane},1,{date},{clock},{date},{clock},{f.get('callsign', '')},"
        f"{f.get('alt', '')},{f.get('gs', '')},{f.get('trk', '')},{f.get('lat', '')},"
        f"{f.get('lon', '')},{f.get('vs', '')},,0,0,0,{f.get('ground', '')}"
    )


def _cuts(lines: list[str]) -> set[int]:
    """Where a batch may be taken: before a line later than every line so far (a batch taken
    between two lines of the same time would miss an update of the second for the first)."""
    stamp = [ln.split(",")[7] if ln.count(",") == 21 else "" for ln in lines]
    out, newest = set(), ""
    for k, s in enumerate(stamp):
        if s > newest:
            out.add(k)
            newest = s
    return out


def _feed(stream: SbsStream, lines: list[str], rng: random.Random, takes: bool) -> list:
    results, at, done = [], 0, 0
    cuts = _cuts(lines)
    while at < len(lines):
        end = at + rng.randint(1, 20)
        if takes:  # on to the next place a batch may be taken
            end = min([c for c in cuts if c >= end] or [len(lines)])
        stream.feed(lines[at:end])
        at = end
        if takes and rng.random() < 0.5:
            results.append((done, stream.take()))
            done = at
    results.append((done, stream.take()))
    return results


def _joined(results: list) -> tuple[pd.DataFrame, pd.DataFrame]:
    states = [r.states.assign(line=r.states["line"] + base) for base, r in results]
    rejects = [r.rejects.assign(line=r.rejects["line"] + base) for base, r in results]
    full = [s for s in states if len(s)] or states[:1]
    out = pd.concat(full, ignore_index=True)
    return out.sort_values(["t", "line"], kind="stable").reset_index(drop=True), pd.concat(
        rejects, ignore_index=True
    )


@pytest.mark.parametrize("seed", range(6))
def test_one_batch_is_the_file_readers(seed: int) -> None:
    rng = random.Random(seed)
    lines = _stream(rng, 600, names_first=False)
    want = parse_sbs(lines, source="s")
    states, rejects = _joined(_feed(SbsStream("s"), lines, rng, takes=False))
    pd.testing.assert_frame_equal(states, want.states)
    cols = ["line", "column", "reason", "raw"]
    pd.testing.assert_frame_equal(rejects[cols], want.rejects[cols], check_dtype=False)
    assert len(want.states) > 100 and (want.states["callsign"] != "").any()


@pytest.mark.parametrize("seed", range(6))
def test_batches_taken_anywhere_are_the_whole_stream(seed: int) -> None:
    rng = random.Random(100 + seed)
    lines = _stream(rng, 600, names_first=True)
    want = parse_sbs(lines, source="s")
    results = _feed(SbsStream("s"), lines, rng, takes=True)
    assert len(results) > 3
    states, rejects = _joined(results)
    pd.testing.assert_frame_equal(states, want.states)
    assert rejects["line"].tolist() == want.rejects["line"].tolist()


def test_bad_lines_are_named_as_the_file_reader_names_them() -> None:
    stream = SbsStream("s")
    stream.feed(BAD)
    got = stream.take().rejects
    want = parse_sbs(BAD, source="s").rejects
    assert len(got) == len(BAD)
    pd.testing.assert_frame_equal(
        got[["line", "column", "reason"]], want[["line", "column", "reason"]], check_dtype=False
    )
    assert np.all(got["line"].to_numpy() >= 1)


def test_a_line_only_the_file_reader_reads_is_rejected_by_name() -> None:
    odd = "MSG,03,1,1,4CA2D6,1,2024/07/06,08:00:01.000,2024/07/06,08:00:01,,100,,,49,2,,,0,0,0,0"
    assert len(parse_sbs([odd]).states) == 1  # the file reader takes "03" as 3
    stream = SbsStream("s")
    stream.feed([odd])
    result = stream.take()
    assert result.states.empty
    assert result.rejects[["line", "column", "reason"]].values.tolist() == [
        [1, "fields", "not in the form dump1090 writes"]
    ]
