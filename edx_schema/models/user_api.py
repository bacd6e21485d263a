"""``user_api`` tables: per-course key/value tags on a learner, and the org-level e-mail opt-in list."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from opaque_keys.edx.django.models import CourseKeyField

from .user_link import unconstrained_user


class UserCourseTag(models.Model):
    """Key/value metadata about one learner in one course, such as an A/B partition group.

    Table ``user_api_usercoursetag`` (added 7 Mar 2014). Keys look like
    ``xblock.partition_service.partition_<id>``, and ``value`` is then the learner's group id.

    .. no_pii:
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        # The unique key on (user_id, ...) already indexes user_id first.
        db_index=False,
        related_name="+",
        help_text="The learner (auth_user.id).",
    )
    key = models.CharField(
        max_length=255, db_index=True, help_text="The attribute, e.g. a partition of an experiment."
    )
    course_id = CourseKeyField(max_length=255, db_index=True, help_text="The course run.")
    value = models.TextField(help_text="The value set for the learner, e.g. a partition group id.")

    class Meta:
        db_table = "user_api_usercoursetag"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "course_id", "key"],
                name="user_api_usercoursetag_user_id_course_id_key_uniq",
            )
        ]
        verbose_name = "user course tag"

    def __str__(self) -> str:
        return f"{self.user_id} {self.course_id} {self.key}={self.value}"


class EmailOptIn(models.Model):
    """One enrollment's e-mail opt-in preference for its org, from the org's opt-in list.

    Table ``edx_schema_emailoptin``: edx-schema's own, **not** the LMS's ``user_api_userorgtag``.
    The exporter's ``email_opt_in_list`` reads that table's newest ``email-optin`` tag over all
    of an org's aliases and writes one CSV row per enrollment in the org's courses
    (``{org}-email_opt_in-prod-analytics.csv``); which alias a tag was set under is lost, so the
    rows cannot go back into userorgtag. ``org`` is the org the file is for (from its name).

    A learner with no tag is listed as opted in, dated ``2014-12-01 00:00:00``: the exporter's
    defaults, not data. Such rows have ``preference_recorded`` False and no
    ``preference_set_datetime``.

    Rows are keyed by (org, user_id, course_id). The 2016 files have no user_id (nor username):
    their rows have user_id NULL and are keyed by (org, email, course_id), exactly as written.
    That key is kept by the importer, not by a unique index: MySQL compares e-mails ignoring
    case and accents and SQLite exactly, and the importer matches them exactly on both.

    .. pii: username, email and full_name identify the learner.
    """

    org = models.CharField(max_length=255, help_text="The org the list is for, as its file name gives it.")
    user = unconstrained_user(
        help_text="The learner; NULL in the 2016 files, which have no user_id column", null=True
    )
    username = models.CharField(
        max_length=150,
        null=True,
        blank=True,
        help_text="The learner's username (PII); NULL in the 2016 files, which have no such column.",
    )
    email = models.CharField(
        max_length=254, db_index=True, help_text="The learner's e-mail address (PII), as exported."
    )
    full_name = models.CharField(
        max_length=255, blank=True, help_text="The learner's full name (PII); '' where the profile has none."
    )
    course_id = CourseKeyField(max_length=255, db_index=True, help_text="The course of the enrollment.")
    is_opted_in_for_email = models.BooleanField(
        help_text="Whether the learner accepts e-mail from the org (True when no preference is recorded)."
    )
    preference_recorded = models.BooleanField(
        help_text="Whether the learner set a preference; False: the exporter's default (opted in)."
    )
    preference_set_datetime = models.DateTimeField(
        null=True, blank=True, help_text="When the preference was last set (UTC); NULL when none was."
    )

    class Meta:
        db_table = "edx_schema_emailoptin"
        constraints = [
            models.UniqueConstraint(
                fields=["org", "user", "course_id"], name="edx_schema_emailoptin_org_user_id_course_id_uniq"
            ),
            # A preference the learner set has its date; the exporter's default has none, and is "opted in".
            models.CheckConstraint(
                condition=models.Q(preference_recorded=True, preference_set_datetime__isnull=False)
                | models.Q(
                    preference_recorded=False,
                    preference_set_datetime__isnull=True,
                    is_opted_in_for_email=True,
                ),
                name="edx_schema_emailoptin_recorded_or_default",
            ),
        ]
        verbose_name = "e-mail opt-in"

    def __str__(self) -> str:
        who = self.user_id if self.user_id is not None else self.email
        state = "in" if self.is_opted_in_for_email else "out"
        return f"{who} {self.course_id}: opted {state} ({self.org})"
