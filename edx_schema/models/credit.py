"""``credit`` tables: credit courses and the learners eligible for credit in them."""

from __future__ import annotations

from django.db import models
from model_utils.fields import AutoCreatedField, AutoLastModifiedField
from opaque_keys.edx.django.models import CourseKeyField


class CreditCourse(models.Model):
    """A course run that offers academic credit.

    Table ``credit_creditcourse``. The research export names the course by its key only and
    never exports ``enabled``.

    .. no_pii:
    """

    course_key = CourseKeyField(max_length=255, unique=True, help_text="The course run.")
    enabled = models.BooleanField(default=False, help_text="Whether the course offers credit now.")

    class Meta:
        db_table = "credit_creditcourse"
        verbose_name = "credit course"

    def __str__(self) -> str:
        return str(self.course_key)


class CreditEligibility(models.Model):
    """A learner who met a credit course's requirements, until a deadline to buy the credit.

    Table ``credit_crediteligibility``. ``username`` is not a foreign key: after a rename or a
    retirement it need not match ``auth_user.username``.

    .. pii: username.
    .. pii_types: username
    .. pii_retirement: local_api
    """

    created = AutoCreatedField(help_text="When the row was created (UTC).")
    modified = AutoLastModifiedField(help_text="When the row last changed (UTC).")
    username = models.CharField(max_length=255, db_index=True, help_text="The learner's username. PII.")
    course = models.ForeignKey(
        CreditCourse, on_delete=models.CASCADE, related_name="eligibilities", help_text="The credit course."
    )
    deadline = models.DateTimeField(help_text="The last moment to buy the credit (UTC).")

    class Meta:
        db_table = "credit_crediteligibility"
        constraints = [
            models.UniqueConstraint(
                fields=["username", "course"], name="credit_crediteligibility_username_course_id_uniq"
            )
        ]
        verbose_name = "credit eligibility"
        verbose_name_plural = "credit eligibilities"

    def __str__(self) -> str:
        return f"{self.username} in {self.course_id}"
