"""Admin for tracking logs: the files loaded, their events, a learner's event timeline and the
course page's chart of events per day.

The event table is the biggest of all (millions of rows a course, billions over the years), so
every query here is one of its indexes' ranges: the list walks the primary key (or a search's
index), the timeline is keyset-paged on ``(user_id, time)``, the chart is one GROUP BY over
``(course_id, time, family)``. Nothing counts the whole table, sorts it, or pages with OFFSET.
The tables are written by ``import_package`` alone: read-only here, whatever
``EDX_SCHEMA_ADMIN_EDITABLE`` says.
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.http import Http404, HttpRequest
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.text import Truncator

from ..admin_site import Area
from ..models import TrackingEvent, TrackingLogFile
from ..package.events import FAMILIES, FAMILY_LABELS
from .base import NO_MATCH, LargeTableAdmin, ListAdmin, _ChangeList, as_field_value, may_view
from .display import course_filter, learner_column

UTC = datetime.UTC
#: The times an event can have (a DATETIME's range, as the loader checks it).
EARLIEST = datetime.datetime(1000, 1, 1, tzinfo=UTC)
LATEST = datetime.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
_USER_ID = TrackingEvent._meta.get_field("user_id")
#: Events on a page of the learner's timeline.
TIMELINE_PAGE = 50
#: Days the course page's chart shows by default: up to the course's last day with events.
CHART_DAYS = 60
#: The longest range of days the chart takes from the URL.
MAX_CHART_DAYS = 366
#: The colour of each family in the chart (Okabe and Ito's palette: told apart by colour-blind eyes).
FAMILY_COLOURS = {
    "video": "#0072B2",
    "problem": "#D55E00",
    "navigation": "#009E73",
    "forum": "#CC79A7",
    "enrollment": "#E69F00",
    "grades": "#56B4E9",
    "implicit": "#F0E442",
    "other": "#999999",
}


# --- Payloads -------------------------------------------------------------------------------


def _writable(text: str) -> str:
    """``text`` as a page can send it: a lone surrogate (half an emoji cut in two, decoded from
    its ``\\ud83d`` escape) written as that escape, since UTF-8 cannot encode it."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _indented(value: Any) -> str:
    """``value`` as indented JSON, non-ASCII as itself (escaped only where it cannot be written)."""
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return text if _writable(text) is text else json.dumps(value, indent=2)


def pretty_payload(text: str | None, *, twice: bool = False) -> str:
    """An ``event`` or ``context`` JSON text indented in a ``<pre>``, escaped.

    With ``twice``, a JSON string that holds JSON again (a browser or mobile event's ``event``)
    is decoded a second time, and the page says so. Text that is not JSON, nested deeper than
    Python's parser goes, is shown as it is.
    """
    if text in (None, ""):
        return "-"
    try:
        value = json.loads(text)
        note = ""
        if twice and isinstance(value, str):
            try:
                value = json.loads(value)
                note = "A JSON string holding JSON (as browser and mobile events log it), decoded:"
            except (ValueError, RecursionError):
                note = "A string, not JSON:"
                return format_html('<p>{}</p><pre class="edx-json">{}</pre>', note, _writable(value))
        shown = _indented(value)
    except (ValueError, RecursionError):
        return format_html('<pre class="edx-json">{}</pre>', text)
    if note:
        return format_html('<p>{}</p><pre class="edx-json">{}</pre>', note, shown)
    return format_html('<pre class="edx-json">{}</pre>', shown)


# --- The lists --------------------------------------------------------------------------------


class _ReadOnly:
    """Rows ``import_package`` writes: viewed in the admin, never added, changed or deleted."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(TrackingLogFile)
class TrackingLogFileAdmin(_ReadOnly, ListAdmin):
    """The tracking-log files loaded: one row a file, a small table (Django's defaults do)."""

    area = Area.TRACKING_LOGS
    list_display = (
        "name",
        "package",
        "date",
        "lines",
        "events",
        "inserted",
        "duplicates",
        "bad_lines",
        "complete",
        "loaded_at",
    )
    list_filter = ("complete", "site")
    search_fields = ("name", "package")
    search_help_text = "Part of a file's name or of its package's."
    ordering = ("-date", "name", "pk")
    list_per_page = 100


class EventSourceFilter(admin.SimpleListFilter):
    """By ``event_source``, with the values the LMS writes (no SELECT DISTINCT over the table)."""

    title = "event source"
    parameter_name = "event_source"

    def lookups(self, request, model_admin):
        return [(source, source) for source in ("browser", "server", "mobile", "task")]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        source = as_field_value(TrackingEvent._meta.get_field("event_source"), value)
        return queryset.none() if source is NO_MATCH else queryset.filter(event_source=source)


#: The columns the event list reads (the payloads and request headers stay on disk).
LIST_COLUMNS = ("id", "time", "event_type", "family", "username", "user_id", "course_id", "block_id")


class _EventChangeList(_ChangeList):
    """The event list: newest first by id, whatever ``?o=`` asks, reading only its columns.

    Django sorts by any column a URL names (``sortable_by`` only hides the links): ``ORDER BY
    time`` alone would sort the whole table.
    """

    def get_ordering(self, request, queryset):
        return self._get_deterministic_ordering(list(self.model_admin.get_ordering(request)))

    def get_queryset(self, request, exclude_parameters=None):
        return super().get_queryset(request, exclude_parameters).only(*LIST_COLUMNS)


@admin.register(TrackingEvent)
class TrackingEventAdmin(_ReadOnly, LargeTableAdmin):
    """Every stored event, newest (by id) first; each one's page shows its JSON indented.

    The family and source filters walk the primary key from the newest row, as the plain list
    does; with a course (its filter) or a search, the index of that column answers.
    """

    area = Area.TRACKING_LOGS
    list_display = ("when", "event_type", "family", "username", learner_column(), "course_id", "block_id")
    list_filter = ("family", EventSourceFilter, course_filter())
    sortable_by = ()
    indexed_search = (("user_id", "id"), ("course_id", "exact"), ("event_type", "exact"))
    search_help_text = "A user id, a course key or an event type (the whole value)."
    fieldsets = (
        (None, {"fields": ("id", "when", "event_type", "name", "event_source", "family")}),
        ("Who and where", {"fields": ("username", "user_id", "timeline", "course_id", "org_id", "block_id")}),
        ("Request", {"fields": ("page", "session", "host", "ip", "agent", "referer", "accept_language")}),
        ("Payload", {"fields": ("payload", "context_formatted")}),
        ("Source", {"fields": ("file", "line", "line_hash")}),
    )
    readonly_fields = tuple(field for _name, options in fieldsets for field in options["fields"])

    def get_changelist(self, request, **kwargs):
        return _EventChangeList

    @admin.display(description="time (UTC)")
    def when(self, obj: TrackingEvent) -> str:
        """The time to the microsecond (Django's own format stops at the minute)."""
        return f"{obj.time.astimezone(UTC):%Y-%m-%d %H:%M:%S.%f}"

    @admin.display(description="event (formatted)")
    def payload(self, obj: TrackingEvent) -> str:
        return pretty_payload(obj.event, twice=True)

    @admin.display(description="context (formatted)")
    def context_formatted(self, obj: TrackingEvent) -> str:
        return pretty_payload(obj.context)

    @admin.display(description="learner's timeline")
    def timeline(self, obj: TrackingEvent) -> str:
        if obj.user_id is None or as_field_value(_USER_ID, str(obj.user_id)) is NO_MATCH:
            return "-"
        url = timeline_url(obj.user_id, before=Position(obj.time, obj.pk + 1))
        return format_html('<a href="{}">this event in the learner\'s timeline</a>', url)

    def get_urls(self):
        view = self.admin_site.admin_view(self.timeline_view)
        # Before Django's own: its "<path:object_id>/" would take "learner/11/" for an event id. Any
        # text, not <int:>: "learner/abc/" would go on to that pattern (a redirect, not a 404).
        return [path("learner/<str:user_id>/", view, name="edx_schema_learner_events"), *super().get_urls()]

    def timeline_view(self, request: HttpRequest, user_id: str) -> TemplateResponse:
        """One learner's events, newest first, a page at a time, of one family or all.

        Keyset pages on the ``(user_id, time)`` index (:func:`timeline_page`): ``?before=`` and
        ``?after=`` carry the position of the page's last or first event, so every page reads
        at most :data:`TIMELINE_PAGE` + 1 rows, however far back. A family, a position or a
        user id that cannot be one is left out with a note (an id out of range is a 404).
        """
        if not self.has_view_permission(request):
            raise PermissionDenied
        if not (user_id.isascii() and user_id.isdigit()) or as_field_value(_USER_ID, user_id) is NO_MATCH:
            raise Http404
        user_id = int(user_id)
        notes = []
        family = request.GET.get("family", "")
        if family and family not in FAMILY_LABELS:
            notes.append(f"“{Truncator(family).chars(40)}” is not an event family: every family is shown.")
            family = ""
        positions = {}
        for direction in ("before", "after"):
            text = request.GET.get(direction, "")
            if text:
                positions[direction] = Position.parse(text)
                if positions[direction] is None:
                    notes.append(
                        f"“{Truncator(text).chars(40)}” is not a position in a timeline: "
                        "the newest events are shown."
                    )
        if len(positions) > 1:
            notes.append("A page is either before or after a position: the newest events are shown.")
        if None in positions.values() or len(positions) > 1:
            positions = {}
        page = timeline_page(user_id, family=family or None, **positions)
        learner = None
        if may_view(request, self.admin_site, get_user_model()):
            learner = get_user_model().objects.filter(pk=user_id).values("pk", "username").first()
        scope = {"family": family} if family else {}
        who = f"{learner['username']} ({user_id})" if learner else f"user {user_id}"
        context = {
            **self.admin_site.each_context(request),
            "title": f"Events of {who}",
            "opts": self.model._meta,
            "user_id": user_id,
            "learner": learner,
            "notes": notes,
            "page": page,
            "family": family,
            "families": [
                {"key": key, "label": FAMILY_LABELS[key], "url": timeline_url(user_id, family=key)}
                for key in FAMILIES
            ],
            "all_url": timeline_url(user_id),
            "newest_url": timeline_url(user_id, **scope) if positions else None,
            "older_url": timeline_url(user_id, before=page.older, **scope) if page.older else None,
            "newer_url": timeline_url(user_id, after=page.newer, **scope) if page.newer else None,
        }
        return TemplateResponse(request, "admin/edx_schema/learner_events.html", context)


# --- The learner's timeline -------------------------------------------------------------------


_POSITION = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6})_(\d{1,19})", re.ASCII)


@dataclass(frozen=True)
class Position:
    """A place in a timeline: an event's time and id (the id orders events of the same time)."""

    time: datetime.datetime
    id: int

    def __str__(self) -> str:
        return f"{self.time.astimezone(UTC):%Y-%m-%dT%H:%M:%S.%f}_{self.id}"

    @classmethod
    def parse(cls, text: str) -> Position | None:
        """The position ``str()`` wrote as ``text``, or None for anything else."""
        match = _POSITION.fullmatch(text)
        if match is None:
            return None
        try:
            time = datetime.datetime.strptime(match[1], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=UTC)
        except ValueError:  # 2024-02-30, hour 25
            return None
        pk = int(match[2])
        if not EARLIEST <= time <= LATEST or pk > 2**63 - 1:
            return None
        return cls(time, pk)


def timeline_url(user_id: int, **params: object) -> str:
    """The timeline page of ``user_id`` with ``params`` (``family``, ``before``, ``after``)."""
    url = reverse("admin:edx_schema_learner_events", args=[user_id])
    shown = {name: str(value) for name, value in params.items() if value is not None}
    return f"{url}?{urlencode(shown)}" if shown else url


@dataclass(frozen=True)
class TimelinePage:
    """A page of events, newest first; ``older`` and ``newer`` are the positions to go on from
    (None where there are no more)."""

    events: list[dict[str, Any]]
    older: Position | None
    newer: Position | None


def _same_instant(time: datetime.datetime) -> Q:
    """``time`` is that instant, as two range bounds.

    SQLite keeps a time as text, and the loader writes a whole second as ``10:00:00.000000``
    where Django's parameter for it is ``10:00:00``: ``time = t`` or ``time <= t`` would miss
    the loader's rows; ``t <= time < t + 1µs`` matches the instant in either form.
    """
    if time >= LATEST:
        return Q(time__gte=time)
    return Q(time__gte=time, time__lt=time + datetime.timedelta(microseconds=1))


def _older(events: QuerySet, position: Position) -> QuerySet:
    """The events before ``position``: earlier, or at the same time with a smaller id."""
    if position.time < LATEST:  # the bound the index range is read with
        events = events.filter(time__lt=position.time + datetime.timedelta(microseconds=1))
    return events.filter(Q(time__lt=position.time) | (_same_instant(position.time) & Q(id__lt=position.id)))


def _newer(events: QuerySet, position: Position) -> QuerySet:
    """The events after ``position``: later, or at the same time with a greater id."""
    events = events.filter(time__gte=position.time)
    later = Q(time__gte=position.time + datetime.timedelta(microseconds=1)) if position.time < LATEST else Q()
    same = _same_instant(position.time) & Q(id__gt=position.id)
    return events.filter(later | same if later else same)


#: The columns of a timeline row.
TIMELINE_COLUMNS = ("id", "time", "family", "event_type", "name", "course_id", "block_id", "page")


def timeline_page(
    user_id: int,
    *,
    family: str | None = None,
    before: Position | None = None,
    after: Position | None = None,
    size: int | None = None,
) -> TimelinePage:
    """The ``size`` events of ``user_id`` (of ``family``) just before ``before``, just after
    ``after``, or the newest, newest first.

    One query of ``size + 1`` rows (the extra one says there are more) down or up the
    ``(user_id, time)`` index; the index holds the id after the time (InnoDB's primary key,
    SQLite's rowid), so ``ORDER BY time, id`` is its own order. A family is checked on the rows
    the index gives: a rare one reads further into the learner's events, never past them.
    """
    size = size or TIMELINE_PAGE
    events = TrackingEvent.objects.filter(user_id=user_id)
    if family is not None:
        events = events.filter(family=family)
    if after is not None:
        rows = list(_newer(events, after).order_by("time", "id").values(*TIMELINE_COLUMNS)[: size + 1])
        more, rows = len(rows) > size, rows[:size][::-1]
        newer_exist, older_exist = more, True
    else:
        if before is not None:
            events = _older(events, before)
        rows = list(events.order_by("-time", "-id").values(*TIMELINE_COLUMNS)[: size + 1])
        older_exist, rows = len(rows) > size, rows[:size]
        newer_exist = before is not None
    for row in rows:
        row["family_label"] = FAMILY_LABELS.get(row["family"], row["family"])
    return TimelinePage(
        events=rows,
        older=_position(rows[-1]) if rows and older_exist else None,
        newer=_position(rows[0]) if rows and newer_exist else None,
    )


def _position(row: Mapping[str, Any]) -> Position:
    return Position(row["time"], row["id"])


# --- The course page's chart ------------------------------------------------------------------


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def _day(text: str) -> datetime.date | None:
    """``YYYY-MM-DD`` as a date a DATETIME range can hold (to its last day but one), else None."""
    if not _DAY.fullmatch(text):
        return None
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        return None
    return day if EARLIEST.date() <= day < LATEST.date() else None


def chart_range(
    course_id: str, params: Mapping[str, str]
) -> tuple[datetime.date, datetime.date, list[str]] | None:
    """The days the chart shows, first and last, with notes on what of the URL was left out.

    ``events_from`` and ``events_to`` (``YYYY-MM-DD``, UTC days, either or both) choose them;
    without them (or with days that cannot be a range of at most :data:`MAX_CHART_DAYS`), the
    :data:`CHART_DAYS` up to the course's last day with events, found at the end of its index.
    None when the course has no events at all.
    """
    notes = []
    given = {name: params.get(name, "") for name in ("events_from", "events_to")}
    days = {name: _day(text) for name, text in given.items() if text}
    for name, day in days.items():
        if day is None:
            notes.append(f"“{Truncator(given[name]).chars(40)}” is not a day (YYYY-MM-DD).")
    first, last = days.get("events_from"), days.get("events_to")
    span = datetime.timedelta(days=CHART_DAYS - 1)
    if not notes and (first or last):
        first = first or max(last - span, EARLIEST.date())
        last = last or min(first + span, LATEST.date() - datetime.timedelta(days=1))
        if first > last:
            notes.append("The first day is after the last.")
        elif (last - first).days >= MAX_CHART_DAYS:
            notes.append(f"A chart shows at most {MAX_CHART_DAYS} days.")
        else:
            return first, last, notes
    if notes:
        notes.append(f"Shown: the {CHART_DAYS} days up to the course's last day with events.")
    latest = (
        TrackingEvent.objects.filter(course_id=course_id)
        .order_by("-time")
        .values_list("time", flat=True)
        .first()
    )
    if latest is None:
        return None
    last = latest.astimezone(UTC).date()
    return last - span, last, notes


def events_per_day(
    course_id: str, first: datetime.date, last: datetime.date
) -> dict[tuple[datetime.date, str], int]:
    """The course's events of each UTC day from ``first`` to ``last`` and each family.

    One GROUP BY over a range of the ``(course_id, time, family)`` index, which holds every
    column it reads. The days are UTC days on both databases (``TruncDate`` in UTC: MySQL's
    ``DATE()`` of the stored UTC time, SQLite's cast of its text).
    """
    start = datetime.datetime.combine(first, datetime.time(), tzinfo=UTC)
    end = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time(), tzinfo=UTC)
    rows = (
        TrackingEvent.objects.filter(course_id=course_id, time__gte=start, time__lt=end)
        .annotate(day=TruncDate("time", tzinfo=UTC))
        .values("day", "family")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {(row["day"], row["family"]): row["n"] for row in rows}


#: The chart's drawing: its size and the plot's margins, in SVG units.
WIDTH, HEIGHT = 760, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 8, 14, 28


def _nice_step(top: int) -> int:
    """A round step (1, 2 or 5 times a power of ten) for an axis up to ``top``, in 2 to 5 steps."""
    raw = max(top / 4, 1)
    power = 10 ** math.floor(math.log10(raw))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= raw)


def _n(value: float) -> str:
    """An SVG coordinate: written here, never localised by a template (a decimal comma breaks it)."""
    return f"{value:.1f}"


def course_events_chart(course_id: str, params: Mapping[str, str]) -> dict[str, Any]:
    """The course page's events chart: bars of events per day stacked by family, as SVG shapes.

    Every day of the range has its place (a day without events is a gap); the numbers are also
    the ``table`` rows, for the page's ``<details>``.
    """
    found = chart_range(course_id, params)
    if found is None:
        return {"empty": True, "notes": []}
    first, last, notes = found
    counts = events_per_day(course_id, first, last)
    days = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
    families = [family for family in FAMILIES if any(key[1] == family for key in counts)]
    totals = [sum(counts.get((day, family), 0) for family in families) for day in days]
    chart: dict[str, Any] = {
        "empty": False,
        "notes": notes,
        "first": first,
        "last": last,
        "width": WIDTH,
        "height": HEIGHT,
        "total": sum(totals),
        "families": [FAMILY_LABELS[family] for family in families],
        "default_days": CHART_DAYS,
        "legend": [
            {
                "label": FAMILY_LABELS[family],
                "colour": FAMILY_COLOURS.get(family, "#999999"),
                "total": sum(n for (_day, f), n in counts.items() if f == family),
            }
            for family in families
        ],
        "table": [
            {"day": day, "cells": [counts.get((day, family), 0) for family in families], "total": total}
            for day, total in zip(days, totals, strict=True)
            if total
        ],
        "list_url": reverse("admin:edx_schema_trackingevent_changelist")
        + "?"
        + urlencode({"course_id": course_id}),
    }
    if not counts:
        return chart
    step = _nice_step(max(totals))
    top = step * math.ceil(max(totals) / step)
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / len(days)
    bar = max(slot * 0.8, 1)
    segments = []
    for index, day in enumerate(days):
        y = HEIGHT - BOTTOM
        for family in families:
            n = counts.get((day, family), 0)
            if not n:
                continue
            height = n / top * plot_height
            y -= height
            segments.append(
                {
                    "x": _n(LEFT + index * slot + (slot - bar) / 2),
                    "y": _n(y),
                    "width": _n(bar),
                    "height": _n(height),
                    "colour": FAMILY_COLOURS.get(family, "#999999"),
                    "title": f"{day.isoformat()}, {FAMILY_LABELS[family]}: {n} events",
                }
            )
    every = math.ceil(len(days) / 8)
    chart.update(
        segments=segments,
        ticks=[
            {"y": _n(HEIGHT - BOTTOM - value / top * plot_height), "label": f"{value:,}"}
            for value in range(0, top + 1, step)
        ],
        labels=[
            {"x": _n(LEFT + (index + 0.5) * slot), "text": day.strftime("%m-%d")}
            for index, day in enumerate(days)
            if index % every == 0
        ],
        axis={"left": LEFT, "right": _n(WIDTH - RIGHT), "bottom": HEIGHT - BOTTOM, "label_y": HEIGHT - 10},
    )
    return chart
