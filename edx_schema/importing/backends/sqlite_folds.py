"""SQLite's stand-in for MySQL's case-insensitive unique indexes, during a load."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

from django.db import connection

from ..rows import RowPlan
from ..unique import UniqueIndex


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


class SqliteFolds:
    """Temporary NOCASE copies of the SQLite unique indexes that MySQL enforces case-insensitively.

    A copy holds each row's key and the index's columns, declared ``COLLATE NOCASE`` and unique,
    and temporary triggers copy every write to the table into it while a load runs: a write
    whose values collide with another row's, ignoring case, then fails as it would on MySQL.
    Copies live in the connection's temporary schema (and roll back with its transaction), so
    they are built once per connection and table, and built again if the table changed since:
    outside a load, the triggers only mark the copy stale (they never refuse a write then), and
    another connection's commits show in ``PRAGMA data_version``.
    """

    STATE = "edx_schema_fold_state"

    @classmethod
    @contextmanager
    def enforced(cls, raw, plan: RowPlan, unique: list[UniqueIndex]) -> Iterator[dict[UniqueIndex, str]]:
        """While the block runs, the copy of each folded index of ``unique`` (by quoted name)."""
        names = {u: f"edx_schema_fold_{plan.spec.table}__{'__'.join(u.columns)}" for u in unique if u.fold}
        if not names:
            yield {}
            return
        cursor = raw.cursor()
        state = quote(cls.STATE)
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {state} "
            "(name TEXT PRIMARY KEY, version INTEGER, loading INTEGER NOT NULL, stale INTEGER NOT NULL)"
        )
        (version,) = cursor.execute("PRAGMA data_version").fetchone()
        for u, name in names.items():
            current = cursor.execute(f"SELECT version, stale FROM {state} WHERE name = ?", [name]).fetchone()
            parts = [name, *(f"{name}_{event}" for event in ("insert", "update", "delete"))]
            marks = ", ".join("?" * len(parts))
            (present,) = cursor.execute(
                f"SELECT COUNT(*) FROM sqlite_temp_master WHERE name IN ({marks})", parts
            ).fetchone()
            if current != (version, 0) or present != len(parts):
                cls._build(cursor, plan.spec.table, plan.spec.key, u.columns, name)
                cursor.execute(f"INSERT OR REPLACE INTO {state} VALUES (?, ?, 0, 0)", [name, version])
        cursor.execute(
            f"UPDATE {state} SET loading = 1 WHERE name IN ({', '.join('?' * len(names))})", [*names.values()]
        )
        try:
            yield {u: quote(name) for u, name in names.items()}
        finally:
            with suppress(Exception):  # a broken connection: the load's own error says so
                cursor.execute(f"UPDATE {state} SET loading = 0")

    @classmethod
    def _build(cls, cursor, table: str, key: tuple[str, ...], columns: tuple[str, ...], name: str) -> None:
        q = quote
        copy, both = q(name), [*key, *columns]
        for event in ("insert", "update", "delete"):
            cursor.execute(f"DROP TRIGGER IF EXISTS temp.{q(f'{name}_{event}')}")
        cursor.execute(f"DROP TABLE IF EXISTS temp.{copy}")
        definitions = [*map(q, key), *(f"{q(c)} COLLATE NOCASE" for c in columns)]
        cursor.execute(
            f"CREATE TEMP TABLE {copy} ({', '.join(definitions)}, "
            f"PRIMARY KEY ({', '.join(map(q, key))}), UNIQUE ({', '.join(map(q, columns))}))"
        )
        names = ", ".join(map(q, both))
        # OR IGNORE: rows that collided before edx-schema checked this keep loading; only new
        # collisions are refused.
        cursor.execute(f"INSERT OR IGNORE INTO temp.{copy} ({names}) SELECT {names} FROM main.{q(table)}")
        loading = f"(SELECT loading FROM {q(cls.STATE)} WHERE name = '{name}')"
        stale = f"UPDATE {q(cls.STATE)} SET stale = 1 WHERE name = '{name}' AND NOT loading"
        new = ", ".join(f"NEW.{q(c)}" for c in both)
        old_key = " AND ".join(f"{q(k)} = OLD.{q(k)}" for k in key)
        assignments = ", ".join(f"{q(c)} = NEW.{q(c)}" for c in both)
        for event, on, action in (
            ("insert", "INSERT", f"INSERT INTO {copy} ({names}) SELECT {new} WHERE {loading}"),
            (
                "update",
                f"UPDATE OF {names}",
                f"UPDATE {copy} SET {assignments} WHERE {old_key} AND {loading}",
            ),
            ("delete", "DELETE", f"DELETE FROM {copy} WHERE {old_key} AND {loading}"),
        ):
            cursor.execute(
                f"CREATE TEMP TRIGGER {q(f'{name}_{event}')} AFTER {on} ON main.{q(table)} "
                f"BEGIN {action}; {stale}; END"
            )
