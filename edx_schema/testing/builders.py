"""Builders for whole scenarios, on top of the factories: a graded course, learners, a cohort.

Public and stable, for downstream test suites::

    from edx_schema.testing.builders import build_course, build_learner, build_cohort

    course = build_course()                               # policy + outline, 3 HW and a final
    learner = build_learner(course, scores=[1.0, 0.5, 0, 1.0], overrides={2: 1.0})
    learner.course_grade.percent_grade                    # recomputed exactly as the LMS does
    build_cohort(course, learners=10_000)                 # bulk rows for performance tests

Every builder writes real rows (GradingPolicy, CourseBlock, enrollments, subsection grades,
overrides with history, course grades), so code under test reads them as it reads imported data.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from opaque_keys.edx.keys import CourseKey

from ..models import (
    CourseEnrollment,
    PersistentCourseGrade,
    PersistentSubsectionGrade,
    PersistentSubsectionGradeOverride,
    VisibleBlocks,
)
from ..package.course import Block
from ..services.outline import save_grading_policy, save_outline
from ..services.overrides import override_subsection_grade
from ..services.recompute import recompute_course
from .factories import COURSE_KEY, AdminFactory, CourseEnrollmentFactory, UserFactory

#: The policy :func:`build_course` gives a course unless told otherwise.
DEFAULT_POLICY: dict[str, Any] = {
    "GRADER": [
        {"type": "Homework", "short_label": "HW", "min_count": 3, "drop_count": 1, "weight": 0.6},
        {"type": "Final Exam", "short_label": "Final", "min_count": 1, "drop_count": 0, "weight": 0.4},
    ],
    "GRADE_CUTOFFS": {"A": 0.9, "B": 0.7, "Pass": 0.5},
}
#: The graded subsections :func:`build_course` makes: (format, number of them).
DEFAULT_SUBSECTIONS: tuple[tuple[str, int], ...] = (("Homework", 3), ("Final Exam", 1))


@dataclass(frozen=True)
class Subsection:
    """A graded subsection of a built course."""

    usage_key: str
    format: str
    possible: float


@dataclass(frozen=True)
class Course:
    """A course made by :func:`build_course`: its key, policy and graded subsections in order."""

    course_id: str
    policy: dict[str, Any]
    subsections: tuple[Subsection, ...]

    @property
    def key(self) -> CourseKey:
        return CourseKey.from_string(self.course_id)


@dataclass
class Learner:
    """A learner made by :func:`build_learner`, with the rows made for them."""

    user: Any
    enrollment: CourseEnrollment
    subsection_grades: list[PersistentSubsectionGrade] = field(default_factory=list)
    overrides: list[PersistentSubsectionGradeOverride] = field(default_factory=list)
    course_grade: PersistentCourseGrade | None = None


def build_course(
    *,
    course_id: str | CourseKey = COURSE_KEY,
    policy: Mapping[str, Any] | None = None,
    subsections: Sequence[tuple[str, int]] = DEFAULT_SUBSECTIONS,
    problems_per_subsection: int = 2,
    problem_weight: float = 1.0,
) -> Course:
    """A course with a grading policy and an outline of graded subsections.

    Each subsection holds ``problems_per_subsection`` problems of weight ``problem_weight``, so
    its possible score (the outline's, see :mod:`edx_schema.services.outline`) is their product.
    """
    key = CourseKey.from_string(str(course_id))
    policy = dict(policy if policy is not None else DEFAULT_POLICY)
    save_grading_policy(course_id=str(key), text=json.dumps(policy), source="edx_schema.testing.builders")
    root = str(key.make_usage_key("course", "course"))
    blocks = [Block(root, "course", None, 0, 0, "Built course", {}, {})]
    chapter = str(key.make_usage_key("chapter", "chapter"))
    blocks.append(Block(chapter, "chapter", root, 1, 1, "Chapter", {}, {}))
    made = []
    for fmt, count in subsections:
        for number in range(1, count + 1):
            name = f"{fmt.lower().replace(' ', '_')}_{number}"
            usage = str(key.make_usage_key("sequential", name))
            settings = {"graded": True, "format": fmt, "display_name": f"{fmt} {number}"}
            title = f"{fmt} {number}"
            blocks.append(Block(usage, "sequential", chapter, len(blocks), 2, title, settings, settings))
            for problem in range(1, problems_per_subsection + 1):
                problem_key = str(key.make_usage_key("problem", f"{name}_problem_{problem}"))
                own = {"weight": problem_weight, "display_name": f"Problem {problem}"}
                blocks.append(
                    Block(problem_key, "problem", usage, len(blocks), 3, own["display_name"], own, settings)
                )
            made.append(Subsection(usage, fmt, problems_per_subsection * problem_weight))
    save_outline(course_id=str(key), blocks=blocks)
    return Course(course_id=str(key), policy=policy, subsections=tuple(made))


def build_learner(
    course: Course,
    *,
    user: Any = None,
    scores: Sequence[float | None] | None = None,
    overrides: Mapping[int, float] | None = None,
    staff: Any = None,
    recompute: bool = True,
    **user_fields: Any,
) -> Learner:
    """A learner enrolled in ``course``, with subsection grades, overrides and a course grade.

    ``scores`` gives, per subsection in course order, the fraction earned (None: never
    attempted, no row); by default every subsection is half done. ``overrides`` maps a
    subsection's index to the fraction an override grants, recorded with ``staff`` (an admin
    by default) and a reason, in the override history. With ``recompute`` the course grade is
    computed as the LMS computes it.
    """
    user = user if user is not None else UserFactory(**user_fields)
    enrollment = CourseEnrollmentFactory(user=user, course_id=course.course_id)
    learner = Learner(user=user, enrollment=enrollment)
    fractions = list(scores) if scores is not None else [0.5] * len(course.subsections)
    if len(fractions) != len(course.subsections):
        raise ValueError(f"scores has {len(fractions)} values for {len(course.subsections)} subsections")
    blocks = VisibleBlocks.objects.not_exported(course.course_id)
    for subsection, fraction in zip(course.subsections, fractions, strict=True):
        if fraction is None:
            continue
        earned = fraction * subsection.possible
        grade, _ = PersistentSubsectionGrade.objects.update_or_create(
            user_id=user.pk,
            course_id=course.course_id,
            usage_key=subsection.usage_key,
            defaults={
                "earned_all": earned,
                "possible_all": subsection.possible,
                "earned_graded": earned,
                "possible_graded": subsection.possible,
                "first_attempted": enrollment.created,
                "visible_blocks": blocks,
            },
        )
        learner.subsection_grades.append(grade)
    if overrides:
        staff = staff if staff is not None else AdminFactory()
        by_key = {str(grade.usage_key): grade for grade in learner.subsection_grades}
        for index, fraction in overrides.items():
            subsection = course.subsections[index]
            grade = by_key.get(subsection.usage_key)
            if grade is None:
                raise ValueError(f"subsection {index} has no grade to override (its score is None)")
            learner.overrides.append(
                override_subsection_grade(
                    grade=grade,
                    user=staff,
                    reason="Built by edx_schema.testing",
                    earned_graded=fraction * subsection.possible,
                )
            )
    if recompute:
        recompute_course(course_id=course.course_id, user_ids=[user.pk])
        learner.course_grade = PersistentCourseGrade.objects.get(course_id=course.course_id, user_id=user.pk)
    return learner


def build_cohort(course: Course, *, learners: int, seed: int = 0, first_id: int | None = None) -> list[int]:
    """``learners`` enrolled learners with random subsection grades, in bulk; their user ids.

    For performance tests: rows are bulk-created in batches (no per-learner queries), about one
    in ten subsections is left unattempted, and the course grades are recomputed at the end.
    Deterministic for a given ``seed``.
    """
    rng = random.Random(seed)
    user_model = get_user_model()
    start = first_id or (user_model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    ids = list(range(start, start + learners))
    blocks = VisibleBlocks.objects.not_exported(course.course_id)
    for offset in range(0, learners, 2_000):
        batch = ids[offset : offset + 2_000]
        user_model.objects.bulk_create(
            user_model(id=i, username=f"cohort{i}", email=f"cohort{i}@example.org", password="!")
            for i in batch
        )
        CourseEnrollment.objects.bulk_create(
            CourseEnrollment(user_id=i, course_id=course.course_id, mode="audit") for i in batch
        )
        PersistentSubsectionGrade.objects.bulk_create(
            PersistentSubsectionGrade(
                user_id=i,
                course_id=course.course_id,
                usage_key=subsection.usage_key,
                earned_all=earned,
                possible_all=subsection.possible,
                earned_graded=earned,
                possible_graded=subsection.possible,
                visible_blocks=blocks,
            )
            for i in batch
            for subsection in course.subsections
            if rng.random() >= 0.1
            for earned in (round(rng.random() * subsection.possible, 1),)
        )
    recompute_course(course_id=course.course_id)
    return ids
