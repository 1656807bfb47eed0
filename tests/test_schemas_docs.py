"""``docs/schemas.md`` is generated from :mod:`wellclear.schemas`: this test fails when the two
differ, and rewrites the file when run with ``WELLCLEAR_WRITE_DOCS=1``."""

from __future__ import annotations

import os
from pathlib import Path

from wellclear.schemas import SCHEMAS, markdown

DOC = Path(__file__).resolve().parents[1] / "docs" / "schemas.md"


def test_docs_schemas_md_is_generated_from_the_schemas() -> None:
    text = markdown() + "\n"
    if os.environ.get("WELLCLEAR_WRITE_DOCS") == "1":
        DOC.write_text(text, encoding="utf-8")
    current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    assert current == text, (
        f"{DOC} differs from wellclear.schemas: run "
        "WELLCLEAR_WRITE_DOCS=1 pytest tests/test_schemas_docs.py"
    )
    for schema in SCHEMAS.values():  # a section per contract, a row per column
        assert f"## {schema.name}\n" in current
        for column in schema.columns:
            assert f"| `{column.name.replace('{k}', '1, ..')}` |" in current
