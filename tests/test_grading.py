"""The course-grade algorithm against the LMS's own worked examples (grading_spec §3-§5, §7).

Pure: no database. The expected values are the LMS's, quoted from its tests and from cases
reproduced independently, not computed by the code under test.
"""

import subprocess
import sys

import pytest

from edx_schema.errors import GradingPolicyError
from edx_schema.grading import (
    DEFAULT_POLICY,
    apply_override,
    course_grade,
    grading_policy_hash,
    merge_policy,
    round_away_from_zero,
    subsection_percent,
)


def sub(earned, possible, fmt="Homework", *, graded=True, key=None):
    return {
        "format": fmt,
        "graded": graded,
        "earned_graded": earned,
        "possible_graded": possible,
        "usage_key": key,
    }


def policy(*graders, cutoffs=None):
    return {"GRADER": list(graders), "GRADE_CUTOFFS": {"Pass": 0.5} if cutoffs is None else cutoffs}


def grader(type_="Homework", min_count=1, drop_count=0, weight=1.0, **extra):
    return {"type": type_, "min_count": min_count, "drop_count": drop_count, "weight": weight, **extra}


# -- subsection percent: numpy rounding, three eras --------------------------------------------


@pytest.mark.parametrize(
    ("earned", "possible", "rounding", "expected"),
    [
        (13, 40, 2, 0.32),  # Python's decimal-minded round(x, 2) gives 0.33
        (7.2, 96, 2, 0.08),  # round(x, 2) gives 0.07
        (0.9, 16, 4, 0.0562),
        (0.595, 100, 4, 0.0059),
        (0.605, 100, 4, 0.006),
        (59.50, 100, 2, 0.60),
        (60.5, 100, 2, 0.60),
        (1, 3, None, 1 / 3),
        (5, 0, 4, 0.0),
        (0, 0, 2, 0.0),
    ],
)
def test_subsection_percent(earned, possible, rounding, expected):
    assert subsection_percent(earned, possible, rounding=rounding) == expected


# -- final rounding --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "percent"),
    [(0.3345, 0.34), (0.4945, 0.50), (0.8145, 0.82), (0.3344, 0.33), (0.0, 0.0), (1.0, 1.0)],
)
def test_the_course_percent_rounds_up_from_x_45(raw, percent):
    grade = course_grade(policy(grader()), [sub(raw * 1000, 1000)], subsection_rounding=None)
    assert grade.percent == percent


def test_round_away_from_zero_mirrors_negatives():
    assert round_away_from_zero(2.5) == 3.0
    assert round_away_from_zero(-2.5) == -3.0
    assert round_away_from_zero(1.2345, 2) == 1.23


# -- the grade sheet -------------------------------------------------------------------------------


def test_an_unattempted_subsection_is_a_real_zero_not_only_a_placeholder():
    # 1/2 plus an unattempted 0/1 under min_count 1: 0.25, not 0.5.
    grade = course_grade(policy(grader(min_count=1)), [sub(1, 2), sub(0, 1)])
    assert grade.raw_percent == 0.25


def test_min_count_pads_with_zeros_and_drop_count_drops_the_lowest():
    # Four homework of min 6 drop 2: entries 1, .5, .25, 0 plus two zero placeholders; the two
    # lowest (zeros) go, leaving (1 + .5 + .25 + 0) / 4.
    grade = course_grade(
        policy(grader(min_count=6, drop_count=2)), [sub(2, 2), sub(1, 2), sub(1, 4), sub(0, 3)]
    )
    assert grade.raw_percent == pytest.approx(1.75 / 4)


def test_drop_count_at_or_above_the_entries_gives_zero():
    assert course_grade(policy(grader(min_count=1, drop_count=2)), [sub(1, 1)]).raw_percent == 0
    assert course_grade(policy(grader(min_count=0, drop_count=0)), []).grade_breakdown == {"Homework": 0}


def test_min_count_zero_with_one_entry_is_like_min_count_one():
    subsections = [sub(3, 4)]
    assert (
        course_grade(policy(grader(min_count=0)), subsections).raw_percent
        == course_grade(policy(grader(min_count=1)), subsections).raw_percent
        == 0.75
    )


def test_ungraded_zero_possible_and_unknown_format_subsections_are_left_out():
    grade = course_grade(
        policy(grader(min_count=1)),
        [sub(1, 1), sub(0, 1, graded=False), sub(0, 0), sub(0, 5, fmt="homework"), sub(0, 5, fmt="Lab")],
    )
    assert grade.raw_percent == 1.0


def test_a_subsection_listed_twice_counts_once():
    grade = course_grade(
        policy(grader(min_count=1)), [sub(1, 1, key="a"), sub(0, 1, key="b"), sub(1, 1, key="a")]
    )
    assert grade.raw_percent == 0.5


def test_weights_are_not_normalised_and_breakdown_is_keyed_by_category():
    grade = course_grade(
        policy(grader("Homework", weight=2.0, category="Assignments"), grader("Exam", weight=0.25)),
        [sub(1, 1), sub(1, 2, fmt="Exam")],
        subsection_rounding=4,
    )
    assert grade.grade_breakdown == {"Assignments": 2.0, "Exam": 0.125}
    assert grade.percent == 2.13  # 212.5 + 0.05 rounds to 213
    assert grade.passed


def test_weights_above_one_can_give_a_percent_above_one():
    assert course_grade(policy(grader(weight=2.0)), [sub(1, 1)]).percent == 2.0


def test_a_missing_weight_counts_as_zero_and_string_min_count_works():
    entry = {"type": "Homework", "min_count": "2", "drop_count": 0}
    grade = course_grade(policy(entry), [sub(1, 1)])
    assert grade.grade_breakdown == {"Homework": 0.0}
    assert grade.percent == 0.0


# -- rounding eras change letters ------------------------------------------------------------------


def test_double_rounding_can_move_a_letter_and_2_and_4_decimals_differ():
    cutoffs = {"A": 0.9, "B": 0.8}
    subsections = [sub(89.449, 100)]
    four = course_grade(policy(grader(), cutoffs=cutoffs), subsections, subsection_rounding=4)
    two = course_grade(policy(grader(), cutoffs=cutoffs), subsections, subsection_rounding=2)
    none = course_grade(policy(grader(), cutoffs=cutoffs), subsections, subsection_rounding=None)
    assert (four.raw_percent, four.percent, four.letter_grade) == (0.8945, 0.90, "A")
    assert (two.raw_percent, two.percent, two.letter_grade) == (0.89, 0.89, "B")
    assert (none.percent, none.letter_grade) == (0.89, "B")


# -- letters and passing ---------------------------------------------------------------------------


def test_cutoffs_are_inclusive_on_the_rounded_percent():
    grade = course_grade(policy(grader(), cutoffs={"A": 0.9, "B": 0.33}), [sub(33, 100)])
    assert (grade.percent, grade.letter_grade, grade.passed) == (0.33, "B", True)


def test_equal_cutoffs_the_first_listed_wins():
    grade = course_grade(policy(grader(), cutoffs={"Merit": 0.5, "Pass": 0.5}), [sub(1, 1)])
    assert grade.letter_grade == "Merit"


def test_a_zero_cutoff_gives_a_letter_but_never_a_pass():
    grade = course_grade(policy(grader(), cutoffs={"Pass": 0.6, "F": 0}), [sub(1, 10)])
    assert (grade.letter_grade, grade.passed) == ("F", False)


def test_no_cutoffs_no_letter_no_pass():
    grade = course_grade(policy(grader(), cutoffs={}), [sub(1, 1)])
    assert (grade.letter_grade, grade.passed) == (None, False)


def test_below_every_cutoff_there_is_no_letter():
    grade = course_grade(policy(grader()), [sub(49, 100)])
    assert (grade.percent, grade.letter_grade, grade.passed) == (0.49, None, False)


# -- overrides -------------------------------------------------------------------------------------

ROW = {"earned_all": 6, "possible_all": 12, "earned_graded": 2, "possible_graded": 3}


@pytest.mark.parametrize(
    ("override", "graded"),
    [
        ({"earned_graded_override": 1, "possible_graded_override": None}, (1, 3)),
        ({"earned_graded_override": None, "possible_graded_override": 5}, (2, 5)),
        ({"earned_graded_override": 0, "possible_graded_override": 0}, (0, 0)),
        ({"earned_graded_override": None, "possible_graded_override": None}, (2, 3)),
        (None, (2, 3)),
    ],
)
def test_overrides_replace_each_field_that_is_not_none(override, graded):
    totals = apply_override(ROW, override)
    assert (totals.earned_graded, totals.possible_graded) == graded
    assert (totals.earned_all, totals.possible_all) == (6, 12)


def test_an_override_of_possible_to_zero_excludes_the_subsection_and_one_on_zero_includes_it():
    excluded = apply_override(ROW, {"possible_graded_override": 0})
    included = apply_override(
        {**ROW, "earned_graded": 0, "possible_graded": 0},
        {"earned_graded_override": 3, "possible_graded_override": 4},
    )
    grade = course_grade(
        policy(grader(min_count=1)),
        [
            sub(excluded.earned_graded, excluded.possible_graded),
            sub(included.earned_graded, included.possible_graded),
        ],
    )
    assert grade.raw_percent == 0.75


# -- policy: merging, hashing, errors --------------------------------------------------------------


def test_the_policy_hash_matches_the_lms():
    assert grading_policy_hash(DEFAULT_POLICY) == "ChVp0lHGQGCevD0t4njna/C44zQ="
    quarters = {**DEFAULT_POLICY, "GRADER": [{**g, "weight": 0.25} for g in DEFAULT_POLICY["GRADER"]]}
    assert grading_policy_hash(quarters) == "TsbX04qWOy1WRnC0NHy+94upPd4="


def test_the_policy_hash_tells_1_from_1_0():
    assert grading_policy_hash({"GRADE_CUTOFFS": {"Pass": 1}}) != grading_policy_hash(
        {"GRADE_CUTOFFS": {"Pass": 1.0}}
    )


def test_a_policy_missing_a_key_gets_the_lms_default_for_it():
    only_grader = merge_policy({"GRADER": [grader()]})
    assert only_grader["GRADE_CUTOFFS"] == {"Pass": 0.5}
    assert only_grader["GRADER"] == [grader()]
    only_cutoffs = merge_policy({"GRADE_CUTOFFS": {"A": 0.8}})
    assert only_cutoffs["GRADER"] == DEFAULT_POLICY["GRADER"]
    assert merge_policy({"GRADER": [], "extra": 1})["extra"] == 1
    merge_policy({"GRADER": []})["GRADE_CUTOFFS"]["Pass"] = 0.9
    assert DEFAULT_POLICY["GRADE_CUTOFFS"] == {"Pass": 0.5}  # merging never changes the default


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"type": "Homework", "drop_count": 0}, "has no min_count"),
        ({"type": "Homework", "min_count": "many", "drop_count": 0}, "min_count 'many' is not a number"),
        ({"type": "Homework", "min_count": 1}, "drop_count None is not an integer"),
        ({"type": "Homework", "min_count": 1, "drop_count": 0, "weight": "x"}, "weight 'x' is not a number"),
        ({"min_count": 1, "drop_count": 0}, "has no type"),
    ],
)
def test_a_malformed_grader_is_a_clear_error(entry, message):
    with pytest.raises(GradingPolicyError, match=message):
        course_grade(policy(entry), [])


@pytest.mark.parametrize(
    ("bad_policy", "message"),
    [
        # Found by the fuzzing harness: the whole 1,000-character value was echoed.
        (policy(grader(drop_count="\n" * 1_000)), "GRADER entry 1 (Homework): drop_count '\\n\\n\\n"),
        (policy(grader(min_count=["x" * 1_000])), "GRADER entry 1 (Homework): min_count ['xxx"),
        (policy(grader(weight={"w": "x" * 1_000})), "GRADER entry 1 (Homework): weight {'w': 'xxx"),
        (policy(grader("Home\nwork" * 100, drop_count=None)), "GRADER entry 1 ('Home\\nworkHome\\nwork"),
        (policy(grader(), cutoffs={"A" * 1_000: "x" * 1_000}), "GRADE_CUTOFFS 'AAAA"),
    ],
)
def test_a_malformed_grader_is_named_by_a_short_escaped_excerpt_of_its_value(bad_policy, message):
    with pytest.raises(GradingPolicyError) as error:
        course_grade(bad_policy, [])
    text = str(error.value)
    assert text.startswith(message)
    assert len(text) < 200
    assert text.isprintable()


def test_an_infinite_min_count_is_not_a_number():
    with pytest.raises(GradingPolicyError, match="min_count inf is not a number"):
        course_grade(policy(grader(min_count=float("inf"))), [])


def test_subsection_rounding_must_be_4_2_or_none():
    with pytest.raises(GradingPolicyError, match="must be 4, 2 or None"):
        course_grade(policy(grader()), [], subsection_rounding=3)


@pytest.mark.parametrize(
    "module",
    [
        "edx_schema.grading",
        "edx_schema.package.names",
        "edx_schema.package.values",
        "edx_schema.package.source",
        "edx_schema.package.builder",
        "edx_schema.package.course",
        "edx_schema.package.course.olx_tree",
        "edx_schema.package.course.max_score",
        "edx_schema.package.events",
        "edx_schema.scoring",
    ],
)
def test_the_pure_cores_import_nothing_from_django(module):
    code = f"import sys, {module}; print(sorted(m for m in sys.modules if m.startswith('django')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
