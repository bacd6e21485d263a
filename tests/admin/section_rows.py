"""Rows for the learner and course pages' table sections, on top of the sample package.

The sample fills the sections' tables too: :func:`without_section_rows` empties them first, so
that a test's own rows are all a section shows. hiro_11 (user 11) gets a row in each table of the
learner page's sections, and another learner rows of his own;
course-v1:UniversityX+CS-101x+3T2024 gets staff of every kind, forum staff, cohorts and teams,
and the sample's other course a few of its own.
"""

import uuid
from datetime import UTC, datetime

from django.contrib.auth.models import User

from edx_schema.models import (
    AnonymousUserId,
    Assessment,
    AssessmentPart,
    CohortMembership,
    CourseAccessRole,
    CourseTeam,
    CourseTeamMembership,
    CourseUserGroup,
    CourseUserGroupUsers,
    CreditCourse,
    CreditEligibility,
    EmailOptIn,
    ForumRole,
    ForumRoleUser,
    LanguageProficiency,
    Score,
    StudentItem,
    Submission,
    UserProfile,
)
from edx_schema.testing.factories import (
    AssessmentFactory,
    AssessmentPartFactory,
    CohortFactory,
    CohortMembershipFactory,
    CourseTeamFactory,
    CourseTeamMembershipFactory,
    CreditCourseFactory,
    CreditEligibilityFactory,
    EmailOptInFactory,
    ForumRoleUserFactory,
    LanguageProficiencyFactory,
    RoleFactory,
    ScoreFactory,
    StudentItemFactory,
    SubmissionFactory,
    UserFactory,
)
from tests.admin.conftest import COURSE

HIST = "UniversityX/HIST.2x/2013_Spring"
OTHER_ORG_COURSE = "course-v1:OtherX+ART-1x+2T2024"
LEARNER = 11  # hiro_11, enrolled in both courses of the sample
DEADLINE = datetime(2025, 6, 30, 23, 59, 59, tzinfo=UTC)
ESSAY = uuid.UUID("387d840a-d0ae-11e3-bb0e-14109fd8dc43")  # hiro's scored ORA submission
PEER = "5f1c0ffee0ddba11ab1ec0de5eed0001"  # the anonymous id of the peer who assessed it

#: The tables the sections read, children before their parents: the sample fills each of them.
SECTION_MODELS = (
    CourseAccessRole,
    ForumRoleUser,
    ForumRole,
    CohortMembership,
    CourseUserGroupUsers,
    CourseUserGroup,
    CourseTeamMembership,
    CourseTeam,
    CreditEligibility,
    CreditCourse,
    AssessmentPart,
    Assessment,
    Score,
    Submission,
    StudentItem,
    EmailOptIn,
    LanguageProficiency,
)


def without_section_rows() -> None:
    """Empty the tables the learner and course pages' sections read, of the sample's rows."""
    for model in SECTION_MODELS:
        model.objects.all().delete()


def at(day: str) -> datetime:
    """``day`` (``2024-08-01 14:30``) in UTC."""
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def ora_item(user_id: int, course: str) -> StudentItem:
    """The learner's student item of the course's essay, under their anonymous id in the sample."""
    anonymous = AnonymousUserId.objects.get(user_id=user_id, course_id=course)
    return StudentItemFactory(anonymous_user=anonymous, course_id=course, block_id="essay")


def access_role(user_id: int, *, course: str, role: str, org: str = "UniversityX") -> CourseAccessRole:
    """A course-access role; course ``""`` for an org-wide one (the factory cannot make one)."""
    return CourseAccessRole.objects.create(user_id=user_id, org=org, course_id=course, role=role)


def with_learner_rows() -> User:
    """hiro_11, with one row in each section's table, and another learner with his own."""
    hiro, other = User.objects.get(pk=LEARNER), UserFactory(username="other")
    access_role(LEARNER, course=HIST, role="beta_testers")
    access_role(LEARNER, course="", org="universityx", role="data_researcher")
    access_role(other.pk, course=COURSE, role="instructor")
    ForumRoleUserFactory(user=hiro, role=RoleFactory(course_id=COURSE, name="Community TA"))
    ForumRoleUserFactory(user=other, role=RoleFactory(course_id=HIST, name="Administrator"))
    CohortMembershipFactory(user=hiro, course_user_group=CohortFactory(course_id=COURSE, name="Night owls"))
    CohortMembershipFactory(user=other, course_user_group=CohortFactory(course_id=COURSE, name="Early birds"))
    rocket = CourseTeamFactory(course_id=COURSE, name="Team Rocket", topic_id="topic-7")
    CourseTeamMembershipFactory(user=hiro, team=rocket)
    CourseTeamMembershipFactory(user=other, team=CourseTeamFactory(course_id=COURSE, name="Team Magma"))
    CreditEligibilityFactory(
        username="hiro_11", course=CreditCourseFactory(course_key=COURSE), deadline=DEADLINE
    )
    CreditEligibilityFactory(username="other", course=CreditCourseFactory(course_key=HIST), deadline=DEADLINE)
    LanguageProficiencyFactory(user_profile=UserProfile.objects.get(user=hiro), code="pt-br")
    LanguageProficiencyFactory(user_profile=other.profile, code="de")
    with_ora_rows(other)
    EmailOptInFactory(
        user=hiro,
        course_id=COURSE,
        is_opted_in_for_email=False,
        preference_set_datetime=at("2024-08-03 18:51"),
    )
    EmailOptInFactory(user=hiro, course_id=OTHER_ORG_COURSE, default=True)
    EmailOptInFactory(user=other, course_id=COURSE)
    return hiro


def with_ora_rows(other: User) -> None:
    """hiro's essay in COURSE, scored twice, assessed by a peer (its uuid hyphenated, as ORA's API
    writes it) and by himself (bare hex, as edx-submissions also stores it); ``other``'s essay,
    which hiro assessed."""
    essay = SubmissionFactory(
        uuid=ESSAY, student_item=ora_item(LEARNER, COURSE), submitted_at=at("2024-08-01 14:30")
    )
    ScoreFactory(submission=essay, points_earned=3, points_possible=10, created_at=at("2024-08-05 09:00"))
    ScoreFactory(submission=essay, points_earned=7, points_possible=10, created_at=at("2024-08-06 09:00"))
    peer = AssessmentFactory(
        submission=essay,
        submission_uuid=str(ESSAY),
        score_type="PE",
        scorer_id=PEER,
        scored_at=at("2024-08-03 10:15"),
    )
    for points in (2, 3):
        AssessmentPartFactory(assessment=peer, option__points=points)
    own = AssessmentFactory(
        submission=essay, submission_uuid=ESSAY.hex, score_type="SE", scored_at=at("2024-08-04 11:00")
    )
    AssessmentPartFactory(assessment=own, option__points=4)
    theirs = SubmissionFactory(
        student_item=StudentItemFactory(user=other, course_id=COURSE, block_id="essay")
    )
    ScoreFactory(submission=theirs, points_earned=1, points_possible=10)
    AssessmentFactory(submission=theirs, score_type="PE", scorer_id=essay.student_item.student_id)


def with_more_learner_rows(hiro: User) -> None:
    """A second row in each section's table for hiro_11 (a third course role and e-mail opt-in)."""
    access_role(LEARNER, course=COURSE, role="limited_staff")
    ForumRoleUserFactory(user=hiro, role=RoleFactory(course_id=HIST, name="Student"))
    CohortMembershipFactory(user=hiro, course_user_group=CohortFactory(course_id=HIST, name="Spring cohort"))
    CourseTeamMembershipFactory(user=hiro, team=CourseTeamFactory(course_id=HIST, name="Team Aqua"))
    CreditEligibilityFactory(
        username="hiro_11", course=CreditCourseFactory(course_key=HIST), deadline=DEADLINE
    )
    LanguageProficiencyFactory(user_profile=UserProfile.objects.get(user=hiro), code="ja")
    # In the other course: a link to the rest must list both courses' (two anonymous ids).
    SubmissionFactory(student_item=ora_item(LEARNER, HIST), submitted_at=at("2024-09-02 08:00"))
    EmailOptInFactory(user=hiro, course_id=HIST, preference_set_datetime=at("2024-09-01 12:00"))


def with_course_rows() -> tuple[list[User], User]:
    """COURSE's staff of every kind, forum staff, cohorts and teams: (its learners, its instructor)."""
    learners = list(User.objects.filter(course_enrollments__course_id=COURSE).order_by("pk"))
    instructor = UserFactory(username="prof_x")
    access_role(instructor.pk, course=COURSE, role="instructor")
    access_role(learners[0].pk, course=COURSE, role="staff")
    access_role(learners[1].pk, course=COURSE, org="universityx", role="staff")
    access_role(424_242, course=COURSE, role="staff")  # not in auth_user
    access_role(learners[2].pk, course="", org="universityx", role="data_researcher")  # the org's
    access_role(learners[3].pk, course="", org="OtherX", role="staff")  # another org's
    access_role(learners[4].pk, course=HIST, role="staff")  # another course's
    for user, name in ((instructor, "Administrator"), (learners[0], "Moderator"), (learners[1], "Moderator")):
        ForumRoleUserFactory(user=user, role=RoleFactory(course_id=COURSE, name=name))
    ForumRoleUserFactory(user=learners[5], role=RoleFactory(course_id=COURSE, name="Community TA"))
    for user in learners:
        ForumRoleUserFactory(user=user, role=RoleFactory(course_id=COURSE, name="Student"))
    ForumRoleUserFactory(user=learners[6], role=RoleFactory(course_id=HIST, name="Moderator"))
    owls = CohortFactory(course_id=COURSE, name="Night owls")
    birds = CohortFactory(course_id=COURSE, name="Early birds")
    CohortFactory(course_id=COURSE, name="Empty")
    for user in learners[:7]:
        CohortMembershipFactory(user=user, course_user_group=owls)
    for user in learners[7:10]:
        CohortMembershipFactory(user=user, course_user_group=birds)
    CohortMembershipFactory(user=learners[0], course_user_group=CohortFactory(course_id=HIST, name="Spring"))
    rocket = CourseTeamFactory(course_id=COURSE, name="Team Rocket", topic_id="topic-1")
    aqua = CourseTeamFactory(course_id=COURSE, name="Team Aqua", topic_id="topic-2")
    CourseTeamFactory(course_id=COURSE, name="Team Alone", topic_id="topic-1")
    for user in learners[:4]:
        CourseTeamMembershipFactory(user=user, team=rocket)
    CourseTeamMembershipFactory(user=learners[4], team=aqua)
    CourseTeamMembershipFactory(user=learners[5], team=CourseTeamFactory(course_id=HIST, name="Team Magma"))
    return learners, instructor
