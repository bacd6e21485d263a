"""courseware_studentmodule: one row per enrolled learner and problem, its state JSON escaped.

A learner who opened a problem and never submitted has a row with only a seed in its state and
``grade`` and ``max_grade`` NULL; one who submitted has the raw score they earned as ``grade`` of
the problem's raw maximum as ``max_grade``, and a state whose correctness map gives those points
input by input. ``created`` is when they first opened the problem, ``modified`` their last
submission.

The largest member by far (benchmarks write millions of rows), so each value that repeats is
encoded once: a problem's state for each score it can have, its usage key, its maximum and the
course key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from ..tsv import encode_field
from .content import Problem, content_of, html_id
from .grades import Clock, LearnerGrades
from .output import Table
from .rows import StudentModuleRow
from .spec import CourseRun

#: A hint shown with a wrong answer: HTML with a newline and a TAB, escaped in the file.
_HINT = '\n<p class="hint">\tTry</p>'


def problem_key(run: CourseRun, problem: int) -> str:
    """The usage key of the course's ``problem``-th problem (counted from 0)."""
    return content_of(run).problems[problem].usage_key


def _input_ids(run: CourseRun, problem: Problem) -> list[str]:
    """Capa's ids of the problem's inputs, in order: ``{html id}_{response + 2}_{input + 1}``."""
    prefix = html_id(run.course, "problem", problem.url_name)
    return [
        f"{prefix}_{response + 2}_{index + 1}"
        for response, inputs in enumerate(problem.template.responses)
        for index in range(len(inputs))
    ]


def _state(ids: list[str], points: tuple[int, ...], earned: float | None, problem: Problem) -> str:
    """A problem's state as the LMS stores it: a seed only if never submitted; else attempts,
    each input's correctness and points (``earned`` in all, dealt input by input), the answers."""
    seed = 1 + problem.index % 7
    if earned is None:
        return json.dumps({"seed": seed})
    correct_map = {}
    left = earned
    for answer_id, most in zip(ids, points, strict=True):
        got = min(float(most), left)
        left -= got
        correctness = "correct" if got == most else "partially-correct" if got > 0 else "incorrect"
        correct_map[answer_id] = {
            "correctness": correctness,
            "npoints": None if correctness != "partially-correct" else got,
            "msg": "" if correctness == "correct" else _HINT,
            "hint": "",
            "hintmode": None,
            "queuestate": None,
        }
    return json.dumps(
        {
            "attempts": 1 + problem.index % 3,
            "correct_map": correct_map,
            "student_answers": dict.fromkeys(ids, "x\\y"),
            "input_state": {answer_id: {} for answer_id in ids},
            "seed": seed,
            "done": True,
        }
    )


def courseware_studentmodule(run: CourseRun, grades: dict[int, LearnerGrades]) -> Table:
    """One row per enrolled learner and problem: its state, points and when it last changed."""
    return Table("courseware_studentmodule", StudentModuleRow._fields, _rows(run, grades), encoded=True)


def _rows(run: CourseRun, grades: dict[int, LearnerGrades]) -> Iterator[StudentModuleRow]:
    """The rows, every field already in the exporter's text."""
    spec = run.spec
    problems = content_of(run).problems
    module_ids = [encode_field(problem.usage_key) for problem in problems]
    # Indexed by problem, then by the raw score (None: never submitted).
    states = []
    for problem in problems:
        ids = _input_ids(run, problem)
        states.append(
            {
                earned: encode_field(_state(ids, problem.template.inputs, earned, problem))
                for earned in (None, *problem.template.earned)
            }
        )
    maxima = [str(float(problem.raw_max)) for problem in problems]
    scores = {earned: str(earned) for problem in problems for earned in problem.template.earned}
    scores.update({float(problem.raw_max): str(float(problem.raw_max)) for problem in problems})
    null = encode_field(None)
    time = Clock(spec.base).text
    course_id = encode_field(run.course.key)
    for learner in run.enrolled:
        graded = grades[learner.id]
        first_id = run.index * 10**10 + learner.id * spec.problems + 1  # stable from week to week
        opened, changed = graded.opened, graded.changed
        for problem, earned in enumerate(graded.earned):
            attempted = earned is not None
            yield StudentModuleRow(
                id=first_id + problem,
                module_type="problem",
                module_id=module_ids[problem],
                student_id=learner.id,
                state=states[problem][earned],
                grade=scores[earned] if attempted else null,
                created=time(opened[problem]),
                modified=time(changed[problem]),
                max_grade=maxima[problem] if attempted else null,
                done="na",
                course_id=course_id,
            )
