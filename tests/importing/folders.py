"""Packages written as folders of hand-made members, and their import's results by table."""

from __future__ import annotations

from pathlib import Path

from edx_schema.importing import ImportOptions, import_packages
from edx_schema.importing.results import MemberResult
from edx_schema.outcomes import Status

COURSE = "course-v1:UniversityX+CS-101x+3T2024"
PREFIX = "UniversityX-CS-101x-3T2024-"
SUFFIX = "-prod-analytics.sql"


def package(tmp_path: Path, date: str, members: dict[str, str | bytes], *, prefix: str = PREFIX) -> Path:
    """``universityx-{date}/`` with one member per table token (``ora/`` members in that folder)."""
    folder = tmp_path / f"universityx-{date}"
    folder.mkdir()
    (folder / "ora").mkdir()
    for table, content in members.items():
        ora = table.startswith(("assessment_", "workflow_", "submissions_scoresummary"))
        path = folder / ("ora" if ora else "") / f"{prefix}{table}{SUFFIX}"
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return folder


def load(folder: Path, **options) -> dict[str, MemberResult]:
    """Import ``folder``; each loaded (or failed) member's result, by the table it fills."""
    summary = import_packages(paths=[folder], options=ImportOptions(**options))
    return {r.table: r for r in summary.results if r.status != Status.MISSING}
