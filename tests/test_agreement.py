"""The agreement: built-in documents, converters equal to today's defaults, clear errors."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from wellclear.agreement import Agreement, AgreementError, builtin_names
from wellclear.airspace.events import EventsConfig
from wellclear.airspace.now import NowConfig
from wellclear.alerting.config import preset
from wellclear.detect.conflicts import Minima
from wellclear.encounters.config import ScanConfig
from wellclear.units import FT_M, NM_M

LEVANT = Path(__file__).parent / "data" / "levant_borders.geojson"

MINIMAL = "id: test\nversion: 1\nparties:\n  - name: russia\n    state: RUS\n"


def write(tmp_path: Path, text: str, name: str = "agreement.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(AgreementError) as info:
        Agreement.load(path)
    return info.value.problems


def test_builtins_load() -> None:
    assert builtin_names() == ["default", "syria2015"]
    for name in builtin_names():
        assert Agreement.builtin(name).id == name


def test_default_converters_equal_todays_defaults() -> None:
    a = Agreement.default()
    assert a.alerting_config() == preset("do365")
    assert a.minima() == Minima()
    assert a.scan_config() == ScanConfig()
    assert a.now_config() == NowConfig()
    assert a.events_config() == EventsConfig()
    assert a.zones() == []
    assert a.party_state() == {}
    assert a.frequencies_mhz() == (121.5, 243.0)
    assert a.sharing.level == "conflicts-only"
    assert a.staleness.max_age.s == 20.0


def test_engine_settings() -> None:
    from wellclear.engine.assess import EngineSettings

    assert Agreement.default().engine_settings(conflicts=False) == EngineSettings()
    a = Agreement.builtin("syria2015")
    settings = a.engine_settings()
    assert settings.minima == a.minima() and settings.alerting == a.alerting_config()
    assert settings.now == a.now_config() and settings.max_age_s == 20.0
    assert settings.zones is not None and settings.zones.volumes == a.zones()
    bare = a.engine_settings(alerts=False, airspace=False)
    assert bare.alerting is None and bare.zones is None and bare.minima == a.minima()


def test_syria2015() -> None:
    a = Agreement.builtin("syria2015")
    assert a.party_state() == {"russia": "RUS", "usa": "USA", "turkey": "TUR"}
    assert a.frequencies_mhz() == (121.5, 243.0)
    assert a.sharing.level == "conflicts-only"
    assert a.conflicts.between_parties
    (tur,) = a.zones()
    assert tur.kind == "sovereign" and tur.owner == "TUR"
    assert tur.binds == frozenset({"russia"})
    state = a.party_state()
    assert tur.binds_party("russia", state)
    assert not tur.binds_party("turkey", state)
    assert not tur.binds_party("usa", state)  # the coalition flew from Incirlik with consent
    assert a.now_config().party_state == state


def test_every_section_converts(tmp_path: Path) -> None:
    (tmp_path / "zones").mkdir()
    (tmp_path / "zones" / "levant.geojson").write_text(LEVANT.read_text())
    (tmp_path / "alerter.toml").write_text(
        '[[alerters]]\nname = "wide"\n[[alerters.levels]]\ndetector = "CD3D"\n'
        'D = "3 nmi"\nH = "500 ft"\nalerting_time = "60 s"\nearly_alerting_time = "60 s"\n'
    )
    path = write(
        tmp_path,
        MINIMAL
        + """  - name: turkey
    state: TUR
    frequency: 3023kHz
alerting: {alerter: alerter.toml, hysteresis: false}
conflicts: {horizontal: 3NM, vertical: 500ft, lookahead: 2min}
encounters: {proximity_horizontal: 8km, proximity_vertical: 1500ft, merge_gap: 5s}
airspace:
  zones:
    - source: zones/levant.geojson
      binds: [russia]
      exempt: [turkey]
  lookahead: 60s
  bind_unknown: true
staleness: {max_age: 10s, max_gap: 2min}
sharing:
  level: coarse
  grid: 0.1deg
  delay: 60s
  quantise: {bearing: clock, range: 1NM, altitude: 100ft}
reporting: {level: nmac, deadline: 72h}
""",
    )
    a = Agreement.load(path)
    assert a.minima() == Minima(3 * NM_M, 500 * FT_M, 120.0)
    config = a.alerting_config()
    assert config.alerters[0].name == "wide" and config.alerting_m == 0
    scan = a.scan_config()
    assert (scan.horizontal_m, scan.proximity_horizontal_m) == (3 * NM_M, 8000.0)
    assert (scan.merge_gap_s, scan.max_gap_s) == (5.0, 120.0)
    now = a.now_config()
    assert (now.lookahead_s, now.bind_unknown) == (60.0, True)
    assert a.events_config().max_gap_s == 120.0
    zones = a.zones()
    assert zones and all(v.binds == frozenset({"russia"}) for v in zones)
    assert all("turkey" in v.exempt for v in zones)
    assert a.parties[1].frequency is not None and a.parties[1].frequency.mhz == pytest.approx(3.023)
    assert a.sharing.grid is not None and a.sharing.grid.deg == 0.1
    assert a.sharing.quantise.bearing == "clock"
    assert a.reporting.classes() == ("nmac",)
    assert a.reporting.deadline is not None and a.reporting.deadline.s == 72 * 3600


def test_quantise_what_alerts_disclose() -> None:
    import numpy as np

    from wellclear.agreement import Quantise

    exact = Quantise()
    assert list(exact.bearing_deg([-10.0, 370.0])) == [350.0, 10.0]
    assert list(exact.range_m([1234.5])) == [1234.5] and list(exact.dalt_m([-7.0])) == [-7.0]
    q = Quantise.model_validate({"bearing": "clock", "range": "1NM", "altitude": "100ft"})
    assert list(q.bearing_deg([14.9, 15.1, 344.0, 359.0, 200.0])) == [0, 30, 330, 0, 210]
    assert list(q.range_m([0.4 * NM_M, 2.6 * NM_M])) == [0.0, 3 * NM_M]
    np.testing.assert_allclose(q.dalt_m([-160 * FT_M, 40 * FT_M]), [-200 * FT_M, 0.0])
    ten = Quantise.model_validate({"bearing": "10deg"})
    assert list(ten.bearing_deg([44.0, 356.0])) == [40.0, 0.0]


def test_round_trip(tmp_path: Path) -> None:
    for name in builtin_names():
        a = Agreement.builtin(name)
        text = a.to_yaml()
        again = Agreement.from_yaml(text, base=a.base)
        assert again == a
        assert again.to_yaml() == text
    # a document written by hand keeps its quantities' text
    b = Agreement.load(write(tmp_path, MINIMAL + "conflicts: {horizontal: 3 nmi}\n"))
    assert "horizontal: 3 nmi" in b.to_yaml()


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        (MINIMAL + "colour: red\n", 6, "colour: unknown key 'colour'; allowed: id, title, version"),
        (
            MINIMAL + "conflicts:\n  horizontal: 5NM\n  horizon: 5NM\n",
            8,
            "conflicts.horizon: unknown key 'horizon'; allowed: horizontal, vertical, lookahead",
        ),
        (MINIMAL + "conflicts: {horizontal: 5}\n", 6, "conflicts.horizontal: length '5' has no"),
        (
            MINIMAL + "conflicts: {vertical: 1000 furlongs}\n",
            6,
            "conflicts.vertical: unknown unit 'furlongs'",
        ),
        (
            MINIMAL + "conflicts:\n  lookahead: -300s\n",
            7,
            "conflicts.lookahead: duration '-300s' must be positive",
        ),
        (
            MINIMAL + "conflicts:\n  horizontal: 0NM\n",
            7,
            "conflicts.horizontal: length '0NM' must be positive",
        ),
        (
            MINIMAL + "conflicts:\n  horizontal: 300NM\n",
            7,
            "conflicts.horizontal: length '300NM' is larger than the limit of 200 NM",
        ),
        (MINIMAL + "alerting:\n  alerter: do366\n", 7, "alerting.alerter: unknown alerter preset"),
        (
            MINIMAL + "alerting:\n  alerter: missing.toml\n",
            7,
            "alerting.alerter: alerter file 'missing.toml' not found",
        ),
        (
            MINIMAL + "airspace:\n  zones:\n    - source: nowhere.geojson\n",
            8,
            "airspace.zones[0].source: zone file 'nowhere.geojson' not found",
        ),
        (
            MINIMAL + "airspace:\n  zones:\n    - source: sovereign:XYZ\n",
            8,
            "airspace.zones[0].source: 'sovereign:XYZ': no built-in sovereign airspace for XYZ",
        ),
        (
            "id: t\nversion: 1\nparties:\n  - name: russia\n    state: RUS\n"
            "  - name: turkey\n    state: TURK\n",
            7,
            "parties[1].state: 'TURK' is not an ISO 3166-1 alpha-3 code",
        ),
        (
            MINIMAL + "  - name: russia\n    state: RUS\n",
            6,
            "parties[1].name: party 'russia' listed twice (also parties[0])",
        ),
        (
            MINIMAL + "airspace:\n  zones:\n    - source: sovereign:TUR\n      binds: [turkey]\n",
            9,
            "airspace.zones[0].binds[0]: 'turkey' is not among the parties (russia)",
        ),
        (MINIMAL + "version: 2\n", 6, "key 'version' given twice (first on line 2)"),
        ("id: t\nversion: 1.10\n", 2, "version: version 1.1: write it as a string in quotes"),
        ("id: t\n", 1, "version: missing"),
        (MINIMAL + "sharing: {level: coarse}\n", 6, "sharing: the coarse level"),
        (MINIMAL + "sharing: {level: secret}\n", 6, "sharing.level: Input should be"),
        (
            MINIMAL + "encounters: {proximity_horizontal: 2NM}\n",
            6,
            "encounters.proximity_horizontal: '2NM' is below conflicts.horizontal '5NM'",
        ),
        (MINIMAL + "frequencies: {distress: [121.5]}\n", 6, "frequencies.distress[0]: frequency"),
        ("- a\n- b\n", 1, "an agreement is a mapping of keys"),
        ("id: [\n", 2, "not valid YAML"),
    ],
)
def test_invalid_documents_name_file_line_and_field(
    tmp_path: Path, text: str, line: int, expected: str
) -> None:
    path = write(tmp_path, text)
    found = problems(path)
    assert any(p.startswith(f"{path}:{line}: ") and expected in p for p in found), found


def test_every_problem_is_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path, MINIMAL + "conflicts:\n  horizontal: 5\n  vertical: 1000ft\n  lookahead: 1s s\n"
    )
    found = problems(path)
    assert [p.split(": ")[1] for p in found] == ["conflicts.horizontal", "conflicts.lookahead"]


def test_missing_file_and_not_utf8(tmp_path: Path) -> None:
    assert problems(tmp_path / "none.yaml") == [f"{tmp_path / 'none.yaml'}: no such file"]
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("id: caf\xe9\n".encode("latin-1"))
    assert "not UTF-8" in problems(bad)[0]


def test_unknown_builtin() -> None:
    with pytest.raises(AgreementError, match="no built-in agreement 'syria2016'"):
        Agreement.builtin("syria2016")


def test_replaced_validates_and_names_the_option() -> None:
    a = Agreement.builtin("syria2015")
    b = a.replaced({("conflicts", "horizontal"): "3NM"}, {("conflicts", "horizontal"): "--h"})
    assert b.minima().horizontal_m == 3 * NM_M
    assert a.minima().horizontal_m == 5 * NM_M  # the original is unchanged (frozen)
    assert b.zones() == a.zones()
    with pytest.raises(AgreementError, match=r"^--h '3' has no unit"):
        a.replaced({("conflicts", "horizontal"): "3"}, {("conflicts", "horizontal"): "--h"})


def test_frozen() -> None:
    a = Agreement.default()
    with pytest.raises(ValueError, match="frozen"):
        a.conflicts.horizontal = a.conflicts.vertical  # type: ignore[misc]
    assert dataclasses.is_dataclass(a.conflicts.horizontal)
    json.dumps(a.model_dump(mode="json"))  # every value is plain JSON


def test_canonical_form_and_digest(tmp_path: Path) -> None:
    a = Agreement.load(write(tmp_path, MINIMAL))
    spelled = MINIMAL.replace("version: 1\n", "version: 1\nsharing: {level: conflicts-only}\n")
    b = Agreement.load(write(tmp_path, "# comment\n" + spelled, "b.yaml"))
    assert a.canonical() == b.canonical() and a.digest() == b.digest()  # defaults written out
    c = a.replaced({("conflicts", "horizontal"): "3NM"}, {})
    assert c.digest() != a.digest()
    text = a.canonical().decode()
    conflicts = '"conflicts":{"between_parties":false,"horizontal":"5NM","lookahead":"300s",'
    assert conflicts + '"vertical":"1000ft"}' in text
    assert text.startswith('{"airspace":{"bind_unknown":false,"lookahead":"120s","zones":[]},')
    assert len(a.digest()) == 64


def test_syria2015_zones_on_the_scenario() -> None:
    """Turkish airspace binds Russia only: the Su-30 incursion, not the coalition from Incirlik."""
    from wellclear.airspace.events import as_tracks, track_events
    from wellclear.airspace.index import VolumeIndex
    from wellclear.simulate.scenarios import syria_2015

    a = Agreement.builtin("syria2015")
    events = track_events(as_tracks(syria_2015()), VolumeIndex(a.zones()), a.events_config())
    assert list(events["id"]) == ["rus301"]
    assert list(events["volume"]) == ["sovereign:TUR"]
    assert 30 < float(events["dwell_s"].iloc[0]) < 120  # "a few seconds" to "2 min" (5.2)


def test_inside_another_model_errors_stay_validation_errors() -> None:
    """The service's models embed an agreement: a cross-field problem is a ValidationError."""
    from pydantic import BaseModel, ValidationError

    class Proposal(BaseModel):
        agreement: Agreement

    data = {"id": "t", "version": 1, "parties": [{"name": "a", "state": "FRA"}] * 2}
    with pytest.raises(ValidationError, match=r"parties\[1\]\.name: party 'a' listed twice"):
        Proposal.model_validate({"agreement": data})
