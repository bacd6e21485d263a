"""One member of a package, loaded in its own transaction together with its record in the log.

A member's rows land entirely or not at all, even if the import is killed: running the import
again loads whatever was not recorded as loaded.
"""

from __future__ import annotations

import io
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import BinaryIO

from django.db import DatabaseError, IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from ..errors import FormatError, GradingPolicyError, PackageError, unexpected
from ..models import ImportRecord
from ..outcomes import Status
from ..package.names import member_table
from ..package.source import HashingReader, Member, Package, member_label, open_member
from .documents import DOCUMENT_MEMBERS, load_document
from .email_opt_in import ORG_MEMBERS, load_email_opt_in
from .events import EVENT_MEMBERS, AlreadyLoaded, EventLoadOptions, load_event_log
from .rejects import RejectsFile
from .results import ImportOptions, MemberResult, Progress
from .rows import FileFailed, LoadCounts, LoadOptions
from .table_members import load_table_member

#: How often a member is tried when InnoDB picks its transaction as a deadlock victim.
LOCK_ATTEMPTS = 3
_TRANSIENT = {1205, 1213}  # ER_LOCK_WAIT_TIMEOUT, ER_LOCK_DEADLOCK
# ER_DUP_ENTRY: a row that was not there when read was inserted meanwhile by another import
# (two imports of one course's outline). Run again, the member finds it; if the file itself
# collides, the last attempt says so.
_RACED = {1062}


def target_table(member: Member) -> str:
    """The table a member loads into."""
    kind = member.name.kind
    return (
        DOCUMENT_MEMBERS.get(kind)
        or ORG_MEMBERS.get(kind)
        or EVENT_MEMBERS.get(kind)
        or member_table(member.name.table or "")
    )


class MemberImport:
    """Loading one member: its stream (hashed as it is read), its progress, its result and record."""

    def __init__(
        self,
        package: Package,
        member: Member,
        *,
        options: ImportOptions,
        course: str | None,
        progress: Progress,
        rejects: RejectsFile | None,
    ) -> None:
        self.package, self.member, self.options = package, member, options
        self.course, self.progress, self.rejects = course, progress, rejects
        self.label = member_label(package, member)
        self.hashing: HashingReader | None = None  # the stream of the latest attempt
        self.started = timezone.now()  # made just before it runs
        self.result = MemberResult(
            package=package.name,
            member=member.path,
            status=Status.FAILED,
            table=target_table(member),
            course=course or member.name.entity or "",
            site=member.name.site or "",
            rejects_expected=member.name.kind in EVENT_MEMBERS,
        )

    def run(self) -> MemberResult:
        """Load the member, record the outcome, and return its result (never raises for the member)."""
        result = self.result
        clock = time.monotonic()
        try:
            _with_lock_retries(self._attempt)
        except AlreadyLoaded as error:  # nothing was written
            result.status = Status.ALREADY
            result.message = str(error)
        except (FormatError, FileFailed, PackageError, GradingPolicyError) as error:
            self._fail(str(error))
        except DatabaseError as error:
            self._fail(f"{self.label}: the database refused the rows: {error}")
        except OSError as error:  # unreadable file, disk full for the pipe, ...
            self._fail(f"{self.label}: cannot read it ({error.strerror or error})")
        except Exception as error:  # a bug fails this member, not the whole import
            self._fail(f"{self.label}: not loaded: {unexpected(error)}")
            result.detail = "".join(traceback.format_exception(error))
        finally:
            self.progress.close()
        result.seconds = time.monotonic() - clock
        if result.status is Status.FAILED:
            self._record_failure()
        return result

    def _fail(self, message: str) -> None:
        self.result.status = Status.FAILED
        self.result.message = message

    @contextmanager
    def open_stream(self) -> Iterator[BinaryIO]:
        """The member's bytes, hashed and counted as they are read."""
        with open_member(self.package, self.member, decryption=self.options.decryption) as raw:
            self.hashing = HashingReader(raw)
            # Buffered: the TSV reader iterates lines, and the hash sees every byte once.
            yield io.BufferedReader(self.hashing, buffer_size=1 << 20)

    @contextmanager
    def read_again(self) -> Iterator[BinaryIO]:
        """The member's bytes once more, for a second pass (the first pass's hash stands)."""
        with open_member(self.package, self.member, decryption=self.options.decryption) as raw:
            yield raw

    def on_progress(self, rows: int) -> None:
        self.progress.update(bytes_read=self.hashing.bytes_read if self.hashing else 0, rows=rows)

    def _attempt(self) -> None:
        """One try: load the member, record it and write its rejects, in one transaction."""
        options, result = self.options, self.result
        with transaction.atomic():
            counts = self._load()
            if counts.checksum and self.hashing is not None:  # read in full by the loader itself
                self.hashing.adopt(bytes_read=self.member.size, hexdigest=counts.checksum)
            result.set_counts(counts)
            result.rejects = counts.rejects
            if counts.course_id:
                result.course = counts.course_id
            notes = list(counts.warnings)
            if counts.unknown_columns:
                notes.append(f"ignored unknown column(s): {', '.join(counts.unknown_columns)}")
            result.message = "; ".join(notes)
            result.status = Status.WOULD_LOAD if options.dry_run else Status.LOADED
            if counts.read == 0 and not counts.unknown_columns:
                result.status = Status.EMPTY
                read_any = self.hashing is not None and self.hashing.bytes_read
                empty = "no lines" if self.member.name.kind in EVENT_MEMBERS else "header only"
                result.message = "; ".join(notes) or (empty if read_any else "zero-length file")
            if not options.dry_run:  # a dry run's outer transaction is rolled back at the end
                self._record(Status.LOADED)
            if self.rejects is not None:  # last, just before the commit: never written twice
                self.rejects.write(label=self.label, rejected=result.rejects)

    def _load(self) -> LoadCounts:
        if self.member.name.kind in DOCUMENT_MEMBERS:
            return load_document(self.open_stream, self.member, label=self.label, course=self.course)
        options = LoadOptions(
            skip_bad_rows=self.options.skip_bad_rows,
            max_errors=self.options.max_errors,
            on_progress=self.on_progress,
        )
        if self.member.name.kind in EVENT_MEMBERS:
            return load_event_log(
                open_stream=self.open_stream,
                member=self.member,
                package=self.package.name,
                label=self.label,
                options=EventLoadOptions(
                    filter=self.options.event_filter(),
                    force=self.options.force,
                    max_errors=self.options.max_errors,
                    on_progress=self.on_progress,
                ),
            )
        if self.member.name.kind in ORG_MEMBERS:
            return load_email_opt_in(
                open_stream=self.open_stream,
                member=self.member,
                label=self.label,
                options=options,
                courses=self.options.courses,
            )
        return load_table_member(
            token=self.member.name.table or "",
            open_stream=self.open_stream,
            label=self.label,
            options=options,
            size=self.member.size,
            course_id=self.course,
            read_again=self.read_again,
        )

    def _record_failure(self) -> None:
        """The member's rows are rolled back, but the log says why (its rejects say what was wrong)."""
        self.result.clear_stored()
        if self.options.dry_run:
            return
        try:
            with transaction.atomic():
                self._record(Status.FAILED)
        except DatabaseError as error:  # the connection itself is gone: say so, go on
            self.result.message += f" (and the import log could not record it: {unexpected(error)})"

    def _record(self, outcome: Status) -> None:
        record_result(self.result, self.package, started=self.started, hashing=self.hashing, outcome=outcome)


def record_result(
    result: MemberResult,
    package: Package,
    *,
    started: object,
    hashing: HashingReader | None = None,
    outcome: Status,
) -> None:
    """Add ``result`` to the import log."""
    ImportRecord.objects.create(
        package=package.name,
        package_date=package.date,
        member=result.member,
        table=result.table,
        course_id=result.course,
        site=result.site,
        checksum=hashing.hexdigest() if hashing else "",
        **ImportRecord.count_fields(result),
        started=started,
        finished=timezone.now(),
        outcome=outcome,
        message=result.message,
    )


def _with_lock_retries(attempt: Callable[[], None]) -> None:
    """Run ``attempt`` (one member in one transaction), again if InnoDB rolled it back for a lock
    or another import inserted a row it was about to insert.

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
        except (OperationalError, IntegrityError) as error:
            code = error.args[0] if error.args else None
            again = _TRANSIENT if isinstance(error, OperationalError) else _RACED
            if nested or code not in again or number == LOCK_ATTEMPTS:
                raise
            time.sleep(0.1 * number)
