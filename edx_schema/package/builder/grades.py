"""Scores and grades: each learner's problem scores, subsection totals and course grade.

The course grade comes from the package's own grading policy through
:class:`~edx_schema.grading.CourseGrader`, as the LMS computes it, so that the grades, the
``grading_policy_hash`` and the OLX's ``grading_policy.json`` always agree with one another.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, NamedTuple

from ...grading import CourseGrade, CourseGrader, grading_policy_hash, merge_policy
from .output import Table
from .rows import CertificateRow, CourseGradeRow, SubsectionGradeRow
from .spec import CourseRun, PackageSpec, md5_hex, timestamp

#: Every course's ``grading_policy.json``: homework (lowest dropped) and a final exam.
GRADING_POLICY: dict[str, Any] = {
    "GRADER": [
        {"drop_count": 1, "min_count": 3, "short_label": "HW", "type": "Homework", "weight": 0.75},
        {"drop_count": 0, "min_count": 1, "short_label": "", "type": "Final Exam", "weight": 0.25},
    ],
    "GRADE_CUTOFFS": {"Pass": 0.6},
}
_HOMEWORK, _FINAL_EXAM = GRADING_POLICY["GRADER"]
#: One homework subsection per assignment the policy counts (its min_count).
HOMEWORK_SUBSECTIONS: int = _HOMEWORK["min_count"]
#: The policy as the LMS applies it (merged with the defaults), its hash, and its grader.
POLICY = merge_policy(GRADING_POLICY)
POLICY_HASH = grading_policy_hash(POLICY)
GRADER = CourseGrader(POLICY)
#: Each problem's points (its weight in the course structure).
PROBLEM_POINTS = 2


class Subsection(NamedTuple):
    """A graded sequential: its block id and its format (the grader type it counts for)."""

    name: str
    format: str


#: The course's graded subsections in course order: the homework, then the final exam.
SUBSECTIONS: tuple[Subsection, ...] = (
    *(Subsection(f"hw{index + 1}", _HOMEWORK["type"]) for index in range(HOMEWORK_SUBSECTIONS)),
    Subsection("final_exam", _FINAL_EXAM["type"]),
)


def problem_subsection(spec: PackageSpec, problem: int) -> Subsection:
    """The last problem is the final exam's; the others are dealt round the homework."""
    if problem == spec.problems - 1:
        return SUBSECTIONS[-1]
    return SUBSECTIONS[problem % HOMEWORK_SUBSECTIONS]


def subsection_totals(spec: PackageSpec, scores: list[float]) -> dict[str, tuple[float, float]]:
    """``(earned, possible)`` per subsection, in course order, from each problem's points."""
    totals = {subsection.name: (0.0, 0.0) for subsection in SUBSECTIONS}
    for problem, points in enumerate(scores):
        name = problem_subsection(spec, problem).name
        earned, possible = totals[name]
        totals[name] = (earned + points, possible + PROBLEM_POINTS)
    return totals


@dataclass(frozen=True)
class LearnerGrades:
    """One learner's work in one course."""

    scores: list[float]  # each problem's points earned, of PROBLEM_POINTS
    problem_modified: list[str]  # when each problem's row last changed
    subsections: dict[str, tuple[float, float]]  # (earned, possible) per subsection, in course order
    course: CourseGrade
    created: str
    modified: str


def grade_learners(run: CourseRun) -> dict[int, LearnerGrades]:
    """Per enrolled learner: each problem's score, subsection totals and the course grade."""
    spec = run.spec
    result = {}
    for learner in run.enrolled:
        rng = run.rng("grades", learner.id)
        scores = []
        changed = []
        for problem in range(spec.problems):
            earned = float(rng.choice((0, 0, 0, 1, 1, 2, 2)))
            # Later weeks: learners keep working, so a few scores go up.
            improved = spec.week > 1 and (learner.id + problem) % 5 == 0 and earned < PROBLEM_POINTS
            scores.append(float(PROBLEM_POINTS) if improved else earned)
            changed.append(improved)
        totals = subsection_totals(spec, scores)
        course = GRADER.grade_totals(
            (subsection.format, earned, possible)
            for subsection, (earned, possible) in zip(SUBSECTIONS, totals.values(), strict=True)
        )
        created = timestamp(spec.base, rng)
        first_modified = datetime.datetime.fromisoformat(created) + datetime.timedelta(days=1)
        later = first_modified + datetime.timedelta(days=7 * (spec.week - 1))
        result[learner.id] = LearnerGrades(
            scores=scores,
            problem_modified=[str(later if c else first_modified) for c in changed],
            subsections=totals,
            course=course,
            created=created,
            modified=str(later if any(changed) else first_modified),
        )
    return result


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
    """Each enrolled learner's totals in each graded subsection (no overrides: all = graded)."""
    rows = (
        SubsectionGradeRow(
            course_id=run.course.key,
            user_id=u.id,
            usage_key=run.course.usage_key("sequential", name),
            earned_all=earned,
            possible_all=possible,
            earned_graded=earned,
            possible_graded=possible,
            first_attempted=grades[u.id].created,
            created=grades[u.id].created,
            modified=grades[u.id].modified,
        )
        for u in run.enrolled
        for name, (earned, possible) in grades[u.id].subsections.items()
    )
    return Table("grades_persistentsubsectiongrade", SubsectionGradeRow._fields, rows)
