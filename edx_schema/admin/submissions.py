"""Admin for the ORA ``submissions_*`` tables."""

from __future__ import annotations

from django.contrib import admin

from ..admin_site import Area
from ..models import Score, StudentItem, Submission
from .base import LargeTableAdmin
from .display import course_filter, formatted_json


@admin.register(StudentItem)
class StudentItemAdmin(LargeTableAdmin):
    area = Area.ORA
    list_display = ("id", "student_id", "course_id", "item_id", "item_type")
    list_filter = (course_filter(),)
    indexed_search = (("student_id", "exact"), ("item_id", "exact"), ("course_id", "exact"))
    search_help_text = "An anonymous student id, an item (usage) id or a course key."


@admin.register(Submission)
class SubmissionAdmin(LargeTableAdmin):
    area = Area.ORA
    list_display = ("id", "uuid", "student_item_id", "attempt_number", "submitted_at", "status")
    list_filter = (("submitted_at", admin.DateFieldListFilter), ("created_at", admin.DateFieldListFilter))
    raw_id_fields = ("student_item",)
    readonly_fields = (formatted_json("answer", "raw answer (formatted)"),)
    indexed_search = (("uuid", "exact"), ("student_item_id", "id"))
    search_help_text = "A submission uuid or a student item id."


@admin.register(Score)
class ScoreAdmin(LargeTableAdmin):
    area = Area.ORA
    list_display = (
        "id",
        "student_item_id",
        "submission_id",
        "points_earned",
        "points_possible",
        "created_at",
        "reset",
    )
    list_filter = (("created_at", admin.DateFieldListFilter),)
    raw_id_fields = ("student_item", "submission")
    indexed_search = (("student_item_id", "id"), ("submission_id", "id"))
    search_help_text = "A student item id or a submission id."
