"""The research helpers: a course's learners without its staff, and retired learners."""

import hashlib
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from edx_schema import api
from edx_schema.models import CourseAccessRole
from edx_schema.testing.factories import (
    CourseEnrollmentFactory,
    ForumRoleUserFactory,
    RoleFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

COURSE = "course-v1:MITx+6.002x+2T2024"
OTHER = "course-v1:MITx+8.01x+1T2024"
README = Path(__file__).resolve().parents[2] / "README.md"


def retired(original: str, salt: str = "edx-salt") -> str:
    """What the LMS makes of a retired learner's username (user_util: SHA-1 of salt + value)."""
    return "retired__user_" + hashlib.sha1((salt + original).encode()).hexdigest()


def learner(username: str, *, course: str = COURSE, **fields) -> User:
    user = UserFactory(username=username, **fields)
    CourseEnrollmentFactory(user=user, course_id=course)
    return user


def access_role(user, *, course: str, role: str, org: str = "MITx") -> CourseAccessRole:
    """A course-access role; ``course=""`` for an org-wide one; ``user`` a user or a bare id."""
    return CourseAccessRole.objects.create(
        user_id=getattr(user, "pk", user), org=org, course_id=course, role=role
    )


def usernames(users) -> set[str]:
    return set(users.values_list("username", flat=True))


# -- retired learners -----------------------------------------------------------------------

RETIRED_NAME = retired("ada")
RETIRED_EMAIL = retired("ada@example.org") + "@retired.invalid"


@pytest.mark.parametrize(
    ("username", "email"),
    [(RETIRED_NAME, None), (None, RETIRED_EMAIL), (RETIRED_NAME, RETIRED_EMAIL), ("ada", RETIRED_EMAIL)],
)
def test_a_retired_username_or_email_is_recognised(username, email):
    assert api.is_retired(username=username, email=email)


@pytest.mark.parametrize(
    "username",
    [
        "ada",
        "retired__user_bob",  # a learner's own choice
        "retired__user_",
        RETIRED_NAME[:-1],  # one hex digit short
        RETIRED_NAME + "0",
        RETIRED_NAME.upper(),
        "RETIRED__USER_" + RETIRED_NAME.removeprefix("retired__user_"),
        RETIRED_NAME.replace("retired__user_", "retired_user_"),
        "x" + RETIRED_NAME,
        RETIRED_NAME + "\n",
    ],
)
def test_a_username_that_only_looks_retired_is_not(username):
    assert not api.is_retired(username=username)


@pytest.mark.parametrize(
    "email",
    [
        RETIRED_NAME + "@example.org",  # another domain
        RETIRED_NAME + "@retired.invalid.org",
        RETIRED_NAME + "@retiredXinvalid",
        "retired_email_" + RETIRED_NAME[-40:] + "@retired.edx.org",  # user_util's own default format
        "learner@retired.invalid",
    ],
)
def test_an_email_that_only_looks_retired_is_not(email):
    assert not api.is_retired(email=email)


def test_nothing_given_is_not_retired():
    assert not api.is_retired()


def test_the_retired_learners_queryset_agrees_with_the_predicate():
    samples = [
        (RETIRED_NAME, RETIRED_EMAIL),
        (retired("bob"), "bob@example.org"),  # username alone
        ("carol", retired("carol@example.org") + "@retired.invalid"),  # e-mail alone
        ("retired__user_dave", "dave@example.org"),
        ("RETIRED__USER_" + retired("erin").removeprefix("retired__user_"), "erin@example.org"),
        (retired("frank").upper().replace("RETIRED__USER_", "retired__user_"), "frank@example.org"),
        (retired("gina") + "0", retired("gina@x.org") + "@retired.invalid.org"),
        ("hiro", "hiro@example.org"),
    ]
    for username, email in samples:
        UserFactory(username=username, email=email)
    expected = {username for username, email in samples if api.is_retired(username=username, email=email)}
    assert len(expected) == 3
    assert usernames(api.retired_learners()) == expected


# -- learners without staff -----------------------------------------------------------------


@pytest.fixture
def course():
    """A course's enrolled learners and staff, each of a kind the helper must tell apart."""
    people = {
        "plain": learner("plain"),
        "inactive": learner("inactive"),
        "student_role": learner("student_role"),
        "community_ta": learner("community_ta"),
        "group_moderator": learner("group_moderator"),
        "staff_enrolled": learner("staff_enrolled"),
        "instructor_enrolled": learner("instructor_enrolled"),
        "beta_tester": learner("beta_tester"),
        "moderator": learner("moderator"),
        "administrator": learner("administrator"),
        "org_staff": learner("org_staff"),
        "org_staff_lowercase": learner("org_staff_lowercase"),
        "other_org_staff": learner("other_org_staff"),
        "staff_elsewhere": learner("staff_elsewhere"),
        "moderator_elsewhere": learner("moderator_elsewhere"),
        "role_org_lowercase": learner("role_org_lowercase"),
        "retired": learner(RETIRED_NAME, email=RETIRED_EMAIL),
    }
    people["inactive"].course_enrollments.update(is_active=False)
    for name in ("student_role", "staff_enrolled", "moderator", "administrator"):
        ForumRoleUserFactory(user=people[name], role=RoleFactory(course_id=COURSE, name="Student"))
    for name, role in (
        ("community_ta", "Community TA"),
        ("group_moderator", "Group Moderator"),
        ("moderator", "Moderator"),
        ("administrator", "Administrator"),
    ):
        ForumRoleUserFactory(user=people[name], role=RoleFactory(course_id=COURSE, name=role))
    ForumRoleUserFactory(
        user=people["moderator_elsewhere"], role=RoleFactory(course_id=OTHER, name="Moderator")
    )
    access_role(people["staff_enrolled"], course=COURSE, role="staff")
    access_role(people["instructor_enrolled"], course=COURSE, role="instructor")
    access_role(people["beta_tester"], course=COURSE, role="beta_testers")
    access_role(people["staff_elsewhere"], course=OTHER, role="staff")
    # A course-level row whose org differs in case from the key's (as MIT's data has it).
    access_role(people["role_org_lowercase"], course=COURSE, org="mitx", role="staff")
    # Org-wide roles (course_id ''): of the course's org, in either case, and of another org.
    access_role(people["org_staff"], course="", org="MITx", role="staff")
    access_role(people["org_staff_lowercase"], course="", org="mitx", role="instructor")
    access_role(people["other_org_staff"], course="", org="HarvardX", role="staff")
    # Staff who are not enrolled, one of them not even in auth_user (ids are not constrained).
    access_role(UserFactory(username="staff_only"), course=COURSE, role="staff")
    access_role(999_999, course=COURSE, role="staff")
    # A learner of the other course only.
    learner("other_course_learner", course=OTHER)
    return people


LEARNERS = {
    "plain",
    "inactive",
    "student_role",
    "community_ta",
    "group_moderator",
    "other_org_staff",
    "staff_elsewhere",
    "moderator_elsewhere",
    RETIRED_NAME,
}


def test_the_learners_of_a_course_leave_out_its_course_and_org_staff_and_forum_moderators(course):
    assert usernames(api.learners_without_staff(course_id=COURSE)) == LEARNERS


def test_retired_learners_can_be_left_out(course):
    found = usernames(api.learners_without_staff(course_id=COURSE, include_retired=False))
    assert found == LEARNERS - {RETIRED_NAME}


def test_community_tas_and_group_moderators_are_left_out_when_asked(course):
    roles = (*api.STAFF_FORUM_ROLES, "Community TA", "Group Moderator")
    found = usernames(api.learners_without_staff(course_id=COURSE, forum_roles=roles))
    assert found == LEARNERS - {"community_ta", "group_moderator"}


def test_no_forum_role_leaves_the_moderators_in(course):
    found = usernames(api.learners_without_staff(course_id=COURSE, forum_roles=()))
    assert found == LEARNERS | {"moderator", "administrator"}


def test_a_course_key_object_and_an_old_style_key_work_as_well(course):
    from opaque_keys.edx.keys import CourseKey

    assert usernames(api.learners_without_staff(course_id=CourseKey.from_string(COURSE))) == LEARNERS
    old = "MITx/6.002x/2012_Fall"
    kept, staff, org_staff = (
        learner("old_learner", course=old),
        learner("old_staff", course=old),
        course["org_staff"],
    )
    CourseEnrollmentFactory(user=org_staff, course_id=old)
    access_role(staff, course=old, role="staff")
    assert usernames(api.learners_without_staff(course_id=old)) == {kept.username}


def test_the_result_is_a_queryset_that_composes(course):
    learners = api.learners_without_staff(course_id=COURSE)
    active = learners.filter(course_enrollments__course_id=COURSE, course_enrollments__is_active=True)
    assert usernames(active) == LEARNERS - {"inactive"}
    assert usernames(learners & api.retired_learners()) == {RETIRED_NAME}
    assert learners.count() == len(LEARNERS)


def test_a_course_without_learners_has_none():
    assert not api.learners_without_staff(course_id="course-v1:Nobody+Here+2024").exists()


def test_a_bad_course_key_or_forum_role_is_refused_with_a_clear_error():
    with pytest.raises(api.InvalidKeyError, match="'not a key' is not a course key"):
        api.learners_without_staff(course_id="not a key")
    with pytest.raises(ValueError, match=re.escape("Unknown forum role(s) ['moderator']")):
        api.learners_without_staff(course_id=COURSE, forum_roles=["moderator"])


def test_the_readme_example_runs(course):
    """The README's research section, run as written, on a course with staff and a retired learner."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Research queries", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    code = code.replace("course-v1:UniversityX+CS-101x+3T2024", COURSE)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # the README example, as written
    assert usernames(namespace["learners"]) == LEARNERS
