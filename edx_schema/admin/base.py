"""What every edx-schema admin page shares: bounded counts, index-friendly search, read-only data.

An LMS table can hold tens of millions of rows, and Django's defaults assume it does not: a
``COUNT(*)`` of the whole table on every page, ``LIKE '%term%'`` searches, filters whose choices
come from ``SELECT DISTINCT``. Here:

- the paginator never counts more than it must (:class:`LargeTablePaginator`);
- search matches whole values or prefixes of indexed columns, as index ranges;
- filters are on indexed, low-cardinality columns, and dates are filtered by ranges;
- imported tables are read-only unless ``EDX_SCHEMA_ADMIN_EDITABLE`` is true;
- whatever a URL or a search box holds gives a normal page: a value no row can hold (a course
  key that does not parse, ``²`` for a number) matches nothing (:func:`as_field_value`);
- a key typed into a form is parsed as every layer parses one (:mod:`edx_schema.keys`): one that
  does not parse is the field's error, naming the value (:class:`KeyFormField`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Field, Model, Q, QuerySet
from django.http import Http404, HttpRequest, StreamingHttpResponse
from django.utils.functional import cached_property
from opaque_keys import InvalidKeyError, OpaqueKey
from opaque_keys.edx.django.models import OpaqueKeyField
from opaque_keys.edx.keys import UsageKey
from simple_history.admin import SimpleHistoryAdmin

from .. import errors, keys
from ..admin_site import Area
from ..models import GradingPolicy, ImportRecord
from ..services.pages import by_primary_key

#: How far the paginator counts before it says "more than".
COUNT_CAP = 10_000


def editable() -> bool:
    """Whether imported tables may be edited in the admin (``EDX_SCHEMA_ADMIN_EDITABLE``)."""
    return bool(getattr(settings, "EDX_SCHEMA_ADMIN_EDITABLE", False))


def known_courses() -> list[str]:
    """The courses with a grading policy or an import record, sorted.

    The same list a ``SELECT DISTINCT course_id`` over a big table would give, read from tables
    of a few rows per course.
    """
    courses = {str(course) for course in GradingPolicy.objects.values_list("course_id", flat=True)}
    courses |= set(ImportRecord.objects.exclude(course_id="").values_list("course_id", flat=True).distinct())
    return sorted(courses)


def may_view(request: HttpRequest, site: admin.AdminSite, model: type[Model]) -> bool:
    """Whether the request's user may see ``model``'s rows: what its own admin list allows.

    The learner and course pages gather several tables; each section asks this of its table,
    so a page never shows what that table's list would answer with a 403.
    """
    return site.is_registered(model) and site.get_model_admin(model).has_view_permission(request)


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


def model_field(model: type[Model], path: str) -> Field:
    """The field at the end of a lookup ``path`` such as ``grade__course_id``."""
    *relations, name = path.split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return model._meta.get_field(name)


#: What :func:`as_field_value` returns for text that no value of the field can equal.
NO_MATCH = object()


def as_field_value(field: Field, text: str) -> Any:
    """``text`` as ``field`` holds it, or :data:`NO_MATCH` when no row can hold that value.

    A URL parameter or a search term is whatever a visitor typed: a course key that does not
    parse, a number such as ``²`` (a digit to ``str.isdigit``, not to ``int``), a uuid that is
    not one, a number outside the column's range or text longer than the column. Each would
    raise inside the query (a 500); here it simply matches nothing.
    """
    if field.is_relation:  # a foreign key's range is its target's (it has no validators of its own)
        field = field.target_field
    try:
        value = field.to_python(text)
        field.run_validators(value)  # a column's range and max_length
        field.get_prep_value(value)
    except (ValidationError, InvalidKeyError, ValueError, TypeError, OverflowError):
        return NO_MATCH
    return value


def _prefix_range(field: str, prefix: str) -> Q:
    """``field`` starts with ``prefix``, as an index range (LIKE cannot use SQLite's indexes)."""
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + "\U0010ffff"})


SEARCH_KINDS = frozenset({"id", "exact", "prefix", "subsection"})


def _term_matches(model: type[Model], field: str, kind: str, term: str) -> Q | None:
    """The condition for one search field, or None when the term cannot match it."""
    if kind == "prefix":
        return _prefix_range(field, term)
    if kind == "id" and not (term.isascii() and term.isdigit()):  # not "²", "1_0" or " 1"
        return None
    value = as_field_value(model_field(model, field), term)
    if value is NO_MATCH:
        return None
    if kind == "subsection":
        return _subsection_matches(model, field, value)
    return Q(**{field: value})


def _subsection_matches(model: type[Model], field: str, key: UsageKey) -> Q | None:
    """``field`` is the usage ``key``, looked up with its course: the indexes lead with course_id.

    A legacy ``i4x://Org/Number/...`` key does not name its run: its courses are the known runs
    of that org and number. A key of a library, not a course, matches no row.
    """
    course_field = field.replace("usage_key", "course_id")
    context = key.context_key
    if getattr(context, "deprecated", False) and context.run is None:
        names = [name for name in known_courses() if name.startswith(f"{context.org}/{context.course}/")]
    else:
        names = [str(context)]
    courses = [as_field_value(model_field(model, course_field), name) for name in names]
    courses = [course for course in courses if course is not NO_MATCH]
    return Q(**{field: key, f"{course_field}__in": courses}) if courses else None


class _ChangeList(ChangeList):
    """Django's list, where a date-hierarchy year it cannot count to is a refused lookup.

    Django turns a ``started__year`` that is not a number into its "?e=1" redirect, but a year
    past 9999 (``9999`` itself: the year after it) or past a C long escapes as a 500.
    """

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as error:
            raise IncorrectLookupParameters(error) from error


class KeyFormField(forms.CharField):
    """A course or usage key typed into a form (an editable table's ``course_id``, say).

    A key that does not parse is the field's error, with InvalidKeyError's message (which names
    the value); opaque-keys' own model field would raise from the form's save, a 500.
    """

    def __init__(self, *, key_class: type[OpaqueKey], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.key_class = key_class

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if text in self.empty_values:
            return text
        try:
            keys.parse(self.key_class, text)
        except errors.InvalidKeyError as error:
            raise ValidationError(str(error), code="invalid") from error
        return text  # the column's max_length is checked on the text


class ListAdmin(admin.ModelAdmin):
    """What every edx-schema list page shares, whatever its size: a list any URL can open, and
    forms whose keys are parsed as every layer parses them.

    ``area`` is the LMS area whose group of the admin index lists the table; an admin without one
    is refused when it is registered.
    """

    area: Area | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if not isinstance(self.area, Area):
            raise ImproperlyConfigured(
                f"{type(self).__name__} names no area: set area to one of "
                f"{', '.join(f'Area.{area.name}' for area in Area)} (edx_schema.admin_site)."
            )
        super().__init__(*args, **kwargs)

    def get_changelist(self, request, **kwargs):
        return _ChangeList

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, OpaqueKeyField):
            kwargs.setdefault("form_class", KeyFormField)
            kwargs.setdefault("key_class", db_field.KEY_CLASS)
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class LargeTableAdmin(ListAdmin):
    """Base admin for LMS tables: bounded counts, indexed search and filters, read-only data.

    ``indexed_search`` lists ``(field, kind)`` pairs: ``id`` (a whole number in ASCII digits),
    ``exact`` (the whole value, read as the field reads it: a course or usage key, a uuid),
    ``prefix`` or ``subsection`` (a usage key, matched together with its course). A search term
    matches a row when it matches any of them; a term that no value of a field can equal
    (``²`` for a number, ``10`` for a uuid) is not compared with that field at all.
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
        unknown = {kind for _field, kind in self.indexed_search} - SEARCH_KINDS
        if unknown:
            raise ValueError(f"{type(self).__name__}: unknown search kind(s) {sorted(unknown)}")
        if self.indexed_search and not self.search_fields:
            # Django shows the search box only when search_fields is set; the search itself is ours.
            self.search_fields = tuple(field for field, _kind in self.indexed_search)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term or not self.indexed_search:
            return super().get_search_results(request, queryset, search_term)
        condition = Q()
        for field, kind in self.indexed_search:
            match = _term_matches(queryset.model, field, kind, term)
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


class HistoryAdmin(SimpleHistoryAdmin):
    """django-simple-history's history pages, where an id that cannot be one is a 404.

    simple_history looks the ids up as they come in the URL: ``abc/history/`` or
    ``1/history/abc/`` raised ``ValueError``, a 500.
    """

    def history_view(self, request, object_id, extra_context=None):
        if as_field_value(self.model._meta.pk, unquote(object_id)) is NO_MATCH:
            raise Http404
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        version = self.model.history.model._meta.pk
        if NO_MATCH in (
            as_field_value(self.model._meta.pk, unquote(object_id)),
            as_field_value(version, unquote(version_id)),
        ):
            raise Http404
        return super().history_form_view(request, object_id, version_id, extra_context)


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
