"""Field parsers: one decoded package field to the value its column stores, or a clear error."""

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edx_schema.package.values import (
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


# Integers


def test_integers_within_range_are_parsed():
    parse = integer_parser(**INT32, nullable=False)
    assert parse("0") == 0
    assert parse("42") == 42
    assert parse("-7") == -7
    assert parse("007") == 7
    assert parse("2147483647") == 2147483647
    assert parse("-2147483648") == -2147483648


@pytest.mark.parametrize("text", ["2147483648", "-2147483649", "99999999999999999999"])
def test_integers_outside_the_column_range_are_refused(text):
    parse = integer_parser(**INT32, nullable=False)
    with pytest.raises(ValueError, match="range") as error:
        parse(text)
    assert "-2147483648" in str(error.value)
    assert "2147483647" in str(error.value)


def test_unsigned_column_refuses_negative_values():
    parse = integer_parser(low=0, high=65535, nullable=False)
    assert parse("65535") == 65535
    with pytest.raises(ValueError, match="range"):
        parse("-1")


def test_no_bounds_means_any_integer():
    parse = integer_parser(low=None, high=None, nullable=False)
    assert parse("123456789012345678901234567890") == 123456789012345678901234567890


@pytest.mark.parametrize(
    "text", ["12a", "1_000", "+5", "", "-", "1.0", "1e3", " 1", "1 ", "0x10", "٣", "NULL", "--1"]
)
def test_non_integers_are_refused(text):
    parse = integer_parser(**INT32, nullable=True)
    with pytest.raises(ValueError, match="not an integer"):
        parse(text)


@pytest.mark.parametrize("bounds", [INT32, {"low": None, "high": None}])
def test_integers_with_thousands_of_digits_are_refused_plainly(bounds):
    with pytest.raises(ValueError, match=r"^5000 digits, too many for an integer$"):
        integer_parser(**bounds, nullable=False)("9" * 5000)


def test_integer_null():
    assert integer_parser(**INT32, nullable=True)(None) is None
    with pytest.raises(ValueError, match="NULL"):
        integer_parser(**INT32, nullable=False)(None)


# Floats


def test_floats_are_parsed_exactly_as_printed():
    parse = float_parser(nullable=False)
    value = parse("0.833333333333")
    assert value == 0.833333333333
    assert repr(value) == "0.833333333333"
    assert parse("2.0") == 2.0
    assert parse("-1.5e-3") == -0.0015
    assert parse("3") == 3.0


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-inf", "Infinity", "1e400"])
def test_nan_and_infinity_are_refused(text):
    with pytest.raises(ValueError, match="finite"):
        float_parser(nullable=True)(text)


@pytest.mark.parametrize("text", ["abc", "", "1.2.3", "0,5"])
def test_non_numbers_are_refused(text):
    with pytest.raises(ValueError, match="not a number"):
        float_parser(nullable=True)(text)


@pytest.mark.parametrize("text", [" 1.5", "1.5 ", "1.5\n", "\u0661.5", "\uff11"])
def test_floats_with_spaces_or_non_ascii_digits_are_refused(text):
    # float() takes them all; the exporter prints none of them.
    with pytest.raises(ValueError, match="not a number"):
        float_parser(nullable=False)(text)


def test_float_with_underscores_is_refused():
    with pytest.raises(ValueError, match="number"):
        float_parser(nullable=True)("1_000.5")


def test_float_null():
    assert float_parser(nullable=True)(None) is None
    with pytest.raises(ValueError, match="NULL"):
        float_parser(nullable=False)(None)


# Booleans


def test_booleans_are_zero_or_one():
    parse = boolean_parser(nullable=False)
    assert parse("0") == 0
    assert parse("1") == 1


@pytest.mark.parametrize("text", ["2", "true", "True", "false", "", "01", "-1", "t", "yes"])
def test_other_boolean_spellings_are_refused(text):
    with pytest.raises(ValueError, match="0 or 1"):
        boolean_parser(nullable=True)(text)


def test_boolean_null():
    assert boolean_parser(nullable=True)(None) is None
    with pytest.raises(ValueError, match="NULL"):
        boolean_parser(nullable=False)(None)


# Datetimes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2014-02-01 10:11:12", "2014-02-01 10:11:12"),
        ("2014-02-01 10:11:12.5", "2014-02-01 10:11:12.500000"),
        ("2014-02-01 10:11:12.12", "2014-02-01 10:11:12.120000"),
        ("2014-02-01 10:11:12.123", "2014-02-01 10:11:12.123000"),
        ("2014-02-01 10:11:12.1234", "2014-02-01 10:11:12.123400"),
        ("2014-02-01 10:11:12.12345", "2014-02-01 10:11:12.123450"),
        ("2014-02-01 10:11:12.123456", "2014-02-01 10:11:12.123456"),
        ("2014-02-01 10:11:12.000005", "2014-02-01 10:11:12.000005"),
        ("2014-02-01 10:11:12.000000", "2014-02-01 10:11:12"),
        ("2014-02-01 10:11:12.0", "2014-02-01 10:11:12"),
        ("2014-02-01T10:11:12", "2014-02-01 10:11:12"),
        ("2014-02-01T10:11:12.250000", "2014-02-01 10:11:12.250000"),
        ("2012-02-29 23:59:59", "2012-02-29 23:59:59"),
    ],
)
def test_datetimes_are_canonicalised(text, expected):
    assert datetime_parser(nullable=False)(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2014-02-30 00:00:00",  # no such day
        "2013-02-29 00:00:00",  # not a leap year
        "2014-13-01 00:00:00",
        "2014-02-01 24:00:00",
        "2014-02-01 10:60:00",
    ],
)
def test_impossible_datetimes_are_refused(text):
    with pytest.raises(ValueError, match="not a valid datetime"):
        datetime_parser(nullable=True)(text)


@pytest.mark.parametrize(
    "text",
    [
        "2014-02-01",
        "2014-02-01 10:11",
        "2014-02-01 10:11:12.1234567",  # seven fractional digits
        "2014-02-01 10:11:12.",
        "2014-02-01 10:11:12+00:00",
        "2014-02-01 10:11:12Z",
        "14-02-01 10:11:12",
        "2014/02/01 10:11:12",
        " 2014-02-01 10:11:12",
        "",
    ],
)
def test_other_datetime_shapes_are_refused(text):
    with pytest.raises(ValueError, match="not a datetime"):
        datetime_parser(nullable=True)(text)


def test_zero_datetime_is_null_where_the_column_allows_it():
    assert datetime_parser(nullable=True)("0000-00-00 00:00:00") is None
    with pytest.raises(ValueError, match="zero date"):
        datetime_parser(nullable=False)("0000-00-00 00:00:00")


def test_datetime_null():
    assert datetime_parser(nullable=True)(None) is None
    with pytest.raises(ValueError, match="NULL"):
        datetime_parser(nullable=False)(None)


# Text


def test_text_is_returned_unchanged():
    parse = text_parser(max_length=None, nullable=False)
    for text in ["", "Ada", "a\tb\nc\\d", "NULLx", " padded "]:
        assert parse(text) == text


def test_max_length_counts_characters_not_bytes():
    parse = text_parser(max_length=5, nullable=False)
    assert parse("Zoë😀é") == "Zoë😀é"  # five characters, eleven UTF-8 bytes
    assert parse("abcde") == "abcde"
    with pytest.raises(ValueError, match="6 characters, longer than the column's 5"):
        parse("abcdef")
    with pytest.raises(ValueError, match="longer"):
        parse("ééééé😀")


def test_text_null():
    assert text_parser(max_length=10, nullable=True)(None) is None
    assert text_parser(max_length=10, nullable=False)(None) == "NULL"


# Course keys

NEW_COURSE = "course-v1:edX+DemoX+Demo_Course"
OLD_COURSE = "MITx/6.002x/2012_Fall"


@pytest.mark.parametrize("key", [NEW_COURSE, OLD_COURSE, "course-v1:MITx+6.00.1x+1T2014"])
def test_course_keys_in_both_formats_are_returned_unchanged(key):
    parse = course_key_parser(max_length=255, nullable=False)
    result = parse(key)
    assert result == key
    assert parse(key) == key  # and again, from the parser's memory of checked keys


@pytest.mark.parametrize(
    "text",
    [
        "not a key",
        "course-v1:edX+DemoX",
        "MITx/6.002x",
        "block-v1:edX+DemoX+Demo_Course+type@x+block@y",
        "",
        "UniversityX/HIST.2x/2013_Spring/",
        "True",
        "5",
        '["a"]',
        "course-v1:edX+DemoX+Demo_Course\n",
    ],
)
def test_malformed_course_keys_are_refused(text):
    with pytest.raises(ValueError, match="course key"):
        course_key_parser(max_length=255, nullable=True)(text)


def test_a_refused_course_key_stays_refused():
    parse = course_key_parser(max_length=255, nullable=False)
    for _ in range(2):
        with pytest.raises(ValueError, match="course key"):
            parse("garbage")


def test_course_key_longer_than_the_column_is_refused():
    parse = course_key_parser(max_length=20, nullable=False)
    with pytest.raises(ValueError, match="longer than the column's 20"):
        parse(NEW_COURSE)


def test_blank_course_key_only_where_allowed():
    assert course_key_parser(max_length=255, nullable=False, blank=True)("") == ""
    assert course_key_parser(max_length=255, nullable=False, blank=True)(NEW_COURSE) == NEW_COURSE
    with pytest.raises(ValueError, match="course key"):
        course_key_parser(max_length=255, nullable=False, blank=True)("garbage")
    with pytest.raises(ValueError, match="course key"):
        course_key_parser(max_length=255, nullable=False)("")


def test_course_key_null():
    assert course_key_parser(max_length=255, nullable=True)(None) is None
    with pytest.raises(ValueError, match="NULL"):
        course_key_parser(max_length=255, nullable=False)(None)
    with pytest.raises(ValueError, match="NULL"):
        course_key_parser(max_length=255, nullable=False, blank=True)(None)


# Usage keys


@pytest.mark.parametrize(
    "key",
    [
        "block-v1:edX+DemoX+Demo_Course+type@problem+block@abc",
        "i4x://MITx/6.002x/problem/abc",
        "block-v1:MITx+6.00.1x+1T2014+type@sequential+block@hw1",
    ],
)
def test_usage_keys_in_both_formats_are_returned_unchanged(key):
    parse = usage_key_parser(max_length=255, nullable=False)
    assert parse(key) == key


@pytest.mark.parametrize("text", ["abc", NEW_COURSE, OLD_COURSE, "block-v1:edX+DemoX+Demo_Course", ""])
def test_malformed_usage_keys_are_refused(text):
    with pytest.raises(ValueError, match="usage key"):
        usage_key_parser(max_length=255, nullable=True)(text)


def test_usage_key_null_and_length():
    assert usage_key_parser(max_length=255, nullable=True)(None) is None
    with pytest.raises(ValueError, match="NULL"):
        usage_key_parser(max_length=255, nullable=False)(None)
    with pytest.raises(ValueError, match="longer"):
        usage_key_parser(max_length=10, nullable=False)("i4x://MITx/6.002x/problem/abc")


# UUIDs

UUID_TEXT = "0b5e4d3c-2a19-4c8f-9e7d-6b5a4c3d2e1f"


def test_uuid_with_and_without_dashes():
    parse = uuid_parser(nullable=False)
    assert parse(UUID_TEXT) == UUID_TEXT
    assert parse(UUID_TEXT.replace("-", "")) == UUID_TEXT
    assert parse(UUID_TEXT.upper()) == UUID_TEXT


def test_uuid_prepare_gives_the_database_representation():
    assert uuid_parser(nullable=False, prepare=lambda u: u.hex)(UUID_TEXT) == UUID_TEXT.replace("-", "")
    assert uuid_parser(nullable=False, prepare=lambda u: u)(UUID_TEXT) == uuid.UUID(UUID_TEXT)


def test_a_uuid_version_the_column_cannot_store_is_refused():
    parse = uuid_parser(nullable=False, below_version=8)
    assert parse("6f1c6a3e-3b9e-4c8e-9b1d-2f0a7c5e8d41") == "6f1c6a3e-3b9e-4c8e-9b1d-2f0a7c5e8d41"
    with pytest.raises(ValueError, match="a UUID of version c, which this database's uuid type cannot store"):
        parse("01234567-89ab-cdef-0123-456789abcdef")


@pytest.mark.parametrize("text", ["", "not-a-uuid", UUID_TEXT[:-1], UUID_TEXT + "0", "g" * 32])
def test_malformed_uuids_are_refused(text):
    with pytest.raises(ValueError, match="not a UUID"):
        uuid_parser(nullable=True)(text)


def test_uuid_null():
    assert uuid_parser(nullable=True)(None) is None
    with pytest.raises(ValueError, match="NULL"):
        uuid_parser(nullable=False)(None)


PARSERS = [
    integer_parser(**INT32, nullable=True),
    integer_parser(low=None, high=None, nullable=False),
    float_parser(nullable=True),
    boolean_parser(nullable=False),
    datetime_parser(nullable=True),
    text_parser(max_length=10, nullable=False),
    course_key_parser(max_length=255, nullable=False, blank=True),
    usage_key_parser(max_length=255, nullable=True),
    uuid_parser(nullable=True),
]


@settings(max_examples=300)
@given(st.one_of(st.text(), st.text(alphabet="0123456789-+:./_ @eET\t" + "course-v1block+type"), st.none()))
def test_any_text_is_parsed_or_refused_with_a_value_error(text):
    messages = []
    for parse in PARSERS:
        try:
            parse(text)
        except ValueError as error:  # anything else fails the test
            messages.append(str(error))
    assert all(message.isprintable() and len(message) < 120 for message in messages), messages
