"""``credit_crediteligibility``: the first course offers credit to the learners who passed it."""

from __future__ import annotations

from .grades import LearnerGrades
from .output import Table
from .rows import CreditEligibilityRow
from .spec import CourseRun, later

#: How long a learner has to buy the credit once eligible (the LMS's default is a year).
_DEADLINE_HOURS = 365 * 24


def credit_crediteligibility(run: CourseRun, grades: dict[int, LearnerGrades]) -> Table:
    """One row per learner who passed the first course, by username as the exporter orders them.

    ``course_id`` is the course key (the exporter joins credit_creditcourse for it); the other
    courses offer no credit and write the header only.
    """
    eligible = [u for u in run.enrolled if grades[u.id].course.passed] if run.index == 0 else []
    rows = (
        CreditEligibilityRow(
            id=run.row_id(u),
            created=(passed := later(grades[u.id].created, hours=2)),
            modified=passed,
            username=u.username,
            deadline=later(passed, hours=_DEADLINE_HOURS),
            course_id=run.course.key,
        )
        for u in sorted(eligible, key=lambda u: u.username)
    )
    return Table("credit_crediteligibility", CreditEligibilityRow._fields, rows)
