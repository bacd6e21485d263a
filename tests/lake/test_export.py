"""export_lake: every table as Parquet, exactly as the database holds it, partitioned, with a
manifest; incremental by the import records; bad destinations a clear error."""

from __future__ import annotations

import datetime
import json
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection

from edx_schema.lake.export import MANIFEST, export_lake
from edx_schema.lake.schema import lake_tables, partition_text, partition_value
from edx_schema.models import (
    ImportRecord,
    StudentModule,
)
from tests.lake.conftest import by_primary_key, stored

pytestmark = pytest.mark.django_db(transaction=True)

COURSE = "course-v1:UniversityX+CS-101x+3T2024"


def exported(out: Path, table) -> list[tuple]:
    """The table's rows in the lake (every file the manifest lists), in primary-key order."""
    manifest = json.loads((out / MANIFEST).read_text())
    rows = []
    for path in manifest["files"]:
        if path.split("/", 1)[0] == table.name:
            rows.extend(tuple(row.values()) for row in pq.read_table(out / path).to_pylist())
    return by_primary_key(table, rows)


def test_every_table_is_exported_row_for_row_as_stored(imported, tmp_path):
    admin = User.objects.create_superuser("admin", "admin@example.org", "secret")
    result = export_lake(out=tmp_path / "lake")
    tables = {table.name: table for table in lake_tables()}
    assert result.tables["courseware_studentmodule"]["rows"] == StudentModule.objects.count() > 0
    assert result.tables["edx_schema_trackingevent"]["rows"] > 300
    User.objects.filter(id=admin.id).update(password="")  # the one column the lake withholds
    for name in result.tables:
        assert exported(tmp_path / "lake", tables[name]) == stored(tables[name]), name
    # An empty unpartitioned table is a file of no rows, so a reader still finds its columns.
    empty = pq.read_table(tmp_path / "lake" / "verify_student_verificationstatus" / "part-00000.parquet")
    assert empty.num_rows == 0
    assert "checkpoint_id" in empty.column_names


def test_types_follow_the_models_and_null_stays_apart_from_empty(imported, tmp_path):
    export_lake(out=tmp_path / "lake")
    lake = tmp_path / "lake"
    module = pq.read_schema(next((lake / "courseware_studentmodule").rglob("*.parquet")))
    assert str(module.field("id").type) == "int64"
    assert str(module.field("grade").type) == "double"
    assert str(module.field("created").type) == "timestamp[us, tz=UTC]"
    assert str(module.field("module_id").type) == "string"  # a usage key, as stored
    roles = duckdb.sql(
        f"SELECT course_id, org FROM read_parquet('{lake}/student_courseaccessrole/*/*.parquet')"
        " WHERE role = 'lake_test'"
    ).fetchall()
    assert roles == [("", "UniversityX")]


def test_course_tables_are_partitioned_by_course_and_events_by_org_and_day(imported, tmp_path):
    export_lake(out=tmp_path / "lake")
    lake = tmp_path / "lake"
    folders = sorted(
        (path.name for path in (lake / "courseware_studentmodule").iterdir()), key=partition_text_of
    )
    assert f"course={partition_value(COURSE)}" in folders
    # credit_crediteligibility's course_id is a foreign key (an integer): one file, no partitions.
    assert [path.name for path in (lake / "credit_crediteligibility").iterdir()] == ["part-00000.parquet"]
    assert all(
        partition_text(name.split("=", 1)[1]) == course
        for name, course in zip(folders, sorted(_courses()), strict=True)
    )
    days = duckdb.sql(
        f"SELECT org, date, count(*) FROM read_parquet('{lake}/edx_schema_trackingevent/*/*/*.parquet',"
        " hive_partitioning = true) GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    with connection.cursor() as cursor:
        cursor.execute("SELECT org_id, time FROM edx_schema_trackingevent")
        expected: dict = {}
        for org, time in cursor.fetchall():
            key = (org, str(time.date()))
            expected[key] = expected.get(key, 0) + 1
    assert [(org, str(date), count) for org, date, count in days] == sorted(
        (org, day, count) for (org, day), count in expected.items()
    )


def _courses() -> set[str]:
    return {str(key) for key in StudentModule.objects.values_list("course_id", flat=True).distinct()}


def test_an_export_is_the_same_bytes_again_and_a_second_export_writes_only_what_changed(imported, tmp_path):
    lake = tmp_path / "lake"
    export_lake(out=lake)
    first = json.loads((lake / MANIFEST).read_text())["files"]
    again = export_lake(out=lake)
    assert again.incremental
    assert again.partitions == 0
    assert json.loads((lake / MANIFEST).read_text())["files"] == first
    full = export_lake(out=lake, full=True)
    assert not full.incremental
    assert json.loads((lake / MANIFEST).read_text())["files"] == first  # the same bytes

    # An import of one course's studentmodule rows: that partition alone is written again.
    module = StudentModule.objects.filter(course_id=COURSE).order_by("id").first()
    StudentModule.objects.filter(id=module.id).update(grade=0.25)
    now = datetime.datetime.now(datetime.UTC)
    ImportRecord.objects.create(
        package="universityx-2024-11-24", member="m.sql", table="courseware_studentmodule",
        course_id=COURSE, started=now, finished=now, outcome=ImportRecord.LOADED,
    )  # fmt: skip
    other = partition_value(next(course for course in _courses() if course != COURSE))
    untouched = {path: path.stat().st_mtime_ns for path in lake.rglob(f"course={other}/*.parquet")}
    update = export_lake(out=lake)
    assert untouched
    assert all(path.stat().st_mtime_ns == ns for path, ns in untouched.items())
    # That course's partitions (of every course table: a member loads more than its table) and
    # the unpartitioned tables are written again; no other course's.
    assert update.tables["courseware_studentmodule"]["partitions"] == 1
    assert update.rows < sum(entry["rows"] for entry in first.values())
    files = json.loads((lake / MANIFEST).read_text())["files"]
    assert all(files[path] == first[path] for path in first if f"course={other}/" in path)
    changed = sorted(path for path in files if files[path] != first.get(path))
    assert changed == [f"courseware_studentmodule/course={partition_value(COURSE)}/part-00000.parquet"]
    table = next(table for table in lake_tables() if table.name == "courseware_studentmodule")
    assert exported(lake, table) == stored(table)


def test_the_command_reports_and_bad_destinations_are_clear_errors(imported, tmp_path, capsys):
    call_command("export_lake", str(tmp_path / "lake"))
    assert "Exported" in capsys.readouterr().out
    call_command("export_lake", str(tmp_path / "lake"))
    assert "Updated 0 rows in 0 files" in capsys.readouterr().out
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(CommandError, match=f"{a_file}: not a folder"):
        call_command("export_lake", str(a_file))
    with pytest.raises(CommandError, match="Not a directory"):
        call_command("export_lake", str(a_file / "lake"))
    with pytest.raises(CommandError, match="no such table in the lake: nope"):
        call_command("export_lake", str(tmp_path / "lake"), "--table", "nope")
    good = json.loads((tmp_path / "lake" / MANIFEST).read_text())
    for bad in (
        {**good, "format_version": 99},
        {**good, "marks": {"import_record": "7", "tracking_log_file": 0}},
        {**good, "files": {"auth_user/part-00000.parquet": 5}},
        {**good, "files": {"auth_user/part-00000.parquet": {"rows": None, "sha256": "x"}}},
        {**good, "tables": []},
        [good],
    ):
        (tmp_path / "lake" / MANIFEST).write_text(json.dumps(bad))
        with pytest.raises(CommandError, match="not a manifest of format version 1; export with --full"):
            call_command("export_lake", str(tmp_path / "lake"))
    (tmp_path / "lake" / MANIFEST).write_text("[" * 100_000)  # deeper than the JSON parser goes
    with pytest.raises(CommandError, match="not a manifest this version can read"):
        call_command("export_lake", str(tmp_path / "lake"))
    (tmp_path / "lake" / MANIFEST).write_bytes(b"\xff{")
    with pytest.raises(CommandError, match="not a manifest this version can read"):
        call_command("export_lake", str(tmp_path / "lake"))


@pytest.mark.parametrize("value", ["course-v1:A+B+C", "MITx/6.002x/2012_Fall", "a=b%c:d", "x y"])
def test_partition_values_round_trip(value):
    segment = partition_value(value)
    assert "/" not in segment
    assert ":" not in segment
    assert "=" not in segment
    assert partition_text(segment) == value


def partition_text_of(folder: str) -> str:
    return partition_text(folder.split("=", 1)[1])


def test_without_pyarrow_the_command_says_which_extra_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if not installed
    monkeypatch.delitem(sys.modules, "edx_schema.lake.export", raising=False)
    monkeypatch.delitem(sys.modules, "edx_schema.lake.schema", raising=False)
    with pytest.raises(CommandError, match=r"export_lake needs pyarrow .*pip install 'edx-schema\[lake\]'"):
        call_command("export_lake", str(tmp_path / "lake"))
