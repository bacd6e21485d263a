"""The OLX course-tree decoder on hostile exports: only edx-schema's own errors may come out.

Hypothesis splices bytes into the export's XML and policy files, sets settings to values of the
wrong type, nests elements deeply and names blocks with keys that cannot be keys; reading the
tree (and grading every subsection of it for a learner with no scores) must either work or raise
an :class:`~edx_schema.errors.EdxSchemaError`.
"""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edx_schema.errors import EdxSchemaError
from edx_schema.package.course import read_course_export
from edx_schema.package.course.olx_tree import read_course_tree
from edx_schema.scoring import Learner, SubsectionGrader
from tests.package.course.test_olx_tree import COURSE, STUDIO

pytestmark = pytest.mark.fuzz

NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
SETTINGS = [
    "weight",
    "graded",
    "format",
    "start",
    "visible_to_staff_only",
    "group_access",
    "user_partition_id",
    "group_id_to_child",
    "max_count",
    "has_score",
    "days_early_for_beta",
    "display_name",
    "url_name",
    "filename",
    "points",
]
ODD_VALUES = [
    "",
    "abc",
    "-1",
    "1e400",
    "nan",
    "true",
    "[1, 2]",
    '{"1": [2, "x"]}',
    '{"a": [1]}',
    '{"0": 5}',
    "null",
    "9" * 40,
    "2016-13-45",
    "x" * 300,
    "a:b:c",
    "../../etc/passwd",
    "\u00e9\U0001f600",
    "1.5",
]
POLICY_VALUES = [None, True, 1.5, -3, "x", [], {}, [1, [2, [3]]], {"a": {"b": {}}}, 10**30]


def _check(files: dict[str, str]) -> None:
    try:
        tree = read_course_tree(_raw_export(files), label="fuzz.tar.gz", course_id=COURSE)
        read_course_export(_raw_export(files), label="fuzz.tar.gz").tree(course_id=COURSE)
    except EdxSchemaError:
        return
    if tree is not None:
        grader = SubsectionGrader(tree, now=NOW)
        grader.grade(Learner())
        grader.grade(Learner(staff=True, groups={5: 1, 0: 0}, selections={"x": [["problem", "p1"]]}))


@settings(max_examples=150, deadline=None)
@given(
    path=st.sampled_from([p for p in STUDIO if p.endswith(".xml") or p.endswith("policy.json")]),
    at=st.integers(0, 400),
    cut=st.integers(0, 40),
    piece=st.binary(max_size=40),
)
def test_spliced_bytes(path, at, cut, piece):
    data = STUDIO[path].encode()
    at = min(at, len(data))
    files = dict(STUDIO)
    files[path] = (data[:at] + piece + data[at + cut :]).decode("utf-8", "surrogateescape")
    try:
        tree = read_course_tree(_raw_export(files), label="fuzz.tar.gz", course_id=COURSE)
    except EdxSchemaError:
        return
    if tree is not None:
        SubsectionGrader(tree, now=NOW).grade(Learner())


def _raw_export(files: dict[str, str]):
    import io
    import tarfile

    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for path, text in files.items():
            data = text.encode("utf-8", "surrogateescape")
            info = tarfile.TarInfo(f"course/{path}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    out.seek(0)
    return out


@settings(max_examples=200, deadline=None)
@given(
    path=st.sampled_from(
        [
            "sequential/hw.xml",
            "vertical/v.xml",
            "problem/p1.xml",
            "chapter/ch.xml",
            "openassessment/essay.xml",
        ]
    ),
    name=st.sampled_from(SETTINGS),
    value=st.one_of(st.sampled_from(ODD_VALUES), st.text(max_size=30)),
)
def test_settings_of_the_wrong_type_in_xml(path, name, value):
    files = dict(STUDIO)
    text = files[path]
    escaped = value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    tag_end = text.index(">")
    close = tag_end - 1 if text[tag_end - 1] == "/" else tag_end
    files[path] = f'{text[:close]} {name}="{escaped}"{text[close:]}'
    _check(files)


@settings(max_examples=150, deadline=None)
@given(
    block=st.sampled_from(
        ["course/2016", "sequential/hw", "problem/p1", "problem/p2", "vertical/v", "chapter/ch"]
    ),
    name=st.sampled_from(SETTINGS),
    value=st.sampled_from(POLICY_VALUES),
    shape=st.sampled_from(["object", "list", "string", "nested"]),
)
def test_policy_of_the_wrong_shape(block, name, value, shape):
    import json

    files = dict(STUDIO)
    policy = {"object": {block: {name: value}}, "list": [block], "string": block, "nested": {block: value}}[
        shape
    ]
    files["policies/2016/policy.json"] = json.dumps(policy)
    _check(files)


@pytest.mark.parametrize("depth", [50, 150, 5_000, 100_000])
def test_deep_nesting(depth):
    files = dict(STUDIO)
    files["vertical/v.xml"] = "<vertical>" + "<vertical>" * depth + "</vertical>" * depth + "</vertical>"
    _check(files)
    files = dict(STUDIO)
    files["problem/p1.xml"] = (
        "<problem><optionresponse>"
        + "<div>" * depth
        + "<optioninput/>"
        + "</div>" * depth
        + "</optionresponse></problem>"
    )
    _check(files)


def test_a_cycle_of_pointers_ends():
    files = dict(STUDIO)
    files["vertical/v.xml"] = '<vertical><vertical url_name="w"/></vertical>'
    files["vertical/w.xml"] = '<vertical><vertical url_name="v"/></vertical>'
    _check(files)


def test_bad_bytes_and_encodings():
    for data in (b"\xff\xfe<\x00p\x00", b"<problem>\xc3\x28</problem>", b"\x00" * 10, b""):
        files = dict(STUDIO)
        files["problem/p1.xml"] = data.decode("utf-8", "surrogateescape")
        _check(files)
