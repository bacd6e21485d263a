"""``grades`` tables: persisted subsection and course grades, visible blocks and overrides."""

from __future__ import annotations

import json
from typing import Any

from django.db import models
from model_utils.fields import AutoCreatedField, AutoLastModifiedField
from model_utils.models import TimeStampedModel
from opaque_keys.edx.django.models import CourseKeyField, UsageKeyField
from simple_history.models import HistoricalRecords

from ..constants import OVERRIDE_SYSTEM_CHOICES
from ..fields import UnsignedBigIntAutoField
from ..visible_blocks import blocks_hash, blocks_json


class VisibleBlocksManager(models.Manager["VisibleBlocks"]):
    """Get-or-create visible-block lists by their content, as the LMS does."""

    def for_blocks(self, *, course_key: Any, blocks: list[dict[str, Any]]) -> VisibleBlocks:
        """Return the shared row for this list of block records, creating it if needed."""
        value = blocks_json(course_key=str(course_key), blocks=blocks)
        row, _ = self.get_or_create(
            hashed=blocks_hash(value), defaults={"blocks_json": value, "course_id": course_key}
        )
        return row

    def not_exported(self, course_key: Any) -> VisibleBlocks:
        """The course's empty block list, which grades without a known block list point at.

        Data packages omit ``visible_blocks_hash``. Rather than make the column nullable (the LMS
        has it NOT NULL), an imported grade points at the course's record with an empty
        ``blocks`` list: a well-formed LMS record, hashed exactly as the LMS hashes it.
        """
        return self.for_blocks(course_key=course_key, blocks=[])


class VisibleBlocks(models.Model):
    """The ordered list of blocks a learner could see in a subsection when it was graded.

    Table ``grades_visibleblocks``. Rows are shared by every learner who saw the same list and
    are keyed by ``hashed``; subsection grades point at ``hashed``, not at ``id``.

    .. no_pii:
    """

    blocks_json = models.TextField(
        help_text="Compact, key-sorted JSON: version, course_key and the list of blocks "
        "(locator, weight, raw_possible, graded) visible to the learner."
    )
    hashed = models.CharField(max_length=100, unique=True, help_text="base64 SHA-1 of blocks_json.")
    course_id = CourseKeyField(
        max_length=255, db_index=True, help_text="Course key of the containing course."
    )

    objects = VisibleBlocksManager()

    class Meta:
        db_table = "grades_visibleblocks"
        verbose_name = "visible blocks"
        verbose_name_plural = "visible blocks"

    def __str__(self) -> str:
        return self.hashed

    @property
    def blocks(self) -> list[dict[str, Any]]:
        """The block records decoded from ``blocks_json``."""
        return json.loads(self.blocks_json)["blocks"]


class PersistentSubsectionGrade(TimeStampedModel):
    """A learner's weighted totals in one subsection, as last computed by the LMS.

    Table ``grades_persistentsubsectiongrade``. The stored totals never include an override:
    apply ``override`` field by field when reading. A missing row means the learner never
    attempted the subsection. ``user_id`` is a plain integer with no foreign key.

    .. no_pii:
    """

    id = UnsignedBigIntAutoField(primary_key=True)
    user_id = models.IntegerField(help_text="User id of the learner (no foreign key).")
    course_id = CourseKeyField(max_length=255, help_text="Course key of the containing course.")
    usage_key = UsageKeyField(
        max_length=255,
        help_text="Usage key of the subsection, e.g. block-v1:org+course+run+type@sequential+"
        "block@1234 or i4x://org/course/sequential/1234.",
    )
    subtree_edited_timestamp = models.DateTimeField(
        "Last content edit timestamp",
        blank=True,
        null=True,
        help_text="When the subsection's content was last edited, as of grading. Not exported.",
    )
    course_version = models.CharField(
        "Guid of latest course version",
        blank=True,
        max_length=255,
        help_text="Split-modulestore course version when graded; '' when unknown. Not exported.",
    )
    earned_all = models.FloatField(help_text="Sum of weighted earned points of all problems.")
    possible_all = models.FloatField(help_text="Sum of weighted possible points of all problems.")
    earned_graded = models.FloatField(help_text="Sum of weighted earned points of graded problems.")
    possible_graded = models.FloatField(help_text="Sum of weighted possible points of graded problems.")
    first_attempted = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the learner first attempted a problem in the subsection (UTC).",
    )
    visible_blocks = models.ForeignKey(
        VisibleBlocks,
        to_field="hashed",
        db_column="visible_blocks_hash",
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The blocks visible to the learner when graded (grades_visibleblocks.hashed). "
        "Exports omit it: imported grades point at the course's empty block list.",
    )

    class Meta:
        db_table = "grades_persistentsubsectiongrade"
        constraints = [
            models.UniqueConstraint(
                fields=["course_id", "user_id", "usage_key"],
                name="grades_persistentsubsectiongrade_course_user_usage_uniq",
            )
        ]
        indexes = [
            models.Index(fields=["modified", "course_id", "usage_key"], name="course_id_usage_key_idx"),
            models.Index(
                fields=["first_attempted", "course_id", "user_id"],
                name="first_course_id_user_id_idx",
            ),
        ]
        verbose_name = "persistent subsection grade"

    def __str__(self) -> str:
        return f"{self.user_id} {self.usage_key}: {self.earned_graded}/{self.possible_graded}"


class PersistentSubsectionGradeOverride(models.Model):
    """A staff override of one subsection grade; the latest one only, history alongside.

    Table ``grades_persistentsubsectiongradeoverride``; every change is kept in
    ``grades_historicalpersistentsubsectiongradeoverride`` with who made it and why. A non-NULL
    override column replaces the matching grade column; a NULL one falls back to it.

    .. no_pii:
    """

    grade = models.OneToOneField(
        PersistentSubsectionGrade,
        on_delete=models.CASCADE,
        related_name="override",
        help_text="The subsection grade this override applies to (1:1).",
    )
    created = AutoCreatedField(db_index=True, help_text="When the override was first created.")
    modified = AutoLastModifiedField(db_index=True, help_text="When the override was last modified.")
    earned_all_override = models.FloatField(
        null=True, blank=True, help_text="Overriding earned points, graded and ungraded."
    )
    possible_all_override = models.FloatField(
        null=True, blank=True, help_text="Overriding possible points, graded and ungraded."
    )
    earned_graded_override = models.FloatField(
        null=True, blank=True, help_text="Overriding earned graded points (used for grading)."
    )
    possible_graded_override = models.FloatField(
        null=True, blank=True, help_text="Overriding possible graded points (used for grading)."
    )
    system = models.CharField(
        max_length=100,
        blank=True,
        null=True,
        choices=OVERRIDE_SYSTEM_CHOICES,
        help_text="Where the override was made, e.g. GRADEBOOK or PROCTORING.",
    )
    override_reason = models.CharField(
        max_length=300, blank=True, null=True, help_text="The instructor's reason for the override."
    )

    history = HistoricalRecords(table_name="grades_historicalpersistentsubsectiongradeoverride")

    class Meta:
        db_table = "grades_persistentsubsectiongradeoverride"
        verbose_name = "subsection grade override"

    def __str__(self) -> str:
        return f"Override of grade {self.grade_id}"


# django-simple-history sets this module's history class here, but names its module after the app
# ("edx_schema") when the model is not in the app's models.py; `manage.py shell`, which imports
# every model by module and name, then could not import it.
PersistentSubsectionGradeOverride.history.model.__module__ = __name__


class PersistentCourseGrade(TimeStampedModel):
    """A learner's course grade as last computed by the LMS.

    Table ``grades_persistentcoursegrade``. There is no passed column: ``letter_grade`` is ``''``
    when the learner is not passing, and ``passed_timestamp``, set at the first pass, is never
    cleared. ``user_id`` is a plain integer with no foreign key.

    .. no_pii:
    """

    id = UnsignedBigIntAutoField(primary_key=True)
    user_id = models.IntegerField(db_index=True, help_text="User id of the learner (no foreign key).")
    course_id = CourseKeyField(max_length=255, help_text="Course key of the containing course.")
    course_edited_timestamp = models.DateTimeField(
        "Last content edit timestamp",
        blank=True,
        null=True,
        help_text="When the course was last edited, as of grading. Not exported.",
    )
    course_version = models.CharField(
        "Course content version identifier",
        blank=True,
        max_length=255,
        help_text="Split-modulestore course version when graded; '' when unknown. Not exported.",
    )
    grading_policy_hash = models.CharField(
        "Hash of grading policy",
        max_length=255,
        help_text="base64 SHA-1 of the course grading policy, e.g. NiGhcAFSrpyijXbow/XKE1Cp1GA=.",
    )
    percent_grade = models.FloatField(
        help_text="The course grade as a fraction with two decimals, e.g. 0.91 for 91%."
    )
    letter_grade = models.CharField(
        "Letter grade for course",
        max_length=255,
        blank=True,
        help_text="Letter from the grading policy (A-D, Pass); '' when failing.",
    )
    passed_timestamp = models.DateTimeField(
        "Date learner earned a passing grade",
        blank=True,
        null=True,
        help_text="When the learner first passed; never cleared, so it can be set while letter_grade is ''.",
    )

    class Meta:
        db_table = "grades_persistentcoursegrade"
        constraints = [
            models.UniqueConstraint(
                fields=["course_id", "user_id"],
                name="grades_persistentcoursegrade_course_id_user_id_uniq",
            )
        ]
        indexes = [
            models.Index(fields=["passed_timestamp", "course_id"], name="passed_timestamp_course_id_idx"),
            models.Index(fields=["modified", "course_id"], name="modified_course_id_idx"),
        ]
        verbose_name = "persistent course grade"

    def __str__(self) -> str:
        return f"{self.user_id} {self.course_id}: {self.percent_grade} {self.letter_grade!r}"

    @property
    def passed(self) -> bool:
        """Whether the learner is passing now, as the LMS reads it (a non-empty letter)."""
        return self.letter_grade != ""
