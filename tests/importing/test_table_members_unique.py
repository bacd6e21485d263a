"""Unique columns other than the key: a colliding row is a row error, never an update of another row.

The upsert is keyed on the table's key only. A row whose username, e-mail or other unique values
another row (of another id) holds, even with other letter case, is refused with its file, line,
column and value, identically on SQLite and MariaDB (where the collation ignores case), and the
other row is left exactly as it was.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from edx_schema.models import CourseEnrollment, StudentItem
from edx_schema.outcomes import Status

from .folders import COURSE, PREFIX, SUFFIX, load, package

pytestmark = pytest.mark.django_db

USERS_HEADER = (
    "id\tusername\tfirst_name\tlast_name\temail\tpassword\tis_staff\tis_active\tis_superuser\t"
    "last_login\tdate_joined\n"
)


def user(id_: int, username: str, email: str, first_name: str = "Bao") -> str:
    return f"{id_}\t{username}\t{first_name}\tNguyen\t{email}\t\t0\t1\t0\tNULL\t2013-02-01 10:00:00\n"


def stored_users() -> list[tuple]:
    return list(User.objects.order_by("id").values_list("id", "username", "first_name", "email"))


@pytest.fixture
def bao(tmp_path):
    """User 10, bao_10, already loaded."""
    first = load(
        package(tmp_path, "2024-01-07", {"auth_user": USERS_HEADER + user(10, "bao_10", "bao@x.org")})
    )
    assert first["auth_user"].status == Status.LOADED
    return stored_users()


@pytest.mark.parametrize(
    ("row", "column", "value"),
    [
        (user(99, "BAO_10", "other@x.org", "Mallory"), "username", "BAO_10"),  # letter case aside
        (user(99, "bao_10", "other@x.org", "Mallory"), "username", "bao_10"),
        (user(99, "mallory", "BAO@x.org", "Mallory"), "email", "BAO@x.org"),
    ],
    ids=["username-other-case", "username", "email-other-case"],
)
def test_a_new_row_colliding_with_another_rows_unique_value_fails_the_file(tmp_path, bao, row, column, value):
    folder = package(
        tmp_path, "2024-01-14", {"auth_user": USERS_HEADER + user(11, "ada_11", "ada@x.org") + row}
    )
    result = load(folder)["auth_user"]
    assert result.status == Status.FAILED
    assert result.message == (
        f"universityx-2024-01-14/{PREFIX}auth_user{SUFFIX}, line 3, column {column}: another row of "
        f"auth_user (id 10) already has this {column} (unique, whatever the letter case) (value: {value!r})"
    )
    assert stored_users() == bao  # user 10 untouched, neither 11 nor 99 stored


def test_skip_bad_rows_stores_the_other_rows_and_counts_exactly(tmp_path, bao):
    rows = (
        user(99, "BAO_10", "mallory@x.org", "Mallory")
        + user(11, "ada_11", "ada@x.org")
        + user(10, "bao_10", "bao@x.org")
    )
    result = load(package(tmp_path, "2024-01-14", {"auth_user": USERS_HEADER + rows}), skip_bad_rows=True)[
        "auth_user"
    ]
    assert result.status == Status.LOADED
    assert (result.read, result.inserted, result.updated, result.unchanged, result.rejected) == (
        3,
        1,
        0,
        1,
        1,
    )
    rejected = result.rejects[0]
    assert (rejected.line, rejected.column, rejected.value) == (2, "username", "BAO_10")
    assert stored_users() == [*bao, (11, "ada_11", "Bao", "ada@x.org")]


def test_rows_of_one_file_collide_with_each_other_in_line_order(tmp_path):
    rows = user(20, "ada", "ada@x.org") + user(21, "Ada", "ada2@x.org") + user(22, "ADA", "ada3@x.org")
    result = load(package(tmp_path, "2024-01-07", {"auth_user": USERS_HEADER + rows}), skip_bad_rows=True)[
        "auth_user"
    ]
    assert [(r.line, r.column, r.value) for r in result.rejects] == [
        (3, "username", "Ada"),
        (4, "username", "ADA"),
    ]
    assert all("another row of auth_user (id 20)" in r.reason for r in result.rejects)
    assert (result.inserted, result.rejected) == (1, 2)
    assert stored_users() == [(20, "ada", "Bao", "ada@x.org")]


def test_a_value_freed_earlier_in_the_file_may_be_taken_later(tmp_path, bao):
    # Rows apply in line order: user 10 gives up bao_10 on line 2, so user 99 may take it on line 3.
    rows = user(10, "bao_ten", "bao@x.org") + user(99, "BAO_10", "mallory@x.org", "Mallory")
    result = load(package(tmp_path, "2024-01-14", {"auth_user": USERS_HEADER + rows}))["auth_user"]
    assert result.status == Status.LOADED
    assert (result.inserted, result.updated, result.unchanged, result.rejected) == (1, 1, 0, 0)
    assert stored_users() == [(10, "bao_ten", "Bao", "bao@x.org"), (99, "BAO_10", "Mallory", "mallory@x.org")]


def test_a_value_taken_before_it_is_freed_is_refused(tmp_path, bao):
    rows = user(99, "BAO_10", "mallory@x.org", "Mallory") + user(10, "bao_ten", "bao@x.org")
    result = load(package(tmp_path, "2024-01-14", {"auth_user": USERS_HEADER + rows}), skip_bad_rows=True)[
        "auth_user"
    ]
    assert [(r.line, r.column) for r in result.rejects] == [(2, "username")]
    assert (result.inserted, result.updated, result.rejected) == (0, 1, 1)
    assert stored_users() == [(10, "bao_ten", "Bao", "bao@x.org")]


STUDENTITEM_HEADER = "id\tstudent_id\tcourse_id\titem_id\titem_type\n"
ITEM = "block-v1:UniversityX+CS-101x+3T2024+type@openassessment+block@essay"


@pytest.mark.parametrize("student", ["5d41402abc4b2a76b9719d911017c592", "5D41402ABC4B2A76B9719D911017C592"])
def test_a_multi_column_unique_key_is_refused_whatever_the_case(tmp_path, student):
    first = f"1\t5d41402abc4b2a76b9719d911017c592\t{COURSE}\t{ITEM}\topenassessment\n"
    load(package(tmp_path, "2024-01-07", {"submissions_studentitem": STUDENTITEM_HEADER + first}))
    second = f"2\t{student}\t{COURSE}\t{ITEM}\tother\n3\tffff\t{COURSE}\t{ITEM}\topenassessment\n"
    folder = package(tmp_path, "2024-01-14", {"submissions_studentitem": STUDENTITEM_HEADER + second})
    result = load(folder, skip_bad_rows=True)["submissions_studentitem"]
    (rejected,) = result.rejects
    assert (rejected.line, rejected.column, rejected.value) == (
        2,
        "course_id, student_id, item_id",
        (COURSE, student, ITEM),
    )
    assert (
        "another row of submissions_studentitem (id 1) already has this course_id and student_id and item_id"
        in (rejected.reason)
    )
    assert (result.inserted, result.updated, result.rejected) == (1, 0, 1)
    assert sorted(StudentItem.objects.values_list("id", "item_type")) == [
        (1, "openassessment"),
        (3, "openassessment"),
    ]


def test_an_enrollment_of_the_same_learner_and_course_under_another_id_is_refused(tmp_path):
    users = USERS_HEADER + user(7, "ada", "ada@x.org")
    header = "id\tuser_id\tcourse_id\tcreated\tis_active\tmode\n"
    first = package(
        tmp_path,
        "2024-01-07",
        {"auth_user": users, "student_courseenrollment": header + f"1\t7\t{COURSE}\tNULL\t1\thonor\n"},
    )
    load(first)
    second = package(
        tmp_path, "2024-01-14", {"student_courseenrollment": header + f"2\t7\t{COURSE}\tNULL\t0\taudit\n"}
    )
    result = load(second)["student_courseenrollment"]
    assert result.status == Status.FAILED
    assert result.message.endswith(
        "line 2, column user_id, course_id: another row of student_courseenrollment (id 1) already has "
        f"this user_id and course_id (unique, whatever the letter case) (value: (7, {COURSE!r}))"
    )
    assert list(CourseEnrollment.objects.values_list("id", "is_active", "mode")) == [(1, True, "honor")]


def test_two_rows_that_swap_their_usernames_are_both_refused(tmp_path):
    # Line order: user 10 cannot take "ada" while user 11 holds it, nor user 11 "bao" then.
    load(
        package(
            tmp_path,
            "2024-01-07",
            {"auth_user": USERS_HEADER + user(10, "bao", "b@x.org") + user(11, "ada", "a@x.org")},
        )
    )
    swapped = (
        USERS_HEADER + user(10, "ADA", "b@x.org") + user(11, "bao", "a@x.org") + user(12, "cy", "c@x.org")
    )
    result = load(package(tmp_path, "2024-01-14", {"auth_user": swapped}), skip_bad_rows=True)["auth_user"]
    assert [(r.line, r.value) for r in result.rejects] == [(2, "ADA"), (3, "bao")]
    assert (result.inserted, result.updated, result.unchanged, result.rejected) == (1, 0, 0, 2)
    assert [u[:2] for u in stored_users()] == [(10, "bao"), (11, "ada"), (12, "cy")]


def test_a_key_repeated_in_the_file_is_inserted_once_then_updated(tmp_path):
    rows = user(30, "ada", "a@x.org") + user(31, "bo", "b@x.org") + user(30, "Ada", "a@x.org", "Adele")
    result = load(package(tmp_path, "2024-01-07", {"auth_user": USERS_HEADER + rows}))["auth_user"]
    assert (result.read, result.inserted, result.updated, result.unchanged) == (3, 2, 1, 0)
    assert stored_users() == [(30, "Ada", "Adele", "a@x.org"), (31, "bo", "Bao", "b@x.org")]


def test_rows_written_or_deleted_between_imports_count_at_the_next(tmp_path, bao):
    User.objects.create(id=50, username="zed", email="zed@x.org")
    User.objects.filter(id=10).delete()  # frees bao_10
    rows = user(51, "ZED", "z2@x.org") + user(99, "BAO_10", "mallory@x.org", "Mallory")
    result = load(package(tmp_path, "2024-01-14", {"auth_user": USERS_HEADER + rows}), skip_bad_rows=True)[
        "auth_user"
    ]
    assert [(r.line, r.value) for r in result.rejects] == [(2, "ZED")]
    assert [u[:2] for u in stored_users()] == [(50, "zed"), (99, "BAO_10")]
