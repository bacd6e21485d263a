"""Load one tracking log into ``edx_schema_trackingevent``: each event once, in one transaction.

A file is known by the SHA-256 of its clear bytes (read once before loading, which costs little
next to decoding it): a file already loaded in full is skipped under any name. Events carry no
id, so the event table's unique key is a hash of the normalised line, and every insert skips
the lines already stored: a day the exporter sends again, a partial day completed next week,
an org alias's copy. Lines that are not events are counted and reported; more than
``--max-errors`` of them fail the file, which then loads nothing.

MySQL reads the rows through ``LOAD DATA LOCAL INFILE ... IGNORE`` from a pipe that a thread
fills as it decodes; SQLite inserts them with ``INSERT OR IGNORE`` while a helper process
decodes the next ones, so that both backends use a second CPU.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from django.db import connection
from django.utils import timezone

from ..errors import EdxSchemaError
from ..helper_process import Helper, HelperFailed, Send, can_fork
from ..models import TrackingEvent, TrackingLogFile
from ..package.events import EVENT_COLUMNS, EventRow
from ..package.events.reader import BadLineReport, EventFilter, LogTally, TooManyBadLines, read_events
from ..package.source import Member
from ..package.tsv import encode_load_data_field
from .backends.mysql import _local_infile
from .backends.mysql_pipe import RowPipe
from .rows import FileFailed, LoadCounts, Rejected, batches

EVENTS_TABLE = TrackingEvent._meta.db_table
#: The member kinds loaded here, and their table.
EVENT_MEMBERS = {"events": EVENTS_TABLE}
_COLUMNS = ("file_id", "line", *EVENT_COLUMNS)
#: Rows a SQLite batch (and a helper's message) holds.
_BATCH = 2_000
#: How many bad lines a member's message quotes (all of them go to the rejects file).
QUOTED_BAD_LINES = 3

OpenStream = Callable[[], AbstractContextManager[BinaryIO]]
Keep = Callable[[EventRow], bool] | None


class AlreadyLoaded(EdxSchemaError):
    """The file's bytes were loaded in full before (under this name or another)."""


@dataclass(frozen=True)
class EventLoadOptions:
    """How to load a log: which events, whether again, how many bad lines fail it."""

    filter: EventFilter = field(default_factory=EventFilter)
    force: bool = False
    max_errors: int = 100
    on_progress: Callable[[int], None] = lambda lines: None


def load_event_log(
    *,
    open_stream: OpenStream,
    member: Member,
    package: str,
    label: str,
    options: EventLoadOptions,
) -> LoadCounts:
    """Load one log's events (inside the caller's transaction); AlreadyLoaded if it was loaded."""
    checksum = _checksum(open_stream)
    known = TrackingLogFile.objects.filter(sha256=checksum).first()
    if known is not None and known.complete and not options.force:
        same = known.package == package and known.name == member.path
        where = "" if same else f" as {known.package}/{known.name}"
        raise AlreadyLoaded(
            f"its events were loaded{where} on {known.loaded_at:%Y-%m-%d %H:%M} UTC "
            "(--force loads them again)"
        )
    log_file = known or TrackingLogFile(sha256=checksum)
    log_file.name, log_file.package = member.path[:255], package
    log_file.site, log_file.date = member.name.site or "", member.name.date
    log_file.loaded_at = timezone.now()
    log_file.save()
    if options.force:
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {connection.ops.quote_name(EVENTS_TABLE)} WHERE file_id = %s", [log_file.pk]
            )
    tally = LogTally(max_bad=options.max_errors)
    keep = options.filter.keeper()
    if connection.vendor == "mysql":
        inserted = _load_mysql(open_stream, log_file.pk, tally, keep, label=label, options=options)
    else:
        inserted = _load_sqlite(open_stream, log_file.pk, tally, keep, label=label, options=options)
    sent = tally.events - tally.filtered
    log_file.lines, log_file.events, log_file.bad_lines = tally.lines, tally.events, tally.bad
    log_file.inserted, log_file.duplicates, log_file.filtered = inserted, sent - inserted, tally.filtered
    log_file.complete = log_file.complete or tally.filtered == 0
    log_file.save()
    counts = LoadCounts(read=tally.lines, inserted=inserted, unchanged=sent - inserted, rejected=tally.bad)
    counts.rejects = [_rejected(label, report) for report in tally.reports]
    counts.warnings = _notes(tally, options)
    counts.checksum = checksum
    return counts


def _checksum(open_stream: OpenStream) -> str:
    """The SHA-256 of the file's clear bytes (gzipped or not), read through once."""
    digest = hashlib.sha256()
    with open_stream() as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _rows(
    stream: BinaryIO, tally: LogTally, keep: Keep, *, label: str, options: EventLoadOptions
) -> Iterator[tuple[int, EventRow]]:
    """The events to store; FileFailed as soon as the file has more bad lines than allowed."""
    progress = options.on_progress
    try:
        for count, item in enumerate(read_events(stream, label=label, tally=tally, keep=keep), 1):
            if not count % 50_000:
                progress(tally.lines)
            yield item
    except TooManyBadLines as error:
        raise FileFailed(
            f"{label}: {error} (--max-errors {options.max_errors}); none of its events were kept"
        ) from None
    progress(tally.lines)


# -- MySQL ------------------------------------------------------------------------------------------


def _load_mysql(
    open_stream: OpenStream,
    file_id: int,
    tally: LogTally,
    keep: Keep,
    *,
    label: str,
    options: EventLoadOptions,
) -> int:
    table = connection.ops.quote_name(EVENTS_TABLE)
    columns = ", ".join(connection.ops.quote_name(c) for c in _COLUMNS)
    with connection.cursor() as cursor, open_stream() as stream:
        rows = _rows(stream, tally, keep, label=label, options=options)
        if not _local_infile(cursor):
            return _insert_mysql(cursor, table, columns, file_id, rows)
        # IGNORE: a line already stored (its hash is there) is skipped, not an error.
        with RowPipe(_load_data_text(file_id, rows), label=label) as pipe:
            cursor.execute(
                f"LOAD DATA LOCAL INFILE %s IGNORE INTO TABLE {table} CHARACTER SET utf8mb4 "
                r"FIELDS TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n' "
                f"({columns})",
                [pipe.path],
            )
            inserted = cursor.rowcount
        warnings = connection.connection.warning_count()
        duplicates = tally.events - tally.filtered - inserted
        if warnings > duplicates:  # a warning that is not a skipped duplicate: a value was changed
            cursor.execute("SHOW WARNINGS")
            shown = "; ".join(str(w[2]) for w in cursor.fetchall() if w[1] != 1062)[:300]
            raise FileFailed(f"{label}: the database changed values while loading them: {shown}")
        return inserted


def _load_data_text(file_id: int, rows: Iterator[tuple[int, EventRow]]) -> Iterator[str]:
    encode = encode_load_data_field
    prefix = f"{file_id}\t"
    for number, row in rows:
        yield f"{prefix}{number}\t{chr(9).join(map(encode, row))}\n"


def _insert_mysql(
    cursor, table: str, columns: str, file_id: int, rows: Iterator[tuple[int, EventRow]]
) -> int:
    """Without LOCAL INFILE: multi-row ``INSERT IGNORE`` (mysqlclient batches executemany)."""
    marks = ", ".join(["%s"] * len(_COLUMNS))
    sql = f"INSERT IGNORE INTO {table} ({columns}) VALUES ({marks})"
    inserted = 0
    for batch in batches(((file_id, number, *row) for number, row in rows), _BATCH):
        cursor.executemany(sql, batch)
        inserted += cursor.rowcount
    return inserted


# -- SQLite -----------------------------------------------------------------------------------------


def _load_sqlite(
    open_stream: OpenStream,
    file_id: int,
    tally: LogTally,
    keep: Keep,
    *,
    label: str,
    options: EventLoadOptions,
) -> int:
    table = connection.ops.quote_name(EVENTS_TABLE)
    columns = ", ".join(connection.ops.quote_name(c) for c in _COLUMNS)
    sql = f"INSERT OR IGNORE INTO {table} ({columns}) VALUES ({', '.join(['?'] * len(_COLUMNS))})"
    connection.ensure_connection()
    cursor = connection.connection.cursor()  # the driver's own: Django's wrapper costs per row
    inserted = 0
    try:
        with open_stream() as stream:
            for batch in _sqlite_batches(stream, file_id, tally, keep, label=label, options=options):
                cursor.executemany(sql, batch)
                inserted += cursor.rowcount
    finally:
        cursor.close()
    return inserted


def _sqlite_batches(
    stream: BinaryIO, file_id: int, tally: LogTally, keep: Keep, *, label: str, options: EventLoadOptions
) -> Iterator[list]:
    """Batches of rows: decoded by a helper process while this one inserts (where fork exists)."""
    if not can_fork():
        rows = _rows(stream, tally, keep, label=label, options=options)
        yield from batches(((file_id, number, *row) for number, row in rows), _BATCH)
        return
    work = functools.partial(_decode_in_helper, stream, file_id, keep, label=label, options=options)
    with Helper(work, name="event decoding helper") as helper:
        try:
            for batch, lines in helper.messages():
                options.on_progress(lines)
                yield batch
        except HelperFailed as error:
            raise FileFailed(str(error) if error.expected else f"{label}: {error}") from None
        lines, events, bad, filtered, reports = helper.result
    tally.lines, tally.events, tally.bad, tally.filtered = lines, events, bad, filtered
    tally.reports = [BadLineReport(*report) for report in reports]


def _decode_in_helper(
    stream: BinaryIO, file_id: int, keep: Keep, send: Send, *, label: str, options: EventLoadOptions
) -> tuple[Any, ...]:
    tally = LogTally(max_bad=options.max_errors)
    quiet = EventLoadOptions(max_errors=options.max_errors)
    rows = _rows(stream, tally, keep, label=label, options=quiet)
    for batch in batches(((file_id, number, *row) for number, row in rows), _BATCH):
        send((batch, tally.lines))
    reports = [(r.line, r.reason, r.field, _plain(r.value), r.start) for r in tally.reports]
    return tally.lines, tally.events, tally.bad, tally.filtered, reports


def _plain(value: object) -> object:
    """A reported value marshal can send (a decoded JSON object is shown as its text)."""
    return value if value is None or isinstance(value, str | int | float | bool) else repr(value)[:200]


# -- reporting --------------------------------------------------------------------------------------


def _rejected(label: str, report: BadLineReport) -> Rejected:
    value = report.value if report.value is not None else None
    return Rejected(label, report.line, report.field, _plain(value), report.reason, [report.start])


def _notes(tally: LogTally, options: EventLoadOptions) -> list[str]:
    notes = []
    if tally.bad:
        quoted = "; ".join(
            f"line {r.line}: {r.reason} ({r.start!r})" for r in tally.reports[:QUOTED_BAD_LINES]
        )
        more = f"; and {tally.bad - QUOTED_BAD_LINES:,} more" if tally.bad > QUOTED_BAD_LINES else ""
        notes.append(f"{tally.bad:,} line(s) are not events and were skipped: {quoted}{more}")
    if tally.filtered:
        notes.append(f"{tally.filtered:,} event(s) left out by --course/--since/--until")
    return notes
