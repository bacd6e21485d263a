"""The forum member of a package: ``{Org}-{course}-{run}-{site}.mongo``.

One MongoDB document per line (a thread, ``_type: CommentThread``, or a comment, ``Comment``),
in MongoDB's extended JSON: ids as ``{"$oid": ...}``, dates as ``{"$date": ...}`` holding epoch
milliseconds, ``{"$numberLong": "..."}`` or an ISO 8601 string, all taken as UTC. Blank lines
are skipped. Lines are split on ``\\n`` only (a post may contain U+2028, which ``splitlines``
would split on), and read at most ``MAX_LINE_BYTES`` at a time, so that a huge line costs no more
than the limit. Each line is UTF-8 JSON held to :mod:`.jsondoc`'s rules; every value stored is
checked for its type, its column's length and (``course_id``) for being a course key, so that
what is refused is refused here, naming the line and the field, on every database.

Pure: no Django import.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from ..errors import FormatError, InvalidKeyFormatError
from .jsondoc import excerpt, loads, utf8_error
from .values import course_key_parser

#: One line (one post) at most: MongoDB's own limit for a document is 16 MB of BSON, and the
#: forum's posts are far smaller (the body of a long post is a few kB).
MAX_LINE_BYTES = 4 << 20
#: Column lengths of edx_schema_forumpost, checked here so that every database refuses alike.
_LENGTHS = {
    "_id": 24,
    "_type": 32,
    "author_id": 255,
    "author_username": 255,
    "thread_type": 32,
    "comment_thread_id": 24,
    "parent_id": 24,
}


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
    """An ObjectId, ``{"$oid": "..."}`` or a plain string ('' for none)."""
    if value is None:
        return ""
    if isinstance(value, dict) and isinstance(value.get("$oid"), str):
        value = value["$oid"]
    if not isinstance(value, str):
        raise FormatError("not an ObjectId", value=excerpt(value), column=column, **where)
    return _fits(value, where=where, column=column)


def _fits(text: str, *, where: dict[str, Any], column: str) -> str:
    limit = _LENGTHS.get(column)
    if limit is not None and len(text) > limit:
        raise FormatError(
            f"{len(text)} characters, longer than the column's {limit}", value=text, column=column, **where
        )
    return text


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
        if isinstance(raw, str) and raw.lstrip("-").isascii() and raw.lstrip("-").isdigit() and len(raw) < 20:
            return dt.datetime.fromtimestamp(int(raw) / 1000, dt.UTC)
        if isinstance(raw, str):
            parsed = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
            return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)
    except (ValueError, OverflowError, OSError):
        pass
    raise FormatError("not a date", value=excerpt(value), column=column, **where)


def _text(value: Any, *, where: dict[str, Any], column: str) -> str:
    """Text, or a number written as text ('' for none); other JSON values are refused."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise FormatError("not text", value=excerpt(value), column=column, **where)
    return _fits(value, where=where, column=column)


def _lines(stream: BinaryIO, *, label: str) -> Iterator[tuple[int, bytes]]:
    """Numbered lines, each read with a bounded ``readline`` (a line past the limit is refused)."""
    number = 0
    while line := stream.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(line) > MAX_LINE_BYTES:
            raise FormatError(
                f"a line longer than {MAX_LINE_BYTES:,} bytes, the limit for one post",
                file=label,
                line=number,
                value=line[:40].decode("utf-8", "backslashreplace"),
            )
        yield number, line


def read_posts(stream: BinaryIO, *, label: str) -> Iterator[Post]:
    """The posts of a ``.mongo`` member, one line at a time (a forum dump can be large)."""
    course_key = course_key_parser(max_length=255, nullable=False)
    for number, raw in _lines(stream, label=label):
        line = raw.rstrip(b"\r\n")
        if not line.strip():
            continue
        where = {"file": label, "line": number}
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as error:
            raise utf8_error(error, file=label, line=number, where=" of the line") from None
        document = loads(text, **where)
        if not isinstance(document, dict):
            raise FormatError("not a JSON object", value=excerpt(document), **where)
        post_id = _oid(document.get("_id"), where=where, column="_id")
        if not post_id:
            raise FormatError("a post without an _id", **where)
        course_id = document.get("course_id")
        if not course_id:
            raise FormatError("a post without a course_id", column="course_id", **where)
        try:
            if not isinstance(course_id, str):
                raise ValueError("not a course key (a JSON string)")
            course_key(course_id)
        except ValueError as error:
            raise InvalidKeyFormatError(
                f"post {post_id}: {error}",
                column="course_id",
                value=excerpt(course_id),
                key_type="course key",
                **where,
            ) from None
        post_type = _text(document.get("_type"), where=where, column="_type")
        thread = post_type == "CommentThread"

        def field(column: str, read: Any = _text, *, document: dict = document, where: dict = where) -> Any:
            return read(document.get(column), where=where, column=column)

        yield Post(
            line=number,
            post_id=post_id,
            post_type=post_type,
            course_id=course_id,
            author_id=field("author_id"),
            author_username=field("author_username"),
            title=field("title") if thread else "",
            body=field("body"),
            thread_type=field("thread_type") if thread else "",
            comment_thread_id="" if thread else field("comment_thread_id", _oid),
            parent_id="" if thread else field("parent_id", _oid),
            created_at=field("created_at", _date),
            updated_at=field("updated_at", _date),
        )
