"""A course structure without its course block (a fragment) loads its blocks, with a warning."""

import io
import json

import pytest

from edx_schema.errors import FormatError
from edx_schema.package.course import read_course_structure


def key(category: str, name: str, course: str = "O+C+R") -> str:
    return f"block-v1:{course}+type@{category}+block@{name}"


def read(blocks: dict, label: str = "pkg/O-C-R-course_structure-prod-analytics.json"):
    return read_course_structure(io.BytesIO(json.dumps(blocks, indent=1).encode()), label=label)


CH, S1, S2, P1, P2 = (
    key("chapter", "w1"),
    key("sequential", "s1"),
    key("sequential", "s2"),
    key("problem", "1"),
    key("problem", "2"),
)


def test_a_fragment_loads_every_block_in_course_order_from_the_blocks_nothing_names():
    blocks = {
        CH: {"category": "chapter", "children": [S1, S2], "metadata": {"graded": True, "start": "2024"}},
        S1: {"category": "sequential", "children": [P1], "metadata": {"format": "Homework"}},
        S2: {"category": "sequential", "children": [key("problem", "gone")]},
        P1: {"category": "problem", "metadata": {"weight": 2}},
        # Named by no block: a second top, after the chapter in key order.
        P2: {"category": "problem"},
    }
    outline = read(blocks)
    assert [(b.usage_key, b.parent, b.depth) for b in outline] == [
        (CH, None, 0),
        (S1, CH, 1),
        (P1, S1, 2),
        (S2, CH, 1),
        (P2, None, 0),
    ]
    assert [b.position for b in outline] == [0, 1, 2, 3, 4]
    # Settings are inherited within the fragment; a top inherits nothing.
    problem = outline[2]
    assert (problem.graded, problem.format, problem.inherited["start"]) == (True, "Homework", "2024")
    assert outline[4].inherited == {}
    assert list(outline) == outline[:] == [outline[i] for i in range(5)]
    assert outline.course_id == "course-v1:O+C+R"
    assert outline.fragment
    assert outline.root is None
    assert outline.warnings == [
        "pkg/O-C-R-course_structure-prod-analytics.json: no block of category 'course', so a fragment "
        "of a course structure: its 5 blocks are loaded, and those no block names as a child have no parent"
    ]


def test_a_whole_structure_names_its_course_and_warns_of_nothing():
    course = key("course", "course")
    outline = read({course: {"category": "course", "children": [CH]}, CH: {"category": "chapter"}})
    assert (outline.course_id, outline.root, outline.fragment, outline.warnings) == (
        "course-v1:O+C+R",
        course,
        False,
        [],
    )
    legacy = read({"i4x://O/C/course/2013_Spring": {"category": "course"}})
    assert legacy.course_id == "O/C/2013_Spring"  # the legacy course block's id is the run


def test_a_fragment_of_blocks_that_only_name_each_other_loads_them_without_parents():
    a, b = key("vertical", "a"), key("vertical", "b")
    outline = read(
        {b: {"category": "vertical", "children": [a]}, a: {"category": "vertical", "children": [b]}}
    )
    assert [(block.usage_key, block.parent) for block in outline] == [(a, None), (b, None)]
    assert outline.course_id == "course-v1:O+C+R"


def test_a_block_of_another_course_in_a_fragment_is_refused_naming_it():
    odd = key("problem", "3", course="O+C+OTHER")
    with pytest.raises(FormatError) as error:
        read({CH: {"category": "chapter", "children": [P1]}, P1: {"category": "problem"}, odd: {}})
    assert (error.value.line, error.value.path, error.value.value) == (11, f'$["{odd}"]', odd)
    assert error.value.message == (
        f"the block is of another course than the block on line 2 ('{CH}'): "
        "a fragment of a course structure is of one course"
    )
    legacy = "i4x://O/C/problem/3"  # the same org and course, but no run: not known to be the same
    with pytest.raises(FormatError, match="another course") as error:
        read({CH: {"category": "chapter"}, legacy: {"category": "problem"}})
    assert error.value.value == legacy


def test_a_content_library_block_in_a_fragment_is_refused():
    library = "lib-block-v1:O+L+type@problem+block@1"
    with pytest.raises(FormatError, match="a content library's, not a course's") as error:
        read({library: {"category": "problem"}})
    assert error.value.path == f'$["{library}"]'


def test_a_fragment_of_legacy_keys_does_not_say_its_run():
    outline = read({"i4x://O/C/chapter/w1": {"category": "chapter"}, "i4x://O/C/problem/1": {}})
    assert outline.course_id is None
    assert [block.usage_key for block in outline] == ["i4x://O/C/chapter/w1", "i4x://O/C/problem/1"]
    assert outline.warnings[1] == (
        "pkg/O-C-R-course_structure-prod-analytics.json: the fragment's legacy keys "
        "(such as 'i4x://O/C/chapter/w1') do not say the course's run"
    )


def test_a_structure_without_blocks_or_with_two_courses_is_still_refused():
    with pytest.raises(FormatError, match="holds no blocks"):
        read({})
    with pytest.raises(FormatError, match="expected one block of category 'course' at most, found 2"):
        read({key("course", "a"): {"category": "course"}, key("course", "b"): {"category": "course"}})


def test_a_course_block_whose_key_gives_no_course_key_is_refused_naming_the_key():
    with pytest.raises(FormatError) as error:
        read({"i4x://O/C/course/R:x": {"category": "course"}}, label="x.json")
    assert str(error.value) == "x.json: the course block's key 'i4x://O/C/course/R:x' gives no course key"
