"""A tracking log read as events: gunzipped as it streams, split into lines, each line decoded.

Memory stays bounded whatever the file: the gzip stream is read a chunk at a time (never
decompressed to disk or held whole), and a line longer than :data:`MAX_LINE_BYTES` is skipped
a chunk at a time rather than gathered.

Pure: no Django import.
"""

from __future__ import annotations

import datetime
import functools
import gzip
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from ...errors import FormatError, PackageError
from .bad import BadLine
from .decode import EXCERPT_BYTES, MAX_LINE_BYTES, EventRow, decode_line, excerpt

#: Bytes of clear (gunzipped) text read at a time.
CHUNK_BYTES = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class BadLineReport:
    """One line that is not an event: where, why, and its first bytes."""

    line: int
    reason: str
    field: str | None
    value: object
    start: str


class TooManyBadLines(PackageError):
    """More lines are not events than the caller allows: the file is given up at once."""


@dataclass
class LogTally:
    """What reading one log found. ``reports`` keeps the first ``max_bad + 1`` bad lines only.

    Past ``max_bad`` bad lines (None: no limit), :meth:`bad_line` raises TooManyBadLines.
    """

    max_bad: int | None = 100
    lines: int = 0
    events: int = 0
    bad: int = 0
    filtered: int = 0
    reports: list[BadLineReport] = field(default_factory=list)

    def bad_line(self, number: int, raw: bytes, error: BadLine) -> None:
        self.bad += 1
        if self.max_bad is None or len(self.reports) <= self.max_bad:
            self.reports.append(BadLineReport(number, error.reason, error.field, error.value, excerpt(raw)))
        if self.max_bad is not None and self.bad > self.max_bad:
            first = self.reports[0]
            raise TooManyBadLines(
                f"more than {self.max_bad} lines are not events; the first, line {first.line}: "
                f"{first.reason} ({first.start!r})"
            )


@dataclass(frozen=True)
class EventFilter:
    """Which events to keep: of these courses (``{Org}-{course}-{run}``), in these UTC days."""

    courses: frozenset[str] = frozenset()
    since: datetime.date | None = None
    until: datetime.date | None = None

    @property
    def active(self) -> bool:
        return bool(self.courses) or self.since is not None or self.until is not None

    def keeper(self) -> Callable[[EventRow], bool] | None:
        """A test of one event, or None when every event is kept."""
        if not self.active:
            return None
        since = self.since.isoformat() if self.since else ""
        until = self.until.isoformat() if self.until else "\uffff"
        courses = self.courses

        def keep(row: EventRow) -> bool:
            if not since <= row.time[:10] <= until:
                return False
            return not courses or _entity(row.course_id) in courses

        return keep


@functools.lru_cache(maxsize=4096)
def _entity(course_id: str) -> str | None:
    """The ``{Org}-{course}-{run}`` of a course key's text, as the package's member names have it."""
    from ..names import course_entity

    if course_id.startswith(("course-v1:", "ccx-v1:")):
        parts = course_id.split(":", 1)[1].split("+")
    else:
        parts = course_id.split("/")
    if len(parts) < 3 or not all(parts[:3]):
        return None
    return course_entity(org=parts[0], course=parts[1], run=parts[2])


def read_events(
    stream: BinaryIO,
    *,
    label: str,
    tally: LogTally,
    keep: Callable[[EventRow], bool] | None = None,
) -> Iterator[tuple[int, EventRow]]:
    """``(line number, event)`` for each event of the log that ``keep`` keeps.

    Lines that are not events are counted in ``tally`` (and the first ones reported there); so
    are the events ``keep`` leaves out. A damaged gzip stream raises FormatError naming the
    line where the damage was met: the caller must not keep what it stored of the file.
    """
    for number, raw in log_lines(stream, label=label):
        tally.lines += 1
        try:
            if raw.__class__ is TooLongLine:
                raise BadLine(f"longer than {MAX_LINE_BYTES:,} bytes")
            row = decode_line(raw)
        except BadLine as error:
            tally.bad_line(number, raw, error)
            continue
        tally.events += 1
        if keep is not None and not keep(row):
            tally.filtered += 1
            continue
        yield number, row


class TooLongLine(bytes):
    """The first bytes of a line longer than MAX_LINE_BYTES, which is not read further."""


def log_lines(stream: BinaryIO, *, label: str) -> Iterator[tuple[int, bytes]]:
    """The log's lines (without line breaks), numbered from 1; a too long one as a TooLongLine."""
    clear = _clear(stream, label=label)
    number = 0
    carry = b""
    skipping = False  # inside a line too long to keep
    while True:
        try:
            chunk = clear.read(CHUNK_BYTES)
        except (OSError, EOFError, zlib.error) as error:
            raise FormatError(
                f"the gzip data is damaged ({error}); none of the file's events were kept",
                file=label,
                line=number + 1,
            ) from None
        if not chunk:
            break
        pieces = chunk.split(b"\n")
        if skipping:  # the rest of a line too long to keep: dropped up to its line break
            if len(pieces) == 1:
                continue
            skipping = False
            del pieces[0]
        else:
            pieces[0] = carry + pieces[0]
        carry = pieces.pop()
        for piece in pieces:
            number += 1
            yield number, piece
        if len(carry) > MAX_LINE_BYTES:
            number += 1
            yield number, TooLongLine(carry[: EXCERPT_BYTES * 2])
            skipping, carry = True, b""
    if carry and not skipping:  # the last line has no line break
        number += 1
        yield number, carry


def _clear(stream: BinaryIO, *, label: str) -> BinaryIO:
    """The stream's text: gunzipped when it starts as gzip does (whatever the file's name says)."""
    head = stream.peek(2)[:2] if hasattr(stream, "peek") else b""
    if head == _GZIP_MAGIC:
        return gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[return-value]
    if not hasattr(stream, "peek"):
        raise PackageError(f"{label}: cannot tell whether it is gzipped (an unbuffered stream)")
    return stream
