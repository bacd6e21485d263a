"""Overrides made through the API fill unset totals like the LMS and record who and why."""

import pytest

from edx_schema import api
from edx_schema.models import PersistentSubsectionGradeOverride
from edx_schema.testing.factories import PersistentSubsectionGradeFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_override_fills_unset_totals_from_the_grade_and_keeps_none_as_null():
    grade = PersistentSubsectionGradeFactory(earned_graded=1.0, earned_all=1.0)
    staff = UserFactory(is_staff=True)
    override = api.override_subsection_grade(
        grade=grade,
        user=staff,
        reason="Exam proctoring review",
        system="PROCTORING",
        earned_graded=None,
        earned_all=None,
    )
    stored = PersistentSubsectionGradeOverride.objects.get(pk=override.pk)
    assert stored.earned_graded_override is None
    assert stored.earned_all_override is None
    assert stored.possible_graded_override == grade.possible_graded
    assert stored.possible_all_override == grade.possible_all
    assert (stored.system, stored.override_reason) == ("PROCTORING", "Exam proctoring review")


def test_second_call_updates_the_override_and_history_records_each_user_and_reason():
    grade = PersistentSubsectionGradeFactory()
    first, second = UserFactory(), UserFactory()
    api.override_subsection_grade(grade=grade, user=first, reason="Appeal accepted", earned_graded=3.0)
    api.override_subsection_grade(grade=grade, user=second, reason="Second regrade", earned_graded=4.0)
    assert PersistentSubsectionGradeOverride.objects.filter(grade=grade).count() == 1
    history = list(PersistentSubsectionGradeOverride.history.order_by("history_id"))
    assert [
        (h.history_type, h.history_user, h.history_change_reason, h.earned_graded_override) for h in history
    ] == [
        ("+", first, "Appeal accepted", 3.0),
        ("~", second, "Second regrade", 4.0),
    ]


def test_override_without_a_reason_is_refused():
    grade = PersistentSubsectionGradeFactory()
    with pytest.raises(api.EdxSchemaError, match="needs a reason"):
        api.override_subsection_grade(grade=grade, user=UserFactory(), reason="  ")
    assert not PersistentSubsectionGradeOverride.objects.exists()


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -1.0, "3"])
def test_points_that_are_not_a_number_of_points_are_refused_and_nothing_is_saved(value):
    grade = PersistentSubsectionGradeFactory()
    with pytest.raises(
        api.EdxSchemaError, match=f"earned_all must be a number of points, 0 or more, not {value!r}"
    ):
        api.override_subsection_grade(grade=grade, user=UserFactory(), reason="r", earned_all=value)
    assert not PersistentSubsectionGradeOverride.history.exists()
