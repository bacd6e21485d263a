"""Importing data packages: exact values, idempotent upserts, weekly snapshots, atomic files, bad rows.

Every test runs on SQLite and on MariaDB (LOAD DATA LOCAL INFILE there).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import OperationalError

from edx_schema.errors import PackageError
from edx_schema.importing import ImportOptions, import_packages, rows, verbatim
from edx_schema.importing import member as member_import
from edx_schema.importing.backends import sqlite
from edx_schema.models import (
    CourseBlock,
    CourseEnrollment,
    ForumPost,
    GeneratedCertificate,
    GradingPolicy,
    ImportRecord,
    PersistentCourseGrade,
    PersistentSubsectionGrade,
    Score,
    StudentModule,
    Submission,
    UserIdMap,
    UserProfile,
    VisibleBlocks,
)
from edx_schema.outcomes import Status
from edx_schema.package.builder import GRADING_POLICY, PackageSpec, build_package
from edx_schema.package.names import LOADED_TABLES, course_entity, member_table

pytestmark = pytest.mark.django_db

SPEC = PackageSpec(learners=8, problems=4)
COURSE = "course-v1:UniversityX+CS-101x+3T2024"
LEGACY = "UniversityX/HIST.2x/2013_Spring"
PREFIX = "UniversityX-CS-101x-3T2024-"
SUFFIX = "-prod-analytics.sql"


def run(*paths, **options):
    return import_packages(paths=paths, options=ImportOptions(**options))


def by_member(summary):
    return {r.member: r for r in summary.results}


def write_member(folder: Path, table: str, text: str | bytes, *, prefix: str = PREFIX) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{prefix}{table}{SUFFIX}"
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


USERS = (
    "id\tusername\tfirst_name\tlast_name\temail\tpassword\tis_staff\tis_active\tis_superuser\tlast_login\t"
    "date_joined\tstatus\temail_key\tavatar_type\tcountry\tshow_country\tdate_of_birth\tinteresting_tags\t"
    "ignored_tags\temail_tag_filter_strategy\tdisplay_tag_filter_strategy\tconsecutive_days_visit_count\n"
    "7\tada\tAda\tNULL\tada@example.org\t\t0\t1\t0\tNULL\t2013-02-01 10:00:00\t"
    "\tNULL\t\t\t0\tNULL\t\t\t0\t0\t0\n"
    "8\tbo\tBo\tO'Neil\tbo@example.org\t\t1\t1\t0\t2014-05-06 07:08:09.5\t2013-02-01 10:00:00.123456\t"
    "\tNULL\t\t\t0\tNULL\t\t\t0\t0\t0\n"
)


def users_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "universityx-2024-01-07"
    write_member(folder, "auth_user", USERS)
    return folder


# -- the whole sample package ---------------------------------------------------------------------


def test_a_package_loads_every_table_exactly(tmp_path):
    built = build_package(spec=SPEC, output=tmp_path, as_zip=True)
    summary = run(built.path)
    assert summary.ok
    loaded = {}
    for result in summary.results:
        if result.status == Status.LOADED:
            loaded[result.table] = loaded.get(result.table, 0) + result.read
    # Two outlines of 19 blocks, two grading policies and two forums of 2 posts, beside the tables
    # edx-schema loads (it reports the package's other members as skipped).
    tables = {member_table(t): rows for t, rows in built.rows.items() if rows and t in LOADED_TABLES}
    tables["edx_schema_emailoptin"] = built.rows["email_opt_in"]  # the org's list
    assert loaded == tables | {
        "edx_schema_courseblock": 38,
        "edx_schema_gradingpolicy": 2,
        "edx_schema_forumpost": 4,
    }
    assert GradingPolicy.objects.get(course_id=COURSE).policy == GRADING_POLICY
    outline = CourseBlock.objects.filter(course_id=LEGACY, category="sequential").order_by("position")
    assert [(b.display_name, b.format, b.graded) for b in outline] == [
        ("hw1", "Homework", True),
        ("hw2", "Homework", True),
        ("hw3", "Homework", True),
        ("final_exam", "Final Exam", True),
    ]
    assert StudentModule.objects.count() == built.rows["courseware_studentmodule"]
    assert PersistentSubsectionGrade.objects.count() == built.rows["grades_persistentsubsectiongrade"]
    assert Submission.objects.count() == built.rows["submissions_submission"]
    assert Score.objects.count() == built.rows["submissions_score"]
    # Users shared by both courses are stored once.
    assert User.objects.count() == SPEC.learners
    # Each member is recorded, with its course read from the file and a checksum.
    record = ImportRecord.objects.get(member=f"{PREFIX}auth_user{SUFFIX}")
    assert record.package == "universityx-2024-11-17"
    assert record.package_date == datetime.date(2024, 11, 17)
    assert record.course_id == COURSE
    assert record.outcome == ImportRecord.LOADED
    assert len(record.checksum) == 64
    assert record.inserted == SPEC.learners
    # Every member of the package is one edx-schema loads: none is skipped as not modelled.
    assert [r.member for r in summary.results if r.status == Status.SKIPPED] == []
    # The forum dump is loaded, threads and comments with their dates in UTC.
    thread, comment = ForumPost.objects.filter(course_id=COURSE).order_by("post_id")
    assert (thread.post_type, thread.thread_type, thread.title) == (
        "CommentThread",
        "question",
        'Problem 2, "part b"?',
    )
    assert thread.body == "Hello, all: is C:\\ a path?"
    assert (comment.post_type, comment.comment_thread_id, comment.parent_id) == (
        "Comment",
        thread.post_id,
        "",
    )
    assert comment.created_at == datetime.datetime(2013, 12, 19, 20, 10, 35, 43000, tzinfo=datetime.UTC)
    assert thread.updated_at == datetime.datetime(2013, 12, 14, 6, 0, 0, 123000, tzinfo=datetime.UTC)
    assert comment.body.endswith("Caf\u00e9 \U0001f600")


def test_values_survive_exactly(tmp_path):
    built = build_package(spec=SPEC, output=tmp_path)
    run(built.path)
    # The first row with a wrong answer (rows never submitted hold only a seed).
    module = next(
        m for m in StudentModule.objects.filter(course_id=COURSE).order_by("id") if "incorrect" in m.state
    )
    state = json.loads(module.state)  # the doubled backslashes decode to valid JSON
    message = next(e["msg"] for e in state["correct_map"].values() if e["correctness"] == "incorrect")
    assert message == '\n<p class="hint">\tTry</p>'
    assert next(iter(state["student_answers"].values())) == "x\\y"
    profile = UserProfile.objects.get(user_id=12)
    assert profile.mailing_address == "12 Main St\r\nApt 4\tRear"
    assert profile.goals == "Learn \\ teach\nand more"
    legacy = StudentModule.objects.filter(course_id=LEGACY).first()
    assert str(legacy.module_state_key).startswith("i4x://UniversityX/HIST.2x/problem/")
    grade = PersistentSubsectionGrade.objects.filter(course_id=COURSE).first()
    assert grade.visible_blocks_id == VisibleBlocks.objects.not_exported(COURSE).hashed
    # user_id_map: the new header (user_id) and the legacy one (id) land in the same column.
    assert UserIdMap.objects.filter(user_id=11).exists()


def test_importing_twice_changes_nothing(tmp_path):
    built = build_package(spec=SPEC, output=tmp_path)
    first = run(built.path)
    again = run(built.path)
    assert {r.status for r in again.results if r.table == "auth_user"} == {Status.ALREADY}
    forced = run(built.path, force=True)
    assert forced.ok
    assert forced.total("inserted") == forced.total("updated") == 0
    assert forced.total("unchanged") == first.total("read")
    assert ImportRecord.objects.filter(member=f"{PREFIX}auth_user{SUFFIX}").count() == 2


def test_next_weeks_snapshot_updates_changed_rows_and_adds_new_ones(tmp_path):
    week1 = build_package(spec=SPEC, output=tmp_path / "w1")
    week2_spec = PackageSpec(learners=8, problems=4, week=2, date=datetime.date(2024, 11, 24))
    week2 = build_package(spec=week2_spec, output=tmp_path / "w2")
    # Given out of order: they are applied oldest first.
    summary = run(week2.path, week1.path)
    assert summary.ok
    packages = [r.package for r in summary.results if r.status == Status.LOADED]
    assert packages.index("universityx-2024-11-24") > packages.index("universityx-2024-11-17")
    results = [r for r in summary.results if r.package == "universityx-2024-11-24" and r.table]
    studentmodule = next(r for r in results if r.table == "courseware_studentmodule" and COURSE in r.course)
    assert studentmodule.updated > 0
    assert studentmodule.inserted > 0
    assert studentmodule.unchanged > studentmodule.updated
    assert User.objects.count() == week2_spec.learners + 1  # week 2 adds a learner
    # The stored rows are week 2's, timestamps included, exactly as in the file.
    grade = PersistentCourseGrade.objects.get(course_id=COURSE, user_id=10)
    line = next(
        row
        for row in (week2.path / f"{PREFIX}grades_persistentcoursegrade{SUFFIX}").read_text().splitlines()[1:]
        if row.split("\t")[1] == "10"
    )
    assert grade.modified.strftime("%Y-%m-%d %H:%M:%S.%f").startswith(line.split("\t")[7][:19])
    assert grade.percent_grade == float(line.split("\t")[3])


# -- the text format, through a real import ------------------------------------------------------


def test_null_empty_string_escapes_and_fractional_datetimes(tmp_path):
    run(users_folder(tmp_path))
    ada, bo = User.objects.get(pk=7), User.objects.get(pk=8)
    assert ada.last_name == "NULL"  # a NOT NULL text column: the bare word was the string
    assert ada.last_login is None
    assert ada.password == ""
    assert bo.last_name == "O'Neil"
    assert bo.last_login == datetime.datetime(2014, 5, 6, 7, 8, 9, 500000, tzinfo=datetime.UTC)
    assert bo.date_joined.microsecond == 123456


def test_bom_raw_cr_and_old_and_new_profile_headers(tmp_path):
    folder = users_folder(tmp_path)
    old = (
        "\ufeffid\tuser_id\tname\tlanguage\tlocation\tmeta\tcourseware\tgender\tmailing_address\tyear_of_birth\t"
        "level_of_education\tgoals\tallow_certificate\tcountry\tcity\tbio\tprofile_image_uploaded_at\t"
        "phone_number\n"
        "1\t7\tAda\ten\t\t\tcourse.xml\tzz\ta\r\\nb\t1815\tzzz\tNULL\t1\tGB\tNULL\tNULL\tNULL\t555\n"
    )
    write_member(folder, "auth_userprofile", old)
    write_member(
        folder,
        "auth_userprofile",
        "id\tuser_id\tname\tlanguage\tlocation\tmeta\tcourseware\tgender\tmailing_address\tyear_of_birth\t"
        "level_of_education\tgoals\tcountry\tcity\tbio\tprofile_image_uploaded_at\tstate\n"
        "2\t8\tBo\ten\t\t\tcourse.xml\tm\t\tNULL\tb\tNULL\tUS\t\tNULL\tNULL\tMA\n",
        prefix="UniversityX-CS-101x-1T2025-",
    )
    summary = run(folder)
    assert summary.ok, [r.message for r in summary.results]
    ada = UserProfile.objects.get(user_id=7)
    # Values outside the documented lists are kept: real data has them.
    assert (ada.gender, ada.level_of_education) == ("zz", "zzz")
    assert ada.mailing_address == "a\r\nb"  # a raw CR is data; \n is an escaped newline
    assert (ada.allow_certificate, ada.phone_number, ada.state) == (True, "555", None)
    bo = UserProfile.objects.get(user_id=8)
    assert (bo.state, bo.allow_certificate, bo.year_of_birth) == ("MA", None, None)


def test_header_only_zero_length_failed_and_missing_members_are_reported_not_fatal(tmp_path):
    folder = users_folder(tmp_path)
    write_member(folder, "student_courseenrollment", "id\tuser_id\tcourse_id\tcreated\tis_active\tmode\n")
    write_member(folder, "user_id_map", b"")
    (folder / f"{PREFIX}courseware_studentmodule{SUFFIX}.failed").write_text("Traceback ...\n")
    summary = run(folder)
    assert summary.ok
    results = by_member(summary)
    assert results[f"{PREFIX}student_courseenrollment{SUFFIX}"].status == Status.EMPTY
    assert results[f"{PREFIX}student_courseenrollment{SUFFIX}"].message == "header only"
    assert results[f"{PREFIX}user_id_map{SUFFIX}"].message == "zero-length file"
    assert results[f"{PREFIX}courseware_studentmodule{SUFFIX}.failed"].status == Status.EXPORT_FAILED
    missing = {r.table for r in summary.results if r.status == Status.MISSING}
    assert {"auth_userprofile", "certificates_generatedcertificate"} <= missing


def test_a_mysqldump_member_is_refused_with_a_message_that_says_so(tmp_path):
    folder = users_folder(tmp_path)
    write_member(folder, "auth_userprofile", "-- MySQL dump 10.13\nCREATE TABLE `auth_userprofile` (\n")
    summary = run(folder)
    assert not summary.ok
    result = by_member(summary)[f"{PREFIX}auth_userprofile{SUFFIX}"]
    assert result.status == Status.FAILED
    assert "mysqldump" in result.message
    assert User.objects.count() == 2  # the other member still loaded


def test_unknown_columns_are_reported_and_ignored(tmp_path):
    folder = users_folder(tmp_path)
    write_member(
        folder,
        "student_courseenrollment",
        f"id\tuser_id\tcourse_id\tcreated\tis_active\tmode\tshiny_new\n1\t7\t{COURSE}\tNULL\t1\thonor\tx\n",
    )
    summary = run(folder)
    assert summary.ok
    result = by_member(summary)[f"{PREFIX}student_courseenrollment{SUFFIX}"]
    assert "shiny_new" in result.message
    assert CourseEnrollment.objects.get(pk=1).mode == "honor"


# -- bad input ------------------------------------------------------------------------------------

ENROLLMENT_HEADER = "id\tuser_id\tcourse_id\tcreated\tis_active\tmode\n"


@pytest.mark.parametrize(
    ("row", "column", "words"),
    [
        (f"1\t2147483648\t{COURSE}\tNULL\t1\thonor", "user_id", "out of range"),
        (f"1\t7x\t{COURSE}\tNULL\t1\thonor", "user_id", "not an integer"),
        (f"1\t7\t{COURSE}\t2024-02-30 00:00:00\t1\thonor", "created", "not a valid datetime"),
        (f"1\t7\t{COURSE}\t2024/02/03\t1\thonor", "created", "not a datetime"),
        (f"1\t7\t{COURSE}\tNULL\t1\t{'m' * 101}", "mode", "longer than the column's 100"),
        ("1\t7\tnot a course\tNULL\t1\thonor", "course_id", "not a valid course key"),
        (f"1\t7\t{COURSE}\tNULL\tyes\thonor", "is_active", "not a boolean"),
        (f"1\t99\t{COURSE}\tNULL\t1\thonor", "user_id", "not in auth_user"),
    ],
)
def test_a_bad_value_names_file_line_column_and_value_and_the_file_does_not_load(
    tmp_path, row, column, words
):
    folder = users_folder(tmp_path)
    good = f"2\t8\t{COURSE}\tNULL\t1\thonor\n"
    write_member(folder, "student_courseenrollment", ENROLLMENT_HEADER + good + row + "\n")
    summary = run(folder)
    assert not summary.ok
    message = by_member(summary)[f"{PREFIX}student_courseenrollment{SUFFIX}"].message
    assert f"{PREFIX}student_courseenrollment{SUFFIX}, line 3, column {column}" in message
    assert words in message
    assert "(value: " in message
    assert CourseEnrollment.objects.count() == 0  # not even the good row
    assert User.objects.count() == 2  # the other file loaded
    assert ImportRecord.objects.get(table="student_courseenrollment").outcome == ImportRecord.FAILED


def test_wrong_field_count_and_broken_utf8_are_errors_with_their_line(tmp_path):
    folder = users_folder(tmp_path)
    write_member(folder, "student_courseenrollment", ENROLLMENT_HEADER + f"1\t7\t{COURSE}\n")
    write_member(
        folder,
        "user_api_usercoursetag",
        b"id\tuser_id\tkey\tcourse_id\tvalue\n1\t7\tk\t" + COURSE.encode() + b"\tcaf\xe9\n",
    )
    results = by_member(run(folder))
    assert (
        "line 2: expected 6 fields as in the header, found 3"
        in results[f"{PREFIX}student_courseenrollment{SUFFIX}"].message
    )
    assert "line 2, column value: invalid UTF-8" in results[f"{PREFIX}user_api_usercoursetag{SUFFIX}"].message


def test_skip_bad_rows_loads_the_good_ones_and_writes_rejects(tmp_path):
    folder = users_folder(tmp_path)
    rows = [
        f"1\t7\t{COURSE}\tNULL\t1\thonor",
        f"2\t8\t{COURSE}\tsoon\t1\thonor",
        f"3\t99\t{COURSE}\tNULL\t1\taudit",
    ]
    write_member(folder, "student_courseenrollment", ENROLLMENT_HEADER + "\n".join(rows) + "\n")
    rejects = tmp_path / "rejects.tsv"
    summary = import_packages(paths=[folder], options=ImportOptions(skip_bad_rows=True), rejects_path=rejects)
    assert not summary.ok  # rows were left out: the exit status says so
    result = by_member(summary)[f"{PREFIX}student_courseenrollment{SUFFIX}"]
    assert (result.status, result.read, result.inserted, result.rejected) == (Status.LOADED, 3, 1, 2)
    assert list(CourseEnrollment.objects.values_list("id", flat=True)) == [1]
    lines = rejects.read_text().splitlines()
    assert lines[0] == "file\tline\tcolumn\tvalue\treason\trecord"
    assert any("\t3\tcreated\tsoon\tnot a datetime" in line for line in lines)
    assert any("\t4\tuser_id\t99\trefers to a row that is not in auth_user" in line for line in lines)


def test_max_errors_fails_the_file(tmp_path):
    folder = users_folder(tmp_path)
    rows = [f"{n}\t7\t{COURSE}\tbad\t1\thonor" for n in range(1, 5)]
    write_member(folder, "student_courseenrollment", ENROLLMENT_HEADER + "\n".join(rows) + "\n")
    summary = run(folder, skip_bad_rows=True, max_errors=2)
    result = by_member(summary)[f"{PREFIX}student_courseenrollment{SUFFIX}"]
    assert result.status == Status.FAILED
    assert "more than 2 bad rows" in result.message
    assert CourseEnrollment.objects.count() == 0


def test_a_failure_mid_file_leaves_nothing_of_that_file(tmp_path, monkeypatch):
    built = build_package(spec=PackageSpec(learners=40, problems=6), output=tmp_path)
    monkeypatch.setattr(rows, "BATCH_ROWS", 50)
    real_convert = rows.RowPlan.convert

    def failing_convert(self, record):
        if self.spec.table == "courseware_studentmodule" and record.line == 150:
            raise OperationalError("the database went away (injected)")
        return real_convert(self, record)

    monkeypatch.setattr(rows.RowPlan, "convert", failing_convert)
    # On MySQL, runs of clean records go to LOAD DATA unconverted: fail there too, at the third
    # of several small runs.
    monkeypatch.setattr(verbatim, "RUN_BYTES", 2048)
    real_as_is = verbatim.Verbatim._as_is
    runs = []

    def failing_as_is(self, data):
        if self.rows.plan.spec.table == "courseware_studentmodule":
            runs.append(data)
            if len(runs) == 3:
                raise OperationalError("the database went away (injected)")
        return real_as_is(self, data)

    monkeypatch.setattr(verbatim.Verbatim, "_as_is", failing_as_is)
    summary = run(built.path)
    failed = [r for r in summary.results if r.status == Status.FAILED]
    assert [r.table for r in failed] == ["courseware_studentmodule"]
    assert "injected" in failed[0].message
    # Rows before the failure were written in earlier batches, and are gone with their file.
    assert not StudentModule.objects.filter(course_id=COURSE).exists()
    assert StudentModule.objects.filter(course_id=LEGACY).exists()
    assert GeneratedCertificate.objects.exists()
    monkeypatch.setattr(rows.RowPlan, "convert", real_convert)
    monkeypatch.setattr(verbatim.Verbatim, "_as_is", real_as_is)
    # Running again completes the import: only the failed file is loaded.
    again = run(built.path)
    assert again.ok
    assert [r.table for r in again.results if r.status == Status.LOADED] == ["courseware_studentmodule"]


# -- selecting what to load ----------------------------------------------------------------------


def test_course_tables_and_site_filters(tmp_path):
    built = build_package(spec=SPEC, output=tmp_path)
    legacy = course_entity(org="UniversityX", course="HIST.2x", run="2013_Spring")
    summary = run(
        built.path, courses=frozenset({legacy}), tables=frozenset({"auth_user", "courseware_studentmodule"})
    )
    assert summary.ok
    assert {str(key) for key in StudentModule.objects.values_list("course_id", flat=True)} == {LEGACY}
    assert not CourseEnrollment.objects.exists()
    edge = run(built.path, site="edge", force=True)
    assert {r.status for r in edge.results if r.table == "auth_user"} == {Status.FILTERED}


def test_dry_run_validates_and_counts_without_writing(tmp_path):
    built = build_package(spec=SPEC, output=tmp_path)
    summary = run(built.path, dry_run=True)
    assert summary.ok
    assert {r.status for r in summary.results if r.table == "courseware_studentmodule"} == {Status.WOULD_LOAD}
    assert not User.objects.exists()
    assert not ImportRecord.objects.exists()
    assert not CourseBlock.objects.exists()
    assert not GradingPolicy.objects.exists()
    # It counted what the import then does, member by member.
    imported = run(built.path)
    counts = ("read", "inserted", "updated", "unchanged", "rejected", "deleted")
    would = {r.member: [getattr(r, c) for c in counts] for r in summary.results}
    done = {r.member: [getattr(r, c) for c in counts] for r in imported.results}
    assert would == done
    assert summary.total("inserted") == imported.total("inserted") > 0


# -- archives and encryption ----------------------------------------------------------------------


def test_a_zip_with_a_parent_directory_member_is_refused(tmp_path):
    archive = tmp_path / "evil-2024-01-07.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("evil-2024-01-07/ok-auth_user-prod-analytics.sql", USERS)
        z.writestr("../escape-auth_user-prod-analytics.sql", USERS)
    with pytest.raises(PackageError, match=r"refusing member '\.\./escape"):
        run(archive)
    assert not User.objects.exists()
    assert not (tmp_path.parent / "escape-auth_user-prod-analytics.sql").exists()


def test_a_big_member_parsed_in_a_helper_process_loads_the_same_rows_and_reports_the_same_errors(
    tmp_path, monkeypatch
):
    # On SQLite, members above PARSE_IN_HELPER_BYTES are parsed in a forked process, in runs of
    # CHUNK_BYTES; make every member "big" and the runs tiny. (MySQL has its own reading thread.)
    monkeypatch.setattr(sqlite, "PARSE_IN_HELPER_BYTES", 0)
    monkeypatch.setattr(sqlite, "CHUNK_BYTES", 700)
    built = build_package(spec=PackageSpec(learners=30, problems=5), output=tmp_path)
    member = built.path / f"{PREFIX}courseware_studentmodule{SUFFIX}"
    lines = member.read_text().splitlines(keepends=True)
    fields = lines[77].split("\t")
    fields[8] = "many"  # max_grade
    lines[77] = "\t".join(fields)
    member.write_text("".join(lines))
    summary = import_packages(paths=[built.path], options=ImportOptions(skip_bad_rows=True, max_errors=5))
    result = by_member(summary)[f"{PREFIX}courseware_studentmodule{SUFFIX}"]
    assert (result.read, result.inserted, result.rejected) == (150, 149, 1)
    assert result.course == COURSE
    rejected = result.rejects[0]
    assert (rejected.line, rejected.column, rejected.value) == (78, "max_grade", "many")
    assert StudentModule.objects.filter(course_id=COURSE).count() == 149
    first = lines[1].rstrip("\n").split("\t")
    stored = StudentModule.objects.get(pk=int(first[0]))
    assert stored.state == first[4].replace("\\\\", "\\")
    assert (
        ImportRecord.objects.get(member=result.member).checksum
        == hashlib.sha256(member.read_bytes()).hexdigest()
    )
    # Without --skip-bad-rows the bad row fails the file, with its line, and nothing lands.
    StudentModule.objects.all().delete()
    failed = by_member(run(built.path, force=True, tables=frozenset({"courseware_studentmodule"})))
    message = failed[f"{PREFIX}courseware_studentmodule{SUFFIX}"].message
    assert "line 78, column max_grade: not a number (value: 'many')" in message
    assert not StudentModule.objects.filter(course_id=COURSE).exists()


@pytest.mark.django_db(transaction=True)  # outside a transaction, as import_package runs
def test_a_member_that_met_a_row_another_import_inserted_meanwhile_is_loaded_again(tmp_path, monkeypatch):
    # Two imports of one course's outline at once: the second to insert a block meets the first's.
    from django.db import IntegrityError

    built = build_package(spec=SPEC, output=tmp_path)
    real = member_import.load_document
    raced = []

    def duplicate_once(stream, member, **kwargs):
        if member.name.kind == "course_structure" and not raced:
            raced.append(member.path)
            raise IntegrityError(1062, "Duplicate entry 'x' for key 'edx_schema_courseblock_uniq'")
        return real(stream, member, **kwargs)

    monkeypatch.setattr(member_import, "load_document", duplicate_once)
    summary = run(built.path)
    assert raced
    assert summary.ok


@pytest.mark.django_db(transaction=True)
def test_a_collision_that_stays_fails_the_member_after_the_last_attempt(monkeypatch):
    from django.db import IntegrityError

    monkeypatch.setattr(member_import.time, "sleep", lambda seconds: None)
    attempts = []

    def collide():
        attempts.append(1)
        raise IntegrityError(1062, "Duplicate entry 'x' for key 'y'")

    with pytest.raises(IntegrityError):
        member_import._with_lock_retries(collide)
    assert len(attempts) == member_import.LOCK_ATTEMPTS


@pytest.mark.django_db(transaction=True)  # outside a transaction, as import_package runs
def test_a_member_rolled_back_by_a_deadlock_is_loaded_again(tmp_path, monkeypatch):
    # With --jobs, InnoDB may pick one worker's transaction as a deadlock victim: it is retried.
    from django.db import OperationalError

    built = build_package(spec=SPEC, output=tmp_path)
    real = member_import.load_table_member
    failures = []

    def deadlock_once(**kwargs):
        if kwargs["token"] == "auth_user" and not failures:
            failures.append(kwargs["label"])
            raise OperationalError(1213, "Deadlock found when trying to get lock; try restarting transaction")
        return real(**kwargs)

    monkeypatch.setattr(member_import, "load_table_member", deadlock_once)
    summary = run(built.path)
    assert failures
    assert summary.ok
    assert User.objects.count() == SPEC.learners
