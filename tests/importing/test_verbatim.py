"""Runs of records handed to LOAD DATA as written: the same rows, errors and counts as converting them.

MySQL/MariaDB only (the verbatim path is part of its loader): each file is loaded twice, through
the verbatim path and with it turned off, and the tables must hold exactly the same values.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from edx_schema.importing import verbatim
from edx_schema.importing.backends import mysql
from edx_schema.models import PersistentSubsectionGrade, StudentModule
from edx_schema.outcomes import Status

from .folders import COURSE, load, package

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.mariadb]

BLOCK = "block-v1:UniversityX+CS-101x+3T2024+type@problem+block@p"
STUDENTMODULE = (
    "id\tmodule_type\tmodule_id\tstudent_id\tstate\tgrade\tcreated\tmodified\tmax_grade\tdone\tcourse_id\n"
)
# Every kind of value: JSON state dense in escapes, NULL and the word NULL, an escaped backslash
# before N, control escapes, non-ASCII text, numbers with leading zeros, zero fractions, legacy keys.
STATES = [
    '{\\\\"attempts\\\\": 2, \\\\"input\\\\": \\\\"a\\\\tb\\\\"}',
    "NULL",
    "\\\\N is not NULL",
    "tab\\there\\nnew line\\rcr\\0nul\\Zsub",
    "NUL\\L",
    "",
    "é🙂 naïve",
    "\\\\",
]


def studentmodule(rows: int, *, module_type: str = "problem", extra: str = "") -> str:
    lines = [STUDENTMODULE]
    for n in range(1, rows + 1):
        state = STATES[n % len(STATES)]
        grade = ["0.5", "NULL", "007.50", "1", "-0", "0.1"][n % 6]  # NULL beside a NULL state
        created = ["2024-01-02 03:04:05", "2024-01-02 03:04:05.000000", "2024-02-29 23:59:59.123456"][n % 3]
        module_id = BLOCK + str(n) if n % 5 else f"i4x://UniversityX/CS-101x/problem/p{n}"
        lines.append(
            f"{n}\t{module_type}\t{module_id}\t{1000 + n}\t{state}\t{grade}\t{created}\t"
            f"2024-03-01 00:00:00\t{'NULL' if n % 4 else '2'}\tna\t{COURSE}\n"
        )
    return "".join(lines) + extra


def table_values(model) -> list[tuple]:
    fields = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
    return list(model.objects.order_by(*fields).values_list(*fields))


def load_both_ways(tmp_path, monkeypatch, members: dict[str, str | bytes], model, **options):
    """Load ``members`` through the verbatim path, then converted; each way's results and rows."""
    outcomes = []
    for way, date in (("verbatim", "2024-01-07"), ("converted", "2024-01-14")):
        if way == "converted":
            monkeypatch.setattr(mysql, "verbatim_pattern", lambda plan: None)
        model.objects.all().delete()
        results = load(package(tmp_path, date, members), **options)
        outcomes.append((results, table_values(model)))
    return outcomes


def test_every_kind_of_value_loads_as_converted(tmp_path, monkeypatch):
    text = studentmodule(400)
    (verbatim_results, verbatim_rows), (converted_results, converted_rows) = load_both_ways(
        tmp_path, monkeypatch, {"courseware_studentmodule": text}, StudentModule
    )
    assert verbatim_rows == converted_rows
    assert len(verbatim_rows) == 400
    for results in (verbatim_results, converted_results):
        assert results["courseware_studentmodule"].inserted == 400
    states = {row.state for row in StudentModule.objects.all()}
    assert None in states
    assert "NULL" in states
    assert "\\N is not NULL" in states
    assert "tab\there\nnew line\rcr\0nul\x1asub" in states


def test_a_run_with_a_value_that_must_be_converted_is_converted(tmp_path, monkeypatch):
    # The word NULL in a column without NULL is the text "NULL"; a CRLF file; no final line break.
    members = {"courseware_studentmodule": studentmodule(50, module_type="NULL").replace("\n", "\r\n")[:-2]}
    (_, verbatim_rows), (_, converted_rows) = load_both_ways(tmp_path, monkeypatch, members, StudentModule)
    assert verbatim_rows == converted_rows
    assert {row.module_type for row in StudentModule.objects.all()} == {"NULL"}


def test_bad_rows_are_rejected_exactly_as_when_converted(tmp_path, monkeypatch):
    monkeypatch.setattr(verbatim, "RUN_BYTES", 4096)  # several runs, one of them with bad rows
    text = studentmodule(300)
    lines = text.splitlines(keepends=True)
    lines[150] = lines[150].replace("\t2024-03-01 00:00:00\t", "\t2024-02-30 00:00:00\t")
    lines[151] = lines[151].replace("\tna\t", "\tna\textra\t")
    (verbatim_results, verbatim_rows), (converted_results, converted_rows) = load_both_ways(
        tmp_path, monkeypatch, {"courseware_studentmodule": "".join(lines)}, StudentModule, skip_bad_rows=True
    )
    assert verbatim_rows == converted_rows
    for results in (verbatim_results, converted_results):
        counts = results["courseware_studentmodule"]
        assert (counts.read, counts.inserted, counts.rejected) == (300, 298, 2)


def test_columns_the_file_lacks_and_derives_are_set(tmp_path, monkeypatch):
    # A subsection grade's file has no id, course_version or block-list hash: defaults and the
    # hash of the course's empty block list are set by the statement.
    header = "course_id\tuser_id\tusage_key\tearned_all\tpossible_all\tearned_graded\tpossible_graded\t"
    header += "first_attempted\tcreated\tmodified\n"
    rows = "".join(
        f"{COURSE}\t{n}\t{BLOCK}{n}\t1.0\t2.0\t1.0\t2.0\t{'NULL' if n % 2 else '2024-01-01 00:00:00'}\t"
        "2024-01-01 00:00:00.000000\t2024-01-02 00:00:00\n"
        for n in range(1, 101)
    )
    (_, verbatim_rows), (_, converted_rows) = load_both_ways(
        tmp_path, monkeypatch, {"grades_persistentsubsectiongrade": header + rows}, PersistentSubsectionGrade
    )
    assert verbatim_rows == converted_rows
    assert len({grade.visible_blocks_id for grade in PersistentSubsectionGrade.objects.all()}) == 1


def test_columns_the_table_does_not_take_are_read_and_dropped(tmp_path, monkeypatch):
    header = "id\tusername\tfirst_name\tlast_name\temail\tpassword\tis_staff\tis_active\tis_superuser\t"
    header += "last_login\tdate_joined\tstatus\tavatar_type\tsomething_new\n"
    rows = "".join(
        f"{n}\tu{n}\tFirst\tNULL\tu{n}@example.org\t\t0\t1\t0\tNULL\t2013-02-01 10:00:00\t\\\\N\tn\tNULL\n"
        for n in range(1, 51)
    )
    (results, verbatim_rows), (_, converted_rows) = load_both_ways(
        tmp_path, monkeypatch, {"auth_user": header + rows}, User
    )
    assert verbatim_rows == converted_rows
    assert results["auth_user"].status == Status.LOADED


def test_clean_runs_are_not_converted(tmp_path, monkeypatch):
    # The point of the path: a clean file's rows never go through the converters.
    def converted(self, data, line, **kwargs):
        raise AssertionError("a clean run was converted")

    monkeypatch.setattr(verbatim.Verbatim, "_converted", converted)
    results = load(package(tmp_path, "2024-01-07", {"courseware_studentmodule": studentmodule(200)}))
    assert results["courseware_studentmodule"].inserted == 200
    # Next week's file, merged into the course's rows, goes as it is too.
    again = load(package(tmp_path, "2024-01-14", {"courseware_studentmodule": studentmodule(250)}))
    merged = again["courseware_studentmodule"]
    assert (merged.inserted, merged.unchanged) == (50, 200)


def test_a_merge_into_rows_already_there_is_the_same_as_converted(tmp_path, monkeypatch):
    # The course's rows are there: the second file is staged and merged. It changes some rows,
    # adds others, has a record across two lines (an escaped line break) and bad rows after it,
    # in several runs: counts, rejected lines and rows must be those of the converted load.
    monkeypatch.setattr(verbatim, "RUN_BYTES", 4096)
    first = studentmodule(100)
    lines = studentmodule(160).replace("\tna\t", "\tdone\t").splitlines(keepends=True)
    lines[32] = lines[32].replace('{\\\\"attempts', '{\\\\"line\\\nbreak\\\\": 1, \\\\"attempts')
    lines[120] = lines[120].replace("\t2024-03-01 00:00:00\t", "\tyesterday\t")
    second = "".join(lines)
    outcomes = []
    for way, dates in (
        ("verbatim", ("2024-01-07", "2024-01-14")),
        ("converted", ("2024-01-21", "2024-01-28")),
    ):
        if way == "converted":
            monkeypatch.setattr(mysql, "verbatim_pattern", lambda plan: None)
        StudentModule.objects.all().delete()
        load(package(tmp_path, dates[0], {"courseware_studentmodule": first}))
        result = load(package(tmp_path, dates[1], {"courseware_studentmodule": second}), skip_bad_rows=True)[
            "courseware_studentmodule"
        ]
        counts = (result.read, result.inserted, result.updated, result.unchanged, result.rejected)
        outcomes.append((counts, [(r.line, r.column) for r in result.rejects], table_values(StudentModule)))
    assert outcomes[0] == outcomes[1]
    counts, rejected, rows = outcomes[0]
    assert counts == (160, 59, 100, 0, 1)
    assert rejected == [(122, "modified")]  # a record before it spans two lines
    assert len(rows) == 160 - 1
    assert StudentModule.objects.filter(state__contains="line\nbreak").exists()
