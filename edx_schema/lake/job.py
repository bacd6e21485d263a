"""The Spark job: data packages straight into the lake, without a database.

For data no single server should hold. The driver lists the packages' members and decides, by
the importer's own rules, which are loaded and in what order; each member is then one Spark task
(:mod:`.convert`), or one a piece for a big plain table file (:func:`split_tasks`), decoded by
the importer's pure decoders and converters, so the job scales with the executors. What an import
does between rows, Spark does on the converted rows:

- the last row of a key wins (the importer's upsert), the first copy of an event (its
  ``INSERT IGNORE``), a tracking log's bytes count once (the import log's SHA-256);
- a member with a bad row loads nothing (``--skip-bad-rows``: the row alone is left out, up to
  ``--max-errors`` a member); every bad row is in the rejects dataset, ``_rejects/``, with its
  file, line, column, value and reason;
- ids the package does not carry (a course grade's, an event's, a post's) are numbered in load
  order: a row's line, after the lines of its table's earlier members. Stable from run to run,
  they are not always the numbers a database would have drawn (it skips some);
- a subsection grade refers to its course's empty block list, which is written too.

The lake has the layout, types and manifest of ``export_lake``'s, so that a team's queries do not
care which of the two wrote it. The files joined to others by natural keys (forum roles, cohorts,
verification, credit) are joined by Spark (:mod:`.joins`). A course's documents (its outline,
grading policy and content tree) are folded course by course, member by member, as their loads
in turn leave the database (:func:`.convert.fold_course`); an org's e-mail opt-in list is
upserted on the importer's key (:func:`opt_in_key`).
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import json
import os
import shutil
import sys
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import FormatError, PackageError
from ..importing.documents import DOCUMENT_MEMBERS
from ..importing.email_opt_in import OPT_IN_TABLE, ORG_MEMBERS
from ..importing.joined import JOINED
from ..importing.packages import classify_member, entity_courses
from ..importing.results import ImportOptions
from ..importing.tables import not_exported_blocks, table_spec
from ..models import ForumPost, TrackingEvent, TrackingLogFile, VisibleBlocks
from ..package.names import LOADED_TABLES, member_table
from ..package.source import member_label, open_package
from .convert import (
    CONTENT_TABLE,
    DOCUMENT_TABLES,
    DONE,
    FAILED,
    JOINED_KIND,
    LINE_BITS,
    META,
    REJECT,
    staged_schema,
    staging_file,
)
from .export import FORMAT_VERSION, MANIFEST, LakeError, describe_table, file_sha256
from .joins import joined_frames, refused, staged_rows
from .schema import COURSE, DATE, ORG, LakeTable, column_array, lake_table
from .tasks import Rules, Task, course_folder, measure_piece, run_tasks

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

EVENTS_TABLE = TrackingEvent._meta.db_table
FORUM_TABLE = ForumPost._meta.db_table
SUBSECTION_GRADES = "grades_persistentsubsectiongrade"
REJECTS = "_rejects"
#: Where tasks write their members' rows before they are de-duplicated (removed at the end).
STAGING = "_staging"
#: The Spark schema of the tasks' DataFrame: :class:`Task`'s fields.
TASK_SCHEMA = (
    "package string, member string, number int, kind string, table string, token string, size bigint, "
    "label string, course string, known string, piece int, start bigint, first_line bigint, stop_line bigint"
)
#: Tables converted at the same time.
TABLES_AT_ONCE = 4
#: A plain table member bigger than this is converted in pieces of about this size.
PIECE_BYTES = 256 << 20
#: The tasks' table of a joined member: this and its token (its rows fill several tables).
JOINED_PREFIX = "join:"
#: The tables the course documents and an org's opt-in list fill, by member kind.
_DOCUMENTS = {**DOCUMENT_MEMBERS, **ORG_MEMBERS}


@dataclass
class JobResult:
    """What a run wrote: rows per table, the bad rows, and the members it did not convert."""

    out: Path
    tables: dict[str, int] = field(default_factory=dict)  # table -> rows written
    rejects: list[dict[str, Any]] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # "member: why", for members that load nothing
    skipped: list[str] = field(default_factory=list)  # "member: why", for members not converted

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


# -- the plan: which members, in which order ----------------------------------------------------------


def plan_tasks(*, paths: Iterable[str | Path], options: ImportOptions) -> tuple[list[Task], list[str]]:
    """The members to convert, numbered in the order an import loads them, and the others (why)."""
    try:
        packages = [open_package(path) for path in paths]
    except OSError as error:
        raise PackageError(f"{error.filename}: cannot read it ({error.strerror})") from None
    packages.sort(key=lambda package: package.date or datetime.date.min)
    order = {member_table(token): index for index, token in enumerate(LOADED_TABLES)}
    tasks: list[Task] = []
    skipped: list[str] = []
    # The courses earlier packages' tables name, by {org}-{course}-{run}: a course document whose
    # own package names none is keyed as the database would know its course by then.
    known: dict[str, str] = {}
    for package in packages:
        chosen = []
        members = []
        for member in package.members:
            result = classify_member(package, member, options)
            if result is None:
                members.append(member)
            else:
                skipped.append(f"{member_label(package, member)}: {result.message}")
        courses = entity_courses(package, members, options)
        for member in members:
            name = member.name
            # The import's order: tables (joined ones among them), then documents (the forum's
            # among them), then tracking logs oldest first, then org-level lists.
            if name.kind in DOCUMENT_MEMBERS:
                kind, table, token, place = name.kind, _DOCUMENTS[name.kind], "", (1, 0, "", member.path)
            elif name.kind in ORG_MEMBERS:
                kind, table, token, place = name.kind, _DOCUMENTS[name.kind], "", (3, 0, "", member.path)
            elif name.kind == "table" and name.table in JOINED:
                kind, table, token = JOINED_KIND, f"{JOINED_PREFIX}{name.table}", name.table or ""
                place = (0, order[member_table(token)], "", member.path)
            elif name.kind == "table":
                kind, table, token = "table", member_table(name.table or ""), name.table or ""
                place = (0, order[table], "", member.path)
            else:
                kind, table, token = "events", EVENTS_TABLE, ""
                place = (2, 0, str(name.date or datetime.date.min), member.path)
            chosen.append((place, member, kind, table, token))
        for _place, member, kind, table, token in sorted(chosen, key=lambda choice: choice[0]):
            number = len(tasks) + 1
            label = member_label(package, member)
            entity = member.name.entity or ""
            course, earlier = courses.get(entity, ""), known.get(entity, "")
            tasks.append(
                Task(
                    str(package.path),
                    member.path,
                    number,
                    kind,
                    table,
                    token,
                    member.size,
                    label,
                    course,
                    earlier,
                )
            )
        known.update(courses)
        package.close()
    return tasks, skipped


def split_tasks(spark: SparkSession, tasks: list[Task], *, piece_bytes: int) -> list[Task]:
    """The tasks, with each plain table member bigger than ``piece_bytes`` (a ``.sql`` file of a
    folder, not encrypted: one that can be read from any byte) replaced by its pieces, so that
    one big course's table is converted by as many tasks as it has pieces.

    A piece starts at a record's start (:func:`.package.tsv.records.record_start`). Each piece's
    first line, for messages and for "the last row of a key wins", is the member's, found by a
    first Spark job that counts each piece's lines (a read of the bytes, no decoding).
    """
    candidates = [task for task in tasks if task.kind == "table" and task.size > piece_bytes]
    plain = _plain_members({task.package for task in candidates})
    big = [task for task in candidates if (task.package, task.member) in plain]
    if not big:
        return tasks
    wanted = [
        (task.package, task.member, start, start + piece_bytes)
        for task in big
        for start in range(0, task.size, piece_bytes)
    ]
    measured = iter(spark.sparkContext.parallelize(wanted, len(wanted)).map(measure_piece).collect())
    pieces = {
        task.number: pieces_of(task, [next(measured) for _start in range(0, task.size, piece_bytes)])
        for task in big
    }
    return [piece for task in tasks for piece in pieces.get(task.number, [task])]


def pieces_of(task: Task, bounds: list[tuple[int, int, int] | None]) -> list[Task]:
    """A member's tasks, one a piece, from its pieces' (first byte, end, lines) in order: each
    piece's first line, and the first line of the piece after it. A piece inside one long
    record holds none, and is left out; a member of one piece, or one a piece of which could
    not be measured (None), is read whole."""
    if None in bounds:
        return [task]
    first_line, kept = 1, []
    for begin, finish, lines in bounds:
        if finish > begin or not kept:
            kept.append((begin, finish, first_line))
        first_line += lines
    if len(kept) == 1:
        return [task]
    stops = [line for _begin, _finish, line in kept[1:]] + [0]
    return [
        dataclasses.replace(
            task, piece=index, start=begin, first_line=line, stop_line=stop, size=finish - begin
        )
        for index, ((begin, finish, line), stop) in enumerate(zip(kept, stops, strict=True))
    ]


def _plain_members(packages: Iterable[str]) -> set[tuple[str, str]]:
    """The (package, member) of the members that can be read from any byte: the unencrypted
    files of folders and single-file packages (a zip's members are read through its inflater)."""
    plain = set()
    for path in packages:
        package = open_package(path)
        if package.kind in {"folder", "file"}:
            plain |= {(path, member.path) for member in package.members if not member.name.encrypted}
        package.close()
    return plain


# -- the run ---------------------------------------------------------------------------------------


def spark_session(master: str | None = None, *, app: str = "edx-schema lake") -> SparkSession:
    """A Spark session set up for the lake: UTC, microsecond timestamps, zstd, and Python workers
    that run this interpreter (which has edx-schema and pyarrow)."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app)
    if master:
        builder = builder.master(master)
    settings = {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        "spark.sql.parquet.compression.codec": "zstd",
        "spark.sql.sources.partitionOverwriteMode": "static",
        "spark.ui.showConsoleProgress": "false",
    }
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    if session.sparkContext.master.startswith("local"):
        # Spark's 200 shuffle partitions are for a cluster: on one machine, a package's tables
        # are shuffled (deduplicated, partitioned) in as many pieces as it has cores.
        session.conf.set("spark.sql.shuffle.partitions", str(session.sparkContext.defaultParallelism))
    return session


def run_job(
    *,
    spark: SparkSession,
    paths: Iterable[str | Path],
    out: Path,
    options: ImportOptions | None = None,
    piece_bytes: int = PIECE_BYTES,
) -> JobResult:
    """Convert the packages at ``paths`` into the lake at ``out`` (its tables are replaced); a
    plain table member bigger than ``piece_bytes`` is converted in pieces of about that size."""
    options = options or ImportOptions()
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise LakeError(f"{out}: not a folder")
    tasks, skipped = plan_tasks(paths=paths, options=options)
    rules = Rules(
        skip_bad_rows=options.skip_bad_rows,
        max_errors=options.max_errors,
        gnupghome=options.decryption.gnupghome,
        passphrase=options.decryption.passphrase,
    )
    result = JobResult(out=out, skipped=skipped)
    staging = out / STAGING
    try:
        if staging.exists():
            shutil.rmtree(staging)  # left by an interrupted run
        staging.mkdir(parents=True)
        tasks = split_tasks(spark, tasks, piece_bytes=piece_bytes)
        done, failed = _stage(spark, tasks, rules, staging, result)
        loaded = {number: counts for number, counts in done.items() if number not in failed}
        by_table: dict[str, list[Task]] = {}
        for task in tasks:
            by_table.setdefault(task.table, []).append(task)
            if task.kind == "course_olx":  # its content tree too
                by_table.setdefault(CONTENT_TABLE, []).append(task)
        complete = frozenset(number for number, counts in loaded.items() if counts.get("complete"))
        written: list[LakeTable] = []

        def convert(name: str) -> None:
            if name.startswith(JOINED_PREFIX):
                _write_joined(
                    spark,
                    out,
                    name.removeprefix(JOINED_PREFIX),
                    by_table[name],
                    loaded,
                    staging,
                    rules,
                    result,
                    written,
                )
                return
            table = lake_table(_model(name))
            if name in DOCUMENT_TABLES:
                kept = _folded_rows(spark, table, by_table[name], loaded, staging, complete)
            else:
                kept = _kept_rows(spark, table, by_table[name], loaded, staging)
            if name == EVENTS_TABLE:
                _write_log_files(spark, out, kept, by_table[name], loaded, result, written)
            if name == SUBSECTION_GRADES:
                numbers = [task.number for task in by_table[name] if task.number in loaded]
                courses = sorted({course for number in numbers for course in loaded[number]["courses"]})
                _write_visible_blocks(spark, out, courses, result, written)
            _write(spark, out, table, kept, result)
            written.append(table)

        # Tables are written side by side: for most tables of a package a Spark job of little
        # work, and Spark schedules the tasks of several together.
        with ThreadPoolExecutor(max_workers=TABLES_AT_ONCE) as pool:
            for future in [pool.submit(convert, name) for name in by_table]:
                future.result()
        shutil.rmtree(staging)
        result.rejects.sort(key=lambda entry: (entry["member"], entry["line"] or 0))
        result.failed.sort()
        _write_rejects(out, result.rejects)
        _write_manifest(out, written, result)
    except OSError as error:
        raise LakeError(f"{error.filename or out}: {error.strerror or error}") from None
    return result


def _model(table: str) -> type:
    from django.apps import apps

    models = [*apps.get_app_config("edx_schema").get_models(), apps.get_model("auth", "User")]
    return next(model for model in models if model._meta.db_table == table)


def _stage(
    spark: SparkSession, tasks: list[Task], rules: Rules, staging: Path, result: JobResult
) -> tuple[dict[int, dict], set[int]]:
    """Convert every member, a Spark task each, into its staging file: the members' counts by
    number, and the numbers of those that load nothing. Rejects and failures go to ``result``."""
    from pyspark.sql.pandas.types import from_arrow_schema

    if not tasks:
        return {}, set()
    # One partition per member, the biggest first: the cores never wait on one big member last.
    ordered = sorted(tasks, key=lambda task: -task.size)
    frame = spark.createDataFrame(
        spark.sparkContext.parallelize([dataclasses.astuple(task) for task in ordered], len(ordered)),
        TASK_SCHEMA,
    )
    run = functools.partial(run_tasks, rules=rules, staging=str(staging))
    # What is not a row is small (at most --max-errors + 2 a member): it comes to the driver.
    notes = frame.mapInArrow(run, from_arrow_schema(META)).collect()
    done: dict[int, dict] = {}
    failed: set[int] = set()
    by_member: dict[int, list] = {}
    for note in notes:
        by_member.setdefault(note["_member"], []).append(note)
    pieces: dict[int, list[Task]] = {}
    for task in tasks:
        pieces.setdefault(task.number, []).append(task)
    for number, member_notes in by_member.items():
        outcome = member_outcome(pieces[number], member_notes, rules)
        result.rejects.extend(outcome.rejects)
        if outcome.failure is not None:
            failed.add(number)
            result.failed.append(outcome.failure)
        elif outcome.counts is not None:
            done[number] = outcome.counts
    return done, failed


@dataclass
class _Outcome:
    """What one member's load comes to: its bad rows, why it loads nothing (None: it loads), and
    its counts."""

    rejects: list[dict[str, Any]]
    failure: str | None
    counts: dict[str, Any] | None


def _bad_row_text(reject: dict[str, Any]) -> str:
    """A bad row as a FormatError says it: file, line, column, why, and the value."""
    error = FormatError(
        reject["reason"],
        file=reject["file"],
        line=reject["line"],
        column=reject["column"],
        value=reject["value"],
    )
    return str(error)


def member_outcome(pieces: list[Task], notes: list[dict], rules: Rules) -> _Outcome:
    """A member's outcome from its tasks' notes. A whole member's notes say it as an import
    would. The pieces of a split member each say it for their own lines: the member fails at
    the first place that fails it read whole (a bad row, or the bad row past ``--max-errors``
    with ``--skip-bad-rows``, or a piece that could not be read), and keeps the rejects up to it."""
    label = pieces[0].label

    def entry(note: dict) -> dict[str, Any]:
        fields = {key.lstrip("_"): note[key] for key in ("_file", "_line", "_column", "_value", "_reason")}
        return {"member": label, **fields}

    rejects = [entry(note) for note in notes if note["_kind"] == REJECT]
    failures = [note for note in notes if note["_kind"] == FAILED]
    counted = [json.loads(note["_value"]) for note in notes if note["_kind"] == DONE]
    if len(pieces) == 1:
        failure = None
        if failures:
            where = f"line {failures[0]['_line']}: " if failures[0]["_line"] else ""
            failure = f"{label}: {where}{failures[0]['_reason']}"
        return _Outcome(rejects, failure, None if failures else counted[0])
    # A split member: its places of failure, by line.
    rejects = sorted({(r["line"], r["column"] or ""): r for r in rejects}.values(), key=lambda r: r["line"])
    first_lines = {task.piece: task.first_line for task in pieces}
    rejected = Counter(note["_piece"] for note in notes if note["_kind"] == REJECT)
    places: list[tuple[int, str]] = []
    if rejects and not rules.skip_bad_rows:  # the first bad row fails the member
        places.append((rejects[0]["line"], _bad_row_text(rejects[0])))
    if rules.skip_bad_rows and len(rejects) > rules.max_errors:  # so does the one past --max-errors
        last = rejects[rules.max_errors]
        text = f"{label}: more than {rules.max_errors} bad rows; the last: {_bad_row_text(last)}"
        places.append((last["line"], text))
    for note in failures:
        if note["_line"]:  # the piece failed at a record (one too long to read, say)
            places.append((note["_line"], f"line {note['_line']}: {note['_reason']}"))
            continue
        count = rejected[note["_piece"]]
        if count and (not rules.skip_bad_rows or count > rules.max_errors):
            continue  # the piece's bad rows failed it: placed above, for the whole member
        places.append((first_lines[note["_piece"]], note["_reason"]))  # it could not be read
    if not places:
        counts = {
            "read": sum(c["read"] for c in counted),
            "rejected": sum(c["rejected"] for c in counted),
            "last_line": max(c["last_line"] for c in counted),
            "courses": sorted({course for c in counted for course in c["courses"]}),
        }
        return _Outcome(rejects, None, counts)
    line, reason = min(places, key=lambda place: place[0])
    return _Outcome([r for r in rejects if r["line"] <= line], f"{label}: {reason}", None)


def _kept_rows(
    spark: SparkSession, table: LakeTable, tasks: list[Task], loaded: dict[int, dict], staging: Path
) -> DataFrame:
    """The table's rows as the database would hold them after the members' loads: the staged
    rows of the members that loaded, one per key, with the ids their files do not carry."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    staged = _staged(spark, table, tasks, loaded, staging)
    if staged is None:
        return spark.createDataFrame([], from_arrow_schema(table.schema))
    if table.name == EVENTS_TABLE:
        key, newest_first = [F.col("line_hash")], False  # the first copy of an event is kept
    elif table.name == FORUM_TABLE:
        key, newest_first = [F.col("post_id")], True
    elif table.name == OPT_IN_TABLE:
        key, newest_first = opt_in_key(), True
    else:
        key, newest_first = [F.col(column) for column in table_spec(table.name).key], True
    order = F.col("_order").desc() if newest_first else F.col("_order").asc()
    window = Window.partitionBy(*key).orderBy(order)
    kept = staged.withColumn("_rank", F.row_number().over(window)).filter(F.col("_rank") == 1)
    return _with_ids(kept, table, tasks, loaded)


def opt_in_key() -> list[Any]:
    """The key an opt-in row is upserted on, as the importer matches it: (org, user_id, course),
    or (org, e-mail, course) for a 2016 row, which has no user_id; course keys ignoring case,
    as the unique index compares them."""
    from pyspark.sql import functions as F

    user_id = F.col("user_id")
    return [F.col("org"), user_id, F.when(user_id.isNull(), F.col("email")), F.lower(F.col("course_id"))]


def _staged(
    spark: SparkSession, table: LakeTable, tasks: list[Task], loaded: dict[int, dict], staging: Path
) -> DataFrame | None:
    """The table's staged rows from the members that loaded (None: there are none)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    files = [staging_file(staging, task, table=table.name) for task in tasks if task.number in loaded]
    files = [str(path) for path in files if path.exists()]  # a member of no rows has none
    if not files:
        return None
    return spark.read.schema(from_arrow_schema(staged_schema(table))).parquet(*files)


def _with_ids(kept: DataFrame, table: LakeTable, tasks: list[Task], loaded: dict[int, dict]) -> DataFrame:
    """The kept rows with the ids their files do not carry (:func:`_numbered`), in the table's columns."""
    from pyspark.sql import functions as F

    pk = table.model._meta.pk.column
    id_type = table.schema.field(pk).type
    if pa.types.is_integer(id_type):
        number = _numbered(tasks, loaded).cast("int" if pa.types.is_int32(id_type) else "bigint")
        kept = kept.withColumn(pk, F.coalesce(F.col(pk), number))
    return kept.select(*table.schema.names)


def _folded_rows(
    spark: SparkSession,
    table: LakeTable,
    tasks: list[Task],
    loaded: dict[int, dict],
    staging: Path,
    complete: frozenset[int],
) -> DataFrame:
    """A course document's table: each course's rows folded member by member in a Spark task
    (:func:`.convert.fold_course`: a course's documents are small; its courses are many)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    staged = _staged(spark, table, tasks, loaded, staging)
    if staged is None:
        return spark.createDataFrame([], from_arrow_schema(table.schema))
    fold = course_folder(name=table.name, complete=complete)
    folded = staged.groupBy(table.course_column).applyInArrow(fold, staged.schema)
    return _with_ids(folded, table, tasks, loaded)


def _numbered(tasks: list[Task], done: dict[int, dict]) -> Any:
    """An id for a row whose file carries none: its line, after the lines of the table's earlier
    members (so ids run from 1 in load order and fit the column, as a database's would)."""
    from pyspark.sql import functions as F

    offsets, total = [], 0
    for number in sorted({task.number for task in tasks}):  # a split member's pieces share one
        offsets += [F.lit(number), F.lit(total)]
        total += done.get(number, {}).get("last_line", 0)
    line = F.col("_order") - F.col("_member").cast("long") * F.lit(1 << LINE_BITS)
    return F.element_at(F.create_map(*offsets), F.col("_member")) + line


def _write_joined(
    spark: SparkSession,
    out: Path,
    token: str,
    tasks: list[Task],
    loaded: dict[int, dict],
    staging: Path,
    rules: Rules,
    result: JobResult,
    written: list,
) -> None:
    """The tables a joined member fills (:mod:`.joins`); the rows its unique keys refuse are bad
    rows, which fail their member unless ``--skip-bad-rows`` (up to ``--max-errors``)."""
    from pyspark.sql import functions as F

    staged = staged_rows(spark, token, tasks, set(loaded), staging)
    refusals = refused(staged, token)
    by_number = {task.number: task for task in tasks}
    failing: set[int] = set()
    for refusal in refusals:
        task = by_number[refusal.member]
        entry = {"member": task.label, "file": task.label, "line": refusal.line, "column": refusal.column}
        result.rejects.append({**entry, "value": refusal.value, "reason": refusal.reason})
        too_many = loaded[task.number].get("rejected", 0) + sum(r.member == task.number for r in refusals)
        if not rules.skip_bad_rows or too_many > rules.max_errors:
            failing.add(task.number)
    for number in sorted(failing):
        first = min((r for r in refusals if r.member == number), key=lambda r: r.line)
        result.failed.append(f"{by_number[number].label}: line {first.line}: {first.reason}")
    if failing:  # those members load nothing
        staged = staged.filter(~F.col("_member").isin(sorted(failing)))
        refusals = [refusal for refusal in refusals if refusal.member not in failing]
    for name, frame in joined_frames(staged, token, refusals).items():
        table = lake_table(_model(name))
        _write(spark, out, table, frame, result)
        written.append(table)


def _write(spark: SparkSession, out: Path, table: LakeTable, rows: DataFrame, result: JobResult) -> None:
    """Write ``rows`` as the table's Hive-partitioned files (the table's earlier files go), each
    column of the table's own type."""
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    types = {field.name: field.dataType for field in from_arrow_schema(table.schema).fields}
    frame = rows.select(*(F.col(name).cast(types[name]).alias(name) for name in table.schema.names))
    root = out / table.name
    if root.exists():
        shutil.rmtree(root)
    pk = table.model._meta.pk.column
    if table.partition_by == (COURSE,):
        frame = frame.withColumn(COURSE, F.col(table.course_column))
    elif table.partition_by == (ORG, DATE):
        frame = frame.withColumn(ORG, F.col("org_id")).withColumn(DATE, F.to_date("time"))
    partitions = list(table.partition_by)
    if partitions:
        frame = frame.repartition(*partitions)  # a file per partition, as export_lake writes
    writer = frame.sortWithinPartitions(*partitions, pk).write.mode("overwrite")
    if partitions:
        writer = writer.partitionBy(*partitions)
    writer.parquet(str(root))
    files = list(root.glob("**/*.parquet"))
    if not files and not table.partition_by:  # as export_lake: an unpartitioned table has a file
        pq.write_table(table.schema.empty_table(), root / "part-00000.parquet", compression="zstd")
    result.tables[table.name] = sum(pq.read_metadata(path).num_rows for path in files)


def _write_log_files(
    spark: SparkSession,
    out: Path,
    events: DataFrame,
    tasks: list[Task],
    done: dict[int, dict],
    result: JobResult,
    written: list,
) -> None:
    """The tracking-log files whose events loaded (a file's bytes count once), with their counts."""
    model = TrackingLogFile
    stored = dict(events.groupBy("file_id").count().collect())
    now = datetime.datetime.now(datetime.UTC)
    rows, seen = [], set()
    for task in tasks:
        counts = done.get(task.number)
        if counts is None or counts["sha256"] in seen:  # failed, or the same bytes as an earlier file
            continue
        seen.add(counts["sha256"])
        package = open_package(task.package)
        member = next(m for m in package.members if m.path == task.member)
        package.close()
        inserted = stored.get(task.number, 0)
        rows.append(
            {
                "id": task.number,
                "sha256": counts["sha256"],
                "name": task.member[:255],
                "package": package.name,
                "site": member.name.site or "",
                "date": member.name.date,
                "lines": counts["lines"],
                "events": counts["events"],
                "inserted": inserted,
                "duplicates": counts["events"] - inserted,
                "bad_lines": counts["bad_lines"],
                "filtered": 0,
                "complete": True,
                "loaded_at": now,
            }
        )
    _write_small(spark, out, lake_table(model), rows, result, written)


def _write_visible_blocks(
    spark: SparkSession, out: Path, courses: list[str], result: JobResult, written: list
) -> None:
    """Each graded course's empty block list, which its subsection grades refer to."""
    rows = []
    for number, course in enumerate(courses, start=1):
        hashed, blocks = not_exported_blocks(course)
        rows.append({"id": number, "hashed": hashed, "blocks_json": blocks, "course_id": course})
    _write_small(spark, out, lake_table(VisibleBlocks), rows, result, written)


def _write_small(
    spark: SparkSession, out: Path, table: LakeTable, rows: list[dict], result: JobResult, written: list
) -> None:
    """A table the driver makes (a few rows a course or a file), written the same way."""
    arrays = [column_array([row.get(column.name) for row in rows], column) for column in table.columns]
    frame = spark.createDataFrame(pa.Table.from_arrays(arrays, schema=table.schema))
    _write(spark, out, table, frame, result)
    written.append(table)


def _write_rejects(out: Path, rejects: list[dict[str, Any]]) -> None:
    """The bad rows, one file: ``member``, ``file``, ``line``, ``column``, ``value``, ``reason``."""
    folder = out / REJECTS
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    schema = pa.schema(
        [
            ("member", pa.string()),
            ("file", pa.string()),
            ("line", pa.int64()),
            ("column", pa.string()),
            ("value", pa.string()),
            ("reason", pa.string()),
        ]
    )
    table = pa.Table.from_pylist(rejects, schema=schema)
    pq.write_table(table, folder / "part-00000.parquet", compression="zstd")


def _write_manifest(out: Path, tables: list[LakeTable], result: JobResult) -> None:
    """export_lake's manifest, less its marks: a lake the job wrote is not brought up to date by
    an incremental export (``export_lake --full`` replaces it)."""
    files = {}
    for path in sorted(out.glob("*/**/*.parquet")):
        relative = path.relative_to(out).as_posix()
        if relative.startswith(REJECTS):
            continue
        files[relative] = {"rows": pq.read_metadata(path).num_rows, "sha256": file_sha256(path)}
    manifest = {
        "format_version": FORMAT_VERSION,
        "made_by": "spark",
        "tables": {
            table.name: describe_table(table, rows=result.tables[table.name])
            for table in sorted(tables, key=lambda table: table.name)
        },
        "files": files,
        "rejects": len(result.rejects),
        "not_converted": result.skipped,
    }
    temporary = out / (MANIFEST + ".tmp")
    temporary.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(temporary, out / MANIFEST)
