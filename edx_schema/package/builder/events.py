"""Tracking logs: the org's daily ``events/{org}-edx-events-{YYYY-MM-DD}.log.gz``, as delivered.

One gzip file per UTC day, ``date-7`` to ``date``, holding every course of the org. A line goes in
the file of the day it was received: ``context.received_at`` for mobile events, else ``time``, so
late mobile events have a ``time`` a day or more before their file's day. The package's last day
is partial (the lines received before 12:00 UTC); next week's package re-sends it complete. A
day's lines come from a generator seeded by the day, the org and the seed, never by the package
date, so the partial file is the first lines of the complete one, byte for byte.

Each line is what the LMS writes, ``json.dumps(event)`` (ASCII, ``", "`` and ``": "``), with the
shapes of its eras (tracking_logs.md): today's events carry ``name`` and, for browser and mobile
events, ``event`` as JSON text; the legacy course also has a few pre-2014 lines (no ``name``, no
``referer``, the request fields repeated in ``context``, at times no ``context.course_id``). About
one line in a thousand (at most 20 a day) is junk: an event cut at ``TRACK_MAX_EVENT``, syslog
text before an event (still an event), an empty line, non-UTF-8 bytes, a JSON array.

Benchmarks write millions of events, so nothing is serialised per line: each line's shape is JSON
with holes made once per course (:func:`_line`), filled with values JSON-encoded once per learner
or session; the day's events are drawn in order of arrival and streamed to gzip, compressed by a
thread of its own.
"""

from __future__ import annotations

import base64
import bisect
import datetime
import gzip
import hashlib
import json
import re
import uuid
from collections import deque
from collections.abc import Generator, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import accumulate
from operator import itemgetter
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from .content import GRADING_POLICY, SUBSECTIONS, Problem, content_of, html_id, video_id, video_settings
from .grades import POLICY_HASH
from .roles import roles_of
from .spec import CourseRun, Learner, PackageSpec, md5_hex
from .users import enrollment_active, enrollment_mode

#: The LMS host of every event (the exporter drops Studio's and those of host ``""``).
HOST = "courses.edx.org"
#: The site token of the file names: edx.org's deliveries say ``edx`` (``mitx-edx-events-...``).
SITE = "edx"
#: Days of events in a package: ``date-7`` (complete) to ``date`` (partial, re-sent next week).
DAYS = 8
#: The length at which the LMS cuts a line (``TRACK_MAX_EVENT``), leaving invalid JSON.
TRACK_MAX_EVENT = 10_000
#: The kinds of junk line; a file holds about one in a thousand, kinds in turn from day to day.
JUNK_KINDS = ("truncated", "syslog", "empty", "binary", "array")
#: The most junk lines a day's file holds: real logs have few, and a file with more than
#: ``import_package --max-errors`` (100) of them fails as garbage.
JUNK_PER_DAY = 20
#: gzip's level: fast, since benchmarks write millions of lines.
COMPRESS_LEVEL = 1

_SECOND = 1_000_000  # times are microseconds after the day's midnight, UTC
_DAY = 86_400 * _SECOND
_NOON = _DAY // 2
#: Events per UTC hour, relative: learners everywhere, more of them in Europe's and the Americas' day.
_HOURLY = (5, 4, 3, 3, 3, 4, 5, 6, 7, 8, 8, 9, 9, 10, 10, 10, 10, 10, 9, 9, 8, 8, 7, 6)
#: Arrivals are drawn over the day less these seconds, so that a request's last line stays in it.
_MARGIN = 2 * _SECOND
#: The share of events before noon, which the partial last day holds.
_MORNING = sum(_HOURLY[:12]) / sum(_HOURLY)
_SECONDS = [f"{second:02d}" for second in range(60)]
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_UTC = datetime.UTC
#: When the courses were last published, for the grades events.
_EDITED = str(datetime.datetime(2024, 1, 5, 9, 30, 11, 512000, tzinfo=_UTC))

_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.6 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.6 Mobile/15E148 Safari/604.1",
)
_LANGUAGES = ("en-US,en;q=0.9", "fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7", "es-419,es;q=0.9", "zh-CN,zh;q=0.9")
_SPEEDS = ("0.75", "1.0", "1.25", "1.50", "2.0")
_TOPICS = ("course", "general", "week1")
#: Forum titles and bodies: quotes, backslashes, newlines and non-ASCII (written as \\uXXXX).
_POSTS = (
    ('Problem 2, "part b"?', "Is the answer in C:\\ units? I tried 3.14 and it says incorrect."),
    (
        "Caf\u00e9 study group in M\u00fcnchen",
        "Anyone near M\u00fcnchen?\nWe meet on Thursdays \u2014 all welcome.",
    ),
    ("Video 1 stops at 02:13", "The video stops at 02:13 for me (Chrome 130, Windows 11). Anyone else?"),
    ("\u4f5c\u4e1a 3 \u7684\u95ee\u9898", "\u7b2c\u4e8c\u9898\u7684\u7b54\u6848\u662f\u591a\u5c11\uff1f"),
    # Long enough that the request's GET/POST, cut at 512 characters, is not JSON.
    ("My notes on week 1", "Summary of the lectures, in my own words.\n" + "- the key idea, again. " * 30),
)


def event_days(spec: PackageSpec) -> list[datetime.date]:
    """The days of the package's event files, oldest first: ``date-7`` to ``date``."""
    return [spec.date - datetime.timedelta(days=back) for back in range(DAYS - 1, -1, -1)]


def events_file_name(org: str, day: datetime.date) -> str:
    """A day's file, as the exporter names it: ``{org}-edx-events-{YYYY-MM-DD}.log.gz``, org lower-cased."""
    return f"{org.lower()}-{SITE}-events-{day.isoformat()}.log.gz"


def events_per_day(spec: PackageSpec) -> int:
    """A complete day's events: ``spec.events`` over the seven complete days and the partial one."""
    return max(1, round(spec.events / (DAYS - 1 + _MORNING))) if spec.events > 0 else 0


def write_events(folder: Path, spec: PackageSpec, runs: Sequence[CourseRun]) -> int:
    """Write ``events/``, a gzip file a day, under the package folder; return the events (not junk)."""
    target = folder / "events"
    target.mkdir()
    org = _Org(spec, runs)
    written = 0
    for day in event_days(spec):
        path = target / events_file_name(spec.org, day)
        written += _Day(org, day).write(path, end=_NOON if day == spec.date else _DAY)
    return written


# Templates: a line's JSON with holes, filled by ``%`` with values already JSON-encoded.


class _Hole:
    """A value a template leaves out: filled per line with its JSON text."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


_MARK = re.compile(r'"\\u0000(\w+)\\u0000"')
_NAMED = re.compile(r"%\((\w+)\)s")


def _mark(value: object) -> str:
    if isinstance(value, _Hole):
        return f"\0{value.name}\0"
    raise TypeError(f"{value!r} is not JSON")


class _Form:
    """JSON text with holes, called with a mapping of each hole's value (JSON: text or number)."""

    __slots__ = ("_get", "_text")

    def __init__(self, text: str) -> None:
        names = _NAMED.findall(text)
        self._text = _NAMED.sub("%s", text)
        self._get = itemgetter(*names)  # of one name, the value itself: fine for one "%s"

    def __call__(self, values: Mapping[str, object]) -> str:
        return self._text % self._get(values)


class _Line:
    """A line's JSON with holes, called with a mapping of each hole's JSON text.

    The cost of every line, so the texts are joined into a list kept for it: twice as fast as a
    ``%`` format with an ``itemgetter``, itself three times faster than a ``%(name)s`` mapping.
    """

    __slots__ = ("_get", "_parts")

    def __init__(self, text: str) -> None:
        pieces = _NAMED.split(text)  # text, name, text, ..., text
        self._parts = [piece.replace("%%", "%") for piece in pieces]
        names = pieces[1::2]
        get = itemgetter(*names)
        self._get = get if len(names) > 1 else lambda values: (get(values),)

    def __call__(self, values: Mapping[str, str]) -> str:
        parts = self._parts
        parts[1::2] = self._get(values)
        return "".join(parts)


def _json(shape: object, *, compact: bool) -> str:
    """``json.dumps(shape)`` as a ``%`` format, each :class:`_Hole` a ``%(name)s``."""
    text = json.dumps(shape, default=_mark, separators=(",", ":") if compact else None)
    return _MARK.sub(r"%(\1)s", text.replace("%", "%%"))


def _template(shape: object, *, compact: bool = False) -> _Form:
    """``json.dumps(shape)`` with holes: each :class:`_Hole` filled with a JSON value.

    ``compact``: the separators of JavaScript's ``JSON.stringify``, as old browser events have.
    """
    return _Form(_json(shape, compact=compact))


def _line(shape: object) -> _Line:
    """A line's ``json.dumps(shape)`` with holes: each :class:`_Hole` filled with a JSON text."""
    return _Line(_json(shape, compact=False))


def _text(shape: object, *, compact: bool = False) -> _Form:
    """The JSON string holding ``shape``'s JSON (a browser event's ``event``), with holes.

    Its holes take numbers, or strings encoded twice (:func:`_twice`).
    """
    return _Form(json.dumps(_json(shape, compact=compact)))


def _twice(value: str) -> str:
    """A string as it appears inside JSON text that is itself a JSON string."""
    return json.dumps(json.dumps(value))[1:-1]


_j = json.dumps
_H = _Hole
#: The GET/POST of an implicit event with no parameters, as today's middleware writes it.
_NO_PARAMETERS = _j(_j({"GET": {}, "POST": {}}))
_TAGS = [_j({"xblock.partition_service.partition_0": str(group)}) for group in (0, 1)]
_AGENT_TEXTS = [_j(agent) for agent in _AGENTS]
_LANGUAGE_TEXTS = [_j(language) for language in _LANGUAGES]


def _in_path(usage_key: str) -> str:
    """A usage key in a handler's URL: an ``i4x://`` key's slashes quoted (the LMS's ``quote_slashes``)."""
    return usage_key.replace(";", ";;").replace("/", ";_")


def _request(**fields: Any) -> dict[str, Any]:
    """The request fields every event of today's LMS has after ``context``, ``fields`` added."""
    return {
        "username": _H("user"),
        "session": _H("session"),
        "ip": _H("ip"),
        "agent": _H("agent"),
        "host": HOST,
        "referer": _H("referer"),
        "accept_language": _H("lang"),
        "event": _H("event"),
        "time": _H("time"),
        **fields,
    }


def _formats(key: str, org: str) -> dict[str, _Line]:
    """A course's line formats, by kind: today's shapes, the mobile one and the pre-2014 ones."""
    course = {"course_id": key, "org_id": org}
    old_request = {"ip": _H("ip"), "agent": _H("agent"), "host": HOST, "session": _H("session")}
    old_browser = {
        "username": _H("user"),
        "event_type": _H("etype"),
        **old_request,
        "event": _H("event"),
        "event_source": "browser",
    }
    old_context = {"username": _H("user"), "user_id": _H("uid"), "ip": _H("ip")}
    old_implicit_head = {
        "username": _H("user"),
        "host": HOST,
        "event_source": "server",
        "event_type": _H("path"),
    }
    old_implicit_tail = {
        "time": _H("time"),
        "ip": _H("ip"),
        "event": _H("event"),
        "agent": _H("agent"),
        "page": None,
    }
    return {
        "browser": _line(
            {
                "name": _H("name"),
                "context": {"user_id": _H("uid"), "path": "/event", **course},
                **_request(event_type=_H("etype"), event_source="browser", page=_H("page")),
            }
        ),
        "implicit": _line(
            {
                "name": _H("path"),
                "context": {"user_id": _H("uid"), "path": _H("path"), **course},
                **_request(event_type=_H("path"), event_source="server", page=None),
            }
        ),
        # problem_check: the capa block's context and page.
        "module": _line(
            {
                "name": _H("name"),
                "context": {
                    "user_id": _H("uid"),
                    "path": _H("path"),
                    **course,
                    "course_user_tags": _H("tags"),
                    "module": _H("module"),
                },
                **_request(event_type=_H("name"), event_source="server", page="x_module"),
            }
        ),
        # Forum and grades events: emitted in a course page's request.
        "server": _line(
            {
                "name": _H("name"),
                "context": {
                    "user_id": _H("uid"),
                    "path": _H("path"),
                    **course,
                    "course_user_tags": _H("tags"),
                },
                **_request(event_type=_H("name"), event_source="server", page=None),
            }
        ),
        "enrollment": _line(
            {
                "name": _H("name"),
                "context": {"user_id": _H("uid"), "path": _H("path"), **course, "enterprise_uuid": ""},
                **_request(event_type=_H("name"), event_source="server", page=None),
            }
        ),
        # Segment's webhook: no session, IP, referer or language; the device's time and Segment's receipt.
        "mobile": _line(
            {
                "name": _H("name"),
                "context": {
                    "user_id": _H("uid"),
                    "path": "/segmentio/event",
                    **course,
                    "application": _H("app"),
                    "client": _H("client"),
                    "component": "videoplayer",
                    "received_at": _H("received"),
                },
                "username": _H("user"),
                "session": "",
                "ip": "",
                "agent": _H("agent"),
                "host": HOST,
                "referer": "",
                "accept_language": "",
                "event": _H("event"),
                "time": _H("time"),
                "event_type": _H("etype"),
                "event_source": "mobile",
                "page": _H("page"),
            }
        ),
        # Before 2014: the request fields repeated in the context (tracking_logs.md §7 lines 2 and 3).
        "old_browser": _line(
            {
                **old_browser,
                "context": {
                    **old_context,
                    "org_id": org,
                    "agent": _H("agent"),
                    "host": HOST,
                    "session": _H("session"),
                    "course_id": key,
                    "path": "/event",
                },
                "time": _H("time"),
                "page": _H("page"),
            }
        ),
        "old_browser_bare": _line(
            {
                **old_browser,
                "context": {
                    **old_context,
                    "agent": _H("agent"),
                    "host": HOST,
                    "session": _H("session"),
                    "path": "/event",
                },
                "time": _H("time"),
                "page": _H("page"),
            }
        ),
        "old_implicit": _line(
            {
                **old_implicit_head,
                "context": {
                    "username": _H("user"),
                    "course_user_tags": {},
                    "user_id": _H("uid"),
                    "ip": _H("ip"),
                    "org_id": org,
                    "agent": _H("agent"),
                    "host": HOST,
                    "session": _H("session"),
                    "course_id": key,
                    "path": _H("path"),
                },
                **old_implicit_tail,
            }
        ),
        "old_implicit_bare": _line(
            {
                **old_implicit_head,
                "context": {
                    **old_context,
                    "agent": _H("agent"),
                    "host": HOST,
                    "session": _H("session"),
                    "path": _H("path"),
                },
                **old_implicit_tail,
            }
        ),
    }


# What a course's events refer to, encoded once.


@dataclass(frozen=True)
class _Video:
    """A video block and the ``event`` formats of its browser and mobile events."""

    usage_key: str
    duration: float
    load: str  # load_video's event, complete
    position: _Form  # play, pause and stop: hole ``at``
    seek: _Form  # holes ``old``, ``new``, ``kind``
    speed: _Form  # holes ``at``, ``old``, ``new``
    old_position: _Form  # pre-2014, JavaScript's separators: hole ``at``
    old_seek: _Form  # holes ``old``, ``new``, ``kind`` (old_time equal to new_time before June 2014)
    mobile_position: _Form  # hole ``at``
    mobile_seek: _Form  # holes ``old``, ``new``
    page: str  # the mobile events' page: the block's "open in browser" URL
    transcript: str  # the path of its transcript handler
    save_state: str  # the path of its state handler


@dataclass(frozen=True)
class _Variant:
    """One answer to a problem: its encoded parts in each event of a submission."""

    correct: bool
    browser: str  # the browser problem_check's event: the form's query string, quoted as JSON
    post: str  # the implicit event's GET/POST
    server: _Form  # the server problem_check's event: hole ``attempts``


@dataclass(frozen=True)
class _Problem:
    """A capa problem and its submissions' parts."""

    usage_key: str
    subsection: str  # its sequential's usage key
    raw_max: int  # its maximum raw score (its capa XML's)
    possible: float  # its weighted possible score
    siblings: int  # the problems of its subsection
    subsection_possible: float  # its subsection's, when its essay is not scored
    check_path: str
    show_path: str
    module: str  # context.module
    show: str  # problem_show's event
    variants: tuple[_Variant, ...]  # the correct answer first
    submitted: _Form  # edx.grades.problem.submitted: holes ``learner``, ``transaction``, ``earned``


@dataclass(frozen=True)
class _Sequence:
    """A graded subsection: its units (a homework's video first, then a problem each) and pages."""

    usage_key: str
    path: str  # the courseware page's path
    pages: tuple[str, ...]  # each unit's page (JSON), from tab 1
    units: tuple[_Video | _Problem, ...]
    move: _Form  # today's seq_goto/seq_next/seq_prev event: holes ``now``, ``to``, ``where``
    leave: _Form  # next_selected or previous_selected out of the subsection: holes ``now``, ``to``, ``where``
    old_move: _Form  # pre-2014: holes ``now``, ``to``


class _Course:
    """One course's line formats and the blocks its events name."""

    def __init__(self, run: CourseRun) -> None:
        course = run.course
        self.run = run
        self.key = key = course.key
        self.formats = _formats(key, course.org)
        root = f"/courses/{key}"
        self.root = root
        self.url = f"https://{HOST}{root}"
        self.home = _j(f"{self.url}/course/")
        # The pages the implicit events name: their paths and URLs (JSON).
        names = ("course", "progress", "info", "about", "discussion/forum")
        self.pages = {name: _j(f"{root}/{name}/") for name in names}
        self.urls = {name: _j(f"{self.url}/{name}/") for name in names}
        content = content_of(run)
        possibles = {  # each subsection's possible score while its essay is not scored
            s.name: float(
                sum(
                    b.possible if isinstance(b, Problem) else b.unattempted_possible
                    for b in content.scored[s.name]
                )
            )
            for s in SUBSECTIONS
        }
        problems = [
            self._problem(run, p, html_id(course, "problem", p.url_name), possibles[p.subsection.name])
            for p in content.problems
        ]
        sequences = []
        for index, subsection in enumerate(SUBSECTIONS):
            units: list[_Video | _Problem] = [
                problems[p.index] for p in content.problems if p.subsection == subsection
            ]
            if subsection.format == "Homework":
                block = video_id(course, index)
                video = self._video(course.usage_key("video", block), html_id(course, "video", block), index)
                units.insert(0, video)
            sequences.append(
                self._sequence(course.usage_key("sequential", subsection.name), subsection.name, units)
            )
        self.sequences = sequences
        self.videos = [unit for s in sequences for unit in s.units if isinstance(unit, _Video)]
        # The grades events of a submission (grades/events.py): holes ``learner``, ``transaction``...
        version = md5_hex(key)[:24]  # the published version's ObjectId
        who = {"user_id": _H("learner"), "course_id": key}
        ids = {"event_transaction_id": _H("transaction"), "event_transaction_type": _SUBMITTED}
        self.subsection_grades = {
            s.usage_key: _template(
                {
                    **who,
                    "block_id": s.usage_key,
                    "course_version": version,
                    "weighted_total_earned": _H("earned"),
                    "weighted_total_possible": _H("possible"),
                    "weighted_graded_earned": _H("earned"),
                    "weighted_graded_possible": _H("possible"),
                    "first_attempted": _H("first"),
                    "subtree_edited_timestamp": _EDITED,
                    **ids,
                    "visible_blocks_hash": base64.b64encode(
                        hashlib.sha1(s.usage_key.encode()).digest()
                    ).decode(),
                }
            )
            for s in sequences
        }
        self.course_grade = _template(
            {
                **who,
                "course_version": version,
                "percent_grade": _H("percent"),
                "letter_grade": _H("letter"),
                "course_edited_timestamp": _EDITED,
                **ids,
                "grading_policy_hash": POLICY_HASH,
            }
        )

    def _video(self, usage_key: str, html_id: str, index: int) -> _Video:
        # A YouTube id (11 characters), or html5 for a video served from edX's own storage.
        code = video_settings(self.run.course, index).get("youtube_id_1_0", "html5")
        duration = 180.0 + 97.5 * index
        common = {"id": html_id, "code": code}
        at = {"currentTime": _H("at")}
        seek = {"old_time": _H("old"), "new_time": _H("new"), "type": _H("kind")}
        handler = f"{self.root}/xblock/{_in_path(usage_key)}/handler"
        return _Video(
            usage_key=usage_key,
            duration=duration,
            load=_j(_j({**common, "duration": duration})),
            position=_text({**common, **at, "duration": duration}),
            seek=_text({**common, **seek, "duration": duration}),
            speed=_text(
                {
                    **common,
                    "current_time": _H("at"),
                    "old_speed": _H("old"),
                    "new_speed": _H("new"),
                    "duration": duration,
                }
            ),
            old_position=_text({**common, **at}, compact=True),
            old_seek=_text({**common, **seek}, compact=True),
            mobile_position=_text({"code": "mobile", **at, "id": html_id}),
            mobile_seek=_text(
                {
                    "code": "mobile",
                    "old_time": _H("old"),
                    "new_time": _H("new"),
                    "type": "onSkipSeek",
                    "requested_skip_interval": -30,
                    "id": html_id,
                }
            ),
            page=_j(f"{self.url}/jump_to/{usage_key}"),
            transcript=_j(f"{handler}/transcript/translation/en"),
            save_state=_j(f"{handler}/xmodule_handler/save_user_state"),
        )

    def _problem(self, run: CourseRun, block: Problem, html_id: str, subsection_possible: float) -> _Problem:
        problem = block.index
        usage_key = block.usage_key
        answer = f"{html_id}_2_1"
        kind = problem % 3
        if kind == 0:  # multiple choice
            types, question = ("multiplechoiceresponse", "choicegroup"), "Which one is prime?"
            answers = [f"choice_{c}" for c in (2, 0, 3)]
            shown = {"choice_0": "4", "choice_2": "7", "choice_3": "9"}
        elif kind == 1:  # check boxes
            types, question = ("choiceresponse", "checkboxgroup"), "Select the even numbers."
            answers = [["choice_0", "choice_2"], ["choice_0"], ["choice_1", "choice_2"]]
            shown = {"choice_0": "2", "choice_1": "3", "choice_2": "8"}
        else:  # free text: the learner's own words
            types, question = ("numericalresponse", "formulaequationinput"), "What is \u03c0 to two decimals?"
            answers = ["3.14", "22/7", "\u03c0"]
            shown = {}
        variants = []
        for index, value in enumerate(answers):
            correct = index == 0
            values = value if isinstance(value, list) else [value]
            query = "&".join(
                f"input_{answer}{'%5B%5D' if isinstance(value, list) else ''}={quote_plus(v)}" for v in values
            )
            text = [shown.get(v, v) for v in values] if isinstance(value, list) else shown.get(value, value)
            correctness = "correct" if correct else "incorrect"
            server = {
                "state": {
                    "seed": 1,
                    "student_answers": {},
                    "has_saved_answers": False,
                    "correct_map": {},
                    "input_state": {answer: {}},
                    "done": None,
                },
                "problem_id": usage_key,
                "answers": {answer: value},
                "grade": block.raw_max if correct else 0,
                "max_grade": block.raw_max,
                "correct_map": {
                    answer: {
                        "correctness": correctness,
                        "npoints": None,
                        "msg": "",
                        "hint": "",
                        "hintmode": None,
                        "queuestate": None,
                        "answervariable": None,
                    }
                },
                "success": correctness,
                "attempts": _H("attempts"),
                "submission": {
                    answer: {
                        "question": question,
                        "answer": text,
                        "response_type": types[0],
                        "input_type": types[1],
                        "correct": correct,
                        "variant": "",
                        "group_label": "",
                    }
                },
            }
            variants.append(
                _Variant(
                    correct=correct,
                    browser=_j(_j(query)),
                    post=_j(
                        _j(
                            {
                                "GET": {},
                                "POST": {f"input_{answer}{'[]' if isinstance(value, list) else ''}": values},
                            }
                        )
                    ),
                    server=_template(server),
                )
            )
        handler = f"{self.root}/xblock/{_in_path(usage_key)}/handler/xmodule_handler"
        return _Problem(
            usage_key=usage_key,
            subsection=run.course.usage_key("sequential", block.subsection.name),
            raw_max=block.raw_max,
            possible=block.possible,
            siblings=sum(p.subsection == block.subsection for p in content_of(run).problems),
            subsection_possible=subsection_possible,
            check_path=_j(f"{handler}/problem_check"),
            show_path=_j(f"{handler}/problem_show"),
            module=_j({"display_name": f"Problem {problem + 1}", "usage_key": usage_key}),
            show=_j(_j({"problem": usage_key})),
            variants=tuple(variants),
            submitted=_template(
                {
                    "user_id": _H("learner"),
                    "course_id": self.key,
                    "problem_id": usage_key,
                    "event_transaction_id": _H("transaction"),
                    "event_transaction_type": _SUBMITTED,
                    "weighted_earned": _H("earned"),
                    "weighted_possible": block.possible,
                }
            ),
        )

    def _sequence(self, usage_key: str, name: str, units: list[_Video | _Problem]) -> _Sequence:
        path = f"{self.root}/courseware/week1/{name}/"
        tabs = len(units)
        where = {"current_tab": _H("now"), "id": usage_key, "tab_count": tabs, "target_tab": _H("to")}
        return _Sequence(
            usage_key=usage_key,
            path=_j(path),
            pages=tuple(_j(f"https://{HOST}{path}{tab}") for tab in range(1, tabs + 1)),
            units=tuple(units),
            move=_text({**where, "widget_placement": _H("where"), "old": _H("now"), "new": _H("to")}),
            leave=_text({**where, "widget_placement": _H("where")}),
            old_move=_text({"old": _H("now"), "new": _H("to"), "id": usage_key}, compact=True),
        )


class _Encoded(dict[str, str]):
    """Names as JSON, encoded on first use."""

    def __missing__(self, name: str) -> str:
        self[name] = value = _j(name)
        return value


_E = _Encoded()
_OLD_NO_PARAMETERS = _j(_j({"POST": {}, "GET": {}}))  # the same, in Python 2's key order
_WHERE = (_twice("top"), _twice("bottom"))
_SEEKS = tuple(_twice(kind) for kind in ("onSlideSeek", "onSkipSeek", "onCaptionSeek"))
_SPEED_TEXT = {speed: _twice(speed) for speed in _SPEEDS}
_SUBMITTED = "edx.grades.problem.submitted"
_SUBSECTION = "edx.grades.subsection.grade_calculated"
_COURSE = "edx.grades.course.grade_calculated"
_PASS = GRADING_POLICY["GRADE_CUTOFFS"]["Pass"]
_LEGACY_TYPES = {"next": "seq_next", "previous": "seq_prev", "tab": "seq_goto"}

_Burst = list[tuple[int, str]]  # a step's lines and the time each arrived
_Session = Generator[_Burst, int, None]  # sent the time of each step, yields its lines


class _Org:
    """The package's courses and learners, and each learner's values, encoded once."""

    def __init__(self, spec: PackageSpec, runs: Sequence[CourseRun]) -> None:
        self.spec = spec
        self.courses = [_Course(run) for run in runs]
        self.per_day = events_per_day(spec)
        self._position = {learner.id: index for index, learner in enumerate(runs[0].learners)}
        self._first_week = spec.date - datetime.timedelta(days=7 * (spec.week - 1))
        self._who: dict[int, dict[str, Any]] = {}

    def active(self, learners: Sequence[Learner], day: datetime.date) -> list[Learner]:
        """The learners who had joined by ``day``: week 1's always, a later week's after the week before.

        A learner a later snapshot adds joined in the week before it, so a day's events never
        depend on the package's week: next week's package re-sends this week's last day as it was.
        """
        spec = self.spec
        step = max(1, spec.learners // 10)  # the learners each later week adds (learner_count)
        active = []
        for learner in learners:
            position = self._position[learner.id]
            if position >= spec.learners:
                week = 2 + (position - spec.learners) // step
                if day <= self._first_week + datetime.timedelta(days=7 * (week - 2)):
                    continue
            active.append(learner)
        return active

    def who(self, learner: Learner) -> dict[str, Any]:
        """A learner's values in the lines of their browser: name, id, IP, browser, languages, tags."""
        values = self._who.get(learner.id)
        if values is None:
            digest = hashlib.md5(f"{self.spec.seed} browser {learner.id}".encode()).digest()
            values = self._who[learner.id] = {
                "user": _j(learner.username),
                "uid": str(learner.id),
                "learner": _j(str(learner.id)),  # as the grades events write it
                "ip": _j(f"{digest[0] % 223 + 1}.{digest[1]}.{digest[2]}.{digest[3] % 254 + 1}"),
                "agent": _AGENT_TEXTS[digest[4] % len(_AGENTS)],
                "lang": _LANGUAGE_TEXTS[digest[5] % len(_LANGUAGES)],
                "tags": _TAGS[learner.id % 2],  # user_api_usercoursetag's group
            }
        return values

    def device(self, learner: Learner) -> tuple[dict[str, Any], bool]:
        """A learner's phone, as Segment describes it; and whether its clock sends whole seconds (iOS).

        Made for each mobile session, not kept: a package of many learners would keep them all.
        """
        digest = hashlib.md5(f"{self.spec.seed} phone {learner.id}".encode()).digest()
        ios = digest[0] % 3 == 0
        phone: dict[str, str] = {"id": str(uuid.UUID(bytes=digest, version=4))}
        if ios:
            version, model = "5.2.1", ("iPhone15,2", "iPhone14,5")[digest[1] % 2]
            agent = f"edX/org.edx.mobile ({version}; OS Version 17.6.1 (Build 21G93))"
            system, library, app = {"name": "iOS", "version": "17.6.1"}, "analytics-ios", "edx.mobileapp.iOS"
            phone |= {"manufacturer": "Apple", "model": model, "type": "ios"}
        else:
            version, model = "4.1.2", ("SM-S911B", "Pixel 7")[digest[1] % 2]
            agent = (
                f"Dalvik/2.1.0 (Linux; U; Android 14; {model} Build/UP1A.231005.007) "
                f"edX/org.edx.mobile/{version}"
            )
            system, library, app = (
                {"name": "Android", "version": "14"},
                "analytics-android",
                "edx.mobileapp.android",
            )
            phone |= {"manufacturer": "samsung", "model": model, "name": "dm1q", "type": "android"}
        values = self.who(learner)
        client = {
            "app": {
                "build": version.replace(".", ""),
                "name": "edX",
                "namespace": "org.edx.mobile",
                "version": version,
            },
            "device": phone,
            "ip": json.loads(values["ip"]),
            "library": {"name": library, "version": "4.11.3"},
            "locale": ("en-US", "fr-FR", "es-MX")[digest[2] % 3],
            "network": {"carrier": ("Orange F", "Verizon", "")[digest[3] % 3], "wifi": digest[3] % 2 == 0},
            "os": system,
            "screen": {"density": 3.0, "height": 2340, "width": 1080},
            "timezone": ("Europe/Paris", "America/New_York", "Asia/Kolkata")[digest[4] % 3],
        }
        application = {"name": app, "version": version}
        return {**values, "agent": _j(agent), "app": _j(application), "client": _j(client)}, ios


#: The kinds of session and how often each starts (relative), which sets the families' shares.
_KINDS = ("browse", "home", "mobile", "forum", "enrollment", "visitor", "old")
_KIND_WEIGHTS = tuple(accumulate((50, 24, 8, 9, 7, 12, 4)))
#: Each day starts with one session of each kind, so that every day has every family.
_SHOWCASE = ("browse", "mobile", "forum", "enrollment", "visitor", "old", "home")
#: The day's events per session open at once: about the concurrency of a MOOC platform.
_EVENTS_PER_OPEN_SESSION = 2_000


class _Day:
    """One day's file: its sessions, drawn in order of arrival, and the junk between them."""

    def __init__(self, org: _Org, day: datetime.date) -> None:
        spec = org.spec
        self.org = org
        self.day = day
        self.rng = spec.rng("events", spec.org, day.isoformat())
        self.events = 0
        # Every line has a time: its text is made of the minute's and the second's, made once.
        self._minutes = [
            f'"{day.isoformat()}T{hour:02d}:{minute:02d}:' for hour in range(24) for minute in range(60)
        ]
        self._midnight = datetime.datetime(day.year, day.month, day.day, tzinfo=_UTC)
        self.learners = [org.active(course.run.enrolled, day) for course in org.courses]
        self._course_weights = list(accumulate(len(learners) for learners in self.learners))
        total = sum(_HOURLY)
        self._hours = [0.0, *accumulate(weight / total for weight in _HOURLY)]
        self._legacy = [i for i, c in enumerate(org.courses) if c.run.course.legacy and self.learners[i]]

    def write(self, path: Path, *, end: int) -> int:
        """Write the lines that arrived before ``end`` (microseconds after midnight); count the events.

        A thread compresses, a few chunks behind: zlib lets go of the GIL while it works.
        """
        with (
            open(path, "wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=COMPRESS_LEVEL, mtime=0) as out,
            ThreadPoolExecutor(max_workers=1) as compressor,
        ):
            behind: deque[Future[int]] = deque()
            for chunk in self.chunks(end=end):
                behind.append(compressor.submit(out.write, chunk))
                if len(behind) > 4:
                    behind.popleft().result()
            for written in behind:
                written.result()
        return self.events

    def chunks(self, *, end: int) -> Iterator[bytes]:
        """The day's lines in order of arrival, up to ``end``, as bytes: about a thousand at a time.

        Sets :attr:`events` to the events among them (junk lines aside).
        """
        rng = self.rng
        total = self.org.per_day
        junk = self._junk_plan(total)
        pool = [self._session(kind) for kind in _SHOWCASE]
        pool += [self._session() for _ in range(total // _EVENTS_PER_OPEN_SESSION - len(pool))]
        for session in pool:
            next(session)
        hours, hour, scale = self._hours, 0, (_DAY - _MARGIN) / 24
        pending: list[str] = []
        count, last, syslog, ended = 0, -1, False, False
        while count < total and not ended:
            # The time by which count + u of the day's ``total`` events have arrived, by the hourly
            # profile; after the last line, as a request's lines arrive together.
            share = (count + rng.random()) / total
            while share >= hours[hour + 1]:
                hour += 1
            t = int((hour + (share - hours[hour]) / (hours[hour + 1] - hours[hour])) * scale)
            for arrival, line in self._step(pool, int(rng.random() * len(pool)), max(t, last + 1)):
                if arrival >= end:
                    ended = True
                    break
                while junk and junk[-1][0] <= count:
                    kind = junk.pop()[1]
                    if kind == "syslog":  # not junk: a prefix of the next event
                        syslog = True
                        continue
                    bad = self._junk(kind, arrival)
                    if isinstance(bad, bytes):
                        if pending:
                            yield ("\n".join(pending) + "\n").encode("ascii")
                            pending.clear()
                        yield bad + b"\n"
                    else:
                        pending.append(bad)
                if syslog:
                    line = self._syslog(arrival) + line
                    syslog = False
                pending.append(line)
                count += 1
                last = arrival
            if len(pending) >= 1000:
                yield ("\n".join(pending) + "\n").encode("ascii")
                pending.clear()
        self.events = count
        if pending:
            yield ("\n".join(pending) + "\n").encode("ascii")

    def _step(self, pool: list[_Session], index: int, t: int) -> _Burst:
        """The next lines of the pool's ``index``-th session; a new session replaces one that ended."""
        while True:
            try:
                burst = pool[index].send(t)
            except StopIteration:
                pool[index] = self._session()
                next(pool[index])
                continue
            if burst:
                return burst

    def iso(self, t: int) -> str:
        """The JSON of a time (microseconds after midnight): ``isoformat()``, no fraction when whole."""
        if 0 <= t < _DAY:
            seconds, micro = divmod(t, _SECOND)
            minute, second = divmod(seconds, 60)
            if micro:
                return f'{self._minutes[minute]}{_SECONDS[second]}.{micro:06d}+00:00"'
            return f'{self._minutes[minute]}{_SECONDS[second]}+00:00"'
        return _j((self._midnight + datetime.timedelta(microseconds=t)).isoformat())

    def _str(self, t: int) -> str:
        """A time as the grades events write it: ``str()`` of the aware datetime."""
        return str(self._midnight + datetime.timedelta(microseconds=t))

    # Junk.

    def _junk_plan(self, total: int) -> list[tuple[int, str]]:
        """Where junk goes (before the event of that count) and its kind; the last first, to pop."""
        count = max(1, min(total // 1000, JUNK_PER_DAY))
        first = self.day.toordinal()
        plan = [
            ((2 * j + 1) * total // (2 * count), JUNK_KINDS[(first + j) % len(JUNK_KINDS)])
            for j in range(count)
        ]
        return plan[::-1]

    def _junk(self, kind: str, t: int) -> str | bytes:
        """A line that is not an event (syslog text is a prefix, see :meth:`_syslog`)."""
        course = self.org.courses[0]
        problem = next(unit for unit in course.sequences[0].units if isinstance(unit, _Problem))
        if kind == "empty":
            return ""
        if kind == "binary":  # a NUL run and bytes no UTF-8 text has, as a torn write leaves
            noise = bytes(b if b not in (0x0A, 0x0D) else b | 0x80 for b in self.rng.randbytes(24))
            return b"\xff\xfe" + b"\x00" * 8 + noise
        if kind == "array":
            return _j([json.loads(json.loads(problem.variants[0].browser)), "<p>Correct!</p>"])
        # An event longer than TRACK_MAX_EVENT, cut there: problem_graded with the problem's HTML.
        learner = self.rng.choice(self.learners[0])
        values = {
            **self.org.who(learner),
            "session": self._session_id(),
            "referer": course.home,
            "page": course.home,
        }
        html = (
            '<div class="problem">' + "".join(f"<p>Part {i}: {'x' * 40}</p>" for i in range(300)) + "</div>"
        )
        event = _j([json.loads(json.loads(problem.variants[1].browser)), html])
        line = self._browser(
            course.formats["browser"], values, t, _E["problem_graded"], _E["problem_graded"], event
        )
        return line[1][:TRACK_MAX_EVENT]

    def _syslog(self, t: int) -> str:
        """The text a syslog collector writes before a line: ``Nov 10 00:00:48 localhost ``."""
        seconds = t // _SECOND
        clock = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        return f"{_MONTHS[self.day.month - 1]} {self.day.day:2d} {clock} localhost "

    # Lines.

    def _browser(
        self, form: _Line, values: dict[str, Any], t: int, name: str, etype: str, event: str
    ) -> tuple[int, str]:
        values["time"] = self.iso(t)
        values["name"] = name
        values["etype"] = etype
        values["event"] = event
        return t, form(values)

    def _implicit(
        self, form: _Line, values: dict[str, Any], t: int, path: str, event: str
    ) -> tuple[int, str]:
        values["time"] = self.iso(t)
        values["path"] = path
        values["event"] = event
        return t, form(values)

    def _server(self, form: _Line, values: dict[str, Any], t: int, name: str, event: str) -> tuple[int, str]:
        """A server event, ``event`` its object's JSON (``values["path"]``: the request's)."""
        values["time"] = self.iso(t)
        values["name"] = name
        values["event"] = event
        return t, form(values)

    def _session_id(self) -> str:
        return f'"{self.rng.getrandbits(128):032x}"'

    def _later(self, t: int, low_ms: int, high_ms: int) -> int:
        """A time some milliseconds after ``t``: the next line of the same request."""
        return t + 1000 * low_ms + int(self.rng.random() * 1000 * (high_ms - low_ms))

    # Sessions: each is sent the time of its next step and yields that step's lines.

    def _session(self, kind: str | None = None) -> _Session:
        """A new session of ``kind`` (else one drawn by the kinds' weights), by an active learner."""
        rng = self.rng
        showcase = kind is not None
        if kind is None:
            kind = _KINDS[bisect.bisect_right(_KIND_WEIGHTS, rng.randrange(_KIND_WEIGHTS[-1]))]
        if kind == "old" and self._legacy:
            index = rng.choice(self._legacy)
        else:
            kind = "browse" if kind == "old" else kind
            index = bisect.bisect_right(self._course_weights, rng.randrange(self._course_weights[-1]))
        course, learner = self.org.courses[index], rng.choice(self.learners[index])
        if kind == "visitor":
            return self._visitor(course)
        if kind == "mobile":
            return self._mobile(course, learner, late=showcase or rng.random() < 0.05)
        values = {**self.org.who(learner), "session": self._session_id()}
        if kind == "home":
            return self._home(course, values)
        if kind == "forum":
            return self._forum(course, index, learner, values, post=showcase)
        if kind == "enrollment":
            return self._enrollment(course, learner, values, staff=showcase or rng.random() < 0.2)
        if kind == "old":
            return self._browse(course, values, old=True, bare=showcase or rng.random() < 0.5)
        return self._browse(course, values)

    def _browse(
        self, course: _Course, values: dict[str, Any], *, old: bool = False, bare: bool = False
    ) -> _Session:
        """A learner in the courseware: pages, videos, problems, moves between units; then leaving."""
        rng = self.rng
        formats = course.formats
        if old:
            browser = formats["old_browser_bare" if bare else "old_browser"]
            implicit = formats["old_implicit_bare" if bare else "old_implicit"]
        else:
            browser, implicit = formats["browser"], formats["implicit"]
        where, tab = rng.randrange(len(course.sequences)), 1
        sequence = course.sequences[where]
        values["referer"], values["page"] = course.home, sequence.pages[0]
        t = yield []
        t = yield [
            self._implicit(implicit, values, t, sequence.path, _OLD_NO_PARAMETERS if old else _NO_PARAMETERS)
        ]
        for _ in range(rng.randint(1, 8)):
            sequence = course.sequences[where]
            unit = sequence.units[tab - 1]
            values["referer"] = values["page"] = sequence.pages[tab - 1]
            if isinstance(unit, _Video) and rng.random() < 0.55:
                t = yield from self._watch(browser, implicit, values, unit, t, old=old)
            elif isinstance(unit, _Problem) and not old and rng.random() < 0.5:
                t = yield from self._solve(course, values, unit, t)
            else:
                where, tab, burst = self._move(course, browser, implicit, values, where, tab, t, old=old)
                t = yield burst
        if rng.random() < 0.4:
            yield [self._browser(browser, values, t, _E["page_close"], _E["page_close"], '""')]

    def _move(
        self,
        course: _Course,
        browser: _Line,
        implicit: _Line,
        values: dict[str, Any],
        where: int,
        tab: int,
        t: int,
        *,
        old: bool,
    ) -> tuple[int, int, _Burst]:
        """A click on the sequence's next, previous or tab buttons: the new position and the lines."""
        rng = self.rng
        sequence = course.sequences[where]
        tabs = len(sequence.units)
        choice = rng.random()
        kind, to = (
            ("next", tab + 1) if choice < 0.55 else ("previous", tab - 1) if choice < 0.75 else ("tab", 0)
        )
        if kind == "tab" or (old and not 1 <= to <= tabs):  # the old sequence had no way out
            kind, to = "tab", rng.randint(1, tabs)
        fields = {"now": tab, "to": to, "where": _WHERE[choice < 0.65]}
        name = _E[f"edx.ui.lms.sequence.{kind}_selected"]
        if 1 <= to <= tabs:
            event = (sequence.old_move if old else sequence.move)(fields)
            line = self._browser(browser, values, t, name, _E[_LEGACY_TYPES[kind]], event)
            values["referer"] = values["page"] = sequence.pages[to - 1]
            return where, to, [line]
        # Out of the subsection: both fields keep the new name (no legacy type), and the next page loads.
        line = self._browser(browser, values, t, name, name, sequence.leave(fields))
        where = (where + (1 if kind == "next" else -1)) % len(course.sequences)
        sequence = course.sequences[where]
        to = 1 if kind == "next" else len(sequence.units)
        values["referer"], values["page"] = values["page"], sequence.pages[to - 1]
        return (
            where,
            to,
            [line, self._implicit(implicit, values, self._later(t, 50, 900), sequence.path, _NO_PARAMETERS)],
        )

    def _watch(
        self, browser: _Line, implicit: _Line, values: dict[str, Any], video: _Video, t: int, *, old: bool
    ) -> Generator[_Burst, int, int]:
        """Watching a video: load, play, pauses, seeks and speed changes, then pause (saved) or stop.

        The position moves on with the time between the steps, at the current speed.
        """
        rng = self.rng
        duration = video.duration
        at, seek = (video.old_position, video.old_seek) if old else (video.position, video.seek)

        def line(name: str, event: str) -> tuple[int, str]:
            return self._browser(browser, values, t, _E[name], _E[name], event)

        position = 0.0 if rng.random() < 0.6 else round(rng.uniform(0, duration * 0.8), 6)
        speed = "1.0"
        if not old:
            transcript = self._later(t, 20, 400)
            t = yield [
                line("load_video", video.load),
                self._implicit(implicit, values, transcript, video.transcript, _NO_PARAMETERS),
            ]
        since = t
        t = yield [line("play_video", at({"at": position}))]
        for _ in range(rng.randint(0, 2)):
            position = min(duration, round(position + (t - since) / _SECOND * float(speed), 6))
            choice = rng.random()
            if choice < 0.35:  # a pause, then play again from there
                t = yield [line("pause_video", at({"at": position}))]
                burst = [line("play_video", at({"at": position}))]
            elif choice < 0.75 or old:
                target = round(rng.uniform(0, duration), 6)
                # Before June 2014 old_time was the new time too.
                fields = {"old": target if old else position, "new": target, "kind": rng.choice(_SEEKS)}
                burst = [line("seek_video", seek(fields))]
                position = target
            else:
                new = rng.choice([s for s in _SPEEDS if s != speed])
                fields = {"at": position, "old": _SPEED_TEXT[speed], "new": _SPEED_TEXT[new]}
                burst = [line("speed_change_video", video.speed(fields))]
                speed = new
            since = t
            t = yield burst
        position = min(duration, round(position + (t - since) / _SECOND * float(speed), 6))
        if position >= duration:
            t = yield [line("stop_video", at({"at": duration}))]
            return t
        if old:
            t = yield [line("pause_video", at({"at": position}))]
            return t
        whole = int(position)
        clock = f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}"
        saved = _j(_j({"GET": {}, "POST": {"saved_video_position": [clock]}}))
        pause = line("pause_video", at({"at": position}))
        t = yield [pause, self._implicit(implicit, values, self._later(t, 20, 400), video.save_state, saved)]
        return t

    def _solve(
        self, course: _Course, values: dict[str, Any], problem: _Problem, t: int
    ) -> Generator[_Burst, int, int]:
        """Answering a problem: perhaps showing the answer first, then up to three submissions."""
        rng = self.rng
        formats = course.formats
        if rng.random() < 0.15:
            show = self._browser(
                formats["browser"], values, t, _E["problem_show"], _E["problem_show"], problem.show
            )
            t = yield [
                show,
                self._implicit(
                    formats["implicit"], values, self._later(t, 5, 60), problem.show_path, _NO_PARAMETERS
                ),
            ]
        first = t
        for attempt in range(1, 4):
            correct = rng.random() < 0.4 + 0.2 * attempt
            variant = problem.variants[0 if correct else rng.randrange(1, len(problem.variants))]
            t = yield self._submit(course, values, problem, variant, attempt=attempt, t=t, first=first)
            if correct or rng.random() < 0.4:
                break
        return t

    def _submit(
        self,
        course: _Course,
        values: dict[str, Any],
        problem: _Problem,
        variant: _Variant,
        *,
        attempt: int,
        t: int,
        first: int,
    ) -> _Burst:
        """A submission's lines: the browser's, the handler's request, the graded check, the grades."""
        rng = self.rng
        formats = course.formats
        check = _E["problem_check"]
        burst = [self._browser(formats["browser"], values, t, check, check, variant.browser)]
        t = self._later(t, 2, 40)
        burst.append(self._implicit(formats["implicit"], values, t, problem.check_path, variant.post))
        t = self._later(t, 20, 300)
        values["time"], values["name"], values["module"] = self.iso(t), check, problem.module
        values["event"] = variant.server({"attempts": attempt})
        burst.append((t, formats["module"](values)))
        values["transaction"] = _j(str(uuid.UUID(int=rng.getrandbits(128), version=4)))
        earned = problem.possible if variant.correct else 0.0
        values["earned"] = earned
        t = self._later(t, 1, 15)
        burst.append(self._server(formats["server"], values, t, _E[_SUBMITTED], problem.submitted(values)))
        if rng.random() < 0.25:  # the subsection and course grades, when they changed
            possible = problem.subsection_possible
            values["possible"] = possible
            values["earned"] = min(possible, earned + problem.possible * rng.randint(0, problem.siblings - 1))
            values["first"] = _j(self._str(first))
            subsection = course.subsection_grades[problem.subsection](values)
            t = self._later(t, 5, 80)
            burst.append(self._server(formats["server"], values, t, _E[_SUBSECTION], subsection))
            percent = round(rng.uniform(0.1, 0.95), 2)
            values["percent"], values["letter"] = percent, '"Pass"' if percent >= _PASS else '""'
            t = self._later(t, 5, 80)
            burst.append(self._server(formats["server"], values, t, _E[_COURSE], course.course_grade(values)))
        return burst

    def _home(self, course: _Course, values: dict[str, Any]) -> _Session:
        """A learner on the course's home, progress and updates pages."""
        values["referer"] = _j(f"https://{HOST}/dashboard")
        pages = self.rng.sample(("course", "progress", "info"), k=self.rng.randint(1, 3))
        t = yield []
        for page in pages:
            t = yield [
                self._implicit(course.formats["implicit"], values, t, course.pages[page], _NO_PARAMETERS)
            ]
            values["referer"] = course.urls[page]

    def _visitor(self, course: _Course) -> _Session:
        """Someone not logged in reading the course's about page: no username, user id null, no session."""
        rng = self.rng
        address = rng.getrandbits(32)
        values = {
            "user": '""',
            "uid": "null",
            "session": '""',
            "ip": _j(
                f"{(address >> 24) % 223 + 1}.{address >> 16 & 255}.{address >> 8 & 255}.{address & 255}"
            ),
            "agent": rng.choice(_AGENT_TEXTS),
            "lang": rng.choice(_LANGUAGE_TEXTS),
            "referer": _j(rng.choice(("https://www.edx.org/search?q=python", "https://www.google.com/", ""))),
        }
        t = yield []
        t = yield [
            self._implicit(course.formats["implicit"], values, t, course.pages["about"], _NO_PARAMETERS)
        ]
        if rng.random() < 0.4:
            values["referer"] = course.urls["about"]
            yield [
                self._implicit(course.formats["implicit"], values, t, course.pages["course"], _NO_PARAMETERS)
            ]

    def _forum(
        self, course: _Course, index: int, learner: Learner, values: dict[str, Any], *, post: bool
    ) -> _Session:
        """A learner in the discussions: the forum, a thread; perhaps a new thread, a response, a comment."""
        rng = self.rng
        implicit, server = course.formats["implicit"], course.formats["server"]
        access, forum_roles = roles_of(course.run, learner.id)
        forum = f"{course.url}/discussion/forum"
        roles = {"user_forums_roles": forum_roles, "user_course_roles": access}
        values["referer"] = course.home
        t = yield []
        t = yield [self._implicit(implicit, values, t, course.pages["discussion/forum"], _NO_PARAMETERS)]
        values["referer"] = course.urls["discussion/forum"]
        for _ in range(rng.randint(1, 4)):  # reading threads
            topic = rng.choice(_TOPICS)
            thread, response = f"{rng.getrandbits(96):024x}", f"{rng.getrandbits(96):024x}"
            author = rng.choice(self.learners[index])
            title, body = rng.choice(_POSTS)
            where = {"commentable_id": topic, "category_id": topic, "category_name": topic.title()}
            path = f"{course.root}/discussion/forum/{topic}/threads/{thread}"
            viewed = {
                **where,
                "id": thread,
                "title": title,
                "title_truncated": False,
                "url": f"{forum}/{topic}/threads/{thread}",
                **roles,
                "target_username": author.username,
                "team_id": None,
            }
            lines = [self._implicit(implicit, values, t, _j(path), _NO_PARAMETERS)]
            later = self._later(t, 5, 90)
            lines.append(self._server(server, values, later, _E["edx.forum.thread.viewed"], _j(viewed)))
            t = yield lines
        values["referer"] = _j(f"https://{HOST}{path}")
        choice = rng.random()
        own = f"{rng.getrandbits(96):024x}"
        text = {"body": body, "truncated": False}
        if post or choice < 0.2:
            path = f"{course.root}/discussion/{topic}/threads/create"
            form = {"thread_type": ["question"], "title": [title], "body": [body], "anonymous": ["false"]}
            event = {
                "commentable_id": topic,
                "group_id": None,
                "thread_type": "question",
                "title": title,
                "title_truncated": False,
                "anonymous": False,
                "anonymous_to_peers": False,
                "options": {"followed": True},
                **text,
                "id": own,
                "team_id": None,
                "category_id": topic,
                "category_name": topic.title(),
                "url": f"{forum}/{topic}/threads/{own}",
                **roles,
            }
            name = "edx.forum.thread.created"
        elif choice < 0.45:
            path = f"{course.root}/discussion/threads/{thread}/reply"
            form = {"body": [body]}
            event = {
                "discussion": {"id": thread},
                **where,
                "options": {"followed": False},
                **text,
                "id": own,
                **roles,
            }
            name = "edx.forum.response.created"
        elif choice < 0.6:
            path = f"{course.root}/discussion/comments/{response}/reply"
            form = {"body": [body]}
            event = {
                "response": {"id": response},
                "discussion": {"id": thread},
                **where,
                **text,
                "id": own,
                **roles,
            }
            name = "edx.forum.comment.created"
        else:
            return
        # The middleware cuts the request's GET/POST at 512 characters: a long post's is not JSON.
        post_text = _j(_j({"GET": {}, "POST": form})[:512])
        lines = [self._implicit(implicit, values, t, _j(path), post_text)]
        lines.append(self._server(server, values, self._later(t, 30, 400), _E[name], _j(event)))
        yield lines

    def _enrollment(
        self, course: _Course, learner: Learner, values: dict[str, Any], *, staff: bool
    ) -> _Session:
        """An enrollment by the learner (then perhaps an upgrade), an unenrollment, or staff enrolling."""
        enrollment = course.formats["enrollment"]
        t = yield []
        instructor = course.run.enrolled[0]
        if staff and learner.id != instructor.id:  # the instructor enrolls them: not the learner's username
            actor = {**self.org.who(instructor), "session": self._session_id()}
            actor["referer"] = _j(f"{course.url}/instructor")
            path = _j(f"{course.root}/instructor/api/students_update_enrollment")
            form = {
                "action": ["enroll"],
                "identifiers": [learner.email],
                "auto_enroll": ["true"],
                "email_students": ["true"],
            }
            lines = [
                self._implicit(course.formats["implicit"], actor, t, path, _j(_j({"GET": {}, "POST": form})))
            ]
            event = {"course_id": course.key, "user_id": learner.id, "mode": "audit"}
            lines.append(
                self._server(
                    enrollment,
                    actor,
                    self._later(t, 20, 300),
                    _E["edx.course.enrollment.activated"],
                    _j(event),
                )
            )
            yield lines
            return
        values["referer"] = course.urls["about"]
        mode = enrollment_mode(learner)
        if not enrollment_active(learner):
            values["path"] = _j("/change_enrollment")
            event = {"course_id": course.key, "user_id": learner.id, "mode": mode}
            yield [self._server(enrollment, values, t, _E["edx.course.enrollment.deactivated"], _j(event))]
            return
        values["path"] = _j("/api/enrollment/v1/enrollment")
        event = {"course_id": course.key, "user_id": learner.id, "mode": "audit"}
        t = yield [self._server(enrollment, values, t, _E["edx.course.enrollment.activated"], _j(event))]
        if mode != "audit":
            values["path"] = _j("/api/commerce/v1/baskets/")
            event = {"course_id": course.key, "user_id": learner.id, "mode": mode}
            yield [self._server(enrollment, values, t, _E["edx.course.enrollment.mode_changed"], _j(event))]

    def _mobile(self, course: _Course, learner: Learner, *, late: bool) -> _Session:
        """The mobile app's video player, through Segment; ``late``: watched offline, sent days later."""
        rng = self.rng
        values, whole = self.org.device(learner)
        video = rng.choice(course.videos)
        values["page"] = video.page
        lag = rng.randrange(_DAY, 3 * _DAY) if late else rng.randrange(150_000, 5 * _SECOND)
        precision = _SECOND if whole else 1000
        form = course.formats["mobile"]

        def line(t: int, name: str, etype: str, event: str) -> tuple[int, str]:
            device_time = t - lag
            values["time"] = self.iso(device_time - device_time % precision)
            values["received"] = self.iso(t - t % 1000)
            values["name"], values["etype"], values["event"] = _E[name], _E[etype], event
            return t, form(values)

        position = 0.0
        t = yield []
        t = yield [line(t, "edx.video.loaded", "load_video", video.mobile_position({"at": position}))]
        since = t
        t = yield [line(t, "edx.video.played", "play_video", video.mobile_position({"at": position}))]
        for _ in range(rng.randint(0, 3)):
            position = min(video.duration, round(position + (t - since) / _SECOND, 3))
            if rng.random() < 0.5:
                t = yield [
                    line(t, "edx.video.paused", "pause_video", video.mobile_position({"at": position}))
                ]
                burst = [line(t, "edx.video.played", "play_video", video.mobile_position({"at": position}))]
            else:  # the 30-second skip back
                fields = {"old": position, "new": max(0.0, round(position - 30, 3))}
                burst = [line(t, "edx.video.position.changed", "seek_video", video.mobile_seek(fields))]
                position = fields["new"]
            since = t
            t = yield burst
        position = min(video.duration, round(position + (t - since) / _SECOND, 3))
        ended = position >= video.duration
        name, etype = ("edx.video.stopped", "stop_video") if ended else ("edx.video.paused", "pause_video")
        yield [line(t, name, etype, video.mobile_position({"at": position}))]
