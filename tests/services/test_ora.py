"""A learner's ORA submissions with their assessments, whatever form ORA stored the uuid in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from edx_schema.services.ora import learner_ora_submissions, uuid_forms
from edx_schema.testing.factories import (
    AssessmentFactory,
    AssessmentPartFactory,
    CriterionOptionFactory,
    ScoreFactory,
    StudentItemFactory,
    SubmissionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

UUID = uuid.UUID("387d840a-d0ae-11e3-bb0e-14109fd8dc43")


def test_uuid_forms_are_every_text_ora_may_hold():
    assert uuid_forms(UUID) == [
        "387d840a-d0ae-11e3-bb0e-14109fd8dc43",
        "387d840ad0ae11e3bb0e14109fd8dc43",
        "387D840A-D0AE-11E3-BB0E-14109FD8DC43",
        "387D840AD0AE11E3BB0E14109FD8DC43",
    ]


def test_a_learners_submissions_come_with_their_latest_score_and_every_assessment():
    learner, other = UserFactory(), UserFactory()
    item = StudentItemFactory(user=learner)
    first = SubmissionFactory(student_item=item, submitted_at=datetime(2024, 3, 1, tzinfo=UTC))
    second = SubmissionFactory(
        uuid=UUID, student_item=item, attempt_number=2, submitted_at=datetime(2024, 3, 2, tzinfo=UTC)
    )
    SubmissionFactory(student_item=StudentItemFactory(user=other))  # not the learner's
    ScoreFactory(submission=second, points_earned=3, created_at=datetime(2024, 3, 3, tzinfo=UTC))
    ScoreFactory(submission=second, points_earned=4, created_at=datetime(2024, 3, 4, tzinfo=UTC))
    # ORA holds the uuid hyphenated (the API's form) or as bare hex (edx-submissions since 2017).
    peer = AssessmentFactory(
        submission=second,
        submission_uuid=str(UUID),
        score_type="PE",
        scorer_id="anon-peer",
        scored_at=datetime(2024, 3, 5, tzinfo=UTC),
    )
    own = AssessmentFactory(
        submission=second,
        submission_uuid=UUID.hex,
        score_type="SE",
        scored_at=datetime(2024, 3, 6, tzinfo=UTC),
    )
    for points in (2, 3):
        AssessmentPartFactory(assessment=peer, option=CriterionOptionFactory(points=points))
    found = learner_ora_submissions(user_id=learner.pk, limit=10)
    assert [(s.uuid, s.attempt_number) for s in found] == [(UUID, 2), (first.uuid, 1)]
    newest = found[0]
    assert (newest.points_earned, newest.points_possible) == (4, 10)
    assert [(a.id, a.score_type, a.scorer_id, a.points) for a in newest.assessments] == [
        (peer.id, "PE", "anon-peer", 5),
        (own.id, "SE", own.scorer_id, None),
    ]
    assert (found[1].points_earned, found[1].assessments) == (None, [])
    assert [s.uuid for s in learner_ora_submissions(user_id=learner.pk, limit=1)] == [UUID]


def test_a_learner_without_ora_submissions_has_none():
    assert learner_ora_submissions(user_id=UserFactory().pk, limit=10) == []
