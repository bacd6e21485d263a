"""Forum posts from the package's ``.mongo`` dump: the LMS keeps them in MongoDB, not MySQL."""

from __future__ import annotations

from django.db import models
from opaque_keys.edx.django.models import CourseKeyField


class ForumPost(models.Model):
    """One discussion thread (``CommentThread``) or comment (``Comment``) of a course.

    Table ``edx_schema_forumpost`` (edx-schema's own: the LMS forum lives in MongoDB). Loaded
    from the forum member by ``import_package``, keyed by the MongoDB ``_id``; dates are UTC.

    .. pii: body and title are the learner's own words; author_username names the learner.
    """

    post_id = models.CharField(max_length=24, unique=True, help_text="The MongoDB _id ($oid).")
    post_type = models.CharField(
        max_length=32, db_index=True, help_text="CommentThread (a thread) or Comment (a reply)."
    )
    course_id = CourseKeyField(max_length=255, db_index=True, help_text="The course.")
    author_id = models.CharField(max_length=255, db_index=True, help_text="auth_user.id of the author.")
    author_username = models.CharField(max_length=255, blank=True, help_text="The author's username.")
    title = models.TextField(blank=True, help_text="A thread's title ('' for comments).")
    body = models.TextField(blank=True, help_text="The post's text.")
    thread_type = models.CharField(max_length=32, blank=True, help_text="discussion or question (threads).")
    comment_thread_id = models.CharField(
        max_length=24, blank=True, db_index=True, help_text="A comment's thread ($oid); '' for threads."
    )
    parent_id = models.CharField(
        max_length=24, blank=True, help_text="The comment a reply answers ($oid); '' otherwise."
    )
    created_at = models.DateTimeField(null=True, blank=True, db_index=True, help_text="When posted (UTC).")
    updated_at = models.DateTimeField(null=True, blank=True, help_text="When last edited (UTC).")

    class Meta:
        db_table = "edx_schema_forumpost"
        verbose_name = "forum post"

    def __str__(self) -> str:
        return f"{self.post_type} {self.post_id}"
