"""Load one table member of a package into its table: validate, convert and upsert every row.

The caller holds the transaction; this module reads the member once, as a stream, and writes:

- on MySQL/MariaDB through ``LOAD DATA LOCAL INFILE`` fed from a named pipe that a thread fills
  with validated, normalised rows (the rows go straight into the table when it holds nothing of
  this course yet, else into a temporary table that is merged with one ``INSERT ... ON DUPLICATE
  KEY UPDATE``); servers that refuse ``LOCAL INFILE`` get multi-row inserts instead;
- on SQLite through batched ``executemany`` upserts that leave unchanged rows untouched.

Either way memory is bounded by one batch, never by the file.
"""

from __future__ import annotations

import ctypes
import marshal
import multiprocessing
import os
import queue
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass, field
from typing import Any, BinaryIO, NamedTuple

from django.db import DatabaseError, IntegrityError, connection

from ..errors import EdxSchemaError, FormatError, PackageError
from ..package.source import HashingReader
from ..package.tsv import Record, TsvReader, split_chunks
from .tables import TableSpec, converter, missing_column_value, not_exported_blocks

BATCH_ROWS = 5_000
# Members at least this big are parsed in a helper process on SQLite, in runs of this many bytes.
PARSE_IN_HELPER_BYTES = 32 << 20
CHUNK_BYTES = 2 << 20


class Rejected(NamedTuple):
    """One row that was not loaded, and why (plain values, so it crosses process boundaries)."""

    file: str
    line: int | None
    column: str | None
    value: Any
    reason: str
    values: list[str | None]

    @classmethod
    def of(cls, error: FormatError, values: list[str | None]) -> Rejected:
        return cls(error.file, error.line, error.column, error.value, error.message, values)


@dataclass
class LoadOptions:
    """How bad rows are handled: fail the file (default) or reject up to ``max_errors`` rows."""

    skip_bad_rows: bool = False
    max_errors: int = 100
    on_progress: Callable[[int], None] = lambda rows: None


@dataclass
class LoadCounts:
    """What loading one member did."""

    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    course_id: str | None = None
    unknown_columns: list[str] = field(default_factory=list)
    # At most max_errors rows, so the list stays small; written out once the file is done.
    rejects: list[Rejected] = field(default_factory=list)


class FileFailed(PackageError):
    """The member cannot be loaded; its rows must not land."""


class _Plan:
    """The columns of one file: which header positions feed which columns, converted how."""

    def __init__(self, spec: TableSpec, header: tuple[str, ...], *, label: str) -> None:
        self.spec = spec
        self.label = label
        self.positions: list[int] = []
        self.columns: list[str] = []
        self.converters: list[Callable[[str | None], Any]] = []
        self.unknown: list[str] = []
        seen_columns: set[str] = set()
        for index, name in enumerate(header):
            if name in spec.fields:
                column = spec.fields[name].column
                if column in seen_columns:
                    raise FormatError(
                        f"two header columns both give column {column}", file=label, line=1, column=name
                    )
                seen_columns.add(column)
                self.positions.append(index)
                self.columns.append(column)
                self.converters.append(converter(spec, name, connection))
            elif name not in spec.ignored:
                self.unknown.append(name)
        self.header = header
        for column in spec.key:
            if column not in seen_columns:
                raise self._lacks(column, "it identifies the rows")
        # Columns the file lacks: derived ones, then model defaults (a value the file never had).
        self.derived: list[tuple[str, int, Callable[[Any], Any]]] = []
        for column, (source, function) in spec.derived.items():
            if source not in self.columns:
                raise self._lacks(source, f"{column} is computed from it")
            self.derived.append((column, self.columns.index(source), function))
        self.defaults: list[tuple[str, Any]] = []
        derived_columns = {column for column, _i, _f in self.derived}
        for name, f in spec.fields.items():
            if f.column in seen_columns or f.column in derived_columns or name != f.column:
                continue
            if f.primary_key:
                continue
            try:
                self.defaults.append((f.column, missing_column_value(spec, name, connection)))
            except LookupError as reason:
                raise self._lacks(f.column, str(reason)) from None
        self.file_columns = list(self.columns)
        self.all_columns = self.columns + [c for c, _i, _f in self.derived] + [c for c, _v in self.defaults]
        self.default_values = [v for _c, v in self.defaults]
        self.fk = spec.foreign_keys(self.file_columns)
        self.pairs = list(zip(self.converters, self.positions, strict=True))
        self.identity = self.positions == list(range(len(header)))

    def _lacks(self, column: str, reason: str) -> FormatError:
        """The file-level error for a header without a column the table needs."""
        message = f"the header lacks column {column}, which {self.spec.table} requires ({reason})"
        if self.unknown:
            # Header names are short and printable (the reader checks): they can be shown.
            names = ", ".join(self.unknown[:3]) + (
                f" and {len(self.unknown) - 3} more" if len(self.unknown) > 3 else ""
            )
            message += f"; the header has unknown column(s) {names}"
        return FormatError(message, file=self.label, line=1)

    def convert(self, record: Record) -> list[Any]:
        values = record.values
        try:
            # The hot loop of an import: one comprehension over the used columns.
            if self.identity:
                row = [convert(value) for convert, value in zip(self.converters, values, strict=True)]
            else:
                row = [convert(values[position]) for convert, position in self.pairs]
        except ValueError:
            self._raise_for(record)
            raise
        for _column, index, function in self.derived:
            row.append(function(row[index]))
        if self.default_values:
            row.extend(self.default_values)
        return row

    def _raise_for(self, record: Record) -> None:
        """Convert the record again, column by column, to say which value did not fit."""
        for position, convert in zip(self.positions, self.converters, strict=True):
            try:
                convert(record.values[position])
            except ValueError as error:
                raise FormatError(
                    str(error),
                    file=self.label,
                    line=record.line,
                    column=self.header[position],
                    value=record.values[position],
                ) from None


class _Rows:
    """Iterate converted rows, routing bad ones to rejects (or failing the file)."""

    def __init__(self, reader: TsvReader, plan: _Plan, options: LoadOptions, counts: LoadCounts) -> None:
        self.reader = reader
        self.plan = plan
        self.options = options
        self.counts = counts
        self.course_index = plan.columns.index("course_id") if "course_id" in plan.columns else None
        self.lock = threading.Lock()

    def reject(self, error: FormatError, values: list[str | None]) -> None:
        if not self.options.skip_bad_rows:
            raise FileFailed(str(error))
        with self.lock:  # the reading thread and the writing thread both reject rows
            self.counts.rejected += 1
            if self.counts.rejected > self.options.max_errors:
                raise FileFailed(
                    f"{self.plan.label}: more than {self.options.max_errors} bad rows (see --max-errors); "
                    f"the last: {error}"
                )
            self.counts.rejects.append(Rejected.of(error, values))

    def reject_reference(self, line: int, column: str, value: Any, ref_table: str) -> None:
        """Reject a row whose foreign key points at no row of ``ref_table``."""
        message = f"refers to a row that is not in {ref_table} (load that table first)"
        self.reject(FormatError(message, file=self.plan.label, line=line, column=column, value=value), [])

    def process(self, record: Record) -> list[Any] | None:
        """The converted row, or None if the record was rejected."""
        if record.error is not None:
            self.reject(record.error, record.values)
            return None
        try:
            row = self.plan.convert(record)
        except FormatError as error:
            self.reject(error, record.values)
            return None
        if self.counts.course_id is None and self.course_index is not None:
            self.counts.course_id = row[self.course_index]
        return row

    def add_rejects(self, rejects: list[Rejected]) -> None:
        """Count rows another process rejected, against the same --max-errors."""
        for rejected in rejects:
            error = FormatError(
                rejected.reason,
                file=rejected.file,
                line=rejected.line,
                column=rejected.column,
                value=rejected.value,
            )
            self.reject(error, rejected.values)

    def __iter__(self) -> Iterator[tuple[int, list[Any]]]:
        counts = self.counts
        progress = self.options.on_progress
        process = self.process
        for record in self.reader:
            counts.read += 1
            if counts.read % 10_000 == 0:
                progress(counts.read)
            row = process(record)
            if row is not None:
                yield record.line, row
        progress(counts.read)


def load_member(
    *,
    open_stream: Callable[[], AbstractContextManager[BinaryIO]],
    spec: TableSpec,
    label: str,
    options: LoadOptions,
    size: int = 0,
) -> LoadCounts:
    """Load one member's rows into ``spec.table`` inside the caller's transaction.

    ``size`` (the member's size in bytes, if known) decides whether SQLite parses it in a helper
    process.

    ``open_stream`` opens the member's bytes; it is called again in the rare case where a direct
    MySQL load has to be redone through the staging table.
    """
    if connection.vendor == "mysql":
        try:
            return _load_once(open_stream, spec, label, options, direct=True, size=size)
        except _Retry:
            return _load_once(open_stream, spec, label, options, direct=False, size=size)
    return _load_once(open_stream, spec, label, options, direct=False, size=size)


def _load_once(
    open_stream: Callable[[], AbstractContextManager[BinaryIO]],
    spec: TableSpec,
    label: str,
    options: LoadOptions,
    *,
    direct: bool,
    size: int,
) -> LoadCounts:
    counts = LoadCounts()
    with open_stream() as stream:
        reader = TsvReader(stream, file=label, tolerant=options.skip_bad_rows)
        if not reader.header:
            return counts
        plan = _Plan(spec, reader.header, label=label)
        counts.unknown_columns = plan.unknown
        rows = _Rows(reader, plan, options, counts)
        connection.ensure_connection()
        if connection.vendor == "mysql":
            _MysqlWriter(plan, counts, options, rows).run(direct=direct)
        elif size >= PARSE_IN_HELPER_BYTES and _can_fork():
            _SqliteWriter(plan, counts, options, rows).run(_helper_batches(stream, rows))
        else:
            _SqliteWriter(plan, counts, options, rows).run(_batches(rows))
    return counts


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


# -- parsing in a helper process ------------------------------------------------------------------
#
# SQLite writes in this process, and Python threads cannot parse alongside it (the GIL), so a big
# member is read, decoded and converted in a forked helper process while this one writes. The
# helper sends back converted rows with marshal, the fastest serialisation for plain values, a
# run of about CHUNK_BYTES at a time, so that memory stays bounded.


def _helper_batches(stream: BinaryIO, rows: _Rows) -> Iterator[list[tuple[int, list[Any]]]]:
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    helper = context.Process(
        target=_parse_chunks,
        args=(stream, sender, receiver, rows),
        name="edx-schema parser",
        daemon=True,
    )
    helper.start()
    sender.close()
    # The helper reads the stream from here on (its copy shares the open file); if this process
    # counts and hashes what it reads, it takes over the helper's figures.
    hashing = getattr(stream, "raw", None)
    hashing = hashing if isinstance(hashing, HashingReader) else None
    counts = rows.counts
    try:
        while True:
            try:
                message = marshal.loads(receiver.recv_bytes())
            except EOFError:
                raise FileFailed(
                    f"{rows.plan.label}: the parsing helper process stopped unexpectedly"
                ) from None
            kind = message[0]
            if kind == "rows":
                _kind, batch, read, bytes_read, rejects = message
                counts.read = read
                if hashing is not None:
                    hashing.adopt(bytes_read=bytes_read)
                if rejects:
                    rows.add_rejects([Rejected(*r) for r in rejects])
                rows.options.on_progress(read)
                if batch:
                    yield batch
            elif kind == "error":
                raise FileFailed(message[1])
            else:  # done
                _kind, counts.course_id, bytes_read, hexdigest = message
                if hashing is not None:
                    hashing.adopt(bytes_read=bytes_read, hexdigest=hexdigest)
                return
    finally:
        receiver.close()
        helper.join(timeout=5)
        if helper.is_alive():
            helper.terminate()
            helper.join()


def _parse_chunks(stream: BinaryIO, results: Any, parent_end: Any, rows: _Rows) -> None:
    """The helper process: read runs of records, decode and convert them, send the rows back."""
    # Close the parent's end of the pipe that fork copied here, so that if the parent dies
    # (kill -9) this process gets a broken pipe instead of writing into nowhere.
    parent_end.close()
    _fixed_mmap_threshold()
    counts = rows.counts
    counts.read = counts.rejected = 0
    counts.rejects = []
    reader, process = rows.reader, rows.process
    hashing = getattr(stream, "raw", None)
    try:
        for first_line, chunk in split_chunks(stream, first_line=reader.body_line, size=CHUNK_BYTES):
            batch = []
            for record in reader.chunk_records(chunk, first_line=first_line):
                counts.read += 1
                row = process(record)
                if row is not None:
                    batch.append((record.line, row))
            rejects = [tuple(r) for r in counts.rejects]
            counts.rejects.clear()
            bytes_read = getattr(hashing, "bytes_read", 0)
            results.send_bytes(marshal.dumps(("rows", batch, counts.read, bytes_read, rejects)))
        digest = hashing.hexdigest() if isinstance(hashing, HashingReader) else None
        results.send_bytes(
            marshal.dumps(("done", counts.course_id, getattr(hashing, "bytes_read", 0), digest))
        )
    except (BrokenPipeError, ConnectionResetError):
        return  # the parent is gone
    except EdxSchemaError as error:
        with suppress(OSError):
            results.send_bytes(marshal.dumps(("error", str(error))))
    except Exception as error:  # not the file's fault: still a message, not a traceback
        with suppress(OSError):
            results.send_bytes(
                marshal.dumps(("error", f"{rows.plan.label}: unexpected error while parsing: {error!r}"))
            )


def _fixed_mmap_threshold() -> None:
    """Keep glibc from raising its mmap threshold in the helper process.

    The helper allocates and frees a few large buffers per run of records (the marshalled rows).
    glibc then moves such buffers from mmap into the heap, where, interleaved with small objects,
    they fragment it: the helper grew by about 100 MB per million rows. A fixed threshold keeps
    them in mmap, returned to the system when freed, and memory flat.
    """
    with suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").mallopt(_M_MMAP_THRESHOLD, 128 * 1024)


_M_MMAP_THRESHOLD = -3  # from glibc's malloc.h


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _batches(rows: _Rows) -> Iterator[list[tuple[int, list[Any]]]]:
    batch: list[tuple[int, list[Any]]] = []
    for item in rows:
        batch.append(item)
        if len(batch) >= BATCH_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch


def _prepare_visible_blocks(plan: _Plan, course_ids: set[str]) -> None:
    """Make sure each course's empty block list exists before grades point at it."""
    if "visible_blocks_hash" not in plan.all_columns:
        return
    from ..models import VisibleBlocks

    for course_id in course_ids:
        hashed, json_value = not_exported_blocks(course_id)
        VisibleBlocks.objects.get_or_create(
            hashed=hashed, defaults={"blocks_json": json_value, "course_id": course_id}
        )


class _SqliteWriter:
    def __init__(self, plan: _Plan, counts: LoadCounts, options: LoadOptions, rows: _Rows) -> None:
        self.plan, self.counts, self.options, self.rows = plan, counts, options, rows
        table = _quote(plan.spec.table)
        columns = ", ".join(map(_quote, plan.all_columns))
        marks = ", ".join("?" * len(plan.all_columns))
        key = ", ".join(map(_quote, plan.spec.key))
        update = [c for c in plan.file_columns if c not in plan.spec.key]
        if update:
            assignments = ", ".join(f"{_quote(c)} = excluded.{_quote(c)}" for c in update)
            changed = " OR ".join(f"{table}.{_quote(c)} IS NOT excluded.{_quote(c)}" for c in update)
            action = f"DO UPDATE SET {assignments} WHERE {changed}"
        else:
            action = "DO NOTHING"
        self.sql = f"INSERT INTO {table} ({columns}) VALUES ({marks}) ON CONFLICT ({key}) {action}"
        self.table = table

    def _missing_references(
        self, batch: list[tuple[int, list[Any]]], cursor
    ) -> dict[int, tuple[str, Any, str]]:
        """Rows (by index in the batch) whose enforced foreign keys point at nothing."""
        bad: dict[int, tuple[str, Any, str]] = {}
        for column, ref_table, ref_column in self.plan.fk:
            position = self.plan.all_columns.index(column)
            wanted = {row[position] for _line, row in batch if row[position] is not None}
            if not wanted:
                continue
            found: set[Any] = set()
            ordered = sorted(wanted)
            for start in range(0, len(ordered), 500):
                chunk = ordered[start : start + 500]
                cursor.execute(
                    f"SELECT {_quote(ref_column)} FROM {_quote(ref_table)} "
                    f"WHERE {_quote(ref_column)} IN ({', '.join('?' * len(chunk))})",
                    chunk,
                )
                found.update(value for (value,) in cursor.fetchall())
            for index, (_line, row) in enumerate(batch):
                if row[position] is not None and row[position] not in found and index not in bad:
                    bad[index] = (column, row[position], ref_table)
        return bad

    def run(self, batches: Iterator[list[tuple[int, list[Any]]]]) -> None:
        raw = connection.connection
        cursor = raw.cursor()  # the driver's cursor: Django's per-query wrapping costs too much here
        (before,) = cursor.execute(f"SELECT COUNT(*) FROM {self.table}").fetchone()
        changed = 0
        written = 0
        seen_courses: set[str] = set()
        course_position = (
            self.plan.all_columns.index("course_id") if "course_id" in self.plan.all_columns else None
        )
        for batch in batches:
            bad = self._missing_references(batch, cursor) if self.plan.fk else {}
            for index in sorted(bad, reverse=True):
                line, _row = batch.pop(index)
                self.rows.reject_reference(line, *bad[index])
            if course_position is not None:
                new = {row[course_position] for _line, row in batch} - seen_courses
                if new:
                    _prepare_visible_blocks(self.plan, new)
                    seen_courses |= new
            changes = raw.total_changes  # rows inserted or actually updated by this batch alone
            self._write(cursor, batch)
            changed += raw.total_changes - changes
            written += len(batch)
        (after,) = cursor.execute(f"SELECT COUNT(*) FROM {self.table}").fetchone()
        self.counts.inserted = after - before
        self.counts.updated = changed - self.counts.inserted
        self.counts.unchanged = written - changed

    def _write(self, cursor, batch: list[tuple[int, list[Any]]]) -> None:
        cursor.execute("SAVEPOINT edx_schema_batch")
        try:
            cursor.executemany(self.sql, [row for _line, row in batch])
        except IntegrityError_sqlite as error:
            cursor.execute("ROLLBACK TO SAVEPOINT edx_schema_batch")
            self._write_one_by_one(cursor, batch, error)
        cursor.execute("RELEASE SAVEPOINT edx_schema_batch")

    def _write_one_by_one(self, cursor, batch: list[tuple[int, list[Any]]], error: Exception) -> None:
        """Find the rows that break a constraint (rare): reject them, write the others."""
        for line, row in batch:
            try:
                cursor.execute(self.sql, row)
            except IntegrityError_sqlite as row_error:
                self.rows.reject(
                    FormatError(
                        f"conflicts with a row already in {self.plan.spec.table} ({row_error})",
                        file=self.plan.label,
                        line=line,
                        value=row[0],
                    ),
                    [],
                )


try:  # the driver's own exception class: the raw connection bypasses Django's wrappers
    from sqlite3 import IntegrityError as IntegrityError_sqlite
except ImportError:  # pragma: no cover - Python always has sqlite3
    IntegrityError_sqlite = IntegrityError  # type: ignore[misc,assignment]


def _mysql_text(value: Any) -> str:
    """One value in LOAD DATA's default text format (``\\N`` is NULL)."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        # str.replace runs in C; str.translate with a mapping goes through Python per character.
        if "\\" in value:
            value = value.replace("\\", "\\\\")
        if "\t" in value:
            value = value.replace("\t", "\\t")
        if "\n" in value:
            value = value.replace("\n", "\\n")
        if "\0" in value:
            value = value.replace("\0", "\\0")
        return value
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _local_infile(cursor) -> bool:
    """Whether both this client and the server allow LOAD DATA LOCAL INFILE."""
    settings_dict = connection.settings_dict
    if not settings_dict.get("OPTIONS", {}).get("local_infile"):
        return False
    cursor.execute("SELECT @@GLOBAL.local_infile")
    (enabled,) = cursor.fetchone()
    return bool(int(enabled))


class _Retry(Exception):
    """The direct load found rows of another course; load through the staging table instead."""


class _MysqlWriter:
    def __init__(self, plan: _Plan, counts: LoadCounts, options: LoadOptions, rows: _Rows) -> None:
        self.plan, self.counts, self.options, self.rows = plan, counts, options, rows
        self.table = _quote(plan.spec.table)

    # -- the producer: a thread that validates rows and writes them into the pipe ---------------

    def _produce(
        self, pipe: str, first: queue.Queue, failure: list[BaseException], *, line_column: bool
    ) -> None:
        announced = False
        try:
            rows = iter(self.rows)
            head = next(rows, None)
            first.put(head)
            announced = True
            if head is None:
                return  # header only: nobody will open the pipe's other end
            with open(pipe, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as out:
                write = out.write
                fields = _mysql_text
                for line, row in _chain(head, rows):
                    text = "\t".join(map(fields, row))
                    write(f"{text}\t{line}\n" if line_column else f"{text}\n")
        except BaseException as error:  # handed to the main thread, which re-raises it
            failure.append(error)
            if not announced:
                first.put(None)
            _drain_pipe_writer(pipe)

    def run(self, *, direct: bool) -> None:
        # Loading straight into the table is only safe where nothing can be refused on the way:
        # no enforced foreign keys, and (checked below) no row of this course there yet.
        direct = (
            direct and "course_id" in self.plan.columns and not self.plan.fk and not self.plan.spec.derived
        )
        with connection.cursor() as cursor:
            if _local_infile(cursor):
                self._load(cursor, direct=direct)
            else:
                self._insert(cursor)

    def _insert(self, cursor) -> None:
        """The slower path for servers that refuse LOAD DATA LOCAL: multi-row inserts."""
        cursor.execute("SAVEPOINT edx_schema_member")
        try:
            staging = self._create_staging(cursor)
            marks = ", ".join(["%s"] * (len(self.plan.all_columns) + 1))
            columns = ", ".join(map(_quote, [*self.plan.all_columns, "edx_schema_line"]))
            for batch in _batches(self.rows):
                cursor.executemany(
                    f"INSERT INTO {staging} ({columns}) VALUES ({marks})",
                    [[*row, line] for line, row in batch],
                )
            self._merge(cursor, staging)
        except BaseException:
            cursor.execute("ROLLBACK TO SAVEPOINT edx_schema_member")
            raise
        cursor.execute("RELEASE SAVEPOINT edx_schema_member")

    def _load(self, cursor, *, direct: bool) -> None:
        with tempfile.TemporaryDirectory(prefix="edx-schema-") as folder:
            pipe = os.path.join(folder, "rows")
            os.mkfifo(pipe, 0o600)
            first: queue.Queue = queue.Queue()
            failure: list[BaseException] = []
            producer = threading.Thread(
                target=self._produce,
                args=(pipe, first, failure),
                kwargs={"line_column": not direct},
                name=f"rows of {self.plan.spec.table}",
                daemon=True,
            )
            producer.start()
            try:
                head = first.get()
                if head is None:
                    producer.join()
                    if failure:
                        raise failure[0]
                    return  # header only
                course = self.counts.course_id
                if direct:
                    cursor.execute(f"SELECT 1 FROM {self.table} WHERE course_id = %s LIMIT 1", [course])
                    direct = cursor.fetchone() is None
                cursor.execute("SAVEPOINT edx_schema_member")
                try:
                    if direct:
                        self._direct(cursor, pipe, producer, failure)
                    else:
                        self._staged(cursor, pipe, producer, failure)
                except BaseException:
                    _drain_pipe_reader(pipe)
                    producer.join()
                    cursor.execute("ROLLBACK TO SAVEPOINT edx_schema_member")
                    raise
                cursor.execute("RELEASE SAVEPOINT edx_schema_member")
            finally:
                producer.join()

    def _load_data(self, cursor, pipe: str, table: str, columns: list[str]) -> int:
        names = ", ".join(map(_quote, columns))
        cursor.execute(
            f"LOAD DATA LOCAL INFILE %s INTO TABLE {table} CHARACTER SET utf8mb4 "
            r"FIELDS TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n' "
            f"({names})",
            [pipe],
        )
        return cursor.rowcount

    def _direct(self, cursor, pipe: str, producer: threading.Thread, failure: list[BaseException]) -> None:
        loaded = self._load_data(cursor, pipe, self.table, self.plan.all_columns)
        producer.join()
        if failure:
            raise failure[0]
        expected = self.counts.read - self.counts.rejected
        if loaded != expected or connection.connection.warning_count():
            # Some rows collided with rows already there (another course's ids): merge instead.
            raise _Retry
        self.counts.inserted = loaded

    def _create_staging(self, cursor) -> str:
        staging = _quote(f"edx_schema_staging_{self.plan.spec.table}")
        columns = ", ".join(map(_quote, self.plan.all_columns))
        cursor.execute(f"DROP TEMPORARY TABLE IF EXISTS {staging}")
        # One CREATE TEMPORARY ... SELECT: unlike ALTER TABLE, it does not commit the transaction.
        cursor.execute(
            f"CREATE TEMPORARY TABLE {staging} (edx_schema_line BIGINT NOT NULL DEFAULT 0) "
            f"SELECT {columns} FROM {self.table} LIMIT 0"
        )
        return staging

    def _staged(self, cursor, pipe: str, producer: threading.Thread, failure: list[BaseException]) -> None:
        staging = self._create_staging(cursor)
        self._load_data(cursor, pipe, staging, [*self.plan.all_columns, "edx_schema_line"])
        producer.join()
        if failure:
            raise failure[0]
        self._merge(cursor, staging)

    def _merge(self, cursor, staging: str) -> None:
        """Check references, then upsert the staged rows into the table and count the outcome."""
        plan = self.plan
        columns = ", ".join(map(_quote, plan.all_columns))
        self._check_references(cursor, staging)
        if "visible_blocks_hash" in plan.all_columns:
            cursor.execute(f"SELECT DISTINCT course_id FROM {staging}")
            _prepare_visible_blocks(plan, {course for (course,) in cursor.fetchall()})
        cursor.execute(f"SELECT COUNT(*) FROM {staging}")
        (staged,) = cursor.fetchone()
        join = " AND ".join(f"t.{_quote(c)} = s.{_quote(c)}" for c in plan.spec.key)
        cursor.execute(f"SELECT COUNT(*) FROM {staging} s JOIN {self.table} t ON {join}")
        (existing,) = cursor.fetchone()
        update = [c for c in plan.file_columns if c not in plan.spec.key]
        assignments = ", ".join(f"{_quote(c)} = VALUES({_quote(c)})" for c in update or plan.spec.key[:1])
        cursor.execute(
            f"INSERT INTO {self.table} ({columns}) SELECT {columns} FROM {staging} "
            f"ORDER BY edx_schema_line ON DUPLICATE KEY UPDATE {assignments}"
        )
        affected = cursor.rowcount
        cursor.execute(f"DROP TEMPORARY TABLE {staging}")
        # With CLIENT_FOUND_ROWS (Django's default) a row counts 1 if inserted or unchanged and
        # 2 if updated, so affected - staged is the number of updated rows.
        updated = max(0, affected - staged)
        self.counts.inserted = staged - existing
        self.counts.updated = updated
        self.counts.unchanged = max(0, existing - updated)

    def _check_references(self, cursor, staging: str) -> None:
        for column, ref_table, ref_column in self.plan.fk:
            col, ref = _quote(column), _quote(ref_column)
            orphan = (
                f"FROM {staging} s LEFT JOIN {_quote(ref_table)} r ON r.{ref} = s.{col} "
                f"WHERE s.{col} IS NOT NULL AND r.{ref} IS NULL"
            )
            cursor.execute(
                f"SELECT s.edx_schema_line, s.{_quote(column)} {orphan} ORDER BY s.edx_schema_line LIMIT %s",
                [self.options.max_errors + 1],
            )
            for line, value in cursor.fetchall():
                self.rows.reject_reference(line, column, value, ref_table)
            cursor.execute(f"DELETE s {orphan}")


def _chain(head: Any, rest: Iterator[Any]) -> Iterator[Any]:
    yield head
    yield from rest


def _drain_pipe_writer(pipe: str) -> None:
    """Unblock a reader waiting for the pipe's writer (the producer failed before opening it)."""
    try:
        fd = os.open(pipe, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:
        return
    os.close(fd)


def _drain_pipe_reader(pipe: str) -> None:
    """Unblock a producer waiting for the pipe's reader (the load failed before reading it)."""
    try:
        fd = os.open(pipe, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return
    os.close(fd)


__all__ = ["DatabaseError", "FileFailed", "LoadCounts", "LoadOptions", "Rejected", "load_member"]
