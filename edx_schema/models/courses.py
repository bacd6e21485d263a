"""Each course's outline and grading policy, as its data package describes them.

Not LMS tables (the LMS keeps these in its modulestore): ``edx_schema_courseblock`` holds every
block of the course structure in course order, ``edx_schema_coursecontentblock`` every block of
the OLX export with what grading reads from its content, and ``edx_schema_gradingpolicy`` the
course's grading policy, which recompute_grades needs.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import models
from model_utils.models import TimeStampedModel
from opaque_keys.edx.django.models import CourseKeyField, UsageKeyField

from ..grading import merge_policy


class GradingPolicy(TimeStampedModel):
    """A course's grading policy: ``GRADER`` and ``GRADE_CUTOFFS``, merged with the LMS defaults.

    ``raw`` is the JSON exactly as read (from the OLX export's ``grading_policy.json``, or given to
    ``set_grading_policy``); ``policy`` parses it again, so that the cutoffs keep their order,
    which decides between equal cutoffs. ``grading_policy_hash`` is computed as the LMS does.

    .. no_pii:
    """

    course_id = CourseKeyField(max_length=255, unique=True, help_text="The course.")
    raw = models.TextField(help_text="The grading policy JSON as supplied.")
    grader = models.JSONField(help_text="GRADER after merging with the LMS defaults.")
    grade_cutoffs = models.JSONField(help_text="GRADE_CUTOFFS after merging with the LMS defaults.")
    grading_policy_hash = models.CharField(max_length=255, help_text="base64 SHA-1, as the LMS computes it.")
    source = models.CharField(
        max_length=255, blank=True, help_text="Where it came from (a package member, a file)."
    )

    class Meta:
        db_table = "edx_schema_gradingpolicy"
        verbose_name = "grading policy"
        verbose_name_plural = "grading policies"

    def __str__(self) -> str:
        return f"{self.course_id} ({self.grading_policy_hash})"

    @property
    def policy(self) -> dict[str, Any]:
        """The merged policy, with the supplied key order."""
        return merge_policy(json.loads(self.raw))


class CourseBlock(models.Model):
    """One block of a course's outline, from the package's course_structure JSON.

    ``position`` is the block's place in course order (depth first from the course, 0 for the
    course itself); ``graded`` and ``format`` include what the block inherits from its ancestors,
    as the LMS resolves them. ``metadata`` is the block's own settings, as exported.

    .. no_pii:
    """

    course_id = CourseKeyField(max_length=255, help_text="The course.")
    usage_key = UsageKeyField(max_length=255, help_text="The block's usage key.")
    category = models.CharField(
        max_length=255, help_text="course, chapter, sequential, vertical, problem, ..."
    )
    parent = models.CharField(
        max_length=255, blank=True, help_text="The parent's usage key ('' for the course)."
    )
    position = models.PositiveIntegerField(help_text="Place in course order, from 0.")
    depth = models.PositiveSmallIntegerField(help_text="0 for the course, 1 for chapters, ...")
    display_name = models.CharField(max_length=255, blank=True)
    format = models.CharField(max_length=255, blank=True, help_text="The assignment type of a subsection.")
    graded = models.BooleanField(default=False)
    weight = models.FloatField(null=True, blank=True, help_text="A problem's weight, if set.")
    start = models.CharField(max_length=64, blank=True, help_text="Release date as exported (ISO 8601).")
    due = models.CharField(max_length=64, blank=True, help_text="Due date as exported (ISO 8601).")
    metadata = models.JSONField(default=dict, help_text="The block's own settings, as exported.")

    class Meta:
        db_table = "edx_schema_courseblock"
        constraints = [
            models.UniqueConstraint(fields=["course_id", "usage_key"], name="edx_schema_courseblock_uniq")
        ]
        indexes = [models.Index(fields=["course_id", "position"], name="edx_schema_block_order")]
        ordering = ["course_id", "position"]
        verbose_name = "course block"

    def __str__(self) -> str:
        return f"{self.usage_key} ({self.category})"


class CourseContentBlock(models.Model):
    """One block of a course's OLX export, as the LMS grades it (``recompute_grades --from-scores``).

    The OLX is the only source of what a block's content decides: a problem's maximum score
    (from its capa responses, or an assessment's rubric), which child of a split test each
    group sees, and, for courses from before the course structure was exported, the outline
    itself. ``settings`` are the block's own (XML attributes, then ``policy.json``);
    ``children`` its children's usage keys in document order; ``position`` its place in the
    export's course order. Replaced whole each time the course's export is imported.

    .. no_pii:
    """

    course_id = CourseKeyField(max_length=255, help_text="The course.")
    usage_key = UsageKeyField(max_length=255, help_text="The block's usage key.")
    category = models.CharField(max_length=255, help_text="The block type (the XML tag).")
    position = models.PositiveIntegerField(help_text="Place in the export's course order, from 0.")
    children = models.JSONField(default=list, help_text="The children's usage keys, in order.")
    settings = models.JSONField(default=dict, help_text="Own settings: XML attributes, then policy.json.")
    max_score = models.FloatField(
        null=True,
        blank=True,
        help_text="A scored block's maximum raw score from its content (capa responses, ORA rubric); "
        "empty when the content gives none.",
    )
    group_id_to_child = models.JSONField(
        default=dict, blank=True, help_text="A split test's group id -> child usage key."
    )
    source = models.CharField(max_length=255, help_text="The export member it was read from.")

    class Meta:
        db_table = "edx_schema_coursecontentblock"
        constraints = [
            models.UniqueConstraint(fields=["course_id", "usage_key"], name="edx_schema_contentblock_uniq")
        ]
        indexes = [models.Index(fields=["course_id", "position"], name="edx_schema_content_order")]
        ordering = ["course_id", "position"]
        verbose_name = "course content block"

    def __str__(self) -> str:
        return f"{self.usage_key} ({self.category})"
