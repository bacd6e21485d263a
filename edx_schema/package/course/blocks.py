"""One block of a course structure: its parts and settings, checked for their types.

Pure: no Django import.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..jsondoc import excerpt

_INHERITED = ("graded", "format", "start", "due")  # settings children take from ancestors
_TEXT_LENGTHS = {"display_name": 255, "format": 255, "start": 64, "due": 64}  # as their columns store them


@dataclass
class Block:
    """One block of the outline, in course order (``position`` counts from 0 at the course)."""

    usage_key: str
    category: str
    parent: str | None
    position: int
    depth: int
    display_name: str
    metadata: dict[str, Any] = field(default_factory=dict)
    inherited: dict[str, Any] = field(default_factory=dict)

    @property
    def graded(self) -> bool:
        return bool(self.inherited.get("graded", False))

    @property
    def format(self) -> str:
        return self.inherited.get("format") or ""


class Invalid(Exception):
    """A value of the wrong type in a block, at ``steps`` inside it; the reader adds the rest."""

    def __init__(self, steps: tuple[str | int, ...], message: str, value: Any) -> None:
        super().__init__(message)
        self.steps, self.message, self.value = steps, message, value


def weight_of(value: Any) -> float | None:
    """A block's ``weight`` as the LMS reads it (a number, a numeric string, or nothing).

    ValueError if it is none of these, or not finite.
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("a weight is a number")
    try:
        weight = float(value)
    except (ValueError, OverflowError):
        raise ValueError("a weight is a number") from None
    if not math.isfinite(weight):
        raise ValueError("a weight is a finite number")
    return weight


def _setting_text(value: Any, name: str) -> str | None:
    if value is None or isinstance(value, str):
        text = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        text = str(value)
    else:
        raise Invalid(("metadata", name), f"{name} is text", excerpt(value))
    return text[: _TEXT_LENGTHS[name]] if text is not None else None


def _graded(value: Any) -> bool | None:
    """``graded`` as XBlock's Boolean field reads it: a boolean, "true"/"false", or a number."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.lower() == "true"
    if isinstance(value, int | float):
        return bool(value)
    raise Invalid(("metadata", "graded"), "graded is true or false", excerpt(value))


def settings(metadata: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A block's display name and the settings its children inherit, checked for their types.

    Text comes cut to the length its column stores. :class:`Invalid` for a wrong type.
    """
    own: dict[str, Any] = {}
    for name in _INHERITED:
        if name in metadata:
            value = metadata[name]
            own[name] = _graded(value) if name == "graded" else _setting_text(value, name)
    try:
        weight_of(metadata.get("weight"))
    except ValueError as error:
        raise Invalid(("metadata", "weight"), str(error), excerpt(metadata.get("weight"))) from None
    return _setting_text(metadata.get("display_name"), "display_name") or "", own


def parts(block: Any) -> tuple[str, list[str], dict[str, Any]]:
    """A block's category, children and metadata, checked for their types (missing: empty).

    :class:`Invalid` for a wrong type.
    """
    if not isinstance(block, dict):
        raise Invalid((), "a block is a JSON object with category, children and metadata", excerpt(block))
    category = block.get("category")
    if category is None:
        category = ""
    elif not isinstance(category, str):
        raise Invalid(("category",), "category is text", excerpt(category))
    children = block.get("children")
    if children is None:
        children = []
    elif not isinstance(children, list):
        raise Invalid(("children",), "children is a list of usage keys", excerpt(children))
    for index, child in enumerate(children):
        if not isinstance(child, str):
            raise Invalid(("children", index), "a child is a usage key", excerpt(child))
    metadata = block.get("metadata")
    if metadata is None:
        metadata = {}
    elif not isinstance(metadata, dict):
        raise Invalid(("metadata",), "metadata is a JSON object", excerpt(metadata))
    return category, children, metadata
