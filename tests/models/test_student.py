"""auth_user, auth_userprofile, enrollments, anonymous ids, user_id_map and course tags."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from opaque_keys.edx.keys import CourseKey

from edx_schema.models import AnonymousUserId, CourseEnrollment, UserCourseTag, UserIdMap, UserProfile
from edx_schema.testing.factories import (
    CourseEnrollmentFactory,
    UserCourseTagFactory,
    UserFactory,
    UserIdMapFactory,
)

pytestmark = pytest.mark.django_db

OLD_COURSE = CourseKey.from_string("MITx/6.002x/2012_Fall")


def test_user_is_djangos_own_user_and_email_is_unique():
    User.objects.create(username="ada", email="ada@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="ada2", email="ada@example.org")


def test_profile_round_trip_keeps_null_and_empty_apart():
    user = User.objects.create(username="bo", email="bo@example.org")
    UserProfile.objects.create(
        user=user,
        name="Bo Ng\u00e9 \U0001f600",
        meta='{"old_names": []}',
        gender="",
        level_of_education=None,
        mailing_address="line 1\r\nline\t2",
        year_of_birth=1990,
        allow_certificate=None,
        bio="x" * 3000,
        state="MA",
        phone_number="+41 21 000 00 00",
        profile_image_uploaded_at=datetime(2019, 5, 1, 10, 0, 0, 123456, tzinfo=UTC),
    )
    profile = UserProfile.objects.get(user=user)
    assert profile.name == "Bo Ng\u00e9 \U0001f600"
    assert profile.gender == ""
    assert profile.level_of_education is None
    assert profile.mailing_address == "line 1\r\nline\t2"
    assert profile.allow_certificate is None
    assert len(profile.bio) == 3000
    assert profile.profile_image_uploaded_at == datetime(2019, 5, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert user.profile == profile


def test_profile_accepts_values_outside_the_documented_lists():
    user = User.objects.create(username="cy", email="cy@example.org")
    UserProfile.objects.create(user=user, gender="x", level_of_education="p_se")
    assert UserProfile.objects.get(user=user).gender == "x"


def test_second_profile_for_a_user_is_rejected():
    user = UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        UserProfile.objects.create(user=user)


def test_enrollment_keeps_explicit_created_and_rejects_duplicates():
    user = UserFactory(profile=False)
    created = datetime(2013, 3, 19, 17, 20, 58, tzinfo=UTC)
    CourseEnrollment.objects.create(user=user, course_id=OLD_COURSE, created=created, mode="honor")
    enrollment = CourseEnrollment.objects.get(user=user)
    assert enrollment.created == created
    assert enrollment.course_id == OLD_COURSE
    assert enrollment.is_active is True
    with pytest.raises(IntegrityError), transaction.atomic():
        CourseEnrollment.objects.create(user=user, course_id=OLD_COURSE)


def test_enrollment_created_may_be_null_and_mode_may_be_unknown():
    enrollment = CourseEnrollmentFactory(created=None, mode="some-future-mode")
    enrollment.refresh_from_db()
    assert enrollment.created is None
    assert enrollment.mode == "some-future-mode"


def test_enrollment_factory_takes_a_course_id_string():
    enrollment = CourseEnrollmentFactory(course_id="course-v1:HarvardX+CS50+2024")
    assert CourseEnrollment.objects.get(pk=enrollment.pk).course_id == CourseKey.from_string(
        "course-v1:HarvardX+CS50+2024"
    )


def test_anonymous_user_id_is_unique_and_generic_ids_have_empty_course():
    user = UserFactory()
    AnonymousUserId.objects.create(user=user, anonymous_user_id="a" * 32, course_id=None)
    generic = AnonymousUserId.objects.get(anonymous_user_id="a" * 32)
    assert generic.course_id is None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT course_id FROM student_anonymoususerid WHERE anonymous_user_id = %s", ["a" * 32]
        )
        assert cursor.fetchone()[0] == ""
    with pytest.raises(IntegrityError), transaction.atomic():
        AnonymousUserId.objects.create(user=UserFactory(), anonymous_user_id="a" * 32, course_id=OLD_COURSE)


def test_user_id_map_stores_the_user_id_in_column_id():
    entry = UserIdMapFactory()
    assert UserIdMap.objects.get(hash_id=entry.hash_id).user == entry.user
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, username FROM user_id_map WHERE hash_id = %s", [entry.hash_id])
        assert cursor.fetchone() == (entry.user.pk, entry.user.username)


def test_user_id_map_row_may_name_a_user_who_is_not_loaded():
    UserIdMap.objects.create(hash_id="e9989f2cca1d699d88e14fd43ccb5b5f", user_id=9999999, username="AAAAAAAA")
    assert UserIdMap.objects.get().user_id == 9999999


def test_course_tag_is_unique_per_user_course_and_key():
    tag = UserCourseTagFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        UserCourseTag.objects.create(user=tag.user, course_id=tag.course_id, key=tag.key, value="2")
    UserCourseTag.objects.create(user=tag.user, course_id=OLD_COURSE, key=tag.key, value="2")
    assert UserCourseTag.objects.filter(user=tag.user).count() == 2
