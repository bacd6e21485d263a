"""The learner page's problem scores: each subsection's grade computed from problem scores, next
to the stored one, and each problem's earned / possible points and where its score came from
(courseware state, an ORA submission, or none: unattempted), to whom, and at what cost.

Each test builds its own small course outline (course, chapter, a graded homework with a
vertical of problems and an ORA, and a subsection with a library whose choice is not recorded).
"""

import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from opaque_keys.edx.keys import CourseKey

from edx_schema.admin.student import PROBLEM_SCORE_MODELS
from edx_schema.models import CourseBlock, CourseContentBlock, PersistentSubsectionGrade
from edx_schema.testing.factories import (
    CourseEnrollmentFactory,
    PersistentSubsectionGradeFactory,
    ScoreFactory,
    StudentModuleFactory,
    UserFactory,
)
from tests.admin.conftest import staff_client

pytestmark = pytest.mark.django_db

COURSE = "course-v1:TestX+Scores+2024"
EMPTY = "course-v1:TestX+Empty+2024"  # an enrollment, and no outline or OLX
KEY = CourseKey.from_string(COURSE)
HOSTILE = '<script>alert("x")</script>'
HOSTILE_OLX = "<img src=x onerror=alert(1)>"


def key(category, block_id, course=KEY):
    return str(course.make_usage_key(category, block_id))


def outline(course=KEY, *, homework="Homework 1", second_problem_name=""):
    """Course -> chapter -> Homework 1 (graded) -> vertical -> p1 (weight 4), p2 (weight 2, no
    name: the OLX names it), essay (an ORA); and Quiz (graded) -> a library of one problem."""
    blocks = [
        ("course", "course", "", {"start": "2020-01-01T00:00:00Z", "display_name": "Scores course"}),
        ("chapter", "ch1", ("course", "course"), {"display_name": "Week 1"}),
        (
            "sequential",
            "hw1",
            ("chapter", "ch1"),
            {"display_name": homework, "graded": True, "format": "Homework"},
        ),
        ("vertical", "v1", ("sequential", "hw1"), {"display_name": "Unit 1"}),
        ("problem", "p1", ("vertical", "v1"), {"display_name": "Problem one", "weight": 4}),
        ("problem", "p2", ("vertical", "v1"), {"display_name": second_problem_name, "weight": 2}),
        ("openassessment", "essay", ("vertical", "v1"), {"display_name": "Essay"}),
        (
            "sequential",
            "quiz",
            ("chapter", "ch1"),
            {"display_name": "Quiz", "graded": True, "format": "Quiz"},
        ),
        ("library_content", "lib", ("sequential", "quiz"), {"display_name": "Library", "max_count": 1}),
        ("problem", "lib_p", ("library_content", "lib"), {"display_name": "Library problem"}),
    ]
    depth = {"course": 0, "chapter": 1, "sequential": 2}
    for position, (category, block_id, parent, metadata) in enumerate(blocks):
        CourseBlock.objects.create(
            course_id=course,
            usage_key=key(category, block_id, course),
            category=category,
            parent=key(*parent, course) if parent else "",
            position=position,
            depth=depth.get(category, 3),
            display_name=metadata["display_name"],
            graded=bool(metadata.get("graded")),
            format=metadata.get("format", ""),
            weight=metadata.get("weight"),
            metadata={name: value for name, value in metadata.items() if value != ""},
        )
    # p2's maximum score is only in its content: without it the LMS would leave p2 out.
    CourseContentBlock.objects.create(
        course_id=course,
        usage_key=key("problem", "p2", course),
        category="problem",
        position=0,
        settings={"display_name": "Problem two (OLX)", "weight": 2},
        max_score=3,
        source="course/problem/p2.xml",
    )


@pytest.fixture
def learner():
    """A learner with a CSM score on p1 (1 of 2), none on p2, an ORA score of 8 of 10 and a
    stored Homework 1 grade (3 of 16) that differs from the computed one (10 of 16)."""
    outline()
    user = UserFactory(username="scored")
    CourseEnrollmentFactory(user=user, course_id=COURSE)
    StudentModuleFactory(student=user, course_id=COURSE, block_id="p1", grade=1.0, max_grade=2.0)
    ScoreFactory(
        submission__student_item__user=user,
        submission__student_item__course_id=COURSE,
        submission__student_item__block_id="essay",
        points_earned=8,
        points_possible=10,
    )
    PersistentSubsectionGradeFactory(
        user=user, course_id=COURSE, block_id="hw1", earned_graded=3.0, possible_graded=16.0
    )
    return user


def page(client, user, **params):
    response = client.get(reverse("admin:edx_schema_learner", args=[user.pk]), params)
    assert response.status_code == 200
    return response


def section(response):
    """The HTML of the problem scores section, up to the next section."""
    return response.content.decode().split("<h2>Problem scores</h2>", 1)[1].split("<h2>", 1)[0]


def text_of(html):
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def rows(response):
    """The section's subsection and problem rows, each a list of its cells' text."""
    return [
        [text_of(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r'<tr class="edx-(?:subsection|problem)">(.*?)</tr>', section(response), re.S)
    ]


def test_a_superuser_sees_each_problem_with_its_points_and_source(learner, admin_client):
    found = rows(page(admin_client, learner, scores="1"))
    p1, p2, essay = key("problem", "p1"), key("problem", "p2"), key("openassessment", "essay")
    assert found == [
        # Subsection: computed graded points, first attempted, stored graded points.
        [
            f"Homework 1 {key('sequential', 'hw1')}",
            "10 / 16 (graded)",
            "",
            "Feb. 12, 2024, 2:05 p.m.",
            "3 / 16 (differs)",
        ],
        # Problem: weighted points, raw points, weight, graded, source, first attempted.
        [f"Problem one {p1}", "2 / 4", "1 / 2", "4", "yes", "CSM", "Feb. 12, 2024, 2:05 p.m.", ""],
        [f"Problem two (OLX) {p2}", "0 / 2", "0 / 3", "2", "yes", "unattempted", "-", ""],
        [f"Essay {essay}", "8 / 10", "-", "-", "yes", "submissions (ORA)", "Feb. 12, 2024, 2:05 p.m.", ""],
        [
            f"Quiz {key('sequential', 'quiz')}",
            "0 / 0 (graded)",
            "Uncertain: the learner's view depends on a random choice (a split test or library) the "
            "data does not record.",
            "(not attempted)",
            "(none stored)",
        ],
        ["No scored problems in the learner's view."],
    ]
    html = section(page(admin_client, learner, scores="1"))
    assert f"<h3>{COURSE}</h3>" in html


def test_the_scores_are_computed_on_request_only(learner, admin_client):
    html = section(page(admin_client, learner))
    assert 'href="?scores=1#problem-scores"' in html
    assert "Problem one" not in html
    assert "CSM</td>" not in html


def test_a_stored_grade_equal_to_the_computed_one_is_not_marked(learner, admin_client):
    PersistentSubsectionGrade.objects.filter(user_id=learner.pk).update(earned_graded=10.0)
    header = rows(page(admin_client, learner, scores="1"))[0]
    assert header[-1] == "10 / 16"


def test_a_course_without_content_says_so(learner, admin_client):
    CourseEnrollmentFactory(user=learner, course_id=EMPTY)
    html = section(page(admin_client, learner, scores="1"))
    empty = html.split(f"<h3>{EMPTY}</h3>", 1)[1].split("<h3>", 1)[0]
    assert text_of(empty).startswith(f"{EMPTY} has no course content to grade from")
    assert "<table" not in empty
    assert "Problem one" in html  # the other course is still shown


def test_a_learner_without_courses(admin_client):
    user = UserFactory(username="nothing")
    assert "No courses: the learner has no enrollments and no courseware state." in text_of(
        section(page(admin_client, user, scores="1"))
    )


def test_only_the_first_courses_are_computed(learner, admin_client, monkeypatch):
    monkeypatch.setattr("edx_schema.admin.student.SCORE_COURSES_SHOWN", 1)
    CourseEnrollmentFactory(user=learner, course_id="course-v1:TestX+Zzz+2024")  # after COURSE
    html = text_of(section(page(admin_client, learner, scores="1")))
    assert "Problem one" in html
    assert "TestX+Zzz" not in html
    assert "The first 1 courses are shown; 1 more are not." in html


def test_hostile_display_names_are_shown_as_text(admin_client):
    outline(homework=HOSTILE)
    CourseContentBlock.objects.filter(usage_key__endswith="p2").update(
        settings={"display_name": HOSTILE_OLX, "weight": 2}
    )
    user = UserFactory(username="hostile")
    CourseEnrollmentFactory(user=user, course_id=COURSE)
    response = page(admin_client, user, scores="1")
    html = response.content.decode()
    assert HOSTILE not in html
    assert HOSTILE_OLX not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    found = rows(response)
    assert found[0][0].startswith(HOSTILE)
    # Without scores p1 and the essay have no maximum to count (the LMS leaves them out); p2 has.
    assert found[1][0].startswith(HOSTILE_OLX)
    assert found[1][-3] == "unattempted"


def view_permissions(*models):
    return [f"{model._meta.app_label}.view_{model._meta.model_name}" for model in models]


def test_a_staff_member_without_the_studentmodule_permission_does_not_see_the_scores(learner, client):
    others = [model for model in PROBLEM_SCORE_MODELS if model._meta.model_name != "studentmodule"]
    staff_client(client, "auth.view_user", *view_permissions(*others))
    response = page(client, learner, scores="1")
    html = section(response)
    assert "Problem one" not in html
    assert "Homework 1" not in html
    assert "?scores=1" not in html
    assert "You do not have permission to view problem scores" in html
    assert "problem_scores" not in response.context


def test_a_staff_member_with_the_sections_permissions_sees_the_scores(learner, client):
    staff_client(client, "auth.view_user", *view_permissions(*PROBLEM_SCORE_MODELS))
    html = section(page(client, learner, scores="1"))
    assert "You do not have permission" not in html
    assert "Problem one" in html
    assert "submissions (ORA)" in html


@pytest.mark.parametrize("missing", ["persistentsubsectiongrade", "score"])
def test_each_table_the_section_reads_needs_its_permission(learner, client, missing):
    others = [model for model in PROBLEM_SCORE_MODELS if model._meta.model_name != missing]
    staff_client(client, "auth.view_user", *view_permissions(*others))
    html = section(page(client, learner, scores="1"))
    assert "Problem one" not in html
    assert "You do not have permission to view problem scores" in html


def queries(client, user):
    with CaptureQueriesContext(connection) as captured:
        page(client, user, scores="1")
    return len(captured.captured_queries)


def test_the_queries_do_not_grow_with_the_problems_and_grow_by_a_fixed_number_a_course(learner, admin_client):
    one_course = queries(admin_client, learner)
    # More problems, scored, and more stored subsection grades: the same queries.
    for number in range(3, 13):
        block = key("problem", f"p{number}")
        CourseBlock.objects.create(
            course_id=COURSE,
            usage_key=block,
            category="problem",
            parent=key("vertical", "v1"),
            position=100 + number,
            depth=4,
            display_name=f"Problem {number}",
            metadata={"display_name": f"Problem {number}"},
        )
        StudentModuleFactory(
            student=learner, course_id=COURSE, block_id=f"p{number}", grade=1.0, max_grade=1.0
        )
    PersistentSubsectionGradeFactory(user=learner, course_id=COURSE, block_id="quiz")
    assert queries(admin_client, learner) == one_course
    found = rows(page(admin_client, learner, scores="1"))
    assert found[0][1] == "20 / 26 (graded)"  # and ten more CSM problems of 1 point each
    assert len(found) == 16
    # A second course with content costs the same again (its content and the learner's scores).
    other = CourseKey.from_string("course-v1:TestX+Other+2024")
    outline(other)
    CourseEnrollmentFactory(user=learner, course_id=other)
    two_courses = queries(admin_client, learner)
    third = CourseKey.from_string("course-v1:TestX+Third+2024")
    outline(third)
    CourseEnrollmentFactory(user=learner, course_id=third)
    assert queries(admin_client, learner) - two_courses == two_courses - one_course
