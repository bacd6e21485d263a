"""Course and usage keys given by a caller (a service's argument, a command's option, a form).

Every layer parses them here, so a key that does not parse is always the same
:class:`~edx_schema.errors.InvalidKeyError`, whose message quotes the value and names the two
formats. (A package member's keys are checked by its decoders, which say where in the file.)
Pure: opaque-keys only, no Django.
"""

from __future__ import annotations

from typing import TypeVar

from opaque_keys import InvalidKeyError as OpaqueKeyError
from opaque_keys.edx.keys import CourseKey, UsageKey

from .errors import InvalidKeyError, shown

COURSE_KEY_FORMATS = "course-v1:Org+Number+Run or Org/Number/Run"
USAGE_KEY_FORMATS = "block-v1:Org+Number+Run+type@sequential+block@id or i4x://Org/Number/sequential/id"

Key = TypeVar("Key", CourseKey, UsageKey)


def course_key(value: str | CourseKey) -> CourseKey:
    """``value`` as a course key, in either format, or InvalidKeyError naming the value."""
    return _parse(CourseKey, value, key_type="course key", formats=COURSE_KEY_FORMATS)


def usage_key(value: str | UsageKey) -> UsageKey:
    """``value`` as a usage key, in either format, or InvalidKeyError naming the value."""
    return _parse(UsageKey, value, key_type="usage key", formats=USAGE_KEY_FORMATS)


def _parse(key_class: type[Key], value: object, *, key_type: str, formats: str) -> Key:
    if isinstance(value, key_class):
        return value
    try:
        if not isinstance(value, str):
            raise TypeError(value)
        return key_class.from_string(value)
    except (OpaqueKeyError, ValueError, TypeError):  # opaque-keys raises all three
        raise InvalidKeyError(
            f"{shown(value)} is not a {key_type} ({formats})", key_type=key_type, key=value
        ) from None
