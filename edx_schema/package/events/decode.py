"""One line of a tracking log, decoded into the columns of an event row, or refused with a reason.

The LMS writes one JSON object per line (``json.dumps``, ASCII only), sometimes behind a
collector's prefix (``Sep  9 00:00:48 localhost {...``) and sometimes cut short by
``TRACK_MAX_EVENT``. A line is an event when, from its first ``{``, it is one JSON object with
a ``time`` and an ``event_type`` (or ``name``). Anything else raises :class:`BadLine`, which
names the field and the reason; the loader counts and reports it, and goes on.

The top-level object is walked member by member with the C scanner of Python's ``json`` (each
value decoded once), so that the ``event`` and ``context`` values are kept as the exact text the
LMS wrote: their spacing, key order and escapes, and whether ``event`` was an object or a JSON
string (browser events), which re-serialising would lose.

Pure: no Django import.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import json.decoder
import json.scanner
import re
from typing import Any, NamedTuple

from .bad import BadLine, kind_of
from .where import block_of, course_of, family_of, org_of

#: The longest line read as an event (the LMS cut events at 10,000 and later 50,000 characters;
#: edX's own warehouse kept 60,000): a longer line is junk, reported without being decoded.
MAX_LINE_BYTES = 1 << 20
#: Widths of the text columns that are indexed or short by nature; a longer value refuses the line.
WIDTHS = {
    "event_type": 512,
    "name": 512,
    "event_source": 32,
    "username": 150,
    "course_id": 255,
    "org_id": 255,
    "block_id": 255,
    "session": 255,
}
#: The earliest and latest times a DATETIME column holds (MySQL's range).
_EARLIEST = datetime.datetime(1000, 1, 1, tzinfo=datetime.UTC)
_LATEST = datetime.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=datetime.UTC)
#: The first bytes of a bad line that a report shows.
EXCERPT_BYTES = 80

_DECODER = json.JSONDecoder()
_scan = json.scanner.make_scanner(_DECODER)
_scanstring = json.decoder.scanstring
_WS = json.decoder.WHITESPACE.match
_EVENT_KEY = re.compile(r'"event"[ \t\n\r]*:[ \t\n\r]*')
_TEXT_TYPES = {str, type(None)}
_QUOTED = {"event": '"event": ', "context": '"context": '}
_CONTEXT_KEY = re.compile(r'"context"[ \t\n\r]*:[ \t\n\r]*')
_STRING_FIELDS = (
    "event_source",
    "name",
    "page",
    "session",
    "host",
    "ip",
    "agent",
    "referer",
    "accept_language",
)
#: Text columns checked for unpaired surrogates (decoded from ``\\ud800`` escapes) on a non-ASCII line.
_CHECKED_TEXT = ("username", "event_type", "course_id", "org_id", "block_id", *_STRING_FIELDS)
#: A ``\\u`` escape of a surrogate, which may decode to one that UTF-8 cannot encode.
_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")


class EventRow(NamedTuple):
    """The columns of one event, in the event table's order.

    ``time`` is the UTC time as ``YYYY-MM-DD HH:MM:SS.ffffff`` text (what both databases store),
    ``line_hash`` the first 128 bits of the normalised line's SHA-256 in hex (see :func:`line_key`),
    ``event`` and ``context`` the exact JSON text of those members (None when the line has none).
    """

    line_hash: str
    time: str
    event_type: str
    name: str | None
    event_source: str | None
    family: str
    username: str | None
    user_id: int | None
    course_id: str
    org_id: str
    block_id: str | None
    page: str | None
    session: str | None
    host: str | None
    ip: str | None
    agent: str | None
    referer: str | None
    accept_language: str | None
    event: str | None
    context: str | None


#: The event table's decoded columns, in :class:`EventRow`'s order.
EVENT_COLUMNS: tuple[str, ...] = EventRow._fields


def line_key(raw: bytes) -> bytes:
    """The normalised line: from its first ``{`` to its last non-blank byte.

    What the exporter writes is the LMS's line, stripped, byte for byte: a day sent again, an org
    alias's copy or a collector's prefix changes nothing from here on.
    """
    start = raw.find(b"{")
    return raw[start:].rstrip(b" \t\r\n") if start >= 0 else b""


def excerpt(raw: bytes) -> str:
    """The first bytes of a line for a report: printable, undecodable bytes escaped."""
    head = raw[:EXCERPT_BYTES].rstrip(b"\r\n")
    text = head.decode("utf-8", "backslashreplace")
    return text + ("..." if len(raw.rstrip(b"\r\n")) > EXCERPT_BYTES else "")


def decode_line(raw: bytes) -> EventRow:
    """Decode one line (its bytes, line break included or not); BadLine if it is not an event."""
    if len(raw) > MAX_LINE_BYTES:
        raise BadLine(f"longer than {MAX_LINE_BYTES:,} bytes")
    key = line_key(raw)
    if not key:
        raise BadLine("empty line" if not raw.strip() else "no JSON object on the line (no '{')")
    try:
        text = key.decode("utf-8")
    except UnicodeDecodeError as error:
        offset = raw.find(b"{") + error.start
        raise BadLine(f"not UTF-8 text (byte 0x{key[error.start]:02x} at column {offset + 1})") from None
    try:
        members = _DECODER.decode(text)
    except json.JSONDecodeError as error:
        raise BadLine(f"not valid JSON: {error.msg} at character {error.pos + 1}") from None
    except RecursionError:
        raise BadLine("not valid JSON: nested too deeply") from None
    except ValueError as error:  # an integer of more digits than Python converts
        raise BadLine(f"not valid JSON: {error}") from None
    event = _raw_member(text, _EVENT_KEY, members, "event")
    context = _raw_member(text, _CONTEXT_KEY, members, "context")
    if event is False or context is False:  # the names also occur deeper: walk the top level
        spans = _top_level(text)
        event, context = _span(text, spans.get("event")), _span(text, spans.get("context"))
    return _row(key, members, event, context)


def _raw_member(text: str, pattern: re.Pattern[str], members: dict[str, Any], name: str) -> str | bool | None:
    """The exact text of a top-level member's value; None if absent, False if it cannot be told.

    The LMS's lines name ``event`` and ``context`` once: that one occurrence is then the
    top-level member, and the C scanner says where its value ends.
    """
    if name not in members:
        return None
    # The LMS's own separator is found by str.find, much faster than a regular expression.
    quoted = _QUOTED[name]
    at = text.find(quoted)
    if at >= 0:
        start = at + len(quoted)
        # Its only occurrence, whatever the spacing: else the top-level one may be another.
        if text.find(quoted[:-2]) != at or text.find(quoted[:-2], start) >= 0:
            return False
    else:
        found = pattern.search(text)
        if found is None or pattern.search(text, found.end()) is not None:
            return False
        start = found.end()
    try:
        decoded, end = _scan(text, start)
    except (StopIteration, ValueError, RecursionError):
        return False
    # Without escapes, the one occurrence of the name is the top-level member's; with them, the
    # member's own name may be escaped and the occurrence another's: the value tells.
    if "\\u" in text and decoded != members[name]:
        return False
    return text[start:end]


def _top_level(text: str) -> dict[str, tuple[int, int]]:
    """Where each top-level member's value is in ``text`` (valid JSON: it was decoded already)."""
    spans: dict[str, tuple[int, int]] = {}
    at = _WS(text, 1).end()
    if text[at] == "}":
        return spans
    while True:
        name, at = _scanstring(text, at + 1, True)
        at = _WS(text, _WS(text, at).end() + 1).end()  # past the ':'
        _, after = _scan(text, at)
        spans[name] = (at, after)
        at = _WS(text, after).end()
        if text[at] == "}":
            return spans
        at = _WS(text, at + 1).end()  # past the ','


def _span(text: str, span: tuple[int, int] | None) -> str | None:
    return None if span is None else text[span[0] : span[1]]


def _row(key: bytes, members: dict[str, Any], event: str | None, context_text: str | None) -> EventRow:
    get = members.get
    event_type = get("event_type")
    name = get("name")
    if event_type is None:
        event_type = name
    if event_type.__class__ is not str or not event_type:
        if event_type is None or event_type == "":
            raise BadLine("no event_type or name", field="event_type")
        raise BadLine(
            f"event_type is {kind_of(event_type)}, not a string", field="event_type", value=event_type
        )
    when = _time(get("time"))
    context = get("context")
    if context is None:
        context = {}
    elif context.__class__ is not dict:
        raise BadLine(f"context is {kind_of(context)}, not an object", field="context", value=context)
    username = get("username")
    if username is not None:
        if username.__class__ is not str:
            raise BadLine(f"username is {kind_of(username)}, not a string", field="username", value=username)
        username = username.strip()  # the LMS sometimes wrote a trailing newline
    texts = list(map(get, _STRING_FIELDS))
    if not set(map(type, texts)) <= _TEXT_TYPES:  # (in C: the common case costs no Python loop)
        for field, value in zip(_STRING_FIELDS, texts, strict=True):
            if value is not None and value.__class__ is not str:
                raise BadLine(f"{field} is {kind_of(value)}, not a string", field=field, value=value)
    source, name, page, session, host, ip, agent, referer, language = texts
    course_id = course_of(context, page=page, event_type=event_type)
    org_id = context.get("org_id")
    if org_id.__class__ is not str or not org_id:
        org_id = org_of(course_id)
    family = family_of(event_type, name, source)
    row = EventRow(
        hashlib.sha256(key).hexdigest()[:32],
        when,
        event_type,
        name,
        source,
        family,
        username,
        _user_id(context.get("user_id")),
        course_id,
        org_id,
        block_of(get("event"), context, event_type=event_type, course_id=course_id, family=family),
        page,
        session,
        host,
        ip,
        agent,
        referer,
        language,
        event,
        context_text,
    )
    if _SURROGATE.search(key):
        _check_text(row)
    if (
        len(event_type) > 512
        or len(course_id) > 255
        or len(org_id) > 255
        or (username and len(username) > 150)
        or (name and len(name) > 512)
        or (source and len(source) > 32)
        or (session and len(session) > 255)
    ):
        _check_widths(row)
    return row


def _check_widths(row: EventRow) -> None:
    """Refuse a value longer than its column (the checks in :func:`_row` say whether one is)."""
    for field, width in WIDTHS.items():
        value = getattr(row, field)
        if value is not None and len(value) > width:
            message = f"{field} is {len(value):,} characters long; the column holds {width}"
            raise BadLine(message, field=field, value=value)


def _check_text(row: EventRow) -> None:
    """Refuse text no database stores: an unpaired surrogate, decoded from a ``\\ud800`` escape."""
    for field in _CHECKED_TEXT:
        value = getattr(row, field)
        if value is not None and not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise BadLine(
                    f"{field} holds an unpaired surrogate (\\u{ord(value[_surrogate(value)]):04x}), "
                    "which no database stores as text",
                    field=field,
                    value=value,
                ) from None


def _surrogate(value: str) -> int:
    return next(i for i, c in enumerate(value) if 0xD800 <= ord(c) <= 0xDFFF)


def _user_id(value: Any) -> int | None:
    """``context.user_id``: a number, or nothing (``""``, null or absent for a visitor)."""
    if value.__class__ is int and 0 <= value < 1 << 63:
        return value
    if value is None or value == "":
        return None
    if value.__class__ is str and value.isdigit() and value.isascii() and len(value) < 19:
        return int(value)
    raise BadLine(f"context.user_id is {kind_of(value)}, not a user id", field="context.user_id", value=value)


def _time(value: Any) -> str:
    """The event's time as UTC ``YYYY-MM-DD HH:MM:SS.ffffff`` text.

    The LMS writes ``datetime.isoformat()`` of a UTC time (the fraction left out when it is 0);
    log collectors have also written a space for ``T``, ``Z`` for ``+00:00``, other offsets, and
    Unix seconds (milliseconds past 10^11). All are read; a naive time is taken as UTC.
    """
    if value is None:
        raise BadLine("no time", field="time")
    if value.__class__ is str:
        if len(value) == 32 and value.endswith("+00:00") and value[10] == "T":  # the LMS's own form
            try:
                datetime.datetime.fromisoformat(value)
            except ValueError:
                pass
            else:
                year = int(value[:4])
                if year >= 1000:
                    return f"{value[:10]} {value[11:26]}"
        try:
            when = datetime.datetime.fromisoformat(value.strip())
        except ValueError:
            raise BadLine("time is not a date and time", field="time", value=value) from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.UTC)
    elif value.__class__ in (int, float) and value == value:  # not NaN
        seconds = value / 1000 if abs(value) >= 1e11 else value
        try:
            when = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
        except (OverflowError, OSError, ValueError):
            raise BadLine("time is out of range", field="time", value=value) from None
    else:
        raise BadLine(f"time is {kind_of(value)}, not a date and time", field="time", value=value)
    try:
        when = when.astimezone(datetime.UTC)
    except OverflowError:
        raise BadLine("time is out of range", field="time", value=value) from None
    if not _EARLIEST <= when <= _LATEST:
        raise BadLine("time is out of range (years 1000 to 9999)", field="time", value=value)
    return when.strftime("%Y-%m-%d %H:%M:%S.%f")
