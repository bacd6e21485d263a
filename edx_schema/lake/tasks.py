"""What a Spark task of the job is given, and the function it runs: importable before Django is.

A Python worker unpickles the task's function and its arguments before anything has set Django
up, so this module imports neither Django nor the models; :func:`run_tasks` sets Django up
(the job's settings: models, no database) and only then imports the converters.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

SETTINGS = "edx_schema.lake.job_settings"


@dataclass(frozen=True)
class Task:
    """One member to convert: where it is, what it is, and its place in the load order."""

    package: str  # the package's path
    member: str  # the member's path in the package
    number: int  # its place in the job's load order (from 1)
    kind: str  # "table", "joined", "events", "forum", "course_structure", "course_olx" or "email_opt_in"
    table: str  # the lake table it fills
    token: str = ""  # a table member's table token
    size: int = 0  # its size in bytes (the biggest members start first)
    label: str = ""  # how messages name it: {package}/{path}
    course: str = ""  # a course document's course, as its package's tables name it ("": none does)
    known: str = ""  # the course an earlier package's tables name for its {org}-{course}-{run}
    # A piece of a big member split by bytes (:func:`.job.split_tasks`): its number (from 0),
    # its first byte and line (a record's start), and the first line of the next piece (0: the
    # member's end). A whole member is piece 0 from byte 0 to its end.
    piece: int = 0
    start: int = 0
    first_line: int = 1
    stop_line: int = 0


@dataclass(frozen=True)
class Rules:
    """The importer's rules for bad rows (``import_package --skip-bad-rows/--max-errors``)."""

    skip_bad_rows: bool = False
    max_errors: int = 100
    gnupghome: str | None = None
    passphrase: str | None = None


def run_tasks(batches: Iterator[pa.RecordBatch], *, rules: Rules, staging: str) -> Iterator[pa.RecordBatch]:
    """A Spark task: the members named by ``batches`` (one, as the job partitions them), staged."""
    setup_django()
    from pathlib import Path

    from .convert import convert_member

    for batch in batches:
        for task in batch.to_pylist():
            yield from convert_member(Task(**task), rules, staging=Path(staging))


def measure_piece(piece: tuple[str, str, int, int]) -> tuple[int, int, int] | None:
    """A Spark task: where a piece of a member, (package, member, start, end) in bytes, really
    starts and ends (at records' starts) and how many lines it holds (None: unreadable)."""
    setup_django()
    from .convert import piece_bounds

    return piece_bounds(*piece)


def course_folder(*, name: str, complete: frozenset[int]) -> Callable:
    """A Spark task's function (``applyInArrow``): one course's staged rows of a course document's
    table, as the loads of its members in turn leave them (:func:`.convert.fold_course`)."""

    # Without annotations: Spark reads a function's type hints to tell how to call it, and
    # fails on hints it cannot resolve (this module imports pyarrow only for type checking).
    def fold(table):
        setup_django()
        from .convert import fold_course

        return fold_course(table, name=name, complete=complete)

    return fold


def setup_django() -> None:
    """Django in an executor's Python worker: the job's settings, unless it is set up already
    (the driver's own process, in local mode)."""
    import django
    from django.conf import settings

    if not settings.configured:
        os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
        django.setup()
