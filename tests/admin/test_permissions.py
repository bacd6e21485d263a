"""The learner and course pages show a table's data only to staff who may view that table.

Staff members hold some view permissions and not others; each test checks the values of the
sections they may not view are absent from the page (not just the headings), and that the same
staff member gets a 403 from that table's own list.
"""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from edx_schema import api
from edx_schema.models import (
    CourseBlock,
    GeneratedCertificate,
    GradingPolicy,
    PersistentCourseGrade,
    PersistentSubsectionGrade,
)
from tests.admin.conftest import COURSE, staff_client

pytestmark = pytest.mark.django_db

HIST = "UniversityX/HIST.2x/2013_Spring"
HW3 = "block-v1:UniversityX+CS-101x+3T2024+type@sequential+block@hw3"
LEARNER = 19  # chidi_19, with a profile, two enrollments, a certificate and grades in both courses


def content(response):
    """The page's main content, without the header and navigation around it."""
    assert response.status_code == 200
    text = response.content.decode()
    return text.split('id="content-main"', 1)[1].split('id="footer"', 1)[0]


def learner_page(client):
    return content(client.get(reverse("admin:edx_schema_learner", args=[LEARNER])))


def course_page(client):
    policy = GradingPolicy.objects.get(course_id=COURSE)
    return content(client.get(reverse("admin:edx_schema_course", args=[policy.pk])))


def refused(text, what):
    return f"You do not have permission to view {what}." in text


@pytest.fixture
def override(sample):
    grade = PersistentSubsectionGrade.objects.get(
        course_id=COURSE, user_id=LEARNER, usage_key__endswith="hw3"
    )
    admin = User.objects.create_superuser("admin2", "admin2@example.org", "pw")
    return api.override_subsection_grade(grade=grade, user=admin, reason="Secret appeal", earned_graded=3.0)


def test_a_staff_member_who_may_only_view_users_sees_the_account_and_nothing_else(sample, override, client):
    staff_client(client, "auth.view_user")
    text = learner_page(client)
    # The account itself: the permission they hold.
    assert "chidi_19" in text
    assert "learner19@example.org" in text
    # Nothing from the other tables: not a course key, a name, a grade or a certificate.
    for value in (
        "Chidi Tanaka",  # profile
        "1969",  # year of birth
        COURSE,  # enrollments, grades
        HIST,
        "downloadable",  # certificate status
        "0.69",  # certificate and course grade
        "0.39",  # course grade
        "hw3",  # subsection grades
        "Secret appeal",  # override
        "studentmodule rows",
    ):
        assert value not in text, value
    for what in (
        "user profiles",
        "enrollments",
        "certificates",
        "course grades",
        "subsection grades",
        "courseware state",
    ):
        assert refused(text, what), what
    # The same tables' own lists refuse them.
    for table in ("userprofile", "generatedcertificate", "persistentcoursegrade", "courseenrollment"):
        assert client.get(reverse(f"admin:edx_schema_{table}_changelist")).status_code == 403, table


def test_each_section_appears_with_its_own_permission(sample, override, client):
    staff_client(
        client, "auth.view_user", "edx_schema.view_generatedcertificate", "edx_schema.view_userprofile"
    )
    text = learner_page(client)
    assert "Chidi Tanaka" in text
    assert "1969" in text
    certificate = GeneratedCertificate.objects.get(user_id=LEARNER)
    assert certificate.status in text
    assert certificate.grade in text
    assert HIST in text  # the certificate's course
    assert not refused(text, "certificates")
    assert not refused(text, "user profiles")
    # Still not the grades or enrollments.
    assert "0.39" not in text
    assert COURSE not in text
    assert refused(text, "course grades")
    assert refused(text, "enrollments")


def test_subsection_grades_without_the_override_permission_hide_the_overrides(sample, override, client):
    staff_client(client, "auth.view_user", "edx_schema.view_persistentsubsectiongrade")
    text = learner_page(client)
    assert "block@hw3" in text
    assert "Secret appeal" not in text
    assert "3.0 / 4.0" not in text  # the override's points (the grade's are 1.5 / 4.0)
    assert "persistentsubsectiongradeoverride" not in text  # no change, history or add link
    assert refused(text, "overrides")
    # Nor in the subsection grades' own list.
    listing = client.get(reverse("admin:edx_schema_persistentsubsectiongrade_changelist"), {"q": HW3})
    assert listing.status_code == 200
    assert "3.0/4.0" not in listing.content.decode()
    assert "column-overridden" not in listing.content.decode()


def test_a_staff_member_who_may_view_overrides_but_not_change_them_gets_no_edit_links(
    sample, override, client
):
    staff_client(
        client,
        "auth.view_user",
        "edx_schema.view_persistentsubsectiongrade",
        "edx_schema.view_persistentsubsectiongradeoverride",
    )
    text = learner_page(client)
    assert "Secret appeal" in text
    assert not refused(text, "overrides")
    assert ">view</a>" in text
    assert ">change</a>" not in text
    assert ">override</a>" not in text  # the add link, for the grades without an override
    listing = client.get(reverse("admin:edx_schema_persistentsubsectiongrade_changelist"), {"q": HW3})
    assert "3.0/4.0" in listing.content.decode()


def test_a_superuser_sees_every_section_with_its_edit_links(sample, override, admin_client):
    text = learner_page(admin_client)
    for value in (
        "Chidi Tanaka",
        COURSE,
        HIST,
        "downloadable",
        "0.39",
        "Secret appeal",
        "studentmodule rows",
    ):
        assert value in text, value
    assert "You do not have permission" not in text
    assert ">change</a>" in text
    assert ">override</a>" in text


def test_a_staff_member_who_may_not_view_users_gets_a_403_for_the_learner_page(sample, client):
    staff_client(client, "edx_schema.view_persistentcoursegrade")
    assert client.get(reverse("admin:edx_schema_learner", args=[LEARNER])).status_code == 403


def test_the_course_page_shows_the_policy_and_only_the_sections_allowed(sample, client):
    staff_client(client, "edx_schema.view_gradingpolicy")
    text = course_page(client)
    assert "Homework" in text  # the grading policy: the page's own table
    names = set(
        CourseBlock.objects.filter(course_id=COURSE, graded=True).values_list("display_name", flat=True)
    )
    assert names
    for name in names:
        assert f"<td>{name}</td>" not in text, name
    assert "block@hw1" not in text
    assert "course grades," not in text
    assert "passing" not in text
    assert refused(text, "course blocks")
    assert refused(text, "course grades")
    assert 'name="recompute"' not in text


def test_the_course_page_with_every_view_permission_shows_every_section(sample, client):
    staff_client(
        client,
        "edx_schema.view_gradingpolicy",
        "edx_schema.view_courseblock",
        "edx_schema.view_persistentcoursegrade",
        # Staff by role, cohort and team sizes (tests/admin/test_sections.py).
        "auth.view_user",
        "edx_schema.view_courseaccessrole",
        "edx_schema.view_forumrole",
        "edx_schema.view_forumroleuser",
        "edx_schema.view_courseusergroup",
        "edx_schema.view_cohortmembership",
        "edx_schema.view_courseteam",
        "edx_schema.view_courseteammembership",
        "edx_schema.view_trackingevent",  # the events chart (tests/admin/test_events.py)
    )
    text = course_page(client)
    assert "block@hw1" in text
    total = PersistentCourseGrade.objects.filter(course_id=COURSE).count()
    assert f"{total} course grades," in text
    assert "You do not have permission" not in text
    assert 'name="recompute"' not in text  # viewing grades is not changing them
    policy = GradingPolicy.objects.get(course_id=COURSE)
    assert client.post(reverse("admin:edx_schema_course", args=[policy.pk])).status_code == 403
