"""Staff overrides of subsection grades, recorded with who made them and why."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from ..errors import EdxSchemaError
from ..models import PersistentSubsectionGrade, PersistentSubsectionGradeOverride

_UNSET: Any = object()


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
    if not reason or not reason.strip():
        raise EdxSchemaError("An override needs a reason.")
    values = {
        "earned_all_override": grade.earned_all if earned_all is _UNSET else earned_all,
        "possible_all_override": grade.possible_all if possible_all is _UNSET else possible_all,
        "earned_graded_override": grade.earned_graded if earned_graded is _UNSET else earned_graded,
        "possible_graded_override": grade.possible_graded if possible_graded is _UNSET else possible_graded,
    }
    with transaction.atomic():
        override = PersistentSubsectionGradeOverride.objects.filter(grade=grade).first()
        if override is None:
            override = PersistentSubsectionGradeOverride(grade=grade)
        for name, value in values.items():
            setattr(override, name, value)
        override.system = system
        override.override_reason = reason[:300]
        # django-simple-history reads these two attributes when it writes the history row.
        override._history_user = user
        override._change_reason = reason[:100]
        override.save()
    return override
