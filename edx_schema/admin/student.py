"""Admin for users and the ``student`` and ``user_api`` tables, and the learner page."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import urlencode

from ..models import (
    AnonymousUserId,
    CourseEnrollment,
    GeneratedCertificate,
    PersistentCourseGrade,
    PersistentSubsectionGrade,
    StudentModule,
    UserCourseTag,
    UserIdMap,
    UserProfile,
)
from .base import LargeTableAdmin, csv_export_action
from .display import course_filter, formatted_json, learner_column, learner_link

admin.site.unregister(User)


@admin.register(User)
class LearnerAdmin(LargeTableAdmin, UserAdmin):
    """Django's user admin, fit for a million learners, with a link to each learner's page."""

    list_display = ("username", "email", "first_name", "last_name", "is_staff", "date_joined", "learner")
    list_filter = ()  # is_staff, is_active and the others have no index in auth_user
    ordering = ("-id",)
    indexed_search = (("id", "id"), ("username", "prefix"), ("email", "prefix"))
    search_help_text = "A user id, or the start of a username or an e-mail address."

    @admin.display(description="learner page")
    def learner(self, obj: User) -> str:
        return learner_link(obj.pk, "open")

    def get_urls(self):
        view = self.admin_site.admin_view(self.learner_view)
        return [path("<int:user_id>/learner/", view, name="edx_schema_learner"), *super().get_urls()]

    def learner_view(self, request, user_id: int):
        """One learner's profile, enrollments, certificates, grades and overrides, on one page.

        A fixed number of queries whatever the learner's data: each table is read once, and
        the subsection grades with their overrides in one join.
        """
        if not self.has_view_permission(request):
            raise PermissionDenied
        user = get_object_or_404(User, pk=user_id)
        enrollments = list(CourseEnrollment.objects.filter(user=user).order_by("course_id"))
        course_grades = list(PersistentCourseGrade.objects.filter(user_id=user.pk).order_by("course_id"))
        courses = sorted({e.course_id for e in enrollments} | {g.course_id for g in course_grades}, key=str)
        # By (course_id, user_id): the table's indexes lead with the course, not the user.
        subsections = list(
            PersistentSubsectionGrade.objects.filter(course_id__in=courses, user_id=user.pk)
            .select_related("override")
            .order_by("course_id", "usage_key")
        )
        modules = (
            StudentModule.objects.filter(student=user)
            .values("course_id")
            .annotate(rows=Count("id"))
            .order_by("course_id")
        )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Learner {user.username} ({user.pk})",
            "learner": user,
            "profile": UserProfile.objects.filter(user=user).first(),
            "enrollments": enrollments,
            "certificates": list(GeneratedCertificate.objects.filter(user=user).order_by("course_id")),
            "course_grades": course_grades,
            "subsections": subsections,
            "modules": [
                {
                    **row,
                    "url": reverse("admin:edx_schema_studentmodule_changelist")
                    + "?"
                    + urlencode({"student__id__exact": user.pk, "course_id": row["course_id"]}),
                }
                for row in modules
            ],
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/edx_schema/learner.html", context)


@admin.register(UserProfile)
class UserProfileAdmin(LargeTableAdmin):
    list_display = (
        "id",
        learner_column(),
        "name",
        "gender",
        "year_of_birth",
        "level_of_education",
        "country",
    )
    list_filter = ("gender", "level_of_education")
    raw_id_fields = ("user",)
    readonly_fields = (formatted_json("meta", "meta (formatted)"),)
    indexed_search = (("user_id", "id"), ("name", "prefix"))
    search_help_text = "A user id, or the start of a full name."


@admin.register(CourseEnrollment)
class CourseEnrollmentAdmin(LargeTableAdmin):
    list_display = ("id", learner_column(), "course_id", "mode", "is_active", "created")
    list_filter = (course_filter(), ("created", admin.DateFieldListFilter))
    raw_id_fields = ("user",)
    indexed_search = (("user_id", "id"), ("course_id", "exact"))
    search_help_text = "A user id or a course key."
    actions = [
        csv_export_action("user_id", "course_id", "mode", "is_active", "created", filename="enrollments.csv")
    ]


@admin.register(AnonymousUserId)
class AnonymousUserIdAdmin(LargeTableAdmin):
    list_display = ("id", learner_column(), "anonymous_user_id", "course_id")
    list_filter = (course_filter(),)
    raw_id_fields = ("user",)
    indexed_search = (("anonymous_user_id", "exact"), ("user_id", "id"), ("course_id", "exact"))
    search_help_text = "An anonymous user id, a user id or a course key."


@admin.register(UserIdMap)
class UserIdMapAdmin(LargeTableAdmin):
    list_display = ("hash_id", learner_column(), "username")
    raw_id_fields = ("user",)
    ordering = ("hash_id",)
    indexed_search = (("hash_id", "exact"), ("user_id", "id"))
    search_help_text = "A hash id or a user id."


@admin.register(UserCourseTag)
class UserCourseTagAdmin(LargeTableAdmin):
    list_display = ("id", learner_column(), "course_id", "key", "value")
    list_filter = (course_filter(),)
    raw_id_fields = ("user",)
    indexed_search = (("user_id", "id"), ("key", "exact"), ("course_id", "exact"))
    search_help_text = "A user id, a tag key or a course key."
