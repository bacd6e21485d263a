"""``submissions`` tables (edx-submissions): ORA student items, submissions, scores and score summaries."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.db import models
from django.utils import timezone

from ..constants import SUBMISSION_STATUS_CHOICES
from .user_link import unconstrained_link


class StudentItem(models.Model):
    """One learner and one scorable item (such as an open-response assessment) in a course.

    Table ``submissions_studentitem``. ``student_id`` is the learner's *per-course* anonymous id
    (``student_anonymoususerid.anonymous_user_id`` for this course), not ``auth_user.id``.

    .. no_pii:
    """

    student_id = models.CharField(
        max_length=255, db_index=True, help_text="The learner's per-course anonymous id."
    )
    course_id = models.CharField(
        max_length=255, db_index=True, help_text="The course key, as a plain string."
    )
    item_id = models.CharField(
        max_length=255, db_index=True, help_text="The usage key of the item, as a string."
    )
    item_type = models.CharField(max_length=100, help_text="The XBlock type, e.g. openassessment.")

    class Meta:
        db_table = "submissions_studentitem"
        constraints = [
            models.UniqueConstraint(
                fields=["course_id", "student_id", "item_id"],
                name="submissions_studentitem_course_student_item_uniq",
            )
        ]
        verbose_name = "student item"

    def __str__(self) -> str:
        return f"{self.student_id} {self.item_id}"


class Submission(models.Model):
    """One answer a learner submitted for a student item.

    Table ``submissions_submission``. ``status`` ``D`` marks a soft-deleted submission, which
    edx-submissions' default manager hides; here every row is visible. ``raw_answer`` holds the
    JSON text exactly as exported.

    .. pii: ``raw_answer`` is the learner's free-text answer.
    .. pii_types: other
    .. pii_retirement: local_api
    """

    uuid = models.UUIDField(db_index=True, default=uuid.uuid4, help_text="Public id of the submission.")
    student_item = models.ForeignKey(StudentItem, on_delete=models.CASCADE, related_name="submissions")
    attempt_number = models.PositiveIntegerField(help_text="Which attempt this is, from 1.")
    submitted_at = models.DateTimeField(
        default=timezone.now, db_index=True, help_text="When the learner submitted (UTC)."
    )
    created_at = models.DateTimeField(
        default=timezone.now, db_index=True, help_text="When the row was created (UTC)."
    )
    answer = models.TextField(
        blank=True,
        db_column="raw_answer",
        help_text="The answer as JSON text (column raw_answer). PII.",
    )
    status = models.CharField(
        max_length=1,
        choices=SUBMISSION_STATUS_CHOICES,
        default="A",
        help_text="A for active, D for deleted.",
    )
    team_submission_id = models.IntegerField(
        null=True,
        blank=True,
        db_index=True,
        help_text="The team submission (submissions_teamsubmission.id, not modelled), if any.",
    )

    class Meta:
        db_table = "submissions_submission"
        ordering = ["-submitted_at", "-id"]
        verbose_name = "submission"

    def __str__(self) -> str:
        return f"{self.uuid} (attempt {self.attempt_number})"

    @property
    def answer_data(self) -> Any:
        """The answer decoded from its JSON text."""
        return json.loads(self.answer) if self.answer else None


class Score(models.Model):
    """One scoring event for a student item: weighted points, no unique key.

    Table ``submissions_score``. A reset is ``0/0`` with no submission and ``reset`` set; the LMS
    uses the latest score, not the highest. Points are already weighted: the problem weight is
    not applied again when grades are aggregated.

    .. no_pii:
    """

    student_item = models.ForeignKey(StudentItem, on_delete=models.CASCADE, related_name="scores")
    submission = models.ForeignKey(
        Submission, null=True, blank=True, on_delete=models.CASCADE, related_name="scores"
    )
    points_earned = models.PositiveIntegerField(
        default=0, help_text="The learner's weighted earned score on the problem."
    )
    points_possible = models.FloatField(
        default=0,
        help_text="The problem's weighted possible score when the learner submitted.",
    )
    created_at = models.DateTimeField(
        default=timezone.now, db_index=True, help_text="When the row was created (UTC)."
    )
    reset = models.BooleanField(default=False, help_text="This score resets the current highest score.")

    class Meta:
        db_table = "submissions_score"
        verbose_name = "score"

    def __str__(self) -> str:
        return f"{self.points_earned}/{self.points_possible}"


class ScoreSummary(models.Model):
    """A student item's highest and latest scores; the LMS grades with ``latest``.

    Table ``submissions_scoresummary``, one row per scored student item. A reset score replaces
    both; a latest score of ``0/0`` is hidden, so the item then has no submissions score.

    .. no_pii:
    """

    highest = unconstrained_link(
        Score, related_name="+", help_text="The highest score so far (submissions_score.id)"
    )
    latest = unconstrained_link(Score, related_name="+", help_text="The newest score (submissions_score.id)")
    student_item = unconstrained_link(
        StudentItem,
        one_to_one=True,
        related_name="score_summary",
        help_text="The student item (submissions_studentitem.id); unique",
    )

    class Meta:
        db_table = "submissions_scoresummary"
        verbose_name = "score summary"
        verbose_name_plural = "score summaries"

    def __str__(self) -> str:
        return f"Scores of student item {self.student_item_id}"
