"""Load one table member of a package into its table: validate, convert and upsert every row.

The caller holds the transaction. The member is read once, as a stream: its header makes the
row plan (``rows.py``), and the database's backend (``backends/``) writes the converted rows.
Either way rows are upserted on the table's key only, and a row that would take another row's
value of another unique index is a row error (``unique.py``). Memory is bounded by one batch,
never by the file.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, BinaryIO

from django.db import connection

from ..package.names import member_table
from ..package.tsv import TsvReader
from .backends import backend
from .joined import JOINED, load_joined
from .rows import LoadAgain, LoadCounts, LoadOptions, RowPlan, RowStream, TableLoad
from .snapshot import check_snapshot, check_written, has_rows_in_scope, needs_snapshot
from .tables import TableSpec, table_spec

Opener = Callable[[], AbstractContextManager[BinaryIO]]


def load_table_member(
    *,
    token: str,
    open_stream: Opener,
    label: str,
    options: LoadOptions,
    size: int = 0,
    course_id: str | None = None,
    read_again: Opener | None = None,
) -> LoadCounts:
    """Load a member of ``LOADED_TABLES`` (by its table token) inside the caller's transaction.

    A join member goes through its natural keys (``joined.py``); a table member is loaded,
    then, if its table needs it, checked once more (``snapshot.py``: the course's rows the file
    no longer has, repeated ids, dangling links). ``course_id`` is the member's course when its
    file may not say (a header-only file); ``read_again`` opens the member for that second pass
    (by default ``open_stream``).
    """
    joined = JOINED.get(token)
    if joined is not None:
        return load_joined(
            open_stream=open_stream, member=joined, label=label, options=options, course_id=course_id
        )
    spec = table_spec(member_table(token))
    # A course with no rows in the table yet has nothing the file could no longer hold.
    sweep = bool(spec.sweep) and not (course_id and not has_rows_in_scope(spec, course_id))
    # Where the backend keeps the file's rows after writing them (MySQL), repeats and dangling
    # links are counted there; else (SQLite, or a sweep, which needs the rows' keys even where a
    # row was refused) the file is read once more.
    noticed: list[list[str]] = []
    on_written = None
    if needs_snapshot(spec) and not sweep:

        def on_written(cursor, relation: str, params: list) -> None:
            noticed.append(check_written(cursor, relation, params, spec=spec))

    counts = load_member(
        open_stream=open_stream, spec=spec, label=label, options=options, size=size, on_written=on_written
    )
    if noticed:
        counts.warnings.extend(noticed[-1])
    elif needs_snapshot(spec):
        check_snapshot(
            open_stream=read_again or open_stream,
            spec=spec,
            label=label,
            course_id=course_id or counts.course_id,
            counts=counts,
            sweep=sweep,
        )
    return counts


def load_member(
    *,
    open_stream: Callable[[], AbstractContextManager[BinaryIO]],
    spec: TableSpec,
    label: str,
    options: LoadOptions,
    size: int = 0,
    on_written: Callable[[Any, str, list[Any]], None] | None = None,
) -> LoadCounts:
    """Load one member's rows into ``spec.table`` inside the caller's transaction.

    ``size`` (the member's size in bytes, if known) lets the backend choose how to read it.
    ``open_stream`` opens the member's bytes; it is called again in the rare case where the
    backend's first way of loading did not fit (see :class:`~.rows.LoadAgain`).
    """
    writer = backend(connection)
    args = (writer, open_stream, spec, label, options, size, on_written)
    try:
        return _load_once(*args, first_attempt=True)
    except LoadAgain:
        return _load_once(*args, first_attempt=False)


def _load_once(
    writer, open_stream, spec, label, options, size, on_written, *, first_attempt: bool
) -> LoadCounts:
    counts = LoadCounts()
    with open_stream() as stream:
        reader = TsvReader(stream, file=label, tolerant=options.skip_bad_rows)
        if not reader.header:
            return counts
        plan = RowPlan(spec, reader.header, label=label)
        counts.unknown_columns = plan.unknown
        rows = RowStream(reader, plan, options, counts)
        connection.ensure_connection()
        writer.load(
            TableLoad(
                stream, plan, rows, counts, options, size, first_attempt=first_attempt, on_written=on_written
            )
        )
    return counts
