"""Whole imports as the user runs them: ``manage.py import_package`` in a process of its own.

The inflated members (hundreds of MiB of one line, of padding or of zeros, compressed to almost
nothing in a zip) always run here, and a few ordinary mutated members too: stderr must hold no
traceback, the exit status must match what was stored, and the process's peak resident memory
(``ru_maxrss`` from ``wait4``) must stay under the limit. The child imports into the test
database on MariaDB, or into a migrated SQLite file (the test database is in memory); its
tables are emptied before each case.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from . import inflate, profile, sample
from .harness import (
    Case,
    Database,
    Expected,
    build_package,
    check,
    fresh_folder,
    import_cases,
    mutated,
    report,
    run_child,
    snapshot,
    untouched_rows,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.fuzz]

# Emptied before each case: every table a member fills, dependent tables first.
_EMPTIED = (
    *reversed(dict.fromkeys(table for kind in sample.KINDS for table in sample.tables_filled(kind))),
    "edx_schema_importrecord",
)


def _cases() -> list[Case]:
    if profile.REPLAY:
        return [Case.parse(profile.REPLAY)]
    inflated = [
        Case(kind, "CS-101x", f"inflate:{name}", profile.SEED)
        for name, (kind, _w) in inflate.INFLATED.items()
    ]
    ordinary = [
        case
        for index, kind in enumerate(sample.KINDS)
        for case in import_cases(kind, 1, seed=profile.SEED * 1_000 + index)
        if case.mutator not in ("symlink", "zip_crc")  # both run in process for every kind
    ]
    step = max(1, len(ordinary) // max(1, profile.SUBPROCESS_CASES))
    return inflated + ordinary[::step][: profile.SUBPROCESS_CASES]


@pytest.fixture
def child_database(tmp_path_factory):
    """``(DATABASE_URL, Database)`` of the database the child imports into."""
    if connection.vendor == "sqlite":
        path = tmp_path_factory.mktemp("child") / "fuzz.sqlite3"
        url = f"sqlite:///{path}"
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="settings.test", DATABASE_URL=url)
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=sample.ROOT, env=env, check=True)
        raw = sqlite3.connect(path, isolation_level=None)
        yield url, Database(lambda: raw, connection.ops.quote_name)
        raw.close()
        return
    import MySQLdb

    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    url = f"mysql://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 3306}/{db['NAME']}"
    raw = MySQLdb.connect(
        host=db["HOST"],
        port=int(db["PORT"] or 3306),
        user=db["USER"],
        password=db.get("PASSWORD") or "",
        database=db["NAME"],
        autocommit=True,
    )
    yield url, Database(lambda: raw, connection.ops.quote_name)
    raw.close()


def test_an_import_process_never_prints_a_traceback_nor_outgrows_the_memory_limit(child_database, tmp_path):
    url, db = child_database
    tables = db.tables()
    cases = _cases()
    failures = []
    for case in cases:
        for table in _EMPTIED:
            db.query(f"DELETE FROM {db.quote(table)}")
        mutation = mutated(case)
        built = build_package(mutation, fresh_folder(tmp_path, "case"))
        expected = Expected(untouched_rows=untouched_rows(mutation))
        before = snapshot(db, case, tables)
        outcome = run_child(built.path, database_url=url)
        # The package's other members load in the same run, and fill their tables.
        prerequisites = {
            filled
            for table in sample.KINDS
            if sample.member_path(table, case.course) in mutation.prerequisites()
            for filled in sample.tables_filled(table)
        }
        problems = check(
            mutation=mutation,
            built=built,
            outcome=outcome,
            db=db,
            before=before,
            expected=expected,
            tables=tables,
            others=frozenset(prerequisites),
        )
        if problems:
            if not any("peak memory" in problem for problem in problems):
                problems.append(f"(peak memory {outcome.peak_mb:.0f} MB)")
            failures.append((mutation, problems))
    if failures:
        pytest.fail(report(failures, len(cases)), pytrace=False)
