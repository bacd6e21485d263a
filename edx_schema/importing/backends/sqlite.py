"""SQLite: batched ``executemany`` upserts that leave unchanged rows untouched.

SQLite lets one connection write at a time and Python threads share one interpreter lock, so a
big member is read, decoded and converted in a forked helper process (``helper_process``) while
this process writes its rows: a run of about CHUNK_BYTES of records at a time, so that memory
stays bounded by a few runs, never by the file.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from sqlite3 import IntegrityError  # the driver's own: the raw connection bypasses Django's wrappers
from typing import Any, BinaryIO

from ...errors import FormatError
from ...helper_process import Helper, HelperFailed, Send, can_fork
from ...package.source import HashingReader
from ...package.tsv import split_chunks
from ..rows import FileFailed, Rejected, Row, RowStream, TableLoad, batches, chunks, member_error
from ..unique import conflict, holder, unique_indexes
from . import Backend, UniqueIndexes
from .sqlite_folds import SqliteFolds

#: Members at least this big are parsed in a helper process, in runs of CHUNK_BYTES.
PARSE_IN_HELPER_BYTES = 32 << 20
CHUNK_BYTES = 2 << 20


class SqliteBackend(Backend):
    vendor = "sqlite"
    single_writer = True

    def load(self, job: TableLoad) -> None:
        if job.size >= PARSE_IN_HELPER_BYTES and can_fork():
            rows = parsed_in_helper(job.stream, job.rows)
        else:
            rows = batches(iter(job.rows))
        _Writer(self, job).run(rows)

    def unique_indexes(self, table: str) -> UniqueIndexes:
        return _unique_indexes(self.connection.alias, table)


BACKEND = SqliteBackend


@functools.cache
def _unique_indexes(alias: str, table: str) -> UniqueIndexes:
    """``(columns, fold)`` of each unique index of ``table`` but its primary key (the schema is fixed).

    ``fold``: a text column compared case-sensitively (SQLite's BINARY collation), which MySQL
    compares ignoring case.
    """
    from django.db import connections

    connection = connections[alias]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA table_info({quote(table)})")
        text = {name for _cid, name, kind, *_rest in cursor.fetchall() if _text_affinity(kind)}
        cursor.execute(f"PRAGMA index_list({quote(table)})")
        names = sorted(
            name
            for _seq, name, unique, origin, partial in cursor.fetchall()
            if unique and origin != "pk" and not partial
        )
        found = []
        for name in names:
            cursor.execute(f"PRAGMA index_xinfo({quote(name)})")
            columns = [
                (column, collation) for _n, _cid, column, _desc, collation, key in cursor.fetchall() if key
            ]
            if all(column is not None for column, _collation in columns):  # not an expression index
                fold = any(c in text and collation.upper() == "BINARY" for c, collation in columns)
                found.append((tuple(c for c, _collation in columns), fold))
        return tuple(found)


def _text_affinity(declared: str) -> bool:
    """Whether SQLite gives a column of this declared type TEXT affinity (its documented rules)."""
    declared = declared.upper()
    return "INT" not in declared and any(word in declared for word in ("CHAR", "CLOB", "TEXT"))


class _Writer:
    """Writes one member's batches, counting what they inserted, changed and left unchanged."""

    def __init__(self, backend: SqliteBackend, job: TableLoad) -> None:
        self.backend, self.plan, self.counts, self.rows = backend, job.plan, job.counts, job.rows
        plan = self.plan
        self.table = backend.quote(plan.spec.table)
        self.sql = backend.upsert_sql(
            plan.spec.table,
            plan.all_columns,
            key=plan.spec.key,
            update=[c for c in plan.file_columns if c not in plan.spec.key],
            mark="?",
            only_changed=True,
        )

    def run(self, batches: Iterator[list[Row]]) -> None:
        raw = self.backend.connection.connection
        cursor = raw.cursor()  # the driver's cursor: Django's per-query wrapping costs too much here
        self.unique = unique_indexes(self.plan, self.backend.unique_indexes(self.plan.spec.table))
        with SqliteFolds.enforced(raw, self.plan, self.unique) as self.copies:
            self._run(cursor, batches)

    def _run(self, cursor, batches: Iterator[list[Row]]) -> None:
        # SQLite lets one connection write at a time: nothing else commits between these counts.
        (before,) = cursor.execute(f"SELECT COUNT(*) FROM {self.table}").fetchone()
        changed = written = 0
        seen_courses: set[str] = set()
        columns = self.plan.all_columns
        course_position = columns.index("course_id") if "course_id" in columns else None
        for batch in batches:
            bad = self._missing_references(batch, cursor) if self.plan.fk else {}
            for index in sorted(bad, reverse=True):
                line, _row = batch.pop(index)
                self.rows.reject_reference(line, *bad[index])
            if course_position is not None:
                new = {row[course_position] for _line, row in batch} - seen_courses
                if new:
                    self.plan.prepare_courses(new)
                    seen_courses |= new
            batch_changed, batch_written = self._write(cursor, batch)
            changed += batch_changed
            written += batch_written
        (after,) = cursor.execute(f"SELECT COUNT(*) FROM {self.table}").fetchone()
        self.counts.inserted = after - before
        self.counts.updated = changed - self.counts.inserted
        self.counts.unchanged = written - changed

    def _missing_references(self, batch: list[Row], cursor) -> dict[int, tuple[str, Any, str]]:
        """Rows (by index in the batch) whose enforced foreign keys point at nothing."""
        quote = self.backend.quote
        bad: dict[int, tuple[str, Any, str]] = {}
        for column, ref_table, ref_column in self.plan.fk:
            position = self.plan.all_columns.index(column)
            wanted = {row[position] for _line, row in batch if row[position] is not None}
            if not wanted:
                continue
            found: set[Any] = set()
            for chunk in chunks(sorted(wanted)):
                cursor.execute(
                    f"SELECT {quote(ref_column)} FROM {quote(ref_table)} "
                    f"WHERE {quote(ref_column)} IN ({', '.join('?' * len(chunk))})",
                    chunk,
                )
                found.update(value for (value,) in cursor.fetchall())
            for index, (_line, row) in enumerate(batch):
                if row[position] is not None and row[position] not in found and index not in bad:
                    bad[index] = (column, row[position], ref_table)
        return bad

    def _write(self, cursor, batch: list[Row]) -> tuple[int, int]:
        """Write the batch; return how many rows it inserted or changed, and how many it stored."""
        cursor.execute("SAVEPOINT edx_schema_batch")
        try:
            cursor.executemany(self.sql, [row for _line, row in batch])
            # The statements' own changes (rows inserted or actually updated), not the triggers'.
            changes, written = cursor.rowcount, len(batch)
        except IntegrityError:
            cursor.execute("ROLLBACK TO SAVEPOINT edx_schema_batch")
            changes, written = self._write_one_by_one(cursor, batch)
        cursor.execute("RELEASE SAVEPOINT edx_schema_batch")
        return changes, written

    def _write_one_by_one(self, cursor, batch: list[Row]) -> tuple[int, int]:
        """Find the rows that break a constraint (rare): reject them, write the others, in order."""
        changes = written = 0
        for line, row in batch:
            try:
                cursor.execute(self.sql, row)
            except IntegrityError as row_error:
                found = holder(
                    cursor,
                    self.plan,
                    self.unique,
                    row,
                    mark="?",
                    table_of=lambda u: self.copies.get(u) or self.table,
                )
                if found is not None:
                    error = conflict(self.plan, line, row, *found)
                else:
                    error = FormatError(
                        f"conflicts with a row already in {self.plan.spec.table} ({row_error})",
                        file=self.plan.label,
                        line=line,
                        value=row[0],
                    )
                self.rows.reject(error, [])
            else:
                changes += cursor.rowcount
                written += 1
        return changes, written


def parsed_in_helper(stream: BinaryIO, rows: RowStream) -> Iterator[list[Row]]:
    """Batches of ``rows``, read, decoded and converted from ``stream`` by a helper process.

    The helper reads the stream from here on (its copy shares the open file); if this process
    counts and hashes what it reads, it takes over the helper's figures.
    """
    hashing = getattr(stream, "raw", None)
    hashing = hashing if isinstance(hashing, HashingReader) else None
    counts = rows.counts
    label = rows.plan.label
    with Helper(functools.partial(_parse, stream, rows), name="parsing helper") as helper:
        try:
            for batch, read, bytes_read, rejects in helper.messages():
                counts.read = read
                if hashing is not None:
                    hashing.adopt(bytes_read=bytes_read)
                if rejects:
                    rows.add_rejects([Rejected(*r) for r in rejects])
                rows.options.on_progress(read)
                if batch:
                    yield batch
        except HelperFailed as error:
            raise FileFailed(str(error) if error.expected else f"{label}: {error}") from None
        counts.course_id, bytes_read, hexdigest = helper.result
        if hashing is not None:
            hashing.adopt(bytes_read=bytes_read, hexdigest=hexdigest)


def _parse(stream: BinaryIO, rows: RowStream, send: Send) -> tuple[str | None, int, str | None]:
    """The helper's work: send runs of converted rows; return the course, bytes read and hash."""
    counts = rows.counts
    counts.read = counts.rejected = 0
    counts.rejects = []
    reader = rows.reader
    hashing = getattr(stream, "raw", None)
    try:
        for first_line, chunk in split_chunks(stream, first_line=reader.body_line, size=CHUNK_BYTES):
            batch = list(rows.run_rows(chunk, first_line=first_line))
            rejects = [tuple(r) for r in counts.rejects]
            counts.rejects.clear()
            send((batch, counts.read, getattr(hashing, "bytes_read", 0), rejects))
    except (BrokenPipeError, ConnectionResetError):
        raise
    except Exception as error:
        raise member_error(error, rows.plan.label, "preparing the rows") from None
    digest = hashing.hexdigest() if isinstance(hashing, HashingReader) else None
    return counts.course_id, getattr(hashing, "bytes_read", 0), digest
