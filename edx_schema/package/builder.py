"""Write a realistic synthetic data package in the exact format of the edX research exporter.

For tests, demos and benchmarks: ``{org}-{date}/`` holding, per course, the tab-separated
``.sql`` tables (header row, ``NULL``, backslash escapes), ``ora/`` submissions tables, the
course_structure JSON and the OLX ``.xml.tar.gz`` with its ``grading_policy.json``, plus a forum
``.mongo`` and a wiki table that the importer reports as skipped. The same arguments always give
the same bytes.

Pure: no Django import.
"""

from __future__ import annotations

import datetime
import gzip
import hashlib
import io
import json
import random
import shutil
import tarfile
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import PackageError
from ..grading import grading_policy_hash, merge_policy
from .names import AUTH_USER_ASKBOT_COLUMNS, course_entity
from .tsv import encode_field, format_record

AUTH_USER_HEADER = [
    "id",
    "username",
    "first_name",
    "last_name",
    "email",
    "password",
    "is_staff",
    "is_active",
    "is_superuser",
    "last_login",
    "date_joined",
    *AUTH_USER_ASKBOT_COLUMNS,
]
PROFILE_HEADER = [
    "id",
    "user_id",
    "name",
    "language",
    "location",
    "meta",
    "courseware",
    "gender",
    "mailing_address",
    "year_of_birth",
    "level_of_education",
    "goals",
    "country",
    "city",
    "bio",
    "profile_image_uploaded_at",
    "state",
]
STUDENTMODULE_HEADER = [
    "id",
    "module_type",
    "module_id",
    "student_id",
    "state",
    "grade",
    "created",
    "modified",
    "max_grade",
    "done",
    "course_id",
]
GRADING_POLICY = {
    "GRADER": [
        {"drop_count": 1, "min_count": 3, "short_label": "HW", "type": "Homework", "weight": 0.75},
        {"drop_count": 0, "min_count": 1, "short_label": "", "type": "Final Exam", "weight": 0.25},
    ],
    "GRADE_CUTOFFS": {"Pass": 0.6},
}
_FIRST_NAMES = ("Ada", "Bao", "Chidi", "Dana", "Élodie", "Farid", "Grace", "Hiro", "Inès", "José")
_LAST_NAMES = ("Lovelace", "Nguyen", "Okafor", "O'Neil", "Müller", "Haddad", "Hopper", "Tanaka")


@dataclass(frozen=True)
class Course:
    """One synthetic course: its key parts and key format."""

    org: str
    number: str
    run: str
    legacy: bool = False

    @property
    def key(self) -> str:
        if self.legacy:
            return f"{self.org}/{self.number}/{self.run}"
        return f"course-v1:{self.org}+{self.number}+{self.run}"

    @property
    def entity(self) -> str:
        return course_entity(org=self.org, course=self.number, run=self.run)

    def usage_key(self, block_type: str, block_id: str) -> str:
        if self.legacy:
            return f"i4x://{self.org}/{self.number}/{block_type}/{block_id}"
        return f"block-v1:{self.org}+{self.number}+{self.run}+type@{block_type}+block@{block_id}"


def default_courses(org: str, count: int) -> list[Course]:
    """``count`` courses; the second uses the legacy ``Org/Course/Run`` key format."""
    courses = []
    for index in range(count):
        if index == 1:
            courses.append(Course(org, "HIST.2x", "2013_Spring", legacy=True))
        else:
            courses.append(Course(org, f"CS-{101 + index}x", f"{3 - index % 3}T2024"))
    return courses


@dataclass(frozen=True)
class PackageSpec:
    """What to generate. ``problems`` per course: each learner gets one studentmodule row each."""

    org: str = "UniversityX"
    date: datetime.date = datetime.date(2024, 11, 17)
    courses: int = 2
    learners: int = 20
    problems: int = 8
    seed: int = 1
    week: int = 1  # later weeks change some rows and add learners, as a real snapshot would


@dataclass(frozen=True)
class BuiltPackage:
    path: Path
    rows: dict[str, int]


def _dt(base: datetime.datetime, rng: random.Random, *, days: int = 30) -> str:
    value = base + datetime.timedelta(
        seconds=rng.randrange(days * 86400), microseconds=rng.choice((0, 120000, 5))
    )
    return str(value)


def _write_table(folder: Path, name: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    count = 0
    with open(folder / name, "w", encoding="utf-8", newline="\n") as out:
        out.write("\t".join(header) + "\n")
        for row in rows:
            out.write(format_record(row))
            count += 1
    return count


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
    name = f"{spec.org.lower()}-{spec.date.isoformat()}"
    output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="edx-schema-build-") as scratch:
        folder = Path(scratch) / name
        folder.mkdir()
        (folder / "ora").mkdir()
        rows = _write_members(folder, spec)
        if recipients:
            _encrypt_all(folder, recipients, gnupghome)
        if as_zip:
            target = output / f"{name}.zip"
            _zip_folder(folder, target)
        else:
            target = output / name
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(folder, target)
    return BuiltPackage(target, rows)


def _zip_folder(folder: Path, target: Path) -> None:
    # Like the exporter's `zip --recurse-paths`: one top folder, with directory entries.
    fixed = (1980, 1, 1, 0, 0, 0)  # a fixed timestamp, so that the zip's bytes are reproducible
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for path in [folder, *sorted(folder.rglob("*"))]:
            arcname = path.relative_to(folder.parent).as_posix()
            if path.is_dir():
                info = zipfile.ZipInfo(arcname + "/", fixed)
                info.external_attr = 0o40755 << 16
                archive.writestr(info, b"")
            else:
                info = zipfile.ZipInfo(arcname, fixed)
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                with open(path, "rb") as source, archive.open(info, "w", force_zip64=True) as sink:
                    shutil.copyfileobj(source, sink, 1 << 20)


def _encrypt_all(folder: Path, recipients: Sequence[str], gnupghome: str | None) -> None:
    import gnupg

    gpg = gnupg.GPG(gnupghome=gnupghome)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        with open(path, "rb") as clear:
            result = gpg.encrypt_file(
                clear, list(recipients), armor=False, always_trust=True, output=f"{path}.gpg"
            )
        if not result.ok:
            raise PackageError(
                f"gpg could not encrypt {path.name} to {', '.join(recipients)}: {result.status}"
            )
        path.unlink()


def _write_members(folder: Path, spec: PackageSpec) -> dict[str, int]:
    def rng_for(*parts: object) -> random.Random:
        # One generator per row's identity, not one for the whole package: week 2 then differs
        # from week 1 only where the snapshot says it should.
        return random.Random(":".join(map(str, (spec.seed, *parts))))

    # Counted from week 1's date, so that rows which did not change keep their timestamps.
    first_week = spec.date - datetime.timedelta(days=7 * (spec.week - 1))
    base = datetime.datetime(first_week.year, first_week.month, first_week.day) - datetime.timedelta(days=120)
    learners = spec.learners + (spec.week - 1) * max(1, spec.learners // 10)
    users = []
    for index in range(learners):
        user_id = 10 + index
        rng = rng_for("user", user_id)
        first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
        users.append(
            {
                "id": user_id,
                "username": f"{first.lower()}_{user_id}",
                "first": first,
                "last": last,
                "email": f"learner{user_id}@example.org",
                "joined": _dt(base - datetime.timedelta(days=400), rng, days=300),
                "login": None if index % 7 == 0 else _dt(base, rng),
                "yob": None if index % 5 == 0 else 1960 + index % 45,
            }
        )
    counts: dict[str, int] = {}

    def add(table: str, count: int) -> None:
        counts[table] = counts.get(table, 0) + count

    courses = default_courses(spec.org, spec.courses)
    for course_index, course in enumerate(courses):
        # Every learner is in the first course; the others take every other learner.
        enrolled = users if course_index == 0 else users[course_index % 2 :: 2]
        prefix = f"{course.entity}-"
        suffix = "-prod-analytics.sql"
        add(
            "auth_user",
            _write_table(
                folder,
                f"{prefix}auth_user{suffix}",
                AUTH_USER_HEADER,
                (
                    [
                        u["id"],
                        u["username"],
                        u["first"],
                        u["last"],
                        u["email"],
                        "",
                        0,
                        1,
                        0,
                        u["login"],
                        u["joined"],
                        "",
                        None,
                        "",
                        "",
                        0,
                        None,
                        "",
                        "",
                        0,
                        0,
                        0,
                    ]
                    for u in enrolled
                ),
            ),
        )
        add(
            "auth_userprofile",
            _write_table(
                folder,
                f"{prefix}auth_userprofile{suffix}",
                PROFILE_HEADER,
                (
                    [
                        u["id"] + 1000,
                        u["id"],
                        f"{u['first']} {u['last']}",
                        "en",
                        "",
                        json.dumps({"session_id": None}),
                        "course.xml",
                        ("f", "m", "o", "", None, "x")[u["id"] % 6],
                        "12 Main St\r\nApt 4\tRear" if u["id"] % 4 == 0 else "",
                        u["yob"],
                        ("p", "hs", "b", "m", "", "zz")[u["id"] % 6],
                        "Learn \\ teach\nand more" if u["id"] % 3 == 0 else None,
                        ("US", "IN", "FR", "")[u["id"] % 4],
                        "",
                        None,
                        None,
                        None,
                    ]
                    for u in enrolled
                ),
            ),
        )
        add(
            "student_courseenrollment",
            _write_table(
                folder,
                f"{prefix}student_courseenrollment{suffix}",
                ["id", "user_id", "course_id", "created", "is_active", "mode"],
                (
                    [
                        course_index * 100_000 + u["id"],
                        u["id"],
                        course.key,
                        _dt(base, rng_for(course.key, "enrolled", u["id"]), days=10),
                        0 if u["id"] % 9 == 0 else 1,
                        ("audit", "verified", "honor")[u["id"] % 3],
                    ]
                    for u in enrolled
                ),
            ),
        )
        add(
            "student_anonymoususerid",
            _write_table(
                folder,
                f"{prefix}student_anonymoususerid{suffix}",
                ["id", "user_id", "anonymous_user_id", "course_id"],
                (
                    [course_index * 100_000 + u["id"], u["id"], _anon(u["id"], course.key), course.key]
                    for u in enrolled
                ),
            ),
        )
        id_header = ["hash_id", "id", "username"] if course.legacy else ["hash_id", "user_id", "username"]
        add(
            "user_id_map",
            _write_table(
                folder,
                f"{prefix}user_id_map{suffix}",
                id_header,
                ([_anon(u["id"], ""), u["id"], u["username"]] for u in enrolled),
            ),
        )
        add(
            "user_api_usercoursetag",
            _write_table(
                folder,
                f"{prefix}user_api_usercoursetag{suffix}",
                ["id", "user_id", "key", "course_id", "value"],
                (
                    [
                        course_index * 100_000 + u["id"],
                        u["id"],
                        "xblock.partition_service.partition_0",
                        course.key,
                        str(u["id"] % 2),
                    ]
                    for u in enrolled
                ),
            ),
        )
        grades = _grades(course, enrolled, spec, base, rng_for)
        add(
            "courseware_studentmodule",
            _write_studentmodule(
                folder,
                f"{prefix}courseware_studentmodule{suffix}",
                course,
                course_index,
                enrolled,
                spec,
                grades,
                base,
            ),
        )
        add(
            "certificates_generatedcertificate",
            _write_table(
                folder,
                f"{prefix}certificates_generatedcertificate{suffix}",
                [
                    "id",
                    "user_id",
                    "download_url",
                    "grade",
                    "course_id",
                    "key",
                    "distinction",
                    "status",
                    "verify_uuid",
                    "download_uuid",
                    "name",
                    "created_date",
                    "modified_date",
                    "error_reason",
                    "mode",
                ],
                (
                    [
                        course_index * 100_000 + u["id"],
                        u["id"],
                        "",
                        f"{grades[u['id']]['percent']:.2f}",
                        course.key,
                        "",
                        0,
                        "downloadable",
                        hashlib.md5(f"v{u['id']}{course.key}".encode()).hexdigest(),
                        hashlib.md5(f"d{u['id']}{course.key}".encode()).hexdigest(),
                        f"{u['first']} {u['last']}",
                        _dt(base, rng_for(course.key, "certificate", u["id"])),
                        _dt(base, rng_for(course.key, "certificate", u["id"])),
                        "",
                        "verified",
                    ]
                    for u in enrolled
                    if grades[u["id"]]["letter"]
                ),
            ),
        )
        add(
            "grades_persistentcoursegrade",
            _write_table(
                folder,
                f"{prefix}grades_persistentcoursegrade{suffix}",
                [
                    "course_id",
                    "user_id",
                    "grading_policy_hash",
                    "percent_grade",
                    "letter_grade",
                    "passed_timestamp",
                    "created",
                    "modified",
                ],
                (
                    [
                        course.key,
                        u["id"],
                        grading_policy_hash(merge_policy(GRADING_POLICY)),
                        grades[u["id"]]["percent"],
                        grades[u["id"]]["letter"],
                        grades[u["id"]]["passed"],
                        grades[u["id"]]["created"],
                        grades[u["id"]]["modified"],
                    ]
                    for u in enrolled
                ),
            ),
        )
        add(
            "grades_persistentsubsectiongrade",
            _write_table(
                folder,
                f"{prefix}grades_persistentsubsectiongrade{suffix}",
                [
                    "course_id",
                    "user_id",
                    "usage_key",
                    "earned_all",
                    "possible_all",
                    "earned_graded",
                    "possible_graded",
                    "first_attempted",
                    "created",
                    "modified",
                ],
                (
                    [
                        course.key,
                        u["id"],
                        course.usage_key("sequential", name),
                        earned,
                        possible,
                        earned,
                        possible,
                        grades[u["id"]]["created"],
                        grades[u["id"]]["created"],
                        grades[u["id"]]["modified"],
                    ]
                    for u in enrolled
                    for name, (earned, possible) in grades[u["id"]]["subsections"].items()
                ),
            ),
        )
        _write_ora(folder / "ora", course, course_index, enrolled, base, add, rng_for)
        _write_structure(folder, course, spec)
        _write_olx(folder, course, spec)
        with open(folder / f"{course.entity}-prod.mongo", "w", encoding="utf-8") as forum:
            thread_id = f"52b0c0b5e4b0c2a0a80000{course_index:02d}"
            posts = [
                {
                    "_id": {"$oid": thread_id},
                    "_type": "CommentThread",
                    "course_id": course.key,
                    "author_id": str(users[0]["id"]),
                    "author_username": users[0]["username"],
                    "thread_type": "question",
                    "title": 'Problem 2, "part b"?',
                    "created_at": {"$date": 1387000000000},
                    "updated_at": {"$date": "2013-12-14T06:00:00.123Z"},
                    "body": "Hello, all: is C:\\ a path?",
                },
                {
                    "_id": {"$oid": f"52b0c0b5e4b0c2a0a80001{course_index:02d}"},
                    "_type": "Comment",
                    "course_id": course.key,
                    "author_id": str(users[1]["id"]),
                    "author_username": users[1]["username"],
                    "comment_thread_id": {"$oid": thread_id},
                    "created_at": {"$date": {"$numberLong": "1387483835043"}},
                    "updated_at": {"$date": 1387483835043},
                    "body": "Yes \u2014 see \\frac{1}{2}\nand NULL,\ttoo. Caf\u00e9 \ud83d\ude00",
                },
            ]
            forum.write("".join(json.dumps(post) + "\n" for post in posts))
        _write_table(folder, f"{prefix}wiki_article{suffix}", ["id", "current_revision_id", "created"], [])
    return counts


def _anon(user_id: int, course_key: str) -> str:
    return hashlib.md5(f"secret{user_id}{course_key}".encode()).hexdigest()


HOMEWORK_SUBSECTIONS = 3  # GRADING_POLICY's Homework min_count


def _subsection_names(spec: PackageSpec) -> list[str]:
    """Three homework sequentials, then the final exam's."""
    return [f"hw{index + 1}" for index in range(HOMEWORK_SUBSECTIONS)] + ["final_exam"]


def _problem_subsection(spec: PackageSpec, problem: int) -> str:
    """The last problem is the final exam; the others are dealt round the homework."""
    if problem == spec.problems - 1:
        return "final_exam"
    return f"hw{problem % HOMEWORK_SUBSECTIONS + 1}"


def _grades(
    course: Course, enrolled: list[dict], spec: PackageSpec, base: datetime.datetime, rng_for
) -> dict[int, dict]:
    """Per learner: each problem's score, subsection totals and a course grade by the policy."""
    result = {}
    for user in enrolled:
        rng = rng_for(course.key, "grades", user["id"])
        scores = []
        changed = []
        for problem in range(spec.problems):
            earned = float(rng.choice((0, 0, 0, 1, 1, 2, 2)))
            # Later weeks: learners keep working, so a few scores go up.
            improved = spec.week > 1 and (user["id"] + problem) % 5 == 0 and earned < 2.0
            scores.append(2.0 if improved else earned)
            changed.append(improved)
        subsections: dict[str, list[float]] = {}
        for problem, earned in enumerate(scores):
            total = subsections.setdefault(_problem_subsection(spec, problem), [0.0, 0.0])
            total[0] += earned
            total[1] += 2.0
        homework = sorted(e / p for name, (e, p) in subsections.items() if name != "final_exam")
        kept = homework[1:] if len(homework) > 1 else homework
        hw = sum(kept) / (HOMEWORK_SUBSECTIONS - 1)  # min_count - drop_count, as the LMS divides
        exam = subsections["final_exam"][0] / subsections["final_exam"][1]
        percent = round(0.75 * hw + 0.25 * exam + 1e-12, 2)
        created = _dt(base, rng)
        first_modified = datetime.datetime.fromisoformat(created) + datetime.timedelta(days=1)
        later = first_modified + datetime.timedelta(days=7 * (spec.week - 1))
        result[user["id"]] = {
            "scores": scores,
            "problem_modified": [str(later if c else first_modified) for c in changed],
            "subsections": {name: (e, p) for name, (e, p) in subsections.items()},
            "percent": percent,
            "letter": "Pass" if percent >= 0.6 else "",
            "passed": created if percent >= 0.6 else None,
            "created": created,
            "modified": str(later if any(changed) else first_modified),
        }
    return result


def _write_studentmodule(
    folder: Path,
    name: str,
    course: Course,
    course_index: int,
    enrolled: list[dict],
    spec: PackageSpec,
    grades: dict[int, dict],
    base: datetime.datetime,
) -> int:
    """Stream the studentmodule rows: one per learner and problem, JSON state escaped as exported."""
    count = 0
    keys = [course.usage_key("problem", f"p{problem:04d}") for problem in range(spec.problems)]
    created = str(base)
    # Each problem's state, correct and incorrect, encoded once (benchmarks write millions of rows).
    states = [
        {
            earned > 0: encode_field(
                json.dumps(
                    {
                        "attempts": 1 + problem % 3,
                        "correct_map": {
                            f"{keys[problem]}_2_1": {
                                "correctness": "correct" if earned > 0 else "incorrect",
                                "msg": '\n<p class="hint">\tTry</p>',
                            }
                        },
                        "student_answers": {f"{keys[problem]}_2_1": "x\\y"},
                        "seed": problem,
                    }
                )
            )
            for earned in (0.0, 1.0)
        }
        for problem in range(spec.problems)
    ]
    tail = f"\t2.0\tna\t{encode_field(course.key)}\n"
    with open(folder / name, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as out:
        out.write("\t".join(STUDENTMODULE_HEADER) + "\n")
        for user in enrolled:
            modified_at = grades[user["id"]]["problem_modified"]
            first_id = course_index * 10**10 + user["id"] * spec.problems + 1  # stable from week to week
            for problem, earned in enumerate(grades[user["id"]]["scores"]):
                state = states[problem][earned > 0]
                out.write(
                    f"{first_id + problem}\tproblem\t{keys[problem]}\t{user['id']}\t{state}"
                    f"\t{earned}\t{created}\t{modified_at[problem]}{tail}"
                )
                count += 1
    return count


def _write_ora(
    folder: Path,
    course: Course,
    course_index: int,
    enrolled: list[dict],
    base: datetime.datetime,
    add,
    rng_for,
) -> None:
    if course.legacy:
        return  # ORA tables only exist for courses that use open-response assessments
    prefix, suffix = f"{course.entity}-", "-prod-analytics.sql"
    item = course.usage_key("openassessment", "essay")
    learners = enrolled[::2]
    add(
        "submissions_studentitem",
        _write_table(
            folder,
            f"{prefix}submissions_studentitem{suffix}",
            ["id", "student_id", "course_id", "item_id", "item_type"],
            (
                [
                    course_index * 100_000 + u["id"],
                    _anon(u["id"], course.key),
                    course.key,
                    item,
                    "openassessment",
                ]
                for u in learners
            ),
        ),
    )
    add(
        "submissions_submission",
        _write_table(
            folder,
            f"{prefix}submissions_submission{suffix}",
            [
                "id",
                "uuid",
                "attempt_number",
                "submitted_at",
                "created_at",
                "raw_answer",
                "student_item_id",
                "status",
            ],
            (
                [
                    course_index * 100_000 + u["id"],
                    hashlib.md5(f"s{u['id']}{course.key}".encode()).hexdigest(),
                    1,
                    _dt(base, rng_for(course.key, "submitted", u["id"])),
                    _dt(base, rng_for(course.key, "submitted", u["id"])),
                    json.dumps({"parts": [{"text": f"My essay, by learner {u['id']}.\nSecond line."}]}),
                    course_index * 100_000 + u["id"],
                    "A",
                ]
                for u in learners
            ),
        ),
    )
    add(
        "submissions_score",
        _write_table(
            folder,
            f"{prefix}submissions_score{suffix}",
            [
                "id",
                "student_item_id",
                "submission_id",
                "points_earned",
                "points_possible",
                "created_at",
                "reset",
            ],
            (
                [
                    course_index * 100_000 + u["id"],
                    course_index * 100_000 + u["id"],
                    course_index * 100_000 + u["id"],
                    u["id"] % 4,
                    3,
                    _dt(base, rng_for(course.key, "scored", u["id"])),
                    0,
                ]
                for u in learners
            ),
        ),
    )


def _write_structure(folder: Path, course: Course, spec: PackageSpec) -> None:
    blocks: dict[str, dict] = {}
    names = _subsection_names(spec)
    chapter = course.usage_key("chapter", "week1")
    course_block = course.usage_key("course", course.run)
    blocks[course_block] = {
        "category": "course",
        "children": [chapter],
        "metadata": {"display_name": f"Course {course.number}", "start": "2024-01-08T00:00:00Z"},
    }
    blocks[chapter] = {
        "category": "chapter",
        "children": [course.usage_key("sequential", n) for n in names],
        "metadata": {"display_name": "Week 1"},
    }
    for name in names:
        problems = [p for p in range(spec.problems) if _problem_subsection(spec, p) == name]
        vertical = course.usage_key("vertical", f"v_{name}")
        blocks[course.usage_key("sequential", name)] = {
            "category": "sequential",
            "children": [vertical],
            "metadata": {
                "display_name": name,
                "graded": True,
                "format": "Final Exam" if name == "final_exam" else "Homework",
            },
        }
        blocks[vertical] = {
            "category": "vertical",
            "children": [course.usage_key("problem", f"p{p:04d}") for p in problems],
            "metadata": {},
        }
        for p in problems:
            blocks[course.usage_key("problem", f"p{p:04d}")] = {
                "category": "problem",
                "children": [],
                "metadata": {"display_name": f"Problem {p + 1}", "weight": 2},
            }
    with open(folder / f"{course.entity}-course_structure-prod-analytics.json", "w", encoding="utf-8") as out:
        out.write(json.dumps(blocks, indent=2, sort_keys=True))


def _write_olx(folder: Path, course: Course, spec: PackageSpec) -> None:
    """The course's OLX export: course.xml, policies with grading_policy.json (no static files)."""
    top = f"{course.org}-{course.number}-{course.run}".replace(".", "_")
    files = {
        f"{top}/course.xml": (
            f'<course url_name="{course.run}" org="{course.org}" course="{course.number}"/>\n'
        ),
        f"{top}/course/{course.run}.xml": f'<course display_name="Course {course.number}"/>\n',
        f"{top}/policies/{course.run}/policy.json": json.dumps(
            {f"course/{course.run}": {"start": "2024-01-08"}}
        ),
        f"{top}/policies/{course.run}/grading_policy.json": json.dumps(
            GRADING_POLICY, indent=4, sort_keys=True
        ),
    }
    target = folder / f"{course.entity}-course-prod-analytics.xml.tar.gz"
    # gzip with mtime 0 and tar entries dated 0: the same course always gives the same bytes.
    with (
        open(target, "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as zipped,
        tarfile.open(fileobj=zipped, mode="w") as archive,
    ):
        for path, text in files.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mtime = 0
            archive.addfile(info, io.BytesIO(data))


__all__ = ["BuiltPackage", "Course", "PackageSpec", "build_package", "default_courses"]
