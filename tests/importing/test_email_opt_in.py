"""Importing the org-level e-mail opt-in list: exact rows, the weekly upsert, bad rows, the options."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from edx_schema.importing import ImportOptions, import_packages
from edx_schema.models import CourseEnrollment, EmailOptIn, ImportRecord
from edx_schema.outcomes import Status
from edx_schema.package.builder import PackageSpec, build_package
from edx_schema.package.email_opt_in import LEGACY_COLUMNS
from edx_schema.package.names import course_entity
from tests.package.test_email_opt_in import listing

pytestmark = pytest.mark.django_db

NAME = "universityx-email_opt_in-prod-analytics.csv"
COURSE = "course-v1:UniversityX+CS-101x+3T2024"
LEGACY = "UniversityX/HIST.2x/2013_Spring"
TABLE = "edx_schema_emailoptin"
UTC = dt.UTC

ADA = [
    "7",
    "ada",
    "ada@example.org",
    'Ada "A." Lovelace, FRS',
    COURSE,
    "False",
    "2015-03-04 10:11:12.5+00:00",
]
ADA_LEGACY = ["7", "ada", "ada@example.org", "Ada", LEGACY, "False", "2015-03-04 10:11:12.5+00:00"]
BO = ["8", "bo", "bo@example.org", "", COURSE, "True", "2014-12-01 00:00:00"]
CY = ["9", "cy", "cy@example.org", "Cy\r\nSecond line", LEGACY, "True", "2016-01-02 03:04:05+00:00"]


def folder_with(tmp_path: Path, data: bytes, *, name: str = NAME) -> Path:
    folder = tmp_path / "universityx-2024-11-17"
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(data)
    return folder


def run(*paths, rejects: Path | None = None, **options):
    return import_packages(paths=paths, options=ImportOptions(**options), rejects_path=rejects)


def result_of(summary):
    (result,) = [r for r in summary.results if Path(r.member).name == NAME]
    return result


def counts(result) -> tuple:
    return (result.status, result.read, result.inserted, result.updated, result.unchanged, result.rejected)


def stored() -> dict[tuple, tuple]:
    """Every row, by its key: (user_id or e-mail, course) -> the other values."""
    return {
        (row.user_id or row.email, str(row.course_id)): (
            row.org,
            row.username,
            row.email,
            row.full_name,
            row.is_opted_in_for_email,
            row.preference_recorded,
            row.preference_set_datetime,
        )
        for row in EmailOptIn.objects.all()
    }


def test_the_list_loads_exactly_after_the_course_tables_and_is_recorded(tmp_path):
    package = build_package(spec=PackageSpec(learners=3, problems=4, courses=1), output=tmp_path).path
    folder_with(tmp_path, listing([ADA, BO, ADA_LEGACY, CY], chunks=2))

    summary = run(package)

    assert summary.ok
    result = result_of(summary)
    assert counts(result) == (Status.LOADED, 4, 4, 0, 0, 0)
    assert (result.table, result.course, result.site) == (TABLE, "", "prod")
    assert summary.results[-1] is result  # org level: after every course's members
    assert CourseEnrollment.objects.exists()
    assert stored() == {
        (7, COURSE): (
            "universityx",
            "ada",
            "ada@example.org",
            ADA[3],
            False,
            True,
            dt.datetime(2015, 3, 4, 10, 11, 12, 500000, tzinfo=UTC),
        ),
        (8, COURSE): ("universityx", "bo", "bo@example.org", "", True, False, None),
        (7, LEGACY): (
            "universityx",
            "ada",
            "ada@example.org",
            "Ada",
            False,
            True,
            dt.datetime(2015, 3, 4, 10, 11, 12, 500000, tzinfo=UTC),
        ),
        (9, LEGACY): (
            "universityx",
            "cy",
            "cy@example.org",
            "Cy\r\nSecond line",
            True,
            True,
            dt.datetime(2016, 1, 2, 3, 4, 5, tzinfo=UTC),
        ),
    }
    record = ImportRecord.objects.get(table=TABLE)
    assert (record.outcome, record.member, record.rows_read, record.inserted) == (Status.LOADED, NAME, 4, 4)
    assert len(record.checksum) == 64


def test_the_same_list_again_changes_nothing_and_next_weeks_list_updates_what_changed(tmp_path):
    folder = folder_with(tmp_path, listing([ADA, BO]))
    run(folder)
    first = stored()

    again = run(folder)
    assert result_of(again).status == Status.ALREADY
    forced = run(folder, force=True)
    assert counts(result_of(forced)) == (Status.LOADED, 2, 0, 0, 2, 0)
    assert stored() == first

    bo_chose = [*BO[:5], "False", "2024-11-10 08:00:00+00:00"]
    folder_with(tmp_path, listing([ADA, bo_chose, CY]))
    week = run(folder, force=True)
    assert counts(result_of(week)) == (Status.LOADED, 3, 1, 1, 1, 0)
    assert stored()[(8, COURSE)][4:] == (False, True, dt.datetime(2024, 11, 10, 8, 0, tzinfo=UTC))
    assert EmailOptIn.objects.count() == 3


def test_a_key_twice_in_one_list_applies_in_line_order(tmp_path):
    later = [*ADA[:5], "True", "2015-04-01 00:00:00+00:00"]
    summary = run(folder_with(tmp_path, listing([ADA, BO, later])))
    assert counts(result_of(summary)) == (Status.LOADED, 3, 2, 1, 0, 0)
    assert stored()[(7, COURSE)][4] is True


def test_the_2016_list_is_keyed_by_exact_email(tmp_path):
    shouting = ["ADA@example.org", "Ada", COURSE, "True", "2014-12-01 00:00:00"]
    rows = [ADA[2:], BO[2:], shouting]
    folder = folder_with(tmp_path, listing(rows, columns=LEGACY_COLUMNS))
    assert counts(result_of(run(folder))) == (Status.LOADED, 3, 3, 0, 0, 0)
    assert counts(result_of(run(folder, force=True))) == (Status.LOADED, 3, 0, 0, 3, 0)
    assert set(EmailOptIn.objects.values_list("user_id", "username")) == {(None, None)}
    assert sorted(EmailOptIn.objects.values_list("email", flat=True)) == [
        "ADA@example.org",
        "ada@example.org",
        "bo@example.org",
    ]
    # A 7-column list of a later year keys its rows by user id: they are rows of their own.
    folder_with(tmp_path, listing([ADA]))
    assert counts(result_of(run(folder, force=True))) == (Status.LOADED, 1, 1, 0, 0, 0)
    assert sorted((row.user_id or 0, row.email) for row in EmailOptIn.objects.all()) == [
        (0, "ADA@example.org"),
        (0, "ada@example.org"),
        (0, "bo@example.org"),
        (7, "ada@example.org"),
    ]


def test_a_bad_value_fails_the_list_naming_file_line_column_and_value(tmp_path):
    bad = [*BO[:5], "yes", BO[6]]
    summary = run(folder_with(tmp_path, listing([ADA, bad], chunks=2)))
    assert not summary.ok
    result = result_of(summary)
    assert result.status == Status.FAILED
    assert f"{NAME}, line 4, column is_opted_in_for_email: not True or False (value: 'yes')" in result.message
    assert not EmailOptIn.objects.exists()  # not even the good row
    assert ImportRecord.objects.get(table=TABLE).outcome == Status.FAILED


def test_skip_bad_rows_loads_the_good_rows_and_writes_the_rejects(tmp_path):
    bad_date = [*BO[:6], "2015-03-04 10:11:12"]
    bad_course = [*CY[:4], "UniversityX/HIST.2x", *CY[5:]]
    data = listing([ADA, bad_date, bad_course]) + b'10,dee,d@e,"unclosed,x,True\r\n'
    rejects = tmp_path / "rejects.tsv"
    summary = run(folder_with(tmp_path, data), skip_bad_rows=True, rejects=rejects)
    assert not summary.ok  # rows were left out: the exit status says so
    assert counts(result_of(summary)) == (Status.LOADED, 4, 1, 0, 0, 3)
    assert list(EmailOptIn.objects.values_list("user_id", flat=True)) == [7]
    lines = rejects.read_text().splitlines()
    assert lines[0] == "file\tline\tcolumn\tvalue\treason\trecord"
    assert any(
        f"{NAME}\t3\tpreference_set_datetime\t2015-03-04 10:11:12\tnot a datetime in UTC" in line
        for line in lines
    )
    assert any(f"{NAME}\t4\tcourse_id\tUniversityX/HIST.2x\tnot a valid course key" in line for line in lines)
    assert any(f"{NAME}\t6\tNULL\t" in line and "not CSV" in line for line in lines)


def test_max_errors_fails_the_list(tmp_path):
    rows = [[str(n), *BO[1:5], "maybe", BO[6]] for n in range(10, 14)]
    summary = run(folder_with(tmp_path, listing(rows)), skip_bad_rows=True, max_errors=2)
    result = result_of(summary)
    assert result.status == Status.FAILED
    assert "more than 2 bad rows" in result.message
    assert not EmailOptIn.objects.exists()


def test_a_dry_run_counts_without_writing(tmp_path):
    summary = run(folder_with(tmp_path, listing([ADA, BO])), dry_run=True)
    assert counts(result_of(summary)) == (Status.WOULD_LOAD, 2, 2, 0, 0, 0)
    assert not EmailOptIn.objects.exists()
    assert not ImportRecord.objects.exists()


def test_course_loads_only_that_courses_rows_and_the_whole_list_later(tmp_path):
    # A bad row of another course is left out with its course, never rejected.
    other = [*CY[:5], "perhaps", CY[6]]
    folder = folder_with(tmp_path, listing([ADA, BO, CY, other]))
    entity = course_entity(org="UniversityX", course="CS-101x", run="3T2024")

    part = result_of(run(folder, courses=frozenset({entity})))
    assert counts(part) == (Status.LOADED, 2, 2, 0, 0, 0)
    assert part.course == COURSE
    assert "2 row(s) of other courses left out" in part.message
    assert {str(c) for c in EmailOptIn.objects.values_list("course_id", flat=True)} == {COURSE}

    # The import log does not take that for the whole list: a run for every course loads it.
    whole = result_of(run(folder, skip_bad_rows=True))
    assert counts(whole) == (Status.LOADED, 4, 1, 0, 2, 1)
    assert result_of(run(folder)).status == Status.ALREADY


def test_an_opt_in_zip_alone_can_be_limited_to_a_course_and_says_when_none_of_its_rows_is(tmp_path):
    folder = folder_with(tmp_path, listing([ADA, CY]))
    absent = course_entity(org="UniversityX", course="Nope", run="2024")
    result = result_of(run(folder, courses=frozenset({absent})))
    assert counts(result) == (Status.EMPTY, 0, 0, 0, 0, 0)
    assert "no row is for the --course course(s)" in result.message
    assert not EmailOptIn.objects.exists()


def test_tables_selects_the_list_by_its_table_or_member_name(tmp_path):
    package = build_package(spec=PackageSpec(learners=2, problems=4, courses=1), output=tmp_path).path
    folder_with(tmp_path, listing([ADA]))
    assert result_of(run(package, tables=frozenset({"auth_user"}))).status == Status.FILTERED
    out = StringIO()
    call_command("import_package", str(package), "--tables", "email_opt_in", stdout=out)
    assert EmailOptIn.objects.count() == 1
    assert not CourseEnrollment.objects.exists()
    (line,) = [line for line in out.getvalue().splitlines() if NAME in line]
    assert line.split()[:4] == [NAME, TABLE, "loaded", "1"]  # file, table, status, rows read
    with pytest.raises(CommandError, match="unknown table"):
        call_command("import_package", str(package), "--tables", "email_opt_ins")


@pytest.mark.django_db(transaction=True)
def test_with_jobs_the_list_loads_beside_the_course_tables_and_is_reported_last(tmp_path):
    package = build_package(spec=PackageSpec(learners=3, problems=4), output=tmp_path).path
    folder_with(tmp_path, listing([ADA, BO, CY]))
    summary = run(package, jobs=2)
    assert summary.ok
    assert summary.results[-1] is result_of(summary)
    assert counts(result_of(summary)) == (Status.LOADED, 3, 3, 0, 0, 0)
    assert EmailOptIn.objects.count() == 3
