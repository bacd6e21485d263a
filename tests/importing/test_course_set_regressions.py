"""Regressions the fuzzing harness pointed at: which course's set a course's file replaces.

A member that holds its course's full set (course roles, teams) replaces that course's rows.
A row of another course in it (a damaged key that still parses) must not make the file replace
the other course's set instead: the file may be refused, or load, but another course's rows that
it does not list stay, and its own course's rows that it no longer lists go.
"""

from __future__ import annotations

import pytest

from edx_schema.models import CourseAccessRole
from edx_schema.outcomes import Status

from .folders import COURSE, load, package

pytestmark = pytest.mark.django_db

OTHER = "course-v1:UniversityX+CS-101x+3T20"  # the course's key cut short: another course


def roles(*rows: tuple[str, int, str]) -> str:
    lines = ["org\tcourse_id\tuser_id\trole", *(f"UniversityX\t{c}\t{u}\t{r}" for c, u, r in rows)]
    return "\n".join(lines) + "\n"


def stored() -> set[tuple[str, int, str]]:
    rows = CourseAccessRole.objects.values_list("course_id", "user_id", "role")
    return {(str(course), user, role) for course, user, role in rows}


def test_a_course_roles_file_whose_first_row_is_of_another_course_replaces_its_own_course_only(tmp_path):
    CourseAccessRole.objects.create(user_id=7, org="UniversityX", course_id=OTHER, role="staff")
    (tmp_path / "w1").mkdir()
    week1 = roles((COURSE, 5, "instructor"), (COURSE, 6, "beta_testers"))
    load(package(tmp_path / "w1", "2024-01-07", {"student_courseaccessrole": week1}))
    before = stored()
    # Next week: beta_testers revoked, and a stray row of the other course comes first.
    (tmp_path / "w2").mkdir()
    week2 = roles((OTHER, 8, "staff"), (COURSE, 5, "instructor"))
    result = load(package(tmp_path / "w2", "2024-01-14", {"student_courseaccessrole": week2}))
    if result["student_courseaccessrole"].status is Status.FAILED:
        assert stored() == before
        return
    assert (OTHER, 7, "staff") in stored()  # not this file's to delete
    assert (COURSE, 6, "beta_testers") not in stored()  # revoked in this course's set
