"""Verbatim patterns: a raw field they match is one LOAD DATA reads exactly as the converter's value.

The MySQL loader hands runs of records whose every field matches its converter's ``verbatim``
pattern to LOAD DATA as the file wrote them (``importing/verbatim.py``). That is only right if,
for every text a pattern matches, the converter accepts the text and LOAD DATA, reading the raw
text (``NULL`` rewritten as ``\\N``), stores the value the converted row would be stored as.
Here LOAD DATA's reading of a field is modelled from its manual (``ESCAPED BY '\\\\'``, nothing
enclosing), and texts of every kind, tricky ones included, are tried against each pattern.
"""

from __future__ import annotations

import datetime
import re
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edx_schema.importing.verbatim import load_data_nulls
from edx_schema.package.tsv import encode_field, split_fields
from edx_schema.package.values import (
    VERBATIM_ANY_TEXT,
    boolean_parser,
    course_key_parser,
    datetime_parser,
    float_parser,
    integer_parser,
    text_parser,
    usage_key_parser,
    uuid_parser,
)

INT32 = {"low": -2147483648, "high": 2147483647}
_LOAD_DATA_ESCAPES = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a"}


def load_data_reads(raw: str) -> str | None:
    """What LOAD DATA reads from one raw field: ``\\N`` is NULL, ``\\x`` is x or a control."""
    if raw == "\\N":
        return None
    return re.sub(r"\\(.)", lambda m: _LOAD_DATA_ESCAPES.get(m[1], m[1]), raw, flags=re.DOTALL)


def matches(convert, raw: str) -> bool:
    """Whether ``raw``, as one field ending its line, may go verbatim."""
    return re.fullmatch(f"(?:{convert.verbatim})\n", raw + "\n") is not None


def check(convert, raw: str, stored=lambda text: text) -> bool:
    """If ``raw`` may go verbatim: the converter takes it, and LOAD DATA stores the same value.

    ``stored`` turns the text LOAD DATA reads, or the converter's value, into what the column
    holds (an int from "007", a datetime from its text). Returns whether it matched.
    """
    if not matches(convert, raw):
        return False
    (value,) = split_fields(raw)
    converted = convert(value)  # raises if the pattern let through a text the converter refuses
    loaded = load_data_reads(load_data_nulls(raw + "\n")[:-1])
    if converted is None or loaded is None:
        assert (converted, loaded) == (None, None), raw
    else:
        assert stored(loaded) == stored(converted), (raw, converted, loaded)
    return True


# Texts meant to probe each kind: canonical values, near misses and escapes.
_FIDDLY = st.sampled_from(["NULL", "", "\\N", "\\", "\\\\", "-", "0", "00", " ", "\\t", "NUL\\L", "N"])


@settings(max_examples=300)
@given(
    st.one_of(
        st.integers(-(10**20), 10**20).map(str), st.from_regex(r"-?0*[0-9]{1,12}", fullmatch=True), _FIDDLY
    )
)
@pytest.mark.parametrize("nullable", [False, True])
@pytest.mark.parametrize("bounds", [INT32, {"low": 0, "high": 2**63 - 1}, {"low": -32768, "high": 32767}])
def test_integer_texts(nullable, bounds, raw):
    check(integer_parser(**bounds, nullable=nullable), raw, int)


def test_integers_of_fewer_digits_than_the_column_holds_go_verbatim():
    convert = integer_parser(**INT32, nullable=False)
    assert matches(convert, "123456789")
    assert matches(convert, "-7")
    assert matches(convert, "007")
    assert not matches(convert, "2147483647")  # ten digits: the converter checks the range
    assert not matches(convert, "NULL")
    assert matches(integer_parser(**INT32, nullable=True), "NULL")
    assert integer_parser(**INT32, nullable=True, blank_is_null=True).verbatim is None


@settings(max_examples=300)
@given(
    st.one_of(
        st.floats(allow_nan=False, allow_infinity=False).map(repr),
        st.floats(-1e6, 1e6).map(lambda f: f"{f:.6f}"),
        st.from_regex(r"-?[0-9]{1,17}(\.[0-9]{0,17})?", fullmatch=True),
        _FIDDLY,
    )
)
@pytest.mark.parametrize("nullable", [False, True])
def test_float_texts(nullable, raw):
    check(float_parser(nullable=nullable), raw, float)


@given(st.one_of(st.sampled_from(["0", "1", "2", "01", "true"]), _FIDDLY))
@pytest.mark.parametrize("nullable", [False, True])
def test_boolean_texts(nullable, raw):
    check(boolean_parser(nullable=nullable), raw, int)


def _datetime(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text)


@settings(max_examples=500)
@given(
    st.one_of(
        st.datetimes().map(str),
        st.datetimes().map(lambda d: d.isoformat(" ", timespec="microseconds")),
        st.datetimes().map(lambda d: d.isoformat("T")),
        # Every day number of every month, leap years or not, at odd times.
        st.tuples(
            st.sampled_from(["0000", "0001", "1999", "2000", "2023", "2024", "9999"]),
            st.integers(0, 13),
            st.integers(0, 32),
            st.sampled_from(["00:00:00", "23:59:59", "24:00:00", "12:60:00", "12:00:61"]),
            st.sampled_from(["", ".000000", ".123456", ".5", ".1234567"]),
        ).map(lambda t: f"{t[0]}-{t[1]:02d}-{t[2]:02d} {t[3]}{t[4]}"),
        # The ends of months, where days some months lack are.
        st.tuples(
            st.sampled_from(["0004", "0100", "1900", "2000", "2023", "2024", "2100", "2400"]),
            st.integers(1, 12),
            st.integers(28, 31),
        ).map(lambda t: f"{t[0]}-{t[1]:02d}-{t[2]:02d} 10:00:00"),
        _FIDDLY,
    )
)
@pytest.mark.parametrize("nullable", [False, True])
def test_datetime_texts(nullable, raw):
    check(datetime_parser(nullable=nullable), raw, _datetime)


def test_canonical_datetimes_go_verbatim_and_impossible_days_do_not():
    convert = datetime_parser(nullable=False)
    assert matches(convert, "2024-11-17 08:30:00")
    assert matches(convert, "2024-11-17 08:30:00.123456")
    assert matches(convert, "2024-02-29 00:00:00")
    assert matches(convert, "2000-02-29 00:00:00")
    for impossible in [
        "2023-02-29 00:00:00",
        "1900-02-29 00:00:00",
        "2024-02-30 00:00:00",
        "2024-04-31 00:00:00",
    ]:
        assert not matches(convert, impossible)
    assert not matches(convert, "0000-01-01 00:00:00")


# Text: the exporter's escaping of any string, and raw texts dense in backslashes and NULLs.
_RAW_TEXT = st.text(alphabet=st.sampled_from(list("aNUL\\\t\n\r\0bntZ0é🙂")), max_size=12)


@settings(max_examples=500)
@given(st.one_of(st.text(max_size=40).map(encode_field), _RAW_TEXT, _FIDDLY))
@pytest.mark.parametrize("nullable", [False, True])
@pytest.mark.parametrize("max_length", [None, 3, 255])
def test_text_texts(nullable, max_length, raw):
    check(text_parser(max_length=max_length, nullable=nullable), raw)


def test_null_in_a_text_column_without_null_is_the_word_and_not_verbatim():
    # The converter reads it as the string "NULL"; LOAD DATA would read \N, the NULL it is
    # rewritten to: such a run is converted the usual way.
    assert not matches(text_parser(max_length=None, nullable=False), "NULL")
    assert matches(text_parser(max_length=None, nullable=True), "NULL")
    assert matches(text_parser(max_length=None, nullable=False), 'x\\\\"y\\nz')  # JSON state


@settings(max_examples=300)
@given(st.text(max_size=40).map(encode_field))
def test_any_text_matches_what_the_exporter_writes_unless_it_holds_controls(raw):
    fits = re.fullmatch(f"(?:{VERBATIM_ANY_TEXT})\n", raw + "\n") is not None
    assert fits or any(c in raw for c in "\t\n\r\0") or "\\N" in raw.replace("\\\\", "")


_PART = st.text(alphabet=st.sampled_from(list("aZ09_.-~:%+/@ é")), min_size=0, max_size=6)


@settings(max_examples=500)
@given(
    st.one_of(
        st.tuples(_PART, _PART, _PART).map(lambda p: f"course-v1:{p[0]}+{p[1]}+{p[2]}"),
        st.tuples(_PART, _PART, _PART).map(lambda p: "/".join(p)),
        _FIDDLY,
    )
)
@pytest.mark.parametrize("nullable", [False, True])
@pytest.mark.parametrize("blank", [False, True])
@pytest.mark.parametrize("max_length", [None, 20])
def test_course_key_texts(nullable, blank, max_length, raw):
    check(course_key_parser(max_length=max_length, nullable=nullable, blank=blank), raw)


@settings(max_examples=500)
@given(
    st.one_of(
        st.tuples(_PART, _PART, _PART, _PART, _PART).map(
            lambda p: f"block-v1:{p[0]}+{p[1]}+{p[2]}+type@{p[3]}+block@{p[4]}"
        ),
        st.tuples(_PART, _PART, _PART, _PART).map(lambda p: "i4x://" + "/".join(p)),
        _FIDDLY,
    )
)
@pytest.mark.parametrize("nullable", [False, True])
def test_usage_key_texts(nullable, raw):
    check(usage_key_parser(max_length=255, nullable=nullable), raw)


def test_common_keys_go_verbatim():
    assert matches(course_key_parser(max_length=255, nullable=False), "course-v1:UniversityX+CS-101x+3T2024")
    assert matches(course_key_parser(max_length=255, nullable=False), "UniversityX/HIST.2x/2013_Spring")
    assert matches(course_key_parser(max_length=255, nullable=False, blank=True), "")
    assert not matches(
        course_key_parser(max_length=10, nullable=False), "course-v1:UniversityX+CS-101x+3T2024"
    )
    usage = usage_key_parser(max_length=255, nullable=False)
    assert matches(usage, "block-v1:UniversityX+CS-101x+3T2024+type@problem+block@p1")
    assert matches(usage, "i4x://UniversityX/HIST.2x/problem/p1")


@settings(max_examples=200)
@given(
    st.one_of(
        st.uuids().map(str),
        st.uuids().map(lambda u: u.hex),
        st.uuids().map(lambda u: str(u).upper()),
        _FIDDLY,
    )
)
@pytest.mark.parametrize("native", [False, True])
@pytest.mark.parametrize("nullable", [False, True])
def test_uuid_texts(native, nullable, raw):
    # As the converter is made for each database: the UUID itself (MariaDB's uuid type, which
    # takes versions below 8) or its 32 hex digits (a char(32) column).
    prepare = (lambda u: u) if native else (lambda u: u.hex)
    convert = uuid_parser(nullable=nullable, prepare=prepare, below_version=8 if native else None)
    check(convert, raw, lambda value: str(value))
    if raw != "NULL" and matches(convert, raw):
        assert (str(uuid.UUID(raw)) if native else uuid.UUID(raw).hex) == raw


def test_nulls_become_load_datas_null_wherever_a_field_is_exactly_null():
    text = "NULL\tNULL\tNULL\tx\n1\tNULL\tNULLx\tNULL\nNULL\nNULL\n\\NULL\tNULL\n"
    assert load_data_nulls(text) == "\\N\t\\N\t\\N\tx\n1\t\\N\tNULLx\t\\N\n\\N\n\\N\n\\NULL\t\\N\n"
