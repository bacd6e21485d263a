"""A member's records handed to ``LOAD DATA`` as the file wrote them, wherever that is exact.

Converting each value in Python (split, unescape, parse, print, escape again) is most of what an
import costs the client, and for nearly every record it changes nothing: the converters return
the text they were given. Each converter says which texts those are (``verbatim`` in
``package/values.py``). The member is read in runs of whole records (about a megabyte, see
``split_chunks``); a run every field of which matches its column's pattern is checked by one
regular-expression match, in C, and passed on as it is, with only its ``NULL`` fields written
as LOAD DATA's ``\\N``. Any other run is read record by record through the converters, as
always, so every error, rejected row and count is exactly what they say.

Both kinds of run are text in the file's column order: the LOAD DATA statement lists the file's
columns as the header has them, a column the table does not take going into a user variable.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import closing
from typing import Any, BinaryIO

from ..errors import FormatError
from ..package.tsv import MAX_RECORD_BYTES, encode_load_data_field, split_chunks
from ..package.values import VERBATIM_ANY_TEXT
from .rows import Row, RowPlan, RowStream

#: Bytes per run: enough that the per-run work is nothing, little enough to bound memory.
RUN_BYTES = 256 << 10


def verbatim_pattern(plan: RowPlan) -> re.Pattern[str] | None:
    """A pattern that a run of the file's records matches only if every field may go verbatim.

    None if some column's converter has no verbatim form (then no record can go verbatim).
    """
    converters = dict(zip(plan.positions, plan.converters, strict=True))
    fields = []
    for position in range(len(plan.header)):
        convert = converters.get(position)
        # A column the table does not take is read into a variable and dropped: any text will do.
        pattern = VERBATIM_ANY_TEXT if convert is None else getattr(convert, "verbatim", None)
        if pattern is None:
            return None
        fields.append(f"(?>{pattern})")
    # Whole lines, none empty (an empty line is a record only if more follow: the reader decides).
    # Atomic fields and lines, taken possessively: a field ends at its TAB, so no other way of
    # matching it could help, and without them a run that fails late would be retried in every
    # way its earlier NULLs can match (NULL or text): exponentially many.
    return re.compile(f"(?>(?!\\n){chr(9).join(fields)}\\n)*+")


def file_order(plan: RowPlan) -> list[int | None]:
    """For each header position, the index of its value in a converted row (None: not taken)."""
    index = {position: i for i, position in enumerate(plan.positions)}
    return [index.get(position) for position in range(len(plan.header))]


class Verbatim:
    """One member's records as LOAD DATA text in the file's column order, read in runs.

    Made right after the header is read; it reads the first run at once, so that the caller can
    look at the first row (:meth:`first_row`) before choosing how to load.
    """

    def __init__(self, rows: RowStream, stream: BinaryIO, pattern: re.Pattern[str]) -> None:
        self.rows = rows
        self.pattern = pattern
        self.order = file_order(rows.plan)
        self._runs = split_chunks(stream, first_line=rows.reader.body_line, size=RUN_BYTES)
        self._first = next(self._runs, None)

    @property
    def empty(self) -> bool:
        """Whether the member has no record after its header."""
        return self._first is None

    def first_row(self) -> list[Any] | None:
        """The first row of the first run that converts, neither counted nor rejected; or None."""
        if self._first is None:
            return None
        line, data = self._first
        reader, plan = self.rows.reader, self.rows.plan
        try:
            with closing(reader.peek_records(data, first_line=line)) as records:
                for record in records:
                    if record.error is None:
                        try:
                            return plan.convert(record)
                        except FormatError:
                            continue
        except FormatError:  # a strict reader refuses a bad record: loading it will say so
            return None
        return None

    def _all_runs(self) -> Iterator[tuple[int, bytes]]:
        first, self._first = self._first, None
        if first is not None:
            yield first
            yield from self._runs

    def rows_converted(self) -> Iterator[Row]:
        """Every record converted, as :class:`RowStream` gives them (for a load that needs rows)."""
        rows = self.rows
        progress = rows.options.on_progress
        for line, data in self._all_runs():
            yield from rows.run_rows(data, first_line=line)
            progress(rows.counts.read)

    def text(self, *, line_column: bool = False) -> Iterator[str]:
        """The records as LOAD DATA text, a run at a time, counted as read.

        ``line_column`` ends each line with a field for its record's line number (a run that
        goes as it is has one record a line).
        """
        rows = self.rows
        counts, progress, reader = rows.counts, rows.options.on_progress, rows.reader
        for line, data in self._all_runs():
            # Blank lines left over from the run before are records now that more follow: the
            # reader must see them.
            text = None if reader.blank_lines_pending else self._as_is(data)
            if text is not None:
                counts.read += text.count("\n")
                if line_column:
                    lines = text.split("\n")
                    lines.pop()  # after the last line break
                    text = "".join([f"{record}\t{number}\n" for number, record in enumerate(lines, line)])
                yield text
            else:
                yield self._converted(data, line, line_column=line_column)
            progress(counts.read)

    def _as_is(self, data: bytes) -> str | None:
        """The run as LOAD DATA text if every record of it may go verbatim, else None."""
        if len(data) > MAX_RECORD_BYTES:
            return None  # perhaps one record too long to read: the reader says so
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        if not text.endswith("\n"):
            text += "\n"  # the file's last line, without its line break
        if self.pattern.fullmatch(text) is None:
            return None
        return load_data_nulls(text) if "NULL" in text else text

    def _converted(self, data: bytes, line: int, *, line_column: bool) -> str:
        fields = encode_load_data_field
        order = self.order
        end = "\t{}\n" if line_column else "\n"
        lines = [
            "\t".join(["" if i is None else fields(row[i]) for i in order]) + end.format(record_line)
            for record_line, row in self.rows.run_rows(data, first_line=line)
        ]
        return "".join(lines)


def load_data_nulls(text: str) -> str:
    """``text`` (whole lines, the last ended) with every field that is exactly ``NULL`` as ``\\N``.

    LOAD DATA reads the word as text; ``\\N`` is its NULL. str.replace runs in C: a field is
    bounded by TABs and line breaks, and a pass skips a field whose leading TAB the field
    before it used, so the between-TABs and one-column passes run twice.
    """
    if text.startswith(("NULL\t", "NULL\n")):
        text = "\\N" + text[4:]
    for _ in range(2):
        text = text.replace("\tNULL\t", "\t\\N\t")
    text = text.replace("\tNULL\n", "\t\\N\n")
    text = text.replace("\nNULL\t", "\n\\N\t")
    for _ in range(2):
        text = text.replace("\nNULL\n", "\n\\N\n")
    return text
