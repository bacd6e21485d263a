"""Grade tables: unique keys, unsigned ids, visible blocks, overrides and their history."""

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection, transaction
from opaque_keys.edx.keys import CourseKey

from edx_schema.models import (
    PersistentCourseGrade,
    PersistentSubsectionGrade,
    PersistentSubsectionGradeOverride,
    VisibleBlocks,
)
from edx_schema.testing.factories import (
    PersistentCourseGradeFactory,
    PersistentSubsectionGradeFactory,
    PersistentSubsectionGradeOverrideFactory,
    UserFactory,
)
from edx_schema.visible_blocks import blocks_hash, blocks_json

pytestmark = pytest.mark.django_db

COURSE = CourseKey.from_string("course-v1:edX+DemoX+Demo_Course")
HISTORIC = datetime(2017, 5, 2, 15, 51, 4, 395055, tzinfo=UTC)


def test_visible_blocks_hash_matches_the_lms_serialisation():
    # Expected hash computed outside Python: printf %s JSON | openssl sha1 -binary | base64
    value = blocks_json(
        course_key="course-v1:a+b+c",
        blocks=[
            {
                "locator": "block-v1:a+b+c+type@problem+block@p1",
                "weight": None,
                "raw_possible": 1.0,
                "graded": True,
            }
        ],
    )
    assert value == (
        '{"blocks":[{"graded":true,"locator":"block-v1:a+b+c+type@problem+block@p1",'
        '"raw_possible":1.0,"weight":null}],"course_key":"course-v1:a+b+c","version":1}'
    )
    assert blocks_hash(value) == "+a+RNoiefKk4eT1OUfxtSB4ti/I="


def test_grade_without_exported_blocks_points_at_the_courses_empty_list():
    blocks = VisibleBlocks.objects.not_exported(COURSE)
    assert blocks.blocks == []
    assert VisibleBlocks.objects.not_exported(COURSE) == blocks
    grade = PersistentSubsectionGrade.objects.create(
        user_id=42,
        course_id=COURSE,
        usage_key=COURSE.make_usage_key("sequential", "week1"),
        earned_all=1.0,
        possible_all=2.0,
        earned_graded=1.0,
        possible_graded=2.0,
        visible_blocks=blocks,
        created=HISTORIC,
        modified=HISTORIC,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT visible_blocks_hash FROM grades_persistentsubsectiongrade WHERE id = %s", [grade.pk]
        )
        assert cursor.fetchone()[0] == blocks.hashed


def test_explicit_created_and_modified_survive_insert():
    grade = PersistentSubsectionGradeFactory(created=HISTORIC, modified=HISTORIC)
    course_grade = PersistentCourseGradeFactory(created=HISTORIC, modified=HISTORIC)
    grade.refresh_from_db()
    course_grade.refresh_from_db()
    assert (grade.created, grade.modified) == (HISTORIC, HISTORIC)
    assert (course_grade.created, course_grade.modified) == (HISTORIC, HISTORIC)


def test_subsection_grade_is_unique_per_course_user_and_subsection():
    grade = PersistentSubsectionGradeFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        PersistentSubsectionGrade.objects.create(
            user_id=grade.user_id,
            course_id=grade.course_id,
            usage_key=grade.usage_key,
            earned_all=0,
            possible_all=0,
            earned_graded=0,
            possible_graded=0,
            visible_blocks=grade.visible_blocks,
        )


def test_course_grade_is_unique_per_course_and_user():
    grade = PersistentCourseGradeFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        PersistentCourseGrade.objects.create(
            user_id=grade.user_id, course_id=grade.course_id, percent_grade=0.1, grading_policy_hash="x"
        )


def test_grade_ids_beyond_32_bits_and_overrides_point_at_them():
    # Unsignedness itself is checked by the conformance test on MySQL; an id past 2**63 here
    # would move the table's AUTO_INCREMENT for every later test, as InnoDB never rolls it back.
    grade = PersistentSubsectionGradeFactory(id=2**40 + 3)
    override = PersistentSubsectionGradeOverride.objects.create(grade=grade, earned_graded_override=2.0)
    assert PersistentSubsectionGradeOverride.objects.get(pk=override.pk).grade_id == 2**40 + 3
    course_grade = PersistentCourseGradeFactory(id=2**40)
    assert PersistentCourseGrade.objects.get(pk=2**40) == course_grade


def test_second_override_for_one_grade_is_rejected():
    override = PersistentSubsectionGradeOverrideFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        PersistentSubsectionGradeOverride.objects.create(grade=override.grade)


def test_course_grade_passed_reads_the_letter_like_the_lms():
    failing = PersistentCourseGradeFactory(letter_grade="", percent_grade=0.3, passed_timestamp=HISTORIC)
    assert failing.passed is False
    assert failing.passed_timestamp == HISTORIC
    assert PersistentCourseGradeFactory(user=UserFactory()).passed is True


def test_override_history_records_create_update_and_delete_with_user_and_reason():
    staff = UserFactory(username="staff", is_staff=True)
    grade = PersistentSubsectionGradeFactory()
    override = PersistentSubsectionGradeOverride(grade=grade, earned_graded_override=3.0, system="GRADEBOOK")
    override._history_user = staff
    override._change_reason = "Late submission accepted"
    override.save()

    override.earned_graded_override = 4.0
    override._change_reason = "Regraded"
    override.save()

    override_id = override.pk
    override.delete()

    history = list(PersistentSubsectionGradeOverride.history.filter(id=override_id).order_by("history_id"))
    assert [h.history_type for h in history] == ["+", "~", "-"]
    assert [h.earned_graded_override for h in history] == [3.0, 4.0, 4.0]
    assert history[0].history_user == staff
    assert [h.history_change_reason for h in history[:2]] == ["Late submission accepted", "Regraded"]
    assert all(h.grade_id == grade.pk for h in history)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM grades_historicalpersistentsubsectiongradeoverride")
        assert cursor.fetchone()[0] == 3
