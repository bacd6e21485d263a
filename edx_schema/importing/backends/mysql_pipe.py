"""Rows handed to ``LOAD DATA LOCAL INFILE`` through an anonymous pipe, in its text format."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import suppress
from typing import Any

from ...package.tsv import encode_load_data_field
from ..rows import FileFailed, Row, member_error

# Where a process sees its open files by number (macOS and most Linux systems have /dev/fd).
FD_FOLDER = "/dev/fd" if os.path.isdir("/dev/fd") else "/proc/self/fd"


class RowPipe:
    """An anonymous pipe that a thread fills with rows in LOAD DATA's text format.

    ``LOAD DATA LOCAL INFILE`` reads it as ``/dev/fd/N``: the client library runs in this process
    and opens its own descriptor of the pipe, so nothing is created on disk and a killed import
    leaves nothing behind. The thread closes its end however it stops, so LOAD DATA always sees the
    end of the rows; leaving the ``with`` closes the read end, so a thread still writing (the load
    failed) gets a broken pipe instead of waiting for a reader, and is always joined. A thread that
    failed or stopped early fails the member: LOAD DATA has then loaded a part of the rows only.
    """

    def __init__(self, rows: Iterator[Row], *, label: str, line_column: bool) -> None:
        self.label = label
        self.read_fd, self.write_fd = os.pipe()
        self.path = f"{FD_FOLDER}/{self.read_fd}"
        self.failure: BaseException | None = None
        self.finished = False
        self.thread = threading.Thread(
            target=self._fill, args=(rows, line_column), name=f"rows of {label}", daemon=True
        )

    def __enter__(self) -> RowPipe:
        try:
            self.thread.start()
        except BaseException:
            os.close(self.read_fd)
            os.close(self.write_fd)
            raise
        return self

    def _fill(self, rows: Iterator[Row], line_column: bool) -> None:
        out = None
        try:
            out = open(self.write_fd, "w", encoding="utf-8", newline="\n", buffering=1 << 20)  # noqa: SIM115
            write = out.write
            fields = encode_load_data_field
            for line, row in rows:
                text = "\t".join(map(fields, row))
                write(f"{text}\t{line}\n" if line_column else f"{text}\n")
            out.close()  # flushes: a reader that went away shows here
            self.finished = True
        except BaseException as error:  # the main thread raises it once LOAD DATA has returned
            self.failure = error
        finally:
            with suppress(Exception):
                if out is None:
                    os.close(self.write_fd)
                else:
                    out.close()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        with suppress(OSError):
            os.close(self.read_fd)
        self.thread.join()
        failure = self.failure
        # A broken pipe is the load's doing (it stopped reading): the load's own error says why.
        if failure is not None and not isinstance(failure, BrokenPipeError):
            raise member_error(failure, self.label, "preparing the rows") from failure
        if exc_type is None and not self.finished:
            raise FileFailed(f"{self.label}: the rows stopped before the end of the file ({failure!r})")
