"""``manage.py override_subsection_grade``: scripted corrections with an audit trail."""

from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from edx_schema.models import (
    CourseEnrollment,
    PersistentCourseGrade,
    PersistentSubsectionGrade,
    PersistentSubsectionGradeOverride,
)

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "universityx-2024-11-17.zip"
COURSE = "course-v1:UniversityX+CS-101x+3T2024"
HW2 = "block-v1:UniversityX+CS-101x+3T2024+type@sequential+block@hw2"
HW3 = "block-v1:UniversityX+CS-101x+3T2024+type@sequential+block@hw3"
FINAL = "block-v1:UniversityX+CS-101x+3T2024+type@sequential+block@final_exam"


@pytest.fixture
def sample():
    call_command("import_package", str(FIXTURE), verbosity=0)
    call_command("recompute_grades", "--all", verbosity=0)
    return User.objects.create(username="staff", email="staff@example.org", is_staff=True)


def override(*args, **kwargs):
    out = StringIO()
    call_command(
        "override_subsection_grade", "--course", COURSE, "--by", "staff", *args, stdout=out, **kwargs
    )
    return out.getvalue()


def test_an_override_is_recorded_with_who_and_why_and_the_course_grade_follows(sample):
    # Learner 11 (hiro_11): hw2 0/7, so the course grade is 0.59 and failing (Pass at 0.6).
    before = PersistentCourseGrade.objects.get(course_id=COURSE, user_id=11)
    assert (before.percent_grade, before.letter_grade) == (0.59, "")
    text = override("--user", "hiro_11", "--usage-key", HW2, "--earned-graded", "7", "--reason", "Appeal")
    row = PersistentSubsectionGrade.objects.get(course_id=COURSE, user_id=11, usage_key=HW2)
    assert (row.earned_graded, row.possible_graded) == (0.0, 7.0)  # the row itself is never changed
    stored = row.override
    assert (stored.earned_graded_override, stored.possible_graded_override) == (7.0, 7.0)
    assert (stored.earned_all_override, stored.possible_all_override) == (row.earned_all, row.possible_all)
    history = stored.history.get()
    assert (history.history_type, history.history_user.username, history.history_change_reason) == (
        "+",
        "staff",
        "Appeal",
    )
    after = PersistentCourseGrade.objects.get(course_id=COURSE, user_id=11)
    # hw1 1.667/14 = .119, hw2 now 7/7 = 1, hw3 4/4 = 1: the lowest is dropped, (1 + 1) / 2 * .75
    # = .75, plus the final's 1.667/2.5 = .6667 * .25: .9167, rounded to .92.
    assert (after.percent_grade, after.letter_grade) == (0.92, "Pass")
    assert after.passed_timestamp is not None
    assert "0.59 - -> 0.92 Pass" in text


def test_none_leaves_a_total_null_and_delete_restores_the_grade_with_history(sample):
    override("--user", "11", "--usage-key", HW2, "--earned-graded", "none", "--reason", "Proctoring")
    stored = PersistentSubsectionGradeOverride.objects.get(grade__user_id=11, grade__usage_key=HW2)
    assert stored.earned_graded_override is None
    text = override("--user", "11", "--usage-key", HW2, "--delete", "--reason", "Withdrawn")
    assert "0/7 applies again" in text
    assert not PersistentSubsectionGradeOverride.objects.filter(grade__user_id=11).exists()
    deleted = PersistentSubsectionGradeOverride.history.filter(history_type="-").get()
    assert (deleted.history_user.username, deleted.history_change_reason) == ("staff", "Withdrawn")


def test_a_missing_subsection_grade_is_created_first_as_the_lms_does(sample):
    learner = User.objects.create(id=500, username="late", email="late@example.org")
    CourseEnrollment.objects.create(user=learner, course_id=COURSE, mode="audit")
    text = override("--user", "late", "--usage-key", FINAL, "--earned-graded", "2", "--reason", "Oral exam")
    row = PersistentSubsectionGrade.objects.get(course_id=COURSE, user_id=500, usage_key=FINAL)
    # 0 earned out of the final's 2.5 points (its one problem's weight in the outline).
    assert (row.earned_graded, row.possible_graded, row.first_attempted) == (0.0, 2.5, None)
    assert row.override.earned_graded_override == 2.0
    assert "Created the subsection grade of late" in text
    # 2/2.5 on the final is 0.2 of the course; homework unattempted counts 0.
    assert PersistentCourseGrade.objects.get(course_id=COURSE, user_id=500).percent_grade == 0.2


def test_no_recompute_leaves_the_course_grade_alone(sample):
    text = override(
        "--user", "11", "--usage-key", HW2, "--earned-graded", "7", "--reason", "x", "--no-recompute"
    )
    assert "not recomputed" in text
    assert PersistentCourseGrade.objects.get(course_id=COURSE, user_id=11).percent_grade == 0.59


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--user", "nobody", "--usage-key", HW3, "--earned-graded", "1"], "--user 'nobody': no such user"),
        (
            ["--user", "11", "--usage-key", "junk", "--earned-graded", "1"],
            "--usage-key 'junk' is not a usage key",
        ),
        (
            ["--user", "11", "--usage-key", HW3.replace("hw3", "nope"), "--earned-graded", "1"],
            "not in the outline of course-v1:UniversityX",
        ),
        (["--user", "11", "--usage-key", HW3], "give the totals to override, or delete"),
        (["--user", "11", "--usage-key", HW3, "--delete"], "user 11 has no override of"),
        (["--user", "11", "--usage-key", HW3, "--earned-graded", "1", "--delete"], "not both or neither"),
    ],
)
def test_bad_arguments_are_named_and_change_nothing(sample, args, message):
    with pytest.raises(CommandError, match=message.replace("+", "\\+")):
        override(*args, "--reason", "x")
    assert not PersistentSubsectionGradeOverride.objects.exists()
    assert not PersistentSubsectionGradeOverride.history.exists()


def test_a_negative_total_and_a_blank_reason_are_refused(sample):
    with pytest.raises(CommandError, match="'-3' is not a number of points, 0 or more"):
        override("--user", "11", "--usage-key", HW3, "--earned-graded", "-3", "--reason", "x")
    with pytest.raises(CommandError, match="needs a reason"):
        override("--user", "11", "--usage-key", HW3, "--earned-graded", "3", "--reason", " ")
    assert not PersistentSubsectionGradeOverride.objects.exists()
