"""The reader of a ``.sql`` member: its header, then its records, checked and decoded.

Pure: no Django import.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

from ...errors import FormatError
from .fields import split_fields, split_long
from .records import Unterminated, byte_excerpt, raw_records

_SQL_DUMP_PREFIXES = (b"--", b"/*!", b"CREATE TABLE", b"INSERT INTO", b"DROP TABLE", b"LOCK TABLES")
_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Records longer than this are split and unescaped a window at a time (see fields.split_long).
_LONG_RECORD = 1 << 16
# Column names are identifiers (MySQL allows 64 characters); anything else is not a header.
_MAX_NAME = 64


class Record(NamedTuple):
    """One decoded record: the physical line it starts on, and its values (None for NULL).

    A tolerant reader yields a record it cannot decode with ``values`` empty and ``error`` set.
    """

    line: int
    values: list[str | None]
    error: FormatError | None = None


def _column_at(data: bytes, offset: int, header: tuple[str, ...] | None) -> str | None:
    """The header name of the field that ``data[offset]`` falls in (None for the header itself)."""
    if header is None:
        return None
    index = data.count(b"\t", 0, offset)
    return header[index] if index < len(header) else None


def _decode(data: bytes, *, file: str, line: int, header: tuple[str, ...] | None) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise FormatError(
            f"invalid UTF-8 byte {data[error.start : error.end]!r}",
            file=file,
            line=line,
            column=_column_at(data, error.start, header),
            value=byte_excerpt(data, error.start, error.end),
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
            value=byte_excerpt(data, offset, offset + 1),
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
        self._records = raw_records(stream, file=file)
        try:
            first = next(self._records, None)
        except Unterminated as end:
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
                value=byte_excerpt(data[:8]),
            )
        if data.lstrip().upper().startswith(_SQL_DUMP_PREFIXES):
            raise FormatError(
                "this member is a mysqldump SQL script, not the tab-separated format of a data "
                "package; load it with the mysql client instead",
                file=file,
                line=line,
                value=byte_excerpt(data),
            )
        _refuse_nul(data, file=file, line=line, header=None)
        self.header = _header_names(_decode(data, file=file, line=line, header=None), file=file, line=line)
        self.body_line = line + data.count(b"\n") + 1

    def __iter__(self) -> Iterator[Record]:
        return self._iterate(self._records)

    def records_from(self, stream: BinaryIO, *, first_line: int) -> Iterator[Record]:
        """The records of ``stream``, which starts at a record's start on line ``first_line`` of
        the file this reader read the header of (a piece of a member split by bytes)."""
        return self._iterate(raw_records(stream, file=self.file, first_line=first_line))

    def chunk_records(self, data: bytes, *, first_line: int) -> Iterator[Record]:
        """The records of ``data``, a run of whole records that starts on line ``first_line``.

        Blank lines at the end of a run wait for the next run, as they would in one stream.
        """
        return self._iterate(raw_records(io.BytesIO(data), file=self.file, first_line=first_line))

    def peek_records(self, data: bytes, *, first_line: int) -> Iterator[Record]:
        """As :meth:`chunk_records`, leaving what the reader carries between runs as it was.

        Close the iterator (``contextlib.closing``) when done, to restore it.
        """
        saved = self._blank_first, self._blank_count
        try:
            yield from self.chunk_records(data, first_line=first_line)
        finally:
            self._blank_first, self._blank_count = saved

    @property
    def blank_lines_pending(self) -> bool:
        """Whether the last run ended in blank lines, which are records if more records follow."""
        return self._blank_count > 0

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
        except Unterminated as end:
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
            values, count = split_long(text, len(self.header))
        if count != len(self.header):
            raise FormatError(
                f"expected {len(self.header)} fields as in the header, found {count}",
                file=self.file,
                line=line,
                value=byte_excerpt(data),
            )
        return Record(line, values)
