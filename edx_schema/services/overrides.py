"""Staff overrides of subsection grades, recorded with who made them and why.

Every change goes through django-simple-history, so
``grades_historicalpersistentsubsectiongradeoverride`` keeps each version of an override with
the acting user and the reason, deletions included.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from .. import keys
from ..errors import EdxSchemaError
from ..models import (
    CourseBlock,
    GradingPolicy,
    PersistentCourseGrade,
    PersistentSubsectionGrade,
    PersistentSubsectionGradeOverride,
    VisibleBlocks,
)
from .outline import unattempted_possibles
from .recompute import recompute_course

_UNSET: Any = object()

#: The four totals an override can replace, in the LMS's order.
TOTALS = ("earned_all", "possible_all", "earned_graded", "possible_graded")


def override_subsection_grade(
    *,
    grade: PersistentSubsectionGrade,
    user: Any,
    reason: str,
    system: str = "GRADEBOOK",
    earned_all: float | None = _UNSET,
    possible_all: float | None = _UNSET,
    earned_graded: float | None = _UNSET,
    possible_graded: float | None = _UNSET,
) -> PersistentSubsectionGradeOverride:
    """Create or update the override of ``grade`` and record ``user`` and ``reason`` in its history.

    As in the LMS (``_prepare_override_params``), a total that is not passed is filled with the
    grade's current value, and one passed as ``None`` stays NULL, so it falls back to the grade.
    """
    _check_reason(reason)
    given = {
        "earned_all": earned_all,
        "possible_all": possible_all,
        "earned_graded": earned_graded,
        "possible_graded": possible_graded,
    }
    for name, value in given.items():
        if value is not _UNSET:
            check_points(name, value)
    with transaction.atomic():
        override = PersistentSubsectionGradeOverride.objects.filter(grade=grade).first()
        if override is None:
            override = PersistentSubsectionGradeOverride(grade=grade)
        for name, value in given.items():
            setattr(override, f"{name}_override", getattr(grade, name) if value is _UNSET else value)
        override.system = system
        override.override_reason = reason[:300]
        _record(override, user=user, reason=reason)
        override.save()
    return override


def check_points(name: str, value: float | None) -> None:
    """Refuse a total that is not a number of points (finite, 0 or more); None is NULL, allowed.

    The one check of an override's totals: the services, the command and the admin's form.
    """
    if value is None:
        return
    try:
        if math.isfinite(value) and value >= 0:
            return
    except TypeError:  # not a number at all
        pass
    raise EdxSchemaError(f"{name} must be a number of points, 0 or more, not {value!r}.")


def delete_subsection_override(*, grade: PersistentSubsectionGrade, user: Any, reason: str) -> bool:
    """Remove the override of ``grade`` (the grade's own totals apply again), recording who and why.

    Returns False when the grade had no override.
    """
    _check_reason(reason)
    override = PersistentSubsectionGradeOverride.objects.filter(grade=grade).first()
    if override is None:
        return False
    _record(override, user=user, reason=reason)
    override.delete()
    return True


def subsection_grade_for_override(
    *, user_id: int, course_id: str, usage_key: str
) -> PersistentSubsectionGrade:
    """The learner's grade row for the subsection, created as the LMS creates it if missing.

    The LMS writes the row before it overrides it, holding the learner's current totals. A
    learner without a row never attempted the subsection, so the new row holds 0 earned out of
    the subsection's possible score (``outline.unattempted_possibles``). The subsection must be
    one of the course's outline. A key that does not parse: InvalidKeyError.
    """
    course_id, usage_key = str(keys.course_key(course_id)), str(keys.usage_key(usage_key))
    grade = PersistentSubsectionGrade.objects.filter(
        user_id=user_id, course_id=course_id, usage_key=usage_key
    ).first()
    if grade is not None:
        return grade
    block = CourseBlock.objects.filter(course_id=course_id, usage_key=usage_key).first()
    if block is None or block.category != "sequential":
        what = "not in the outline" if block is None else f"a {block.category}, not a subsection"
        raise EdxSchemaError(
            f"{usage_key} is {what} of {course_id}: an override applies to a subsection of the course "
            "(import the package with its course_structure JSON first)."
        )
    possible = unattempted_possibles(course_id=course_id).get(usage_key, 0.0)
    return PersistentSubsectionGrade.objects.create(
        user_id=user_id,
        course_id=course_id,
        usage_key=usage_key,
        earned_all=0.0,
        possible_all=possible,
        earned_graded=0.0,
        possible_graded=possible,
        first_attempted=None,
        visible_blocks=VisibleBlocks.objects.not_exported(course_id),
    )


@dataclass
class Correction:
    """What ``correct_subsection_grade`` did, for the caller to report."""

    grade: PersistentSubsectionGrade
    override: PersistentSubsectionGradeOverride | None
    created_grade: bool
    deleted: bool
    course_grade_before: PersistentCourseGrade | None
    course_grade_after: PersistentCourseGrade | None
    recomputed: bool


def correct_subsection_grade(
    *,
    user_id: int,
    course_id: str,
    usage_key: str,
    acting_user: Any,
    reason: str,
    system: str = "GRADEBOOK",
    totals: dict[str, float | None] | None = None,
    delete: bool = False,
    recompute: bool = True,
) -> Correction:
    """Override (or with ``delete``, un-override) one learner's subsection grade, as a staff member.

    ``totals`` maps any of :data:`TOTALS` to points, or to None for NULL (the grade's own value
    applies); the totals not given are filled from the grade, as the LMS fills them. The grade
    row is created if the learner has none. With ``recompute`` (and a grading policy for the
    course) the learner's course grade is recomputed at once, as the LMS does after an override.
    Everything happens in one transaction. A key that does not parse: InvalidKeyError.
    """
    course_id, usage_key = str(keys.course_key(course_id)), str(keys.usage_key(usage_key))
    totals = dict(totals or {})
    unknown = set(totals) - set(TOTALS)
    if unknown:
        raise EdxSchemaError(f"unknown totals {sorted(unknown)}: use {', '.join(TOTALS)}")
    if delete == bool(totals):
        raise EdxSchemaError("give the totals to override, or delete the override, not both or neither.")
    _check_reason(reason)
    with transaction.atomic():
        before = PersistentCourseGrade.objects.filter(user_id=user_id, course_id=course_id).first()
        existed = PersistentSubsectionGrade.objects.filter(
            user_id=user_id, course_id=course_id, usage_key=usage_key
        ).exists()
        if delete:
            grade = PersistentSubsectionGrade.objects.filter(
                user_id=user_id, course_id=course_id, usage_key=usage_key
            ).first()
            if grade is None or not delete_subsection_override(grade=grade, user=acting_user, reason=reason):
                raise EdxSchemaError(f"user {user_id} has no override of {usage_key} to delete.")
            override = None
        else:
            grade = subsection_grade_for_override(user_id=user_id, course_id=course_id, usage_key=usage_key)
            override = override_subsection_grade(
                grade=grade, user=acting_user, reason=reason, system=system, **totals
            )
        recomputed = recompute and GradingPolicy.objects.filter(course_id=course_id).exists()
        if recomputed:
            recompute_course(course_id=course_id, user_ids=[user_id])
        after = PersistentCourseGrade.objects.filter(user_id=user_id, course_id=course_id).first()
    return Correction(
        grade=grade,
        override=override,
        created_grade=not existed,
        deleted=delete,
        course_grade_before=before,
        course_grade_after=after,
        recomputed=recomputed,
    )


def _check_reason(reason: str) -> None:
    if not reason or not reason.strip():
        raise EdxSchemaError("An override needs a reason.")


def _record(override: PersistentSubsectionGradeOverride, *, user: Any, reason: str) -> None:
    # django-simple-history reads these two attributes when it writes the history row.
    override._history_user = user
    override._change_reason = reason[:100]
