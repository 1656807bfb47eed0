"""Agreement of ``wellclear daa`` with DAIDALUS's TCAS3D output, row by row.

For every ``DIR/NAME.daa`` with a DAIDALUS output ``DIR/outputs/NAME__CONF.csv`` (written by
``DaidalusAlerting --conf CONF.conf``; CONF is TCAS3D unless ``--conf`` says), writes
wellclear's alerting CSV the way ``wellclear daa NAME.daa --alerter ALERTER`` writes it and
compares the two rows of each time and intruder: the alert level, and each time to the volume of
an alert (TA, RA). A row agrees when its level is the same and each time is within
``--tolerance`` seconds (``infty`` only matches ``infty``). Prints one line per file and the
total.

Usage: ``python scripts/tcas_agreement.py [--alerter tcas] [--conf TCAS3D] [--tolerance 0.01]
[DIR]`` (default ``tests/data/daidalus_tcas``), e.g. ``--conf TCAS3D_early --alerter
tests/data/daidalus_tcas/TCAS3D_early.yaml``.
"""

from __future__ import annotations

import argparse
import io
import math
from dataclasses import dataclass
from pathlib import Path

from wellclear.alerting import preset, run_scenario
from wellclear.formats.daa import read_daa
from wellclear.formats.daa_csv import write_alerting_csv


@dataclass
class Agreement:
    """Counts of one comparison."""

    rows: int = 0
    levels: int = 0
    times: int = 0
    agree: int = 0
    inf_mismatch: int = 0  # times to a volume: one side infty, the other finite
    max_dt: float = 0.0  # largest difference where both times are finite

    def add(self, other: Agreement) -> None:
        self.rows += other.rows
        self.levels += other.levels
        self.times += other.times
        self.agree += other.agree
        self.inf_mismatch += other.inf_mismatch
        self.max_dt = max(self.max_dt, other.max_dt)


def _time(cell: str) -> float:
    return math.inf if cell == "infty" else float(cell)


def wellclear_lines(daa: Path, alerter: str) -> list[str]:
    """The CSV lines ``wellclear daa DAA --alerter ALERTER`` writes."""
    config = preset(alerter)
    buf = io.StringIO()
    write_alerting_csv(run_scenario(read_daa(daa), config), buf, taumod=False)
    return buf.getvalue().splitlines()


def compare(mine: list[str], gold: list[str], tolerance: float) -> Agreement:
    """Row-by-row agreement of two alerting CSVs (same header, same row order)."""
    if mine[:2] != gold[:2]:
        raise ValueError(f"headers differ: {mine[:2]} vs {gold[:2]}")
    if len(mine) != len(gold):
        raise ValueError(f"{len(mine)} lines vs DAIDALUS's {len(gold)}")
    header = gold[0].split(", ")
    ttv = [k for k, name in enumerate(header) if name.startswith("Time to Volume")]
    out = Agreement()
    for lineno, (m, g) in enumerate(zip(mine[2:], gold[2:], strict=True), start=3):
        mf, gf = m.split(", "), g.split(", ")
        if mf[:4] != gf[:4]:
            raise ValueError(f"line {lineno}: rows differ: {m!r} vs {g!r}")
        out.rows += 1
        level_ok = mf[4] == gf[4]
        times_ok = True
        for k in ttv:
            a, b = _time(mf[k]), _time(gf[k])
            if math.isinf(a) or math.isinf(b):
                times_ok &= a == b
                out.inf_mismatch += a != b
            else:
                out.max_dt = max(out.max_dt, abs(a - b))
                times_ok &= abs(a - b) <= tolerance
        out.levels += level_ok
        out.times += times_ok
        out.agree += level_ok and times_ok
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", nargs="?", type=Path, default=Path("tests/data/daidalus_tcas"))
    parser.add_argument("--alerter", default="tcas", help="preset name or preset file")
    parser.add_argument("--conf", default="TCAS3D", help="DAIDALUS configuration (output stem)")
    parser.add_argument("--tolerance", type=float, default=0.01, help="seconds")
    args = parser.parse_args()
    total = Agreement()
    print(HEADER)
    for daa in sorted(args.dir.glob("*.daa")):
        gold_path = args.dir / "outputs" / f"{daa.stem}__{args.conf}.csv"
        if not gold_path.exists():
            continue
        a = compare(
            wellclear_lines(daa, args.alerter), gold_path.read_text().splitlines(), args.tolerance
        )
        total.add(a)
        print(_line(daa.stem, a))
    print(_line("total", total))


HEADER = (
    f"{'file':24s} {'rows':>6s} {'levels %':>9s} {'times %':>9s} {'rows %':>9s}"
    f" {'inf/finite':>10s} {'max dt s':>9s}"
)


def _line(name: str, a: Agreement) -> str:
    pct = [100.0 * x / a.rows if a.rows else math.nan for x in (a.levels, a.times, a.agree)]
    return (
        f"{name:24s} {a.rows:6d} {pct[0]:9.2f} {pct[1]:9.2f} {pct[2]:9.2f}"
        f" {a.inf_mismatch:10d} {a.max_dt:9.1e}"
    )


if __name__ == "__main__":
    main()
