"""Load one tracking log into ``edx_schema_trackingevent``: each event once, in one transaction.

A file is known by the SHA-256 of its clear bytes (read once before loading, which costs little
next to decoding it): a file already loaded in full is skipped under any name. Events carry no
id, so the event table's unique key is a hash of the normalised line, and every insert skips
the lines already stored: a day the exporter sends again, a partial day completed next week,
an org alias's copy. Lines that are not events are counted and reported; more than
``--max-errors`` of them fail the file, which then loads nothing.

Lines are decoded by helper processes (``event_decoding``), one per core, while this process
stores them: MySQL through ``LOAD DATA LOCAL INFILE ... IGNORE`` from a pipe, SQLite with
``INSERT OR IGNORE``.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from django.db import connection
from django.utils import timezone

from ..errors import EdxSchemaError
from ..models import TrackingEvent, TrackingLogFile
from ..package.events import EVENT_COLUMNS, EventRow
from ..package.events.reader import BadLineReport, EventFilter, LogTally
from ..package.source import Member
from .backends.mysql import _local_infile
from .backends.mysql_pipe import RowPipe
from .event_decoding import decoded_runs, decoders_for
from .rows import FileFailed, LoadCounts, Rejected

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
    tally = LogTally(max_bad=options.max_errors)  # the runs' counts are added as they come
    keep = options.filter.keeper()
    load = _load_mysql if connection.vendor == "mysql" else _load_sqlite
    inserted = load(open_stream, log_file.pk, tally, keep, label=label, options=options, size=member.size)
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


def _quoted() -> tuple[str, str]:
    """The event table's name and its columns' list, quoted for this database's SQL."""
    quote = connection.ops.quote_name
    return quote(EVENTS_TABLE), ", ".join(map(quote, _COLUMNS))


# -- MySQL ------------------------------------------------------------------------------------------


def _load_mysql(
    open_stream: OpenStream,
    file_id: int,
    tally: LogTally,
    keep: Keep,
    *,
    label: str,
    options: EventLoadOptions,
    size: int,
) -> int:
    table, columns = _quoted()
    with connection.cursor() as cursor:
        infile = _local_infile(cursor)
        runs = _runs(
            open_stream, file_id, tally, keep, label=label, options=options, size=size, as_text=infile
        )
        if not infile:
            return _insert_mysql(cursor, table, columns, runs)
        # The first run is taken here: the decoding helpers are forked by this thread, not the pipe's.
        first = next(runs, "")
        # IGNORE: a line already stored (its hash is there) is skipped, not an error.
        with RowPipe(itertools.chain((first,), runs), label=label) as pipe:
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


def _insert_mysql(cursor, table: str, columns: str, runs: Iterator[list[tuple]]) -> int:
    """Without LOCAL INFILE: multi-row ``INSERT IGNORE`` (mysqlclient batches executemany)."""
    marks = ", ".join(["%s"] * len(_COLUMNS))
    sql = f"INSERT IGNORE INTO {table} ({columns}) VALUES ({marks})"
    inserted = 0
    for run in runs:
        if run:
            cursor.executemany(sql, run)
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
    size: int,
) -> int:
    table, columns = _quoted()
    sql = f"INSERT OR IGNORE INTO {table} ({columns}) VALUES ({', '.join(['?'] * len(_COLUMNS))})"
    connection.ensure_connection()
    cursor = connection.connection.cursor()  # the driver's own: Django's wrapper costs per row
    inserted = 0
    try:
        for run in _runs(
            open_stream, file_id, tally, keep, label=label, options=options, size=size, as_text=False
        ):
            if run:
                cursor.executemany(sql, run)
                inserted += cursor.rowcount
    finally:
        cursor.close()
    return inserted


def _runs(
    open_stream: OpenStream,
    file_id: int,
    tally: LogTally,
    keep: Keep,
    *,
    label: str,
    options: EventLoadOptions,
    size: int,
    as_text: bool,
) -> Iterator[Any]:
    return decoded_runs(
        open_stream,
        file_id=file_id,
        keep=keep,
        as_text=as_text,
        tally=tally,
        label=label,
        max_errors=options.max_errors,
        decoders=decoders_for(size),
        on_progress=options.on_progress,
    )


# -- reporting --------------------------------------------------------------------------------------


def _rejected(label: str, report: BadLineReport) -> Rejected:
    """A bad line for the rejects file (its value already plain: event_decoding._report)."""
    return Rejected(label, report.line, report.field, report.value, report.reason, [report.start])


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
