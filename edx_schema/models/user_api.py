"""``user_api`` tables: per-course key/value tags on a learner."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from opaque_keys.edx.django.models import CourseKeyField


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
