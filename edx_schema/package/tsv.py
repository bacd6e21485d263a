"""Decoder for the ``.sql`` members of a data package, which are tab-separated text, not SQL.

The format (the research exporter's, the legacy mysql CLI's and the Hadoop studentmodule job's):

- one header row of column names, then one record per line, fields separated by TAB;
- a one-pass backslash unescape: ``\\n`` LF, ``\\t`` TAB, ``\\r`` CR, ``\\0`` NUL, ``\\Z`` SUB,
  ``\\b`` BS, and a backslash before any other character (a raw TAB or LF included) yields
  that character;
- records end only at an *unescaped* LF; a raw CR inside a record is data (the legacy mysql
  client wrote CRs unescaped), but one raw CR right before a record's LF is taken as part of a
  CRLF line break and dropped, so that a file converted to CRLF loads as the LF original (the
  exporter escapes every CR it writes, so no value of its loses a character; only a value of
  the legacy client's that ended in a CR, in the last column, does);
- the bare word ``NULL`` is NULL and an empty field is ``''``;
- UTF-8, with an optional byte-order mark; a raw NUL byte is refused (the exporter writes
  ``\\0`` or drops NULs, so one means a damaged or UTF-16 file).

Pure: it imports nothing from Django, so it is tested directly. It streams: a record may hold at
most :data:`MAX_RECORD_BYTES` bytes, so memory is bounded by that, never by the file, whatever
the input (one endless line, millions of blank lines).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from functools import partial
from typing import BinaryIO, NamedTuple

from ..errors import FormatError

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "Z": "\x1a", "b": "\b"}
# A backslash escape, or a field separator; everything between them is literal text.
_TOKEN = re.compile(r"\\(.)|\t", re.DOTALL)
_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)
# A TAB after an even run of backslashes (none included): a field separator.
_UNESCAPED_TAB = re.compile(r"(?<!\\)(?:\\\\)*\t")
_SQL_DUMP_PREFIXES = (b"--", b"/*!", b"CREATE TABLE", b"INSERT INTO", b"DROP TABLE", b"LOCK TABLES")
_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_BACKSLASH = 0x5C
# An LF after an even run of backslashes (none included): the end of a record.
_UNESCAPED_LF = re.compile(rb"(?<!\\)(?:\\\\)*\n")

#: The most bytes one record (its line break included) may hold. Generous: the studentmodule
#: export skips rows with a field over 4 MiB, which escaping can at most double. It bounds a
#: reader's memory (a record this long, dense in escapes, peaks near 100 MB while decoded).
MAX_RECORD_BYTES = 8 << 20
# Records longer than this are split and unescaped a window at a time (see _split_long).
_LONG_RECORD = 1 << 16
_WINDOW = 1 << 16
# Column names are identifiers (MySQL allows 64 characters); anything else is not a header.
_MAX_NAME = 64


class Record(NamedTuple):
    """One decoded record: the physical line it starts on, and its values (None for NULL).

    A tolerant reader yields a record it cannot decode with ``values`` empty and ``error`` set.
    """

    line: int
    values: list[str | None]
    error: FormatError | None = None


def _unescape(match: re.Match[str]) -> str:
    escaped = match.group(1)
    return _ESCAPES.get(escaped, escaped)


def _unescape_field(field: str) -> str:
    """Undo the escapes of one field that holds no raw TAB.

    Splitting on the escaped backslash pairs the backslashes left to right, exactly as the
    one-pass scan does, and is done in C: JSON state (``\\\\"`` for ``\\"``) needs nothing else.
    """
    chunks = field.split("\\\\")
    for index, chunk in enumerate(chunks):
        if "\\" in chunk:
            chunks[index] = _UNESCAPE.sub(_unescape, chunk)
    return "\\".join(chunks)


def split_fields(text: str) -> list[str | None]:
    """Split one record's text into fields, unescaping in a single pass; ``NULL`` becomes None."""
    if "\\" not in text:
        return [None if field == "NULL" else field for field in text.split("\t")]
    if "\\\t" not in text:
        # No backslash stands before a raw TAB, so every TAB separates fields: split first and
        # unescape only the fields that need it (the common case, and much faster).
        return [
            None if field == "NULL" else _unescape_field(field) if "\\" in field else field
            for field in text.split("\t")
        ]
    fields: list[str | None] = []
    parts: list[str] = []
    raw_null = True  # stays True only while the field's raw text is exactly the bare word NULL
    start = 0
    for match in _TOKEN.finditer(text):
        parts.append(text[start : match.start()])
        escaped = match.group(1)
        if escaped is None:
            field = "".join(parts)
            fields.append(None if raw_null and field == "NULL" else field)
            parts, raw_null = [], True
        else:
            parts.append(_ESCAPES.get(escaped, escaped))
            raw_null = False
        start = match.end()
    parts.append(text[start:])
    field = "".join(parts)
    fields.append(None if raw_null and field == "NULL" else field)
    return fields


def _split_long(text: str, width: int) -> tuple[list[str | None], int]:
    """:func:`split_fields` for a long record, with its field count, in memory near its size.

    Split naively, a record dense in escapes or separators makes millions of small strings (20
    times its size): here the fields are only cut out once their count is known to be ``width``
    (else none is), and each is unescaped a window at a time.
    """
    if "\\\t" not in text:  # every TAB separates fields
        count = text.count("\t") + 1
        fields = text.split("\t") if count == width else []
    else:
        starts, count = [0], 1
        for match in _UNESCAPED_TAB.finditer(text):
            count += 1
            if count <= width:
                starts.append(match.end())
        ends = [start - 1 for start in starts[1:]] + [len(text)]
        fields = [text[a:b] for a, b in zip(starts, ends, strict=True)] if count == width else []
    values: list[str | None] = []
    for index, field in enumerate(fields):
        fields[index] = ""  # free each raw field as soon as its value is made
        values.append(None if field == "NULL" else _unescape_long(field) if "\\" in field else field)
    return values, count


def _unescape_long(field: str) -> str:
    """:func:`_unescape_field` a window at a time, never cutting an escape in two."""
    pieces = []
    start = 0
    while start < len(field):
        end = min(start + _WINDOW, len(field))
        window = field[start:end]
        if (len(window) - len(window.rstrip("\\"))) % 2:  # its last backslash escapes field[end]
            end += 1
            window = field[start:end]
        pieces.append(_unescape_field(window))
        start = end
    return "".join(pieces)


def _backslashes_before(data: bytes, end: int) -> int:
    """How many backslashes stand right before ``data[end]``; counted in C, a slice at a time."""
    count = 0
    while end > 0 and data[end - 1] == _BACKSLASH:
        start = max(0, end - 4096)
        piece = data[start:end]
        run = len(piece) - len(piece.rstrip(b"\\"))
        count += run
        if run < len(piece):
            break
        end = start
    return count


def _ends_with_escape(line: bytes) -> bool:
    """Whether ``line`` (without its LF) ends in an odd run of backslashes, escaping the LF."""
    return (len(line) - len(line.rstrip(b"\\"))) % 2 == 1


def _excerpt(data: bytes, start: int = 0, end: int = 0) -> str:
    """A short piece of ``data`` around ``data[start:end]`` for a message (escaped when shown)."""
    return data[max(0, start - 20) : max(end, start) + 20].decode("utf-8", "backslashreplace")


def _column_at(data: bytes, offset: int, header: tuple[str, ...] | None) -> str | None:
    """The header name of the field that ``data[offset]`` falls in (None for the header itself)."""
    if header is None:
        return None
    index = data.count(b"\t", 0, offset)
    return header[index] if index < len(header) else None


def _too_long(file: str, line: int, start: bytes) -> FormatError:
    return FormatError(
        f"a record longer than {MAX_RECORD_BYTES:,} bytes, the most one record may hold "
        "(is this a data package member?)",
        file=file,
        line=line,
        value=_excerpt(start),
    )


class _Unterminated(Exception):
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


def _raw_records(stream: BinaryIO, *, file: str, first_line: int = 1) -> Iterator[tuple[int, bytes]]:
    """Yield (first physical line number, record bytes without its line break), joining escaped LFs.

    A CR right before the LF that ends a record is dropped with it (a CRLF line break). Raises
    FormatError for a record over :data:`MAX_RECORD_BYTES`, and :class:`_Unterminated` when the
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
                raise _Unterminated(start_line, body)
        if pending:
            pending += body
            yield start_line, bytes(pending)
            pending = bytearray()
        else:
            yield start_line, body
    if pending:
        raise _Unterminated(start_line, bytes(pending[-20:]))


def _decode(data: bytes, *, file: str, line: int, header: tuple[str, ...] | None) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise FormatError(
            f"invalid UTF-8 byte {data[error.start : error.end]!r}",
            file=file,
            line=line,
            column=_column_at(data, error.start, header),
            value=_excerpt(data, error.start, error.end),
        ) from None


def _refuse_nul(data: bytes, *, file: str, line: int, header: tuple[str, ...] | None) -> None:
    offset = data.find(b"\0")
    if offset >= 0:
        raise FormatError(
            "a raw NUL byte, which the exporter never writes (it writes \\0 or drops NULs): "
            "is the file damaged, or UTF-16?",
            file=file,
            line=line,
            column=_column_at(data, offset, header),
            value=_excerpt(data, offset, offset + 1),
        )


def _header_names(text: str, *, file: str, line: int) -> tuple[str, ...]:
    """The header's column names, each a non-empty printable name, none repeated."""
    names = tuple(text.split("\t"))
    seen: set[str] = set()
    for position, name in enumerate(names, 1):
        if not name:
            raise FormatError(
                f"field {position} of the header is empty: every column needs a name", file=file, line=line
            )
        if len(name) > _MAX_NAME or not name.isprintable():
            # Names appear in every later message: only plain ones can be shown as they are.
            raise FormatError(
                f"field {position} of the header is not a column name", file=file, line=line, value=name
            )
        if name in seen:
            raise FormatError("the header names this column twice", file=file, line=line, column=name)
        seen.add(name)
    return names


class TsvReader:
    """Iterate the records of one member; the header is read on construction.

    ``reader.header`` is the tuple of column names (empty for a zero-length member). Iterating
    yields :class:`Record` objects whose width has been checked against the header; a record that
    is too wide, too narrow, not UTF-8 or holds a raw NUL raises FormatError, or with
    ``tolerant=True`` comes back with its ``error`` set, so that the caller can reject it and go
    on. A record over :data:`MAX_RECORD_BYTES` always raises: the file cannot be read further.
    """

    def __init__(self, stream: BinaryIO, *, file: str, tolerant: bool = False) -> None:
        self.file = file
        self.tolerant = tolerant
        self.header: tuple[str, ...] = ()
        self.body_line = 1
        # Blank lines waiting for what follows them, as (first line, count): a count, so that
        # millions of them cost nothing, and kept across chunk_records calls.
        self._blank_first = 0
        self._blank_count = 0
        self._records = _raw_records(stream, file=file)
        try:
            first = next(self._records, None)
        except _Unterminated as end:
            raise end.error(file) from None
        if first is None:
            return
        line, data = first
        if data.startswith(_BOM):
            data = data[len(_BOM) :]
        elif data.startswith(_UTF16_BOMS):
            raise FormatError(
                "the file is UTF-16 (it starts with a UTF-16 byte-order mark); members are UTF-8",
                file=file,
                line=line,
                value=_excerpt(data[:8]),
            )
        if data.lstrip().upper().startswith(_SQL_DUMP_PREFIXES):
            raise FormatError(
                "this member is a mysqldump SQL script, not the tab-separated format of a data "
                "package; load it with the mysql client instead",
                file=file,
                line=line,
                value=_excerpt(data),
            )
        _refuse_nul(data, file=file, line=line, header=None)
        self.header = _header_names(_decode(data, file=file, line=line, header=None), file=file, line=line)
        self.body_line = line + data.count(b"\n") + 1

    def __iter__(self) -> Iterator[Record]:
        return self._iterate(self._records)

    def chunk_records(self, data: bytes, *, first_line: int) -> Iterator[Record]:
        """The records of ``data``, a run of whole records that starts on line ``first_line``.

        Blank lines at the end of a run wait for the next run, as they would in one stream.
        """
        return self._iterate(_raw_records(io.BytesIO(data), file=self.file, first_line=first_line))

    def _iterate(self, records: Iterator[tuple[int, bytes]]) -> Iterator[Record]:
        try:
            for line, data in records:
                if not data:
                    # An empty line is a record (one empty field) unless only empty lines follow.
                    if not self._blank_count:
                        self._blank_first = line
                    self._blank_count += 1
                    continue
                if self._blank_count:
                    yield from self._blank_records()
                yield self._checked(line, data)
        except _Unterminated as end:
            if self._blank_count:
                yield from self._blank_records()
            yield self._failed(end.error(self.file))

    def _blank_records(self) -> Iterator[Record]:
        first, count = self._blank_first, self._blank_count
        self._blank_count = 0
        for line in range(first, first + count):
            yield self._checked(line, b"")

    def _failed(self, error: FormatError) -> Record:
        if not self.tolerant:
            raise error
        return Record(error.line or 0, [], error)

    def _checked(self, line: int, data: bytes) -> Record:
        if not self.tolerant:
            return self._record(line, data)
        try:
            return self._record(line, data)
        except FormatError as error:
            return Record(line, [], error)

    def _record(self, line: int, data: bytes) -> Record:
        if 0 in data:  # memchr; b"\0" in data takes the slow general search
            _refuse_nul(data, file=self.file, line=line, header=self.header)
        text = _decode(data, file=self.file, line=line, header=self.header)
        if len(data) <= _LONG_RECORD:
            values = split_fields(text)
            count = len(values)
        else:
            values, count = _split_long(text, len(self.header))
        if count != len(self.header):
            raise FormatError(
                f"expected {len(self.header)} fields as in the header, found {count}",
                file=self.file,
                line=line,
                value=_excerpt(data),
            )
        return Record(line, values)


def encode_field(value: object, *, null: str = "NULL", nul: str = "") -> str:
    """Write one value as the exporter does: ``NULL`` for None, escaped TAB/LF/CR/backslash.

    Booleans are ``0``/``1`` and NUL characters are dropped (the exporter deletes them). MySQL's
    ``LOAD DATA`` reads the same text with ``null="\\N"`` and ``nul="\\0"``.
    """
    if value is None:
        return null
    if isinstance(value, bool):
        return "1" if value else "0"
    text = value if isinstance(value, str) else str(value)
    # str.replace runs in C; str.translate with a mapping goes through Python per character.
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if "\r" in text:
        text = text.replace("\r", "\\r")
    if "\t" in text:
        text = text.replace("\t", "\\t")
    if "\n" in text:
        text = text.replace("\n", "\\n")
    if "\0" in text:
        text = text.replace("\0", nul)
    return text


def format_record(values: Iterable[object]) -> str:
    """One exporter line, LF included."""
    return "\t".join(map(encode_field, values)) + "\n"


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
