"""``course_groups`` tables: cohorts and the learners in them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from opaque_keys.edx.django.models import CourseKeyField

from .user_link import unconstrained_link, unconstrained_user

#: ``cohort`` is the only group type the LMS defines.
GROUP_TYPE_CHOICES: tuple[tuple[str, str], ...] = (("cohort", "Cohort"),)


class CourseUserGroup(models.Model):
    """A named group of learners in a course run; in practice always a cohort.

    Table ``course_groups_courseusergroup``. The research export gives a cohort's ``name`` and
    ``group_type`` with each membership, so empty cohorts are never exported.

    .. no_pii:
    """

    name = models.CharField(max_length=255, help_text="The cohort's name, as an instructor typed it.")
    course_id = CourseKeyField(max_length=255, db_index=True, help_text="The course run.")
    group_type = models.CharField(
        max_length=20, choices=GROUP_TYPE_CHOICES, default="cohort", help_text="Always cohort."
    )
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="CourseUserGroupUsers",
        related_name="+",
        help_text="The learners in the group, as the LMS's link table lists them.",
    )

    class Meta:
        db_table = "course_groups_courseusergroup"
        constraints = [
            models.UniqueConstraint(
                fields=["name", "course_id"], name="course_groups_courseusergroup_name_course_id_uniq"
            )
        ]
        verbose_name = "course user group"

    def __str__(self) -> str:
        return f"{self.name} in {self.course_id}"


class CohortMembership(models.Model):
    """The one cohort a learner is in for a course run.

    Table ``course_groups_cohortmembership``. Learners move between cohorts, so a week's file
    replaces the course's memberships.

    .. no_pii:
    """

    course_user_group = models.ForeignKey(
        CourseUserGroup, on_delete=models.CASCADE, related_name="memberships", help_text="The cohort."
    )
    # The unique key on (user_id, course_id) already indexes user_id first.
    user = unconstrained_user(help_text="The learner", db_index=False)
    course_id = CourseKeyField(max_length=255, help_text="The course run, the cohort's own.")

    class Meta:
        db_table = "course_groups_cohortmembership"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "course_id"], name="course_groups_cohortmembership_user_id_course_id_uniq"
            )
        ]
        verbose_name = "cohort membership"

    def __str__(self) -> str:
        return f"{self.user_id} in cohort {self.course_user_group_id}"


class CourseUserGroupUsers(models.Model):
    """One learner in a cohort: the LMS's ``CourseUserGroup.users`` link table.

    Table ``course_groups_courseusergroup_users``. The LMS keeps it in step with
    ``course_groups_cohortmembership`` (``CohortMembership.save()``), so the research export's
    membership rows fill both.

    .. no_pii:
    """

    courseusergroup = unconstrained_link(
        CourseUserGroup,
        related_name="user_links",
        # The unique key on (courseusergroup_id, user_id) already indexes courseusergroup_id first.
        db_index=False,
        help_text="The cohort (course_groups_courseusergroup.id)",
    )
    user = unconstrained_user(help_text="The learner")

    class Meta:
        db_table = "course_groups_courseusergroup_users"
        constraints = [
            models.UniqueConstraint(
                fields=["courseusergroup", "user"],
                name="course_groups_courseusergroup_users_uniq",
            )
        ]
        verbose_name = "course user group user"

    def __str__(self) -> str:
        return f"{self.user_id} in cohort {self.courseusergroup_id}"
