"""The ORA assessment, workflow and AI tables, score summaries and the cohorts' users link table:
the LMS's keys, the defaults of late columns, NULLs, and links to rows that are not there."""

import uuid
from datetime import UTC, datetime

import pytest
from django.db import connection

from edx_schema.models import (
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
    TrainingExample,
    TrainingExampleOptionsSelected,
)
from edx_schema.testing import factories
from tests.models.test_roles import refused

pytestmark = pytest.mark.django_db

WHEN = datetime(2016, 3, 14, 15, 9, 26, 535897, tzinfo=UTC)
#: An id no row has: exported files name rubrics, workflows and scores that are not there.
MISSING = 987_654
SUBMISSION = "387d840a-d0ae-11e3-bb0e-14109fd8dc43"
ANON = "6f1cd3e1e8b2e0c1b0a4bd7d11bd8e5e"
ITEM = "block-v1:MITx+6.002x+1T2016+type@openassessment+block@essay"
COURSE = "course-v1:MITx+6.002x+1T2016"

#: Every new table's model and the factory that builds a row of it.
FACTORIES = {
    Rubric: factories.RubricFactory,
    Criterion: factories.CriterionFactory,
    CriterionOption: factories.CriterionOptionFactory,
    Assessment: factories.AssessmentFactory,
    AssessmentPart: factories.AssessmentPartFactory,
    AssessmentFeedback: factories.AssessmentFeedbackFactory,
    AssessmentFeedbackAssessments: factories.AssessmentFeedbackAssessmentsFactory,
    AssessmentFeedbackOption: factories.AssessmentFeedbackOptionFactory,
    AssessmentFeedbackOptions: factories.AssessmentFeedbackOptionsFactory,
    PeerWorkflow: factories.PeerWorkflowFactory,
    PeerWorkflowItem: factories.PeerWorkflowItemFactory,
    StudentTrainingWorkflow: factories.StudentTrainingWorkflowFactory,
    StudentTrainingWorkflowItem: factories.StudentTrainingWorkflowItemFactory,
    TrainingExample: factories.TrainingExampleFactory,
    TrainingExampleOptionsSelected: factories.TrainingExampleOptionsSelectedFactory,
    AIClassifierSet: factories.AIClassifierSetFactory,
    AIClassifier: factories.AIClassifierFactory,
    AITrainingWorkflow: factories.AITrainingWorkflowFactory,
    AITrainingWorkflowTrainingExamples: factories.AITrainingWorkflowTrainingExamplesFactory,
    AIGradingWorkflow: factories.AIGradingWorkflowFactory,
    AssessmentWorkflow: factories.AssessmentWorkflowFactory,
    AssessmentWorkflowStep: factories.AssessmentWorkflowStepFactory,
    ScoreSummary: factories.ScoreSummaryFactory,
    CourseUserGroupUsers: factories.CourseUserGroupUsersFactory,
}
LINKED = [model for model in FACTORIES if any(f.is_relation for f in model._meta.concrete_fields)]


def stored(table, column, pk):
    """``column`` of row ``pk`` as the database holds it (NULL and '' told apart)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.mark.parametrize("model", LINKED, ids=lambda m: m._meta.db_table)
def test_every_link_keeps_an_id_whose_row_is_not_there(model):
    row = FACTORIES[model]()
    links = [field.attname for field in model._meta.concrete_fields if field.is_relation]
    dangling = {name: MISSING + offset for offset, name in enumerate(links)}
    model.objects.filter(pk=row.pk).update(**dangling)
    assert model.objects.filter(pk=row.pk).values(*links).get() == dangling


def test_rows_with_missing_targets_load_and_deleting_a_target_leaves_its_rows():
    criterion = Criterion.objects.create(rubric_id=MISSING, name="Ideas", order_num=0, prompt="")
    option = CriterionOption.objects.create(criterion=criterion, order_num=0, points=0, name="Poor")
    part = AssessmentPart.objects.create(assessment_id=MISSING, criterion=criterion, option=option)
    ids = (criterion.pk, option.pk, MISSING)
    option.delete()
    criterion.delete()
    part.refresh_from_db()
    assert (part.criterion_id, part.option_id, part.assessment_id) == ids
    assert not Criterion.objects.exists()


def test_columns_added_late_default_as_the_lms_fills_them():
    criterion = Criterion.objects.create(rubric_id=MISSING, name="Ideas", order_num=0, prompt="Judge it.")
    option = CriterionOption.objects.create(
        criterion=criterion, order_num=0, points=0, name="Poor", explanation=""
    )
    part = AssessmentPart.objects.create(assessment_id=MISSING, criterion=criterion, option=None)
    peer = PeerWorkflow.objects.create(
        student_id=ANON, item_id=ITEM, course_id=COURSE, submission_uuid=SUBMISSION, created_at=WHEN
    )
    step = AssessmentWorkflowStep.objects.create(workflow_id=MISSING, name="peer", order_num=1)
    assert stored("assessment_criterion", "label", criterion.pk) == ""
    assert stored("assessment_criterionoption", "label", option.pk) == ""
    assert stored("assessment_assessmentpart", "feedback", part.pk) == ""
    assert stored("assessment_assessmentpart", "option_id", part.pk) is None
    assert stored("assessment_peerworkflow", "grading_completed_at", peer.pk) is None
    assert stored("assessment_peerworkflow", "cancelled_at", peer.pk) is None
    assert stored("workflow_assessmentworkflowstep", "skipped", step.pk) in (0, False)
    # A step's skipped may also be NULL, as the column allows.
    AssessmentWorkflowStep.objects.filter(pk=step.pk).update(skipped=None)
    assert AssessmentWorkflowStep.objects.get(pk=step.pk).skipped is None


def test_a_rubric_is_unique_by_content_hash_only():
    Rubric.objects.create(content_hash="a" * 40, structure_hash="s" * 40)
    assert refused(Rubric.objects.create, content_hash="a" * 40, structure_hash="t" * 40)
    Rubric.objects.create(content_hash="b" * 40, structure_hash="s" * 40)


def test_a_submission_has_any_number_of_assessments_but_one_feedback_and_one_of_each_workflow():
    for score_type in ("PE", "PE", "SE", "ST"):
        Assessment.objects.create(
            submission_uuid=SUBMISSION,
            scorer_id=ANON,
            score_type=score_type,
            rubric_id=MISSING,
            scored_at=WHEN,
        )
    assert Assessment.objects.filter(submission_uuid=SUBMISSION).count() == 4
    AssessmentFeedback.objects.create(submission_uuid=SUBMISSION, feedback_text="Helpful")
    assert refused(AssessmentFeedback.objects.create, submission_uuid=SUBMISSION)
    common = {"student_id": ANON, "item_id": ITEM, "course_id": COURSE, "submission_uuid": SUBMISSION}
    PeerWorkflow.objects.create(**common)
    assert refused(PeerWorkflow.objects.create, **common)
    StudentTrainingWorkflow.objects.create(**common)
    assert refused(StudentTrainingWorkflow.objects.create, **common)
    AssessmentWorkflow.objects.create(
        submission_uuid=SUBMISSION, status="peer", course_id=COURSE, item_id=ITEM
    )
    assert refused(
        AssessmentWorkflow.objects.create,
        submission_uuid=SUBMISSION,
        status="done",
        course_id=COURSE,
        item_id=ITEM,
    )


def test_a_workflow_uuid_is_unique_and_found_with_or_without_hyphens():
    value = uuid.UUID("9f8e7d6c-5b4a-4321-8fed-cba987654321")
    workflow = AssessmentWorkflow.objects.create(
        submission_uuid=SUBMISSION, uuid=value, status="waiting", course_id=COURSE, item_id=ITEM
    )
    assert AssessmentWorkflow.objects.get(uuid=value.hex) == workflow
    assert AssessmentWorkflow.objects.get(uuid=str(value)) == workflow
    assert refused(
        AssessmentWorkflow.objects.create,
        submission_uuid=str(uuid.uuid4()),
        uuid=value,
        status="done",
        course_id=COURSE,
        item_id=ITEM,
    )


def test_a_workflow_item_id_may_be_255_characters_as_in_current_ora():
    prefix = "block-v1:MITx+6.002x+1T2016+type@openassessment+block@"
    long_item = prefix + "e" * (255 - len(prefix))
    workflow = factories.AssessmentWorkflowFactory(item_id=long_item)
    assert AssessmentWorkflow.objects.get(pk=workflow.pk).item_id == long_item


@pytest.mark.parametrize(
    ("model", "first", "second"),
    [
        (AssessmentFeedbackAssessments, "assessmentfeedback_id", "assessment_id"),
        (AssessmentFeedbackOptions, "assessmentfeedback_id", "assessmentfeedbackoption_id"),
        (TrainingExampleOptionsSelected, "trainingexample_id", "criterionoption_id"),
        (AITrainingWorkflowTrainingExamples, "aitrainingworkflow_id", "trainingexample_id"),
        (CourseUserGroupUsers, "courseusergroup_id", "user_id"),
    ],
    ids=lambda value: getattr(getattr(value, "_meta", None), "db_table", value),
)
def test_a_link_table_holds_each_pair_once(model, first, second):
    model.objects.create(**{first: MISSING, second: MISSING + 1})
    assert refused(model.objects.create, **{first: MISSING, second: MISSING + 1})
    model.objects.create(**{first: MISSING, second: MISSING + 2})
    model.objects.create(**{first: MISSING + 1, second: MISSING + 1})
    assert model.objects.filter(**{second: MISSING + 1}).count() == 2


def test_a_training_workflow_orders_its_examples_once_each():
    workflow = factories.StudentTrainingWorkflowFactory()
    StudentTrainingWorkflowItem.objects.create(
        workflow=workflow, order_num=0, training_example_id=MISSING, started_at=WHEN
    )
    assert refused(
        StudentTrainingWorkflowItem.objects.create,
        workflow=workflow,
        order_num=0,
        training_example_id=MISSING + 1,
        started_at=WHEN,
    )
    item = StudentTrainingWorkflowItem.objects.create(
        workflow=workflow, order_num=1, training_example_id=MISSING, started_at=WHEN
    )
    assert StudentTrainingWorkflowItem.objects.get(pk=item.pk).completed_at is None


def test_a_student_item_has_one_score_summary():
    summary = factories.ScoreSummaryFactory()
    assert summary.student_item.score_summary == summary
    assert refused(
        ScoreSummary.objects.create, student_item=summary.student_item, highest_id=MISSING, latest_id=MISSING
    )


def test_feedback_options_training_examples_and_ai_workflow_uuids_are_unique():
    AssessmentFeedbackOption.objects.create(text="These assessments were useful.")
    assert refused(AssessmentFeedbackOption.objects.create, text="These assessments were useful.")
    TrainingExample.objects.create(raw_answer="{}", content_hash="c" * 40, rubric_id=MISSING)
    assert refused(TrainingExample.objects.create, raw_answer="[]", content_hash="c" * 40, rubric_id=MISSING)
    common = {"course_id": "MITx/6.002x/2012_Fall", "item_id": ITEM, "algorithm_id": "ease"}
    AITrainingWorkflow.objects.create(uuid=SUBMISSION, **common)
    assert refused(AITrainingWorkflow.objects.create, uuid=SUBMISSION, **common)
    grading = AIGradingWorkflow.objects.create(
        uuid=SUBMISSION, submission_uuid=SUBMISSION, student_id=ANON, rubric_id=MISSING, **common
    )
    assert (grading.assessment_id, grading.classifier_set_id, grading.completed_at) == (None, None, None)
    assert refused(
        AIGradingWorkflow.objects.create,
        uuid=SUBMISSION,
        submission_uuid=SUBMISSION,
        student_id=ANON,
        rubric_id=MISSING,
        **common,
    )


def test_free_text_is_kept_exactly():
    text = 'Line one\r\nline\ttwo "quoted" \u00e9 \U0001f600\n'
    assessment = factories.AssessmentFactory(feedback=text)
    part = factories.AssessmentPartFactory(assessment=assessment, feedback=text)
    feedback = factories.AssessmentFeedbackFactory(feedback_text=text)
    assert Assessment.objects.get(pk=assessment.pk).feedback == text
    assert AssessmentPart.objects.get(pk=part.pk).feedback == text
    assert AssessmentFeedback.objects.get(pk=feedback.pk).feedback_text == text


def test_the_many_to_many_accessors_read_the_link_tables():
    link = factories.AssessmentFeedbackAssessmentsFactory()
    feedback = link.assessmentfeedback
    option = factories.AssessmentFeedbackOptionsFactory(assessmentfeedback=feedback).assessmentfeedbackoption
    assert list(feedback.assessments.all()) == [link.assessment]
    assert list(feedback.options.all()) == [option]
    selected = factories.TrainingExampleOptionsSelectedFactory()
    assert list(selected.trainingexample.options_selected.all()) == [selected.criterionoption]
    used = factories.AITrainingWorkflowTrainingExamplesFactory()
    assert list(used.aitrainingworkflow.training_examples.all()) == [used.trainingexample]
    member = factories.CourseUserGroupUsersFactory()
    assert list(member.courseusergroup.users.all()) == [member.user]


def test_factories_make_rows_of_one_submission_rubric_and_item():
    part = factories.AssessmentPartFactory()
    assert part.criterion.rubric_id == part.option.criterion.rubric_id == part.assessment.rubric_id
    link = factories.AssessmentFeedbackAssessmentsFactory()
    assert link.assessment.submission_uuid == link.assessmentfeedback.submission_uuid
    item = factories.PeerWorkflowItemFactory()
    assert (item.scorer.course_id, item.scorer.item_id) == (item.author.course_id, item.author.item_id)
    assert item.scorer.student_id != item.author.student_id
    assert item.submission_uuid == item.author.submission_uuid
    workflow = factories.AssessmentWorkflowFactory()
    submission = factories.SubmissionFactory._meta.model.objects.get(uuid=workflow.submission_uuid)
    assert (workflow.course_id, workflow.item_id) == (
        submission.student_item.course_id,
        submission.student_item.item_id,
    )
    steps = [factories.AssessmentWorkflowStepFactory(workflow=workflow, name=n) for n in ("peer", "self")]
    assert [step.order_num for step in steps] == [0, 1]
    summary = factories.ScoreSummaryFactory()
    assert summary.latest.student_item_id == summary.highest.student_item_id == summary.student_item_id
    grading = factories.AIGradingWorkflowFactory()
    assert grading.rubric_id == grading.classifier_set.rubric_id
    assert (grading.course_id, grading.item_id) == (
        grading.classifier_set.course_id,
        grading.classifier_set.item_id,
    )
    assert factories.RubricFactory(content_hash=part.assessment.rubric.content_hash) == part.assessment.rubric
