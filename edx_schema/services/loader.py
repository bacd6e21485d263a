"""Load one table member of a package into its table: validate, convert and upsert every row.

The caller holds the transaction; this module reads the member once, as a stream, and writes:

- on MySQL/MariaDB through ``LOAD DATA LOCAL INFILE`` fed from an anonymous pipe that a thread
  fills with validated, normalised rows (the rows go straight into the table when it holds
  nothing of this course yet, else into a temporary table that is merged with an ``INSERT IGNORE``
  of the new keys and an ``INSERT ... ON DUPLICATE KEY UPDATE``); servers that refuse ``LOCAL
  INFILE`` get multi-row inserts instead;
- on SQLite through batched ``executemany`` upserts that leave unchanged rows untouched.

Either way rows are upserted on the table's key only, and a row that would take another row's
value of another unique index is a row error (see "unique indexes other than the key" below).
Memory is bounded by one batch, never by the file.
"""

from __future__ import annotations

import ctypes
import functools
import marshal
import multiprocessing
import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
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
            message = marshal.loads(_receive(receiver, helper, rows.plan.label))
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
                marshal.dumps(("error", str(_member_error(error, rows.plan.label, "preparing the rows"))))
            )


def _receive(receiver: Any, helper: Any, label: str) -> bytes:
    """The helper's next message; FileFailed once it has stopped without sending one.

    Its end of the pipe closes when it exits (or is killed), which ends a wait here; its exit
    code is checked as well, in case another process inherited that end and keeps it open.
    """
    while not receiver.poll(1.0):
        if helper.exitcode is not None and not receiver.poll(0):
            break
    else:
        try:
            return receiver.recv_bytes()
        except (EOFError, OSError):  # gone, or gone in the middle of a message
            helper.join(timeout=5)
    raise FileFailed(
        f"{label}: the parsing helper process stopped unexpectedly (exit code {helper.exitcode})"
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


# -- unique indexes other than the key ------------------------------------------------------------
#
# Rows are upserted on the table's key (its primary key, or the documented natural key) and on
# nothing else. Rows apply in line order, and a row is refused, as a row error, if at its turn
# another row (of another key) already holds its values of another unique index: auth_user's
# username or email, a studentitem's course, student and item. Both databases decide this the
# same way, comparing values as MySQL's case-insensitive collations do; on SQLite, whose plain
# text columns are case-sensitive, a temporary NOCASE copy of such an index stands in for it
# (see _SqliteFolds; NOCASE folds ASCII letters only, MySQL's collations fold accents too).


@dataclass(frozen=True)
class _Unique:
    """A unique index of the table other than its key, all of whose columns the file fills."""

    columns: tuple[str, ...]
    positions: tuple[int, ...]  # in _Plan.all_columns
    fold: bool  # SQLite: case-sensitive there, so enforced through a NOCASE copy too


def _unique_indexes(plan: _Plan) -> list[_Unique]:
    """The table's other unique indexes that rows of this file can collide on, in a fixed order."""
    key = set(plan.spec.key)
    found = []
    for columns, fold in _table_unique_indexes(connection.vendor, plan.spec.table):
        if set(columns) == key or not set(columns) <= set(plan.all_columns):
            continue
        positions = tuple(plan.all_columns.index(c) for c in columns)
        found.append(_Unique(columns, positions, fold and not key & set(columns)))
    return sorted(found, key=lambda u: u.columns)


@functools.cache
def _table_unique_indexes(vendor: str, table: str) -> tuple[tuple[tuple[str, ...], bool], ...]:
    """``(columns, fold)`` of each unique index of ``table`` but its primary key (the schema is fixed)."""
    with connection.cursor() as cursor:
        if vendor != "sqlite":
            constraints = connection.introspection.get_constraints(cursor, table)
            return tuple(
                (tuple(c["columns"]), False)
                for _name, c in sorted(constraints.items())
                if c["unique"] and not c["primary_key"] and c["columns"]
            )
        cursor.execute(f"PRAGMA table_info({_quote(table)})")
        text = {name for _cid, name, kind, *_rest in cursor.fetchall() if _text_affinity(kind)}
        cursor.execute(f"PRAGMA index_list({_quote(table)})")
        names = sorted(
            name
            for _seq, name, unique, origin, partial in cursor.fetchall()
            if unique and origin != "pk" and not partial
        )
        found = []
        for name in names:
            cursor.execute(f"PRAGMA index_xinfo({_quote(name)})")
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


def _holder(
    cursor,
    plan: _Plan,
    unique: list[_Unique],
    row: list[Any],
    *,
    mark: str,
    table_of: Callable[[_Unique], str],
) -> tuple[_Unique, tuple[Any, ...]] | None:
    """The first unique index whose values in ``row`` a row of another key holds, with that row's key."""
    key = plan.spec.key
    key_values = [row[plan.all_columns.index(k)] for k in key]
    other = " OR ".join(f"{_quote(k)} <> {mark}" for k in key)
    for u in unique:
        values = [row[p] for p in u.positions]
        if any(value is None for value in values):
            continue  # NULLs never collide
        same = " AND ".join(f"{_quote(c)} = {mark}" for c in u.columns)
        cursor.execute(
            f"SELECT {', '.join(map(_quote, key))} FROM {table_of(u)} WHERE {same} AND ({other}) LIMIT 1",
            [*values, *key_values],
        )
        found = cursor.fetchone()
        if found is not None:
            return u, tuple(found)
    return None


def _conflict(
    plan: _Plan, line: int, row: list[Any], unique: _Unique, holder: tuple[Any, ...]
) -> FormatError:
    """The row error for a row whose values of ``unique`` the row with key ``holder`` holds."""
    header = dict(zip(plan.columns, (plan.header[p] for p in plan.positions), strict=True))
    names = [header.get(c, c) for c in unique.columns]
    values = tuple(row[p] for p in unique.positions)
    other = ", ".join(f"{k} {v}" for k, v in zip(plan.spec.key, holder, strict=True))
    return FormatError(
        f"another row of {plan.spec.table} ({other}) already has this {' and '.join(names)} "
        "(unique, whatever the letter case)",
        file=plan.label,
        line=line,
        column=", ".join(names),
        value=values[0] if len(values) == 1 else values,
    )


class _SqliteFolds:
    """Temporary NOCASE copies of the SQLite unique indexes that MySQL enforces case-insensitively.

    A copy holds each row's key and the index's columns, declared ``COLLATE NOCASE`` and unique,
    and temporary triggers copy every write to the table into it while a load runs: a write
    whose values collide with another row's, ignoring case, then fails as it would on MySQL.
    Copies live in the connection's temporary schema (and roll back with its transaction), so
    they are built once per connection and table, and built again if the table changed since:
    outside a load, the triggers only mark the copy stale (they never refuse a write then), and
    another connection's commits show in ``PRAGMA data_version``.
    """

    STATE = "edx_schema_fold_state"

    @classmethod
    @contextmanager
    def enforced(cls, raw, plan: _Plan, unique: list[_Unique]) -> Iterator[dict[_Unique, str]]:
        """While the block runs, the copy of each folded index of ``unique`` (by quoted name)."""
        names = {u: f"edx_schema_fold_{plan.spec.table}__{'__'.join(u.columns)}" for u in unique if u.fold}
        if not names:
            yield {}
            return
        cursor = raw.cursor()
        state = _quote(cls.STATE)
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {state} "
            "(name TEXT PRIMARY KEY, version INTEGER, loading INTEGER NOT NULL, stale INTEGER NOT NULL)"
        )
        (version,) = cursor.execute("PRAGMA data_version").fetchone()
        for u, name in names.items():
            current = cursor.execute(f"SELECT version, stale FROM {state} WHERE name = ?", [name]).fetchone()
            parts = [name, *(f"{name}_{event}" for event in ("insert", "update", "delete"))]
            marks = ", ".join("?" * len(parts))
            (present,) = cursor.execute(
                f"SELECT COUNT(*) FROM sqlite_temp_master WHERE name IN ({marks})", parts
            ).fetchone()
            if current != (version, 0) or present != len(parts):
                cls._build(cursor, plan.spec.table, plan.spec.key, u.columns, name)
                cursor.execute(f"INSERT OR REPLACE INTO {state} VALUES (?, ?, 0, 0)", [name, version])
        cursor.execute(
            f"UPDATE {state} SET loading = 1 WHERE name IN ({', '.join('?' * len(names))})", [*names.values()]
        )
        try:
            yield {u: _quote(name) for u, name in names.items()}
        finally:
            with suppress(Exception):  # a broken connection: the load's own error says so
                cursor.execute(f"UPDATE {state} SET loading = 0")

    @classmethod
    def _build(cls, cursor, table: str, key: tuple[str, ...], columns: tuple[str, ...], name: str) -> None:
        q = _quote
        copy, both = q(name), [*key, *columns]
        for event in ("insert", "update", "delete"):
            cursor.execute(f"DROP TRIGGER IF EXISTS temp.{q(f'{name}_{event}')}")
        cursor.execute(f"DROP TABLE IF EXISTS temp.{copy}")
        definitions = [*map(q, key), *(f"{q(c)} COLLATE NOCASE" for c in columns)]
        cursor.execute(
            f"CREATE TEMP TABLE {copy} ({', '.join(definitions)}, "
            f"PRIMARY KEY ({', '.join(map(q, key))}), UNIQUE ({', '.join(map(q, columns))}))"
        )
        names = ", ".join(map(q, both))
        # OR IGNORE: rows that collided before edx-schema checked this keep loading; only new
        # collisions are refused.
        cursor.execute(f"INSERT OR IGNORE INTO temp.{copy} ({names}) SELECT {names} FROM main.{q(table)}")
        loading = f"(SELECT loading FROM {q(cls.STATE)} WHERE name = '{name}')"
        stale = f"UPDATE {q(cls.STATE)} SET stale = 1 WHERE name = '{name}' AND NOT loading"
        new = ", ".join(f"NEW.{q(c)}" for c in both)
        old_key = " AND ".join(f"{q(k)} = OLD.{q(k)}" for k in key)
        assignments = ", ".join(f"{q(c)} = NEW.{q(c)}" for c in both)
        for event, on, action in (
            ("insert", "INSERT", f"INSERT INTO {copy} ({names}) SELECT {new} WHERE {loading}"),
            (
                "update",
                f"UPDATE OF {names}",
                f"UPDATE {copy} SET {assignments} WHERE {old_key} AND {loading}",
            ),
            ("delete", "DELETE", f"DELETE FROM {copy} WHERE {old_key} AND {loading}"),
        ):
            cursor.execute(
                f"CREATE TEMP TRIGGER {q(f'{name}_{event}')} AFTER {on} ON main.{q(table)} "
                f"BEGIN {action}; {stale}; END"
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
        self.unique = _unique_indexes(self.plan)
        with _SqliteFolds.enforced(raw, self.plan, self.unique) as self.copies:
            self._run(cursor, batches)

    def _run(self, cursor, batches: Iterator[list[tuple[int, list[Any]]]]) -> None:
        # SQLite lets one connection write at a time: nothing else commits between these counts.
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
            batch_changed, batch_written = self._write(cursor, batch)
            changed += batch_changed
            written += batch_written
        (after,) = cursor.execute(f"SELECT COUNT(*) FROM {self.table}").fetchone()
        self.counts.inserted = after - before
        self.counts.updated = changed - self.counts.inserted
        self.counts.unchanged = written - changed

    def _write(self, cursor, batch: list[tuple[int, list[Any]]]) -> tuple[int, int]:
        """Write the batch; return how many rows it inserted or changed, and how many it stored."""
        cursor.execute("SAVEPOINT edx_schema_batch")
        try:
            cursor.executemany(self.sql, [row for _line, row in batch])
            # The statements' own changes (rows inserted or actually updated), not the triggers'.
            changes, written = cursor.rowcount, len(batch)
        except IntegrityError_sqlite:
            cursor.execute("ROLLBACK TO SAVEPOINT edx_schema_batch")
            changes, written = self._write_one_by_one(cursor, batch)
        cursor.execute("RELEASE SAVEPOINT edx_schema_batch")
        return changes, written

    def _write_one_by_one(self, cursor, batch: list[tuple[int, list[Any]]]) -> tuple[int, int]:
        """Find the rows that break a constraint (rare): reject them, write the others, in order."""
        changes = written = 0
        for line, row in batch:
            try:
                cursor.execute(self.sql, row)
            except IntegrityError_sqlite as row_error:
                conflict = _holder(
                    cursor,
                    self.plan,
                    self.unique,
                    row,
                    mark="?",
                    table_of=lambda u: self.copies.get(u) or self.table,
                )
                if conflict is not None:
                    error = _conflict(self.plan, line, row, *conflict)
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


# Where a process sees its open files by number (macOS and most Linux systems have /dev/fd).
_FD_FOLDER = "/dev/fd" if os.path.isdir("/dev/fd") else "/proc/self/fd"


class _RowPipe:
    """An anonymous pipe that a thread fills with rows in LOAD DATA's text format.

    ``LOAD DATA LOCAL INFILE`` reads it as ``/dev/fd/N``: the client library runs in this process
    and opens its own descriptor of the pipe, so nothing is created on disk and a killed import
    leaves nothing behind. The thread closes its end however it stops, so LOAD DATA always sees the
    end of the rows; leaving the ``with`` closes the read end, so a thread still writing (the load
    failed) gets a broken pipe instead of waiting for a reader, and is always joined. A thread that
    failed or stopped early fails the member: LOAD DATA has then loaded a part of the rows only.
    """

    def __init__(self, rows: Iterator[tuple[int, list[Any]]], *, label: str, line_column: bool) -> None:
        self.label = label
        self.read_fd, self.write_fd = os.pipe()
        self.path = f"{_FD_FOLDER}/{self.read_fd}"
        self.failure: BaseException | None = None
        self.finished = False
        self.thread = threading.Thread(
            target=self._fill, args=(rows, line_column), name=f"rows of {label}", daemon=True
        )

    def __enter__(self) -> _RowPipe:
        try:
            self.thread.start()
        except BaseException:
            os.close(self.read_fd)
            os.close(self.write_fd)
            raise
        return self

    def _fill(self, rows: Iterator[tuple[int, list[Any]]], line_column: bool) -> None:
        out = None
        try:
            out = open(self.write_fd, "w", encoding="utf-8", newline="\n", buffering=1 << 20)  # noqa: SIM115
            write = out.write
            fields = _mysql_text
            for line, row in rows:
                text = "\t".join(map(fields, row))
                write(f"{text}\t{line}\n" if line_column else f"{text}\n")
            out.close()  # flushes: a reader that went away shows here
            self.finished = True
        except BaseException as error:  # the main thread raises it once LOAD DATA has returned
            self.failure = error
        finally:
            with suppress(Exception):
                if out is None:
                    os.close(self.write_fd)
                else:
                    out.close()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        with suppress(OSError):
            os.close(self.read_fd)
        self.thread.join()
        failure = self.failure
        # A broken pipe is the load's doing (it stopped reading): the load's own error says why.
        if failure is not None and not isinstance(failure, BrokenPipeError):
            raise _member_error(failure, self.label, "preparing the rows") from failure
        if exc_type is None and not self.finished:
            raise FileFailed(f"{self.label}: the rows stopped before the end of the file ({failure!r})")


def _member_error(error: BaseException, label: str, doing: str) -> BaseException:
    """``error`` as an error of the member: edx-schema's and I/O errors as they are, others wrapped."""
    if isinstance(error, EdxSchemaError | OSError | DatabaseError):
        return error
    text = str(error)
    text = text if len(text) <= 200 else f"{text[:197]}..."
    return FileFailed(f"{label}: unexpected error while {doing} ({type(error).__name__}: {text})")


class _Collision(Exception):
    """A staged row collided with another row on a unique index other than the key."""


_DUPLICATE_KEY = 1062  # ER_DUP_ENTRY


class _MysqlWriter:
    def __init__(self, plan: _Plan, counts: LoadCounts, options: LoadOptions, rows: _Rows) -> None:
        self.plan, self.counts, self.options, self.rows = plan, counts, options, rows
        self.table = _quote(plan.spec.table)

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
        with _member_savepoint(cursor):
            staging = self._create_staging(cursor)
            marks = ", ".join(["%s"] * (len(self.plan.all_columns) + 1))
            columns = ", ".join(map(_quote, [*self.plan.all_columns, "edx_schema_line"]))
            for batch in _batches(self.rows):
                cursor.executemany(
                    f"INSERT INTO {staging} ({columns}) VALUES ({marks})",
                    [[*row, line] for line, row in batch],
                )
            self._merge(cursor, staging)

    def _load(self, cursor, *, direct: bool) -> None:
        rows = iter(self.rows)
        # The first row is read here: a header-only member needs no load, and the direct load
        # needs the course. The rest is read by the pipe's thread while the server loads.
        head = next(rows, None)
        if head is None:
            return
        if direct:
            cursor.execute(
                f"SELECT 1 FROM {self.table} WHERE course_id = %s LIMIT 1", [self.counts.course_id]
            )
            direct = cursor.fetchone() is None
        with _member_savepoint(cursor):
            if direct:
                self._direct(cursor, _chain(head, rows))
            else:
                self._staged(cursor, _chain(head, rows))

    def _load_data(self, cursor, pipe: str, table: str, columns: list[str]) -> int:
        names = ", ".join(map(_quote, columns))
        cursor.execute(
            f"LOAD DATA LOCAL INFILE %s INTO TABLE {table} CHARACTER SET utf8mb4 "
            r"FIELDS TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n' "
            f"({names})",
            [pipe],
        )
        return cursor.rowcount

    def _direct(self, cursor, rows: Iterator[tuple[int, list[Any]]]) -> None:
        with _RowPipe(rows, label=self.plan.label, line_column=False) as pipe:
            loaded = self._load_data(cursor, pipe.path, self.table, self.plan.all_columns)
        expected = self.counts.read - self.counts.rejected
        if loaded != expected or connection.connection.warning_count():
            # Some rows collided with rows already there (another course's ids, or values of
            # another unique index): LOAD DATA LOCAL skipped them. Merge instead, which says why.
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

    def _staged(self, cursor, rows: Iterator[tuple[int, list[Any]]]) -> None:
        staging = self._create_staging(cursor)
        with _RowPipe(rows, label=self.plan.label, line_column=True) as pipe:
            self._load_data(cursor, pipe.path, staging, [*self.plan.all_columns, "edx_schema_line"])
        self._merge(cursor, staging)

    def _merge(self, cursor, staging: str) -> None:
        """Check the staged rows, then upsert them on the table's key and count the outcome.

        Rows apply in line order, and one that another row's values of a unique index other than
        the key (a username) stand in the way of is refused (see _apply_conflicting). Such rows
        are rare, and finding them costs two joins per index: the rows are first upserted without
        looking, and only if the database meets a collision (an insert it skipped, a duplicate
        key on update) is that undone and the merge done again the careful way.
        """
        plan = self.plan
        self._check_references(cursor, staging)
        if "visible_blocks_hash" in plan.all_columns:
            cursor.execute(f"SELECT DISTINCT course_id FROM {staging}")
            _prepare_visible_blocks(plan, {course for (course,) in cursor.fetchall()})
        cursor.execute("SAVEPOINT edx_schema_merge")
        try:
            inserted, updated, written = self._upsert(cursor, staging)
        except _Collision:
            cursor.execute("ROLLBACK TO SAVEPOINT edx_schema_merge")
            inserted, updated, written = self._apply_conflicting(cursor, staging)
            more = self._upsert(cursor, staging, checked=True)
            inserted, updated, written = inserted + more[0], updated + more[1], written + more[2]
        cursor.execute("RELEASE SAVEPOINT edx_schema_merge")
        cursor.execute(f"DROP TEMPORARY TABLE {staging}")
        self.counts.inserted = inserted
        self.counts.updated = updated
        self.counts.unchanged = written - inserted - updated

    def _upsert(self, cursor, staging: str, *, checked: bool = False) -> tuple[int, int, int]:
        """Upsert the staged rows; ``(inserted, updated, rows)``.

        Counted by the statements that write, inside the transaction, so that concurrent imports
        of the same rows (``--jobs``, or two commands) never both count a row as inserted: the
        first statement inserts the rows whose key is new *when it runs* (InnoDB makes it wait
        for a concurrent insert of the same key, then skips the row), the second applies every
        staged row to its now existing row: ``2`` affected rows per changed row, ``1`` per
        unchanged one (Django connects with CLIENT_FOUND_ROWS).

        Raises _Collision if a row collided with another on a unique index other than the key,
        unless ``checked`` (the rows that could were applied one by one already): a collision is
        then another import's doing, and fails the member.
        """
        cursor.execute(f"SELECT COUNT(*) FROM {staging}")
        (staged,) = cursor.fetchone()
        columns = ", ".join(map(_quote, self.plan.all_columns))
        rows = f"SELECT {columns} FROM {staging} s"
        # Only the keys not there yet (a plain read): INSERT IGNORE would take a shared lock on
        # each existing row, which the upsert then needs exclusively, and two imports of the same
        # rows would deadlock. A key inserted by another import meanwhile is waited for, skipped.
        new = f"NOT EXISTS (SELECT 1 FROM {self.table} t WHERE {self._key_match('t', 's')})"
        cursor.execute(
            f"INSERT IGNORE INTO {self.table} ({columns}) {rows} WHERE {new} ORDER BY s.edx_schema_line"
        )
        inserted = cursor.rowcount
        # Skipped rows are harmless if their key is there now (repeated in the file, or inserted
        # by another import meanwhile): the upsert then updates that row. If not, another unique
        # value was taken, and the upsert would insert the row after all, or update the other.
        skipped = re.search(r"Duplicates: (\d+)", connection.connection.info() or "Duplicates: 1")
        if skipped is None or int(skipped[1]):
            self._check_inserted(cursor, staging, checked=checked)
        if inserted == staged:
            return inserted, 0, staged  # all new (a first import): nothing to update
        try:
            cursor.execute(
                f"INSERT INTO {self.table} ({columns}) {rows} ORDER BY s.edx_schema_line "
                f"ON DUPLICATE KEY UPDATE {self._assignments()}"
            )
        except IntegrityError as error:  # an update would take another row's unique value
            if checked or not error.args or error.args[0] != _DUPLICATE_KEY:
                raise
            raise _Collision from None
        updated = cursor.rowcount - staged
        return inserted, updated, staged

    def _assignments(self) -> str:
        plan = self.plan
        update = [c for c in plan.file_columns if c not in plan.spec.key]
        return ", ".join(f"{_quote(c)} = VALUES({_quote(c)})" for c in update or plan.spec.key[:1])

    def _key_match(self, left: str, right: str) -> str:
        return " AND ".join(f"{left}.{_quote(k)} = {right}.{_quote(k)}" for k in self.plan.spec.key)

    def _check_inserted(self, cursor, staging: str, *, checked: bool) -> None:
        """Every staged row's key must be in the table once the new ones are inserted."""
        first = _quote(self.plan.spec.key[0])
        cursor.execute(
            f"SELECT s.edx_schema_line FROM {staging} s LEFT JOIN {self.table} t "
            f"ON {self._key_match('t', 's')} WHERE t.{first} IS NULL ORDER BY s.edx_schema_line LIMIT 1"
        )
        missing = cursor.fetchone()
        if missing is None:
            return
        if not checked:
            raise _Collision
        raise FileFailed(
            f"{self.plan.label}, line {missing[0]}: the row could not be stored: another import "
            "wrote a row with the same unique values at the same time; run the import again"
        )

    def _apply_conflicting(self, cursor, staging: str) -> tuple[int, int, int]:
        """Apply, one by one in line order, the staged rows that a unique index other than the key involves.

        Those are the rows that share an index's values with a row of another key, in the table or
        in the file, and every staged row of the keys concerned. A row is refused if, at its
        turn, another row holds its values (as on SQLite, where rows are written in order); the
        others do not depend on them and are upserted together afterwards. Returns the
        (inserted, updated, applied) counts of the rows applied here, which leave the staging
        table.
        """
        unique = _unique_indexes(self.plan)
        if not unique:
            return 0, 0, 0
        plan = self.plan
        key = plan.spec.key
        keys = [f"{{0}}.{_quote(k)}" for k in key]
        involved: set[tuple[Any, ...]] = set()
        for u in unique:
            on = " AND ".join(f"t.{_quote(c)} = s.{_quote(c)}" for c in u.columns)
            other = " OR ".join(f"t.{_quote(k)} <> s.{_quote(k)}" for k in key)
            found = ", ".join([k.format("s") for k in keys] + [k.format("t") for k in keys])
            cursor.execute(f"SELECT {found} FROM {staging} s JOIN {self.table} t ON {on} WHERE {other}")
            for values in cursor.fetchall():
                involved.update((tuple(values[: len(key)]), tuple(values[len(key) :])))
            columns = ", ".join(map(_quote, u.columns))
            filled = " AND ".join(f"{_quote(c)} IS NOT NULL" for c in u.columns)
            cursor.execute(
                f"SELECT {columns} FROM {staging} WHERE {filled} GROUP BY {columns} "
                f"HAVING COUNT(DISTINCT {', '.join(map(_quote, key))}) > 1"
            )
            shared = cursor.fetchall()
            for chunk in _chunks(shared, 500):
                cursor.execute(
                    f"SELECT {', '.join(map(_quote, key))} FROM {staging} "
                    f"WHERE ({columns}) IN ({', '.join([_row_marks(len(u.columns))] * len(chunk))})",
                    [value for values in chunk for value in values],
                )
                involved.update(tuple(values) for values in cursor.fetchall())
        if not involved:
            return 0, 0, 0
        names = ", ".join(map(_quote, plan.all_columns))
        key_names = ", ".join(map(_quote, key))
        staged: list[tuple[Any, ...]] = []
        for chunk in _chunks(sorted(involved), 500):
            marks = ", ".join([_row_marks(len(key))] * len(chunk))
            flat = [value for values in chunk for value in values]
            cursor.execute(
                f"SELECT {names}, edx_schema_line FROM {staging} WHERE ({key_names}) IN ({marks})", flat
            )
            staged.extend(cursor.fetchall())
            cursor.execute(f"DELETE FROM {staging} WHERE ({key_names}) IN ({marks})", flat)
        staged.sort(key=lambda values: values[-1])
        single = f"INSERT INTO {self.table} ({names}) VALUES ({', '.join(['%s'] * len(plan.all_columns))})"
        where_key = " AND ".join(f"{_quote(k)} = %s" for k in key)
        positions = [plan.all_columns.index(k) for k in key]
        inserted = updated = applied = 0
        for *row, line in staged:
            conflict = _holder(cursor, plan, unique, row, mark="%s", table_of=lambda u: self.table)
            if conflict is not None:
                self.rows.reject(_conflict(plan, line, row, *conflict), [])
                continue
            applied += 1
            cursor.execute(single.replace("INSERT", "INSERT IGNORE", 1), row)
            if cursor.rowcount:
                inserted += 1
                continue
            cursor.execute(f"{single} ON DUPLICATE KEY UPDATE {self._assignments()}", row)
            updated += cursor.rowcount - 1
            cursor.execute(f"SELECT 1 FROM {self.table} WHERE {where_key}", [row[p] for p in positions])
            if cursor.fetchone() is None:
                raise FileFailed(
                    f"{plan.label}, line {line}: the row could not be stored: another import wrote a "
                    "row with the same unique values at the same time; run the import again"
                )
        return inserted, updated, applied

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


@contextmanager
def _member_savepoint(cursor) -> Iterator[None]:
    """The member's writes, undone together if anything fails.

    If InnoDB has rolled the whole transaction back (a deadlock), the savepoint went with it:
    the original error is raised, not the rollback's, so that the importer sees a deadlock and
    loads the member again.
    """
    cursor.execute("SAVEPOINT edx_schema_member")
    try:
        yield
    except BaseException:
        with suppress(DatabaseError):
            cursor.execute("ROLLBACK TO SAVEPOINT edx_schema_member")
        raise
    cursor.execute("RELEASE SAVEPOINT edx_schema_member")


def _row_marks(width: int) -> str:
    return f"({', '.join(['%s'] * width)})"


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _chain(head: Any, rest: Iterator[Any]) -> Iterator[Any]:
    yield head
    yield from rest


__all__ = ["DatabaseError", "FileFailed", "LoadCounts", "LoadOptions", "Rejected", "load_member"]
