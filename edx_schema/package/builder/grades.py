"""Scores and grades: each learner's problem scores, subsection totals and course grade.

Each enrolled learner opens every problem (a ``courseware_studentmodule`` row each); most then
submit answers (a raw score of the problem's raw maximum), some only look (``grade`` and
``max_grade`` NULL). Essayists have the essay's latest score (:mod:`.assessments`). From those,
each subsection's totals are what the Open edX LMS computes for a persistent subsection grade:

* per scored block, in the subsection's document order: the essay's latest score if it has one
  (points earned and possible, its weight not applied); else the problem's studentmodule row if
  it has a ``max_grade`` (raw ``grade`` of ``max_grade``); else 0 of the content's maximum;
* a raw score is weighted ``(earned * weight / possible, weight)`` unless the block has no weight
  or nothing is possible; a block counts as graded when something is possible and its own
  ``graded`` is not false;
* the totals are plain float sums, in that order, over all blocks and over the graded ones;
  ``first_attempted`` is the earliest ``created`` of the rows with a ``grade`` and the essay's
  latest score's ``created_at``; a subsection nothing was attempted in has no row.

The course grade comes from the package's own grading policy through
:class:`~edx_schema.grading.CourseGrader`, as the LMS computes it, from the graded subsections'
graded totals, a subsection without a row counting as 0 of what its content makes possible (what
``manage.py recompute_grades`` takes from the outline). So the grades, the
``grading_policy_hash`` and the OLX's ``grading_policy.json`` always agree with one another.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from ...grading import CourseGrade, CourseGrader, grading_policy_hash, merge_policy
from .assessments import Essay as EssaySubmission
from .assessments import latest_scores
from .content import GRADING_POLICY, HOMEWORK_SUBSECTIONS, SUBSECTIONS, Essay, Problem, content_of, weighted
from .output import Table
from .rows import CertificateRow, CourseGradeRow, SubsectionGradeRow
from .spec import CourseRun, md5_hex, timestamp

__all__ = ["GRADING_POLICY", "HOMEWORK_SUBSECTIONS", "POLICY_HASH", "LearnerGrades", "grade_learners"]

#: The policy as the LMS applies it (merged with the defaults), its hash, and its grader.
POLICY = merge_policy(GRADING_POLICY)
POLICY_HASH = grading_policy_hash(POLICY)
GRADER = CourseGrader(POLICY)
#: The share of a learner's problems they open without submitting an answer.
VIEWED_ONLY = 0.15
#: Microseconds over which learners start the course, and over which each opens their problems.
_SECOND = 1_000_000
_STARTS = 30 * 86400
_OPENS = 40 * 86400
_WEEK = 7 * 86400 * _SECOND


class Clock:
    """Times as microseconds after ``base`` (a midnight), and their text as ``str(datetime)`` gives it.

    Millions of studentmodule rows each need two times: text from tables of days and seconds is
    several times faster than a datetime's ``str``.
    """

    _seconds: list[str] = []

    def __init__(self, base: datetime.datetime) -> None:
        if base.time() != datetime.time():
            raise ValueError("a clock's base is a midnight")
        self.base = base
        self._days: dict[int, str] = {}
        if not Clock._seconds:
            Clock._seconds = [f" {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)]

    def at(self, text: str) -> int:
        """The time of ``text`` (``str()`` of a datetime)."""
        return (datetime.datetime.fromisoformat(text) - self.base) // datetime.timedelta(microseconds=1)

    def text(self, micros: int) -> str:
        seconds, fraction = divmod(micros, _SECOND)
        day, second = divmod(seconds, 86400)
        date = self._days.get(day)
        if date is None:
            date = self._days[day] = (self.base + datetime.timedelta(days=day)).date().isoformat()
        return f"{date}{Clock._seconds[second]}.{fraction:06d}" if fraction else date + Clock._seconds[second]


class SubsectionTotals(NamedTuple):
    """One learner's persistent grade of one subsection, as the LMS writes it (times: see Clock)."""

    name: str  # the sequential's block id
    earned_all: float
    possible_all: float
    earned_graded: float
    possible_graded: float
    first_attempted: int
    modified: int


@dataclass(frozen=True, slots=True)
class LearnerGrades:
    """One learner's work in one course (times: see :class:`Clock`)."""

    earned: list[float | None]  # each problem's raw score (None: opened, never submitted)
    opened: list[int]  # when each problem's studentmodule row was created
    changed: list[int]  # when each problem's row last changed
    subsections: list[SubsectionTotals]  # the subsections they attempted, in course order
    course: CourseGrade
    created: str  # when their course grade was first written
    modified: str


#: A scored block of a subsection, as :func:`subsection_totals` reads it: the essay (None), or
#: a problem's index, its weighted ``(earned, possible)`` for each raw score it can have (None:
#: never submitted) and its own ``graded`` setting (False: not graded).
Step = tuple[int, dict[float | None, tuple[float, float]], bool] | None


def grade_learners(run: CourseRun, essays: Sequence[EssaySubmission]) -> dict[int, LearnerGrades]:
    """Per enrolled learner: each problem's score, subsection totals and the course grade."""
    spec = run.spec
    clock = Clock(spec.base)
    content = content_of(run)
    essay = content.essay
    raw_maxima = [float(problem.raw_max) for problem in content.problems]
    choices = [problem.template.earned for problem in content.problems]
    essay_scores = {
        user: (score.points, score.possible, clock.at(score.created))
        for user, score in latest_scores(essays).items()
    }
    plans = [[_step(block) for block in content.scored[s.name]] for s in SUBSECTIONS]
    unattempted = [content.unattempted_graded_possible(subsection) for subsection in SUBSECTIONS]
    later_weeks = _WEEK * (spec.week - 1)
    result = {}
    for learner in run.enrolled:
        rng = run.rng("grades", learner.id)
        random = rng.random
        start = int(random() * _STARTS)
        earned: list[float | None] = []
        opened = []
        changed = []
        for problem, raw_max in enumerate(raw_maxima):
            first = (start + int(random() * _OPENS)) * _SECOND
            own = choices[problem]
            score = None if random() < VIEWED_ONLY else own[int(random() * len(own))]
            worked = (60 + int(random() * 3 * 3600)) * _SECOND
            # Later weeks: learners keep working, so a few scores go up (to full marks).
            if spec.week > 1 and (learner.id + problem) % 5 == 0 and (score is None or score < raw_max):
                score = raw_max
                last = first + worked + later_weeks
            else:
                last = first if score is None else first + worked
            earned.append(score)
            opened.append(first)
            changed.append(last)
        essay_score = essay_scores.get(learner.id)
        subsections = []
        entries = []
        for subsection, plan, blank in zip(SUBSECTIONS, plans, unattempted, strict=True):
            totals = subsection_totals(subsection.name, plan, earned, opened, changed, essay_score, essay)
            if totals is None:  # no row: 0 of what the content makes possible
                entries.append((subsection.format, 0.0, blank))
            else:
                subsections.append(totals)
                entries.append((subsection.format, totals.earned_graded, totals.possible_graded))
        if subsections:
            created = min(t.first_attempted for t in subsections)
            modified = max(t.modified for t in subsections)
        else:
            created = modified = start * _SECOND
        result[learner.id] = LearnerGrades(
            earned=earned,
            opened=opened,
            changed=changed,
            subsections=subsections,
            course=GRADER.grade_totals(entries),
            created=clock.text(created),
            modified=clock.text(modified),
        )
    return result


def _step(block: Problem | Essay) -> Step:
    if isinstance(block, Essay):
        return None
    raw_max = float(block.raw_max)
    scores: dict[float | None, tuple[float, float]] = {
        # Never submitted: max_grade NULL, so 0 of the content's maximum.
        None: weighted(0.0, block.raw_max, block.weight),
        # Submitted: the row's grade of its max_grade (the content's maximum when it was scored).
        **{raw: weighted(raw, raw_max, block.weight) for raw in (*block.template.earned, raw_max)},
    }
    return block.index, scores, block.graded is not False


def subsection_totals(
    name: str,
    plan: list[Step],
    earned: list[float | None],
    opened: list[int],
    changed: list[int],
    essay_score: tuple[int, int, int] | None,
    essay: Essay,
) -> SubsectionTotals | None:
    """One learner's totals in one subsection as the LMS computes them; None if nothing was attempted.

    ``plan``: the subsection's scored blocks in document order; ``earned``, ``opened`` and
    ``changed``: the learner's raw score of each problem and when its row was created and last
    changed; ``essay_score``: the points earned and possible of the learner's latest essay
    score, and when it was made (None: the essay has no score).
    """
    scores: list[tuple[float, float, bool]] = []  # (earned, possible, graded) per block, in order
    attempts: list[int] = []
    changes: list[int] = []
    for step in plan:
        if step is None:  # the essay: its latest score, unweighted; or 0 of its weight
            if essay_score is None:
                possible = essay.unattempted_possible
                scores.append((0.0, possible, possible > 0))
            else:
                points, possible, scored = essay_score
                scores.append((points, possible, possible > 0))
                attempts.append(scored)
                changes.append(scored)
            continue
        problem, weighted_scores, graded = step
        raw = earned[problem]
        e, p = weighted_scores[raw]
        scores.append((e, p, graded and p > 0))
        if raw is not None:
            attempts.append(opened[problem])
            changes.append(changed[problem])
    if not attempts:
        return None
    return SubsectionTotals(
        name=name,
        earned_all=float(sum(e for e, _p, _g in scores)),
        possible_all=float(sum(p for _e, p, _g in scores)),
        earned_graded=float(sum(e for e, _p, g in scores if g)),
        possible_graded=float(sum(p for _e, p, g in scores if g)),
        first_attempted=min(attempts),
        modified=max(changes),
    )


def certificates_generatedcertificate(run: CourseRun, grades: dict[int, LearnerGrades]) -> Table:
    """A downloadable certificate for each learner who passed."""
    key = run.course.key
    rows = (
        CertificateRow(
            id=run.row_id(u),
            user_id=u.id,
            download_url="",
            grade=f"{grades[u.id].course.percent:.2f}",
            course_id=key,
            key="",
            distinction=0,
            status="downloadable",
            verify_uuid=md5_hex(f"v{u.id}{key}"),
            download_uuid=md5_hex(f"d{u.id}{key}"),
            name=u.full_name,
            created_date=timestamp(run.spec.base, run.rng("certificate", u.id)),
            modified_date=timestamp(run.spec.base, run.rng("certificate", u.id)),
            error_reason="",
            mode="verified",
        )
        for u in run.enrolled
        if grades[u.id].course.passed
    )
    return Table("certificates_generatedcertificate", CertificateRow._fields, rows)


def grades_persistentcoursegrade(run: CourseRun, grades: dict[int, LearnerGrades]) -> Table:
    """Each enrolled learner's course grade, with the policy's hash; passed learners have a timestamp."""
    rows = (
        CourseGradeRow(
            course_id=run.course.key,
            user_id=u.id,
            grading_policy_hash=POLICY_HASH,
            percent_grade=grades[u.id].course.percent,
            letter_grade=grades[u.id].course.letter_grade or "",
            passed_timestamp=grades[u.id].created if grades[u.id].course.passed else None,
            created=grades[u.id].created,
            modified=grades[u.id].modified,
        )
        for u in run.enrolled
    )
    return Table("grades_persistentcoursegrade", CourseGradeRow._fields, rows)


def grades_persistentsubsectiongrade(run: CourseRun, grades: dict[int, LearnerGrades]) -> Table:
    """Each enrolled learner's totals in each subsection they attempted something in."""
    key = run.course.key
    clock = Clock(run.spec.base)
    usage_keys = {s.name: run.course.usage_key("sequential", s.name) for s in SUBSECTIONS}
    rows = (
        SubsectionGradeRow(
            course_id=key,
            user_id=u.id,
            usage_key=usage_keys[totals.name],
            earned_all=totals.earned_all,
            possible_all=totals.possible_all,
            earned_graded=totals.earned_graded,
            possible_graded=totals.possible_graded,
            first_attempted=(first := clock.text(totals.first_attempted)),
            created=first,
            modified=clock.text(totals.modified),
        )
        for u in run.enrolled
        for totals in grades[u.id].subsections
    )
    return Table("grades_persistentsubsectiongrade", SubsectionGradeRow._fields, rows)
