"""The downstream app's tests, with edx-schema's fixtures (the pytest plugin) and factories."""

import pytest
from grade_reports.reports import overridden_learners, pass_rate

from edx_schema.models import PersistentCourseGrade
from edx_schema.testing.builders import build_learner
from edx_schema.testing.factories import CourseEnrollmentFactory, PersistentCourseGradeFactory

pytestmark = pytest.mark.django_db


def test_the_plugin_fixtures_come_from_the_installed_wheel(request):
    plugin = request.config.pluginmanager.get_plugin("edx_schema")
    assert plugin is not None, "the pytest11 entry point of edx-schema is not installed"
    assert "site-packages" in plugin.__file__


def test_pass_rate_of_a_course_with_overrides(course_with_overrides):
    course, learners = course_with_overrides
    assert [learner.course_grade.letter_grade for learner in learners] == ["Pass", "Pass"]
    build_learner(course, scores=[0.0, 0.0, 0.0, 0.0])  # a failing third learner
    assert pass_rate(course.course_id) == pytest.approx(2 / 3)


def test_overridden_learners(course_with_overrides):
    course, (plain, overridden) = course_with_overrides
    assert overridden_learners(course.course_id) == [overridden.user.pk]
    assert plain.user.pk not in overridden_learners(course.course_id)


def test_factories_alone(edx_user):
    CourseEnrollmentFactory(user=edx_user)
    grade = PersistentCourseGradeFactory(user=edx_user, letter_grade="", percent_grade=0.2)
    assert pass_rate(str(grade.course_id)) == 0.0
    assert PersistentCourseGrade.objects.get(user_id=edx_user.pk).percent_grade == 0.2


def test_an_enrolled_learner_fixture(enrolled_learner):
    assert enrolled_learner.course_grade.letter_grade == "B"
    assert pass_rate(str(enrolled_learner.course_grade.course_id)) == 1.0
