"""The max score of an unattempted capa problem or ORA, from hand-written OLX.

Every expected value is written out by hand from the LMS's rules (capa: ``LoncapaProblem(...,
minimal_init=True).get_max_score()``, ``LoncapaProblemError`` -> 0; ORA: sum of each criterion's
best option). The GradesTransformerTestCase cases reuse that test's XML and expectations.
"""

from xml.etree.ElementTree import fromstring

import pytest

from edx_schema.package.course.max_score import (
    INPUT_TAGS,
    RESPONSE_RULES,
    ProblemError,
    capa_max_score,
    ora_max_score,
)


def capa(xml: str) -> int:
    return capa_max_score(fromstring(xml))


def ora(xml: str) -> int:
    return ora_max_score(fromstring(xml))


# --- GradesTransformerTestCase (lms/djangoapps/grades/tests/test_transformer.py) -------------------

NUMERICAL_1 = """
<problem>
    <numericalresponse answer="2">
        <textline label="1+1" trailing_text="%" />
    </numericalresponse>
</problem>
"""

NUMERICAL_2 = """
<problem>
    <numericalresponse answer="27">
        <textline label="3^3" />
    </numericalresponse>
    <numericalresponse answer="13.5">
        <textline label="and then half of that?" />
    </numericalresponse>
</problem>
"""

INVALID_DROPDOWN = """
<problem>
    <optionresponse>
      <p>You can use this template as a guide to the simple editor markdown and OLX markup.</p>
    <label>Add the question text, or prompt, here. This text is required.</label>
    <description>You can add an optional tip or note related to the prompt like this. </description>
    <optioninput>
        <option correct="False">an incorrect answer</option>
        <option correct="True">the correct answer</option>
        <option correct="True">an incorrect answer</option>
      </optioninput>
    </optionresponse>
</problem>
"""


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        pytest.param("<problem></problem>", 0, id="empty (the block's default data)"),
        pytest.param("<problem/>", 0, id="empty self-closed"),
        pytest.param(NUMERICAL_1, 1, id="one numericalresponse"),
        pytest.param(NUMERICAL_2, 2, id="two numericalresponses"),
        pytest.param(INVALID_DROPDOWN, 0, id="dropdown with two correct options"),
    ],
)
def test_grades_transformer_expectations(xml, expected):
    assert capa(xml) == expected


# --- The worked example of the reference note (section 8) ---------------------------------------

P1_OPTIONRESPONSE_TWO_DROPDOWNS = """
<problem>
  <optionresponse>
    <p>Pick the colour of the sky, then of grass.</p>
    <optioninput options="('blue','green')" correct="blue"/>
    <optioninput>
      <option correct="False">blue</option>
      <option correct="True">green</option>
    </optioninput>
  </optionresponse>
</problem>
"""

P2_NUMERICAL_AND_CUSTOM = """
<problem>
  <numericalresponse answer="3.14">
    <textline/>
  </numericalresponse>
  <customresponse cfn="check">
    <textline/>
    <textline points="2"/>
    <textline/>
  </customresponse>
</problem>
"""

P3_CHECKBOXES = """
<problem>
  <choiceresponse partial_credit="EDC">
    <checkboxgroup>
      <choice correct="true">a</choice>
      <choice correct="false">b</choice>
      <choice correct="true">c</choice>
    </checkboxgroup>
  </choiceresponse>
</problem>
"""

P5_MULTIPLE_CHOICE = """
<problem>
  <multiplechoiceresponse>
    <label>Which?</label>
    <choicegroup type="MultipleChoice">
      <choice correct="false">one</choice>
      <choice correct="true">two</choice>
    </choicegroup>
  </multiplechoiceresponse>
</problem>
"""

P4_ORA = """
<openassessment>
  <title>Essay</title>
  <assessments><assessment name="staff-assessment" required="True"/></assessments>
  <rubric>
    <criterion>
      <name>Ideas</name><prompt>Are the ideas clear?</prompt>
      <option points="0"><name>Poor</name><explanation/></option>
      <option points="1"><name>Fair</name><explanation/></option>
      <option points="3"><name>Good</name><explanation/></option>
    </criterion>
    <criterion>
      <name>Content</name><prompt>Is the content right?</prompt>
      <option points="5"><name>Excellent</name><explanation/></option>
      <option points="0"><name>Poor</name><explanation/></option>
      <option points="2"><name>Fair</name><explanation/></option>
    </criterion>
  </rubric>
</openassessment>
"""


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        pytest.param(P1_OPTIONRESPONSE_TWO_DROPDOWNS, 2, id="p1 optionresponse with two optioninputs"),
        pytest.param(P2_NUMERICAL_AND_CUSTOM, 5, id="p2 numerical 1 + custom 1+2+1"),
        pytest.param(P3_CHECKBOXES, 1, id="p3 choiceresponse (partial credit is still max 1)"),
        pytest.param(P5_MULTIPLE_CHOICE, 1, id="p5 multiplechoiceresponse"),
    ],
)
def test_worked_example_capa(xml, expected):
    assert capa(xml) == expected


def test_worked_example_ora_rubric_3_plus_5():
    assert ora(P4_ORA) == 8


# --- Response checks that make the whole problem worth 0 (LoncapaProblemError) -------------------


@pytest.mark.parametrize(
    "xml",
    [
        pytest.param(
            '<problem><numericalresponse answer="1"><textline/><textline/></numericalresponse></problem>',
            id="numericalresponse with two inputs",
        ),
        pytest.param(
            '<problem><stringresponse answer="a"><textline/><textline/></stringresponse></problem>',
            id="stringresponse with two inputs",
        ),
        pytest.param(
            "<problem><multiplechoiceresponse><choicegroup/><choicegroup/></multiplechoiceresponse></problem>",
            id="multiplechoiceresponse with two choicegroups",
        ),
        pytest.param(
            "<problem><annotationresponse><annotationinput/><annotationinput/></annotationresponse></problem>",
            id="annotationresponse with two inputs",
        ),
    ],
)
def test_too_many_inputs_gives_0(xml):
    assert capa(xml) == 0


@pytest.mark.parametrize(
    "xml",
    [
        pytest.param(
            '<problem><numericalresponse answer="1"><textbox/></numericalresponse></problem>',
            id="textbox in numericalresponse",
        ),
        pytest.param(
            "<problem><multiplechoiceresponse><checkboxgroup/></multiplechoiceresponse></problem>",
            id="checkboxgroup in multiplechoiceresponse",
        ),
        pytest.param(
            "<problem><choiceresponse><choicegroup/></choiceresponse></problem>",
            id="choicegroup in choiceresponse",
        ),
        pytest.param(
            "<problem><optionresponse><optioninput/><textline/></optionresponse></problem>",
            id="textline in optionresponse",
        ),
        pytest.param(
            "<problem><customresponse><textline/><optioninput/></customresponse></problem>",
            id="optioninput in customresponse",
        ),
    ],
)
def test_disallowed_input_gives_0(xml):
    assert capa(xml) == 0


@pytest.mark.parametrize(
    "xml",
    [
        pytest.param("<problem><numericalresponse><textline/></numericalresponse></problem>", id="no answer"),
        pytest.param(
            '<problem><numericalresponse answer=""><textline/></numericalresponse></problem>',
            id="empty answer counts as missing",
        ),
        pytest.param("<problem><stringresponse><textline/></stringresponse></problem>", id="stringresponse"),
        pytest.param(
            '<problem><formularesponse answer="x"><textline/></formularesponse></problem>',
            id="formularesponse without samples",
        ),
    ],
)
def test_missing_required_attribute_gives_0(xml):
    assert capa(xml) == 0


def test_one_bad_response_makes_the_whole_problem_0():
    xml = """
    <problem>
      <optionresponse><optioninput/><optioninput/><optioninput/></optionresponse>
      <stringresponse answer="a"><textline/><textline/></stringresponse>
    </problem>
    """
    assert capa(xml) == 0


# --- Which inputs count ------------------------------------------------------------------------


def test_inputs_outside_any_response_count_for_nothing():
    xml = """
    <problem>
      <textline points="7"/>
      <p>Before <optioninput/></p>
      <optionresponse><optioninput/></optionresponse>
      <div><textbox points="4"/></div>
    </problem>
    """
    assert capa(xml) == 1


def test_inputs_nested_in_other_elements_inside_a_response_count():
    xml = """
    <problem>
      <optionresponse>
        <div class="row">
          <p>First <optioninput points="2"/> and <span>second <optioninput/></span></p>
        </div>
        <table><tr><td><optioninput points="3"/></td></tr></table>
      </optionresponse>
    </problem>
    """
    assert capa(xml) == 6


def test_responses_nested_in_other_elements_count():
    xml = """
    <problem>
      <div><section><stringresponse answer="a"><textline points="4"/></stringresponse></section></div>
      <p><multiplechoiceresponse><choicegroup/></multiplechoiceresponse></p>
    </problem>
    """
    assert capa(xml) == 5


def test_a_nested_responses_inputs_count_for_both_responses():
    # customresponse finds both textlines (its own and the stringresponse's): 1 + 2; the
    # stringresponse finds its own: 2.
    xml = """
    <problem>
      <customresponse>
        <textline/>
        <stringresponse answer="a"><textline points="2"/></stringresponse>
      </customresponse>
    </problem>
    """
    assert capa(xml) == 5


def test_a_nested_responses_inputs_are_checked_against_the_outer_response():
    # The stringresponse's textline is also an input of the optionresponse, which refuses it.
    xml = """
    <problem>
      <optionresponse>
        <optioninput/>
        <stringresponse answer="a"><textline/></stringresponse>
      </optionresponse>
    </problem>
    """
    assert capa(xml) == 0


def test_response_types_that_allow_several_inputs_count_each():
    xml = """
    <problem>
      <externalresponse><textline/><textbox/></externalresponse>
      <schematicresponse><schematic/><schematic points="2"/></schematicresponse>
      <imageresponse><imageinput/><imageinput/><imageinput/></imageresponse>
    </problem>
    """
    assert capa(xml) == 2 + 3 + 3


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        pytest.param(
            "<problem><truefalseresponse><choicegroup/></truefalseresponse></problem>", 1, id="truefalse"
        ),
        pytest.param(
            "<problem><choiceresponse><radiogroup/></choiceresponse></problem>", 1, id="choice radiogroup"
        ),
        pytest.param(
            '<problem><numericalresponse answer="1"><formulaequationinput/></numericalresponse></problem>',
            1,
            id="numerical formulaequationinput",
        ),
        pytest.param(
            '<problem><formularesponse answer="x" samples="x@1:2#5"><textline/></formularesponse></problem>',
            1,
            id="formula",
        ),
        pytest.param(
            '<problem><symbolicresponse expect="x"><textline/></symbolicresponse></problem>', 1, id="symbolic"
        ),
        pytest.param(
            "<problem><coderesponse><textbox/><codeparam/></coderesponse></problem>", 1, id="code textbox"
        ),
        pytest.param(
            "<problem><coderesponse><filesubmission/></coderesponse></problem>", 1, id="code filesubmission"
        ),
        pytest.param(
            """<problem><choicetextresponse><radiotextgroup>
                 <choice correct="true">It is <numtolerance_input answer="5"/></choice>
                 <choice correct="false">It is <decoy_input/></choice>
               </radiotextgroup></choicetextresponse></problem>""",
            1,
            id="choicetext (numtolerance_input is not an input type)",
        ),
        pytest.param(
            "<problem><customresponse><jsinput/><drag_and_drop_input/><chemicalequationinput/>"
            "</customresponse></problem>",
            3,
            id="custom with three input types",
        ),
    ],
)
def test_single_response_types(xml, expected):
    assert capa(xml) == expected


def test_annotationresponse_is_worth_points_per_input_not_2():
    # setup_response (which sets 2 per input) is skipped by the LMS's minimal initialisation.
    xml = """
    <problem>
      <annotationresponse>
        <annotationinput>
          <options><option choice="correct">a</option><option choice="incorrect">b</option></options>
        </annotationinput>
      </annotationresponse>
      <annotationresponse><annotationinput points="3"/></annotationresponse>
    </problem>
    """
    assert capa(xml) == 4


def test_a_response_root_is_itself_a_response():
    assert capa('<optionresponse><optioninput points="2"/></optionresponse>') == 2


def test_script_is_not_run():
    xml = """
    <problem>
      <script type="loncapa/python">n = 3</script>
      <customresponse cfn="check"><textline/></customresponse>
    </problem>
    """
    assert capa(xml) == 1


# --- points ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        pytest.param("0", 0, id="zero"),
        pytest.param("10", 10, id="ten"),
        pytest.param(" 2 ", 2, id="spaces around (int() accepts them)"),
        pytest.param("+3", 3, id="plus sign"),
        pytest.param("-1", -1, id="negative"),
    ],
)
def test_points_are_read_with_int(points, expected):
    assert capa(f'<problem><optionresponse><optioninput points="{points}"/></optionresponse></problem>') == (
        expected
    )


@pytest.mark.parametrize("points", ["1.5", "", "two", "$n", "1e2"])
def test_non_integer_points_raise_problem_error(points):
    xml = f'<problem><customresponse><textline/><textline points="{points}"/></customresponse></problem>'
    with pytest.raises(ProblemError) as caught:
        capa(xml)
    assert caught.value.value == points
    assert isinstance(caught.value, ValueError)


def test_problem_error_names_the_value():
    with pytest.raises(ProblemError, match=r"points.*\(value: '1\.5'\)"):
        capa('<problem><optionresponse><optioninput points="1.5"/></optionresponse></problem>')


def test_points_of_inputs_outside_responses_are_not_read():
    assert capa('<problem><textline points="1.5"/></problem>') == 0


def test_the_first_error_in_document_order_decides():
    bad_points = '<optionresponse><optioninput points="x"/></optionresponse>'
    bad_input = '<numericalresponse answer="1"><textbox/></numericalresponse>'
    assert capa(f"<problem>{bad_input}{bad_points}</problem>") == 0
    with pytest.raises(ProblemError):
        capa(f"<problem>{bad_points}{bad_input}</problem>")


# --- Dropdowns (make_xml_compatible) -----------------------------------------------------------


def test_dropdown_correct_is_case_insensitive():
    xml = """
    <problem><optionresponse><optioninput>
      <option correct="true">a</option><option correct="TRUE">b</option>
    </optioninput></optionresponse></problem>
    """
    assert capa(xml) == 0


def test_dropdown_with_one_correct_option_counts():
    xml = """
    <problem><optionresponse><optioninput>
      <option correct="false">a</option><option correct="True">b</option><option correct="no">c</option>
    </optioninput></optionresponse></problem>
    """
    assert capa(xml) == 1


def test_an_invalid_dropdown_outside_any_response_still_makes_0():
    xml = """
    <problem>
      <optioninput><option correct="True">a</option><option correct="True">b</option></optioninput>
      <optionresponse><optioninput/></optionresponse>
    </problem>
    """
    assert capa(xml) == 0


def test_only_direct_option_children_are_checked():
    xml = """
    <problem><optionresponse><optioninput>
      <option correct="True">a</option><div><option correct="True">b</option></div>
    </optioninput></optionresponse></problem>
    """
    assert capa(xml) == 1


def test_an_option_without_correct_raises_problem_error():
    xml = "<problem><optionresponse><optioninput><option>a</option></optioninput></optionresponse></problem>"
    with pytest.raises(ProblemError, match="correct"):
        capa(xml)


def test_the_first_bad_dropdown_decides():
    two_correct = (
        '<optioninput><option correct="True">a</option><option correct="True">b</option></optioninput>'
    )
    no_correct = "<optioninput><option>a</option></optioninput>"
    assert capa(f"<problem>{two_correct}{no_correct}</problem>") == 0
    with pytest.raises(ProblemError):
        capa(f"<problem>{no_correct}{two_correct}</problem>")


# --- Errors the LMS does not catch -------------------------------------------------------------


@pytest.mark.parametrize(
    "tag", ["numericalresponse", "stringresponse", "multiplechoiceresponse", "choiceresponse"]
)
def test_a_one_input_response_without_input_raises_problem_error(tag):
    with pytest.raises(ProblemError) as caught:
        capa(f'<problem><{tag} answer="1"/></problem>')
    assert caught.value.value == tag


def test_a_response_without_input_and_no_limit_is_worth_0():
    assert (
        capa(
            '<problem><optionresponse/><customresponse/><stringresponse answer="a"><textline/>'
            "</stringresponse></problem>"
        )
        == 1
    )


# --- <include file=...> ------------------------------------------------------------------------


def test_an_include_counts_for_nothing():
    xml = """
    <problem>
      <include file="other_problem.xml"/>
      <optionresponse><optioninput/></optionresponse>
    </problem>
    """
    assert capa(xml) == 1


def test_what_an_include_element_holds_is_dropped_with_it():
    xml = """
    <problem>
      <optionresponse>
        <optioninput/>
        <include file="more.xml"><optioninput points="5"/></include>
      </optionresponse>
      <include file="x.xml"><stringresponse><textline/><textline/></stringresponse></include>
    </problem>
    """
    assert capa(xml) == 1


def test_an_invalid_dropdown_inside_an_include_still_makes_0():
    xml = """
    <problem>
      <include file="x.xml">
        <optioninput><option correct="True">a</option><option correct="True">b</option></optioninput>
      </include>
      <optionresponse><optioninput/></optionresponse>
    </problem>
    """
    assert capa(xml) == 0


def test_an_include_without_file_stays_and_counts():
    xml = """
    <problem>
      <optionresponse><include><optioninput points="2"/></include></optionresponse>
    </problem>
    """
    assert capa(xml) == 2


# --- What the LMS deletes while it gathers accessibility data ----------------------------------


def test_a_response_inside_a_deleted_description_has_no_inputs():
    # One input (the textline, points 3): the customresponse loses its <description>, and with it
    # the externalresponse, which then finds no input: 3 + 0.
    xml = """
    <problem>
      <customresponse>
        <description><externalresponse><textline points="3"/></externalresponse></description>
      </customresponse>
    </problem>
    """
    assert capa(xml) == 3


def test_a_description_stays_when_the_response_has_two_inputs():
    # Two inputs: descriptions are renamed, not deleted, so the externalresponse keeps its input.
    xml = """
    <problem>
      <customresponse>
        <textline/>
        <description><externalresponse><textline points="3"/></externalresponse></description>
      </customresponse>
    </problem>
    """
    assert capa(xml) == (1 + 3) + 3


def test_a_one_input_response_inside_a_deleted_label_raises_problem_error():
    # The customresponse's one input is a textline (accessible): its <label> is deleted, and the
    # stringresponse inside, left with no input, fails in the LMS (IndexError).
    xml = """
    <problem>
      <customresponse>
        <label>Spell it: <stringresponse answer="a"><textline/></stringresponse></label>
      </customresponse>
    </problem>
    """
    with pytest.raises(ProblemError):
        capa(xml)


def test_a_label_stays_when_the_one_input_is_not_accessible():
    # A jsinput is not in ACCESSIBLE_CAPA_INPUT_TYPES, so the label stays and the nested
    # customresponse finds the jsinput too: 1 + 1.
    xml = """
    <problem>
      <customresponse>
        <label>Draw: <customresponse><jsinput/></customresponse></label>
      </customresponse>
    </problem>
    """
    assert capa(xml) == 2


# --- The tables --------------------------------------------------------------------------------


def test_the_registered_response_types():
    assert set(RESPONSE_RULES) == {
        "choiceresponse",
        "multiplechoiceresponse",
        "truefalseresponse",
        "optionresponse",
        "numericalresponse",
        "stringresponse",
        "customresponse",
        "symbolicresponse",
        "coderesponse",
        "externalresponse",
        "formularesponse",
        "schematicresponse",
        "imageresponse",
        "annotationresponse",
        "choicetextresponse",
    }


def test_no_tag_is_both_a_response_and_an_input():
    assert not set(RESPONSE_RULES) & INPUT_TAGS


# --- ORA ---------------------------------------------------------------------------------------


def rubric(*criteria: str) -> str:
    body = "".join(f"<criterion><name>c{i}</name><prompt/>{c}</criterion>" for i, c in enumerate(criteria))
    return f"<openassessment><title/><assessments/><rubric>{body}</rubric></openassessment>"


def option(points: str) -> str:
    return f'<option points="{points}"><name>o{points}</name><explanation/></option>'


def test_ora_criterion_without_options_adds_0():
    assert ora(rubric(option("2") + option("4"), "")) == 4


def test_ora_rubric_without_criteria_is_0():
    assert ora(rubric()) == 0


def test_ora_negative_points_are_read():
    assert ora(rubric(option("-2") + option("-5"), option("3"))) == 1


def test_ora_points_are_read_with_int():
    assert ora(rubric(option(" 7 "))) == 7


@pytest.mark.parametrize("points", ["2.5", "", "five"])
def test_ora_non_integer_points_raise_problem_error(points):
    with pytest.raises(ProblemError) as caught:
        ora(rubric(option("1") + option(points)))
    assert caught.value.value == points


def test_ora_option_without_points_raises_problem_error():
    with pytest.raises(ProblemError, match="points"):
        ora(rubric("<option><name>x</name><explanation/></option>"))


def test_ora_without_rubric_raises_problem_error():
    with pytest.raises(ProblemError, match="rubric"):
        ora("<openassessment><title/><assessments/></openassessment>")


def test_ora_root_must_be_openassessment():
    with pytest.raises(ProblemError):
        ora("<problem><rubric/></problem>")


def test_ora_reads_only_direct_children():
    xml = f"""
    <openassessment>
      <rubric>
        <criterion><name>a</name><prompt/>{option("2")}<div>{option("9")}</div></criterion>
        <div><criterion><name>b</name><prompt/>{option("5")}</criterion></div>
      </rubric>
      <div><rubric><criterion><name>c</name><prompt/>{option("7")}</criterion></rubric></div>
    </openassessment>
    """
    assert ora(xml) == 2
