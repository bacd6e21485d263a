"""The learners, and the members that hold one row per enrolled learner: users to course tags."""

from __future__ import annotations

import datetime
import json

from .output import Table
from .rows import (
    ASKBOT_TAIL,
    AUTH_USER_HEADER,
    AnonymousUserIdRow,
    AuthUserRow,
    EnrollmentRow,
    LanguageProficiencyRow,
    ProfileRow,
    UserCourseTagRow,
    UserIdMapRow,
    user_id_map_header,
)
from .spec import CourseRun, Learner, PackageSpec, anonymous_id, timestamp

_FIRST_NAMES = ("Ada", "Bao", "Chidi", "Dana", "Élodie", "Farid", "Grace", "Hiro", "Inès", "José")
_LAST_NAMES = ("Lovelace", "Nguyen", "Okafor", "O'Neil", "Müller", "Haddad", "Hopper", "Tanaka")
# The codes of the account page's language list (up to 16 characters).
_LANGUAGE_CODES = ("en", "fr", "es", "zh-cn", "ar", "pt-br", "hi")


def make_learners(spec: PackageSpec) -> list[Learner]:
    """This week's learners, ids from 10; a learner's details depend only on the seed and their id."""
    learners = []
    for index in range(spec.learner_count):
        user_id = 10 + index
        rng = spec.rng("user", user_id)
        first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
        joined = timestamp(spec.base - datetime.timedelta(days=400), rng, days=300)
        learners.append(
            Learner(
                id=user_id,
                username=f"{first.lower()}_{user_id}",
                first_name=first,
                last_name=last,
                email=f"learner{user_id}@example.org",
                date_joined=joined,
                last_login=None if index % 7 == 0 else timestamp(spec.base, rng),
                year_of_birth=None if index % 5 == 0 else 1960 + index % 45,
            )
        )
    return learners


def enrolled_in(learners: list[Learner], *, course_index: int) -> list[Learner]:
    """Every learner is in the first course; the others take every other learner."""
    return learners if course_index == 0 else learners[course_index % 2 :: 2]


def auth_user(run: CourseRun) -> Table:
    """The enrolled learners' accounts: no password, not staff, active, with the Askbot columns."""
    rows = (
        (
            *AuthUserRow(
                id=u.id,
                username=u.username,
                first_name=u.first_name,
                last_name=u.last_name,
                email=u.email,
                password="",
                is_staff=0,
                is_active=1,
                is_superuser=0,
                last_login=u.last_login,
                date_joined=u.date_joined,
            ),
            *ASKBOT_TAIL,
        )
        for u in run.enrolled
    )
    return Table("auth_user", AUTH_USER_HEADER, rows)


def auth_userprofile(run: CourseRun) -> Table:
    """Profiles whose text exercises the format: CR, LF, TAB and backslash, NULL and ''."""
    rows = (
        ProfileRow(
            id=profile_id(u),
            user_id=u.id,
            name=u.full_name,
            language="en",
            location="",
            meta=json.dumps({"session_id": None}),
            courseware="course.xml",
            gender=("f", "m", "o", "", None, "x")[u.id % 6],
            mailing_address="12 Main St\r\nApt 4\tRear" if u.id % 4 == 0 else "",
            year_of_birth=u.year_of_birth,
            level_of_education=("p", "hs", "b", "m", "", "zz")[u.id % 6],
            goals="Learn \\ teach\nand more" if u.id % 3 == 0 else None,
            country=("US", "IN", "FR", "")[u.id % 4],
            city="",
            bio=None,
            profile_image_uploaded_at=None,
            state=None,
        )
        for u in run.enrolled
    )
    return Table("auth_userprofile", ProfileRow._fields, rows)


def profile_id(learner: Learner) -> int:
    """The id of the learner's auth_userprofile row (not their user id)."""
    return learner.id + 1000


def student_languageproficiency(run: CourseRun) -> Table:
    """The languages each enrolled learner listed: most none, some one or two.

    Rows belong to the learner, not the course: the same ids repeat in each of their course files.
    """
    rows = (
        LanguageProficiencyRow(id=u.id * 4 + index, user_profile_id=profile_id(u), code=code)
        for u in run.enrolled
        for index, code in enumerate(_languages(run.spec, u))
    )
    return Table("student_languageproficiency", LanguageProficiencyRow._fields, rows)


def _languages(spec: PackageSpec, learner: Learner) -> list[str]:
    """The learner's language codes: none for most, else one or two distinct ones."""
    rng = spec.rng("languages", learner.id)
    return rng.sample(_LANGUAGE_CODES, rng.choice((0, 0, 0, 1, 1, 2)))


def student_courseenrollment(run: CourseRun) -> Table:
    """An enrollment per learner; every ninth is inactive, modes in turn."""
    rows = (
        EnrollmentRow(
            id=run.row_id(u),
            user_id=u.id,
            course_id=run.course.key,
            created=timestamp(run.spec.base, run.rng("enrolled", u.id), days=10),
            is_active=int(enrollment_active(u)),
            mode=enrollment_mode(u),
        )
        for u in run.enrolled
    )
    return Table("student_courseenrollment", EnrollmentRow._fields, rows)


def enrollment_active(learner: Learner) -> bool:
    """Whether the learner's enrollments are active: every ninth learner has unenrolled."""
    return learner.id % 9 != 0


def enrollment_mode(learner: Learner) -> str:
    """The learner's enrollment mode, the same in every course: audit, verified and honor in turn."""
    return ("audit", "verified", "honor")[learner.id % 3]


def student_anonymoususerid(run: CourseRun) -> Table:
    """Each learner's anonymous id in this course."""
    key = run.course.key
    rows = (
        AnonymousUserIdRow(
            id=run.row_id(u), user_id=u.id, anonymous_user_id=anonymous_id(u.id, key), course_id=key
        )
        for u in run.enrolled
    )
    return Table("student_anonymoususerid", AnonymousUserIdRow._fields, rows)


def user_id_map(run: CourseRun) -> Table:
    """Each learner's site-wide hashed id; legacy courses use the pre-Oct 2022 header."""
    rows = (
        UserIdMapRow(hash_id=anonymous_id(u.id, ""), user_id=u.id, username=u.username) for u in run.enrolled
    )
    return Table("user_id_map", user_id_map_header(legacy=run.course.legacy), rows)


def user_api_usercoursetag(run: CourseRun) -> Table:
    """Each learner's content-experiment partition group (0 or 1)."""
    rows = (
        UserCourseTagRow(
            id=run.row_id(u),
            user_id=u.id,
            key="xblock.partition_service.partition_0",
            course_id=run.course.key,
            value=str(u.id % 2),
        )
        for u in run.enrolled
    )
    return Table("user_api_usercoursetag", UserCourseTagRow._fields, rows)
