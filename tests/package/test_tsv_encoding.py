"""Writing values: the exporter's text (read back by the reader) and MySQL LOAD DATA's text."""

import datetime
import decimal
import re
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edx_schema.package.tsv import encode_field, encode_load_data_field, format_record, split_fields

# MySQL's LOAD DATA with FIELDS ESCAPED BY '\\' (its manual, "LOAD DATA Statement"): \N alone is
# NULL, \0 \b \n \r \t \Z stand for their characters, and a backslash before anything else
# stands for that character.
_LOAD_DATA_ESCAPES = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a"}


def load_data_fields(line: str) -> list[str | None]:
    """One line as LOAD DATA reads it, written independently of the encoder under test."""
    fields: list[str] = []
    field, index = "", 0
    while index < len(line):
        char = line[index]
        if char == "\\":
            field += "\\" + line[index + 1]
            index += 2
        elif char == "\t":
            fields.append(field)
            field = ""
            index += 1
        else:
            field += char
            index += 1
    fields.append(field)
    values: list[str | None] = []
    for raw in fields:
        if raw == "\\N":
            values.append(None)
            continue
        values.append(re.sub(r"\\(.)", lambda m: _LOAD_DATA_ESCAPES.get(m[1], m[1]), raw, flags=re.S))
    return values


TEXT = st.text(alphabet=st.sampled_from(list("ab\\\t\n\r\0NUL\x1aé\U0001f600")), max_size=40)


@given(st.lists(st.one_of(st.none(), TEXT), min_size=1, max_size=5))
def test_load_data_reads_back_every_text_and_null_exactly(values):
    line = "\t".join(map(encode_load_data_field, values))
    assert "\n" not in line
    assert "\r" not in line
    assert load_data_fields(line) == values


@given(st.lists(st.one_of(st.none(), TEXT), min_size=1, max_size=5))
def test_the_reader_reads_back_what_the_exporter_writes_but_nuls(values):
    line = format_record(values)
    assert line.endswith("\n")
    assert line.count("\n") == 1
    # The exporter drops NUL characters; and the word NULL is NULL in its text.
    expected = [None if v is None or v.replace("\0", "") == "NULL" else v.replace("\0", "") for v in values]
    assert split_fields(line[:-1]) == expected


@pytest.mark.parametrize(
    ("value", "exported", "for_load_data"),
    [
        (None, "NULL", "\\N"),
        ("NULL", "NULL", "NULL"),  # LOAD DATA reads the word as text; the exporter's readers as NULL
        ("a\0b", "ab", "a\\0b"),
        ("\\N", "\\\\N", "\\\\N"),
        ("tab\there\nCR\r", "tab\\there\\nCR\\r", "tab\\there\\nCR\\r"),
        (True, "1", "1"),
        (False, "0", "0"),
        (0, "0", "0"),
        (-42, "-42", "-42"),
        (2**70, str(2**70), str(2**70)),
        (0.1, "0.1", "0.1"),
        (1e300, "1e+300", "1e+300"),
        (decimal.Decimal("12.50"), "12.50", "12.50"),
        (datetime.date(2024, 7, 21), "2024-07-21", "2024-07-21"),
        (datetime.datetime(2024, 7, 21, 20, 46, 45, 120000), "2024-07-21 20:46:45.120000", None),
        (uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001", None),
    ],
)
def test_each_kind_of_value_is_written_as_each_dialect_reads_it(value, exported, for_load_data):
    assert encode_field(value) == exported
    assert encode_load_data_field(value) == (exported if for_load_data is None else for_load_data)


@pytest.mark.parametrize("value", [b"x", bytearray(b"x"), memoryview(b"x")])
def test_bytes_are_refused_rather_than_written_as_their_repr(value):
    for encode in (encode_field, encode_load_data_field):
        with pytest.raises(TypeError, match="decode them"):
            encode(value)
