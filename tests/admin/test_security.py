"""What the adversarial run found held, kept held: escaping, the login redirect and CSRF."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from edx_schema import api
from edx_schema.models import (
    CourseBlock,
    GradingPolicy,
    ImportRecord,
    PersistentSubsectionGrade,
    PersistentSubsectionGradeOverride,
    UserProfile,
)
from tests.admin.conftest import COURSE

pytestmark = pytest.mark.django_db

MARKUP = '<script>alert("x")</script><img src=x onerror=alert(1)>'
ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"


def test_stored_markup_is_shown_as_text_on_the_learner_and_course_pages(sample, admin_client):
    UserProfile.objects.filter(user_id=11).update(name=MARKUP, goals=MARKUP)
    grade = PersistentSubsectionGrade.objects.get(course_id=COURSE, user_id=11, usage_key__endswith="hw3")
    api.override_subsection_grade(
        grade=grade, user=User.objects.get(username="admin"), reason=MARKUP, earned_graded=1.0
    )
    CourseBlock.objects.filter(course_id=COURSE, category="sequential", graded=True).update(
        display_name=MARKUP
    )
    policy = GradingPolicy.objects.get(course_id=COURSE)
    for page in (
        reverse("admin:edx_schema_learner", args=[11]),
        reverse("admin:edx_schema_course", args=[policy.pk]),
    ):
        text = admin_client.get(page).content.decode()
        assert MARKUP not in text, page
        assert ESCAPED in text, page


def test_stored_markup_is_shown_as_text_in_the_import_log(sample, admin_client):
    record = ImportRecord.objects.first()
    ImportRecord.objects.filter(pk=record.pk).update(member=MARKUP, message=MARKUP)
    for page in (
        reverse("admin:edx_schema_importrecord_changelist"),
        reverse("admin:edx_schema_importrecord_change", args=[record.pk]),
    ):
        text = admin_client.get(page).content.decode()
        assert MARKUP not in text, page
        assert ESCAPED in text, page


def test_every_page_this_app_adds_sends_an_anonymous_visitor_to_log_in(sample, client):
    policy = GradingPolicy.objects.get(course_id=COURSE)
    grade = PersistentSubsectionGrade.objects.get(course_id=COURSE, user_id=11, usage_key__endswith="hw3")
    override = api.override_subsection_grade(
        grade=grade,
        user=User.objects.create_superuser("boss", "boss@example.org", "pw"),
        reason="Appeal",
        earned_graded=1.0,
    )
    pages = [
        reverse("admin:edx_schema_learner", args=[11]),
        reverse("admin:edx_schema_course", args=[policy.pk]),
        reverse("admin:edx_schema_persistentsubsectiongradeoverride_history", args=[override.pk]),
        reverse(
            "admin:edx_schema_persistentsubsectiongradeoverride_simple_history",
            args=[override.pk, override.history.get().history_id],
        ),
        reverse("admin:edx_schema_persistentsubsectiongradeoverride_history", args=["abc"]),
    ]
    for model in admin.site._registry:
        pages.append(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=["1"]))
    for page in pages:
        for response in (client.get(page), client.post(page)):
            assert response.status_code == 302, page
            assert response["Location"].startswith("/admin/login/"), page


def test_posts_without_a_csrf_token_are_refused(sample):
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.create_superuser("boss", "boss@example.org", "pw"))
    policy = GradingPolicy.objects.get(course_id=COURSE)
    grade = PersistentSubsectionGrade.objects.get(course_id=COURSE, user_id=11, usage_key__endswith="hw3")
    posts = [
        (reverse("admin:edx_schema_course", args=[policy.pk]), {}),
        (
            reverse("admin:edx_schema_persistentsubsectiongradeoverride_add"),
            {"grade": grade.pk, "earned_graded_override": "4", "system": "GRADEBOOK", "override_reason": "x"},
        ),
        (
            reverse("admin:edx_schema_gradingpolicy_changelist"),
            {"action": "recompute_selected", "_selected_action": [policy.pk]},
        ),
    ]
    for page, form in posts:
        assert client.post(page, form).status_code == 403, page
    assert not PersistentSubsectionGradeOverride.objects.exists()
