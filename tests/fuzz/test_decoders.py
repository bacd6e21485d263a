"""The pure decoders on mutated members: only edx-schema's own errors may come out of them.

Hypothesis draws a member of the sample package, one or two mutators and their seed (or raw
bytes spliced into the member, which it can shrink), and the decoder must either decode the
bytes or raise an :class:`~edx_schema.errors.EdxSchemaError` (a value converter: ValueError, its
documented error). Anything else is a bug that reaches the user as a traceback. A failure
prints the member, the mutators and the seed (``Falsifying example`` and its notes).
"""

from __future__ import annotations

import datetime
import io
import random
import uuid

import pytest
from hypothesis import example, given, note
from hypothesis import strategies as st

from edx_schema.errors import EdxSchemaError, FormatError
from edx_schema.package import values
from edx_schema.package.course import OlxCourse, olx_course, read_course_export, read_course_structure
from edx_schema.package.course.course_xml import COURSE_XML_HEAD
from edx_schema.package.email_opt_in import OptInReader
from edx_schema.package.forum import read_posts
from edx_schema.package.names import parse_member_name, split_package_name
from edx_schema.package.tsv import TsvReader, split_chunks

from . import profile, sample
from .mutators import BAD_COURSE_KEYS, BAD_FIELDS, BAD_USAGE_KEYS, PACKAGE_LEVEL, applicable, mutate

pytestmark = pytest.mark.fuzz


def _kinds(category: str) -> list[str]:
    return [kind for kind in sample.KINDS if sample.category(kind) == category]


class Member(bytes):
    """A member's bytes, shown short: hypothesis prints the example, and the notes say what it is."""

    def __repr__(self) -> str:
        return f"<{len(self)} bytes: {bytes(self[:60])!r}...>"


@st.composite
def members(draw, category: str, first: str) -> Member:
    """A sample member of ``category`` mutated by ``first`` (and maybe another mutator).

    ``first`` may be ``splice``: drawn bytes replace a few of the member's (hypothesis shrinks
    those well).
    """
    kind = draw(st.sampled_from(_kinds(category)))
    course = draw(st.sampled_from(sample.courses_of(kind)))
    data = sample.member_bytes(kind, course)
    if first == "splice":
        at = draw(st.integers(0, len(data)))
        cut = draw(st.integers(0, 64))
        piece = draw(st.binary(max_size=64))
        note(f"{kind}@{course}: {piece!r} spliced in at byte {at}, replacing {cut} bytes")
        return Member(data[:at] + piece + data[at + cut :])
    names = [first]
    if draw(st.integers(0, 3)) == 0:
        names.append(draw(st.sampled_from(_mutators(category))))
    for name in names:
        seed = draw(st.integers(0, 2**32 - 1))
        data, notes = mutate(name, data, random.Random(seed))
        note(f"{kind}@{course}: {name} seed {seed}: {'; '.join(notes)[:300]}")
    return Member(data)


def _mutators(category: str) -> list[str]:
    return [name for name in applicable(category) if name not in PACKAGE_LEVEL]


def _each_mutator(category: str):
    return pytest.mark.parametrize("first", ["splice", *_mutators(category)])


def _records(reader_records) -> list[tuple]:
    """Records and the error that ended them, comparable across the two reading paths."""
    out: list[tuple] = []
    try:
        for record in reader_records:
            out.append((record.line, record.values, str(record.error) if record.error else None))
    except FormatError as error:
        out.append(("error", str(error)))
    return out


@_each_mutator("tsv")
@profile.DECODERS
@given(data=st.data(), tolerant=st.booleans(), chunk=st.sampled_from([1, 7, 64, 4096, 1 << 20]))
def test_the_tsv_reader_raises_only_format_errors_and_reads_the_same_in_chunks(first, data, tolerant, chunk):
    data = data.draw(members("tsv", first))
    try:
        reader = TsvReader(io.BytesIO(data), file="m.sql", tolerant=tolerant)
    except FormatError:
        return
    streamed = _records(reader)
    # The SQLite helper process reads big members in runs of whole records, from where the
    # reader's header left the stream, as here: it must find the same records.
    stream = io.BytesIO(data)
    again = TsvReader(stream, file="m.sql", tolerant=tolerant)
    chunked: list[tuple] = []
    # Runs of at least an eighth of the member: a record longer than a run is read again with
    # every run (quadratic), which the quick profile cannot wait for.
    size = max(chunk, len(data) // 8)
    for first_line, piece in split_chunks(stream, first_line=again.body_line, size=size):
        chunked += _records(again.chunk_records(piece, first_line=first_line))
        if chunked and chunked[-1][0] == "error":
            break
    assert chunked == streamed


@_each_mutator("mongo")
@profile.DECODERS
@given(data=st.data())
def test_the_forum_reader_raises_only_domain_errors(first, data):
    data = data.draw(members("mongo", first))
    try:
        posts = list(read_posts(io.BytesIO(data), label="f.mongo"))
    except EdxSchemaError:
        return
    for post in posts:
        assert isinstance(post.course_id, str)
        assert isinstance(post.post_id, str)
        assert post.post_id


@_each_mutator("json")
@profile.DECODERS
@given(data=st.data())
def test_the_course_structure_reader_raises_only_domain_errors(first, data):
    data = data.draw(members("json", first))
    try:
        blocks = read_course_structure(io.BytesIO(data), label="s.json")
    except EdxSchemaError:
        return
    assert [block.position for block in blocks] == list(range(len(blocks)))
    assert len({block.usage_key for block in blocks}) == len(blocks)
    assert all(isinstance(block.usage_key, str) and isinstance(block.metadata, dict) for block in blocks)
    # A whole structure names its course and warns of nothing; a fragment warns, naming the file,
    # and names its course unless its legacy keys do not say the run.
    assert bool(blocks.warnings) == blocks.fragment
    assert all(warning.startswith("s.json: ") for warning in blocks.warnings)
    assert isinstance(blocks.course_id, str) or (blocks.fragment and blocks.course_id is None)
    assert blocks.fragment or blocks[0].usage_key == blocks.root


@_each_mutator("olx")
@profile.DECODERS
@given(data=st.data())
def test_the_grading_policy_reader_raises_only_domain_errors(first, data):
    data = data.draw(members("olx", first))
    from edx_schema.services.outline import parse_policy  # the policy's own checks; no database

    try:
        read = read_course_export(io.BytesIO(data), label="c.xml.tar.gz")
    except EdxSchemaError:
        return
    try:
        course = read.course()
    except EdxSchemaError as error:
        assert str(error).startswith("c.xml.tar.gz")  # noqa: PT017 - the message names the export
    else:
        assert isinstance(course, OlxCourse)
        assert course.course_id == f"course-v1:{course.org}+{course.course}+{course.run}"
    try:
        if read.grading_policy is not None:
            parse_policy(read.grading_policy, source="c.xml.tar.gz")
    except EdxSchemaError:
        return


@_each_mutator("csv")
@profile.DECODERS
@given(data=st.data(), tolerant=st.booleans())
def test_the_opt_in_reader_raises_only_format_errors_naming_the_file(first, data, tolerant):
    data = data.draw(members("csv", first))
    try:
        reader = OptInReader(io.BytesIO(data), file="l.csv", tolerant=tolerant)
        rows = [reader.convert(record) for record in reader.records() if record.error is None]
    except FormatError as error:
        assert error.file == "l.csv"  # noqa: PT017 - the message names the file
        return
    assert all(isinstance(row.course_id, str) and isinstance(row.is_opted_in_for_email, bool) for row in rows)


#: Pieces a hostile or broken course.xml is made of.
XML_PIECES = [
    b'<!DOCTYPE course [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>',
    b'<!DOCTYPE course SYSTEM "file:///etc/passwd">',
    b'<!ENTITY % p SYSTEM "http://example.com/">',
    b"&a;",
    b"&#0;",
    b"&amp;",
    b"<![CDATA[x]]>",
    b"<?xml version='1.0' encoding='latin-1'?>",
    b"<!-- -->",
    b'"',
    b"<",
    b"\xff",
    b"\0",
    b"\xef\xbb\xbf",
    b" " * 70_000,
]


@st.composite
def course_xmls(draw) -> Member:
    """The sample export's course.xml with a drawn piece (or drawn bytes) in, or cut short."""
    data = b'<course url_name="3T2024" org="UniversityX" course="CS-101x"/>\n'
    at = draw(st.integers(0, len(data)))
    piece = draw(st.one_of(st.sampled_from(XML_PIECES), st.binary(max_size=32)))
    cut = draw(st.integers(0, 8))
    note(f"{piece[:40]!r} in at byte {at}, replacing {cut} bytes")
    return Member(data[:at] + piece + data[at + cut :])


@profile.MANY
@given(data=course_xmls())
def test_course_xml_names_a_course_or_raises_a_format_error_naming_it(data):
    head = data[:COURSE_XML_HEAD]
    try:
        course = olx_course(head, file="c/course.xml", complete=len(data) <= COURSE_XML_HEAD)
    except FormatError as error:
        assert error.file == "c/course.xml"  # noqa: PT017 - the message names the file
        return
    assert all(isinstance(part, str) and part for part in (course.org, course.course, course.run))


_CONVERTERS = {
    "integer": values.integer_parser(low=-(2**31), high=2**31 - 1, nullable=True),
    "integer not null": values.integer_parser(low=0, high=2**63 - 1, nullable=False),
    "float": values.float_parser(nullable=True),
    "boolean": values.boolean_parser(nullable=False),
    "datetime": values.datetime_parser(nullable=True),
    "datetime not null": values.datetime_parser(nullable=False),
    "text": values.text_parser(max_length=30, nullable=False),
    "course key": values.course_key_parser(max_length=255, nullable=False),
    "course key or blank": values.course_key_parser(max_length=255, nullable=True, blank=True),
    "usage key": values.usage_key_parser(max_length=255, nullable=False),
    "uuid": values.uuid_parser(nullable=False),
}
_VALID = (
    "10",
    "-5",
    "0.66",
    "1",
    "2024-07-21 20:46:45.120000",
    "2024-07-21 20:46:45",
    "course-v1:UniversityX+CS-101x+3T2024",
    "UniversityX/HIST.2x/2013_Spring",
    "block-v1:UniversityX+CS-101x+3T2024+type@problem+block@p0000",
    "i4x://UniversityX/HIST.2x/problem/p0000",
    "b1f94b7ea061c546654a94a97cdc6490",
)


@st.composite
def field_texts(draw) -> str | None:
    """A field as the TSV reader hands it over: valid ones mutated, known bad ones, any text."""
    choice = draw(st.integers(0, 3))
    if choice == 0:
        return draw(st.sampled_from([None, *BAD_FIELDS, *BAD_COURSE_KEYS, *BAD_USAGE_KEYS]))
    if choice == 1:
        return draw(st.text(max_size=40))
    text = draw(st.sampled_from(_VALID))
    at = draw(st.integers(0, len(text)))
    return text[:at] + draw(st.text(max_size=3)) + text[at + draw(st.integers(0, 3)) :]


@profile.MANY
@given(name=st.sampled_from(sorted(_CONVERTERS)), text=field_texts())
@example(name="boolean", text="0")  # the long profile's first find: the harness expected text
def test_value_converters_raise_only_value_errors(name, text):
    try:
        value = _CONVERTERS[name](text)
    except (ValueError, EdxSchemaError):
        return
    if value is None:
        return
    if name.startswith("integer"):
        assert isinstance(value, int)
    elif name == "boolean":  # the exporter's tinyint(1)
        assert (text, value) in (("0", 0), ("1", 1))
    elif name == "float":
        assert isinstance(value, float)
    elif name.startswith("datetime"):
        datetime.datetime.fromisoformat(value)
    elif name == "uuid":
        uuid.UUID(value)
    else:
        assert isinstance(value, str)


@profile.MANY
@given(path=st.one_of(st.text(max_size=120), st.sampled_from(sorted(sample.members()))))
def test_member_and_package_names_never_raise(path):
    name = parse_member_name(path)
    assert name.kind in (
        "table",
        "course_structure",
        "course_olx",
        "forum",
        "events",
        "email_opt_in",
        "unknown",
    )
    split_package_name(path)
