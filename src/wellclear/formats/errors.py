"""Typed input errors: every bad value is reported with its file, line and field."""

from __future__ import annotations


class DecodeError(ValueError):
    """Bad input: carries the file, the line (1-based; the header is line 1), field and value.

    The message reads ``FILE:LINE: field FIELD: reason``.
    """

    def __init__(
        self,
        reason: str,
        *,
        file: str = "<input>",
        line: int | None = None,
        field: str | None = None,
        value: object = None,
    ) -> None:
        self.reason = reason
        self.file = file
        self.line = line
        self.field = field
        self.value = value
        where = file if line is None else f"{file}:{line}"
        what = f" field {field}:" if field else ""
        super().__init__(f"{where}:{what} {reason}")


class StatesInputError(DecodeError):
    """A states file (CSV, Parquet, JSON) that cannot be read as aircraft states."""
