"""The database backends: the one place that asks which database this is.

A backend writes a table member's converted rows into its table, builds upsert statements
and reads the table's unique indexes. Each lives in the module named after Django's
``connection.vendor`` and exposes its class as ``BACKEND``: ``mysql.py`` (MySQL and MariaDB,
``LOAD DATA`` fed from a pipe) and ``sqlite.py`` (batched upserts, with a helper process that
parses while this one writes). A PostgreSQL ``COPY`` backend would be one more file,
``postgresql.py``.
"""

from __future__ import annotations

import importlib
from typing import ClassVar

from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper

from ...errors import ConfigurationError
from ..rows import TableLoad

#: Unique indexes of a table but its primary key: ``(columns, fold)`` (see ``importing.unique``).
UniqueIndexes = tuple[tuple[tuple[str, ...], bool], ...]


class Backend:
    """What the import pipeline and grade recomputation need from one kind of database."""

    vendor: ClassVar[str]
    #: One connection writes at a time (SQLite): parallel workers cannot help, helper processes can.
    single_writer: ClassVar[bool] = False

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self.connection = connection

    def quote(self, name: str) -> str:
        return self.connection.ops.quote_name(name)

    def load(self, job: TableLoad) -> None:
        """Write ``job``'s rows into its table (inside the caller's transaction), counting them."""
        raise NotImplementedError

    def unique_indexes(self, table: str) -> UniqueIndexes:
        """``(columns, fold)`` of each unique index of ``table`` but its primary key."""
        with self.connection.cursor() as cursor:
            constraints = self.connection.introspection.get_constraints(cursor, table)
        return tuple(
            (tuple(c["columns"]), False)
            for _name, c in sorted(constraints.items())
            if c["unique"] and not c["primary_key"] and c["columns"]
        )

    def upsert_sql(
        self,
        table: str,
        columns: list[str] | tuple[str, ...],
        *,
        key: tuple[str, ...],
        update: list[str] | tuple[str, ...],
        source: str | None = None,
        mark: str = "%s",
        only_changed: bool = False,
    ) -> str:
        """``INSERT`` rows into ``table``, or update ``update`` columns of the row with their ``key``.

        The rows come from ``source`` (a ``SELECT``) or else are one row of parameters. With
        ``only_changed``, where the backend can tell, a row whose values are already there is
        left untouched (not counted as changed).
        """
        names = ", ".join(map(self.quote, columns))
        rows = source or f"VALUES ({', '.join([mark] * len(columns))})"
        return (
            f"INSERT INTO {self.quote(table)} ({names}) {rows} "
            f"{self.on_conflict(table, key=key, update=update, only_changed=only_changed)}"
        )

    def on_conflict(
        self, table: str, *, key: tuple[str, ...], update: list[str] | tuple[str, ...], only_changed: bool
    ) -> str:
        """The standard SQL upsert clause (SQLite, PostgreSQL): ``ON CONFLICT (key) DO UPDATE``."""
        q = self.quote
        if not update:
            return f"ON CONFLICT ({', '.join(map(q, key))}) DO NOTHING"
        assignments = ", ".join(f"{q(c)} = excluded.{q(c)}" for c in update)
        clause = f"ON CONFLICT ({', '.join(map(q, key))}) DO UPDATE SET {assignments}"
        if only_changed:
            clause += " WHERE " + " OR ".join(f"{q(table)}.{q(c)} IS NOT excluded.{q(c)}" for c in update)
        return clause

    def insert_new_sql(self, table: str, columns: list[str], *, source: str) -> str:
        """``INSERT`` the rows of ``source`` (a ``SELECT``) whose unique values are not there yet.

        Counted by the statement: a row another transaction inserted first is skipped, not
        counted twice.
        """
        names = ", ".join(map(self.quote, columns))
        return f"INSERT INTO {self.quote(table)} ({names}) {source} ON CONFLICT DO NOTHING"

    def changed_rows(self, rowcount: int, rows: int) -> int:
        """How many of ``rows`` existing rows an ``upsert_sql(..., only_changed=True)`` changed."""
        return rowcount  # the WHERE of DO UPDATE leaves unchanged rows uncounted

    def lock_sql(self, select: str) -> str | None:
        """``select`` locking the rows (and gaps) it reads until the transaction ends, or None
        where one writer at a time is all the database allows anyway (SQLite)."""
        return None

    def fill_stage(self, cursor, stage, rows) -> None:
        """Write ``(line, values)`` rows into a :class:`~..stage.Stage` (a later key replaces)."""
        stage.insert_batches(cursor, rows)

    def column_collation(self, table: str, column: str) -> str | None:
        """The collation of a text column of ``table`` (None: the database's plain comparison)."""
        f = next(f for f in _model(table)._meta.concrete_fields if f.column == column)
        return f.db_parameters(self.connection).get("collation")

    def drop_temporary_sql(self, name: str) -> str:
        """Drop the temporary table ``name`` (quoted) if it exists, without ending the transaction."""
        return f"DROP TABLE IF EXISTS {name}"

    def course_range(self, field: str, course_id: str) -> dict[str, str]:
        """The filter that makes the database seek to one course in a ``(course_id, ...)`` index."""
        return {field: course_id}


def _model(table: str):
    from django.apps import apps

    return next(m for m in apps.get_models() if m._meta.db_table == table)


def backend(connection: BaseDatabaseWrapper = default_connection) -> Backend:
    """The backend of ``connection`` (by default Django's default connection)."""
    name = f"{__name__}.{connection.vendor}"
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name != name:
            raise
        raise ConfigurationError(
            f"edx-schema cannot write to a {connection.vendor} database (it supports MySQL, MariaDB "
            "and SQLite)"
        ) from None
    return module.BACKEND(connection)
