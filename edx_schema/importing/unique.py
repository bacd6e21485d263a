"""Unique indexes other than a table's key: rows that would take another row's unique values.

Rows are upserted on the table's key (its primary key, or the documented natural key) and on
nothing else. Rows apply in line order, and a row is refused, as a row error, if at its turn
another row (of another key) already holds its values of another unique index: auth_user's
username or email, a studentitem's course, student and item. Every backend decides this the
same way, comparing values as MySQL's case-insensitive collations do; on SQLite, whose plain
text columns are case-sensitive, a temporary NOCASE copy of such an index stands in for it
(see ``backends/sqlite_folds.py``; NOCASE folds ASCII letters only, MySQL's collations fold
accents too).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection

from ..errors import FormatError
from .rows import RowPlan


@dataclass(frozen=True)
class UniqueIndex:
    """A unique index of the table other than its key, all of whose columns the file fills."""

    columns: tuple[str, ...]
    positions: tuple[int, ...]  # in RowPlan.all_columns
    fold: bool  # SQLite: case-sensitive there, so enforced through a NOCASE copy too


def unique_indexes(plan: RowPlan, found: tuple[tuple[tuple[str, ...], bool], ...]) -> list[UniqueIndex]:
    """Of the table's unique indexes ``found`` (``(columns, fold)``, the key's excluded), those rows of
    this file can collide on, in a fixed order."""
    key = set(plan.spec.key)
    indexes = []
    for columns, fold in found:
        if set(columns) == key or not set(columns) <= set(plan.all_columns):
            continue
        positions = tuple(plan.all_columns.index(c) for c in columns)
        indexes.append(UniqueIndex(columns, positions, fold and not key & set(columns)))
    return sorted(indexes, key=lambda u: u.columns)


def holder(
    cursor,
    plan: RowPlan,
    unique: list[UniqueIndex],
    row: list[Any],
    *,
    mark: str,
    table_of: Callable[[UniqueIndex], str],
) -> tuple[UniqueIndex, tuple[Any, ...]] | None:
    """The first unique index whose values in ``row`` a row of another key holds, with that row's key."""
    quote = connection.ops.quote_name
    key = plan.spec.key
    key_values = [row[plan.all_columns.index(k)] for k in key]
    other = " OR ".join(f"{quote(k)} <> {mark}" for k in key)
    for u in unique:
        values = [row[p] for p in u.positions]
        if any(value is None for value in values):
            continue  # NULLs never collide
        same = " AND ".join(f"{quote(c)} = {mark}" for c in u.columns)
        cursor.execute(
            f"SELECT {', '.join(map(quote, key))} FROM {table_of(u)} WHERE {same} AND ({other}) LIMIT 1",
            [*values, *key_values],
        )
        found = cursor.fetchone()
        if found is not None:
            return u, tuple(found)
    return None


def conflict(
    plan: RowPlan, line: int, row: list[Any], unique: UniqueIndex, holder: tuple[Any, ...]
) -> FormatError:
    """The row error for a row whose values of ``unique`` the row with key ``holder`` holds."""
    header = dict(zip(plan.columns, (plan.header[p] for p in plan.positions), strict=True))
    names = [header.get(c, c) for c in unique.columns]
    values = tuple(row[p] for p in unique.positions)
    other = ", ".join(f"{k} {v}" for k, v in zip(plan.spec.key, holder, strict=True))
    return FormatError(
        f"another row of {plan.spec.table} ({other}) already has this {' and '.join(names)} "
        "(unique, whatever the letter case)",
        file=plan.label,
        line=line,
        column=", ".join(names),
        value=values[0] if len(values) == 1 else values,
    )
