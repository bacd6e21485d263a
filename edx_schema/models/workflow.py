"""``workflow`` tables (edx-ora2): where each ORA submission is in its assessment steps."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from .user_link import unconstrained_link

#: ORA's step names: ``teams`` is the one step of team workflows, ``ai`` the retired AI step.
STEP_NAME_CHOICES: tuple[tuple[str, str], ...] = (
    ("staff", "Staff"),
    ("peer", "Peer"),
    ("self", "Self"),
    ("training", "Student training"),
    ("teams", "Team staff"),
    ("ai", "AI (retired)"),
)
#: ``workflow_assessmentworkflow.status``: the current step, or waiting, done or cancelled.
WORKFLOW_STATUS_CHOICES: tuple[tuple[str, str], ...] = (
    *STEP_NAME_CHOICES,
    ("waiting", "Waiting for assessments"),
    ("done", "Done"),
    ("cancelled", "Cancelled"),
)


class AssessmentWorkflow(models.Model):
    """The assessment status of one ORA submission: one per submission, team workflows included.

    Table ``workflow_assessmentworkflow``. ``status`` is the last known state, recomputed by ORA
    whenever the learner views the problem. ``item_id`` became ``varchar(255)`` in 2024 (128
    before); ``course_id`` was ``varchar(40)`` until 2017.

    .. no_pii:
    """

    created = models.DateTimeField(default=timezone.now, help_text="When the workflow began (UTC).")
    modified = models.DateTimeField(default=timezone.now, help_text="When it last changed (UTC).")
    status = models.CharField(
        max_length=100,
        choices=WORKFLOW_STATUS_CHOICES,
        help_text="The current step (peer, self, training, staff), or waiting, done or cancelled.",
    )
    status_changed = models.DateTimeField(
        default=timezone.now, help_text="When the status last changed (UTC)."
    )
    submission_uuid = models.CharField(
        max_length=36,
        unique=True,
        help_text="The submission (submissions_submission.uuid), hyphenated; compare without '-'.",
    )
    uuid = models.UUIDField(unique=True, default=uuid.uuid4, help_text="The workflow's public id.")
    course_id = models.CharField(
        max_length=255, db_index=True, help_text="The course key, as a plain string."
    )
    item_id = models.CharField(max_length=255, db_index=True, help_text="The ORA block's usage key.")

    class Meta:
        db_table = "workflow_assessmentworkflow"
        verbose_name = "assessment workflow"

    def __str__(self) -> str:
        return f"Workflow of {self.submission_uuid} ({self.status})"


class AssessmentWorkflowStep(models.Model):
    """One step of a workflow, in order, with when the learner and the assessors finished it.

    Table ``workflow_assessmentworkflowstep``.

    .. no_pii:
    """

    name = models.CharField(max_length=20, choices=STEP_NAME_CHOICES, help_text="The step, e.g. peer.")
    submitter_completed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the learner did what the step asks (UTC); NULL if not yet."
    )
    assessment_completed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the submission was assessed in the step (UTC); NULL if not yet.",
    )
    order_num = models.PositiveIntegerField(help_text="The step's place in the workflow, from 0.")
    workflow = unconstrained_link(
        AssessmentWorkflow, related_name="steps", help_text="The workflow (workflow_assessmentworkflow.id)"
    )
    skipped = models.BooleanField(
        null=True,
        default=False,
        help_text="Whether the learner skipped the step; added in December 2020 with false for older "
        "rows, as files without the column load.",
    )

    class Meta:
        db_table = "workflow_assessmentworkflowstep"
        verbose_name = "assessment workflow step"

    def __str__(self) -> str:
        return f"Workflow {self.workflow_id} step {self.order_num}: {self.name}"
