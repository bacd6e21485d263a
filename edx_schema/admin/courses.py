"""Admin for each course's grading policy and outline, and the course page."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from ..admin_site import Area
from ..errors import EdxSchemaError
from ..models import CourseBlock, GradingPolicy, PersistentCourseGrade
from ..services.outline import outline_possibles
from ..services.recompute import CourseResult, recompute_course
from .base import LargeTableAdmin, may_view
from .display import course_filter, formatted_json


def _report(request, result: CourseResult) -> None:
    messages.success(
        request,
        f"{result.course_id}: {result.learners} learners, {result.new} new, {result.changed} changed, "
        f"{result.unchanged} unchanged course grades.",
    )


@admin.register(GradingPolicy)
class GradingPolicyAdmin(LargeTableAdmin):
    """One row per course: the list of courses, each with its course page."""

    area = Area.COURSE_CONTENT
    list_display = ("course_id", "grading_policy_hash", "source", "modified", "course_page")
    readonly_fields = (formatted_json("raw", "grading policy (formatted)"),)
    ordering = ("course_id",)
    indexed_search = (("course_id", "exact"),)
    search_help_text = "A course key."
    actions = ["recompute_selected"]

    @admin.display(description="course page")
    def course_page(self, obj: GradingPolicy) -> str:
        return format_html('<a href="{}">open</a>', reverse("admin:edx_schema_course", args=[obj.pk]))

    @admin.action(description="Recompute the course grades of the selected courses")
    def recompute_selected(self, request, queryset):
        if not self.may_recompute(request):
            raise PermissionDenied
        for policy in queryset:
            _report(request, recompute_course(course_id=str(policy.course_id)))

    @staticmethod
    def may_recompute(request) -> bool:
        return request.user.has_perm("edx_schema.change_persistentcoursegrade")

    def get_urls(self):
        view = self.admin_site.admin_view(self.course_view)
        return [path("<int:pk>/course/", view, name="edx_schema_course"), *super().get_urls()]

    def course_view(self, request, pk: int):
        """The course's grading policy, graded subsections and grade distribution.

        The subsections and the distribution each need the view permission of their table (course
        blocks, course grades), as those tables' own lists do; a table the user may not view is
        not read, and the page says so in its place.

        POST recomputes the course's grades (for users who may change course grades).
        """
        if not self.has_view_permission(request):
            raise PermissionDenied
        policy = get_object_or_404(GradingPolicy, pk=pk)
        course_id = str(policy.course_id)
        if request.method == "POST":
            if not self.may_recompute(request):
                raise PermissionDenied
            try:
                _report(request, recompute_course(course_id=course_id))
            except EdxSchemaError as error:
                messages.error(request, str(error))
            return redirect(request.path)
        allowed = {
            "subsections": may_view(request, self.admin_site, CourseBlock),
            "distribution": may_view(request, self.admin_site, PersistentCourseGrade),
        }
        context = {
            **self.admin_site.each_context(request),
            "title": f"Course {course_id}",
            "course_id": course_id,
            "policy": policy,
            "grader": policy.grader,
            "cutoffs": sorted(policy.grade_cutoffs.items(), key=lambda kv: kv[1], reverse=True),
            "allowed": allowed,
            "may_recompute": self.may_recompute(request),
            "opts": self.model._meta,
        }
        if allowed["subsections"]:
            context["subsections"] = _graded_subsections(course_id)
        if allowed["distribution"]:
            context.update(_grade_distribution(course_id))
        return TemplateResponse(request, "admin/edx_schema/course.html", context)


def _graded_subsections(course_id: str) -> list[dict]:
    """The course's graded subsections in course order, each with its outline's possible points."""
    possibles = outline_possibles(course_id=course_id)
    return [
        {**block, "possible": possibles.get(str(block["usage_key"]))}
        for block in CourseBlock.objects.filter(course_id=course_id, category="sequential", graded=True)
        .order_by("position")
        .values("usage_key", "display_name", "format", "due")
    ]


def _grade_distribution(course_id: str) -> dict:
    """How many of the course's learners have each letter grade, and how many pass."""
    # One pass over the course's grades, through the (course_id, user_id) index.
    letters = list(
        PersistentCourseGrade.objects.filter(course_id=course_id)
        .values("letter_grade")
        .annotate(learners=Count("id"))
        .order_by("letter_grade")
    )
    total = sum(row["learners"] for row in letters)
    passing = sum(row["learners"] for row in letters if row["letter_grade"])
    for row in letters:
        row["share"] = row["learners"] / total if total else 0
    return {
        "letters": letters,
        "total": total,
        "passing": passing,
        "pass_rate": passing / total if total else None,
        "grades_url": reverse("admin:edx_schema_persistentcoursegrade_changelist")
        + "?"
        + urlencode({"course_id": course_id}),
    }


@admin.register(CourseBlock)
class CourseBlockAdmin(LargeTableAdmin):
    area = Area.COURSE_CONTENT
    list_display = ("course_id", "position", "category", "display_name", "format", "graded", "weight", "due")
    list_filter = (course_filter(),)
    ordering = ("course_id", "position", "pk")  # the index's order, and a total one
    readonly_fields = (formatted_json("metadata", "metadata (formatted)"),)
    indexed_search = (("course_id", "exact"), ("usage_key", "subsection"))
    search_help_text = "A course key or a block's usage key."
