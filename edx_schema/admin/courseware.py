"""Admin for ``courseware_studentmodule``, the biggest table of a package."""

from __future__ import annotations

from django.contrib import admin

from ..admin_site import Area
from ..models import StudentModule
from .base import LargeTableAdmin
from .display import course_filter, formatted_json, learner_column


@admin.register(StudentModule)
class StudentModuleAdmin(LargeTableAdmin):
    area = Area.COURSEWARE
    list_display = (
        "id",
        learner_column("student_id"),
        "course_id",
        "module_state_key",
        "module_type",
        "grade",
        "max_grade",
        "modified",
    )
    list_filter = (
        "module_type",
        "done",
        course_filter(),
        ("modified", admin.DateFieldListFilter),
        ("created", admin.DateFieldListFilter),
    )
    raw_id_fields = ("student",)
    readonly_fields = (formatted_json("state", "state (formatted)"),)
    indexed_search = (("student_id", "id"), ("module_state_key", "exact"), ("course_id", "exact"))
    search_help_text = "A student (user) id, a block's usage key, or a course key."
    extra_lookups = ("student__id__exact",)
