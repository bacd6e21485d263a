"""The legacy ``verify_student_verificationstatus``: in-course reverification (2015-08 to 2018-04).

Verified learners of courses with the new key format re-verified at a midterm checkpoint: a
``submitted`` status, then ``approved`` or, for a few, ``denied``. The exporter orders the rows
by time; here all submissions come before all decisions, each in learner order, so the rows are
written in time order without being sorted.
"""

from __future__ import annotations

from collections.abc import Iterator

from .output import Table
from .rows import VerificationStatusRow
from .spec import CourseRun, later
from .users import enrollment_mode


def verify_student_verificationstatus(run: CourseRun) -> Table:
    """The statuses of the course's verified learners at its one checkpoint; legacy courses: header only."""
    return Table("verify_student_verificationstatus", VerificationStatusRow._fields, _rows(run))


def _rows(run: CourseRun) -> Iterator[VerificationStatusRow]:
    if run.course.legacy:
        return
    checkpoint = run.course.usage_key("edx-reverification-block", "midterm")
    start = str(run.spec.base)
    for step, decided in enumerate((False, True)):
        verified = (u for u in run.enrolled if enrollment_mode(u) == "verified")
        for position, u in enumerate(verified):
            yield VerificationStatusRow(
                # 40 days in for the submissions, 80 for the decisions; a second apart in each.
                timestamp=later(start, hours=24 * 40 * (1 + step), seconds=position),
                status=("denied" if u.id % 5 == 0 else "approved") if decided else "submitted",
                course_id=run.course.key,
                checkpoint_location=checkpoint,
                user_id=u.id,
            )
