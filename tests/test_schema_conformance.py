"""The migrated schema matches the documented LMS tables, column by column and index by index.

On MySQL/MariaDB it reads ``information_schema`` and checks everything, unsigned ids included.
On SQLite it reads the PRAGMAs and checks what SQLite can express (its integer types are one
family there, and it has no unsigned). A difference that is not a listed, reasoned deviation
fails the test with a readable diff.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.db import connection

from edx_schema.models import OWN_MODELS

from .schema_spec import DEVIATIONS, SPEC, Col

pytestmark = pytest.mark.django_db

Index = tuple[bool, tuple[str, ...]]


@dataclass
class Actual:
    family: str
    width: int | None
    null: bool
    key: str
    unsigned: bool


SQLITE_FAMILIES = {
    "integer": "int",
    "integer unsigned": "int",
    "bigint": "bigint",
    "bigint unsigned": "bigint",
    "smallint": "smallint",
    "text": "longtext",
    "datetime": "datetime",
    "date": "date",
    "real": "double",
    "bool": "tinyint",
}


def _mysql_schema(table: str) -> tuple[dict[str, Actual], set[Index]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COLUMN_NAME, DATA_TYPE, CHARACTER_MAXIMUM_LENGTH, IS_NULLABLE, COLUMN_KEY, COLUMN_TYPE "
            "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s",
            [table],
        )
        columns = {
            name: Actual(family, width, nullable == "YES", key, "unsigned" in column_type.lower())
            for name, family, width, nullable, key, column_type in cursor.fetchall()
        }
        cursor.execute(
            "SELECT INDEX_NAME, NON_UNIQUE, COLUMN_NAME FROM information_schema.STATISTICS "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s AND INDEX_NAME <> 'PRIMARY' "
            "ORDER BY INDEX_NAME, SEQ_IN_INDEX",
            [table],
        )
        grouped: dict[str, tuple[bool, list[str]]] = {}
        for name, non_unique, column in cursor.fetchall():
            grouped.setdefault(name, (not non_unique, []))[1].append(column)
    return columns, {(unique, tuple(cols)) for unique, cols in grouped.values()}


def _sqlite_family(declared: str) -> tuple[str, int | None]:
    declared = declared.lower()
    match = re.fullmatch(r"(varchar|char)\((\d+)\)", declared)
    if match:
        return match[1], int(match[2])
    return SQLITE_FAMILIES.get(declared, declared), None


def _sqlite_schema(table: str) -> tuple[dict[str, Actual], set[Index]]:
    with connection.cursor() as cursor:
        info = cursor.execute(f'PRAGMA table_info("{table}")').fetchall()
        indexes: set[Index] = set()
        for _seq, name, unique, origin, _partial in cursor.execute(
            f'PRAGMA index_list("{table}")'
        ).fetchall():
            if origin == "pk":
                continue
            cols = tuple(row[2] for row in cursor.execute(f'PRAGMA index_info("{name}")').fetchall())
            indexes.add((bool(unique), cols))
    columns = {}
    for _cid, name, declared, notnull, _default, pk in info:
        family, width = _sqlite_family(declared)
        if pk:
            key = "PRI"
        elif (True, (name,)) in indexes:
            key = "UNI"
        elif any(cols[0] == name for _, cols in indexes):
            key = "MUL"
        else:
            key = ""
        columns[name] = Actual(family, width, not notnull and not pk, key, "unsigned" in declared.lower())
    return columns, indexes


def _same_family(expected: str | tuple[str, ...], actual: str) -> bool:
    allowed = {expected} if isinstance(expected, str) else set(expected)
    if connection.vendor == "sqlite":
        # SQLite has one integer storage class: int and bigint are the same there.
        integers = {"int", "bigint"}
        if actual in integers and allowed & integers:
            return True
    return actual in allowed


def differences(table: str) -> list[tuple[str, object, str, object]]:
    """Every difference between the migrated ``table`` and its documented shape."""
    expected = SPEC[table]
    reader = _mysql_schema if connection.vendor == "mysql" else _sqlite_schema
    columns, indexes = reader(table)
    found: list[tuple[str, object, str, object]] = []
    for name, col in expected.columns.items():
        actual = columns.get(name)
        if actual is None:
            found.append((table, name, "missing", None))
            continue
        found += _column_differences(table, name, col, actual)
    found += [(table, name, "extra", None) for name in columns.keys() - expected.columns.keys()]
    found += [(table, cols, "missing", unique) for unique, cols in expected.indexes - indexes]
    found += [(table, cols, "extra", unique) for unique, cols in indexes - expected.indexes]
    return found


def _column_differences(table: str, name: str, col: Col, actual: Actual) -> list:
    found = []
    if not _same_family(col.family, actual.family):
        found.append((table, name, "family", actual.family))
    if col.width is not None and (actual.width or 0) < col.width:
        found.append((table, name, "width", actual.width))
    if col.null != actual.null:
        found.append((table, name, "null", actual.null))
    if col.key != actual.key:
        found.append((table, name, "key", actual.key))
    if connection.vendor == "mysql" and col.unsigned != actual.unsigned:
        found.append((table, name, "unsigned", actual.unsigned))
    return found


def _describe(diff: tuple[str, object, str, object]) -> str:
    table, what, kind, value = diff
    return f"  {table}.{what}: {kind} (actual: {value!r})"


def test_every_model_table_is_documented():
    tables = {model._meta.db_table for model in apps.get_app_config("edx_schema").get_models()}
    own = {model._meta.db_table for model in OWN_MODELS}  # edx-schema's own, not LMS tables
    assert tables - own | {"auth_user"} == set(SPEC)


@pytest.mark.parametrize("table", sorted(SPEC))
def test_table_matches_documented_schema(table):
    unexplained = [diff for diff in differences(table) if diff not in DEVIATIONS]
    assert not unexplained, f"{table} differs from the documented schema:\n" + "\n".join(
        map(_describe, unexplained)
    )


def test_every_listed_deviation_still_occurs():
    observed = {diff for table in SPEC for diff in differences(table)}
    listed = DEVIATIONS
    if connection.vendor != "mysql":
        # Only MySQL shows every deviation (unsigned ids, distinct integer widths and keys).
        listed = {d: reason for d, reason in DEVIATIONS.items() if d[2] in ("missing", "extra", "null")}
    stale = [d for d in listed if d not in observed]
    assert not stale, "Deviations listed but no longer seen:\n" + "\n".join(map(_describe, stale))
