"""The demo data set fills every table consistently and can be loaded twice."""

import pytest
from django.apps import apps
from django.contrib.auth.models import User

from edx_schema.models import (
    OWN_MODELS,
    AnonymousUserId,
    PersistentCourseGrade,
    PersistentSubsectionGrade,
    StudentItem,
)
from edx_schema.testing.demo import DEMO_COURSES, load_demo

pytestmark = pytest.mark.django_db


def test_demo_fills_every_table_and_is_idempotent():
    first = load_demo(learners=10)
    tables = {m._meta.db_table for m in apps.get_app_config("edx_schema").get_models()} | {"auth_user"}
    tables -= {model._meta.db_table for model in OWN_MODELS}
    assert set(first.rows) == tables
    empty = [table for table, count in first.rows.items() if count == 0]
    assert empty == []
    assert first.rows["auth_user"] == 10
    assert first.rows["student_courseenrollment"] == 10 * len(DEMO_COURSES)
    assert load_demo(learners=10).rows == first.rows


def test_demo_rows_are_consistent():
    load_demo(learners=6)
    for grade in PersistentSubsectionGrade.objects.all():
        assert 0 <= grade.earned_graded <= grade.possible_graded == 4.0
        assert User.objects.filter(pk=grade.user_id).exists()
    for item in StudentItem.objects.all():
        anonymous = AnonymousUserId.objects.get(anonymous_user_id=item.student_id)
        assert str(anonymous.course_id) == item.course_id
    passing = PersistentCourseGrade.objects.exclude(letter_grade="")
    assert all(grade.percent_grade >= 0.5 and grade.passed_timestamp for grade in passing)


def test_demo_rejects_a_non_positive_size():
    with pytest.raises(ValueError, match="at least 1"):
        load_demo(learners=0)
