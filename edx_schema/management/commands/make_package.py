"""``manage.py make_package OUTPUT``: write a realistic synthetic edX research data package."""

from __future__ import annotations

import datetime
from pathlib import Path

from django.core.management.base import CommandError

from edx_schema.errors import EdxSchemaError
from edx_schema.management.base import EdxSchemaCommand
from edx_schema.package.builder import PackageSpec, build_package


class Command(EdxSchemaCommand):
    help = (
        "Write a synthetic data package in the exact format of the edX research exporter, every "
        "member it writes: per course the tab-separated tables (users, profiles, enrollments, "
        "courseware state with JSON, certificates, course and subsection grades, wiki, teams, "
        "language proficiencies, staff and forum roles, credit, cohorts, and for 2015-08 to 2018-04 "
        "dates the legacy verification status), the 21 ORA tables, the course_structure JSON, the "
        "OLX tar.gz with its grading_policy.json and the forum dump; per org the e-mail opt-in CSV "
        "and, with --events, the tracking logs (events/{org}-edx-events-{day}.log.gz for the 8 days "
        "up to the date, the last one partial). The same options always give the same files."
    )
    requires_schema = False  # writes files only

    def add_arguments(self, parser):
        parser.add_argument("output", metavar="OUTPUT", help="The folder to write {org}-{date}[.zip] into.")
        parser.add_argument("--org", default="UniversityX", help="The organisation (UniversityX).")
        parser.add_argument(
            "--date",
            default="2024-11-17",
            help="The package date, YYYY-MM-DD (2024-11-17); from 2015-08-01 to 2018-04-08 the "
            "package has the legacy verification status members.",
        )
        parser.add_argument("--courses", type=int, default=2, help="How many courses (2).")
        parser.add_argument("--learners", type=int, default=20, help="Learners in the first course (20).")
        parser.add_argument("--problems", type=int, default=8, help="Problems per course (8).")
        parser.add_argument("--week", type=int, default=1, help="Snapshot week: later weeks change rows (1).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (1).")
        parser.add_argument(
            "--events",
            type=int,
            default=0,
            help="Tracking-log events to write, about, over the 8 days of event files: the browser, "
            "server and mobile events of the package's learners (0: no event logs).",
        )
        parser.add_argument("--zip", action="store_true", help="Write {org}-{date}.zip instead of a folder.")
        parser.add_argument(
            "--recipient",
            action="append",
            default=[],
            help="Encrypt every member to this gpg key (repeatable).",
        )
        parser.add_argument("--gnupghome", help="GnuPG home holding the recipients' public keys.")

    def handle(self, *args, **options):
        try:
            date = datetime.date.fromisoformat(options["date"])
        except ValueError:
            raise CommandError(f"--date {options['date']!r} is not a date in YYYY-MM-DD form.") from None
        for name in ("courses", "learners", "problems", "week"):
            if options[name] < 1:
                raise CommandError(f"--{name} must be at least 1, not {options[name]}.")
        if options["events"] < 0:
            raise CommandError(f"--events must be 0 or more, not {options['events']}.")
        if options["problems"] < 4:
            raise CommandError("--problems must be at least 4 (three homework and a final exam).")
        spec = PackageSpec(
            org=options["org"],
            date=date,
            courses=options["courses"],
            learners=options["learners"],
            problems=options["problems"],
            seed=options["seed"],
            week=options["week"],
            events=options["events"],
        )
        try:
            built = build_package(
                spec=spec,
                output=Path(options["output"]),
                as_zip=options["zip"],
                recipients=options["recipient"],
                gnupghome=options["gnupghome"],
            )
        except (EdxSchemaError, OSError) as error:
            raise CommandError(str(error)) from None
        if options["verbosity"] >= 1:
            for table, count in sorted(built.rows.items()):
                self.stdout.write(f"  {table:<34} {count:>9,}")
            self.stdout.write(self.style.SUCCESS(f"Wrote {built.path} ({sum(built.rows.values()):,} rows)."))
