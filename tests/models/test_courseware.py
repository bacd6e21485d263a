"""courseware_studentmodule: keys, explicit timestamps, the unique triple, unsigned ids."""

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection, transaction
from opaque_keys.edx.keys import CourseKey, UsageKey

from edx_schema.models import StudentModule
from edx_schema.testing.factories import StudentModuleFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_round_trip_keeps_usage_key_state_and_historical_timestamps():
    user = UserFactory()
    course = CourseKey.from_string("edX/DemoX/Demo_course")
    key = UsageKey.from_string("i4x://edX/DemoX/course/Demo_course")
    created = datetime(2013, 3, 19, 17, 21, 7, tzinfo=UTC)
    modified = datetime(2014, 1, 7, 20, 18, 54, 500000, tzinfo=UTC)
    StudentModule.objects.create(
        module_type="course",
        module_state_key=key,
        student=user,
        course_id=course,
        state='{"position": 3}',
        created=created,
        modified=modified,
    )
    row = StudentModule.objects.get(student=user)
    assert row.module_state_key == key  # i4x keys carry no run; the row's course_id does
    assert row.state == '{"position": 3}'
    assert (row.created, row.modified) == (created, modified)
    assert row.grade is None
    assert row.max_grade is None
    assert row.done == "na"
    with connection.cursor() as cursor:
        cursor.execute("SELECT module_id FROM courseware_studentmodule WHERE id = %s", [row.id])
        assert cursor.fetchone()[0] == "i4x://edX/DemoX/course/Demo_course"


def test_saving_a_changed_row_updates_modified():
    row = StudentModuleFactory()
    row.grade = 2.0
    row.save()
    row.refresh_from_db()
    assert row.modified > datetime(2024, 2, 13, tzinfo=UTC)


def test_duplicate_student_module_course_triple_is_rejected():
    row = StudentModuleFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        StudentModule.objects.create(
            module_type="problem",
            module_state_key=row.module_state_key,
            student=row.student,
            course_id=row.course_id,
        )


def test_student_without_a_user_row_is_allowed():
    """No database constraint on student_id, as in the LMS: state can arrive before users."""
    course = CourseKey.from_string("course-v1:edX+DemoX+Demo_Course")
    StudentModule.objects.create(
        module_type="video",
        module_state_key=course.make_usage_key("video", "intro"),
        student_id=987654,
        course_id=course,
    )
    assert StudentModule.objects.get().student_id == 987654


def test_id_holds_values_beyond_the_signed_32_bit_range():
    row = StudentModuleFactory(id=2**40 + 7)
    assert StudentModule.objects.get(pk=2**40 + 7) == row
