"""Export the vismooc extension tables of MOOCdb from the database (``manage.py export_vismooc``).

The mappings are those of the original vismooc extensions (MOOC-Learner-Curated), with their
known bugs fixed compatibly: users are joined to profiles on ``user_id`` (not by row position;
users without a profile are left out and counted), new-style ``course-v1:``/``block-v1:`` keys
give the right ``original_id`` and ``org`` (the course id exactly as the package spells it),
dates are ``YYYY-MM-DD HH:MM:SS`` UTC, and an orphan video or a missing date never aborts the
export. Usernames and profile names are RIPEMD-160 hashed, as the tracking-log parser hashes
them. ``_id`` values are the original's for videos; for courses and forum posts (whose original
ids hashed a Python 2 dict repr) they are the same hash of the course key and the post's
MongoDB id, so they are stable and unique across courses.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import keys
from ..errors import EdxSchemaError
from ..models import (
    CourseBlock,
    CourseEnrollment,
    ForumPost,
    GeneratedCertificate,
    PersistentCourseGrade,
    UserProfile,
)
from ..vismooc.format import TABLES, course_year, load_script, mysql_datetime, write_table
from ..vismooc.hashing import anonymize, vismooc_id
from .pages import by_primary_key

GRADES_FROM = ("certificates", "course-grades")
SCRIPT = "import_vismooc_to_moocdb.sql"


@dataclass
class Export:
    """What ``export_vismooc`` wrote: rows per file, and what it left out and why."""

    directory: Path
    rows: dict[str, int] = field(default_factory=dict)
    users_without_profile: int = 0
    courses_without_outline: list[str] = field(default_factory=list)


def export_vismooc(
    *,
    directory: Path,
    courses: Iterable[str] = (),
    grades_from: str = "certificates",
    database: str = "moocdb",
) -> Export:
    """Write the seven CSVs and the load script into ``directory`` (created if needed).

    ``courses`` limits the export (course keys); empty means every course.
    ``grades_from`` is ``certificates`` (the original's) or ``course-grades``
    (grades_persistentcoursegrade, recomputed grades included).
    """
    courses = [str(keys.course_key(course)) for course in courses]  # InvalidKeyError names a bad one
    if grades_from not in GRADES_FROM:
        raise EdxSchemaError(f"grades come from {' or '.join(GRADES_FROM)}, not {grades_from!r}")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise EdxSchemaError(f"{directory}: cannot create it ({error.strerror})") from None
    wanted = sorted(set(courses)) or _all_courses()
    export = Export(directory=directory)
    outlined = {
        str(c)
        for c in CourseBlock.objects.filter(category="course", course_id__in=wanted).values_list(
            "course_id", flat=True
        )
    }
    export.courses_without_outline = [c for c in wanted if c not in outlined]
    producers = {
        "courses": lambda: _courses(wanted),
        "course_video": lambda: ((vid, course, key) for vid, course, key, *_ in _videos(wanted)),
        "videos": lambda: (
            (vid, key, name, section, "", url) for vid, _course, key, name, section, url in _videos(wanted)
        ),
        "enrollments": lambda: _enrollments(wanted),
        "forum": lambda: _forum(wanted),
        "grades": lambda: _grades(wanted, grades_from),
        "users": lambda: _users(wanted, export, every_user=not set(courses)),
    }
    for table in TABLES:  # all seven, always, even when empty
        export.rows[table] = write_table(directory / f"{table}.csv", producers[table]())
    (directory / SCRIPT).write_text(
        load_script(directory=directory.resolve(), database=database), encoding="utf-8"
    )
    return export


def _all_courses() -> list[str]:
    outlined = CourseBlock.objects.filter(category="course").values_list("course_id", flat=True)
    enrolled = CourseEnrollment.objects.order_by().values_list("course_id", flat=True).distinct()
    return sorted({str(c) for c in outlined} | {str(c) for c in enrolled})


def _courses(courses: list[str]) -> Iterator[tuple]:
    for course_id, display_name, start, metadata in (
        CourseBlock.objects.filter(category="course", course_id__in=courses)
        .order_by("course_id")
        .values_list("course_id", "display_name", "start", "metadata")
    ):
        key = str(course_id)
        start = start or metadata.get("start")
        yield (
            vismooc_id(key), key, metadata.get("display_name") or display_name, course_year(start),
            course_id.org, "", "", mysql_datetime(start), mysql_datetime(metadata.get("end")), "", "",
        )  # fmt: skip


def _videos(courses: list[str]) -> Iterator[tuple[str, str, str, str, str, str]]:
    """``(_id, course original_id, usage key, name, section, url)`` for every video block.

    ``section`` is the original's path from the course: for each block down to the video,
    its index among its parent's children and its name, ``"1>>Week 1>>0>>Lecture>>..."``.
    A video the course does not reach (an orphan) has ``''``; a nameless block on the way
    contributes ``"i>>>>"``.
    """
    for course in courses:
        blocks = list(
            CourseBlock.objects.filter(course_id=course)
            .order_by("position")
            .values_list("usage_key", "category", "parent", "display_name", "metadata")
        )
        by_key = {
            str(key): (category, parent, name, metadata) for key, category, parent, name, metadata in blocks
        }
        index: dict[str, int] = {}
        seen_children: dict[str, int] = {}
        for key, _category, parent, _name, _metadata in blocks:
            if parent:
                index[str(key)] = seen_children.get(parent, 0)
                seen_children[parent] = index[str(key)] + 1
        for key, category, _parent, name, metadata in blocks:
            if category != "video":
                continue
            usage = str(key)
            yield (
                vismooc_id(usage), course, usage, metadata.get("display_name") or name,
                _section(usage, by_key, index), _first(metadata.get("html5_sources")),
            )  # fmt: skip


def _section(usage: str, by_key: dict[str, tuple], index: dict[str, int]) -> str:
    path = []
    key = usage
    while key in by_key:
        category, parent, name, metadata = by_key[key]
        if category == "course":
            return "".join(reversed(path))
        if not parent or key not in index:
            return ""  # an orphan: the course does not reach it
        path.append(f"{index[key]}>>{metadata.get('display_name') or name}>>")
        key = parent
    return ""


def _first(sources: Any) -> str:
    return str(sources[0]) if isinstance(sources, list) and sources else ""


def _enrollments(courses: list[str]) -> Iterator[tuple]:
    rows = CourseEnrollment.objects.filter(course_id__in=courses)
    for pk, user_id, course_id, created, active in by_primary_key(
        rows, ("pk", "user_id", "course_id", "created", "is_active")
    ):
        yield pk, user_id, str(course_id), mysql_datetime(created), int(active)


def _forum(courses: list[str]) -> Iterator[tuple]:
    fields = (
        "pk", "post_id", "course_id", "author_id", "created_at", "updated_at", "body", "post_type",
        "title", "thread_type", "comment_thread_id", "parent_id",
    )  # fmt: skip
    for row in by_primary_key(ForumPost.objects.filter(course_id__in=courses), fields):
        _pk, post_id, course_id, author, created, updated, body, kind, title, thread_type, thread, parent = (
            row
        )
        yield (
            vismooc_id(post_id), post_id, str(course_id), author, mysql_datetime(created),
            mysql_datetime(updated), body, kind, title, thread_type, thread, parent,
        )  # fmt: skip


def _grades(courses: list[str], grades_from: str) -> Iterator[tuple]:
    if grades_from == "certificates":
        rows = GeneratedCertificate.objects.filter(course_id__in=courses)
        for pk, user_id, course_id, created, grade in by_primary_key(
            rows, ("pk", "user_id", "course_id", "created_date", "grade")
        ):
            yield pk, user_id, str(course_id), mysql_datetime(created), grade
        return
    rows = PersistentCourseGrade.objects.filter(course_id__in=courses)
    for pk, user_id, course_id, modified, percent in by_primary_key(
        rows, ("pk", "user_id", "course_id", "modified", "percent_grade")
    ):
        yield pk, user_id, str(course_id), mysql_datetime(modified), f"{percent:.2f}"


def _users(courses: list[str], export: Export, *, every_user: bool) -> Iterator[tuple]:
    """Users joined to their profiles on user_id (the original paired them by row position)."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.all()
    if not every_user:
        users = users.filter(pk__in=CourseEnrollment.objects.filter(course_id__in=courses).values("user_id"))
    profiles = UserProfile.objects.filter(user__in=users)
    fields = (
        "pk", "user_id", "user__username", "name", "language", "location", "year_of_birth",
        "level_of_education", "goals", "gender", "country",
    )  # fmt: skip
    written = 0
    for row in by_primary_key(profiles, fields):
        pk, user_id, username, name, language, location, born, education, goals, gender, country = row
        written += 1
        # As the original: the name is hashed as stored, a NULL one as the text "NULL".
        yield (
            pk, user_id, anonymize(username), anonymize("NULL" if name is None else name), language,
            location, born, education, goals, gender, country,
        )  # fmt: skip
    export.users_without_profile = users.count() - written
