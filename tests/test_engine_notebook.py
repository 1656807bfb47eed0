"""docs/api.ipynb: its cells run on the Paris sample and the checked-in notebook holds them."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("api_notebook", ROOT / "scripts/api_notebook.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_notebook_cells_run_and_are_those_checked_in() -> None:
    script = _script()
    notebook = json.loads((ROOT / "docs" / "api.ipynb").read_text(encoding="utf-8"))
    sources = ["".join(c["source"]) for c in notebook["cells"]]
    assert sources == [source for _, source in script.CELLS]
    namespace: dict[str, object] = {}
    outputs = [script.run_cell(src, namespace) for kind, src in script.CELLS if kind == "code"]
    assert "raised" in outputs[-1] and "conflict" in outputs[4]  # the engine cell; levels
    assert "CDG box" in outputs[3]
