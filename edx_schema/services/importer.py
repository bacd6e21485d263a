"""Import data packages: decide what each member is, load the tables in order, record the outcome.

Each member is loaded in its own transaction, together with its :class:`ImportRecord`, so a
member's rows land entirely or not at all, even if the import is killed: running it again loads
whatever was not recorded as loaded.
"""

from __future__ import annotations

import datetime
import io
import multiprocessing
import time
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from django.db import DatabaseError, OperationalError, connection, connections, transaction
from django.utils import timezone
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import UsageKey

from ..errors import FormatError, GradingPolicyError, PackageError, shown, unexpected
from ..models import ImportRecord
from ..package.course import read_course_structure, read_grading_policy
from ..package.forum import read_posts
from ..package.names import LOADED_TABLES
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
from .forum import save_posts
from .loader import FileFailed, LoadCounts, LoadOptions, Rejected, load_member
from .outline import save_grading_policy, save_outline
from .rejects import RejectsFile
from .tables import converter, table_spec

SITE_CHOICES = ("prod", "edge", "all")

# Member statuses, as the summary shows them.
LOADED = "loaded"
WOULD_LOAD = "would load"
FAILED = "failed"
EMPTY = "empty"
EXPORT_FAILED = "export failed"
MISSING = "missing"
SKIPPED = "skipped"
ALREADY = "already imported"
FILTERED = "filtered"

#: Statuses that do not make the import fail.
OK_STATUSES = frozenset({LOADED, WOULD_LOAD, EMPTY, EXPORT_FAILED, MISSING, SKIPPED, ALREADY, FILTERED})

# Tables every course's export has (the ORA tables only exist for courses that use ORA).
_EXPECTED_TABLES = (
    "auth_user",
    "auth_userprofile",
    "student_courseenrollment",
    "certificates_generatedcertificate",
    "courseware_studentmodule",
    "user_id_map",
)
# Foreign-key levels: a level's tables only refer to tables of earlier levels, so the members of
# one level can load in parallel.
_LEVELS = (
    ("auth_user", "submissions_studentitem"),
    tuple(t for t in LOADED_TABLES if t not in ("auth_user", "submissions_studentitem", "submissions_score")),
    ("submissions_score",),
)


class Progress(Protocol):
    """A progress display for one member (the command gives a tqdm bar on a terminal)."""

    def update(self, *, bytes_read: int, rows: int) -> None: ...

    def close(self) -> None: ...


ProgressFactory = Callable[[str, int], Progress]


class _NoProgress:
    def update(self, *, bytes_read: int, rows: int) -> None:
        pass

    def close(self) -> None:
        pass


def _no_progress(label: str, total: int) -> Progress:
    return _NoProgress()


@dataclass(frozen=True)
class ImportOptions:
    """What to import and how; see ``manage.py import_package --help``."""

    site: str = "prod"
    courses: frozenset[str] = frozenset()  # course entities ({Org}-{course}-{run}); empty = all
    tables: frozenset[str] = frozenset()  # empty = all loaded tables
    dry_run: bool = False
    force: bool = False
    skip_bad_rows: bool = False
    max_errors: int = 100
    jobs: int = 1
    decryption: Decryption = field(default_factory=Decryption)


@dataclass
class MemberResult:
    """What happened to one member."""

    package: str
    member: str
    status: str
    table: str = ""
    course: str = ""
    site: str = ""
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    seconds: float = 0.0
    message: str = ""
    rejects: list[Rejected] = field(default_factory=list)
    #: The traceback of an unexpected exception (a bug), which the command shows at -v 3.
    detail: str = ""


@dataclass
class ImportSummary:
    """Every member's result, in the order they were handled."""

    results: list[MemberResult] = field(default_factory=list)
    rejects_path: Path | None = None
    #: What the user should know about a package as a whole (a zip inside it, ...).
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when everything requested loaded: no failed member and no rejected row."""
        return all(r.status in OK_STATUSES and not r.rejected for r in self.results)

    def total(self, attribute: str) -> int:
        return sum(getattr(r, attribute) for r in self.results)


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
            _import_package(package, options, summary, progress or _no_progress, rejects)
            package.close()
    return summary


def _check_courses_present(packages: list[Package], options: ImportOptions) -> None:
    """Refuse a ``--course`` that no member is for (a typo would otherwise load nothing, silently)."""
    if not options.courses:
        return
    present = {member.name.entity for package in packages for member in package.members}
    absent = sorted(options.courses - present)
    if absent:
        known = sorted(e for e in present if e)
        shown = ", ".join(known[:10]) + (f" and {len(known) - 10} more" if len(known) > 10 else "")
        raise PackageError(
            f"--course: no file in {', '.join(p.name for p in packages)} is for {', '.join(absent)} "
            f"(files there are for: {shown or 'no course'}); nothing was loaded"
        )


#: Archives inside a package: the exporter never nests them, and edx-schema does not open them.
_NESTED_ARCHIVES = (".zip", ".tar", ".tgz", ".7z", ".rar")


def _classify(package: Package, member: Member, options: ImportOptions) -> MemberResult | None:
    """The result of a member that is not loaded, or None if it is to be loaded."""
    name = member.name
    result = MemberResult(package.name, member.path, SKIPPED, table=name.table or "", site=name.site or "")
    if member.refused:  # a symbolic link, a named pipe, ...: never opened
        result.status = FAILED
        result.message = f"{member_label(package, member)}: {member.refused}"
    elif name.kind == "unknown" and member.path.lower().endswith(_NESTED_ARCHIVES):
        result.message = "an archive inside the package: not read (unzip it and import it on its own)"
    elif name.kind == "unknown":
        result.message = "not a recognised member of a data package"
    elif name.failed:
        result.status = EXPORT_FAILED
        result.message = "the exporter could not produce this file (a *.failed member)"
    elif name.kind not in ("table", *DOCUMENT_MEMBERS):
        result.message = {
            "events": "tracking-log events: not modelled",
            "email_opt_in": "e-mail opt-in list: not modelled",
        }[name.kind]
    elif name.kind == "table" and not name.loaded:
        result.message = f"table {name.table} is not modelled by edx-schema"
    elif options.site != "all" and name.site not in _sites(options.site):
        result.status = FILTERED
        result.message = f"{name.site} site (see --site)"
    elif options.courses and name.entity not in options.courses:
        result.status = FILTERED
        result.message = "not one of the --course courses"
    elif options.tables and _target(member) not in options.tables:
        result.status = FILTERED
        result.message = "not one of the --tables"
    else:
        return None
    return result


#: The members that are not TSV tables (outline, grading policy, forum) and the table each fills.
DOCUMENT_MEMBERS = {
    "course_structure": "edx_schema_courseblock",
    "course_olx": "edx_schema_gradingpolicy",
    "forum": "edx_schema_forumpost",
}


def _target(member: Member) -> str:
    """The table a member loads into."""
    return DOCUMENT_MEMBERS.get(member.name.kind) or member.name.table or ""


def _sites(site: str) -> tuple[str, ...]:
    # Legacy packages combined both sites in "prod-edge" files; they belong to prod.
    return ("prod", "prod-edge") if site == "prod" else (site,)


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
        summary.results.append(MemberResult(package.name, str(package.path), FAILED, message=message))
        return
    summary.warnings.extend(package.warnings)
    if all(m.name.kind == "unknown" for m in package.members):
        message = f"none of the {package.kind}'s {len(package.members)} file(s) is a data package member"
        summary.results.append(MemberResult(package.name, str(package.path), FAILED, message=message))
    to_load: list[Member] = []
    for member in package.members:
        result = _classify(package, member, options)
        if result is None:
            to_load.append(member)
        else:
            summary.results.append(result)
            if result.status == FAILED and not options.dry_run:  # refused: the import log says so
                _record(result, package, timezone.now(), [], ImportRecord.FAILED)
    summary.results.extend(_missing(package, options))
    if not options.force and not options.dry_run:
        done = set(
            ImportRecord.objects.filter(
                package=package.name, outcome=ImportRecord.LOADED, member__in=[m.path for m in to_load]
            ).values_list("member", flat=True)
        )
        for member in [m for m in to_load if m.path in done]:
            summary.results.append(
                MemberResult(
                    package.name,
                    member.path,
                    ALREADY,
                    table=member.name.table or "",
                    site=member.name.site or "",
                    message="recorded as loaded by an earlier import (use --force to load it again)",
                )
            )
        to_load = [m for m in to_load if m.path not in done]
    courses = _entity_courses(package, to_load, options)
    outline = sorted((m for m in to_load if m.name.kind in DOCUMENT_MEMBERS), key=lambda m: m.path)
    to_load = [m for m in to_load if m.name.kind not in DOCUMENT_MEMBERS]
    order = {table: index for index, table in enumerate(LOADED_TABLES)}
    to_load.sort(key=lambda m: (order[m.name.table or ""], m.path))
    jobs = options.jobs if connection.vendor != "sqlite" and not options.dry_run else 1
    if jobs > 1:
        for level in _LEVELS:
            members = [m for m in to_load if m.name.table in level]
            summary.results.extend(_load_parallel(package, members, options, courses, jobs, rejects))
        for member in outline:
            summary.results.append(_load_one(package, member, options, courses, progress, rejects))
        return
    with _dry_run(options.dry_run):
        for member in [*to_load, *outline]:
            summary.results.append(_load_one(package, member, options, courses, progress, rejects))


@contextmanager
def _dry_run(enabled: bool):
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
        if (
            name.kind == "table"
            and name.entity
            and (options.site == "all" or name.site in _sites(options.site))
        ):
            present.setdefault(name.entity, set()).add(name.table or "")
    results = []
    for entity, tables in sorted(present.items()):
        if options.courses and entity not in options.courses:
            continue
        for table in _EXPECTED_TABLES:
            if table not in tables and (not options.tables or table in options.tables):
                results.append(
                    MemberResult(
                        package.name,
                        f"{entity}-{table}",
                        MISSING,
                        table=table,
                        message="the package has no such member for this course",
                    )
                )
    return results


def _entity_courses(package: Package, members: list[Member], options: ImportOptions) -> dict[str, str]:
    """The course key of each member's ``{Org}-{course}-{run}``, read from a file that has it.

    Names cannot be split reliably (numbers and runs contain ``-``), so the course comes from
    the first row of the entity's smallest member with a course_id column.
    """
    courses: dict[str, str] = {}
    candidates = sorted(
        (
            m
            for m in package.members
            if m.name.loaded and "course_id" in table_spec(m.name.table or "").fields
        ),
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
                check = converter(table_spec(member.name.table or ""), "course_id", connection)
                for record in reader:
                    with suppress(ValueError):  # not a course key: the member's own load says so
                        if course := check(record.values[position]):
                            courses[entity] = course
                    break
        except PackageError:
            continue  # the member's own load reports the problem
    return courses


def _load_one(
    package: Package,
    member: Member,
    options: ImportOptions,
    courses: dict[str, str],
    progress: ProgressFactory,
    rejects: RejectsFile | None,
) -> MemberResult:
    table = _target(member)
    label = member_label(package, member)
    result = MemberResult(
        package.name,
        member.path,
        FAILED,
        table=table,
        course=courses.get(member.name.entity or "", member.name.entity or ""),
        site=member.name.site or "",
    )
    bar = progress(label, member.size)
    hashing: list[HashingReader] = []

    @contextmanager
    def open_stream():
        with open_member(package, member, decryption=options.decryption) as raw:
            reader = HashingReader(raw)
            hashing[:] = [reader]
            # Buffered: the TSV reader iterates lines, and the hash sees every byte once.
            yield io.BufferedReader(reader, buffer_size=1 << 20)

    def on_progress(rows: int) -> None:
        bar.update(bytes_read=hashing[0].bytes_read if hashing else 0, rows=rows)

    load_options = LoadOptions(
        skip_bad_rows=options.skip_bad_rows, max_errors=options.max_errors, on_progress=on_progress
    )
    started = timezone.now()
    clock = time.monotonic()
    counts: LoadCounts | None = None

    def attempt() -> None:
        nonlocal counts
        with transaction.atomic():
            if member.name.kind in DOCUMENT_MEMBERS:
                counts = _load_document(open_stream, member, label, courses.get(member.name.entity or ""))
            else:
                counts = load_member(
                    open_stream=open_stream,
                    spec=table_spec(table),
                    label=label,
                    options=load_options,
                    size=member.size,
                )
            result.status = WOULD_LOAD if options.dry_run else LOADED
            _fill(result, counts)
            if counts.read == 0 and not counts.unknown_columns:
                result.status = EMPTY
                result.message = "header only" if hashing and hashing[0].bytes_read else "zero-length file"
            if not options.dry_run:  # a dry run's outer transaction is rolled back at the end
                _record(result, package, started, hashing, ImportRecord.LOADED)
            if rejects is not None:  # last, just before the commit: never written twice
                rejects.write(label=label, rejected=result.rejects)

    try:
        _with_lock_retries(attempt)
    except (FormatError, FileFailed, PackageError, GradingPolicyError) as error:
        result.status = FAILED
        result.message = str(error)
    except DatabaseError as error:
        result.status = FAILED
        result.message = f"{label}: the database refused the rows: {error}"
    except OSError as error:  # unreadable file, disk full for the pipe, ...
        result.status = FAILED
        result.message = f"{label}: cannot read it ({error.strerror or error})"
    except Exception as error:  # a bug fails this member, not the whole import
        result.status = FAILED
        result.message = f"{label}: not loaded: {unexpected(error)}"
        result.detail = "".join(traceback.format_exception(error))
    finally:
        bar.close()
    result.seconds = time.monotonic() - clock
    if result.status == FAILED:
        # The member's rows are rolled back, but its rejects say what was wrong with them.
        result.inserted = result.updated = result.unchanged = 0
        if not options.dry_run:
            try:
                with transaction.atomic():
                    _record(result, package, started, hashing, ImportRecord.FAILED)
            except DatabaseError as error:  # the connection itself is gone: say so, go on
                result.message += f" (and the import log could not record it: {unexpected(error)})"
    return result


#: How often a member is tried when InnoDB picks its transaction as a deadlock victim.
LOCK_ATTEMPTS = 3
_TRANSIENT = {1205, 1213}  # ER_LOCK_WAIT_TIMEOUT, ER_LOCK_DEADLOCK


def _with_lock_retries(attempt: Callable[[], None]) -> None:
    """Run ``attempt`` (one member in one transaction), again if InnoDB rolled it back for a lock.

    With ``--jobs`` several workers upsert into the same tables (learners shared by two courses
    are in both courses' auth_user files), and InnoDB may resolve their lock conflict by rolling
    one transaction back: MySQL's advice is to run it again. Not inside an outer transaction
    (a dry run), which the rollback has ended as well.
    """
    nested = connection.in_atomic_block
    for number in range(1, LOCK_ATTEMPTS + 1):
        try:
            attempt()
            return
        except OperationalError as error:
            code = error.args[0] if error.args else None
            if nested or code not in _TRANSIENT or number == LOCK_ATTEMPTS:
                raise
            time.sleep(0.1 * number)


def _course_of_root(usage_key: str, *, label: str) -> str:
    """The course key of a course block's usage key (legacy i4x keys carry the run as block id)."""
    try:
        key = UsageKey.from_string(usage_key)
        course = key.course_key
        if getattr(course, "run", None) is None:  # i4x://O/C/course/R:x gives no run R:x
            course = course.replace(run=key.block_id)
    except InvalidKeyError:
        message = f"the course block's key {shown(usage_key)} gives no course key"
        raise PackageError(f"{label}: {message}") from None
    return str(course)


def _load_document(open_stream, member: Member, label: str, course: str | None) -> LoadCounts:
    """Load a course_structure JSON into the outline, an OLX export's grading policy, or a forum dump."""
    counts = LoadCounts()
    with open_stream() as stream:
        if member.name.kind == "forum":
            least: list[str] = []  # the least course id seen (a set of them grows with the dump)

            def counted(posts):
                for post in posts:
                    counts.read += 1
                    if not least or post.course_id < least[0]:
                        least[:] = [post.course_id]
                    yield post

            saved = save_posts(posts=counted(read_posts(stream, label=label)))
            course = course or (least[0] if least else None)
        elif member.name.kind == "course_structure":
            blocks = read_course_structure(stream, label=label)
            course = _course_of_root(blocks[0].usage_key, label=label)
            saved = save_outline(course_id=course, blocks=blocks)
            counts.read = len(blocks)
        else:
            text = read_grading_policy(stream, label=label)
            if text is None:
                raise PackageError(
                    f"{label}: the course export has no grading_policy.json; "
                    "supply one with manage.py set_grading_policy"
                )
            if course is None:
                raise PackageError(
                    f"{label}: cannot tell which course this export is for (the package has no table "
                    "with its course_id); supply the policy with manage.py set_grading_policy"
                )
            saved = save_grading_policy(course_id=course, text=text, source=label)
            counts.read = 1
    counts.course_id = course
    counts.inserted, counts.updated, counts.unchanged = saved.inserted, saved.updated, saved.unchanged
    return counts


def _fill(result: MemberResult, counts: LoadCounts) -> None:
    result.read = counts.read
    result.inserted = counts.inserted
    result.updated = counts.updated
    result.unchanged = counts.unchanged
    result.rejected = counts.rejected
    result.rejects = counts.rejects
    if counts.course_id:
        result.course = counts.course_id
    if counts.unknown_columns:
        result.message = f"ignored unknown column(s): {', '.join(counts.unknown_columns)}"


def _record(
    result: MemberResult, package: Package, started: Any, hashing: list[HashingReader], outcome: str
) -> None:
    ImportRecord.objects.create(
        package=package.name,
        package_date=package.date,
        member=result.member,
        table=result.table,
        course_id=result.course,
        site=result.site,
        checksum=hashing[0].hexdigest() if hashing else "",
        rows_read=result.read,
        inserted=result.inserted,
        updated=result.updated,
        unchanged=result.unchanged,
        rejected=result.rejected,
        started=started,
        finished=timezone.now(),
        outcome=outcome,
        message=result.message,
    )


# The rejects file of the run, inherited by forked workers (its shared state cannot be pickled).
_worker_rejects: RejectsFile | None = None


def _load_in_worker(args: tuple[Package, Member, ImportOptions, dict[str, str]]) -> MemberResult:
    package, member, options, courses = args
    try:
        return _load_one(package, member, options, courses, _no_progress, _worker_rejects)
    finally:
        connections.close_all()


def _load_parallel(
    package: Package,
    members: list[Member],
    options: ImportOptions,
    courses: dict[str, str],
    jobs: int,
    rejects: RejectsFile | None,
) -> list[MemberResult]:
    """Load independent members in ``jobs`` worker processes, each with its own connection."""
    global _worker_rejects
    if not members:
        return []
    _worker_rejects = rejects
    connections.close_all()  # a forked worker must open its own connection, not share ours
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(jobs, len(members)), mp_context=context) as pool:
        return list(pool.map(_load_in_worker, [(package, m, options, courses) for m in members]))


__all__ = [
    "SITE_CHOICES",
    "ImportOptions",
    "ImportSummary",
    "MemberResult",
    "Progress",
    "import_packages",
]
