"""Recompute persistent course grades from subsection grades, overrides and the grading policy.

Set-based and bounded: per course, three streams ordered by user id (enrollments, subsection
rows with their overrides joined, stored course grades) are read in keyset pages and merged, so
only one page and one learner's rows are in memory at a time; new and changed grades are written
in bulk batches.

A graded subsection the learner never opened counts as 0 out of the possible score that
``outline.unattempted_possibles`` gives it, as the LMS counts it.
"""

from __future__ import annotations

import functools
import heapq
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from .. import keys
from ..errors import EdxSchemaError, GradingPolicyError
from ..grading import CourseGrader, grading_policy_hash
from ..helper_process import Helper, HelperFailed, Send, can_fork
from ..importing.backends import backend
from ..models import (
    CourseBlock,
    CourseEnrollment,
    GradingPolicy,
    PersistentCourseGrade,
    PersistentSubsectionGrade,
    PersistentSubsectionGradeOverride,
)
from .grade_writer import GradeWriter
from .outline import key_text, unattempted_possibles
from .pages import by_key

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


def _pages_by_user(
    queryset: models.QuerySet,
    fields: tuple[Any, ...],
    *,
    course_id: str,
    user: str = "user_id",
    course: str = "course_id",
    after: int | None = None,
    upto: int | None = None,
) -> Iterator[tuple[int, list[tuple]]]:
    """``(user_id, rows)`` for each user of ``queryset`` in ``course_id``, in user order.

    ``fields[0]`` is ``user``; only users above ``after`` and up to ``upto``. Read in keyset pages
    of STREAM_CHUNK rows (see ``services.pages``), each a seek in the course's index.
    """
    queryset = queryset.filter(**backend().course_range(course, course_id))
    return by_key(queryset, fields, key=user, prefix=(course,), after=after, upto=upto, chunk=STREAM_CHUNK)


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
    Raises InvalidKeyError for a ``course_id`` that is not a course key, GradingPolicyError when
    the course has no grading policy or no outline.
    """
    course_id = str(keys.course_key(course_id))
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
    if outline:
        unattempted = unattempted_possibles(course_id=course_id)
    else:  # a course known from its OLX export alone (before structures were exported)
        outline, unattempted = _olx_outline(course_id)
    # Only graded subsections can enter a grade; a learner's sheet starts from the unattempted
    # totals, and the learner's own rows replace them.
    graded = [(key, fmt or "") for key, fmt, is_graded in outline if is_graded]
    sheet = _Sheet(
        grader=grader,
        blank=[(fmt, 0.0, unattempted.get(key, 0.0)) for key, fmt in graded],
        place={key: index for index, (key, _fmt) in enumerate(graded)},
    )
    wanted = None if user_ids is None else sorted(set(user_ids))
    now = timezone.now()
    writer = GradeWriter(course_id=course_id, policy_hash=policy_hash, now=now, dry_run=dry_run)
    split = _helper_split(course_id=course_id, user_ids=wanted)
    if split is None:
        grades: Iterator[tuple[int, float, str, bool]] = _graded(sheet, course_id=course_id, user_ids=wanted)
    else:
        writer.hold()  # SQLite: no writing while the helper reads, or it finds the database locked
        grades = _graded_with_helper(
            sheet, course_id=course_id, user_ids=wanted, split=split, when_done=writer.release
        )
    stored = PersistentCourseGrade.objects.all()
    if wanted is not None:
        stored = stored.filter(user_id__in=wanted)
    learners = _merge_by_user(
        ((user_id, [row]) for user_id, *row in grades),
        _pages_by_user(
            stored,
            ("user_id", "percent_grade", "letter_grade", "grading_policy_hash", "passed_timestamp"),
            course_id=course_id,
        ),
    )
    result = CourseResult(course_id=course_id)
    largest: list[tuple[float, int, Change]] = []
    writes: list[tuple] = []
    with transaction.atomic():
        for user_id, (computed, previous_rows) in learners:
            if not computed:  # a stored grade of a learner with no enrollment and no rows: left alone
                continue
            if len(writes) >= BATCH:
                writer.write(writes)
                writes = []
            percent, letter, passed = computed[0]
            result.learners += 1
            progress(result.learners)
            if not previous_rows:
                result.new += 1
                writes.append((user_id, percent, letter, now if passed else None))
                continue
            _u, old_percent, old_letter, old_hash, passed_at = previous_rows[0]
            needs_timestamp = passed and passed_at is None
            if (
                old_percent == percent
                and old_letter == letter
                and old_hash == policy_hash
                and not needs_timestamp
            ):
                result.unchanged += 1
                continue
            result.changed += 1
            result.letter_flips += old_letter != letter
            result.pass_flips += (old_letter != "") != passed
            if old_percent != percent or old_letter != letter:
                change = Change(user_id, old_percent, percent, old_letter, letter)
                entry = (abs(percent - old_percent), -user_id, change)
                if len(largest) < LARGEST_CHANGES:
                    heapq.heappush(largest, entry)
                else:
                    heapq.heappushpop(largest, entry)
            writes.append((user_id, percent, letter, now if needs_timestamp else passed_at))
        writer.write(writes)
        writer.release()
    result.largest = [change for _delta, _u, change in sorted(largest, key=lambda e: (-e[0], -e[1]))]
    return result


def _olx_outline(course_id: str) -> tuple[list[tuple[str, str, bool]], dict[str, float]]:
    """The subsections of a course known by its OLX export alone, and each one's possible for a
    learner who attempted nothing there (what the LMS grades an unopened subsection out of)."""
    from ..scoring import Learner, SubsectionGrader
    from .course_tree import course_tree

    try:
        tree = course_tree(course_id=course_id)
    except GradingPolicyError:
        raise GradingPolicyError(
            f"{course_id} has no course outline: import its package with the course_structure JSON "
            "or the course's OLX export"
        ) from None
    graded = tree.inherited_graded()
    grader = SubsectionGrader(tree, now=timezone.now())
    possible = {score.usage_key: score.possible_graded for score in grader.grade(Learner())}
    outline = [(block.usage_key, block.format or "", graded[block.usage_key]) for block in tree.subsections()]
    return outline, possible


@dataclass(frozen=True)
class _Sheet:
    """How one course turns a learner's rows into a grade."""

    grader: CourseGrader
    blank: list[tuple[str, float, float]]  # (format, earned, possible) of each graded subsection
    place: dict[str, int]  # usage key -> index in ``blank``


def _graded(
    sheet: _Sheet,
    *,
    course_id: str,
    user_ids: list[int] | None,
    after: int | None = None,
    upto: int | None = None,
) -> Iterator[tuple[int, float, str, bool]]:
    """``(user_id, percent, letter, passed)`` for every learner of the course, in user order.

    A learner is anyone with an enrollment in the course or a subsection grade in it; ``after``
    and ``upto`` limit the user ids to a half-open range.
    """
    rows = PersistentSubsectionGrade.objects.all()
    overrides = PersistentSubsectionGradeOverride.objects.all()
    enrolled = CourseEnrollment.objects.all()
    if user_ids is not None:
        rows, enrolled = rows.filter(user_id__in=user_ids), enrolled.filter(user_id__in=user_ids)
        overrides = overrides.filter(grade__user_id__in=user_ids)
    span = {"course_id": course_id, "after": after, "upto": upto}
    # Overrides are few: a stream of their own is cheaper than joining every row to them.
    learners = _merge_by_user(
        _pages_by_user(enrolled, ("user_id",), **span),
        _pages_by_user(rows, ("user_id", key_text(), "earned_graded", "possible_graded"), **span),
        _pages_by_user(
            overrides,
            (
                "grade__user_id",
                key_text("grade__usage_key"),
                "earned_graded_override",
                "possible_graded_override",
            ),
            user="grade__user_id",
            course="grade__course_id",
            **span,
        ),
    )
    blank, place, grade_totals = sheet.blank, sheet.place, sheet.grader.grade_totals
    for user_id, (_enrollment, own_rows, own_overrides) in learners:
        totals = blank.copy()
        for _u, key, earned, possible in own_rows:
            index = place.get(key)
            if index is not None:
                totals[index] = (totals[index][0], earned, possible)
        for _u, key, earned_override, possible_override in own_overrides:
            index = place.get(key)
            if index is not None:
                fmt, earned, possible = totals[index]
                totals[index] = (
                    fmt,
                    earned if earned_override is None else earned_override,
                    possible if possible_override is None else possible_override,
                )
        grade = grade_totals(totals)
        yield user_id, grade.percent, grade.letter_grade or "", grade.passed


# -- a helper process on SQLite -------------------------------------------------------------------
#
# On SQLite the database is read in this process, and the work per learner is Python (the GIL):
# for a big course a forked helper process (``helper_process``) grades the upper half of the
# learners (by user id) while this one grades the lower half, and spools its grades to a file
# that this process reads back once its own half is done (a pipe would stall the helper
# meanwhile). Only for a database file, outside any transaction (the helper must see what this
# process sees), and where fork exists; otherwise everything is done here.

#: Courses with fewer subsection rows than this are graded in this process alone.
HELPER_MIN_ROWS = 200_000


def _helper_split(*, course_id: str, user_ids: list[int] | None) -> int | None:
    """The user id that splits the course's rows in two halves, or None to use no helper."""
    if (
        not backend().single_writer
        or connection.in_atomic_block
        or connection.settings_dict["NAME"] == ":memory:"
        or "mode=memory" in str(connection.settings_dict["NAME"])
        or not can_fork()
    ):
        return None
    rows = PersistentSubsectionGrade.objects.filter(course_id=course_id)
    if user_ids is not None:
        rows = rows.filter(user_id__in=user_ids)
    count = rows.count()
    if count < HELPER_MIN_ROWS:  # not worth a process
        return None
    return rows.order_by("course_id", "user_id").values_list("user_id", flat=True)[count // 2]


def _graded_with_helper(
    sheet: _Sheet, *, course_id: str, user_ids: list[int] | None, split: int, when_done: Callable[[], None]
) -> Iterator[tuple[int, float, str, bool]]:
    """:func:`_graded`, the learners above ``split`` graded by a forked helper process.

    ``when_done`` is called once the helper has finished reading the database.
    """
    work = functools.partial(_grade_upper_half, sheet, course_id, user_ids, split)
    with Helper(work, name="grading helper", spool=True) as helper:
        yield from _graded(sheet, course_id=course_id, user_ids=user_ids, upto=split)
        helper.wait()
        when_done()
        try:
            for batch in helper.messages():
                yield from batch
        except HelperFailed as error:
            raise EdxSchemaError(f"{course_id}: {error}") from None


def _grade_upper_half(
    sheet: _Sheet, course_id: str, user_ids: list[int] | None, split: int, send: Send
) -> None:
    """The helper's work: grade the learners above ``split``, send the grades in batches."""
    batch = []
    for grade in _graded(sheet, course_id=course_id, user_ids=user_ids, after=split):
        batch.append(grade)
        if len(batch) >= BATCH:
            send(batch)
            batch = []
    send(batch)
