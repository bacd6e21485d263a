"""Load an org's e-mail opt-in list into ``edx_schema_emailoptin``, inside the caller's transaction.

The list (``{org}-email_opt_in-prod-analytics.csv``, decoded by :mod:`edx_schema.package.email_opt_in`)
is a weekly snapshot of every enrollment in the org's courses. Its rows are upserted a batch at
a time on their natural key: (org, user_id, course_id), or (org, email, course_id) for the 2016
files, which have no user_id. Rows apply in line order; a row whose values are already there is
counted unchanged and not written, so importing the same list again changes nothing. Keys are
matched as the unique index compares them: course keys ignoring ASCII case, e-mails exactly.

Memory is bounded by one batch. Bad rows fail the file or, with ``--skip-bad-rows``, are
rejected (at most ``--max-errors``); with ``--course`` only the rows of those courses load.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any, BinaryIO

from django.db import connection

from .. import keys
from ..errors import FormatError, InvalidKeyError
from ..models import EmailOptIn
from ..package.email_opt_in import OptIn, OptInReader, org_of
from ..package.names import course_entity
from ..package.source import Member
from .rows import FileFailed, LoadCounts, LoadOptions, Rejected, batches

#: The table the list loads into (edx-schema's own).
OPT_IN_TABLE = EmailOptIn._meta.db_table
#: Org-level members (not of one course): their kind and table. They load after the course tables.
ORG_MEMBERS = {"email_opt_in": OPT_IN_TABLE}
#: Rows per batch: one SELECT of the rows already there, then one INSERT and one UPDATE at most.
BATCH_ROWS = 2_000
#: How many course ids the --course filter remembers the entity of (a list holds a few hundred).
_COURSE_CACHE = 10_000

# The columns written, in order; the key's are first.
OPT_IN_COLUMNS = (
    "org",
    "user_id",
    "email",
    "course_id",
    "username",
    "full_name",
    "is_opted_in_for_email",
    "preference_recorded",
    "preference_set_datetime",
)
# The columns compared with (and written over) a row already there.
_VALUES = OPT_IN_COLUMNS[2:]


def load_email_opt_in(
    *,
    open_stream: Callable[[], AbstractContextManager[BinaryIO]],
    member: Member,
    label: str,
    options: LoadOptions,
    courses: frozenset[str] = frozenset(),
) -> LoadCounts:
    """Load one opt-in list; ``courses`` (entities, ``{Org}-{course}-{run}``) limits it to those courses.

    ``counts.course_id`` stays None for a whole list; for a limited one it names the courses loaded
    (or asked for), so that the import log never takes a part of the list for all of it.
    """
    org = org_of(member.path)
    counts = LoadCounts()
    with open_stream() as stream:
        reader = OptInReader(stream, file=label, tolerant=options.skip_bad_rows)
        if not reader.columns:
            return counts
        rows = _Rows(reader, label=label, options=options, counts=counts, courses=courses)
        with connection.cursor() as cursor:
            for batch in batches(iter(rows), BATCH_ROWS):
                _upsert(cursor, org, batch, counts=counts, legacy=reader.legacy)
    if courses:
        counts.course_id = ", ".join(sorted(rows.loaded_courses or courses))[:255]
        counts.warnings.append(
            f"only the rows of the --course course(s): {rows.left_out:,} row(s) of other courses left out"
            if rows.loaded_courses
            else f"no row is for the --course course(s) ({rows.left_out:,} row(s) of other courses left out)"
        )
    return counts


class _Rows:
    """The list's rows to load, in line order: bad ones rejected (or the file failed), rows of
    courses not asked for left out."""

    def __init__(
        self,
        reader: OptInReader,
        *,
        label: str,
        options: LoadOptions,
        counts: LoadCounts,
        courses: frozenset[str],
    ) -> None:
        self.reader, self.label, self.options, self.counts, self.courses = (
            reader,
            label,
            options,
            counts,
            courses,
        )
        self.left_out = 0
        self.loaded_courses: set[str] = set()
        self._entities: dict[str, str | None] = {}

    def __iter__(self) -> Iterator[OptIn]:
        counts, progress, reader = self.counts, self.options.on_progress, self.reader
        for record in reader.records():
            if record.error is None and self.courses and not self._selected(reader.course_of(record)):
                self.left_out += 1
                continue
            counts.read += 1
            if counts.read % 10_000 == 0:
                progress(counts.read)
            if record.error is not None:
                self._reject(record.error, record.values)
                continue
            try:
                row = reader.convert(record)
            except FormatError as error:
                self._reject(error, record.values)
                continue
            if self.courses:
                self.loaded_courses.add(row.course_id)
            yield row
        progress(counts.read)

    def _selected(self, course_id: str) -> bool:
        """Whether a row of ``course_id`` is of a --course course (a bad key is: it is then rejected)."""
        if course_id not in self._entities:
            if len(self._entities) >= _COURSE_CACHE:
                self._entities.clear()
            try:
                key = keys.course_key(course_id)
            except InvalidKeyError:
                self._entities[course_id] = None
            else:
                self._entities[course_id] = course_entity(org=key.org, course=key.course, run=key.run)
        entity = self._entities[course_id]
        return entity is None or entity in self.courses

    def _reject(self, error: FormatError, values: list[str]) -> None:
        counts, options = self.counts, self.options
        if not options.skip_bad_rows:
            raise FileFailed(str(error))
        counts.rejected += 1
        if counts.rejected > options.max_errors:
            raise FileFailed(
                f"{self.label}: more than {options.max_errors} bad rows (see --max-errors); the last: {error}"
            )
        counts.rejects.append(Rejected.of(error, list(values)))


def opt_in_values(org: str, row: OptIn) -> list[Any]:
    """``row`` as the values of :data:`OPT_IN_COLUMNS`, as the database driver takes and gives them
    (a naive UTC datetime; a boolean, which equals the 0 or 1 MySQL gives back)."""
    when = row.preference_set_datetime
    return [
        org,
        row.user_id,
        row.email,
        row.course_id,
        row.username,
        row.full_name,
        row.is_opted_in_for_email,
        row.preference_recorded,
        None if when is None else dt.datetime.fromisoformat(when),
    ]


def _upsert(cursor, org: str, batch: list[OptIn], *, counts: LoadCounts, legacy: bool) -> None:
    """Insert the batch's new rows and update its changed ones, counting each row once."""
    quote = connection.ops.quote_name
    table = quote(OPT_IN_TABLE)
    marks = ", ".join(["%s"] * len(batch))
    org_id, user_id, email = quote("org"), quote("user_id"), quote("email")
    if legacy:  # keyed by e-mail: the rows without a user_id
        where, keys = f"{user_id} IS NULL AND {email} IN ({marks})", [row.email for row in batch]
    else:
        where, keys = f"{user_id} IN ({marks})", [row.user_id for row in batch]

    def key(user_id: int | None, email: str, course_id: str) -> tuple[Any, str]:
        return (email if legacy else user_id, course_id.lower())

    cursor.execute(
        f"SELECT {quote('id')}, {user_id}, {', '.join(map(quote, _VALUES))} FROM {table} "
        f"WHERE {org_id} = %s AND {where}",
        [org, *keys],
    )
    existing: dict[tuple[Any, str], tuple[int, tuple[Any, ...]]] = {}
    for pk, user, *stored in cursor.fetchall():
        # An e-mail IN (...) also finds other letter cases on MySQL: the key is the exact e-mail.
        existing[key(user, stored[0], stored[1])] = (pk, tuple(stored))
    new: dict[tuple[Any, str], list[Any]] = {}
    changed: dict[int, list[Any]] = {}
    for row in batch:
        values = opt_in_values(org, row)
        wanted = tuple(values[2:])
        row_key = key(row.user_id, row.email, row.course_id)
        if row_key in new:  # the key again, in this batch: the later row wins
            before = tuple(new[row_key][2:])
            new[row_key] = values
        elif row_key in existing:
            pk, before = existing[row_key]
            if before != wanted:
                changed[pk] = list(wanted)
                existing[row_key] = (pk, wanted)
        else:
            new[row_key] = values
            counts.inserted += 1
            continue
        if before == wanted:
            counts.unchanged += 1
        else:
            counts.updated += 1
    if new:
        columns = ", ".join(map(quote, OPT_IN_COLUMNS))
        row_marks = ", ".join(["%s"] * len(OPT_IN_COLUMNS))
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({row_marks})", list(new.values()))
    if changed:
        assignments = ", ".join(f"{quote(c)} = %s" for c in _VALUES)
        cursor.executemany(
            f"UPDATE {table} SET {assignments} WHERE {quote('id')} = %s",
            [[*values, pk] for pk, values in changed.items()],
        )
