"""The rules every JSON document of a package is held to: nesting, numbers, Unicode, one document."""

import contextlib
import io
import json
import random
import re
import zipfile
from pathlib import Path

import pytest

from edx_schema.errors import FormatError, PackageError
from edx_schema.package.course import read_course_structure
from edx_schema.package.forum import read_posts
from edx_schema.package.jsondoc import MAX_DEPTH, excerpt, json_path, loads, nesting

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "universityx-2024-11-17.zip"


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
        ("", "f.json, line 7: not a JSON document (Expecting value at column 1)"),
        ('{"a": 1', "f.json, line 7: not a JSON document (Expecting ',' delimiter at column 8)"),
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


MEMBERS = {  # the sample package's JSON members, and how each is read
    "course_structure-prod-analytics.json": lambda data: list(
        read_course_structure(io.BytesIO(data), label="s")
    ),
    "prod.mongo": lambda data: list(read_posts(io.BytesIO(data), label="f")),
}
WRONG = [True, None, -1, 1.5, "", "not a key", [], ["a"], {}, {"$oid": 5}, "a/b/c/", "\ud800", "x" * 300]


def _mutate(value, rng, depth=0):
    """``value`` with one value somewhere replaced by one of the wrong type (or nested deep)."""
    if isinstance(value, dict) and value and depth < 6 and rng.random() < 0.8:
        name = rng.choice(list(value))
        value[name] = _mutate(value[name], rng, depth + 1)
        if rng.random() < 0.1:
            value[rng.choice(["not a key", "\udc00", name + "/"])] = value.pop(name)
        return value
    if isinstance(value, list) and value and depth < 6 and rng.random() < 0.8:
        index = rng.randrange(len(value))
        value[index] = _mutate(value[index], rng, depth + 1)
        return value
    return _deep(rng) if rng.random() < 0.1 else rng.choice(WRONG)


def _deep(rng):
    return f"DEEP{rng.choice([29, 31, 33, 5_000])}"  # replaced by that many levels once serialized


def _deepen(data: bytes) -> bytes:
    return re.sub(rb'"DEEP(\d+)"', lambda found: b"[" * int(found[1]) + b"]" * int(found[1]), data)


def _bytes(data: bytes, rng) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(data) + 1)
        choice = rng.randrange(6)
        if choice == 0 and data:
            data[min(at, len(data) - 1)] = rng.randrange(256)
        elif choice == 1:
            del data[at:]
        elif choice == 2:
            data[at:at] = rng.choice(
                [b"\t", b"\n", b"\r", b"\\", b"\x00", b"\xff", b"\xef\xbb\xbf", b'"', b"NaN"]
            )
        elif choice == 3:
            data[at:at] = rng.choice([b"[", b"{"]) * rng.choice([40, 5_000])
        elif choice == 4:
            data = bytearray(data.decode("latin-1").encode("utf-16"))
        else:
            del data[at : at + rng.randrange(30)]
    return bytes(data)


@pytest.mark.parametrize("seed", range(4))
def test_mutated_json_members_raise_a_package_error_or_nothing(seed):
    # Wrong JSON types at any level, bad keys, deep JSON, flipped, cut and inserted bytes: every
    # outcome is the members' rows or a PackageError, never another exception.
    rng = random.Random(seed)
    with zipfile.ZipFile(FIXTURE) as package:
        members = {
            ending: package.read(name)
            for name in package.namelist()
            for ending in MEMBERS
            if name.endswith("CS-101x-3T2024-" + ending)
        }
    for _ in range(60):
        ending = rng.choice(list(MEMBERS))
        data = members[ending]
        if rng.random() < 0.5:
            data = _bytes(data, rng)
        elif ending.endswith(".json"):
            data = json.dumps(_mutate(json.loads(data), rng)).encode("utf-8", "surrogatepass")
        else:
            lines = [json.loads(line) for line in data.splitlines()]
            lines[rng.randrange(len(lines))] = _mutate(lines[0], rng)
            data = b"\n".join(json.dumps(line).encode("utf-8", "surrogatepass") for line in lines)
        with contextlib.suppress(PackageError):
            MEMBERS[ending](_deepen(data))
