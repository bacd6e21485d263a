"""Build a whole package: its members in a scratch folder, then the folder or zip."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ...errors import PackageError
from .assessments import Essay, course_essays, ora_tables
from .cohorts import course_groups_cohortmembership
from .courseware import courseware_studentmodule
from .credit import credit_crediteligibility
from .documents import course_olx, course_structure, forum
from .events import write_events
from .grades import (
    HOMEWORK_SUBSECTIONS,
    LearnerGrades,
    certificates_generatedcertificate,
    grade_learners,
    grades_persistentcoursegrade,
    grades_persistentsubsectiongrade,
)
from .optin import email_opt_in
from .output import Table, encrypt_all, write_table, zip_folder
from .roles import django_comment_client_role_users, student_courseaccessrole
from .spec import BuiltPackage, CourseRun, PackageSpec, default_courses
from .teams import teams, teams_membership
from .users import (
    auth_user,
    auth_userprofile,
    enrolled_in,
    make_learners,
    student_anonymoususerid,
    student_courseenrollment,
    student_languageproficiency,
    user_api_usercoursetag,
    user_id_map,
)
from .verification import verify_student_verificationstatus
from .wiki import wiki_article, wiki_articlerevision


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
    """Write every course's members, the org's opt-in list and event logs; return the rows per member table.

    The keys are the tables' names in the members' file names (``teams``, not teams_courseteam);
    the opt-in list's rows are under ``email_opt_in``, the event logs' events (junk lines aside)
    under ``events`` when the spec asks for events.
    """
    learners = make_learners(spec)
    runs = [
        CourseRun(
            spec=spec,
            course=course,
            index=index,
            learners=learners,
            enrolled=enrolled_in(learners, course_index=index),
        )
        for index, course in enumerate(default_courses(spec.org, spec.courses))
    ]
    counts: dict[str, int] = {}
    for run in runs:
        essays = course_essays(run)
        for table in course_tables(run, grade_learners(run, essays), essays):
            written = write_table(folder, entity=run.course.entity, table=table)
            counts[table.name] = counts.get(table.name, 0) + written
        course_structure(folder, run)
        course_olx(folder, run)
        forum(folder, run)
    counts["email_opt_in"] = email_opt_in(folder, spec, runs)
    if spec.events > 0:
        counts["events"] = write_events(folder, spec, runs)
    return counts


def course_tables(run: CourseRun, grades: dict[int, LearnerGrades], essays: list[Essay]) -> list[Table]:
    """Every ``.sql`` member of one course: those the exporter writes for the package's date."""
    legacy = [verify_student_verificationstatus(run)] if run.spec.writes_verification_status else []
    return [
        auth_user(run),
        auth_userprofile(run),
        student_courseenrollment(run),
        student_anonymoususerid(run),
        user_id_map(run),
        user_api_usercoursetag(run),
        student_languageproficiency(run),
        courseware_studentmodule(run, grades),
        certificates_generatedcertificate(run, grades),
        grades_persistentcoursegrade(run, grades),
        grades_persistentsubsectiongrade(run, grades),
        wiki_article(run),
        wiki_articlerevision(run),
        teams(run),
        teams_membership(run),
        student_courseaccessrole(run),
        django_comment_client_role_users(run),
        credit_crediteligibility(run, grades),
        course_groups_cohortmembership(run),
        *legacy,
        *ora_tables(run, essays),
    ]
