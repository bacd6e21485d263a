"""The course structure's text, read a block at a time from a stream, in a bounded window.

The structure is one JSON object of blocks keyed by usage key; :func:`blocks_of` yields its
members one at a time, so that a file of any size is read in memory near one block's size.
Text is UTF-8, with or without a byte order mark; anything else (UTF-16 included) is refused.

Pure: no Django import.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

from ...errors import FormatError
from ..jsondoc import decode, json_path, syntax, text_excerpt, utf8_error

_JSON_SPACE = re.compile(r"[ \t\n\r]*")
#: What an encoding error adds: the one encoding a package's JSON may have.
UTF8 = "; the file must be UTF-8 (a byte order mark is allowed)"


class Window:
    """A bounded window of a binary stream's text, decoded as UTF-8 (optional BOM) as it is read.

    ``size`` is both how much is read at a time and the longest value (a block) it decodes. It
    holds at most about two ``size``s of text: consumed text is dropped at every refill.
    """

    def __init__(self, stream: BinaryIO, *, label: str, size: int) -> None:
        self.stream, self.label, self.size = stream, label, size
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.text = ""
        self.position = 0
        self.line = 1  # the line of text[position]
        self.origin = 0  # where text[0] is in the whole text
        self.line_start = 0  # where the line of text[position] starts in the whole text
        self.eof = False
        self.bytes_read = 0

    def fill(self) -> bool:
        """Read on; False at the end of the stream."""
        if self.eof:
            return False
        data = self.stream.read(self.size)
        pending = self.decoder.getstate()[0]  # the start of a character cut by the last read
        try:
            more = self.decoder.decode(data, final=not data)
        except UnicodeDecodeError as error:
            line = self.line + self.text.count("\n", self.position)
            offset = self.bytes_read - len(pending)
            raise utf8_error(error, file=self.label, line=line, offset=offset, advice=UTF8) from None
        self.bytes_read += len(data)
        self.eof = not data
        self.origin += self.position
        self.text = self.text[self.position :] + more
        self.position = 0
        return True

    def ahead(self, count: int) -> None:
        """Make ``count`` characters past the position available, or all that is left."""
        while len(self.text) - self.position < count and self.fill():
            pass

    def advance(self, end: int) -> None:
        newlines = self.text.count("\n", self.position, end)
        if newlines:
            self.line += newlines
            self.line_start = self.origin + self.text.rfind("\n", self.position, end) + 1
        self.position = end

    def line_column(self, at: int) -> tuple[int, int]:
        """The line and column of ``text[at]`` (at or after the position)."""
        newlines = self.text.count("\n", self.position, at)
        if not newlines:
            return self.line, self.origin + at - self.line_start + 1
        return self.line + newlines, at - self.text.rfind("\n", self.position, at)

    def skip_space(self) -> str:
        """Skip JSON whitespace, reading on as needed; the next character, or '' at the end."""
        while True:
            self.advance(_JSON_SPACE.match(self.text, self.position).end())
            if self.position < len(self.text) or not self.fill():
                return self.text[self.position : self.position + 1]

    def error(self, message: str, **where: Any) -> FormatError:
        where.setdefault("value", text_excerpt(self.text, self.position))
        return FormatError(message, file=self.label, line=self.line, **where)

    def value(self, *, path: str) -> Any:
        """Decode the JSON value at the position, at most ``size`` characters long, and move past it."""
        # Past the limit, a little more: an error in the last few characters of the window (within
        # "false" or "\\u00e9") is the window's end, not the block's.
        self.ahead(self.size + 16)
        too_long = f"a block longer than {self.size:,} characters of JSON, the limit for one block"
        try:
            value, end = decode(self.text, self.position, file=self.label, line=self.line, path=path, level=1)
        except json.JSONDecodeError as error:
            cut_short = error.pos >= len(self.text) - 8 or error.msg.startswith("Unterminated string")
            if cut_short and not self.eof:  # the window holds the limit and more, and the value goes on
                raise self.error(too_long, path=path) from None
            line, column = self.line_column(error.pos)
            raise FormatError(
                f"not a course structure JSON file ({syntax(error, column)})",
                file=self.label,
                line=line,
                value=text_excerpt(self.text, max(error.pos - 20, 0)),
            ) from None
        if end - self.position > self.size:
            raise self.error(too_long, path=path)
        self.advance(end)
        return value


def blocks_of(window: Window) -> Iterator[tuple[str, int, Any]]:
    """The structure's (usage key, line, block) pairs, one at a time, as the file holds them."""
    shape = "a course structure is a JSON object of blocks keyed by usage key"
    if window.skip_space() != "{":
        raise window.error(f"not a course structure JSON file: {shape}")
    window.advance(window.position + 1)
    following = False
    while (char := window.skip_space()) != "}":
        if following:
            if char != ",":
                raise window.error(f"expected ',' or '}}' after a block: {shape}")
            window.advance(window.position + 1)
            char = window.skip_space()
        if char != '"':
            raise window.error(f"expected a block's usage key (a JSON string): {shape}")
        line = window.line
        key = window.value(path="$")
        if window.skip_space() != ":":
            raise window.error(f"expected ':' after a block's usage key: {shape}", path=json_path("$", key))
        window.advance(window.position + 1)
        window.skip_space()
        yield key, line, window.value(path=json_path("$", key))
        following = True
    window.advance(window.position + 1)
    if window.skip_space():
        raise window.error("text after the end of the course structure's JSON object")
