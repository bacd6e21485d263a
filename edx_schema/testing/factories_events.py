"""factory-boy factories for tracking logs: a loaded file and its events, as ``import_package``
stores them.

The tracking-log tables are edx-schema's own (``OWN_MODELS``, written by the import, not LMS
data), so :mod:`edx_schema.testing.factories` does not re-export these: import them from here.
An event's derived columns agree with its raw ones as the loader derives them: the family from
the type (:func:`~edx_schema.package.events.where.family_of`), the org from the course, and
``context`` names the user and the course. A browser or mobile event's ``event`` is a JSON
string holding the payload's JSON, as the LMS logs it (``browser=True``).
"""

from __future__ import annotations

import datetime
import hashlib
import json
from typing import Any

import factory
from factory.django import DjangoModelFactory

from ..models import TrackingEvent, TrackingLogFile
from ..package.events.where import family_of, org_of
from .factories import COURSE_KEY

__all__ = ["TrackingEventFactory", "TrackingLogFileFactory"]

_DAY = datetime.date(2024, 3, 5)
_LOADED = datetime.datetime(2024, 3, 11, 6, 0, tzinfo=datetime.UTC)
_TIME = datetime.datetime(2024, 3, 5, 14, 5, 12, 345678, tzinfo=datetime.UTC)


class TrackingLogFileFactory(DjangoModelFactory):
    """A daily org file, loaded complete; known by the SHA-256 of its name (get-or-create)."""

    class Meta:
        model = TrackingLogFile
        django_get_or_create = ("sha256",)

    name = factory.Sequence(lambda n: f"events/edx-edx-events-{_DAY + datetime.timedelta(days=n)}.log.gz")
    sha256 = factory.LazyAttribute(lambda f: hashlib.sha256(f.name.encode()).hexdigest())
    package = "edx-2024-03-10"
    site = "prod"
    date = factory.LazyAttribute(lambda f: _DAY)
    complete = True
    loaded_at = _LOADED


def _payload_text(event: Any) -> str:
    """``event``'s payload as logged: JSON, inside a JSON string for browser and mobile events."""
    text = json.dumps(event.payload)
    return json.dumps(text) if event.event_source in ("browser", "mobile") else text


class TrackingEventFactory(DjangoModelFactory):
    """A server ``problem_check`` of a learner in the default course; ``user`` (an auth_user row)
    sets ``user_id`` and ``username``, ``payload`` the event's content, ``browser=True`` makes it
    a browser event with a page."""

    class Meta:
        model = TrackingEvent

    class Params:
        user = None
        payload = factory.LazyAttribute(lambda e: {"problem_id": e.block_id} if e.block_id else {})
        browser = factory.Trait(
            event_source="browser",
            page=factory.LazyAttribute(
                lambda e: f"https://courses.edx.org/courses/{e.course_id}/courseware/"
            ),
        )

    file = factory.SubFactory(TrackingLogFileFactory)
    line = factory.Sequence(lambda n: n + 1)
    line_hash = factory.Sequence(lambda n: hashlib.sha256(f"event {n}".encode()).hexdigest()[:32])
    time = _TIME
    event_type = "problem_check"
    name = None
    event_source = "server"
    family = factory.LazyAttribute(lambda e: family_of(e.event_type, e.name, e.event_source))
    user_id = factory.LazyAttributeSequence(lambda e, n: e.user.pk if e.user is not None else 1000 + n)
    username = factory.LazyAttribute(
        lambda e: e.user.username if e.user is not None else f"learner{e.user_id}"
    )
    course_id = str(COURSE_KEY)
    org_id = factory.LazyAttribute(lambda e: org_of(e.course_id))
    block_id = None
    page = None
    session = None
    host = "courses.edx.org"
    ip = "203.0.113.7"
    agent = "Mozilla/5.0 (X11; Linux x86_64)"
    event = factory.LazyAttribute(_payload_text)
    context = factory.LazyAttribute(
        lambda e: json.dumps(
            {"user_id": e.user_id, "course_id": e.course_id, "org_id": e.org_id, "path": "/event"}
        )
    )
