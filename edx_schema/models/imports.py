"""edx-schema's own bookkeeping: which package members were imported, when, and with what result.

Not an LMS table (``edx_schema_importrecord``); the admin shows it so that a data team can see
what each weekly package brought in.
"""

from __future__ import annotations

from django.db import models

from ..outcomes import RECORDED, RowCounts, Status
from ..package.names import SITES


class ImportRecord(models.Model):
    """One member of a data package, as one run of ``import_package`` handled it.

    A member recorded as ``loaded`` is skipped by later imports of the same package unless they
    pass ``--force``; every run that loads or fails a member adds a record, so this is a log.

    .. no_pii:
    """

    LOADED = Status.LOADED
    FAILED = Status.FAILED
    OUTCOME_CHOICES = tuple((str(status), str(status)) for status in RECORDED)

    package = models.CharField(max_length=255, db_index=True, help_text="The package, e.g. mitx-2024-01-07.")
    package_date = models.DateField(null=True, blank=True, help_text="The date in the package's name.")
    member = models.CharField(max_length=255, help_text="The member's path inside the package.")
    table = models.CharField(max_length=64, help_text="The table it was loaded into.")
    course_id = models.CharField(max_length=255, blank=True, db_index=True, help_text="Its course, if known.")
    site = models.CharField(max_length=16, blank=True, help_text=f"{', '.join(SITES[:-1])} or {SITES[-1]}.")
    checksum = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the member's clear text.")
    rows_read = models.BigIntegerField(default=0)
    inserted = models.BigIntegerField(default=0)
    updated = models.BigIntegerField(default=0)
    unchanged = models.BigIntegerField(default=0)
    rejected = models.BigIntegerField(default=0)
    deleted = models.BigIntegerField(default=0, help_text="Rows of its course the file no longer had.")
    started = models.DateTimeField()
    finished = models.DateTimeField()
    outcome = models.CharField(max_length=16, choices=OUTCOME_CHOICES)
    message = models.TextField(blank=True, help_text="Why it failed, or what was noticed.")

    class Meta:
        db_table = "edx_schema_importrecord"
        ordering = ["-started", "member"]
        indexes = [models.Index(fields=["package", "member"], name="edx_schema_import_member")]
        verbose_name = "import record"

    def __str__(self) -> str:
        return f"{self.package}/{self.member}: {self.outcome}"

    @staticmethod
    def count_fields(counts: RowCounts) -> dict[str, int]:
        """The row-count fields of a record for ``counts``."""
        return {
            "rows_read": counts.read,
            "inserted": counts.inserted,
            "updated": counts.updated,
            "unchanged": counts.unchanged,
            "rejected": counts.rejected,
            "deleted": counts.deleted,
        }
