"""The admin changes overrides through the overrides service: one check, one history record each.

Saving, deleting and deleting several at once all go through ``services.overrides``, as the API
and ``manage.py override_subsection_grade`` do: the same check of the points (finite, 0 or more),
exactly one history row per change with the staff member and the reason, and the learner's course
grade recomputed.
"""

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import User
from django.urls import reverse

from edx_schema import api
from edx_schema.admin.grades import DELETED_IN_THE_ADMIN
from edx_schema.models import (
    PersistentCourseGrade,
    PersistentSubsectionGrade,
    PersistentSubsectionGradeOverride,
)
from tests.admin.conftest import COURSE

pytestmark = pytest.mark.django_db

ADD = reverse("admin:edx_schema_persistentsubsectiongradeoverride_add")
LIST = reverse("admin:edx_schema_persistentsubsectiongradeoverride_changelist")


def change_url(override):
    return reverse("admin:edx_schema_persistentsubsectiongradeoverride_change", args=[override.pk])


def hw3(user_id=11):
    return PersistentSubsectionGrade.objects.get(course_id=COURSE, user_id=user_id, usage_key__endswith="hw3")


def form(grade, **fields):
    return {
        "grade": grade.pk,
        "earned_graded_override": "3",
        "possible_graded_override": "4",
        "earned_all_override": "",
        "possible_all_override": "",
        "system": "GRADEBOOK",
        "override_reason": "Appeal",
        **fields,
    }


def course_grade(user_id=11):
    return PersistentCourseGrade.objects.get(course_id=COURSE, user_id=user_id).percent_grade


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1", "1e309"])
@pytest.mark.parametrize("field", ["earned_graded_override", "possible_all_override"])
def test_points_that_are_not_a_number_of_points_are_a_form_error(sample, admin_client, field, value):
    response = admin_client.post(ADD, form(hw3(), **{field: value}))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field]
    assert not PersistentSubsectionGradeOverride.objects.exists()
    assert not PersistentSubsectionGradeOverride.history.exists()


def test_the_form_refuses_negative_points_with_the_services_message(sample, admin_client):
    response = admin_client.post(ADD, form(hw3(), earned_graded_override="-1"))
    staff = User.objects.get(username="admin")
    with pytest.raises(api.EdxSchemaError) as service:
        api.override_subsection_grade(grade=hw3(), user=staff, reason="r", earned_graded=-1.0)
    assert response.context["adminform"].form.errors["earned_graded_override"] == [str(service.value)]


def test_one_save_is_one_history_record_with_the_staff_member_and_the_reason(sample, admin_client):
    before = course_grade()
    assert admin_client.post(ADD, form(hw3(), override_reason="Regrade after appeal")).status_code == 302
    override = PersistentSubsectionGradeOverride.objects.get()
    (record,) = override.history.all()
    assert (record.history_type, record.history_user.username) == ("+", "admin")
    assert record.history_change_reason == "Regrade after appeal"
    assert (override.earned_graded_override, override.possible_graded_override) == (3.0, 4.0)
    assert (override.earned_all_override, override.possible_all_override) == (None, None)
    assert course_grade() < before  # recomputed with the override's 3/4 for hw3 (4/4 before)

    # A change: one more record, and the grade cannot be moved to another learner's row.
    other = hw3(user_id=12)
    changed = admin_client.post(
        change_url(override), form(other, earned_graded_override="4", override_reason="Second look")
    )
    assert changed.status_code == 302
    override.refresh_from_db()
    assert (override.grade_id, override.earned_graded_override) == (hw3().pk, 4.0)
    assert not PersistentSubsectionGradeOverride.objects.filter(grade=other).exists()
    assert [
        (r.history_type, r.history_user.username, r.history_change_reason) for r in override.history.all()
    ] == [
        ("~", "admin", "Second look"),
        ("+", "admin", "Regrade after appeal"),
    ]


def test_the_admin_logs_the_saved_override_and_says_the_new_course_grade(sample, admin_client):
    response = admin_client.post(ADD, form(hw3()), follow=True)
    override = PersistentSubsectionGradeOverride.objects.get()
    assert response.redirect_chain[-1][0] == LIST
    (entry,) = LogEntry.objects.all()
    assert (entry.object_id, entry.user.username, entry.action_flag) == (str(override.pk), "admin", ADDITION)
    assert f"Course grade of user 11 in {COURSE}: {course_grade():.2f}" in response.content.decode()


def test_deleting_one_or_several_records_each_with_the_staff_member_and_recomputes(sample, admin_client):
    original = course_grade(), course_grade(12)
    staff = User.objects.get(username="admin")
    first = api.override_subsection_grade(grade=hw3(), user=staff, reason="First", earned_graded=4.0)
    second = api.override_subsection_grade(grade=hw3(12), user=staff, reason="Second", earned_graded=4.0)
    delete = reverse("admin:edx_schema_persistentsubsectiongradeoverride_delete", args=[first.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    selected = {"action": "delete_selected", "_selected_action": [second.pk], "post": "yes"}
    assert admin_client.post(LIST, selected).status_code == 302
    assert not PersistentSubsectionGradeOverride.objects.exists()
    removals = PersistentSubsectionGradeOverride.history.filter(history_type="-").order_by("history_id")
    assert [(r.grade_id, r.history_user.username, r.history_change_reason) for r in removals] == [
        (first.grade_id, "admin", DELETED_IN_THE_ADMIN),
        (second.grade_id, "admin", DELETED_IN_THE_ADMIN),
    ]
    assert PersistentSubsectionGradeOverride.history.count() == 4  # two saves, two deletions
    assert (course_grade(), course_grade(12)) == original  # recomputed without the overrides
