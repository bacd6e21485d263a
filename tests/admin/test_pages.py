"""Every admin page answers, read-only by default, with the learner and course pages."""

import csv
import io

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.urls import reverse

from edx_schema.models import (
    CourseEnrollment,
    GradingPolicy,
    PersistentCourseGrade,
    PersistentSubsectionGrade,
    PersistentSubsectionGradeOverride,
)
from tests.admin.conftest import COURSE

pytestmark = pytest.mark.django_db

MODELS = [model for model in admin.site._registry if model._meta.app_label == "edx_schema" or model is User]


def results(response):
    """The changelist's result table, without the filters and search echo around it."""
    text = response.content.decode()
    if 'id="result_list"' not in text:
        return ""
    return text.split('id="result_list"', 1)[1].split("</table>", 1)[0]


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.db_table)
def test_every_model_has_a_changelist_and_a_change_page(sample, admin_client, model):
    listing = admin_client.get(url(model, "changelist"))
    assert listing.status_code == 200
    first = model.objects.order_by("pk").first()
    if first is not None:  # the sample has no overrides and no import of VisibleBlocks beyond one
        page = admin_client.get(url(model, "change", first.pk))
        assert page.status_code == 200, model


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.db_table)
def test_anonymous_visitors_are_sent_to_the_login_page(sample, client, model):
    response = client.get(url(model, "changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_learner_and_course_pages_need_a_login(sample, client):
    policy = GradingPolicy.objects.get(course_id=COURSE)
    for page in (
        reverse("admin:edx_schema_learner", args=[11]),
        reverse("admin:edx_schema_course", args=[policy.pk]),
    ):
        assert client.get(page)["Location"].startswith("/admin/login/")


def test_a_username_is_found_by_its_start_and_nothing_else_is_listed(sample, admin_client):
    listed = results(admin_client.get(url(User, "changelist"), {"q": "hiro_1"}))
    assert "hiro_11" in listed
    assert "ada_" not in listed.lower()


def test_a_course_key_search_lists_that_courses_grades(sample, admin_client):
    listed = results(admin_client.get(url(PersistentCourseGrade, "changelist"), {"q": COURSE}))
    assert COURSE in listed
    assert "UniversityX/HIST.2x/2013_Spring" not in listed
    # A term that is not a key or a number matches nothing, rather than scanning every row.
    text = admin_client.get(url(PersistentCourseGrade, "changelist"), {"q": "nonsense"}).content.decode()
    assert "0 persistent course grades" in text


def test_imported_tables_are_read_only_unless_the_setting_allows_editing(sample, admin_client, settings):
    enrollment = CourseEnrollment.objects.first()
    assert admin_client.get(url(CourseEnrollment, "add")).status_code == 403
    page = admin_client.get(url(CourseEnrollment, "change", enrollment.pk)).content.decode()
    assert 'name="_save"' not in page
    settings.EDX_SCHEMA_ADMIN_EDITABLE = True
    assert admin_client.get(url(CourseEnrollment, "add")).status_code == 200
    page = admin_client.get(url(CourseEnrollment, "change", enrollment.pk)).content.decode()
    assert 'name="_save"' in page


def test_an_override_needs_a_reason_and_its_history_says_who_when_what_and_why(sample, admin_client):
    grade = PersistentSubsectionGrade.objects.get(course_id=COURSE, user_id=11, usage_key__endswith="hw2")
    form = {
        "grade": grade.pk,
        "earned_graded_override": "4",
        "possible_graded_override": "4",
        "system": "GRADEBOOK",
        "override_reason": "",
    }
    refused = admin_client.post(url(PersistentSubsectionGradeOverride, "add"), form)
    assert refused.status_code == 200
    assert "This field is required" in refused.content.decode()
    assert not PersistentSubsectionGradeOverride.objects.exists()
    saved = admin_client.post(
        url(PersistentSubsectionGradeOverride, "add"), {**form, "override_reason": "Appeal"}
    )
    assert saved.status_code == 302
    override = PersistentSubsectionGradeOverride.objects.get(grade=grade)
    record = override.history.get()
    assert (record.history_user.username, record.history_change_reason) == ("admin", "Appeal")
    # The learner's course grade followed, as in the LMS (0.59 before, see the override command).
    assert PersistentCourseGrade.objects.get(course_id=COURSE, user_id=11).percent_grade == 0.92
    history = admin_client.get(
        url(PersistentSubsectionGradeOverride, "history", override.pk)
    ).content.decode()
    assert "Appeal" in history
    assert "admin" in history
    assert "4.0" in history


def test_the_learner_page_shows_everything_in_a_fixed_number_of_queries(
    sample, admin_client, django_assert_max_num_queries
):
    # Session and user, the page's own sections, one query per table section, and four for the
    # ORA submissions with their scores, assessments and the assessments' points.
    with django_assert_max_num_queries(20):
        page = admin_client.get(reverse("admin:edx_schema_learner", args=[11]))
    text = page.content.decode()
    assert page.status_code == 200
    for section in (
        "Profile",
        "Enrollments",
        "Certificates",
        "Course grades",
        "Subsection grades",
        "Courseware state",
        "Course roles",
        "Forum roles",
        "Cohorts",
        "Teams",
        "Credit eligibility",
        "ORA submissions",
        "E-mail opt-in",
        "Language proficiencies",
    ):
        assert section in text
    assert "hiro_11" in text
    assert COURSE in text
    assert "studentmodule rows" in text
    # The studentmodule link filters by learner and course.
    listing = admin_client.get(
        reverse("admin:edx_schema_studentmodule_changelist"), {"student__id__exact": 11, "course_id": COURSE}
    )
    assert listing.status_code == 200


def test_the_course_page_shows_policy_subsections_and_distribution_and_recomputes(sample, admin_client):
    policy = GradingPolicy.objects.get(course_id=COURSE)
    page = admin_client.get(reverse("admin:edx_schema_course", args=[policy.pk])).content.decode()
    assert "Homework" in page
    assert "Final Exam" in page
    passing = PersistentCourseGrade.objects.filter(course_id=COURSE).exclude(letter_grade="").count()
    assert f"20 course grades, {passing} passing" in page
    PersistentCourseGrade.objects.filter(course_id=COURSE).delete()
    done = admin_client.post(reverse("admin:edx_schema_course", args=[policy.pk]), follow=True)
    assert "20 learners, 20 new" in done.content.decode()
    assert PersistentCourseGrade.objects.filter(course_id=COURSE).count() == 20


def test_course_grades_export_as_csv(sample, admin_client):
    ids = list(PersistentCourseGrade.objects.filter(course_id=COURSE).values_list("pk", flat=True))
    response = admin_client.post(
        url(PersistentCourseGrade, "changelist"), {"action": "export", "_selected_action": ids}
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == [
        "user_id",
        "course_id",
        "percent_grade",
        "letter_grade",
        "passed_timestamp",
        "modified",
    ]
    assert len(rows) == 21
    assert {row[1] for row in rows[1:]} == {COURSE}


def test_json_columns_are_pretty_printed(sample, admin_client):
    from edx_schema.models import StudentModule

    module = StudentModule.objects.exclude(state=None).first()
    page = admin_client.get(url(StudentModule, "change", module.pk)).content.decode()
    assert '<pre class="edx-json">' in page


def test_changing_and_deleting_an_override_in_the_admin_is_in_its_history(sample, admin_client):
    from edx_schema import api

    grade = PersistentSubsectionGrade.objects.get(course_id=COURSE, user_id=11, usage_key__endswith="hw2")
    override = api.override_subsection_grade(
        grade=grade, user=User.objects.get(username="admin"), reason="First", earned_graded=1.0
    )
    change = url(PersistentSubsectionGradeOverride, "change", override.pk)
    form = {"grade": grade.pk, "earned_graded_override": "3", "possible_graded_override": "4"}
    assert (
        admin_client.post(change, {**form, "system": "GRADEBOOK", "override_reason": "Second"}).status_code
        == 302
    )
    assert (
        admin_client.post(
            url(PersistentSubsectionGradeOverride, "delete", override.pk), {"post": "yes"}
        ).status_code
        == 302
    )
    assert not PersistentSubsectionGradeOverride.objects.exists()
    history = PersistentSubsectionGradeOverride.history.order_by("history_id")
    assert [(h.history_type, h.history_user.username, h.earned_graded_override) for h in history] == [
        ("+", "admin", 1.0),
        ("~", "admin", 3.0),
        ("-", "admin", 3.0),
    ]
    assert history[1].history_change_reason == "Second"
    # Deleting restored the grade's own 0/7 for hw2: back to 0.59.
    assert PersistentCourseGrade.objects.get(course_id=COURSE, user_id=11).percent_grade == 0.59
