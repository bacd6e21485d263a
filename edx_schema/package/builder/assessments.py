"""ORA's assessments, workflows and scores under ``ora/``, of the submissions :mod:`.ora` writes.

The essay is a problem with three steps: student training on two example answers, one peer
assessment (each essayist assesses the next one's essay, the last the first's) and a self
assessment. Its rubric has two criteria whose points add up to the essay's points possible;
the peer assessment chose the options that give the essay its score. Learners who had a peer
give feedback on it now and then.

An essay is scored (``submissions_score``) when its workflow is done: peer and self assessed,
and its author has assessed a peer (so a course's only essayist, who has no peer, has no score).
A staff member regrades every third scored essay two days later (a staff assessment, ``ST``):
its second score, with a greater id, is the latest, and the one the LMS grades with, whether or
not it is the highest.

The rubric, its criteria and options, the feedback options and the training examples are global
rows: the same ids recur in every course's files, as they do in real packages. The ORA tables
name a submission by the submissions API's uuid, the hyphenated form, where submissions_submission
holds 32 hex digits: the join has to normalise, as on edX's database.

Ids derive from the essayist's row id (``CourseRun.row_id``), so that they are unique across the
package and stable from week to week. A peer workflow's id is that of the peer assessment of its
own submission: the exporter's peerworkflowitem query compares ``assessment_id`` with peer
workflow ids, and with these ids it selects exactly the course's scored items. A staff regrade's
assessment and score ids are above every row id (:data:`STAFF_IDS`), as later rows' ids are.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from .ora import (
    POINTS_POSSIBLE,
    essay_key,
    essayists,
    points_earned,
    submission_uuid,
    submissions_studentitem,
    submissions_submission,
    submitted_at,
)
from .output import Table
from .roles import UNENROLLED_STAFF_ID
from .rows import (
    AssessmentFeedbackAssessmentRow,
    AssessmentFeedbackOptionLinkRow,
    AssessmentFeedbackOptionRow,
    AssessmentFeedbackRow,
    AssessmentPartRow,
    AssessmentRow,
    AssessmentWorkflowRow,
    AssessmentWorkflowStepRow,
    CriterionOptionRow,
    CriterionRow,
    PeerWorkflowItemRow,
    PeerWorkflowRow,
    RubricRow,
    ScoreRow,
    ScoreSummaryRow,
    StudentTrainingWorkflowItemRow,
    StudentTrainingWorkflowRow,
    TrainingExampleOptionRow,
    TrainingExampleRow,
)
from .spec import CourseRun, Learner, anonymous_id, later, uuid4_hex


class Option(NamedTuple):
    """One option of a rubric criterion (assessment_criterionoption)."""

    id: int
    name: str
    label: str
    points: int
    explanation: str


class Criterion(NamedTuple):
    """One criterion of the rubric (assessment_criterion) and its options, fewest points first."""

    id: int
    name: str
    label: str
    prompt: str
    options: tuple[Option, ...]


#: The id of the essay's rubric.
RUBRIC_ID = 1
#: The essay's rubric: its most points add up to the essay's points possible.
RUBRIC: tuple[Criterion, ...] = (
    Criterion(
        1,
        "ideas",
        "Ideas",
        "Determine if there is a unifying theme or main idea.",
        (
            Option(1, "poor", "Poor", 0, "Difficult for the reader to discern the main idea."),
            Option(2, "fair", "Fair", 1, "Presents a main idea, with minor tangents."),
            Option(3, "good", "Good", 2, "Presents a main idea\nwithout going off on tangents."),
        ),
    ),
    Criterion(
        2,
        "content",
        "Content",
        "Assess the content of the submission.",
        (
            Option(4, "incomplete", "Incomplete", 0, 'Leaves out the "why" and the \\how\\.'),
            Option(5, "complete", "Complete", 1, ""),
        ),
    ),
)

#: The sentences a learner can tick when giving feedback on their assessments (ORA's own).
FEEDBACK_OPTIONS: tuple[tuple[int, str], ...] = (
    (1, "These assessments were useful."),
    (2, "These assessments were not useful."),
    (3, "I disagree with one or more of the peer assessments of my response."),
    (4, "Some comments I received were inappropriate."),
)

#: The student-training step's example answers: id, answer and the option chosen per criterion.
TRAINING_EXAMPLES: tuple[tuple[int, str, tuple[int, ...]], ...] = (
    (1, "Recursion is a function calling itself until a base case stops it.", (3, 5)),
    (2, "I like turtles.", (1, 4)),
)

#: The essay's workflow steps, in order.
STEPS: tuple[str, ...] = ("training", "peer", "self")
#: Added to an essay's row id for the ids of its staff regrade's score (and, doubled, its
#: assessment): above every row id, as the ids of rows written later are.
STAFF_IDS = 10**9
#: Hours from an essay's score to its staff regrade, and from its submission to its self assessment.
_REGRADE_HOURS = 50
_SELF_HOURS = 6


class Score(NamedTuple):
    """One submissions_score row of an essay: its id, points earned and possible, when made."""

    id: int
    points: int
    created: str
    possible: int = POINTS_POSSIBLE


def _sha1(value: object) -> str:
    """The 40-hex-digit hash ORA keys its global rows by (here of a JSON rendering)."""
    return hashlib.sha1(json.dumps(value, sort_keys=True).encode()).hexdigest()


def api_uuid(hex_uuid: str) -> str:
    """A submission uuid as the submissions API returns it, and ORA stores it: with hyphens."""
    return str(uuid.UUID(hex_uuid))


def options_for(points: int) -> tuple[Option, ...]:
    """The option per criterion that an assessment giving ``points`` chose: the most it can, in order."""
    chosen = []
    for criterion in RUBRIC:
        option = max((o for o in criterion.options if o.points <= points), key=lambda o: o.points)
        chosen.append(option)
        points -= option.points
    return tuple(chosen)


@dataclass(frozen=True, slots=True)
class Essay:
    """One essayist's submission, who assessed it, whose essay its author assessed, and when."""

    author: Learner
    row_id: int
    uuid: str  # the hyphenated form
    points: int
    submitted: str
    assessor: Learner | None  # the essayist who assessed it (None: the course's only essayist)
    peer_assessed: str | None  # when the assessor assessed it
    assessed_peer: str | None  # when the author finished assessing another essay
    scored: str | None  # when it got its score: when its workflow was done (None: it is not)
    staff_assessed: str | None  # when staff regraded it (None: they did not)

    @property
    def peer_assessment_id(self) -> int:
        return 2 * self.row_id

    @property
    def self_assessment_id(self) -> int:
        return 2 * self.row_id + 1

    @property
    def self_assessed(self) -> str:
        return later(self.submitted, hours=_SELF_HOURS)

    def trained(self, example: int) -> tuple[str, str]:
        """When the author started and finished assessing the ``example``-th training example."""
        started = later(self.submitted, hours=1 + example)
        return started, later(started, seconds=600)

    @property
    def gives_feedback(self) -> bool:
        """Whether the author gave feedback on the peer assessment they received."""
        return self.assessor is not None and self.author.id % 3 == 0

    @property
    def feedback_options(self) -> tuple[int, ...]:
        """The feedback options the author ticked: useful if they scored well, else not."""
        return (1,) if self.points >= 2 else (2, 3)

    @property
    def staff_points(self) -> int:
        """The points of a staff regrade: never the peer's, at times fewer."""
        return (self.points + 2) % (POINTS_POSSIBLE + 1)

    @property
    def staff_assessment_id(self) -> int:
        return STAFF_IDS + 2 * self.row_id

    @property
    def scores(self) -> tuple[Score, ...]:
        """Its submissions_score rows, oldest (smallest id) first: none until it is scored."""
        scored = self.scored
        if scored is None:
            return ()
        first = Score(self.row_id, self.points, scored)
        regraded = self.staff_assessed
        if regraded is None:
            return (first,)
        return first, Score(STAFF_IDS + self.row_id, self.staff_points, regraded)


def peer_workflow_id(run: CourseRun, learner: Learner) -> int:
    """The id of an essayist's peer workflow: that of the peer assessment of their essay."""
    return 2 * run.row_id(learner)


def course_essays(run: CourseRun) -> list[Essay]:
    """The course's essays, in essayist order; each is assessed by the next essayist (in a ring).

    Computed once per course for the 18 members that need them (one small object per essayist,
    like the learners themselves), not once per member.
    """
    authors = essayists(run)
    times = [submitted_at(run, author) for author in authors]
    essays = []
    for position, author in enumerate(authors):
        submitted = times[position]
        scored = staff_assessed = None
        assessor = peer_assessed = assessed_peer = None
        if len(authors) > 1:  # a ring: the workflow is done when all three steps are
            assessor = authors[(position + 1) % len(authors)]
            peer_assessed = _peer_time(submitted, times[(position + 1) % len(authors)])
            assessed_peer = _peer_time(submitted, times[position - 1])
            scored = max(peer_assessed, assessed_peer, later(submitted, hours=_SELF_HOURS))
            if position % 3 == 1:
                staff_assessed = later(scored, hours=_REGRADE_HOURS)
        essays.append(
            Essay(
                author=author,
                row_id=run.row_id(author),
                uuid=api_uuid(submission_uuid(run, author)),
                points=points_earned(author),
                submitted=submitted,
                assessor=assessor,
                peer_assessed=peer_assessed,
                assessed_peer=assessed_peer,
                scored=scored,
                staff_assessed=staff_assessed,
            )
        )
    return essays


def _peer_time(first: str, second: str) -> str:
    """When a peer assessment between two essayists was made: 5 hours after both had submitted."""
    return later(max(first, second), hours=5)


def latest_scores(essays: Sequence[Essay]) -> dict[int, Score]:
    """Each scored essayist's latest score (the greatest id), by user id: what the LMS grades."""
    return {e.author.id: e.scores[-1] for e in essays if e.scores}


def ora_tables(run: CourseRun, essays: Sequence[Essay]) -> list[Table]:
    """Every ORA member of the course, the exporter's 21: submissions, assessments, workflows."""
    return [
        submissions_studentitem(run),
        submissions_submission(run),
        submissions_score(run, essays),
        submissions_scoresummary(run, essays),
        assessment_rubric(run, essays),
        assessment_criterion(run, essays),
        assessment_criterionoption(run, essays),
        assessment_assessment(run, essays),
        assessment_assessmentpart(run, essays),
        assessment_assessmentfeedback(run, essays),
        assessment_assessmentfeedback_assessments(run, essays),
        assessment_assessmentfeedback_options(run, essays),
        assessment_assessmentfeedbackoption(run, essays),
        assessment_peerworkflow(run, essays),
        assessment_peerworkflowitem(run, essays),
        assessment_studenttrainingworkflow(run, essays),
        assessment_studenttrainingworkflowitem(run, essays),
        assessment_trainingexample(run, essays),
        assessment_trainingexample_options_selected(run, essays),
        workflow_assessmentworkflow(run, essays),
        workflow_assessmentworkflowstep(run, essays),
    ]


def _ora(name: str, header: tuple[str, ...], rows: Iterable[tuple[object, ...]]) -> Table:
    return Table(name, header, rows, folder="ora")


def submissions_score(run: CourseRun, essays: Sequence[Essay]) -> Table:
    """Each scored essay's scores, out of the rubric's points: the workflow's, then any regrade."""
    rows = (
        ScoreRow(
            id=score.id,
            student_item_id=e.row_id,
            submission_id=e.row_id,
            points_earned=score.points,
            points_possible=score.possible,
            created_at=score.created,
            reset=0,
        )
        for e in essays
        for score in e.scores
    )
    return _ora("submissions_score", ScoreRow._fields, rows)


def submissions_scoresummary(run: CourseRun, essays: Sequence[Essay]) -> Table:
    """Each scored essayist's student item's highest and latest score."""
    rows = (
        ScoreSummaryRow(
            id=e.row_id,
            student_item_id=e.row_id,
            highest_id=max(e.scores, key=lambda score: score.points).id,
            latest_id=e.scores[-1].id,
        )
        for e in essays
        if e.scores
    )
    return _ora("submissions_scoresummary", ScoreSummaryRow._fields, rows)


def assessment_rubric(run: CourseRun, essays: Sequence[Essay]) -> Table:
    """The essay's rubric, hashed by its content and by its structure (names and points)."""
    content = [[c.name, c.prompt, [[o.name, o.points, o.explanation] for o in c.options]] for c in RUBRIC]
    structure = [[c.name, [[o.name, o.points] for o in c.options]] for c in RUBRIC]
    rows = [RubricRow(id=RUBRIC_ID, content_hash=_sha1(content), structure_hash=_sha1(structure))]
    return _ora("assessment_rubric", RubricRow._fields, rows if essays else ())


def assessment_criterion(run: CourseRun, essays: Sequence[Essay]) -> Table:
    """The rubric's criteria."""
    rows = [
        CriterionRow(
            id=c.id, rubric_id=RUBRIC_ID, name=c.name, order_num=order, prompt=c.prompt, label=c.label
        )
        for order, c in enumerate(RUBRIC)
    ]
    return _ora("assessment_criterion", CriterionRow._fields, rows if essays else ())


def assessment_criterionoption(run: CourseRun, essays: Sequence[Essay]) -> Table:
    """The criteria's options, with their points."""
    rows = [
        CriterionOptionRow(
            id=o.id,
            criterion_id=c.id,
            order_num=order,
            points=o.points,
            name=o.name,
            explanation=o.explanation,
            label=o.label,
        )
        for c in RUBRIC
        for order, o in enumerate(c.options)
    ]
    return _ora("assessment_criterionoption", CriterionOptionRow._fields, rows if essays else ())


def assessment_assessment(run: CourseRun, essays: Sequence[Essay]) -> Table:
    """Each essay's peer assessment (which gave its score) and its author's self assessment."""
    return _ora("assessment_assessment", AssessmentRow._fields, _assessments(run, essays))


def _assessments(run: CourseRun, essays: Sequence[Essay]) -> Iterator[AssessmentRow]:
    key = run.course.key
    for e in essays:
        if e.assessor is not None:
            yield AssessmentRow(
                id=e.peer_assessment_id,
                submission_uuid=e.uuid,
                rubric_id=RUBRIC_ID,
                scored_at=e.peer_assessed,
                scorer_id=anonymous_id(e.assessor.id, key),
                score_type="PE",
                feedback="Clear argument.\nCite your sources." if e.points < POINTS_POSSIBLE else "",
            )
        yield AssessmentRow(
            id=e.self_assessment_id,
            submission_uuid=e.uuid,
            rubric_id=RUBRIC_ID,
            scored_at=e.self_assessed,
            scorer_id=anonymous_id(e.author.id, key),
            score_type="SE",
            feedback="",
        )
        if e.staff_assessed is not None:
            yield AssessmentRow(
                id=e.staff_assessment_id,
                submission_uuid=e.uuid,
                rubric_id=RUBRIC_ID,
                scored_at=e.staff_assessed,
                scorer_id=anonymous_id(UNENROLLED_STAFF_ID, key),
                score_type="ST",
                feedback="Regraded by the course team.",
            )


def _self_points(essay: Essay) -> int:
    """The points an author gave their own essay: one more than their peer did, at most all."""
    return min(POINTS_POSSIBLE, essay.points + 1)


def assessment_assessmentpart(run: CourseRun, essays: Sequence[Essay]) -> Table:
    """Each assessment's chosen option per criterion; a peer explains one it marked down."""
    rows = (
        AssessmentPartRow(
            id=len(RUBRIC) * assessment_id + index,
            assessment_id=assessment_id,
            option_id=option.id,
            feedback="Too short\ttoo vague." if peer and option.points == 0 else "",
            criterion_id=criterion.id,
        )
        for e in essays
        for assessment_id, points, peer in (
            *(((e.peer_assessment_id, e.points, True),) if e.assessor is not None else ()),
            (e.self_assessment_id, _self_points(e), False),
            *(((e.staff_assessment_id, e.staff_points, False),) if e.staff_assessed is not None else ()),
        )
        for index, (criterion, option) in enumerate(zip(RUBRIC, options_for(points), strict=True))
    )
    return _ora("assessment_assessmentpart", AssessmentPartRow._fields, rows)


def _feedback(essays: Sequence[Essay]) -> Iterator[Essay]:
    """The essays whose authors gave feedback on their peer assessment."""
    return (e for e in essays if e.gives_feedback)


def assessment_assessmentfeedback(run: CourseRun, essays: Sequence[Essay]) -> Table:
    """Feedback an essayist gave on the peer assessment they received (free text)."""
    rows = (
        AssessmentFeedbackRow(
            id=e.row_id, submission_uuid=e.uuid, feedback_text="Thanks!\tFair grading.\nSee you in week 2."
        )
        for e in _feedback(essays)
    )
    return _ora("assessment_assessmentfeedback", AssessmentFeedbackRow._fields, rows)


def assessment_assessmentfeedback_assessments(run: CourseRun, essays: Sequence[Essay]) -> Table:
    """The assessment each feedback is about: the peer assessment."""
    rows = (
        AssessmentFeedbackAssessmentRow(
            id=e.row_id, assessmentfeedback_id=e.row_id, assessment_id=e.peer_assessment_id
        )
        for e in _feedback(essays)
    )
    return _ora("assessment_assessmentfeedback_assessments", AssessmentFeedbackAssessmentRow._fields, rows)


def assessment_assessmentfeedback_options(run: CourseRun, essays: Sequence[Essay]) -> Table:
    """The feedback options each feedback ticked."""
    rows = (
        AssessmentFeedbackOptionLinkRow(
            id=2 * e.row_id + index, assessmentfeedback_id=e.row_id, assessmentfeedbackoption_id=option
        )
        for e in _feedback(essays)
        for index, option in enumerate(e.feedback_options)
    )
    return _ora("assessment_assessmentfeedback_options", AssessmentFeedbackOptionLinkRow._fields, rows)


def assessment_assessmentfeedbackoption(run: CourseRun, essays: Sequence[Essay]) -> Table:
    """The feedback options the course's feedback ticked (the exporter selects only those)."""
    used = {option for e in _feedback(essays) for option in e.feedback_options}
    rows = [AssessmentFeedbackOptionRow(id=i, text=text) for i, text in FEEDBACK_OPTIONS if i in used]
    return _ora("assessment_assessmentfeedbackoption", AssessmentFeedbackOptionRow._fields, rows)


def assessment_peerworkflow(run: CourseRun, essays: Sequence[Essay]) -> Table:
    """Each essayist's peer workflow: done grading once they assessed a peer, graded once assessed."""
    key, item = run.course.key, essay_key(run)
    rows = (
        PeerWorkflowRow(
            id=peer_workflow_id(run, e.author),
            student_id=anonymous_id(e.author.id, key),
            item_id=item,
            course_id=key,
            submission_uuid=e.uuid,
            created_at=e.submitted,
            completed_at=e.assessed_peer,
            grading_completed_at=e.peer_assessed,
            cancelled_at=None,
        )
        for e in essays
    )
    return _ora("assessment_peerworkflow", PeerWorkflowRow._fields, rows)


def assessment_peerworkflowitem(run: CourseRun, essays: Sequence[Essay]) -> Table:
    """Each essay's one peer assessment, as its assessor's workflow took it on and scored it."""
    rows = (
        PeerWorkflowItemRow(
            id=e.row_id,
            scorer_id=peer_workflow_id(run, e.assessor),
            author_id=peer_workflow_id(run, e.author),
            submission_uuid=e.uuid,
            started_at=later(e.peer_assessed, hours=-1),
            assessment_id=e.peer_assessment_id,
            scored=1,
        )
        for e in essays
        if e.assessor is not None and e.peer_assessed is not None
    )
    return _ora("assessment_peerworkflowitem", PeerWorkflowItemRow._fields, rows)


def assessment_studenttrainingworkflow(run: CourseRun, essays: Sequence[Essay]) -> Table:
    """Each essayist's student-training workflow."""
    key, item = run.course.key, essay_key(run)
    rows = (
        StudentTrainingWorkflowRow(
            id=e.row_id,
            submission_uuid=e.uuid,
            student_id=anonymous_id(e.author.id, key),
            item_id=item,
            course_id=key,
        )
        for e in essays
    )
    return _ora("assessment_studenttrainingworkflow", StudentTrainingWorkflowRow._fields, rows)


def assessment_studenttrainingworkflowitem(run: CourseRun, essays: Sequence[Essay]) -> Table:
    """The training examples each essayist assessed, in order."""
    rows = (
        StudentTrainingWorkflowItemRow(
            id=2 * e.row_id + order,
            workflow_id=e.row_id,
            order_num=order,
            started_at=e.trained(order)[0],
            completed_at=e.trained(order)[1],
            training_example_id=example_id,
        )
        for e in essays
        for order, (example_id, _answer, _options) in enumerate(TRAINING_EXAMPLES)
    )
    return _ora("assessment_studenttrainingworkflowitem", StudentTrainingWorkflowItemRow._fields, rows)


def assessment_trainingexample(run: CourseRun, essays: Sequence[Essay]) -> Table:
    """The training examples the course's essayists assessed (answers as ORA stores them: JSON)."""
    rows = [
        TrainingExampleRow(
            id=example_id,
            raw_answer=json.dumps({"parts": [{"text": answer}]}),
            rubric_id=RUBRIC_ID,
            content_hash=_sha1([answer, list(options)]),
        )
        for example_id, answer, options in TRAINING_EXAMPLES
    ]
    return _ora("assessment_trainingexample", TrainingExampleRow._fields, rows if essays else ())


def assessment_trainingexample_options_selected(run: CourseRun, essays: Sequence[Essay]) -> Table:
    """The option each training example deserves per criterion."""
    rows = [
        TrainingExampleOptionRow(
            id=len(RUBRIC) * (example_id - 1) + index + 1,
            trainingexample_id=example_id,
            criterionoption_id=option,
        )
        for example_id, _answer, options in TRAINING_EXAMPLES
        for index, option in enumerate(options)
    ]
    rows = rows if essays else []
    return _ora("assessment_trainingexample_options_selected", TrainingExampleOptionRow._fields, rows)


def workflow_assessmentworkflow(run: CourseRun, essays: Sequence[Essay]) -> Table:
    """Each submission's workflow: done once peer and self assessed it, else waiting on peers."""
    key, item = run.course.key, essay_key(run)
    rows = (
        AssessmentWorkflowRow(
            id=e.row_id,
            created=e.submitted,
            modified=e.staff_assessed or e.scored or e.submitted,
            status="done" if e.scored else "peer",
            status_changed=e.scored or e.submitted,
            submission_uuid=e.uuid,
            uuid=uuid4_hex(f"w{e.author.id}{key}"),
            course_id=key,
            item_id=item,
        )
        for e in essays
    )
    return _ora("workflow_assessmentworkflow", AssessmentWorkflowRow._fields, rows)


def workflow_assessmentworkflowstep(run: CourseRun, essays: Sequence[Essay]) -> Table:
    """Each workflow's steps: when the submitter finished theirs and when they were assessed."""
    rows = (
        AssessmentWorkflowStepRow(
            id=len(STEPS) * e.row_id + order,
            workflow_id=e.row_id,
            name=name,
            submitter_completed_at=submitter,
            assessment_completed_at=assessed,
            order_num=order,
            skipped=0,
        )
        for e in essays
        for order, (name, submitter, assessed) in enumerate(_steps(e))
    )
    return _ora("workflow_assessmentworkflowstep", AssessmentWorkflowStepRow._fields, rows)


def _steps(essay: Essay) -> Iterator[tuple[str, str | None, str | None]]:
    """Each step's name, when the submitter completed it and when its assessment was complete."""
    trained = essay.trained(len(TRAINING_EXAMPLES) - 1)[1]
    times = ((trained, trained), (essay.assessed_peer, essay.peer_assessed), (essay.self_assessed,) * 2)
    for name, (submitter, assessed) in zip(STEPS, times, strict=True):
        yield name, submitter, assessed
