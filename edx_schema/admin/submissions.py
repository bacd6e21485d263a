"""Admin for the ORA ``submissions_*`` tables."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.text import Truncator

from ..admin_site import Area
from ..models import AnonymousUserId, Score, StudentItem, Submission
from .base import NO_MATCH, LargeTableAdmin, as_field_value
from .display import course_filter, formatted_json


@admin.register(StudentItem)
class StudentItemAdmin(LargeTableAdmin):
    area = Area.ORA
    list_display = ("id", "student_id", "course_id", "item_id", "item_type")
    list_filter = (course_filter(),)
    indexed_search = (("student_id", "exact"), ("item_id", "exact"), ("course_id", "exact"))
    search_help_text = "An anonymous student id, an item (usage) id or a course key."


class LearnerFilter(admin.SimpleListFilter):
    """A learner's submissions (``?learner=<user id>``), under each of their per-course anonymous
    ids: the learner page's link to all of them, whatever courses they are in.

    Shown only while it filters, its one choice that learner: offering every learner would read
    auth_user whole.
    """

    title = "learner"
    parameter_name = "learner"

    def lookups(self, request, model_admin):
        value = self.value()
        return [(value, f"user {value}")] if value else []

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        user_id = as_field_value(AnonymousUserId._meta.get_field("user"), value)
        if user_id is NO_MATCH:  # a hand-written URL: say why the list is empty, never a 500
            messages.warning(request, f"“{Truncator(value).chars(80)}” is not a user id: nothing matches it.")
            return queryset.none()
        # In steps, each through an index (a learner has a few ids and items): as one join,
        # MariaDB may read the submissions whole.
        anonymous = list(
            AnonymousUserId.objects.filter(user_id=user_id).values_list("anonymous_user_id", flat=True)
        )
        items = list(StudentItem.objects.filter(student_id__in=anonymous).values_list("id", flat=True))
        return queryset.filter(student_item_id__in=items)


@admin.register(Submission)
class SubmissionAdmin(LargeTableAdmin):
    area = Area.ORA
    list_display = ("id", "uuid", "student_item_id", "attempt_number", "submitted_at", "status")
    list_filter = (
        LearnerFilter,
        ("submitted_at", admin.DateFieldListFilter),
        ("created_at", admin.DateFieldListFilter),
    )
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
