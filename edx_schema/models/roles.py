"""Course-access roles (``student_courseaccessrole``) and forum roles (``django_comment_client_role``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from opaque_keys.edx.django.models import CourseKeyField

from .user_link import unconstrained_user

#: Forum role names the LMS creates (django_comment_common); ``Group Moderator`` came later.
FORUM_ROLE_CHOICES: tuple[tuple[str, str], ...] = (
    ("Administrator", "Administrator"),
    ("Moderator", "Moderator"),
    ("Group Moderator", "Group Moderator"),
    ("Community TA", "Community TA"),
    ("Student", "Student"),
)


class CourseAccessRole(models.Model):
    """A staff role of a user in a course run or, with an empty ``course_id``, in a whole org.

    Table ``student_courseaccessrole``. Roles include ``staff``, ``limited_staff``, ``instructor``,
    ``data_researcher``, ``finance_admin``, ``sales_admin``, ``beta_testers`` and ``ccx_coach``.
    The research export has course-level rows only, with no ``id``; a revoked role vanishes from
    the next week's file. ``org`` case may differ from the course key's.

    .. no_pii:
    """

    # Staff need not be in the package's auth_user file; the unique key indexes user_id first.
    user = unconstrained_user(help_text="The staff member", db_index=False)
    org = models.CharField(
        max_length=64, blank=True, db_index=True, help_text="The organization, e.g. MITx; may differ in case."
    )
    course_id = CourseKeyField(
        max_length=255, blank=True, db_index=True, help_text="The course run; empty for an org-wide role."
    )
    role = models.CharField(max_length=64, db_index=True, help_text="The role, e.g. staff or instructor.")

    class Meta:
        db_table = "student_courseaccessrole"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "org", "course_id", "role"],
                name="student_courseaccessrole_user_id_org_course_id_role_uniq",
            )
        ]
        verbose_name = "course access role"

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} in {self.course_id or self.org}"


class ForumRole(models.Model):
    """A forum role of one course run, such as ``Moderator`` or ``Student``.

    Table ``django_comment_client_role`` (the LMS's ``Role``). The LMS has no unique key on
    (``course_id``, ``name``): it gets or creates a course's roles by them. Every enrollment adds
    its learner to the course's ``Student`` role, which is never taken away.

    .. no_pii:
    """

    name = models.CharField(max_length=30, choices=FORUM_ROLE_CHOICES, help_text="The role's name.")
    course_id = CourseKeyField(max_length=255, blank=True, db_index=True, help_text="The course run.")
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="ForumRoleUser",
        related_name="+",
        help_text="The users who hold the role.",
    )

    class Meta:
        db_table = "django_comment_client_role"
        verbose_name = "forum role"

    def __str__(self) -> str:
        return f"{self.name} in {self.course_id}"


class ForumRoleUser(models.Model):
    """One user holding one forum role: the LMS's ``Role.users`` link table.

    Table ``django_comment_client_role_users``. The research export joins it with the role and
    gives ``course_id``, ``user_id`` and the role's ``name``, with no ids.

    .. no_pii:
    """

    role = models.ForeignKey(
        ForumRole,
        on_delete=models.CASCADE,
        # The unique key on (role_id, user_id) already indexes role_id first.
        db_index=False,
        related_name="memberships",
        help_text="The forum role.",
    )
    # Indexed by (user_id, role_id) below, as in the LMS.
    user = unconstrained_user(help_text="The user", db_index=False)

    class Meta:
        db_table = "django_comment_client_role_users"
        constraints = [
            models.UniqueConstraint(
                fields=["role", "user"], name="django_comment_client_role_users_role_id_user_id_uniq"
            )
        ]
        indexes = [models.Index(fields=["user", "role"], name="django_comment_user_role_idx")]
        verbose_name = "forum role member"

    def __str__(self) -> str:
        return f"{self.user_id} in role {self.role_id}"
