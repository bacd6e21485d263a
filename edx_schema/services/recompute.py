"""Recompute persistent course grades from subsection grades, overrides and the grading policy.

Set-based and bounded: per course, streams ordered by user id (enrollments, subsection rows,
their overrides, stored course grades) are read in keyset pages and merged a window of users at a
time, so only a page of each stream is in memory at once; new and changed grades are written in
bulk batches.

The pages are read with plain SQL (compiled once by the ORM) and each learner is graded from two
lists by a sheet prepared per course: at 100,000 learners the ORM's per-row work, a generator per
learner and the general grader cost three times the reading itself.

A graded subsection the learner never opened counts as 0 out of the possible score that
``outline.unattempted_possibles`` gives it, as the LMS counts it.
"""

from __future__ import annotations

import functools
import heapq
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, models, transaction
from django.utils import timezone

from .. import keys
from ..errors import EdxSchemaError, GradingPolicyError
from ..grading import CourseGrader, _type_percent, grading_policy_hash, round_away_from_zero
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

BATCH = 2_000
#: Rows of a stream read at a time (a keyset page): bounds memory, whatever the course's size.
STREAM_CHUNK = 10_000
LARGEST_CHANGES = 10
#: Distinct sheets of one assignment type whose percent is remembered (per course).
MEMO_SIZE = 20_000


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


# -- keyset pages in plain SQL --------------------------------------------------------------------

#: Two user ids no row has, put where a page's keyset bound goes while its SQL is compiled: the
#: one parameter that differs between the two compilations is the bound (within the 32-bit range,
#: or Django would turn the comparison into a constant).
_MARKS = (-2_147_000_001, -2_147_000_002)


class _Statement:
    """A query compiled once by the ORM with a user id bound, run again with other bounds."""

    def __init__(self, queryset: models.QuerySet, lookup: str, *, limit: int | None = None) -> None:
        compiled = [_compiled(queryset.filter(**{lookup: mark})[:limit]) for mark in _MARKS]
        if compiled[0] is None or compiled[1] is None:
            self.sql, self.params, self.slot = None, [], 0
            return
        (self.sql, first), (_sql, second) = compiled
        slots = [index for index, (a, b) in enumerate(zip(first, second, strict=True)) if a != b]
        if len(slots) != 1:  # pragma: no cover (the ORM puts each value in one parameter)
            raise RuntimeError(f"cannot find the keyset bound among the parameters of {self.sql}")
        self.params, self.slot = list(first), slots[0]

    def rows(self, bound: int) -> list[tuple]:
        if self.sql is None:  # the filters match nothing (an empty list of user ids)
            return []
        params = self.params.copy()
        params[self.slot] = bound
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            return cursor.fetchall()


def _compiled(queryset: models.QuerySet) -> tuple[str, tuple] | None:
    try:
        return queryset.query.sql_with_params()
    except EmptyResultSet:
        return None


class _Pages:
    """The rows of ``queryset`` in one course, by user id, as keyset pages of complete users.

    Plain SQL with a cursor: the ORM's iterables cost more than the reading (every value passed
    through its field, every row copied). Pages, not one query read to its end, so that memory
    stays bounded on every backend (MySQLdb buffers a whole result on the client). ``fields[0]``
    is ``user``; only users above ``after`` and up to ``upto``. Ordered by ``(course, user)``,
    a ``(course_id, user_id, ...)`` index read in order; with ``course`` None the queryset is
    already limited to the course, and ordered by ``user`` alone. ``chunk`` rows a page (by
    default STREAM_CHUNK).
    """

    def __init__(
        self,
        queryset: models.QuerySet,
        fields: tuple[str, ...],
        *,
        course_id: str,
        user: str = "user_id",
        course: str | None = "course_id",
        after: int | None = None,
        upto: int | None = None,
        chunk: int | None = None,
    ) -> None:
        if course is not None:
            queryset = queryset.filter(**backend().course_range(course, course_id))
        if upto is not None:  # a fixed bound: every page is still one statement
            queryset = queryset.filter(**{f"{user}__lte": upto})
        ordered = queryset.order_by(*((user,) if course is None else (course, user))).values_list(*fields)
        self.chunk = chunk or STREAM_CHUNK
        self.after = after
        self.page = _Statement(ordered, f"{user}__gt", limit=self.chunk)
        self.first = None if after is not None else _compiled(ordered[: self.chunk])
        self.alone = _Statement(ordered, user)

    def __iter__(self) -> Iterator[list[tuple]]:
        """Pages of rows, in user order; a page holds every row of each user in it."""
        after, chunk = self.after, self.chunk
        while True:
            rows = self._first() if after is None else self.page.rows(after)
            if len(rows) < chunk:
                if rows:
                    yield rows
                return
            # The last user's rows may go on in the next page: they are read again there.
            last = rows[-1][0]
            cut = bisect_left(rows, last, key=itemgetter(0))
            if cut == 0:  # one user has a whole page of rows or more: read that user alone
                alone = self.alone.rows(last)
                if alone:  # (unless deleted meanwhile)
                    yield alone
                after = last
            else:
                yield rows[:cut]
                after = rows[cut - 1][0]

    def _first(self) -> list[tuple]:
        if self.first is None:
            return []
        with connection.cursor() as cursor:
            cursor.execute(*self.first)
            return cursor.fetchall()


def _rows(pages: Iterable[list[tuple]]) -> Iterator[tuple]:
    for page in pages:
        yield from page


def _windows(*streams: Iterable[list[tuple]]) -> Iterator[list[list[tuple]]]:
    """Merge streams of user-ordered pages (see :class:`_Pages`): each window holds, of every
    stream, the rows of the same users, all of them; windows come in user order.

    A window ends at the lowest last user of the streams' current pages, so at most one page of
    each stream is held at a time.
    """
    sources = [iter(stream) for stream in streams]
    pages: list[list[tuple]] = [[] for _ in sources]
    start = [0] * len(sources)
    live = [True] * len(sources)
    while True:
        for index, source in enumerate(sources):
            if live[index] and start[index] == len(pages[index]):
                page = next(source, None)
                while page is not None and not page:
                    page = next(source, None)
                if page is None:
                    live[index], pages[index] = False, []
                else:
                    pages[index], start[index] = page, 0
        ends = [pages[index][-1][0] for index in range(len(sources)) if live[index]]
        if not ends:
            return
        upto = min(ends)
        window = []
        for index, page in enumerate(pages):
            if not live[index]:
                window.append([])
                continue
            stop = bisect_right(page, upto, lo=start[index], key=itemgetter(0))
            window.append(page[start[index] : stop] if start[index] or stop < len(page) else page)
            start[index] = stop
        yield window


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
        grader, [(fmt, 0.0, unattempted.get(key, 0.0)) for key, fmt in graded], [k for k, _f in graded]
    )
    wanted = None if user_ids is None else sorted(set(user_ids))
    now = timezone.now()
    writer = GradeWriter(course_id=course_id, policy_hash=policy_hash, now=now, dry_run=dry_run)
    split = _helper_split(course_id=course_id, user_ids=wanted)
    if split is None:
        grades: Iterator[list[tuple]] = _graded(sheet, course_id=course_id, user_ids=wanted)
    else:
        if not _write_ahead_log():
            # A rollback journal: no writing while the helper reads, or it finds the database
            # locked. With write-ahead logging (the default settings) readers never wait.
            writer.hold()
        grades = _graded_with_helper(
            sheet, course_id=course_id, user_ids=wanted, split=split, when_done=writer.release
        )
    stored = PersistentCourseGrade.objects.all()
    if wanted is not None:
        stored = stored.filter(user_id__in=wanted)
    # A stored grade of a learner with no enrollment and no rows is left alone: only the stored
    # grades of graded learners are looked at, found by walking both in user order.
    previous_rows = _rows(
        _Pages(
            stored,
            ("user_id", "percent_grade", "letter_grade", "grading_policy_hash", "passed_timestamp"),
            course_id=course_id,
        )
    )
    result = CourseResult(course_id=course_id)
    largest: list[tuple[float, int, Change]] = []
    writes: list[tuple] = []
    learners = new = unchanged = 0
    with transaction.atomic():
        previous = next(previous_rows, None)
        for batch in grades:
            for user_id, percent, letter, passed in batch:
                while previous is not None and previous[0] < user_id:
                    previous = next(previous_rows, None)
                if previous is None or previous[0] != user_id:
                    new += 1
                    writes.append((user_id, percent, letter, now if passed else None))
                    continue
                _u, old_percent, old_letter, old_hash, passed_at = previous
                needs_timestamp = passed and passed_at is None
                if (
                    old_percent == percent
                    and old_letter == letter
                    and old_hash == policy_hash
                    and not needs_timestamp
                ):
                    unchanged += 1
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
            learners += len(batch)
            progress(learners)
            if len(writes) >= BATCH:
                writer.write(writes)
                writes = []
        writer.write(writes)
        writer.release()
    result.learners, result.new, result.unchanged = learners, new, unchanged
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


class _Sheet:
    """How one course turns a learner's rows into a grade: :meth:`CourseGrader.grade_totals`
    for a fixed list of graded subsections, given as two lists (earned, possible) by position.

    Each assignment type's subsections are known in advance, and its percent is remembered per
    distinct earned and possible values of its subsections (most learners share them: all zeros,
    full marks, an exam's few scores), at most MEMO_SIZE of them per type.
    """

    def __init__(self, grader: CourseGrader, blank: list[tuple[str, float, float]], keys: list[str]) -> None:
        self.grader = grader
        self.blank = blank  # (format, earned, possible) of each graded subsection
        self.place = {key: index for index, key in enumerate(keys)}  # usage key -> index in ``blank``
        self.earned = [earned for _fmt, earned, _possible in blank]
        self.possible = [possible for _fmt, _earned, possible in blank]
        self.scale = None if grader.rounding is None else 10.0**grader.rounding
        slots = grader._slots
        indices: list[list[int]] = [[] for _ in slots]
        for index, (fmt, _earned, _possible) in enumerate(blank):
            slot = slots.get(fmt)
            if slot is not None:
                indices[slot].append(index)
        # (values of the type's subsections, the grader entry, its memo); a type with no
        # subsection in the course always gives the same percent.
        self.reads = [(_values(indices[slot]), reader, reader.weight, {}) for slot, reader in grader._reads]
        self.cutoffs = grader.cutoffs
        self.success_cutoff = grader.success_cutoff
        self.letters: dict[float, tuple[str, bool]] = {}  # percent -> (letter, passed)
        self.empty = self.grade(self.earned, self.possible)  # a learner with no rows

    def grade(self, earned: list[float], possible: list[float]) -> tuple[float, str, bool]:
        """``(percent, letter, passed)``, the letter "" when none, as ``grade_totals`` gives them."""
        raw = 0.0
        for values, reader, weight, memo in self.reads:
            key = (values(earned), values(possible))
            percent = memo.get(key)
            if percent is None:
                percent = self._type_percent(*key, reader)
                if len(memo) >= MEMO_SIZE:
                    memo.clear()
                memo[key] = percent
            raw += percent * weight
        percent = round_away_from_zero(raw * 100 + 0.05) / 100
        letter = self.letters.get(percent)
        if letter is None:
            letter = self.letters[percent] = self._letter(percent)
        return percent, *letter

    def _type_percent(self, earned: Any, possible: Any, reader: Any) -> float:
        """One type's percent, from its subsections' percents (rounded as the LMS rounds them)."""
        if not isinstance(earned, tuple):  # the type has one subsection: its values themselves
            earned, possible = (earned,), (possible,)
        scale = self.scale
        if scale is None:
            scores = [e / p for e, p in zip(earned, possible, strict=False) if p > 0]
        else:
            scores = [round(e / p * scale) / scale for e, p in zip(earned, possible, strict=False) if p > 0]
        return _type_percent(scores, reader)

    def _letter(self, percent: float) -> tuple[str, bool]:
        letter = next((name for name, cutoff in self.cutoffs if percent >= cutoff), None)
        return letter or "", self.success_cutoff is not None and percent >= self.success_cutoff


def _values(indices: list[int]) -> Callable[[list[float]], Any]:
    """A function giving the values at ``indices`` of a list: a tuple, or one value for one index."""
    return itemgetter(*indices) if indices else _nothing


def _nothing(values: list[float]) -> tuple:
    return ()


def _graded(
    sheet: _Sheet,
    *,
    course_id: str,
    user_ids: list[int] | None,
    after: int | None = None,
    upto: int | None = None,
) -> Iterator[list[tuple[int, float, str, bool]]]:
    """Batches of ``(user_id, percent, letter, passed)`` for every learner of the course, in user
    order.

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
    windows = _windows(
        _Pages(rows, ("user_id", "usage_key", "earned_graded", "possible_graded"), **span),
        _Pages(enrolled, ("user_id",), **span),
        _Pages(
            overrides,
            ("grade__user_id", "grade__usage_key", "earned_graded_override", "possible_graded_override"),
            user="grade__user_id",
            course="grade__course_id",
            **span,
        ),
    )
    place, grade, blank_earned, blank_possible = sheet.place, sheet.grade, sheet.earned, sheet.possible
    for own_rows, own_enrollments, own_overrides in windows:
        overridden: dict[int, list[tuple]] = {}
        for override in own_overrides:
            overridden.setdefault(override[0], []).append(override)
        graded = []
        current = None
        earned = possible = blank_earned
        for user_id, key, row_earned, row_possible in own_rows:
            if user_id != current:
                if current is not None:
                    if overridden and current in overridden:
                        _override(earned, possible, overridden[current], place)
                    graded.append((current, *grade(earned, possible)))
                current, earned, possible = user_id, blank_earned.copy(), blank_possible.copy()
            index = place.get(key)
            if index is not None:
                earned[index], possible[index] = row_earned, row_possible
        if current is not None:
            if overridden and current in overridden:
                _override(earned, possible, overridden[current], place)
            graded.append((current, *grade(earned, possible)))
        # Learners with an enrollment and no rows: the grade of an empty sheet.
        if own_enrollments:
            have = {learner[0] for learner in graded}
            extra = {user_id for (user_id,) in own_enrollments} - have
            if extra:
                graded.extend((user_id, *sheet.empty) for user_id in extra)
                graded.sort(key=itemgetter(0))
        if graded:
            yield graded


def _override(
    earned: list[float], possible: list[float], overrides: list[tuple], place: dict[str, int]
) -> None:
    """Apply a learner's overrides to its sheet: each value set replaces the row's."""
    for _u, key, earned_override, possible_override in overrides:
        index = place.get(key)
        if index is not None:
            if earned_override is not None:
                earned[index] = earned_override
            if possible_override is not None:
                possible[index] = possible_override


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


def _write_ahead_log() -> bool:
    """Whether the SQLite database is in WAL mode: the helper can read while this process writes."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        return str(cursor.fetchone()[0]).lower() == "wal"


def _graded_with_helper(
    sheet: _Sheet, *, course_id: str, user_ids: list[int] | None, split: int, when_done: Callable[[], None]
) -> Iterator[list[tuple[int, float, str, bool]]]:
    """:func:`_graded`, the learners above ``split`` graded by a forked helper process.

    ``when_done`` is called once the helper has finished reading the database.
    """
    work = functools.partial(_grade_upper_half, sheet, course_id, user_ids, split)
    with Helper(work, name="grading helper", spool=True) as helper:
        yield from _graded(sheet, course_id=course_id, user_ids=user_ids, upto=split)
        helper.wait()
        when_done()
        try:
            yield from helper.messages()
        except HelperFailed as error:
            raise EdxSchemaError(f"{course_id}: {error}") from None


def _grade_upper_half(
    sheet: _Sheet, course_id: str, user_ids: list[int] | None, split: int, send: Send
) -> None:
    """The helper's work: grade the learners above ``split``, send the grades in batches."""
    batch: list[tuple] = []
    for grades in _graded(sheet, course_id=course_id, user_ids=user_ids, after=split):
        batch.extend(grades)
        if len(batch) >= BATCH:
            send(batch)
            batch = []
    send(batch)
