"""Loading table members row by row: key columns, headers that lack them, CRLF files.

Every test runs on SQLite and on MariaDB (LOAD DATA LOCAL INFILE there).
"""

from __future__ import annotations

import io
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection
from opaque_keys.edx.django.models import OpaqueKeyField

from edx_schema.errors import FormatError
from edx_schema.importing import ImportOptions, import_packages
from edx_schema.importing.backends import sqlite
from edx_schema.importing.member_specs import member_spec
from edx_schema.importing.rows import FileFailed, LoadOptions
from edx_schema.importing.table_members import load_table_member
from edx_schema.importing.tables import table_spec
from edx_schema.models import (
    CourseBlock,
    CourseUserGroup,
    CourseUserGroupUsers,
    CreditCourse,
    ForumRole,
    GradingPolicy,
    ImportRecord,
    VerificationCheckpoint,
)
from edx_schema.outcomes import Status
from edx_schema.package.builder import PackageSpec, build_package
from edx_schema.package.names import LOADED_TABLES, member_table, parse_member_name

pytestmark = pytest.mark.django_db

SUFFIX = "-prod-analytics.sql"
# Every column of course keys or usage keys in the loaded tables, with its kind.
KEY_COLUMNS = [
    ("student_courseenrollment", "course_id", "course"),
    ("student_anonymoususerid", "course_id", "course"),
    ("user_api_usercoursetag", "course_id", "course"),
    ("courseware_studentmodule", "course_id", "course"),
    ("courseware_studentmodule", "module_id", "usage"),
    ("certificates_generatedcertificate", "course_id", "course"),
    ("grades_persistentcoursegrade", "course_id", "course"),
    ("grades_persistentsubsectiongrade", "course_id", "course"),
    ("grades_persistentsubsectiongrade", "usage_key", "usage"),
    ("submissions_studentitem", "course_id", "course"),  # a plain CharField of course keys
    ("student_courseaccessrole", "course_id", "course"),
    ("django_comment_client_role_users", "course_id", "course"),
    ("course_groups_cohortmembership", "course_id", "course"),
    ("credit_crediteligibility", "course_id", "course"),  # the credit course's key, not its id
    ("verify_student_verificationstatus", "course_id", "course"),
    ("teams", "course_id", "course"),
    ("assessment_peerworkflow", "course_id", "course"),
    ("assessment_studenttrainingworkflow", "course_id", "course"),
    ("workflow_assessmentworkflow", "course_id", "course"),
    # The retired AI tables: never in a package the builder writes (package_tables §2.10).
    ("assessment_aiclassifierset", "course_id", "course"),
    ("assessment_aitrainingworkflow", "course_id", "course"),
    ("assessment_aigradingworkflow", "course_id", "course"),
]
#: The key columns of members the builder writes (the legacy verification status is not in a
#: 2024 package either).
BUILT_KEY_COLUMNS = [
    c
    for c in KEY_COLUMNS
    if not c[0].startswith("assessment_ai") and c[0] != "verify_student_verificationstatus"
]
#: The tables table members fill, in foreign-key order.
LOADED_TABLE_NAMES = [member_table(token) for token in LOADED_TABLES]
TRUNCATED = {"course": "course-v1:Org+X", "usage": "block-v1:Org+X+1+type@problem"}


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    built = build_package(
        spec=PackageSpec(learners=8, problems=4, courses=1), output=tmp_path_factory.mktemp("p")
    )
    return built.path


def member(package: Path, table: str) -> Path:
    (path,) = package.rglob(f"*-{table}{SUFFIX}")
    return path


def load(table: str, data: bytes, **options):
    @contextmanager
    def open_stream():
        yield io.BufferedReader(io.BytesIO(data))

    return load_table_member(
        token=table, open_stream=open_stream, label=f"{table}.sql", options=LoadOptions(**options)
    )


def with_column(data: bytes, column: str, change) -> bytes:
    """``data`` with ``change(header name or value, is_header)`` applied to one column of every line."""
    lines = data.decode().split("\n")
    position = lines[0].split("\t").index(column)
    changed = []
    for number, line in enumerate(lines):
        if line:
            fields = line.split("\t")
            fields[position : position + 1] = change(fields[position], number == 0)
            line = "\t".join(fields)
        changed.append(line)
    return "\n".join(changed).encode()


def test_the_key_columns_are_every_opaque_key_field_and_every_course_id():
    found = set()
    for table in LOADED_TABLES:
        for name, f in member_spec(table).fields.items():
            if isinstance(f, OpaqueKeyField) or name == "course_id":
                found.add((table, name))
    assert found == {(table, column) for table, column, _kind in KEY_COLUMNS}


@pytest.mark.parametrize(("table", "column", "kind"), BUILT_KEY_COLUMNS)
@pytest.mark.parametrize("how", ["renamed", "dropped"])
def test_a_header_without_a_key_column_fails_the_file_on_line_1(package, table, column, kind, how):
    original = member(package, table).read_bytes()
    if how == "renamed":
        data = with_column(original, column, lambda text, header: [text.upper() if header else text])
    else:
        data = with_column(original, column, lambda text, header: [])
    with pytest.raises(FormatError) as error:
        load(table, data)
    assert (error.value.file, error.value.line) == (f"{table}.sql", 1)
    spec = member_spec(table)
    assert f"the header lacks column {column}, which {spec.table} requires" in error.value.message
    if how == "renamed":
        assert error.value.message.endswith(f"the header has unknown column(s) {column.upper()}")
    assert not spec.model.objects.exists()


@pytest.mark.parametrize(
    ("table", "column", "kind", "value"),
    [
        (table, column, kind, value)
        for table, column, kind in BUILT_KEY_COLUMNS
        for value in ("", TRUNCATED[kind])
        # An empty course_id there is a site-wide anonymous id, a good value.
        if (table, value) != ("student_anonymoususerid", "")
    ],
)
def test_an_empty_or_truncated_key_is_an_error_naming_line_column_and_value(
    package, table, column, kind, value
):
    data = with_column(
        member(package, table).read_bytes(), column, lambda text, header: [text if header else value]
    )
    with pytest.raises(FileFailed) as error:
        load(table, data)
    assert str(error.value) == (
        f"{table}.sql, line 2, column {column}: not a valid {kind} key in either the old or the new format "
        f"(value: {value!r})"
    )
    assert not member_spec(table).model.objects.exists()


@pytest.mark.parametrize("kept", [f"UniversityX-CS-101x-3T2024-courseware_studentmodule{SUFFIX}", None])
def test_bad_course_keys_fail_their_members_only(tmp_path, kept):
    # The documents' course comes from the first row of a table member: one whose course_id is
    # not a key is passed over (its own load reports it) for one that has a key, if any.
    built = build_package(spec=PackageSpec(learners=4, problems=4, courses=1), output=tmp_path)
    changed = set()
    for path in built.path.rglob(f"*{SUFFIX}"):
        loaded = parse_member_name(path.name).loaded
        if loaded and "course_id" in path.read_text().partition("\n")[0].split("\t") and path.name != kept:
            path.write_bytes(
                with_column(path.read_bytes(), "course_id", lambda t, header: [t if header else "True"])
            )
            changed.add(path.name)
    summary = import_packages(paths=[built.path], options=ImportOptions())
    results = {Path(r.member).name: r for r in summary.results}
    assert len(changed) == (15 if kept else 16)
    for name in changed:
        assert results[name].status == Status.FAILED
        assert "line 2, column course_id: not a valid course key" in results[name].message
    if kept:
        assert results[kept].status == Status.LOADED
    for kind in ("course_structure-prod-analytics.json", "prod.mongo", "course-prod-analytics.xml.tar.gz"):
        (result,) = [r for name, r in results.items() if name.endswith(kind)]
        assert result.status == Status.LOADED, result.message
    assert CourseBlock.objects.exists()
    # With no table to name it, the OLX export's course is the one its own course.xml names.
    assert [str(c) for c in GradingPolicy.objects.values_list("course_id", flat=True)] == [
        "course-v1:UniversityX+CS-101x+3T2024"
    ]


#: Columns the database numbers when a join member makes the rows (roles, cohorts, checkpoints):
#: the ids of the rows, and the links to those made with them.
NUMBERED = {
    "django_comment_client_role_users": ("id", "role_id"),
    "course_groups_cohortmembership": ("id", "course_user_group_id"),
    "verify_student_verificationstatus": ("id", "checkpoint_id"),
    "credit_crediteligibility": ("course_id",),
}
#: What join members make besides their own tables.
MADE = (ForumRole, CourseUserGroupUsers, CourseUserGroup, VerificationCheckpoint, CreditCourse)


#: Tables a built package leaves empty: no course tags, no legacy reverification in a 2024
#: package, and the retired AI tables.
EMPTY_IN_BUILT = {
    "user_api_usercoursetag",
    "verify_student_verificationstatus",
    *(t for t in LOADED_TABLE_NAMES if t.startswith("assessment_ai")),
}


def snapshot() -> dict[str, list[tuple]]:
    """Every loaded table's rows, without the ids the database numbers itself."""
    tables = {}
    with connection.cursor() as cursor:
        for table in LOADED_TABLE_NAMES:
            spec = table_spec(table)
            numbered = spec.key != (spec.model._meta.pk.column,)
            columns = [
                f.column
                for f in spec.model._meta.concrete_fields
                if not (numbered and f.primary_key) and f.column not in NUMBERED.get(table, ())
            ]
            quoted = ", ".join(map(connection.ops.quote_name, columns))
            order = ", ".join(map(connection.ops.quote_name, columns))
            cursor.execute(f"SELECT {quoted} FROM {connection.ops.quote_name(table)} ORDER BY {order}")
            tables[table] = cursor.fetchall()
    return tables


def empty_loaded_tables() -> None:
    for table in reversed(LOADED_TABLE_NAMES):
        table_spec(table).model.objects.all().delete()
    for model in MADE:
        model.objects.all().delete()
    ImportRecord.objects.all().delete()


@pytest.mark.parametrize("helper", [False, True], ids=["read whole", "parsed in a helper process"])
def test_a_crlf_package_loads_exactly_as_its_lf_original(package, tmp_path, monkeypatch, helper):
    if helper:  # on SQLite, big members are parsed in a forked helper, in runs of CHUNK_BYTES
        monkeypatch.setattr(sqlite, "PARSE_IN_HELPER_BYTES", 0)
        monkeypatch.setattr(sqlite, "CHUNK_BYTES", 700)
    lf = tmp_path / package.name
    shutil.copytree(package, lf)
    # Values with CRs and escapes, in the last column, where a CR of a CRLF line break ends up.
    profile = member(lf, "auth_userprofile")
    lines = profile.read_text().split("\n")
    header = lines[0].split("\t")
    for number in range(1, len(lines) - 1):
        fields = lines[number].split("\t")
        fields[header.index("goals")] = "a\\r\\nb \\\\ c\\tCR at the end\\r"
        lines[number] = "\t".join([*fields[:-1], fields[-1] or "last"])
    profile.write_text("\n".join(lines))
    assert import_packages(paths=[lf], options=ImportOptions()).ok
    loaded = snapshot()
    assert all(len(rows) > 0 for table, rows in loaded.items() if table not in EMPTY_IN_BUILT)
    empty_loaded_tables()
    crlf = tmp_path / "crlf" / package.name
    shutil.copytree(lf, crlf)
    for path in crlf.rglob(f"*{SUFFIX}"):
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    summary = import_packages(paths=[crlf], options=ImportOptions(force=True))
    assert summary.ok, [r.message for r in summary.results if r.message]
    assert snapshot() == loaded
