"""Storing the forum dump: posts upserted by _id, in batches that fit one statement."""

import datetime as dt
import io
import json

import pytest

from edx_schema.models import ForumPost
from edx_schema.package.forum import read_posts
from edx_schema.services import outline
from edx_schema.services.forum import save_posts

pytestmark = pytest.mark.django_db


def dump(*posts: dict) -> io.BytesIO:
    return io.BytesIO(b"\n".join(json.dumps(post).encode() for post in posts))


def test_posts_are_stored_in_batches_bounded_by_their_text_and_a_rerun_changes_only_what_changed(monkeypatch):
    monkeypatch.setattr(outline, "BATCH_CHARS", 2_500)  # two posts a batch
    posts = [
        {"_id": f"{n:024x}", "_type": "Comment", "course_id": "a/b/c", "body": str(n) * 1_000}
        for n in range(5)
    ]
    saved = save_posts(posts=read_posts(dump(*posts), label="f"))
    assert (saved.inserted, saved.updated, saved.unchanged) == (5, 0, 0)
    posts[3]["body"] = "edited"
    saved = save_posts(posts=read_posts(dump(*posts), label="f"))
    assert (saved.inserted, saved.updated, saved.unchanged) == (0, 1, 4)
    assert ForumPost.objects.get(post_id=f"{3:024x}").body == "edited"


def test_what_the_reader_accepts_at_its_limits_the_database_stores_as_read():
    thread = {
        "_id": {"$oid": "a" * 24},
        "_type": "CommentThread",
        "course_id": "UniversityX/HIST.2x/2013_Spring",
        "author_id": 9 * 10**254,
        "author_username": "é" * 255,
        "thread_type": "t" * 32,
        "title": "\x00😀" * 1_000,
        "body": "b" * 100_000,
        "created_at": {"$date": -62135596800000},
        "updated_at": {"$date": "9999-12-31T23:59:59.999999Z"},
    }
    save_posts(posts=read_posts(dump(thread), label="f"))
    row = ForumPost.objects.get()
    assert (row.author_id, row.author_username, row.thread_type) == ("9" + "0" * 254, "é" * 255, "t" * 32)
    assert (row.title, row.body) == ("\x00😀" * 1_000, "b" * 100_000)
    assert row.created_at == dt.datetime(1, 1, 1, tzinfo=dt.UTC)
    assert row.updated_at == dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC)
