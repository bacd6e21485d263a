"""The package text format, rule by rule (data_package format: escapes, NULL, CR, BOM, header)."""

import ast
import io
import subprocess
import sys

import pytest

from edx_schema.errors import FormatError
from edx_schema.package.tsv import TsvReader, split_chunks, split_fields


def read(data: bytes, name: str = "MITx-6.002x-2012_Fall-auth_user-prod-analytics.sql"):
    reader = TsvReader(io.BytesIO(data), file=name)
    return reader.header, [(r.line, r.values) for r in reader]


def test_header_is_read_and_rows_are_split_on_tabs():
    header, rows = read(b"id\tname\n1\tAda\n2\tBo\n")
    assert header == ("id", "name")
    assert rows == [(2, ["1", "Ada"]), (3, ["2", "Bo"])]


def test_escapes_are_undone_in_one_pass():
    # Each input is the exporter's escaping of the value after the arrow.
    assert split_fields(r"a\\nb") == ["a\\nb"]  # an escaped backslash followed by n, not a newline
    assert split_fields(r"line1\r\nline2\ttab \\ back") == ["line1\r\nline2\ttab \\ back"]
    assert split_fields(r"nul\0here") == ["nul\0here"]
    assert split_fields(r"any\qother") == ["anyqother"]
    assert split_fields('{"a": "x\\\\ny"}') == ['{"a": "x\\ny"}']


def test_null_is_the_bare_word_and_empty_is_an_empty_string():
    _header, rows = read(b"a\tb\tc\td\nNULL\t\tnull\tNULLx\n")
    assert rows == [(2, [None, "", "null", "NULLx"])]


def test_null_beside_an_escaped_field_is_still_null():
    assert split_fields("NULL\tx\\ty") == [None, "x\ty"]


def test_escaped_tab_and_escaped_newline_do_not_split():
    _header, rows = read(b"id\tstate\n1\ta\\\tb\\\nc\n2\tz\n")
    assert rows == [(2, ["1", "a\tb\nc"]), (4, ["2", "z"])]


def test_raw_cr_is_kept_as_data():
    _header, rows = read(b"id\taddress\n1\ta\r\\nb\n2\tend\r\n")
    assert rows == [(2, ["1", "a\r\nb"]), (3, ["2", "end\r"])]


def test_bom_and_non_ascii_text():
    header, rows = read("\ufeffid\tname\n1\tZo\u00eb \U0001f600\n".encode())
    assert header == ("id", "name")
    assert rows == [(2, ["1", "Zo\u00eb \U0001f600"])]


def test_header_only_and_zero_length_members():
    assert read(b"id\tname\n") == (("id", "name"), [])
    assert read(b"") == ((), [])


def test_missing_final_newline_and_trailing_blank_line():
    assert read(b"id\n1\n2")[1] == [(2, ["1"]), (3, ["2"])]
    assert read(b"id\n1\n\n")[1] == [(2, ["1"])]


def test_wrong_field_count_names_file_and_line():
    with pytest.raises(FormatError) as error:
        read(b"id\tname\n1\tAda\n2\tBo\textra\n")
    assert error.value.line == 3
    assert "expected 2 fields" in str(error.value)
    assert str(error.value).startswith("MITx-6.002x-2012_Fall-auth_user-prod-analytics.sql, line 3:")


def test_broken_utf8_names_line_and_column():
    with pytest.raises(FormatError) as error:
        read(b"id\tname\tcity\n1\tAda\tGen\xe8ve\n")
    assert (error.value.line, error.value.column) == (2, "city")
    assert "invalid UTF-8" in str(error.value)


@pytest.mark.parametrize(
    "start",
    [
        b"-- MySQL dump 10.13\n",
        b"/*!40101 SET NAMES utf8 */;\n",
        b"CREATE TABLE `auth_user` (\n",
        b"INSERT INTO x VALUES (1);\n",
    ],
)
def test_a_mysqldump_is_refused_with_a_message_that_says_so(start):
    with pytest.raises(FormatError, match="mysqldump"):
        read(start + b"more\n")


def test_repeated_header_names_are_refused():
    with pytest.raises(FormatError, match="repeated"):
        read(b"id\tid\n1\t2\n")


def test_round_trip_of_the_exporters_own_escaping():
    """Values escaped exactly as the exporter's _normalize_value escapes them decode back."""
    values = [
        'Zo\u00eb "Q" O\'Neil',
        "line1\r\nline2\ttab \\ back",
        '{"a": "x\\ny"}',
        "",
        "\\n literal",
        "a\\",
    ]

    def export(value: str) -> str:
        return value.replace("\\", "\\\\").replace("\r", "\\r").replace("\t", "\\t").replace("\n", "\\n")

    data = ("v\n" + "".join(export(v) + "\n" for v in values)).encode()
    assert [r[1][0] for r in read(data)[1]] == values


def test_the_decoder_imports_nothing_from_django():
    code = (
        "import sys, edx_schema.package.tsv; print(sorted(m for m in sys.modules if m.startswith('django')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert ast.literal_eval(result.stdout.strip()) == []


def test_an_empty_line_inside_a_multi_column_file_is_a_bad_record():
    with pytest.raises(FormatError, match="expected 2 fields") as error:
        read(b"id\tname\n1\tAda\n\n2\tBo\n")
    assert error.value.line == 3


def test_escaped_backslash_before_a_separator_and_escaped_raw_tab():
    assert split_fields("a\\\\\tb") == ["a\\", "b"]  # field "a\" then field "b"
    assert split_fields("a\\\tb\tNULL") == ["a\tb", None]  # backslash + raw TAB is data


@pytest.mark.parametrize("size", [1, 7, 64, 4096])
def test_reading_in_runs_of_whole_records_gives_the_same_records(size):
    # Escaped newlines, escaped backslashes before newlines, raw CRs and blank lines, cut anywhere.
    body = (
        b"1\tline one\\\nstill one\n"
        b"2\tends in a backslash \\\\\n"
        b"\n"
        b"3\tcr\rinside\n"
        b"4\t\\\\\\\nthree backslashes\n"
        b"5\tlast\n\n\n"
    )
    data = b"id\ttext\n" + body
    whole = TsvReader(io.BytesIO(data), file="f", tolerant=True)
    expected = [tuple(r) for r in whole]
    stream = io.BytesIO(data)
    reader = TsvReader(stream, file="f", tolerant=True)
    assert reader.body_line == 2
    got = []
    for first_line, chunk in split_chunks(stream, first_line=reader.body_line, size=size):
        got.extend(tuple(r) for r in reader.chunk_records(chunk, first_line=first_line))
    assert [(r[0], r[1], str(r[2])) for r in got] == [(r[0], r[1], str(r[2])) for r in expected]
    assert next(r[1] for r in got if not r[2]) == ["1", "line one\nstill one"]
