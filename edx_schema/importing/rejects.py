"""The rejects file of ``--skip-bad-rows``: each file's bad rows, written before that file commits.

A file's good rows and its record in the import log commit together; its rejected rows must be
on disk by then, or a failure to write them would lose them for good (a rerun skips the file as
loaded). So the path is checked before anything loads, and each file's rejects are appended
inside its transaction: if they cannot be written, the file is not loaded.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Sequence
from pathlib import Path

from ..errors import PackageError
from ..package.tsv import format_record
from .rows import Rejected

HEADER = ("file", "line", "column", "value", "reason", "record")


class RejectsFile:
    """Rejected rows of one import run, in a TSV file; shared by ``--jobs`` worker processes.

    The first file with rejected rows replaces what the path held (an earlier run's rejects);
    the others append. A run that rejects nothing leaves the path alone. Which write is the
    first is read off the file itself, under an exclusive lock that orders the writes of
    ``--jobs`` workers: it is the one that finds the file as the run found it (or empty).
    So the object is plain data, which worker processes can be handed.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        # The earlier run's file, as the run found it.
        self._found = _identity(os.stat(self.path)) if self.path.is_file() else None

    def check(self) -> None:
        """Raise PackageError now if the rejects cannot be written, before anything is loaded."""
        problem = None
        if self.path.is_dir():
            problem = "is a folder"
        elif not self.path.parent.is_dir():
            problem = f"there is no folder {self.path.parent}"
        elif self.path.exists() and not os.access(self.path, os.W_OK):
            problem = "is not writable"
        elif not self.path.exists() and not os.access(self.path.parent, os.W_OK | os.X_OK):
            problem = f"the folder {self.path.parent} is not writable"
        if problem:
            raise PackageError(f"--rejects {self.path}: {problem}; nothing was loaded")

    def write(self, *, label: str, rejected: Sequence[Rejected]) -> None:
        """Write one file's rejected rows (fsynced); PackageError if they cannot be written."""
        if not rejected:
            return
        text = "".join(
            format_record(
                [
                    r.file,
                    r.line,
                    r.column,
                    r.value,
                    r.reason,
                    format_record(r.values).rstrip("\n") if r.values else "",
                ]
            )
            for r in rejected
        )
        try:
            descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o644)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX)
                status = os.fstat(descriptor)
                if status.st_size == 0 or _identity(status) == self._found:  # this run's first
                    os.ftruncate(descriptor, 0)
                    text = format_record(list(HEADER)) + text
                os.lseek(descriptor, 0, os.SEEK_END)
                data = text.encode("utf-8")
                while data:
                    data = data[os.write(descriptor, data) :]
                os.fsync(descriptor)
            finally:
                os.close(descriptor)  # closing releases the lock
        except OSError as error:
            raise PackageError(
                f"--rejects {self.path}: cannot write the rejected rows of {label} "
                f"({error.strerror or error}); the file was not loaded"
            ) from None


def _identity(status: os.stat_result) -> tuple[int, ...]:
    """What tells one state of a file from another: any write changes its size or time."""
    return (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)
