"""Admin for the course wiki, teams, language-proficiency and e-mail opt-in tables."""

from __future__ import annotations

from django.contrib import admin

from ..admin_site import Area
from ..models import (
    Article,
    ArticleRevision,
    CourseTeam,
    CourseTeamMembership,
    EmailOptIn,
    LanguageProficiency,
)
from .base import LargeTableAdmin
from .display import course_filter, learner_column


@admin.register(Article)
class ArticleAdmin(LargeTableAdmin):
    area = Area.COURSE_CONTENT
    list_display = (
        "id",
        "current_revision_id",
        learner_column("owner_id"),
        "group_id",
        "created",
        "modified",
    )
    raw_id_fields = ("current_revision", "group", "owner")
    indexed_search = (("id", "id"), ("owner_id", "id"), ("current_revision_id", "id"))
    search_help_text = "An article id, an owner's user id or a revision id."


@admin.register(ArticleRevision)
class ArticleRevisionAdmin(LargeTableAdmin):
    area = Area.COURSE_CONTENT
    list_display = ("id", "article_id", "revision_number", "title", learner_column(), "created", "deleted")
    raw_id_fields = ("article", "previous_revision", "user")
    indexed_search = (("article_id", "id"), ("user_id", "id"))
    search_help_text = "An article id or an editor's user id."


@admin.register(LanguageProficiency)
class LanguageProficiencyAdmin(LargeTableAdmin):
    area = Area.USERS
    list_display = ("id", "user_profile_id", "code")
    raw_id_fields = ("user_profile",)
    indexed_search = (("user_profile_id", "id"), ("code", "exact"))
    search_help_text = "A user profile id or a language code."


@admin.register(CourseTeam)
class CourseTeamAdmin(LargeTableAdmin):
    area = Area.FORUM
    list_display = ("id", "team_id", "name", "course_id", "topic_id", "team_size", "last_activity_at")
    list_filter = (course_filter(), ("last_activity_at", admin.DateFieldListFilter))
    indexed_search = (
        ("team_id", "exact"),
        ("discussion_topic_id", "exact"),
        ("course_id", "exact"),
        ("topic_id", "exact"),
        ("name", "prefix"),
    )
    search_help_text = (
        "A team id, a discussion topic id, a course key, a topic id or the start of a team name."
    )


@admin.register(CourseTeamMembership)
class CourseTeamMembershipAdmin(LargeTableAdmin):
    area = Area.FORUM
    list_display = ("id", learner_column(), "team_id", "date_joined", "last_activity_at")
    raw_id_fields = ("team", "user")
    indexed_search = (("user_id", "id"), ("team_id", "id"))
    search_help_text = "A user id or a team id (teams_courseteam.id)."


@admin.register(EmailOptIn)
class EmailOptInAdmin(LargeTableAdmin):
    area = Area.USERS
    list_display = (
        "id",
        "org",
        learner_column(),
        "email",
        "course_id",
        "is_opted_in_for_email",
        "preference_recorded",
        "preference_set_datetime",
    )
    list_filter = (course_filter(),)
    raw_id_fields = ("user",)
    indexed_search = (("user_id", "id"), ("email", "exact"), ("course_id", "exact"))
    search_help_text = "A user id, an e-mail address or a course key."
    extra_lookups = ("user__id__exact",)
