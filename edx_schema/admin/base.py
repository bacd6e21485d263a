"""What every edx-schema admin page shares: bounded counts, index-friendly search, read-only data.

An LMS table can hold tens of millions of rows, and Django's defaults assume it does not: a
``COUNT(*)`` of the whole table on every page, ``LIKE '%term%'`` searches, filters whose choices
come from ``SELECT DISTINCT``. Here:

- the paginator never counts more than it must (:class:`LargeTablePaginator`);
- search matches whole values or prefixes of indexed columns, as index ranges;
- filters are on indexed, low-cardinality columns, and dates are filtered by ranges;
- imported tables are read-only unless ``EDX_SCHEMA_ADMIN_EDITABLE`` is true.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Q, QuerySet
from django.http import StreamingHttpResponse
from django.utils.functional import cached_property
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey, UsageKey

from ..services.pages import by_primary_key

#: How far the paginator counts before it says "more than".
COUNT_CAP = 10_000


def editable() -> bool:
    """Whether imported tables may be edited in the admin (``EDX_SCHEMA_ADMIN_EDITABLE``)."""
    return bool(getattr(settings, "EDX_SCHEMA_ADMIN_EDITABLE", False))


class LargeTablePaginator(Paginator):
    """A paginator whose count never scans a big table.

    A whole MySQL table is estimated from ``information_schema`` (InnoDB's own estimate); any
    other list is counted up to :data:`COUNT_CAP` rows with ``COUNT(*)`` over a ``LIMIT``ed
    subquery, so a page of a ten-million-row table costs the same as one of a thousand rows.
    ``capped`` and ``estimated`` say which happened, for the page to say so.
    """

    capped = False
    estimated = False

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return super().count
        connection = connections[queryset.db]
        if connection.vendor == "mysql" and not queryset.query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT TABLE_ROWS FROM information_schema.TABLES "
                    "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s",
                    [queryset.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row and row[0] is not None and row[0] > COUNT_CAP:
                self.estimated = True
                return int(row[0])
        counted = queryset.order_by()[: COUNT_CAP + 1].count()
        if counted > COUNT_CAP:
            self.capped = True
            return COUNT_CAP
        return counted


def _prefix_range(field: str, prefix: str) -> Q:
    """``field`` starts with ``prefix``, as an index range (LIKE cannot use SQLite's indexes)."""
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + "\U0010ffff"})


def _term_matches(field: str, kind: str, term: str) -> Q | None:
    """The condition for one search field, or None when the term cannot match it."""
    if kind == "id":
        return Q(**{field: int(term)}) if term.isdigit() and len(term) < 19 else None
    if kind == "course":
        try:
            return Q(**{field: CourseKey.from_string(term)})
        except InvalidKeyError:
            return None
    if kind == "usage":
        try:
            return Q(**{field: UsageKey.from_string(term)})
        except InvalidKeyError:
            return None
    if kind == "subsection":  # a usage key, looked up with its course: indexes lead with course_id
        try:
            key = UsageKey.from_string(term)
        except InvalidKeyError:
            return None
        return Q(**{field: key, field.replace("usage_key", "course_id"): key.course_key})
    if kind == "exact":
        return Q(**{field: term})
    if kind == "prefix":
        return _prefix_range(field, term)
    raise ValueError(f"unknown search kind {kind!r}")


class LargeTableAdmin(admin.ModelAdmin):
    """Base admin for LMS tables: bounded counts, indexed search and filters, read-only data.

    ``indexed_search`` lists ``(field, kind)`` pairs: ``id`` (a whole number), ``exact``,
    ``prefix``, ``course`` (a course key), ``usage`` (a usage key) or ``subsection`` (a usage
    key, matched together with its course). A search term matches a row when it matches any of
    them.
    """

    # Foreign keys are listed as ids (linked to the learner page), never joined: with a JOIN and
    # ORDER BY id DESC LIMIT 50, MariaDB read auth_user first and sorted a million-row table.
    list_select_related = False
    # Newest first, by the primary key alone: a model's own ordering (student_courseenrollment's
    # user_id, course_id) mixed with the admin's "-pk" made MariaDB sort the whole table.
    ordering = ("-pk",)
    paginator = LargeTablePaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    indexed_search: tuple[tuple[str, str], ...] = ()
    #: Extra URL lookups the learner and course pages link with (on indexed columns).
    extra_lookups: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.indexed_search and not self.search_fields:
            # Django shows the search box only when search_fields is set; the search itself is ours.
            self.search_fields = tuple(field for field, _kind in self.indexed_search)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term or not self.indexed_search:
            return super().get_search_results(request, queryset, search_term)
        condition = Q()
        for field, kind in self.indexed_search:
            match = _term_matches(field, kind, term)
            if match is not None:
                condition |= match
        if not condition:
            return queryset.none(), False
        return queryset.filter(condition), False

    def lookup_allowed(self, lookup, value, request=None):
        return lookup in self.extra_lookups or super().lookup_allowed(lookup, value, request)

    def has_add_permission(self, request) -> bool:
        return editable() and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return editable() and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return editable() and super().has_delete_permission(request, obj)


class _Echo:
    """A file-like object whose write returns the line, for streaming CSV."""

    def write(self, value: str) -> str:
        return value


def csv_export_action(*fields: str, filename: str):
    """An admin action that streams the selected rows' ``fields`` as CSV.

    Rows are read in keyset pages and written as they come: an export of a million selected
    grades never holds them all in memory.
    """

    @admin.action(description="Export selected as CSV")
    def export(modeladmin, request, queryset):
        writer = csv.writer(_Echo())

        def rows() -> Iterator[str]:
            yield writer.writerow(fields)
            for _pk, *row in by_primary_key(queryset, ("pk", *fields)):
                yield writer.writerow(["" if value is None else value for value in row])

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    return export
