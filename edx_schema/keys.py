"""Course and usage keys given by a caller (a service's argument, a command's option, a form).

Every layer parses them here, so a key that does not parse is always the same
:class:`~edx_schema.errors.InvalidKeyError`, whose message quotes the value and names the
formats. (A package member's keys are checked by its decoders, which say where in the file.)
Pure: opaque-keys only, no Django.
"""

from __future__ import annotations

import re
from typing import TypeVar

from opaque_keys import InvalidKeyError as OpaqueKeyError
from opaque_keys import OpaqueKey
from opaque_keys.edx.keys import CourseKey, LearningContextKey, UsageKey

from .errors import InvalidKeyError, shown

COURSE_KEY_FORMATS = "course-v1:Org+Number+Run or Org/Number/Run"
USAGE_KEY_FORMATS = "block-v1:Org+Number+Run+type@sequential+block@id or i4x://Org/Number/sequential/id"

#: What a message calls each key class, and the formats it names.
_DESCRIPTIONS: dict[type[OpaqueKey], tuple[str, str]] = {
    CourseKey: ("course key", COURSE_KEY_FORMATS),
    # A course, or a content library: the LMS tables hold courses.
    LearningContextKey: ("course key", COURSE_KEY_FORMATS),
    UsageKey: ("usage key", USAGE_KEY_FORMATS),
}

Key = TypeVar("Key", bound=OpaqueKey)


def course_key(value: str | CourseKey) -> CourseKey:
    """``value`` as a course key, in either format, or InvalidKeyError naming the value."""
    return parse(CourseKey, value)


def usage_key(value: str | UsageKey) -> UsageKey:
    """``value`` as a usage key, in either format, or InvalidKeyError naming the value."""
    return parse(UsageKey, value)


def parse(key_class: type[Key], value: object) -> Key:
    """``value`` (text, or already a key) as a ``key_class``, or InvalidKeyError naming the value."""
    if isinstance(value, key_class):
        return value
    try:
        if not isinstance(value, str):
            raise TypeError(value)
        return key_class.from_string(value)
    except (OpaqueKeyError, ValueError, TypeError):  # opaque-keys raises all three
        key_type, formats = _DESCRIPTIONS.get(key_class, (_words(key_class.__name__), ""))
        raise InvalidKeyError(
            f"{shown(value)} is not a {key_type}" + (f" ({formats})" if formats else ""),
            key_type=key_type,
            key=value,
        ) from None


def _words(name: str) -> str:
    """``BlockTypeKey`` -> ``block type key``."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()
