"""The ORA submissions under ``ora/``: an essay submitted by every other learner.

The assessments of those submissions, their workflows and their scores (``submissions_score``
and ``submissions_scoresummary``, which depend on the workflows) are in :mod:`.assessments`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from .output import Table
from .rows import StudentItemRow, SubmissionRow
from .spec import CourseRun, Learner, anonymous_id, timestamp, uuid4_hex

#: The essay's points possible: its rubric's (see assessments).
POINTS_POSSIBLE = 3
#: The essay's block id (its OLX url_name).
ESSAY_ID = "essay"


def essayists(run: CourseRun) -> Sequence[Learner]:
    """The learners who submitted the essay: every other enrolled learner."""
    return run.enrolled[::2]


def essay_key(run: CourseRun) -> str:
    """The usage key of the course's ORA problem."""
    return run.course.usage_key("openassessment", ESSAY_ID)


def submission_uuid(run: CourseRun, learner: Learner) -> str:
    """The essayist's submission's uuid as submissions_submission stores it: 32 hex digits."""
    return uuid4_hex(f"s{learner.id}{run.course.key}")


def submitted_at(run: CourseRun, learner: Learner) -> str:
    """When the essayist submitted."""
    return timestamp(run.spec.base, run.rng("submitted", learner.id))


def points_earned(learner: Learner) -> int:
    """The points the essayist's peer gave them, of :data:`POINTS_POSSIBLE`."""
    return learner.id % (POINTS_POSSIBLE + 1)


def submissions_studentitem(run: CourseRun) -> Table:
    """The essay as an item of each essayist, who is named by their anonymous id."""
    key = run.course.key
    rows = (
        StudentItemRow(
            id=run.row_id(u),
            student_id=anonymous_id(u.id, key),
            course_id=key,
            item_id=essay_key(run),
            item_type="openassessment",
        )
        for u in essayists(run)
    )
    return Table("submissions_studentitem", StudentItemRow._fields, rows, folder="ora")


def submissions_submission(run: CourseRun) -> Table:
    """Each essayist's one submission, its answer JSON with a newline."""
    rows = (
        SubmissionRow(
            id=run.row_id(u),
            uuid=submission_uuid(run, u),
            attempt_number=1,
            submitted_at=submitted_at(run, u),
            created_at=submitted_at(run, u),
            raw_answer=json.dumps({"parts": [{"text": f"My essay, by learner {u.id}.\nSecond line."}]}),
            student_item_id=run.row_id(u),
            status="A",
        )
        for u in essayists(run)
    )
    return Table("submissions_submission", SubmissionRow._fields, rows, folder="ora")
