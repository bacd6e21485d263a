"""What an event is about: its course, org, block and family, from the fields that name them.

Research queries select by course and block, but an event names them in many ways: the
context's ``course_id`` (absent before 2014), the course in the ``page`` URL or in the path of an
implicit event, ``context.module.usage_key``, a payload's ``problem_id``/``block_id``/``id``,
or a video's HTML id. These rules follow edx2bigquery's ``guess_course_id`` and MIT's
``extract_course_id``, narrowed to what can be read without the course's outline.

Pure: no Django import.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from .bad import BadLine, kind_of
from .families import FAMILY_OF_TYPE, FAMILY_PREFIXES, IMPLICIT, OTHER, VIDEO

_WIDTH = 255
# A course key in a URL path: /courses/course-v1:Org+Number+Run/... or /courses/Org/Number/Run/...
_URL_COURSE = re.compile(
    r"/courses/((?:course-v1|ccx-v1):[\w.~%+-]+|[\w.~%-]+/[\w.~%:-]+/[\w.~%:-]+)(?=[/?#]|$)"
)
_KEY = re.compile(r"(?:block-v1|i4x|lib-block-v1|ccx-block-v1):")
# The usage key in a handler URL: /courses/{course}/xblock/{usage key}/handler/...
_XBLOCK_URL = re.compile(r"/xblock/((?:block-v1|i4x|ccx-block-v1):[^/?#\s]+)")
_HEX_ID = re.compile(r"[0-9a-fA-F]{32}")
_PAYLOAD_KEYS = ("problem_id", "block_id", "usage_key", "module_id", "id")
_QUOTED_KEYS = tuple((field, f'"{field}"') for field in _PAYLOAD_KEYS)
# A string value after a member name: ': "..."'.
_STRING_VALUE = re.compile(r'[ \t]*:[ \t]*"((?:[^"\\]|\\.)*)"')


def course_of(context: dict[str, Any], *, page: str | None, event_type: str) -> str:
    """The event's course: ``context.course_id``, else the course in its page, path or type."""
    course = context.get("course_id")
    if course is not None and course.__class__ is not str:
        raise BadLine(
            f"context.course_id is {kind_of(course)}, not a string", field="context.course_id", value=course
        )
    if course:
        return course
    path = context.get("path")
    for text in (page, event_type, path if path.__class__ is str else None):
        if text and "/courses/" in text:
            match = _URL_COURSE.search(text)
            if match and len(match.group(1)) <= _WIDTH:
                return match.group(1)
    return ""


@functools.lru_cache(maxsize=4096)
def org_of(course_id: str) -> str:
    """The org of a course key in either format (``""`` for none)."""
    if course_id.startswith(("course-v1:", "ccx-v1:")):
        return course_id.split(":", 1)[1].split("+", 1)[0]
    return course_id.split("/", 1)[0] if "/" in course_id else ""


def family_of(event_type: str, name: str | None, source: str | None) -> str:
    """Which family of research queries an event belongs to (see :mod:`.families`)."""
    family = FAMILY_OF_TYPE.get(event_type)
    if family is not None:
        return family
    if event_type.startswith("/"):
        return IMPLICIT
    for candidate in (event_type, name or ""):
        for prefix, family in FAMILY_PREFIXES:
            if candidate.startswith(prefix):
                return family
    return OTHER


def block_of(
    payload: Any, context: dict[str, Any], *, event_type: str, course_id: str, family: str
) -> str | None:
    """The usage key the event names, or None.

    In order: ``context.module.usage_key``; the payload's ``problem_id``, ``block_id``,
    ``usage_key``, ``module_id`` or ``id`` when it is a usage key (browser payloads are JSON
    strings and are decoded for it); a video's HTML id (``i4x-Org-Number-video-{id}`` or a bare
    32-hex id) as the video's key in the course's key format; the key in a handler URL.
    """
    module = context.get("module")
    if module.__class__ is dict:
        key = module.get("usage_key")
        if key.__class__ is str and _KEY.match(key):
            return _fit(key)
    if payload.__class__ is str and payload.startswith("{") and family != IMPLICIT:
        # A browser payload is a flat object in a JSON string: its keys are found by str.find
        # (in C), not by decoding the whole payload again.
        text, payload = payload, {}
        for field, quoted in _QUOTED_KEYS:
            at = text.find(quoted)
            if at >= 0:
                value = _STRING_VALUE.match(text, at + len(quoted))
                if value is not None:
                    payload[field] = _unescaped(value.group(1))
    if payload.__class__ is dict:
        for field in _PAYLOAD_KEYS:
            key = payload.get(field)
            if key.__class__ is str and key:
                if _KEY.match(key):
                    return _fit(key)
                if field == "id" and family == VIDEO and course_id:
                    return _fit(_video_key(key, course_id))
    if "/xblock/" in event_type:
        match = _XBLOCK_URL.search(event_type)
        if match:
            return _fit(match.group(1))
    return None


def _unescaped(value: str) -> str | None:
    """A JSON string's text from between its quotes (None if its escapes are not JSON's)."""
    if "\\" not in value:
        return value
    try:
        return json.loads(f'"{value}"')
    except ValueError:
        return None


def _video_key(html_id: str, course_id: str) -> str | None:
    """A video's usage key from its HTML id: the id's last part, in the course's key format."""
    block = (
        html_id.rsplit("-video-", 1)[1] if html_id.startswith("i4x-") and "-video-" in html_id else html_id
    )
    if not _HEX_ID.fullmatch(block) and not (html_id.startswith("i4x-") and block):
        return None
    if course_id.startswith("course-v1:"):
        return f"block-v1:{course_id.split(':', 1)[1]}+type@video+block@{block}"
    parts = course_id.split("/")
    if len(parts) == 3:
        return f"i4x://{parts[0]}/{parts[1]}/video/{block}"
    return None


def _fit(key: str | None) -> str | None:
    """A derived key, or None when it is wider than the column (the raw event still has it)."""
    return key if key is not None and len(key) <= _WIDTH else None
