"""The tracking-log line decoder on mutated and hostile lines: an event, or BadLine, never anything else.

Lines are the public sample events with bytes spliced in, with any JSON value put in place of
any field (deep nesting, wrong types, huge numbers, surrogates, bad keys), or arbitrary bytes.
A decoded line must keep ``event`` and ``context`` as text that decodes to the line's own values.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edx_schema.package.events import BadLine, decode_line, line_key
from tests.package.events import samples

pytestmark = pytest.mark.fuzz

FIELDS = (
    "event_type",
    "name",
    "time",
    "username",
    "event_source",
    "page",
    "session",
    "host",
    "ip",
    "agent",
    "referer",
    "accept_language",
    "event",
    "context",
)
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
    | st.sampled_from(
        ["", "2014-05-15T17:56:09.634241+00:00", "course-v1:A+B+C", "/courses/A/B/C/x", "\ud800"]
    )
)
json_values = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


def _check(line: bytes) -> None:
    try:
        row = decode_line(line)
    except BadLine:
        return
    decoded = json.loads(line_key(line).decode())
    for member in ("event", "context"):
        text = getattr(row, member)
        if member in decoded:
            assert json.loads(text) == decoded[member] or text == json.dumps(decoded[member])
        else:
            assert text is None


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(samples.ALL), st.integers(0, 4000), st.integers(0, 32), st.binary(max_size=32))
def test_spliced_sample_lines(line, at, cut, piece):
    at = min(at, len(line))
    _check(line[:at] + piece + line[at + cut :])


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(samples.ALL),
    st.sampled_from((*FIELDS, "context.user_id", "context.course_id")),
    json_values,
)
def test_any_json_value_in_any_field(line, field, value):
    event = json.loads(line)
    if field.startswith("context."):
        event["context"][field.split(".", 1)[1]] = value
    else:
        event[field] = value
    _check(json.dumps(event).encode())


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes(data):
    _check(data)


@pytest.mark.parametrize("depth", [30, 1_000, 200_000])
def test_deep_nesting_in_event_and_context(depth):
    deep = "[" * depth + "]" * depth
    for member in ("event", "context"):
        text = samples.ENROLLMENT.decode().replace(f'"{member}": ', f'"{member}": {deep}, "x{member}": ', 1)
        _check(text.encode())
