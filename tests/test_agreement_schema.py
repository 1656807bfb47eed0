"""The published JSON Schema of an agreement is the model's (regenerate it when this fails)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import get_args, get_origin

from pydantic import BaseModel

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


def _field_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every leaf field of ``model``: ``conflicts.horizontal``, ``parties[].state``, ..."""
    out: list[str] = []
    for name, info in model.model_fields.items():
        sub = [
            a
            for a in (info.annotation, *get_args(info.annotation))
            if isinstance(a, type) and issubclass(a, BaseModel)
        ]
        many = get_origin(info.annotation) is tuple and bool(sub)
        if sub:
            out += _field_paths(sub[0], f"{prefix}{name}{'[]' if many else ''}.")
        else:
            out.append(f"{prefix}{name}")
    return out


def test_docs_describe_every_field() -> None:
    doc = (DATA.parents[2] / "docs" / "agreement.md").read_text(encoding="utf-8")
    documented = set()
    for row in re.findall(r"^\| (`[^|]+`) \|", doc, flags=re.MULTILINE):
        documented |= set(re.findall(r"`([^`]+)`", row))
    fields = _field_paths(Agreement)
    assert len(fields) >= 35  # the walk reaches into every section
    assert [f for f in fields if f not in documented] == []
