"""courseware_studentmodule: one row per enrolled learner and problem, its state JSON escaped.

The largest member by far (benchmarks write millions of rows), so each value that repeats is
encoded once: a problem's state, correct and incorrect, its usage key and the course key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from ..tsv import encode_field
from .grades import PROBLEM_POINTS, LearnerGrades
from .output import Table
from .rows import StudentModuleRow
from .spec import CourseRun


def problem_key(run: CourseRun, problem: int) -> str:
    """The usage key of the course's ``problem``-th problem (counted from 0)."""
    return run.course.usage_key("problem", f"p{problem:04d}")


def _state(key: str, problem: int, *, correct: bool) -> str:
    """A problem's state as the LMS stores it: attempts, correctness with an HTML hint, answers."""
    return json.dumps(
        {
            "attempts": 1 + problem % 3,
            "correct_map": {
                f"{key}_2_1": {
                    "correctness": "correct" if correct else "incorrect",
                    "msg": '\n<p class="hint">\tTry</p>',
                }
            },
            "student_answers": {f"{key}_2_1": "x\\y"},
            "seed": problem,
        }
    )


def courseware_studentmodule(run: CourseRun, grades: dict[int, LearnerGrades]) -> Table:
    """One row per enrolled learner and problem: its state, points and when it last changed."""
    return Table("courseware_studentmodule", StudentModuleRow._fields, _rows(run, grades), encoded=True)


def _rows(run: CourseRun, grades: dict[int, LearnerGrades]) -> Iterator[StudentModuleRow]:
    """The rows, every field already in the exporter's text."""
    spec = run.spec
    keys = [problem_key(run, problem) for problem in range(spec.problems)]
    module_ids = [encode_field(key) for key in keys]
    # Indexed by problem, then by whether the answer was correct (any points earned).
    states = [
        {correct: encode_field(_state(key, problem, correct=correct)) for correct in (False, True)}
        for problem, key in enumerate(keys)
    ]
    created = encode_field(str(spec.base))
    course_id = encode_field(run.course.key)
    for learner in run.enrolled:
        graded = grades[learner.id]
        first_id = run.index * 10**10 + learner.id * spec.problems + 1  # stable from week to week
        for problem, earned in enumerate(graded.scores):
            yield StudentModuleRow(
                id=first_id + problem,
                module_type="problem",
                module_id=module_ids[problem],
                student_id=learner.id,
                state=states[problem][earned > 0],
                grade=earned,
                created=created,
                modified=graded.problem_modified[problem],
                max_grade=float(PROBLEM_POINTS),
                done="na",
                course_id=course_id,
            )
