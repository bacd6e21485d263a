"""Admin for course and forum roles, cohorts, credit eligibility and legacy reverification."""

from __future__ import annotations

from django.contrib import admin

from ..admin_site import Area
from ..models import (
    CohortMembership,
    CourseAccessRole,
    CourseUserGroup,
    CreditCourse,
    CreditEligibility,
    ForumRole,
    ForumRoleUser,
    VerificationCheckpoint,
    VerificationStatus,
)
from .base import LargeTableAdmin
from .display import course_filter, learner_column


@admin.register(CourseAccessRole)
class CourseAccessRoleAdmin(LargeTableAdmin):
    area = Area.ENROLLMENT
    list_display = ("id", learner_column(), "org", "course_id", "role")
    list_filter = (course_filter(),)
    raw_id_fields = ("user",)
    indexed_search = (("user_id", "id"), ("course_id", "exact"), ("org", "exact"), ("role", "exact"))
    search_help_text = "A user id, a course key, an org or a role."
    extra_lookups = ("user__id__exact",)


@admin.register(ForumRole)
class ForumRoleAdmin(LargeTableAdmin):
    area = Area.ENROLLMENT
    list_display = ("id", "course_id", "name")
    list_filter = (course_filter(),)
    indexed_search = (("id", "id"), ("course_id", "exact"))
    search_help_text = "A role id or a course key."


@admin.register(ForumRoleUser)
class ForumRoleUserAdmin(LargeTableAdmin):
    area = Area.ENROLLMENT
    list_display = ("id", learner_column(), "role_id")
    raw_id_fields = ("role", "user")
    indexed_search = (("user_id", "id"), ("role_id", "id"))
    search_help_text = "A user id or a forum role id."
    extra_lookups = ("user__id__exact", "role__id__exact")


@admin.register(CourseUserGroup)
class CourseUserGroupAdmin(LargeTableAdmin):
    area = Area.ENROLLMENT
    list_display = ("id", "course_id", "name", "group_type")
    list_filter = (course_filter(),)
    indexed_search = (("id", "id"), ("course_id", "exact"), ("name", "prefix"))
    search_help_text = "A cohort id, a course key, or the start of a cohort's name."


@admin.register(CohortMembership)
class CohortMembershipAdmin(LargeTableAdmin):
    area = Area.ENROLLMENT
    list_display = ("id", learner_column(), "course_id", "course_user_group_id")
    raw_id_fields = ("user", "course_user_group")
    indexed_search = (("user_id", "id"), ("course_user_group_id", "id"))
    search_help_text = "A user id or a cohort id."
    extra_lookups = ("user__id__exact", "course_user_group__id__exact")


@admin.register(CreditCourse)
class CreditCourseAdmin(LargeTableAdmin):
    area = Area.CERTIFICATES
    list_display = ("id", "course_key", "enabled")
    indexed_search = (("id", "id"), ("course_key", "exact"))
    search_help_text = "A credit course id or a course key."


@admin.register(CreditEligibility)
class CreditEligibilityAdmin(LargeTableAdmin):
    area = Area.CERTIFICATES
    list_display = ("id", "username", "course_id", "deadline", "created", "modified")
    raw_id_fields = ("course",)
    indexed_search = (("username", "prefix"), ("course_id", "id"))
    search_help_text = "The start of a username, or a credit course id."
    extra_lookups = ("course__id__exact",)


@admin.register(VerificationCheckpoint)
class VerificationCheckpointAdmin(LargeTableAdmin):
    area = Area.USERS
    list_display = ("id", "course_id", "checkpoint_location")
    list_filter = (course_filter(),)
    indexed_search = (("id", "id"), ("course_id", "exact"))
    search_help_text = "A checkpoint id or a course key."


@admin.register(VerificationStatus)
class VerificationStatusAdmin(LargeTableAdmin):
    area = Area.USERS
    list_display = ("id", learner_column(), "checkpoint_id", "status", "timestamp")
    raw_id_fields = ("user", "checkpoint")
    indexed_search = (("user_id", "id"), ("checkpoint_id", "id"))
    search_help_text = "A user id or a checkpoint id."
    extra_lookups = ("user__id__exact", "checkpoint__id__exact")
