"""Research queries: a course's learners without its staff, and learners the LMS retired.

Both return querysets, so they compose with any other filter, ``count()`` or ``values()``.

Staff are the holders of a course-access role (``student_courseaccessrole``) in the course, or
in its whole org (a row with an empty ``course_id``; the exporter never writes those, but a
database filled from elsewhere may hold them; the org is matched in any case, as ``org`` may
differ in case from the course key's), and the course's forum moderators and administrators
(``django_comment_client_role_users``). A ``Student`` forum role is every learner's, and a
``Community TA`` is a learner trusted with moderation: neither makes a staff member, unless the
caller says so with ``forum_roles``.

A retired learner's username and e-mail address are overwritten by the LMS with hashes:
``retired__user_{sha1 hex}`` and ``retired__user_{sha1 hex}@retired.invalid`` (its settings
``RETIRED_USERNAME_FMT`` and ``RETIRED_EMAIL_FMT``); the rows are kept, and the exporter ships
them as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from opaque_keys.edx.django.models import CourseKeyField
from opaque_keys.edx.keys import CourseKey

from .. import keys
from ..models import CourseAccessRole, CourseEnrollment, ForumRoleUser
from ..models.roles import FORUM_ROLE_CHOICES

#: The LMS's default ``RETIRED_USERNAME_PREFIX`` and ``RETIRED_EMAIL_PREFIX``, edX's own.
RETIRED_PREFIX = "retired__user_"
#: The LMS's default ``RETIRED_EMAIL_DOMAIN``.
RETIRED_EMAIL_DOMAIN = "retired.invalid"
#: The hash in a retired value: a SHA-1 hex digest (edx-platform's ``user_util``).
_HASH = "[0-9a-f]{40}"
RETIRED_USERNAME = re.compile(f"{RETIRED_PREFIX}{_HASH}")
RETIRED_EMAIL = re.compile(f"{RETIRED_PREFIX}{_HASH}@{re.escape(RETIRED_EMAIL_DOMAIN)}")

#: The forum roles that make a staff member: the LMS's discussion admins and moderators.
STAFF_FORUM_ROLES = ("Administrator", "Moderator")
FORUM_ROLES = frozenset(name for name, _label in FORUM_ROLE_CHOICES)


def is_retired(*, username: str | None = None, email: str | None = None) -> bool:
    """Whether ``username`` or ``email`` is a value the LMS gives a learner it retires.

    Either is enough: a credit eligibility row, for one, has the username alone. Exact: a
    username that merely starts with ``retired__user_`` is a learner's own choice.
    """
    return bool(
        (username is not None and RETIRED_USERNAME.fullmatch(username))
        or (email is not None and RETIRED_EMAIL.fullmatch(email))
    )


def _retired(field: str, pattern: re.Pattern[str]) -> Q:
    """``field`` holds a retired value: a range of its index, then the exact, case-sensitive pattern.

    The range lets MySQL and SQLite read ``auth_user``'s unique index on the column; the
    pattern (``REGEXP BINARY`` on MariaDB) is what decides, whatever the column's collation.
    """
    return Q(
        **{
            f"{field}__gte": RETIRED_PREFIX,
            f"{field}__lt": RETIRED_PREFIX + "\U0010ffff",
            f"{field}__regex": f"^{pattern.pattern}$",
        }
    )


#: Users whose username or e-mail address is a retired one (the condition of :func:`is_retired`).
RETIRED = _retired("username", RETIRED_USERNAME) | _retired("email", RETIRED_EMAIL)


def retired_learners() -> QuerySet:
    """Every user the LMS retired, recognised by the username or e-mail address it gave them."""
    return get_user_model().objects.filter(RETIRED)


def course_access_roles(*, course_id: str | CourseKey) -> QuerySet[CourseAccessRole]:
    """The course-access roles of ``course_id``'s staff: the course's own, and its org's."""
    key = keys.course_key(course_id)
    org_wide = Q(course_id=CourseKeyField.Empty, org__iexact=key.org)  # course_id '' (read back as None)
    return CourseAccessRole.objects.filter(Q(course_id=key) | org_wide)


def learners_without_staff(
    *,
    course_id: str | CourseKey,
    include_retired: bool = True,
    forum_roles: Iterable[str] = STAFF_FORUM_ROLES,
) -> QuerySet:
    """The users enrolled in ``course_id`` (an enrollment row, active or not), its staff left out.

    Staff are the holders of any course-access role in the course or its org, and of the forum
    roles ``forum_roles`` (administrators and moderators; add ``"Community TA"`` or
    ``"Group Moderator"`` to leave those out too). ``include_retired=False`` leaves out the
    learners the LMS retired (:func:`retired_learners`).
    """
    key = keys.course_key(course_id)
    roles = sorted(set(forum_roles))
    unknown = [name for name in roles if name not in FORUM_ROLES]
    if unknown:
        raise ValueError(f"Unknown forum role(s) {unknown}: the LMS's are {sorted(FORUM_ROLES)}.")
    enrolled = CourseEnrollment.objects.filter(course_id=key).values("user_id")
    forum_staff = ForumRoleUser.objects.filter(role__course_id=key, role__name__in=roles).values("user_id")
    learners = (
        get_user_model()
        .objects.filter(pk__in=enrolled)
        .exclude(pk__in=course_access_roles(course_id=key).values("user_id"))
        .exclude(pk__in=forum_staff)
    )
    return learners if include_retired else learners.exclude(RETIRED)
