"""Course and forum roles, cohorts, credit eligibility and legacy reverification: the LMS's keys."""

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection, transaction
from opaque_keys.edx.keys import CourseKey

from edx_schema.models import (
    CohortMembership,
    CourseAccessRole,
    CourseUserGroup,
    CreditCourse,
    CreditEligibility,
    ForumRole,
    ForumRoleUser,
    VerificationCheckpoint,
    VerificationStatus,
)
from edx_schema.testing.factories import (
    CohortFactory,
    CohortMembershipFactory,
    CourseAccessRoleFactory,
    CreditCourseFactory,
    CreditEligibilityFactory,
    ForumRoleUserFactory,
    RoleFactory,
    UserFactory,
    VerificationCheckpointFactory,
    VerificationStatusFactory,
)

pytestmark = pytest.mark.django_db

COURSE = CourseKey.from_string("course-v1:MITx+6.002x+1T2016")
OLD_COURSE = CourseKey.from_string("MITx/6.002x/2012_Fall")


def refused(create, **kwargs):
    """Whether the database refuses the row ``create(**kwargs)`` inserts."""
    try:
        with transaction.atomic():
            create(**kwargs)
    except IntegrityError:
        return True
    return False


def test_a_user_holds_a_role_once_per_org_and_course_but_may_hold_other_roles():
    user = UserFactory()
    CourseAccessRole.objects.create(user=user, org="MITx", course_id=COURSE, role="staff")
    assert refused(CourseAccessRole.objects.create, user=user, org="MITx", course_id=COURSE, role="staff")
    CourseAccessRole.objects.create(user=user, org="MITx", course_id=COURSE, role="instructor")
    CourseAccessRole.objects.create(user=user, org="MITx", course_id=OLD_COURSE, role="staff")
    assert CourseAccessRole.objects.filter(user=user).count() == 3


def test_an_org_wide_role_has_an_empty_course_id_and_no_user_row_is_needed():
    role = CourseAccessRole.objects.create(user_id=987654, org="MITx", role="data_researcher")
    role.refresh_from_db()
    assert role.course_id is None
    with connection.cursor() as cursor:
        cursor.execute("SELECT course_id FROM student_courseaccessrole WHERE id = %s", [role.pk])
        assert cursor.fetchone() == ("",)
    assert CourseAccessRole.objects.filter(user_id=987654, org="MITx").count() == 1


def test_a_forum_role_holds_each_user_once_and_the_same_user_in_other_roles():
    moderator = ForumRole.objects.create(name="Moderator", course_id=COURSE)
    student = ForumRole.objects.create(name="Student", course_id=COURSE)
    user = UserFactory()
    ForumRoleUser.objects.create(role=moderator, user=user)
    assert refused(ForumRoleUser.objects.create, role=moderator, user=user)
    ForumRoleUser.objects.create(role=student, user=user)
    assert set(student.users.all()) == {user}
    assert set(ForumRoleUser.objects.filter(user=user).values_list("role__name", flat=True)) == {
        "Moderator",
        "Student",
    }


def test_forum_role_members_may_be_users_missing_from_auth_user():
    role = ForumRole.objects.create(name="Community TA", course_id=OLD_COURSE)
    ForumRoleUser.objects.create(role=role, user_id=424242)
    assert ForumRoleUser.objects.get(role=role).user_id == 424242


def test_a_cohort_name_is_unique_within_its_course_only():
    CourseUserGroup.objects.create(name="Group A", course_id=COURSE)
    assert refused(CourseUserGroup.objects.create, name="Group A", course_id=COURSE)
    other = CourseUserGroup.objects.create(name="Group A", course_id=OLD_COURSE)
    assert other.group_type == "cohort"


def test_a_learner_is_in_one_cohort_per_course():
    first = CohortFactory(name="A", course_id=COURSE)
    second = CohortFactory(name="B", course_id=COURSE)
    user = UserFactory()
    CohortMembership.objects.create(course_user_group=first, user=user, course_id=COURSE)
    assert refused(CohortMembership.objects.create, course_user_group=second, user=user, course_id=COURSE)
    elsewhere = CohortFactory(name="A", course_id=OLD_COURSE)
    CohortMembership.objects.create(course_user_group=elsewhere, user=user, course_id=OLD_COURSE)


def test_a_credit_course_is_unique_by_key_and_disabled_by_default():
    course = CreditCourse.objects.create(course_key=COURSE)
    assert course.enabled is False
    assert refused(CreditCourse.objects.create, course_key=COURSE)


def test_a_username_is_eligible_once_per_credit_course_and_need_not_be_a_user():
    course = CreditCourseFactory(course_key=COURSE)
    deadline = datetime(2017, 1, 31, 23, 59, 59, 123456, tzinfo=UTC)
    row = CreditEligibility.objects.create(username="retired__user_0a1b2c", course=course, deadline=deadline)
    row.refresh_from_db()
    assert row.deadline == deadline
    assert row.created is not None
    assert row.modified is not None
    assert refused(
        CreditEligibility.objects.create, username="retired__user_0a1b2c", course=course, deadline=deadline
    )
    CreditEligibility.objects.create(
        username="retired__user_0a1b2c", course=CreditCourseFactory(course_key=OLD_COURSE), deadline=deadline
    )


def test_a_checkpoint_is_unique_per_course_and_keeps_a_location_that_is_not_a_usage_key():
    VerificationCheckpoint.objects.create(
        course_id=COURSE, checkpoint_location="block-v1:edX+DemoX+Demo_Course"
    )
    assert refused(
        VerificationCheckpoint.objects.create,
        course_id=COURSE,
        checkpoint_location="block-v1:edX+DemoX+Demo_Course",
    )
    assert (
        VerificationCheckpoint.objects.get(course_id=COURSE).checkpoint_location
        == "block-v1:edX+DemoX+Demo_Course"
    )


def test_verification_statuses_are_appended_and_response_and_error_default_to_null():
    checkpoint = VerificationCheckpointFactory(course_id=COURSE)
    at = datetime(2016, 2, 1, 8, 0, tzinfo=UTC)
    for status in ("submitted", "approved", "approved"):
        VerificationStatus.objects.create(checkpoint=checkpoint, user_id=31337, status=status, timestamp=at)
    rows = VerificationStatus.objects.filter(checkpoint=checkpoint, user_id=31337)
    assert rows.count() == 3
    assert set(rows.values_list("response", "error")) == {(None, None)}


def test_factories_make_consistent_rows_and_get_or_create_on_the_natural_key():
    role = CourseAccessRoleFactory(course_id=COURSE)
    assert role.org == COURSE.org
    assert CourseAccessRoleFactory(user=role.user, course_id=COURSE) == role
    member = ForumRoleUserFactory(role=RoleFactory(name="Moderator", course_id=COURSE))
    assert RoleFactory(name="Moderator", course_id=str(COURSE)) == member.role
    membership = CohortMembershipFactory(course_user_group=CohortFactory(course_id=OLD_COURSE))
    assert membership.course_id == OLD_COURSE
    eligibility = CreditEligibilityFactory()
    assert CreditEligibilityFactory(username=eligibility.username) == eligibility
    status = VerificationStatusFactory(checkpoint=VerificationCheckpointFactory(course_id=COURSE))
    assert status.checkpoint.checkpoint_location.startswith("block-v1:MITx+6.002x+1T2016+type@")


def test_the_role_factory_takes_a_course_key_string_or_makes_an_org_wide_role():
    from edx_schema.testing.factories import CourseAccessRoleFactory

    in_course = CourseAccessRoleFactory(course_id="course-v1:MITx+6.002x+2T2024")
    assert (in_course.org, str(in_course.course_id)) == ("MITx", "course-v1:MITx+6.002x+2T2024")
    org_wide = CourseAccessRoleFactory(course_id="", org="MITx", role="data_researcher")
    stored = CourseAccessRole.objects.filter(pk=org_wide.pk).values_list("org", "course_id", "role").get()
    assert stored[0] == "MITx"
    assert not stored[1]  # '' in the table; the key field reads it back as None
    assert stored[2] == "data_researcher"
