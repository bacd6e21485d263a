"""Scenario builders and the pytest plugin's fixtures: a graded course, learners, a cohort."""

from pathlib import Path

import pytest
from django.core.management import call_command

from edx_schema.models import (
    CourseBlock,
    GradingPolicy,
    PersistentCourseGrade,
    PersistentSubsectionGrade,
    PersistentSubsectionGradeOverride,
    StudentModule,
)
from edx_schema.testing.builders import build_cohort

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "universityx-2024-11-17.zip"


def test_a_graded_course_has_its_policy_and_outline(graded_course):
    assert GradingPolicy.objects.get(course_id=graded_course.course_id).grade_cutoffs == {
        "A": 0.9,
        "B": 0.7,
        "Pass": 0.5,
    }
    assert [s.format for s in graded_course.subsections] == ["Homework"] * 3 + ["Final Exam"]
    assert {s.possible for s in graded_course.subsections} == {2.0}  # two problems of weight 1
    sequentials = CourseBlock.objects.filter(course_id=graded_course.course_id, category="sequential")
    assert sequentials.filter(graded=True).count() == 4


def test_an_enrolled_learner_has_grades_and_a_course_grade_computed_as_the_lms_does(enrolled_learner):
    # Homework 2/2, 1/2, never attempted (0 of the outline's 2): the lowest dropped, (1 + .5) / 2
    # = .75, x .6 = .45; final 1.5/2 = .75, x .4 = .3; .75 -> B (cutoff .7), passing.
    grade = enrolled_learner.course_grade
    assert (grade.percent_grade, grade.letter_grade) == (0.75, "B")
    assert grade.passed_timestamp is not None
    assert len(enrolled_learner.subsection_grades) == 3  # no row for the unattempted one
    assert enrolled_learner.enrollment.course_id == grade.course_id


def test_an_override_is_applied_and_its_history_names_the_staff_member(course_with_overrides):
    _course, (plain, overridden) = course_with_overrides
    (override,) = overridden.overrides
    assert override.earned_graded_override == 2.0
    record = override.history.get()
    assert record.history_user.is_staff
    assert record.history_change_reason == "Built by edx_schema.testing"
    # HW 1 (overridden from 0), .5, .5: the later .5 dropped, .75 x .6 = .45; final .25 x .4 = .1.
    assert overridden.course_grade.percent_grade == 0.55
    assert plain.course_grade.percent_grade == 0.65  # HW (1 + .5) / 2 x .6 = .45, final .5 x .4 = .2


def test_a_cohort_is_built_in_bulk_and_graded(graded_course, django_assert_max_num_queries):
    with django_assert_max_num_queries(60):
        ids = build_cohort(graded_course, learners=500, seed=3)
    assert len(ids) == 500
    assert PersistentCourseGrade.objects.filter(course_id=graded_course.course_id).count() == 500
    rows = PersistentSubsectionGrade.objects.filter(course_id=graded_course.course_id).count()
    assert 1_600 < rows < 2_000  # about one in ten subsections unattempted


def test_scores_must_match_the_subsections(graded_course):
    from edx_schema.testing.builders import build_learner

    with pytest.raises(ValueError, match="scores has 2 values for 4 subsections"):
        build_learner(graded_course, scores=[1.0, 1.0])


def test_a_data_package_loads_into_the_test_database(load_data_package):
    summary = load_data_package(FIXTURE)
    assert summary.ok
    assert StudentModule.objects.exists()
    assert PersistentCourseGrade.objects.count() == 30


def test_the_demo_course_loads_with_loaddata():
    call_command("loaddata", "edx_schema_demo_course", verbosity=0)
    assert PersistentCourseGrade.objects.count() == 3
    override = PersistentSubsectionGradeOverride.objects.get()
    assert override.history.get().history_user.username == "demo_staff"
    assert GradingPolicy.objects.get().grading_policy_hash
