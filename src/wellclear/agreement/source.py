"""Reading an agreement document: YAML with the line of every key, errors that name them.

:func:`read_document` parses the YAML (safe loader) and keeps, for every path of keys and list
indices (``("parties", 1, "state")``), the line where the document gives it, so that a
validation error reads ``agreement.yaml:12: parties[1].state: 'TURK' is not an ISO 3166-1
alpha-3 code``. A key given twice in one mapping (which YAML loaders silently resolve to the
last) is an error naming both lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

Loc = tuple[str | int, ...]


class AgreementError(ValueError):
    """An agreement that cannot be read or is not valid: every problem, one per line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class LocatedError(ValueError):
    """A problem found across fields, with the location of the field to blame.

    Raised in a model validator, pydantic reports it at the model's location; the error keeps
    the original exception, from which :func:`problems_of` takes the field's own location.
    """

    def __init__(self, loc: Loc, message: str) -> None:
        self.loc = loc
        self.message = message
        super().__init__(f"{format_loc(loc)}: {message}")


@dataclass(frozen=True)
class Document:
    """A parsed YAML document, its file name and the line of each key path (1-based)."""

    data: Any
    name: str
    lines: Mapping[Loc, int] = field(default_factory=dict)

    def line(self, loc: Loc) -> int | None:
        """The line of ``loc``, or of the nearest enclosing key the document gives."""
        for n in range(len(loc), -1, -1):
            found = self.lines.get(loc[:n])
            if found is not None:
                return found
        return None


def _walk(node: yaml.Node, loc: Loc, lines: dict[Loc, int], problems: list[str], name: str) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            line = key_node.start_mark.line + 1
            if key in seen:
                where = format_loc(loc) or "the document"
                problems.append(
                    f"{name}:{line}: {where}: key {key!r} given twice (first on line {seen[key]})"
                )
                continue
            seen[key] = line
            lines[(*loc, key)] = line
            _walk(value_node, (*loc, key), lines, problems, name)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*loc, i)] = item.start_mark.line + 1
            _walk(item, (*loc, i), lines, problems, name)


def parse_document(text: str, name: str) -> Document:
    """Parse YAML ``text`` of the file ``name``; :class:`AgreementError` if it is not YAML."""
    try:
        loader = yaml.SafeLoader(text)  # parsed once: the nodes (lines), then the values
        try:
            node = loader.get_single_node()
            data = None if node is None else loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err)
        raise AgreementError([f"{name}{line}: not valid YAML: {problem}"]) from None
    lines: dict[Loc, int] = {}
    problems: list[str] = []
    if node is not None:
        lines[()] = node.start_mark.line + 1
        _walk(node, (), lines, problems, name)
    if problems:
        raise AgreementError(problems)
    if not isinstance(data, dict):
        raise AgreementError([f"{name}:1: an agreement is a mapping of keys (id, version, ...)"])
    return Document(data, name, lines)


def read_document(path: Path) -> Document:
    """Read and parse the agreement file ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AgreementError([f"{path}: no such file"]) from None
    except UnicodeDecodeError as err:
        raise AgreementError([f"{path}: not UTF-8 text ({err.reason})"]) from None
    except OSError as err:
        raise AgreementError([f"{path}: {err.strerror}"]) from None
    return parse_document(text, str(path))


def format_loc(loc: Iterable[str | int]) -> str:
    """``("parties", 1, "state")`` -> ``parties[1].state``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def data_loc(data: Any, loc: Loc) -> Loc:
    """The part of a pydantic error location that is a path in ``data``.

    Pydantic adds the member of a union it tried (``str``, ``function-after[...]``) to the
    location; those are dropped. The last element is kept even when absent from the data (a
    missing field or an unknown key names it).
    """
    out: list[str | int] = []
    here = data
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(here, dict) and part in here:  # noqa: SIM114 (mypy narrows each)
            out.append(part)
            here = here[part]
        elif isinstance(here, list) and isinstance(part, int) and 0 <= part < len(here):
            out.append(part)
            here = here[part]
        elif last and isinstance(part, str) and "[" not in part and isinstance(here, dict):
            out.append(part)
    return tuple(out)


def _line(doc: Document, loc: Loc, text: str, names: Mapping[Loc, str] | None) -> str:
    label = format_loc(loc)
    for prefix, name in (names or {}).items():
        if loc[: len(prefix)] == prefix:
            label = name
    line = doc.line(loc)
    where = f"{doc.name}:{line}" if line is not None else doc.name
    return f"{where}: {label}: {text}" if label else f"{where}: {text}"


def _message(err: Mapping[str, Any], allowed: Callable[[Loc], list[str] | None], loc: Loc) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        keys = allowed(loc[:-1])
        tail = f"; allowed: {', '.join(keys)}" if keys else ""
        return f"unknown key {loc[-1]!r}{tail}" if loc else f"unknown key{tail}"
    if kind == "missing":
        return "missing"
    msg = str(err["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    if kind in ("string_type", "int_type", "bool_type", "float_type", "dict_type", "list_type"):
        msg = f"{msg}, got {err.get('input')!r}"
    return msg


def problems_of(
    error: ValidationError,
    doc: Document,
    allowed: Callable[[Loc], list[str] | None] = lambda loc: None,
    names: Mapping[Loc, str] | None = None,
) -> list[str]:
    """One ``FILE:LINE: PATH: message`` per error of ``error``, in the document's line order
    (``names`` relabels paths)."""
    out: list[tuple[int, str]] = []
    for err in error.errors(include_url=False):
        exc = (err.get("ctx") or {}).get("error")
        if isinstance(exc, LocatedError):
            loc, text = data_loc(doc.data, (*err["loc"], *exc.loc)), exc.message
        else:
            loc = data_loc(doc.data, tuple(err["loc"]))
            text = _message(err, allowed, loc)
        out.append((doc.line(loc) or 0, _line(doc, loc, text, names)))
    out.sort(key=lambda item: item[0])
    return list(dict.fromkeys(text for _, text in out))
