"""factory-boy factories for every edx-schema model, shipped for downstream test suites.

Names and defaults follow edx-platform's own test factories (``UserFactory`` with ``robot{n}``
usernames and password ``test``, ``profile__*`` pass-through, ``done='na'``), so code written
against those keeps working. Defaults are consistent with each other: keys parse and belong to
their course, a user gets a profile, grades add up and point at a visible-block list whose
possible points they match, and a student item's ``student_id`` is the learner's per-course
anonymous id. Factories that have a natural unique key get-or-create on it, so building the same
object twice returns the existing row.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import factory
from django.contrib.auth import get_user_model
from factory.django import DjangoModelFactory, Password
from opaque_keys.edx.keys import CourseKey

from ..models import (
    AnonymousUserId,
    CourseEnrollment,
    GeneratedCertificate,
    PersistentCourseGrade,
    PersistentSubsectionGrade,
    PersistentSubsectionGradeOverride,
    Score,
    StudentItem,
    StudentModule,
    Submission,
    UserCourseTag,
    UserIdMap,
    UserProfile,
    VisibleBlocks,
)
from ..visible_blocks import blocks_hash, blocks_json

__all__ = [
    "COURSE_KEY",
    "TEST_PASSWORD",
    "AdminFactory",
    "AnonymousUserIdFactory",
    "CourseEnrollmentFactory",
    "GeneratedCertificateFactory",
    "PersistentCourseGradeFactory",
    "PersistentSubsectionGradeFactory",
    "PersistentSubsectionGradeOverrideFactory",
    "ScoreFactory",
    "StudentItemFactory",
    "StudentModuleFactory",
    "SubmissionFactory",
    "SuperuserFactory",
    "UserCourseTagFactory",
    "UserFactory",
    "UserIdMapFactory",
    "UserProfileFactory",
    "VisibleBlocksFactory",
]

#: The password every factory-made user has, as in edx-platform.
TEST_PASSWORD = "test"
#: The course factories use unless told otherwise.
COURSE_KEY = CourseKey.from_string("course-v1:edX+DemoX+Demo_Course")

_JOINED = datetime(2024, 1, 8, 9, 30, tzinfo=UTC)
_ACTIVE = datetime(2024, 2, 12, 14, 5, 12, tzinfo=UTC)


def _hex_id(*parts: object) -> str:
    """A stable 32-hex-character id derived from ``parts``, like the LMS's anonymous ids."""
    return hashlib.shake_128("|".join(map(str, parts)).encode()).hexdigest(16)


def _course_key(value: Any) -> CourseKey:
    return value if isinstance(value, CourseKey) else CourseKey.from_string(str(value))


class _CourseFactory(DjangoModelFactory):
    """Accepts ``course_id`` as a string or a ``CourseKey``, as edx-platform's factories do."""

    class Meta:
        abstract = True

    @classmethod
    def _adjust_kwargs(cls, **kwargs: Any) -> dict[str, Any]:
        kwargs["course_id"] = _course_key(kwargs["course_id"])
        return kwargs


class UserFactory(DjangoModelFactory):
    """An ``auth_user`` row with a profile (``profile=False`` for none, ``profile__name=...``)."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("email", "username")
        skip_postgeneration_save = True

    username = factory.Sequence("robot{}".format)
    email = factory.LazyAttribute(lambda user: f"{user.username.replace('+', '_')}+test@edx.org")
    password = Password(TEST_PASSWORD)
    first_name = factory.Sequence("Robot{}".format)
    last_name = "Test"
    is_staff = False
    is_active = True
    is_superuser = False
    last_login = _ACTIVE
    date_joined = _JOINED

    @factory.post_generation
    def profile(obj, create: bool, extracted: Any, **kwargs: Any) -> None:
        if not create or extracted is False:
            return
        UserProfileFactory(user=obj, **kwargs)


class AdminFactory(UserFactory):
    """A staff user who can log in to the admin."""

    is_staff = True


class SuperuserFactory(UserFactory):
    """A superuser."""

    is_staff = True
    is_superuser = True


class UserProfileFactory(DjangoModelFactory):
    """An ``auth_userprofile`` row for ``user`` (a new user without a profile by default)."""

    class Meta:
        model = UserProfile
        django_get_or_create = ("user",)

    user = factory.SubFactory(UserFactory, profile=False)
    name = factory.LazyAttribute(lambda p: f"{p.user.first_name} {p.user.last_name}".strip())
    meta = ""
    courseware = "course.xml"
    language = ""
    location = ""
    gender = "f"
    year_of_birth = 1994
    level_of_education = "b"
    mailing_address = ""
    goals = "Learn a lot"
    country = "CH"
    city = None
    bio = None
    state = None
    phone_number = None
    allow_certificate = None


class CourseEnrollmentFactory(_CourseFactory):
    """An active ``audit`` enrollment; pass ``course_id`` as a string or a ``CourseKey``."""

    class Meta:
        model = CourseEnrollment
        django_get_or_create = ("user", "course_id")

    user = factory.SubFactory(UserFactory)
    course_id = COURSE_KEY
    created = _JOINED
    is_active = True
    mode = "audit"


class UserCourseTagFactory(DjangoModelFactory):
    """A partition-group tag, as the A/B testing service writes it."""

    class Meta:
        model = UserCourseTag
        django_get_or_create = ("user", "course_id", "key")

    user = factory.SubFactory(UserFactory)
    course_id = COURSE_KEY
    key = "xblock.partition_service.partition_50"
    value = "1"


class AnonymousUserIdFactory(DjangoModelFactory):
    """A per-course anonymous id (``course_id=''`` for the generic one)."""

    class Meta:
        model = AnonymousUserId
        django_get_or_create = ("anonymous_user_id",)

    user = factory.SubFactory(UserFactory)
    course_id = COURSE_KEY
    anonymous_user_id = factory.LazyAttribute(lambda a: _hex_id("anon", a.user.pk, a.course_id))


class UserIdMapFactory(DjangoModelFactory):
    """A ``user_id_map`` row: the user's generic anonymous id, id and username."""

    class Meta:
        model = UserIdMap
        django_get_or_create = ("hash_id",)

    user = factory.SubFactory(UserFactory)
    hash_id = factory.LazyAttribute(lambda m: _hex_id("anon", m.user.pk, ""))
    username = factory.SelfAttribute("user.username")


class StudentModuleFactory(_CourseFactory):
    """A scored problem's state; ``module_state_key`` is a block of ``course_id``."""

    class Meta:
        model = StudentModule
        django_get_or_create = ("student", "module_state_key", "course_id")

    class Params:
        block_id = factory.Sequence("problem_{}".format)

    student = factory.SubFactory(UserFactory)
    course_id = COURSE_KEY
    module_type = "problem"
    module_state_key = factory.LazyAttribute(
        lambda m: _course_key(m.course_id).make_usage_key(m.module_type, m.block_id)
    )
    grade = 1.0
    max_grade = 2.0
    state = factory.LazyAttribute(
        lambda m: (
            json.dumps(
                {"attempts": 1, "done": True, "score": {"raw_earned": m.grade, "raw_possible": m.max_grade}}
            )
            if m.module_type == "problem"
            else json.dumps({"position": 1})
        )
    )
    done = "na"
    created = _ACTIVE
    modified = _ACTIVE


class GeneratedCertificateFactory(DjangoModelFactory):
    """A downloadable honor certificate whose name is the learner's profile name."""

    class Meta:
        model = GeneratedCertificate
        django_get_or_create = ("user", "course_id")

    user = factory.SubFactory(UserFactory)
    course_id = COURSE_KEY
    status = "downloadable"
    mode = "honor"
    grade = "0.87"
    name = factory.LazyAttribute(lambda c: getattr(getattr(c.user, "profile", None), "name", ""))
    verify_uuid = factory.LazyFunction(lambda: uuid.uuid4().hex)
    download_uuid = factory.LazyFunction(lambda: uuid.uuid4().hex)
    key = factory.LazyFunction(lambda: uuid.uuid4().hex)
    download_url = factory.LazyAttribute(
        lambda c: f"https://courses.example.org/certificates/{c.download_uuid}/Certificate.pdf"
    )
    distinction = False
    error_reason = ""
    created_date = _ACTIVE
    modified_date = _ACTIVE


def _problem_blocks(course_id: Any, subsection: str, count: int, raw_possible: float) -> list[dict[str, Any]]:
    key = _course_key(course_id)
    return [
        {
            "locator": str(key.make_usage_key("problem", f"{subsection}_problem_{i}")),
            "weight": None,
            "raw_possible": raw_possible,
            "graded": True,
        }
        for i in range(1, count + 1)
    ]


class VisibleBlocksFactory(DjangoModelFactory):
    """A list of graded problems (``problem_count`` of ``raw_possible`` points), hashed as the LMS does."""

    class Meta:
        model = VisibleBlocks
        django_get_or_create = ("hashed",)

    class Params:
        subsection = factory.Sequence("subsection_{}".format)
        problem_count = 2
        raw_possible = 1.0
        blocks = factory.LazyAttribute(
            lambda v: _problem_blocks(v.course_id, v.subsection, v.problem_count, v.raw_possible)
        )

    course_id = COURSE_KEY
    blocks_json = factory.LazyAttribute(lambda v: blocks_json(course_key=str(v.course_id), blocks=v.blocks))
    hashed = factory.LazyAttribute(lambda v: blocks_hash(v.blocks_json))


class PersistentSubsectionGradeFactory(_CourseFactory):
    """A subsection grade of ``user``: possible points are those of its visible blocks."""

    class Meta:
        model = PersistentSubsectionGrade
        django_get_or_create = ("course_id", "user_id", "usage_key")

    class Params:
        user = factory.SubFactory(UserFactory)
        block_id = factory.Sequence("subsection_{}".format)

    user_id = factory.SelfAttribute("user.id")
    course_id = COURSE_KEY
    usage_key = factory.LazyAttribute(
        lambda g: _course_key(g.course_id).make_usage_key("sequential", g.block_id)
    )
    visible_blocks = factory.SubFactory(
        VisibleBlocksFactory,
        course_id=factory.SelfAttribute("..course_id"),
        subsection=factory.SelfAttribute("..block_id"),
    )
    possible_graded = factory.LazyAttribute(
        lambda g: sum(b["raw_possible"] * (b["weight"] or 1) for b in g.visible_blocks.blocks if b["graded"])
    )
    earned_graded = factory.LazyAttribute(lambda g: g.possible_graded / 2)
    possible_all = factory.SelfAttribute("possible_graded")
    earned_all = factory.SelfAttribute("earned_graded")
    first_attempted = _ACTIVE
    course_version = ""
    subtree_edited_timestamp = None
    created = _ACTIVE
    modified = _ACTIVE


class PersistentSubsectionGradeOverrideFactory(DjangoModelFactory):
    """A gradebook override giving full graded credit on ``grade``."""

    class Meta:
        model = PersistentSubsectionGradeOverride
        django_get_or_create = ("grade",)

    grade = factory.SubFactory(PersistentSubsectionGradeFactory)
    earned_graded_override = factory.SelfAttribute("grade.possible_graded")
    possible_graded_override = factory.SelfAttribute("grade.possible_graded")
    earned_all_override = factory.SelfAttribute("grade.possible_all")
    possible_all_override = factory.SelfAttribute("grade.possible_all")
    system = "GRADEBOOK"
    override_reason = "Regraded after a successful appeal"


class PersistentCourseGradeFactory(_CourseFactory):
    """A passing course grade of ``user``."""

    class Meta:
        model = PersistentCourseGrade
        django_get_or_create = ("course_id", "user_id")

    class Params:
        user = factory.SubFactory(UserFactory)

    user_id = factory.SelfAttribute("user.id")
    course_id = COURSE_KEY
    percent_grade = 0.75
    letter_grade = "Pass"
    passed_timestamp = factory.LazyAttribute(lambda g: _ACTIVE if g.letter_grade else None)
    grading_policy_hash = "NiGhcAFSrpyijXbow/XKE1Cp1GA="
    course_version = ""
    course_edited_timestamp = None
    created = _ACTIVE
    modified = _ACTIVE


class StudentItemFactory(DjangoModelFactory):
    """An ORA item of ``user``, whose ``student_id`` is the user's per-course anonymous id."""

    class Meta:
        model = StudentItem
        django_get_or_create = ("course_id", "student_id", "item_id")

    class Params:
        user = factory.SubFactory(UserFactory)
        anonymous_user = factory.SubFactory(
            AnonymousUserIdFactory,
            user=factory.SelfAttribute("..user"),
            course_id=factory.SelfAttribute("..course_id"),
        )
        block_id = factory.Sequence("openassessment_{}".format)

    student_id = factory.SelfAttribute("anonymous_user.anonymous_user_id")
    course_id = str(COURSE_KEY)
    item_id = factory.LazyAttribute(
        lambda i: str(_course_key(i.course_id).make_usage_key("openassessment", i.block_id))
    )
    item_type = "openassessment"


class SubmissionFactory(DjangoModelFactory):
    """A learner's first submission to a student item, with a JSON text answer."""

    class Meta:
        model = Submission

    uuid = factory.LazyFunction(uuid.uuid4)
    student_item = factory.SubFactory(StudentItemFactory)
    attempt_number = 1
    submitted_at = _ACTIVE
    created_at = _ACTIVE
    answer = json.dumps({"parts": [{"text": "My essay on energy storage."}]})
    status = "A"


class ScoreFactory(DjangoModelFactory):
    """A score of a submission, on that submission's student item."""

    class Meta:
        model = Score

    submission = factory.SubFactory(SubmissionFactory)
    student_item = factory.SelfAttribute("submission.student_item")
    points_earned = 8
    points_possible = 10
    created_at = _ACTIVE
    reset = False


from . import factories_community  # noqa: E402 (builds on the factories above)
from .factories_community import *  # noqa: E402, F403

__all__ += factories_community.__all__
# Course and forum roles, cohorts, credit and reverification (a module of their own for size).
from . import factories_roles as _roles  # noqa: E402
from .factories_roles import *  # noqa: E402, F403

__all__ += _roles.__all__
# ORA assessments and workflows, score summaries and the cohorts' link table.
from . import factories_ora as _ora  # noqa: E402
from .factories_ora import *  # noqa: E402, F403

__all__ += _ora.__all__
