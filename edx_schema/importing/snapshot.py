"""What a table member's file says beyond its rows: the rows it no longer has, and its odd ids.

Run after the member's rows are loaded, in the same transaction, for the tables that need it
(see ``tables.py``): a file that is the course's full current set (course roles, teams and
their members, language proficiencies) deletes the course's rows it no longer lists; files
whose ids repeat (the wiki's) have their repeats reported; and ids that point at no row of a
table the database does not constrain are counted (staff missing from ``auth_user``, an
assessment's rubric from a part of ORA no file carries). The file is read a second time for
its key and reference columns only, into a temporary table (``stage.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any, BinaryIO

from ..package.tsv import TsvReader
from .rows import LoadCounts
from .stage import Stage, dangling, repeats, staged
from .tables import TableSpec, converter


def report_repeats(stage: Stage, cursor, counts: LoadCounts) -> None:
    """Warn of rows whose key repeated an earlier row's (the last of each is what loaded)."""
    repeated = stage.repeats(cursor)
    if repeated:
        counts.warnings.append(_repeat_note(repeated, stage.key))


def report_dangling(stage: Stage, cursor, references: list[tuple[str, str, str]], counts: LoadCounts) -> None:
    """Warn of the staged ids that point at no row of the table their column refers to."""
    for column, table, target in references:
        missing = stage.dangling(cursor, column, table, target)
        if missing:
            counts.warnings.append(_dangling_note(missing, column, table))


def check_written(cursor, relation: str, params: list[Any], *, spec: TableSpec) -> list[str]:
    """What to tell of a member's rows, read where the backend wrote them (``relation``): its
    repeated keys and its dangling links (every column of ``spec`` is there)."""
    notes = []
    if spec.report_repeats:
        repeated = repeats(cursor, relation, params, spec.key)
        if repeated:
            notes.append(_repeat_note(repeated, spec.key))
    for column, table, target in spec.unconstrained_references(list(spec.fields)):
        missing = dangling(cursor, relation, params, column, table, target)
        if missing:
            notes.append(_dangling_note(missing, column, table))
    return notes


def _repeat_note(repeated: int, key: tuple[str, ...]) -> str:
    return f"{repeated:,} row(s) repeat the {', '.join(key)} of an earlier row; the last row of each was kept"


def _dangling_note(missing: int, column: str, table: str) -> str:
    kept = "kept: the column has no database constraint"
    return f"{missing:,} {column} value(s) refer to no row of {table} ({kept})"


def has_rows_in_scope(spec: TableSpec, course_id: str) -> bool:
    """Whether ``spec``'s table has rows in the sweep scope of the course (before a load)."""
    from django.db import connection

    with connection.cursor() as cursor:
        table = connection.ops.quote_name(spec.table)
        cursor.execute(
            f"SELECT 1 FROM {table} WHERE {spec.sweep} LIMIT 1", [course_id] * spec.sweep.count("%s")
        )
        return cursor.fetchone() is not None


def needs_snapshot(spec: TableSpec) -> bool:
    """Whether loading ``spec``'s members takes the second pass."""
    return bool(spec.sweep or spec.report_repeats or spec.unconstrained_references(list(spec.fields)))


def check_snapshot(
    *,
    open_stream: Callable[[], AbstractContextManager[BinaryIO]],
    spec: TableSpec,
    label: str,
    course_id: str | None,
    counts: LoadCounts,
    sweep: bool = True,
) -> None:
    """Sweep (if ``sweep`` and the table has a scope), count repeats and dangling ids for a
    member just loaded; add to ``counts``."""
    from django.db import connection

    with open_stream() as stream:
        # Tolerant: a row the load rejected still names its key (its old row stays).
        reader = TsvReader(stream, file=label, tolerant=True)
        if not reader.header:
            return  # a zero-length member says nothing: keep the course's rows
        header = reader.header
        by_column = {spec.fields[name].column: name for name in header if name in spec.fields}
        references = spec.unconstrained_references(list(by_column.values()))
        wanted = [*spec.key, *(c for c, _t, _tc in references if c not in spec.key)]
        if any(column not in by_column for column in spec.key):
            return  # the load itself refused such a header
        fields = {c: spec.fields[by_column[c]] for c in wanted}
        parse = [(header.index(by_column[c]), converter(spec, by_column[c], connection)) for c in wanted]

        def rows() -> Iterator[tuple[int, list]]:
            for record in reader:
                if record.error is not None:
                    continue
                try:
                    yield record.line, [convert(record.values[position]) for position, convert in parse]
                except (ValueError, IndexError):
                    continue  # the load rejected it (or failed the file)

        with staged(spec.table, fields, key=spec.key) as (stage, cursor):
            stage.fill(cursor, rows())
            if spec.report_repeats:
                report_repeats(stage, cursor, counts)
            report_dangling(stage, cursor, references, counts)
            if spec.sweep and sweep:
                if course_id is None:
                    counts.warnings.append(
                        "rows no longer in this file were not removed: its course is unknown"
                    )
                else:
                    deleted, cascaded = stage.sweep(
                        cursor, spec.table, scope=spec.sweep, course_id=course_id, cascade=spec.cascade
                    )
                    counts.deleted += deleted
                    if cascaded:
                        tables = ", ".join(table for table, _column in spec.cascade)
                        counts.warnings.append(f"{cascaded:,} row(s) of {tables} went with the rows deleted")
