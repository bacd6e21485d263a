"""Records of the package text format: found in a byte stream, whatever their escaped line breaks.

A record ends only at an unescaped LF; a CR right before it belongs to a CRLF line break. Memory
is bounded by :data:`MAX_RECORD_BYTES`, never by the file (see :mod:`edx_schema.package.tsv`).

Pure: no Django import.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import partial
from typing import BinaryIO

from ...errors import FormatError

#: The most bytes one record (its line break included) may hold. Generous: the studentmodule
#: export skips rows with a field over 4 MiB, which escaping can at most double. It bounds a
#: reader's memory (a record this long, dense in escapes, peaks near 100 MB while decoded).
MAX_RECORD_BYTES = 8 << 20
_BACKSLASH = 0x5C
# An LF after an even run of backslashes (none included): the end of a record.
_UNESCAPED_LF = re.compile(rb"(?<!\\)(?:\\\\)*\n")


def _backslashes_before(data: bytes, end: int) -> int:
    """How many backslashes stand right before ``data[end]``."""
    if end <= 0 or data[end - 1] != _BACKSLASH:
        return 0
    return _run_before(lambda start, stop: data[start:stop], end)


def _run_before(read: Callable[[int, int], bytes], end: int) -> int:
    """How many backslashes stand right before offset ``end`` of what ``read(start, stop)``
    reads; counted in C, a slice at a time."""
    count = 0
    while end > 0:
        start = max(0, end - 4096)
        piece = read(start, end)
        run = len(piece) - len(piece.rstrip(b"\\"))
        count += run
        if run < len(piece):
            break
        end = start
    return count


def _ends_with_escape(line: bytes) -> bool:
    """Whether ``line`` (without its LF) ends in an odd run of backslashes, escaping the LF."""
    return (len(line) - len(line.rstrip(b"\\"))) % 2 == 1


def byte_excerpt(data: bytes, start: int = 0, end: int = 0) -> str:
    """A short piece of ``data`` around ``data[start:end]`` for a message (escaped when shown)."""
    return data[max(0, start - 20) : max(end, start) + 20].decode("utf-8", "backslashreplace")


def _too_long(file: str, line: int, start: bytes) -> FormatError:
    return FormatError(
        f"a record longer than {MAX_RECORD_BYTES:,} bytes, the most one record may hold "
        "(is this a data package member?)",
        file=file,
        line=line,
        value=byte_excerpt(start),
    )


class Unterminated(Exception):
    """The stream ended inside a record: a backslash escapes its last line break, or nothing."""

    def __init__(self, line: int, tail: bytes) -> None:
        super().__init__(line)
        self.line = line
        self.tail = tail[-20:]

    def error(self, file: str) -> FormatError:
        return FormatError(
            "the file ends inside this record: its last backslash escapes the line break or "
            "nothing (is the file truncated?)",
            file=file,
            line=self.line,
            value=self.tail.decode("utf-8", "backslashreplace"),
        )


def raw_records(stream: BinaryIO, *, file: str, first_line: int = 1) -> Iterator[tuple[int, bytes]]:
    """Yield (first physical line number, record bytes without its line break), joining escaped LFs.

    A CR right before the LF that ends a record is dropped with it (a CRLF line break). Raises
    FormatError for a record over :data:`MAX_RECORD_BYTES`, and :class:`Unterminated` when the
    stream ends in an escape.
    """
    line_number = first_line - 1
    # The lines of a record whose line breaks are escaped, joined as they come: a list of them
    # would cost an object per line (gigabytes for millions of escaped empty lines).
    pending = bytearray()
    start_line = first_line
    # Reading lines splits on LF only, so a raw CR stays inside its record; each read is capped,
    # so that one endless line cannot fill memory.
    for raw in iter(partial(stream.readline, MAX_RECORD_BYTES + 1), b""):
        line_number += 1
        if (raw == b"\n" or raw == b"\r\n") and not pending:
            yield line_number, b""  # a blank line (millions of them cost no more than this)
            continue
        if not pending:
            start_line = line_number
        if len(pending) + len(raw) > MAX_RECORD_BYTES:
            raise _too_long(file, start_line, bytes(pending[:40]) if pending else raw)
        if raw.endswith(b"\n"):
            body = raw[:-1]
            # Cheap test first: only a body ending in a backslash can escape its LF.
            if body.endswith(b"\\") and _ends_with_escape(body):
                pending += raw  # the LF is data: keep it, backslash included
                continue
            if body.endswith(b"\r") and _backslashes_before(body, len(body) - 1) % 2 == 0:
                body = body[:-1]  # CRLF: the CR belongs to the line break (an escaped CR is data)
        else:  # the stream's last line, without a line break
            body = raw
            if body.endswith(b"\\") and _ends_with_escape(body):
                raise Unterminated(start_line, body)
        if pending:
            pending += body
            yield start_line, bytes(pending)
            pending = bytearray()
        else:
            yield start_line, body
    if pending:
        raise Unterminated(start_line, bytes(pending[-20:]))


def split_chunks(stream: BinaryIO, *, first_line: int, size: int) -> Iterator[tuple[int, bytes]]:
    """Read ``stream`` in runs of whole records of about ``size`` bytes: ``(first line, bytes)``.

    A run ends at an unescaped LF, so that escaped newlines are never split from what follows
    them (blank lines may end a run: :meth:`TsvReader.chunk_records` carries them over). A run
    that holds no record boundary yet already more than :data:`MAX_RECORD_BYTES` is handed over
    as it is and ends the runs: the reader refuses its record as too long. Memory is bounded by
    ``size`` plus that limit, and every byte is scanned once.
    """
    pending = b""
    line = first_line
    while True:
        data = stream.read(size)
        if not data:
            if pending:
                yield line, pending
            return
        buffer = pending + data if pending else data
        # pending holds no unescaped LF (else it would have been cut): scan only the new bytes.
        cut = _record_boundary(buffer, start=len(pending))
        if cut == 0:
            if len(buffer) > MAX_RECORD_BYTES:
                yield line, buffer
                return
            pending = buffer
            continue
        chunk, pending = buffer[:cut], buffer[cut:]
        yield line, chunk
        line += chunk.count(b"\n")


def _record_boundary(buffer: bytes, *, start: int = 0) -> int:
    """The end (after it) of the last unescaped LF in ``buffer[start:]``, or 0 if it has none."""
    index = buffer.rfind(b"\n", start)
    if index < 0:
        return 0
    if index == 0 or buffer[index - 1] != _BACKSLASH:  # the common case: a plain line break
        return index + 1
    # The last line break is escaped: find the last unescaped one in one pass, in C, from the
    # start of the run of backslashes that may cross ``start``.
    cut = 0
    for match in _UNESCAPED_LF.finditer(buffer, start - _backslashes_before(buffer, start)):
        cut = match.end()
    return cut


def record_start(stream: BinaryIO, offset: int) -> int:
    """The offset of the first record that starts at or after ``offset`` in the seekable
    ``stream`` of a member: the byte after an LF that no backslash escapes (the stream's size if
    no record starts there). A member split by bytes is read in pieces from such starts.

    An LF is escaped by an odd run of backslashes right before it, as :func:`raw_records` reads
    it; a run never crosses an LF, so a look at the bytes around ``offset`` tells.
    """
    if offset <= 0:
        return 0
    position = offset - 1

    def read(start: int, stop: int) -> bytes:
        stream.seek(start)
        return stream.read(stop - start)

    carry = _run_before(read, position)  # backslashes right before the first chunk
    stream.seek(position)
    while chunk := stream.read(1 << 16):
        start = 0
        while (index := chunk.find(b"\n", start)) >= 0:
            segment = chunk[start:index]
            run = len(segment) - len(segment.rstrip(b"\\"))
            if run == len(segment) and start == 0:
                run += carry
            if run % 2 == 0:
                return position + index + 1
            start = index + 1
        tail = chunk[start:]
        run = len(tail) - len(tail.rstrip(b"\\"))
        carry = run + carry if run == len(tail) and start == 0 else run
        position += len(chunk)
    return position


def count_lines(stream: BinaryIO, start: int, end: int) -> int:
    """How many LFs the bytes of ``stream`` from ``start`` to ``end`` hold."""
    stream.seek(start)
    lines = 0
    left = end - start
    while left > 0 and (chunk := stream.read(min(left, 1 << 20))):
        lines += chunk.count(b"\n")
        left -= len(chunk)
    return lines
