"""A scan's results are one set: complete with its manifest, or visibly absent (kill -9 too)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wellclear.cli import app, commands  # noqa: F401  (registers the commands)
from wellclear.formats import resultset
from wellclear.formats.resultset import MANIFEST, ResultSet, ResultSetError, read_manifest
from wellclear.simulate.flights import fly, sample
from wellclear.simulate.scenarios import random_plans

runner = CliRunner()


@pytest.fixture(scope="module")
def states(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rs") / "states.parquet"
    frame = sample(fly(random_plans(120, 1800.0, seed=5), dt=1.0), seed=5, min_dt=1, max_dt=8)
    frame.to_parquet(path, index=False)
    return path


def _scan(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, ["scan", *args])
    return res.exit_code, res.output


def _contents(directory: Path) -> dict[str, str]:
    """The set a reader accepts: each listed file's hash (raises if incomplete)."""
    body = read_manifest(directory)
    files = body["files"]
    assert isinstance(files, dict)
    return {n: hashlib.sha256((directory / n).read_bytes()).hexdigest() for n in files}


def test_manifest_records_the_run(states: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    code, text = _scan(str(states), "--output", str(out), "--format", "csv", "--invalid", "skip")
    assert code == 0, text
    body = read_manifest(out)
    assert body["command"] == [Path(sys.argv[0]).name, *sys.argv[1:]]  # this process
    params = body["parameters"]
    assert isinstance(params, dict)
    assert params["paths"] == [str(states)] and params["fmt"] == "csv"
    assert body["inputs"] == [
        {
            "path": str(states.resolve()),
            "bytes": states.stat().st_size,
            "modified": body["inputs"][0]["modified"],  # type: ignore[index]
        }
    ]
    assert body["settings"]["horizontal_m"] == pytest.approx(9260.0)  # type: ignore[index]
    assert body["rows"]["input"] > 1000  # type: ignore[index]
    files = body["files"]
    assert isinstance(files, dict)
    assert set(files) == {"encounters.csv", "evidence.csv"}
    lines = (out / "encounters.csv").read_text().count("\n") - 1
    assert files["encounters.csv"]["rows"] == lines
    assert sorted(p.name for p in out.iterdir()) == ["encounters.csv", "evidence.csv", MANIFEST]


def test_rerun_refuses_without_overwrite_and_replaces_every_output(
    states: Path, tmp_path: Path
) -> None:
    out = tmp_path / "o"
    assert _scan(str(states), "--output", str(out), "--zones", "sovereign:FRA")[0] == 0
    assert (out / "infringements.parquet").exists()
    first = _contents(out)
    code, text = _scan(str(states), "--output", str(out), "--format", "csv")
    assert code == 2 and "results of a previous run" in text and "--overwrite" in text
    assert _contents(out) == first  # untouched
    (out / "notes.txt").write_text("mine")
    code, text = _scan(str(states), "--output", str(out), "--format", "csv", "--overwrite")
    assert code == 0, text
    names = sorted(p.name for p in out.iterdir())
    # the previous run's Parquet files and infringements are gone; the user's file is kept
    assert names == ["encounters.csv", "evidence.csv", MANIFEST, "notes.txt"]
    assert set(_contents(out)) == {"encounters.csv", "evidence.csv"}


def test_other_files_or_bad_paths_are_errors_naming_the_path(states: Path, tmp_path: Path) -> None:
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x.txt").write_text("x")
    code, text = _scan(str(states), "--output", str(busy))
    assert code == 2 and str(busy) in text and "other files" in text
    afile = tmp_path / "afile"
    afile.write_text("x")
    code, text = _scan(str(states), "--output", str(afile))
    assert code == 2 and f"{afile}: --output names a file" in text
    if os.geteuid() != 0:  # root writes anywhere
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o500)
        code, text = _scan(str(states), "--output", str(ro / "o"))
        assert code == 2 and str(ro / "o") in text and "Traceback" not in text


def test_report_refuses_an_incomplete_set(states: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    assert _scan(str(states), "--output", str(out))[0] == 0
    html = tmp_path / "r.html"
    res = runner.invoke(app, ["report", str(out), "--output", str(html), "--max-plots", "1"])
    assert res.exit_code == 0 and html.stat().st_size > 1000
    with open(out / "evidence.parquet", "ab") as f:  # another file than the manifest's
        f.write(b"x")
    res = runner.invoke(app, ["report", str(out), "--output", str(tmp_path / "s.html")])
    assert res.exit_code == 2 and "evidence.parquet" in res.output
    assert not (tmp_path / "s.html").exists()
    (out / MANIFEST).unlink()
    res = runner.invoke(app, ["report", str(out), "--output", str(tmp_path / "s.html")])
    assert res.exit_code == 2 and "no manifest.json" in res.output
    (out / MANIFEST).write_text(json.dumps({"format": "wellclear-results/1", "files": {}}))
    res = runner.invoke(app, ["report", str(out), "--output", str(tmp_path / "s.html")])
    assert res.exit_code == 2 and "does not say the set is complete" in res.output
    res = runner.invoke(app, ["report", str(tmp_path), "--output", str(tmp_path)])
    assert res.exit_code == 2


def _stage(rs: ResultSet, texts: dict[str, str]) -> None:
    for name, text in texts.items():
        rs.path(name).write_text(text)
        rs.add(rs.path(name), text.count("\n"))


def test_a_failure_at_any_step_of_the_commit_leaves_old_or_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every removal and rename of the commit made to fail in turn, then the directory read."""
    old = {"encounters.parquet": "old e\n", "evidence.parquet": "old v\n", "rejects.csv": "r\n"}
    new = {"encounters.csv": "new e\n", "evidence.csv": "new v\n"}
    steps = 0
    while True:
        d = tmp_path / f"d{steps}"
        with ResultSet(d, ("encounters", "evidence", "rejects")) as rs:
            _stage(rs, old)
            rs.commit({"run": "old"})
        calls = {"n": 0}

        def failing(real: object, calls: dict[str, int] = calls, at: int = steps) -> object:
            def call(*a: object, **k: object) -> object:
                calls["n"] += 1
                if calls["n"] > at:
                    raise OSError("killed here")
                return real(*a, **k)  # type: ignore[operator]

            return call

        monkeypatch.setattr(resultset.os, "replace", failing(os.replace))
        monkeypatch.setattr(Path, "unlink", failing(Path.unlink))
        try:
            with ResultSet(d, ("encounters", "evidence", "rejects"), overwrite=True) as rs:
                _stage(rs, new)
                rs.commit({"run": "new"})
            finished = True
        except OSError:
            finished = False
        monkeypatch.undo()
        try:
            body = read_manifest(d)
        except ResultSetError:
            body = None
        if body is not None:
            files = body["files"]
            assert isinstance(files, dict)
            expected = new if body["run"] == "new" else old
            assert {n: (d / n).read_text() for n in files} == expected
        if finished:
            assert body is not None and body["run"] == "new"
            break
        steps += 1
    assert steps >= 6  # the manifest, three old files, two new files and the new manifest


def test_kill_9_of_a_real_scan_leaves_the_previous_set_or_none(
    states: Path, tmp_path: Path
) -> None:
    out = tmp_path / "o"
    reference = tmp_path / "ref"
    assert _scan(str(states), "--output", str(out))[0] == 0
    before = _contents(out)
    args = [str(states), "--output", str(reference), "--format", "csv", "--horizontal", "3nm"]
    assert _scan(*args)[0] == 0
    after = _contents(reference)
    code = "import sys; from wellclear.cli import main; sys.argv[0] = 'wellclear'; main()"
    argv = [sys.executable, "-c", code, "scan", *args[:1], "--output", str(out), *args[3:]]
    started = time.perf_counter()
    subprocess.run([*argv, "--overwrite"], check=True, capture_output=True, timeout=300)
    whole = time.perf_counter() - started
    assert _contents(out) == after
    seen = set()
    # kills spread over the run (its length varies with the machine's load; the last ones
    # come after it has finished, so both outcomes are seen)
    for fraction in (0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0, 1.05, 3.0):
        # the previous set back in place (cleaning what a killed run left), then a rerun
        # killed part of the way
        assert _scan(str(states), "--output", str(out), "--overwrite")[0] == 0
        assert _contents(out) == before
        proc = subprocess.Popen([*argv, "--overwrite"], stderr=subprocess.DEVNULL)
        time.sleep(whole * fraction)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        try:
            got = _contents(out)
        except ResultSetError:
            seen.add("none")
            continue
        assert got in (before, after), fraction
        seen.add("before" if got == before else "after")
    assert {"before", "after"} <= seen, seen
    assert _scan(str(states), "--output", str(out), "--overwrite")[0] == 0
    assert not [p for p in out.iterdir() if p.name.startswith(".wellclear-staging-")]


def test_a_file_is_replaced_whole_or_not_at_all(tmp_path: Path) -> None:
    target = tmp_path / "t.csv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError), resultset.replacing(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed while writing")
    assert target.read_text() == "old\n" and sorted(tmp_path.iterdir()) == [target]
    with resultset.replacing(target) as tmp:
        tmp.write_text("new\n")
    assert target.read_text() == "new\n" and sorted(tmp_path.iterdir()) == [target]
