"""The published JSON Schema of an agreement is the model's (regenerate it when this fails)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from wellclear.agreement import Agreement, json_schema

DATA = Path(__file__).resolve().parents[1] / "src" / "wellclear" / "data"
SCHEMA = DATA / "agreement.schema.json"


def test_published_schema_is_the_models() -> None:
    assert SCHEMA.read_text(encoding="utf-8") == json_schema(), (
        "src/wellclear/data/agreement.schema.json differs from the model: run "
        ".venv/bin/python -m wellclear.agreement src/wellclear/data/agreement.schema.json"
    )


def test_schema_refuses_unknown_keys_everywhere() -> None:
    schema = json.loads(json_schema())
    objects = [schema, *schema["$defs"].values()]
    assert all(o.get("additionalProperties") is False for o in objects if o["type"] == "object")
    assert set(schema["required"]) == {"id", "version"}


def test_quantity_patterns_accept_what_the_model_accepts() -> None:
    defs = json.loads(json_schema())["$defs"]
    length = re.compile(defs["Conflicts"]["properties"]["horizontal"]["pattern"])
    for text in ("5NM", "5 nm", "9.26km", "1000ft", "0.5 NMI", "1e3m"):
        assert length.match(text), text
        Agreement.default().replaced({("sharing", "quantise", "range"): text}, {})
    for text in ("5", "5 furlongs", "NM", "-5NM"):
        assert not length.match(text), text
