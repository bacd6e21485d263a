"""The maximum raw score of a scorable block that its learner never attempted, from the block's OLX.

The LMS asks a block for ``max_score()`` when it finds no recorded score for the learner (no
edx-submissions score, no ``courseware_studentmodule`` row with a ``max_grade``). This module
computes the same number from the block's parsed XML, for the two block types whose maximum
depends on their content:

- :func:`capa_max_score`: a ``problem`` (capa). The LMS builds
  ``LoncapaProblem(data, seed=1, state={}, minimal_init=True)`` and returns ``get_max_score()``;
  a ``LoncapaProblemError`` while building it gives 0, any other exception escapes.
- :func:`ora_max_score`: an ``openassessment`` (ORA). Its ``max_score()`` is the sum over the
  rubric's criteria of the largest option ``points`` (0 for a criterion without options).

The raw maximum is returned; the block's ``weight`` is applied by the caller. Where the LMS itself
fails on the content (an uncaught exception, so the block has no max score there at all),
:class:`ProblemError` is raised, naming the offending text.

Sources, read and restated: ``openedx/edx-platform`` ``xmodule/capa/capa_problem.py``
(``LoncapaProblem.__init__``, ``make_xml_compatible``, ``_process_includes``,
``_preprocess_problem``, ``response_a11y_data``, ``get_max_score``), ``xmodule/capa/responsetypes.py``
(``LoncapaResponse.__init__`` and each response class's ``allowed_inputfields``,
``max_inputfields`` and ``required_attributes``), ``xmodule/capa/inputtypes.py`` (the input tags),
``xmodule/capa_block.py`` (``max_score``), the same code in ``openedx/xblocks-contrib``
``xblocks_contrib/problem``; ``openedx/edx-ora2`` ``openassessment/xblock/lms_mixin.py``
(``max_score``) and ``openassessment/xblock/utils/xml.py`` (``parse_from_xml``).

Pure: no Django import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from xml.etree.ElementTree import Element

__all__ = [
    "ACCESSIBLE_INPUT_TAGS",
    "INPUT_TAGS",
    "RESPONSE_RULES",
    "ProblemError",
    "ResponseRule",
    "capa_max_score",
    "ora_max_score",
]


class ProblemError(ValueError):
    """A problem the LMS itself could not load (e.g. a non-integer ``points``).

    ``value`` holds the offending text; None where nothing in the XML can be quoted (a missing
    element or attribute).
    """

    def __init__(self, message: str, value: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.value = value

    def __str__(self) -> str:
        if self.value is None:
            return self.message
        shown = self.value if len(self.value) <= 80 else f"{self.value[:77]}..."
        return f"{self.message} (value: {shown!r})"


@dataclass(frozen=True)
class ResponseRule:
    """What ``LoncapaResponse.__init__`` checks for one response type, in this order.

    Each input field must have a tag in ``allowed_inputs``; there may be at most ``max_inputs``
    of them (None: no limit); each of ``required_attributes`` must be present and non-empty on
    the response element. A failed check is a ``LoncapaProblemError``.
    """

    allowed_inputs: frozenset[str]
    max_inputs: int | None = None
    required_attributes: tuple[str, ...] = ()


#: The registered capa input types (``inputtypes.registry``): an element with one of these tags,
#: anywhere below a response element, is one of that response's input fields.
INPUT_TAGS = frozenset(
    {
        "optioninput",
        "choicegroup",
        "radiogroup",
        "checkboxgroup",
        "jsinput",
        "textline",
        "filesubmission",
        "codeinput",
        "textbox",
        "matlabinput",
        "schematic",
        "imageinput",
        "crystallography",
        "vsepr_input",
        "chemicalequationinput",
        "formulaequationinput",
        "drag_and_drop_input",
        "designprotein2dinput",
        "editageneinput",
        "annotationinput",
        "radiotextgroup",
        "checkboxtextgroup",
    }
)

_CUSTOM_INPUTS = frozenset(
    {
        "textline",
        "textbox",
        "crystallography",
        "chemicalequationinput",
        "vsepr_input",
        "drag_and_drop_input",
        "designprotein2dinput",
        "editageneinput",
        "annotationinput",
        "jsinput",
        "formulaequationinput",
    }
)

#: The registered capa response types (``responsetypes.registry``) and their checks. Subclasses
#: inherit: truefalseresponse is a multiplechoiceresponse, symbolicresponse a customresponse with
#: one input. choicetextresponse allows ``choicetextgroup``, which is not a registered input type
#: and so is never found as an input.
RESPONSE_RULES: dict[str, ResponseRule] = {
    "choiceresponse": ResponseRule(frozenset({"checkboxgroup", "radiogroup"}), 1),
    "multiplechoiceresponse": ResponseRule(frozenset({"choicegroup"}), 1),
    "truefalseresponse": ResponseRule(frozenset({"choicegroup"}), 1),
    "optionresponse": ResponseRule(frozenset({"optioninput"})),
    "numericalresponse": ResponseRule(frozenset({"textline", "formulaequationinput"}), 1, ("answer",)),
    "stringresponse": ResponseRule(frozenset({"textline"}), 1, ("answer",)),
    "customresponse": ResponseRule(_CUSTOM_INPUTS),
    "symbolicresponse": ResponseRule(_CUSTOM_INPUTS, 1),
    "coderesponse": ResponseRule(frozenset({"textbox", "filesubmission", "matlabinput"}), 1),
    "externalresponse": ResponseRule(frozenset({"textline", "textbox"})),
    "formularesponse": ResponseRule(
        frozenset({"textline", "formulaequationinput"}), 1, ("answer", "samples")
    ),
    "schematicresponse": ResponseRule(frozenset({"schematic"})),
    "imageresponse": ResponseRule(frozenset({"imageinput"})),
    "annotationresponse": ResponseRule(frozenset({"annotationinput"}), 1),
    "choicetextresponse": ResponseRule(
        frozenset({"choicetextgroup", "checkboxtextgroup", "radiotextgroup"}), 1
    ),
}

#: ``capa_problem.ACCESSIBLE_CAPA_INPUT_TYPES``: a response with one input field of these types
#: loses its ``<label>`` child while the LMS prepares it (see :func:`capa_max_score`).
ACCESSIBLE_INPUT_TAGS = frozenset(
    {
        "checkboxgroup",
        "radiogroup",
        "choicegroup",
        "optioninput",
        "textline",
        "formulaequationinput",
        "textbox",
    }
)


def capa_max_score(problem: Element) -> int:
    """The maximum raw score of a capa problem, as ``ProblemBlock.max_score()`` computes it.

    ``problem`` is the ``<problem>`` root element. In the LMS's steps:

    1. Every ``<optioninput>`` anywhere in the tree: if more than one of its ``<option>``
       children has ``correct`` equal to ``true`` in any case, the problem is invalid
       (``LoncapaProblemError``) and its max is 0. An ``<option>`` child without a ``correct``
       attribute makes the LMS fail (``AttributeError``): :class:`ProblemError`. The first
       ``<optioninput>`` in document order that is either decides.
    2. ``<include file="...">`` elements are replaced by another file of the course, which is not
       available here: such an element counts for nothing, and neither does anything inside it
       (the LMS drops it with its children; had the file been missing, the LMS would have failed
       on it, not counted it). Step 1 still sees inside it, as the LMS checks before it splices.
       An ``<include>`` without ``file`` stays, and what it holds counts.
    3. Every element whose tag is a response type (:data:`RESPONSE_RULES`), the root included,
       in document order. Its input fields are all its descendants whose tag is an input type
       (:data:`INPUT_TAGS`), nested responses' inputs included: those count once for each
       enclosing response. Inputs outside any response count for nothing. The checks of
       :class:`ResponseRule` run in order; a failure is a ``LoncapaProblemError``: the whole
       problem's max is 0. A response that allows one input but has none makes the LMS fail
       (``IndexError``): :class:`ProblemError`.
    4. Each input field is worth ``int(points)`` (``points`` defaults to ``"1"``; Python's
       ``int``, so ``" 2 "`` and ``"-1"`` are read, ``"1.5"`` and ``""`` are not: the LMS fails
       with a ``ValueError``, here a :class:`ProblemError`). The max is the sum over responses of
       their inputs' points.

    Errors are met in that order, response by response: whichever comes first decides between 0
    and :class:`ProblemError`.

    Faithful details of the LMS's minimal initialisation: ``<script>`` code is not run (a
    ``points="$n"`` is not a number) and ``setup_response`` is not called, so an
    ``annotationresponse`` is worth ``points`` (default 1) per input here, where the fully
    initialised problem the LMS grades with says 2 per input. While it gathers accessibility
    data the LMS also deletes, from a response with exactly one input field, its
    ``<description>`` children and, if that input's type is in :data:`ACCESSIBLE_INPUT_TAGS`,
    its first ``<label>`` child; a response nested inside a deleted element is no longer found
    by its input search and so has no inputs. This is reproduced.

    Not reproduced: the LMS rewrites ``<startouttext/>`` and ``<endouttext/>`` in the raw text
    into the start and end tags of a ``<text>`` element before parsing; with balanced pairs
    (which any problem the LMS loads has) this wraps content without changing what counts.
    """
    outcome = _check_dropdowns(problem)
    if outcome is not None:
        return outcome
    parents = {child: parent for parent in problem.iter() for child in parent}
    detached: set[Element] = set()  # elements the LMS removes from the tree as it goes

    def live(element: Element) -> bool:
        return not (element.tag == "include" and element.get("file") is not None)

    def kept(element: Element) -> bool:
        return live(element) and element not in detached

    total = 0
    for response in list(_walk(problem, live)):
        rule = RESPONSE_RULES.get(response.tag)
        if rule is None:
            continue
        if _is_detached(response, parents, detached):
            inputs: list[Element] = []
        else:
            inputs = [
                element
                for element in _walk(response, kept)
                if element is not response and element.tag in INPUT_TAGS
            ]
        if len(inputs) == 1:
            _detach_a11y_children(response, inputs[0], detached)
        for field in inputs:
            if field.tag not in rule.allowed_inputs:
                return 0
        if rule.max_inputs is not None and len(inputs) > rule.max_inputs:
            return 0
        for name in rule.required_attributes:
            if not response.get(name):
                return 0
        if rule.max_inputs == 1 and not inputs:
            raise ProblemError(
                f"<{response.tag}> has no input field; the LMS fails on it (IndexError)", response.tag
            )
        for field in inputs:
            total += _capa_points(field)
    return total


def ora_max_score(block: Element) -> int:
    """The maximum raw score of an open response assessment, as its ``max_score()`` computes it.

    ``block`` is the ``<openassessment>`` root element. The sum over the ``<criterion>``
    children of ``<rubric>`` (itself a child of the root) of the largest ``points`` among the
    criterion's ``<option>`` children; a criterion without options adds 0.

    ORA's XML parser reads every option's ``points`` with Python's ``int`` and refuses the block
    (``UpdateFromXmlError``) if one is missing or not an integer, so the block does not load:
    :class:`ProblemError`, as for a root that is not ``<openassessment>`` or a missing
    ``<rubric>``. Negative points are read as they are. The rubric validator's verdict is ignored
    when the LMS loads OLX, so a criterion without options counts 0 whether or not its written
    feedback is required. The parser's other checks (title, assessments, names, prompts, dates),
    which a block exported by the LMS passes, are not repeated.
    """
    if block.tag != "openassessment":
        raise ProblemError("not an <openassessment> element; ORA cannot load it", str(block.tag))
    rubric = block.find("rubric")
    if rubric is None:
        raise ProblemError("<openassessment> has no <rubric>; ORA cannot load it")
    total = 0
    for criterion in rubric.findall("criterion"):
        points = [_ora_points(option) for option in criterion.findall("option")]
        total += max(points) if points else 0
    return total


def _check_dropdowns(problem: Element) -> int | None:
    """0 if ``make_xml_compatible`` finds a dropdown with several correct options, else None."""
    for optioninput in problem.iter("optioninput"):
        correct = 0
        for option in optioninput.findall("option"):
            value = option.get("correct")
            if value is None:
                raise ProblemError(
                    "an <option> of an <optioninput> has no 'correct' attribute; "
                    "the LMS fails on it (AttributeError)"
                )
            if value.upper() == "TRUE":
                correct += 1
        if correct > 1:
            return 0
    return None


def _walk(root: Element, keep: Callable[[Element], bool]) -> Iterator[Element]:
    """``root`` and its descendants in document order, skipping (with their subtrees) those ``keep`` refuses.

    ``root`` itself is always yielded.
    """
    stack = [root]
    while stack:
        element = stack.pop()
        yield element
        stack.extend(reversed([child for child in element if keep(child)]))


def _is_detached(element: Element, parents: dict[Element, Element], detached: set[Element]) -> bool:
    node: Element | None = element
    while node is not None:
        if node in detached:
            return True
        node = parents.get(node)
    return False


def _detach_a11y_children(response: Element, field: Element, detached: set[Element]) -> None:
    """What ``response_a11y_data`` deletes below a response that has exactly one input field.

    It also may delete the response's preceding sibling ``<p>`` or ``<label>``; everything in
    those comes earlier in document order and has been counted already, so that changes nothing.
    """
    label = response.find("label")
    if label is not None and field.tag in ACCESSIBLE_INPUT_TAGS:
        detached.add(label)
    detached.update(response.findall("description"))


def _capa_points(field: Element) -> int:
    text = field.get("points", "1")
    try:
        return int(text)
    except ValueError:
        raise ProblemError(
            f"<{field.tag}> has a points value that is not an integer; the LMS fails on it (ValueError)",
            text,
        ) from None


def _ora_points(option: Element) -> int:
    text = option.get("points")
    if text is None:
        raise ProblemError("a rubric <option> has no 'points' attribute; ORA cannot load it")
    try:
        return int(text)
    except ValueError:
        raise ProblemError(
            "a rubric <option>'s points value is not an integer; ORA cannot load it", text
        ) from None
