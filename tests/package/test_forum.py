"""Decoding the forum dump: threads and comments, MongoDB's extended JSON, dates in UTC."""

import datetime as dt
import io
import json

import pytest

from edx_schema.errors import FormatError
from edx_schema.package import forum
from edx_schema.package.forum import read_posts
from tests.package.memory import peak_megabytes

UTC = dt.UTC


def dump(*documents, raw=b""):
    return io.BytesIO(b"".join(json.dumps(d).encode() + b"\n" for d in documents) + raw)


COURSE = "UniversityX/HIST.2x/2013_Spring"
OID = "526f149558b9a081bf000065"


def thread(**extra):
    return {"_id": {"$oid": OID}, "_type": "CommentThread", "course_id": COURSE, **extra}


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
        "course_id": "course-v1:UniversityX+HIST.2x+2013_Spring",
        "author_id": 13,
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
    assert (posts[1].line, posts[1].author_id, posts[1].course_id) == (
        2,
        "13",
        "course-v1:UniversityX+HIST.2x+2013_Spring",
    )


def refusal(raw: bytes) -> str:
    with pytest.raises(FormatError) as error:
        list(read_posts(dump(thread(), raw=raw), label="f.mongo"))
    return str(error.value)


def line(**fields) -> bytes:
    return json.dumps(thread(**fields)).encode() + b"\n"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"_id": {"$oid": "x"}, "course_id": "c"\n', "f.mongo, line 2: not a JSON document"),
        (line(created_at={"$date": "yesterday"}), "f.mongo, line 2, column created_at: not a date"),
        (line(created_at={"$date": 1e300}), "f.mongo, line 2, column created_at: not a date"),
        (line(created_at={"$date": "9" * 40}), "f.mongo, line 2, column created_at: not a date"),
        (line(created_at={"$date": "\u0661\u0662\u0663"}), "f.mongo, line 2, column created_at: not a date"),
        (b'{"course_id": "a/b/c"}\n', "f.mongo, line 2: a post without an _id"),
        (b'{"_id": {"$oid": "x"}}\n', "f.mongo, line 2, column course_id: a post without a course_id"),
        (b"\xff\n", "f.mongo, line 2: not UTF-8 text (invalid byte b'\\xff' at byte 0 of the line)"),
        (b"[1]\n", "f.mongo, line 2: not a JSON object (value: '[1]')"),
    ],
)
def test_a_bad_line_is_named_with_its_file_line_and_column(raw, message):
    assert refusal(raw).startswith(message)


@pytest.mark.parametrize(
    ("course_id", "shown"),
    [
        (True, "true"),
        (5, "5"),
        (["a"], '["a"]'),
        ({"$oid": "x"}, '{"$oid": "x"}'),
        ("not a key", '"not a key"'),
        ("UniversityX/HIST.2x/2013_Spring/", '"UniversityX/HIST.2x/2013_Spring/"'),
        ("a/b/" + "c" * 300, '"a/b/' + "c" * 53 + '..."'),
    ],
)
def test_a_course_id_that_is_not_a_course_key_is_refused_naming_the_post(course_id, shown):
    reason = (
        "not a course key (a JSON string)"
        if not isinstance(course_id, str)
        else "304 characters, longer than the column's 255"
        if len(course_id) > 255
        else "not a valid course key in either the old or the new format"
    )
    assert refusal(line(course_id=course_id)) == (
        f"f.mongo, line 2, column course_id: post {OID}: {reason} (value: {shown!r})"
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"_id": {"$oid": ["x"]}}, 'column _id: not an ObjectId (value: \'{"$oid": ["x"]}\')'),
        ({"_id": "x" * 25}, "column _id: 25 characters, longer than the column's 24"),
        ({"_type": True}, "column _type: not text (value: 'true')"),
        ({"_type": "x" * 33}, "column _type: 33 characters, longer than the column's 32"),
        ({"author_id": {"id": 5}}, "column author_id: not text"),
        ({"author_username": ["bao"]}, "column author_username: not text"),
        ({"title": {"en": "T"}}, "column title: not text"),
        ({"body": [1, 2]}, "column body: not text (value: '[1, 2]')"),
        ({"_type": "Comment", "parent_id": 7}, "column parent_id: not an ObjectId (value: '7')"),
        ({"_type": "Comment", "comment_thread_id": {"$oid": OID + "0"}}, "column comment_thread_id: 25 char"),
        ({"body": "\ud800"}, "at $.body: a string with an unpaired UTF-16 surrogate escape"),
        ({"votes": {"count": float("nan")}}, "at $.votes.count: a number JSON cannot hold"),
    ],
)
def test_a_value_of_the_wrong_type_or_length_is_refused_naming_its_field(fields, message):
    assert refusal(line(**fields)).startswith(f"f.mongo, line 2, {message}")


def test_deep_json_is_refused_at_the_nesting_limit_not_with_a_recursion_error():
    assert refusal(b'{"body": ' + b"[" * 100_000 + b"\n").startswith(
        "f.mongo, line 2, at $: JSON nested deeper than 32 levels, the limit for a JSON document"
    )


def test_a_line_longer_than_the_limit_is_refused_without_reading_it_all(monkeypatch):
    monkeypatch.setattr(forum, "MAX_LINE_BYTES", 150)
    assert len(line()) < 150
    posts = read_posts(dump(thread(), raw=line(body="x" * 200) + line()), label="f.mongo")
    assert next(posts).line == 1
    with pytest.raises(
        FormatError, match=r"f\.mongo, line 2: a line longer than 150 bytes, the limit for one post"
    ):
        next(posts)
    # Millions of blank lines are only counted.
    (post,) = read_posts(io.BytesIO(b"\n" * 2_000_000 + b"\r\n" + line()), label="f.mongo")
    assert post.line == 2_000_002


def test_memory_stays_bounded_whatever_the_dump_holds():
    # A 200 MB line is refused at the line limit; 30 MB of posts and millions of blank lines
    # are streamed. The peak stays well under 100 MB.
    peak, output = peak_megabytes(
        """
        import json
        from edx_schema.errors import FormatError
        from edx_schema.package.forum import read_posts

        def posts(count):
            for number in range(count):
                post = {"_id": {"$oid": f"{number:024x}"}, "course_id": "a/b/c", "body": "x" * 1_000}
                yield json.dumps(post).encode() + b"\\n"
            yield b"\\n" * 5_000_000

        print(sum(len(post.body) for post in read_posts(generated(posts(30_000)), label="f")))
        try:
            list(read_posts(generated([b'{"body": "'] + [b"x" * (1 << 20)] * 200), label="f"))
        except FormatError as error:
            print(error)
        """
    )
    assert output.splitlines() == [
        "30000000",
        "f, line 1: a line longer than 4,194,304 bytes, the limit for one post "
        '(value: \'{"body": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\')',
    ]
    assert peak < 100
