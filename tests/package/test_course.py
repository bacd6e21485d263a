"""Reading the course outline JSON and the grading policy from an OLX export."""

import io
import json
import tarfile

import pytest

from edx_schema.errors import PackageError
from edx_schema.package.course import read_course_structure, read_grading_policy


def structure(blocks: dict) -> io.BytesIO:
    return io.BytesIO(("\ufeff" + json.dumps(blocks)).encode())


def test_blocks_come_in_course_order_with_inherited_settings_and_a_shared_block_counts_once():
    blocks = {
        "c": {
            "category": "course",
            "children": ["ch1", "ch2"],
            "metadata": {"display_name": "C", "start": "2024"},
        },
        "ch1": {"category": "chapter", "children": ["s1", "s2"], "metadata": {"graded": True}},
        "ch2": {"category": "chapter", "children": ["s1", "s3"], "metadata": {}},
        "s1": {"category": "sequential", "children": [], "metadata": {"format": "Homework", "graded": True}},
        "s2": {"category": "sequential", "children": [], "metadata": {"format": "Exam"}},
        "s3": {"category": "sequential", "children": [], "metadata": {"graded": False}},
        "orphan": {"category": "html", "children": [], "metadata": {}},
    }
    read = read_course_structure(structure(blocks), label="x.json")
    assert [b.usage_key for b in read] == ["c", "ch1", "s1", "s2", "ch2", "s3", "orphan"]
    s1, s2, s3 = read[2], read[3], read[5]
    assert (s1.parent, s1.depth, s1.format, s1.graded) == ("ch1", 2, "Homework", True)
    assert (s2.format, s2.graded) == ("Exam", True)  # graded inherited from its chapter
    assert s3.graded is False
    assert s1.inherited["start"] == "2024"
    assert read[-1].parent is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not json", "not a course structure JSON"),
        (b"[]", "keyed by usage key"),
        (b'{"a": {"category": "chapter"}}', "exactly one block of category 'course', found 0"),
    ],
)
def test_a_broken_structure_is_refused(data, message):
    with pytest.raises(PackageError, match=message):
        read_course_structure(io.BytesIO(data), label="x.json")


def olx(files: dict[str, str]) -> io.BytesIO:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    buffer.seek(0)
    return buffer


def test_the_policy_is_found_beside_course_xml_whatever_the_top_folder():
    export = olx(
        {
            "foo_bar_baz/course.xml": '<course url_name="accept" org="O" course="C"/>',
            "foo_bar_baz/policies/accept/grading_policy.json": '{"GRADE_CUTOFFS": {"Pass": 0.7}}',
            "foo_bar_baz/policies/other/grading_policy.json": '{"GRADE_CUTOFFS": {"Pass": 0.1}}',
        }
    )
    assert json.loads(read_grading_policy(export, label="x")) == {"GRADE_CUTOFFS": {"Pass": 0.7}}


def test_a_top_level_policy_is_the_fallback_and_none_when_missing():
    fallback = olx({"t/course.xml": '<course url_name="r"/>', "t/grading_policy.json": '{"GRADER": []}'})
    assert read_grading_policy(fallback, label="x") == '{"GRADER": []}'
    assert read_grading_policy(olx({"t/course.xml": '<course url_name="r"/>'}), label="x") is None


def test_a_broken_archive_is_refused():
    with pytest.raises(PackageError, match="not a readable course export"):
        read_grading_policy(io.BytesIO(b"not a tar"), label="x")
