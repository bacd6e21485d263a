"""Decoder for the ``.sql`` members of a data package, which are tab-separated text, not SQL.

The format (the research exporter's, the legacy mysql CLI's and the Hadoop studentmodule job's):

- one header row of column names, then one record per line, fields separated by TAB;
- a one-pass backslash unescape: ``\\n`` LF, ``\\t`` TAB, ``\\r`` CR, ``\\0`` NUL, ``\\Z`` SUB,
  ``\\b`` BS, and a backslash before any other character (a raw TAB or LF included) yields
  that character;
- records end only at an *unescaped* LF; a raw CR is data (legacy files have them);
- the bare word ``NULL`` is NULL and an empty field is ``''``;
- UTF-8, with an optional byte-order mark.

Pure: it imports nothing from Django, so it is tested directly. It streams: memory is bounded by
the longest record, never the file.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from typing import BinaryIO, NamedTuple

from ..errors import FormatError

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "Z": "\x1a", "b": "\b"}
# A backslash escape, or a field separator; everything between them is literal text.
_TOKEN = re.compile(r"\\(.)|\t", re.DOTALL)
_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)
_SQL_DUMP_PREFIXES = (b"--", b"/*!", b"CREATE TABLE", b"INSERT INTO", b"DROP TABLE", b"LOCK TABLES")
_BOM = b"\xef\xbb\xbf"


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


def _ends_with_escape(line: bytes) -> bool:
    """Whether ``line`` (without its LF) ends in an odd run of backslashes, escaping the LF."""
    count = len(line) - len(line.rstrip(b"\\"))
    return count % 2 == 1


def _raw_records(stream: BinaryIO, first_line: int = 1) -> Iterator[tuple[int, bytes]]:
    """Yield (first physical line number, record bytes without its LF), joining escaped LFs."""
    line_number = first_line - 1
    pending: list[bytes] = []
    start_line = 1
    # Iterating a binary file splits on LF only, so a raw CR stays inside its record.
    for raw in stream:
        line_number += 1
        if not pending:
            start_line = line_number
        if raw.endswith(b"\n"):
            body = raw[:-1]
            # Cheap test first: only a body ending in a backslash can escape its LF.
            if body.endswith(b"\\") and _ends_with_escape(body):
                pending.append(raw)  # the LF is data: keep it, backslash included
                continue
        else:
            body = raw
        pending.append(body)
        yield start_line, b"".join(pending)
        pending = []
    if pending:
        yield start_line, b"".join(pending)


def _decode(data: bytes, *, file: str, line: int, header: tuple[str, ...] | None) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        column = None
        if header is not None:
            field_index = data[: error.start].count(b"\t")
            column = header[field_index] if field_index < len(header) else None
        bad = data[max(0, error.start - 20) : error.end + 20]
        raise FormatError(
            f"invalid UTF-8 byte {data[error.start : error.end]!r}",
            file=file,
            line=line,
            column=column,
            value=bad.decode("utf-8", "backslashreplace"),
        ) from None


class TsvReader:
    """Iterate the records of one member; the header is read on construction.

    ``reader.header`` is the tuple of column names (empty for a zero-length member). Iterating
    yields :class:`Record` objects whose width has been checked against the header; a record that
    is too wide, too narrow or not UTF-8 raises FormatError, or with ``tolerant=True`` comes back
    with its ``error`` set, so that the caller can reject it and go on.
    """

    def __init__(self, stream: BinaryIO, *, file: str, tolerant: bool = False) -> None:
        self.file = file
        self.tolerant = tolerant
        self.header: tuple[str, ...] = ()
        self.body_line = 1
        self._records = _raw_records(stream)
        first = next(self._records, None)
        if first is None:
            return
        line, data = first
        if data.startswith(_BOM):
            data = data[len(_BOM) :]
        if data.lstrip().upper().startswith(_SQL_DUMP_PREFIXES):
            raise FormatError(
                "this member is a mysqldump SQL script, not the tab-separated format of a data "
                "package; load it with the mysql client instead",
                file=file,
                line=line,
                value=data[:60].decode("utf-8", "replace"),
            )
        text = _decode(data, file=file, line=line, header=None).rstrip("\r")
        names = tuple(text.split("\t"))
        if not all(names) or len(set(names)) != len(names):
            raise FormatError(
                "the header row has empty or repeated column names", file=file, line=line, value=text
            )
        self.header = names
        self.body_line = line + data.count(b"\n") + 1

    def __iter__(self) -> Iterator[Record]:
        return self._iterate(self._records)

    def chunk_records(self, data: bytes, *, first_line: int) -> Iterator[Record]:
        """The records of ``data``, a run of whole records that starts on line ``first_line``."""
        return self._iterate(_raw_records(io.BytesIO(data), first_line))

    def _iterate(self, records: Iterator[tuple[int, bytes]]) -> Iterator[Record]:
        blank_lines: list[int] = []
        for line, data in records:
            if not data:
                # An empty line is a record (one empty field) unless only empty lines follow it.
                blank_lines.append(line)
                continue
            for blank in blank_lines:
                yield self._checked(blank, b"")
            blank_lines = []
            yield self._checked(line, data)

    def _checked(self, line: int, data: bytes) -> Record:
        if not self.tolerant:
            return self._record(line, data)
        try:
            return self._record(line, data)
        except FormatError as error:
            return Record(line, [], error)

    def _record(self, line: int, data: bytes) -> Record:
        values = split_fields(_decode(data, file=self.file, line=line, header=self.header))
        if len(values) != len(self.header):
            raise FormatError(
                f"expected {len(self.header)} fields as in the header, found {len(values)}",
                file=self.file,
                line=line,
                value=data[:80].decode("utf-8", "replace"),
            )
        return Record(line, values)


def encode_field(value: object) -> str:
    """Write one value as the exporter does: ``NULL`` for None, escaped TAB/LF/CR/backslash.

    Booleans are ``0``/``1`` and NUL characters are dropped (the exporter deletes them).
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    text = str(value)
    # str.replace runs in C; str.translate with a mapping goes through Python per character.
    for raw, escaped in _ENCODINGS:
        if raw in text:
            text = text.replace(raw, escaped)
    return text


_ENCODINGS = (("\\", "\\\\"), ("\r", "\\r"), ("\t", "\\t"), ("\n", "\\n"), ("\0", ""))


def format_record(values: Iterable[object]) -> str:
    """One exporter line, LF included."""
    return "\t".join(map(encode_field, values)) + "\n"


def split_chunks(stream: BinaryIO, *, first_line: int, size: int) -> Iterator[tuple[int, bytes]]:
    """Read ``stream`` in runs of whole records of about ``size`` bytes: ``(first line, bytes)``.

    A run ends at an unescaped LF that ends a non-empty record, so that escaped newlines and
    trailing blank lines are never split from what follows them.
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
        cut = _record_boundary(buffer)
        if cut == 0:
            pending = buffer
            continue
        chunk, pending = buffer[:cut], buffer[cut:]
        yield line, chunk
        line += chunk.count(b"\n")


def _record_boundary(buffer: bytes) -> int:
    """The end (after its LF) of the last complete, non-empty record in ``buffer``, or 0."""
    index = buffer.rfind(b"\n")
    while index > 0:
        before = index - 1
        while before >= 0 and buffer[before] == 0x5C:  # count the backslashes before the LF
            before -= 1
        escaped = (index - 1 - before) % 2 == 1
        if not escaped and buffer[index - 1] != 0x0A:
            return index + 1
        index = buffer.rfind(b"\n", 0, index)
    return 0
