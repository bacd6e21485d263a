"""The course's content: its outline, each problem's capa XML and settings, the essay, the policy.

One chapter of graded subsections, the homework (as many as the grading policy counts) and the
final exam, each holding one unit (a vertical). A homework unit opens with a video (the one the
tracking logs play), the first one also with a text page (html); the problems follow, dealt round
the homework with the last one the final exam's. The essay (ORA) sits in the first homework,
after its first problem, so that a subsection's blocks are not all problems and not in the order
of their kinds.

Problems take one of four capa templates in turn; a template fixes the problem's raw maximum score
as the LMS counts it (the points of each input of each response, 1 unless ``points`` says more):

========  ===========================================================  =======
template  responses                                                    raw max
========  ===========================================================  =======
dropdown  one ``optionresponse`` with two ``optioninput``                    2
numeric   ``numericalresponse`` (1), ``customresponse`` with three           5
          ``textline``, one of them ``points="2"`` (1 + 2 + 1)
checkbox  one ``choiceresponse`` (``checkboxgroup``)                         1
mixed     ``multiplechoiceresponse`` (1), ``customresponse`` with two        3
          ``textline`` (2)
========  ===========================================================  =======

Weights vary (:data:`WEIGHTS`), some unset (the problem is then worth its raw maximum). Every
scored block of the essay's subsection has a weight: the essay's possible score depends on whether
it was scored (its points possible when scored, its weight when not), so the outline must fix that
subsection's possible score for learners who never tried it (``services.outline``); the other
subsections' possible scores are the same for every learner. The first problem is explicitly
``graded: false`` (a practice problem), so its subsection's graded totals differ from its totals.

The course structure JSON and the OLX export (:mod:`.documents`) are both written from here, so
that every setting agrees between them.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, NamedTuple

from .assessments import RUBRIC, TRAINING_EXAMPLES
from .ora import ESSAY_ID, POINTS_POSSIBLE
from .spec import Course, CourseRun, md5_hex

#: Every course's ``grading_policy.json``: homework (lowest dropped) and a final exam.
GRADING_POLICY: dict[str, Any] = {
    "GRADER": [
        {"drop_count": 1, "min_count": 3, "short_label": "HW", "type": "Homework", "weight": 0.75},
        {"drop_count": 0, "min_count": 1, "short_label": "", "type": "Final Exam", "weight": 0.25},
    ],
    "GRADE_CUTOFFS": {"Pass": 0.6},
}
_HOMEWORK, _FINAL_EXAM = GRADING_POLICY["GRADER"]
#: One homework subsection per assignment the policy counts (its min_count).
HOMEWORK_SUBSECTIONS: int = _HOMEWORK["min_count"]
#: The course's start, in the course structure and in the OLX's policy.json.
COURSE_START = "2024-01-08T00:00:00Z"


class Subsection(NamedTuple):
    """A graded sequential: its block id and its format (the grader type it counts for)."""

    name: str
    format: str


#: The course's graded subsections in course order: the homework, then the final exam.
SUBSECTIONS: tuple[Subsection, ...] = (
    *(Subsection(f"hw{index + 1}", _HOMEWORK["type"]) for index in range(HOMEWORK_SUBSECTIONS)),
    Subsection("final_exam", _FINAL_EXAM["type"]),
)
#: The subsection holding the essay.
ESSAY_SUBSECTION = SUBSECTIONS[0]
#: The essay's ``weight``: its possible score until it is scored, when its points possible count.
ESSAY_WEIGHT = 6.0
#: The essay's maximum score from its rubric: the most points of each criterion, added.
RUBRIC_MAX = sum(max(option.points for option in criterion.options) for criterion in RUBRIC)
assert RUBRIC_MAX == POINTS_POSSIBLE  # the scores ORA records are out of the rubric's maximum

_SCRIPT = """<script type="loncapa/python"><![CDATA[
def check(expect, answers):
    ok = [a.strip() == e for a, e in zip(answers, expect.split(","))]
    return {"ok": all(ok), "input_list": [{"ok": o, "msg": ""} for o in ok]}
]]></script>"""


class Template(NamedTuple):
    """A capa problem's body (the XML inside ``<problem>``) and what it scores."""

    name: str
    body: str
    responses: tuple[tuple[int, ...], ...]  # each response's inputs' points, in document order
    earned: tuple[float, ...]  # the raw scores a submission can earn (some twice: more likely)

    @property
    def raw_max(self) -> int:
        """The maximum raw score, as the LMS counts it from the XML (see the module docstring)."""
        return sum(sum(points) for points in self.responses)

    @property
    def inputs(self) -> tuple[int, ...]:
        """Each input's points, in document order."""
        return tuple(points for response in self.responses for points in response)


TEMPLATES: tuple[Template, ...] = (
    Template(
        "dropdown",
        """<optionresponse>
    <p>A recursive function calls ___ until a ___ case stops it.</p>
    <optioninput options="('itself','another function')" correct="itself"/>
    <optioninput options="('base','worst')" correct="base"/>
  </optionresponse>""",
        ((1, 1),),
        (0.0, 1.0, 2.0, 2.0),
    ),
    Template(
        "numeric",
        f"""<numericalresponse answer="3">
    <label>How many calls does fib(3) make to fib(1)?</label>
    <responseparam type="tolerance" default="0"/>
    <formulaequationinput/>
  </numericalresponse>
  {_SCRIPT}
  <customresponse cfn="check" expect="a,b,c">
    <label>Name the three parts of a loop (the second counts double).</label>
    <textline size="10"/>
    <textline size="10" points="2"/>
    <textline size="10"/>
  </customresponse>""",
        ((1,), (1, 2, 1)),
        (0.0, 1.0, 2.5, 4.0, 5.0, 5.0),
    ),
    Template(
        "checkbox",
        """<choiceresponse>
    <label>Select the even numbers.</label>
    <checkboxgroup>
      <choice correct="true">2</choice>
      <choice correct="false">3</choice>
      <choice correct="true">8</choice>
    </checkboxgroup>
  </choiceresponse>""",
        ((1,),),
        (0.0, 1.0, 1.0),
    ),
    Template(
        "mixed",
        f"""<multiplechoiceresponse>
    <label>Which one is prime?</label>
    <choicegroup type="MultipleChoice">
      <choice correct="false">4</choice>
      <choice correct="true">7</choice>
      <choice correct="false">9</choice>
    </choicegroup>
  </multiplechoiceresponse>
  {_SCRIPT}
  <customresponse cfn="check" expect="x,y">
    <label>Name the two variables of the loop &amp; its bound.</label>
    <textline size="10"/>
    <textline size="10"/>
  </customresponse>""",
        ((1,), (1, 1)),
        (0.0, 1.0, 2.0, 3.0),
    ),
)
#: Problem weights, in turn (None: unset, the problem is worth its raw maximum).
WEIGHTS: tuple[float | None, ...] = (1.5, None, 2.5, 5.0, None)
#: The weight of a problem of the essay's subsection whose turn gives none (see the docstring).
ESSAY_SUBSECTION_WEIGHT = 3.0


def weighted(earned: float, possible: float, weight: float | None) -> tuple[float, float]:
    """A raw score weighted as the LMS weights it: unchanged without a weight or a possible."""
    if weight is None or possible == 0:
        return earned, possible
    return float(earned) * weight / possible, float(weight)


def problem_subsection(problems: int, problem: int) -> Subsection:
    """The last problem is the final exam's; the others are dealt round the homework."""
    if problem == problems - 1:
        return SUBSECTIONS[-1]
    return SUBSECTIONS[problem % HOMEWORK_SUBSECTIONS]


@dataclass(frozen=True)
class Problem:
    """A capa problem of the course, with the settings the course structure and OLX give it."""

    index: int  # counted from 0: the problem's CSM rows come in this order
    url_name: str
    usage_key: str
    template: Template
    weight: float | None
    graded: bool | None  # its own ``graded`` setting (None: not set)
    subsection: Subsection

    @property
    def display_name(self) -> str:
        return f"Problem {self.index + 1}"

    @property
    def raw_max(self) -> int:
        return self.template.raw_max

    @property
    def possible(self) -> float:
        """Its possible score as the LMS weights the content's maximum (a learner's unattempted one)."""
        return weighted(0.0, self.raw_max, self.weight)[1]

    @property
    def counts_graded(self) -> bool:
        """Whether it counts in the graded totals: something possible, and not set ungraded."""
        return self.possible > 0 and self.graded is not False


@dataclass(frozen=True)
class Essay:
    """The course's ORA block."""

    usage_key: str
    weight: float | None = ESSAY_WEIGHT
    display_name: str = "Essay"

    @property
    def unattempted_possible(self) -> float:
        """Its possible score when it has no score: its weight, else its rubric's maximum."""
        return float(RUBRIC_MAX) if self.weight is None else self.weight


@dataclass(frozen=True)
class Block:
    """One block of the course tree: category, OLX file name, settings and children.

    ``settings`` are its own settings besides ``display_name``, as the course structure's
    metadata holds them and as the OLX writes them in attributes.
    """

    category: str
    url_name: str
    display_name: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    children: tuple[Block, ...] = ()

    def walk(self) -> Iterator[Block]:
        """This block and its descendants, depth first in document order."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class CourseContent:
    """One course's tree and what its problems and subsections score."""

    course: Course
    root: Block
    problems: tuple[Problem, ...]
    essay: Essay
    #: Each subsection's scored blocks in the LMS's order (document order), in course order.
    scored: Mapping[str, tuple[Problem | Essay, ...]]

    def usage_key(self, block: Block) -> str:
        return self.course.usage_key(block.category, block.url_name)

    def unattempted_graded_possible(self, subsection: Subsection) -> float:
        """The graded possible of a learner who tried nothing in ``subsection``, summed in order."""
        possibles = []
        for block in self.scored[subsection.name]:
            if isinstance(block, Essay):
                possibles.append(block.unattempted_possible)
            elif block.counts_graded:
                possibles.append(block.possible)
        return float(sum(possibles))


def html_id(course: Course, category: str, block_id: str) -> str:
    """A block's id in the LMS's HTML (capa's input ids start with it): i4x-Org-Course-type-id if legacy."""
    if course.legacy:
        number = re.sub(r"[^\w-]", "_", course.number)
        return f"i4x-{course.org}-{number}-{category}-{block_id}"
    return block_id


def video_id(course: Course, index: int) -> str:
    """The block id of the ``index``-th homework's video."""
    return md5_hex(f"{course.key} video {index}")


def video_settings(course: Course, index: int) -> dict[str, Any]:
    """A homework video's source: a YouTube id, or a file on edX's storage for every third."""
    digest = hashlib.md5(course.usage_key("video", video_id(course, index)).encode()).digest()
    if index % 3 == 2:
        return {"html5_sources": [f"https://edx-video.net/{video_id(course, index)[:8]}-mp4_720p.mp4"]}
    return {"youtube_id_1_0": base64.urlsafe_b64encode(digest).decode()[:11]}


def _problem(course: Course, problems: int, index: int) -> Problem:
    subsection = problem_subsection(problems, index)
    weight = WEIGHTS[index % len(WEIGHTS)]
    if weight is None and subsection == ESSAY_SUBSECTION:
        weight = ESSAY_SUBSECTION_WEIGHT
    url_name = f"p{index:04d}"
    return Problem(
        index=index,
        url_name=url_name,
        usage_key=course.usage_key("problem", url_name),
        template=TEMPLATES[index % len(TEMPLATES)],
        weight=weight,
        graded=False if index == 0 else None,
        subsection=subsection,
    )


def problem_settings(problem: Problem) -> dict[str, Any]:
    """A problem's own settings besides its name: its weight and its graded flag, when set."""
    settings: dict[str, Any] = {}
    if problem.weight is not None:
        settings["weight"] = problem.weight
    if problem.graded is not None:
        settings["graded"] = problem.graded
    return settings


@cache
def course_content(course: Course, problems: int) -> CourseContent:
    """The content of ``course`` with ``problems`` problems (the same for every week)."""
    every = tuple(_problem(course, problems, index) for index in range(problems))
    essay = Essay(course.usage_key("openassessment", ESSAY_ID))
    subsections = []
    scored: dict[str, tuple[Problem | Essay, ...]] = {}
    for position, subsection in enumerate(SUBSECTIONS):
        own: list[Problem | Essay] = [p for p in every if p.subsection == subsection]
        if subsection == ESSAY_SUBSECTION:
            own.insert(1, essay)
        scored[subsection.name] = tuple(own)
        units: list[Block] = []
        if subsection == ESSAY_SUBSECTION:
            units.append(Block("html", "welcome", "Welcome"))
        if subsection.format == _HOMEWORK["type"]:
            video = video_id(course, position)
            units.append(Block("video", video, f"Lecture {position + 1}", video_settings(course, position)))
        for block in own:
            if isinstance(block, Essay):
                settings = {"text_response": "required"}
                if block.weight is not None:
                    settings["weight"] = block.weight
                units.append(Block("openassessment", ESSAY_ID, block.display_name, settings))
            else:
                units.append(Block("problem", block.url_name, block.display_name, problem_settings(block)))
        vertical = Block("vertical", f"v_{subsection.name}", f"Unit {position + 1}", {}, tuple(units))
        subsections.append(
            Block(
                "sequential",
                subsection.name,
                subsection.name,
                {"graded": True, "format": subsection.format},
                (vertical,),
            )
        )
    chapter = Block("chapter", "week1", "Week 1", {}, tuple(subsections))
    root = Block(
        "course",
        course.run,
        f"Course {course.number}",
        {"start": COURSE_START, "advanced_modules": ["openassessment"]},
        (chapter,),
    )
    return CourseContent(course=course, root=root, problems=every, essay=essay, scored=scored)


def content_of(run: CourseRun) -> CourseContent:
    """The content of the run's course."""
    return course_content(run.course, run.spec.problems)


def training_examples() -> list[tuple[str, list[tuple[str, str]]]]:
    """The student-training examples: each answer and its (criterion, option) names."""
    names = {option.id: (criterion.name, option.name) for criterion in RUBRIC for option in criterion.options}
    return [(answer, [names[option] for option in options]) for _id, answer, options in TRAINING_EXAMPLES]
