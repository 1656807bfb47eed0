"""A long fuzzing run of every reader (the property of ``tests/test_fuzz_readers.py``).

Runs the hypothesis test of ``tests/test_fuzz_readers.py`` with ``--examples`` cases (default
5,000), non-deterministic, and prints how many ran and what they found: either "no failure"
or hypothesis' shrunk failing example (the file's name, kind and bytes) and the exception.

    .venv/bin/python benchmarks/fuzz.py --examples 5000
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=5000, help="cases to generate")
    args = parser.parse_args()
    env = {**os.environ, "FUZZ_EXAMPLES": str(args.examples)}
    started = time.perf_counter()
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--hypothesis-show-statistics",
            str(ROOT / "tests" / "test_fuzz_readers.py"),
            "-k",
            "mutated",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    out = run.stdout + run.stderr
    stats = [line.strip() for line in out.splitlines() if " passing, " in line]
    print(f"fuzz: {args.examples} examples asked, {seconds:.0f} s")
    for line in stats:
        print(f"  {line}")
    if run.returncode == 0:
        print("  no failure: every case was a valid read or a typed error naming the file")
    else:
        print("  FAILURE (hypothesis' shrunk example follows)")
        print(out[-6000:])
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
