"""The result contracts of every table wellclear writes (see :mod:`wellclear.schemas`)."""

from __future__ import annotations

from wellclear.schemas.records import Column, Schema, pair, t_columns

LEVEL_NAME = (
    "name of the level in the alerter's terms: ``none``, ``preventive``, ``corrective``, "
    "``warning`` for a DO-365 alerter (RTCA DO-365B), ``none``, ``TA``, ``RA`` for TCAS II, "
    "``none``, ``conflict`` for a single-level alerter"
)

ALERTS = Schema(
    "alerts",
    "``wellclear alert``: the alert level of every ordered pair (ownship, intruder) at each "
    "step, level >= 1, sorted by ``t`` then ids; DAIDALUS's alerting quantities beside it.",
    (
        *t_columns("time of the step"),
        *pair("the ownship", "the intruder"),
        Column("level", "int64", "1", "alert level after hysteresis (0 none, 1 least severe)"),
        Column("level_name", "str", "", LEVEL_NAME),
        Column(
            "ttv_{k}",
            "float64",
            "s",
            "time to violation of the volume of level k (NaN if none within the lookahead; "
            "DAIDALUS ``timeToCorrectiveVolume`` for the corrective level)",
        ),
        Column("hmd_m", "float64", "m", "horizontal miss distance within the lookahead (DO-365)"),
        Column(
            "taumod_s",
            "float64",
            "s",
            "modified tau (DO-365), NaN when diverging or the alerter has no modified tau",
        ),
    ),
    main_time="t",
)

ALERT_EVENTS = Schema(
    "alert_events",
    "``wellclear alert --events``: the lifecycle of each alert episode of an ordered pair "
    "(raised, upgraded, downgraded, cleared), sorted by ``t`` then ids.",
    (
        Column(
            "alert_id",
            "str",
            "",
            "the episode: stable from raised to cleared, the same in every event of it",
        ),
        *t_columns("time of the step at which the level changed"),
        Column("event", "str", "", "``raised``, ``upgraded``, ``downgraded`` or ``cleared``"),
        *pair("the ownship", "the intruder"),
        Column("from_level", "int64", "1", "level before the event (0 when raised)"),
        Column("to_level", "int64", "1", "level after the event (0 when cleared)"),
        Column("level_name", "str", "", "name of ``to_level``: " + LEVEL_NAME),
        Column(
            "hmd_m",
            "float64",
            "m",
            "horizontal miss distance at the event (DO-365); NaN when not computed",
            optional=True,
        ),
        Column(
            "taumod_s",
            "float64",
            "s",
            "modified tau at the event (DO-365); NaN when diverging or not computed",
            optional=True,
        ),
        Column(
            "min_distance_m",
            "float64",
            "m",
            "smallest horizontal distance of the pair in the episode so far; NaN unknown",
            optional=True,
        ),
    ),
    main_time="t",
)


CONFLICTS = Schema(
    "conflicts",
    "``wellclear detect``, ``wellclear.detect_conflicts``: one row per pair predicted to lose "
    "separation within the lookahead at the snapshot time, sorted by ``t_in_s`` then ids "
    "(``id_1`` < ``id_2``). Each pair is solved in the plane tangent to the WGS-84 ellipsoid "
    "at its midpoint.",
    (
        *t_columns("snapshot time: every state brought to it"),
        *pair("the smaller id", "the larger id"),
        Column("age_1_s", "float64", "s", "time by which aircraft 1's state was extrapolated"),
        Column("age_2_s", "float64", "s", "time by which aircraft 2's state was extrapolated"),
        Column("t_in_s", "float64", "s", "time from ``t`` to the loss of separation (0: now)"),
        Column(
            "t_out_s",
            "float64",
            "s",
            "time from ``t`` to its end (NaN: never ends; may exceed the lookahead)",
        ),
        Column(
            "tcpa_s",
            "float64",
            "s",
            "time from ``t`` to the horizontal closest point of approach (>= 0, not clamped)",
        ),
        Column("dcpa_m", "float64", "m", "horizontal distance at the closest point of approach"),
        Column("dalt_cpa_m", "float64", "m", "altitude of 2 minus 1 at the closest point"),
        Column("distance_m", "float64", "m", "horizontal distance now (geodesic)"),
        Column("dalt_m", "float64", "m", "altitude of 2 minus 1 now"),
        Column("los", "bool", "", "separation is lost now"),
        Column(
            "alt_src",
            "str",
            "",
            "``baro``: both altitudes barometric; ``geo``: both geometric",
        ),
    ),
    main_time="t",
)

_POS = "at the minimum (WGS-84)"

ENCOUNTERS = Schema(
    "encounters",
    "``wellclear scan``, ``wellclear.scan``: every encounter in recorded tracks (loss of "
    "separation, or a close approach within the proximity range), classified, sorted by "
    "``start`` then ids (``id_1`` < ``id_2``).",
    (
        Column(
            "encounter_id",
            "str",
            "",
            "``id_1-id_2-S``: the pair and the whole unix second of the start",
        ),
        Column("start", "timestamp", "UTC", "entry into the proximity range"),
        Column("t_unix", "float64", "s", "``start`` in unix seconds (UTC)", decimals=6),
        Column("end", "timestamp", "UTC", "exit from the proximity range"),
        Column("duration_s", "float64", "s", "``end`` - ``start``"),
        *pair("the smaller id", "the larger id"),
        Column("t_min", "timestamp", "UTC", "time of the minimum horizontal distance"),
        Column("h_min_m", "float64", "m", "minimum horizontal distance"),
        Column("dz_min_m", "float64", "m", "vertical distance at ``t_min``, altitude of 2 minus 1"),
        Column("slant_min_m", "float64", "m", "minimum slant range"),
        Column(
            "rel_speed_start_mps",
            "float64",
            "m/s",
            "magnitude of the relative velocity at the start (3-D)",
        ),
        Column(
            "range_rate_start_mps",
            "float64",
            "m/s",
            "horizontal range rate at the start (negative: closing)",
        ),
        Column("lat_1", "float64", "deg", f"latitude of aircraft 1 {_POS}"),
        Column("lon_1", "float64", "deg", f"longitude of aircraft 1 {_POS}"),
        Column("alt_1_m", "float64", "m", f"altitude of aircraft 1 {_POS}"),
        Column("lat_2", "float64", "deg", f"latitude of aircraft 2 {_POS}"),
        Column("lon_2", "float64", "deg", f"longitude of aircraft 2 {_POS}"),
        Column("alt_2_m", "float64", "m", f"altitude of aircraft 2 {_POS}"),
        Column("los_s", "float64", "s", "time below the scan minima"),
        Column("los_start", "timestamp", "UTC", "first entry below the scan minima (NaT: none)"),
        Column("los_end", "timestamp", "UTC", "last exit from below the scan minima"),
        Column("nmac_s", "float64", "s", "time inside the NMAC volume (500 ft / 100 ft)"),
        Column("close_s", "float64", "s", "time within the intercept station-keeping volume"),
        Column(
            "min_interval_s",
            "float64",
            "s",
            "length of the interpolated interval holding the minimum",
        ),
        Column("alt_baro", "bool", "", "both altitudes barometric at the minimum"),
        Column(
            "position_uncertainty_m",
            "float64",
            "m",
            "sum of both position accuracies (NACp) at the minimum; NaN unknown",
        ),
        Column("classes", "str", "", "all classes, by precedence, comma-separated"),
        Column("primary", "str", "", "the first of them (NMAC > intercept > LoS > close)"),
        Column(
            "airprox", "str", "", "provisional airprox category A-D (empty for close approaches)"
        ),
        Column("rules", "str", "", "the rules that fired, with their numbers"),
    ),
    main_time="start",
)

EVIDENCE = Schema(
    "evidence",
    "``wellclear scan``: the raw samples of both aircraft around each encounter's minimum, "
    "encounters in their order, aircraft 1 then 2, each by time.",
    (
        Column("encounter_id", "str", "", "the encounter (``encounters.encounter_id``)"),
        Column("id", "str", "", "the aircraft of the sample"),
        Column("callsign", "str", "", "its callsign in the sample (empty if unknown)"),
        Column("party", "str", "", "its party (``unknown`` if none)"),
        *t_columns("time of the sample"),
        Column("lat", "float64", "deg", "latitude (WGS-84)"),
        Column("lon", "float64", "deg", "longitude (WGS-84)"),
        Column("alt_m", "float64", "m", "altitude (barometric where known, else geometric)"),
        Column("gs_mps", "float64", "m/s", "ground speed"),
        Column("trk_deg", "float64", "deg", "true track"),
        Column("vs_mps", "float64", "m/s", "vertical rate"),
        Column(
            "flag",
            "str",
            "",
            "why the sample was left out of the minima (empty: used; docs/plausibility.md)",
        ),
        Column("source", "str", "", "input file of the sample", optional=True),
        Column(
            "line", "float64", "1", "line or record number in that file", optional=True, decimals=0
        ),
        Column("nacp", "float64", "1", "navigation accuracy category for position", optional=True),
        Column("nic", "float64", "1", "navigation integrity category", optional=True),
        Column(
            "nucp", "float64", "1", "navigation uncertainty category for position", optional=True
        ),
        Column("source_type", "str", "", "surveillance source (ADS-B, MLAT, ...)", optional=True),
    ),
    main_time="t",
)

_AIRCRAFT = (
    Column("id", "str", "", "the aircraft"),
    Column("callsign", "str", "", "its callsign (empty if unknown)"),
    Column("party", "str", "", "its party (``unknown`` if none)"),
    Column("volume", "str", "", "the volume's name"),
    Column("kind", "str", "", "the volume's kind (sovereign, restricted, FIR, ADIZ, ...)"),
)

AIRSPACE_NOW = Schema(
    "airspace_now",
    "``wellclear airspace check``: the air picture against volumes at one instant, one row "
    "per (aircraft, volume) finding.",
    (
        *_AIRCRAFT,
        Column(
            "status",
            "str",
            "",
            "``inside`` (bound and inside now), ``entry`` (will enter within the lookahead) or "
            "``proximity`` (outside, within the margin and closing)",
        ),
        Column("event", "str", "", "``infringement``, or ``crossing`` (FIR, ADIZ, controlled)"),
        *t_columns("time of the state (the check's time)"),
        Column("lat", "float64", "deg", "latitude now (WGS-84)"),
        Column("lon", "float64", "deg", "longitude now (WGS-84)"),
        Column("alt_m", "float64", "m", "altitude now"),
        Column(
            "distance_m",
            "float64",
            "m",
            "geodesic distance to the boundary: depth when inside, else gap (NaN for entries "
            "further than the margin)",
        ),
        Column("entry_time", "timestamp", "UTC", "predicted entry (NaT unless ``entry``)"),
        Column("time_to_entry_s", "float64", "s", "``entry_time`` - ``t``"),
        Column("entry_lat", "float64", "deg", "latitude of the predicted entry"),
        Column("entry_lon", "float64", "deg", "longitude of the predicted entry"),
        Column("entry_alt_m", "float64", "m", "altitude of the predicted entry"),
        Column("closing_mps", "float64", "m/s", "rate at which the gap closes (proximity)"),
        Column("no_qnh", "bool", "", "an AMSL limit was compared with barometric altitude"),
    ),
    main_time="t",
)

INFRINGEMENTS = Schema(
    "infringements",
    "``wellclear airspace check --tracks``, ``wellclear scan --zones``: every stay of a bound "
    "aircraft inside an active volume in recorded tracks, with entry and exit.",
    (
        *_AIRCRAFT,
        Column("event", "str", "", "``infringement``, or ``crossing`` (FIR, ADIZ, controlled)"),
        Column("entry_time", "timestamp", "UTC", "boundary crossing into the volume"),
        Column("t_unix", "float64", "s", "``entry_time`` in unix seconds (UTC)", decimals=6),
        Column("exit_time", "timestamp", "UTC", "boundary crossing out of the volume"),
        Column("dwell_s", "float64", "s", "``exit_time`` - ``entry_time``"),
        Column("max_depth_m", "float64", "m", "greatest horizontal distance inside (geodesic)"),
        Column("entry_lat", "float64", "deg", "latitude of the entry"),
        Column("entry_lon", "float64", "deg", "longitude of the entry"),
        Column("exit_lat", "float64", "deg", "latitude of the exit"),
        Column("exit_lon", "float64", "deg", "longitude of the exit"),
        Column("max_alt_m", "float64", "m", "highest altitude inside"),
        Column("open", "bool", "", "the track starts or ends inside (no crossing seen)"),
    ),
    main_time="entry_time",
)

AIRSPACE_EVENTS = Schema(
    "airspace_events",
    "The live engine (``Engine.step``): the lifecycle of each airspace episode of (aircraft, "
    "volume), while the aircraft has a finding for the volume (``airspace_now``): "
    "``predicted``, ``entered``, ``exited``, ``cleared``, sorted by ids and volume.",
    (
        Column("episode_id", "str", "", "the episode: ``{t_start}-{id}-{volume}-{n}``, stable"),
        *t_columns("time of the tick at which the status changed"),
        Column(
            "event",
            "str",
            "",
            "``predicted`` (a finding outside appears), ``entered`` (now inside), ``exited`` "
            "(was inside, is not), ``cleared`` (a finding outside ends)",
        ),
        *_AIRCRAFT,
        Column("finding", "str", "", "``infringement``, or ``crossing`` (FIR, ADIZ, controlled)"),
        Column(
            "from_status", "str", "", "status before: ``inside``, ``entry``, ``proximity``, empty"
        ),
        Column("to_status", "str", "", "status after (empty: no finding any more)"),
        Column("lat", "float64", "deg", "latitude at the event (NaN: no longer assessed)"),
        Column("lon", "float64", "deg", "longitude at the event"),
        Column("alt_m", "float64", "m", "altitude at the event"),
        Column("distance_m", "float64", "m", "depth when inside, else gap to the boundary"),
        Column("time_to_entry_s", "float64", "s", "time to the predicted entry (``entry``)"),
        Column("t_start", "timestamp", "UTC", "start of the episode"),
        Column("t_entered", "timestamp", "UTC", "first entry into the volume (NaT: not yet)"),
        Column("max_depth_m", "float64", "m", "deepest point inside so far"),
        Column("min_gap_m", "float64", "m", "smallest gap to the boundary outside so far"),
    ),
    main_time="t",
)

REJECTS = Schema(
    "rejects",
    "``--invalid skip``: every input row rejected, with where it was and why.",
    (
        Column("source", "str", "", "input file (``-``: standard input)"),
        Column("line", "int64", "1", "line (the header is line 1) or record number"),
        Column("column", "str", "", "the field at fault (empty: the whole row)"),
        Column("reason", "str", "", "why it was rejected"),
        Column("raw", "str", "", "the raw text of the row (cut at 200 characters)"),
    ),
)


SCHEMAS: dict[str, Schema] = {
    s.name: s
    for s in (
        CONFLICTS,
        ALERTS,
        ALERT_EVENTS,
        AIRSPACE_NOW,
        INFRINGEMENTS,
        AIRSPACE_EVENTS,
        ENCOUNTERS,
        EVIDENCE,
        REJECTS,
    )
}
"""Every result contract by name."""
