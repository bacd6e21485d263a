"""The members that are documents, not tables: course_structure JSON, OLX tar.gz, forum ``.mongo``."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path
from typing import Any

from .courseware import problem_key
from .grades import GRADING_POLICY, PROBLEM_POINTS, SUBSECTIONS, problem_subsection
from .spec import CourseRun


def course_structure(folder: Path, run: CourseRun) -> None:
    """``{entity}-course_structure-prod-analytics.json``: course, one chapter, the graded subsections."""
    course = run.course
    blocks: dict[str, dict[str, Any]] = {}
    chapter = course.usage_key("chapter", "week1")
    blocks[course.usage_key("course", course.run)] = {
        "category": "course",
        "children": [chapter],
        "metadata": {"display_name": f"Course {course.number}", "start": "2024-01-08T00:00:00Z"},
    }
    blocks[chapter] = {
        "category": "chapter",
        "children": [course.usage_key("sequential", s.name) for s in SUBSECTIONS],
        "metadata": {"display_name": "Week 1"},
    }
    for subsection in SUBSECTIONS:
        problems = [p for p in range(run.spec.problems) if problem_subsection(run.spec, p) == subsection]
        vertical = course.usage_key("vertical", f"v_{subsection.name}")
        blocks[course.usage_key("sequential", subsection.name)] = {
            "category": "sequential",
            "children": [vertical],
            "metadata": {"display_name": subsection.name, "graded": True, "format": subsection.format},
        }
        blocks[vertical] = {
            "category": "vertical",
            "children": [problem_key(run, p) for p in problems],
            "metadata": {},
        }
        for p in problems:
            blocks[problem_key(run, p)] = {
                "category": "problem",
                "children": [],
                "metadata": {"display_name": f"Problem {p + 1}", "weight": PROBLEM_POINTS},
            }
    path = folder / f"{course.entity}-course_structure-prod-analytics.json"
    with open(path, "w", encoding="utf-8") as out:
        out.write(json.dumps(blocks, indent=2, sort_keys=True))


def course_olx(folder: Path, run: CourseRun) -> None:
    """The course's OLX export: course.xml, policies with grading_policy.json (no static files)."""
    course = run.course
    top = f"{course.org}-{course.number}-{course.run}".replace(".", "_")
    files = {
        f"{top}/course.xml": (
            f'<course url_name="{course.run}" org="{course.org}" course="{course.number}"/>\n'
        ),
        f"{top}/course/{course.run}.xml": f'<course display_name="Course {course.number}"/>\n',
        f"{top}/policies/{course.run}/policy.json": json.dumps(
            {f"course/{course.run}": {"start": "2024-01-08"}}
        ),
        f"{top}/policies/{course.run}/grading_policy.json": json.dumps(
            GRADING_POLICY, indent=4, sort_keys=True
        ),
    }
    target = folder / f"{course.entity}-course-prod-analytics.xml.tar.gz"
    # gzip with mtime 0 and tar entries dated 0: the same course always gives the same bytes.
    with (
        open(target, "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as zipped,
        tarfile.open(fileobj=zipped, mode="w") as archive,
    ):
        for path, text in files.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mtime = 0
            archive.addfile(info, io.BytesIO(data))


def forum(folder: Path, run: CourseRun) -> None:
    """``{entity}-prod.mongo``: a thread by the first learner and a comment by the second (or first).

    Their text and dates take the forms the dumps hold: quotes, backslashes, a newline, a TAB,
    ``NULL``, non-ASCII and an astral emoji; ``$date`` as a number, a ``$numberLong`` and ISO text.
    """
    course_key = run.course.key
    thread_id = f"52b0c0b5e4b0c2a0a80000{run.index:02d}"
    author, commenter = run.learners[0], run.learners[min(1, len(run.learners) - 1)]
    posts = [
        {
            "_id": {"$oid": thread_id},
            "_type": "CommentThread",
            "course_id": course_key,
            "author_id": str(author.id),
            "author_username": author.username,
            "thread_type": "question",
            "title": 'Problem 2, "part b"?',
            "created_at": {"$date": 1387000000000},
            "updated_at": {"$date": "2013-12-14T06:00:00.123Z"},
            "body": "Hello, all: is C:\\ a path?",
        },
        {
            "_id": {"$oid": f"52b0c0b5e4b0c2a0a80001{run.index:02d}"},
            "_type": "Comment",
            "course_id": course_key,
            "author_id": str(commenter.id),
            "author_username": commenter.username,
            "comment_thread_id": {"$oid": thread_id},
            "created_at": {"$date": {"$numberLong": "1387483835043"}},
            "updated_at": {"$date": 1387483835043},
            "body": "Yes \u2014 see \\frac{1}{2}\nand NULL,\ttoo. Caf\u00e9 \ud83d\ude00",
        },
    ]
    with open(folder / f"{run.course.entity}-prod.mongo", "w", encoding="utf-8") as out:
        out.write("".join(json.dumps(post) + "\n" for post in posts))
