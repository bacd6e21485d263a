"""The sample package (fixtures/universityx-2024-11-17.zip) as the harness sees it.

A *kind* is what a member holds: one of the loaded tables (by its token in file names), a
course_structure JSON, an OLX export, a forum dump, or the org's e-mail opt-in CSV. For each
kind and course this module gives the sample's member, the members it needs loaded first (the
tables before it in foreign-key order), the tables it fills, and an oracle: what a complete
load of a given member's bytes leaves in those tables, computed with the standard library
(never with the code under test).
"""

from __future__ import annotations

import csv
import functools
import io
import json
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from edx_schema.package.names import LOADED_TABLES, member_table

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "fixtures" / "universityx-2024-11-17.zip"
PACKAGE = "universityx-2024-11-17"
#: The package a week earlier: a member that replaces its course's set finds last week's there.
LAST_WEEK = "universityx-2024-11-10"

#: The two courses of the sample: short name -> the exporter's {Org}-{course}-{run}.
COURSES = {
    "CS-101x": "UniversityX-CS-101x-3T2024",
    "HIST.2x": "UniversityX-HIST.2x-2013_Spring",
}
#: Each course's key, as its rows write it.
COURSE_KEYS = {
    "CS-101x": "course-v1:UniversityX+CS-101x+3T2024",
    "HIST.2x": "UniversityX/HIST.2x/2013_Spring",
}
#: Table tokens whose members the exporter puts in the package's ora/ folder.
_ORA_PREFIXES = ("assessment_", "submissions_", "workflow_")

#: The members that are documents, not TSV tables, and the table each fills.
DOCUMENTS = {
    "course_structure": "edx_schema_courseblock",
    "course_olx": "edx_schema_gradingpolicy",
    "forum": "edx_schema_forumpost",
}
#: The org-level members (not of one course), their path in the package and their table.
ORG_MEMBERS = {"email_opt_in": "edx_schema_emailoptin"}
_ORG_PATHS = {"email_opt_in": "universityx-email_opt_in-prod-analytics.csv"}

# Tables keyed by other columns than ``id``: a natural key (their files have no id), or
# user_id_map's primary key, hash_id (its id, or user_id, is the learner's and may repeat).
_KEYS = {
    "grades_persistentcoursegrade": ("course_id", "user_id"),
    "grades_persistentsubsectiongrade": ("course_id", "user_id", "usage_key"),
    "student_courseaccessrole": ("user_id", "org", "course_id", "role"),
    "user_id_map": ("hash_id",),
}


def category(kind: str) -> str:
    """``tsv``, ``json`` (course structure), ``olx``, ``mongo`` or ``csv`` (the opt-in list)."""
    return {"course_structure": "json", "course_olx": "olx", "forum": "mongo", "email_opt_in": "csv"}.get(
        kind, "tsv"
    )


def table_of(kind: str) -> str:
    """The table a member of this kind loads into (a join member: the table its file is named for)."""
    return DOCUMENTS.get(kind) or ORG_MEMBERS.get(kind) or member_table(kind)


#: Tables a member fills besides its own, referenced ones first: a subsection grade's course gets
#: its empty block list; a join member makes the rows its names refer to (a forum role, a cohort,
#: a credit course) and a cohort's members its users link; a team no longer in the file takes its
#: memberships with it.
_FILLS_TOO = {
    "grades_persistentsubsectiongrade": (("grades_visibleblocks",), ()),
    "django_comment_client_role_users": (("django_comment_client_role",), ()),
    "course_groups_cohortmembership": (
        ("course_groups_courseusergroup",),
        ("course_groups_courseusergroup_users",),
    ),
    "credit_crediteligibility": (("credit_creditcourse",), ()),
    "teams": ((), ("teams_courseteammembership",)),
    "course_olx": ((), ("edx_schema_coursecontentblock",)),  # the course's blocks, from its OLX
}


def tables_filled(kind: str) -> tuple[str, ...]:
    """Every table that loading a member of this kind may write to, referenced tables first."""
    before, after = _FILLS_TOO.get(kind, ((), ()))
    return (*before, table_of(kind), *after)


def member_path(kind: str, course: str) -> str:
    """The member's path inside the package folder (an org-level member's is the same for every course)."""
    if kind in _ORG_PATHS:
        return _ORG_PATHS[kind]
    entity = COURSES[course]
    if kind == "course_structure":
        return f"{entity}-course_structure-prod-analytics.json"
    if kind == "course_olx":
        return f"{entity}-course-prod-analytics.xml.tar.gz"
    if kind == "forum":
        return f"{entity}-prod.mongo"
    folder = "ora/" if kind.startswith(_ORA_PREFIXES) else ""
    return f"{folder}{entity}-{kind}-prod-analytics.sql"


@functools.cache
def members() -> dict[str, bytes]:
    """The sample's members: path inside the package folder -> bytes."""
    with zipfile.ZipFile(SAMPLE) as archive:
        return {
            name.removeprefix(f"{PACKAGE}/"): archive.read(name)
            for name in archive.namelist()
            if not name.endswith("/")
        }


def member_bytes(kind: str, course: str) -> bytes:
    return members()[member_path(kind, course)]


def _has_rows(kind: str, course: str) -> bool:
    """Whether the sample has this course's member, with more than its header."""
    data = members().get(member_path(kind, course))
    return data is not None and (category(kind) != "tsv" or bool(data.partition(b"\n")[2].strip()))


@functools.cache
def courses_of(kind: str) -> tuple[str, ...]:
    """The sample's courses whose member of this kind has rows: both, but HIST.2x has no teams,
    cohorts or credit (its members of those hold a header only, with nothing to mutate). The
    org-level opt-in list names CS-101x, whose untouched member goes beside it."""
    if kind in ORG_MEMBERS:
        return ("CS-101x",)
    return tuple(course for course in COURSES if _has_rows(kind, course))


#: Every kind the sample has a member of: the table tokens in foreign-key order, the documents,
#: then the org-level list (loaded last).
KINDS: tuple[str, ...] = (
    *(token for token in LOADED_TABLES if any(_has_rows(token, course) for course in COURSES)),
    *DOCUMENTS,
    *ORG_MEMBERS,
)


def prerequisites(kind: str, course: str) -> list[str]:
    """Members to load before this kind's: the course's tables that come before it.

    For a document or the opt-in list, the course's enrollments (and their users): an OLX export
    takes its course key from a table of the package that has a course_id column.
    """
    if kind in LOADED_TABLES:
        tables = LOADED_TABLES[: LOADED_TABLES.index(kind)]
    else:
        tables = ("auth_user", "student_courseenrollment")
    return [member_path(table, course) for table in tables if course in courses_of(table)]


#: Members that hold their course's full current set: a complete load replaces the course's rows
#: with the file's (a revoked role, a learner who left a team or a cohort is deleted). The harness
#: loads last week's member (the sample's) before each case of these kinds.
REPLACES_SET = frozenset(
    {
        "student_courseaccessrole",
        "django_comment_client_role_users",
        "course_groups_cohortmembership",
        "teams",
        "teams_membership",
        "student_languageproficiency",
    }
)


def untouched_kind(kind: str) -> str:
    """The document member left as it is beside a mutated one (it must always load)."""
    return "course_structure" if kind == "forum" else "forum"


class NoOracle(Exception):
    """The oracle cannot read these bytes, so it cannot say what a complete load stores."""


#: How a database compares a column's text: a function giving the value it compares (two texts
#: are equal exactly when their values are).
Fold = Callable[[str], object]


def expected_rows(kind: str, data: bytes) -> int:
    """How many rows a complete load of a document member ``data`` leaves in its (empty) table."""
    if kind == "course_olx":
        return 1
    if kind == "course_structure":
        try:
            return len(json.loads(data.decode("utf-8-sig")))
        except (ValueError, RecursionError) as error:
            raise NoOracle(error) from None
    ids = set()
    for line in data.split(b"\n"):
        if not line.strip():
            continue
        try:
            document = json.loads(line.decode("utf-8"))
            post_id = document["_id"]
            ids.add(post_id["$oid"] if isinstance(post_id, dict) else post_id)
        except (ValueError, RecursionError, KeyError, TypeError) as error:
            raise NoOracle(error) from None
    return len(ids)


# -- the oracle of table members and the opt-in list ----------------------------------------------


@dataclass(frozen=True)
class View:
    """What a complete load of a table member (or the opt-in list) leaves in its tables.

    ``columns``: the file's columns the view holds, and the first ``key`` of them a row's key (a
    later row of a key replaces an earlier one). Each of ``selects`` gives the same columns from
    the tables (``{table}`` stands for a quoted table name). ``sources``: for each column, the
    ``(table, column)`` whose collation the database compares its values with. ``course``: the
    column naming a row's course, in a member that replaces its course's set.
    """

    columns: tuple[str, ...]
    key: int
    selects: tuple[str, ...]
    sources: tuple[tuple[str, str], ...]
    course: str | None = None
    join: bool = False  # the view joins the tables the member fills (its rows have no ids of their own)

    @property
    def tables(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(table for table, _column in self.sources))


#: The join members and the opt-in list: each row as the tables hold it, joined back.
_VIEWS = {
    # Each (course, role name, user) the file lists is a user of the course's role of that name.
    "django_comment_client_role_users": View(
        columns=("course_id", "name", "user_id"),
        key=3,
        selects=(
            "SELECT r.course_id, r.name, u.user_id FROM {django_comment_client_role} r "
            "JOIN {django_comment_client_role_users} u ON u.role_id = r.id",
        ),
        sources=(
            ("django_comment_client_role", "course_id"),
            ("django_comment_client_role", "name"),
            ("django_comment_client_role_users", "user_id"),
        ),
        course="course_id",
        join=True,
    ),
    # A learner is in one cohort of a course: a membership, and the cohort's users link too.
    "course_groups_cohortmembership": View(
        columns=("user_id", "course_id", "name"),
        key=2,
        selects=(
            "SELECT m.user_id, m.course_id, g.name FROM {course_groups_cohortmembership} m "
            "JOIN {course_groups_courseusergroup} g ON g.id = m.course_user_group_id",
            "SELECT u.user_id, g.course_id, g.name FROM {course_groups_courseusergroup_users} u "
            "JOIN {course_groups_courseusergroup} g ON g.id = u.courseusergroup_id",
        ),
        sources=(
            ("course_groups_cohortmembership", "user_id"),
            ("course_groups_cohortmembership", "course_id"),
            ("course_groups_courseusergroup", "name"),
        ),
        course="course_id",
        join=True,
    ),
    # An eligibility by its id, its course named by the credit course's key.
    "credit_crediteligibility": View(
        columns=("id", "username", "course_id"),
        key=1,
        selects=(
            "SELECT e.id, e.username, c.course_key FROM {credit_crediteligibility} e "
            "JOIN {credit_creditcourse} c ON c.id = e.course_id",
        ),
        sources=(
            ("credit_crediteligibility", "id"),
            ("credit_crediteligibility", "username"),
            ("credit_creditcourse", "course_key"),
        ),
        join=True,
    ),
    # A learner's preference per course (2017 onwards: keyed by user_id), the latest row's e-mail.
    "email_opt_in": View(
        columns=("user_id", "course_id", "email"),
        key=2,
        selects=("SELECT user_id, course_id, email FROM {edx_schema_emailoptin}",),
        sources=tuple(("edx_schema_emailoptin", column) for column in ("user_id", "course_id", "email")),
    ),
}
#: The column of the course in the set-replacing members that have one.
_COURSE_COLUMNS = {"student_courseaccessrole": "course_id", "teams": "course_id"}


def view(kind: str) -> View:
    """The view of a table member or the opt-in list: a table member's is its keys."""
    if kind in _VIEWS:
        return _VIEWS[kind]
    table = table_of(kind)
    columns = _KEYS.get(kind, ("id",))
    return View(
        columns=columns,
        key=len(columns),
        selects=(f"SELECT {', '.join(columns)} FROM {{{table}}}",),
        sources=tuple((table, column) for column in columns),
        course=_COURSE_COLUMNS.get(kind),
    )


@dataclass
class Oracle:
    """The view's rows a complete load of a member leaves (values folded as the database compares
    them); ``exact`` False when some row names another course than the member's, so that which
    course's set the file replaces is not the member's alone: then its rows must be there, but
    others may stay. ``says_nothing``: a zero-length member, which leaves every table as it was
    (even a member that replaces its course's set: it has not even a header)."""

    rows: set[tuple]
    exact: bool = True
    says_nothing: bool = False


def expected_view(kind: str, data: bytes, *, course: str, folds: Mapping[tuple[str, str], Fold]) -> Oracle:
    """What a complete load of ``data`` (a member of ``kind`` for ``course``) leaves in the view.

    ``folds``: the view's columns that the database compares case-insensitively, and how (two
    keys that are equal once folded are one row). Raises NoOracle if the bytes do not decode.
    """
    spec = view(kind)
    header, records = _csv_records(data) if category(kind) == "csv" else _tsv_records(data)
    if not header:
        return Oracle(set(), exact=False, says_nothing=True)
    try:
        positions = [header.index(column) for column in spec.columns]
        fold = [folds.get(source) for source in spec.sources]
        # Each key's row, and the course its row names (None: the member names no course in rows).
        course_at = header.index(spec.course) if spec.course and kind in REPLACES_SET else None
        rows: dict[tuple, tuple[tuple, object]] = {}
        for values in records:
            row = tuple(normal(values[p], f) for p, f in zip(positions, fold, strict=True))
            rows[row[: spec.key]] = (row, None if course_at is None else values[course_at])
    except Exception as error:  # the import must have failed too; the caller checks that
        raise NoOracle(error) from None
    # Course keys compare ignoring ASCII case on every database.
    own = COURSE_KEYS[course].lower()
    exact = all(named is None or named.lower() == own for _row, named in rows.values())
    return Oracle({row for row, _named in rows.values()}, exact)


def _tsv_records(data: bytes) -> tuple[list[str], Iterator[list[str | None]]]:
    """The header and records of a TSV member, read by the pure decoder (fuzzed on its own)."""
    from edx_schema.package.tsv import TsvReader

    try:
        reader = TsvReader(io.BytesIO(data), file="oracle")
    except Exception as error:
        raise NoOracle(error) from None
    return list(reader.header or []), (record.values for record in reader)


def _csv_records(data: bytes) -> tuple[list[str], Iterator[list[str]]]:
    """The header and records of the opt-in list, read with the csv module as the exporter writes
    it: UTF-8 (a byte-order mark allowed), lines split at LF only, blank lines and the header
    repeated before each chunk of courses left out."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise NoOracle(error) from None
    parts = text.removeprefix("\ufeff").split("\n")
    lines = [part + "\n" for part in parts[:-1]] + [parts[-1]] * bool(parts[-1])
    reader = csv.reader(lines, dialect="excel", strict=True)
    try:
        header = next((row for row in reader if row), [])
        records = [row for row in reader if row and row != header]
    except csv.Error as error:
        raise NoOracle(error) from None
    return header, iter(records)


def normal(value: object, fold: Fold | None) -> object:
    """A value as the oracle compares it: digits as an integer, text folded as its column compares it."""
    if not isinstance(value, str):
        return value
    if value.lstrip("-").isascii() and value.lstrip("-").isdigit():
        return int(value)
    if fold is not None:
        return fold(value)
    return value


def header(kind: str, data: bytes) -> list[str]:
    """The column names of a member's first line."""
    first = data.partition(b"\n")[0].decode().rstrip("\r")
    return first.split("," if category(kind) == "csv" else "\t")


def label(path: str) -> str:
    """The file name a message names the member by."""
    return PurePosixPath(path).name
