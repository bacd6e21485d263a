"""The rules every JSON document of a package is held to: nesting, numbers, Unicode, one document."""

import json

import pytest

from edx_schema.errors import FormatError
from edx_schema.package.jsondoc import MAX_DEPTH, excerpt, json_path, loads, nesting


def refused(text: str) -> str:
    with pytest.raises(FormatError) as error:
        loads(text, file="f.json", line=7)
    return str(error.value)


@pytest.mark.parametrize(
    ("text", "depth"),
    [("1", 0), ('"[{"', 0), ("[]", 1), ('{"a": [{"b": "]]]"}]}', 3), (r'["\\", "\"[", [[]]]', 3)],
)
def test_nesting_counts_brackets_outside_strings(text, depth):
    assert nesting(text) == depth


def test_nesting_up_to_the_limit_is_accepted_and_one_more_level_is_refused():
    assert loads("[" * MAX_DEPTH + "]" * MAX_DEPTH, file="f") == json.loads("[" * MAX_DEPTH + "]" * MAX_DEPTH)
    assert refused("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)) == (
        "f.json, line 7, at $: JSON nested deeper than 32 levels, the limit for a JSON document "
        "(value: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]')"
    )


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_thousands_of_levels_are_refused_by_the_limit_not_a_recursion_error(opening):
    # Python's own json raises RecursionError on these.
    for text in (opening * 100_000, opening * 5_000 + "1" + ("]" if opening == "[" else "}") * 5_000):
        assert "nested deeper than 32 levels" in refused(text)


@pytest.mark.parametrize(
    ("text", "path", "value"),
    [
        ('{"a": [1, NaN]}', "$.a[1]", "NaN"),
        ('{"a": Infinity}', "$.a", "Infinity"),
        ('{"w": -Infinity}', "$.w", "-Infinity"),
        ('{"w": 1e400}', "$.w", "1e400"),
        ('{"w": 1' + "0" * 400 + "}", "$.w", "1" + "0" * 59),
    ],
)
def test_numbers_json_cannot_hold_are_refused_where_they_are(text, path, value):
    assert refused(text) == (
        f"f.json, line 7, at {path}: a number JSON cannot hold (NaN, Infinity, or beyond a double's range) "
        f"(value: {value!r})"
    )


def test_an_unpaired_surrogate_escape_is_refused_and_a_pair_is_text():
    assert "at $.body[0]: a string with an unpaired UTF-16 surrogate" in refused(r'{"body": ["\ud800"]}')
    assert "a key with an unpaired" in refused(r'{"\udc00": 1}')
    assert loads(r'["\ud83d\ude00"]', file="f") == ["\U0001f600"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "f.json, line 7: not a JSON document (Expecting value, column 1)"),
        ('{"a": 1', "f.json, line 7: not a JSON document (Expecting ',' delimiter, column 8)"),
        ("[1]\n x", "f.json, line 8: text after the end of the JSON document (value: 'x')"),
    ],
)
def test_malformed_text_names_the_line(text, message):
    assert refused(text).startswith(message)


def test_whitespace_around_the_document_is_allowed():
    assert loads(' \n\t{"a": [1.5, 2]}\r\n', file="f") == {"a": [1.5, 2]}


def test_paths_and_excerpts_stay_short_and_escaped():
    assert json_path(json_path("$", "metadata"), "display name") == '$.metadata["display name"]'
    assert json_path("$", "k" * 100) == '$["' + "k" * 57 + '..."]'
    assert json_path("$", "a\nb") == '$["a\\nb"]'
    assert excerpt(True) == "true"
    assert excerpt({"a": [[1, 2, 3, 4]], "b": 2, "c": 3, "d": 4}) == '{"a": [["..."]], "b": 2, "c": 3}'
    assert len(excerpt(["x" * 1000] * 1000)) == 80
