"""``wellclear agreement`` and ``--agreement`` on the commands."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from wellclear.agreement import Agreement, json_schema
from wellclear.cli import app
from wellclear.cli import commands as _commands  # noqa: F401  (registers the commands)

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_check_valid_and_invalid(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nversion: 1\nconflicts:\n  horizontal: 5\n  vertical: 1000ft\n")
    code, out, err = run("agreement", "check", "syria2015", str(bad))
    assert code == 2
    digest = Agreement.builtin("syria2015").digest()
    assert out == (
        f"syria2015: valid: syria2015 version 2015-10-20, 3 parties, 1 zones, "
        f"sharing conflicts-only, sha256 {digest}\n"
    )
    assert err.startswith(f"wellclear: error: {bad}:4: conflicts.horizontal: length '5' has no")


def test_show_writes_a_document_that_loads_back(tmp_path: Path) -> None:
    code, out, _ = run("agreement", "show", "syria2015")
    assert code == 0
    again = Agreement.from_yaml(out, base=Agreement.builtin("syria2015").base)
    assert again == Agreement.builtin("syria2015")
    code, _, err = run("agreement", "show", str(tmp_path / "none.yaml"))
    assert code == 2 and "none.yaml: no such file" in err


def test_schema() -> None:
    code, out, _ = run("agreement", "schema")
    assert code == 0 and out == json_schema()
    assert json.loads(out)["title"] == "Agreement"


# Two aircraft side by side 4 arcmin of latitude (3.98 NM) apart, flying east at FL200.
HEADER = "id,party,callsign,t,lat,lon,alt_baro_m,alt_geo_m,gs_mps,trk_deg,vs_mps,onground\n"


def pair_csv(tmp_path: Path, party_b: str = "usa") -> Path:
    path = tmp_path / f"pair_{party_b}.csv"
    path.write_text(
        HEADER
        + "aaaaaa,russia,RF1,1443859200,36.0,36.0,6096,6096,128.6,90,0,false\n"
        + f"bbbbbb,{party_b},US1,1443859200,{36 + 4 / 60},36.0,6096,6096,128.6,90,0,false\n"
    )
    return path


def conflicts(*args: str) -> int:
    code, out, err = run("detect", *args)
    assert code == 0, err
    return len(out.strip().splitlines()) - 1  # CSV rows under the header


def test_detect_takes_the_agreement_and_options_override_it(tmp_path: Path) -> None:
    states = str(pair_csv(tmp_path))
    narrow = tmp_path / "narrow.yaml"
    narrow.write_text("id: narrow\nversion: 1\nconflicts: {horizontal: 3NM}\n")
    assert conflicts(states) == 1  # the default agreement: 5 NM
    assert conflicts(states, "--agreement", str(narrow)) == 0
    assert conflicts(states, "--agreement", str(narrow), "--horizontal", "5NM") == 1
    assert conflicts(states, "--agreement", "syria2015") == 1
    assert conflicts(states, "--agreement", "syria2015", "--horizontal", "3NM") == 0


def test_detect_between_parties_from_the_agreement(tmp_path: Path) -> None:
    same = str(pair_csv(tmp_path, "russia"))
    assert conflicts(same) == 1
    assert conflicts(same, "--agreement", "syria2015") == 0  # between parties only
    assert conflicts(same, "--agreement", "syria2015", "--all-pairs") == 1


def test_detect_bad_agreement_or_option(tmp_path: Path) -> None:
    states = str(pair_csv(tmp_path))
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\nversion: 1\nconflicts:\n  horizontal: 5\n")
    code, _, err = run("detect", states, "--agreement", str(bad))
    assert code == 2 and f"{bad}:4: conflicts.horizontal: length '5' has no unit" in err
    code, _, err = run("detect", states, "--agreement", "syria2015", "--horizontal", "300NM")
    assert code == 2 and "--horizontal '300NM' is larger than the limit of 200 NM" in err


def tracks_csv(tmp_path: Path, lat: float = 36.0, lon: float = 36.0, seconds: int = 60) -> Path:
    """The pair above, reported every second for ``seconds``, flying east at 128.6 m/s."""
    rows = []
    for k in range(seconds + 1):
        dlon = k * 128.6 / (6371000.0 * 0.8090)  # cos(36 deg)
        for ident, party, dlat in (("aaaaaa", "russia", 0.0), ("bbbbbb", "usa", 4 / 60)):
            rows.append(
                f"{ident},{party},{ident.upper()},{1443859200 + k},{lat + dlat},{lon + dlon},"
                "6096,6096,128.6,90,0,false\n"
            )
    path = tmp_path / f"tracks_{lat}_{lon}.csv"
    path.write_text(HEADER + "".join(rows))
    return path


def test_alert_takes_the_alerter_from_the_agreement(tmp_path: Path) -> None:
    states = str(tracks_csv(tmp_path))
    wide = tmp_path / "wide.yaml"
    wide.write_text("id: wide\nversion: 1\nalerting: {alerter: cylinder}\n")

    def alerts(*args: str) -> int:
        code, out, err = run("alert", states, *args)
        assert code == 0, err
        return len(out.strip().splitlines()) - 1

    assert alerts() == 0  # DO-365: 4 NM abeam, not closing, is well clear
    assert alerts("--agreement", str(wide)) > 0  # inside the 5 NM cylinder
    assert alerts("--agreement", str(wide), "--alerter", "do365") == 0


def test_airspace_check_takes_the_agreements_zones(tmp_path: Path) -> None:
    states = str(tracks_csv(tmp_path, lat=39.9, lon=32.8, seconds=0))  # over Ankara

    def inside(*args: str) -> list[str]:
        out_file = tmp_path / "now.csv"
        code, _, err = run("airspace", "check", states, *args, "--output", str(out_file))
        assert code == 0, err
        return sorted(pd.read_csv(out_file)["id"])

    assert inside("--agreement", "syria2015") == ["aaaaaa"]  # binds Russia only
    assert inside("--agreement", "syria2015", "--zones", "sovereign:TUR") == ["aaaaaa", "bbbbbb"]
    code, _, err = run("airspace", "check", states)
    assert code == 2 and "zones" in err


def test_scan_takes_the_agreement(tmp_path: Path) -> None:
    states = str(tracks_csv(tmp_path, seconds=120))
    out = tmp_path / "scan"
    code, _, err = run("scan", states, "--agreement", "syria2015", "--output", str(out))
    assert code == 0, err
    manifest = json.loads((out / "manifest.json").read_text())
    settings = manifest["settings"]
    assert settings["horizontal_m"] == 9260.0
    assert settings["agreement"]["sha256"] == Agreement.builtin("syria2015").digest()
    code, _, err = run(
        "scan",
        states,
        "--agreement",
        "syria2015",
        "--horizontal",
        "3NM",
        "--output",
        str(out),
        "--overwrite",
    )
    assert code == 0, err
    settings = json.loads((out / "manifest.json").read_text())["settings"]
    assert settings["horizontal_m"] == 3 * 1852.0


def test_scan_of_a_streamed_file_under_the_agreement_finds_the_incursion(tmp_path: Path) -> None:
    """The simulated Syria scenario as a Parquet file (streamed window by window): the
    agreement binds Russia alone to Turkish airspace, so most windows have no infringement;
    their empty tables once turned the times of the others into text (an error)."""
    states = tmp_path / "syria2015.parquet"
    code, _, err = run("simulate", "--scenario", "syria2015", "--output", str(states))
    assert code == 0, err
    out = tmp_path / "scan"
    code, _, err = run("scan", str(states), "--agreement", "syria2015", "--output", str(out))
    assert code == 0, err
    found = pd.read_parquet(out / "infringements.parquet")
    assert found["id"].tolist() == ["rus301"] and found["party"].tolist() == ["russia"]
    assert 45.0 < float(found["dwell_s"].iloc[0]) < 60.0
