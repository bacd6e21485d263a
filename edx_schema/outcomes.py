"""What an import did, in the words every layer uses: member statuses and row counts.

One definition for the importer, its log (:class:`~edx_schema.models.ImportRecord`), the
document savers and the commands that print them. Pure: no Django.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum


class Status(StrEnum):
    """What happened to one member of a package, as the summary and the import log show it."""

    LOADED = "loaded"
    WOULD_LOAD = "would load"
    FAILED = "failed"
    EMPTY = "empty"
    EXPORT_FAILED = "export failed"
    MISSING = "missing"
    SKIPPED = "skipped"
    ALREADY = "already imported"
    FILTERED = "filtered"

    @property
    def ok(self) -> bool:
        """Whether a member with this status leaves the import successful."""
        return self is not Status.FAILED


#: The statuses the import log records (a member it loaded, or one that failed).
RECORDED = (Status.LOADED, Status.FAILED)


@dataclass
class RowCounts:
    """Rows read from one member, and what storing them did."""

    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    #: Rows the member's file no longer has, removed from its course's set (snapshot members).
    deleted: int = 0

    def counts(self) -> RowCounts:
        """These counts alone (a subclass's other fields left out)."""
        return RowCounts(**{f.name: getattr(self, f.name) for f in fields(RowCounts)})

    def set_counts(self, other: RowCounts) -> None:
        """Take ``other``'s counts."""
        for f in fields(RowCounts):
            setattr(self, f.name, getattr(other, f.name))

    def clear_stored(self) -> None:
        """Nothing was stored after all (the member's transaction was rolled back)."""
        self.inserted = self.updated = self.unchanged = self.deleted = 0
