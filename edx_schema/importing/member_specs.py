"""The spec of a table member's file, by its table token: a table's own, or a join member's."""

from __future__ import annotations

from django.db import connection

from ..package import values
from ..package.names import member_table
from .joined import JOINED
from .tables import TableSpec, converter, table_spec


def member_spec(token: str) -> TableSpec:
    """How the file of a member with table token ``token`` is read (header -> field)."""
    joined = JOINED.get(token)
    return joined.spec() if joined is not None else table_spec(member_table(token))


def member_course_converter(token: str) -> values.Converter | None:
    """The converter of the member's ``course_id`` column, or None if its file has none."""
    spec = member_spec(token)
    return converter(spec, "course_id", connection) if "course_id" in spec.fields else None


def member_references(token: str) -> list[str]:
    """The tables a member's rows refer to (its foreign keys, enforced or not)."""
    return sorted(
        {f.related_model._meta.db_table for f in member_spec(token).fields.values() if f.is_relation}
    )
