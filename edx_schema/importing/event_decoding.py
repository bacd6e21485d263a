"""A tracking log's events decoded by several processes at once, handed back in the file's order.

Decoding a line (JSON, checks, the columns research queries on) costs more than storing it, so
a big log is decoded by ``decoders`` forked helper processes: each reads the whole stream
(gunzipping and splitting lines is cheap) and decodes every ``decoders``-th run of
:data:`RUN_LINES` lines; this process takes the runs in turn, ``0, 1, 2, ...``, and stores them
(LOAD DATA's text for MySQL, rows for SQLite) while the helpers decode the next ones. Pipes
between them hold a few runs at most, so memory stays bounded whatever the file.

Each run comes with its counts and its bad lines, so the file fails as soon as the bad lines of
the runs taken so far pass ``--max-errors``.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from typing import Any, BinaryIO

from ..errors import PackageError
from ..helper_process import Helper, HelperFailed, Send, can_fork
from ..package.events import BadLine, EventRow, decode_line, excerpt
from ..package.events.decode import MAX_LINE_BYTES
from ..package.events.reader import BadLineReport, LogTally, TooLongLine, log_lines
from ..package.tsv import encode_load_data_field
from .rows import FileFailed

#: Lines of a run: what a helper decodes and sends at a time (about 1 MB of log).
RUN_LINES = 1_000
#: Logs smaller than this (their stored bytes) are decoded in this process: a fork costs more.
HELPERS_FROM_BYTES = 1 << 20
#: At most this many decoding helpers.
MAX_DECODERS = 4

OpenStream = Callable[[], AbstractContextManager[BinaryIO]]
Keep = Callable[[EventRow], bool] | None


def decoders_for(size: int) -> int:
    """How many helpers decode a log of ``size`` bytes: one per core (at most 4), none if small."""
    if size < HELPERS_FROM_BYTES or not can_fork():
        return 0
    return max(1, min(MAX_DECODERS, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1))


def decoded_runs(
    open_stream: OpenStream,
    *,
    file_id: int,
    keep: Keep,
    as_text: bool,
    tally: LogTally,
    label: str,
    max_errors: int,
    decoders: int,
    on_progress: Callable[[int], None],
) -> Iterator[Any]:
    """Each run's events, in the file's order: LOAD DATA text (``as_text``) or a list of rows.

    ``tally`` is kept up to date as runs come; FileFailed once more than ``max_errors`` lines
    are not events, or when the stream cannot be read.
    """
    share = functools.partial(_share, file_id=file_id, keep=keep, as_text=as_text, label=label)
    with ExitStack() as stack:
        if decoders < 1:
            stream = stack.enter_context(open_stream())
            sources: list[Iterator[Any]] = [share(stream, index=0, count=1)]
            helpers: list[Helper] = []
        else:
            helpers = [
                stack.enter_context(
                    Helper(
                        functools.partial(_in_helper, open_stream, share, index, decoders),
                        name="event decoder",
                    )
                )
                for index in range(decoders)
            ]
            sources = [helper.messages() for helper in helpers]
        try:
            turn = 0
            while True:
                try:
                    payload, last_line, events, filtered, reports = next(sources[turn % len(sources)])
                except StopIteration:
                    break  # the file's runs are over: the next run would have been this source's
                turn += 1
                tally.lines = max(tally.lines, last_line)
                tally.events += events
                tally.filtered += filtered
                for report in reports:
                    tally.bad += 1
                    if len(tally.reports) <= max_errors:
                        tally.reports.append(BadLineReport(*report))
                if tally.bad > max_errors:
                    first = tally.reports[0]
                    raise FileFailed(
                        f"{label}: more than {max_errors} lines are not events; the first, line "
                        f"{first.line}: {first.reason} ({first.start!r}) (--max-errors {max_errors}); "
                        "none of its events were kept"
                    )
                on_progress(tally.lines)
                yield payload
            for source in sources:  # the others end too (their runs are over as well)
                for _ in source:
                    raise FileFailed(f"{label}: the event decoders went out of step")
        except HelperFailed as error:
            raise FileFailed(str(error) if error.expected else f"{label}: {error}") from None
        except PackageError as error:  # a damaged gzip stream, read in this process
            raise FileFailed(str(error)) from None
        lines = max((helper.result for helper in helpers), default=0)
        tally.lines = max(tally.lines, lines or 0)


def _in_helper(
    open_stream: OpenStream, share: Callable[..., Iterator[Any]], index: int, count: int, send: Send
) -> int:
    """A helper's work: send its runs; return the file's line count (every helper reads them all)."""
    last = 0
    with open_stream() as stream:
        for message in share(stream, index=index, count=count, lines_seen=(seen := [0])):
            send(message)
        last = seen[0]
    return last


def _share(
    stream: BinaryIO,
    *,
    index: int,
    count: int,
    file_id: int,
    keep: Keep,
    as_text: bool,
    label: str,
    lines_seen: list[int] | None = None,
) -> Iterator[tuple[Any, int, int, int, list[tuple[Any, ...]]]]:
    """The runs ``index``, ``index + count``, ... of the log: ``(payload, last line, events,
    filtered, bad-line reports)`` each, an empty payload for a run with no event to store."""
    encode = encode_load_data_field
    prefix = f"{file_id}\t"
    payload: list[Any] = []
    events = filtered = 0
    reports: list[tuple[Any, ...]] = []
    run = -1  # the run being gathered, if it is ours
    number = 0
    for number, raw in log_lines(stream, label=label):
        current = (number - 1) // RUN_LINES
        if current % count != index:
            if run >= 0:
                yield ("".join(payload) if as_text else payload), number - 1, events, filtered, reports
                payload, events, filtered, reports, run = [], 0, 0, [], -1
            continue
        run = current
        try:
            if raw.__class__ is TooLongLine:
                raise BadLine(f"longer than {MAX_LINE_BYTES:,} bytes")
            row = decode_line(raw)
        except BadLine as error:
            reports.append(_report(number, raw, error))
            continue
        events += 1
        if keep is not None and not keep(row):
            filtered += 1
            continue
        if as_text:
            payload.append(f"{prefix}{number}\t{chr(9).join(map(encode, row))}\n")
        else:
            payload.append((file_id, number, *row))
    if lines_seen is not None:
        lines_seen[0] = number
    if run >= 0:
        yield ("".join(payload) if as_text else payload), number, events, filtered, reports


def _report(number: int, raw: bytes, error: BadLine) -> tuple[Any, ...]:
    """A bad line's report as plain values (a decoded JSON value is shown as its text)."""
    value = error.value
    plain = value if value is None or isinstance(value, str | int | float | bool) else repr(value)[:200]
    return number, error.reason, error.field, plain, excerpt(raw)
