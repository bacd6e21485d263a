"""The package text format, rule by rule (data_package format: escapes, NULL, CR, BOM, header)."""

import ast
import io
import itertools
import json
import random
import subprocess
import sys
import threading
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edx_schema.errors import FormatError
from edx_schema.package.builder import PackageSpec, build_package
from edx_schema.package.tsv import TsvReader, encode_field, split_chunks, split_fields
from edx_schema.package.tsv import fields as tsv_fields
from edx_schema.package.tsv import reader as tsv_reader
from edx_schema.package.tsv import records as tsv_records

FILE = "MITx-6.002x-2012_Fall-auth_user-prod-analytics.sql"


def read(data: bytes, name: str = FILE):
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


def test_a_raw_cr_inside_a_record_is_data():
    # The legacy mysql client wrote CR unescaped: "a<CR>\\nb" is "a", CR, LF, "b".
    _header, rows = read(b"id\taddress\n1\ta\r\\nb\n2\tx\ry\n")
    assert rows == [(2, ["1", "a\r\nb"]), (3, ["2", "x\ry"])]


def test_a_cr_before_the_line_break_is_part_of_it_unless_escaped():
    _header, rows = read(b"id\tv\r\n1\tend\r\n2\tescaped\\\r\n3\ttwo\r\r\n4\tlast\r")
    assert rows == [(2, ["1", "end"]), (3, ["2", "escaped\r"]), (4, ["3", "two\r"]), (5, ["4", "last\r"])]


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


@pytest.mark.parametrize(
    ("data", "message", "column", "value"),
    [
        (b"id\tname\tid\n1\t2\t3\n", "names this column twice", "id", None),
        (b"id\t\tname\n", "field 2 of the header is empty", None, None),
        (b"id\tna\x1b[2Jme\n", "field 2 of the header is not a column name", None, "na\x1b[2Jme"),
        (b"id\t" + b"n" * 65 + b"\n", "field 2 of the header is not a column name", None, "n" * 65),
        (b"\xef\xbb\xbf\xef\xbb\xbfid\n", "field 1 of the header is not a column name", None, "\ufeffid"),
        ("id\tname\n".encode("utf-16"), "UTF-16", None, "\\xff\\xfei\0d"),
        ("id\tname\n".encode("utf-16-le"), "raw NUL byte", None, "i\0d\0"),
        (b"id\tn\xe9\n", "invalid UTF-8", None, "id\tn\\xe9"),
        (b"id\\", "ends inside this record", None, "id\\"),
    ],
)
def test_a_bad_header_is_a_clear_error_on_line_1(data, message, column, value):
    with pytest.raises(FormatError) as error:
        read(data)
    assert message in error.value.message
    assert (error.value.file, error.value.line, error.value.column) == (FILE, 1, column)
    assert value is None or error.value.value.startswith(value)  # a short excerpt at most
    assert str(error.value).isprintable()  # shown escaped: no terminal control reaches the user


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


def test_a_raw_nul_byte_is_refused_with_its_line_and_column():
    with pytest.raises(FormatError, match="raw NUL byte") as error:
        read(b"id\tname\tcity\n1\tA\0da\tGen\n")
    assert (error.value.line, error.value.column, error.value.value) == (2, "name", "1\tA\0da\tGen")
    reader = TsvReader(io.BytesIO(b"id\tname\n1\tA\0da\n2\tBo\n"), file=FILE, tolerant=True)
    records = list(reader)
    assert "raw NUL byte" in str(records[0].error)
    assert (records[1].line, records[1].values) == (3, ["2", "Bo"])


@pytest.mark.parametrize("end", [b"\\", b"\\\n", b"\\\\\\"])
def test_a_file_that_ends_inside_an_escape_is_refused(end):
    # A backslash that escapes the last line break, or nothing: the file was cut short.
    data = b"id\tv\n1\tfine\n2\tcut" + end
    with pytest.raises(FormatError, match="ends inside this record") as error:
        read(data)
    assert error.value.line == 3
    records = list(TsvReader(io.BytesIO(data), file=FILE, tolerant=True))
    assert [(r.line, r.values) for r in records] == [(2, ["1", "fine"]), (3, [])]
    assert "ends inside this record" in str(records[1].error)


def test_an_escaped_backslash_at_the_end_of_the_file_is_data():
    assert read(b"id\tv\n1\tends in \\\\")[1] == [(2, ["1", "ends in \\"])]


def test_a_record_over_the_limit_is_refused_even_when_tolerant(monkeypatch):
    monkeypatch.setattr(tsv_records, "MAX_RECORD_BYTES", 100)
    fits = b"1\t" + b"x" * 97 + b"\n"  # 100 bytes with its line break
    assert read(b"id\tv\n" + fits)[1] == [(2, ["1", "x" * 97])]
    for long in (b"2\t" + b"y" * 98 + b"\n", b"2\t" + b"y\\\n" * 40 + b"\n", b"2\t" + b"y" * 500):
        data = b"id\tv\n" + fits + long + b"3\tz\n"
        for tolerant in (False, True):
            reader = TsvReader(io.BytesIO(data), file=FILE, tolerant=tolerant)
            with pytest.raises(FormatError, match="a record longer than 100 bytes") as error:
                list(reader)
            assert error.value.line == 3
            assert long.decode().startswith(error.value.value)
            assert len(error.value.value) <= 40


def sample_records(data: bytes, *, size: int | None = None) -> list[tuple]:
    """Every record of ``data`` read tolerantly, whole or (with ``size``) in runs of records."""
    stream = io.BytesIO(data)
    reader = TsvReader(stream, file=FILE, tolerant=True)
    if size is None:
        return [(r.line, r.values, str(r.error)) for r in reader]
    records = []
    for first_line, chunk in split_chunks(stream, first_line=reader.body_line, size=size):
        records.extend(
            (r.line, r.values, str(r.error)) for r in reader.chunk_records(chunk, first_line=first_line)
        )
    return records


def exported(values: list[str | None]) -> bytes:
    return ("id\tv\n" + "".join(f"{n}\t{encode_field(v)}\n" for n, v in enumerate(values))).encode()


TRICKY = ['Zo\u00eb "Q"', "line1\r\nline2\ttab \\ back", "ends in CR\r", "\r", "", None, "a\\", "\\r\\n"]


@pytest.mark.parametrize("size", [None, 1, 5, 64])
def test_a_crlf_file_reads_exactly_as_its_lf_original(size):
    lf = exported(TRICKY) + b"\n\n"
    crlf = lf.replace(b"\n", b"\r\n")
    assert (
        sample_records(crlf, size=size)
        == sample_records(lf)
        == [(n + 2, [str(n), value], "None") for n, value in enumerate(TRICKY)]
    )


def run_with_timeout(function, *, seconds: float = 60):
    """Run ``function`` in a thread: a hang becomes a test failure instead of a stuck run."""
    result: list = []
    thread = threading.Thread(target=lambda: result.append(function()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "did not finish: it loops"
    return result[0]


@pytest.mark.parametrize(
    "body",
    [
        b"\n" * 3000,
        b"\r\n" * 1500,
        b"x" * 3000,
        b"\\\n" * 1500,
        b"\\" * 3000,
        b"\\\\\n" * 1000,
        b"\n\\\n" * 1000,
    ],
)
@pytest.mark.parametrize("size", [1, 3, 64, 4096])
def test_runs_of_records_always_end_and_lose_nothing(body, size):
    data = b"v\n" + body

    def runs():
        stream = io.BytesIO(data)
        TsvReader(stream, file=FILE)
        return list(split_chunks(stream, first_line=2, size=size))

    chunks = run_with_timeout(runs)
    assert b"".join(chunk for _line, chunk in chunks) == body
    line = 2
    for first_line, chunk in chunks:
        assert first_line == line
        line += chunk.count(b"\n")
    assert run_with_timeout(lambda: sample_records(data, size=size)) == sample_records(data)


# Each case runs in its own process, reading a stream generated as it is read, whole and in runs
# (as the SQLite helper does): it prints what it found and its peak memory.
BOUNDED_READER = """
import io, json, sys
from edx_schema.errors import FormatError
from edx_schema.package.tsv import TsvReader, split_chunks

head, unit, count = sys.argv[1].encode(), sys.argv[2].encode(), int(sys.argv[3])
MB = 1 << 20


def pieces():  # head, then count units, a megabyte at a time
    yield head
    left = count
    while left:
        n = min(left, MB // len(unit))
        left -= n
        yield unit * n


class Generated(io.RawIOBase):
    def __init__(self):
        self.pieces = pieces()
        self.current = b""

    def readable(self):
        return True

    def readinto(self, buffer):
        if not self.current:
            self.current = next(self.pieces, b"")
        n = min(len(buffer), len(self.current))
        buffer[:n], self.current = self.current[:n], self.current[n:]
        return n


def outcome(chunked):
    stream = io.BufferedReader(Generated(), buffer_size=MB)
    try:
        reader = TsvReader(stream, file="member")
        if not chunked:
            return [len(r.values[-1]) for r in reader]
        return [
            len(r.values[-1])
            for first_line, chunk in split_chunks(stream, first_line=reader.body_line, size=2 * MB)
            for r in reader.chunk_records(chunk, first_line=first_line)
        ]
    except FormatError as error:
        return [error.line, error.message]


found = [outcome(False), outcome(True)]
# VmHWM, this interpreter's own peak: ru_maxrss survives exec, so it starts at pytest's size.
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) // 1024
print(json.dumps({"found": found, "peak_mb": peak}))
"""
TOO_LONG = [
    2,
    "a record longer than 8,388,608 bytes, the most one record may hold (is this a data package member?)",
]


@pytest.mark.parametrize(
    ("head", "unit", "count", "expected"),
    [
        pytest.param("id\tv\n1\t", "x", 1 << 30, TOO_LONG, id="one endless line"),
        pytest.param("id\tv\n1\t", "line break\\\n", 1 << 22, TOO_LONG, id="endless escaped line breaks"),
        pytest.param("id\tv\n", "\n", 6_000_000, [], id="millions of blank lines"),
        pytest.param("id\tv\n", "\r\n", 2_000_000, [], id="millions of blank CRLF lines"),
        # 8,388,006 bytes: a value of 4,194,001 characters (one of them astral), all escapes.
        pytest.param("id\tv\n1\t\U0001f600", "\\\\\\n\\\t", 1_398_000, [4_194_001], id="the longest record"),
    ],
)
def test_every_input_is_read_in_bounded_memory_and_time(head, unit, count, expected):
    # A record of at most MAX_RECORD_BYTES: memory is bounded by that, whatever the input; and
    # the whole input is read at most once (a timeout, not a timing: a hang fails the test).
    result = subprocess.run(
        [sys.executable, "-c", BOUNDED_READER, head, unit, str(count)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    report = json.loads(result.stdout)
    assert report["found"] == [expected, expected]
    assert report["peak_mb"] < 200


def forward_boundary(buffer: bytes, start: int) -> int:
    """The end of the last unescaped LF at or after ``start``, by the one-pass scan itself."""
    cut, index = 0, 0
    while index < len(buffer):
        if buffer[index] == ord("\\"):
            index += 2
            continue
        if buffer[index] == ord("\n") and index >= start:
            cut = index + 1
        index += 1
    return cut


def test_the_end_of_a_run_of_records_is_found_as_the_one_pass_scan_finds_it():
    # Every buffer of up to 7 bytes of backslashes, line breaks and text, from every start
    # whose bytes before it hold no record end (as split_chunks calls it).
    for length in range(8):
        for combination in itertools.product(b"\\\na", repeat=length):
            buffer = bytes(combination)
            for start in range(length + 1):
                if forward_boundary(buffer[:start], 0) == 0:
                    found = tsv_records._record_boundary(buffer, start=start)
                    assert found == forward_boundary(buffer, start)


@given(st.text(alphabet="ab\\\tNUL\n\r\u00e9\U0001f600", max_size=60), st.integers(1, 5))
def test_a_long_record_is_split_and_unescaped_as_a_short_one(text, window):
    expected = split_fields(text)
    with mock.patch.object(tsv_fields, "_WINDOW", window):
        assert tsv_fields.split_long(text, len(expected)) == (expected, len(expected))
        assert tsv_fields.split_long(text, len(expected) + 1) == ([], len(expected))


# Byte-level mutations of real members: each must read as records or as a FormatError, the same
# whether read whole or in runs, and strictly up to the first error of a tolerant read.
INSERTS = [
    b"\t",
    b"\n",
    b"\r",
    b"\\",
    b"\0",
    b"\xff",
    b"\xc3",
    b"\xef\xbb\xbf",
    b"\r\n",
    b"\\\n",
    b"\\\t",
    b"NULL",
]


def mutated(rng: random.Random, data: bytes) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        kind, at = rng.randrange(8), rng.randint(0, len(data))
        if kind == 0 and data:
            data[min(at, len(data) - 1)] ^= 1 << rng.randrange(8)  # a flipped bit
        elif kind == 1:
            del data[at:]  # truncated
        elif kind == 2:
            data[at:at] = rng.choice(INSERTS)
        elif kind == 3:
            data[at:at] = rng.choice([b"x", b"\\\\", b"\t"]) * rng.randint(100, 3000)  # a huge field
        elif kind == 4:
            data = bytearray(bytes(data).replace(b"\n", b"\r\n"))
        elif kind == 5:  # a renamed, repeated, emptied or BOM-prefixed header name
            header, _lf, body = bytes(data).partition(b"\n")
            names = header.split(b"\t")
            i = rng.randrange(len(names))
            names[i] = rng.choice([names[i].upper(), names[0], b"", b"\xef\xbb\xbf" + names[i]])
            data = bytearray(b"\t".join(names) + b"\n" + body)
        elif kind == 6:
            data[:0] = rng.choice([b"\xef\xbb\xbf", b"\xff\xfe", b"\n", b"\n\n\n"])
        else:
            data[at:at] = b"\n" * rng.randint(1, 50)
    return bytes(data)


def outcome(data: bytes, *, tolerant: bool = True, size: int | None = None):
    """``(the error that stopped the reading or None, [(line, values, error)])``, read whole or in runs."""
    stream = io.BytesIO(data)
    records: list[tuple] = []
    try:
        reader = TsvReader(stream, file=FILE, tolerant=tolerant)
        if size is None:
            runs = [iter(reader)]
        else:
            runs = (
                reader.chunk_records(chunk, first_line=first_line)
                for first_line, chunk in split_chunks(stream, first_line=reader.body_line, size=size)
            )
        for run in runs:
            records.extend((r.line, r.values, r.error and str(r.error)) for r in run)
    except FormatError as error:
        return str(error), records
    return None, records


@pytest.fixture(scope="module")
def members(tmp_path_factory):
    built = build_package(
        spec=PackageSpec(learners=6, problems=4, courses=1), output=tmp_path_factory.mktemp("p")
    )
    return [path.read_bytes() for path in sorted(built.path.iterdir()) if path.suffix == ".sql"]


def test_mutated_members_read_as_records_or_clear_errors_only(members, monkeypatch):
    # Small limits, so that mutations reach the long-record paths and the record limit.
    monkeypatch.setattr(tsv_records, "MAX_RECORD_BYTES", 4096)
    monkeypatch.setattr(tsv_reader, "_LONG_RECORD", 200)
    monkeypatch.setattr(tsv_fields, "_WINDOW", 7)
    rng = random.Random(12)
    for _case in range(400):
        data = mutated(rng, rng.choice(members))
        stopped, records = tolerant = outcome(data)  # anything but a FormatError fails the test
        assert outcome(data, size=rng.choice([1, 7, 300, 5000])) == tolerant, data
        errors = [error for _line, _values, error in records if error]
        for message in [*errors, stopped or ""]:
            assert message.isprintable(), message  # escaped excerpts only
            assert len(message) < 400, message
        if errors:  # a strict read stops at the first bad record
            first = next(i for i, (_line, _values, error) in enumerate(records) if error)
            assert outcome(data, tolerant=False) == (errors[0], records[:first]), data
        else:
            assert outcome(data, tolerant=False) == tolerant, data
