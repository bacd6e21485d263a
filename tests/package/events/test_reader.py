"""A tracking log read as a stream: gunzipped on the fly, bad lines counted, filters applied."""

from __future__ import annotations

import datetime
import gzip
import io
import json
import tracemalloc

import pytest

from edx_schema.errors import FormatError
from edx_schema.package.events.decode import MAX_LINE_BYTES
from edx_schema.package.events.reader import EventFilter, LogTally, TooManyBadLines, read_events

from . import samples


def _read(data: bytes, **options) -> tuple[list[tuple[int, object]], LogTally]:
    tally = LogTally(max_bad=options.pop("max_bad", None))
    stream = io.BufferedReader(io.BytesIO(data))
    return list(read_events(stream, label="f.log.gz", tally=tally, **options)), tally


def test_a_gzipped_log_and_a_plain_one_read_the_same():
    text = b"\n".join(samples.ALL) + b"\n"
    plain, tally = _read(text)
    gzipped, _ = _read(gzip.compress(text))
    assert [n for n, _ in plain] == list(range(1, len(samples.ALL) + 1))
    assert plain == gzipped
    assert (tally.lines, tally.events, tally.bad) == (8, 8, 0)


def test_concatenated_gzip_members_are_one_log():
    data = gzip.compress(samples.ENROLLMENT + b"\n") + gzip.compress(samples.SEQ_GOTO + b"\n")
    rows, _ = _read(data)
    assert [row.event_type for _, row in rows] == ["edx.course.enrollment.activated", "seq_goto"]


def test_bad_lines_are_counted_and_reported_with_their_number_and_first_bytes():
    text = b"\n".join([samples.ENROLLMENT, b"Sep  9 garbage", b"", samples.SEQ_GOTO[:200], samples.SEQ_GOTO])
    rows, tally = _read(text)
    assert [n for n, _ in rows] == [1, 5]  # no final line break: the last line counts all the same
    assert (tally.lines, tally.events, tally.bad) == (5, 2, 3)
    assert [(r.line, r.reason.split(" (")[0][:14]) for r in tally.reports] == [
        (2, "no JSON object"),
        (3, "empty line"),
        (4, "not valid JSON"),
    ]
    assert tally.reports[0].start == "Sep  9 garbage"


def test_a_line_too_long_is_skipped_without_being_gathered():
    long_line = b'{"event_type": "x", "a": "' + b"y" * (3 * MAX_LINE_BYTES) + b'"}'
    text = samples.ENROLLMENT + b"\n" + long_line + b"\n" + samples.SEQ_GOTO + b"\n"
    tracemalloc.start()
    rows, tally = _read(gzip.compress(text))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [n for n, _ in rows] == [1, 3]
    assert (tally.lines, tally.bad) == (3, 1)
    assert tally.reports[0].line == 2
    assert "longer than" in tally.reports[0].reason
    assert peak < 2 * MAX_LINE_BYTES + (8 << 20)  # chunks, never the 3 MiB line gathered whole


def test_a_damaged_gzip_stream_fails_the_file():
    data = gzip.compress(b"\n".join(samples.ALL * 50))
    with pytest.raises(FormatError, match="the gzip data is damaged"):
        _read(data[: len(data) // 2])
    flipped = bytearray(data)
    flipped[len(flipped) // 2] ^= 0xFF
    with pytest.raises(FormatError, match="gzip"):
        _read(bytes(flipped))


def test_more_bad_lines_than_allowed_stops_at_once():
    text = b"junk\n" * 1000 + samples.ENROLLMENT + b"\n"
    with pytest.raises(TooManyBadLines, match="more than 10 lines are not events; the first, line 1"):
        _read(text, max_bad=10)
    rows, tally = _read(b"junk\n" * 10 + samples.ENROLLMENT, max_bad=10)
    assert (len(rows), tally.bad) == (1, 10)


def _at(day: str, course: str | None = None, page: str | None = None) -> bytes:
    event = {"event_type": "x", "time": f"{day}T12:00:00+00:00", "context": {"course_id": course or ""}}
    if page:
        event["page"] = page
    return json.dumps(event).encode()


def test_filters_keep_the_courses_and_days_asked_for():
    lines = [
        _at("2024-03-01", "course-v1:MITx+6.002x+2T2024"),
        _at("2024-03-02", "course-v1:MITx+6.002x+2T2024"),
        _at("2024-03-02", page="https://x.org/courses/MITx/6.00x/2013_Spring/about"),
        _at("2024-03-03", "course-v1:HarvardX+CS50+X"),
        _at("2024-03-04", "course-v1:MITx+6.002x+2T2024"),
    ]
    text = b"\n".join(lines)
    keep = EventFilter(
        courses=frozenset({"MITx-6.002x-2T2024", "MITx-6.00x-2013_Spring"}),
        since=datetime.date(2024, 3, 2),
        until=datetime.date(2024, 3, 3),
    ).keeper()
    rows, tally = _read(text, keep=keep)
    assert [n for n, _ in rows] == [2, 3]
    assert (tally.events, tally.filtered) == (5, 3)
    assert EventFilter().keeper() is None
