"""Admin for the ``grades`` tables; subsection overrides are editable, with their history."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import transaction

from ..admin_site import Area
from ..errors import EdxSchemaError
from ..models import (
    PersistentCourseGrade,
    PersistentSubsectionGrade,
    PersistentSubsectionGradeOverride,
    VisibleBlocks,
)
from ..services.overrides import TOTALS, Correction, check_points, correct_subsection_grade
from .base import HistoryAdmin, LargeTableAdmin, csv_export_action, may_view
from .display import course_filter, formatted_json, learner_column


@admin.register(VisibleBlocks)
class VisibleBlocksAdmin(LargeTableAdmin):
    area = Area.GRADES
    list_display = ("id", "hashed", "course_id")
    list_filter = (course_filter(),)
    readonly_fields = (formatted_json("blocks_json", "blocks (formatted)"),)
    indexed_search = (("hashed", "exact"), ("course_id", "exact"))
    search_help_text = "A visible-blocks hash or a course key."


@admin.register(PersistentSubsectionGrade)
class PersistentSubsectionGradeAdmin(LargeTableAdmin):
    area = Area.GRADES
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


#: The reason recorded in the history when an override is deleted in the admin (its form has none).
DELETED_IN_THE_ADMIN = "Deleted in the admin"


class OverrideForm(forms.ModelForm):
    """An override needs a reason: it goes into the history with the staff member's name.

    Its totals are checked as the overrides service checks them (a number of points, 0 or more).
    """

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
        for name in TOTALS:
            try:
                check_points(name, cleaned.get(f"{name}_override"))
            except EdxSchemaError as error:
                self.add_error(f"{name}_override", str(error))
        return cleaned


@admin.register(PersistentSubsectionGradeOverride)
class PersistentSubsectionGradeOverrideAdmin(LargeTableAdmin, HistoryAdmin):
    """Staff overrides: editable, with a required reason; every version kept with who and why.

    Saving or deleting one goes through the overrides service, as the API and the command do:
    one history record per change, with the staff member, and the learner's course grade
    recomputed, as the LMS does. An override stays with its subsection grade (read-only once saved).
    """

    area = Area.GRADES
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

    def get_readonly_fields(self, request, obj=None):
        return ("grade",) if obj is not None else ()

    def save_model(self, request, obj, form, change):
        done = self._correct(
            request,
            obj.grade,
            reason=obj.override_reason,
            system=obj.system,
            totals={name: getattr(obj, f"{name}_override") for name in TOTALS},
        )
        # The admin logs the change and redirects to the row: the one the service saved.
        for field in obj._meta.concrete_fields:
            setattr(obj, field.attname, getattr(done.override, field.attname))
        obj._state.adding = False

    def delete_model(self, request, obj):
        self._correct(request, obj.grade, reason=DELETED_IN_THE_ADMIN, delete=True)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for override in queryset.select_related("grade"):
                self._correct(request, override.grade, reason=DELETED_IN_THE_ADMIN, delete=True)

    def _correct(self, request, grade: PersistentSubsectionGrade, **change: Any) -> Correction:
        """Change the override of ``grade`` through the service, as the request's user; report it."""
        done = correct_subsection_grade(
            user_id=grade.user_id,
            course_id=str(grade.course_id),
            usage_key=str(grade.usage_key),
            acting_user=request.user,
            **change,
        )
        after = done.course_grade_after
        if not done.recomputed:
            messages.warning(
                request, f"{grade.course_id} has no grading policy: its course grades were not recomputed."
            )
        elif after is not None:
            messages.info(
                request,
                f"Course grade of user {grade.user_id} in {grade.course_id}: "
                f"{after.percent_grade:.2f} {after.letter_grade or '(not passing)'}",
            )
        return done


@admin.register(PersistentCourseGrade)
class PersistentCourseGradeAdmin(LargeTableAdmin):
    area = Area.GRADES
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
