"""factory-boy factories for course and forum roles, cohorts, credit and legacy reverification.

Names follow edx-platform's (``CourseAccessRoleFactory``, ``RoleFactory``, ``CohortFactory``,
``CreditCourseFactory``, ...). Factories get-or-create on the table's natural key, so building
the same row twice returns the existing one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import factory
from factory.django import DjangoModelFactory

from ..models import (
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
from .factories import COURSE_KEY, UserFactory, _course_key, _CourseFactory

__all__ = [
    "CohortFactory",
    "CohortMembershipFactory",
    "CourseAccessRoleFactory",
    "CreditCourseFactory",
    "CreditEligibilityFactory",
    "ForumRoleUserFactory",
    "RoleFactory",
    "VerificationCheckpointFactory",
    "VerificationStatusFactory",
]

_DEADLINE = datetime(2025, 6, 30, 23, 59, 59, tzinfo=UTC)
_REVERIFIED = datetime(2016, 3, 1, 12, 0, 0, tzinfo=UTC)


class CourseAccessRoleFactory(_CourseFactory):
    """A ``staff`` role in the default course, its ``org`` taken from the course key.

    ``course_id=""`` with an ``org`` makes an org-wide role, as the LMS stores it.
    """

    class Meta:
        model = CourseAccessRole
        django_get_or_create = ("user", "org", "course_id", "role")

    user = factory.SubFactory(UserFactory)
    course_id = COURSE_KEY
    org = factory.LazyAttribute(lambda role: _course_key(role.course_id).org if role.course_id else "")
    role = "staff"

    @classmethod
    def _adjust_kwargs(cls, **kwargs: Any) -> dict[str, Any]:
        if not kwargs["course_id"]:  # org-wide: no course
            kwargs["course_id"] = ""
            return kwargs
        return super()._adjust_kwargs(**kwargs)

    @classmethod
    def _create(cls, model_class: type[CourseAccessRole], *args: Any, **kwargs: Any) -> CourseAccessRole:
        if not kwargs["course_id"]:  # '' is no key to look the row up by: always a new row
            return model_class.objects.create(*args, **kwargs)
        return super()._create(model_class, *args, **kwargs)


class RoleFactory(_CourseFactory):
    """A forum role (``Student`` by default) of the default course."""

    class Meta:
        model = ForumRole
        django_get_or_create = ("name", "course_id")

    name = "Student"
    course_id = COURSE_KEY


class ForumRoleUserFactory(DjangoModelFactory):
    """A user holding a forum role."""

    class Meta:
        model = ForumRoleUser
        django_get_or_create = ("role", "user")

    role = factory.SubFactory(RoleFactory)
    user = factory.SubFactory(UserFactory)


class CohortFactory(_CourseFactory):
    """A cohort of the default course."""

    class Meta:
        model = CourseUserGroup
        django_get_or_create = ("name", "course_id")

    name = factory.Sequence("Cohort {}".format)
    course_id = COURSE_KEY
    group_type = "cohort"


class CohortMembershipFactory(DjangoModelFactory):
    """A learner's membership of a cohort, in the cohort's course."""

    class Meta:
        model = CohortMembership
        django_get_or_create = ("user", "course_id")

    course_user_group = factory.SubFactory(CohortFactory)
    user = factory.SubFactory(UserFactory)
    course_id = factory.SelfAttribute("course_user_group.course_id")


class CreditCourseFactory(DjangoModelFactory):
    """The default course, offering credit."""

    class Meta:
        model = CreditCourse
        django_get_or_create = ("course_key",)

    course_key = COURSE_KEY
    enabled = True


class CreditEligibilityFactory(DjangoModelFactory):
    """A learner eligible for credit in the default credit course."""

    class Meta:
        model = CreditEligibility
        django_get_or_create = ("username", "course")

    username = factory.Sequence("robot{}".format)
    course = factory.SubFactory(CreditCourseFactory)
    deadline = _DEADLINE


class VerificationCheckpointFactory(_CourseFactory):
    """A reverification checkpoint of the default course."""

    class Meta:
        model = VerificationCheckpoint
        django_get_or_create = ("course_id", "checkpoint_location")

    course_id = COURSE_KEY
    checkpoint_location = factory.LazyAttribute(
        lambda c: str(c.course_id.make_usage_key("edx-reverification-block", "midterm"))
    )


class VerificationStatusFactory(DjangoModelFactory):
    """A learner's ``submitted`` reverification at a checkpoint."""

    class Meta:
        model = VerificationStatus

    checkpoint = factory.SubFactory(VerificationCheckpointFactory)
    user = factory.SubFactory(UserFactory)
    status = "submitted"
    timestamp = _REVERIFIED
