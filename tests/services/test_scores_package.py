"""make_package's stored subsection grades are reproduced exactly from its studentmodule and ORA
rows and its course content, as the LMS computes them."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from edx_schema.importing import ImportOptions, import_packages
from edx_schema.models import PersistentCourseGrade, PersistentSubsectionGrade
from edx_schema.package.builder import PackageSpec, build_package
from edx_schema.services.scores import course_ids_with_content, recompute_from_scores

pytestmark = pytest.mark.django_db

FIELDS = (
    "user_id",
    "usage_key",
    "earned_all",
    "possible_all",
    "earned_graded",
    "possible_graded",
    "first_attempted",
)


def stored() -> set[tuple]:
    return {(row[0], str(row[1]), *row[2:]) for row in PersistentSubsectionGrade.objects.values_list(*FIELDS)}


@pytest.fixture
def package(tmp_path):
    built = build_package(spec=PackageSpec(learners=12, courses=2, week=2), output=tmp_path)
    summary = import_packages(paths=[built.path], options=ImportOptions())
    assert summary.ok, [r.message for r in summary.results if not r.status.ok]
    return built


def test_every_stored_subsection_grade_agrees_with_the_one_computed_from_scores(package):
    for course in course_ids_with_content():
        result = recompute_from_scores(course_id=course, dry_run=True)
        assert result.compared > 0
        assert result.agreed == result.compared, result.largest
        assert result.new == 0  # the package holds a row for every attempted subsection


def test_deleted_grades_come_back_exactly(package):
    original = stored()
    course_grades = set(PersistentCourseGrade.objects.values_list("user_id", "course_id", "percent_grade"))
    assert original
    PersistentSubsectionGrade.objects.all().delete()
    out = StringIO()
    call_command("recompute_grades", "--all", "--from-scores", "--diff", stdout=out)
    assert stored() == original
    assert (
        set(PersistentCourseGrade.objects.values_list("user_id", "course_id", "percent_grade"))
        == course_grades
    )
    assert "0 changed" in out.getvalue()
