"""Package members as lake rows: what the Spark job's tasks run, one member (or one piece of a
big plain table file) per task.

The importer's own decoders and converters (the TSV reader and a table's :class:`RowPlan`, the
tracking-log, forum, course-document and opt-in decoders), writing Arrow record batches of the
member's lake table instead of database rows, so that a value means the same whichever way it
reached the lake.

A task writes its member's rows to one staging file, ``{staging}/{table}/member-{number}.parquet``
(``-{piece}`` before the suffix for a piece; an OLX export's content tree beside it, in its table's folder):
the table's columns, then ``_member`` (the member's place in the job's load order) and
``_order`` (the row's place, ``_member * 2**32 + line``, so that "the last row of a key wins",
the importer's upsert, and "the first copy of an event wins", its ``INSERT IGNORE``, are a
comparison of one number). It hands Spark only what is not a row (:data:`META`): each bad row
(``reject``: ``_file``, ``_line``, ``_column``, ``_value`` and ``_reason`` say where and why),
a member that loads nothing (``failed``: its staging file is removed, as a failed file loads
nothing in an import), and the member's counts (``done``, JSON in ``_value``).

Bounded memory: a member is read as a stream and written in batches of :data:`BATCH_ROWS` rows.
"""

from __future__ import annotations

import datetime
import functools
import io
import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from django.db import models

from ..errors import EdxSchemaError, FormatError, PackageError, unexpected
from ..importing.documents import course_of_export, grading_policy_text, outline_course
from ..importing.email_opt_in import OPT_IN_COLUMNS, opt_in_values
from ..importing.joined import JOINED
from ..importing.member_specs import member_spec
from ..importing.rows import FileFailed, RowPlan
from ..models import CourseBlock, CourseContentBlock, GradingPolicy
from ..package.course import read_course_export, read_course_structure
from ..package.email_opt_in import OptInReader, org_of
from ..package.events.reader import LogTally, TooManyBadLines, read_events
from ..package.forum import read_posts
from ..package.source import (
    Decryption,
    HashingReader,
    Member,
    Package,
    member_label,
    open_member,
    open_package,
)
from ..package.tsv import TsvReader
from ..package.tsv.records import count_lines, record_start
from ..services.course_tree import content_rows
from ..services.outline import block_values, placed, policy_changed, policy_values
from .schema import Column, LakeTable, arrow_type, column_array, lake_table
from .tasks import Rules, Task

#: Rows per record batch a task writes.
BATCH_ROWS = 20_000
#: Bits of ``_order`` below the member's number: a member's lines.
LINE_BITS = 32

META = pa.schema(
    [
        ("_member", pa.int32()),
        ("_order", pa.int64()),
        ("_piece", pa.int32()),
        ("_kind", pa.string()),
        ("_file", pa.string()),
        ("_line", pa.int64()),
        ("_column", pa.string()),
        ("_value", pa.string()),
        ("_reason", pa.string()),
    ]
)
REJECT, FAILED, DONE = "reject", "failed", "done"
#: The kind of a task whose member is joined to others by natural keys.
JOINED_KIND = "joined"
#: The tables of the course documents: a course's rows are folded member by member
#: (:func:`fold_course`), as the loads of its documents in turn leave them.
BLOCKS_TABLE = CourseBlock._meta.db_table
CONTENT_TABLE = CourseContentBlock._meta.db_table
POLICY_TABLE = GradingPolicy._meta.db_table
DOCUMENT_TABLES = frozenset({BLOCKS_TABLE, CONTENT_TABLE, POLICY_TABLE})


def staged_schema(table: LakeTable) -> pa.Schema:
    """The schema of a staging file of ``table``: its columns, then ``_member`` and ``_order``."""
    return pa.schema([*table.schema, META.field("_member"), META.field("_order")])


def join_stage(token: str) -> LakeTable:
    """A joined member's rows as a table of their own: its fields' columns (a role's name, a
    cohort's name, a credit course's key), which the job joins into the tables they fill."""
    spec = JOINED[token].spec()
    columns = tuple(Column(field.column, arrow_type(field), field) for field in spec.fields.values())
    course = "course_key" if token == "credit_crediteligibility" else "course_id"
    return LakeTable(spec.model, columns, (), course)


def staging_file(staging: Path, task: Task, *, table: str | None = None) -> Path:
    """Where a task stages its member's rows of ``table`` (by default, the task's table)."""
    piece = f"-{task.piece:05d}" if task.piece else ""
    return staging / (table or task.table) / f"member-{task.number:07d}{piece}.parquet"


def piece_bounds(package_path: str, member_path: str, start: int, end: int) -> tuple[int, int, int] | None:
    """Where the piece of a plain member from byte ``start`` to ``end`` really starts and ends
    (the first records starting at or after each) and how many lines it holds. None if the
    member cannot be read (gone, unreadable): it is then converted whole, whose task says why
    it fails, for that member alone."""
    try:
        package = _package(package_path)
        member = next((m for m in package.members if m.path == member_path), None)
        if member is None:
            return None
        with open_member(package, member) as raw:
            begin = record_start(raw, start)
            finish = record_start(raw, end) if end < member.size else member.size
            return begin, finish, count_lines(raw, begin, finish)
    except (EdxSchemaError, OSError):
        return None


def convert_member(task: Task, rules: Rules, *, staging: Path) -> Iterator[pa.RecordBatch]:
    """Stage the rows of one member and yield what is not a row (see the module's docstring).
    Never raises for the member's content: a member that cannot be loaded ends with a
    ``failed`` row saying why, and its staging file is gone."""
    table = join_stage(task.token) if task.kind == JOINED_KIND else lake_table(_model(task.table))
    path = staging_file(staging, task)
    out = _Batches(table, task, path)
    try:
        package = _package(task.package)
        member = next((m for m in package.members if m.path == task.member), None)
        if member is None:  # gone since the driver listed it
            raise PackageError(f"{package.name}/{task.member}: no longer in the package")
        label = member_label(package, member)
        decryption = Decryption(gnupghome=rules.gnupghome, passphrase=rules.passphrase)
        with open_member(package, member, decryption=decryption) as raw:
            if task.start or task.stop_line:  # a piece of a plain member, read in place
                done = yield from _piece_rows(raw, task=task, rules=rules, out=out, label=label)
            else:
                done = yield from _member_rows(
                    raw, task=task, rules=rules, out=out, label=label, member=member
                )
            done["last_line"] = max(batches.last_line for batches in out.all)
        yield from out.flush()
        out.close()
    except FormatError as error:
        yield from out.failed(error.file, error.line, error.column, error.value, error.message)
        return
    except (EdxSchemaError, OSError) as error:  # unreadable, undecryptable, too many bad rows
        text = (
            str(error) if isinstance(error, EdxSchemaError) else f"cannot read it ({error.strerror or error})"
        )
        yield from out.failed(task.member, None, None, None, text)
        return
    except Exception as error:  # a bug fails this member, as in an import, not the whole job
        yield from out.failed(task.member, None, None, None, f"not loaded: {unexpected(error)}")
        return
    done["courses"] = sorted(set().union(*(batches.courses for batches in out.all)))
    yield out.meta(DONE, value=json.dumps(done, sort_keys=True))


def _member_rows(raw, *, task: Task, rules: Rules, out: _Batches, label: str, member: Member):
    """A whole member, through the converter of its kind; its counts, with the SHA-256 of its bytes."""
    hashing = HashingReader(raw)
    stream = io.BufferedReader(hashing, buffer_size=1 << 20)
    convert = {
        "table": _table_rows,
        JOINED_KIND: _table_rows,
        "events": _event_rows,
        "forum": _forum_rows,
        "course_structure": _outline_rows,
        "course_olx": _export_rows,
        "email_opt_in": _opt_in_rows,
    }[task.kind]
    done = yield from convert(stream, task=task, rules=rules, out=out, label=label, member=member)
    while stream.read(1 << 20):  # the checksum is of every byte, read or not
        pass
    done["sha256"] = hashing.hexdigest()
    return done


@functools.lru_cache(maxsize=8)
def _package(path: str) -> Package:
    """A package opened once per process (a zip's directory is read once, not per member)."""
    return open_package(path)


def _model(table: str) -> type:
    from django.apps import apps

    return next(
        model
        for model in [*apps.get_app_config("edx_schema").get_models(), apps.get_model("auth", "User")]
        if model._meta.db_table == table
    )


class _Batches:
    """The rows of one member, written to its staging file a batch at a time."""

    def __init__(self, table: LakeTable, task: Task, path: Path) -> None:
        self.table, self.task, self.path = table, task, path
        self.schema = staged_schema(table)
        self.writer: pq.ParquetWriter | None = None
        self.base = task.number << LINE_BITS
        self.rows: list[list[Any]] = []  # values in the table's column order
        self.lines: list[int] = []
        self.rejects: list[tuple] = []
        self.last_line = 0  # the last line a row came from: the job numbers rows by it
        course = table.course_column
        self.course_index = [c.name for c in table.columns].index(course) if course else None
        self.courses: set[str] = set()  # the courses of the member's rows (a file has one or two)
        self.companions: list[_Batches] = []  # the member's rows of other tables

    @property
    def all(self) -> list[_Batches]:
        return [self, *self.companions]

    def companion(self, table: LakeTable) -> _Batches:
        """The member's rows of another table (an OLX export fills two), staged beside these and
        kept or dropped with them."""
        batches = _Batches(table, self.task, self.path.parent.parent / table.name / self.path.name)
        self.companions.append(batches)
        return batches

    def add(self, line: int, values: list[Any]) -> Iterator[pa.RecordBatch]:
        self.rows.append(values)
        self.lines.append(line)
        self.last_line = line
        if len(self.rows) >= BATCH_ROWS:
            yield from self.flush()

    def reject(self, file: str, line: int | None, column: str | None, value: Any, reason: str) -> None:
        self.rejects.append((file, line, column, None if value is None else str(value), reason))

    def flush(self) -> Iterator[pa.RecordBatch]:
        """Write the rows gathered so far; yield the rejects gathered so far."""
        for companion in self.companions:
            yield from companion.flush()
        if self.rows:
            columns = list(zip(*self.rows, strict=True))
            arrays = [
                column_array(values, column)
                for values, column in zip(columns, self.table.columns, strict=True)
            ]
            if self.course_index is not None:
                self.courses.update(value for value in columns[self.course_index] if value is not None)
            count = len(self.rows)
            arrays += [
                pa.array([self.task.number] * count, pa.int32()),
                pa.array([self.base + line for line in self.lines], pa.int64()),
            ]
            if self.writer is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.writer = pq.ParquetWriter(self.path, self.schema, compression="zstd")
            self.writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=self.schema))
            self.rows, self.lines = [], []
        for file, line, column, value, reason in self.rejects:
            yield self.meta(REJECT, file=file, line=line, column=column, value=value, reason=reason)
        self.rejects = []

    def close(self) -> None:
        for batches in self.all:
            if batches.writer is not None:
                batches.writer.close()
                batches.writer = None

    def discard(self) -> None:
        """The member loads nothing: its staging files go."""
        self.close()
        for batches in self.all:
            batches.rows, batches.lines = [], []
            batches.path.unlink(missing_ok=True)

    def failed(self, file: str, line: int | None, column: str | None, value: Any, reason: str):
        """The member loads nothing: its rows are dropped, its rejects kept."""
        self.discard()
        yield from self.flush()
        value = None if value is None else str(value)
        yield self.meta(FAILED, file=file, line=line, column=column, value=value, reason=reason)

    def meta(self, kind: str, **values: Any) -> pa.RecordBatch:
        """A batch of one row that is not a row of the table: a reject, a failure or the counts."""
        row = {"_member": self.task.number, "_piece": self.task.piece, "_kind": kind}
        row["_order"] = self.base + (values.get("line") or 0)
        row.update({f"_{name}": value for name, value in values.items()})
        return pa.RecordBatch.from_pylist([row], schema=META)


# -- the three kinds of member ----------------------------------------------------------------------


def _table_rows(stream, *, task: Task, rules: Rules, out: _Batches, label: str, member: Member, pieces=None):
    """A ``.sql`` member: every record through the table's RowPlan, as an import converts it (a
    joined member's rows as its stage holds them: the job joins them, :mod:`.joins`).

    ``pieces``: a function giving the records of the task's piece, for a member split by bytes.
    """
    spec = member_spec(task.token)
    reader = TsvReader(stream, file=label, tolerant=True)
    done = {"read": 0, "rejected": 0}
    if not reader.header:
        return done
    plan = RowPlan(spec, reader.header, label=label)
    if task.kind == JOINED_KIND:
        for header, field in spec.fields.items():
            if field.column not in plan.file_columns:
                raise plan.lacks(header, "its rows are matched by it")
    place = _places(out.table, plan.all_columns)
    records = reader if pieces is None else pieces(reader)
    for line, row in _converted(records, plan.convert, out=out, rules=rules, done=done, label=label):
        yield from out.add(line, place(row))
    return done


def _piece_rows(raw, *, task: Task, rules: Rules, out: _Batches, label: str):
    """A piece of a plain ``.sql`` member split by bytes: the header from the member's start, then
    the records from the piece's first byte, up to the next piece's first line. A record's line
    is its line in the member, as if it were read whole."""

    def pieces(reader: TsvReader) -> Iterator:
        if task.start:  # raw is a buffered file (a plain member of a folder), read from there on
            raw.seek(task.start)
            records = reader.records_from(raw, first_line=task.first_line)
        else:
            records = iter(reader)
        if not task.stop_line:
            return records
        return itertools.takewhile(lambda record: record.line < task.stop_line, records)

    rows = _table_rows(raw, task=task, rules=rules, out=out, label=label, member=None, pieces=pieces)
    return (yield from rows)


def _converted(
    records: Iterable, convert: Callable, *, out: _Batches, rules: Rules, done: dict[str, Any], label: str
) -> Iterator[tuple[int, Any]]:
    """Each record's line and row, as ``convert`` makes it; a record that is bad (or does not
    convert) is a bad row instead (:func:`_bad_row`)."""
    for record in records:
        done["read"] += 1
        error = record.error
        if error is None:
            try:
                row = convert(record)
            except FormatError as bad:
                error = bad
            else:
                yield record.line, row
                continue
        _bad_row(error, out=out, rules=rules, done=done, label=label)


def _bad_row(error: FormatError, *, out: _Batches, rules: Rules, done: dict[str, Any], label: str) -> None:
    """A bad row: a reject, which fails its member unless ``--skip-bad-rows`` (and then only past
    ``--max-errors``), as in an import."""
    done["rejected"] += 1
    out.reject(error.file, error.line, error.column, error.value, error.message)
    if not rules.skip_bad_rows:
        raise FileFailed(str(error))
    if done["rejected"] > rules.max_errors:
        raise FileFailed(f"{label}: more than {rules.max_errors} bad rows; the last: {error}")


def _places(table: LakeTable, columns: list[str]) -> Callable[[list[Any]], list[Any]]:
    """A function putting a row of ``columns`` in the table's column order (None where absent:
    an id the database would number)."""
    positions = [columns.index(column.name) if column.name in columns else None for column in table.columns]
    return lambda row: [None if position is None else row[position] for position in positions]


def _event_rows(stream, *, task: Task, rules: Rules, out: _Batches, label: str, member: Member):
    """A tracking log: every line through the event decoder; bad lines are rejects, as in an
    import, until more than ``max_errors`` of them fail the file."""
    tally = LogTally(max_bad=rules.max_errors)
    columns = [column.name for column in out.table.columns]
    file_id = task.number
    try:
        for number, event in read_events(stream, label=label, tally=tally):
            values = {"file_id": file_id, "line": number, **event._asdict()}
            yield from out.add(number, [values.get(name) for name in columns])
    except TooManyBadLines:
        for report in tally.reports:
            out.reject(label, report.line, report.field, report.value, report.reason)
        raise
    for report in tally.reports:
        out.reject(label, report.line, report.field, report.value, report.reason)
    return {"lines": tally.lines, "events": tally.events, "bad_lines": tally.bad}


def _forum_rows(stream, *, task: Task, rules: Rules, out: _Batches, label: str, member: Member):
    """A forum dump: every post through the forum decoder (a bad line fails the file, as in an
    import)."""
    columns = [column.field.attname for column in out.table.columns]
    read = 0
    for post in read_posts(stream, label=label):
        read += 1
        values = vars(post)
        yield from out.add(post.line, [values.get(name) for name in columns])
    return {"read": read}


def _opt_in_rows(stream, *, task: Task, rules: Rules, out: _Batches, label: str, member: Member):
    """An org's e-mail opt-in list: every record through the list's reader, as an import reads it
    (the job keeps the last row of a key, :func:`opt_in_key`)."""
    reader = OptInReader(stream, file=label, tolerant=rules.skip_bad_rows)
    done = {"read": 0, "rejected": 0}
    if not reader.columns:
        return done
    org = org_of(member.path)
    place = _places(out.table, list(OPT_IN_COLUMNS))
    records = reader.records()
    for line, row in _converted(records, reader.convert, out=out, rules=rules, done=done, label=label):
        yield from out.add(line, place(opt_in_values(org, row)))
    return done


def _outline_rows(stream, *, task: Task, rules: Rules, out: _Batches, label: str, member: Member):
    """A course structure: its blocks, in course order (whether it is the whole course is in the
    counts: :func:`fold_course` needs it)."""
    outline = read_course_structure(stream, label=label)
    course = outline_course(outline, label=label, course=task.course or None)
    for line, block in enumerate(outline, start=1):
        values = {"course_id": course, "usage_key": block.usage_key, **block_values(block)}
        yield from out.add(line, _stored(out.table, values))
    return {"read": len(outline), "complete": not outline.fragment}


def _export_rows(stream, *, task: Task, rules: Rules, out: _Batches, label: str, member: Member):
    """A course's OLX export: its grading policy (a row of this task's table) and its content
    tree (rows of the content table), as an import stores them."""
    export = read_course_export(stream, label=label)
    text = grading_policy_text(export, label=label)
    course = task.course or course_of_export(
        export, label=label, entity=member.name.entity, known=lambda legacy: legacy == task.known
    )
    course_id, values = policy_values(course_id=course, text=text, source=label)
    now = datetime.datetime.now(datetime.UTC)
    row = {"course_id": course_id, **values, "created": now, "modified": now}
    yield from out.add(1, _stored(out.table, row))
    tree = export.tree(course_id=course)
    if tree is not None:
        content = out.companion(lake_table(CourseContentBlock))
        for line, values in enumerate(content_rows(course_id=course, tree=tree, source=label), start=1):
            yield from content.add(line, _stored(content.table, values))
    return {"read": 1}


def _stored(table: LakeTable, values: dict[str, Any]) -> list[Any]:
    """A row of ``table`` from its fields' values, as the database stores them: JSON as the text
    Django writes (None where absent: an id the job numbers)."""
    row = []
    for column in table.columns:
        value = values.get(column.field.attname)
        if value is not None and isinstance(column.field, models.JSONField):
            value = json.dumps(value, cls=column.field.encoder)
        row.append(value)
    return row


# -- the course documents, folded course by course ------------------------------------------------


def fold_course(rows: pa.Table, *, name: str, complete: frozenset[int]) -> pa.Table:
    """One course's staged rows of a course document's table, as the loads of its members in turn
    leave them (``complete``: the course structures that are a whole course, not a fragment).

    - ``edx_schema_coursecontentblock``: an OLX export replaces the course's content, so its last
      member's rows are the set;
    - ``edx_schema_gradingpolicy``: a policy replaces the stored one only if it differs (an
      unchanged one keeps its source);
    - ``edx_schema_courseblock``: a whole course structure replaces the outline; a fragment adds
      its new blocks after the stored ones and updates the others in place (:func:`placed`, as
      ``save_outline`` does).

    A row that replaces a stored one keeps that row's ``_member`` and ``_order``, as an update
    keeps its id.
    """
    staged = sorted(rows.to_pylist(), key=lambda row: row["_order"])
    by_member = [list(group) for _member, group in itertools.groupby(staged, key=lambda row: row["_member"])]
    kept: list[dict[str, Any]] = []
    if name == CONTENT_TABLE:
        kept = by_member[-1] if by_member else []
    elif name == POLICY_TABLE:
        for row in staged:
            if not kept:
                kept = [row]
            elif policy_changed(kept[0], row):
                kept = [{**row, **_identity(kept[0]), "created": kept[0]["created"]}]
    elif name == BLOCKS_TABLE:
        state: dict[str, dict[str, Any]] = {}
        for group in by_member:
            whole = group[0]["_member"] in complete
            after = 0 if whole or not state else max(row["position"] for row in state.values()) + 1
            folded = {} if whole else state
            for row in group:
                stored = state.get(row["usage_key"])
                placed(row, stored, complete=whole, after=after)
                folded[row["usage_key"]] = row if stored is None else {**row, **_identity(stored)}
            state = folded
        kept = sorted(state.values(), key=lambda row: row["_order"])
    else:
        raise ValueError(f"{name} is not a course document's table")
    return pa.Table.from_pylist(kept, schema=rows.schema)


def _identity(row: dict[str, Any]) -> dict[str, Any]:
    """What numbers a row (the job's id for it): kept by a row that replaces it."""
    return {"_member": row["_member"], "_order": row["_order"]}
