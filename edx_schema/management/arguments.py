"""Command-line values shared by the management commands, refused with a message naming the option."""

from __future__ import annotations

from django.core.management.base import CommandError
from opaque_keys.edx.keys import CourseKey, UsageKey

from edx_schema import keys
from edx_schema.errors import InvalidKeyError


def course_key(value: str, *, option: str = "--course") -> CourseKey:
    """A course key in either format, or a CommandError that names the option and the value."""
    try:
        return keys.course_key(value)
    except InvalidKeyError as error:
        raise CommandError(f"{option} {error}.") from None


def usage_key(value: str, *, option: str = "--usage-key") -> UsageKey:
    """A usage key in either format, or a CommandError that names the option and the value."""
    try:
        return keys.usage_key(value)
    except InvalidKeyError as error:
        raise CommandError(f"{option} {error}.") from None
