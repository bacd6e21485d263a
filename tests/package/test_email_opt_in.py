"""Decoding the org-level e-mail opt-in list: the exporter's CSV, exactly, and every way it can be wrong."""

from __future__ import annotations

import csv
import io
import random

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from edx_schema.errors import FormatError, InvalidKeyError, PackageError
from edx_schema.package.email_opt_in import (
    COLUMNS,
    LEGACY_COLUMNS,
    MAX_RECORD_BYTES,
    OptIn,
    OptInReader,
    org_of,
)
from tests.fuzz import profile
from tests.fuzz.mutators import BAD_COURSE_KEYS, BAD_FIELDS, CSV_PIECES, MUTATORS, mutate
from tests.package.memory import peak_megabytes

FILE = "mitx-email_opt_in-prod-analytics.csv"
COURSE = "course-v1:MITx+6.002x+2T2024"
LEGACY = "MITx/6.00x/2013_Spring"
HEADER = ",".join(COLUMNS)


def listing(rows: list[list[str]], *, columns: tuple[str, ...] = COLUMNS, chunks: int = 1) -> bytes:
    """The list as the LMS's ``email_opt_in_list`` writes it: csv.DictWriter, the header again
    before each chunk of rows (of courses), CRLF."""
    out = io.StringIO(newline="")
    size = -(-len(rows) // chunks) if rows else 1
    for start in range(0, max(len(rows), 1), size):
        writer = csv.DictWriter(out, fieldnames=list(columns))
        writer.writeheader()
        for row in rows[start : start + size]:
            writer.writerow(dict(zip(columns, row, strict=True)))
    return out.getvalue().encode("utf-8")


def read(data: bytes, **options) -> list[OptIn]:
    return list(OptInReader(io.BytesIO(data), file=FILE, **options))


def error_of(data: bytes) -> FormatError:
    with pytest.raises(FormatError) as caught:
        read(data)
    return caught.value


ADA = [
    "5",
    "ada",
    "ada@example.org",
    'Ada "Countess" Lovelace, FRS',
    COURSE,
    "False",
    "2015-03-04 10:11:12+00:00",
]
BO = ["6", "bo", "bo@example.org", "", LEGACY, "True", "2014-12-01 00:00:00"]
CY = ["7", "cy", "cy@example.org", "Line one\r\nline two", COURSE, "True", "2016-01-02 03:04:05.250000+00:00"]


def test_rows_come_out_exactly_with_crlf_quotes_embedded_line_breaks_and_repeated_headers():
    data = listing([ADA, BO, CY], chunks=3)
    assert data.count(HEADER.encode()) == 3
    assert b"\r\n" in data
    rows = read(data)
    assert [row.line for row in rows] == [2, 4, 6]
    ada, _, cy = rows
    assert ada == OptIn(2, 5, "ada", "ada@example.org", ADA[3], COURSE, False, "2015-03-04 10:11:12")
    assert ada.preference_recorded
    assert cy.full_name == "Line one\r\nline two"
    assert cy.preference_set_datetime == "2016-01-02 03:04:05.250000"


def test_the_exporters_defaults_are_told_from_a_preference_set():
    bo = read(listing([BO]))[0]
    assert (bo.is_opted_in_for_email, bo.preference_set_datetime, bo.preference_recorded) == (
        True,
        None,
        False,
    )
    # The same moment as a preference the learner set is data: it carries its offset.
    chose = read(listing([[*BO[:6], "2014-12-01 00:00:00+00:00"]]))[0]
    assert (chose.preference_set_datetime, chose.preference_recorded) == ("2014-12-01 00:00:00", True)


def test_the_2016_list_without_user_id_and_username_reads_too():
    legacy = [row[2:] for row in (ADA, BO)]
    reader = OptInReader(io.BytesIO(listing(legacy, columns=LEGACY_COLUMNS)), file=FILE)
    assert reader.legacy
    rows = list(reader)
    assert [(r.user_id, r.username, r.email) for r in rows] == [(None, None, ADA[2]), (None, None, BO[2])]


def test_columns_are_matched_by_name_a_bom_and_lf_line_ends_are_accepted():
    order = tuple(reversed(COLUMNS))
    data = b"\xef\xbb\xbf" + listing([list(reversed(ADA))], columns=order).replace(b"\r\n", b"\n")
    (row,) = read(data)
    assert (row.user_id, row.email, row.is_opted_in_for_email) == (5, ADA[2], False)


def test_an_empty_file_has_no_columns_and_a_header_only_one_no_rows():
    assert OptInReader(io.BytesIO(b""), file=FILE).columns == ()
    assert read(b"") == []
    assert read(listing([])) == []


@pytest.mark.parametrize(
    ("column", "value", "words"),
    [
        ("user_id", "", "not an integer"),
        ("user_id", "2147483648", "out of range"),
        ("username", "u" * 151, "151 characters, longer than the column's 150"),
        ("email", "e" * 255, "longer than the column's 254"),
        ("full_name", "n" * 256, "longer than the column's 255"),
        ("course_id", "MITx/6.00x", "not a valid course key"),
        ("is_opted_in_for_email", "true", "not True or False"),
        ("is_opted_in_for_email", "1", "not True or False"),
        ("preference_set_datetime", "2015-03-04 10:11:12", "not a datetime in UTC"),
        ("preference_set_datetime", "2015-03-04 10:11:12+01:00", "not a datetime in UTC"),
        ("preference_set_datetime", "2015-02-30 10:11:12+00:00", "not a valid datetime"),
        ("preference_set_datetime", "", "not a datetime in UTC"),
    ],
)
def test_a_bad_value_names_file_line_column_and_value(column, value, words):
    row = list(ADA)
    row[COLUMNS.index(column)] = value
    error = error_of(listing([BO, row]))
    assert (error.file, error.line, error.column, error.value) == (FILE, 3, column, value)
    assert words in error.message
    assert str(error).startswith(f"{FILE}, line 3, column {column}: ")


def test_a_bad_course_key_is_an_invalid_key_error_too():
    error = error_of(listing([[*ADA[:4], "not a key", *ADA[5:]]]))
    assert isinstance(error, InvalidKeyError)
    assert error.key == "not a key"


def test_the_default_date_with_false_is_refused():
    error = error_of(listing([[*BO[:5], "False", BO[6]]]))
    assert (error.line, error.column) == (2, "preference_set_datetime")
    assert "writes True with it" in error.message


@pytest.mark.parametrize(
    ("data", "line", "column", "words"),
    [
        (
            HEADER.encode() + b"\r\n5,ada,ad\xffa@example.org,,a/b/c,True,2014-12-01 00:00:00\r\n",
            2,
            "email",
            "b'\\xff'",
        ),
        (HEADER.encode() + b"\r\n5,ada,a@b,Ad\0a,a/b/c,True,2014-12-01 00:00:00\r\n", 2, "full_name", "NUL"),
        (HEADER.encode() + b"\r\n5,ada,a@b,a/b/c,True,2014-12-01 00:00:00\r\n", 2, None, "6 fields"),
        (HEADER.encode() + b"\r\n5,ada,a@b,,a/b/c,True,2014-12-01 00:00:00,x\r\n", 2, None, "8 fields"),
        (HEADER.encode() + b'\r\n5,ada,a@b,"Ada"x,a/b/c,True,2014-12-01 00:00:00\r\n', 2, None, "not CSV"),
        (HEADER.encode() + b"\r\n5,ada,a@b,Ad\ra,a/b/c,True,2014-12-01 00:00:00\r\n", 2, None, "not CSV"),
        (HEADER.encode() + b'\r\n5,ada,a@b,"Ada\r\nnever closed\r\n', 2, None, "not CSV"),
        (listing([ADA]) + ",".join(LEGACY_COLUMNS).encode() + b"\r\n", 3, None, "another header with 5"),
    ],
)
def test_a_record_that_cannot_be_read_names_its_line(data, line, column, words):
    error = error_of(data)
    assert (error.file, error.line, error.column) == (FILE, line, column)
    assert words in str(error)


@pytest.mark.parametrize(
    ("header", "words"),
    [
        (b"user_id,username,email,full_name,course_id,is_opted_in_for_email", "not the header"),
        (HEADER.encode() + b",extra", "not the header"),
        (HEADER.replace("email,", "email,email,").encode(), "not the header"),
        (b"user_id\tusername\temail", "not the header"),
        (b"\xff\xfeu\0s\0", "UTF-16"),
        (HEADER.encode().replace(b"email", b"em\xffail"), "not the header"),
    ],
)
def test_a_file_that_is_not_an_opt_in_list_is_refused_at_its_header(header, words):
    error = error_of(header + b"\r\n")
    assert (error.line, error.column) == (1, None)
    assert words in error.message


def test_a_tolerant_reader_returns_unreadable_records_and_goes_on():
    bad = HEADER.encode() + b'\r\n5,ada,a@b,"Ada"x,a/b/c,True,2014-12-01 00:00:00\r\n'
    data = bad + listing([BO]).split(b"\r\n", 1)[1]
    reader = OptInReader(io.BytesIO(data), file=FILE, tolerant=True)
    records = list(reader.records())
    assert [(r.line, r.error is not None) for r in records] == [(2, True), (3, False)]
    assert reader.convert(records[1]).email == BO[2]
    assert reader.course_of(records[1]) == LEGACY


def test_a_record_longer_than_the_limit_ends_the_file_even_when_tolerant():
    data = HEADER.encode() + b'\r\n5,ada,a@b,"' + b"x\r\n" * (MAX_RECORD_BYTES // 3 + 1)
    with pytest.raises(FormatError, match=f"line 2: a record longer than {MAX_RECORD_BYTES:,} bytes"):
        list(OptInReader(io.BytesIO(data), file=FILE, tolerant=True).records())


@pytest.mark.parametrize(
    ("path", "org"),
    [
        ("mitx-2024-01-07/mitx-email_opt_in-prod-analytics.csv.gpg", "mitx"),
        ("Harvard-X-email_opt_in-prod-analytics.csv", "Harvard-X"),
    ],
)
def test_the_org_comes_from_the_file_name(path, org):
    assert org_of(path) == org


@pytest.mark.parametrize(
    "path", ["-email_opt_in-prod-analytics.csv", f"{'o' * 256}-email_opt_in-prod-analytics.csv"]
)
def test_a_file_name_without_a_usable_org_is_refused(path):
    with pytest.raises(PackageError, match="org"):
        org_of(path)


def test_memory_stays_bounded_whatever_the_list_holds():
    # 200,000 rows and millions of blank lines are streamed; an unclosed quote before 200 MB is
    # refused at the record limit. The peak stays well under 100 MB.
    peak, output = peak_megabytes(
        """
        from edx_schema.errors import FormatError
        from edx_schema.package.email_opt_in import COLUMNS, OptInReader

        def rows(count):
            yield ",".join(COLUMNS).encode() + b"\\r\\n"
            for number in range(count):
                yield f"{number},u{number},u{number}@x.org,Name,a/b/c,True,2014-12-01 00:00:00\\r\\n".encode()
            yield b"\\r\\n" * 3_000_000

        print(sum(1 for _ in OptInReader(generated(rows(200_000)), file="f")))
        try:
            head = ",".join(COLUMNS).encode() + b'\\r\\n1,u,e,"'
            list(OptInReader(generated([head] + [b"x\\r\\n" * (1 << 18)] * 200), file="f"))
        except FormatError as error:
            print(error.line, error.message[:28])
        """
    )
    assert output.splitlines() == ["200000", "2 a record longer than 65,536 "]
    assert peak < 100


# -- fuzz: mutated lists, only the project's own errors come out ----------------------------------

#: Byte- and line-level mutators of the fuzz harness that apply to any text member.
_TEXT_MUTATORS = sorted(
    name
    for name, m in MUTATORS.items()
    if {"tsv", "mongo"} <= m.categories and name not in ("symlink", "zip_crc")
)
_SAMPLE = listing([ADA, BO, CY], chunks=2)


@st.composite
def mutated(draw) -> bytes:
    data = _SAMPLE
    how = draw(st.sampled_from(["splice", "pieces", "values", *_TEXT_MUTATORS]))
    if how == "splice":
        at, cut = draw(st.integers(0, len(data))), draw(st.integers(0, 64))
        piece = draw(st.binary(max_size=64))
        note(f"{piece!r} spliced in at byte {at}, replacing {cut} bytes")
        return data[:at] + piece + data[at + cut :]
    if how == "pieces":
        for _ in range(draw(st.integers(1, 4))):
            at, piece = draw(st.integers(0, len(data))), draw(st.sampled_from(CSV_PIECES))
            note(f"{piece[:20]!r} in at byte {at}")
            data = data[:at] + piece + data[at:]
        return data
    if how == "values":
        row = list(draw(st.sampled_from([ADA, BO, CY])))
        column = draw(st.integers(0, len(COLUMNS) - 1))
        row[column] = draw(st.one_of(st.sampled_from([*BAD_FIELDS, *BAD_COURSE_KEYS]), st.text(max_size=40)))
        note(f"{COLUMNS[column]} = {row[column]!r}")
        return listing([BO, row])
    seed = draw(st.integers(0, 2**32 - 1))
    data, notes = mutate(how, data, random.Random(seed))
    note(f"{how} seed {seed}: {'; '.join(notes)[:300]}")
    return data


@profile.MANY
@given(data=mutated(), tolerant=st.booleans())
def test_a_mutated_list_reads_or_raises_only_format_errors(data, tolerant):
    try:
        reader = OptInReader(io.BytesIO(data), file=FILE, tolerant=tolerant)
        rows = []
        for record in reader.records():
            if record.error is None:
                rows.append(reader.convert(record))
    except FormatError as error:
        assert error.file == FILE  # noqa: PT017 - every error names the file
        return
    for row in rows:
        assert isinstance(row.email, str)
        assert isinstance(row.course_id, str)
        assert row.user_id is None or isinstance(row.user_id, int)
        assert isinstance(row.is_opted_in_for_email, bool)
        assert row.preference_recorded or row.is_opted_in_for_email
        assert len(row.email) <= 254
        assert "\0" not in row.full_name
