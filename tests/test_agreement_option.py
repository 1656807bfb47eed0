"""``--agreement`` and the options that override it (cli/agreement_option.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from wellclear.agreement import Agreement, AgreementError
from wellclear.cli.agreement_option import (
    ALERTER,
    HORIZONTAL,
    HYSTERESIS,
    LOOKAHEAD,
    MAX_AGE,
    load_agreement,
    resolve_agreement,
)
from wellclear.units import NM_M

LEVANT = Path(__file__).parent / "data" / "levant_borders.geojson"


def test_without_agreement_the_default() -> None:
    assert resolve_agreement(None) == Agreement.default()
    assert resolve_agreement(None, {"--horizontal": (HORIZONTAL, None)}) == Agreement.default()


def test_builtin_name_or_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_agreement(Path("syria2015")).id == "syria2015"
    (tmp_path / "syria2015").write_text("id: mine\nversion: 3\n")  # a file wins over the name
    assert load_agreement(Path("syria2015")).id == "mine"
    with pytest.raises(AgreementError, match=r"nothing\.yaml: no such file"):
        load_agreement(Path("nothing.yaml"))


def test_options_given_override_the_agreement() -> None:
    a = resolve_agreement(
        Path("syria2015"),
        {
            "--horizontal": (HORIZONTAL, "3NM"),
            "--lookahead": (LOOKAHEAD, None),
            "--max-age": (MAX_AGE, "30s"),
            "--alerter": (ALERTER, "tcas"),
            "--no-hysteresis": (HYSTERESIS, False),
        },
    )
    assert a.minima().horizontal_m == 3 * NM_M
    assert a.minima().lookahead_s == 300.0  # not given: the agreement's
    assert a.staleness.max_age.s == 30.0
    assert a.alerting.alerter == "tcas" and not a.alerting.hysteresis
    assert a.party_state() == Agreement.builtin("syria2015").party_state()


def test_bad_option_named() -> None:
    with pytest.raises(AgreementError, match=r"^--horizontal '3' has no unit"):
        resolve_agreement(None, {"--horizontal": (HORIZONTAL, "3")})
    with pytest.raises(
        AgreementError, match=r"^--horizontal '201NM' is larger than the limit of 200 NM$"
    ):
        resolve_agreement(None, {"--horizontal": (HORIZONTAL, "201NM")})
    with pytest.raises(AgreementError, match=r"^--alerter: unknown alerter preset 'x'"):
        resolve_agreement(None, {"--alerter": (ALERTER, "x")})
    with pytest.raises(AgreementError, match=r"^--max-age '2h' is longer than the limit of 1 h"):
        resolve_agreement(None, {"--max-age": (MAX_AGE, "2h")})
    with pytest.raises(AgreementError, match=r"^--max-age must be positive and finite, got '0s'"):
        resolve_agreement(None, {"--max-age": (MAX_AGE, "0s")})


def test_alerter_file_from_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("mine.toml").write_text(
        '[[alerters]]\nname = "mine"\n[[alerters.levels]]\ndetector = "CD3D"\n'
        'D = "3 nmi"\nH = "500 ft"\nalerting_time = "60 s"\nearly_alerting_time = "60 s"\n'
    )
    a = resolve_agreement(Path("syria2015"), {"--alerter": (ALERTER, "mine.toml")})
    assert a.alerting.alerter == str(tmp_path / "mine.toml")
    assert a.alerting_config().alerters[0].name == "mine"


def test_party_state_sets_and_adds_parties() -> None:
    a = resolve_agreement(Path("syria2015"), party_state="turkey=GRC,france=FRA")
    assert a.party_state() == {"russia": "RUS", "usa": "USA", "turkey": "GRC", "france": "FRA"}
    assert a.parties[0].contact is not None  # the agreement's other fields are kept
    with pytest.raises(AgreementError, match=r"--party-state: .*'TURK' is not an ISO 3166-1"):
        resolve_agreement(None, party_state="turkey=TURK")
    with pytest.raises(AgreementError, match="expected party=ISO3"):
        resolve_agreement(None, party_state="turkey")


def test_zones_replace_the_agreements(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "here.geojson").write_text(LEVANT.read_text())
    a = resolve_agreement(Path("syria2015"), zones=["here.geojson", "sovereign:SYR"])
    sources = [z.source for z in a.airspace.zones]
    assert sources == [str(tmp_path / "here.geojson"), "sovereign:SYR"]
    assert all(z.binds is None for z in a.airspace.zones)
    assert len(a.zones()) > 1
    with pytest.raises(AgreementError, match=r"^--zones: zone file .*missing.geojson' not found"):
        resolve_agreement(None, zones=["missing.geojson"])
