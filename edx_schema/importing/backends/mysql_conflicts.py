"""MySQL/MariaDB: the careful merge of staged rows that collide on a unique index other than the key.

Such rows are rare (a username that moved from one learner to another, say); the merge in
``mysql.py`` first upserts every staged row without looking, and only when the database meets a
collision is that undone and the rows concerned applied here, one by one, in line order.
"""

from __future__ import annotations

from typing import Any

from django.db import connection

from ..rows import FileFailed, chunks
from ..unique import conflict, holder, unique_indexes


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


def apply_conflicting(writer: Any, cursor, staging: str) -> tuple[int, int, int]:
    """Apply, one by one in line order, the staged rows that a unique index other than the key involves.

    Those are the rows that share an index's values with a row of another key, in the table or
    in the file, and every staged row of the keys concerned. A row is refused if, at its
    turn, another row holds its values (as on SQLite, where rows are written in order); the
    others do not depend on them and are upserted together afterwards. Returns the
    (inserted, updated, applied) counts of the rows applied here, which leave the staging
    table.
    """
    unique = unique_indexes(writer.plan, writer.backend.unique_indexes(writer.plan.spec.table))
    if not unique:
        return 0, 0, 0
    plan = writer.plan
    key = plan.spec.key
    keys = [f"{{0}}.{quote(k)}" for k in key]
    involved: set[tuple[Any, ...]] = set()
    for u in unique:
        on = " AND ".join(f"t.{quote(c)} = s.{quote(c)}" for c in u.columns)
        other = " OR ".join(f"t.{quote(k)} <> s.{quote(k)}" for k in key)
        found = ", ".join([k.format("s") for k in keys] + [k.format("t") for k in keys])
        cursor.execute(f"SELECT {found} FROM {staging} s JOIN {writer.table} t ON {on} WHERE {other}")
        for values in cursor.fetchall():
            involved.update((tuple(values[: len(key)]), tuple(values[len(key) :])))
        columns = ", ".join(map(quote, u.columns))
        filled = " AND ".join(f"{quote(c)} IS NOT NULL" for c in u.columns)
        cursor.execute(
            f"SELECT {columns} FROM {staging} WHERE {filled} GROUP BY {columns} "
            f"HAVING COUNT(DISTINCT {', '.join(map(quote, key))}) > 1"
        )
        shared = cursor.fetchall()
        for chunk in chunks(shared):
            cursor.execute(
                f"SELECT {', '.join(map(quote, key))} FROM {staging} "
                f"WHERE ({columns}) IN ({', '.join([_row_marks(len(u.columns))] * len(chunk))})",
                [value for values in chunk for value in values],
            )
            involved.update(tuple(values) for values in cursor.fetchall())
    if not involved:
        return 0, 0, 0
    names = ", ".join(map(quote, plan.all_columns))
    key_names = ", ".join(map(quote, key))
    staged: list[tuple[Any, ...]] = []
    for chunk in chunks(sorted(involved)):
        marks = ", ".join([_row_marks(len(key))] * len(chunk))
        flat = [value for values in chunk for value in values]
        cursor.execute(
            f"SELECT {names}, edx_schema_line FROM {staging} WHERE ({key_names}) IN ({marks})", flat
        )
        staged.extend(cursor.fetchall())
        cursor.execute(f"DELETE FROM {staging} WHERE ({key_names}) IN ({marks})", flat)
    staged.sort(key=lambda values: values[-1])
    single = f"INSERT INTO {writer.table} ({names}) VALUES ({', '.join(['%s'] * len(plan.all_columns))})"
    where_key = " AND ".join(f"{quote(k)} = %s" for k in key)
    positions = [plan.all_columns.index(k) for k in key]
    inserted = updated = applied = 0
    for *row, line in staged:
        taken = holder(cursor, plan, unique, row, mark="%s", table_of=lambda u: writer.table)
        if taken is not None:
            writer.rows.reject(conflict(plan, line, row, *taken), [])
            continue
        applied += 1
        cursor.execute(single.replace("INSERT", "INSERT IGNORE", 1), row)
        if cursor.rowcount:
            inserted += 1
            continue
        cursor.execute(writer.upsert_sql(), row)
        updated += cursor.rowcount - 1
        cursor.execute(f"SELECT 1 FROM {writer.table} WHERE {where_key}", [row[p] for p in positions])
        if cursor.fetchone() is None:
            raise FileFailed(
                f"{plan.label}, line {line}: the row could not be stored: another import wrote a "
                "row with the same unique values at the same time; run the import again"
            )
    return inserted, updated, applied


def _row_marks(width: int) -> str:
    return f"({', '.join(['%s'] * width)})"
