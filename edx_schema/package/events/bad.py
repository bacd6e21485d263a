"""Why a line of a tracking log is not an event.

Pure: no Django import.
"""

from __future__ import annotations

from typing import Any


class BadLine(ValueError):
    """A line that is not an event: ``reason`` says why, ``field`` which JSON field, if one."""

    def __init__(self, reason: str, *, field: str | None = None, value: object = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field
        self.value = value


def kind_of(value: Any) -> str:
    """How a report names a decoded JSON value's type (or quotes a string)."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, int | float):
        return f"the number {value}"
    if value is None:
        return "null"
    return repr(value if len(value) <= 40 else value[:37] + "...")
