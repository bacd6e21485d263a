"""Subsection grades from problem scores, for the learners a package holds no grade rows for.

A package has ``grades_persistentsubsectiongrade`` rows only where the LMS happened to compute
them; most audit learners and every learner from before 2017 have none. Here each learner's
rows are computed as the LMS computes them (:mod:`edx_schema.scoring`) from the course tree
(:mod:`.course_tree`), ``courseware_studentmodule`` and the latest edx-submissions scores, then
stored with their visible-blocks records; then the course grades are recomputed
(:mod:`.recompute`).

Bounded memory: studentmodule rows, stored subsection rows and enrollments are read in keyset
pages by user (plain SQL, see :class:`.recompute._Pages`) and merged a window of users at a
time, so one page of each is in memory at once, whatever the course's size; writes go in
batches. Submissions (about one per learner and assessment), partition tags and library
selections are read per course up front.

Speed: a course of 100,000 learners has 10 million studentmodule rows. A learner with no
edx-submissions score is scored here from the grader's plans (:meth:`SubsectionGrader.plans`,
cached per view of the course) and its raw rows, without the per-problem objects of
:meth:`SubsectionGrader.grade_plan` and parsing only each subsection's ``first_attempted``
into an aware datetime; the numbers are computed exactly as ``grade_plan`` computes them (same
operations, same order). A learner with submissions scores, and a subsection whose
visible-blocks record is not known yet, go through the grader itself.
"""

from __future__ import annotations

import datetime
import heapq
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Func, Max
from django.utils import timezone
from django.utils.dateparse import parse_datetime

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
from .recompute import CourseResult, _Pages, _windows, recompute_course

BATCH = 2_000
STREAM_CHUNK = 10_000
#: studentmodule rows read at a time (a keyset page): a few hundred learners' rows.
MODULE_CHUNK = 20_000
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
    scorer = _Scorer(grader, context)
    result = ScoresResult(course_id=course_id)
    largest: list[tuple[float, int, str, Difference]] = []
    learners = computed = new = uncertain = 0
    with transaction.atomic():
        for user_id, modules, stored_rows in _learners(course_id, wanted, context):
            learners += 1
            progress(learners)
            stored = {row[1]: row for row in stored_rows} if stored_rows else None
            # Attempted subsections only: the LMS stores no row for the others.
            for usage_key, totals, first_attempted, hashed, blocks_json, unsure in scorer.scores(
                user_id, modules
            ):
                computed += 1
                uncertain += unsure
                row = None if stored is None else stored.get(usage_key)
                if row is None:
                    new += 1
                    writer.add(user_id, usage_key, totals, first_attempted, hashed, blocks_json, new=True)
                    continue
                old = tuple(row[2:6])
                result.compared += 1
                if all(abs(a - b) <= TOLERANCE for a, b in zip(old, totals, strict=True)):
                    result.agreed += 1
                else:
                    difference = Difference(user_id, usage_key, old, totals)
                    entry = (difference.size, -user_id, usage_key, difference)
                    if len(largest) < LARGEST_DIFFERENCES:
                        heapq.heappush(largest, entry)
                    else:
                        heapq.heappushpop(largest, entry)
                if not all_learners:
                    continue
                stored_first = scorer.naive(row[6])
                first = stored_first or first_attempted  # write-once, as the LMS keeps it
                if old == totals and row[7] == hashed and stored_first == first:
                    result.unchanged += 1
                    continue
                result.changed += 1
                writer.add(user_id, usage_key, totals, first, hashed, blocks_json, new=False)
        writer.flush()
    result.learners, result.computed, result.new, result.uncertain = learners, computed, new, uncertain
    result.largest = [entry[-1] for entry in sorted(largest, key=lambda e: (-e[0], -e[1], e[2]))]
    if GradingPolicy.objects.filter(course_id=course_id).exists():
        result.course = recompute_course(
            course_id=course_id, user_ids=wanted, subsection_rounding=subsection_rounding, dry_run=dry_run
        )
    return result


def _learners(
    course_id: str, user_ids: list[int] | None, context: _CourseContext
) -> Iterator[tuple[int, dict[str, tuple], list[tuple]]]:
    """Each learner (enrolled, or with scores) in user order: ``(user_id, studentmodule rows by
    usage key, stored subsection rows)``, the rows as the database gives them (see
    :class:`_Scorer`).

    Read in keyset pages of each table merged a window of users at a time (``_windows``): a
    course's 10 million studentmodule rows are never in memory together, nor on MySQL buffered
    whole on the client.
    """
    enrolled = CourseEnrollment.objects.all()
    modules = StudentModule.objects.filter(max_grade__isnull=False)
    stored = PersistentSubsectionGrade.objects.all()
    if user_ids is not None:
        enrolled = enrolled.filter(user_id__in=user_ids)
        modules = modules.filter(student_id__in=user_ids)
        stored = stored.filter(user_id__in=user_ids)
    # studentmodule has no (course_id, student_id) index: its (student_id, module_id, course_id)
    # key serves pages ordered by student alone. SQLite without statistics would rather seek
    # the course_id index and sort the whole course for every page: ``(+course_id)`` keeps it
    # off that index (and keeps the column's collation).
    if connection.vendor == "sqlite":
        course = Func(
            F("course_id"),
            template="(+%(expressions)s)",
            output_field=StudentModule._meta.get_field("course_id"),
        )
        modules = modules.alias(unindexed_course_id=course).filter(unindexed_course_id=course_id)
    else:
        modules = modules.filter(course_id=course_id)
    submitters = sorted(user_id for user_id in context.submitters if user_ids is None or user_id in user_ids)
    windows = _windows(
        _Pages(
            modules,
            ("student_id", "module_state_key", "grade", "max_grade", "created"),
            course_id=course_id,
            user="student_id",
            course=None,
            chunk=MODULE_CHUNK,
        ),
        _Pages(enrolled, ("user_id",), course_id=course_id),
        _Pages(
            stored,
            ("user_id", "usage_key", *_TOTALS, "first_attempted", "visible_blocks_id"),
            course_id=course_id,
        ),
        (
            [(user_id,) for user_id in submitters[start : start + STREAM_CHUNK]]
            for start in range(0, len(submitters), STREAM_CHUNK)
        ),
    )
    first = itemgetter(0)
    for module_rows, enrollments, stored_rows, submitted in windows:
        modules_of = {user_id: {row[1]: row for row in rows} for user_id, rows in groupby(module_rows, first)}
        stored_of = {user_id: list(rows) for user_id, rows in groupby(stored_rows, first)}
        users = set(modules_of).union(stored_of, map(first, enrollments), map(first, submitted))
        for user_id in sorted(users):
            yield user_id, modules_of.get(user_id, {}), stored_of.get(user_id, [])


class _Scorer:
    """A learner's attempted subsection grades: ``(usage_key, (earned_all, possible_all,
    earned_graded, possible_graded), first_attempted, visible_blocks_hash, blocks_json,
    uncertain)``, ``first_attempted`` naive in the database's time zone (as rows are read and
    written).

    From the learner's studentmodule rows ``(student_id, usage_key, grade, max_grade, created)``
    as the database gives them: ``created`` a naive datetime in the database's time zone.
    """

    def __init__(self, grader: SubsectionGrader, context: _CourseContext) -> None:
        self.grader, self.context = grader, context
        self.zone = connection.timezone  # None without USE_TZ: datetimes stay naive
        self.plain = grader.plans(Learner())  # the view of a learner with no role, group or selection

    def scores(self, user_id: int, modules: dict[str, tuple]) -> list[tuple]:
        context = self.context
        if user_id in context.submissions:  # scores from edx-submissions: the grader's own path
            return self._graded(user_id, modules)
        staff = user_id in context.staff
        groups, selections = context.groups.get(user_id), context.selections.get(user_id)
        if staff or groups or selections:
            plans = self.grader.plans(Learner(staff=staff, groups=groups or {}, selections=selections or {}))
        else:
            plans = self.plain
        try:
            return self._scored(user_id, modules, plans)
        except TypeError:  # naive and aware datetimes mixed (rows written by hand): the grader's path
            return self._graded(user_id, modules)

    def _scored(self, user_id: int, modules: dict[str, tuple], plans: list) -> list[tuple]:
        found = []
        for plan in plans:
            # The earliest attempt, first: most subsections of most learners have none, and the
            # LMS stores no row for them.
            first = None
            for block in plan.blocks:
                row = modules.get(block.usage_key)
                if row is not None and row[2] is not None and row[3] is not None:
                    created = row[4]
                    if created is not None and (first is None or created < first):
                        first = created
            if first is None:
                continue
            if not isinstance(first, datetime.datetime):  # text the driver could not read
                return self._graded(user_id, modules)
            if first.tzinfo is not None:
                first = self.naive(first)
            # SubsectionGrader.grade_plan and _row, for scores from studentmodule or the content.
            earned, possible, earned_graded, possible_graded, parts = [], [], [], [], []
            for block in plan.blocks:
                key = block.usage_key
                row = modules.get(key)
                if row is not None and row[3] is not None:
                    raw_earned, raw_possible = float(row[2] or 0.0), float(row[3])
                elif block.content_max is not None:
                    raw_earned, raw_possible = 0.0, float(block.content_max)
                else:
                    continue  # no maximum score: the LMS leaves the block out
                weight = block.weight
                if weight is None or raw_possible == 0:
                    block_earned, block_possible = raw_earned, raw_possible
                else:
                    block_earned, block_possible = float(raw_earned) * weight / raw_possible, float(weight)
                block_earned, block_possible = float(block_earned), float(block_possible)
                graded = block_possible > 0 and block.explicit_graded
                earned.append(block_earned)
                possible.append(block_possible)
                if graded:
                    earned_graded.append(block_earned)
                    possible_graded.append(block_possible)
                parts.append((key, raw_possible, graded))
            record = plan.records.get(tuple(parts))
            if record is None:  # a new visible-blocks record: made by the grader, then known
                score = self.grader.grade_plan(plan, self._learner(user_id, modules))
                found.append(self._found(score))
                continue
            totals = (
                float(sum(earned)),
                float(sum(possible)),
                float(sum(earned_graded)),
                float(sum(possible_graded)),
            )
            found.append((plan.usage_key, totals, first, record[1], record[0], plan.uncertain))
        return found

    def _graded(self, user_id: int, modules: dict[str, tuple]) -> list[tuple]:
        learner = self._learner(user_id, modules)
        return [self._found(score) for score in self.grader.grade(learner) if score.attempted]

    def _learner(self, user_id: int, modules: dict[str, tuple]) -> Learner:
        rows = [
            (user_id, key, grade, max_grade, self._aware(created))
            for _u, key, grade, max_grade, created in modules.values()
        ]
        return self.context.learner(user_id, rows)

    def _found(self, score: SubsectionScore) -> tuple:
        totals = (score.earned_all, score.possible_all, score.earned_graded, score.possible_graded)
        first = self.naive(score.first_attempted)
        return (score.usage_key, totals, first, score.visible_blocks_hash, score.blocks_json, score.uncertain)

    def naive(self, value: Any) -> Any:
        """A datetime as rows are read and written here: naive, in the database's zone."""
        if value is not None and self.zone is not None and timezone.is_aware(value):
            return timezone.make_naive(value, self.zone)
        return value

    def _aware(self, value: Any) -> Any:
        """A datetime read raw, as the ORM reads it (``convert_datetimefield_value``): aware, in
        the database's zone."""
        if value is not None and not isinstance(value, datetime.datetime):
            value = parse_datetime(value)
        if value is not None and self.zone is not None and timezone.is_naive(value):
            value = timezone.make_aware(value, self.zone)
        return value


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
    anonymous_ids = AnonymousUserId.objects.filter(course_id=course_id)
    scores = Score.objects.filter(student_item__course_id=course_id)
    summaries = ScoreSummary.objects.filter(student_item__course_id=course_id)
    if user_ids is not None:  # only the learners asked for: not the whole course's scores
        anonymous_ids = anonymous_ids.filter(user_id__in=user_ids)
    users = dict(anonymous_ids.values_list("anonymous_user_id", "user_id"))
    if user_ids is not None:
        scores = scores.filter(student_item__student_id__in=list(users))
        summaries = summaries.filter(student_item__student_id__in=list(users))
    latest = dict(summaries.values_list("student_item_id", "latest_id"))
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
        if user_id is None:  # a score of no learner of the course (or of one not asked for)
            continue
        found[user_id][item_id] = SubmissionScore(earned, possible, created)
    return dict(found)


class _RowWriter:
    """Upserts subsection grades and their visible-blocks records in batches, in plain SQL.

    Rows no stored row was found for are inserted; on SQLite with a plain INSERT, as an upsert
    (``ON CONFLICT DO UPDATE``) of new rows takes two and a half times as long there. Should one
    be there after all (another writer, or a usage key stored in other letter case, which the
    unique index does not tell apart), the batch is upserted instead.
    """

    def __init__(self, *, course_id: str, now: datetime.datetime, dry_run: bool) -> None:
        self.course_id, self.dry_run = course_id, dry_run
        self.stamp = connection.ops.adapt_datetimefield_value(now)
        self.adapt = connection.ops.adapt_datetimefield_value
        self.rows: list[tuple] = []  # rows to upsert
        self.new: list[tuple] = []  # rows to insert
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
        self.insert_sql = None
        if connection.vendor == "sqlite":
            quote, table = backend().quote, PersistentSubsectionGrade._meta.db_table
            self.insert_sql = (
                f"INSERT INTO {quote(table)} ({', '.join(map(quote, columns))})"
                f" VALUES ({', '.join(['%s'] * len(columns))})"
            )
        self.blocks_sql = backend().upsert_sql(
            VisibleBlocks._meta.db_table, ("blocks_json", "hashed", "course_id"), key=("hashed",), update=()
        )

    def add(
        self,
        user_id: int,
        usage_key: str,
        totals: tuple[float, float, float, float],
        first_attempted: Any,
        hashed: str,
        blocks_json: str,
        *,
        new: bool,
    ) -> None:
        """One subsection grade (``new``: no stored row was found for it); ``first_attempted``
        naive in the database's zone, or aware."""
        if hashed not in self.known:
            self.known.add(hashed)
            self.records[hashed] = blocks_json
        (self.new if new else self.rows).append(
            (
                user_id,
                self.course_id,
                usage_key,
                "",
                None,
                *totals,
                None if first_attempted is None else self.adapt(first_attempted),
                hashed,
                self.stamp,
                self.stamp,
            )
        )
        if len(self.rows) + len(self.new) >= BATCH:
            self.flush()

    def flush(self) -> None:
        rows, new, records = self.rows, self.new, self.records
        self.rows, self.new, self.records = [], [], {}
        if self.dry_run or not (rows or new):
            return
        with connection.cursor() as cursor:
            if records:  # first: the rows point at them
                cursor.executemany(
                    self.blocks_sql, [(value, hashed, self.course_id) for hashed, value in records.items()]
                )
            if new and self.insert_sql is not None:
                try:
                    with transaction.atomic():  # a savepoint: the batch is inserted whole, or not at all
                        cursor.executemany(self.insert_sql, new)
                    new = []
                except IntegrityError:
                    pass  # upserted below
            if rows or new:
                cursor.executemany(self.sql, rows + new)


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
