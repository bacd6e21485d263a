"""Document members that hold less than usual load without losing anything: a course structure
that is a fragment (no course block), and an OLX export that no table of its package names."""

import json
import shutil
from pathlib import Path

import pytest

from edx_schema.importing import ImportOptions, import_packages
from edx_schema.models import CourseBlock, CourseEnrollment, GradingPolicy
from edx_schema.outcomes import Status
from edx_schema.package.builder import PackageSpec, build_package
from tests.package.exports import olx

pytestmark = pytest.mark.django_db

COURSE = "course-v1:UniversityX+CS-101x+3T2024"
PREFIX = "UniversityX-CS-101x-3T2024-"
STRUCTURE = f"{PREFIX}course_structure-prod-analytics.json"
EXPORT = f"{PREFIX}course-prod-analytics.xml.tar.gz"
POLICY = '{"GRADER": [{"type": "Homework", "min_count": 1, "drop_count": 0, "weight": 1.0}]}'


def built(tmp_path: Path) -> Path:
    return build_package(spec=PackageSpec(learners=3, problems=4, courses=1), output=tmp_path).path


def only(folder: Path, *names: str) -> Path:
    """The folder with only the members ``names`` left."""
    for path in folder.iterdir():
        if path.is_dir():
            shutil.rmtree(path)
        elif path.name not in names:
            path.unlink()
    return folder


def result_of(summary, name: str):
    (result,) = [r for r in summary.results if Path(r.member).name == name]
    return result


def blocks() -> dict[str, tuple]:
    rows = CourseBlock.objects.filter(course_id=COURSE).values_list(
        "usage_key", "position", "parent", "category"
    )
    return {str(key): (position, parent, category) for key, position, parent, category in rows}


def test_a_structure_without_its_course_block_loads_its_blocks_with_a_warning(tmp_path):
    folder = built(tmp_path)
    structure = json.loads((folder / STRUCTURE).read_text())
    whole = len(structure)
    (root,) = [key for key, block in structure.items() if block["category"] == "course"]
    del structure[root]
    (folder / STRUCTURE).write_text(json.dumps(structure))

    summary = import_packages(paths=[only(folder, STRUCTURE)], options=ImportOptions())

    result = result_of(summary, STRUCTURE)
    assert (result.status, result.read, result.inserted) == (Status.LOADED, whole - 1, whole - 1)
    assert result.course == COURSE  # from the blocks' own keys
    assert "no block of category 'course'" in result.message
    assert STRUCTURE in result.message
    assert set(blocks()) == set(structure)


def test_a_fragment_adds_and_updates_blocks_and_removes_none(tmp_path):
    folder = built(tmp_path)
    import_packages(paths=[folder], options=ImportOptions(tables=frozenset({"edx_schema_courseblock"})))
    before = blocks()
    structure = json.loads((folder / STRUCTURE).read_text())
    (chapter, *_rest) = [key for key, block in structure.items() if block["category"] == "chapter"]
    new = chapter.replace("block@", "block@extra_")
    fragment = {
        chapter: {**structure[chapter], "metadata": {"display_name": "Renamed week"}},
        new: {"category": "chapter", "children": [], "metadata": {"display_name": "Extra"}},
    }
    (folder / STRUCTURE).write_text(json.dumps(fragment))

    summary = import_packages(paths=[only(folder, STRUCTURE)], options=ImportOptions(force=True))

    result = result_of(summary, STRUCTURE)
    assert (result.status, result.inserted, result.updated) == (Status.LOADED, 1, 1), result.message
    after = blocks()
    assert set(after) == set(before) | {new}  # nothing removed
    assert after[chapter] == before[chapter]  # its place in the course is kept
    assert CourseBlock.objects.get(course_id=COURSE, usage_key=chapter).display_name == "Renamed week"
    assert after[new][0] > max(position for position, _parent, _category in before.values())


def test_an_export_no_table_names_takes_the_course_its_course_xml_names(tmp_path):
    folder = only(built(tmp_path), EXPORT)
    summary = import_packages(paths=[folder], options=ImportOptions())
    result = result_of(summary, EXPORT)
    assert (result.status, result.course) == (Status.LOADED, COURSE), result.message
    assert str(GradingPolicy.objects.get().course_id) == COURSE


def test_an_export_whose_course_xml_names_another_course_fails_naming_both(tmp_path):
    folder = only(built(tmp_path), EXPORT)
    other = {"X/course.xml": '<course org="OtherX" course="CS-101x" url_name="3T2024"/>'}
    other["X/policies/3T2024/grading_policy.json"] = POLICY
    (folder / EXPORT).write_bytes(olx(other).getvalue())
    result = result_of(import_packages(paths=[folder], options=ImportOptions()), EXPORT)
    assert result.status == Status.FAILED
    assert "names the course 'course-v1:OtherX+CS-101x+3T2024'" in result.message
    assert "'UniversityX-CS-101x-3T2024'" in result.message
    assert not GradingPolicy.objects.exists()


def test_an_export_of_a_course_known_by_its_legacy_key_takes_that_key(tmp_path):
    from edx_schema.testing.factories import CourseEnrollmentFactory

    CourseEnrollmentFactory(course_id="UniversityX/CS-101x/3T2024")
    folder = only(built(tmp_path), EXPORT)
    result = result_of(import_packages(paths=[folder], options=ImportOptions()), EXPORT)
    assert (result.status, result.course) == (Status.LOADED, "UniversityX/CS-101x/3T2024"), result.message
    assert CourseEnrollment.objects.count() == 1


def _olx_course(problem_xml: str) -> dict[str, str]:
    """A pre-2015 style export: the whole course from OLX alone, one graded problem."""
    return {
        "X/course.xml": '<course org="UniversityX" course="CS-101x" url_name="3T2024"/>',
        "X/course/3T2024.xml": '<course start="2014-01-01T00:00:00Z"><chapter url_name="c"/></course>',
        "X/chapter/c.xml": '<chapter><sequential url_name="s"/></chapter>',
        "X/sequential/s.xml": '<sequential graded="true" format="Homework">'
        '<vertical url_name="v"/></sequential>',
        "X/vertical/v.xml": '<vertical><problem url_name="p"/></vertical>',
        "X/problem/p.xml": problem_xml,
        "X/policies/3T2024/grading_policy.json": POLICY,
    }


def test_an_export_alone_gives_the_course_tree_to_grade_from(tmp_path):
    from edx_schema.models import CourseContentBlock
    from edx_schema.services.course_tree import course_tree

    folder = only(built(tmp_path), EXPORT)
    problem = '<problem weight="3"><optionresponse><optioninput/><optioninput/></optionresponse></problem>'
    (folder / EXPORT).write_bytes(olx(_olx_course(problem)).getvalue())
    result = result_of(import_packages(paths=[folder], options=ImportOptions()), EXPORT)
    assert result.status == Status.LOADED, result.message
    assert CourseContentBlock.objects.filter(course_id=COURSE).count() == 5
    tree = course_tree(course_id=COURSE)
    (subsection,) = tree.subsections()
    assert subsection.format == "Homework"
    problem_block = tree["block-v1:UniversityX+CS-101x+3T2024+type@problem+block@p"]
    assert (problem_block.max_score, problem_block.weight) == (2.0, 3.0)


def test_a_problem_the_lms_cannot_score_fails_the_export_naming_file_and_block_and_stores_nothing(tmp_path):
    from edx_schema.models import CourseContentBlock

    folder = only(built(tmp_path), EXPORT)
    problem = '<problem><stringresponse answer="x"><textline points="two"/></stringresponse></problem>'
    (folder / EXPORT).write_bytes(olx(_olx_course(problem)).getvalue())
    result = result_of(import_packages(paths=[folder], options=ImportOptions()), EXPORT)
    assert result.status == Status.FAILED
    assert "X/problem/p.xml" in result.message
    assert "problem 'p'" in result.message
    assert "'two'" in result.message
    assert not GradingPolicy.objects.exists()
    assert not CourseContentBlock.objects.exists()
