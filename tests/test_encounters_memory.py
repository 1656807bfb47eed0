"""The memory governor of long scans: trims above its budget, never below it."""

from __future__ import annotations

import time

import numpy as np
import pyarrow as pa
import pytest

from wellclear.encounters.memory import MemoryGovernor, _malloc_trim, resident_bytes

glibc = pytest.mark.skipif(
    _malloc_trim() is None or resident_bytes() is None, reason="needs Linux with glibc"
)


@glibc
def test_trims_only_above_the_budget() -> None:
    rss = resident_bytes()
    assert rss is not None and rss > 0
    with MemoryGovernor(rss * 100, interval_s=0.01) as calm:
        time.sleep(0.1)
    assert calm.trims == 0 and not calm.tight
    with MemoryGovernor(1, interval_s=0.01) as busy:
        time.sleep(0.1)
    assert busy.trims >= 1 and busy.tight


@glibc
def test_waits_for_growth_when_the_live_data_exceed_the_budget() -> None:
    with MemoryGovernor(1, interval_s=0.01, regrow=10.0) as gov:
        time.sleep(0.1)
        once = gov.trims
        blob = np.ones(64 << 20, dtype=np.uint8)  # 64 MiB live: not 10x growth
        time.sleep(0.1)
        assert blob.sum() > 0
    assert once == 1 and gov.trims == 1


def test_arrow_allocates_from_the_system_pool_meanwhile() -> None:
    before = pa.default_memory_pool().backend_name
    with MemoryGovernor(1 << 40):
        assert pa.default_memory_pool().backend_name == "system"
    assert pa.default_memory_pool().backend_name == before


@glibc
def test_glibc_trimming_is_off_while_governed_and_back_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from wellclear.encounters import memory

    calls: list[dict[int, int]] = []
    monkeypatch.setattr(memory, "_mallopt", calls.append)
    with MemoryGovernor(1 << 40, interval_s=0.01):
        assert calls == [memory._GOVERNED]
    assert calls == [memory._GOVERNED, memory._DEFAULTS]
