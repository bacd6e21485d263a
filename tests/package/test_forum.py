"""Decoding the forum dump: threads and comments, MongoDB's extended JSON, dates in UTC."""

import datetime as dt
import io
import json

import pytest

from edx_schema.errors import FormatError
from edx_schema.package.forum import read_posts

UTC = dt.UTC


def dump(*documents, raw=b""):
    return io.BytesIO(b"".join(json.dumps(d).encode() + b"\n" for d in documents) + raw)


def thread(**extra):
    return {"_id": {"$oid": "526f149558b9a081bf000065"}, "_type": "CommentThread", "course_id": "c", **extra}


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ({"$date": 1387483835043}, dt.datetime(2013, 12, 19, 20, 10, 35, 43000, tzinfo=UTC)),
        ({"$date": 1387487272772}, dt.datetime(2013, 12, 19, 21, 7, 52, 772000, tzinfo=UTC)),
        (
            {"$date": {"$numberLong": "1387483835043"}},
            dt.datetime(2013, 12, 19, 20, 10, 35, 43000, tzinfo=UTC),
        ),
        ({"$date": "2015-12-30T01:03:14.523Z"}, dt.datetime(2015, 12, 30, 1, 3, 14, 523000, tzinfo=UTC)),
        ({"$date": "2015-12-30T03:03:14+02:00"}, dt.datetime(2015, 12, 30, 1, 3, 14, tzinfo=UTC)),
        (None, None),
    ],
)
def test_dates_are_utc_whatever_their_form(date, expected):
    (post,) = read_posts(dump(thread(created_at=date)), label="f.mongo")
    assert post.created_at == expected


def test_threads_and_comments_keep_their_fields_and_blank_lines_are_skipped():
    comment = {
        "_id": {"$oid": "529a1abe6bfde39898000068"},
        "_type": "Comment",
        "course_id": "c",
        "author_id": "13",
        "comment_thread_id": {"$oid": "526f149558b9a081bf000065"},
        "parent_id": {"$oid": "529a1abe6bfde39898000001"},
        "body": "line\u2028still the same line i\u00b4m",
        "title": "ignored for comments",
    }
    posts = list(
        read_posts(
            dump(thread(title="T", thread_type="discussion", body="b"), comment, raw=b"\n  \n"), label="f"
        )
    )
    assert [(p.post_type, p.title, p.thread_type) for p in posts] == [
        ("CommentThread", "T", "discussion"),
        ("Comment", "", ""),
    ]
    assert (posts[1].comment_thread_id, posts[1].parent_id) == (
        "526f149558b9a081bf000065",
        "529a1abe6bfde39898000001",
    )
    assert posts[1].body == "line\u2028still the same line i\u00b4m"
    assert posts[1].line == 2


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"_id": {"$oid": "x"}, "course_id": "c"\n', "f.mongo, line 2: not a JSON document"),
        (
            b'{"_id": {"$oid": "x"}, "course_id": "c", "created_at": {"$date": "yesterday"}}\n',
            "f.mongo, line 2, column created_at: not a date",
        ),
        (b'{"course_id": "c"}\n', "f.mongo, line 2: a post without an _id"),
        (b'{"_id": {"$oid": "x"}}\n', "f.mongo, line 2, column course_id: a post without a course_id"),
        (b"\xff\n", "f.mongo, line 2: not UTF-8 text"),
    ],
)
def test_a_bad_line_is_named_with_its_file_line_and_column(raw, message):
    with pytest.raises(FormatError) as error:
        list(read_posts(dump(thread(), raw=raw), label="f.mongo"))
    assert str(error.value).startswith(message)
