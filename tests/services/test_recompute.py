"""Recomputing course grades: the sample package's grades, overrides, policies, passed_timestamp."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from edx_schema import api
from edx_schema.models import CourseEnrollment, PersistentCourseGrade, PersistentSubsectionGrade
from edx_schema.package.builder import GRADING_POLICY
from edx_schema.services.recompute import recompute_course

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "universityx-2024-11-17.zip"
COURSE = "course-v1:UniversityX+CS-101x+3T2024"


@pytest.fixture
def sample():
    call_command("import_package", str(FIXTURE), verbosity=0)


def grade(user_id):
    return PersistentCourseGrade.objects.get(course_id=COURSE, user_id=user_id)


def test_the_sample_packages_grades_are_reproduced_exactly(sample):
    out = StringIO()
    call_command("recompute_grades", "--all", "--diff", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "0 new, 0 changed, 20 unchanged" in text
    assert "0 new, 0 changed, 10 unchanged" in text
    assert "letter changes: 0, pass/fail changes: 0" in text


def test_an_override_changes_the_grade_and_keeps_its_history(sample):
    subsection = (
        PersistentSubsectionGrade.objects.filter(course_id=COURSE, user_id=13).order_by("usage_key").first()
    )
    before = grade(13).percent_grade
    staff = User.objects.create(username="staff")
    api.override_subsection_grade(
        grade=subsection, user=staff, reason="regrade", earned_graded=subsection.possible_graded
    )
    result = recompute_course(course_id=COURSE)
    assert (result.changed, result.unchanged, result.new) == (1, 19, 0)
    assert grade(13).percent_grade > before
    history = subsection.override.history.get()
    assert (history.history_user, history.history_change_reason) == (staff, "regrade")


def test_passed_timestamp_is_set_once_and_never_cleared(sample):
    failing = PersistentCourseGrade.objects.filter(course_id=COURSE, letter_grade="").first()
    user = failing.user_id
    staff = User.objects.create(username="staff")
    rows = list(PersistentSubsectionGrade.objects.filter(course_id=COURSE, user_id=user))
    for row in rows:
        api.override_subsection_grade(
            grade=row, user=staff, reason="full marks", earned_graded=row.possible_graded
        )
    recompute_course(course_id=COURSE)
    passed = grade(user)
    assert (passed.letter_grade, passed.percent_grade) == ("Pass", 1.0)
    assert passed.passed_timestamp is not None
    for row in rows:
        api.override_subsection_grade(grade=row, user=staff, reason="revoked", earned_graded=0.0)
    recompute_course(course_id=COURSE)
    failed = grade(user)
    assert (failed.letter_grade, failed.percent_grade) == ("", 0.0)
    assert failed.passed_timestamp == passed.passed_timestamp


def test_a_learner_with_only_an_enrollment_gets_a_zero_grade(sample):
    user = User.objects.create(id=999, username="late")
    CourseEnrollment.objects.create(user=user, course_id=COURSE, mode="audit")
    result = recompute_course(course_id=COURSE, user_ids=[999])
    assert (result.new, result.learners) == (1, 1)
    assert (grade(999).percent_grade, grade(999).letter_grade, grade(999).passed_timestamp) == (0.0, "", None)


def test_a_new_policy_flips_letters_and_the_diff_says_so(sample, tmp_path):
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({**GRADING_POLICY, "GRADE_CUTOFFS": {"Pass": 0.01}}))
    call_command("set_grading_policy", COURSE, str(policy), verbosity=0)
    failing = (
        PersistentCourseGrade.objects.filter(course_id=COURSE, letter_grade="")
        .exclude(percent_grade=0)
        .count()
    )
    out = StringIO()
    call_command("recompute_grades", "--course", COURSE, "--diff", stdout=out)
    assert f"pass/fail changes: {failing}" in out.getvalue()
    assert (
        not PersistentCourseGrade.objects.filter(course_id=COURSE, letter_grade="")
        .exclude(percent_grade=0)
        .exists()
    )


def test_clear_errors_for_unknown_courses_and_missing_policies(sample):
    with pytest.raises(CommandError, match="Unknown course course-v1:A\\+B\\+C: no grading policy"):
        call_command("recompute_grades", "--course", "course-v1:A+B+C")
    with pytest.raises(CommandError, match="not a course key"):
        call_command("recompute_grades", "--course", "nonsense")
