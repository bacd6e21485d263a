"""Who runs a course: ``student_courseaccessrole`` and ``django_comment_client_role_users``.

The first enrolled learners of each course double as its staff (an instructor, a beta tester, a
data researcher), as staff who enrol do: the exporter writes them in the course's auth_user file
like any learner. One staff account never enrolled, so it is in no auth_user file of the
package: its roles name a user the package lacks, as real packages' do.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain

from .output import Table
from .rows import CourseAccessRoleRow, ForumRoleUserRow
from .spec import CourseRun

#: The user id of the course staff member who never enrolled in any course of the package.
UNENROLLED_STAFF_ID = 5

# Each role and its holder: a position among the course's enrolled learners, or None for the
# staff account that never enrolled.
_ACCESS_ROLES: tuple[tuple[int | None, str], ...] = (
    (0, "instructor"),
    (1, "beta_testers"),
    (2, "data_researcher"),
    (None, "staff"),
)
_FORUM_ROLES: tuple[tuple[int | None, str], ...] = (
    (0, "Administrator"),
    (None, "Moderator"),
    (3, "Community TA"),
)


def _holders(run: CourseRun, roles: tuple[tuple[int | None, str], ...]) -> Iterator[tuple[int, str]]:
    """``(user_id, role)`` for each role the course has a holder for (few learners: fewer roles)."""
    for position, role in roles:
        if position is None:
            yield UNENROLLED_STAFF_ID, role
        elif position < len(run.enrolled):
            yield run.enrolled[position].id, role


def student_courseaccessrole(run: CourseRun) -> Table:
    """The course's staff roles: the exporter's four columns, no id, org as in the course key."""
    rows = (
        CourseAccessRoleRow(org=run.course.org, course_id=run.course.key, user_id=user_id, role=role)
        for user_id, role in _holders(run, _ACCESS_ROLES)
    )
    return Table("student_courseaccessrole", CourseAccessRoleRow._fields, rows)


def django_comment_client_role_users(run: CourseRun) -> Table:
    """Forum roles: the staff's, then ``Student`` for every enrollment (the LMS never removes it)."""
    key = run.course.key
    staff = (ForumRoleUserRow(course_id=key, user_id=u, name=role) for u, role in _holders(run, _FORUM_ROLES))
    students = (ForumRoleUserRow(course_id=key, user_id=u.id, name="Student") for u in run.enrolled)
    return Table("django_comment_client_role_users", ForumRoleUserRow._fields, chain(staff, students))


def roles_of(run: CourseRun, user_id: int) -> tuple[list[str], list[str]]:
    """An enrolled user's course access roles and forum roles, as the course's role members list them.

    Forum roles end with ``Student``, which every enrolled learner has (the LMS never removes it).
    """
    access = [role for holder, role in _holders(run, _ACCESS_ROLES) if holder == user_id]
    forum = [role for holder, role in _holders(run, _FORUM_ROLES) if holder == user_id]
    return access, [*forum, "Student"]
