"""Reading back what the package builder wrote, with the package reader (never the builder)."""

from __future__ import annotations

from pathlib import Path

from edx_schema.package.source import open_member
from edx_schema.package.tsv import TsvReader


def member_rows(path: Path) -> list[dict[str, str | None]]:
    """One ``.sql`` member's rows, as dicts by header name (``NULL`` read as None)."""
    with open(path, "rb") as stream:
        reader = TsvReader(stream, file=path.name)
        return [dict(zip(reader.header, record.values, strict=True)) for record in reader]


def table_rows(package, table: str) -> list[dict]:
    """Every row of ``table``'s members in ``package``, as a dict by header name."""
    rows = []
    for member in package.members:
        if member.name.kind == "table" and member.name.table == table:
            with open_member(package, member) as stream:
                reader = TsvReader(stream, file=member.path)
                rows += [dict(zip(reader.header, record.values, strict=True)) for record in reader]
    return rows
