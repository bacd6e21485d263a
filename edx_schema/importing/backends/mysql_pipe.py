"""Text handed to ``LOAD DATA LOCAL INFILE`` through an anonymous pipe, in its text format."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import suppress
from typing import Any

from ...package.tsv import encode_load_data_field
from ..rows import FileFailed, Row, member_error

# Where a process sees its open files by number (macOS and most Linux systems have /dev/fd).
FD_FOLDER = "/dev/fd" if os.path.isdir("/dev/fd") else "/proc/self/fd"
#: What the pipe holds unread (Linux's default for an unprivileged process's largest), and what
#: the thread hands it at a time. The thread makes the next text while the server loads what
#: the pipe holds; with the default 64 KiB pipe behind a larger buffer, each waited for the other.
PIPE_BYTES = 1 << 20
WRITE_BYTES = 64 << 10


def load_data_lines(rows: Iterator[Row], *, line_column: bool) -> Iterator[str]:
    """``rows`` as LOAD DATA's text, a line each; ``line_column`` adds each row's line number."""
    fields = encode_load_data_field
    for line, row in rows:
        text = "\t".join(map(fields, row))
        yield f"{text}\t{line}\n" if line_column else f"{text}\n"


class RowPipe:
    """An anonymous pipe that a thread fills with text in LOAD DATA's format.

    ``LOAD DATA LOCAL INFILE`` reads it as ``/dev/fd/N``: the client library runs in this process
    and opens its own descriptor of the pipe, so nothing is created on disk and a killed import
    leaves nothing behind. The thread closes its end however it stops, so LOAD DATA always sees the
    end of the rows; leaving the ``with`` closes the read end, so a thread still writing (the load
    failed) gets a broken pipe instead of waiting for a reader, and is always joined. A thread that
    failed or stopped early fails the member: LOAD DATA has then loaded a part of the rows only.
    """

    def __init__(self, text: Iterator[str], *, label: str) -> None:
        self.label = label
        self.read_fd, self.write_fd = os.pipe()
        with suppress(AttributeError, OSError):  # not Linux, or a lower limit: the default size
            fcntl.fcntl(self.write_fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        self.path = f"{FD_FOLDER}/{self.read_fd}"
        self.failure: BaseException | None = None
        self.finished = False
        self.thread = threading.Thread(target=self._fill, args=(text,), name=f"rows of {label}", daemon=True)

    def __enter__(self) -> RowPipe:
        try:
            self.thread.start()
        except BaseException:
            os.close(self.read_fd)
            os.close(self.write_fd)
            raise
        return self

    def _fill(self, text: Iterator[str]) -> None:
        out = None
        try:
            out = open(self.write_fd, "w", encoding="utf-8", newline="\n", buffering=WRITE_BYTES)  # noqa: SIM115
            write = out.write
            for piece in text:
                write(piece)
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
