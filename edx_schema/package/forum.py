"""The forum member of a package: ``{Org}-{course}-{run}-{site}.mongo``.

One MongoDB document per line (a thread, ``_type: CommentThread``, or a comment, ``Comment``),
in MongoDB's extended JSON: ids as ``{"$oid": ...}``, dates as ``{"$date": ...}`` holding epoch
milliseconds, ``{"$numberLong": "..."}`` or an ISO 8601 string, all taken as UTC. Blank lines
are skipped. Lines are split on ``\\n`` only (a post may contain U+2028, which ``splitlines``
would split on). Pure: no Django import.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from ..errors import FormatError


@dataclass(frozen=True)
class Post:
    """One thread or comment, with the line it came from."""

    line: int
    post_id: str
    post_type: str
    course_id: str
    author_id: str
    author_username: str
    title: str
    body: str
    thread_type: str
    comment_thread_id: str
    parent_id: str
    created_at: dt.datetime | None
    updated_at: dt.datetime | None


def _oid(value: Any, *, where: dict[str, Any], column: str) -> str:
    if value is None:
        return ""
    if isinstance(value, dict) and isinstance(value.get("$oid"), str):
        return value["$oid"]
    if isinstance(value, str):
        return value
    raise FormatError("not an ObjectId", value=json.dumps(value), column=column, **where)


def _date(value: Any, *, where: dict[str, Any], column: str) -> dt.datetime | None:
    """A ``{"$date": ...}`` as an aware UTC datetime."""
    if value is None:
        return None
    raw = value.get("$date") if isinstance(value, dict) else value
    if isinstance(raw, dict) and "$numberLong" in raw:
        raw = raw["$numberLong"]
    try:
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return dt.datetime.fromtimestamp(raw / 1000, dt.UTC)
        if isinstance(raw, str) and raw.lstrip("-").isdigit():
            return dt.datetime.fromtimestamp(int(raw) / 1000, dt.UTC)
        if isinstance(raw, str):
            parsed = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
            return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)
    except (ValueError, OverflowError, OSError):
        pass
    raise FormatError("not a date", value=json.dumps(value), column=column, **where)


def _text(value: Any) -> str:
    return "" if value is None else value if isinstance(value, str) else str(value)


def read_posts(stream: BinaryIO, *, label: str) -> Iterator[Post]:
    """The posts of a ``.mongo`` member, one line at a time (a forum dump can be large)."""
    for number, raw in enumerate(stream, start=1):
        line = raw.rstrip(b"\r\n")
        if not line.strip():
            continue
        where = {"file": label, "line": number}
        try:
            document = json.loads(line.decode("utf-8"))
        except UnicodeDecodeError as error:
            raise FormatError(f"not UTF-8 text ({error.reason})", **where) from None
        except json.JSONDecodeError as error:
            raise FormatError(f"not a JSON document ({error.msg}, column {error.colno})", **where) from None
        if not isinstance(document, dict):
            raise FormatError("not a JSON object", value=line.decode("utf-8")[:80], **where)
        post_id = _oid(document.get("_id"), where=where, column="_id")
        if not post_id:
            raise FormatError("a post without an _id", **where)
        if not document.get("course_id"):
            raise FormatError("a post without a course_id", column="course_id", **where)
        post_type = _text(document.get("_type"))
        thread = post_type == "CommentThread"

        def oid_of(column: str, document: dict = document, where: dict = where, thread: bool = thread) -> str:
            return "" if thread else _oid(document.get(column), where=where, column=column)

        yield Post(
            line=number,
            post_id=post_id,
            post_type=post_type,
            course_id=_text(document["course_id"]),
            author_id=_text(document.get("author_id")),
            author_username=_text(document.get("author_username")),
            title=_text(document.get("title")) if thread else "",
            body=_text(document.get("body")),
            thread_type=_text(document.get("thread_type")) if thread else "",
            comment_thread_id=""
            if thread
            else _oid(document.get("comment_thread_id"), where=where, column="comment_thread_id"),
            parent_id="" if thread else _oid(document.get("parent_id"), where=where, column="parent_id"),
            created_at=_date(document.get("created_at"), where=where, column="created_at"),
            updated_at=_date(document.get("updated_at"), where=where, column="updated_at"),
        )
