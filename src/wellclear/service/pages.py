"""Self-contained HTML pages of the service (no script, style inline, nothing from a CDN)."""

from __future__ import annotations

import html
from typing import Any

_STYLE = (
    "body{font-family:sans-serif;margin:2em;max-width:60em}"
    "table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:2px 6px;"
    "text-align:left;font-size:90%}h1{font-size:130%}"
)


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p>none</p>"
    cols = list(dict.fromkeys(k for r in rows for k in r))
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(r.get(c, '')))}</td>" for c in cols) + "</tr>"
        for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def incident_html(view: dict[str, Any]) -> str:
    """An incident (as the caller may see it) as one HTML page."""
    title = f"Incident {view['incident_id']}: {view['kind']}"
    facts = {k: v for k, v in view.items() if not isinstance(v, (dict, list))}
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>",
        _table([facts]),
        "<h2>Separation</h2>",
        _table([view.get("separation", {})]),
    ]
    for name in ("own", "other", "encounter"):
        if name in view:
            parts += [f"<h2>{name.capitalize()}</h2>", _table([view[name]])]
    parts += ["<h2>Evidence</h2>", _table(view.get("evidence", []))]
    parts.append(
        "<p>Recorded by wellclear serve under agreement version "
        f"{html.escape(str(view['agreement_version']))}.</p></body></html>"
    )
    return "".join(parts)
