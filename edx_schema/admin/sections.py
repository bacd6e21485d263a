"""Table sections of the learner and course pages, each one declarative entry.

A section is one table read with one bounded query: the models whose view permission it needs
(as their own lists do), its columns, the rows of the page's subject (a learner, a course) and
where the whole list is when there are more than :data:`ROWS_SHOWN`. The page renders every
section with ``admin/edx_schema/table_section.html``, so adding one is adding an entry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode

from .base import may_view

#: The rows a section shows; past them, a link to its table's list, filtered.
ROWS_SHOWN = 50

Row = Mapping[str, Any]


def changelist_url(model: type[Model], **lookups: object) -> str:
    """The admin list of ``model``, filtered by ``lookups`` (its URL parameters)."""
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return f"{url}?{urlencode(lookups)}" if lookups else url


def link_to_list(model: type[Model], lookup: str, field: str) -> Callable[[Row], str]:
    """A column link to ``model``'s list, filtered by ``lookup`` = the row's ``field``."""
    return lambda row: changelist_url(model, **{lookup: row[field]})


def link_to_learner(field: str) -> Callable[[Row], str]:
    """A column link to the learner page of the user id in the row's ``field``."""
    return lambda row: reverse("admin:edx_schema_learner", args=[row[field]])


@dataclass(frozen=True)
class Column:
    """A column: its heading, the row's ``field``, what an empty value shows, and a link from it."""

    heading: str
    field: str
    empty: str = "-"
    link: Callable[[Row], str] | None = None


@dataclass(frozen=True)
class TableSection:
    """One table of a page.

    ``rows(subject)`` is the subject's rows, ordered, through an index; the section reads the
    columns' fields and ``fields`` of the first :data:`ROWS_SHOWN` + 1 of them. Past
    :data:`ROWS_SHOWN` it links to ``models[0]``'s list filtered by ``more(subject, first_row)``.
    ``key`` is the table's HTML id, ``what`` names the rows in the note shown to a staff member
    who may not view one of ``models``. ``compute(subject, limit)``, if given, gives the rows
    instead of ``rows``: a service's join that one queryset cannot express.
    """

    key: str
    title: str
    what: str
    models: tuple[type[Model], ...]
    columns: tuple[Column, ...]
    rows: Callable[[Any], QuerySet] | None
    more: Callable[[Any, Row], Mapping[str, object]]
    fields: tuple[str, ...] = ()
    compute: Callable[[Any, int], list[Row]] | None = None

    def fetch(self, subject: Any) -> list[Row]:
        """The first :data:`ROWS_SHOWN` + 1 rows of ``subject``."""
        if self.compute is not None:
            return self.compute(subject, ROWS_SHOWN + 1)
        fields = list(dict.fromkeys([*(column.field for column in self.columns), *self.fields]))
        return list(self.rows(subject).values(*fields)[: ROWS_SHOWN + 1])

    def render(self, request: HttpRequest, site: admin.AdminSite, subject: Any) -> dict[str, Any]:
        """The section's context for the template: nothing read unless the user may view it all."""
        if not all(may_view(request, site, model) for model in self.models):
            return {"section": self, "allowed": False}
        found = self.fetch(subject)
        more_url = None
        if len(found) > ROWS_SHOWN:
            more_url = changelist_url(self.models[0], **self.more(subject, found[0]))
        return {
            "section": self,
            "allowed": True,
            "rows": [[self._cell(column, row) for column in self.columns] for row in found[:ROWS_SHOWN]],
            "more_url": more_url,
            "shown": ROWS_SHOWN,
        }

    @staticmethod
    def _cell(column: Column, row: Row) -> dict[str, Any]:
        value = row[column.field]
        if value is None or value == "":
            return {"text": column.empty, "url": None}
        return {"text": value, "url": column.link(row) if column.link else None}


def render_all(
    sections: tuple[TableSection, ...], request: HttpRequest, site: admin.AdminSite, subject: Any
) -> list[dict[str, Any]]:
    """Every section's context, in order."""
    return [section.render(request, site, subject) for section in sections]
