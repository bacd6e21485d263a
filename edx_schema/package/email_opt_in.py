"""The org-level e-mail opt-in list: ``{org}-email_opt_in-prod-analytics.csv``.

The LMS's ``email_opt_in_list`` writes it with ``csv.DictWriter`` (excel dialect): commas, ``"``
quoting only where a value needs it (a quoted value may hold commas, quotes and line breaks),
CRLF line ends. One row per enrollment in the org's courses; the header is written again before
each chunk of courses, so it repeats mid-file (repeats are skipped here). Columns::

    user_id,username,email,full_name,course_id,is_opted_in_for_email,preference_set_datetime

The 2016 command wrote only the last five. A learner with no preference is listed as ``True``
and ``2014-12-01 00:00:00`` (the exporter's defaults, without an offset); a preference the
learner set is its own ``True``/``False`` and the time it was set, printed ``...+00:00``.

Reading is a stream of physical lines, each at most :data:`MAX_RECORD_BYTES` (as is a record
that quoted line breaks spread over several lines), so memory is bounded whatever the input.
Every value is checked against its column (width, course key, flag, datetime); a NUL character
is refused, not dropped: the exporter has no reason to write one (nothing in the LMS's forms
lets a name or an e-mail hold it), so one means a damaged file. Bad bytes are reported where
they are, with their column.

Pure: no Django import.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import BinaryIO, NamedTuple

from ..errors import FormatError, InvalidKeyError, InvalidKeyFormatError, PackageError
from .values import Converter, course_key_parser, datetime_parser, integer_parser, text_parser

#: The columns of the list since 2017, in the exporter's order.
COLUMNS: tuple[str, ...] = (
    "user_id",
    "username",
    "email",
    "full_name",
    "course_id",
    "is_opted_in_for_email",
    "preference_set_datetime",
)
#: The columns of the 2016 list: no user_id, no username.
LEGACY_COLUMNS: tuple[str, ...] = COLUMNS[2:]
#: What the exporter writes for a learner who never set a preference (with ``True``).
DEFAULT_DATETIME = "2014-12-01 00:00:00"
#: The widths of edx_schema_emailoptin's text columns, checked here so every database refuses alike.
WIDTHS = {"org": 255, "username": 150, "email": 254, "full_name": 255, "course_id": 255}
#: The most bytes one record may hold, however many lines it spans: a real one holds a few hundred
#: (its text columns hold 914 characters at most). Below the csv module's own field limit, so that
#: an unclosed quote ends the file here, saying so, not in a cascade of broken records.
MAX_RECORD_BYTES = 1 << 16
_UTC_SUFFIX = "+00:00"
_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_INT_RANGE = (-(2**31), 2**31 - 1)  # auth_user.id, an int(11)
_FLAGS = {"True": True, "False": False}


class OptIn(NamedTuple):
    """One row of the list, its values as the database stores them.

    ``user_id`` and ``username`` are None in the 2016 files. ``preference_set_datetime`` is naive
    UTC text (``YYYY-MM-DD HH:MM:SS[.ffffff]``), or None for the exporter's default.
    """

    line: int
    user_id: int | None
    username: str | None
    email: str
    full_name: str
    course_id: str
    is_opted_in_for_email: bool
    preference_set_datetime: str | None

    @property
    def preference_recorded(self) -> bool:
        """Whether the learner set a preference (else the row holds the exporter's defaults)."""
        return self.preference_set_datetime is not None


class Record(NamedTuple):
    """One CSV record: the physical line it starts on and its fields (empty, with ``error``, when
    a tolerant reader could not read it)."""

    line: int
    values: list[str]
    error: FormatError | None = None


def org_of(path: str) -> str:
    """The org a list is for, from its member name ``{org}-email_opt_in-{site}-analytics.csv``."""
    name = PurePosixPath(path).name.removesuffix(".gpg")
    org, separator, _rest = name.rpartition("-email_opt_in-")
    if not separator or not org:
        raise PackageError(
            f"{path}: the file's name names no org (expected {{org}}-email_opt_in-prod-analytics.csv)"
        )
    if len(org) > WIDTHS["org"]:
        raise PackageError(f"{path}: the org in the file's name is longer than {WIDTHS['org']} characters")
    return org


def _excerpt(text: str, limit: int = 60) -> str:
    """A piece of ``text`` for a message, bad bytes shown as ``\\xff`` escapes."""
    return text[:limit].encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


class _Lines:
    """The stream's physical lines, as text (bad bytes kept as surrogates, found later by column).

    Counts lines, and bytes since the current record began: a record over MAX_RECORD_BYTES
    (an unclosed quote swallowing the rest of the file, say) ends the file with an error.
    """

    def __init__(self, stream: BinaryIO, *, file: str) -> None:
        self.stream, self.file = stream, file
        self.number = 0
        self.record_start = 1
        self.record_bytes = 0
        self.last = ""

    def start_record(self) -> None:
        self.record_start = self.number + 1
        self.record_bytes = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        raw = self.stream.readline(MAX_RECORD_BYTES + 1)
        if not raw:
            raise StopIteration
        self.number += 1
        if self.number == 1:
            if raw.startswith(_BOM):
                raw = raw[len(_BOM) :]
            elif raw.startswith(_UTF16_BOMS):
                raise FormatError(
                    "the file is UTF-16 (it starts with a UTF-16 byte-order mark); the list is UTF-8",
                    file=self.file,
                    line=1,
                    value=_excerpt(raw[:8].decode("utf-8", "surrogateescape")),
                )
        self.record_bytes += len(raw)
        self.last = raw.decode("utf-8", "surrogateescape")
        if self.record_bytes > MAX_RECORD_BYTES:
            raise FormatError(
                f"a record longer than {MAX_RECORD_BYTES:,} bytes, far more than a row of the list "
                "holds (an unclosed quote?)",
                file=self.file,
                line=self.record_start,
                value=_excerpt(self.last),
            )
        return self.last


class OptInReader:
    """The records of one opt-in list; the header is read (and checked) on construction.

    ``reader.columns`` is the header (empty for a zero-length file), :data:`COLUMNS` or
    :data:`LEGACY_COLUMNS` in any order. :meth:`records` yields each record whose fields are
    readable (UTF-8, no NUL, as many as the header); :meth:`convert` turns one into an
    :class:`OptIn`. Either raises FormatError naming file, line, column and value, or, for a
    record that cannot be read and with ``tolerant=True``, :meth:`records` yields it with its
    ``error`` set so that the caller can reject it and go on. Iterating the reader yields the rows.
    """

    def __init__(self, stream: BinaryIO, *, file: str, tolerant: bool = False) -> None:
        self.file = file
        self.tolerant = tolerant
        self._lines = _Lines(stream, file=file)
        self._csv = csv.reader(self._lines, dialect="excel", strict=True)
        self.columns: tuple[str, ...] = ()
        self.legacy = False  # a 2016 list, without user_id and username
        first = self._next()
        while first is not None and not first.values and first.error is None:
            first = self._next()  # blank lines before the header
        if first is None:
            return
        if first.error is not None:
            raise first.error
        names = tuple(first.values)
        if len(set(names)) != len(names) or set(names) not in (set(COLUMNS), set(LEGACY_COLUMNS)):
            raise FormatError(
                f"not the header of an e-mail opt-in list: expected {','.join(COLUMNS)} "
                f"(or, in 2016, {','.join(LEGACY_COLUMNS)})",
                file=file,
                line=first.line,
                value=_excerpt(",".join(names), 200),
            )
        self.columns = names
        self.legacy = len(names) == len(LEGACY_COLUMNS)
        self._course = names.index("course_id")
        # In OptIn's order: each column's place in the record and converter. The 2016 files lack
        # the first two columns (user_id, username), which are None for them.
        self._plan: list[tuple[int, str, Converter]] = [
            (names.index(name), name, _CONVERTERS[name]()) for name in COLUMNS if name in names
        ]
        self._missing: list[None] = [None] * (len(COLUMNS) - len(names))

    def _next(self) -> Record | None:
        """The next CSV record, fields as they are (None at the end)."""
        self._lines.start_record()
        try:
            values = next(self._csv)
        except StopIteration:
            return None
        except csv.Error as error:
            where = self._lines.record_start
            return Record(
                where,
                [],
                FormatError(
                    f"not CSV as the exporter writes it ({error})",
                    file=self.file,
                    line=where,
                    value=_excerpt(self._lines.last),
                ),
            )
        return Record(self._lines.record_start, values)

    def records(self) -> Iterator[Record]:
        """The records after the header, checked for their fields; repeated headers are skipped."""
        if not self.columns:
            return
        header = list(self.columns)
        width = len(header)
        while (record := self._next()) is not None:
            if record.error is None and not record.values:
                continue  # a blank line
            if record.values == header:
                continue  # the header again, before the next chunk of courses
            if record.error is None:
                error = self._field_error(record, width)
                if error is not None:
                    record = Record(record.line, record.values, error)
            if record.error is not None and not self.tolerant:
                raise record.error
            yield record

    def _field_error(self, record: Record, width: int) -> FormatError | None:
        values = record.values
        if len(values) != width:
            what = "another header" if tuple(values) in (COLUMNS, LEGACY_COLUMNS) else "a record"
            return FormatError(
                f"{what} with {len(values)} fields, where the header has {width}",
                file=self.file,
                line=record.line,
                value=_excerpt(",".join(values), 200),
            )
        joined = "".join(values)
        if joined.isascii() and "\0" not in joined:
            return None  # the common case, checked at once
        for name, value in zip(self.columns, values, strict=True):
            problem = None
            if "\0" in value:
                problem = "a NUL character, which the exporter never writes: is the file damaged?"
            elif not value.isascii():
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError as error:
                    bad = value[error.start : error.end].encode("utf-8", "surrogateescape")
                    problem = f"invalid UTF-8 byte {bad!r}"
            if problem is not None:
                return FormatError(
                    problem, file=self.file, line=record.line, column=name, value=_excerpt(value)
                )
        return None

    def course_of(self, record: Record) -> str:
        """The record's course_id field, as written (for choosing rows before converting them)."""
        return record.values[self._course]

    def convert(self, record: Record) -> OptIn:
        """``record`` (one :meth:`records` yielded without an error) as a row; FormatError if a
        value does not fit its column."""
        values = record.values
        try:
            # The hot loop of a load: one comprehension over the columns.
            row = OptIn(
                record.line, *self._missing, *[convert(values[i]) for i, _name, convert in self._plan]
            )
        except ValueError:
            self._raise_for(record)
            raise
        if row.preference_set_datetime is None and not row.is_opted_in_for_email:
            raise FormatError(
                "the exporter's date for a learner with no preference, with False: it writes True with it",
                file=self.file,
                line=record.line,
                column="preference_set_datetime",
                value=values[self.columns.index("preference_set_datetime")],
            )
        return row

    def _raise_for(self, record: Record) -> None:
        """Convert the record again, column by column, to say which value did not fit."""
        for position, name, convert in self._plan:
            text = record.values[position]
            where = {"file": self.file, "line": record.line, "column": name, "value": text}
            try:
                convert(text)
            except InvalidKeyError as error:
                raise InvalidKeyFormatError(str(error), key_type=error.key_type, **where) from None
            except ValueError as error:
                raise FormatError(str(error), **where) from None

    def __iter__(self) -> Iterator[OptIn]:
        for record in self.records():
            if record.error is not None:
                raise record.error
            yield self.convert(record)


def _flag(text: str | None) -> bool:
    try:
        return _FLAGS[text or ""]
    except KeyError:
        raise ValueError("not True or False") from None


def _preference_datetime() -> Converter:
    """``...+00:00`` (a preference set) as naive UTC text, or None for the exporter's default."""
    parse = datetime_parser(nullable=False)

    def convert(text: str | None) -> str | None:
        if text == DEFAULT_DATETIME:
            return None
        if text is None or not text.endswith(_UTC_SUFFIX):
            raise ValueError(
                f"not a datetime in UTC (YYYY-MM-DD HH:MM:SS[.ffffff]{_UTC_SUFFIX}), "
                f"nor the exporter's {DEFAULT_DATETIME} for no preference"
            )
        return parse(text[: -len(_UTC_SUFFIX)])

    return convert


#: A converter maker per column: converters cache keys, so each reader makes its own.
_CONVERTERS = {
    "user_id": lambda: integer_parser(low=_INT_RANGE[0], high=_INT_RANGE[1], nullable=False),
    "username": lambda: text_parser(max_length=WIDTHS["username"], nullable=False),
    "email": lambda: text_parser(max_length=WIDTHS["email"], nullable=False),
    "full_name": lambda: text_parser(max_length=WIDTHS["full_name"], nullable=False),
    "course_id": lambda: course_key_parser(max_length=WIDTHS["course_id"], nullable=False),
    "is_opted_in_for_email": lambda: _flag,
    "preference_set_datetime": _preference_datetime,
}
