"""Export the database as a Parquet lake: every table, Hive-partitioned, with a manifest.

Layout under ``out``::

    _manifest.json
    courseware_studentmodule/course=course-v1%3AOrgX+C1+2024/part-00000.parquet
    auth_user/part-00000.parquet
    edx_schema_trackingevent/org=OrgX/date=2024-11-17/part-00000.parquet

Exact: values are read as the database stores them (keys and JSON as their text, through a
cast, never parsed and printed again), in primary-key order, so the same rows always make the
same bytes. Idempotent: each file is written beside its place and renamed over it, and the
manifest is written last, so an interrupted export leaves the previous lake readable and the
next export redoes what it had not finished.

Incremental: the manifest records the last import record and tracking-log file it saw; the
next export rewrites only what the newer ones may have touched (see :class:`_Changes`): a
loaded course's partitions, the org-days of the newer log files' events, and the tables that
are not partitioned by course. ``full=True`` rewrites everything (say after ``recompute_grades``,
which no import record describes).

Bounded memory: rows are read in keyset pages of ``PAGE`` rows and each page becomes a row group,
so one page is in memory at a time, whatever the table's size.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from django.db import connection, models
from django.db.models import Func, Max
from django.db.models.functions import Cast

from ..errors import EdxSchemaError
from ..models import ImportRecord, TrackingEvent, TrackingLogFile
from .schema import COURSE, DATE, EVENTS_TABLE, ORG, LakeTable, column_array, lake_tables, partition_value

MANIFEST = "_manifest.json"
FORMAT_VERSION = 1
#: Rows read (and written as one row group) at a time, at most; fewer, at least MIN_PAGE, when
#: a page of the table's rows would hold more than about PAGE_BYTES.
PAGE = 50_000
MIN_PAGE = 1_000
FIRST_PAGE = 10_000
PAGE_BYTES = 32 << 20
#: Columns written as '': the password hashes of the database's own admin accounts (a package's
#: users have none) must not travel with the data.
WITHHELD = frozenset({("auth_user", "password")})
#: Tables of edx-schema's own bookkeeping, not data: not exported.
NOT_EXPORTED = frozenset({ImportRecord._meta.db_table})


class LakeError(EdxSchemaError):
    """The lake cannot be written where asked, or its manifest is not one this version wrote."""


@dataclass
class ExportResult:
    """What an export did: partitions written and removed, rows written, per table."""

    out: Path
    incremental: bool
    tables: dict[str, dict[str, int]] = field(default_factory=dict)  # table -> partitions, rows, removed

    def add(self, table: str, *, rows: int = 0, written: int = 0, removed: int = 0) -> None:
        counts = self.tables.setdefault(table, {"partitions": 0, "rows": 0, "removed": 0})
        counts["partitions"] += written
        counts["rows"] += rows
        counts["removed"] += removed

    @property
    def rows(self) -> int:
        return sum(counts["rows"] for counts in self.tables.values())

    @property
    def partitions(self) -> int:
        return sum(counts["partitions"] for counts in self.tables.values())


def export_lake(
    *,
    out: Path,
    full: bool = False,
    tables: Iterable[str] | None = None,
    progress: Callable[[str], None] = lambda _table: None,
) -> ExportResult:
    """Write (or bring up to date) the lake under ``out``; see the module's docstring."""
    out = Path(out)
    chosen = _chosen_tables(tables)
    manifest = _read_manifest(out)
    incremental = manifest is not None and not full
    # Before any row is read: an import that commits during the export is seen again next time.
    marks = _marks()
    changes = _changes(manifest["marks"]) if incremental else None
    result = ExportResult(out=out, incremental=incremental)
    files = {} if manifest is None or full else dict(manifest["files"])
    try:
        for table in chosen:
            progress(table.name)
            wanted = None if changes is None else changes.partitions(table)
            if wanted is not None and not wanted:
                continue  # nothing of this table changed
            if wanted is None:  # the whole table: its earlier files go
                files = {path: entry for path, entry in files.items() if path.split("/", 1)[0] != table.name}
            for partition, count, digest in _export_table(table, out=out, only=wanted, result=result):
                if digest is None:
                    files.pop(partition, None)
                else:
                    files[partition] = {"rows": count, "sha256": digest}
        _write_manifest(out, chosen if tables is None else _manifest_tables(manifest, chosen), marks, files)
    except OSError as error:  # a folder that cannot be made, a full disk: the path and the reason
        raise LakeError(f"{error.filename or out}: {error.strerror or error}") from None
    return result


def _manifest_tables(manifest: dict | None, chosen: list[LakeTable]) -> list[LakeTable]:
    """The tables a manifest describes after an export of some tables: those and the earlier ones."""
    earlier = set(manifest["tables"]) if manifest is not None else set()
    names = earlier | {table.name for table in chosen}
    return [table for table in _chosen_tables(None) if table.name in names]


def _chosen_tables(names: Iterable[str] | None) -> list[LakeTable]:
    every = [table for table in lake_tables() if table.name not in NOT_EXPORTED]
    if names is None:
        return every
    by_name = {table.name: table for table in every}
    unknown = sorted(set(names) - set(by_name))
    if unknown:
        raise LakeError(f"no such table in the lake: {', '.join(unknown)}")
    return [by_name[name] for name in sorted(set(names))]


# -- what changed since the last export -----------------------------------------------------------


def _marks() -> dict[str, int]:
    """The newest import record and tracking-log file: where the next incremental export starts."""
    return {
        "import_record": ImportRecord.objects.aggregate(last=Max("id"))["last"] or 0,
        "tracking_log_file": TrackingLogFile.objects.aggregate(last=Max("id"))["last"] or 0,
    }


@dataclass
class _Changes:
    """What imports touched after the manifest's marks.

    Conservative, because a member loads more tables than the one its record names (a course's
    OLX: its outline, content and policy; subsection grades: their visible blocks; a join
    member: its link table): a course named by any newer record has its partitions of every
    course table rewritten, a record with no course its own table whole, and every table that is
    not partitioned by course is rewritten if anything was imported at all.
    """

    courses: set[str]  # courses some member loaded
    whole: set[str]  # tables loaded with no course named
    imported: bool  # any member (or tracking log) loaded
    event_days: set[tuple[str, datetime.date]]  # (org, day) of the newer log files' events

    def partitions(self, table: LakeTable) -> list[tuple] | None:
        """The partition values of ``table`` to rewrite (None: the whole table; []: none)."""
        if table.name == EVENTS_TABLE:
            return sorted(self.event_days, key=_sort_key)
        if table.name in self.whole:
            return None
        if table.partition_by == (COURSE,):
            return [(course,) for course in sorted(self.courses)]
        return None if self.imported else []


def _changes(marks: dict[str, int]) -> _Changes:
    courses: set[str] = set()
    whole: set[str] = set()
    newer = ImportRecord.objects.filter(id__gt=marks.get("import_record", 0), outcome=ImportRecord.LOADED)
    for table, course_id in newer.values_list("table", "course_id").distinct():
        if course_id:
            courses.add(course_id)
        else:
            whole.add(table)
    files = TrackingLogFile.objects.filter(id__gt=marks.get("tracking_log_file", 0))
    days = _event_days(TrackingEvent.objects.filter(file_id__in=files.values("id")))
    imported = bool(courses or whole) or files.exists()
    return _Changes(courses=courses, whole=whole, imported=imported, event_days=days)


def _event_days(events: models.QuerySet) -> set[tuple[str, datetime.date]]:
    """The (org, UTC day) of ``events``, by the database's own DATE() of the stored UTC time
    (Django's TruncDate is a Python function per row on SQLite)."""
    day = Func("time", function="DATE", output_field=models.DateField())
    rows = _raw(events.annotate(lake_day=day).values_list("org_id", "lake_day").distinct().order_by())
    return {
        (org, datetime.date.fromisoformat(value) if isinstance(value, str) else value) for org, value in rows
    }


# -- writing a table ------------------------------------------------------------------------------


def _export_table(
    table: LakeTable, *, out: Path, only: list[tuple] | None, result: ExportResult
) -> Iterator[tuple[str, int, str | None]]:
    """Write the partitions of ``table`` (``only`` those, or all): ``(path, rows, sha256)`` of
    each, sha256 None for a partition that has no rows any more (its folder removed)."""
    root = out / table.name
    if only is None:  # the whole table: partitions not written again are gone
        _remove(root)
        values = _partition_values(table)
    else:
        values = only
    for value in values:
        folder = _folder(root, table, value)
        rows_of = _partition_rows(table, value)
        relative = str(folder.relative_to(out) / "part-00000.parquet")
        count, digest = _write_file(
            folder / "part-00000.parquet", table, rows_of, empty=not table.partition_by
        )
        if count or not table.partition_by:
            result.add(table.name, rows=count, written=1)
            yield relative, count, digest
        else:
            if folder.is_dir():  # the partition had rows at the last export
                _remove(folder)
                result.add(table.name, removed=1)
            yield relative, 0, None


def _partition_values(table: LakeTable) -> list[tuple]:
    manager = table.model._default_manager
    if table.partition_by == (COURSE,):
        # As the driver gives them (a course key field would parse each), from the course index.
        values = _raw(manager.values_list(table.course_column).distinct().order_by())
        # NULL and '' share Hive's default partition: read once.
        return sorted({(None if value == "" else value,) for (value,) in values}, key=_sort_key)
    if table.partition_by == (ORG, DATE):
        return sorted(_event_days(manager.all()), key=_sort_key)
    return [()]


def _sort_key(value: tuple) -> tuple:
    return tuple((part is None, "" if part is None else str(part)) for part in value)


def _folder(root: Path, table: LakeTable, value: tuple) -> Path:
    folder = root
    for name, part in zip(table.partition_by, value, strict=True):
        folder /= f"{name}={partition_value(part)}"
    return folder


def _partition_rows(table: LakeTable, value: tuple) -> Iterator[list[tuple]]:
    """The partition's rows, a page at a time, in primary-key order, as the database driver gives
    them (no field converters: :func:`.schema.column_array` turns a page's columns into Arrow)."""
    queryset = table.model._default_manager.all()
    if table.partition_by == (COURSE,):
        (course,) = value
        column = table.course_column
        if course is None:  # the default partition: NULL and '' (read as text: key fields refuse both)
            queryset = queryset.annotate(lake_partition=_text(table, column)).filter(
                models.Q(lake_partition__isnull=True) | models.Q(lake_partition="")
            )
        else:
            queryset = queryset.filter(**{column: course})
    elif table.partition_by == (ORG, DATE):
        org, day = value
        start = datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)
        queryset = queryset.filter(org_id=org, time__gte=start, time__lt=start + datetime.timedelta(days=1))
    pk = table.model._meta.pk.attname
    expressions = {
        f"lake_c{index}": _text(table, column.field.attname) for index, column in enumerate(table.columns)
    }
    names = list(expressions)
    queryset = queryset.annotate(**expressions).order_by(pk)
    after = None
    limit = FIRST_PAGE
    # Keyset pages, not iterator(): MySQLdb buffers a whole result on the client. A page is
    # read with the driver's cursor: Django's per-value converters (a datetime parsed from
    # SQLite's text, say) cost more than the rest of the export, and Arrow converts whole
    # columns in C instead (column_array).
    while True:
        page = queryset if after is None else queryset.filter(**{f"{pk}__gt": after})
        rows = _raw(page.values_list(pk, *names)[:limit])
        if not rows:
            return
        yield [row[1:] for row in rows]
        if len(rows) < limit:
            return
        after = rows[-1][0]
        limit = _page_rows(rows)


def _raw(queryset: models.QuerySet) -> list[tuple]:
    """The rows of ``queryset`` as the database driver gives them: no field converters."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _page_rows(rows: list[tuple]) -> int:
    """Rows of the width of ``rows`` (a sample of them) that hold about PAGE_BYTES in memory: a
    page of wide rows (events, outlines) is shorter, so that memory is bounded by bytes, not by
    a row count that suits narrow rows."""
    sample = rows[:: max(len(rows) // 100, 1)]
    size = sum(len(value) + 56 if isinstance(value, str) else 32 for row in sample for value in row)
    return max(MIN_PAGE, min(PAGE, int(PAGE_BYTES * len(sample) / max(size, 1))))


def _text(table: LakeTable, name: str) -> Any:
    """A column read as the database stores it: keys, JSON, UUIDs and the like through a cast to
    text (so that a value is never parsed and printed again), other columns as they are."""
    column = next(column for column in table.columns if name in {column.field.attname, column.name})
    field_ = column.field
    if (table.name, column.name) in WITHHELD:
        return models.Value("", output_field=models.CharField())
    plain = type(field_) in {models.CharField, models.TextField} or isinstance(field_, models.ForeignKey)
    if pa.types.is_string(column.type) and not plain:
        return Cast(field_.attname, models.TextField())
    return models.F(field_.attname)


def _write_file(
    path: Path, table: LakeTable, pages: Iterator[list[tuple]], *, empty: bool
) -> tuple[int, str]:
    """Write the pages to ``path`` (through a temporary file renamed over it): rows and SHA-256.
    With no rows nothing is written, unless ``empty``: a file of no rows, so that a reader of an
    unpartitioned table always finds its columns."""
    schema = table.schema
    temporary = path.with_name(path.name + ".tmp")
    count = 0
    writer = None
    try:
        for rows in pages:
            if writer is None:
                path.parent.mkdir(parents=True, exist_ok=True)
                writer = pq.ParquetWriter(temporary, schema, compression="zstd", write_statistics=True)
            columns = list(zip(*rows, strict=True))
            arrays = [
                column_array(values, column) for values, column in zip(columns, table.columns, strict=True)
            ]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
            count += len(rows)
    except BaseException:
        if writer is not None:
            writer.close()
        temporary.unlink(missing_ok=True)
        raise
    if writer is None:
        if not empty:
            return 0, ""
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = pq.ParquetWriter(temporary, schema, compression="zstd", write_statistics=True)
    writer.close()
    os.replace(temporary, path)
    return count, file_sha256(path)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):  # a block at a time: files can be gigabytes
            digest.update(block)
    return digest.hexdigest()


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)


# -- the manifest ---------------------------------------------------------------------------------


def _read_manifest(out: Path) -> dict | None:
    path = out / MANIFEST
    if not path.exists():
        if out.exists() and not out.is_dir():
            raise LakeError(f"{out}: not a folder")
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as error:  # unreadable, not UTF-8 or JSON, too deep
        raise LakeError(f"{path}: not a manifest this version can read ({error})") from None
    if not _well_formed(manifest):
        raise LakeError(f"{path}: not a manifest of format version {FORMAT_VERSION}; export with --full")
    return manifest


def _well_formed(manifest: Any) -> bool:
    """Whether a manifest read back has the shape this version writes (a hand edit may not)."""
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        return False
    marks, files, tables = manifest.get("marks"), manifest.get("files"), manifest.get("tables")
    return (
        isinstance(marks, dict)
        and all(type(marks.get(name)) is int for name in ("import_record", "tracking_log_file"))
        and isinstance(tables, dict)
        and isinstance(files, dict)
        and all(
            isinstance(entry, dict)
            and type(entry.get("rows")) is int
            and isinstance(entry.get("sha256"), str)
            for entry in files.values()
        )
    )


def describe_table(table: LakeTable, *, rows: int) -> dict[str, Any]:
    """A table's entry in the manifest: its partitioning, its columns' Arrow types, its rows."""
    return {
        "partition_by": list(table.partition_by),
        "columns": [{"name": column.name, "type": str(column.type)} for column in table.columns],
        "rows": rows,
    }


def _write_manifest(out: Path, tables: list[LakeTable], marks: dict[str, int], files: dict) -> None:
    manifest = {
        "format_version": FORMAT_VERSION,
        "database": connection.vendor,
        "marks": marks,
        "tables": {
            table.name: describe_table(
                table,
                rows=sum(
                    entry["rows"] for path, entry in files.items() if path.split("/", 1)[0] == table.name
                ),
            )
            for table in tables
        },
        "files": dict(sorted(files.items())),
    }
    out.mkdir(parents=True, exist_ok=True)
    temporary = out / (MANIFEST + ".tmp")
    temporary.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(temporary, out / MANIFEST)
