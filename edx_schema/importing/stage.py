"""A temporary table holding what one member's file says, for the set-based steps of a load.

Projection and join members (a role's name instead of its id) and snapshot members (whose
file replaces a course's rows) are applied with a few SQL statements against the rows of the
file, which sit in a temporary table of this connection: memory stays bounded by one batch,
and the database, not Python, matches millions of rows. The table is keyed on the member's
natural key, and a later line of the same key replaces the earlier one (line order, as for
every member), so the repeats can be counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, models

from .backends import backend
from .rows import batches

#: The stage's column that keeps each row's line in the file.
LINE = "edx_schema_line"


def column_type(f: models.Field) -> str:
    """The SQL type of ``f``'s values (an id's type, never AUTO_INCREMENT), with its collation.

    The collation its table's column has: MySQL refuses ``=`` between columns of two implicit
    collations, and a text column's may be the field's choice (opaque-keys' course keys) or the
    database's default when the table was made, which need not be today's.
    """
    if f.is_relation:
        f = f.target_field
    if isinstance(f, models.AutoField | models.BigAutoField | models.SmallAutoField):
        return f.rel_db_type(connection)
    sql = f.db_type(connection)
    collation = backend(connection).column_collation(f.model._meta.db_table, f.column)
    if collation:
        return f"{sql} {connection.SchemaEditorClass(connection)._collate_sql(collation)}"
    return sql


class Stage:
    """``name``: a temporary table with ``columns`` (column -> field) and a primary key on ``key``."""

    def __init__(self, name: str, columns: dict[str, models.Field], *, key: tuple[str, ...]) -> None:
        self.backend = backend(connection)
        self.table = f"edx_schema_stage_{name}"
        self.name = self.backend.quote(self.table)
        self.columns = list(columns)
        self.key = key
        self._types = {c: column_type(f) for c, f in columns.items()}
        self.rows = 0

    def q(self, name: str) -> str:
        return self.backend.quote(name)

    def create(self, cursor) -> None:
        q = self.q
        definitions = [f"{q(LINE)} BIGINT NOT NULL"]
        for column in self.columns:
            null = "NOT NULL" if column in self.key else "NULL"
            definitions.append(f"{q(column)} {self._types[column]} {null}")
        definitions.append(f"PRIMARY KEY ({', '.join(map(q, self.key))})")
        cursor.execute(self.backend.drop_temporary_sql(self.name))
        cursor.execute(f"CREATE TEMPORARY TABLE {self.name} ({', '.join(definitions)})")

    def fill(self, cursor, rows: Iterable[tuple[int, list[Any]]]) -> None:
        """Insert ``(line, values)`` pairs; a repeated key keeps its last line's values."""

        def counted() -> Iterator[tuple[int, list[Any]]]:
            for row in rows:
                self.rows += 1
                yield row

        self.backend.fill_stage(cursor, self, counted())

    def insert_batches(self, cursor, rows: Iterator[tuple[int, list[Any]]]) -> None:
        """:meth:`fill` by batched upserts (every backend can)."""
        columns = [LINE, *self.columns]
        others = [c for c in columns if c not in self.key]
        sql = self.backend.upsert_sql(self.table, columns, key=self.key, update=others)
        for batch in batches(rows):
            cursor.executemany(sql, [(line, *values) for line, values in batch])

    def count(self, cursor) -> int:
        cursor.execute(f"SELECT COUNT(*) FROM {self.name}")
        return cursor.fetchone()[0]

    def dangling(self, cursor, column: str, table: str, target: str) -> int:
        """How many distinct values of ``column`` refer to no row of ``table``."""
        return dangling(cursor, self.name, [], column, table, target)

    def sweep(
        self,
        cursor,
        table: str,
        *,
        scope: str,
        course_id: str,
        present: str | None = None,
        cascade: tuple[tuple[str, str], ...] = (),
    ) -> tuple[int, int]:
        """Delete the rows of ``table`` within ``scope`` (SQL, ``%s`` = the course key) that the
        stage does not have; ``(rows deleted, rows of the cascade deleted)``.

        ``present`` is the ``SELECT`` that finds a row of ``table`` (by its quoted name) in the
        stage, ``{stage}`` standing for the stage; by default its key columns match.
        ``cascade``: ``(table, column)`` pairs whose rows refer to a deleted row's id and go with
        it, as the LMS's ON DELETE CASCADE would take them (a removed team's memberships).
        """
        q = self.q
        target = q(table)
        if present is None:
            same = " AND ".join(f"s.{q(c)} = {target}.{q(c)}" for c in self.key)
            present = f"SELECT 1 FROM {{stage}} s WHERE {same}"
        gone = f"{scope} AND NOT EXISTS ({present.format(stage=self.name)})"
        params = [course_id] * scope.count("%s")
        cascaded = 0
        for child, column in cascade:
            ids = f"SELECT {target}.id FROM {target} WHERE {gone}"
            cursor.execute(f"DELETE FROM {q(child)} WHERE {q(column)} IN ({ids})", params)
            cascaded += cursor.rowcount
        cursor.execute(f"DELETE FROM {target} WHERE {gone}", params)
        return cursor.rowcount, cascaded

    def repeats(self, cursor) -> int:
        """How many rows repeated the key of an earlier row (each kept its last line)."""
        return self.rows - self.count(cursor)

    def drop(self, cursor) -> None:
        cursor.execute(self.backend.drop_temporary_sql(self.name))


def dangling(cursor, relation: str, params: list[Any], column: str, table: str, target: str) -> int:
    """How many distinct values of ``column`` in ``relation`` (a table, or a subquery with its
    ``params``) refer to no row of ``table``."""
    q = connection.ops.quote_name
    cursor.execute(
        f"SELECT COUNT(DISTINCT s.{q(column)}) FROM {relation} s WHERE s.{q(column)} IS NOT NULL "
        f"AND NOT EXISTS (SELECT 1 FROM {q(table)} t WHERE t.{q(target)} = s.{q(column)})",
        params,
    )
    return cursor.fetchone()[0]


def repeats(cursor, relation: str, params: list[Any], key: tuple[str, ...]) -> int:
    """How many rows of ``relation`` repeat the ``key`` of another (each beyond the first)."""
    columns = ", ".join(map(connection.ops.quote_name, key))
    cursor.execute(
        f"SELECT SUM(n - 1) FROM (SELECT COUNT(*) AS n FROM {relation} s GROUP BY {columns}) g", params
    )
    return cursor.fetchone()[0] or 0


@contextmanager
def staged(
    name: str, columns: dict[str, models.Field], *, key: tuple[str, ...]
) -> Iterator[tuple[Stage, Any]]:
    """A created :class:`Stage` and a cursor, the stage dropped afterwards (inside the caller's
    transaction: neither statement commits it)."""
    stage = Stage(name, columns, key=key)
    with connection.cursor() as cursor:
        stage.create(cursor)
        try:
            yield stage, cursor
        finally:
            stage.drop(cursor)
