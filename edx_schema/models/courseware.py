"""``courseware`` tables: per-learner state of every block, the biggest table in a package."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from model_utils.fields import AutoCreatedField, AutoLastModifiedField
from opaque_keys.edx.django.models import LearningContextKeyField, UsageKeyField

from ..constants import DONE_CHOICES, MODULE_TYPE_CHOICES
from ..fields import UnsignedBigIntAutoField


class StudentModule(models.Model):
    """The state of one block (problem, video, sequence, ...) for one learner in one course.

    Table ``courseware_studentmodule``. ``grade`` and ``max_grade`` are the raw, unweighted
    earned and possible points of problems; container blocks store their position in ``state``.
    The learner foreign key has no database constraint, as in the LMS since 2019, and ``id`` is
    ``bigint UNSIGNED`` on MySQL.

    .. no_pii: ``state`` is free-form and may echo learner answers.
    """

    id = UnsignedBigIntAutoField(primary_key=True)
    module_type = models.CharField(
        max_length=32,
        db_index=True,
        choices=MODULE_TYPE_CHOICES,
        help_text="Block type: problem, video, html, chapter, sequential, ...",
    )
    module_state_key = UsageKeyField(
        max_length=255,
        db_column="module_id",
        help_text="Usage key of the block (column module_id), e.g. block-v1:...+type@problem+"
        "block@... or i4x://Org/Course/problem/name.",
    )
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        db_constraint=False,
        # The unique (student_id, module_id, course_id) key already indexes student_id first.
        db_index=False,
        related_name="+",
        help_text="The learner (auth_user.id); no database constraint.",
    )
    course_id = LearningContextKeyField(
        max_length=255, db_index=True, help_text="The course run this state belongs to."
    )
    state = models.TextField(
        null=True,
        blank=True,
        help_text='JSON state, interpreted by the block: {"position": 3} for containers, '
        "answers and attempts for problems.",
    )
    grade = models.FloatField(
        null=True,
        blank=True,
        db_index=True,
        help_text="Raw (unweighted) points earned; NULL for blocks that are not scored.",
    )
    max_grade = models.FloatField(
        null=True,
        blank=True,
        help_text="Raw (unweighted) points possible when the learner last submitted.",
    )
    done = models.CharField(
        max_length=8,
        choices=DONE_CHOICES,
        default="na",
        db_index=True,
        help_text="Not used: na in every row.",
    )
    created = AutoCreatedField(db_index=True, help_text="When the learner first accessed the block (UTC).")
    modified = AutoLastModifiedField(db_index=True, help_text="When the state last changed (UTC).")

    class Meta:
        db_table = "courseware_studentmodule"
        constraints = [
            models.UniqueConstraint(
                fields=["student", "module_state_key", "course_id"],
                name="courseware_studentmodule_student_id_module_id_course_id_uniq",
            )
        ]
        indexes = [
            models.Index(fields=["module_state_key", "grade", "student"], name="courseware_stats"),
        ]
        verbose_name = "student module"

    def __str__(self) -> str:
        return f"{self.student_id} {self.module_state_key}"
