"""Recompute persistent course grades from subsection grades, overrides and the grading policy.

Set-based and bounded: per course, three streams ordered by user id (enrollments, subsection
rows with their overrides joined, stored course grades) are read in keyset pages and merged, so
only one page and one learner's rows are in memory at a time; new and changed grades are written
in bulk batches.

A graded subsection the learner never opened counts as 0 out of the possible score that
``outline.unattempted_possibles`` gives it, as the LMS counts it.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from ..errors import GradingPolicyError
from ..grading import CourseGrader, grading_policy_hash
from ..models import (
    CourseBlock,
    CourseEnrollment,
    GradingPolicy,
    PersistentCourseGrade,
    PersistentSubsectionGrade,
)
from .outline import key_text, unattempted_possibles

BATCH = 2_000
STREAM_CHUNK = 10_000
LARGEST_CHANGES = 10


@dataclass(frozen=True)
class Change:
    """One learner whose stored grade differs from the recomputed one."""

    user_id: int
    old_percent: float
    new_percent: float
    old_letter: str
    new_letter: str


@dataclass
class CourseResult:
    """What recomputing one course found and did."""

    course_id: str
    learners: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    letter_flips: int = 0
    pass_flips: int = 0
    largest: list[Change] = field(default_factory=list)


def course_ids_with_policy() -> list[str]:
    """Every course that has a grading policy, in key order."""
    return sorted(str(key) for key in GradingPolicy.objects.values_list("course_id", flat=True))


def _pages_by_user(queryset: models.QuerySet, fields: tuple[Any, ...]) -> Iterator[tuple[int, list[tuple]]]:
    """``(user_id, rows)`` for each user in ``queryset``, in user order; ``fields[0]`` is user_id.

    Read in keyset pages of STREAM_CHUNK rows (``user_id > last``) rather than one big SELECT:
    MySQLdb buffers a whole result set on the client, so one query would hold the course in memory.
    A page ends at the last user it holds completely; the next page starts after that user.
    """
    after: int | None = None
    while True:
        page = queryset if after is None else queryset.filter(user_id__gt=after)
        rows = list(page.order_by("user_id").values_list(*fields)[:STREAM_CHUNK])
        if len(rows) == STREAM_CHUNK:
            last = rows[-1][0]
            complete = [row for row in rows if row[0] != last]
            if not complete:  # one user has a whole page of rows or more: read that user alone
                complete = list(page.filter(user_id=last).values_list(*fields))
        else:
            complete = rows
        for user_id, group in groupby(complete, key=itemgetter(0)):
            yield user_id, list(group)
        if len(rows) < STREAM_CHUNK:
            return
        after = complete[-1][0]


def _merge_by_user(*streams: Iterator[tuple[int, list[tuple]]]) -> Iterator[tuple[int, list[list[tuple]]]]:
    """Merge user-ordered ``(user_id, rows)`` streams: ``(user_id, [rows of each stream])``."""
    heads = [next(stream, None) for stream in streams]
    while True:
        present = [head[0] for head in heads if head is not None]
        if not present:
            return
        user_id = min(present)
        found = []
        for index, head in enumerate(heads):
            if head is not None and head[0] == user_id:
                found.append(head[1])
                heads[index] = next(streams[index], None)
            else:
                found.append([])
        yield user_id, found


def recompute_course(
    *,
    course_id: str,
    user_ids: Iterable[int] | None = None,
    subsection_rounding: int | None = 4,
    dry_run: bool = False,
    progress: Callable[[int], None] = lambda learners: None,
) -> CourseResult:
    """Recompute (and unless ``dry_run`` store) the course grades of one course.

    Every learner with an enrollment in the course or a subsection grade in it gets a grade.
    Raises GradingPolicyError when the course has no grading policy or no outline.
    """
    policy_row = GradingPolicy.objects.filter(course_id=course_id).first()
    if policy_row is None:
        raise GradingPolicyError(
            f"{course_id} has no grading policy: import its package with the course's OLX export "
            "(…-course-prod-analytics.xml.tar.gz), or run manage.py set_grading_policy "
            f"{course_id} grading_policy.json"
        )
    policy = policy_row.policy
    grader = CourseGrader(policy, subsection_rounding=subsection_rounding)
    policy_hash = grading_policy_hash(policy)
    outline = list(
        CourseBlock.objects.filter(course_id=course_id, category="sequential")
        .order_by("position")
        .values_list(key_text(), "format", "graded")
    )
    if not outline:
        raise GradingPolicyError(
            f"{course_id} has no course outline: import its package with the course_structure JSON"
        )
    # Only graded subsections can enter a grade; a learner's sheet starts from the unattempted
    # totals, and the learner's own rows replace them.
    graded = [(key, fmt) for key, fmt, is_graded in outline if is_graded]
    unattempted = unattempted_possibles(course_id=course_id)
    blank = {key: (0.0, unattempted.get(key, 0.0)) for key, _fmt in graded}

    rows = PersistentSubsectionGrade.objects.filter(course_id=course_id)
    enrolled = CourseEnrollment.objects.filter(course_id=course_id)
    stored = PersistentCourseGrade.objects.filter(course_id=course_id)
    if user_ids is not None:
        wanted = sorted(set(user_ids))
        rows, enrolled, stored = (q.filter(user_id__in=wanted) for q in (rows, enrolled, stored))
    learners = _merge_by_user(
        _pages_by_user(enrolled, ("user_id",)),
        _pages_by_user(
            rows,
            (
                "user_id",
                key_text(),
                "earned_graded",
                "possible_graded",
                "override__earned_graded_override",
                "override__possible_graded_override",
            ),
        ),
        _pages_by_user(
            stored,
            ("user_id", "id", "percent_grade", "letter_grade", "grading_policy_hash", "passed_timestamp"),
        ),
    )
    result = CourseResult(course_id=course_id)
    now = timezone.now()
    largest: list[tuple[float, int, Change]] = []
    creates: list[PersistentCourseGrade] = []
    updates: list[PersistentCourseGrade] = []
    with transaction.atomic():
        for user_id, (_enrollment, own_rows, previous_rows) in learners:
            totals = dict(blank)
            for _u, key, earned, possible, earned_override, possible_override in own_rows:
                if key in totals:
                    totals[key] = (
                        earned if earned_override is None else earned_override,
                        possible if possible_override is None else possible_override,
                    )
            grade = grader.grade(
                {
                    "usage_key": key,
                    "format": fmt,
                    "graded": True,
                    "earned_graded": totals[key][0],
                    "possible_graded": totals[key][1],
                }
                for key, fmt in graded
            )
            letter = grade.letter_grade or ""
            result.learners += 1
            progress(result.learners)
            if not previous_rows:
                result.new += 1
                creates.append(
                    PersistentCourseGrade(
                        user_id=user_id,
                        course_id=course_id,
                        percent_grade=grade.percent,
                        letter_grade=letter,
                        grading_policy_hash=policy_hash,
                        passed_timestamp=now if grade.passed else None,
                        created=now,
                        modified=now,
                    )
                )
            else:
                _u, pk, old_percent, old_letter, old_hash, passed_at = previous_rows[0]
                needs_timestamp = grade.passed and passed_at is None
                if (
                    old_percent == grade.percent
                    and old_letter == letter
                    and old_hash == policy_hash
                    and not needs_timestamp
                ):
                    result.unchanged += 1
                else:
                    result.changed += 1
                    result.letter_flips += old_letter != letter
                    result.pass_flips += (old_letter != "") != grade.passed
                    if old_percent != grade.percent or old_letter != letter:
                        change = Change(user_id, old_percent, grade.percent, old_letter, letter)
                        entry = (abs(grade.percent - old_percent), -user_id, change)
                        if len(largest) < LARGEST_CHANGES:
                            heapq.heappush(largest, entry)
                        else:
                            heapq.heappushpop(largest, entry)
                    updates.append(
                        PersistentCourseGrade(
                            id=pk,
                            percent_grade=grade.percent,
                            letter_grade=letter,
                            grading_policy_hash=policy_hash,
                            passed_timestamp=now if needs_timestamp else passed_at,
                            modified=now,
                        )
                    )
            if dry_run:
                creates, updates = [], []
            elif len(creates) + len(updates) >= BATCH:
                _write(creates, updates)
                creates, updates = [], []
        if not dry_run:
            _write(creates, updates)
    result.largest = [change for _delta, _u, change in sorted(largest, key=lambda e: (-e[0], -e[1]))]
    return result


def _write(creates: list[PersistentCourseGrade], updates: list[PersistentCourseGrade]) -> None:
    if creates:
        PersistentCourseGrade.objects.bulk_create(creates)
    if updates:
        PersistentCourseGrade.objects.bulk_update(
            updates, ["percent_grade", "letter_grade", "grading_policy_hash", "passed_timestamp", "modified"]
        )
