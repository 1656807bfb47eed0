"""The section of each finding (an encounter, an infringement) and the overview map."""

from __future__ import annotations

import contextlib
import html
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from wellclear.encounters.config import ScanConfig
from wellclear.report.curves import separation, separation_svg
from wellclear.report.maps import Layer, map_svg, view_of
from wellclear.report.rules import in_words, utc
from wellclear.report.tables import ft_m, nm_m


def zone_areas(specs: Sequence[str], names: Iterable[str]) -> dict[str, BaseGeometry]:
    """The areas of the zones ``names`` (volume names of the infringements): the built-in
    sovereign ones, others from the scan's zone files (``specs``) where they can still be
    read; a zone not found is left out (its section says so)."""
    from wellclear.airspace.load import load_zones
    from wellclear.airspace.sovereign import sovereign_volume

    wanted = set(names)
    out: dict[str, BaseGeometry] = {}
    for name in wanted:
        if name.startswith("sovereign:"):
            with contextlib.suppress(KeyError):
                out[name] = sovereign_volume(name.split(":", 1)[1]).geometry
    for spec in specs:
        if wanted <= set(out):
            break
        if spec.startswith("sovereign:"):
            continue
        with contextlib.suppress(ValueError, OSError, KeyError):
            for v in load_zones(spec):
                if v.name in wanted:
                    out.setdefault(v.name, v.geometry)
    return out


def facts_html(items: Sequence[tuple[str, str, object]]) -> str:
    """A list of facts; each value carries the number it shows (``data-v``)."""
    return (
        "<dl>"
        + "".join(
            f"<dt>{html.escape(k)}</dt><dd data-field='{f}' data-v='{html.escape(str(v))}'>"
            f"{html.escape(text)}</dd>"
            for k, text, v in ((k, t, v) for k, t, v in items)
            for f in [k.replace(" ", "_")]
        )
        + "</dl>"
    )


def _rules(text: str, tz: str | None) -> str:
    items = "".join(f"<li>{html.escape(r)}</li>" for r in in_words(text, tz))
    return f"<ul class='rules'>{items}</ul>"


def encounter_section(
    enc: pd.Series, evidence: pd.DataFrame, cfg: ScanConfig, tz: str | None, plot: bool
) -> str:
    """An encounter: rules in words, facts, and with ``plot`` the plan view and the curve."""
    name = str(enc["encounter_id"])
    t_min = pd.Timestamp(enc["t_min"]).timestamp()
    who = [f"{enc[f'callsign_{k}'] or enc[f'id_{k}']} ({enc[f'party_{k}']})" for k in "12"]
    facts = facts_html(
        [
            ("aircraft 1", f"{enc['id_1']} {who[0]}", enc["id_1"]),
            ("aircraft 2", f"{enc['id_2']} {who[1]}", enc["id_2"]),
            ("start", utc(enc["start"], tz), pd.Timestamp(enc["start"]).timestamp()),
            ("end", utc(enc["end"], tz), pd.Timestamp(enc["end"]).timestamp()),
            ("minimum at", utc(enc["t_min"], tz), t_min),
            ("min horizontal", nm_m(enc["h_min_m"]), enc["h_min_m"]),
            ("vertical at the minimum", ft_m(enc["dz_min_m"]), enc["dz_min_m"]),
            ("min slant", nm_m(enc["slant_min_m"]), enc["slant_min_m"]),
            ("below the minima", f"{enc['los_s']:.0f} s", enc["los_s"]),
            ("airprox (provisional)", str(enc["airprox"] or "-"), enc["airprox"]),
        ]
    )
    figs = ""
    if plot:
        ev = evidence[evidence["encounter_id"] == name]
        sep = separation(ev, str(enc["id_1"]), str(enc["id_2"]), cfg, t_min)
        layers, lat_all, lon_all = [], [enc["lat_1"], enc["lat_2"]], [enc["lon_1"], enc["lon_2"]]
        for k, path in (("1", sep.latlon_1), ("2", sep.latlon_2)):
            g = ev[ev["id"].astype(str) == str(enc[f"id_{k}"])]
            lat, lon = g["lat"].to_numpy(np.float64), g["lon"].to_numpy(np.float64)
            lat_all += list(lat)
            lon_all += list(lon)
            label = who[int(k) - 1]
            # the interpolated path where both are defined, else the samples' chords
            line = (path[:, 0], path[:, 1]) if len(path) > 1 else (lat, lon)
            at_min = (float(enc[f"lat_{k}"]), float(enc[f"lon_{k}"]), f"{label} at the minimum")
            samples = [
                (float(a), float(o), f"{label}: sample") for a, o in zip(lat, lon, strict=True)
            ]
            layers.append(Layer(f"track{k}", label, lines=[line], points=[at_min]))
            layers.append(Layer(f"s{k}", label, points=samples, radius=2.0))
        view = view_of(np.array(lat_all, np.float64), np.array(lon_all, np.float64))
        plan = map_svg(layers, view, title="plan view: paths, samples, large dots at the minimum")
        figs = f"<div class='figs'>{plan}{separation_svg(sep, t_min, float(enc['h_min_m']))}</div>"
    return (
        f"<section class='finding encounter' id='{html.escape(name)}'>"
        f"<h3>{html.escape(name)}: {html.escape(str(enc['primary']))}</h3>"
        f"{_rules(str(enc['rules']), tz)}{facts}{figs}</section>"
    )


def infringement_id(row: pd.Series) -> str:
    """The anchor of an infringement: aircraft, zone and whole second of the entry."""
    return f"{row['id']}-{row['volume']}-{int(np.floor(float(row['t_unix'])))}"


def infringement_section(row: pd.Series, tz: str | None, zones: Mapping[str, BaseGeometry]) -> str:
    """An infringement: what, facts, the zone with the entry and exit points."""
    name = infringement_id(row)
    who = f"{row['callsign'] or row['id']} ({row['party']})"
    text = (
        f"{who} inside {row['volume']} ({row['kind']}) for {row['dwell_s']:.1f} s, "
        f"up to {nm_m(row['max_depth_m'])} from the boundary"
        + (" (the track starts or ends inside: no crossing seen)" if bool(row["open"]) else "")
    )
    facts = facts_html(
        [
            ("aircraft", f"{row['id']} {who}", row["id"]),
            ("zone", str(row["volume"]), row["volume"]),
            ("event", str(row["event"]), row["event"]),
            ("entry", utc(row["entry_time"], tz), pd.Timestamp(row["entry_time"]).timestamp()),
            ("exit", utc(row["exit_time"], tz), pd.Timestamp(row["exit_time"]).timestamp()),
            ("dwell", f"{row['dwell_s']:.1f} s", row["dwell_s"]),
            ("max depth", nm_m(row["max_depth_m"]), row["max_depth_m"]),
            ("max altitude", ft_m(row["max_alt_m"], signed=False), row["max_alt_m"]),
        ]
    )
    lat = np.array([row["entry_lat"], row["exit_lat"]], np.float64)
    lon = np.array([row["entry_lon"], row["exit_lon"]], np.float64)
    ok = np.isfinite(lat) & np.isfinite(lon)
    figs = ""
    if ok.any():
        area = zones.get(str(row["volume"]))
        layers = [Layer("zone", str(row["volume"]), area=area)] if area is not None else []
        if area is None:
            text += " (the zone's geometry is not in the package nor in a readable zone file)"
        layers.append(
            Layer("entry", points=[(row["entry_lat"], row["entry_lon"], "entry")] if ok[0] else [])
        )
        layers.append(
            Layer("exit", points=[(row["exit_lat"], row["exit_lon"], "exit")] if ok[1] else [])
        )
        view = view_of(lat[ok], lon[ok], pad=1.5)
        figs = map_svg(layers, view, title=f"{row['volume']}: entry (filled), exit (open)")
    return (
        f"<section class='finding infringement' id='{html.escape(name)}'>"
        f"<h3>{html.escape(name)}: {html.escape(str(row['event']))}</h3>"
        f"<p>{html.escape(text)}.</p>{facts}<div class='figs'>{figs}</div></section>"
    )


def _points(lat: pd.Series, lon: pd.Series, titles: pd.Series) -> list[tuple[float, float, str]]:
    return [
        (float(a), float(o), str(t))
        for a, o, t in zip(lat.to_numpy(np.float64), lon.to_numpy(np.float64), titles, strict=True)
    ]


def overview(
    encounters: pd.DataFrame,
    infringements: pd.DataFrame | None,
    zones: Mapping[str, BaseGeometry],
) -> str:
    """Every finding on one map: encounters at their minimum, infringements at their entry,
    the zones infringed."""
    lat = list(encounters["lat_1"]) if len(encounters) else []
    lon = list(encounters["lon_1"]) if len(encounters) else []
    titles = encounters["encounter_id"].astype(str) + ": " + encounters["primary"].astype(str)
    layers = [Layer("enc", points=_points(encounters["lat_1"], encounters["lon_1"], titles))]
    if infringements is not None and len(infringements):
        for volume in sorted(set(infringements["volume"].astype(str)) & set(zones)):
            layers.insert(0, Layer("zone", volume, area=zones[volume]))
        good = infringements[np.isfinite(infringements["entry_lat"].astype(float))]
        lat += list(good["entry_lat"])
        lon += list(good["entry_lon"])
        titles = good["id"].astype(str) + " into " + good["volume"].astype(str)
        layers.append(Layer("inf", points=_points(good["entry_lat"], good["entry_lon"], titles)))
    if not lat:
        return "<p class='note'>Nothing to map.</p>"
    view = view_of(np.array(lat, np.float64), np.array(lon, np.float64), pad=0.3)
    return map_svg(
        layers, view, width=720, title="all findings: encounters (blue), infringements (red)"
    )
