"""Filters and value renderings shared by the admin pages."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from .base import NO_MATCH, as_field_value, known_courses, model_field


def pretty_json(value: Any) -> str:
    """JSON (a string as stored, or a value) indented in a ``<pre>``; other text shown as it is."""
    if value in (None, ""):
        return "-"
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return format_html('<pre class="edx-json">{}</pre>', value)
    return format_html('<pre class="edx-json">{}</pre>', json.dumps(value, indent=2, ensure_ascii=False))


def formatted_json(field: str, description: str):
    """A read-only admin field that shows ``field`` as indented JSON."""

    @admin.display(description=description)
    def show(obj: Any) -> str:
        return pretty_json(getattr(obj, field))

    show.__name__ = f"{field}_formatted"
    return show


def learner_link(user_id: int, text: object = None) -> str:
    """A link to the learner page of ``user_id``."""
    url = reverse("admin:edx_schema_learner", args=[user_id])
    return format_html('<a href="{}">{}</a>', url, user_id if text is None else text)


def learner_column(path: str = "user_id"):
    """A list column with the learner's user id (at ``path``), linked to the learner page; empty
    where the column is NULL."""

    @admin.display(description="user id", ordering=path)
    def learner(obj: Any) -> str | None:
        value = obj
        for part in path.split("__"):
            value = getattr(value, part)
        return None if value is None else learner_link(value)

    return learner


def course_filter(field: str = "course_id") -> type[admin.SimpleListFilter]:
    """A filter by course whose choices come from the small tables that know the courses.

    Django's own filter on ``course_id`` would list its choices with a ``SELECT DISTINCT`` over
    the whole (big) table; the courses with a grading policy or an import record are the same
    list, read from tables of a few rows per course.
    """

    class CourseFilter(admin.SimpleListFilter):
        title = "course"
        parameter_name = field

        def lookups(self, request, model_admin):
            return [(course, course) for course in known_courses()]

        def queryset(self, request, queryset):
            value = self.value()
            if not value:
                return queryset
            key = as_field_value(model_field(queryset.model, field), value)
            if key is NO_MATCH:  # a hand-written URL: say why the list is empty, never a 500
                messages.warning(
                    request, f"“{Truncator(value).chars(80)}” is not a course key: nothing matches it."
                )
                return queryset.none()
            return queryset.filter(**{field: key})

    return CourseFilter
