"""``certificates`` tables: the certificate state and snapshot grade of each learner."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from model_utils.fields import AutoCreatedField, AutoLastModifiedField
from opaque_keys.edx.django.models import CourseKeyField

from ..constants import CERTIFICATE_MODE_CHOICES, CERTIFICATE_STATUS_CHOICES


class GeneratedCertificate(models.Model):
    """The certificate state of one learner in one course.

    Table ``certificates_generatedcertificate``. ``grade`` is a string snapshot taken when
    certificate generation last ran; it is *not* kept in step with the course grade, so use
    ``grades_persistentcoursegrade`` as the source of truth. Every text column is NOT NULL, with
    ``''`` for empty.

    .. pii: ``name`` is the learner's name when the certificate was generated.
    .. pii_types: name
    .. pii_retirement: local_api
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        # The unique key on (user_id, ...) already indexes user_id first.
        db_index=False,
        related_name="generated_certificates",
        help_text="The learner (auth_user.id).",
    )
    course_id = CourseKeyField(
        max_length=255, blank=True, default=None, db_index=True, help_text="The course run."
    )
    verify_uuid = models.CharField(
        max_length=32,
        blank=True,
        default="",
        db_index=True,
        help_text="Hash that verifies the certificate; part of its public URL.",
    )
    download_uuid = models.CharField(
        max_length=32,
        blank=True,
        default="",
        help_text="Hash that identifies the certificate; part of download_url.",
    )
    download_url = models.CharField(
        max_length=128, blank=True, default="", help_text="Full URL of the certificate."
    )
    grade = models.CharField(
        max_length=5,
        blank=True,
        default="",
        help_text="Grade when certificates were last generated, e.g. 0.84; may be stale.",
    )
    key = models.CharField(
        max_length=32,
        blank=True,
        default="",
        help_text="Internal: matches generation requests to responses.",
    )
    distinction = models.BooleanField(
        default=False, help_text="Not used (letters of distinction for 188.1x)."
    )
    status = models.CharField(
        max_length=32,
        default="unavailable",
        choices=CERTIFICATE_STATUS_CHOICES,
        help_text="downloadable, notpassing, unavailable, ...; downloadable and generating mean "
        "the learner passed.",
    )
    mode = models.CharField(
        max_length=32,
        default="honor",
        choices=CERTIFICATE_MODE_CHOICES,
        help_text="The enrollment mode when the certificate was generated.",
    )
    name = models.CharField(
        max_length=255,
        blank=True,
        help_text="The learner's name when the certificate was generated. PII.",
    )
    created_date = AutoCreatedField(help_text="When the row was created (UTC).")
    modified_date = AutoLastModifiedField(help_text="When the row was last modified (UTC).")
    error_reason = models.CharField(
        max_length=512,
        blank=True,
        default="",
        help_text="Internal: why certificate generation failed.",
    )

    class Meta:
        db_table = "certificates_generatedcertificate"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "course_id"],
                name="certificates_generatedcertificate_user_id_course_id_uniq",
            )
        ]
        verbose_name = "generated certificate"

    def __str__(self) -> str:
        return f"{self.user_id} {self.course_id} {self.status}"
