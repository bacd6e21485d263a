"""One tracking-log line decoded: the columns research queries on, the exact raw JSON, the refusals."""

from __future__ import annotations

import hashlib
import json

import pytest

from edx_schema.package.events import EVENT_COLUMNS, BadLine, decode_line, excerpt, line_key

from . import samples


def _raw_member_text(line: bytes, name: str) -> str:
    """The member's value as the LMS wrote it: its ``json.dumps`` (what the samples were written by)."""
    return json.dumps(json.loads(line)[name])


@pytest.mark.parametrize("line", samples.ALL)
def test_event_and_context_are_kept_exactly_as_the_line_has_them(line):
    row = decode_line(line)
    assert row.event == _raw_member_text(line, "event")
    assert row.context == _raw_member_text(line, "context")
    assert row.event in line.decode()
    assert row.context in line.decode()


def test_the_columns_of_a_server_problem_check():
    row = decode_line(samples.SERVER_PROBLEM_CHECK)
    assert row.time == "2014-05-15 17:56:09.634241"
    assert (row.event_type, row.name, row.event_source, row.family) == (
        "problem_check",
        None,
        "server",
        "problem",
    )
    assert (row.username, row.user_id) == ("staff", 4)
    assert (row.course_id, row.org_id) == ("course-v1:AcceptanceX+DemoX+T1_2014", "AcceptanceX")
    assert (
        row.block_id
        == "block-v1:AcceptanceX+DemoX+T1_2014+type@problem+block@9cee77a606ea4c1aa5440e0ea5d0f618"
    )
    assert (row.page, row.session, row.ip) == ("x_module", None, "127.0.0.1")
    assert row.host == "acceptance.m.sandbox.edx.org"
    assert row.event.startswith('{"submission": ')  # an object: the server's era


def test_a_browser_event_keeps_its_payload_as_a_json_string():
    row = decode_line(samples.SEEK_VIDEO)
    assert row.event.startswith('"{\\"id\\":')  # a JSON string holding JSON: the browser's era
    assert json.loads(json.loads(row.event))["new_time"] == 147
    assert (row.family, row.event_source, row.session) == (
        "video",
        "browser",
        "3759e59e1164d199537519a77d0e9246",
    )
    # The video's HTML id, as the video's usage key in the old course's format.
    assert row.block_id == "i4x://AcceptanceX/A101/video/0b9e39477cf34507a7a48f74be381fdd"


@pytest.mark.parametrize(
    ("line", "family", "course", "block", "user_id"),
    [
        (samples.ENROLLMENT, "enrollment", "edX/Open_DemoX/edx_demo_course", None, None),
        (samples.IMPLICIT, "implicit", "edX/Open_DemoX/edx_demo_course", None, 4),
        (samples.BROWSER_PROBLEM_CHECK, "problem", "course-v1:AcceptanceX+DemoX+T1_2014", None, 4),
        (
            samples.SEQ_GOTO,
            "navigation",
            "edX/DemoX/Demo_Course",
            "i4x://edX/DemoX/sequential/basic_questions",
            1,
        ),
        (samples.FORUM_THREAD, "forum", "course-v1:ForumX+1+1", None, 4),
        (
            samples.RDX_PLAY_VIDEO,
            "video",
            "course-v1:edX+DemoX+Demo_Course",
            "block-v1:edX+DemoX+Demo_Course+type@video+block@01955efc9ba54c73a9aa7453a440cb06",
            2147485696,
        ),
    ],
)
def test_families_courses_and_blocks_of_the_public_samples(line, family, course, block, user_id):
    row = decode_line(line)
    assert (row.family, row.course_id, row.block_id, row.user_id) == (family, course, block, user_id)


def _line(**members) -> bytes:
    base = {"event_type": "x", "time": "2014-05-15T17:56:09.634241+00:00"}
    return json.dumps({**base, **members}).encode()


@pytest.mark.parametrize(
    ("fields", "course", "org"),
    [
        # Before 2014 the context often has no course: the page URL says it.
        (
            {"page": "https://courses.edx.org/courses/MITx/6.002x/2012_Fall/courseware/Week_1/"},
            "MITx/6.002x/2012_Fall",
            "MITx",
        ),
        (
            {"event_type": "/courses/course-v1:MITx+6.002x+2T2024/progress"},
            "course-v1:MITx+6.002x+2T2024",
            "MITx",
        ),
        ({"context": {"path": "/courses/course-v1:A+B+C/xblock/x/handler/y"}}, "course-v1:A+B+C", "A"),
        ({"context": {"course_id": "", "org_id": "OrgX"}, "page": "https://x.org/dashboard"}, "", "OrgX"),
        ({"context": {"course_id": "course-v1:A+B+C", "org_id": ""}}, "course-v1:A+B+C", "A"),
    ],
)
def test_a_course_named_only_by_the_url(fields, course, org):
    row = decode_line(_line(**fields))
    assert (row.course_id, row.org_id) == (course, org)


def test_the_usage_key_of_a_handler_url():
    path = "/courses/course-v1:A+B+C/xblock/block-v1:A+B+C+type@problem+block@p1/handler/xmodule_handler/save"
    assert decode_line(_line(event_type=path)).block_id == "block-v1:A+B+C+type@problem+block@p1"


def test_context_module_usage_key_comes_first():
    key = "block-v1:A+B+C+type@problem+block@p1"
    row = decode_line(
        _line(
            context={"module": {"usage_key": key}},
            event={"problem_id": "block-v1:A+B+C+type@problem+block@p2"},
        )
    )
    assert row.block_id == key


def test_the_text_of_members_with_unusual_spacing_order_and_escapes_is_kept_byte_for_byte():
    line = (
        b'Sep  9 00:00:48 localhost {"context":{"b" :1,"a":"\\u00e9\\n"} ,  "time":"2014-01-01 10:00:00Z",'
        b'"event"  :  [1, {"x": "\\"}"}]\t,"event_type":"edx.grades.problem.submitted"}  \r\n'
    )
    row = decode_line(line)
    assert row.context == '{"b" :1,"a":"\\u00e9\\n"}'
    assert row.event == '[1, {"x": "\\"}"}]'
    assert (row.family, row.time) == ("grades", "2014-01-01 10:00:00.000000")


def test_a_member_name_that_also_occurs_deeper_does_not_fool_the_raw_text():
    # "event" and "context" also name members inside the payload: the top-level ones are kept.
    line = (
        b'{"event": {"context": {"event": 1}}, "time": "2014-01-01T00:00:00+00:00", "event_type": "x", '
        b'"context": {"event": 2}}'
    )
    row = decode_line(line)
    assert (row.event, row.context) == ('{"context": {"event": 1}}', '{"event": 2}')
    escaped = (
        b'{"\\u0065vent": 5, "time": "2014-01-01T00:00:00+00:00", "event_type": "x", "context": {"event": 2}}'
    )
    assert decode_line(escaped).event == "5"


@pytest.mark.parametrize(
    ("time", "stored"),
    [
        ("2014-05-15T17:56:09.634241+00:00", "2014-05-15 17:56:09.634241"),
        ("2014-12-09T03:57:24+00:00", "2014-12-09 03:57:24.000000"),  # Python leaves out a 0 fraction
        ("2014-12-09 03:57:24.5", "2014-12-09 03:57:24.500000"),  # a collector's space, no offset: UTC
        ("2014-12-09T03:57:24.123Z", "2014-12-09 03:57:24.123000"),  # Segment's form
        ("2014-12-09T05:57:24+02:00", "2014-12-09 03:57:24.000000"),  # another offset, made UTC
        (1418097444, "2014-12-09 03:57:24.000000"),  # Unix seconds
        (1418097444123, "2014-12-09 03:57:24.123000"),  # Unix milliseconds
    ],
)
def test_times_in_every_form_collectors_wrote_are_stored_as_utc(time, stored):
    assert decode_line(_line(time=time)).time == stored


@pytest.mark.parametrize(
    ("line", "reason", "field"),
    [
        (b"", "empty line", None),
        (b"   \r", "empty line", None),
        (b"Sep  9 00:00:48 localhost", "no JSON object", None),
        (
            b'{"event_type": "x", "time": "2014-01-01T00:00:00+00:00", "event": {"a": "trunc',
            "not valid JSON",
            None,
        ),
        (b'\xff\xfe{"event_type": "\xe9"}', "not UTF-8 text (byte 0xe9", None),
        (b'[{"event_type": "x"}]', "not valid JSON", None),
        (b'{"time": "2014-01-01T00:00:00+00:00"}', "no event_type or name", "event_type"),
        (
            b'{"event_type": ["x"], "time": "2014-01-01T00:00:00+00:00"}',
            "event_type is an array",
            "event_type",
        ),
        (b'{"event_type": "x"}', "no time", "time"),
        (b'{"event_type": "x", "time": "yesterday"}', "time is not a date and time", "time"),
        (b'{"event_type": "x", "time": "2014-02-30T00:00:00+00:00"}', "time is not a date and time", "time"),
        (b'{"event_type": "x", "time": "0999-01-01T00:00:00+00:00"}', "out of range", "time"),
        (b'{"event_type": "x", "time": true}', "time is a boolean", "time"),
        (b'{"event_type": "x", "time": 1e400}', "out of range", "time"),
        (b'{"event_type": "x", "time": NaN}', "not a date and time", "time"),
        (_line(username={"a": 1}), "username is an object", "username"),
        (_line(page=5), "page is the number 5", "page"),
        (_line(context=[1]), "context is an array", "context"),
        (_line(context={"user_id": "x"}), "context.user_id is 'x'", "context.user_id"),
        (_line(context={"user_id": -1}), "context.user_id is the number -1", "context.user_id"),
        (_line(context={"user_id": 2**64}), "not a user id", "context.user_id"),
        (_line(context={"course_id": 7}), "context.course_id is the number 7", "context.course_id"),
        (
            _line(event_type="x" * 513),
            "event_type is 513 characters long; the column holds 512",
            "event_type",
        ),
        (_line(username="u" * 151), "the column holds 150", "username"),
        (
            b'{"event_type": "x", "time": "2014-01-01T00:00:00+00:00", "agent": "\\udc80"}',
            "unpaired surrogate",
            "agent",
        ),
        (
            b'{"event_type": "x", "time": "2014-01-01T00:00:00+00:00", "n": ' + b"1" * 5000 + b"}",
            "not valid JSON",
            None,
        ),
        (
            b'{"event_type": "x", "time": "2014-01-01T00:00:00+00:00", "e": '
            + b"[" * 100_000
            + b"]" * 100_000
            + b"}",
            "nested too deeply",
            None,
        ),
        (b'{"event_type": "x", "time": "2014-01-01T00:00:00+00:00"} trailing', "not valid JSON", None),
    ],
)
def test_a_line_that_is_not_an_event_says_why(line, reason, field):
    with pytest.raises(BadLine) as refused:
        decode_line(line)
    assert reason in refused.value.reason
    assert refused.value.field == field


def test_a_line_over_the_limit_is_refused_unread():
    with pytest.raises(BadLine, match="longer than 1,048,576 bytes"):
        decode_line(b"{" + b" " * (1 << 20))


def test_the_same_event_behind_another_prefix_or_line_end_has_the_same_hash():
    plain = decode_line(samples.FORUM_THREAD)
    for variant in (b"Sep  9 00:00:48 localhost " + samples.FORUM_THREAD, samples.FORUM_THREAD + b" \r\n"):
        assert decode_line(variant).line_hash == plain.line_hash
    assert plain.line_hash == hashlib.sha256(samples.FORUM_THREAD).hexdigest()[:32]
    assert line_key(b"junk {x} \r\n") == b"{x}"
    assert decode_line(samples.SEQ_GOTO).line_hash != plain.line_hash


def test_a_username_loses_the_trailing_newline_the_lms_sometimes_wrote():
    assert decode_line(_line(username="staff\n")).username == "staff"


def test_columns_come_in_the_event_table_order():
    row = decode_line(samples.ENROLLMENT)
    assert tuple(row._fields) == EVENT_COLUMNS
    assert EVENT_COLUMNS[:3] == ("line_hash", "time", "event_type")


def test_an_excerpt_shows_the_first_bytes_printably():
    assert excerpt(b"\xff" + b"a" * 100) == "\\xff" + "a" * 79 + "..."
    assert excerpt(b"short\r\n") == "short"
