"""What a synthetic package is built from: the spec, its courses, its learners, one course's run."""

from __future__ import annotations

import datetime
import hashlib
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ..names import course_entity


@dataclass(frozen=True)
class Course:
    """One synthetic course: its key parts and key format."""

    org: str
    number: str
    run: str
    legacy: bool = False

    @property
    def key(self) -> str:
        """The course key: ``course-v1:Org+Course+Run``, or ``Org/Course/Run`` when legacy."""
        if self.legacy:
            return f"{self.org}/{self.number}/{self.run}"
        return f"course-v1:{self.org}+{self.number}+{self.run}"

    @property
    def entity(self) -> str:
        """The ``{Org}-{course}-{run}`` prefix of the course's member names."""
        return course_entity(org=self.org, course=self.number, run=self.run)

    def usage_key(self, block_type: str, block_id: str) -> str:
        """A block's usage key, in the format of the course key (``i4x://`` when legacy)."""
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


#: The first package date with, and the first without, the legacy verification status members.
VERIFICATION_STATUS_DATES: tuple[datetime.date, datetime.date] = (
    datetime.date(2015, 8, 1),
    datetime.date(2018, 4, 9),
)


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
    # Courses per query of the e-mail opt-in list, which writes its header once per chunk. The
    # exporter passes 10,000 (the LMS command's default is 10).
    email_optin_chunk_size: int = 10_000
    # Tracking-log events over the package's 8 days of events/ files, about; 0: no event logs.
    events: int = 0

    @property
    def name(self) -> str:
        """The package's folder name, ``{org}-{date}``."""
        return f"{self.org.lower()}-{self.date.isoformat()}"

    @cached_property
    def base(self) -> datetime.datetime:
        """The origin of every generated timestamp: 120 days before week 1's date.

        Counted from week 1, not from this week, so that rows which did not change keep their
        timestamps from one weekly snapshot to the next.
        """
        first_week = self.date - datetime.timedelta(days=7 * (self.week - 1))
        return datetime.datetime(first_week.year, first_week.month, first_week.day) - datetime.timedelta(
            days=120
        )

    @property
    def writes_verification_status(self) -> bool:
        """Whether the package has the legacy ``verify_student_verificationstatus`` members.

        The exporter wrote them from August 2015 until its commit of 2018-04-09 that dropped the
        task ("the underlying table is no longer available").
        """
        first, stopped = VERIFICATION_STATUS_DATES
        return first <= self.date < stopped

    @property
    def learner_count(self) -> int:
        """Learners in this week's snapshot: each later week adds a tenth (at least one)."""
        return self.learners + (self.week - 1) * max(1, self.learners // 10)

    def rng(self, *parts: object) -> random.Random:
        """A generator for one row's identity (``parts``), not one for the whole package.

        Week 2 then differs from week 1 only where the snapshot says it should.
        """
        return random.Random(":".join(map(str, (self.seed, *parts))))


@dataclass(frozen=True)
class BuiltPackage:
    """What :func:`build_package` wrote: the folder or zip, and the rows written per member table.

    Tables are named as in the members' file names; the e-mail opt-in list's rows are under
    ``email_opt_in``.
    """

    path: Path
    rows: dict[str, int]


@dataclass(frozen=True)
class Learner:
    """One synthetic learner, as auth_user and auth_userprofile describe them."""

    id: int
    username: str
    first_name: str
    last_name: str
    email: str
    date_joined: str
    last_login: str | None
    year_of_birth: int | None

    @property
    def full_name(self) -> str:
        """The profile's name: first and last."""
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class CourseRun:
    """One course of the package, as each of its members is written from it."""

    spec: PackageSpec
    course: Course
    index: int  # the course's position in the package, which offsets its row ids
    learners: Sequence[Learner]  # every learner of the package
    enrolled: Sequence[Learner]

    def rng(self, *parts: object) -> random.Random:
        """The generator of one of this course's rows (see :meth:`PackageSpec.rng`)."""
        return self.spec.rng(self.course.key, *parts)

    def row_id(self, learner: Learner) -> int:
        """The id of a learner's row in a table holding one row per learner and course."""
        return self.index * 100_000 + learner.id


def timestamp(base: datetime.datetime, rng: random.Random, *, days: int = 30) -> str:
    """A time within ``days`` after ``base``, as the exporter writes it (microseconds when not 0)."""
    value = base + datetime.timedelta(
        seconds=rng.randrange(days * 86400), microseconds=rng.choice((0, 120000, 5))
    )
    return str(value)


def later(when: str, *, hours: int = 0, seconds: int = 0) -> str:
    """The exporter's text of a time some hours and seconds after ``when`` (the exporter's text too)."""
    return str(datetime.datetime.fromisoformat(when) + datetime.timedelta(hours=hours, seconds=seconds))


def md5_hex(text: str) -> str:
    """The hex MD5 of ``text``: the stand-in for the LMS's hashed ids."""
    return hashlib.md5(text.encode()).hexdigest()


def uuid4_hex(text: str) -> str:
    """A version-4 UUID made from ``text`` (32 hex digits), as ``uuid.uuid4()`` would give the LMS.

    A real UUID's version and variant: MariaDB's uuid type refuses versions 8 and above.
    """
    return uuid.UUID(bytes=hashlib.md5(text.encode()).digest(), version=4).hex


def anonymous_id(user_id: int, course_key: str) -> str:
    """A learner's anonymous user id in a course (``""``: the site-wide one)."""
    return md5_hex(f"secret{user_id}{course_key}")
