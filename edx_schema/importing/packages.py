"""Import data packages: decide what each member is, load the tables in order, record the outcome.

The orchestration of an import. Each member is loaded by :class:`~.member.MemberImport` in its
own transaction, together with its :class:`~edx_schema.models.ImportRecord`.
"""

from __future__ import annotations

import datetime
import functools
import itertools
import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

from django.db import connections, transaction
from django.db.models import Q
from django.utils import timezone

from ..errors import PackageError
from ..helper_process import die_with_parent
from ..keys import course_key
from ..models import ImportRecord
from ..outcomes import Status
from ..package.names import LOADED_TABLES, course_entity, member_table, sites_of
from ..package.source import Member, Package, member_label, open_member, open_package
from ..package.tsv import TsvReader
from .backends import backend
from .documents import DOCUMENT_MEMBERS
from .email_opt_in import OPT_IN_TABLE, ORG_MEMBERS
from .events import EVENT_MEMBERS, EVENTS_TABLE
from .member import MemberImport, record_result, target_table
from .member_specs import member_course_converter, member_references
from .rejects import RejectsFile
from .results import ImportOptions, ImportSummary, MemberResult, ProgressFactory, no_progress
from .schedule import LoadSchedule

# Tables every course's export has (the ORA tables only exist for courses that use ORA).
_EXPECTED_TABLES = (
    "auth_user",
    "auth_userprofile",
    "student_courseenrollment",
    "certificates_generatedcertificate",
    "courseware_studentmodule",
    "user_id_map",
)
#: Rows of a member read to find its course (a first row of another course is passed over).
_COURSE_PROBE_ROWS = 1_000
# Tables a member's load reads that its rows do not refer to: a course's language proficiencies
# are those of its enrolled learners' profiles.
_READS = {"student_languageproficiency": ("auth_userprofile", "student_courseenrollment")}
# The opt-in list loads after the users and enrollments whose preferences it lists.
_OPT_IN_AFTER = frozenset({"auth_user", "student_courseenrollment"})


@functools.cache
def load_dependencies() -> dict[str, frozenset[str]]:
    """For each table of LOADED_TABLES, the tables that must be loaded before it, from the models.

    A table's rows refer to these (or its load reads them). A reference to a table later in
    LOADED_TABLES is one that is filled afterwards (the wiki's article -> current revision) and
    does not count.
    """
    position = {member_table(token): index for index, token in enumerate(LOADED_TABLES)}
    return {
        member_table(token): frozenset(
            t
            for t in (*member_references(token), *_READS.get(token, ()))
            if position.get(t, len(position)) < position[member_table(token)]
        )
        for token in LOADED_TABLES
    }


#: Archives inside a package: the exporter never nests them, and edx-schema does not open them.
_NESTED_ARCHIVES = (".zip", ".tar", ".tgz", ".7z", ".rar")


def import_packages(
    *,
    paths: Iterable[str | Path],
    options: ImportOptions,
    rejects_path: Path | None = None,
    progress: ProgressFactory | None = None,
) -> ImportSummary:
    """Import the packages at ``paths``, oldest first (by the date in their names).

    Raises PackageError when a path cannot be read at all; problems with single members are
    reported in the summary instead, and the other members go on.
    """
    rejects = RejectsFile(rejects_path) if rejects_path is not None else None
    if rejects is not None:
        rejects.check()  # before loading anything: rejected rows must never be lost
    summary = ImportSummary(rejects_path=rejects_path)
    with ExitStack() as opened:  # each package closes the zip it keeps open for its members
        try:
            packages = [opened.enter_context(open_package(path)) for path in paths]
        except OSError as error:
            raise PackageError(f"{error.filename}: cannot read it ({error.strerror})") from None
        # Stable: undated packages keep their given order, before the dated ones.
        packages.sort(key=lambda p: p.date or datetime.date.min)
        _check_courses_present(packages, options)
        for package in packages:
            _import_package(package, options, summary, progress or no_progress, rejects)
            package.close()
    return summary


def _check_courses_present(packages: list[Package], options: ImportOptions) -> None:
    """Refuse a ``--course`` that no member is for (a typo would otherwise load nothing, silently)."""
    if not options.courses:
        return
    present = {member.name.entity for package in packages for member in package.members}
    absent = sorted(options.courses - present)
    # A package of an org's opt-in list alone (its own zip since 2017) names no course: the list's
    # load says whether it has rows of the --course courses.
    org_level = any(m.name.kind in ORG_MEMBERS for package in packages for m in package.members)
    # Nor does an org's tracking log: its events are of every course, filtered one by one.
    events = options.events and any(m.name.kind in EVENT_MEMBERS for p in packages for m in p.members)
    if absent and not events and not (org_level and present <= {None}):
        known = sorted(e for e in present if e)
        shown = ", ".join(known[:10]) + (f" and {len(known) - 10} more" if len(known) > 10 else "")
        raise PackageError(
            f"--course: no file in {', '.join(p.name for p in packages)} is for {', '.join(absent)} "
            f"(files there are for: {shown or 'no course'}); nothing was loaded"
        )


def classify_member(package: Package, member: Member, options: ImportOptions) -> MemberResult | None:
    """The result of a member that is not loaded, or None if it is to be loaded (the import's rule,
    and the Spark job's)."""
    name = member.name
    result = MemberResult(
        package=package.name,
        member=member.path,
        status=Status.SKIPPED,
        table=name.table or EVENT_MEMBERS.get(name.kind, ""),
        site=name.site or "",
    )
    if member.refused:  # a symbolic link, a named pipe, ...: never opened
        result.status = Status.FAILED
        result.message = f"{member_label(package, member)}: {member.refused}"
    elif name.kind == "unknown" and member.path.lower().endswith(_NESTED_ARCHIVES):
        result.message = "an archive inside the package: not read (unzip it and import it on its own)"
    elif name.kind == "unknown":
        result.message = "not a recognised member of a data package"
    elif name.failed:
        result.status = Status.EXPORT_FAILED
        result.message = "the exporter could not produce this file (a *.failed member)"
    elif name.kind in EVENT_MEMBERS and not options.events:
        result.message = "a tracking log (--no-events)"
    elif name.kind == "table" and not name.loaded:
        result.message = f"table {name.table} is not modelled by edx-schema"
    elif name.site not in sites_of(options.site):
        result.status = Status.FILTERED
        result.message = f"{name.site} site (see --site)"
    elif name.kind in EVENT_MEMBERS and not _in_event_window(name.date, options):
        result.status = Status.FILTERED
        result.message = "a tracking log of a day outside --since/--until"
    elif (
        options.courses
        and name.entity not in options.courses
        and name.kind not in ORG_MEMBERS
        and name.kind not in EVENT_MEMBERS  # its events are filtered one by one
    ):
        result.status = Status.FILTERED
        result.message = "not one of the --course courses"
    elif options.tables and target_table(member) not in options.tables:
        result.status = Status.FILTERED
        result.message = "not one of the --tables"
    else:
        return None
    return result


#: Days after --until whose tracking logs are still read: the exporter files an event under the
#: day it was received, and reads its own sources two days either side of a day for that reason
#: (mobile events arrive late). Before --since, a day's file holds nothing newer than that day.
EVENT_FILE_DAYS_AFTER = 2


def _in_event_window(day: datetime.date | None, options: ImportOptions) -> bool:
    """Whether a tracking log named for ``day`` may hold events of the --since/--until days."""
    if day is None:
        return True
    if options.since is not None and day < options.since - datetime.timedelta(days=1):
        return False
    return options.until is None or day <= options.until + datetime.timedelta(days=EVENT_FILE_DAYS_AFTER)


def _import_package(
    package: Package,
    options: ImportOptions,
    summary: ImportSummary,
    progress: ProgressFactory,
    rejects: RejectsFile | None,
) -> None:
    # Nothing here could load: say so instead of a silent "Imported: 0 rows".
    if not package.members:
        message = f"the {package.kind} holds no files"
        summary.results.append(_package_failure(package, message))
        return
    summary.warnings.extend(package.warnings)
    if all(m.name.kind == "unknown" for m in package.members):
        message = f"none of the {package.kind}'s {len(package.members)} file(s) is a data package member"
        summary.results.append(_package_failure(package, message))
    to_load: list[Member] = []
    for member in package.members:
        result = classify_member(package, member, options)
        if result is None:
            to_load.append(member)
            continue
        summary.results.append(result)
        if result.status is Status.FAILED and not options.dry_run:  # refused: the import log says so
            record_result(result, package, started=timezone.now(), outcome=Status.FAILED)
    summary.results.extend(_missing(package, options))
    if not options.force and not options.dry_run:
        already = _already_loaded(package, to_load)
        summary.results.extend(already)
        done = {result.member for result in already}
        to_load = [m for m in to_load if m.path not in done]
    courses = entity_courses(package, to_load, options)
    documents = sorted((m for m in to_load if m.name.kind in DOCUMENT_MEMBERS), key=lambda m: m.path)
    # Org-level members (the e-mail opt-in list) load after every course's users and enrollments
    # (in parallel, beside the other course tables), and are reported last.
    org_level = sorted((m for m in to_load if m.name.kind in ORG_MEMBERS), key=lambda m: m.path)
    # Tracking logs refer to nothing: they load last, oldest first, so that an event sent twice
    # is credited to the file that brought it first.
    events = sorted(
        (m for m in to_load if m.name.kind in EVENT_MEMBERS),
        key=lambda m: (m.name.date or datetime.date.min, m.path),
    )
    order = {table: index for index, table in enumerate(LOADED_TABLES)}
    tables = sorted(
        (
            m
            for m in to_load
            if m.name.kind not in DOCUMENT_MEMBERS
            and m.name.kind not in ORG_MEMBERS
            and m.name.kind not in EVENT_MEMBERS
        ),
        key=lambda m: (order[m.name.table or ""], m.path),
    )
    # Tracking logs load one at a time in this process, after the pool: each is decoded by helper
    # processes of its own, one per core (importing.event_decoding), which a pool worker could
    # not start.
    parallel = [*tables, *org_level]
    jobs = 1 if backend().single_writer or options.dry_run else min(options.jobs, len(parallel))
    org_results: list[MemberResult] = []
    if jobs > 1:
        results = _load_parallel(package, parallel, options, courses, jobs, rejects, progress)
        summary.results.extend(results[: len(tables)])
        org_results = results[len(tables) :]
        tables, org_level = [], []
    with _dry_run(options.dry_run):
        for member in [*tables, *documents, *events, *org_level]:
            course = courses.get(member.name.entity or "")
            bar = progress(member_label(package, member), member.size)
            load = MemberImport(
                package, member, options=options, course=course, progress=bar, rejects=rejects
            )
            summary.results.append(load.run())
    summary.results.extend(org_results)


def _package_failure(package: Package, message: str) -> MemberResult:
    return MemberResult(package=package.name, member=str(package.path), status=Status.FAILED, message=message)


def _already_loaded(package: Package, members: list[Member]) -> list[MemberResult]:
    """The members the import log records as loaded from this package (skipped unless --force)."""
    done = set(
        ImportRecord.objects.filter(
            package=package.name, outcome=Status.LOADED, member__in=[m.path for m in members]
        )
        # An opt-in list loaded for some --course courses only (its record names them) is not loaded.
        .exclude(Q(table=OPT_IN_TABLE) & ~Q(course_id=""))
        # A tracking log is known by its bytes, whatever its name (see importing.events).
        .exclude(table=EVENTS_TABLE)
        .values_list("member", flat=True)
    )
    return [
        MemberResult(
            package=package.name,
            member=member.path,
            status=Status.ALREADY,
            table=member.name.table or "",
            site=member.name.site or "",
            message="recorded as loaded by an earlier import (use --force to load it again)",
        )
        for member in members
        if member.path in done
    ]


@contextmanager
def _dry_run(enabled: bool) -> Iterator[None]:
    """In a dry run, everything happens in one transaction that is rolled back at the end.

    Later members then see earlier ones' rows (a profile finds its user), as in a real import.
    """
    if not enabled:
        yield
        return
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _missing(package: Package, options: ImportOptions) -> list[MemberResult]:
    """The usual tables that a course's export lacks (reported, not fatal)."""
    present: dict[str, set[str]] = {}
    for member in package.members:
        name = member.name
        if name.kind == "table" and name.entity and name.site in sites_of(options.site):
            present.setdefault(name.entity, set()).add(name.table or "")
    results = []
    for entity, tables in sorted(present.items()):
        if options.courses and entity not in options.courses:
            continue
        for table in _EXPECTED_TABLES:
            if table not in tables and (not options.tables or table in options.tables):
                results.append(
                    MemberResult(
                        package=package.name,
                        member=f"{entity}-{table}",
                        status=Status.MISSING,
                        table=table,
                        message="the package has no such member for this course",
                    )
                )
    return results


def entity_courses(package: Package, members: list[Member], options: ImportOptions) -> dict[str, str]:
    """The course key of each member's ``{Org}-{course}-{run}``, read from a file that has it.

    Names cannot be split reliably (numbers and runs contain ``-``), so the course comes from
    the rows of the entity's smallest member with a course_id column: the first course key
    whose ``{Org}-{course}-{run}`` is the entity's.
    """
    courses: dict[str, str] = {}
    candidates = sorted(
        (m for m in package.members if m.name.loaded and member_course_converter(m.name.table or "")),
        key=lambda m: m.size,
    )
    wanted = {m.name.entity for m in members}
    for member in candidates:
        entity = member.name.entity
        if entity in courses or entity not in wanted or entity is None:
            continue
        try:
            with open_member(package, member, decryption=options.decryption, complete=False) as stream:
                reader = TsvReader(stream, file=member_label(package, member))
                if "course_id" not in reader.header:
                    continue
                position = reader.header.index("course_id")
                check = member_course_converter(member.name.table or "")
                # The first row whose course is the member name's: a stray row of another
                # course (a damaged key that still parses) must not speak for the file.
                for record in itertools.islice(reader, _COURSE_PROBE_ROWS):
                    with suppress(ValueError, IndexError):  # the member's own load says so
                        course = check(record.values[position])
                        if course and _entity_of(course) == entity:
                            courses[entity] = course
                            break
        except PackageError:
            continue  # the member's own load reports the problem
    return courses


def _entity_of(course: str) -> str:
    """The ``{Org}-{course}-{run}`` a course's member names carry."""
    key = course_key(course)
    return course_entity(org=key.org, course=key.course, run=key.run)


def _load_in_worker(
    args: tuple[Package, Member, ImportOptions, str | None, RejectsFile | None],
) -> MemberResult:
    package, member, options, course, rejects = args
    try:
        load = MemberImport(
            package, member, options=options, course=course, progress=no_progress("", 0), rejects=rejects
        )
        return load.run()
    finally:
        # The worker keeps its connection for its next member, unless this one left it unusable.
        for connection in connections.all(initialized_only=True):
            if connection.connection is not None and not connection.is_usable():
                connection.close()


def _load_parallel(
    package: Package,
    members: list[Member],
    options: ImportOptions,
    courses: dict[str, str],
    jobs: int,
    rejects: RejectsFile | None,
    progress: ProgressFactory,
) -> list[MemberResult]:
    """Load the table members in ``jobs`` worker processes, each with its own connection.

    Members start as :class:`~.schedule.LoadSchedule` allows: once what they refer to is loaded,
    one per table at a time, the biggest first. Results come in ``members``' order, whatever the
    order they finished in. One progress display counts the files' bytes as each file is done.
    """
    if not members:
        return []
    schedule = LoadSchedule(
        [target_table(member) for member in members],
        [member.size for member in members],
        {**load_dependencies(), OPT_IN_TABLE: _OPT_IN_AFTER},
    )
    results: dict[int, MemberResult] = {}
    loading: dict[Future[MemberResult], int] = {}
    bar = progress(f"{package.name}: {len(members)} files, {jobs} at a time", sum(m.size for m in members))
    loaded_bytes = loaded_rows = 0
    connections.close_all()  # a forked worker must open its own connection, not share ours
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        max_workers=min(jobs, len(members)),
        mp_context=context,
        initializer=die_with_parent,
        initargs=(os.getpid(),),
    ) as pool:
        while not schedule.done:
            for index in schedule.start(jobs - len(loading)):
                member = members[index]
                work = (package, member, options, courses.get(member.name.entity or ""), rejects)
                loading[pool.submit(_load_in_worker, work)] = index
            done, _ = wait(loading, return_when=FIRST_COMPLETED)
            for future in done:
                index = loading.pop(future)
                results[index] = future.result()
                schedule.finish(index)
                loaded_bytes += members[index].size
                loaded_rows += results[index].read
                bar.update(bytes_read=loaded_bytes, rows=loaded_rows)
    bar.close()
    return [results[index] for index in range(len(members))]
