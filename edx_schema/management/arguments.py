"""Command-line values shared by the management commands, refused with a message naming the option."""

from __future__ import annotations

from django.core.management.base import CommandError
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey, UsageKey


def course_key(value: str, *, option: str = "--course") -> CourseKey:
    """A course key in either format, or a CommandError that names the option and the value."""
    try:
        return CourseKey.from_string(value)
    except InvalidKeyError:
        raise CommandError(
            f"{option} {value!r} is not a course key (course-v1:Org+Number+Run or Org/Number/Run)."
        ) from None


def usage_key(value: str, *, option: str = "--usage-key") -> UsageKey:
    """A usage key in either format, or a CommandError that names the option and the value."""
    try:
        return UsageKey.from_string(value)
    except InvalidKeyError:
        raise CommandError(
            f"{option} {value!r} is not a usage key (block-v1:Org+Number+Run+type@sequential+block@id "
            "or i4x://Org/Number/sequential/id)."
        ) from None
