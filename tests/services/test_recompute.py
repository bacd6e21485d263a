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
from edx_schema.services.outline import save_grading_policy
from edx_schema.services.recompute import recompute_course
from edx_schema.testing.factories import PersistentSubsectionGradeFactory
from tests.services.outlines import COURSE as OUTLINE_COURSE
from tests.services.outlines import key, save_sample_outline

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


@pytest.mark.parametrize("page", [1, 3, 4, 7])
def test_keyset_pages_of_any_size_give_the_same_grades(sample, monkeypatch, page):
    # Each learner has 4 subsection rows: pages of 1 and 3 hold less than one learner's rows,
    # 4 ends exactly on a learner, 7 splits one.
    monkeypatch.setattr("edx_schema.services.recompute.STREAM_CHUNK", page)
    user = User.objects.create(id=998, username="enrolled-only")
    CourseEnrollment.objects.create(user=user, course_id=COURSE, mode="audit")
    result = recompute_course(course_id=COURSE, dry_run=True)
    assert (result.learners, result.new, result.changed, result.unchanged) == (21, 1, 0, 20)


def test_an_unattempted_subsection_counts_as_zero_out_of_its_possible():
    save_sample_outline()
    # The outline fixes "weighted" at 5.5 points; "unweighted" takes the largest possible of any
    # learner's row (8); "library" and "empty" can score nothing and are left out.
    policy = {"GRADER": [{"type": "Homework", "min_count": 1, "drop_count": 0, "weight": 1.0}]}
    save_grading_policy(course_id=OUTLINE_COURSE, text=json.dumps(policy), source="test")
    PersistentSubsectionGradeFactory(
        user_id=1, course_id=OUTLINE_COURSE, usage_key=key("sequential", "weighted"),
        earned_graded=5.5, possible_graded=5.5,
    )  # fmt: skip
    PersistentSubsectionGradeFactory(
        user_id=2, course_id=OUTLINE_COURSE, usage_key=key("sequential", "unweighted"),
        earned_graded=4.0, possible_graded=8.0,
    )  # fmt: skip
    recompute_course(course_id=OUTLINE_COURSE)
    grades = dict(
        PersistentCourseGrade.objects.filter(course_id=OUTLINE_COURSE).values_list("user_id", "percent_grade")
    )
    # Learner 1: (1.0 + 0/8) / 2; learner 2: (0/5.5 + 4/8) / 2.
    assert grades == {1: 0.5, 2: 0.25}
