"""The pure subsection grader against the LMS's own expectations (grades/tests upstream) and the
worked example of a subsection scored from CSM, ORA and content."""

from __future__ import annotations

import datetime
import itertools

import pytest

from edx_schema.package.course.tree import CourseTree, tree_block
from edx_schema.scoring import (
    STUDENTMODULE,
    SUBMISSION,
    UNATTEMPTED,
    Learner,
    ModuleScore,
    SubmissionScore,
    SubsectionGrader,
    grade_subsection,
    weighted_score,
)

UTC = datetime.UTC
NOW = datetime.datetime(2026, 12, 1, tzinfo=UTC)
COURSE = "course-v1:DemoX+P101+2016"


def key(category: str, name: str) -> str:
    return f"block-v1:DemoX+P101+2016+type@{category}+block@{name}"


def make_tree(
    spec: dict[str, tuple[str, list[str], dict, float | None]], *, course_start="2016-01-01"
) -> CourseTree:
    """``spec``: name -> (category, child names, settings, content max)."""
    blocks = {}
    root = key("course", "course")
    names = {name: key(category, name) for name, (category, *_rest) in spec.items()}
    top = [name for name, (category, *_r) in spec.items() if category == "chapter"]
    blocks[root] = tree_block(
        usage_key=root, category="course", children=[names[n] for n in top], settings={"start": course_start}
    )
    for name, (category, children, settings, content_max) in spec.items():
        blocks[names[name]] = tree_block(
            usage_key=names[name],
            category=category,
            children=[names[c] for c in children],
            settings=settings,
            max_score=content_max,
        )
    return CourseTree(course_key=COURSE, root=root, blocks=blocks)


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=UTC)


WORKED = {
    "ch": ("chapter", ["S"], {}, None),
    "S": ("sequential", ["V1", "V2"], {"graded": True, "format": "Homework"}, None),
    "V1": ("vertical", ["p1", "p2", "p3"], {}, None),
    "V2": ("vertical", ["p4", "p5", "p6"], {}, None),
    "p1": ("problem", [], {"weight": "4"}, 2),
    "p2": ("problem", [], {}, 5),
    "p3": ("problem", [], {"graded": "false"}, 1),
    "p4": ("openassessment", [], {"weight": 10}, 8),
    "p5": ("problem", [], {"weight": 2}, 1),
    "p6": ("problem", [], {"visible_to_staff_only": True}, 1),
}


def worked_learner(**changes) -> Learner:
    values = {
        "modules": {
            key("problem", "p1"): ModuleScore(1.0, 2.0, at("2016-03-01T10:00")),
            key("problem", "p2"): ModuleScore(3.5, 5.0, at("2016-03-02T09:30")),
            key("problem", "p5"): ModuleScore(None, None, at("2016-02-28T00:00")),
        },
        "submissions": {key("openassessment", "p4"): SubmissionScore(6, 8, at("2016-03-05T12:00"))},
    }
    values.update(changes)
    return Learner(**values)


def test_the_worked_example_row_and_its_visible_blocks_hash():
    score = grade_subsection(make_tree(WORKED), key("sequential", "S"), worked_learner(), now=NOW)
    assert (score.earned_all, score.possible_all) == (11.5, 20.0)
    assert (score.earned_graded, score.possible_graded) == (11.5, 19.0)
    assert score.first_attempted == at("2016-03-01T10:00")
    assert [p.source for p in score.problems] == [
        STUDENTMODULE,
        STUDENTMODULE,
        UNATTEMPTED,
        SUBMISSION,
        UNATTEMPTED,
    ]
    assert len(score.blocks_json) == 612
    assert score.blocks_json.startswith(
        '{"blocks":[{"graded":true,"locator":"block-v1:DemoX+P101+2016+type@problem+block@p1",'
        '"raw_possible":2.0,"weight":4.0},'
    )
    assert score.visible_blocks_hash == "ZK43W9fl2Sxaj8oUmJofKyfyfU4="
    assert not score.uncertain


def test_unattempted_ora_counts_its_weight_and_staff_see_staff_only_blocks():
    learner = worked_learner(submissions={})
    score = grade_subsection(make_tree(WORKED), key("sequential", "S"), learner, now=NOW)
    assert score.possible_all == 22.0
    staff = grade_subsection(make_tree(WORKED), key("sequential", "S"), worked_learner(staff=True), now=NOW)
    assert staff.possible_all == 21.0  # p6 (content max 1, no weight) counts for staff


def test_a_reset_submission_is_hidden_and_the_block_falls_back_to_its_content():
    learner = worked_learner(
        submissions={key("openassessment", "p4"): SubmissionScore(0, 0, at("2016-04-01T00:00"))}
    )
    score = grade_subsection(make_tree(WORKED), key("sequential", "S"), learner, now=NOW)
    ora = score.problems[3]
    assert (ora.earned, ora.possible, ora.source, ora.first_attempted) == (0.0, 10.0, UNATTEMPTED, None)


def test_nothing_attempted_gives_no_first_attempted():
    score = grade_subsection(make_tree(WORKED), key("sequential", "S"), Learner(), now=NOW)
    assert score.first_attempted is None
    assert not score.attempted
    assert score.earned_all == 0.0
    assert score.possible_all == 22.0


def test_unreleased_content_is_left_out_until_its_start():
    spec = dict(WORKED)
    spec["V2"] = ("vertical", ["p4", "p5", "p6"], {"start": "2027-01-01T00:00:00Z"}, None)
    score = grade_subsection(make_tree(spec), key("sequential", "S"), worked_learner(), now=NOW)
    assert score.possible_all == 10.0  # p1..p3 only
    later = grade_subsection(
        make_tree(spec), key("sequential", "S"), worked_learner(), now=at("2027-02-01T00:00")
    )
    assert later.possible_all == 20.0


def test_a_course_without_a_start_is_unreleased_as_in_the_lms():
    tree = make_tree(WORKED, course_start=None)
    score = grade_subsection(tree, key("sequential", "S"), worked_learner(), now=NOW)
    assert score.problems == ()
    assert score.possible_all == 0.0


# -- TestWeightedScore and TestWeightedProblems (grades/tests upstream) -------------------------


@pytest.mark.parametrize(
    ("earned", "possible", "weight", "expected"),
    [
        (0, 0, 1, (0, 0)),
        (5, 0, 0, (5, 0)),
        (10, 0, None, (10, 0)),
        (0, 5, None, (0, 5)),
        (5, 10, None, (5, 10)),
        (10, 10, None, (10, 10)),
        (0, 5, 0, (0, 0)),
        (5, 5, 0, (0, 0)),
        (2, 5, 1, (0.4, 1)),
        (5, 5, 1, (1, 1)),
        (5, 5, 3, (3, 3)),
        (2, 4, 6, (3, 6)),
    ],
)
def test_weighted_score(earned, possible, weight, expected):
    assert weighted_score(earned, possible, weight) == expected


@pytest.mark.parametrize(
    ("raw_earned", "raw_possible", "weight"),
    list(itertools.product([0, 0.5, 1, 2], [-2, -1, 0.5, 1, 2], [-2, -1, -0.5, 0.5, 1, 2, 50, None])),
)
def test_problem_weight_matrix(raw_earned, raw_possible, weight):
    """Two identical problems: each scores (e/p*w, w) unless w is None; graded iff possible > 0."""
    spec = {
        "ch": ("chapter", ["S"], {}, None),
        "S": ("sequential", ["V"], {}, None),
        "V": ("vertical", ["a", "b"], {}, None),
        "a": ("problem", [], {"weight": weight}, 99),
        "b": ("problem", [], {"weight": weight}, 99),
    }
    modules = {
        key("problem", n): ModuleScore(raw_earned, raw_possible, at("2016-01-02T00:00")) for n in ("a", "b")
    }
    score = grade_subsection(make_tree(spec), key("sequential", "S"), Learner(modules=modules), now=NOW)
    if weight is None:
        earned, possible = raw_earned, raw_possible
    else:
        earned, possible = raw_earned / raw_possible * weight, weight
    assert score.earned_all == pytest.approx(2 * earned)
    assert score.possible_all == pytest.approx(2 * possible)
    graded = possible > 0
    assert score.possible_graded == pytest.approx(2 * possible if graded else 0.0)
    assert all(p.graded == graded for p in score.problems)


@pytest.mark.parametrize(
    ("weight", "expected"),
    [
        ({}, (1.25, 2.5)),
        ({"weight": 27}, (13.5, 27)),
        ({"weight": 1.0}, (0.5, 1.0)),
        ({"weight": 0.0}, (0.0, 0.0)),
    ],
)
def test_weight_metadata_alterations(weight, expected):
    """TestVariedMetadata: a problem of raw max 2, one of two right (default weight 2.5 upstream)."""
    settings = {"weight": 2.5, **weight}
    spec = {
        "ch": ("chapter", ["S"], {}, None),
        "S": ("sequential", ["V"], {}, None),
        "V": ("vertical", ["p"], {}, None),
        "p": ("problem", [], settings, 2),
    }
    modules = {key("problem", "p"): ModuleScore(1.0, 2.0, at("2016-01-02T00:00"))}
    score = grade_subsection(make_tree(spec), key("sequential", "S"), Learner(modules=modules), now=NOW)
    assert (score.earned_all, score.possible_all) == expected


def test_an_ungraded_problem_adds_to_all_but_not_to_graded():
    spec = {
        "ch": ("chapter", ["S"], {}, None),
        "S": ("sequential", ["V"], {}, None),
        "V": ("vertical", ["p"], {}, None),
        "p": ("problem", [], {"weight": 2.5, "graded": False}, 2),
    }
    modules = {key("problem", "p"): ModuleScore(1.0, 2.0, at("2016-01-02T00:00"))}
    score = grade_subsection(make_tree(spec), key("sequential", "S"), Learner(modules=modules), now=NOW)
    assert (score.earned_all, score.possible_all) == (1.25, 2.5)
    assert (score.earned_graded, score.possible_graded) == (0.0, 0.0)


def test_a_vertical_marked_ungraded_makes_its_problems_ungraded_but_a_sequential_does_not():
    spec = {
        "ch": ("chapter", ["S"], {}, None),
        "S": ("sequential", ["V", "W"], {"graded": False}, None),
        "V": ("vertical", ["a"], {"graded": "false"}, None),
        "W": ("vertical", ["b"], {}, None),
        "a": ("problem", [], {}, 1),
        "b": ("problem", [], {}, 1),
    }
    score = grade_subsection(make_tree(spec), key("sequential", "S"), Learner(), now=NOW)
    assert [p.graded for p in score.problems] == [False, True]


def test_get_score_priority():
    """TestGetScore: SUB beats CSM beats content; a NULL grade is no attempt; weight not applied to SUB."""
    spec = {
        "ch": ("chapter", ["S"], {}, None),
        "S": ("sequential", ["V"], {}, None),
        "V": ("vertical", ["p"], {}, None),
        "p": ("openassessment", [], {"weight": 40}, 1),
    }
    tree, seq, p = make_tree(spec), key("sequential", "S"), key("openassessment", "p")
    csm = {p: ModuleScore(10.0, 40.0, at("2016-01-01T00:00"))}
    sub = {p: SubmissionScore(50, 100, at("2016-01-03T00:00"))}
    both = grade_subsection(tree, seq, Learner(modules=csm, submissions=sub), now=NOW).problems[0]
    assert (both.raw_earned, both.raw_possible, both.earned, both.possible, both.weight) == (
        None,
        None,
        50,
        100,
        40,
    )
    only_csm = grade_subsection(tree, seq, Learner(modules=csm), now=NOW).problems[0]
    assert (only_csm.raw_earned, only_csm.raw_possible, only_csm.earned, only_csm.possible) == (
        10,
        40,
        10,
        40,
    )
    null = {p: ModuleScore(None, 40.0, at("2016-01-01T00:00"))}
    no_grade = grade_subsection(tree, seq, Learner(modules=null), now=NOW).problems[0]
    assert (no_grade.raw_earned, no_grade.raw_possible, no_grade.first_attempted) == (0, 40, None)
    content = grade_subsection(tree, seq, Learner(), now=NOW).problems[0]
    assert (content.raw_earned, content.raw_possible, content.earned, content.possible) == (0, 1, 0, 40)


def test_a_block_without_a_max_score_is_left_out():
    spec = {
        "ch": ("chapter", ["S"], {}, None),
        "S": ("sequential", ["V"], {}, None),
        "V": ("vertical", ["a", "b"], {}, None),
        "a": ("problem", [], {}, None),
        "b": ("problem", [], {}, 7),
    }
    score = grade_subsection(make_tree(spec), key("sequential", "S"), Learner(), now=NOW)
    assert [p.usage_key for p in score.problems] == [key("problem", "b")]
    assert score.possible_all == 7.0


def test_split_test_keeps_the_learners_group_and_staff_see_every_branch():
    spec = {
        "ch": ("chapter", ["S"], {}, None),
        "S": ("sequential", ["T"], {}, None),
        "T": (
            "split_test",
            ["A", "B"],
            {
                "user_partition_id": 7,
                "group_id_to_child": {"0": key("vertical", "A"), "1": key("vertical", "B")},
            },
            None,
        ),
        "A": ("vertical", ["a"], {}, None),
        "B": ("vertical", ["b"], {}, None),
        "a": ("problem", [], {}, 1),
        "b": ("problem", [], {}, 3),
    }
    tree, seq = make_tree(spec), key("sequential", "S")
    assert grade_subsection(tree, seq, Learner(groups={7: 1}), now=NOW).possible_all == 3.0
    assert grade_subsection(tree, seq, Learner(groups={7: 0}), now=NOW).possible_all == 1.0
    assert grade_subsection(tree, seq, Learner(staff=True), now=NOW).possible_all == 4.0
    unknown = grade_subsection(tree, seq, Learner(), now=NOW)
    assert unknown.uncertain
    assert unknown.possible_all == 0.0


def test_library_content_keeps_the_stored_selection_in_its_order():
    spec = {
        "ch": ("chapter", ["S"], {}, None),
        "S": ("sequential", ["L"], {}, None),
        "L": ("library_content", ["a", "b", "c"], {"max_count": 2}, None),
        "a": ("problem", [], {}, 1),
        "b": ("problem", [], {}, 2),
        "c": ("problem", [], {}, 4),
    }
    tree, seq = make_tree(spec), key("sequential", "S")
    library = key("library_content", "L")
    learner = Learner(selections={library: [["problem", "c"], ["problem", "gone"], ["problem", "a"]]})
    score = grade_subsection(tree, seq, learner, now=NOW)
    assert [p.usage_key for p in score.problems] == [key("problem", "c"), key("problem", "a")]
    assert score.possible_all == 5.0
    assert not score.uncertain
    short = grade_subsection(tree, seq, Learner(selections={library: [["problem", "b"]]}), now=NOW)
    assert short.possible_all == 2.0
    assert short.uncertain


def test_learners_with_the_same_view_share_one_walk():
    grader = SubsectionGrader(make_tree(WORKED), now=NOW)
    first, second = grader.plans(worked_learner()), grader.plans(Learner())
    assert first is second
    assert grader.plans(Learner(staff=True)) is not first


def test_visible_blocks_hash_vectors():
    """VisibleBlocksTest: the empty list, and int against float weight."""
    from edx_schema.visible_blocks import blocks_hash, blocks_json

    empty = blocks_json(course_key="course-v1:some_org+some_course+some_run", blocks=[])
    assert blocks_hash(empty) == "oe1UNuDsYmM9qz3DvI4D+1Cx/Do="
    record = {"locator": key("problem", "p1"), "raw_possible": 1.0, "graded": True}
    as_int = blocks_json(course_key=COURSE, blocks=[{**record, "weight": 1}])
    as_float = blocks_json(course_key=COURSE, blocks=[{**record, "weight": 1.0}])
    assert blocks_hash(as_int) == "FPr+1MuMIAlYglgRC8bp6Y9SAEQ="
    assert blocks_hash(as_float) == "TbZZ7NngjU0/peQG7fJOho39ErA="
