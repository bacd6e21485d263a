"""``assessment`` tables (edx-ora2): rubrics, assessments, peer and student-training workflows.

The research export writes them to the package's ``ora/`` folder. Rubrics with their criteria
and options, feedback options and training examples are shared by every course (content-hashed
or unique text), so their ids recur in many courses' files. Every link is an id with no database
constraint: the exporter's queries leave targets out (a training example's rubric, the peer
workflows a peer-workflow item names), and older packages name retired AI rows. The five
``assessment_ai*`` tables were dropped from ORA in July 2017; no package ships them, but old
rubric and training-example files were selected through them.

``submission_uuid`` columns hold ORA's hyphenated uuid, while ``submissions_submission.uuid``
is stored without hyphens: compare both lower-cased without ``-``. ``student_id`` and
``scorer_id`` are course-specific anonymous ids (``student_anonymoususerid``).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from .user_link import unconstrained_link

#: ``assessment_assessment.score_type`` (ORA's ``score_type_constants``), with the retired AI type.
SCORE_TYPE_CHOICES: tuple[tuple[str, str], ...] = (
    ("PE", "Peer"),
    ("SE", "Self"),
    ("ST", "Staff"),
    ("AI", "AI (retired)"),
)


def _uuid_column(*, unique: bool = False) -> models.CharField:
    """A ``submission_uuid`` column: ORA's hyphenated form, as text."""
    return models.CharField(
        max_length=128,
        unique=unique,
        db_index=not unique,
        help_text="The submission (submissions_submission.uuid), hyphenated; compare without '-'.",
    )


def _anonymous_id(whose: str) -> models.CharField:
    return models.CharField(
        max_length=40,
        db_index=True,
        help_text=f"The {whose}'s per-course anonymous id (student_anonymoususerid).",
    )


def _item_id() -> models.CharField:
    return models.CharField(max_length=128, db_index=True, help_text="The ORA block's usage key.")


def _course_id(max_length: int = 255) -> models.CharField:
    return models.CharField(
        max_length=max_length, db_index=True, help_text="The course key, as a plain string."
    )


class Rubric(models.Model):
    """The rubric an assessment was made with, as it was then; never changed once written.

    Table ``assessment_rubric``. Shared across courses: a changed problem gets a new rubric, found
    again by its content hash.

    .. no_pii:
    """

    content_hash = models.CharField(
        max_length=40, unique=True, help_text="SHA-1 of the rubric's criteria, prompts and options."
    )
    structure_hash = models.CharField(
        max_length=40,
        db_index=True,
        help_text="SHA-1 of the criteria and options' names, order and points only.",
    )

    class Meta:
        db_table = "assessment_rubric"
        verbose_name = "rubric"

    def __str__(self) -> str:
        return f"Rubric {self.content_hash}"


class Criterion(models.Model):
    """One aspect of a response a rubric assesses, such as clarity or accuracy.

    Table ``assessment_criterion``.

    .. no_pii:
    """

    rubric = unconstrained_link(
        Rubric, related_name="criteria", help_text="The rubric (assessment_rubric.id)"
    )
    name = models.CharField(max_length=100, help_text="The criterion's name, unique within its rubric.")
    label = models.CharField(
        max_length=100,
        blank=True,
        default="",
        help_text="The name shown to learners; added by a later ORA migration, empty if a file lacks it.",
    )
    order_num = models.PositiveIntegerField(help_text="The criterion's place in the rubric, from 0.")
    prompt = models.TextField(blank=True, help_text="What the assessor is asked to judge.")

    class Meta:
        db_table = "assessment_criterion"
        verbose_name = "rubric criterion"
        verbose_name_plural = "rubric criteria"

    def __str__(self) -> str:
        return self.name


class CriterionOption(models.Model):
    """One choice an assessor can make for a criterion, worth a number of points.

    Table ``assessment_criterionoption``.

    .. no_pii:
    """

    criterion = unconstrained_link(
        Criterion, related_name="options", help_text="The criterion (assessment_criterion.id)"
    )
    order_num = models.PositiveIntegerField(help_text="The option's place in the criterion, from 0.")
    points = models.PositiveIntegerField(help_text="The points the option is worth; 0 is allowed.")
    name = models.CharField(max_length=100, help_text="The option's name, e.g. Excellent.")
    label = models.CharField(
        max_length=100,
        blank=True,
        default="",
        help_text="The name shown to learners; added by a later ORA migration, empty if a file lacks it.",
    )
    explanation = models.TextField(blank=True, help_text="Why an assessor would choose the option.")

    class Meta:
        db_table = "assessment_criterionoption"
        verbose_name = "rubric criterion option"

    def __str__(self) -> str:
        return f"{self.name} ({self.points} points)"


class Assessment(models.Model):
    """One assessment of a submission against a rubric: by a peer, the learner, staff or (retired) AI.

    Table ``assessment_assessment``. The points are those of its parts' options.

    .. pii: ``feedback``, the assessor's free-text comments on the response.
    .. pii_types: other
    .. pii_retirement: local_api
    """

    submission_uuid = _uuid_column()
    scored_at = models.DateTimeField(default=timezone.now, db_index=True, help_text="When it was made (UTC).")
    scorer_id = _anonymous_id("assessor")
    score_type = models.CharField(
        max_length=2, choices=SCORE_TYPE_CHOICES, help_text="PE peer, SE self, ST staff or AI (retired)."
    )
    feedback = models.TextField(blank=True, default="", help_text="The assessor's overall comments. PII.")
    rubric = unconstrained_link(
        Rubric, related_name="assessments", help_text="The rubric used (assessment_rubric.id)"
    )

    class Meta:
        db_table = "assessment_assessment"
        verbose_name = "assessment"

    def __str__(self) -> str:
        return f"{self.get_score_type_display()} assessment {self.pk}"


class AssessmentPart(models.Model):
    """The option an assessment chose for one criterion, with comments on it.

    Table ``assessment_assessmentpart``. ``option`` is NULL for a feedback-only criterion.

    .. pii: ``feedback``, the assessor's free-text comments on this criterion.
    .. pii_types: other
    .. pii_retirement: local_api
    """

    feedback = models.TextField(
        blank=True,
        default="",
        help_text="The assessor's comments on this criterion; added by a later ORA migration, empty if "
        "a file lacks it. PII.",
    )
    assessment = unconstrained_link(
        Assessment, related_name="parts", help_text="The assessment (assessment_assessment.id)"
    )
    criterion = unconstrained_link(
        Criterion, related_name="assessment_parts", help_text="The criterion (assessment_criterion.id)"
    )
    option = unconstrained_link(
        CriterionOption,
        null=True,
        related_name="assessment_parts",
        help_text="The chosen option (assessment_criterionoption.id); NULL for feedback only",
    )

    class Meta:
        db_table = "assessment_assessmentpart"
        verbose_name = "assessment part"

    def __str__(self) -> str:
        return f"Assessment {self.assessment_id}, criterion {self.criterion_id}"


class AssessmentFeedbackOption(models.Model):
    """A canned reaction a learner can pick about the assessments they received.

    Table ``assessment_assessmentfeedbackoption``; a few strings shared by every course.

    .. no_pii:
    """

    text = models.CharField(max_length=255, unique=True, help_text="The option's text.")

    class Meta:
        db_table = "assessment_assessmentfeedbackoption"
        verbose_name = "assessment feedback option"

    def __str__(self) -> str:
        return self.text


class AssessmentFeedback(models.Model):
    """A learner's feedback on the peer assessments of their submission; at most one per submission.

    Table ``assessment_assessmentfeedback``. The assessments and options it names are in the two
    link tables.

    .. pii: ``feedback_text``, the learner's free-text comments.
    .. pii_types: other
    .. pii_retirement: local_api
    """

    submission_uuid = _uuid_column(unique=True)
    feedback_text = models.TextField(blank=True, default="", help_text="The learner's comments. PII.")
    assessments = models.ManyToManyField(
        Assessment,
        through="AssessmentFeedbackAssessments",
        related_name="assessment_feedback",
        help_text="The assessments the feedback is about.",
    )
    options = models.ManyToManyField(
        AssessmentFeedbackOption,
        through="AssessmentFeedbackOptions",
        related_name="assessment_feedback",
        help_text="The canned reactions the learner picked.",
    )

    class Meta:
        db_table = "assessment_assessmentfeedback"
        verbose_name = "assessment feedback"
        verbose_name_plural = "assessment feedback"

    def __str__(self) -> str:
        return f"Feedback on {self.submission_uuid}"


class AssessmentFeedbackAssessments(models.Model):
    """One assessment a feedback is about: ORA's ``AssessmentFeedback.assessments`` link table.

    Table ``assessment_assessmentfeedback_assessments``.

    .. no_pii:
    """

    assessmentfeedback = unconstrained_link(
        AssessmentFeedback,
        related_name="assessment_links",
        # The unique key leads with assessmentfeedback_id.
        db_index=False,
        help_text="The feedback (assessment_assessmentfeedback.id)",
    )
    assessment = unconstrained_link(
        Assessment, related_name="feedback_links", help_text="The assessment (assessment_assessment.id)"
    )

    class Meta:
        db_table = "assessment_assessmentfeedback_assessments"
        constraints = [
            models.UniqueConstraint(
                fields=["assessmentfeedback", "assessment"],
                name="assessment_assessmentfeedback_assessments_uniq",
            )
        ]
        verbose_name = "assessment feedback assessment"

    def __str__(self) -> str:
        return f"Feedback {self.assessmentfeedback_id} on assessment {self.assessment_id}"


class AssessmentFeedbackOptions(models.Model):
    """One canned reaction a feedback picked: ORA's ``AssessmentFeedback.options`` link table.

    Table ``assessment_assessmentfeedback_options``.

    .. no_pii:
    """

    assessmentfeedback = unconstrained_link(
        AssessmentFeedback,
        related_name="option_links",
        # The unique key leads with assessmentfeedback_id.
        db_index=False,
        help_text="The feedback (assessment_assessmentfeedback.id)",
    )
    assessmentfeedbackoption = unconstrained_link(
        AssessmentFeedbackOption,
        related_name="feedback_links",
        help_text="The option (assessment_assessmentfeedbackoption.id)",
    )

    class Meta:
        db_table = "assessment_assessmentfeedback_options"
        constraints = [
            models.UniqueConstraint(
                fields=["assessmentfeedback", "assessmentfeedbackoption"],
                name="assessment_assessmentfeedback_options_uniq",
            )
        ]
        verbose_name = "assessment feedback selected option"

    def __str__(self) -> str:
        return f"Feedback {self.assessmentfeedback_id} picked option {self.assessmentfeedbackoption_id}"


class PeerWorkflow(models.Model):
    """A learner's progress through peer assessment of one submission: one per peer-assessed submission.

    Table ``assessment_peerworkflow``.

    .. no_pii:
    """

    student_id = _anonymous_id("learner")
    item_id = _item_id()
    course_id = _course_id()
    submission_uuid = _uuid_column(unique=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True, help_text="When it began (UTC).")
    completed_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="When the learner finished assessing peers (UTC)."
    )
    grading_completed_at = models.DateTimeField(
        null=True,
        blank=True,
        db_index=True,
        help_text="When the submission got enough peer assessments (UTC); a later column, NULL if absent.",
    )
    cancelled_at = models.DateTimeField(
        null=True,
        blank=True,
        db_index=True,
        help_text="When staff took the submission out of peer grading (UTC); a later column, NULL if absent.",
    )

    class Meta:
        db_table = "assessment_peerworkflow"
        verbose_name = "peer workflow"

    def __str__(self) -> str:
        return f"Peer workflow of {self.submission_uuid}"


class PeerWorkflowItem(models.Model):
    """One submission handed to a peer to assess: the scorer's and the author's peer workflows.

    Table ``assessment_peerworkflowitem``. The exporter selects the rows by comparing
    ``assessment_id`` with peer-workflow ids (a bug), so a file holds arbitrary items, possibly
    of other courses, and their workflows are often absent.

    .. no_pii:
    """

    submission_uuid = _uuid_column()
    started_at = models.DateTimeField(
        default=timezone.now, db_index=True, help_text="When the item was handed out (UTC)."
    )
    scored = models.BooleanField(default=False, help_text="Whether the assessment counted towards the score.")
    assessment = unconstrained_link(
        Assessment,
        null=True,
        related_name="peer_workflow_items",
        help_text="The assessment made (assessment_assessment.id); NULL until made",
    )
    author = unconstrained_link(
        PeerWorkflow,
        related_name="graded_by",
        help_text="The author's peer workflow (assessment_peerworkflow.id)",
    )
    scorer = unconstrained_link(
        PeerWorkflow,
        related_name="graded",
        help_text="The assessor's peer workflow (assessment_peerworkflow.id)",
    )

    class Meta:
        db_table = "assessment_peerworkflowitem"
        verbose_name = "peer workflow item"

    def __str__(self) -> str:
        return f"Workflow {self.scorer_id} assesses {self.submission_uuid}"


class TrainingExample(models.Model):
    """An example response, with the options staff chose for it, used to train assessors.

    Table ``assessment_trainingexample``; shared across courses by content hash. The exporter
    does not select the rubrics of student-training examples, so ``rubric`` can dangle.

    .. pii: ``raw_answer``, the example response as JSON; written by course staff, possibly
       from a learner's answer.
    .. pii_types: other
    .. pii_retirement: retained
    """

    raw_answer = models.TextField(blank=True, help_text="The example response, as JSON text. PII.")
    content_hash = models.CharField(
        max_length=40, unique=True, help_text="SHA-1 of the answer, rubric and options selected."
    )
    rubric = unconstrained_link(
        Rubric, related_name="training_examples", help_text="The rubric (assessment_rubric.id)"
    )
    options_selected = models.ManyToManyField(
        CriterionOption,
        through="TrainingExampleOptionsSelected",
        related_name="training_examples",
        help_text="The option staff chose for each criterion.",
    )

    class Meta:
        db_table = "assessment_trainingexample"
        verbose_name = "training example"

    def __str__(self) -> str:
        return f"Training example {self.content_hash}"


class TrainingExampleOptionsSelected(models.Model):
    """One option staff chose for a training example: ORA's ``options_selected`` link table.

    Table ``assessment_trainingexample_options_selected``.

    .. no_pii:
    """

    trainingexample = unconstrained_link(
        TrainingExample,
        related_name="option_links",
        # The unique key leads with trainingexample_id.
        db_index=False,
        help_text="The example (assessment_trainingexample.id)",
    )
    criterionoption = unconstrained_link(
        CriterionOption,
        related_name="training_example_links",
        help_text="The option (assessment_criterionoption.id)",
    )

    class Meta:
        db_table = "assessment_trainingexample_options_selected"
        constraints = [
            models.UniqueConstraint(
                fields=["trainingexample", "criterionoption"],
                name="assessment_trainingexample_options_selected_uniq",
            )
        ]
        verbose_name = "training example selected option"

    def __str__(self) -> str:
        return f"Example {self.trainingexample_id} chose option {self.criterionoption_id}"


class StudentTrainingWorkflow(models.Model):
    """A learner's progress through student training (assessing examples) for one submission.

    Table ``assessment_studenttrainingworkflow``.

    .. no_pii:
    """

    submission_uuid = _uuid_column(unique=True)
    student_id = _anonymous_id("learner")
    item_id = _item_id()
    course_id = _course_id()

    class Meta:
        db_table = "assessment_studenttrainingworkflow"
        verbose_name = "student training workflow"

    def __str__(self) -> str:
        return f"Training workflow of {self.submission_uuid}"


class StudentTrainingWorkflowItem(models.Model):
    """One training example a learner was shown, in order, and when they assessed it correctly.

    Table ``assessment_studenttrainingworkflowitem``.

    .. no_pii:
    """

    order_num = models.PositiveIntegerField(help_text="The example's place in the workflow, from 0.")
    started_at = models.DateTimeField(default=timezone.now, help_text="When the example was shown (UTC).")
    completed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the learner matched staff's options (UTC); NULL if not yet."
    )
    training_example = unconstrained_link(
        TrainingExample,
        related_name="workflow_items",
        help_text="The example (assessment_trainingexample.id)",
    )
    workflow = unconstrained_link(
        StudentTrainingWorkflow,
        related_name="items",
        # The unique key leads with workflow_id.
        db_index=False,
        help_text="The workflow (assessment_studenttrainingworkflow.id)",
    )

    class Meta:
        db_table = "assessment_studenttrainingworkflowitem"
        constraints = [
            models.UniqueConstraint(
                fields=["workflow", "order_num"], name="assessment_studenttrainingworkflowitem_uniq"
            )
        ]
        verbose_name = "student training workflow item"

    def __str__(self) -> str:
        return f"Workflow {self.workflow_id} example {self.order_num}"


# The retired AI-grading tables (ORA removed them in July 2017), as in the LMS DDL of 2016:
# course_id was still varchar(40) there, and the workflows' uuid a 36-character string.


class AIClassifierSet(models.Model):
    """The trained classifiers of one rubric for one ORA problem (retired AI grading).

    Table ``assessment_aiclassifierset``.

    .. no_pii:
    """

    created_at = models.DateTimeField(
        default=timezone.now, db_index=True, help_text="When it was trained (UTC)."
    )
    algorithm_id = models.CharField(max_length=128, db_index=True, help_text="The training algorithm's id.")
    course_id = _course_id(40)
    item_id = _item_id()
    rubric = unconstrained_link(
        Rubric, related_name="ai_classifier_sets", help_text="The rubric (assessment_rubric.id)"
    )

    class Meta:
        db_table = "assessment_aiclassifierset"
        verbose_name = "AI classifier set"

    def __str__(self) -> str:
        return f"AI classifier set {self.pk}"


class AIClassifier(models.Model):
    """The trained classifier of one criterion, stored as a file (retired AI grading).

    Table ``assessment_aiclassifier``.

    .. no_pii:
    """

    classifier_data = models.CharField(max_length=100, help_text="The path of the classifier's file.")
    classifier_set = unconstrained_link(
        AIClassifierSet, related_name="classifiers", help_text="The set (assessment_aiclassifierset.id)"
    )
    criterion = unconstrained_link(
        Criterion, related_name="ai_classifiers", help_text="The criterion (assessment_criterion.id)"
    )

    class Meta:
        db_table = "assessment_aiclassifier"
        verbose_name = "AI classifier"

    def __str__(self) -> str:
        return f"AI classifier {self.pk}"


class _AIWorkflow(models.Model):
    """The columns ORA's AI training and grading workflows share."""

    uuid = models.CharField(max_length=36, unique=True, help_text="The workflow's public id.")
    course_id = _course_id(40)
    item_id = _item_id()
    scheduled_at = models.DateTimeField(
        default=timezone.now, db_index=True, help_text="When the task was scheduled (UTC)."
    )
    completed_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="When the task finished (UTC); NULL if not."
    )
    algorithm_id = models.CharField(max_length=128, db_index=True, help_text="The algorithm's id.")
    classifier_set = unconstrained_link(
        AIClassifierSet,
        null=True,
        related_name="%(class)ss",
        help_text="The classifier set (assessment_aiclassifierset.id); NULL until trained",
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.uuid


class AITrainingWorkflow(_AIWorkflow):
    """A task that trained a classifier set from training examples (retired AI grading).

    Table ``assessment_aitrainingworkflow``.

    .. no_pii:
    """

    training_examples = models.ManyToManyField(
        TrainingExample,
        through="AITrainingWorkflowTrainingExamples",
        related_name="ai_training_workflows",
        help_text="The examples it trained on.",
    )

    class Meta:
        db_table = "assessment_aitrainingworkflow"
        verbose_name = "AI training workflow"


class AITrainingWorkflowTrainingExamples(models.Model):
    """One training example an AI training workflow used: its ``training_examples`` link table.

    Table ``assessment_aitrainingworkflow_training_examples``.

    .. no_pii:
    """

    aitrainingworkflow = unconstrained_link(
        AITrainingWorkflow,
        related_name="example_links",
        # The unique key leads with aitrainingworkflow_id.
        db_index=False,
        help_text="The workflow (assessment_aitrainingworkflow.id)",
    )
    trainingexample = unconstrained_link(
        TrainingExample,
        related_name="ai_training_links",
        help_text="The example (assessment_trainingexample.id)",
    )

    class Meta:
        db_table = "assessment_aitrainingworkflow_training_examples"
        constraints = [
            models.UniqueConstraint(
                fields=["aitrainingworkflow", "trainingexample"],
                name="assessment_aitrainingworkflow_training_examples_uniq",
            )
        ]
        verbose_name = "AI training workflow example"

    def __str__(self) -> str:
        return f"AI training {self.aitrainingworkflow_id} used example {self.trainingexample_id}"


class AIGradingWorkflow(_AIWorkflow):
    """A task that graded one essay with a classifier set (retired AI grading).

    Table ``assessment_aigradingworkflow``.

    .. pii: ``essay_text``, the learner's response.
    .. pii_types: other
    .. pii_retirement: local_api
    """

    submission_uuid = _uuid_column()
    essay_text = models.TextField(blank=True, help_text="The learner's response that was graded. PII.")
    student_id = _anonymous_id("learner")
    assessment = unconstrained_link(
        Assessment,
        null=True,
        related_name="ai_grading_workflows",
        help_text="The AI assessment made (assessment_assessment.id); NULL until graded",
    )
    rubric = unconstrained_link(
        Rubric, related_name="ai_grading_workflows", help_text="The rubric (assessment_rubric.id)"
    )

    class Meta:
        db_table = "assessment_aigradingworkflow"
        verbose_name = "AI grading workflow"
