"""The dependency arrows of the house point one way: each layer imports only those below it.

Checked on the source (every ``import`` and ``from ... import``, lazy ones inside functions
included), so that a hidden cycle through a lazy import fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "wellclear"

# what each package may import from wellclear (besides itself); the pure modules at the top
BASE = {"units", "geo", "timeutil", "states", "schemas", "poly", "__version__"}
ALLOWED: dict[str, set[str]] = {
    "formats": BASE,
    "detect": BASE,
    "alerting": BASE | {"detect", "formats"},
    "airspace": BASE | {"detect", "formats", "runtime"},
    "encounters": BASE | {"detect", "alerting", "airspace", "formats", "runtime", "snapshot"},
    "runtime": set(),
    "store": set(),
    # the service also reads the sovereign polygons and zones for the web page's map (airspace),
    # writes the incident report (report), deconflicts planned operations (plans) and fronts
    # the workers of a cluster (serve --cluster)
    "service": BASE
    | {
        "engine",
        "store",
        "agreement",
        "formats",
        "encounters",
        "report",
        "plans",
        "airspace",
        "cluster",
    },
    "report": BASE | {"encounters", "airspace", "formats", "agreement"},
    "plans": BASE | {"airspace", "agreement"},
    "feeds": BASE | {"formats"},
    "cluster": BASE | {"engine", "alerting", "detect"},
    "simulate": BASE | {"airspace"},
    "engine": BASE
    | {"detect", "alerting", "airspace", "formats", "snapshot", "snapshot_steps", "runtime"},
}


def _imports(path: Path) -> set[str]:
    """The wellclear subpackages or top-level modules that ``path`` imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            if node.module == "wellclear":
                names = [f"wellclear.{a.name}" for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "wellclear" and len(parts) > 1:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_the_layers_below(package: str) -> None:
    allowed = ALLOWED[package] | {package}
    wrong = {
        str(path.relative_to(SRC)): sorted(_imports(path) - allowed)
        for path in sorted((SRC / package).rglob("*.py"))
        if _imports(path) - allowed
    }
    assert not wrong, f"{package} imports layers above it: {wrong}"


def test_nothing_imports_the_command_line() -> None:
    users = [
        str(path.relative_to(SRC))
        for path in sorted(SRC.rglob("*.py"))
        if path.parent.name != "cli" and "cli" in _imports(path)
    ]
    assert not users, f"modules importing wellclear.cli: {users}"
