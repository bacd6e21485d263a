"""Admin for each course's grading policy and outline, and the course page."""

from __future__ import annotations

from collections.abc import Mapping

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Model, OuterRef, QuerySet, Subquery
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from ..admin_site import Area
from ..errors import EdxSchemaError
from ..models import (
    CohortMembership,
    CourseAccessRole,
    CourseBlock,
    CourseContentBlock,
    CourseTeam,
    CourseTeamMembership,
    CourseUserGroup,
    ForumRole,
    ForumRoleUser,
    GradingPolicy,
    PersistentCourseGrade,
    TrackingEvent,
)
from ..services.outline import outline_possibles
from ..services.recompute import CourseResult, recompute_course
from ..services.research import course_access_roles
from .base import LargeTableAdmin, may_view
from .display import course_filter, formatted_json
from .events import course_events_chart
from .sections import Column, TableSection, link_to_learner, link_to_list, render_all


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
        """The course's grading policy, graded subsections, grade distribution, tracking-log
        events per day, staff by role, and the sizes of its cohorts and teams (:data:`COURSE_TABLES`).

        Each section needs the view permission of its tables (course blocks, course grades,
        roles, cohorts, teams), as those tables' own lists do; a table the user may not view is
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
            "events": may_view(request, self.admin_site, TrackingEvent),
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
        if allowed["events"]:
            # ?events_from=&events_to= (UTC days); else the course's last days with events.
            context["events_chart"] = course_events_chart(course_id, request.GET)
        context["tables"] = render_all(COURSE_TABLES, request, self.admin_site, policy.course_id)
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


def _of_course(course_key, row) -> dict[str, str]:
    """A section's "more" filter: the course's rows of the table's list (its course filter)."""
    return {"course_id": str(course_key)}


def _staff(course_key) -> QuerySet:
    """The course's access roles and its org's, each with the username where auth_user has it
    (staff need not be in the package's auth_user file: no join that would drop them)."""
    usernames = get_user_model().objects.filter(pk=OuterRef("user_id")).values("username")
    return (
        course_access_roles(course_id=course_key)
        .annotate(username=Subquery(usernames))
        .order_by("role", "user_id", "course_id")
    )


def _sizes(
    *,
    key: str,
    title: str,
    what: str,
    model: type[Model],
    members: type[Model],
    lookup: str,
    columns: tuple[Column, ...],
    leave_out: Mapping[str, object] | None = None,
) -> TableSection:
    """A section of the course's groups (``model``: forum roles, cohorts, teams) in the order of
    ``columns``, each with its member count (``members`` rows), linked to its members' list."""
    names = tuple(column.field for column in columns)

    def rows(course_key) -> QuerySet:
        groups = model.objects.filter(course_id=course_key).exclude(**(leave_out or {}))
        return groups.values("id", *names).annotate(members=Count("memberships")).order_by(*names, "id")

    return TableSection(
        key=key,
        title=title,
        what=what,
        models=(model, members),
        columns=(*columns, Column("Members", "members", link=link_to_list(members, lookup, "id"))),
        rows=rows,
        more=_of_course,
        fields=("id",),
    )


#: The course page's table sections, after its grading sections.
COURSE_TABLES = (
    TableSection(
        key="staff",
        title="Staff by role",
        what="course access roles",
        models=(CourseAccessRole, get_user_model()),
        columns=(
            Column("Role", "role"),
            Column("User id", "user_id", link=link_to_learner("user_id")),
            Column("Username", "username", empty="(not in auth_user)"),
            Column("Scope", "course_id", empty="the whole org"),
        ),
        rows=_staff,
        more=_of_course,
    ),
    # Every learner holds the Student forum role: the other roles are the staff's.
    _sizes(
        key="forum-staff",
        title="Forum staff",
        what="forum roles",
        model=ForumRole,
        members=ForumRoleUser,
        lookup="role__id__exact",
        columns=(Column("Role", "name"),),
        leave_out={"name": "Student"},
    ),
    _sizes(
        key="cohort-sizes",
        title="Cohorts",
        what="cohorts",
        model=CourseUserGroup,
        members=CohortMembership,
        lookup="course_user_group__id__exact",
        columns=(Column("Cohort", "name"),),
    ),
    _sizes(
        key="team-sizes",
        title="Teams",
        what="teams",
        model=CourseTeam,
        members=CourseTeamMembership,
        lookup="team__id__exact",
        columns=(Column("Topic", "topic_id"), Column("Team", "name")),
    ),
)


@admin.register(CourseBlock)
class CourseBlockAdmin(LargeTableAdmin):
    area = Area.COURSE_CONTENT
    list_display = ("course_id", "position", "category", "display_name", "format", "graded", "weight", "due")
    list_filter = (course_filter(),)
    ordering = ("course_id", "position", "pk")  # the index's order, and a total one
    readonly_fields = (formatted_json("metadata", "metadata (formatted)"),)
    indexed_search = (("course_id", "exact"), ("usage_key", "subsection"))
    search_help_text = "A course key or a block's usage key."


@admin.register(CourseContentBlock)
class CourseContentBlockAdmin(LargeTableAdmin):
    area = Area.COURSE_CONTENT
    list_display = ("course_id", "position", "category", "usage_key", "max_score", "source")
    list_filter = (course_filter(),)
    ordering = ("course_id", "position", "pk")  # the index's order, and a total one
    readonly_fields = (
        formatted_json("settings", "settings (formatted)"),
        formatted_json("children", "children (formatted)"),
    )
    indexed_search = (("course_id", "exact"), ("usage_key", "exact"))
    search_help_text = "A course key or a block's usage key."
