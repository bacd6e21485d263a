"""The backend-neutral half of loading a table member: which columns a file fills, each row
converted to database values, bad rows rejected (or the file failed), rows in batches.

A :class:`RowPlan` is made once per file from its header and the table's spec; a
:class:`RowStream` turns the file's records into ``(line, row)`` pairs that any backend writes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, NamedTuple

from django.db import DatabaseError, connection

from ..errors import EdxSchemaError, FormatError, InvalidKeyError, InvalidKeyFormatError, PackageError
from ..outcomes import RowCounts
from ..package.tsv import Record, TsvReader
from .tables import TableSpec, converter, missing_column_value, not_exported_blocks

#: Rows written per statement (or per executemany) on the backends that batch.
BATCH_ROWS = 5_000

#: One row of a file, converted: its line in the file and its values in RowPlan.all_columns order.
Row = tuple[int, list[Any]]


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
class LoadCounts(RowCounts):
    """What loading one member did: its row counts, its course and what it noticed."""

    course_id: str | None = None
    unknown_columns: list[str] = field(default_factory=list)
    # At most max_errors rows, so the list stays small; written out once the file is done.
    rejects: list[Rejected] = field(default_factory=list)
    #: What the user should know about a member that loaded (a fragment of a course structure).
    warnings: list[str] = field(default_factory=list)
    #: The member's SHA-256 when its loader read it in full itself (the log records it).
    checksum: str | None = None

    @classmethod
    def of(cls, counts: RowCounts, *, course_id: str | None) -> LoadCounts:
        """The counts of a member stored by a service (a document), for its course."""
        return cls(**vars(counts.counts()), course_id=course_id)


class FileFailed(PackageError):
    """The member cannot be loaded; its rows must not land."""


class RowPlan:
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
                raise self.lacks(column, "it identifies the rows")
        # Columns the file lacks: derived ones, then model defaults (a value the file never had).
        self.derived: list[tuple[str, int, Callable[[Any], Any]]] = []
        for column, (source, function) in spec.derived.items():
            if source not in self.columns:
                raise self.lacks(source, f"{column} is computed from it")
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
                raise self.lacks(f.column, str(reason)) from None
        self.file_columns = list(self.columns)
        self.all_columns = self.columns + [c for c, _i, _f in self.derived] + [c for c, _v in self.defaults]
        self.default_values = [v for _c, v in self.defaults]
        self.fk = spec.foreign_keys(self.file_columns)
        self.pairs = list(zip(self.converters, self.positions, strict=True))
        self.identity = self.positions == list(range(len(header)))

    def lacks(self, column: str, reason: str) -> FormatError:
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
                where = {"file": self.label, "line": record.line, "column": self.header[position]}
                if isinstance(error, InvalidKeyError):
                    raise InvalidKeyFormatError(
                        str(error), key_type=error.key_type, value=record.values[position], **where
                    ) from None
                raise FormatError(str(error), value=record.values[position], **where) from None

    def prepare_courses(self, course_ids: set[str]) -> None:
        """Rows of these courses are about to be written: make what they refer to exist.

        A subsection grade refers to its course's empty block list (the export has no blocks).
        """
        if "visible_blocks_hash" not in self.all_columns:
            return
        from ..models import VisibleBlocks

        for course_id in course_ids:
            hashed, json_value = not_exported_blocks(course_id)
            VisibleBlocks.objects.get_or_create(
                hashed=hashed, defaults={"blocks_json": json_value, "course_id": course_id}
            )


class RowStream:
    """Iterate converted rows, routing bad ones to rejects (or failing the file)."""

    def __init__(self, reader: TsvReader, plan: RowPlan, options: LoadOptions, counts: LoadCounts) -> None:
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

    def run_rows(self, data: bytes, *, first_line: int) -> Iterator[Row]:
        """The converted rows of ``data``, a run of whole records (``split_chunks``), counted."""
        counts = self.counts
        process = self.process
        for record in self.reader.chunk_records(data, first_line=first_line):
            counts.read += 1
            row = process(record)
            if row is not None:
                yield record.line, row

    def __iter__(self) -> Iterator[Row]:
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


def batches(rows: Iterator[Row], size: int | None = None) -> Iterator[list[Row]]:
    """``rows`` in lists of ``size`` (BATCH_ROWS): one batch at a time in memory, never the file."""
    size = size or BATCH_ROWS
    batch: list[Row] = []
    for item in rows:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def member_error(error: BaseException, label: str, doing: str) -> BaseException:
    """``error`` as an error of the member: edx-schema's and I/O errors as they are, others wrapped."""
    if isinstance(error, EdxSchemaError | OSError | DatabaseError):
        return error
    text = str(error)
    text = text if len(text) <= 200 else f"{text[:197]}..."
    return FileFailed(f"{label}: unexpected error while {doing} ({type(error).__name__}: {text})")


class LoadAgain(Exception):
    """Raised by a backend whose first way of loading a member did not fit: load it again."""


@dataclass
class TableLoad:
    """One table member being loaded: everything a backend is given to write it.

    ``first_attempt`` is False when the backend raised :class:`LoadAgain` before: the member's
    stream was opened again, and the backend must take its general way.
    """

    stream: BinaryIO
    plan: RowPlan
    rows: RowStream
    counts: LoadCounts
    options: LoadOptions
    size: int
    first_attempt: bool = True
    #: Told, by a backend that has the file's rows in one relation after writing them (MySQL's
    #: staging table, or the course's rows after a direct load), that relation (SQL, with its
    #: parameters), so that what the file says beyond its rows is read there (``snapshot.py``).
    on_written: Callable[[Any, str, list[Any]], None] | None = None


def chunks(items: list[Any], size: int = 500) -> Iterator[list[Any]]:
    """``items`` in lists of ``size``: few enough parameters for one statement on every backend."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
