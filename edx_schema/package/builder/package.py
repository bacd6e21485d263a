"""Build a whole package: every course's members in a scratch folder, then the folder or zip."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ...errors import PackageError
from .courseware import courseware_studentmodule
from .documents import course_olx, course_structure, forum
from .grades import (
    HOMEWORK_SUBSECTIONS,
    certificates_generatedcertificate,
    grade_learners,
    grades_persistentcoursegrade,
    grades_persistentsubsectiongrade,
)
from .ora import ora_tables
from .output import Table, encrypt_all, write_table, zip_folder
from .rows import WikiArticleRow
from .spec import BuiltPackage, CourseRun, PackageSpec, default_courses
from .users import (
    auth_user,
    auth_userprofile,
    enrolled_in,
    make_learners,
    student_anonymoususerid,
    student_courseenrollment,
    user_api_usercoursetag,
    user_id_map,
)


def build_package(
    *,
    spec: PackageSpec,
    output: Path,
    as_zip: bool = False,
    recipients: Sequence[str] = (),
    gnupghome: str | None = None,
) -> BuiltPackage:
    """Write the package under ``output`` (a folder) and return its path and row counts.

    ``as_zip`` writes ``{org}-{date}.zip`` (directory entries included, zip64 when needed);
    ``recipients`` encrypts every member to those keys (binary OpenPGP, ``.gpg`` appended).
    """
    if spec.problems < HOMEWORK_SUBSECTIONS + 1:
        raise PackageError(f"a package needs at least {HOMEWORK_SUBSECTIONS + 1} problems per course")
    output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="edx-schema-build-") as scratch:
        folder = Path(scratch) / spec.name
        folder.mkdir()
        (folder / "ora").mkdir()
        rows = write_members(folder, spec)
        if recipients:
            encrypt_all(folder, recipients=recipients, gnupghome=gnupghome)
        if as_zip:
            target = output / f"{spec.name}.zip"
            zip_folder(folder, target)
        else:
            target = output / spec.name
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(folder, target)
    return BuiltPackage(target, rows)


def write_members(folder: Path, spec: PackageSpec) -> dict[str, int]:
    """Write every course's members into ``folder``; return the rows written per loaded table."""
    learners = make_learners(spec)
    counts: dict[str, int] = {}
    for index, course in enumerate(default_courses(spec.org, spec.courses)):
        run = CourseRun(
            spec=spec,
            course=course,
            index=index,
            learners=learners,
            enrolled=enrolled_in(learners, course_index=index),
        )
        grades = grade_learners(run)
        tables = [
            auth_user(run),
            auth_userprofile(run),
            student_courseenrollment(run),
            student_anonymoususerid(run),
            user_id_map(run),
            user_api_usercoursetag(run),
            courseware_studentmodule(run, grades),
            certificates_generatedcertificate(run, grades),
            grades_persistentcoursegrade(run, grades),
            grades_persistentsubsectiongrade(run, grades),
            *ora_tables(run),
        ]
        for table in tables:
            written = write_table(folder, entity=course.entity, table=table)
            counts[table.name] = counts.get(table.name, 0) + written
        course_structure(folder, run)
        course_olx(folder, run)
        forum(folder, run)
        # A table the importer does not load, written empty: it reports it as skipped.
        write_table(folder, entity=course.entity, table=Table("wiki_article", WikiArticleRow._fields, ()))
    return counts
