"""A package with tracking logs, imported, for the lake's tests; the database's rows to compare with."""

from __future__ import annotations

import datetime
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, models

from edx_schema.models import CourseAccessRole


@pytest.fixture(scope="session")
def package(tmp_path_factory) -> Path:
    """A two-course package with a week of tracking logs."""
    folder = tmp_path_factory.mktemp("package")
    call_command("make_package", str(folder), "--learners", "12", "--events", "400", verbosity=0)
    return next(folder.iterdir())


@pytest.fixture(scope="session")
def spark():
    """One local Spark for the session, set up as the job sets it up (two cores: tasks run side
    by side, as on a cluster)."""
    from edx_schema.lake.job import spark_session

    session = spark_session("local[2]", app="edx-schema-tests")
    yield session
    session.stop()


@pytest.fixture
def imported(package, transactional_db):
    call_command("import_package", str(package), verbosity=0)
    # Both kinds of "no course": an org-wide role ('') stays '' in the lake.
    CourseAccessRole.objects.create(user_id=1, org="UniversityX", course_id="", role="lake_test")


def stored(table) -> list[tuple]:
    """The table's rows as the database driver gives them, in primary-key order."""
    names = ", ".join(connection.ops.quote_name(column.name) for column in table.columns)
    pk = connection.ops.quote_name(table.model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {names} FROM {connection.ops.quote_name(table.name)} ORDER BY {pk}")
        rows = cursor.fetchall()
    return [
        tuple(plain(value, column) for value, column in zip(row, table.columns, strict=True)) for row in rows
    ]


def plain(value, column):
    """A value as the lake should hold it: datetimes aware in UTC, booleans as booleans, UUIDs
    in their canonical form (SQLite stores them as 32 hex digits)."""
    arrow_type = str(column.type)
    if isinstance(column.field, models.UUIDField) and value is not None:
        return str(uuid.UUID(str(value)))
    if isinstance(value, datetime.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=datetime.UTC)
    if arrow_type == "bool" and value is not None:
        return bool(value)
    if isinstance(value, bytes):
        return value.decode()
    return value


def by_primary_key(table, rows: list[tuple]) -> list[tuple]:
    pk = [column.name for column in table.columns].index(table.model._meta.pk.column)
    return sorted(rows, key=lambda row: row[pk])
