"""Admin for ORA's assessment, workflow and retired AI tables, the score summaries, and the
cohorts' users link table.

Links between these tables are shown as ids, never joined: their targets are often absent.
Submission uuids are searched as stored (ORA's hyphenated form).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from ..admin_site import Area
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
    TrainingExample,
    TrainingExampleOptionsSelected,
)
from .base import LargeTableAdmin
from .display import course_filter, formatted_json, learner_column

#: The search of a table about one ORA problem's learners: their anonymous id, the item, the course.
_LEARNER_ITEM_SEARCH = (
    ("submission_uuid", "exact"),
    ("student_id", "exact"),
    ("item_id", "exact"),
    ("course_id", "exact"),
)
_LEARNER_ITEM_HELP = "A submission uuid, an anonymous student id, an item (usage) id or a course key."


class OraAdmin(LargeTableAdmin):
    """A list of the ORA submissions area."""

    area = Area.ORA


class _LinksAdmin(OraAdmin):
    """The list of a table that mostly links rows of others: its ``links``, as ids, each searchable."""

    links: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.list_display = ("id", *(f"{link}_id" for link in cls.links))
        cls.raw_id_fields = cls.links
        cls.indexed_search = tuple((f"{link}_id", "id") for link in cls.links)


@admin.register(Rubric)
class RubricAdmin(OraAdmin):
    list_display = ("id", "content_hash", "structure_hash")
    indexed_search = (("id", "id"), ("content_hash", "exact"), ("structure_hash", "exact"))
    search_help_text = "A rubric id, a content hash or a structure hash."


@admin.register(Criterion)
class CriterionAdmin(OraAdmin):
    list_display = ("id", "rubric_id", "order_num", "name", "label")
    raw_id_fields = ("rubric",)
    indexed_search = (("id", "id"), ("rubric_id", "id"))
    search_help_text = "A criterion id or a rubric id."


@admin.register(CriterionOption)
class CriterionOptionAdmin(OraAdmin):
    list_display = ("id", "criterion_id", "order_num", "name", "label", "points")
    raw_id_fields = ("criterion",)
    indexed_search = (("id", "id"), ("criterion_id", "id"))
    search_help_text = "An option id or a criterion id."


@admin.register(Assessment)
class AssessmentAdmin(OraAdmin):
    list_display = ("id", "submission_uuid", "score_type", "scorer_id", "rubric_id", "scored_at")
    list_filter = (("scored_at", admin.DateFieldListFilter),)
    raw_id_fields = ("rubric",)
    indexed_search = (("submission_uuid", "exact"), ("scorer_id", "exact"), ("rubric_id", "id"))
    search_help_text = "A submission uuid, an assessor's anonymous id or a rubric id."


@admin.register(AssessmentPart)
class AssessmentPartAdmin(_LinksAdmin):
    links = ("assessment", "criterion", "option")
    search_help_text = "An assessment id, a criterion id or an option id."


@admin.register(AssessmentFeedback)
class AssessmentFeedbackAdmin(OraAdmin):
    list_display = ("id", "submission_uuid")
    indexed_search = (("id", "id"), ("submission_uuid", "exact"))
    search_help_text = "A feedback id or a submission uuid."


@admin.register(AssessmentFeedbackAssessments)
class AssessmentFeedbackAssessmentsAdmin(_LinksAdmin):
    links = ("assessmentfeedback", "assessment")
    search_help_text = "A feedback id or an assessment id."


@admin.register(AssessmentFeedbackOption)
class AssessmentFeedbackOptionAdmin(OraAdmin):
    list_display = ("id", "text")
    indexed_search = (("id", "id"), ("text", "prefix"))
    search_help_text = "An option id or the start of its text."


@admin.register(AssessmentFeedbackOptions)
class AssessmentFeedbackOptionsAdmin(_LinksAdmin):
    links = ("assessmentfeedback", "assessmentfeedbackoption")
    search_help_text = "A feedback id or a feedback option id."


@admin.register(PeerWorkflow)
class PeerWorkflowAdmin(OraAdmin):
    list_display = ("id", "submission_uuid", "student_id", "item_id", "created_at", "completed_at")
    list_filter = (course_filter(), ("created_at", admin.DateFieldListFilter))
    indexed_search = (("id", "id"), *_LEARNER_ITEM_SEARCH)
    search_help_text = f"A peer workflow id. {_LEARNER_ITEM_HELP}"


@admin.register(PeerWorkflowItem)
class PeerWorkflowItemAdmin(OraAdmin):
    list_display = (
        "id",
        "submission_uuid",
        "scorer_id",
        "author_id",
        "assessment_id",
        "scored",
        "started_at",
    )
    list_filter = (("started_at", admin.DateFieldListFilter),)
    raw_id_fields = ("assessment", "author", "scorer")
    indexed_search = (
        ("submission_uuid", "exact"),
        ("scorer_id", "id"),
        ("author_id", "id"),
        ("assessment_id", "id"),
    )
    search_help_text = "A submission uuid, a scorer's or an author's peer workflow id, or an assessment id."


@admin.register(TrainingExample)
class TrainingExampleAdmin(OraAdmin):
    list_display = ("id", "content_hash", "rubric_id")
    raw_id_fields = ("rubric",)
    readonly_fields = (formatted_json("raw_answer", "raw answer (formatted)"),)
    indexed_search = (("id", "id"), ("content_hash", "exact"), ("rubric_id", "id"))
    search_help_text = "An example id, its content hash or a rubric id."


@admin.register(TrainingExampleOptionsSelected)
class TrainingExampleOptionsSelectedAdmin(_LinksAdmin):
    links = ("trainingexample", "criterionoption")
    search_help_text = "A training example id or an option id."


@admin.register(StudentTrainingWorkflow)
class StudentTrainingWorkflowAdmin(OraAdmin):
    list_display = ("id", "submission_uuid", "student_id", "item_id", "course_id")
    list_filter = (course_filter(),)
    indexed_search = (("id", "id"), *_LEARNER_ITEM_SEARCH)
    search_help_text = f"A workflow id. {_LEARNER_ITEM_HELP}"


@admin.register(StudentTrainingWorkflowItem)
class StudentTrainingWorkflowItemAdmin(OraAdmin):
    list_display = ("id", "workflow_id", "order_num", "training_example_id", "started_at", "completed_at")
    raw_id_fields = ("workflow", "training_example")
    indexed_search = (("workflow_id", "id"), ("training_example_id", "id"))
    search_help_text = "A workflow id or a training example id."


@admin.register(AssessmentWorkflow)
class AssessmentWorkflowAdmin(OraAdmin):
    list_display = ("id", "submission_uuid", "status", "item_id", "created", "status_changed")
    list_filter = (course_filter(),)
    indexed_search = (
        ("id", "id"),
        ("submission_uuid", "exact"),
        ("uuid", "exact"),
        ("item_id", "exact"),
        ("course_id", "exact"),
    )
    search_help_text = "A workflow id, a submission or workflow uuid, an item (usage) id or a course key."


@admin.register(AssessmentWorkflowStep)
class AssessmentWorkflowStepAdmin(OraAdmin):
    list_display = (
        "id",
        "workflow_id",
        "order_num",
        "name",
        "submitter_completed_at",
        "assessment_completed_at",
        "skipped",
    )
    raw_id_fields = ("workflow",)
    indexed_search = (("workflow_id", "id"),)
    search_help_text = "A workflow id."


@admin.register(ScoreSummary)
class ScoreSummaryAdmin(_LinksAdmin):
    links = ("student_item", "highest", "latest")
    search_help_text = "A student item id or a score id."


@admin.register(AIClassifierSet)
class AIClassifierSetAdmin(OraAdmin):
    list_display = ("id", "course_id", "item_id", "algorithm_id", "rubric_id", "created_at")
    list_filter = (course_filter(), ("created_at", admin.DateFieldListFilter))
    raw_id_fields = ("rubric",)
    indexed_search = (("id", "id"), ("item_id", "exact"), ("course_id", "exact"), ("rubric_id", "id"))
    search_help_text = "A classifier set id, an item (usage) id, a course key or a rubric id."


@admin.register(AIClassifier)
class AIClassifierAdmin(_LinksAdmin):
    links = ("classifier_set", "criterion")
    search_help_text = "A classifier set id or a criterion id."


@admin.register(AITrainingWorkflow)
class AITrainingWorkflowAdmin(OraAdmin):
    list_display = ("id", "uuid", "course_id", "item_id", "classifier_set_id", "scheduled_at", "completed_at")
    list_filter = (course_filter(), ("scheduled_at", admin.DateFieldListFilter))
    raw_id_fields = ("classifier_set",)
    indexed_search = (("uuid", "exact"), ("item_id", "exact"), ("course_id", "exact"))
    search_help_text = "A workflow uuid, an item (usage) id or a course key."


@admin.register(AITrainingWorkflowTrainingExamples)
class AITrainingWorkflowTrainingExamplesAdmin(_LinksAdmin):
    links = ("aitrainingworkflow", "trainingexample")
    search_help_text = "An AI training workflow id or a training example id."


@admin.register(AIGradingWorkflow)
class AIGradingWorkflowAdmin(OraAdmin):
    list_display = ("id", "uuid", "submission_uuid", "student_id", "item_id", "scheduled_at", "completed_at")
    list_filter = (course_filter(), ("scheduled_at", admin.DateFieldListFilter))
    raw_id_fields = ("classifier_set", "assessment", "rubric")
    indexed_search = (("uuid", "exact"), *_LEARNER_ITEM_SEARCH)
    search_help_text = f"A workflow uuid. {_LEARNER_ITEM_HELP}"


@admin.register(CourseUserGroupUsers)
class CourseUserGroupUsersAdmin(LargeTableAdmin):
    area = Area.ENROLLMENT
    list_display = ("id", learner_column(), "courseusergroup_id")
    raw_id_fields = ("user", "courseusergroup")
    indexed_search = (("user_id", "id"), ("courseusergroup_id", "id"))
    search_help_text = "A user id or a cohort id."
    extra_lookups = ("user__id__exact", "courseusergroup__id__exact")
