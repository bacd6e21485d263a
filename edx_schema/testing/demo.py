"""A small, realistic demo data set built from the shipped factories (``manage.py load_demo``).

It fills every table for two course runs (one ``course-v1:`` key and one old ``Org/Course/Run``
key) so that a newcomer has something to query and browse. It is idempotent: every row is
get-or-created on its natural key, so loading it twice leaves the same database.

Part of the testing kit: the app reaches it only through the ``load_demo`` command.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import transaction
from opaque_keys.edx.keys import CourseKey

from ..models import (
    OWN_MODELS,
    AnonymousUserId,
    Article,
    ArticleRevision,
    Assessment,
    PeerWorkflow,
    Rubric,
    Submission,
    TrainingExample,
    VerificationStatus,
)
from . import factories

DEMO_COURSES = (
    CourseKey.from_string("course-v1:edX+DemoX+Demo_Course"),
    CourseKey.from_string("MITx/6.002x/2012_Fall"),
)
#: Subsection (sequential) block ids of each demo course, in course order.
SUBSECTIONS = ("week_1_homework", "week_2_homework", "midterm_exam")
_START = datetime(2024, 2, 5, 9, 0, tzinfo=UTC)


@dataclass
class DemoSummary:
    """Rows in each table after loading the demo data."""

    rows: dict[str, int] = field(default_factory=dict)


def load_demo(*, learners: int = 20) -> DemoSummary:
    """Create (or complete) the demo data set for ``learners`` learners, in one transaction."""
    if learners < 1:
        raise ValueError("learners must be at least 1")
    with transaction.atomic():
        for number in range(1, learners + 1):
            _learner(number)
    return DemoSummary(rows=_row_counts())


def _learner(number: int) -> None:
    user = factories.UserFactory(
        username=f"demo_learner_{number:03d}",
        email=f"demo_learner_{number:03d}@example.org",
        first_name=f"Learner{number:03d}",
        last_name="Demo",
        date_joined=_START - timedelta(days=30 - number % 30),
        profile__year_of_birth=1960 + number % 45,
        profile__gender=("f", "m", "o", "")[number % 4],
        profile__level_of_education=("b", "m", "p", "hs", "")[number % 5],
    )
    factories.UserIdMapFactory(user=user)
    factories.AnonymousUserIdFactory(user=user, course_id=None)
    factories.LanguageProficiencyFactory(user_profile=user.profile, code=("en", "fr", "pt-br")[number % 3])
    for course_index, course in enumerate(DEMO_COURSES):
        _enrollment(user, number, course, course_index)


def _enrollment(user, number: int, course: CourseKey, course_index: int) -> None:
    day = _START + timedelta(days=number % 7, hours=course_index)
    factories.CourseEnrollmentFactory(
        user=user, course_id=course, created=day, mode=("audit", "verified", "honor")[number % 3]
    )
    factories.UserCourseTagFactory(user=user, course_id=course, value=str(number % 2))
    factories.AnonymousUserIdFactory(user=user, course_id=course)
    factories.StudentModuleFactory(
        student=user,
        course_id=course,
        module_type="course",
        block_id="course",
        state=json.dumps({"position": 1 + number % 3}),
        grade=None,
        max_grade=None,
        created=day,
        modified=day,
    )
    earned_total = possible_total = 0.0
    for position, subsection in enumerate(SUBSECTIONS):
        # Learners attempt fewer subsections the higher their number, as in a real course.
        if (number + position) % 5 == 4:
            continue
        when = day + timedelta(days=7 * position)
        earned = float((number * (position + 2)) % 5)
        for problem in range(1, 3):
            factories.StudentModuleFactory(
                student=user,
                course_id=course,
                block_id=f"{subsection}_problem_{problem}",
                grade=min(earned, 2.0) if problem == 1 else max(earned - 2.0, 0.0),
                max_grade=2.0,
                created=when,
                modified=when + timedelta(minutes=12),
            )
        grade = factories.PersistentSubsectionGradeFactory(
            user=user,
            course_id=course,
            block_id=subsection,
            visible_blocks__problem_count=2,
            visible_blocks__raw_possible=2.0,
            earned_graded=min(earned, 4.0),
            earned_all=min(earned, 4.0),
            first_attempted=when,
            created=when,
            modified=when + timedelta(minutes=12),
        )
        if number % 9 == 1 and position == 0:
            factories.PersistentSubsectionGradeOverrideFactory(grade=grade, created=when, modified=when)
        earned_total += grade.earned_graded
        possible_total += grade.possible_graded
    percent = round(earned_total / (4.0 * len(SUBSECTIONS)), 2)
    factories.PersistentCourseGradeFactory(
        user=user,
        course_id=course,
        percent_grade=percent,
        letter_grade="Pass" if percent >= 0.5 else "",
        passed_timestamp=day + timedelta(days=21) if percent >= 0.5 else None,
        created=day + timedelta(days=1),
        modified=day + timedelta(days=21),
    )
    factories.GeneratedCertificateFactory(
        user=user,
        course_id=course,
        grade=f"{percent:.2f}",
        status="downloadable" if percent >= 0.5 else "notpassing",
        mode="honor",
        verify_uuid=f"{number:016x}{course_index:016x}",
        download_uuid=f"{course_index:016x}{number:016x}",
        key=f"{number:032x}",
        created_date=day + timedelta(days=28),
        modified_date=day + timedelta(days=28),
    )
    _essay(user, number, course)
    _community(user, number, course, course_index)
    _roles(user, number, course)
    _email_opt_in(user, number, course, day)


def _essay(user, number: int, course: CourseKey) -> None:
    anonymous = AnonymousUserId.objects.get(user=user, course_id=course)
    item = factories.StudentItemFactory(
        user=user, anonymous_user=anonymous, course_id=str(course), block_id="final_essay"
    )
    if Submission.objects.filter(student_item=item).exists():
        return
    submission = factories.SubmissionFactory(
        student_item=item,
        answer=json.dumps(
            {"parts": [{"text": f'Essay {number}: \u00e9nergie, "quotes", tabs\tand\nlines.'}]}
        ),
    )
    score = factories.ScoreFactory(submission=submission, points_earned=number % 11, points_possible=10)
    factories.ScoreSummaryFactory(score=score)
    _open_response(submission, number)


def _open_response(submission: Submission, number: int) -> None:
    """The ORA rows of a new essay: its workflows, a self-assessment, student training, and the
    peer assessment of the previous learner's essay (with that learner's feedback on it); the
    first essay of a course also gets the retired AI tables' rows."""
    rubric = _rubric()
    examples = _training_examples(rubric)
    workflow = factories.AssessmentWorkflowFactory(submission=submission)
    for step in ("staff", "training", "peer", "self"):
        factories.AssessmentWorkflowStepFactory(workflow=workflow, name=step)
    training = factories.StudentTrainingWorkflowFactory(submission=submission)
    for example in examples:
        factories.StudentTrainingWorkflowItemFactory(workflow=training, training_example=example)
    _assess(submission, rubric, scorer_id=submission.student_item.student_id, score_type="SE", number=number)
    peer = factories.PeerWorkflowFactory(submission=submission)
    author = PeerWorkflow.objects.filter(item_id=peer.item_id).exclude(pk=peer.pk).order_by("-pk").first()
    if author is not None:
        authored = Submission.objects.get(uuid=author.submission_uuid)
        assessment = _assess(authored, rubric, scorer_id=peer.student_id, score_type="PE", number=number)
        factories.PeerWorkflowItemFactory(author=author, scorer=peer, assessment=assessment, scored=True)
        if number % 3 == 0:
            feedback = factories.AssessmentFeedbackFactory(submission=authored)
            for received in Assessment.objects.filter(submission_uuid=author.submission_uuid):
                factories.AssessmentFeedbackAssessmentsFactory(
                    assessmentfeedback=feedback, assessment=received
                )
            factories.AssessmentFeedbackOptionsFactory(
                assessmentfeedback=feedback,
                assessmentfeedbackoption=factories.AssessmentFeedbackOptionFactory(),
            )
    else:  # the course's first essay
        _retired_ai(submission, rubric, examples)


def _rubric() -> Rubric:
    """The demo essay's rubric: two criteria of three options each, shared by both courses."""
    rubric = factories.RubricFactory(content_hash="d" * 40, structure_hash="5" * 40)
    if not rubric.criteria.exists():
        for name in ("Ideas", "Content"):
            criterion = factories.CriterionFactory(rubric=rubric, name=name, label=name)
            for _ in range(3):
                factories.CriterionOptionFactory(criterion=criterion)
    return rubric


def _training_examples(rubric: Rubric) -> list[TrainingExample]:
    """Two example essays with the options staff chose for them."""
    examples = []
    for index in range(2):
        example = factories.TrainingExampleFactory(
            rubric=rubric, raw_answer=json.dumps({"parts": [{"text": f"Example essay {index + 1}."}]})
        )
        for criterion in rubric.criteria.all():
            factories.TrainingExampleOptionsSelectedFactory(
                trainingexample=example, criterionoption=criterion.options.get(order_num=index + 1)
            )
        examples.append(example)
    return examples


def _assess(
    submission: Submission, rubric: Rubric, *, scorer_id: str, score_type: str, number: int
) -> Assessment:
    """An assessment of ``submission`` choosing an option of each criterion, with comments."""
    assessment = factories.AssessmentFactory(
        submission=submission, rubric=rubric, scorer_id=scorer_id, score_type=score_type
    )
    for criterion in rubric.criteria.order_by("order_num"):
        factories.AssessmentPartFactory(
            assessment=assessment,
            criterion=criterion,
            option=criterion.options.get(order_num=(number + criterion.order_num) % 3),
            feedback=f"Comment {number} on {criterion.name.lower()}.",
        )
    return assessment


def _retired_ai(submission: Submission, rubric: Rubric, examples: list[TrainingExample]) -> None:
    """A classifier set trained on the examples, and an AI grading of the essay, pending."""
    classifiers = factories.AIClassifierSetFactory(rubric=rubric, item=submission.student_item)
    for criterion in rubric.criteria.all():
        factories.AIClassifierFactory(classifier_set=classifiers, criterion=criterion)
    training = factories.AITrainingWorkflowFactory(classifier_set=classifiers)
    for example in examples:
        factories.AITrainingWorkflowTrainingExamplesFactory(
            aitrainingworkflow=training, trainingexample=example
        )
    factories.AIGradingWorkflowFactory(submission=submission, classifier_set=classifiers)


def _community(user, number: int, course: CourseKey, course_index: int) -> None:
    """A place in one of the course's two teams, and an edit of the course's wiki home page."""
    group = number % 2 + 1
    team = factories.CourseTeamFactory(
        team_id=f"demo-{course_index}-team-{group}",
        discussion_topic_id=f"demo-{course_index}-discussion-{group}",
        name=f"Study group {group}",
        course_id=course,
    )
    factories.CourseTeamMembershipFactory(team=team, user=user)
    title = f"{course.course} wiki"  # the wiki is the course number's, shared by its runs
    home = ArticleRevision.objects.filter(title=title, revision_number=1).first()
    if home is None:
        factories.ArticleFactory(owner=user, current_revision__title=title)
    elif not home.article.revisions.filter(user=user).exists():
        revision = factories.ArticleRevisionFactory(article=home.article, user=user, title=title)
        Article.objects.filter(pk=home.article_id).update(current_revision=revision)


def _roles(user, number: int, course: CourseKey) -> None:
    """A cohort, a forum role and credit eligibility for everyone; a reverification for each
    learner's first visit; course staff and a forum moderator among them."""
    cohort = factories.CohortFactory(name=f"Cohort {'AB'[number % 2]}", course_id=course)
    factories.CohortMembershipFactory(course_user_group=cohort, user=user, course_id=course)
    factories.CourseUserGroupUsersFactory(courseusergroup=cohort, user=user)
    role = factories.RoleFactory(name="Moderator" if number % 5 == 1 else "Student", course_id=course)
    factories.ForumRoleUserFactory(role=role, user=user)
    if number % 5 == 1:
        factories.CourseAccessRoleFactory(user=user, course_id=course, org=course.org, role="staff")
    factories.CreditEligibilityFactory(
        username=user.username, course=factories.CreditCourseFactory(course_key=course)
    )
    checkpoint = factories.VerificationCheckpointFactory(course_id=course)
    if not VerificationStatus.objects.filter(user=user, checkpoint=checkpoint).exists():
        factories.VerificationStatusFactory(user=user, checkpoint=checkpoint)


def _row_counts() -> dict[str, int]:
    # The LMS tables only: edx-schema's own tables are not demo data.
    models = [
        get_user_model(),
        *(m for m in apps.get_app_config("edx_schema").get_models() if m not in OWN_MODELS),
    ]
    return {model._meta.db_table: model._default_manager.count() for model in models}


def _email_opt_in(user, number: int, course: CourseKey, day: datetime) -> None:
    """The learner's row in the org's opt-in list: every third learner opted out, every fourth
    never chose (the exporter's defaults)."""
    if number % 4 == 0:
        factories.EmailOptInFactory(user=user, course_id=course, default=True)
    else:
        factories.EmailOptInFactory(
            user=user, course_id=course, is_opted_in_for_email=number % 3 != 0, preference_set_datetime=day
        )
