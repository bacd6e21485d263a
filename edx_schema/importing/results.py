"""What an import is asked to do, and what it did: options, each member's result, the summary."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..outcomes import RowCounts, Status
from ..package.events.reader import EventFilter
from ..package.names import SITE_CHOICES
from ..package.source import Decryption
from .rows import Rejected


@dataclass(frozen=True)
class ImportOptions:
    """What to import and how; see ``manage.py import_package --help``."""

    site: str = SITE_CHOICES[0]
    courses: frozenset[str] = frozenset()  # course entities ({Org}-{course}-{run}); empty = all
    tables: frozenset[str] = frozenset()  # empty = all loaded tables
    dry_run: bool = False
    force: bool = False
    skip_bad_rows: bool = False
    max_errors: int = 100
    jobs: int = 1
    decryption: Decryption = field(default_factory=Decryption)
    events: bool = True  # load tracking logs
    since: datetime.date | None = None  # tracking logs: events from this UTC day on
    until: datetime.date | None = None  # ... up to this UTC day

    def event_filter(self) -> EventFilter:
        """Which events of a tracking log to keep."""
        return EventFilter(courses=self.courses, since=self.since, until=self.until)


@dataclass(kw_only=True)
class MemberResult(RowCounts):
    """What happened to one member: its status, its row counts and why."""

    package: str
    member: str
    status: Status
    table: str = ""
    course: str = ""
    site: str = ""
    seconds: float = 0.0
    message: str = ""
    rejects: list[Rejected] = field(default_factory=list)
    #: The traceback of an unexpected exception (a bug), which the command shows at -v 3.
    detail: str = ""
    #: Rejected rows do not make the import fail: a tracking log's junk lines, reported and skipped.
    rejects_expected: bool = False


@dataclass
class ImportSummary:
    """Every member's result, in the order they were handled."""

    results: list[MemberResult] = field(default_factory=list)
    rejects_path: Path | None = None
    #: What the user should know about a package as a whole (a zip inside it, ...).
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when everything requested loaded: no failed member and no rejected row (but a
        tracking log's lines that are not events)."""
        return all(r.status.ok and (not r.rejected or r.rejects_expected) for r in self.results)

    def total(self, attribute: str) -> int:
        return sum(getattr(r, attribute) for r in self.results)


class Progress(Protocol):
    """A progress display for one member (the command gives a tqdm bar on a terminal)."""

    def update(self, *, bytes_read: int, rows: int) -> None: ...

    def close(self) -> None: ...


ProgressFactory = Callable[[str, int], Progress]


class _NoProgress:
    def update(self, *, bytes_read: int, rows: int) -> None:
        pass

    def close(self) -> None:
        pass


def no_progress(label: str, total: int) -> Progress:
    """The progress display that shows nothing (no terminal, or a worker process)."""
    return _NoProgress()
