"""``course_groups_cohortmembership``: the package's first course splits its learners into two cohorts."""

from __future__ import annotations

from .output import Table
from .rows import CohortMembershipRow
from .spec import CourseRun

#: The cohorts' names, as the course team typed them.
COHORTS: tuple[str, ...] = ("Cohort A", "Groupe B \u2014 fran\u00e7ais")


def course_groups_cohortmembership(run: CourseRun) -> Table:
    """Every enrolled learner of the first course in one of its cohorts; other courses: header only."""
    rows = (
        CohortMembershipRow(
            user_id=u.id, course_id=run.course.key, group_type="cohort", name=COHORTS[u.id % len(COHORTS)]
        )
        for u in (run.enrolled if run.index == 0 else ())
    )
    return Table("course_groups_cohortmembership", CohortMembershipRow._fields, rows)
