"""``manage.py set_grading_policy``: a course's policy from a file, merged and hashed as the LMS does."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from edx_schema.models import GradingPolicy

pytestmark = pytest.mark.django_db

COURSE = "course-v1:MITx+6.002x+2T2024"


def test_a_policy_is_stored_merged_and_hashed(tmp_path):
    path = tmp_path / "grading_policy.json"
    path.write_text(json.dumps({"GRADE_CUTOFFS": {"A": 0.9, "B": 0.8}}))
    out = StringIO()
    call_command("set_grading_policy", COURSE, str(path), stdout=out)
    row = GradingPolicy.objects.get(course_id=COURSE)
    assert row.grade_cutoffs == {"A": 0.9, "B": 0.8}
    assert [g["type"] for g in row.grader] == ["Homework", "Lab", "Midterm Exam", "Final Exam"]  # LMS default
    assert "stored" in out.getvalue()
    # The LMS's default policy hashes to ChVp0lHGQGCevD0t4njna/C44zQ=.
    path.write_text("{}")
    call_command("set_grading_policy", COURSE, str(path), stdout=StringIO())
    assert GradingPolicy.objects.get(course_id=COURSE).grading_policy_hash == "ChVp0lHGQGCevD0t4njna/C44zQ="


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "line 1: not a JSON document"),
        ("[1, 2]", "a grading policy is a JSON object"),
        ('{"GRADER": [{"type": "Homework", "drop_count": 0}]}', "has no min_count"),
    ],
)
def test_a_bad_policy_is_refused_with_a_clear_error(tmp_path, text, message):
    path = tmp_path / "policy.json"
    path.write_text(text)
    with pytest.raises(CommandError, match=message):
        call_command("set_grading_policy", COURSE, str(path))
    assert not GradingPolicy.objects.exists()


def test_bad_arguments(tmp_path):
    with pytest.raises(CommandError, match="is not a course key"):
        call_command("set_grading_policy", "nonsense", str(tmp_path / "x.json"))
    with pytest.raises(CommandError, match="No such file"):
        call_command("set_grading_policy", COURSE, str(tmp_path / "missing.json"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ('{"GRADE_CUTOFFS": {"A": 0.9}}'.encode("utf-16"), "not UTF-8 text"),
        (b'{"GRADE_CUTOFFS": {"\xff": 0.9}}', "not UTF-8 text"),
        (b"[" * 5000 + b"]" * 5000, "nest"),
        (b" " * (1 << 20) + b"{}", "larger than 1,048,576 bytes, the limit for a grading policy"),
    ],
    ids=["utf-16", "stray-byte", "deep", "huge"],
)
def test_a_policy_file_that_is_not_small_utf8_json_is_refused(tmp_path, data, message):
    path = tmp_path / "policy.json"
    path.write_bytes(data)
    with pytest.raises(CommandError, match=message) as raised:
        call_command("set_grading_policy", COURSE, str(path))
    assert str(raised.value).startswith(str(path))
    assert not GradingPolicy.objects.exists()
