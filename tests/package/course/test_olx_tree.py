"""The OLX export's course tree: pointers, inline definitions, policy overrides, content max scores."""

from __future__ import annotations

import io
import tarfile

import pytest

from edx_schema.errors import FormatError
from edx_schema.package.course import read_course_export
from edx_schema.package.course.olx_tree import read_course_tree

COURSE = "course-v1:DemoX+P101+2016"


def key(category: str, name: str) -> str:
    return f"block-v1:DemoX+P101+2016+type@{category}+block@{name}"


def export(files: dict[str, str], *, top: str = "course") -> io.BytesIO:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for path, text in files.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(f"{top}/{path}" if top else path)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    out.seek(0)
    return out


STUDIO = {
    "course.xml": '<course url_name="2016" org="DemoX" course="P101"/>',
    "course/2016.xml": '<course display_name="Demo" start="2016-01-01T00:00:00Z">'
    '<chapter url_name="ch"/></course>',
    "chapter/ch.xml": '<chapter display_name="Week 1"><sequential url_name="hw"/></chapter>',
    "sequential/hw.xml": '<sequential display_name="HW" graded="true" format="Homework">'
    '<vertical url_name="v"/></sequential>',
    "vertical/v.xml": '<vertical><problem url_name="p1"/><html url_name="intro"/><problem url_name="p2"/>'
    '<openassessment url_name="essay"/></vertical>',
    "problem/p1.xml": '<problem weight="4" display_name="P1"><optionresponse>'
    "<optioninput options=\"('a','b')\" correct=\"a\"/><optioninput options=\"('a','b')\" correct=\"b\"/>"
    "</optionresponse></problem>",
    "problem/p2.xml": '<problem><numericalresponse answer="3"><formulaequationinput/></numericalresponse>'
    '<customresponse cfn="f"><textline/><textline points="2"/><textline/></customresponse></problem>',
    "html/intro.xml": '<html filename="intro"/>',
    "openassessment/essay.xml": '<openassessment weight="10"><rubric>'
    '<criterion><name>a</name><option points="0"/><option points="3"/></criterion>'
    '<criterion><name>b</name><option points="5"/><option points="2"/></criterion>'
    "</rubric></openassessment>",
    "policies/2016/policy.json": '{"course/2016": {"start": "2016-02-01T00:00:00Z"}, '
    '"problem/p2": {"weight": 7}}',
    "policies/2016/grading_policy.json": '{"GRADER": [], "GRADE_CUTOFFS": {"Pass": 0.5}}',
}


def test_a_studio_export_gives_the_tree_with_content_max_scores_and_policy_overrides():
    tree = read_course_tree(export(STUDIO), label="x.tar.gz", course_id=COURSE)
    assert tree.root == key("course", "course")
    assert [b.usage_key for b in tree.subsections()] == [key("sequential", "hw")]
    vertical = tree[key("vertical", "v")]
    assert vertical.children == (
        key("problem", "p1"),
        key("html", "intro"),
        key("problem", "p2"),
        key("openassessment", "essay"),
    )
    assert (tree[key("problem", "p1")].max_score, tree[key("problem", "p1")].weight) == (2.0, 4.0)
    assert (tree[key("problem", "p2")].max_score, tree[key("problem", "p2")].weight) == (
        5.0,
        7.0,
    )  # policy wins
    assert (tree[key("openassessment", "essay")].max_score, tree[key("openassessment", "essay")].weight) == (
        8.0,
        10.0,
    )
    assert tree[tree.root].start.isoformat() == "2016-02-01T00:00:00+00:00"
    assert tree.inherited_graded() == {key("sequential", "hw"): True}
    assert tree[key("sequential", "hw")].format == "Homework"


def test_the_export_member_reads_policy_and_tree_in_one_pass():
    found = read_course_export(export(STUDIO), label="x.tar.gz")
    assert found.grading_policy is not None
    tree = found.tree(course_id=COURSE)
    assert tree is not None
    assert len(tree.blocks) == 8


def test_inline_definitions_and_legacy_keys():
    files = {
        "course.xml": '<course url_name="2013" org="MITx" course="6.002x" start="2013-01-01">'
        '<chapter url_name="c1"><sequential url_name="s1" graded="true" format="Lab">'
        '<problem url_name="q1"><stringresponse answer="x"><textline/></stringresponse></problem>'
        "</sequential></chapter></course>",
    }
    tree = read_course_tree(export(files), label="old.tar.gz", course_id="MITx/6.002x/2013")
    assert tree.root == "i4x://MITx/6.002x/course/2013"
    assert tree["i4x://MITx/6.002x/problem/q1"].max_score == 1.0
    assert [b.usage_key for b in tree.subsections()] == ["i4x://MITx/6.002x/sequential/s1"]


def test_split_test_groups_resolve_to_its_children():
    files = dict(STUDIO)
    files["vertical/v.xml"] = (
        '<vertical><split_test url_name="t" user_partition_id="5" '
        'group_id_to_child=\'{"0": "i4x://DemoX/P101/vertical/a", "1": "' + key("vertical", "b") + "\"}'>"
        '<vertical url_name="a"/><vertical url_name="b"/></split_test></vertical>'
    )
    files["vertical/a.xml"] = '<vertical><problem url_name="p1"/></vertical>'
    files["vertical/b.xml"] = '<vertical><problem url_name="p2"/></vertical>'
    tree = read_course_tree(export(files), label="x.tar.gz", course_id=COURSE)
    split = tree[key("split_test", "t")]
    assert split.user_partition_id == 5
    assert split.group_id_to_child == {0: key("vertical", "a"), 1: key("vertical", "b")}


def test_a_pointer_to_a_missing_file_is_left_out_with_a_warning():
    files = dict(STUDIO)
    del files["problem/p2.xml"]
    tree = read_course_tree(export(files), label="x.tar.gz", course_id=COURSE)
    assert key("problem", "p2") not in tree
    assert any("problem/p2.xml" in warning for warning in tree.warnings)


def test_a_broken_file_no_block_points_at_does_no_harm():
    files = {**STUDIO, "problem/unused.xml": "<problem><oops"}
    assert read_course_tree(export(files), label="x.tar.gz", course_id=COURSE) is not None


def test_a_referenced_file_that_is_not_xml_names_the_file_and_line():
    files = {**STUDIO, "problem/p2.xml": "<problem>\n<numericalresponse>\n</problem>"}
    with pytest.raises(FormatError) as caught:
        read_course_tree(export(files), label="x.tar.gz", course_id=COURSE)
    assert caught.value.file == "x.tar.gz/course/problem/p2.xml"
    assert caught.value.line == 3


def test_a_problem_the_lms_cannot_score_names_the_file_and_block():
    files = {
        **STUDIO,
        "problem/p2.xml": '<problem><stringresponse answer="x"><textline points="1.5"/>'
        "</stringresponse></problem>",
    }
    with pytest.raises(FormatError) as caught:
        read_course_tree(export(files), label="x.tar.gz", course_id=COURSE)
    assert caught.value.file == "x.tar.gz/course/problem/p2.xml"
    assert "p2" in str(caught.value)
    assert "1.5" in str(caught.value)


def test_a_doctype_is_refused():
    files = {**STUDIO, "problem/p1.xml": '<!DOCTYPE p [<!ENTITY a "aaaa">]><problem>&a;</problem>'}
    with pytest.raises(FormatError, match="DOCTYPE"):
        read_course_tree(export(files), label="x.tar.gz", course_id=COURSE)


def test_an_unreadable_setting_names_the_block():
    files = {**STUDIO, "sequential/hw.xml": '<sequential start="soon"><vertical url_name="v"/></sequential>'}
    with pytest.raises(FormatError, match=r"sequential 'hw'.*start"):
        read_course_tree(export(files), label="x.tar.gz", course_id=COURSE)


def test_an_export_of_the_policy_alone_has_no_tree():
    files = {
        "course.xml": STUDIO["course.xml"],
        "policies/2016/grading_policy.json": STUDIO["policies/2016/grading_policy.json"],
    }
    assert read_course_tree(export(files), label="x.tar.gz", course_id=COURSE) is None
