"""``teams`` tables: the teams of a course and their members."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from opaque_keys.edx.django.models import CourseKeyField

from .user_link import unconstrained_user


class CourseTeam(models.Model):
    """A team that learners of a course formed or joined, within one topic (team-set).

    Table ``teams_courseteam``. ``discussion_topic_id`` is the ``commentable_id`` of the team's
    forum discussion. ``country`` and ``language`` are empty when not set.

    .. pii: the name and description the team's learners typed.
    .. pii_types: other
    .. pii_retirement: retained
    """

    team_id = models.CharField(max_length=255, unique=True, help_text="The team's public slug id.")
    discussion_topic_id = models.CharField(
        max_length=255, unique=True, help_text="The team discussion's commentable id."
    )
    name = models.CharField(max_length=255, db_index=True, help_text="The team's name. PII.")
    course_id = CourseKeyField(max_length=255, db_index=True, help_text="The course run.")
    topic_id = models.CharField(
        max_length=255, db_index=True, blank=True, help_text="The topic (team-set) id the team belongs to."
    )
    date_created = models.DateTimeField(default=timezone.now, help_text="When the team was created (UTC).")
    description = models.CharField(max_length=300, help_text="The team's description. PII.")
    country = models.CharField(max_length=2, blank=True, help_text="Two-letter country code; empty if none.")
    language = models.CharField(max_length=16, blank=True, help_text="Language code; empty if none.")
    last_activity_at = models.DateTimeField(
        db_index=True, help_text="When a member last posted or joined (UTC)."
    )
    team_size = models.IntegerField(default=0, db_index=True, help_text="The number of members.")
    organization_protected = models.BooleanField(
        default=False,
        help_text="Whether the team is for learners of a protected organization (files before "
        "November 2019 lack the column: false).",
    )

    class Meta:
        db_table = "teams_courseteam"
        verbose_name = "course team"

    def __str__(self) -> str:
        return f"{self.name} ({self.team_id})"


class CourseTeamMembership(models.Model):
    """One learner's membership of one team; a learner who leaves loses the row.

    Table ``teams_courseteammembership``.

    .. no_pii:
    """

    date_joined = models.DateTimeField(default=timezone.now, help_text="When the learner joined (UTC).")
    last_activity_at = models.DateTimeField(help_text="When the learner was last active in the team (UTC).")
    team = models.ForeignKey(
        CourseTeam,
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="memberships",
        help_text="The team (teams_courseteam.id).",
    )
    # The unique (user_id, team_id) key already indexes user_id first.
    user = unconstrained_user(help_text="The learner", db_index=False)

    class Meta:
        db_table = "teams_courseteammembership"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "team"], name="teams_courseteammembership_user_id_team_id_uniq"
            )
        ]
        verbose_name = "course team membership"

    def __str__(self) -> str:
        return f"{self.user_id} in team {self.team_id}"
