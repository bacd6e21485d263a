"""Subsection grades from problem scores, exactly as the LMS computes a persistent subsection grade.

For one learner and one subsection (a sequential) the LMS walks the learner's view of the course
(post order, through container blocks, each block once), scores each scored block from the first
source that answers, and sums:

1. the latest edx-submissions score (ORA, SGA), unless hidden (``points_possible`` 0, a reset):
   earned and possible as stored, the block's ``weight`` not applied, raw possible unknown;
2. the ``courseware_studentmodule`` row, when its ``max_grade`` is set: raw ``(grade or 0,
   max_grade)``; attempted only if ``grade`` is set;
3. otherwise 0 out of the content's maximum score; a block without one is left out.

Raw scores are weighted ``(earned * weight / possible, weight)`` unless the weight is unset or the
raw possible is 0, and nothing is rounded. A block counts as graded when its possible is above 0
and its own ``graded`` (or the nearest set one of its containers below the sequential) is not
false. ``first_attempted`` is the earliest attempt. The visible-blocks record lists each scored
block's ``(locator, weight, raw_possible, graded)`` in walk order, hashed as the LMS hashes it.

The learner's view: staff see everything but a library's unselected blocks; others lose
unreleased blocks (``start`` after the time of computation, the course's default start being
2030), staff-only blocks, and a split test's branches of other groups. A library_content block
keeps the learner's stored selection, in its order. Where the package cannot say what the LMS
chose at random (a split test the learner has no group for, a library with no or a short
selection), the result is marked ``uncertain``.

Pure: no Django import. Per-learner work is a dictionary look-up per scored block: the walk, the
weights and each distinct visible-blocks record are computed once per view of the course.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from .package.course.tree import DEFAULT_START, CourseTree, TreeBlock
from .visible_blocks import blocks_hash, blocks_json

SUBMISSION, STUDENTMODULE, UNATTEMPTED = "submission", "studentmodule", "unattempted"
#: Types whose scores live in edx-submissions (the LMS asks every block; only these store there).
SUBMISSION_TYPES = frozenset({"openassessment", "edx_sga", "staffgradedxblock"})


class ModuleScore(NamedTuple):
    """A ``courseware_studentmodule`` row's score: ``grade``, ``max_grade`` and ``created``."""

    grade: float | None
    max_grade: float | None
    created: datetime.datetime | None


class SubmissionScore(NamedTuple):
    """The latest edx-submissions score of an item: points earned and possible, when created."""

    points_earned: int | float
    points_possible: int | float
    created_at: datetime.datetime | None


@dataclass(frozen=True)
class Learner:
    """What decides a learner's view of the course, and the learner's scores.

    ``groups``: partition id -> group id (``user_api_usercoursetag``
    ``xblock.partition_service.partition_{id}``); ``selections``: a library_content block's
    usage key -> its stored ``selected`` list of ``[block_type, block_id]``; ``modules`` and
    ``submissions``: scores by usage key.
    """

    modules: Mapping[str, ModuleScore] = field(default_factory=dict)
    submissions: Mapping[str, SubmissionScore] = field(default_factory=dict)
    staff: bool = False
    groups: Mapping[int, int] = field(default_factory=dict)
    selections: Mapping[str, Sequence[Sequence[str]]] = field(default_factory=dict)


class ProblemScore(NamedTuple):
    """One scored block's part of a subsection grade, and where its score came from."""

    usage_key: str
    earned: float
    possible: float
    raw_earned: float | None
    raw_possible: float | None
    weight: float | int | None
    graded: bool
    first_attempted: datetime.datetime | None
    source: str


@dataclass(frozen=True)
class SubsectionScore:
    """A learner's ``grades_persistentsubsectiongrade`` row for one subsection, before it is stored."""

    usage_key: str
    earned_all: float
    possible_all: float
    earned_graded: float
    possible_graded: float
    first_attempted: datetime.datetime | None
    blocks_json: str
    visible_blocks_hash: str
    problems: tuple[ProblemScore, ...]
    uncertain: bool = False

    @property
    def attempted(self) -> bool:
        """Whether the LMS would store the row (it stores attempted subsections only)."""
        return self.first_attempted is not None


def weighted_score(raw_earned: float, raw_possible: float, weight: float | None) -> tuple[float, float]:
    """The LMS's ``weighted_score``: scaled to the weight unless it is unset or nothing is possible."""
    if weight is None or raw_possible == 0:
        return raw_earned, raw_possible
    return float(raw_earned) * weight / raw_possible, float(weight)


class _Scored(NamedTuple):
    """A scored block as a view of the course gives it: what scoring it needs."""

    usage_key: str
    weight: float | int | None
    content_max: float | None
    explicit_graded: bool  # its own or inherited graded is not False
    submissions: bool  # its type stores scores in edx-submissions


@dataclass
class _Plan:
    """One view's scored blocks of one subsection, and its visible-blocks records by their parts."""

    usage_key: str
    blocks: tuple[_Scored, ...]
    uncertain: bool
    records: dict[tuple, tuple[str, str]] = field(default_factory=dict)


def _merged_access(tree: CourseTree) -> dict[str, tuple[datetime.datetime, bool, dict[int, frozenset[int]]]]:
    """Per block reached from the course: merged start, staff only, and group access.

    Along the first path that reaches a block (a course is a tree but for test DAGs): start is the
    latest of the block's own and its parent's, staff-only is OR-ed down, and group access is the
    intersection of each partition's groups along the path.
    """
    merged: dict[str, tuple[datetime.datetime, bool, dict[int, frozenset[int]]]] = {}
    root = tree[tree.root]
    stack = [(root, root.start or DEFAULT_START, bool(root.visible_to_staff_only), _groups(root, {}))]
    while stack:
        block, start, staff_only, access = stack.pop()
        if block.usage_key in merged:
            continue
        merged[block.usage_key] = (start, staff_only, access)
        for key in reversed(block.children):
            child = tree.blocks.get(key)
            if child is None or key in merged:
                continue
            child_start = max(start, child.start) if child.start is not None else start
            stack.append(
                (child, child_start, staff_only or bool(child.visible_to_staff_only), _groups(child, access))
            )
    return merged


def _groups(block: TreeBlock, above: dict[int, frozenset[int]]) -> dict[int, frozenset[int]]:
    if not block.group_access:
        return above
    access = dict(above)
    for partition, groups in block.group_access.items():
        if not groups:  # an empty list restricts nothing
            continue
        access[partition] = (
            access[partition] & frozenset(groups) if partition in access else frozenset(groups)
        )
    return access


def _explicit_graded(tree: CourseTree) -> dict[str, bool | None]:
    """Each block's ``explicit_graded``: its own, else its nearest container's below the sequential."""
    result: dict[str, bool | None] = {}
    stack = [(tree.root, None)]
    while stack:
        key, above = stack.pop()
        block = tree.blocks.get(key)
        if block is None or key in result:
            continue
        if block.category in ("course", "chapter", "sequential"):
            value = None
        else:
            value = block.graded if block.graded is not None else above
        result[key] = value
        stack.extend((child, value) for child in reversed(block.children))
    return result


class SubsectionGrader:
    """Grades learners' subsections in one course tree, as of ``now``."""

    def __init__(self, tree: CourseTree, *, now: datetime.datetime) -> None:
        self.tree, self.now = tree, now
        self.subsections = [block.usage_key for block in tree.subsections()]
        self._access = _merged_access(tree)
        self._explicit = _explicit_graded(tree)
        self._plans: dict[tuple, list[_Plan]] = {}
        # What of a learner can change the view: the partitions the course restricts by, and
        # its libraries.
        self._partitions = frozenset(
            {b.user_partition_id for b in tree.blocks.values() if b.user_partition_id is not None}
            | {p for b in tree.blocks.values() for p in b.group_access}
        )
        self._libraries = [k for k, b in tree.blocks.items() if b.category in ("library_content", "itembank")]

    # -- the learner's view ----------------------------------------------------------------------

    def _view_key(self, learner: Learner) -> tuple:
        """What about the learner changes the view; learners with the same key share the plans."""
        return (
            learner.staff,
            tuple(sorted((p, g) for p, g in learner.groups.items() if p in self._partitions)),
            tuple(
                (key, tuple(map(tuple, learner.selections[key])))
                for key in self._libraries
                if key in learner.selections
            ),
        )

    def plans(self, learner: Learner) -> list[_Plan]:
        """The scored blocks of each subsection in the learner's view (cached per view)."""
        view = self._view_key(learner)
        plans = self._plans.get(view)
        if plans is None:
            plans = [self._plan(key, learner) for key in self.subsections]
            self._plans[view] = plans
        return plans

    def _can_see(self, key: str, learner: Learner) -> bool:
        start, staff_only, access = self._access.get(key, (DEFAULT_START, False, {}))
        if learner.staff:
            return True
        if staff_only or self.now <= start:
            return False
        for partition, groups in access.items():
            group = learner.groups.get(partition)
            # A partition the package has no group for (cohorts, enrollment tracks) cannot be
            # checked: the block is kept.
            if group is not None and group not in groups:
                return False
        return True

    def _children(self, block: TreeBlock, learner: Learner) -> tuple[list[str], bool]:
        """The children the learner's view keeps, and whether the LMS would have chosen at random."""
        if block.category == "split_test" and not learner.staff and block.user_partition_id is not None:
            group = learner.groups.get(block.user_partition_id)
            chosen = {child for g, child in block.group_id_to_child.items() if g == group}
            grouped = set(block.group_id_to_child.values())
            kept = [child for child in block.children if child in chosen or child not in grouped]
            return kept, group is None
        if block.category in ("library_content", "itembank"):
            by_id = {}
            for child in block.children:
                child_block = self.tree.blocks.get(child)
                if child_block is not None:
                    by_id[(child_block.category, _block_id(child))] = child
            selected = learner.selections.get(block.usage_key) or ()
            kept = []
            for entry in selected:
                key = by_id.get((str(entry[0]), str(entry[1]))) if len(entry) == 2 else None
                if key is not None and key not in kept:
                    kept.append(key)
            wanted = len(block.children) if block.max_count < 0 else min(block.max_count, len(block.children))
            if len(kept) > wanted:
                kept = kept[:wanted]
            return kept, len(kept) < wanted
        return list(block.children), False

    def _plan(self, subsection: str, learner: Learner) -> _Plan:
        """Post-order walk of the subsection through containers, keeping what the learner sees."""
        tree, scored, uncertain = self.tree, [], False
        done: set[str] = set()
        root = tree.blocks[subsection]
        if not self._can_see(subsection, learner):
            return _Plan(subsection, (), False)
        stack: list[tuple[TreeBlock, list[str] | None]] = [(root, None)]
        while stack:
            block, pending = stack[-1]
            if pending is None:
                kids, random = self._children(block, learner)
                uncertain |= random
                pending = [k for k in reversed(kids)]
                stack[-1] = (block, pending)
            if pending:
                key = pending.pop()
                child = tree.blocks.get(key)
                if (
                    child is not None
                    and key not in done
                    and child.possibly_scored
                    and self._can_see(key, learner)
                    and all(key != entry[0].usage_key for entry in stack)
                ):
                    stack.append((child, None))
                continue
            stack.pop()
            if block.usage_key in done:
                continue
            done.add(block.usage_key)
            if block.has_score:
                scored.append(
                    _Scored(
                        block.usage_key,
                        block.weight,
                        block.max_score,
                        self._explicit.get(block.usage_key) is not False,
                        block.category in SUBMISSION_TYPES,
                    )
                )
        return _Plan(subsection, tuple(scored), uncertain)

    # -- scoring ----------------------------------------------------------------------------------

    def grade(self, learner: Learner) -> list[SubsectionScore]:
        """The learner's grade in every subsection of the course, in course order."""
        return [self.grade_plan(plan, learner) for plan in self.plans(learner)]

    def grade_plan(self, plan: _Plan, learner: Learner) -> SubsectionScore:
        modules, submissions = learner.modules, learner.submissions
        problems = []
        for block in plan.blocks:
            key, weight = block.usage_key, block.weight
            submission = submissions.get(key) if submissions else None
            if submission is not None and submission.points_possible != 0:  # 0 possible: hidden (reset)
                earned, possible = float(submission.points_earned), float(submission.points_possible)
                problems.append(
                    ProblemScore(
                        key,
                        earned,
                        possible,
                        None,
                        None,
                        weight,
                        possible > 0 and block.explicit_graded,
                        submission.created_at,
                        SUBMISSION,
                    )
                )
                continue
            module = modules.get(key)
            if module is not None and module.max_grade is not None:
                raw_earned, raw_possible = float(module.grade or 0.0), float(module.max_grade)
                attempted = module.created if module.grade is not None else None
                source = STUDENTMODULE
            elif block.content_max is not None:
                raw_earned, raw_possible, attempted, source = 0.0, float(block.content_max), None, UNATTEMPTED
            else:
                continue  # no maximum score: the LMS leaves the block out
            earned, possible = weighted_score(raw_earned, raw_possible, weight)
            problems.append(
                ProblemScore(
                    key,
                    float(earned),
                    float(possible),
                    raw_earned,
                    raw_possible,
                    weight,
                    possible > 0 and block.explicit_graded,
                    attempted,
                    source,
                )
            )
        return self._row(plan, problems)

    def _row(self, plan: _Plan, problems: list[ProblemScore]) -> SubsectionScore:
        attempts = [p.first_attempted for p in problems if p.first_attempted is not None]
        parts = tuple((p.usage_key, p.raw_possible, p.graded) for p in problems)
        record = plan.records.get(parts)
        if record is None:
            value = blocks_json(
                course_key=self.tree.course_key,
                blocks=[
                    {
                        "locator": p.usage_key,
                        "weight": p.weight,
                        "raw_possible": p.raw_possible,
                        "graded": p.graded,
                    }
                    for p in problems
                ],
            )
            record = plan.records[parts] = (value, blocks_hash(value))
        return SubsectionScore(
            usage_key=plan.usage_key,
            earned_all=float(sum(p.earned for p in problems)),
            possible_all=float(sum(p.possible for p in problems)),
            earned_graded=float(sum(p.earned for p in problems if p.graded)),
            possible_graded=float(sum(p.possible for p in problems if p.graded)),
            first_attempted=min(attempts) if attempts else None,
            blocks_json=record[0],
            visible_blocks_hash=record[1],
            problems=tuple(problems),
            uncertain=plan.uncertain,
        )


def _block_id(usage_key: str) -> str:
    """The block id at the end of a usage key, in either format."""
    if "block@" in usage_key:
        return usage_key.rsplit("block@", 1)[1]
    return usage_key.rstrip("/").rsplit("/", 1)[-1]


def grade_subsection(
    tree: CourseTree, subsection: str, learner: Learner, *, now: datetime.datetime
) -> SubsectionScore:
    """One learner's grade in one subsection (see :class:`SubsectionGrader` to grade many)."""
    grader = SubsectionGrader(tree, now=now)
    plan = grader.plans(learner)[grader.subsections.index(subsection)]
    return grader.grade_plan(plan, learner)
