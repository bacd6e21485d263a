"""A learner's ORA submissions with the assessments of each, joined as ORA's tables allow.

ORA's tables name a submission by ``submission_uuid``, a text column that holds the API's
hyphenated form (``387d840a-d0ae-11e3-…``), while ``submissions_submission.uuid`` is a UUID
column (32 hex digits in the LMS's MySQL). edx-submissions stores the text both with and without
hyphens (package_tables §2.9), and the exporter's plain ``=`` join can lose rows that way: here
both sides are compared in every form the text takes, which the index on ``submission_uuid``
still serves. A learner's submissions are found through the course-specific anonymous ids
(``student_anonymoususerid``) their student items carry.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field

from django.db.models import Sum

from ..models import AnonymousUserId, Assessment, AssessmentPart, Score, Submission


def uuid_forms(value: uuid.UUID | str) -> list[str]:
    """The texts a submission's uuid takes in ORA's ``submission_uuid`` columns."""
    parsed = value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    text = str(parsed)
    return [text, parsed.hex, text.upper(), parsed.hex.upper()]


def uuid_key(text: str) -> str:
    """A ``submission_uuid`` as one comparable text: lower case, no hyphens."""
    return text.replace("-", "").lower()


@dataclass
class AssessmentSummary:
    """One assessment of a submission: who (an anonymous id), how (PE, SE, ST, AI), the points."""

    id: int
    score_type: str
    scorer_id: str
    scored_at: datetime.datetime
    points: int | None  # the sum of the chosen options' points; None without scored parts


@dataclass
class LearnerSubmission:
    """One ORA submission of a learner, its latest score and its assessments in time order."""

    uuid: uuid.UUID
    student_id: str  # the learner's anonymous id in the course
    course_id: str
    item_id: str
    attempt_number: int
    submitted_at: datetime.datetime
    status: str
    points_earned: int | None = None
    points_possible: float | None = None
    assessments: list[AssessmentSummary] = field(default_factory=list)


def learner_ora_submissions(*, user_id: int, limit: int) -> list[LearnerSubmission]:
    """The learner's latest ``limit`` ORA submissions, newest first, with their assessments.

    At most four queries, whatever the numbers (submissions, scores, assessments, their points).
    """
    anonymous = AnonymousUserId.objects.filter(user_id=user_id).values("anonymous_user_id")
    rows = (
        Submission.objects.filter(student_item__student_id__in=anonymous)
        .select_related("student_item")
        .order_by("-submitted_at", "-id")[:limit]
    )
    found = {
        s.pk: LearnerSubmission(
            uuid=s.uuid,
            student_id=s.student_item.student_id,
            course_id=s.student_item.course_id,
            item_id=s.student_item.item_id,
            attempt_number=s.attempt_number,
            submitted_at=s.submitted_at,
            status=s.status,
        )
        for s in rows
    }
    if not found:
        return []
    for score in Score.objects.filter(submission_id__in=found).order_by("created_at", "id"):
        found[score.submission_id].points_earned = score.points_earned  # the latest wins
        found[score.submission_id].points_possible = score.points_possible
    by_uuid = {uuid_key(str(s.uuid)): s for s in found.values()}
    forms = [form for s in found.values() for form in uuid_forms(s.uuid)]
    assessments = list(
        Assessment.objects.filter(submission_uuid__in=forms)
        .order_by("scored_at", "id")
        .values("id", "submission_uuid", "score_type", "scorer_id", "scored_at")
    )
    points = dict(
        AssessmentPart.objects.filter(assessment_id__in=[a["id"] for a in assessments])
        .values("assessment_id")
        .annotate(points=Sum("option__points"))
        .values_list("assessment_id", "points")
    )
    for a in assessments:
        by_uuid[uuid_key(a["submission_uuid"])].assessments.append(
            AssessmentSummary(
                id=a["id"],
                score_type=a["score_type"],
                scorer_id=a["scorer_id"],
                scored_at=a["scored_at"],
                points=points.get(a["id"]),
            )
        )
    return list(found.values())
