"""Store the forum posts of a package's ``.mongo`` member (upsert by MongoDB ``_id``)."""

from __future__ import annotations

from collections.abc import Iterable

from ..models import ForumPost
from ..package.forum import Post
from .outline import Saved, batches

_FIELDS = (
    "post_type",
    "course_id",
    "author_id",
    "author_username",
    "title",
    "body",
    "thread_type",
    "comment_thread_id",
    "parent_id",
    "created_at",
    "updated_at",
)


def save_posts(*, posts: Iterable[Post]) -> Saved:
    """Insert new posts and update changed ones, a batch at a time (a dump can be large).

    A weekly package repeats every post: unchanged ones are counted, not rewritten.
    """
    saved = Saved()
    for batch in batches(posts, size=lambda post: len(post.body) + len(post.title)):
        wanted = {post.post_id: {name: getattr(post, name) for name in _FIELDS} for post in batch}
        saved.read += len(batch)
        existing = {row.post_id: row for row in ForumPost.objects.filter(post_id__in=list(wanted))}
        new, changed = [], []
        for post_id, values in wanted.items():
            row = existing.get(post_id)
            if row is None:
                new.append(ForumPost(post_id=post_id, **values))
                continue
            before = {name: getattr(row, name) for name in _FIELDS}
            before["course_id"] = str(before["course_id"])
            if before == values:
                saved.unchanged += 1
                continue
            for name, value in values.items():
                setattr(row, name, value)
            changed.append(row)
        ForumPost.objects.bulk_create(new)
        ForumPost.objects.bulk_update(changed, _FIELDS)
        saved.inserted += len(new)
        saved.updated += len(changed)
    return saved
