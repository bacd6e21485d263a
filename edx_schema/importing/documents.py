"""Members that are documents, not TSV tables: a course's outline (``course_structure`` JSON), its
grading policy (in the OLX export) and the forum dump (``.mongo``).

Each is read as a stream by its decoder in ``package/`` and stored by its service, inside the
caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from typing import BinaryIO

from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import UsageKey

from ..errors import PackageError, shown
from ..package.course import read_course_structure, read_grading_policy
from ..package.forum import Post, read_posts
from ..package.source import Member
from ..services.forum import save_posts
from ..services.outline import save_grading_policy, save_outline
from .rows import LoadCounts

#: The members that are documents, and the table each fills.
DOCUMENT_MEMBERS = {
    "course_structure": "edx_schema_courseblock",
    "course_olx": "edx_schema_gradingpolicy",
    "forum": "edx_schema_forumpost",
}


def load_document(
    open_stream: Callable[[], AbstractContextManager[BinaryIO]],
    member: Member,
    *,
    label: str,
    course: str | None,
) -> LoadCounts:
    """Load a document member; ``course`` is its course as the package's tables name it, if known."""
    load = {"forum": _forum, "course_structure": _outline, "course_olx": _grading_policy}[member.name.kind]
    with open_stream() as stream:
        return load(stream, label=label, course=course)


def _forum(stream: BinaryIO, *, label: str, course: str | None) -> LoadCounts:
    posts = _NotingCourse(read_posts(stream, label=label))
    saved = save_posts(posts=posts)
    return LoadCounts.of(saved, course_id=course or posts.least)


class _NotingCourse:
    """The posts, passed through; notes the least course id (a set of them would grow with the dump)."""

    def __init__(self, posts: Iterable[Post]) -> None:
        self.posts = posts
        self.least: str | None = None

    def __iter__(self) -> Iterator[Post]:
        for post in self.posts:
            if self.least is None or post.course_id < self.least:
                self.least = post.course_id
            yield post


def _outline(stream: BinaryIO, *, label: str, course: str | None) -> LoadCounts:
    blocks = read_course_structure(stream, label=label)
    course = course_of_root(blocks[0].usage_key, label=label)
    return LoadCounts.of(save_outline(course_id=course, blocks=blocks), course_id=course)


def _grading_policy(stream: BinaryIO, *, label: str, course: str | None) -> LoadCounts:
    text = read_grading_policy(stream, label=label)
    if text is None:
        raise PackageError(
            f"{label}: the course export has no grading_policy.json; "
            "supply one with manage.py set_grading_policy"
        )
    if course is None:
        raise PackageError(
            f"{label}: cannot tell which course this export is for (the package has no table "
            "with its course_id); supply the policy with manage.py set_grading_policy"
        )
    return LoadCounts.of(save_grading_policy(course_id=course, text=text, source=label), course_id=course)


def course_of_root(usage_key: str, *, label: str) -> str:
    """The course key of a course block's usage key (legacy i4x keys carry the run as block id)."""
    try:
        key = UsageKey.from_string(usage_key)
        course = key.course_key
        if getattr(course, "run", None) is None:  # i4x://O/C/course/R:x gives no run R:x
            course = course.replace(run=key.block_id)
    except InvalidKeyError:
        message = f"the course block's key {shown(usage_key)} gives no course key"
        raise PackageError(f"{label}: {message}") from None
    return str(course)
