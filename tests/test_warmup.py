"""``python -m wellclear.warmup`` compiles (or loads) every kernel a scan and a detect use."""

from __future__ import annotations

import re
import subprocess
import sys


def test_warmup_reports_the_kernels_it_prepared() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "wellclear.warmup"], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[0].startswith("wellclear: preparing the numba kernels")
    found = re.search(r"(\d+) kernels compiled and cached, (\d+) loaded", lines[-1])
    assert found is not None, lines[-1]
    compiled, loaded = int(found[1]), int(found[2])
    # the pair kernel, the track records, the cells and the conflict grid at least
    assert compiled + loaded >= 8, lines[-1]
