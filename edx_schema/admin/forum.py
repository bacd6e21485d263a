"""Admin for the forum posts imported from a package's ``.mongo`` dump."""

from __future__ import annotations

from django.contrib import admin

from ..admin_site import Area
from ..models import ForumPost
from .base import LargeTableAdmin
from .display import course_filter


@admin.register(ForumPost)
class ForumPostAdmin(LargeTableAdmin):
    area = Area.FORUM
    list_display = ("post_id", "post_type", "course_id", "author_id", "title", "created_at")
    list_filter = ("post_type", course_filter(), ("created_at", admin.DateFieldListFilter))
    indexed_search = (
        ("post_id", "exact"),
        ("comment_thread_id", "exact"),
        ("author_id", "exact"),
        ("course_id", "exact"),
    )
    search_help_text = "A post or thread id, an author's user id, or a course key."
