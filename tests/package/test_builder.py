"""The synthetic package builder: reproducible bytes, in the format the reader expects."""

import csv
import io
import json
import tarfile
import uuid
from collections import Counter
from pathlib import Path

import pytest

from edx_schema.grading import course_grade, grading_policy_hash, merge_policy
from edx_schema.package.builder import GRADING_POLICY, PackageSpec, build_package, default_courses
from edx_schema.package.builder.rows import AUTH_USER_HEADER, ProfileRow, StudentModuleRow
from edx_schema.package.names import parse_member_name
from edx_schema.package.source import open_member, open_package
from edx_schema.package.tsv import TsvReader
from tests.package.built import table_rows

SPEC = PackageSpec(learners=6, problems=4)
#: The ``.sql`` members the exporter writes for each course (file names' table part), ORA's under ora/.
EXPORTED_TABLES = (
    "auth_user",
    "auth_userprofile",
    "student_courseenrollment",
    "student_anonymoususerid",
    "user_id_map",
    "user_api_usercoursetag",
    "courseware_studentmodule",
    "certificates_generatedcertificate",
    "grades_persistentcoursegrade",
    "grades_persistentsubsectiongrade",
    "student_languageproficiency",
    "wiki_article",
    "wiki_articlerevision",
    "teams",
    "teams_membership",
    "student_courseaccessrole",
    "django_comment_client_role_users",
    "credit_crediteligibility",
    "course_groups_cohortmembership",
    "submissions_studentitem",
    "submissions_submission",
    "submissions_score",
    "submissions_scoresummary",
    "assessment_assessment",
    "assessment_assessmentpart",
    "assessment_assessmentfeedback",
    "assessment_assessmentfeedback_assessments",
    "assessment_assessmentfeedback_options",
    "assessment_assessmentfeedbackoption",
    "assessment_rubric",
    "assessment_criterion",
    "assessment_criterionoption",
    "assessment_peerworkflow",
    "assessment_peerworkflowitem",
    "assessment_studenttrainingworkflow",
    "assessment_studenttrainingworkflowitem",
    "assessment_trainingexample",
    "assessment_trainingexample_options_selected",
    "workflow_assessmentworkflow",
    "workflow_assessmentworkflowstep",
)
NAME = "universityx-2024-11-17"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_package(spec=SPEC, output=tmp_path_factory.mktemp("built"))


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_the_folder_is_named_org_date(built):
    assert built.path.name == NAME
    assert built.path.is_dir()
    package = open_package(built.path)
    assert package.name == NAME
    assert package.date == SPEC.date


def test_two_builds_give_the_same_bytes(tmp_path, built):
    again = build_package(spec=SPEC, output=tmp_path / "second")
    first, second = files_of(built.path), files_of(again.path)
    assert sorted(first) == sorted(second)
    assert len(first) > 20
    for path, data in first.items():
        assert second[path] == data, path
    assert again.rows == built.rows


def test_another_seed_gives_other_bytes(tmp_path, built):
    other = build_package(spec=PackageSpec(learners=6, problems=4, seed=2), output=tmp_path)
    assert files_of(other.path) != files_of(built.path)


def test_two_zip_builds_are_byte_identical(tmp_path):
    first = build_package(spec=SPEC, output=tmp_path / "a", as_zip=True)
    second = build_package(spec=SPEC, output=tmp_path / "b", as_zip=True)
    assert first.path.name == f"{NAME}.zip"
    assert first.path.read_bytes() == second.path.read_bytes()


def test_the_zip_holds_the_same_members_as_the_folder(tmp_path, built):
    zipped = build_package(spec=SPEC, output=tmp_path, as_zip=True)
    package = open_package(zipped.path)
    assert package.kind == "zip"
    assert package.name == NAME
    folder = files_of(built.path)
    assert [m.path for m in package.members] == sorted(folder)
    for member in package.members:
        with open_member(package, member) as stream:
            assert stream.read() == folder[member.path], member.path


def test_every_table_reads_with_its_header_and_row_count(built):
    package = open_package(built.path)
    tables = [m for m in package.members if m.path.endswith(".sql")]
    assert any(m.path.startswith("ora/") for m in tables)
    counted: Counter[str] = Counter()
    for member in tables:
        with open_member(package, member) as stream:
            reader = TsvReader(stream, file=member.path)
            records = list(reader)
        assert reader.header, member.path
        assert all(len(r.values) == len(reader.header) for r in records), member.path
        counted[member.name.table] += len(records)
        if member.name.table == "auth_user":
            assert reader.header == AUTH_USER_HEADER
        elif member.name.table == "auth_userprofile":
            assert reader.header == ProfileRow._fields
        elif member.name.table == "courseware_studentmodule":
            assert reader.header == StudentModuleRow._fields
    (opt_in,) = [m for m in package.members if m.name.kind == "email_opt_in"]
    with open_member(package, opt_in) as stream:
        lines = list(csv.reader(io.TextIOWrapper(stream, encoding="utf-8", newline="")))
    counted["email_opt_in"] = len([line for line in lines if line != lines[0]])
    # Every table the builder reports rows for holds exactly that many records.
    assert {table: counted[table] for table in built.rows} == built.rows
    # One studentmodule row per learner and problem: every learner is in the first course, every
    # other learner in the second.
    assert built.rows["courseware_studentmodule"] == (6 + 3) * 4
    assert built.rows["auth_user"] == 6 + 3


def test_escaped_values_survive_the_round_trip(built):
    package = open_package(built.path)
    member = next(m for m in package.members if m.name.table == "auth_userprofile")
    with open_member(package, member) as stream:
        reader = TsvReader(stream, file=member.path)
        rows = [dict(zip(reader.header, r.values, strict=True)) for r in reader]
    addresses = {row["mailing_address"] for row in rows}
    assert "12 Main St\r\nApt 4\tRear" in addresses
    assert None in {row["goals"] for row in rows}
    assert "Learn \\ teach\nand more" in {row["goals"] for row in rows}


def test_the_olx_holds_the_grading_policy(built):
    package = open_package(built.path)
    olx = [m for m in package.members if m.name.kind == "course_olx"]
    courses = {c.entity: c for c in default_courses(SPEC.org, SPEC.courses)}
    assert sorted(m.name.entity for m in olx) == sorted(courses)
    for member in olx:
        run = courses[member.name.entity].run
        with open_member(package, member) as stream, tarfile.open(fileobj=io.BytesIO(stream.read())) as tar:
            policies = [n for n in tar.getnames() if n.endswith(f"/policies/{run}/grading_policy.json")]
            assert len(policies) == 1, tar.getnames()
            assert json.load(tar.extractfile(policies[0])) == GRADING_POLICY


def test_each_course_structure_has_exactly_one_course_block(built):
    package = open_package(built.path)
    structures = [m for m in package.members if m.name.kind == "course_structure"]
    assert len(structures) == SPEC.courses
    for member in structures:
        with open_member(package, member) as stream:
            blocks = json.load(stream)
        courses = [key for key, block in blocks.items() if block["category"] == "course"]
        assert len(courses) == 1, member.path
        # Every child the structure names is itself a block of the structure.
        children = {child for block in blocks.values() for child in block["children"]}
        assert children <= set(blocks)
        assert courses[0] not in children


def test_every_member_the_builder_writes_is_recognised(built):
    paths = list(files_of(built.path))
    names = [parse_member_name(path) for path in paths]
    assert [n.path for n in names if n.kind == "unknown"] == []
    kinds = Counter(n.kind for n in names)
    assert kinds["course_structure"] == kinds["course_olx"] == kinds["forum"] == SPEC.courses
    assert kinds["email_opt_in"] == 1
    # Each course has every member of the exporter's inventory (data_package.md 1.5), the legacy
    # verification status aside (see test_builder_members), and the builder counts each one's rows.
    tables = Counter(n.table for n in names if n.kind == "table")
    assert tables == dict.fromkeys(EXPORTED_TABLES, SPEC.courses)
    assert set(built.rows) == {*EXPORTED_TABLES, "email_opt_in"}


def document(package, kind: str):
    """The one member of ``kind``: course_structure as parsed JSON, course_olx's grading policy."""
    (member,) = [m for m in package.members if m.name.kind == kind]
    with open_member(package, member) as stream:
        if kind == "course_structure":
            return json.load(stream)
        with tarfile.open(fileobj=io.BytesIO(stream.read())) as tar:
            (name,) = [n for n in tar.getnames() if n.endswith("/grading_policy.json")]
            return json.load(tar.extractfile(name))


def test_course_grades_are_the_lms_grades_of_the_packages_own_policy_and_subsections(tmp_path):
    # 20 problems a course: some learners sit just above the LMS's x.45% rounding threshold
    # (learner 47's raw 58.48% is 59%), where plain rounding to 2 decimals would give 58%.
    built = build_package(spec=PackageSpec(courses=1, learners=40, problems=20), output=tmp_path)
    package = open_package(built.path)
    policy = merge_policy(document(package, "course_olx"))
    blocks = document(package, "course_structure")
    (chapter,) = [block for block in blocks.values() if block["category"] == "chapter"]
    order = chapter["children"]  # the subsections in course order
    subsections: dict[str, list[dict]] = {}
    for row in sorted(
        table_rows(package, "grades_persistentsubsectiongrade"), key=lambda r: order.index(r["usage_key"])
    ):
        block = blocks[row["usage_key"]]["metadata"]
        subsections.setdefault(row["user_id"], []).append(
            {
                "usage_key": row["usage_key"],
                "graded": block["graded"],
                "format": block["format"],
                "earned_graded": float(row["earned_graded"]),
                "possible_graded": float(row["possible_graded"]),
            }
        )
    course_grades = table_rows(package, "grades_persistentcoursegrade")
    assert len(course_grades) == 40
    passed = {}
    for row in course_grades:
        expected = course_grade(policy, subsections[row["user_id"]])
        assert float(row["percent_grade"]) == expected.percent, row
        assert row["letter_grade"] == (expected.letter_grade or ""), row
        assert (row["passed_timestamp"] is not None) == expected.passed, row
        assert row["grading_policy_hash"] == grading_policy_hash(policy)
        if expected.passed:
            passed[row["user_id"]] = f"{expected.percent:.2f}"
    assert 0 < len(passed) < 40
    # A certificate for each learner who passed, with their grade.
    certificates = table_rows(package, "certificates_generatedcertificate")
    assert {row["user_id"]: row["grade"] for row in certificates} == passed


def test_a_one_learner_package_has_a_forum_thread_and_comment_by_that_learner(tmp_path):
    built = build_package(spec=PackageSpec(learners=1, problems=4), output=tmp_path)
    package = open_package(built.path)
    for member in [m for m in package.members if m.name.kind == "forum"]:
        with open_member(package, member) as stream:
            posts = [json.loads(line) for line in stream]
        assert [post["_type"] for post in posts] == ["CommentThread", "Comment"]
        assert {post["author_id"] for post in posts} == {"10"}
    assert built.rows["auth_user"] == 1


@pytest.mark.parametrize(
    ("table", "column"), [("submissions_submission", "uuid"), ("workflow_assessmentworkflow", "uuid")]
)
def test_the_uuids_are_real_version_4_uuids(built, table, column):
    """As uuid.uuid4() makes them in the LMS (MariaDB's uuid type refuses versions 8 and above)."""
    with open_package(built.path) as package:
        values = [row[column] for row in table_rows(package, table)]
    assert values
    assert {uuid.UUID(v).version for v in values} == {4}
    assert all(uuid.UUID(v).variant == uuid.RFC_4122 for v in values)
