"""No traceback reaches a user: bugs, unwritable rejects, empty packages, unmigrated or busy databases.

Each case is run as a user runs it (call_command, or manage.py in a subprocess where the process
itself matters), and checks the exit status and message against what was stored.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import zipfile
from io import StringIO
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection

from edx_schema.importing import member as member_import
from edx_schema.importing import packages, rejects
from edx_schema.models import CourseEnrollment, ImportRecord
from edx_schema.services import database

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "UniversityX-CS-101x-3T2024-"
SUFFIX = "-prod-analytics.sql"
COURSE = "course-v1:UniversityX+CS-101x+3T2024"
USER_HEADER = "id\tusername\tfirst_name\tlast_name\temail\tpassword\tis_staff\tis_active\tis_superuser\t"
USER_HEADER += "last_login\tdate_joined\n"
ENROLLMENT_HEADER = "id\tuser_id\tcourse_id\tcreated\tis_active\tmode\n"


def run(*args: str) -> tuple[str, str, CommandError | None]:
    """stdout, stderr and the CommandError (None when the command succeeded)."""
    out, err = StringIO(), StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except CommandError as error:
        return out.getvalue(), err.getvalue(), error
    return out.getvalue(), err.getvalue(), None


def package(tmp_path: Path, *, bad_enrollment: bool = False) -> Path:
    """A folder package with two users and their enrollments (one bad row if asked)."""
    folder = tmp_path / "universityx-2024-11-17"
    folder.mkdir()
    users = "".join(
        f"{n}\tuser{n}\t\t\tuser{n}@example.org\t\t0\t1\t0\tNULL\t2024-01-0{n} 00:00:00\n" for n in (1, 2)
    )
    (folder / f"{PREFIX}auth_user{SUFFIX}").write_text(USER_HEADER + users)
    created = "soon" if bad_enrollment else "2024-02-01 00:00:00"
    enrollments = f"1\t1\t{COURSE}\t2024-02-01 00:00:00\t1\thonor\n2\t2\t{COURSE}\t{created}\t1\taudit\n"
    (folder / f"{PREFIX}student_courseenrollment{SUFFIX}").write_text(ENROLLMENT_HEADER + enrollments)
    return folder


# -- an unforeseen exception (a bug) fails its member, never the command with a traceback ----------


def test_a_bug_while_loading_one_member_fails_that_member_and_the_others_load(tmp_path, monkeypatch):
    folder = package(tmp_path)
    real = member_import.load_table_member

    def load_table_member(**kwargs):
        if "student_courseenrollment" in kwargs["label"]:
            raise ZeroDivisionError("division by zero in a row converter")
        return real(**kwargs)

    monkeypatch.setattr(member_import, "load_table_member", load_table_member)
    out, err, error = run("import_package", str(folder))
    assert error is not None  # non-zero exit
    assert "1 file(s) failed" in str(error)
    member = f"{PREFIX}student_courseenrollment{SUFFIX}"
    assert f"{member}: not loaded: unexpected ZeroDivisionError: division by zero in a row converter" in out
    assert "Traceback" not in out + err
    assert User.objects.count() == 2  # the other member loaded
    assert not CourseEnrollment.objects.exists()
    record = ImportRecord.objects.get(member=member)
    assert record.outcome == ImportRecord.FAILED
    assert "unexpected ZeroDivisionError" in record.message


def test_verbosity_3_prints_the_traceback_of_a_bug(tmp_path, monkeypatch):
    folder = package(tmp_path)
    monkeypatch.setattr(member_import, "load_table_member", lambda **kwargs: {}["no such key"])
    out, err, error = run("import_package", str(folder), "-v", "3")
    assert error is not None
    assert "unexpected KeyError: 'no such key'" in out
    assert "Traceback (most recent call last)" in err
    assert "KeyError: 'no such key'" in err


def test_a_bug_outside_any_member_is_one_line_naming_the_exception(tmp_path, monkeypatch):
    folder = package(tmp_path)

    def open_package(path):
        raise AttributeError("'NoneType' object has no attribute 'members'")

    monkeypatch.setattr(packages, "open_package", open_package)
    _, err, error = run("import_package", str(folder))
    assert str(error) == (
        "unexpected AttributeError: 'NoneType' object has no attribute 'members' "
        "(run again with -v 3 to see where; please report it)"
    )
    assert "Traceback" not in err
    _, err, error = run("import_package", str(folder), "-v", "3")
    assert str(error).startswith("unexpected AttributeError")
    assert "Traceback (most recent call last)" in err


def test_a_bug_in_another_command_is_reported_the_same_way(monkeypatch):
    from edx_schema.management.commands import recompute_grades

    def course_ids_with_policy():
        raise IndexError("list index out of range")

    monkeypatch.setattr(recompute_grades, "course_ids_with_policy", course_ids_with_policy)
    _, err, error = run("recompute_grades", "--all")
    assert str(error).startswith("unexpected IndexError: list index out of range")
    assert "Traceback" not in err


def test_a_bugs_long_message_is_shortened_and_kept_on_one_line(tmp_path, monkeypatch):
    secret = "x" * 5000
    monkeypatch.setattr(
        packages, "open_package", lambda path: (_ for _ in ()).throw(ValueError(f"a\nb {secret}"))
    )
    _, _, error = run("import_package", str(tmp_path))
    message = str(error)
    assert "\n" not in message
    assert len(message) < 400
    assert "unexpected ValueError: a b xxx" in message


# -- the rejects file: checked before loading, written before the member commits ------------------


def test_an_unusable_rejects_path_is_refused_before_anything_loads(tmp_path):
    folder = package(tmp_path, bad_enrollment=True)
    missing = tmp_path / "no-such-folder" / "rejects.tsv"
    _, _, error = run("import_package", str(folder), "--skip-bad-rows", "--rejects", str(missing))
    assert str(error) == f"--rejects {missing}: there is no folder {missing.parent}; nothing was loaded"
    assert not User.objects.exists()
    assert not ImportRecord.objects.exists()
    _, _, error = run("import_package", str(folder), "--skip-bad-rows", "--rejects", str(tmp_path))
    assert str(error) == f"--rejects {tmp_path}: is a folder; nothing was loaded"
    assert not ImportRecord.objects.exists()


def test_rejects_that_cannot_be_written_leave_their_member_unloaded_so_a_rerun_loads_it(
    tmp_path, monkeypatch
):
    folder = package(tmp_path, bad_enrollment=True)
    path = tmp_path / "rejects.tsv"

    def fsync(descriptor):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(rejects.os, "fsync", fsync)
    out, _, error = run("import_package", str(folder), "--skip-bad-rows", "--rejects", str(path))
    assert error is not None
    member = f"{PREFIX}student_courseenrollment{SUFFIX}"
    assert (
        f"--rejects {path}: cannot write the rejected rows of universityx-2024-11-17/{member} "
        "(No space left on device); the file was not loaded"
    ) in out
    assert not CourseEnrollment.objects.exists()  # its good row was not committed either
    assert ImportRecord.objects.get(member=member).outcome == ImportRecord.FAILED
    assert User.objects.count() == 2  # no rejects there: loaded

    monkeypatch.undo()
    _, _, error = run("import_package", str(folder), "--skip-bad-rows", "--rejects", str(path))
    assert "1 row(s) were rejected" in str(error)
    assert list(CourseEnrollment.objects.values_list("id", flat=True)) == [1]
    lines = path.read_text().splitlines()
    assert lines[0] == "file\tline\tcolumn\tvalue\treason\trecord"
    assert len(lines) == 2
    assert "\t3\tcreated\tsoon\t" in lines[1]


def test_a_run_without_rejected_rows_keeps_the_previous_rejects_file(tmp_path):
    folder = package(tmp_path, bad_enrollment=True)
    path = tmp_path / "rejects.tsv"
    run("import_package", str(folder), "--skip-bad-rows", "--rejects", str(path))
    before = path.read_text()
    assert "\tcreated\tsoon\t" in before
    # A rerun finds everything already imported: nothing is rejected, the old rejects stay.
    _, _, error = run("import_package", str(folder), "--skip-bad-rows", "--rejects", str(path))
    assert error is None
    assert path.read_text() == before


# -- packages that hold nothing to load, and --course that matches nothing -----------------------


def test_an_empty_folder_fails_with_a_message(tmp_path):
    empty = tmp_path / "mitx-2024-11-17"
    empty.mkdir()
    out, _, error = run("import_package", str(empty))
    assert error is not None
    assert f"{empty}" in out
    assert "the folder holds no files" in out


def test_a_folder_of_unrelated_files_fails_with_a_message(tmp_path):
    folder = tmp_path / "mitx-2024-11-17"
    folder.mkdir()
    (folder / "notes.txt").write_text("hello\n")
    out, _, error = run("import_package", str(folder))
    assert error is not None
    assert "none of the folder's 1 file(s) is a data package member" in out


def test_a_zip_inside_the_package_is_warned_about_and_the_rest_loads(tmp_path):
    folder = package(tmp_path)
    inner = tmp_path / "inner.zip"
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("x.sql", "id\n1\n")
    outer = tmp_path / "universityx-2024-11-18.zip"
    with zipfile.ZipFile(outer, "w") as archive:
        for path in folder.iterdir():
            archive.write(path, f"universityx-2024-11-18/{path.name}")
        archive.write(inner, "universityx-2024-11-18/universityx-2024-11-11.zip")
    out, _, error = run("import_package", str(outer))
    assert error is None
    assert "Warning: universityx-2024-11-18/universityx-2024-11-11.zip: a zip inside the package" in out
    assert "universityx-2024-11-11.zip: skipped: an archive inside the package: not read" in out
    assert User.objects.count() == 2


def test_a_package_holding_only_a_zip_fails(tmp_path):
    outer = tmp_path / "universityx-2024-11-18.zip"
    with zipfile.ZipFile(outer, "w") as archive:
        archive.writestr("universityx-2024-11-18/universityx-2024-11-11.zip", b"PK\x05\x06" + bytes(18))
    out, _, error = run("import_package", str(outer))
    assert error is not None
    assert "none of the zip's 1 file(s) is a data package member" in out


def test_a_symlink_named_like_a_member_fails_without_echoing_its_target(tmp_path):
    folder = package(tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("DJANGO_SECRET_KEY=hunter2\n")
    member = f"{PREFIX}user_api_usercoursetag{SUFFIX}"
    (folder / member).symlink_to(secret)
    run("import_package", str(folder))  # the link is refused even when the rest is already imported
    out, err, error = run("import_package", str(folder))
    assert error is not None
    assert f"universityx-2024-11-17/{member}: is a symbolic link; refused" in out
    assert "hunter2" not in out + err
    records = ImportRecord.objects.filter(member=member)
    assert {r.outcome for r in records} == {ImportRecord.FAILED}
    assert not any("hunter2" in r.message for r in ImportRecord.objects.all())


def test_a_course_that_no_file_is_for_is_refused_before_anything_loads(tmp_path):
    folder = package(tmp_path)
    _, _, error = run("import_package", str(folder), "--course", "course-v1:MITx+6.002x+2T2024")
    assert str(error) == (
        "--course: no file in universityx-2024-11-17 is for MITx-6.002x-2T2024 "
        "(files there are for: UniversityX-CS-101x-3T2024); nothing was loaded"
    )
    assert not ImportRecord.objects.exists()
    _, _, error = run("import_package", str(folder), "--course", COURSE)
    assert error is None
    assert User.objects.count() == 2


# -- the database: not migrated, or busy with another process's import ---------------------------


def _scratch_database(tmp_path: Path, name: str) -> str:
    """A DATABASE_URL for a new, empty database on the backend under test."""
    if connection.vendor == "sqlite":
        return f"sqlite:///{tmp_path / name}.sqlite3"
    db = settings.DATABASES["default"]
    scratch = f"{db['NAME']}_{name}"[:64]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{scratch}`")
        cursor.execute(f"CREATE DATABASE `{scratch}` CHARACTER SET utf8mb4")
    return f"mysql://{db['USER']}@{db['HOST']}:{db['PORT'] or 3306}/{scratch}"


def _drop(url: str) -> None:
    if url.startswith("mysql"):
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{url.rsplit('/', 1)[1]}`")


def _manage(url: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="settings.test", DATABASE_URL=url)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.django_db(transaction=True)
def test_an_unmigrated_database_says_run_migrate(tmp_path):
    url = _scratch_database(tmp_path, "unmigrated")
    try:
        for args in (["import_package", str(package(tmp_path))], ["recompute_grades", "--all"]):
            child = _manage(url, *args)
            assert child.returncode == 1
            assert "Traceback" not in child.stderr
            assert "is not migrated" in child.stderr
            assert "run manage.py migrate" in child.stderr
    finally:
        _drop(url)


def test_database_errors_a_user_can_act_on_become_sentences():
    locked = database.database_problem(OperationalError("database is locked"))
    missing = database.database_problem(OperationalError(1146, "Table 'x.auth_user' doesn't exist"))
    waited = database.database_problem(OperationalError(1205, "Lock wait timeout exceeded"))
    assert "run manage.py migrate" in missing
    assert "run this again when it has finished" in waited
    if connection.vendor == "sqlite":
        assert "stayed locked by another process for 60 s" in locked
    assert database.database_problem(OperationalError(9999, "something else")) is None


@pytest.mark.django_db(transaction=True)
def test_a_second_command_waits_for_an_import_holding_the_write_lock(tmp_path):
    """recompute_grades during an import: it waits for the import's transaction, then runs."""
    url = _demo_database(tmp_path, "busy")
    try:
        holder = _hold_grades(url)
        started = threading.Event()
        result: dict = {}

        def recompute() -> None:
            started.set()
            result["child"] = _manage(url, "recompute_grades", "--all")

        thread = threading.Thread(target=recompute)
        thread.start()
        started.wait()
        time.sleep(3)  # the import's transaction goes on; recompute_grades must be waiting
        assert thread.is_alive(), "recompute_grades did not wait for the lock"
        holder.commit()
        holder.close()
        thread.join(120)
        child = result["child"]
        assert child.returncode == 0, child.stderr
        assert "Traceback" not in child.stderr
        assert re.search(r"[1-9]\d* changed", child.stdout), child.stdout  # it rewrote the stale grades
        if url.startswith("sqlite"):  # write-ahead logging: the admin's reads never wait for an import
            import sqlite3

            with sqlite3.connect(url.removeprefix("sqlite:///")) as reader:
                assert reader.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        _drop(url)


@pytest.mark.django_db(transaction=True)
def test_a_lock_held_longer_than_the_timeout_gives_a_clear_message(tmp_path):
    url = _demo_database(tmp_path, "locked")
    try:
        holder = _hold_grades(url)
        try:
            if url.startswith("sqlite"):
                child = _manage(f"{url}?timeout=1", "recompute_grades", "--all")
                expected = "stayed locked by another process for 1 s (an import still loading a file?)"
            else:
                wait = quote("SET innodb_lock_wait_timeout=1, sql_mode='STRICT_TRANS_TABLES'")
                child = _manage(f"{url}?init_command={wait}", "recompute_grades", "--all")
                expected = "held the rows this needs for longer than innodb_lock_wait_timeout"
        finally:
            holder.rollback()
            holder.close()
        assert child.returncode == 1
        assert "Traceback" not in child.stderr
        assert expected in child.stderr
    finally:
        _drop(url)


def _demo_database(tmp_path: Path, name: str) -> str:
    url = _scratch_database(tmp_path, name)
    for args in (
        ["migrate", "-v0"],
        ["import_package", str(ROOT / "fixtures" / "universityx-2024-11-17.zip"), "-v0"],
    ):
        child = _manage(url, *args, timeout=600)
        assert child.returncode == 0, child.stderr
    return url


def _hold_grades(url: str):
    """A connection in the middle of a write transaction on the course grades, as an import is.

    The stored grades are made stale first, so recompute_grades has rows to rewrite and must
    wait for the lock on them (on MariaDB a read never waits).
    """
    stale = "UPDATE grades_persistentcoursegrade SET percent_grade = 0, letter_grade = ''"
    if url.startswith("sqlite"):
        import sqlite3

        holder = sqlite3.connect(url.removeprefix("sqlite:///"))
        holder.execute(stale)
        holder.commit()
        holder.execute(stale)  # opens the transaction that holds the write lock
        return holder
    import MySQLdb

    db = settings.DATABASES["default"]
    holder = MySQLdb.connect(
        host=db["HOST"], port=int(db["PORT"] or 3306), user=db["USER"], database=url.rsplit("/", 1)[1]
    )
    holder.cursor().execute(stale)
    holder.commit()
    holder.cursor().execute(stale)  # row locks on every grade, until commit or rollback
    return holder
