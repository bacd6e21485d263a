"""No admin page counts or scans a whole big table: the queries of each page, checked.

Every query a page runs is recorded and checked: it is bounded by a LIMIT or a WHERE (a count
counts a LIMITed subquery, or one learner's or one course's rows), it never sorts or DISTINCTs a
whole table, and on SQLite its plan (EXPLAIN QUERY PLAN) never scans a big table without a LIMIT
to stop it: a WHERE must be answered from an index.
"""

import re
from collections import Counter

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from edx_schema.models import (
    AnonymousUserId,
    Assessment,
    AssessmentPart,
    CohortMembership,
    CourseAccessRole,
    CourseEnrollment,
    CourseTeamMembership,
    CreditEligibility,
    EmailOptIn,
    ForumRoleUser,
    GradingPolicy,
    LanguageProficiency,
    PersistentCourseGrade,
    PersistentSubsectionGrade,
    Score,
    StudentItem,
    StudentModule,
    Submission,
)
from tests.admin.conftest import COURSE
from tests.admin.section_rows import (
    LEARNER,
    with_course_rows,
    with_learner_rows,
    with_more_learner_rows,
    without_section_rows,
)

pytestmark = pytest.mark.django_db

BIG = {
    model._meta.db_table: model
    for model in (
        StudentModule,
        PersistentCourseGrade,
        PersistentSubsectionGrade,
        CourseEnrollment,
        User,
        # What the learner and course pages' table sections read (edx_schema.admin.sections).
        CourseAccessRole,
        ForumRoleUser,
        CohortMembership,
        CourseTeamMembership,
        CreditEligibility,
        LanguageProficiency,
        EmailOptIn,
        # What the learner page's ORA section joins (edx_schema.services.ora).
        Submission,
        StudentItem,
        AnonymousUserId,
        Score,
        Assessment,
        AssessmentPart,
    )
}
SUBSECTION = "block-v1:UniversityX+CS-101x+3T2024+type@sequential+block@hw1"
PAGES = [
    (StudentModule, {}),
    (StudentModule, {"q": "11"}),
    (StudentModule, {"course_id": COURSE, "module_type": "problem"}),
    (StudentModule, {"q": "block-v1:UniversityX+CS-101x+3T2024+type@problem+block@hw1_p1"}),
    (
        StudentModule,
        {"modified__gte": "2024-01-01 00:00:00+00:00", "modified__lt": "2025-01-01 00:00:00+00:00"},
    ),
    (PersistentCourseGrade, {}),
    (PersistentCourseGrade, {"q": COURSE}),
    (PersistentCourseGrade, {"course_id": COURSE, "passed_timestamp__gte": "2024-01-01 00:00:00+00:00"}),
    (PersistentSubsectionGrade, {}),
    (PersistentSubsectionGrade, {"q": SUBSECTION}),
    (PersistentSubsectionGrade, {"course_id": COURSE}),
    (CourseEnrollment, {}),
    (CourseEnrollment, {"q": "12"}),
    (CourseEnrollment, {"course_id": COURSE}),
    (User, {}),
    (User, {"q": "hiro"}),
    (User, {"q": "hiro_11@"}),
    (Submission, {}),
    (Submission, {"learner": str(LEARNER)}),  # the learner page's link to all their submissions
]


def big_tables(sql):
    return [table for table in BIG if re.search(rf'[`"]{table}[`"]', sql)]


def check(sql, *, mysql_plans=True):
    """The problems of one query, as sentences."""
    problems = []
    upper = sql.upper()
    tables = big_tables(sql)
    if not tables:
        return problems
    if "COUNT(" in upper and "LIMIT" not in upper and " WHERE " not in upper:
        problems.append("a COUNT of a whole table")
    if "DISTINCT" in upper:
        problems.append("a DISTINCT over a big table")
    if upper.startswith("SELECT") and "LIMIT" not in upper and " WHERE " not in upper:
        problems.append("a SELECT with neither LIMIT nor a condition")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            plan = [row[-1] for row in cursor.fetchall()]
        for step in plan:
            if (
                "TEMP B-TREE" in step
                and "ORDER BY" in step
                and any(f"SCAN {t}" in " ".join(plan) for t in tables)
            ):
                problems.append(f"sorts a whole table: {plan}")
            scanned = [t for t in tables if re.fullmatch(rf"SCAN {t}( .*)?", step) and "INDEX" not in step]
            # Walking a table in key order is fine for a LIMITed page; filtering while walking
            # it is not: a rare match reads the whole table.
            if scanned and ("LIMIT" not in upper or " WHERE " in upper):
                problems.append(f"scans {scanned} without an index: {plan}")
    if mysql_plans and connection.vendor == "mysql" and upper.startswith("SELECT") and "ORDER BY" in upper:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + sql)
            columns = [c[0] for c in cursor.description]
            plan = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        for step in plan:
            extra = step.get("Extra") or ""
            # Sorting one learner's or one course's rows (type ref or range) is bounded; sorting
            # after reading a whole big table (type ALL or index) is not.
            sorting = "Using temporary" in extra or "Using filesort" in extra
            if sorting and step["table"] in tables and step["type"] in ("ALL", "index"):
                problems.append(f"sorts a whole table: {plan}")
    return problems


@pytest.fixture
def small_pages(monkeypatch):
    """Pages of 3 rows, so that the sample's tables span several pages, as big tables do.

    (A list that fits on one page is read without a LIMIT, which is right for it.)
    """
    for model_admin in admin.site._registry.values():
        monkeypatch.setattr(model_admin, "list_per_page", 3)


@pytest.mark.parametrize(("model", "params"), PAGES, ids=lambda p: getattr(p, "__name__", None) or str(p))
def test_changelists_of_big_tables_run_only_bounded_indexed_queries(
    sample, small_pages, admin_client, model, params
):
    path = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(path, params)
    assert response.status_code == 200
    assert "?e=" not in response.url if hasattr(response, "url") else True  # not an invalid-lookup redirect
    found = {q["sql"]: check(q["sql"]) for q in queries.captured_queries}
    assert {sql: problems for sql, problems in found.items() if problems} == {}
    assert any(big_tables(sql) for sql in found)  # the page did read the table


def test_the_paginator_counts_a_limited_subquery_and_says_more_than(sample, admin_client, monkeypatch):
    monkeypatch.setattr("edx_schema.admin.base.COUNT_CAP", 30)
    path = reverse("admin:edx_schema_studentmodule_changelist")
    with CaptureQueriesContext(connection) as queries:
        text = admin_client.get(path, {"course_id": COURSE}).content.decode()
    assert "more than 30 results" in text
    (count,) = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"]]
    assert "LIMIT 31" in count


def test_the_learner_and_course_pages_run_only_bounded_indexed_queries(sample, admin_client):
    policy = GradingPolicy.objects.get(course_id=COURSE)
    for path in (
        reverse("admin:edx_schema_learner", args=[11]),
        reverse("admin:edx_schema_course", args=[policy.pk]),
    ):
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(path).status_code == 200
        # Their GROUP BYs read one learner's or one course's rows through an index (SQLite's plan
        # check says so); MariaDB's plans for them are not checked, as on these few-row test
        # tables it prefers reading the table to using the index.
        found = {q["sql"]: check(q["sql"], mysql_plans=False) for q in queries.captured_queries}
        assert {sql: problems for sql, problems in found.items() if problems} == {}


def test_the_pages_run_the_same_bounded_queries_however_many_rows_their_sections_have(
    sample, admin_client, monkeypatch
):
    """A learner or a course with no roles, cohorts, teams, ORA submissions or opt-ins, with
    some, and with more than a section shows: the same queries each time, each reading at most
    the rows shown plus one (to know there are more). The one exception: without submissions,
    the ORA section has no scores and assessments to look up."""
    monkeypatch.setattr("edx_schema.admin.sections.ROWS_SHOWN", 1)
    policy = GradingPolicy.objects.get(course_id=COURSE)
    pages = (
        reverse("admin:edx_schema_learner", args=[LEARNER]),
        reverse("admin:edx_schema_course", args=[policy.pk]),
    )

    def queries_of_pages():
        found = []
        for path in pages:
            with CaptureQueriesContext(connection) as queries:
                assert admin_client.get(path).status_code == 200
            found.append([q["sql"] for q in queries.captured_queries])
        return found

    without_section_rows()
    empty = queries_of_pages()
    hiro = with_learner_rows()
    with_course_rows()
    some = queries_of_pages()
    with_more_learner_rows(hiro)
    more = queries_of_pages()
    assert [len(page) for page in some] == [len(page) for page in more]
    assert [tables_read(page) for page in some] == [tables_read(page) for page in more]
    (learner_empty, course_empty), (learner_some, course_some) = empty, some
    assert tables_read(course_empty) == tables_read(course_some)
    assert tables_read(learner_some) - tables_read(learner_empty) == Counter(ORA_LOOKUPS)
    assert len(learner_some) - len(learner_empty) == len(ORA_LOOKUPS)
    # One query a section: the rows shown plus one, from the table the section lists.
    sections = [outer_table(sql) for page in more for sql in page if sql.endswith("LIMIT 2")]
    assert sorted(sections) == sorted(SECTION_TABLES)
    found = {sql: check(sql, mysql_plans=False) for page in more for sql in page}
    assert {sql: problems for sql, problems in found.items() if problems} == {}


def outer_table(sql):
    """The table a query reads (its outer FROM: a subquery's table has an alias, U0)."""
    return re.search(r'FROM [`"](\w+)[`"](?! U\d)', sql)[1]


def tables_read(page):
    """How many queries of a page read each table."""
    return Counter(outer_table(sql) for sql in page if sql.startswith("SELECT"))


#: The table each section of the learner page, then of the course page, lists.
SECTION_TABLES = [
    "student_courseaccessrole",
    "django_comment_client_role_users",
    "course_groups_cohortmembership",
    "teams_courseteammembership",
    "credit_crediteligibility",
    "submissions_submission",
    "edx_schema_emailoptin",
    "student_languageproficiency",
    "student_courseaccessrole",
    "django_comment_client_role",
    "course_groups_courseusergroup",
    "teams_courseteam",
]
#: What the ORA section looks up for the submissions it shows: their scores, their assessments
#: and the assessments' points.
ORA_LOOKUPS = ["submissions_score", "assessment_assessment", "assessment_assessmentpart"]
