"""The Spark job: a package straight into the lake, without a database, equal table for table to
what ``export_lake`` writes after ``import_package`` of the same package; bad rows in the
rejects dataset with their file, line, column and value."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from django.core.management import CommandError, call_command

from edx_schema.importing.results import ImportOptions
from edx_schema.lake.export import MANIFEST, export_lake
from edx_schema.lake.job import REJECTS, plan_tasks, run_job, split_tasks
from edx_schema.lake.schema import lake_tables

pytestmark = pytest.mark.django_db(transaction=True)

#: Columns that are not the package's data, and differ by nature between the two ways: ids the
#: database draws (the job numbers rows in load order), and when a log file was loaded. A column
#: that refers to such an id is compared by the natural key of the row it refers to.
SURROGATE = {
    "course_groups_cohortmembership": {"id"},
    "course_groups_courseusergroup": {"id"},
    "course_groups_courseusergroup_users": {"id"},
    "credit_creditcourse": {"id"},
    "edx_schema_courseblock": {"id"},
    "edx_schema_coursecontentblock": {"id"},
    "edx_schema_emailoptin": {"id"},
    "edx_schema_gradingpolicy": {"id", "created", "modified"},
    "django_comment_client_role": {"id"},
    "django_comment_client_role_users": {"id"},
    "edx_schema_forumpost": {"id"},
    "edx_schema_trackingevent": {"id"},
    "edx_schema_trackinglogfile": {"id", "loaded_at"},
    "grades_persistentcoursegrade": {"id"},
    "grades_persistentsubsectiongrade": {"id"},
    "grades_visibleblocks": {"id"},
    "student_courseaccessrole": {"id"},
    "verify_student_verificationcheckpoint": {"id"},
    "verify_student_verificationstatus": {"id"},
}
TABLES = {table.name: table for table in lake_tables()}


def lake_rows(out: Path, table) -> list[tuple]:
    """The table's rows in a lake (whoever wrote it), sorted, without the surrogate columns."""
    return sorted(natural(out, table).values(), key=repr)


def natural(out: Path, table) -> dict:
    """The table's rows by id, each without its surrogate columns, and with what a column that
    refers to a surrogate id names by that row's own natural values."""
    files = _files(out, table.name)
    if not files:
        return {}
    data = ds.dataset(files, format="parquet", schema=table.schema).to_table().to_pylist()
    skip = SURROGATE.get(table.name, set())
    resolved = {}
    for column in table.columns:
        field = column.field
        if field.is_relation and field.target_field.column in SURROGATE.get(
            field.related_model._meta.db_table, ()
        ):
            resolved[column.name] = natural(out, TABLES[field.related_model._meta.db_table])
    pk = table.model._meta.pk.column
    rows = {}
    for row in data:
        values = []
        for name in table.schema.names:
            if name in resolved:
                values.append(resolved[name].get(row[name], ("dangling", row[name])))
            elif name not in skip:
                values.append(row[name])
        rows[row[pk]] = tuple(values)
    return rows


def lake_rows_raw(out: Path, name: str) -> list[dict]:
    return ds.dataset(_files(out, name), format="parquet").to_table().to_pylist()


def _files(out: Path, name: str) -> list[str]:
    return sorted(str(path) for path in (out / name).glob("**/*.parquet"))


@pytest.fixture
def both_lakes(package, transactional_db, spark, tmp_path):
    """The package imported and exported, and the same package through the job."""
    call_command("import_package", str(package), verbosity=0)
    exported = tmp_path / "exported"
    export_lake(out=exported)
    converted = tmp_path / "converted"
    result = run_job(spark=spark, paths=[package], out=converted)
    return exported, converted, result


def test_the_job_writes_what_export_lake_writes_table_for_table(both_lakes):
    exported, converted, result = both_lakes
    tables = TABLES
    assert result.failed == []
    assert result.tables["courseware_studentmodule"] > 100
    assert result.tables["edx_schema_trackingevent"] > 300
    for name in result.tables:
        assert lake_rows(converted, tables[name]) == lake_rows(exported, tables[name]), name
    # Every table with rows in the database is in the job's lake: the course documents' and the
    # opt-in list's too.
    manifest = json.loads((exported / MANIFEST).read_text())
    with_rows = {name for name, entry in manifest["tables"].items() if entry["rows"]}
    assert with_rows <= set(result.tables)
    documents = {"edx_schema_courseblock", "edx_schema_coursecontentblock", "edx_schema_gradingpolicy"}
    assert documents | {"edx_schema_emailoptin"} <= with_rows
    assert not any("not converted" in skipped for skipped in result.skipped)
    # The same manifest, read the same way, but for the marks an incremental export starts from.
    written = json.loads((converted / MANIFEST).read_text())
    assert written["made_by"] == "spark"
    assert "marks" not in written
    for name, entry in written["tables"].items():
        assert entry["columns"] == manifest["tables"][name]["columns"], name
        assert entry["rows"] == result.tables[name] == len(lake_rows(converted, tables[name])), name
    for path, entry in written["files"].items():
        assert pq.read_metadata(converted / path).num_rows == entry["rows"]
    assert pq.read_table(converted / REJECTS).num_rows == written["rejects"] == len(result.rejects)


def test_the_course_partitions_are_export_lakes(both_lakes):
    exported, converted, _result = both_lakes

    def folders(out: Path) -> set[str]:
        return {path.parent.relative_to(out).as_posix() for path in out.glob("*/*=*/**/*.parquet")}

    job_folders = {folder for folder in folders(converted)}
    assert job_folders
    assert job_folders <= folders(exported)


def _broken_copy(package: Path, tmp_path: Path) -> tuple[Path, str]:
    """The package with one bad value in a studentmodule file: its line and the file's name."""
    copy = tmp_path / package.name
    shutil.copytree(package, copy)
    member = next(copy.glob("*CS-101x*courseware_studentmodule*.sql"))
    lines = member.read_text().splitlines(keepends=True)
    header = lines[0].rstrip("\n").split("\t")
    fields = lines[3].rstrip("\n").split("\t")
    fields[header.index("grade")] = "lots"
    lines[3] = "\t".join(fields) + "\n"
    member.write_text("".join(lines))
    return copy, member.name


def test_a_bad_row_fails_its_member_and_is_in_the_rejects(package, spark, tmp_path):
    copy, name = _broken_copy(package, tmp_path)
    result = run_job(spark=spark, paths=[copy], out=tmp_path / "lake", options=ImportOptions())
    assert [failure for failure in result.failed if name in failure]
    (reject,) = [entry for entry in result.rejects if name in entry["member"]]
    assert (reject["line"], reject["column"], reject["value"]) == (4, "grade", "lots")
    assert reject["file"].endswith(name)
    rejects = pq.read_table(tmp_path / "lake" / REJECTS).to_pylist()
    assert {"member", "file", "line", "column", "value", "reason"} <= set(rejects[0])
    assert any(row["line"] == 4 and row["value"] == "lots" for row in rejects)
    # As in an import, none of the member's rows are written; the other course's are.
    modules = lake_rows_raw(tmp_path / "lake", "courseware_studentmodule")
    assert modules
    assert not [row for row in modules if "CS-101x" in row["course_id"]]


def test_skip_bad_rows_leaves_out_the_row_alone(package, spark, tmp_path):
    copy, name = _broken_copy(package, tmp_path)
    options = ImportOptions(skip_bad_rows=True)
    result = run_job(spark=spark, paths=[copy], out=tmp_path / "lake", options=options)
    assert result.failed == []
    assert [(entry["line"], entry["value"]) for entry in result.rejects if name in entry["member"]] == [
        (4, "lots")
    ]
    modules = lake_rows_raw(tmp_path / "lake", "courseware_studentmodule")
    source = (copy / name).read_text().splitlines()
    assert len([row for row in modules if "CS-101x" in row["course_id"]]) == len(source) - 2


def test_members_are_planned_in_an_imports_order(package):
    tasks, skipped = plan_tasks(paths=[package], options=ImportOptions())
    tables = [task.table for task in tasks if task.kind == "table"]
    assert (
        tables.index("auth_user")
        < tables.index("auth_userprofile")
        < tables.index("courseware_studentmodule")
    )
    events = [task.member for task in tasks if task.kind == "events"]
    assert events == sorted(events)
    assert events
    assert [task.number for task in tasks] == list(range(1, len(tasks) + 1))
    # The import's order: tables, then the course documents and the forum, then tracking logs,
    # then the org's opt-in list; a course document knows its course from the package's tables.
    kinds = [task.kind for task in tasks]
    documents = [n for n, kind in enumerate(kinds) if kind in {"course_structure", "course_olx", "forum"}]
    assert documents
    assert max(n for n, kind in enumerate(kinds) if kind in {"table", "joined"}) < min(documents)
    assert max(documents) < kinds.index("events")
    assert kinds[-1] == "email_opt_in"
    olx = next(task for task in tasks if task.kind == "course_olx")
    assert olx.course.startswith("course-v1:")
    assert olx.table == "edx_schema_gradingpolicy"
    assert skipped == []


def test_the_command_line_names_a_missing_package_without_a_traceback(tmp_path):
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "edx_schema.lake",
            str(tmp_path / "nowhere.zip"),
            "--out",
            str(tmp_path / "lake"),
        ],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert run.returncode == 2
    assert "nowhere.zip" in run.stderr
    assert "Traceback" not in run.stderr


def test_without_java_the_command_says_so_without_a_traceback(package, tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "edx_schema.lake", str(package), "--out", str(tmp_path / "lake")],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "JAVA_HOME": str(tmp_path / "no-java")},
    )
    assert run.returncode == 2
    assert "install Java 17" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "lake").exists()


def _awkward_copy(package: Path, tmp_path: Path) -> tuple[Path, str]:
    """The package with rows a joined member's keys decide about: a credit row whose username
    and course an earlier line holds under another id, and a learner in two cohorts (the last
    line wins)."""
    copy = tmp_path / package.name
    shutil.copytree(package, copy)
    credit = next(copy.glob("*CS-101x*credit_crediteligibility*.sql"))
    lines = credit.read_text().splitlines(keepends=True)
    fields = lines[1].split("\t")
    lines.append("\t".join(["999", *fields[1:]]))
    credit.write_text("".join(lines))
    cohorts = next(copy.glob("*CS-101x*course_groups_cohortmembership*.sql"))
    lines = cohorts.read_text().splitlines(keepends=True)
    user = lines[1].split("\t")[0]
    lines.append("\t".join([user, "course-v1:UniversityX+CS-101x+3T2024", "cohort", "Moved\n"]))
    cohorts.write_text("".join(lines))
    return copy, credit.name


def test_joined_members_refuse_and_replace_as_an_import_does(package, transactional_db, spark, tmp_path):
    copy, credit = _awkward_copy(package, tmp_path)
    rejects = str(tmp_path / "rejects.tsv")
    with pytest.raises(CommandError, match=r"^0 file\(s\) failed"):  # it says it refused rows
        call_command("import_package", str(copy), "--skip-bad-rows", "--rejects", rejects, verbosity=0)
    export_lake(out=tmp_path / "exported")
    options = ImportOptions(skip_bad_rows=True)
    result = run_job(spark=spark, paths=[copy], out=tmp_path / "converted", options=options)
    assert result.failed == []
    (refusal,) = [entry for entry in result.rejects if credit in entry["member"]]
    assert refusal["reason"] == "line 2 of this file has this username and course already (unique)"
    assert (refusal["column"], refusal["line"]) == ("username", 4)
    for name in (
        "credit_creditcourse",
        "credit_crediteligibility",
        "course_groups_courseusergroup",
        "course_groups_cohortmembership",
        "course_groups_courseusergroup_users",
    ):
        assert lake_rows(tmp_path / "converted", TABLES[name]) == lake_rows(
            tmp_path / "exported", TABLES[name]
        ), name
    memberships = natural(tmp_path / "converted", TABLES["course_groups_cohortmembership"])
    assert any("Moved" in repr(row) for row in memberships.values())
    # Without --skip-bad-rows, the credit member loads nothing, as its import would.
    result = run_job(spark=spark, paths=[copy], out=tmp_path / "strict")
    assert [failure for failure in result.failed if credit in failure and "line 4" in failure]
    # The only credit file with rows failed: no eligibility, and no credit course it would make.
    assert lake_rows_raw(tmp_path / "strict", "credit_crediteligibility") == []
    assert lake_rows_raw(tmp_path / "converted", "credit_crediteligibility")
    assert lake_rows_raw(tmp_path / "strict", "credit_creditcourse") == []


def _later_copy(package: Path, tmp_path: Path) -> Path:
    """The package a week later: one course's structure without its welcome page and with a
    chapter renamed, one opt-in changed, the course exports the same bytes."""
    later = tmp_path / package.name.replace("2024-11-17", "2024-11-24")
    shutil.copytree(package, later)
    structure = next(later.glob("*CS-101x*course_structure*.json"))
    blocks = json.loads(structure.read_text())
    welcome = next(key for key, block in blocks.items() if key.endswith("block@welcome"))
    del blocks[welcome]
    for block in blocks.values():
        if welcome in block["children"]:
            block["children"].remove(welcome)
        if block["category"] == "chapter":
            block["metadata"]["display_name"] = "Week one"
    structure.write_text(json.dumps(blocks))
    opt_in = next(later.glob("*email_opt_in*.csv"))
    lines = opt_in.read_text().splitlines(keepends=True)
    assert ",False," in lines[1]
    lines[1] = lines[1].replace(",False,", ",True,")
    opt_in.write_text("".join(lines))
    return later


def test_a_later_packages_documents_and_opt_ins_apply_as_an_import_does(
    package, transactional_db, spark, tmp_path
):
    later = _later_copy(package, tmp_path)
    call_command("import_package", str(package), str(later), "--no-events", verbosity=0)
    export_lake(out=tmp_path / "exported")
    options = ImportOptions(events=False)
    result = run_job(spark=spark, paths=[later, package], out=tmp_path / "converted", options=options)
    assert result.failed == []
    converted = tmp_path / "converted"
    for name in (
        "edx_schema_courseblock",
        "edx_schema_coursecontentblock",
        "edx_schema_gradingpolicy",
        "edx_schema_emailoptin",
    ):
        assert lake_rows(converted, TABLES[name]) == lake_rows(tmp_path / "exported", TABLES[name]), name
    # The later structure is the whole course: the page it lacks is gone, the renamed chapter renamed.
    blocks = lake_rows_raw(converted, "edx_schema_courseblock")
    course = [row for row in blocks if "CS-101x" in row["course_id"]]
    assert not [row for row in course if row["usage_key"].endswith("block@welcome")]
    assert {row["display_name"] for row in course if row["category"] == "chapter"} == {"Week one"}
    assert [row["position"] for row in sorted(course, key=lambda row: row["position"])] == list(
        range(len(course))
    )
    # An unchanged policy keeps the file that brought it first; content is replaced by the later export.
    policies = lake_rows_raw(converted, "edx_schema_gradingpolicy")
    assert all("2024-11-17" in row["source"] for row in policies)
    content = lake_rows_raw(converted, "edx_schema_coursecontentblock")
    assert content
    assert all("2024-11-24" in row["source"] for row in content)
    # One opt-in row a key, the later one.
    opt_ins = lake_rows_raw(converted, "edx_schema_emailoptin")
    keys = [(row["org"], row["user_id"], row["email"], row["course_id"].lower()) for row in opt_ins]
    assert len(keys) == len(set(keys)) == len(lake_rows_raw(tmp_path / "exported", "edx_schema_emailoptin"))
    first = (later / next(later.glob("*email_opt_in*.csv")).name).read_text().splitlines()[1].split(",")
    (row,) = [row for row in opt_ins if row["user_id"] == int(first[0]) and row["course_id"] == first[4]]
    assert row["is_opted_in_for_email"] is True


def test_big_members_converted_in_pieces_make_the_same_lake(package, spark, tmp_path):
    options = ImportOptions(events=False)
    tasks, _skipped = plan_tasks(paths=[package], options=options)
    pieces = split_tasks(spark, tasks, piece_bytes=2048)
    split = {task.number for task in pieces if task.piece}
    assert split  # the studentmodule files, at least, are in pieces
    assert all(task.kind == "table" for task in pieces if task.number in split)
    whole = run_job(spark=spark, paths=[package], out=tmp_path / "whole", options=options)
    pieced = run_job(spark=spark, paths=[package], out=tmp_path / "pieced", options=options, piece_bytes=2048)
    assert pieced.failed == whole.failed == []
    assert pieced.tables == whole.tables

    def rows(out: Path, name: str) -> list[str]:  # ids included: a row's line is its line in the file
        when = {"created", "modified", "loaded_at"}  # the run's own time
        return sorted(
            repr({k: v for k, v in row.items() if k not in when}) for row in lake_rows_raw(out, name)
        )

    for name in whole.tables:
        assert rows(tmp_path / "pieced", name) == rows(tmp_path / "whole", name), name
    # A bad row in a piece fails its whole member, named at its line in the file.
    copy, name = _broken_copy(package, tmp_path)
    broken = run_job(spark=spark, paths=[copy], out=tmp_path / "broken", options=options, piece_bytes=2048)
    (failure,) = [failure for failure in broken.failed if name in failure]
    assert "line 4, column grade" in failure
    assert [(entry["line"], entry["value"]) for entry in broken.rejects] == [(4, "lots")]
    modules = lake_rows_raw(tmp_path / "broken", "courseware_studentmodule")
    assert not [row for row in modules if "CS-101x" in row["course_id"]]
