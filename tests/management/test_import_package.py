"""``manage.py import_package`` and ``make_package``: the user's view (output, exit status, errors).

Both commands are run as a user runs them; bad input must give a CommandError (a clean message
and a non-zero exit), never a traceback.
"""

from __future__ import annotations

import gzip
import os
import sys
import zipfile
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from edx_schema.importing import DEFAULT_JOBS_LIMIT, ImportSummary
from edx_schema.management.commands import import_package
from edx_schema.models import ImportRecord, StudentModule
from tests.conftest import PASSPHRASE

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "fixtures" / "universityx-2024-11-17.zip"


def call(*args, **kwargs) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO(), **kwargs)
    return out.getvalue()


def make(tmp_path: Path, *args: str) -> Path:
    call("make_package", str(tmp_path), "--learners", "6", "--problems", "4", *args)
    return tmp_path / ("universityx-2024-11-17.zip" if "--zip" in args else "universityx-2024-11-17")


def _zip_contents(path: Path) -> dict[str, bytes]:
    """Member name -> clear bytes (compressed bytes depend on the zlib build, contents do not)."""
    with zipfile.ZipFile(path) as archive:
        return {
            name: gzip.decompress(archive.read(name)) if name.endswith(".gz") else archive.read(name)
            for name in archive.namelist()
        }


def test_the_committed_sample_package_is_what_make_package_writes(tmp_path):
    # The README and the tests use fixtures/; it must never drift from the builder.
    call("make_package", str(tmp_path), "--zip")
    assert _zip_contents(tmp_path / FIXTURE.name) == _zip_contents(FIXTURE)


def test_importing_the_sample_package_prints_a_summary_table(tmp_path):
    text = call("import_package", str(FIXTURE))
    header = text.splitlines()[0].split()
    assert header == [
        "file",
        "table",
        "course",
        "status",
        "read",
        "inserted",
        "updated",
        "unchanged",
        "rejected",
        "deleted",
        "s",
    ]
    assert "courseware_studentmodule" in text
    # Every member of the sample loads: nothing is listed as not loaded.
    assert "Not loaded:" not in text
    assert "edx_schema_forumpost" in text
    assert "Imported: " in text
    assert User.objects.count() == 20
    again = call("import_package", str(FIXTURE))
    assert "already imported by an earlier run" in again


def test_quiet_import_prints_nothing(tmp_path):
    assert call("import_package", str(make(tmp_path)), verbosity=0) == ""
    assert StudentModule.objects.exists()


def test_a_failed_file_makes_the_command_fail_with_its_message(tmp_path):
    package = make(tmp_path)
    member = next(package.glob("*CS-101x*-student_courseenrollment-prod-analytics.sql"))
    member.write_text(member.read_text().replace("\taudit\n", "\tau\tdit\n", 1))
    out = StringIO()
    with pytest.raises(CommandError, match=r"1 file\(s\) failed"):
        call_command("import_package", str(package), stdout=out)
    assert "student_courseenrollment-prod-analytics.sql, line" in out.getvalue()
    assert "expected 6 fields as in the header, found 7" in out.getvalue()
    assert "Import incomplete" in out.getvalue()


def test_a_gpg_encrypted_zip_round_trip(tmp_path, gpg_key):
    _gpg, home, fingerprint = gpg_key
    package = make(tmp_path, "--zip", "--recipient", fingerprint, "--gnupghome", home)
    with zipfile.ZipFile(package) as archive:
        names = [n for n in archive.namelist() if not n.endswith("/")]
    assert names
    assert all(name.endswith(".gpg") for name in names)
    passphrase = tmp_path / "passphrase.txt"
    passphrase.write_text(PASSPHRASE + "\n")
    text = call("import_package", str(package), "--gnupghome", home, "--passphrase-file", str(passphrase))
    assert "Imported: " in text
    assert User.objects.count() == 6
    record = ImportRecord.objects.get(table="auth_user", course_id="course-v1:UniversityX+CS-101x+3T2024")
    assert record.member.endswith("-auth_user-prod-analytics.sql.gpg")


def test_a_passphrase_from_the_environment(tmp_path, gpg_key, monkeypatch):
    _gpg, home, fingerprint = gpg_key
    package = make(tmp_path, "--recipient", fingerprint, "--gnupghome", home)
    monkeypatch.setenv("EDX_SCHEMA_GPG_PASSPHRASE", PASSPHRASE)
    call("import_package", str(package), "--gnupghome", home, "--tables", "auth_user")
    assert User.objects.count() == 6


def test_a_zip_with_parent_directory_members_is_refused_cleanly(tmp_path):
    archive = tmp_path / "evil-2024-01-07.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("../../etc/evil-auth_user-prod-analytics.sql", "id\n1\n")
    with pytest.raises(CommandError, match=r"refusing member '\.\./\.\./etc/evil"):
        call("import_package", str(archive))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--course", "not a key"], "--course 'not a key' is not a course key"),
        (["--tables", "auth_user,wiki_urlpath"], "--tables: unknown table(s) wiki_urlpath"),
        (["--max-errors", "0"], "--max-errors must be at least 1"),
        (["--jobs", "0"], "--jobs must be at least 1"),
        (["--passphrase-file", "/nonexistent/file"], "--passphrase-file /nonexistent/file: No such file"),
    ],
)
def test_bad_arguments_are_named(tmp_path, args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call("import_package", str(tmp_path), *args)


def test_a_missing_path_is_named(tmp_path):
    with pytest.raises(CommandError, match=r"no-such-package\.zip: no such file or folder"):
        call("import_package", str(tmp_path / "no-such-package.zip"))


def test_make_package_rejects_bad_arguments(tmp_path):
    with pytest.raises(CommandError, match="--date 'tomorrow' is not a date"):
        call("make_package", str(tmp_path), "--date", "tomorrow")
    with pytest.raises(CommandError, match="--problems must be at least 4"):
        call("make_package", str(tmp_path), "--problems", "2")


@pytest.mark.django_db(transaction=True)
def test_jobs_load_files_in_parallel_workers_on_a_server_database(tmp_path):
    package = make(tmp_path, "--zip")
    text = call("import_package", str(package), "--jobs", "3")
    assert "Imported: " in text
    assert User.objects.count() == 6
    assert StudentModule.objects.count() == 6 * 4 + 3 * 4
    # Every member of a built package is one edx-schema loads, and each is recorded once.
    with zipfile.ZipFile(package) as archive:
        members = [name for name in archive.namelist() if not name.endswith("/")]
    assert ImportRecord.objects.filter(outcome=ImportRecord.LOADED).count() == len(members)


def jobs_asked(monkeypatch, *args: str) -> int:
    """The ``jobs`` the command hands the import for these arguments."""
    asked = []

    def import_packages(*, options, **kwargs):
        asked.append(options.jobs)
        return ImportSummary()

    monkeypatch.setattr(import_package, "import_packages", import_packages)
    call_command("import_package", "somewhere", *args, stdout=StringIO())
    return asked[0]


@pytest.mark.django_db(transaction=True)
def test_by_default_files_load_in_as_many_processes_as_cores_up_to_four(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert jobs_asked(monkeypatch) == 2
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert jobs_asked(monkeypatch) == DEFAULT_JOBS_LIMIT == 4
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert jobs_asked(monkeypatch) == 1
    assert jobs_asked(monkeypatch, "--jobs", "7") == 7


def test_inside_a_transaction_files_load_in_this_process(monkeypatch):
    # Worker processes would not see the caller's uncommitted rows (a test's, here).
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert jobs_asked(monkeypatch) == 1
    assert jobs_asked(monkeypatch, "--jobs", "3") == 3  # asked for: as asked


def test_progress_bars_go_to_stderr_only_on_a_terminal(tmp_path, capsys, monkeypatch):
    package = make(tmp_path)
    call_command("import_package", str(package), "--tables", "auth_user", stdout=StringIO())
    assert capsys.readouterr().err == ""  # not a terminal: no bars
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    call_command("import_package", str(package), "--tables", "auth_user", "--force", stdout=StringIO())
    bars = capsys.readouterr().err
    assert "auth_user-prod-analytics.sql" in bars
    assert "B/s" in bars  # bytes, with the row count beside them
    call_command("import_package", str(package), "--tables", "auth_user", "--force", "-v0", stdout=StringIO())
    assert capsys.readouterr().err == ""  # -v 0: quiet even on a terminal
