"""Legacy ``verify_student`` tables of in-course reverification (packages of 2015-2018)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from opaque_keys.edx.django.models import CourseKeyField

from .user_link import unconstrained_user

#: The statuses of a reverification attempt.
VERIFICATION_STATUS_CHOICES: tuple[tuple[str, str], ...] = (
    ("submitted", "submitted"),
    ("approved", "approved"),
    ("denied", "denied"),
    ("error", "error"),
)


class VerificationCheckpoint(models.Model):
    """A point in a course run where learners re-verified their identity.

    Table ``verify_student_verificationcheckpoint``, dropped by the LMS about 2018.
    ``checkpoint_location`` is a plain string: exported values are not always valid usage keys.

    .. no_pii:
    """

    course_id = CourseKeyField(max_length=255, db_index=True, help_text="The course run.")
    checkpoint_location = models.CharField(
        max_length=255, help_text="The usage key of the reverification block, as exported."
    )

    class Meta:
        db_table = "verify_student_verificationcheckpoint"
        constraints = [
            models.UniqueConstraint(
                fields=["course_id", "checkpoint_location"],
                name="verify_student_verificationcheckpoint_course_location_uniq",
            )
        ]
        verbose_name = "verification checkpoint"

    def __str__(self) -> str:
        return self.checkpoint_location


class VerificationStatus(models.Model):
    """One status change of a learner's reverification at a checkpoint; append-only.

    Table ``verify_student_verificationstatus``, dropped by the LMS about 2018. The research
    export omits ``response`` and ``error``, which stay NULL.

    .. no_pii:
    """

    checkpoint = models.ForeignKey(
        VerificationCheckpoint,
        on_delete=models.CASCADE,
        related_name="statuses",
        help_text="The checkpoint.",
    )
    user = unconstrained_user(help_text="The learner")
    status = models.CharField(
        max_length=32, db_index=True, choices=VERIFICATION_STATUS_CHOICES, help_text="The new status."
    )
    timestamp = models.DateTimeField(default=timezone.now, help_text="When the status was set (UTC).")
    response = models.TextField(null=True, blank=True, help_text="The verification service's response.")
    error = models.TextField(null=True, blank=True, help_text="The error, if any.")

    class Meta:
        db_table = "verify_student_verificationstatus"
        verbose_name = "verification status"
        verbose_name_plural = "verification statuses"

    def __str__(self) -> str:
        return f"{self.user_id} {self.status} at {self.checkpoint_id}"
