"""Imports at once of packages that share learners: the import log counts every row once.

Two copies of a two-course package (the second course's learners are half of the first's) are
imported at the same time, each with ``--jobs 2`` (worker processes on MySQL/MariaDB; SQLite
loads one member at a time), so the auth_user, profile and id-map members of both courses and
both packages upsert the same rows at once. Whatever the interleaving, the rows the log reports
as inserted must add up to the rows stored. (On SQLite an import may find the database locked:
that member then fails, stores and counts nothing, and the rerun at the end loads it.)
"""

from __future__ import annotations

import shutil

import pytest

from edx_schema.package.builder import PackageSpec, build_package

pytestmark = pytest.mark.django_db(transaction=True)

SHARED = ("auth_user", "auth_userprofile", "user_id_map")
LEARNERS = 5_000


def test_concurrent_imports_of_shared_learners_count_each_inserted_row_once(child_database, tmp_path):
    built = build_package(
        spec=PackageSpec(learners=LEARNERS, problems=4, courses=2), output=tmp_path / "built"
    )
    packages = [tmp_path / "universityx-2024-11-17", tmp_path / "universityx-2024-11-24"]
    for package in packages:
        shutil.copytree(built.path, package)

    imports = [
        child_database.start("import_package", str(package), "--jobs", "2", "-v0") for package in packages
    ]
    for child in imports:
        child.wait(timeout=600)
    failed = child_database.query(
        "SELECT t.message FROM edx_schema_importrecord t WHERE t.outcome = 'failed'"
    )
    assert all("database is locked" in message for (message,) in failed), failed  # SQLite only
    _assert_inserted_rows_are_stored_rows(child_database)
    for package in packages:  # loads whatever found the database locked (SQLite)
        child_database.manage("import_package", str(package), "-v0")
    _assert_inserted_rows_are_stored_rows(child_database)
    for table in SHARED:
        assert child_database.query(f"SELECT COUNT(*) FROM {table}") == [(LEARNERS,)]


def _assert_inserted_rows_are_stored_rows(database) -> None:
    table = '"table"' if database.vendor == "sqlite" else "`table`"  # a reserved word
    inserted = dict(
        database.query(
            f"SELECT t.{table}, SUM(t.inserted) FROM edx_schema_importrecord t "
            f"WHERE t.outcome = 'loaded' GROUP BY t.{table}"
        )
    )
    assert set(SHARED) <= set(inserted)
    stored = {name: database.query(f"SELECT COUNT(*) FROM {name}")[0][0] for name in inserted}
    assert {name: int(count) for name, count in inserted.items()} == stored
