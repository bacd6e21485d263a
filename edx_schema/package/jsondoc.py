"""Bounded JSON decoding for a package's JSON documents: course structure blocks, forum lines and
grading_policy.json.

Python's ``json`` recurses once per nesting level and accepts values the database cannot store,
so every document decoded here is held to the same rules, and each breach is a
:class:`FormatError` naming the file, the line, the JSON path and a short excerpt:

- nested at most ``MAX_DEPTH`` (32) levels: thousands of ``[`` would otherwise end in a
  RecursionError, and MariaDB refuses JSON nested 32 levels deep (what is stored of a document
  is one or more levels inside it, so it always fits);
- numbers are finite doubles: ``NaN`` and ``Infinity`` (which Python's json accepts, JSON does
  not) and numbers beyond a double's range are refused, as the database's JSON refuses them;
- strings are valid Unicode: an unpaired surrogate escape (``"\\ud800"``) cannot be stored as
  UTF-8.

Limits on size (a line, a block, a file) belong to each reader, which knows its unit.

Pure: no Django import.
"""

from __future__ import annotations

import json
import math
import re
from itertools import accumulate
from typing import Any

from ..errors import FormatError

#: Deepest nesting of arrays and objects a JSON document may have.
MAX_DEPTH = 32

#: JSON's whitespace (``str.strip()`` would also take Unicode spaces, which JSON does not allow).
WHITESPACE = " \t\n\r"

_MAX_NUMBER_CHARS = 310  # a double's range ends near 1.8e308: an integer of 310 characters is beyond it
_ESCAPES = re.compile(r"\\.", re.DOTALL)
_STRINGS = re.compile(r'"[^"]*"')  # once escapes are gone, a string holds no quote
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}.__getitem__
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _Refused(str):
    """Stands in for a number the rules refuse, so that the error can say where it was."""


def nesting(text: str) -> int:
    """How deeply valid JSON ``text`` nests arrays and objects: 0 for a scalar, 1 for ``[1]``.

    Regular expressions and ``accumulate`` run in C, so this is cheap even for a long text.
    """
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", _ESCAPES.sub("", text)))
    return max(accumulate(map(_STEP, brackets)), default=0)


def json_path(path: str, *steps: str | int) -> str:
    """``path`` some steps further: ``.name``, ``["other key"]`` or ``[3]``; long keys are shortened."""
    for step in steps:
        if isinstance(step, int):
            path = f"{path}[{step}]"
        elif _NAME.fullmatch(step) and len(step) <= 60:
            path = f"{path}.{step}"
        else:
            path = f"{path}[{json.dumps(step if len(step) <= 60 else step[:57] + '...')}]"
    return path


def excerpt(value: Any) -> str:
    """A short JSON rendering of a decoded value for an error message, never all of a large one."""

    def shallow(item: Any, level: int) -> Any:
        if isinstance(item, dict):
            if level > 1:
                return {"...": "..."} if item else {}
            return {key[:40]: shallow(child, level + 1) for key, child in list(item.items())[:3]}
        if isinstance(item, list):
            if level > 1:
                return ["..."] if item else []
            return [shallow(child, level + 1) for child in item[:3]]
        return item[:57] + "..." if isinstance(item, str) and len(item) > 60 else item

    text = json.dumps(shallow(value, 0), ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def syntax(error: json.JSONDecodeError, column: int) -> str:
    """What is wrong and where on its line: ``Expecting ',' delimiter at column 8``."""
    return f"{error.msg.removesuffix(' at')} at column {column}"


def text_excerpt(text: str, position: int) -> str:
    """Up to 60 characters of raw ``text`` from ``position``, for an error that has no decoded value."""
    return text[position : position + 60]


def utf8_error(
    error: UnicodeDecodeError, *, file: str, line: int, offset: int = 0, where: str = "", advice: str = ""
) -> FormatError:
    """The FormatError for bytes that are not UTF-8: the bad byte, its offset and line, and an
    escaped excerpt around it. ``error.object`` holds the bytes from ``line`` and ``offset`` on.
    """
    data = error.object
    bad = data[error.start : error.end]
    return FormatError(
        f"not UTF-8 text (invalid byte {bad!r} at byte {offset + error.start}{where}){advice}",
        file=file,
        line=line + data.count(b"\n", 0, error.start),
        value=data[max(0, error.start - 20) : error.end + 20].decode("utf-8", "backslashreplace"),
    )


def _unpaired_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _offence(value: Any, path: str) -> tuple[str, str, str] | None:
    """The first refused number or unpaired surrogate in ``value``: (path, message, excerpt)."""
    stack = [(value, path)]  # explicit: a value may be 32 levels deep
    while stack:
        item, where = stack.pop()
        if isinstance(item, _Refused):
            return where, "a number JSON cannot hold (NaN, Infinity, or beyond a double's range)", str(item)
        if isinstance(item, str):
            if _unpaired_surrogate(item):
                return where, "a string with an unpaired UTF-16 surrogate escape (not Unicode text)", item
        elif isinstance(item, dict):
            for key, child in reversed(item.items()):
                if _unpaired_surrogate(key):
                    return where, "a key with an unpaired UTF-16 surrogate escape (not Unicode text)", key
                stack.append((child, json_path(where, key)))
        elif isinstance(item, list):
            stack.extend((item[index], json_path(where, index)) for index in reversed(range(len(item))))
    return None


def decode(
    text: str, position: int = 0, *, file: str, line: int | None = None, path: str = "$", level: int = 0
) -> tuple[Any, int]:
    """The JSON value that starts at ``text[position]``, and where it ends, held to the rules above.

    ``level`` is how deep in its document the value sits (a course structure's block: 1).
    Malformed JSON raises ``json.JSONDecodeError`` as it is: only the caller knows whether its
    text was cut short on purpose (a window over a stream) or is really broken.
    """
    refused = 0

    def refuse(literal: str) -> _Refused:
        nonlocal refused
        refused += 1
        return _Refused(literal)

    def parse_float(literal: str) -> float:
        number = float(literal)
        return number if math.isfinite(number) else refuse(literal)

    def parse_int(literal: str) -> int:
        return int(literal) if len(literal) < _MAX_NUMBER_CHARS else refuse(literal)

    decoder = json.JSONDecoder(parse_float=parse_float, parse_int=parse_int, parse_constant=refuse)
    too_deep = f"JSON nested deeper than {MAX_DEPTH} levels, the limit for a JSON document"
    try:
        value, end = decoder.raw_decode(text, position)
    except RecursionError:  # nested deeper than Python's stack allows: far past the limit
        raise FormatError(
            too_deep, file=file, line=line, path=path, value=text_excerpt(text, position)
        ) from None
    if level + nesting(text[position:end]) > MAX_DEPTH:
        raise FormatError(too_deep, file=file, line=line, path=path, value=text_excerpt(text, position))
    if refused or _SURROGATE_ESCAPE.search(text, position, end):
        found = _offence(value, path)
        if found is not None:
            where, message, shown = found
            raise FormatError(message, file=file, line=line, path=where, value=shown[:60])
    return value, end


def loads(text: str, *, file: str, line: int | None = None, path: str = "$") -> Any:
    """The JSON document ``text`` (whitespace around it allowed), held to the rules above.

    ``line`` is the line the text starts on, for a document that is one line of a file.
    """
    start = len(text) - len(text.lstrip(WHITESPACE))
    try:
        value, end = decode(text, start, file=file, line=line, path=path)
    except json.JSONDecodeError as error:
        at = (line or 1) + error.lineno - 1
        raise FormatError(
            f"not a JSON document ({syntax(error, error.colno)})",
            file=file,
            line=at,
            value=text_excerpt(text, max(error.pos - 20, 0)),
        ) from None
    rest = text[end:]
    if rest.strip(WHITESPACE):
        after = end + len(rest) - len(rest.lstrip(WHITESPACE))
        raise FormatError(
            "text after the end of the JSON document",
            file=file,
            line=(line or 1) + text.count("\n", 0, after),
            value=text_excerpt(text, after),
        )
    return value
