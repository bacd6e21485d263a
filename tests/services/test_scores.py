"""Subsection grades from problem scores, stored: missing rows written with their visible blocks,
stored rows compared (and with --all-learners rewritten), course grades recomputed after."""

from __future__ import annotations

import datetime
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from edx_schema.models import (
    AnonymousUserId,
    CourseAccessRole,
    PersistentCourseGrade,
    PersistentSubsectionGrade,
    VisibleBlocks,
)
from edx_schema.package.course.tree import CourseTree, tree_block
from edx_schema.services.course_tree import course_tree, save_content
from edx_schema.services.outline import save_grading_policy
from edx_schema.services.scores import learner_scores, recompute_from_scores
from edx_schema.testing.factories import (
    CourseEnrollmentFactory,
    PersistentSubsectionGradeFactory,
    ScoreFactory,
    StudentItemFactory,
    StudentModuleFactory,
    UserCourseTagFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

COURSE = "course-v1:DemoX+P101+2016"
UTC = datetime.UTC


def key(category: str, name: str) -> str:
    return f"block-v1:DemoX+P101+2016+type@{category}+block@{name}"


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=UTC)


#: The worked example: p1 weight 4 (raw max 2), p2 (5), p3 ungraded (1), ORA p4 weight 10 (8),
#: p5 weight 2 (1), p6 staff only; a second subsection holds a split test.
SPEC = {
    "course": ("course", ["ch"], {"start": "2016-01-01T00:00:00Z"}, None),
    "ch": ("chapter", ["S", "T"], {}, None),
    "S": ("sequential", ["V1", "V2"], {"graded": True, "format": "Homework"}, None),
    "V1": ("vertical", ["p1", "p2", "p3"], {}, None),
    "V2": ("vertical", ["p4", "p5", "p6"], {}, None),
    "p1": ("problem", [], {"weight": 4}, 2),
    "p2": ("problem", [], {}, 5),
    "p3": ("problem", [], {"graded": False}, 1),
    "p4": ("openassessment", [], {"weight": 10}, 8),
    "p5": ("problem", [], {"weight": 2}, 1),
    "p6": ("problem", [], {"visible_to_staff_only": True}, 1),
    "T": ("sequential", ["split"], {"graded": True, "format": "Exam"}, None),
    "split": ("split_test", ["A", "B"], {"user_partition_id": 3}, None),
    "A": ("vertical", ["qa"], {}, None),
    "B": ("vertical", ["qb"], {}, None),
    "qa": ("problem", [], {"weight": 1}, 1),
    "qb": ("problem", [], {"weight": 3}, 1),
}
POLICY = {
    "GRADER": [
        {"type": "Homework", "min_count": 1, "drop_count": 0, "weight": 0.5, "short_label": "HW"},
        {"type": "Exam", "min_count": 1, "drop_count": 0, "weight": 0.5, "short_label": "Ex"},
    ],
    "GRADE_CUTOFFS": {"Pass": 0.5},
}


@pytest.fixture
def course():
    blocks = {}
    for name, (category, children, settings, content_max) in SPEC.items():
        groups = {0: key("vertical", "A"), 1: key("vertical", "B")} if category == "split_test" else None
        blocks[key(category, name)] = tree_block(
            usage_key=key(category, name),
            category=category,
            children=[key(SPEC[c][0], c) for c in children],
            settings=settings,
            max_score=content_max,
            group_children=groups,
        )
    tree = CourseTree(course_key=COURSE, root=key("course", "course"), blocks=blocks)
    save_content(course_id=COURSE, tree=tree, source="test.tar.gz")
    save_grading_policy(course_id=COURSE, text=json.dumps(POLICY), source="test")


def learner(**tags):
    user = UserFactory()
    CourseEnrollmentFactory(user=user, course_id=COURSE)
    for partition, group in tags.items():
        UserCourseTagFactory(
            user=user,
            course_id=COURSE,
            key=f"xblock.partition_service.partition_{partition[1:]}",
            value=str(group),
        )
    return user


def module(user, name, grade, max_grade, created, category="problem"):
    return StudentModuleFactory(
        student=user,
        course_id=COURSE,
        module_type=category,
        block_id=name,
        grade=grade,
        max_grade=max_grade,
        created=at(created),
    )


def ora_score(user, earned, possible, created):
    item = StudentItemFactory(user=user, course_id=COURSE, block_id="p4")
    return ScoreFactory(
        submission__student_item=item, points_earned=earned, points_possible=possible, created_at=at(created)
    )


def worked(user):
    module(user, "p1", 1.0, 2.0, "2016-03-01T10:00")
    module(user, "p2", 3.5, 5.0, "2016-03-02T09:30")
    module(user, "p5", None, None, "2016-02-28T00:00")
    ora_score(user, 6, 8, "2016-03-05T12:00")


def row(user, name):
    return PersistentSubsectionGrade.objects.get(user_id=user.id, usage_key=key("sequential", name))


def test_missing_grades_are_written_as_the_lms_writes_them(course):
    user = learner(p3=1)
    worked(user)
    module(user, "qb", 1.0, 1.0, "2016-04-01T00:00")
    result = recompute_from_scores(course_id=COURSE)
    assert (result.learners, result.computed, result.new) == (1, 2, 2)
    homework = row(user, "S")
    assert (homework.earned_all, homework.possible_all) == (11.5, 20.0)
    assert (homework.earned_graded, homework.possible_graded) == (11.5, 19.0)
    assert homework.first_attempted == at("2016-03-01T10:00")
    assert homework.visible_blocks_id == "ZK43W9fl2Sxaj8oUmJofKyfyfU4="
    assert VisibleBlocks.objects.get(hashed=homework.visible_blocks_id).course_id is not None
    assert homework.course_version == ""
    assert homework.subtree_edited_timestamp is None
    exam = row(user, "T")  # group 1 of partition 3: branch B, weight 3
    assert (exam.earned_all, exam.possible_all) == (3.0, 3.0)
    grade = PersistentCourseGrade.objects.get(user_id=user.id, course_id=COURSE)
    # Homework 11.5/19 = 0.6053 (4 dp), exam 1.0; each half the grade.
    assert grade.percent_grade == pytest.approx(0.80, abs=0.005)
    assert grade.letter_grade == "Pass"


def test_a_learner_who_attempted_nothing_gets_no_subsection_rows_but_a_course_grade(course):
    user = learner()
    module(user, "p5", None, None, "2016-02-28T00:00")
    result = recompute_from_scores(course_id=COURSE)
    assert result.new == 0
    assert not PersistentSubsectionGrade.objects.filter(user_id=user.id).exists()
    assert PersistentCourseGrade.objects.get(user_id=user.id, course_id=COURSE).percent_grade == 0.0


def test_stored_rows_are_compared_and_left_alone_unless_all_learners(course):
    user = learner(p3=0)
    worked(user)
    PersistentSubsectionGradeFactory(
        user_id=user.id,
        course_id=COURSE,
        usage_key=key("sequential", "S"),
        earned_all=10.0,
        possible_all=20.0,
        earned_graded=10.0,
        possible_graded=19.0,
        first_attempted=at("2016-01-15T00:00"),
    )
    result = recompute_from_scores(course_id=COURSE)
    assert (result.compared, result.agreed, result.new) == (1, 0, 0)
    (difference,) = result.largest
    assert difference.stored == (10.0, 20.0, 10.0, 19.0)
    assert difference.computed == (11.5, 20.0, 11.5, 19.0)
    assert row(user, "S").earned_all == 10.0  # left alone

    rebuilt = recompute_from_scores(course_id=COURSE, all_learners=True)
    assert rebuilt.changed == 1
    stored = row(user, "S")
    assert stored.earned_all == 11.5
    assert stored.first_attempted == at("2016-01-15T00:00")  # write-once, as the LMS keeps it
    again = recompute_from_scores(course_id=COURSE, all_learners=True)
    assert (again.changed, again.unchanged, again.agreed, again.compared) == (0, 1, 1, 1)


def test_staff_see_staff_only_blocks_and_every_split_branch(course):
    user = learner()
    CourseAccessRole.objects.create(user=user, course_id=COURSE, org="DemoX", role="staff")
    module(user, "p1", 2.0, 2.0, "2016-03-01T10:00")
    module(user, "qa", 1.0, 1.0, "2016-03-01T10:00")
    recompute_from_scores(course_id=COURSE)
    assert row(user, "S").possible_all == 23.0  # p6 (1) counts, ORA unattempted: 10
    assert row(user, "T").possible_all == 4.0  # both branches


def test_a_split_test_without_the_learners_group_is_flagged(course):
    """The LMS would pick a group at random when grading: the package cannot say which."""
    user = learner()
    module(user, "qa", 1.0, 1.0, "2016-03-01T10:00")
    exam = learner_scores(course_id=COURSE, user_id=user.id)[1]
    assert exam.uncertain
    assert exam.problems == ()
    assert recompute_from_scores(course_id=COURSE).new == 0  # no branch, so no attempt: no row


def test_a_reset_ora_score_falls_back_to_the_content(course):
    user = learner(p3=0)
    module(user, "p1", 1.0, 2.0, "2016-03-01T10:00")
    ora_score(user, 6, 8, "2016-03-05T12:00")
    item = StudentItemFactory(user=user, course_id=COURSE, block_id="p4")
    ScoreFactory(
        submission__student_item=item,
        points_earned=0,
        points_possible=0,
        reset=True,
        created_at=at("2016-04-01"),
    )
    recompute_from_scores(course_id=COURSE)
    assert row(user, "S").possible_all == 22.0  # ORA unattempted: its weight, 10


def test_a_chosen_learner_is_graded_from_their_own_ora_score_alone(course):
    chosen, other = learner(p3=0), learner(p3=0)
    worked(chosen)
    module(other, "p1", 2.0, 2.0, "2016-03-01T10:00")
    ora_score(other, 8, 8, "2016-03-05T12:00")
    with CaptureQueriesContext(connection) as queries:
        result = recompute_from_scores(course_id=COURSE, user_ids=[chosen.id])
    assert result.learners == 1
    # p1 1/2 of weight 4 (2.0) + p2 3.5 + the chosen learner's ORA score, 6 (the other's, 8,
    # would make it 13.5).
    assert row(chosen, "S").earned_all == 11.5
    assert not PersistentSubsectionGrade.objects.filter(user_id=other.id).exists()
    # Only the chosen learner's scores are read: the other's anonymous id is in no query.
    other_anonymous = AnonymousUserId.objects.get(user_id=other.id, course_id=COURSE).anonymous_user_id
    assert not [q["sql"] for q in queries.captured_queries if other_anonymous in q["sql"]]
    assert any(
        chosen_id in q["sql"]
        for q in queries.captured_queries
        for chosen_id in AnonymousUserId.objects.filter(user_id=chosen.id).values_list(
            "anonymous_user_id", flat=True
        )
    )


def test_dry_run_writes_nothing(course):
    user = learner(p3=0)
    worked(user)
    result = recompute_from_scores(course_id=COURSE, dry_run=True)
    assert result.new == 1
    assert not PersistentSubsectionGrade.objects.exists()
    assert not VisibleBlocks.objects.exists()


def test_learner_scores_give_each_problems_source(course):
    user = learner(p3=0)
    worked(user)
    homework = learner_scores(course_id=COURSE, user_id=user.id)[0]
    assert [(p.usage_key.rsplit("@", 1)[1], p.source) for p in homework.problems] == [
        ("p1", "studentmodule"),
        ("p2", "studentmodule"),
        ("p3", "unattempted"),
        ("p4", "submission"),
        ("p5", "unattempted"),
    ]


def test_the_stored_tree_reads_back_as_it_was_saved(course):
    tree = course_tree(course_id=COURSE)
    split = tree[key("split_test", "split")]
    assert split.group_id_to_child == {0: key("vertical", "A"), 1: key("vertical", "B")}
    assert tree[key("problem", "p6")].visible_to_staff_only is True
    assert tree[key("problem", "p1")].weight == 4.0
    assert tree[key("problem", "p1")].max_score == 2.0
    assert tree.inherited_graded() == {key("sequential", "S"): True, key("sequential", "T"): True}


def test_the_command_reports_agreement_and_refuses_all_learners_alone(course):
    user = learner(p3=0)
    worked(user)
    call_command("recompute_grades", "--course", COURSE, "--from-scores", verbosity=0)
    out = StringIO()
    call_command("recompute_grades", "--course", COURSE, "--from-scores", "--diff", stdout=out)
    text = out.getvalue()
    assert "agreement with stored subsection grades: 1 of 1 (100.00%)" in text
    assert "0 new, 0 changed, 1 unchanged course grades" in text
    with pytest.raises(CommandError, match="--from-scores"):
        call_command("recompute_grades", "--course", COURSE, "--all-learners")


def test_a_course_without_content_is_a_clear_error():
    save_grading_policy(course_id="course-v1:No+Content+Run", text=json.dumps(POLICY), source="test")
    with pytest.raises(CommandError, match="no course content to grade from"):
        call_command("recompute_grades", "--course", "course-v1:No+Content+Run", "--from-scores")
