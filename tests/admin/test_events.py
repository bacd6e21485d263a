"""Tracking logs in the admin: the files and events lists, a learner's event timeline (keyset
pages by time and id, by family) and the course page's chart of events per day and family.

Events are made with :mod:`edx_schema.testing.factories_events`; what a page should show is
computed here from the events made, never read back from the page's own code.
"""

import datetime
import html
import json
import re
from collections import Counter

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from edx_schema.admin import events as events_admin
from edx_schema.models import GradingPolicy, TrackingEvent, TrackingLogFile
from edx_schema.package.events import FAMILY_LABELS
from edx_schema.testing.builders import build_course
from edx_schema.testing.factories import UserFactory
from edx_schema.testing.factories_events import TrackingEventFactory, TrackingLogFileFactory
from tests.admin import test_query_shapes
from tests.admin.conftest import staff_client

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
COURSE = "course-v1:edX+DemoX+Demo_Course"
OTHER_COURSE = "course-v1:edX+Other+2024"
T0 = datetime.datetime(2024, 3, 5, 10, 0, 0, 250000, tzinfo=UTC)
MARKUP = '<script>alert("x")</script>'


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def timeline(user_id, **params):
    return reverse("admin:edx_schema_learner_events", args=[user_id]), params


def content(response):
    """The page's main content, without the header and navigation around it."""
    assert response.status_code == 200
    text = response.content.decode()
    return text.split('id="content-main"', 1)[1].split('id="footer"', 1)[0]


def shown_ids(text):
    """The ids of the events a timeline page lists, in its order."""
    return [int(n) for n in re.findall(r'data-event="(\d+)"', text)]


def link(text, rel):
    """The href of the page's ``rel`` link (next: older, prev: newer), or None."""
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', text)
    return html.unescape(found[1]) if found else None


def order(events):
    """Newest first, by time then id: the timeline's order, computed here."""
    return [e.pk for e in sorted(events, key=lambda e: (e.time, e.pk), reverse=True)]


@pytest.fixture
def learner():
    return UserFactory(username="ada")


@pytest.fixture
def small_timeline_pages(monkeypatch):
    monkeypatch.setattr(events_admin, "TIMELINE_PAGE", 3)


def walk(client, start, rel):
    """Every page from ``start`` on, following ``rel`` links: the ids of each page."""
    pages, next_url = [], start
    while next_url:
        text = content(client.get(next_url))
        pages.append(shown_ids(text))
        next_url = link(text, rel)
        assert len(pages) < 50, "the links go round in circles"
    return pages


# --- Pages and permissions ------------------------------------------------------------------


def test_the_lists_and_pages_render_for_a_superuser(admin_client, learner):
    event = TrackingEventFactory(
        user=learner, block_id="block-v1:edX+DemoX+Demo_Course+type@problem+block@p1"
    )
    log_file = event.file
    for page in (
        url(TrackingEvent, "changelist"),
        url(TrackingEvent, "change", event.pk),
        url(TrackingLogFile, "changelist"),
        url(TrackingLogFile, "change", log_file.pk),
        reverse("admin:edx_schema_learner_events", args=[learner.pk]),
    ):
        assert admin_client.get(page).status_code == 200, page
    listing = admin_client.get(url(TrackingEvent, "changelist"))
    assert [e.pk for e in listing.context["cl"].result_list] == [event.pk]
    # The time to the microsecond, on the list and the event's page.
    assert "2024-03-05 14:05:12.345678" in listing.content.decode()
    assert (
        "2024-03-05 14:05:12.345678"
        in admin_client.get(url(TrackingEvent, "change", event.pk)).content.decode()
    )
    files = admin_client.get(url(TrackingLogFile, "changelist"), {"q": log_file.name[:12]})
    assert files.context["cl"].result_count == 1


def test_the_tables_are_read_only_even_when_the_admin_may_edit(admin_client, settings):
    settings.EDX_SCHEMA_ADMIN_EDITABLE = True
    event = TrackingEventFactory()
    for model, pk in ((TrackingEvent, event.pk), (TrackingLogFile, event.file_id)):
        assert admin_client.get(url(model, "add")).status_code == 403
        assert 'name="_save"' not in admin_client.get(url(model, "change", pk)).content.decode()
        assert admin_client.get(url(model, "delete", pk)).status_code == 403
    assert TrackingEvent.objects.count() == 1


def test_anonymous_visitors_are_sent_to_log_in(client, learner):
    event = TrackingEventFactory(user=learner)
    for page in (
        reverse("admin:edx_schema_learner_events", args=[learner.pk]),
        url(TrackingEvent, "changelist"),
        url(TrackingEvent, "change", event.pk),
        url(TrackingLogFile, "changelist"),
    ):
        response = client.get(page)
        assert response.status_code == 302, page
        assert response["Location"].startswith("/admin/login/"), page


def test_the_learner_page_links_to_the_timeline(admin_client, learner):
    text = content(admin_client.get(reverse("admin:edx_schema_learner", args=[learner.pk])))
    assert f'href="{reverse("admin:edx_schema_learner_events", args=[learner.pk])}"' in text


def test_a_staff_member_who_may_not_view_events_gets_no_link_chart_or_timeline(client, learner):
    TrackingEventFactory(user=learner, course_id=COURSE)
    build_course(course_id=COURSE)
    staff_client(client, "auth.view_user", "edx_schema.view_gradingpolicy")
    text = content(client.get(reverse("admin:edx_schema_learner", args=[learner.pk])))
    assert "You do not have permission to view tracking events." in text
    assert "edx_schema/trackingevent" not in text
    policy = GradingPolicy.objects.get(course_id=COURSE)
    course = content(client.get(reverse("admin:edx_schema_course", args=[policy.pk])))
    assert "You do not have permission to view tracking events." in course
    assert "<svg" not in course
    assert client.get(reverse("admin:edx_schema_learner_events", args=[learner.pk])).status_code == 403
    assert client.get(url(TrackingEvent, "changelist")).status_code == 403


def test_a_staff_member_who_may_view_events_but_not_users_sees_the_timeline_without_the_account(
    client, learner
):
    TrackingEventFactory(user=learner)
    staff_client(client, "edx_schema.view_trackingevent")
    text = client.get(reverse("admin:edx_schema_learner_events", args=[learner.pk])).content.decode()
    assert f"Events of user {learner.pk}" in text
    assert reverse("admin:edx_schema_learner", args=[learner.pk]) not in text
    assert len(shown_ids(text)) == 1


# --- The event page ---------------------------------------------------------------------------


def test_an_events_json_is_indented_and_a_browser_events_string_decoded_twice(admin_client):
    browser = TrackingEventFactory(
        browser=True, event_type="play_video", payload={"id": "v1", "currentTime": 3}
    )
    text = admin_client.get(url(TrackingEvent, "change", browser.pk)).content.decode()
    assert json.loads(browser.event) == '{"id": "v1", "currentTime": 3}'  # a JSON string, as logged
    assert "A JSON string holding JSON" in text
    assert html.escape(json.dumps({"id": "v1", "currentTime": 3}, indent=2)) in text
    # The context, once; a payload that is a plain string, as it is; and markup, escaped.
    assert html.escape(json.dumps(json.loads(browser.context), indent=2)) in text
    plain = TrackingEventFactory(event=json.dumps("input_p1=2&input_p2=" + MARKUP))
    text = admin_client.get(url(TrackingEvent, "change", plain.pk)).content.decode()
    assert "A string, not JSON" in text
    assert MARKUP not in text
    assert html.escape("input_p1=2&input_p2=" + MARKUP) in text


def test_a_payload_that_is_not_json_or_too_deep_or_a_lone_surrogate_is_shown_not_a_500(admin_client):
    for payload in (
        "{cut short",
        "[" * 100_000,
        json.dumps({"text": "\ud83d"}),
        json.dumps(json.dumps("\udfff")),
    ):
        event = TrackingEventFactory(event=payload, context=payload)
        assert admin_client.get(url(TrackingEvent, "change", event.pk)).status_code == 200


def test_the_event_page_links_to_the_event_in_the_learners_timeline(
    admin_client, learner, small_timeline_pages
):
    events = [TrackingEventFactory(user=learner, time=T0 + datetime.timedelta(seconds=n)) for n in range(6)]
    target = events[2]
    text = admin_client.get(url(TrackingEvent, "change", target.pk)).content.decode()
    found = re.search(r'<a href="([^"]+)">this event in the learner', text)
    page = content(admin_client.get(html.unescape(found[1])))
    assert shown_ids(page) == order(events)[3:6]  # this event first, then the older ones


def test_the_list_ignores_a_sort_by_column_and_keeps_newest_by_id(admin_client):
    first = TrackingEventFactory(time=T0 + datetime.timedelta(days=1))
    second = TrackingEventFactory(time=T0)
    for params in ({}, {"o": "1"}, {"o": "-1.2"}, {"o": "x"}):
        listed = admin_client.get(url(TrackingEvent, "changelist"), params).context["cl"].result_list
        assert [e.pk for e in listed] == [second.pk, first.pk], params


def test_the_list_filters_by_family_source_and_course_and_searches_indexed_columns(admin_client):
    video = TrackingEventFactory(event_type="play_video", browser=True, user_id=5)
    problem = TrackingEventFactory(course_id=OTHER_COURSE, user_id=6)
    build_course(course_id=OTHER_COURSE)  # the course filter lists the courses with a grading policy
    listing = url(TrackingEvent, "changelist")

    def found(params):
        return {e.pk for e in admin_client.get(listing, params).context["cl"].result_list}

    assert found({"family__exact": "video"}) == {video.pk}
    assert found({"event_source": "server"}) == {problem.pk}
    assert found({"course_id": OTHER_COURSE}) == {problem.pk}
    assert found({"q": "5"}) == {video.pk}
    assert found({"q": "play_video"}) == {video.pk}
    assert found({"q": OTHER_COURSE}) == {problem.pk}
    text = admin_client.get(listing).content.decode()
    assert FAMILY_LABELS["implicit"] in text  # the family filter offers every family by its label


# --- The timeline -----------------------------------------------------------------------------


@pytest.fixture
def busy_learner(learner):
    """Eleven events of ``learner``, five of them at one instant (ids ordering them), with other
    learners' events in between."""
    times = [T0 + datetime.timedelta(seconds=n) for n in (0, 1, 2, 3)] + [
        T0 + datetime.timedelta(seconds=5)
    ] * 5
    times += [T0 + datetime.timedelta(seconds=9), T0 - datetime.timedelta(days=400)]
    types = ["play_video", "problem_check", "seq_goto", "/courses/x/courseware"] * 3
    made = []
    for n, time in enumerate(times):
        made.append(TrackingEventFactory(user=learner, time=time, event_type=types[n % len(types)]))
        TrackingEventFactory(user_id=learner.pk + 1, time=time)  # someone else's
    return made


def test_the_timeline_pages_through_every_event_newest_first_and_back(
    admin_client, busy_learner, small_timeline_pages
):
    path, _ = timeline(busy_learner[0].user_id)
    expected = order(busy_learner)
    older = walk(admin_client, path, "next")
    assert [n for page in older for n in page] == expected
    assert [len(page) for page in older] == [3, 3, 3, 2]
    # The identical times span two pages: the id orders them, none is lost or shown twice.
    same = [e.pk for e in busy_learner if e.time == T0 + datetime.timedelta(seconds=5)]
    assert sorted(same, reverse=True) == expected[1:6]
    # Back from the oldest page, by the "newer" links, the same pages in reverse.
    last = admin_client.get(path)
    for _ in range(len(older) - 1):
        last = admin_client.get(link(content(last), "next"))
    newer = walk(admin_client, link(content(last), "prev"), "prev")
    assert newer == older[-2::-1]  # the first event of a page is where the next newer one ends


def test_whole_second_times_as_the_loader_stores_them_page_correctly(
    admin_client, learner, small_timeline_pages
):
    """The loader writes every time with its fraction, ``10:00:00.000000`` for a whole second
    (SQLite keeps it as that text), where Django's parameter for it is ``10:00:00``: the page
    boundary inside one whole second still loses no event and shows none twice."""
    second = datetime.datetime(2024, 3, 5, 10, 0, 0, tzinfo=UTC)
    made = [TrackingEventFactory(user=learner, time=second) for _ in range(5)]
    made += [TrackingEventFactory(user=learner, time=second + datetime.timedelta(seconds=s)) for s in (-1, 1)]
    with connection.cursor() as cursor:
        for event in made:
            cursor.execute(
                "UPDATE edx_schema_trackingevent SET time = %s WHERE id = %s",
                [event.time.strftime("%Y-%m-%d %H:%M:%S.%f"), event.pk],
            )
    path, _ = timeline(learner.pk)
    older = walk(admin_client, path, "next")
    assert [n for page in older for n in page] == order(made)
    assert [len(page) for page in older] == [3, 3, 1]
    last = admin_client.get(path)
    for _ in range(len(older) - 1):
        last = admin_client.get(link(content(last), "next"))
    assert walk(admin_client, link(content(last), "prev"), "prev") == older[-2::-1]


def test_the_family_filter_shows_one_family_and_pages_within_it(
    admin_client, busy_learner, small_timeline_pages
):
    user_id = busy_learner[0].user_id
    path, _ = timeline(user_id)
    text = content(admin_client.get(path))
    for label in FAMILY_LABELS.values():
        assert html.escape(label) in text
    videos = [e for e in busy_learner if e.family == "video"]
    pages = walk(admin_client, f"{path}?family=video", "next")
    assert [n for page in pages for n in page] == order(videos)
    implicit = content(admin_client.get(path, {"family": "implicit"}))
    assert "<strong>page request (implicit)</strong>" in implicit
    assert set(shown_ids(implicit)) <= {e.pk for e in busy_learner if e.family == "implicit"}
    assert "No events of this family." in content(admin_client.get(path, {"family": "forum"}))


def test_a_timeline_row_shows_time_family_type_course_block_page_and_links_to_the_event(
    admin_client, learner
):
    event = TrackingEventFactory(
        user=learner,
        browser=True,
        event_type="edx.ui.lms.sequence.next_selected",
        name="edx.ui.lms.sequence.next_selected",
        block_id="block-v1:edX+DemoX+Demo_Course+type@sequential+block@s1",
        time=T0,
    )
    path, _ = timeline(learner.pk)
    text = content(admin_client.get(path))
    for value in (
        "2024-03-05 10:00:00.250000",
        FAMILY_LABELS["navigation"],
        event.event_type,
        COURSE,
        event.block_id,
        html.escape(event.page),
        url(TrackingEvent, "change", event.pk),
    ):
        assert value in text, value


# --- The course page's chart ------------------------------------------------------------------


def chart_numbers(text):
    """The chart's table: {(day, family label): events}, and its per-day totals."""
    table = text.split('id="events-per-day"', 1)[1].split("</table>", 1)[0]
    head = [html.unescape(h) for h in re.findall(r"<th>([^<]*)</th>", table)][1:-1]
    numbers, totals = {}, {}
    for row in re.findall(r"<tr><td>(\d{4}-\d{2}-\d{2})</td>(.*?)</tr>", table):
        day, cells = row[0], [int(n) for n in re.findall(r"<td>(\d+)</td>", row[1])]
        totals[day] = cells[-1]
        numbers.update({(day, family): n for family, n in zip(head, cells[:-1], strict=True) if n})
    return numbers, totals


def tooltips(text):
    """The bars' tooltips: {(day, family label): events}."""
    return {
        (day, html.unescape(family)): int(n)
        for day, family, n in re.findall(r"<title>(\d{4}-\d{2}-\d{2}), ([^:<]+): (\d+) events</title>", text)
    }


@pytest.fixture
def course_page(admin_client):
    build_course(course_id=COURSE)
    policy = GradingPolicy.objects.get(course_id=COURSE)
    path = reverse("admin:edx_schema_course", args=[policy.pk])
    return lambda **params: content(admin_client.get(path, params))


def expected_counts(events, first, last):
    return Counter(
        (e.time.astimezone(UTC).date().isoformat(), FAMILY_LABELS[e.family])
        for e in events
        if e.course_id == COURSE and first <= e.time.astimezone(UTC).date() <= last
    )


@pytest.fixture
def course_events():
    """Events of the course over 70 days (some at a day's edges), and another course's."""
    last = datetime.datetime(2024, 5, 31, 23, 59, 59, 999999, tzinfo=UTC)
    made = []
    types = ["play_video", "problem_check", "seq_goto", "edx.forum.thread.created", "/courses/x/info"]
    for day in range(70):
        for n in range(day % 4 + 1):
            time = last - datetime.timedelta(days=day, hours=n * 5)
            made.append(TrackingEventFactory(course_id=COURSE, time=time, event_type=types[(day + n) % 5]))
    made.append(TrackingEventFactory(course_id=COURSE, time=datetime.datetime(2024, 5, 1, tzinfo=UTC)))
    made.append(TrackingEventFactory(course_id=OTHER_COURSE, time=last, event_type="play_video"))
    return made


def test_the_chart_shows_the_last_60_days_events_per_day_and_family(course_page, course_events):
    text = course_page()
    expected = expected_counts(course_events, datetime.date(2024, 4, 2), datetime.date(2024, 5, 31))
    numbers, totals = chart_numbers(text)
    assert numbers == dict(expected)
    assert tooltips(text) == dict(expected)
    per_day = Counter()
    for (day, _family), n in expected.items():
        per_day[day] += n
    assert totals == dict(per_day)
    assert "2024-04-01" not in totals  # the 61st day back
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in text
    assert '<title id="events-chart-title">' in text
    assert f"{sum(expected.values())} events from 2024-04-02 to 2024-05-31" in text
    for label in {family for _day, family in expected}:
        assert f"{html.escape(label)} (" in text  # the legend
    assert "<script" not in text.split('id="events"', 1)[1]


def test_the_chart_takes_a_range_of_days_from_the_url(course_page, course_events):
    text = course_page(events_from="2024-03-25", events_to="2024-04-05")
    expected = expected_counts(course_events, datetime.date(2024, 3, 25), datetime.date(2024, 4, 5))
    assert chart_numbers(text)[0] == dict(expected)
    assert tooltips(text) == dict(expected)
    assert 'value="2024-03-25"' in text
    only_from = course_page(events_from="2024-03-01")
    assert chart_numbers(only_from)[0] == dict(
        expected_counts(course_events, datetime.date(2024, 3, 1), datetime.date(2024, 4, 29))
    )
    empty = course_page(events_from="2020-01-01", events_to="2020-01-31")
    assert "No tracking-log events from 2020-01-01 to 2020-01-31." in empty


def test_a_course_without_events_says_so(course_page):
    TrackingEventFactory(course_id=OTHER_COURSE)
    text = course_page()
    assert "No tracking-log events loaded for this course." in text
    assert "<svg" not in text


# --- Hostile input ----------------------------------------------------------------------------


BAD_POSITIONS = [
    "x",
    "2024-03-05T10:00:00.000000",
    "2024-03-05T10:00:00.000000_",
    "2024-02-30T10:00:00.000000_1",
    "0999-12-31T23:59:59.999999_1",
    "9999-12-31T23:59:59.999999_1",  # the last instant: nothing after it, no overflow
    "2024-03-05T10:00:00.000000_" + "9" * 19,
    "2024-03-05T10:00:00.000000_" + "9" * 30,
    "\uff12\uff10\uff12\uff14-03-05T10:00:00.000000_1",  # full-width digits
    "2024-03-05T10:00:00.000000_²",
    "' OR 1=1 --",
    "a\x00b",
    MARKUP,
]


def test_hostile_query_strings_on_the_timeline_are_normal_pages(admin_client, busy_learner):
    path, _ = timeline(busy_learner[0].user_id)
    for value in BAD_POSITIONS:
        for params in (
            {"before": value},
            {"after": value},
            {"family": value},
            {"before": value, "after": value},
        ):
            response = admin_client.get(path, params)
            assert response.status_code == 200, params
            assert MARKUP not in response.content.decode()
    noted = content(admin_client.get(path, {"family": "nope", "before": "garbage"}))
    assert "“nope” is not an event family" in html.unescape(noted)
    assert "“garbage” is not a position in a timeline" in html.unescape(noted)
    assert shown_ids(noted) == order(busy_learner)[:50]


def test_a_user_id_that_cannot_be_one_is_a_404(admin_client):
    base = reverse("admin:edx_schema_learner_events", args=[1])
    for bad in ("abc", "-1", "1.5", "²", "9" * 19, "9" * 40, "%00"):
        assert admin_client.get(base.replace("/1/", f"/{bad}/")).status_code == 404, bad
    assert admin_client.get(reverse("admin:edx_schema_learner_events", args=[2**63 - 1])).status_code == 200


def test_hostile_days_on_the_course_page_are_noted_and_the_default_chart_shown(course_page, course_events):
    default = chart_numbers(course_page())[0]
    for params in (
        {"events_from": "2024-13-01"},
        {"events_from": "yesterday"},
        {"events_to": "9999-12-31"},
        {"events_from": "0001-01-01", "events_to": "0001-01-02"},
        {"events_from": "2024-05-01", "events_to": "2024-04-01"},
        {"events_from": "2020-01-01", "events_to": "2024-05-01"},
        {"events_from": "2024-05-01\x00"},
        {"events_from": "\u0662\u0660\u0662\u0664-\u0660\u0665-\u0660\u0661"},  # Arabic-Indic digits
        {"events_from": MARKUP},
    ):
        text = course_page(**params)
        assert chart_numbers(text)[0] == default, params
        assert "Shown: the 60 days up to the course's last day with events." in html.unescape(text), params
        assert MARKUP not in text


def test_stored_markup_is_shown_as_text(admin_client, learner, course_page):
    event = TrackingEventFactory(
        user=learner, course_id=COURSE, event_type=MARKUP, block_id=MARKUP, page=MARKUP, payload={"x": MARKUP}
    )
    for page in (
        url(TrackingEvent, "change", event.pk),
        url(TrackingEvent, "changelist"),
        reverse("admin:edx_schema_learner_events", args=[learner.pk]),
    ):
        text = admin_client.get(page).content.decode()
        assert MARKUP not in text, page
        assert html.escape(MARKUP) in text, page
    assert MARKUP not in course_page()


# --- Query shapes -----------------------------------------------------------------------------


@pytest.fixture
def events_are_big(monkeypatch):
    """The query-shape checks of tests/admin/test_query_shapes.py, with the event table as big."""
    monkeypatch.setitem(test_query_shapes.BIG, TrackingEvent._meta.db_table, TrackingEvent)


def queries_of(client, path, params=None):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path, params or {}).status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def event_queries(sqls):
    return [sql for sql in sqls if test_query_shapes.big_tables(sql) == ["edx_schema_trackingevent"]]


def test_the_timeline_reads_one_bounded_page_through_the_index_and_never_counts(
    admin_client, busy_learner, small_timeline_pages, events_are_big
):
    path, _ = timeline(busy_learner[0].user_id)
    older = link(content(admin_client.get(path)), "next")
    for page in (path, f"{path}?family=video", older, older.replace("before=", "after=")):
        sqls = queries_of(admin_client, page)
        (read,) = event_queries(sqls)
        assert "COUNT(" not in read.upper()
        assert read.endswith("LIMIT 4"), read  # a page of 3, and one to know there are more
        assert " OFFSET " not in read.upper()
        assert "ORDER BY" in read.upper()
        found = {sql: test_query_shapes.check(sql, mysql_plans=False) for sql in sqls}
        assert {sql: problems for sql, problems in found.items() if problems} == {}
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN QUERY PLAN " + read)
                plan = " ".join(row[-1] for row in cursor.fetchall())
            assert "USING INDEX edx_schema_event_user" in plan, plan
            assert "TEMP B-TREE" not in plan, plan  # the index's own order: no sort


def test_the_course_chart_is_one_group_by_over_the_course_index(
    admin_client, course_page, course_events, events_are_big
):
    policy = GradingPolicy.objects.get(course_id=COURSE)
    sqls = event_queries(queries_of(admin_client, reverse("admin:edx_schema_course", args=[policy.pk])))
    latest, grouped = sqls
    assert latest.endswith("LIMIT 1")
    assert "GROUP BY" in grouped.upper()
    assert "COUNT(" in grouped.upper()
    for sql in sqls:
        assert test_query_shapes.check(sql, mysql_plans=False) == []
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN QUERY PLAN " + sql)
                plan = " ".join(row[-1] for row in cursor.fetchall())
            assert "INDEX edx_schema_event_course" in plan, plan
    # With a range from the URL, the group by alone.
    ranged = event_queries(
        queries_of(
            admin_client, reverse("admin:edx_schema_course", args=[policy.pk]), {"events_from": "2024-05-01"}
        )
    )
    assert len(ranged) == 1


@pytest.mark.parametrize(
    "params",
    [{}, {"q": "5"}, {"q": COURSE}, {"q": "play_video"}, {"course_id": COURSE}],
    ids=str,
)
def test_the_event_list_runs_only_bounded_indexed_queries(admin_client, events_are_big, monkeypatch, params):
    monkeypatch.setattr(admin.site._registry[TrackingEvent], "list_per_page", 3)
    for n in range(8):
        TrackingEventFactory(
            user_id=5 + n % 2, time=T0 + datetime.timedelta(minutes=n), event_type="play_video"
        )
    sqls = queries_of(admin_client, url(TrackingEvent, "changelist"), params)
    found = {sql: test_query_shapes.check(sql) for sql in sqls}
    assert {sql: problems for sql, problems in found.items() if problems} == {}
    assert event_queries(sqls)
    for sql in event_queries(sqls):  # the payloads are not read for a list
        assert '"event"' not in sql
        assert "`event`" not in sql


# --- The factory ------------------------------------------------------------------------------


def test_the_event_factories_build_valid_rows_consistent_with_the_loader():
    for event in (TrackingEventFactory(), TrackingEventFactory(browser=True, event_type="play_video")):
        event.full_clean()
        event.file.full_clean()
        context = json.loads(event.context)
        assert (context["user_id"], context["course_id"]) == (event.user_id, event.course_id)
    assert event.family == "video"
    assert isinstance(json.loads(json.loads(event.event)), dict)
    assert TrackingLogFileFactory(sha256=event.file.sha256) == event.file  # get-or-create
