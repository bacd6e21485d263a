"""What a downstream analytics app computes from the LMS tables edx-schema provides."""

from __future__ import annotations

from django.db.models import Count, Q

from edx_schema.models import PersistentCourseGrade, PersistentSubsectionGradeOverride


def pass_rate(course_id: str) -> float | None:
    """The share of a course's learners whose course grade is passing (None: no grades)."""
    counts = PersistentCourseGrade.objects.filter(course_id=course_id).aggregate(
        total=Count("id"), passing=Count("id", filter=~Q(letter_grade=""))
    )
    return counts["passing"] / counts["total"] if counts["total"] else None


def overridden_learners(course_id: str) -> list[int]:
    """User ids of the learners with a staff override in the course, in order."""
    return sorted(
        set(
            PersistentSubsectionGradeOverride.objects.filter(grade__course_id=course_id).values_list(
                "grade__user_id", flat=True
            )
        )
    )
