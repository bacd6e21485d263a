"""What the outline says a subsection is worth, for learners who never opened it."""

import io
import json

import pytest

from edx_schema.errors import GradingPolicyError
from edx_schema.importing import ImportOptions, import_packages
from edx_schema.models import CourseBlock, GradingPolicy
from edx_schema.package.course import read_course_structure
from edx_schema.services import outline
from edx_schema.services.outline import (
    outline_possibles,
    save_grading_policy,
    save_outline,
    unattempted_possibles,
)
from edx_schema.testing.factories import PersistentSubsectionGradeFactory
from tests.services.outlines import COURSE, key, save_sample_outline

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    save_sample_outline()


def test_the_outline_fixes_a_possible_only_where_every_scored_block_has_a_weight(course):
    assert outline_possibles(course_id=COURSE) == {
        key("sequential", "weighted"): 5.5,  # 2 + 3.5; the ungraded practice problem and html do not count
        key("sequential", "unweighted"): None,  # p4 has no weight: its raw possible is unknown
        key("sequential", "library"): None,  # content chosen per learner
        key("sequential", "empty"): 0.0,
    }


def test_unattempted_subsections_fall_back_to_the_largest_possible_in_any_learners_row(course):
    for possible in (3.0, 8.0):
        PersistentSubsectionGradeFactory(
            course_id=COURSE, usage_key=key("sequential", "unweighted"), possible_graded=possible
        )
    # A row does not override what the outline fixes.
    PersistentSubsectionGradeFactory(
        course_id=COURSE, usage_key=key("sequential", "weighted"), possible_graded=99.0
    )
    assert unattempted_possibles(course_id=COURSE) == {
        key("sequential", "weighted"): 5.5,
        key("sequential", "unweighted"): 8.0,
        # library: no weight and no rows, empty: nothing possible; both are left out
    }


def structure_of(blocks: dict) -> io.BytesIO:
    return io.BytesIO(json.dumps(blocks, indent=2).encode())


def test_an_outline_read_as_a_stream_is_stored_in_batches_and_replaces_the_last_one(monkeypatch):
    monkeypatch.setattr(outline, "BATCH_CHARS", 50)  # a few blocks a batch
    root, chapter = key("course", "course"), key("chapter", "ch")
    problems = [key("problem", f"p{n}") for n in range(7)]
    blocks = {
        root: {"category": "course", "children": [chapter]},
        chapter: {"category": "chapter", "children": problems, "metadata": {"graded": True, "format": "HW"}},
    } | {
        name: {"category": "problem", "metadata": {"weight": n, "markdown": "x" * 30}}
        for n, name in enumerate(problems)
    }
    saved = save_outline(course_id=COURSE, blocks=read_course_structure(structure_of(blocks), label="s"))
    assert (saved.inserted, saved.updated, saved.unchanged, saved.deleted) == (9, 0, 0, 0)
    stored = list(CourseBlock.objects.filter(course_id=COURSE).order_by("position"))
    assert [str(row.usage_key) for row in stored] == [root, chapter, *problems]
    assert [(row.depth, row.graded, row.format, row.weight) for row in stored[2:4]] == [
        (2, True, "HW", 0),
        (2, True, "HW", 1),
    ]
    # The next week's structure: one problem gone, one changed.
    del blocks[problems[6]]
    blocks[chapter]["children"] = problems[:6]
    blocks[problems[0]]["metadata"]["weight"] = "2.5"
    saved = save_outline(course_id=COURSE, blocks=read_course_structure(structure_of(blocks), label="s"))
    assert (saved.inserted, saved.updated, saved.unchanged, saved.deleted) == (0, 1, 7, 1)
    assert CourseBlock.objects.get(course_id=COURSE, usage_key=problems[0]).weight == 2.5


def test_what_the_reader_accepts_at_its_limits_the_database_stores_as_read():
    # Metadata nested as deeply as the 32-level limit allows (MariaDB refuses 32 levels of its
    # own), numbers at a double's range, NUL, characters beyond the BMP, text cut to its column.
    deep = "x"
    for _ in range(29):
        deep = [deep]
    metadata = {
        "deep": deep,
        "big": 10**300,
        "tiny": -1e-300,
        "weight": 1.7e308,
        "nul": "a\x00b",
        "emoji": "😀",
        "display_name": "d" * 300,
        "start": "s" * 100,
    }
    root = key("course", "course")
    blocks = read_course_structure(
        structure_of({root: {"category": "course", "metadata": metadata}}), label="s"
    )
    save_outline(course_id=COURSE, blocks=blocks)
    row = CourseBlock.objects.get(course_id=COURSE)
    assert row.metadata == metadata
    assert (row.display_name, row.start, row.weight) == ("d" * 255, "s" * 64, 1.7e308)


def policy(**grader) -> str:
    return json.dumps({"GRADER": [{"type": "HW", "min_count": 2, "drop_count": 0, "weight": 1.0, **grader}]})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not valid JSON: p.json, line 1: not a JSON document (Expecting property name"),
        (
            '{"GRADER": ' + "[" * 40 + "]" * 40 + "}",
            "not valid JSON: p.json, at $: JSON nested deeper than 32 levels",
        ),
        ('{"GRADE_CUTOFFS": {"Pass": NaN}}', "at $.GRADE_CUTOFFS.Pass: a number JSON cannot hold"),
        (
            '{"GRADER": [{"type": "\\udc00"}]}',
            "at $.GRADER[0].type: a string with an unpaired UTF-16 surrogate",
        ),
        (policy(type=["HW"]), 'p.json: GRADER[0].type is not text: ["HW"]'),
        (policy(category={"a": 1}), "p.json: GRADER[0].category is not text"),
        (policy(min_count=1e9), "p.json: GRADER[0].min_count is not a count from 0 to 1,000: 1000000000.0"),
        (policy(min_count="1e400"), 'GRADER[0].min_count is not a count from 0 to 1,000: "1e400"'),
        (policy(drop_count=-1), "GRADER[0].drop_count is not a count from 0 to 1,000: -1"),
        (policy(weight=True), "p.json: GRADER entry 1 (HW): weight True is not a number"),
    ],
)
def test_a_policy_of_the_wrong_shape_is_refused_with_where_and_what(text, message):
    with pytest.raises(GradingPolicyError) as error:
        save_grading_policy(course_id=COURSE, text=text, source="p.json")
    assert message in str(error.value)
    assert not GradingPolicy.objects.exists()


def test_a_policy_nested_to_the_limit_is_stored():
    deep: object = 1
    for _ in range(29):
        deep = [deep]
    save_grading_policy(course_id=COURSE, text=policy(notes=deep, min_count=1_000), source="p.json")
    assert GradingPolicy.objects.get(course_id=COURSE).grader[0]["notes"] == deep


def test_a_course_block_whose_key_gives_no_course_key_fails_its_member_alone(tmp_path):
    # i4x://O/C/course/R:x is a usage key, but R:x is no course run.
    folder = tmp_path / "universityx-2024-11-17"
    folder.mkdir()
    member = "UniversityX-CS-101x-3T2024-course_structure-prod-analytics.json"
    (folder / member).write_text(json.dumps({"i4x://O/C/course/R:x": {"category": "course"}}))
    results = {r.member: r for r in import_packages(paths=[folder], options=ImportOptions()).results}
    assert (results[member].status, results[member].message) == (
        "failed",
        f"universityx-2024-11-17/{member}: the course block's key 'i4x://O/C/course/R:x' gives no course key",
    )
    assert not CourseBlock.objects.exists()
