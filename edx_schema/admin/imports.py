"""The import log: what each ``import_package`` run loaded, file by file."""

from __future__ import annotations

from django.contrib import admin

from ..admin_site import Area
from ..models import ImportRecord
from .base import ListAdmin


@admin.register(ImportRecord)
class ImportRecordAdmin(ListAdmin):
    """Read-only: the records are written by ``import_package`` and are the audit trail.

    A small table (one row per package member), so Django's defaults are fine here.
    """

    area = Area.IMPORTS
    list_display = (
        "package",
        "member",
        "table",
        "course_id",
        "outcome",
        "rows_read",
        "inserted",
        "updated",
        "unchanged",
        "rejected",
        "deleted",
        "started",
    )
    list_filter = ("outcome", "table", "site", "package")
    search_fields = ("package", "member", "course_id")
    date_hierarchy = "started"
    ordering = ("-started", "member")
    list_per_page = 100

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
