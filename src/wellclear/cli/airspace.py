"""``wellclear airspace``: who is inside a volume, who will enter, and recorded infringements."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer

from wellclear.cli import app
from wellclear.cli.agreement_option import (
    AIRSPACE_LOOKAHEAD,
    BIND_UNKNOWN,
    MAX_AGE,
    MAX_GAP,
    AgreementOpt,
    MaxAgeOpt,
    MaxGapOpt,
    from_agreement,
    resolve_agreement,
)
from wellclear.cli.skipped import INVALID_HELP, REJECTS_HELP, invalid_policy, write_skipped
from wellclear.cli.zones_option import ZONES, ZONES_HELP, ZonesCommand
from wellclear.timeutil import iso, parse_time

# the longest prediction of entries: straight-line flight over an hour says nothing
MAX_LOOKAHEAD_S = 3600.0

airspace_app = typer.Typer(
    name="airspace",
    help="Airspace volumes: inside now, predicted entries, infringements in recorded tracks.",
    no_args_is_help=True,
)
app.add_typer(airspace_app, name="airspace")


def _fail(message: str) -> typer.Exit:
    typer.echo(f"wellclear: error: {message}", err=True)
    return typer.Exit(2)


def _warn(message: str) -> None:
    typer.echo(f"wellclear: warning: {message}", err=True)


@airspace_app.command("check", cls=ZonesCommand)
def check_command(
    inputs: Annotated[list[str], typer.Argument(help="State files (CSV, Parquet, JSON).")],
    zones: Annotated[
        list[str] | None, typer.Option(ZONES, help=ZONES_HELP + " " + from_agreement("none"))
    ] = None,
    tracks: Annotated[
        bool, typer.Option("--tracks", help="Recorded tracks: every infringement or crossing.")
    ] = False,
    at: Annotated[str | None, typer.Option(help="Snapshot time: unix s or ISO 8601.")] = None,
    lookahead: Annotated[
        str | None, typer.Option(help="Prediction lookahead. " + from_agreement("120s"))
    ] = None,
    max_age: MaxAgeOpt = None,
    max_gap: MaxGapOpt = None,
    party_state: Annotated[
        str | None, typer.Option(help="Parties to states, e.g. russia=RUS,turkey=TUR.")
    ] = None,
    bind_unknown: Annotated[
        bool, typer.Option(help="Sovereign airspace binds unknown traffic too.")
    ] = False,
    agreement: AgreementOpt = None,
    invalid: Annotated[str, typer.Option(help=INVALID_HELP)] = "error",
    rejects: Annotated[Path | None, typer.Option(help=REJECTS_HELP)] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="CSV, JSONL, Parquet or GeoJSON by extension."),
    ] = None,
) -> None:
    """Check states (a snapshot) or recorded tracks (--tracks) against airspace volumes."""
    import time

    started = time.perf_counter()
    from wellclear.airspace.events import EventsConfig, as_tracks, track_events
    from wellclear.airspace.index import VolumeIndex
    from wellclear.airspace.load import unmapped_parties
    from wellclear.airspace.now import NowConfig
    from wellclear.airspace.write import write_results
    from wellclear.engine.assess import EngineSettings
    from wellclear.engine.run import assess_at
    from wellclear.formats.result import accounting, counted_reasons
    from wellclear.formats.states import read_reports
    from wellclear.snapshot import check_time, fill_missing

    try:
        agreed = resolve_agreement(
            agreement,
            {
                "--lookahead": (AIRSPACE_LOOKAHEAD, lookahead),
                "--max-age": (MAX_AGE, max_age),
                "--max-gap": (MAX_GAP, max_gap),
                "--bind-unknown": (BIND_UNKNOWN, True if bind_unknown else None),
            },
            zones=zones,
            party_state=party_state,
        )
        mapping, volumes = agreed.party_state(), agreed.zones()
        if not volumes:
            raise ValueError("no zones: give --zones (files or sovereign:ISO3) or an --agreement")
        look_s, age_s = agreed.airspace.lookahead.s, agreed.staleness.max_age.s
        gap_s, bind_unknown = agreed.staleness.max_gap.s, agreed.airspace.bind_unknown
        when = None if at is None else parse_time(at)
        policy = invalid_policy(invalid)
        reports = read_reports(list(inputs), invalid=policy)
        if when is not None and not tracks:
            check_time(reports.frame, when, age_s, "--at")
    except (ValueError, KeyError, OSError) as e:
        raise _fail(str(e).strip("'\"")) from None
    for v in volumes:
        for w in v.warnings:
            _warn(w)
    for w in reports.warnings:
        _warn(w)
    if policy == "skip":
        write_skipped(reports.rejects, rejects, list(inputs))
    rows = reports.counts.get("rows", len(reports.frame) + len(reports.rejects))
    n_rejected = len(reports.rejects)
    read_counted = counted_reasons(reports.counts)
    frame = reports.frame
    parties = frame["party"].astype(str).unique() if len(frame) else ()
    for w in unmapped_parties(volumes, parties, mapping):
        _warn(w)
    index = VolumeIndex(volumes)
    if tracks:
        filled = as_tracks(fill_missing(frame, gap_s)) if len(frame) else frame
        cfg = EventsConfig(max_gap_s=gap_s, party_state=mapping, bind_unknown=bind_unknown)
        result = track_events(filled, index, cfg)
        placed = int((filled["lat"].notna() & filled["lon"].notna()).sum()) if len(filled) else 0
        if not placed:
            _warn("no report has a position (none given, none within --max-gap to fill from)")
        counted = {**read_counted, "without_position": len(filled) - placed}
        summary = (
            f"tracks: {filled['id'].nunique() if len(filled) else 0} aircraft, "
            f"{len(result)} infringements or crossings, {n_rejected} rejected; "
            f"{accounting(rows, placed, n_rejected, counted)}"
        )
    else:
        settings = EngineSettings(
            alerting=None,
            zones=index,
            now=NowConfig(lookahead_s=look_s, party_state=mapping, bind_unknown=bind_unknown),
            max_age_s=age_s,
        )
        snap, assessment = assess_at(frame, settings, when)
        snap.read_counts = read_counted
        c = snap.counts
        for name, count in c.items():
            if name in ("stale", "incomplete", "on_ground") and count:
                _warn(f"{count} aircraft {name.replace('_', ' ')}: not checked")
        if c["aircraft"] and not c["used"]:
            _warn(
                f"no aircraft checked at {iso(snap.at)}: all {c['aircraft']} are stale (older "
                f"than --max-age {age_s:g} s), incomplete or on the ground"
            )
        result = assessment.airspace
        if len(result) and bool(np.asarray(result["no_qnh"], dtype=bool).any()):
            _warn("AMSL limits compared with barometric altitude (no QNH): see column no_qnh")
        summary = (
            f"snapshot {iso(snap.at)}: {c['used']} aircraft checked, {c['stale']} stale, "
            f"{c['incomplete']} incomplete, {c['on_ground']} on ground, {n_rejected} rejected; "
            f"{len(result)} results; {accounting(rows, c['used'], n_rejected, snap.accounted())}"
        )
    try:
        write_results(result, output)
    except ValueError as e:
        raise _fail(str(e)) from None
    typer.echo(f"{summary}; {time.perf_counter() - started:.2f} s", err=True)


@airspace_app.command("show")
def show_command(
    zones: Annotated[
        list[str], typer.Argument(help="GeoJSON or OpenAir files, or sovereign:ISO3 codes.")
    ],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="CSV or JSONL by extension.")
    ] = None,
) -> None:
    """List volumes and their limits."""
    import shapely

    from wellclear.airspace.load import load_all
    from wellclear.airspace.write import write_results

    try:
        volumes = load_all(zones)
    except (ValueError, KeyError, OSError) as e:
        raise _fail(str(e).strip("'\"")) from None
    rows = []
    for v in volumes:
        for w in v.warnings:
            _warn(w)
        x0, y0, x1, y1 = v.geometry.bounds
        rows.append(
            {
                "volume": v.name,
                "kind": v.kind,
                "floor": v.floor.text,
                "ceiling": v.ceiling.text,
                "windows": ";".join(f"{iso(a)}/{iso(b)}" for a, b in v.windows or ()),
                "binds": ",".join(sorted(v.binds)) if v.binds is not None else "everyone",
                "exempt": ",".join(sorted(v.exempt)),
                "owner": v.owner or "",
                "margin_m": v.margin_m,
                "parts": len(shapely.get_parts(v.geometry)),
                "vertices": int(shapely.get_num_coordinates(v.geometry)),
                "lon_min": x0,
                "lat_min": y0,
                "lon_max": x1,
                "lat_max": y1,
                "source": v.source,
            }
        )
    write_results(pd.DataFrame(rows), output)
