"""Recompute persistent course grades from subsection grades, overrides and the grading policy.

Set-based and bounded: per course, three ordered streams (the learners, their subsection rows
with overrides joined, their stored course grades) are merged by user id, so only one learner's
rows are in memory at a time; new and changed grades are written in bulk batches.

Unattempted subsections: the LMS counts a graded subsection the learner never opened as 0 out of
its possible score, which it takes from the course content. The package's outline does not carry
problem scores, so here the possible score of such a subsection is the largest
``possible_graded`` any learner's row has for it; a subsection nobody has a row for cannot score
points and is left out, as the LMS leaves out subsections with nothing possible.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from ..errors import GradingPolicyError
from ..grading import course_grade, grading_policy_hash
from ..models import (
    CourseBlock,
    CourseEnrollment,
    GradingPolicy,
    PersistentCourseGrade,
    PersistentSubsectionGrade,
)

BATCH = 2_000
STREAM_CHUNK = 5_000
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


def recompute_course(
    *,
    course_id: str,
    user_ids: Iterable[int] | None = None,
    subsection_rounding: int | None = 4,
    dry_run: bool = False,
    progress: Callable[[int], None] = lambda learners: None,
) -> CourseResult:
    """Recompute (and unless ``dry_run`` store) the course grades of one course.

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
    policy_hash = grading_policy_hash(policy)
    outline = list(
        CourseBlock.objects.filter(course_id=course_id, category="sequential")
        .order_by("position")
        .values_list("usage_key", "format", "graded")
    )
    if not outline:
        raise GradingPolicyError(
            f"{course_id} has no course outline: import its package with the course_structure JSON"
        )
    subsections = [(str(key), fmt, graded) for key, fmt, graded in outline]
    rows = PersistentSubsectionGrade.objects.filter(course_id=course_id)
    enrolled = CourseEnrollment.objects.filter(course_id=course_id)
    stored = PersistentCourseGrade.objects.filter(course_id=course_id)
    if user_ids is not None:
        wanted = sorted(set(user_ids))
        rows, enrolled, stored = (q.filter(user_id__in=wanted) for q in (rows, enrolled, stored))
    # Possible of a subsection a learner has no row for: the largest any learner's row has.
    unattempted = {
        str(key): possible
        for key, possible in PersistentSubsectionGrade.objects.filter(course_id=course_id)
        .values("usage_key")
        .annotate(most=Max("possible_graded"))
        .values_list("usage_key", "most")
    }
    # Ordered streams (iterator: the rows are never all in memory), merged by user id.
    learners = sorted(
        set(enrolled.values_list("user_id", flat=True))
        | set(rows.values_list("user_id", flat=True).distinct())
    )
    row_stream = (
        rows.order_by("user_id")
        .values_list(
            "user_id",
            "usage_key",
            "earned_graded",
            "possible_graded",
            "override__earned_graded_override",
            "override__possible_graded_override",
        )
        .iterator(chunk_size=STREAM_CHUNK)
    )
    stored_stream = (
        stored.order_by("user_id")
        .values_list(
            "user_id", "id", "percent_grade", "letter_grade", "grading_policy_hash", "passed_timestamp"
        )
        .iterator(chunk_size=STREAM_CHUNK)
    )
    by_user = itertools.groupby(row_stream, key=lambda row: row[0])
    result = CourseResult(course_id=course_id)
    now = timezone.now()
    largest: list[tuple[float, int, Change]] = []
    creates: list[PersistentCourseGrade] = []
    updates: list[PersistentCourseGrade] = []
    current_rows = next(by_user, None)
    stored_iter = iter(stored_stream)
    next_stored = next(stored_iter, None)
    with transaction.atomic():
        for user_id in learners:
            own: dict[str, tuple[float, float]] = {}
            while current_rows is not None and current_rows[0] < user_id:
                current_rows = next(by_user, None)
            if current_rows is not None and current_rows[0] == user_id:
                for _u, key, earned, possible, earned_override, possible_override in current_rows[1]:
                    own[str(key)] = (
                        earned if earned_override is None else earned_override,
                        possible if possible_override is None else possible_override,
                    )
                current_rows = next(by_user, None)
            while next_stored is not None and next_stored[0] < user_id:
                next_stored = next(stored_iter, None)
            previous = next_stored if next_stored is not None and next_stored[0] == user_id else None
            sheet = []
            for key, fmt, graded in subsections:
                earned, possible = own.get(key, (0.0, unattempted.get(key) or 0.0))
                sheet.append(
                    {
                        "usage_key": key,
                        "format": fmt,
                        "graded": graded,
                        "earned_graded": earned,
                        "possible_graded": possible,
                    }
                )
            grade = course_grade(policy, sheet, subsection_rounding=subsection_rounding)
            letter = grade.letter_grade or ""
            result.learners += 1
            progress(result.learners)
            if previous is None:
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
                _u, pk, old_percent, old_letter, old_hash, passed_at = previous
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
            if not dry_run and len(creates) >= BATCH:
                PersistentCourseGrade.objects.bulk_create(creates)
                creates = []
            if not dry_run and len(updates) >= BATCH:
                _update(updates)
                updates = []
            if dry_run:
                creates, updates = [], []
        if not dry_run:
            PersistentCourseGrade.objects.bulk_create(creates)
            _update(updates)
    result.largest = [change for _delta, _u, change in sorted(largest, key=lambda e: (-e[0], -e[1]))]
    return result


def _update(rows: list[PersistentCourseGrade]) -> None:
    if rows:
        PersistentCourseGrade.objects.bulk_update(
            rows, ["percent_grade", "letter_grade", "grading_policy_hash", "passed_timestamp", "modified"]
        )
