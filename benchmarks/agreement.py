"""What resolving the agreement costs a command: fresh processes, median of ``--runs``.

Each run is a new interpreter that first imports what ``wellclear detect`` imports anyway
(pandas, typer, the detector), then times importing :mod:`wellclear.agreement` (pydantic) and
resolving the default agreement with ``--horizontal`` given, then ``syria2015``; the baseline,
in the same script, is the whole ``wellclear detect`` on the bundled Paris sample.

    .venv/bin/python benchmarks/agreement.py --runs 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARIS = ROOT / "src" / "wellclear" / "data" / "paris_20211007_1320-1330.json.gz"

PROBE = """
import json, time
import pandas, typer
import wellclear.cli.detect
from wellclear.detect.conflicts import detect
t0 = time.perf_counter()
import wellclear.agreement
t1 = time.perf_counter()
from pathlib import Path
from wellclear.cli.agreement_option import HORIZONTAL, resolve_agreement
resolve_agreement(None, {"--horizontal": (HORIZONTAL, "3NM")})
t2 = time.perf_counter()
resolve_agreement(Path("syria2015"), {"--horizontal": (HORIZONTAL, "3NM")})
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "default": t2 - t1, "syria2015": t3 - t2}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    probes = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", PROBE], check=True, capture_output=True, text=True
            ).stdout
        )
        for _ in range(args.runs)
    ]
    detect = []
    wellclear = str(Path(sys.executable).with_name("wellclear"))
    for _ in range(args.runs):
        start = time.perf_counter()
        subprocess.run(
            [wellclear, "detect", str(PARIS), "--at", "2021-10-07T13:30:00Z"],
            check=True,
            capture_output=True,
        )
        detect.append(time.perf_counter() - start)
    base = statistics.median(detect)
    print(f"{'step':<40} {'median s':>9} {'of detect':>10}")
    for key, what in (
        ("import", "import wellclear.agreement (pydantic)"),
        ("default", "resolve default + --horizontal"),
        ("syria2015", "resolve syria2015 + --horizontal"),
    ):
        value = statistics.median(p[key] for p in probes)
        print(f"{what:<40} {value:>9.3f} {value / base:>9.1%}")
    print(f"{'wellclear detect, Paris (baseline)':<40} {base:>9.3f} {1:>9.1%}")


if __name__ == "__main__":
    main()
