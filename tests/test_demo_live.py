"""The live part of ``make demo`` (scripts/demo_live.py): a real wellclear serve with the
built-in syria2015 agreement, each side replaying its own aircraft with its own token."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WELLCLEAR = str(Path(sys.executable).with_name("wellclear"))


@pytest.mark.slow
def test_each_party_receives_its_own_alerts_and_nothing_of_the_other(tmp_path: Path) -> None:
    scenario = tmp_path / "syria2015.parquet"
    subprocess.run(
        [WELLCLEAR, "simulate", "--scenario", "syria2015", "--output", str(scenario)],
        check=True,
        capture_output=True,
    )
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo_live.py"), str(scenario), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    received = dict(re.findall(r"^(\w+) received (\d+) alert events:", out, flags=re.M))
    assert set(received) == {"russia", "usa"}
    assert all(int(n) >= 2 for n in received.values()), out
    # each party's lines name only its own aircraft: the Su-24 pair for Russia, the MQ-1 for
    # the coalition
    blocks = re.split(r"^(?=\w+ received)", out, flags=re.M)
    russia = next(b for b in blocks if b.startswith("russia"))
    usa = next(b for b in blocks if b.startswith("usa"))
    assert "rus24" in russia and "a4f001" not in russia and "REAPER" not in russia
    assert "a4f001" in usa and "rus24" not in usa and "RSD" not in usa
    assert "raised" in russia and "cleared" in russia
