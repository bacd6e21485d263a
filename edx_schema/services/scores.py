"""Subsection grades from problem scores, for the learners a package holds no grade rows for.

A package has ``grades_persistentsubsectiongrade`` rows only where the LMS happened to compute
them; most audit learners and every learner from before 2017 have none. Here each learner's
rows are computed as the LMS computes them (:mod:`edx_schema.scoring`) from the course tree
(:mod:`.course_tree`), ``courseware_studentmodule`` and the latest edx-submissions scores, then
stored with their visible-blocks records; then the course grades are recomputed
(:mod:`.recompute`).

Bounded memory: studentmodule rows, stored subsection rows and enrollments are read in keyset
pages by user and merged, so one page and one learner are in memory at a time; writes go in
batches. Submissions (about one per learner and assessment), partition tags and library
selections are read per course up front.
"""

from __future__ import annotations

import datetime
import heapq
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from .. import keys
from ..importing.backends import backend
from ..models import (
    AnonymousUserId,
    CourseAccessRole,
    CourseBlock,
    CourseContentBlock,
    CourseEnrollment,
    GradingPolicy,
    PersistentSubsectionGrade,
    Score,
    ScoreSummary,
    StudentModule,
    UserCourseTag,
    VisibleBlocks,
)
from ..scoring import Learner, ModuleScore, SubmissionScore, SubsectionGrader, SubsectionScore
from .course_tree import course_tree
from .outline import key_text
from .pages import by_key
from .recompute import CourseResult, _merge_by_user, _pages_by_user, recompute_course

BATCH = 2_000
STREAM_CHUNK = 10_000
LARGEST_DIFFERENCES = 10
#: Two totals agree when they differ by no more than this (both are sums of the same floats).
TOLERANCE = 1e-9
#: Course roles that see all content, as staff do when the LMS grades.
STAFF_ROLES = frozenset({"staff", "instructor", "administrator"})
#: ``user_api_usercoursetag`` keys of random (split test) partition groups.
PARTITION_TAG = "xblock.partition_service.partition_"

_TOTALS = ("earned_all", "possible_all", "earned_graded", "possible_graded")


@dataclass(frozen=True)
class Difference:
    """A stored subsection grade that differs from the one computed from scores."""

    user_id: int
    usage_key: str
    stored: tuple[float, float, float, float]
    computed: tuple[float, float, float, float]

    @property
    def size(self) -> float:
        return max(abs(a - b) for a, b in zip(self.stored, self.computed, strict=True))


@dataclass
class ScoresResult:
    """What recomputing one course's subsection grades from scores found and did."""

    course_id: str
    learners: int = 0
    computed: int = 0  # attempted subsection grades computed
    new: int = 0  # written where the package had none
    changed: int = 0  # stored rows rewritten (--all-learners)
    unchanged: int = 0
    uncertain: int = 0  # rows that depend on a random choice the package does not record
    compared: int = 0  # stored rows compared with the computed ones
    agreed: int = 0
    largest: list[Difference] = field(default_factory=list)
    course: CourseResult | None = None  # the course grades recomputed afterwards

    @property
    def agreement(self) -> float | None:
        """The share of compared rows whose four totals agree (None: nothing to compare)."""
        return self.agreed / self.compared if self.compared else None


def course_ids_with_content() -> list[str]:
    """Every course with an outline or OLX content to grade from, in key order."""
    found = {str(k) for k in CourseBlock.objects.values_list("course_id", flat=True).distinct()}
    found |= {str(k) for k in CourseContentBlock.objects.values_list("course_id", flat=True).distinct()}
    return sorted(found)


def recompute_from_scores(
    *,
    course_id: str,
    all_learners: bool = False,
    user_ids: Iterable[int] | None = None,
    dry_run: bool = False,
    subsection_rounding: int | None = 4,
    now: datetime.datetime | None = None,
    progress: Callable[[int], None] = lambda learners: None,
) -> ScoresResult:
    """Compute every learner's subsection grades from problem scores and store the missing ones
    (``all_learners``: rewrite stored ones that differ too), then recompute course grades.

    Stored and computed rows are compared wherever both exist. Raises InvalidKeyError for a bad
    ``course_id``, GradingPolicyError when the course has no content to grade from.
    """
    course_id = str(keys.course_key(course_id))
    now = now or timezone.now()
    grader = SubsectionGrader(course_tree(course_id=course_id), now=now)
    wanted = None if user_ids is None else sorted(set(user_ids))
    context = _CourseContext.read(course_id=course_id, grader=grader, user_ids=wanted)
    writer = _RowWriter(course_id=course_id, now=now, dry_run=dry_run)
    result = ScoresResult(course_id=course_id)
    largest: list[tuple[float, int, str, Difference]] = []
    with transaction.atomic():
        for user_id, (modules, stored_rows) in _learners(course_id, wanted, context):
            result.learners += 1
            progress(result.learners)
            learner = context.learner(user_id, modules)
            stored = {row[1]: row for row in stored_rows}
            for score in grader.grade(learner):
                if not score.attempted:
                    continue
                result.computed += 1
                result.uncertain += score.uncertain
                row = stored.get(score.usage_key)
                if row is None:
                    result.new += 1
                    writer.add(user_id, score, first_attempted=score.first_attempted)
                    continue
                totals = (score.earned_all, score.possible_all, score.earned_graded, score.possible_graded)
                old = tuple(row[2:6])
                result.compared += 1
                if all(abs(a - b) <= TOLERANCE for a, b in zip(old, totals, strict=True)):
                    result.agreed += 1
                else:
                    difference = Difference(user_id, score.usage_key, old, totals)
                    entry = (difference.size, -user_id, score.usage_key, difference)
                    if len(largest) < LARGEST_DIFFERENCES:
                        heapq.heappush(largest, entry)
                    else:
                        heapq.heappushpop(largest, entry)
                if not all_learners:
                    continue
                first = row[6] or score.first_attempted  # write-once, as the LMS keeps it
                if old == totals and row[7] == score.visible_blocks_hash and row[6] == first:
                    result.unchanged += 1
                    continue
                result.changed += 1
                writer.add(user_id, score, first_attempted=first)
        writer.flush()
    result.largest = [entry[-1] for entry in sorted(largest, key=lambda e: (-e[0], -e[1], e[2]))]
    if GradingPolicy.objects.filter(course_id=course_id).exists():
        result.course = recompute_course(
            course_id=course_id, user_ids=wanted, subsection_rounding=subsection_rounding, dry_run=dry_run
        )
    return result


def _learners(
    course_id: str, user_ids: list[int] | None, context: _CourseContext
) -> Iterator[tuple[int, list[list[tuple]]]]:
    """Each learner (enrolled, or with scores) in user order: ``(user_id, [modules, stored rows])``."""
    enrolled = CourseEnrollment.objects.all()
    modules = StudentModule.objects.filter(course_id=course_id, max_grade__isnull=False)
    stored = PersistentSubsectionGrade.objects.all()
    if user_ids is not None:
        enrolled = enrolled.filter(user_id__in=user_ids)
        modules = modules.filter(student_id__in=user_ids)
        stored = stored.filter(user_id__in=user_ids)
    # studentmodule has no (course_id, student_id) index: its (student_id, module_state_key,
    # course_id) key serves pages ordered by student alone.
    module_pages = by_key(
        modules,
        ("student_id", key_text("module_state_key"), "grade", "max_grade", "created"),
        key="student_id",
        chunk=STREAM_CHUNK,
    )
    merged = _merge_by_user(
        _pages_by_user(enrolled, ("user_id",), course_id=course_id),
        module_pages,
        _pages_by_user(
            stored,
            ("user_id", key_text(), *_TOTALS, "first_attempted", "visible_blocks_id"),
            course_id=course_id,
        ),
        iter(
            sorted((user_id, []) for user_id in context.submitters if user_ids is None or user_id in user_ids)
        ),
    )
    for user_id, (_enrollment, module_rows, stored_rows, _submitted) in merged:
        yield user_id, [module_rows, stored_rows]


@dataclass
class _CourseContext:
    """What is read per course up front: submissions scores, staff, partition groups, selections."""

    submissions: dict[int, dict[str, SubmissionScore]]
    staff: frozenset[int]
    groups: dict[int, dict[int, int]]
    selections: dict[int, dict[str, list]]

    @property
    def submitters(self) -> list[int]:
        return list(self.submissions)

    @classmethod
    def read(cls, *, course_id: str, grader: SubsectionGrader, user_ids: list[int] | None) -> _CourseContext:
        tree = grader.tree
        staff = CourseAccessRole.objects.filter(course_id=course_id, role__in=STAFF_ROLES)
        groups: dict[int, dict[int, int]] = defaultdict(dict)
        if any(b.user_partition_id is not None or b.group_access for b in tree.blocks.values()):
            tags = UserCourseTag.objects.filter(course_id=course_id, key__startswith=PARTITION_TAG)
            if user_ids is not None:
                tags = tags.filter(user_id__in=user_ids)
            for user_id, tag, value in tags.values_list("user_id", "key", "value").iterator(
                chunk_size=STREAM_CHUNK
            ):
                try:
                    groups[user_id][int(tag[len(PARTITION_TAG) :])] = int(value)
                except ValueError:  # not a partition group: not the LMS's tag
                    continue
        selections: dict[int, dict[str, list]] = defaultdict(dict)
        libraries = [k for k, b in tree.blocks.items() if b.category in ("library_content", "itembank")]
        if libraries:
            rows = StudentModule.objects.filter(
                course_id=course_id, module_type__in=("library_content", "itembank")
            ).values_list("student_id", key_text("module_state_key"), "state")
            if user_ids is not None:
                rows = rows.filter(student_id__in=user_ids)
            for user_id, key, state in rows.iterator(chunk_size=STREAM_CHUNK):
                selected = _selected(state)
                if selected is not None:
                    selections[user_id][key] = selected
        return cls(
            submissions=_submissions(course_id, user_ids),
            staff=frozenset(staff.values_list("user_id", flat=True)),
            groups=dict(groups),
            selections=dict(selections),
        )

    def learner(self, user_id: int, modules: list[tuple]) -> Learner:
        return Learner(
            modules={
                key: ModuleScore(grade, max_grade, created) for _u, key, grade, max_grade, created in modules
            },
            submissions=self.submissions.get(user_id, {}),
            staff=user_id in self.staff,
            groups=self.groups.get(user_id, {}),
            selections=self.selections.get(user_id, {}),
        )


def _selected(state: str | None) -> list | None:
    """A library_content block's stored ``selected`` list, if its state holds a readable one."""
    try:
        value = json.loads(state or "")
    except ValueError:
        return None
    selected = value.get("selected") if isinstance(value, dict) else None
    if not isinstance(selected, list):
        return None
    return [entry for entry in selected if isinstance(entry, list) and len(entry) == 2]


def _submissions(course_id: str, user_ids: list[int] | None) -> dict[int, dict[str, SubmissionScore]]:
    """Each learner's latest submissions score per item (the summary's ``latest``, else the
    newest score), keyed by user through the course's anonymous ids."""
    users = dict(
        AnonymousUserId.objects.filter(course_id=course_id).values_list("anonymous_user_id", "user_id")
    )
    scores = Score.objects.filter(student_item__course_id=course_id)
    latest = dict(
        ScoreSummary.objects.filter(student_item__course_id=course_id).values_list(
            "student_item_id", "latest_id"
        )
    )
    newest = dict(
        scores.values("student_item_id").annotate(last=Max("id")).values_list("student_item_id", "last")
    )
    wanted_ids = {item: latest.get(item) or last for item, last in newest.items()}
    found: dict[int, dict[str, SubmissionScore]] = defaultdict(dict)
    rows = scores.filter(id__in=list(wanted_ids.values())) if len(wanted_ids) < 50_000 else scores
    for item, score_id, anonymous, item_id, earned, possible, created in rows.values_list(
        "student_item_id",
        "id",
        "student_item__student_id",
        "student_item__item_id",
        "points_earned",
        "points_possible",
        "created_at",
    ).iterator(chunk_size=STREAM_CHUNK):
        if wanted_ids.get(item) != score_id:
            continue
        user_id = users.get(anonymous)
        if user_id is None or (user_ids is not None and user_id not in user_ids):
            continue
        found[user_id][item_id] = SubmissionScore(earned, possible, created)
    return dict(found)


class _RowWriter:
    """Upserts subsection grades and their visible-blocks records in batches, in plain SQL."""

    def __init__(self, *, course_id: str, now: datetime.datetime, dry_run: bool) -> None:
        self.course_id, self.dry_run = course_id, dry_run
        self.stamp = connection.ops.adapt_datetimefield_value(now)
        self.rows: list[tuple] = []
        self.records: dict[str, str] = {}  # hash -> json, not yet written
        self.known = set(VisibleBlocks.objects.filter(course_id=course_id).values_list("hashed", flat=True))
        columns = (
            "user_id",
            "course_id",
            "usage_key",
            "course_version",
            "subtree_edited_timestamp",
            *_TOTALS,
            "first_attempted",
            "visible_blocks_hash",
            "created",
            "modified",
        )
        self.sql = backend().upsert_sql(
            PersistentSubsectionGrade._meta.db_table,
            columns,
            key=("course_id", "user_id", "usage_key"),
            update=(*_TOTALS, "first_attempted", "visible_blocks_hash", "modified"),
        )
        self.blocks_sql = backend().upsert_sql(
            VisibleBlocks._meta.db_table, ("blocks_json", "hashed", "course_id"), key=("hashed",), update=()
        )

    def add(self, user_id: int, score: SubsectionScore, *, first_attempted: datetime.datetime | None) -> None:
        if score.visible_blocks_hash not in self.known:
            self.known.add(score.visible_blocks_hash)
            self.records[score.visible_blocks_hash] = score.blocks_json
        self.rows.append(
            (
                user_id,
                self.course_id,
                score.usage_key,
                "",
                None,
                score.earned_all,
                score.possible_all,
                score.earned_graded,
                score.possible_graded,
                connection.ops.adapt_datetimefield_value(first_attempted),
                score.visible_blocks_hash,
                self.stamp,
                self.stamp,
            )
        )
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        rows, records = self.rows, self.records
        self.rows, self.records = [], {}
        if self.dry_run or not rows:
            return
        with connection.cursor() as cursor:
            if records:  # first: the rows point at them
                cursor.executemany(
                    self.blocks_sql, [(value, hashed, self.course_id) for hashed, value in records.items()]
                )
            cursor.executemany(self.sql, rows)


def learner_scores(
    *, course_id: str, user_id: int, now: datetime.datetime | None = None
) -> list[SubsectionScore]:
    """One learner's subsection grades computed from scores, each with its problems' scores and
    their sources (for the admin's learner page). GradingPolicyError when the course has no
    content to grade from."""
    course_id = str(keys.course_key(course_id))
    grader = SubsectionGrader(course_tree(course_id=course_id), now=now or timezone.now())
    context = _CourseContext.read(course_id=course_id, grader=grader, user_ids=[user_id])
    modules = StudentModule.objects.filter(course_id=course_id, student_id=user_id, max_grade__isnull=False)
    rows = list(
        modules.values_list("student_id", key_text("module_state_key"), "grade", "max_grade", "created")
    )
    return grader.grade(context.learner(user_id, rows))
