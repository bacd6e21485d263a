"""factory-boy factories for the ORA assessment and workflow tables, score summaries and the
cohorts' link table.

Defaults are consistent: a row about a submission (an assessment, a feedback, a workflow) takes
its ``submission_uuid`` in ORA's hyphenated form, and its learner, item and course, from the
``submission`` parameter (a new one by default; pass ``submission=`` to share one, not a bare
``submission_uuid``). A part's option belongs to a criterion of its assessment's rubric, a
self-assessment's scorer is the learner, and a score summary points at one score of its student
item. Factories get-or-create on the table's natural key, so building the same row twice returns
the existing one.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import timedelta

import factory
from factory.django import DjangoModelFactory

from ..models import (
    AIClassifier,
    AIClassifierSet,
    AIGradingWorkflow,
    AITrainingWorkflow,
    AITrainingWorkflowTrainingExamples,
    Assessment,
    AssessmentFeedback,
    AssessmentFeedbackAssessments,
    AssessmentFeedbackOption,
    AssessmentFeedbackOptions,
    AssessmentPart,
    AssessmentWorkflow,
    AssessmentWorkflowStep,
    CourseUserGroupUsers,
    Criterion,
    CriterionOption,
    PeerWorkflow,
    PeerWorkflowItem,
    Rubric,
    ScoreSummary,
    StudentTrainingWorkflow,
    StudentTrainingWorkflowItem,
    Submission,
    TrainingExample,
    TrainingExampleOptionsSelected,
)
from .factories import _ACTIVE, ScoreFactory, StudentItemFactory, SubmissionFactory, UserFactory
from .factories_roles import CohortFactory

__all__ = [
    "AIClassifierFactory",
    "AIClassifierSetFactory",
    "AIGradingWorkflowFactory",
    "AITrainingWorkflowFactory",
    "AITrainingWorkflowTrainingExamplesFactory",
    "AssessmentFactory",
    "AssessmentFeedbackAssessmentsFactory",
    "AssessmentFeedbackFactory",
    "AssessmentFeedbackOptionFactory",
    "AssessmentFeedbackOptionsFactory",
    "AssessmentPartFactory",
    "AssessmentWorkflowFactory",
    "AssessmentWorkflowStepFactory",
    "CourseUserGroupUsersFactory",
    "CriterionFactory",
    "CriterionOptionFactory",
    "PeerWorkflowFactory",
    "PeerWorkflowItemFactory",
    "RubricFactory",
    "ScoreSummaryFactory",
    "StudentTrainingWorkflowFactory",
    "StudentTrainingWorkflowItemFactory",
    "TrainingExampleFactory",
    "TrainingExampleOptionsSelectedFactory",
]

_GRADED = _ACTIVE + timedelta(days=3)


def _sha1(*parts: object) -> str:
    """A 40-hex-character hash of ``parts``, like ORA's content hashes."""
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()


def _next_order(manager_of: str):
    """The next ``order_num`` among the rows ``manager_of`` (a related manager's path) holds."""
    return factory.LazyAttribute(lambda row: _resolve(row, manager_of).count())


def _resolve(row: object, path: str):
    for name in path.split("."):
        row = getattr(row, name)
    return row


class RubricFactory(DjangoModelFactory):
    """A rubric, with no criteria until they are built for it."""

    class Meta:
        model = Rubric
        django_get_or_create = ("content_hash",)

    content_hash = factory.Sequence(lambda n: _sha1("rubric", n))
    structure_hash = factory.LazyAttribute(lambda r: _sha1("structure", r.content_hash))


class CriterionFactory(DjangoModelFactory):
    """The next criterion of ``rubric`` (of a new rubric by default)."""

    class Meta:
        model = Criterion

    rubric = factory.SubFactory(RubricFactory)
    name = factory.Sequence("Ideas {}".format)
    label = factory.SelfAttribute("name")
    order_num = _next_order("rubric.criteria")
    prompt = "Determine if there is a unifying theme or main idea."


class CriterionOptionFactory(DjangoModelFactory):
    """The next option of ``criterion``, worth as many points as its place (0 for the first)."""

    class Meta:
        model = CriterionOption

    criterion = factory.SubFactory(CriterionFactory)
    order_num = _next_order("criterion.options")
    points = factory.SelfAttribute("order_num")
    name = factory.LazyAttribute(lambda o: ("Poor", "Fair", "Good", "Excellent")[o.order_num % 4])
    label = factory.SelfAttribute("name")
    explanation = factory.LazyAttribute(lambda o: f"The response is {o.name.lower()}.")


class _SubmissionRowFactory(DjangoModelFactory):
    """A row about ``submission``: its uuid as ORA stores it, hyphenated."""

    class Meta:
        abstract = True

    class Params:
        submission = factory.SubFactory(SubmissionFactory)

    submission_uuid = factory.LazyAttribute(lambda row: str(row.submission.uuid))


class _ItemRowFactory(_SubmissionRowFactory):
    """A row about ``submission`` that repeats its student item's course and item."""

    class Meta:
        abstract = True

    course_id = factory.SelfAttribute("submission.student_item.course_id")
    item_id = factory.SelfAttribute("submission.student_item.item_id")


class _LearnerRowFactory(_ItemRowFactory):
    """A row about ``submission`` that repeats its learner's per-course anonymous id too."""

    class Meta:
        abstract = True

    student_id = factory.SelfAttribute("submission.student_item.student_id")


class AssessmentFactory(_SubmissionRowFactory):
    """A learner's self-assessment of their submission (for a peer's: ``score_type='PE'``, ``scorer_id``)."""

    class Meta:
        model = Assessment

    rubric = factory.SubFactory(RubricFactory)
    scored_at = _GRADED
    scorer_id = factory.SelfAttribute("submission.student_item.student_id")
    score_type = "SE"
    feedback = "Clear argument; the second paragraph needs a source."


class AssessmentPartFactory(DjangoModelFactory):
    """The option an assessment chose for a new criterion of its rubric."""

    class Meta:
        model = AssessmentPart

    assessment = factory.SubFactory(AssessmentFactory)
    option = factory.SubFactory(
        CriterionOptionFactory, criterion__rubric=factory.SelfAttribute("...assessment.rubric")
    )
    criterion = factory.SelfAttribute("option.criterion")
    feedback = ""


class AssessmentFeedbackOptionFactory(DjangoModelFactory):
    """One of ORA's canned reactions to the assessments a learner received."""

    class Meta:
        model = AssessmentFeedbackOption
        django_get_or_create = ("text",)

    text = "These assessments were useful."


class AssessmentFeedbackFactory(_SubmissionRowFactory):
    """A learner's feedback on the assessments of their submission."""

    class Meta:
        model = AssessmentFeedback
        django_get_or_create = ("submission_uuid",)

    feedback_text = "Thanks, the comments on structure helped."


class AssessmentFeedbackAssessmentsFactory(DjangoModelFactory):
    """A feedback and an assessment it is about, of the feedback's submission."""

    class Meta:
        model = AssessmentFeedbackAssessments
        django_get_or_create = ("assessmentfeedback", "assessment")

    assessmentfeedback = factory.SubFactory(AssessmentFeedbackFactory)
    assessment = factory.SubFactory(
        AssessmentFactory,
        submission=factory.LazyAttribute(
            lambda a: Submission.objects.get(uuid=a.factory_parent.assessmentfeedback.submission_uuid)
        ),
    )


class AssessmentFeedbackOptionsFactory(DjangoModelFactory):
    """A canned reaction a feedback picked."""

    class Meta:
        model = AssessmentFeedbackOptions
        django_get_or_create = ("assessmentfeedback", "assessmentfeedbackoption")

    assessmentfeedback = factory.SubFactory(AssessmentFeedbackFactory)
    assessmentfeedbackoption = factory.SubFactory(AssessmentFeedbackOptionFactory)


class PeerWorkflowFactory(_LearnerRowFactory):
    """The peer workflow of a submission, whose learner finished assessing peers."""

    class Meta:
        model = PeerWorkflow
        django_get_or_create = ("submission_uuid",)

    created_at = _ACTIVE
    completed_at = _GRADED
    grading_completed_at = None
    cancelled_at = None


class PeerWorkflowItemFactory(DjangoModelFactory):
    """The author's submission handed to another learner of the same item, not yet assessed
    (pass ``assessment=`` and ``scored=True`` for one that was)."""

    class Meta:
        model = PeerWorkflowItem

    author = factory.SubFactory(PeerWorkflowFactory)
    scorer = factory.SubFactory(
        PeerWorkflowFactory,
        submission__student_item__course_id=factory.SelfAttribute("....author.course_id"),
        submission__student_item__item_id=factory.SelfAttribute("....author.item_id"),
    )
    submission_uuid = factory.SelfAttribute("author.submission_uuid")
    started_at = _ACTIVE
    assessment = None
    scored = False


class TrainingExampleFactory(DjangoModelFactory):
    """An example response for ``rubric``, hashed with it as ORA does."""

    class Meta:
        model = TrainingExample
        django_get_or_create = ("content_hash",)

    rubric = factory.SubFactory(RubricFactory)
    raw_answer = factory.Sequence(lambda n: json.dumps({"parts": [{"text": f"Example answer {n}."}]}))
    content_hash = factory.LazyAttribute(lambda e: _sha1(e.raw_answer, e.rubric.content_hash))


class TrainingExampleOptionsSelectedFactory(DjangoModelFactory):
    """The option staff chose for a training example, on a criterion of the example's rubric."""

    class Meta:
        model = TrainingExampleOptionsSelected
        django_get_or_create = ("trainingexample", "criterionoption")

    trainingexample = factory.SubFactory(TrainingExampleFactory)
    criterionoption = factory.SubFactory(
        CriterionOptionFactory, criterion__rubric=factory.SelfAttribute("...trainingexample.rubric")
    )


class StudentTrainingWorkflowFactory(_LearnerRowFactory):
    """The student-training workflow of a submission."""

    class Meta:
        model = StudentTrainingWorkflow
        django_get_or_create = ("submission_uuid",)


class StudentTrainingWorkflowItemFactory(DjangoModelFactory):
    """The next example of ``workflow``, assessed correctly an hour after it was shown."""

    class Meta:
        model = StudentTrainingWorkflowItem
        django_get_or_create = ("workflow", "order_num")

    workflow = factory.SubFactory(StudentTrainingWorkflowFactory)
    order_num = _next_order("workflow.items")
    training_example = factory.SubFactory(TrainingExampleFactory)
    started_at = _ACTIVE
    completed_at = _ACTIVE + timedelta(hours=1)


class AssessmentWorkflowFactory(_ItemRowFactory):
    """The assessment workflow of a submission, done."""

    class Meta:
        model = AssessmentWorkflow
        django_get_or_create = ("submission_uuid",)

    uuid = factory.LazyFunction(uuid.uuid4)
    status = "done"
    created = _ACTIVE
    modified = _GRADED
    status_changed = _GRADED


class AssessmentWorkflowStepFactory(DjangoModelFactory):
    """The next step (``peer`` by default) of ``workflow``, completed by learner and assessors."""

    class Meta:
        model = AssessmentWorkflowStep
        django_get_or_create = ("workflow", "name")

    workflow = factory.SubFactory(AssessmentWorkflowFactory)
    name = "peer"
    order_num = _next_order("workflow.steps")
    submitter_completed_at = _ACTIVE + timedelta(days=1)
    assessment_completed_at = _GRADED
    skipped = False


class ScoreSummaryFactory(DjangoModelFactory):
    """The summary of ``score``'s student item, whose highest and latest score it is."""

    class Meta:
        model = ScoreSummary
        django_get_or_create = ("student_item",)

    class Params:
        score = factory.SubFactory(ScoreFactory)

    student_item = factory.SelfAttribute("score.student_item")
    highest = factory.SelfAttribute("score")
    latest = factory.SelfAttribute("score")


class CourseUserGroupUsersFactory(DjangoModelFactory):
    """A learner in a cohort, as the LMS's link table lists them."""

    class Meta:
        model = CourseUserGroupUsers
        django_get_or_create = ("courseusergroup", "user")

    courseusergroup = factory.SubFactory(CohortFactory)
    user = factory.SubFactory(UserFactory)


# The retired AI-grading tables.


class AIClassifierSetFactory(DjangoModelFactory):
    """A trained classifier set of a new rubric, for an ORA problem of the default course."""

    class Meta:
        model = AIClassifierSet

    class Params:
        item = factory.SubFactory(StudentItemFactory)

    rubric = factory.SubFactory(RubricFactory)
    created_at = _ACTIVE
    algorithm_id = "ease"
    course_id = factory.SelfAttribute("item.course_id")
    item_id = factory.SelfAttribute("item.item_id")


class AIClassifierFactory(DjangoModelFactory):
    """The classifier of a criterion of its set's rubric."""

    class Meta:
        model = AIClassifier

    classifier_set = factory.SubFactory(AIClassifierSetFactory)
    criterion = factory.SubFactory(CriterionFactory, rubric=factory.SelfAttribute("..classifier_set.rubric"))
    classifier_data = factory.Sequence("ora2-classifiers/classifier-{}.json".format)


class _AIWorkflowFactory(DjangoModelFactory):
    """A finished AI task with ``classifier_set``, for its course and item."""

    class Meta:
        abstract = True

    uuid = factory.LazyFunction(lambda: str(uuid.uuid4()))
    classifier_set = factory.SubFactory(AIClassifierSetFactory)
    course_id = factory.SelfAttribute("classifier_set.course_id")
    item_id = factory.SelfAttribute("classifier_set.item_id")
    algorithm_id = factory.SelfAttribute("classifier_set.algorithm_id")
    scheduled_at = _ACTIVE
    completed_at = _ACTIVE + timedelta(minutes=5)


class AITrainingWorkflowFactory(_AIWorkflowFactory):
    """The AI training that produced its classifier set."""

    class Meta:
        model = AITrainingWorkflow
        django_get_or_create = ("uuid",)


class AITrainingWorkflowTrainingExamplesFactory(DjangoModelFactory):
    """A training example, of the workflow's rubric, that an AI training used."""

    class Meta:
        model = AITrainingWorkflowTrainingExamples
        django_get_or_create = ("aitrainingworkflow", "trainingexample")

    aitrainingworkflow = factory.SubFactory(AITrainingWorkflowFactory)
    trainingexample = factory.SubFactory(
        TrainingExampleFactory, rubric=factory.SelfAttribute("..aitrainingworkflow.classifier_set.rubric")
    )


class AIGradingWorkflowFactory(_LearnerRowFactory, _AIWorkflowFactory):
    """The AI grading of a submission's essay, not yet graded (``assessment=None``)."""

    class Meta:
        model = AIGradingWorkflow
        django_get_or_create = ("uuid",)

    classifier_set = factory.SubFactory(
        AIClassifierSetFactory, item=factory.SelfAttribute("..submission.student_item")
    )
    essay_text = "My essay on energy storage."
    rubric = factory.SelfAttribute("classifier_set.rubric")
    assessment = None
    completed_at = None
