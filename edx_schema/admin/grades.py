"""Admin for the ``grades`` tables; subsection overrides are editable, with their history."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from ..models import (
    GradingPolicy,
    PersistentCourseGrade,
    PersistentSubsectionGrade,
    PersistentSubsectionGradeOverride,
    VisibleBlocks,
)
from ..services.recompute import recompute_course
from .base import HistoryAdmin, LargeTableAdmin, csv_export_action, may_view
from .display import course_filter, formatted_json, learner_column


@admin.register(VisibleBlocks)
class VisibleBlocksAdmin(LargeTableAdmin):
    list_display = ("id", "hashed", "course_id")
    list_filter = (course_filter(),)
    readonly_fields = (formatted_json("blocks_json", "blocks (formatted)"),)
    indexed_search = (("hashed", "exact"), ("course_id", "exact"))
    search_help_text = "A visible-blocks hash or a course key."


@admin.register(PersistentSubsectionGrade)
class PersistentSubsectionGradeAdmin(LargeTableAdmin):
    list_display = (
        "id",
        learner_column(),
        "course_id",
        "usage_key",
        "earned_graded",
        "possible_graded",
        "overridden",
        "first_attempted",
    )
    list_filter = (
        course_filter(),
        ("first_attempted", admin.DateFieldListFilter),
        ("modified", admin.DateFieldListFilter),
    )
    list_select_related = ("override",)
    raw_id_fields = ("visible_blocks",)
    indexed_search = (("course_id", "exact"), ("usage_key", "subsection"))
    search_help_text = "A course key or a subsection's usage key (a learner's grades: the learner page)."

    def get_list_display(self, request):
        # The override column is the override table's data: only for those who may view it.
        shown = super().get_list_display(request)
        if may_view(request, self.admin_site, PersistentSubsectionGradeOverride):
            return shown
        return tuple(column for column in shown if column != "overridden")

    def get_list_select_related(self, request):
        if "overridden" not in self.get_list_display(request):
            return False  # no override column: no join
        return super().get_list_select_related(request)

    @admin.display(description="override")
    def overridden(self, obj: PersistentSubsectionGrade) -> str:
        override = getattr(obj, "override", None)
        if override is None:
            return "-"
        return f"{override.earned_graded_override}/{override.possible_graded_override}"


class OverrideForm(forms.ModelForm):
    """An override needs a reason: it goes into the history with the staff member's name."""

    class Meta:
        model = PersistentSubsectionGradeOverride
        fields = (
            "grade",
            "earned_graded_override",
            "possible_graded_override",
            "earned_all_override",
            "possible_all_override",
            "system",
            "override_reason",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["override_reason"].required = True
        self.fields["override_reason"].help_text = "Required: kept in the override's history."

    def clean(self):
        cleaned = super().clean()
        for name in (
            "earned_graded_override",
            "possible_graded_override",
            "earned_all_override",
            "possible_all_override",
        ):
            value = cleaned.get(name)
            if value is not None and value < 0:
                self.add_error(name, "Points cannot be negative.")
        return cleaned


@admin.register(PersistentSubsectionGradeOverride)
class PersistentSubsectionGradeOverrideAdmin(LargeTableAdmin, HistoryAdmin):
    """Staff overrides: editable, with a required reason; every version kept with who and why.

    Saving or deleting one recomputes the learner's course grade, as the LMS does.
    """

    form = OverrideForm
    list_display = (
        "id",
        learner_column("grade__user_id"),
        "subsection",
        "earned_graded_override",
        "possible_graded_override",
        "system",
        "override_reason",
        "modified",
    )
    list_filter = (course_filter("grade__course_id"), ("modified", admin.DateFieldListFilter))
    list_select_related = ("grade",)
    raw_id_fields = ("grade",)
    indexed_search = (("grade__usage_key", "subsection"), ("grade__course_id", "exact"))
    search_help_text = "A subsection's usage key or a course key."
    history_list_display = (
        "earned_graded_override",
        "possible_graded_override",
        "earned_all_override",
        "possible_all_override",
        "override_reason",
    )

    @admin.display(description="subsection")
    def subsection(self, obj: PersistentSubsectionGradeOverride) -> str:
        return str(obj.grade.usage_key)

    # Overrides are staff work, not imported data: editable whatever EDX_SCHEMA_ADMIN_EDITABLE says.
    def has_add_permission(self, request) -> bool:
        return admin.ModelAdmin.has_add_permission(self, request)

    def has_change_permission(self, request, obj=None) -> bool:
        return admin.ModelAdmin.has_change_permission(self, request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return admin.ModelAdmin.has_delete_permission(self, request, obj)

    def save_model(self, request, obj, form, change):
        obj._change_reason = obj.override_reason[:100]
        super().save_model(request, obj, form, change)  # SimpleHistoryAdmin records request.user
        self._recompute(request, obj.grade)

    def delete_model(self, request, obj):
        grade = obj.grade
        obj._history_user = request.user
        super().delete_model(request, obj)
        self._recompute(request, grade)

    def _recompute(self, request, grade: PersistentSubsectionGrade) -> None:
        if not GradingPolicy.objects.filter(course_id=grade.course_id).exists():
            messages.warning(
                request, f"{grade.course_id} has no grading policy: its course grades were not recomputed."
            )
            return
        recompute_course(course_id=str(grade.course_id), user_ids=[grade.user_id])
        course_grade = PersistentCourseGrade.objects.get(course_id=grade.course_id, user_id=grade.user_id)
        messages.info(
            request,
            f"Course grade of user {grade.user_id} in {grade.course_id}: "
            f"{course_grade.percent_grade:.2f} {course_grade.letter_grade or '(not passing)'}",
        )


@admin.register(PersistentCourseGrade)
class PersistentCourseGradeAdmin(LargeTableAdmin):
    list_display = (
        "id",
        learner_column(),
        "course_id",
        "percent_grade",
        "letter_grade",
        "passed_timestamp",
        "modified",
    )
    list_filter = (
        course_filter(),
        ("passed_timestamp", admin.DateFieldListFilter),
        ("modified", admin.DateFieldListFilter),
    )
    indexed_search = (("user_id", "id"), ("course_id", "exact"))
    search_help_text = "A user id or a course key."
    actions = [
        csv_export_action(
            "user_id", "course_id", "percent_grade", "letter_grade", "passed_timestamp", "modified",
            filename="course_grades.csv",
        )
    ]  # fmt: skip
