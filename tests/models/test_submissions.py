"""submissions tables: the per-course anonymous id join, soft-deleted rows, reset scores."""

import json
import uuid

import pytest
from django.db import IntegrityError, transaction

from edx_schema.models import AnonymousUserId, Score, StudentItem, Submission
from edx_schema.testing.factories import ScoreFactory, StudentItemFactory, SubmissionFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_student_item_joins_to_its_user_through_the_per_course_anonymous_id():
    user = UserFactory()
    item = StudentItemFactory(user=user)
    anonymous = AnonymousUserId.objects.get(anonymous_user_id=item.student_id)
    assert anonymous.user == user
    assert str(anonymous.course_id) == item.course_id


def test_student_item_is_unique_per_course_student_and_item():
    item = StudentItemFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        StudentItem.objects.create(
            course_id=item.course_id, student_id=item.student_id, item_id=item.item_id, item_type="x"
        )


def test_submission_keeps_raw_answer_text_and_soft_deleted_rows_stay_visible():
    answer = '{"parts": [{"text": "caf\\u00e9 \\"quoted\\""}]}'
    submission = SubmissionFactory(answer=answer, status="D", uuid=uuid.UUID(int=7))
    row = Submission.objects.get(pk=submission.pk)
    assert row.answer == answer
    assert row.answer_data == {"parts": [{"text": 'caf\u00e9 "quoted"'}]}
    assert row.status == "D"
    assert row.uuid == uuid.UUID(int=7)


def test_scores_have_no_unique_key_and_a_reset_has_no_submission():
    score = ScoreFactory()
    Score.objects.create(
        student_item=score.student_item, submission=score.submission, points_earned=8, points_possible=10
    )
    Score.objects.create(
        student_item=score.student_item, submission=None, points_earned=0, points_possible=0, reset=True
    )
    assert score.student_item.scores.count() == 3
    assert score.student_item == score.submission.student_item


def test_submission_answer_factory_default_is_json():
    assert json.loads(SubmissionFactory().answer)["parts"]
