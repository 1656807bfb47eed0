"""Write ``docs/api.ipynb``: the Python API on the bundled Paris sample, with its outputs.

    .venv/bin/python scripts/api_notebook.py

Each code cell of :data:`CELLS` is run here in one namespace, as Jupyter would run it (the
value of a last expression is shown as text), and the notebook is written in the nbformat 4
JSON layout with those outputs, so that it reads on GitHub without running it.
``tests/test_engine_notebook.py`` runs the same cells.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import sys
from pathlib import Path

import pandas as pd

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "api.ipynb"

CELLS: list[tuple[str, str]] = [
    (
        "markdown",
        "# wellclear from Python\n"
        "\n"
        "The functions of `import wellclear` on ten minutes of real ADS-B traffic over "
        "Paris (OpenSky Network, bundled with the package). Each takes a path, a table "
        "in any column set the reader knows (OpenSky, `traffic`'s canonical columns, the "
        "states contract) or a `traffic.Traffic` / `Flight`; the results are DataFrames "
        "with the columns of `docs/schemas.md`. Written by `scripts/api_notebook.py`.",
    ),
    (
        "code",
        "from pathlib import Path\n"
        "\n"
        "import pandas as pd\n"
        "\n"
        "import wellclear\n"
        "\n"
        'pd.set_option("display.width", 120)\n'
        'paris = Path(wellclear.__file__).parent / "data" / '
        '"paris_20211007_1320-1330.json.gz"',
    ),
    (
        "markdown",
        "## The states at one time\n\nEvery usable state brought to 13:25 UTC.",
    ),
    (
        "code",
        'states = wellclear.read_states(paris, at="2021-10-07T13:25:00Z")\n'
        'print(states.attrs["counts"])\n'
        'states[["id", "callsign", "lat", "lon", "alt_m", "gs_mps", "trk_deg", '
        '"age_s"]].head()',
    ),
    (
        "markdown",
        "## Predicted losses of separation (5 NM, 1000 ft, 5 min)",
    ),
    (
        "code",
        'conflicts = wellclear.detect_conflicts(paris, at="2021-10-07T13:25:00Z")\n'
        'conflicts[["id_1", "id_2", "callsign_1", "callsign_2", "t_in_s", "dcpa_m", "los"]]',
    ),
    (
        "markdown",
        "## One assessment\n"
        "\n"
        "Conflicts, DO-365 alert levels (one snapshot: no hysteresis) and airspace at "
        "once; here against two boxes around Charles de Gaulle and the centre of Paris, "
        "which bind every aircraft.",
    ),
    (
        "code",
        "import json\n"
        "import tempfile\n"
        "\n"
        "\n"
        "def box(name, kind, ceiling, lon0, lat0, lon1, lat1):\n"
        "    ring = [[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]\n"
        "    return {\n"
        '        "type": "Feature",\n'
        '        "geometry": {"type": "Polygon", "coordinates": [ring]},\n'
        '        "properties": {\n'
        '            "name": name,\n'
        '            "kind": kind,\n'
        '            "floor": "SFC",\n'
        '            "ceiling": ceiling,\n'
        "        },\n"
        "    }\n"
        "\n"
        "\n"
        'zones = Path(tempfile.mkdtemp()) / "paris.geojson"\n'
        "zones.write_text(\n"
        "    json.dumps(\n"
        "        {\n"
        '            "type": "FeatureCollection",\n'
        '            "features": [\n'
        '                box("CDG box", "restricted", "FL100", 2.35, 48.9, 2.75, 49.1),\n'
        "                box(\n"
        '                    "Paris centre",\n'
        '                    "prohibited",\n'
        '                    "6500 ft AMSL",\n'
        "                    2.25,\n"
        "                    48.82,\n"
        "                    2.42,\n"
        "                    48.9,\n"
        "                ),\n"
        "            ],\n"
        "        }\n"
        "    )\n"
        ")\n"
        'a = wellclear.assess(paris, at="2021-10-07T13:25:00Z", zones=str(zones), '
        "bind_unknown=True)\n"
        "print(\n"
        "    len(a.states),\n"
        '    "aircraft,",\n'
        "    len(a.conflicts),\n"
        '    "conflicts,",\n'
        '    int((a.alerts["level"] >= 1).sum()),\n'
        '    "alerting pairs",\n'
        ")\n"
        'a.airspace[["id", "callsign", "volume", "status", "distance_m", '
        '"time_to_entry_s"]]',
    ),
    (
        "markdown",
        "## Alerts over time\n"
        "\n"
        "The loop of `wellclear alert`: a tick per second, with DAIDALUS's hysteresis. "
        "The 5 NM / 1000 ft cylinder alerts on this traffic (DO-365 does not: nobody "
        "comes that close).",
    ),
    (
        "code",
        "levels = wellclear.alert(\n"
        "    paris,\n"
        '    alerter="cylinder",\n'
        '    start="2021-10-07T13:20:00Z",\n'
        '    end="2021-10-07T13:22:00Z",\n'
        ")\n"
        'levels[["t", "id_1", "id_2", "callsign_1", "callsign_2", "level", "level_name", '
        '"ttv_1"]].head()',
    ),
    (
        "code",
        "events = wellclear.alert(\n"
        "    paris,\n"
        '    alerter="cylinder",\n'
        "    events=True,\n"
        '    start="2021-10-07T13:20:00Z",\n'
        '    end="2021-10-07T13:24:00Z",\n'
        ")\n"
        "events[\n"
        "    [\n"
        '        "alert_id",\n'
        '        "t",\n'
        '        "event",\n'
        '        "id_1",\n'
        '        "id_2",\n'
        '        "from_level",\n'
        '        "to_level",\n'
        '        "min_distance_m",\n'
        "    ]\n"
        "].head(8)",
    ),
    (
        "markdown",
        "## Airspace now and predicted",
    ),
    (
        "code",
        "wellclear.check_airspace(paris, str(zones), bind_unknown=True)[\n"
        '    ["id", "volume", "status", "event", "distance_m"]\n'
        "]",
    ),
    (
        "markdown",
        "## Encounters in the recording\n\nWhat `wellclear scan` finds, in memory.",
    ),
    (
        "code",
        "encounters = wellclear.scan(paris)\n"
        'encounters[["start", "id_1", "id_2", "callsign_1", "callsign_2", '
        '"primary"]].head()',
    ),
    (
        "markdown",
        "## The engine, as a live service runs it\n"
        "\n"
        "Reports fed as they arrive, a tick each second, the whole state saved and "
        "restored in the middle.",
    ),
    (
        "code",
        "from wellclear.alerting.config import preset\n"
        "from wellclear.formats.states import read_reports\n"
        "\n"
        "reports = read_reports(paris).frame  # validated reports, times in t_row (unix s)\n"
        'settings = wellclear.EngineSettings(alerting=preset("cylinder"))\n'
        "engine = wellclear.Engine(settings)\n"
        "t0, found = 1633612800, []\n"
        "for k in range(60):\n"
        '    batch = reports[(reports["t_row"] > t0 + k - 1) & (reports["t_row"] <= t0 + '
        "k)]\n"
        "    engine.ingest(batch)\n"
        "    if k == 30:\n"
        "        engine = wellclear.Engine.restore(engine.save(), settings)\n"
        "    found.append(engine.step(t0 + k).events)\n"
        "pd.concat(found)[\n"
        '    ["alert_id", "event", "id_1", "id_2", "range_m", "bearing_deg", "closure_mps"]\n'
        "].head()",
    ),
]


def run_cell(source: str, namespace: dict[str, object]) -> str:
    """Run ``source``; the printed text and the text of a last expression, as Jupyter shows."""
    tree = ast.parse(source)
    last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    body = tree.body[:-1] if last is not None else tree.body
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(ast.Module(body=body, type_ignores=[]), "<cell>", "exec"), namespace)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace)
            if value is not None:
                text = value.to_string() if isinstance(value, pd.DataFrame) else repr(value)
                print(text)
    return out.getvalue()


def main() -> None:
    namespace: dict[str, object] = {}
    cells = []
    for count, (kind, source) in enumerate(CELLS, start=1):
        lines = source.splitlines(keepends=True)
        if kind == "markdown":
            cells.append({"cell_type": "markdown", "metadata": {}, "source": lines})
            continue
        text = run_cell(source, namespace)
        outputs = []
        if text:
            outputs.append(
                {"name": "stdout", "output_type": "stream", "text": text.splitlines(True)}
            )
        cells.append(
            {
                "cell_type": "code",
                "execution_count": count,
                "metadata": {},
                "outputs": outputs,
                "source": lines,
            }
        )
        print(f"cell {count}: {len(text)} characters of output", file=sys.stderr)
    notebook = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    NOTEBOOK.write_text(json.dumps(notebook, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {NOTEBOOK}", file=sys.stderr)


if __name__ == "__main__":
    main()
