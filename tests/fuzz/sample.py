"""The sample package (fixtures/universityx-2024-11-17.zip) as the harness sees it.

A *kind* is what a member holds: one of the loaded tables, or a course_structure JSON, an OLX
export or a forum dump. For each kind and course this module gives the sample's member, the
members it needs loaded first (the tables before it in foreign-key order), the table it fills,
and an oracle: the rows a complete load of a given member's bytes leaves in that table,
computed with the standard library (never with the code under test).
"""

from __future__ import annotations

import functools
import io
import json
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath

from edx_schema.package.names import LOADED_TABLES

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "fixtures" / "universityx-2024-11-17.zip"
PACKAGE = "universityx-2024-11-17"

#: The two courses of the sample: short name -> the exporter's {Org}-{course}-{run}.
COURSES = {
    "CS-101x": "UniversityX-CS-101x-3T2024",
    "HIST.2x": "UniversityX-HIST.2x-2013_Spring",
}
ORA_TABLES = ("submissions_studentitem", "submissions_submission", "submissions_score")

#: The members that are documents, not TSV tables, and the table each fills.
DOCUMENTS = {
    "course_structure": "edx_schema_courseblock",
    "course_olx": "edx_schema_gradingpolicy",
    "forum": "edx_schema_forumpost",
}
KINDS: tuple[str, ...] = (*LOADED_TABLES, *DOCUMENTS)

# Tables keyed by other columns than ``id``: a natural key (their files have no id), or
# user_id_map's primary key, hash_id (its id, or user_id, is the learner's and may repeat).
_KEYS = {
    "grades_persistentcoursegrade": ("course_id", "user_id"),
    "grades_persistentsubsectiongrade": ("course_id", "user_id", "usage_key"),
    "user_id_map": ("hash_id",),
}


def category(kind: str) -> str:
    """``tsv``, ``json`` (course structure), ``olx`` or ``mongo``."""
    return {"course_structure": "json", "course_olx": "olx", "forum": "mongo"}.get(kind, "tsv")


def table_of(kind: str) -> str:
    return DOCUMENTS.get(kind, kind)


#: Tables a member fills besides its own: a subsection grade's course gets its empty block list.
_FILLS_TOO = {"grades_persistentsubsectiongrade": ("grades_visibleblocks",)}


def tables_filled(kind: str) -> tuple[str, ...]:
    """Every table that loading a member of this kind may write to."""
    return (table_of(kind), *_FILLS_TOO.get(kind, ()))


def courses_of(kind: str) -> tuple[str, ...]:
    """The sample's courses that have a member of this kind (only CS-101x uses ORA)."""
    return ("CS-101x",) if kind in ORA_TABLES else tuple(COURSES)


def member_path(kind: str, course: str) -> str:
    """The member's path inside the package folder."""
    entity = COURSES[course]
    if kind == "course_structure":
        return f"{entity}-course_structure-prod-analytics.json"
    if kind == "course_olx":
        return f"{entity}-course-prod-analytics.xml.tar.gz"
    if kind == "forum":
        return f"{entity}-prod.mongo"
    folder = "ora/" if kind in ORA_TABLES else ""
    return f"{folder}{entity}-{kind}-prod-analytics.sql"


def prerequisites(kind: str, course: str) -> list[str]:
    """Members to load before this kind's: the course's tables that come before it.

    For a document, the course's enrollments (and their users): an OLX export takes its course
    key from a table of the package that has a course_id column.
    """
    if kind in LOADED_TABLES:
        tables = LOADED_TABLES[: LOADED_TABLES.index(kind)]
    else:
        tables = ("auth_user", "student_courseenrollment")
    return [member_path(table, course) for table in tables if course in courses_of(table)]


def untouched_kind(kind: str) -> str:
    """The document member left as it is beside a mutated one (it must always load)."""
    return "course_structure" if kind == "forum" else "forum"


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


class NoOracle(Exception):
    """The oracle cannot read these bytes, so it cannot say what a complete load stores."""


#: How a database compares a column's text: a function giving the value it compares.
Fold = Callable[[str], str]


def expected_rows(kind: str, data: bytes, *, folds: Mapping[str, Fold]) -> int:
    """How many rows a complete load of ``data`` leaves in the kind's (empty) table.

    ``folds``: the key columns the database compares case-insensitively, and how (two keys
    that are equal once folded are one row).
    """
    if kind == "course_olx":
        return 1
    if kind == "course_structure":
        try:
            return len(json.loads(data.decode("utf-8-sig")))
        except (ValueError, RecursionError) as error:
            raise NoOracle(error) from None
    if kind == "forum":
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
    return len(_tsv_keys(kind, data, folds=folds))


def _tsv_keys(kind: str, data: bytes, *, folds: Mapping[str, Fold]) -> set[tuple]:
    """The distinct keys of a TSV member, read naively (no escapes in key columns)."""
    from edx_schema.package.tsv import TsvReader  # the pure decoder: it is fuzzed on its own

    try:
        reader = TsvReader(io.BytesIO(data), file="oracle")
        header = reader.header
        if not header:
            return set()  # a zero-length member: nothing to load
        columns = _KEYS.get(kind, ("id",))
        positions = [(header.index(column), folds.get(column)) for column in columns]
        return {tuple(_normal(record.values[p], fold) for p, fold in positions) for record in reader}
    except Exception as error:  # the import must have failed too; the caller checks that
        raise NoOracle(error) from None


def _normal(value: str | None, fold: Fold | None) -> object:
    if value is not None and value.lstrip("-").isascii() and value.lstrip("-").isdigit():
        return int(value)
    if fold is not None and value is not None:
        return fold(value)
    return value


def label(path: str) -> str:
    """The file name a message names the member by."""
    return PurePosixPath(path).name
