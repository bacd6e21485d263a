"""Whatever prepares the rows may fail or die: the member then fails with a clear error, never hangs.

On MySQL/MariaDB a thread writes the rows into the pipe that LOAD DATA reads; on SQLite a forked
helper process parses big members. Failures are injected into both, on every backend (neither
needs the database to run). Each test is guarded by a watchdog that ends the whole run, with
every thread's traceback, if it ever blocks: a hang fails loudly instead of waiting for good.
"""

from __future__ import annotations

import faulthandler
import io
import os
import signal
import sys

import pytest
from django.contrib.auth.models import User

from edx_schema.importing import ImportOptions, import_packages, verbatim
from edx_schema.importing import rows as loader
from edx_schema.importing.backends import mysql_pipe, sqlite
from edx_schema.importing.tables import table_spec
from edx_schema.models import StudentModule
from edx_schema.outcomes import Status
from edx_schema.package.builder import PackageSpec, build_package
from edx_schema.package.tsv import TsvReader

COURSE = "course-v1:UniversityX+CS-101x+3T2024"
pytestmark = pytest.mark.django_db

LABEL = "universityx-2024-01-07/UniversityX-CS-101x-3T2024-auth_user-prod-analytics.sql"


@pytest.fixture(autouse=True)
def no_hang():
    faulthandler.dump_traceback_later(120, exit=True, file=sys.__stderr__)
    yield
    faulthandler.cancel_dump_traceback_later()


def rows(count: int, *, fail_at: int | None = None, error: BaseException | None = None):
    for line in range(2, count + 2):
        if line == fail_at:
            raise error
        yield line, [line, f"user_{line}", "x" * 200]


# -- the thread that feeds LOAD DATA (MySQL/MariaDB) ----------------------------------------------


class LoadData:
    """Reads a pipe's rows as LOAD DATA LOCAL does: all of them, or the first ``lines`` then fails."""

    def __init__(self) -> None:
        self.received: list[str] = []

    def __call__(self, rows, *, lines: int | None = None, then: BaseException | None = None) -> None:
        with (
            mysql_pipe.RowPipe(mysql_pipe.load_data_lines(rows, line_column=False), label=LABEL) as pipe,
            open(pipe.path, encoding="utf-8") as read_end,
        ):
            self.thread = pipe.thread
            for line in read_end:
                self.received.append(line.split("\t")[0])
                if len(self.received) == lines:
                    break
            if then is not None:
                raise then


def test_a_row_thread_that_fails_ends_the_rows_and_fails_the_member():
    load_data = LoadData()
    with pytest.raises(loader.FileFailed) as failed:
        load_data(rows(10, fail_at=5, error=RuntimeError("injected")))
    assert load_data.received == ["2", "3", "4"]  # then the end of the rows, not a wait
    assert str(failed.value) == f"{LABEL}: unexpected error while preparing the rows (RuntimeError: injected)"


def test_a_row_error_of_the_file_is_raised_as_it_is():
    bad = loader.FileFailed(f"{LABEL}, line 5: not a number")
    with pytest.raises(loader.FileFailed) as failed:
        LoadData()(rows(10, fail_at=5, error=bad))
    assert failed.value is bad


def test_a_load_that_stops_reading_stops_the_thread_and_keeps_its_own_error():
    # Far more than the pipe holds: the thread is blocked writing when the load gives up.
    load_data = LoadData()
    with pytest.raises(ConnectionError, match="the server went away"):
        load_data(rows(100_000), lines=1, then=ConnectionError("the server went away"))
    assert not load_data.thread.is_alive()


def test_a_load_that_ends_before_the_rows_do_fails_the_member():
    with pytest.raises(loader.FileFailed, match="the rows stopped before the end of the file"):
        LoadData()(rows(100_000), lines=1)


# -- the helper process that parses big members (SQLite) ------------------------------------------

USERS = (
    "id\tusername\tfirst_name\tlast_name\temail\tpassword\tis_staff\tis_active\tis_superuser\tdate_joined\n"
    + "".join(f"{n}\tuser_{n}\tAda\tL\tu{n}@x.org\t\t0\t1\t0\t2013-02-01 10:00:00\n" for n in range(1, 3001))
)


def helper_rows(monkeypatch, fail) -> list[int]:
    """Parse USERS in a helper process whose processing of line 2000 calls ``fail``; the lines received."""
    monkeypatch.setattr(sqlite, "CHUNK_BYTES", 4096)
    parent = os.getpid()
    real = loader.RowStream.process

    def process(self, record):
        if record.line == 2000 and os.getpid() != parent:
            fail()
        return real(self, record)

    monkeypatch.setattr(loader.RowStream, "process", process)
    stream = io.BufferedReader(io.BytesIO(USERS.encode()))
    reader = TsvReader(stream, file=LABEL)
    plan = loader.RowPlan(table_spec("auth_user"), reader.header, label=LABEL)
    counts = loader.LoadCounts()
    received = []
    for batch in sqlite.parsed_in_helper(
        stream, loader.RowStream(reader, plan, loader.LoadOptions(), counts)
    ):
        received.extend(line for line, _row in batch)
    return received


def test_the_helper_process_parses_every_row(monkeypatch):
    assert helper_rows(monkeypatch, lambda: None) == list(range(2, 3002))


def test_a_helper_process_that_is_killed_fails_the_member(monkeypatch):
    with pytest.raises(loader.FileFailed) as failed:
        helper_rows(monkeypatch, lambda: os.kill(os.getpid(), signal.SIGKILL))
    assert str(failed.value) == f"{LABEL}: the parsing helper process stopped unexpectedly (exit code -9)"


def test_a_helper_process_that_exits_without_a_word_fails_the_member(monkeypatch):
    with pytest.raises(loader.FileFailed, match=r"stopped unexpectedly \(exit code 0\)"):
        helper_rows(monkeypatch, lambda: os._exit(0))


def test_a_helper_process_that_fails_names_the_error(monkeypatch):
    def fail():
        raise RuntimeError("injected")

    with pytest.raises(loader.FileFailed) as failed:
        helper_rows(monkeypatch, fail)
    assert str(failed.value) == f"{LABEL}: unexpected error while preparing the rows (RuntimeError: injected)"


# -- a whole import ------------------------------------------------------------------------------


def test_an_import_whose_rows_fail_to_be_prepared_fails_that_member_only(tmp_path, monkeypatch):
    # The thread on MySQL/MariaDB, the helper process on SQLite (every member counts as big here).
    monkeypatch.setattr(sqlite, "PARSE_IN_HELPER_BYTES", 0)
    built = build_package(spec=PackageSpec(learners=40, problems=6), output=tmp_path)
    real = loader.RowStream.process

    def process(self, record):
        if self.plan.spec.table == "courseware_studentmodule" and record.line == 150:
            raise RuntimeError("injected")
        return real(self, record)

    monkeypatch.setattr(loader.RowStream, "process", process)
    # On MySQL, clean runs of records go to LOAD DATA unconverted: they fail there instead.
    real_as_is = verbatim.Verbatim._as_is

    def as_is(self, data):
        rows = self.rows
        if rows.plan.spec.table == "courseware_studentmodule" and rows.counts.course_id == COURSE:
            raise RuntimeError("injected")
        return real_as_is(self, data)

    monkeypatch.setattr(verbatim.Verbatim, "_as_is", as_is)
    summary = import_packages(paths=[built.path], options=ImportOptions())
    failed = [r for r in summary.results if r.status == Status.FAILED]
    assert [r.table for r in failed] == ["courseware_studentmodule"]
    assert failed[0].message.endswith(": unexpected error while preparing the rows (RuntimeError: injected)")
    assert not StudentModule.objects.filter(course_id=COURSE).exists()
    assert User.objects.count() == 40
