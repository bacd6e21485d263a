"""A member read in pieces from byte offsets: each piece starts at a record's start, and the
pieces' records, read from there, are the member's records read whole."""

from __future__ import annotations

import io
import itertools

from hypothesis import given
from hypothesis import strategies as st

from edx_schema.package.tsv import TsvReader
from edx_schema.package.tsv.records import count_lines, record_start

HEADER = b"a\tb\n"


def starts(data: bytes) -> list[int]:
    """Every record start, the plain way: offset 0, and after each LF whose physical line does
    not end in an odd run of backslashes."""
    found, offset = [0], 0
    for line in data.split(b"\n")[:-1]:
        offset += len(line) + 1
        run = len(line) - len(line.rstrip(b"\\"))
        if run % 2 == 0:
            found.append(offset)
    return found


@given(st.binary(max_size=200).map(lambda b: bytes(b"ab\\\n\r\t"[x % 6] for x in b)))
def test_a_piece_starts_at_the_first_record_start_at_or_after_its_offset(data):
    stream = io.BytesIO(data)
    records = starts(data)
    for offset in range(len(data) + 1):
        expected = next((start for start in records if start >= offset), len(data))
        assert record_start(stream, offset) == expected, offset


def test_a_run_of_backslashes_longer_than_a_read_is_counted_whole():
    for run in (70_000, 70_001):  # the escape is decided by the run's parity, across reads
        data = b"x" + b"\\" * run + b"\nnext\n"
        stream = io.BytesIO(data)
        lf = data.index(b"\n")
        expected = lf + 1 if run % 2 == 0 else len(data)
        assert record_start(stream, 5) == expected
        assert record_start(stream, lf) == expected


def test_lines_are_counted_between_offsets():
    data = b"one\ntwo\n\nthree"
    assert count_lines(io.BytesIO(data), 0, len(data)) == 3
    assert count_lines(io.BytesIO(data), 4, 9) == 2


row = st.one_of(
    st.none(),  # a blank line: a bad record where a record follows it, nothing at the end
    st.lists(
        st.text(alphabet="xy\\\n\t\r", max_size=6).map(
            lambda text: text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\\n")
        ),
        min_size=2,
        max_size=2,
    ),
)


def until(records, stop: int | None) -> list[tuple]:
    """The records (line, values, error) before line ``stop`` (None: all)."""
    kept = records if stop is None else itertools.takewhile(lambda record: record.line < stop, records)
    return [(record.line, record.values, str(record.error)) for record in kept]


@given(st.lists(row, max_size=12), st.lists(st.integers(min_value=1, max_value=400), max_size=4))
def test_the_pieces_records_are_the_members_records(rows, cuts):
    lines = ["" if fields is None else "\t".join(fields) for fields in rows]
    body = "".join(line + ("\n" if index % 3 else "\r\n") for index, line in enumerate(lines))
    data = HEADER + body.encode()
    whole = until(iter(TsvReader(io.BytesIO(data), file="m", tolerant=True)), None)
    stream = io.BytesIO(data)
    bounds = sorted({record_start(stream, cut) for cut in cuts if cut < len(data)} | {0, len(data)})
    pieced = []
    first_line = 1
    for begin, end in itertools.pairwise(bounds):
        following = first_line + count_lines(stream, begin, end)
        reader = TsvReader(io.BytesIO(data), file="m", tolerant=True)
        if begin:
            records = reader.records_from(io.BytesIO(data[begin:]), first_line=first_line)
        else:
            records = iter(reader)
        pieced += until(records, None if end == len(data) else following)
        first_line = following
    assert pieced == whole
