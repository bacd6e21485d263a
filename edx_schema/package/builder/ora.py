"""The ORA members under ``ora/``: an essay submitted, and scored, by every other learner."""

from __future__ import annotations

import json
from collections.abc import Sequence

from .output import Table
from .rows import ScoreRow, StudentItemRow, SubmissionRow
from .spec import CourseRun, Learner, anonymous_id, md5_hex, timestamp


def ora_tables(run: CourseRun) -> list[Table]:
    """The three ORA tables, or none for a course without open-response assessments (legacy)."""
    if run.course.legacy:
        return []
    return [submissions_studentitem(run), submissions_submission(run), submissions_score(run)]


def _essayists(run: CourseRun) -> Sequence[Learner]:
    """The learners who submitted the essay: every other enrolled learner."""
    return run.enrolled[::2]


def submissions_studentitem(run: CourseRun) -> Table:
    """The essay as an item of each essayist, who is named by their anonymous id."""
    key = run.course.key
    rows = (
        StudentItemRow(
            id=run.row_id(u),
            student_id=anonymous_id(u.id, key),
            course_id=key,
            item_id=run.course.usage_key("openassessment", "essay"),
            item_type="openassessment",
        )
        for u in _essayists(run)
    )
    return Table("submissions_studentitem", StudentItemRow._fields, rows, folder="ora")


def submissions_submission(run: CourseRun) -> Table:
    """Each essayist's one submission, its answer JSON with a newline."""
    rows = (
        SubmissionRow(
            id=run.row_id(u),
            uuid=md5_hex(f"s{u.id}{run.course.key}"),
            attempt_number=1,
            submitted_at=timestamp(run.spec.base, run.rng("submitted", u.id)),
            created_at=timestamp(run.spec.base, run.rng("submitted", u.id)),
            raw_answer=json.dumps({"parts": [{"text": f"My essay, by learner {u.id}.\nSecond line."}]}),
            student_item_id=run.row_id(u),
            status="A",
        )
        for u in _essayists(run)
    )
    return Table("submissions_submission", SubmissionRow._fields, rows, folder="ora")


def submissions_score(run: CourseRun) -> Table:
    """Each submission's score, out of 3."""
    rows = (
        ScoreRow(
            id=run.row_id(u),
            student_item_id=run.row_id(u),
            submission_id=run.row_id(u),
            points_earned=u.id % 4,
            points_possible=3,
            created_at=timestamp(run.spec.base, run.rng("scored", u.id)),
            reset=0,
        )
        for u in _essayists(run)
    )
    return Table("submissions_score", ScoreRow._fields, rows, folder="ora")
